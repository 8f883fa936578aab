#!/usr/bin/env bash
# Per-LAD task of the `spenser` recipe: runs the SPENSER pipeline for one Local Authority District and leaves the
# 69 files of the output contract (design.md section 2) in ./output/ for upload.
#
# Usage: run-lad.sh <LAD>      e.g. run-lad.sh E06000001
# Needs: the pool start task (start-task.sh) done on this node; NOMIS_API_KEY in the environment, passed as a
# secret environment setting of the task, never as a file among the inputs; the scenario configs in the working
# directory (task inputs: ssm_current.json, ssm_h_current.json, ass_current_<year>.json, the recipe's defaults from
# recipes/spenser/config/ unless the run input replaces them).
# Exit codes: 0 all 69 files in ./output/; 1 a step failed, a config or an output is missing; 2 invalid arguments.
set -euo pipefail

# Validate before anything else: the LAD code is input, never text for a command line.
if [[ $# -ne 1 || ! "$1" =~ ^[EWSN][0-9]{8}$ ]]; then
  printf 'run-lad.sh: the LAD code %q must match ^[EWSN][0-9]{8}$ (usage: run-lad.sh E06000001)\n' "${1-}" >&2
  exit 2
fi
readonly lad="$1"
readonly assignment_years=(2012 2020 2022 2032 2039)

log() { printf '[%s] run-lad %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$lad" "$*"; }
set -o errtrace
trap 'log "failed at line $LINENO: $BASH_COMMAND" >&2' ERR

if [[ -z "${NOMIS_API_KEY:-}" ]]; then
  log "NOMIS_API_KEY is not set: pass it as a secret environment setting of the task" >&2
  exit 1
fi
export NOMIS_API_KEY
shared="${AZ_BATCH_NODE_SHARED_DIR:?must run as an Azure Batch task (AZ_BATCH_NODE_SHARED_DIR is unset)}"
prefix="$shared/spenser"
if ! compgen -G "$prefix/installed-*" >/dev/null; then
  log "the start task has not installed SPENSER under $prefix" >&2
  exit 1
fi
marker="$(compgen -G "$prefix/installed-*" | head -n 1)"
log "using $(tr '\n' ' ' <"$marker")"
# What `source venv/bin/activate` does, without sourcing a script under `set -u`.
export VIRTUAL_ENV="$prefix/venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"
if [[ ! -x "$VIRTUAL_ENV/bin/python" ]]; then
  log "no Python in $VIRTUAL_ENV: rerun the start task" >&2
  exit 1
fi

# The pinned microsimulation commit has no *_current configs: the task brings them, as today's pipeline does.
configs=(ssm_current.json ssm_h_current.json)
for year in "${assignment_years[@]}"; do configs+=("ass_current_${year}.json"); done
for config in "${configs[@]}"; do
  if [[ ! -f "$config" ]]; then
    log "missing config $config: the task's inputs must include it" >&2
    exit 1
  fi
done

# Several LADs may run at once on a node (task slots), and the pipelines write data/ and cache/ next to their
# scripts, so each task works on its own copy of the two pipeline repositories (small: scripts and configs).
work="$PWD/spenser-work"
out="$PWD/output"
rm -rf "$work" "$out" provenance
mkdir -p "$work" "$out"
cp -R "$prefix/src/household_microsynth" "$prefix/src/microsimulation" "$work/"
mkdir -p "$work/microsimulation/config"
cp "${configs[@]}" "$work/microsimulation/config/"
# The Scottish census tables the start task unpacked, as links (they are large and only read).
if [[ -d "$prefix/scotland" ]]; then
  mkdir -p "$work/household_microsynth/cache"
  cp -R --symbolic-link "$prefix/scotland/." "$work/household_microsynth/cache/"
fi

run_step() {
  local dir="$1"
  shift
  log "step: $(basename "$dir") $*"
  local started=$SECONDS
  (cd "$dir" && python "$@")
  log "step done in $((SECONDS - started)) s"
}
# NO_CACHE as today's pipeline sets it: UKCensusAPI then re-reads Scottish tables for the microsimulation steps
# instead of trusting a cached table at another resolution, and the microsynthesis uses the unpacked cache.
export NO_CACHE=false
run_step "$work/household_microsynth" scripts/run_microsynth.py "$lad" OA11
export NO_CACHE=true
run_step "$work/microsimulation" scripts/run_ssm.py -c config/ssm_current.json "$lad"
run_step "$work/microsimulation" scripts/run_ssm_h.py -c config/ssm_h_current.json "$lad"
for year in "${assignment_years[@]}"; do
  run_step "$work/microsimulation" scripts/run_assignment.py -c "config/ass_current_${year}.json" "$lad"
done

# Gather the contract's 69 files from wherever the pipelines wrote them; anything missing fails the task, so the
# workflow retries it instead of uploading an incomplete LAD.
expected=("hh_${lad}_OA11_2011.csv")
for year in {2011..2039}; do
  expected+=("ssm_${lad}_MSOA11_ppp_${year}.csv" "ssm_hh_${lad}_OA11_${year}.csv")
done
for year in "${assignment_years[@]}"; do
  expected+=("ass_${lad}_MSOA11_${year}.csv" "ass_hh_${lad}_OA11_${year}.csv")
done
missing=0
for name in "${expected[@]}"; do
  found="$(find "$work" -type f -name "$name" -print -quit)"
  if [[ -z "$found" || ! -s "$found" ]]; then
    log "missing or empty output: $name" >&2
    missing=$((missing + 1))
    continue
  fi
  cp "$found" "$out/$name"
done
if ((missing > 0)); then
  log "$missing of ${#expected[@]} outputs missing" >&2
  exit 1
fi
rm -rf "$work"
# What ran, for the run's manifest: the install marker (recipe version, Python, each package's commit).
mkdir -p provenance
cp "$marker" provenance/spenser-install.txt
log "done: ${#expected[@]} files in $out ($(du -sh "$out" | cut -f1))"
