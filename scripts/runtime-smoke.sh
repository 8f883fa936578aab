#!/usr/bin/env bash
# A smoke of the built project on another Node.js major (22 or 24; the suite runs on the machine's Node 20): the
# pinned runtime from scripts/node-runtime.sh runs a chosen set of test files on the same dist/ and the same stack,
# so the SDK's native core bridge, the workflow bundler, the local Batch service, the Azure SDKs and the worker process
# are all loaded by that runtime. Needs a build (npx tsc -b) and the stack up, as `npm test` leaves them.
#   bash scripts/runtime-smoke.sh 24
set -euo pipefail
cd "$(dirname "$0")/.."

node=$(bash scripts/node-runtime.sh "${1:-}")
echo "runtime smoke on $("$node" --version) ($node)"

# About a minute on 2 cores: the pure unit tests (run state, input schemas, local Batch units, output contract),
# the workflow bundle and its replay of released histories, one real run of 20 LADs end to end (in-process worker and
# local Batch service), and the worker's own entry point serving metrics while it runs LADs.
files=(
  run/run-state run/run-input run/names run/cost run/lad-order-plan run/payload-bounds
  local-batch/units local-batch/store outputs/contract outputs/csv config/config
  run/workflow-modules run/replay package/plugin
  run/happy-path metrics/metrics
)
paths=()
for file in "${files[@]}"; do paths+=("dist/test/$file.test.js"); done

TEMPORAL_CONFIG_FILE=/dev/null "$node" --test --test-concurrency=2 "${paths[@]}"
