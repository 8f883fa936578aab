#!/usr/bin/env bash
# The Python environment of the real azure-batch SDK for test/local-batch/sdk-python.test.ts: a virtual environment
# with test/local-batch/python/requirements.txt installed from PyPI, named after the Python version and the hash of
# that file, so a rerun (CI on the same machine, a developer's next `npm test`) reuses it and a changed pin makes a
# new one. Kept under $SPC_VENV_DIR (default ~/.cache/spc-temporal/venv), outside the clone.
#   bash scripts/python-batch-venv.sh          create it when missing; print its python
#   bash scripts/python-batch-venv.sh --path   only print where its python is (or would be)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
requirements="$root/test/local-batch/python/requirements.txt"
base_python="${SPC_PYTHON:-python3}"

version=$("$base_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
hash=$(sha256sum "$requirements" | cut -c1-16)
dir="${SPC_VENV_DIR:-$HOME/.cache/spc-temporal/venv}/azure-batch-py$version-$hash"
python="$dir/bin/python"

if [ "${1:-}" = --path ]; then
  echo "$python"
  exit 0
fi

# The marker is written last: a folder without it is an install that was cut short, made again from scratch.
if [ ! -f "$dir/.installed" ]; then
  rm -rf "$dir"
  "$base_python" -m venv "$dir"
  "$python" -m pip install --quiet --disable-pip-version-check --no-input --only-binary=:all: -r "$requirements" >&2
  touch "$dir/.installed"
fi
echo "$python"
