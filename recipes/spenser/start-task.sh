#!/usr/bin/env bash
# Pool start task of the `spenser` recipe: installs the SPENSER Python stack ONCE PER NODE into
# $AZ_BATCH_NODE_SHARED_DIR/spenser, so each LAD task (run-lad.sh) only runs the pipeline.
#
# Run it as the pool's start task with an elevated (admin) auto-user, waitForSuccess=true, so no LAD lands on a
# node whose install failed. It is idempotent: Batch re-runs start tasks when a node reboots or is reimaged, and a
# finished install (marker file) is kept; a half-finished one is removed and redone.
#
# Layout under $AZ_BATCH_NODE_SHARED_DIR/spenser:
#   tools/                   uv, the installer of the pinned interpreter (absent with SPENSER_PYTHON)
#   python/                  the uv-managed CPython (under the shared dir so non-admin task users can run it)
#   venv/                    Python virtual environment with the five packages installed
#   src/<package>/           the checked-out repositories (run-lad.sh copies the two with scripts/ per task)
#   scotland/                the unpacked Output_Area_blk.zip, when the start task was given one (run-lad.sh links
#                            it into household_microsynth's cache, as today's pipeline unpacks it there)
#   installed-<version>      marker written last, holding what was installed (key=value lines)
#
# Sources are pinned to the commits today's pipeline uses (its git submodules). Override one with
# SPENSER_<PACKAGE>_REPO / SPENSER_<PACKAGE>_REF environment settings on the start task; a REF is a commit, a
# branch or a tag. `start-task.sh --print-sources` prints what would be installed and exits.
# Seams for tests and custom images (the defaults are the production install):
#   SPENSER_PYTHON=<python>         use this interpreter for the venv instead of installing the pinned one with uv
#   SPENSER_SYSTEM_PACKAGES=<list>  Debian packages to install (empty: the image has them, apt is not run)
#   SPENSER_BUILD_REQUIREMENTS=<l>  what pip installs before the packages (empty: nothing)
#   SPENSER_PIP_OPTIONS=<options>   extra options of every pip install (e.g. --no-index --no-build-isolation)
# The NOMIS key is not needed here: tasks get it at run time.
set -euo pipefail

readonly RECIPE_VERSION=3
# NRS's "Output Area blk.zip" (Scottish census tables by Output Area), if among the start task's files.
readonly SCOTLAND_ZIP=Output_Area_blk.zip
# uv pins the interpreter build: uv 0.13.9 downloads CPython 3.9.25 (python-build-standalone). The wheel's hash
# is PyPI's for the manylinux x86_64 wheel, so a tampered or different uv never runs.
readonly UV_VERSION=0.13.9
readonly UV_WHEEL_SHA256=d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19
readonly PYTHON_VERSION=3.9.25

# Package name, repository, commit (or override). Order matters: later packages depend on earlier ones
# (ukpopulation uses UKCensusAPI; the two pipelines use all three libraries).
packages=(
  "UKCensusAPI|${SPENSER_UKCENSUSAPI_REPO:-https://github.com/alan-turing-institute/UKCensusAPI.git}|${SPENSER_UKCENSUSAPI_REF:-fbe9a21c56db7ba3318886e80d630ddf2bc4d973}"
  "ukpopulation|${SPENSER_UKPOPULATION_REPO:-https://github.com/ld-archer/ukpopulation.git}|${SPENSER_UKPOPULATION_REF:-5e2ee671c5604c799a9d38c865099869b8f42c2b}"
  "humanleague|${SPENSER_HUMANLEAGUE_REPO:-https://github.com/virgesmith/humanleague.git}|${SPENSER_HUMANLEAGUE_REF:-5951879db64450300d43527de3d0b5e5809d82b7}"
  "household_microsynth|${SPENSER_HOUSEHOLD_MICROSYNTH_REPO:-https://github.com/alan-turing-institute/household_microsynth.git}|${SPENSER_HOUSEHOLD_MICROSYNTH_REF:-f10cb0db80cf9db886644413c0a971892e9a9164}"
  "microsimulation|${SPENSER_MICROSIMULATION_REPO:-https://github.com/alan-turing-institute/microsimulation.git}|${SPENSER_MICROSIMULATION_REF:-2373691bd0ff764db129e52ec78d71c58538d9af}"
)
if [[ "${1-}" == --print-sources ]]; then
  for entry in "${packages[@]}"; do
    IFS='|' read -r name repo ref <<<"$entry"
    printf '%s %s %s\n' "$name" "$repo" "$ref"
  done
  exit 0
fi

