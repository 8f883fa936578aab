#!/usr/bin/env bash
# Pool start task of the `spenser` recipe: installs the SPENSER Python stack ONCE PER NODE into
# $AZ_BATCH_NODE_SHARED_DIR/spenser, so each LAD task (run-lad.sh) only runs the pipeline.
#
# Run it as the pool's start task with an elevated (admin) auto-user, waitForSuccess=true, so no LAD lands on a
# node whose install failed. It is idempotent: Batch re-runs start tasks when a node reboots or is reimaged, and a
# finished install (marker file) is kept; a half-finished one is removed and redone.
#
# Layout under $AZ_BATCH_NODE_SHARED_DIR/spenser:
#   venv/                    Python virtual environment with the five packages installed
#   src/<package>/           the cloned repositories (run-lad.sh copies the two with scripts/ per task)
#   installed-<version>      marker written last, holding what was installed
#
# Override the sources with SPENSER_<PACKAGE>_REPO / SPENSER_<PACKAGE>_REF environment settings on the start
# task (e.g. SPENSER_MICROSIMULATION_REF=arc). The NOMIS key is not needed here: tasks get it at run time.
set -euo pipefail

readonly RECIPE_VERSION=1
shared="${AZ_BATCH_NODE_SHARED_DIR:?must run as an Azure Batch start task (AZ_BATCH_NODE_SHARED_DIR is unset)}"
prefix="$shared/spenser"
marker="$prefix/installed-$RECIPE_VERSION"

log() { printf '[%s] start-task: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
trap 'log "failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# Package name, repository, branch or tag (empty: the default branch). Order matters: later packages depend on
# earlier ones (ukpopulation uses UKCensusAPI; the two pipelines use all three libraries).
packages=(
  "UKCensusAPI|${SPENSER_UKCENSUSAPI_REPO:-https://github.com/alan-turing-institute/UKCensusAPI.git}|${SPENSER_UKCENSUSAPI_REF:-master}"
  "ukpopulation|${SPENSER_UKPOPULATION_REPO:-https://github.com/ld-archer/ukpopulation.git}|${SPENSER_UKPOPULATION_REF:-master}"
  "humanleague|${SPENSER_HUMANLEAGUE_REPO:-https://github.com/virgesmith/humanleague.git}|${SPENSER_HUMANLEAGUE_REF:-}"
  "household_microsynth|${SPENSER_HOUSEHOLD_MICROSYNTH_REPO:-https://github.com/alan-turing-institute/household_microsynth.git}|${SPENSER_HOUSEHOLD_MICROSYNTH_REF:-fix/NoneType}"
  "microsimulation|${SPENSER_MICROSIMULATION_REPO:-https://github.com/alan-turing-institute/microsimulation.git}|${SPENSER_MICROSIMULATION_REF:-fix/double_run}"
)

mkdir -p "$prefix"
# One installer at a time on a node, even if Batch restarts the start task while an old one still runs.
exec 9>"$prefix/install.lock"
flock 9

if [[ -f "$marker" ]]; then
  log "already installed: $(tr '\n' ' ' <"$marker")"
  exit 0
fi
rm -rf "$prefix/venv" "$prefix/src"

# System packages: git, a C++ toolchain (humanleague is a C++ extension), venv, and 7-Zip (Scottish census data
# comes as .7z archives). apt may be locked for a while by unattended upgrades right after boot, hence the retries.
apt_get() {
  local attempt
  for attempt in 1 2 3 4 5 6; do
    if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 "$@"; then return 0; fi
    log "apt-get $1 failed (attempt $attempt), retrying in 20 s"
    sleep 20
  done
  return 1
}
log "installing system packages"
apt_get update
apt_get install -y --no-install-recommends ca-certificates git build-essential python3 python3-dev python3-venv p7zip-full

log "creating the virtual environment"
python3 -m venv "$prefix/venv"
pip="$prefix/venv/bin/pip"
"$pip" install --no-cache-dir --upgrade pip setuptools wheel
"$pip" install --no-cache-dir cython numpy pandas

mkdir -p "$prefix/src"
for entry in "${packages[@]}"; do
  IFS='|' read -r name repo ref <<<"$entry"
  log "cloning $name from $repo ${ref:-(default branch)}"
  branch_args=()
  if [[ -n "$ref" ]]; then branch_args=(--branch "$ref"); fi
  git clone --quiet --depth 1 "${branch_args[@]}" -- "$repo" "$prefix/src/$name"
  log "installing $name ($(git -C "$prefix/src/$name" rev-parse --short HEAD))"
  "$pip" install --no-cache-dir "$prefix/src/$name"
done
# The two pipelines read and write data/ and cache/ next to their scripts.
mkdir -p "$prefix/src/household_microsynth/data" "$prefix/src/microsimulation/data"

{
  printf 'recipe-version=%s\n' "$RECIPE_VERSION"
  printf 'python=%s\n' "$("$prefix/venv/bin/python" --version 2>&1)"
  for entry in "${packages[@]}"; do
    IFS='|' read -r name _ _ <<<"$entry"
    printf '%s=%s\n' "$name" "$(git -C "$prefix/src/$name" rev-parse HEAD)"
  done
} >"$marker.tmp"
mv "$marker.tmp" "$marker"
log "installed: $(tr '\n' ' ' <"$marker")"
