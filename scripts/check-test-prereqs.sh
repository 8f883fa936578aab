#!/usr/bin/env bash
# Run first by `npm test`: checks the system tools the tests need and, if any is missing, stops with one line naming
# what to install, instead of letting suites fail one by one. Runs before anything is built, and names what is missing
# even with an empty PATH.
# - ShellCheck, which lints the production recipe (test/outputs/recipes.test.ts);
# - Chromium, which renders the run report and the Temporal Web UI (test/helpers/browser.ts; $SPC_CHROMIUM moves it);
# - OpenSSL, with which the stack makes its Entra ID token issuer's key and certificate, and the TLS tests theirs;
# - the virtual environment of the real Python azure-batch 11.0.0 SDK (test/local-batch/sdk-python.test.ts):
#   $SPC_PYTHON_BATCH names its python, else it is where scripts/python-batch-venv.sh makes it.
# .ci/run installs them when missing; this script only reports.
set -euo pipefail
here="${BASH_SOURCE[0]%/*}"

chromium="${SPC_CHROMIUM:-/usr/bin/chromium}"
missing=()
fixes=()
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
[ -x "$chromium" ] || missing+=(chromium)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv)
if ((${#missing[@]})); then fixes+=("apt-get install ${missing[*]}"); fi

if [ -n "${SPC_PYTHON_BATCH:-}" ]; then
  if [ ! -x "$SPC_PYTHON_BATCH" ]; then
    missing+=("the azure-batch Python environment")
    fixes+=("point SPC_PYTHON_BATCH at its python (nothing at $SPC_PYTHON_BATCH), or unset it and run bash scripts/python-batch-venv.sh")
  fi
else
  venv_python=$("$BASH" "$here/python-batch-venv.sh" --path 2>/dev/null || true)
  if [ -z "$venv_python" ] || [ ! -x "$venv_python" ]; then
    missing+=("the azure-batch Python environment")
    fixes+=("bash scripts/python-batch-venv.sh (installs test/local-batch/python/requirements.txt from PyPI)")
  fi
fi

if ((${#missing[@]})); then
  where=""
  [ -x "$chromium" ] || where=" (no executable at $chromium; or set SPC_CHROMIUM)"
  list=$(IFS=,; echo "${missing[*]}")
  fix=$(IFS=';'; echo "${fixes[*]}")
  echo "missing: ${list//,/, }${where} — run: ${fix//;/; }" >&2
  exit 1
fi