shared="${AZ_BATCH_NODE_SHARED_DIR:?must run as an Azure Batch start task (AZ_BATCH_NODE_SHARED_DIR is unset)}"
prefix="$shared/spenser"
marker="$prefix/installed-$RECIPE_VERSION"
# git, a C++ toolchain (humanleague is a C++20 extension), venv (to bootstrap uv), and unzip and 7-Zip (UKCensusAPI
# shells out to unzip for the Scottish census zips Python's zipfile cannot read; today's pipeline installs both).
system_packages="${SPENSER_SYSTEM_PACKAGES-ca-certificates git build-essential python3 python3-venv unzip p7zip-full}"
# What today's conda environment held before the packages (matplotlib aside: none of the five imports it).
# setuptools below 81 because ukpopulation imports pkg_resources, which setuptools 81 removed.
build_requirements="${SPENSER_BUILD_REQUIREMENTS-pip setuptools<81 wheel cython numpy pandas}"
read -r -a pip_options <<<"${SPENSER_PIP_OPTIONS:-}"

log() { printf '[%s] start-task: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
set -o errtrace
trap 'log "failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# apt may be locked for a while by unattended upgrades right after boot, hence the retries.
apt_get() {
  local attempt
  for attempt in 1 2 3 4 5 6; do
    if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 "$@"; then return 0; fi
    log "apt-get $1 failed (attempt $attempt), retrying in 20 s"
    sleep 20
  done
  return 1
}

install_system_packages() {
  local names
  read -r -a names <<<"$system_packages"
  if ((${#names[@]} == 0)); then
    log "no system packages requested (SPENSER_SYSTEM_PACKAGES is empty)"
    return 0
  fi
  log "installing system packages: ${names[*]}"
  apt_get update
  apt_get install -y --no-install-recommends "${names[@]}"
}

# Prints the path of the interpreter the venv is made from. Python 3.9 because today's pipeline runs the packages
# in 3.9, and ukpopulation's pins (numpy 1.21.0, pandas 1.2.4) have no wheels for 3.10 or later.
provision_python() {
  if [[ -n "${SPENSER_PYTHON:-}" ]]; then
    log "using the interpreter SPENSER_PYTHON=$SPENSER_PYTHON instead of installing CPython $PYTHON_VERSION" >&2
    printf '%s\n' "$SPENSER_PYTHON"
    return 0
  fi
  log "installing uv $UV_VERSION and CPython $PYTHON_VERSION" >&2
  python3 -m venv "$prefix/tools"
  printf 'uv==%s --hash=sha256:%s\n' "$UV_VERSION" "$UV_WHEEL_SHA256" >"$prefix/tools/requirements.txt"
  "$prefix/tools/bin/pip" install --quiet --no-cache-dir --require-hashes --only-binary=:all: -r "$prefix/tools/requirements.txt" >&2
  # --no-bin: nothing lands on root's PATH; --managed-python: never a system interpreter that happens to match.
  UV_PYTHON_INSTALL_DIR="$prefix/python" "$prefix/tools/bin/uv" python install --no-bin --no-config "$PYTHON_VERSION" >&2
  UV_PYTHON_INSTALL_DIR="$prefix/python" "$prefix/tools/bin/uv" python find --managed-python --no-config "$PYTHON_VERSION"
}

# A shallow fetch of exactly one commit (or branch or tag): a branch clone would install whatever its head is today.
checkout_source() {
  local repo="$1" ref="$2" dir="$3"
  git init --quiet "$dir"
  git -C "$dir" remote add origin "$repo"
  git -C "$dir" fetch --quiet --depth 1 origin "$ref"
  git -C "$dir" -c advice.detachedHead=false checkout --quiet FETCH_HEAD
}

install_packages() {
  local pip="$1" entry name repo ref
  mkdir -p "$prefix/src"
  for entry in "${packages[@]}"; do
    IFS='|' read -r name repo ref <<<"$entry"
    log "fetching $name $ref from $repo"
    checkout_source "$repo" "$ref" "$prefix/src/$name"
    log "installing $name ($(git -C "$prefix/src/$name" rev-parse HEAD))"
    "$pip" install --no-cache-dir "${pip_options[@]}" "$prefix/src/$name"
  done
  repin_packages "$pip"
  # The two pipelines read and write data/ and cache/ next to their scripts.
  mkdir -p "$prefix/src/household_microsynth/data" "$prefix/src/microsimulation/data"
}

# Prints the checkouts (one a line) that are no longer what pip has installed: a later package that requires an
# earlier one by URL (a git branch) makes pip replace the pinned install with that URL's head.
checkouts_not_installed() {
  "$prefix/venv/bin/python" - "$@" <<'PY'
import json, sys
from importlib.metadata import distributions
from pathlib import Path
from urllib.parse import unquote, urlparse
urls = set()
for dist in distributions():
    recorded = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
    if recorded.startswith("file://"):
        urls.add(Path(unquote(urlparse(recorded).path)).resolve().as_uri())
for checkout in sys.argv[1:]:
    if Path(checkout).resolve().as_uri() not in urls:
        print(checkout)
PY
}

# Puts back, without their dependencies, the checkouts a dependency replaced, then checks all five are installed.
repin_packages() {
  local pip="$1" entry name checkouts=() replaced=() missing
  for entry in "${packages[@]}"; do
    IFS='|' read -r name _ _ <<<"$entry"
    checkouts+=("$prefix/src/$name")
  done
  # Command substitution, not <(...): a failing check must fail the install.
  missing="$(checkouts_not_installed "${checkouts[@]}")"
  if [[ -z "$missing" ]]; then return 0; fi
  mapfile -t replaced <<<"$missing"
  log "re-installing the pinned checkouts a dependency replaced: ${replaced[*]}"
  "$pip" install --no-cache-dir "${pip_options[@]}" --no-deps --force-reinstall "${replaced[@]}"
  missing="$(checkouts_not_installed "${checkouts[@]}")"
  if [[ -n "$missing" ]]; then
    log "still not installed from their pinned checkouts: $missing" >&2
    return 1
  fi
}

# What the pipelines import: an install that pip accepts can still fail here (e.g. a missing pkg_resources).
check_imports() {
  log "checking the five packages import"
  "$prefix/venv/bin/python" -c 'import ukcensusapi, ukpopulation, humanleague, household_microsynth, microsimulation'
}

# Today's pipeline unpacks a cached "Output Area blk.zip" into household_microsynth's cache so that no task
# downloads it from NRS; here that happens once per node, and each task links the tables into its own cache.
scotland_zip_sha256=none
unpack_scotland_tables() {
  if [[ ! -f "$SCOTLAND_ZIP" ]]; then
    log "no $SCOTLAND_ZIP among the start task's files: tasks download the Scottish tables from NRS when needed"
    return 0
  fi
  log "unpacking $SCOTLAND_ZIP ($(du -h "$SCOTLAND_ZIP" | cut -f1))"
  unzip -q -o "$SCOTLAND_ZIP" -d "$prefix/scotland"
  scotland_zip_sha256="$(sha256sum "$SCOTLAND_ZIP" | cut -d ' ' -f 1)"
}

# The keys of version 1 (recipe-version, python, <package>=<commit>) are kept; the others are new.
write_marker() {
  local entry name repo ref
  {
    printf 'recipe-version=%s\n' "$RECIPE_VERSION"
    printf 'python=%s\n' "$("$prefix/venv/bin/python" --version 2>&1)"
    if [[ -n "${SPENSER_PYTHON:-}" ]]; then
      printf 'python-source=SPENSER_PYTHON %s\n' "$SPENSER_PYTHON"
    else
      printf 'python-source=uv %s\n' "$UV_VERSION"
    fi
    for entry in "${packages[@]}"; do
      IFS='|' read -r name repo ref <<<"$entry"
      printf '%s=%s\n' "$name" "$(git -C "$prefix/src/$name" rev-parse HEAD)"
      printf '%s.repo=%s\n' "$name" "$repo"
    done
    printf 'scotland-output-area-zip=%s\n' "$scotland_zip_sha256"
  } >"$marker.tmp"
  mv "$marker.tmp" "$marker"
}

mkdir -p "$prefix"
# One installer at a time on a node, even if Batch restarts the start task while an old one still runs.
exec 9>"$prefix/install.lock"
flock 9

if [[ -f "$marker" ]]; then
  log "already installed: $(tr '\n' ' ' <"$marker")"
  exit 0
fi
# Whatever an interrupted or older install left; tools/ and python/ are re-checked by pip and uv, not redone.
rm -rf "$prefix/venv" "$prefix/src" "$prefix/scotland" "$prefix"/installed-*
started=$SECONDS

install_system_packages
python="$(provision_python)"
log "creating the virtual environment with $python"
"$python" -m venv "$prefix/venv"
pip="$prefix/venv/bin/pip"
read -r -a requirements <<<"$build_requirements"
if ((${#requirements[@]} > 0)); then
  "$pip" install --no-cache-dir "${pip_options[@]}" --upgrade "${requirements[@]}"
fi
install_packages "$pip"
check_imports
unpack_scotland_tables
write_marker
log "installed in $((SECONDS - started)) s: $(tr '\n' ' ' <"$marker")"
