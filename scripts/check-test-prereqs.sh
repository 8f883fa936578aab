#!/usr/bin/env bash
# Run first by `npm test`: checks the system tools the tests need and, if any is missing, stops with one line naming
# what to install, instead of letting suites fail one by one. Bash built-ins only, so it runs before anything is built.
# - ShellCheck, which lints the production recipe (test/outputs/recipes.test.ts);
# - Chromium, which renders the run report and the Temporal Web UI (test/helpers/browser.ts; $SPC_CHROMIUM moves it);
# - OpenSSL, with which the stack makes its Entra ID token issuer's key and certificate, and the TLS tests theirs.
# .ci/run installs them when missing; this script only reports.
set -euo pipefail

chromium="${SPC_CHROMIUM:-/usr/bin/chromium}"
missing=()
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
[ -x "$chromium" ] || missing+=(chromium)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if ((${#missing[@]})); then
  where=""
  [ -x "$chromium" ] || where=" (no executable at $chromium; or set SPC_CHROMIUM)"
  list=$(IFS=,; echo "${missing[*]}")
  echo "missing: ${list//,/, }${where} — run: apt-get install ${missing[*]}" >&2
  exit 1
fi
