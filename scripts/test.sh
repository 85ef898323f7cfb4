#!/usr/bin/env bash
# The whole test suite from a fresh clone: npm packages, system packages
# (Prometheus, Alertmanager, Chromium, tqdm, tmux), the collector build (cached),
# typecheck, then every vitest project: unit, integration (real collector,
# Prometheus, Alertmanager) and e2e (real Chromium). Fails on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/ensure-node-modules.sh
bash scripts/install-system-deps.sh
if [ -f collector-config/builder-config.yaml ]; then
  BATCHTEL_OTELCOL="$(bash scripts/build-collector.sh | tail -n 1)"
  export BATCHTEL_OTELCOL
  echo "batchtel: collector at $BATCHTEL_OTELCOL" >&2
fi
npx tsc -p tsconfig.json --noEmit
# House rules (Biome) and the public API against api-report/ (npm run api:update after an intended change).
npm run --silent lint
bash scripts/api-report.sh
mkdir -p test-output
rm -f test-output/vitest-*.json
status=0
# One project at a time: the real-stack suites should not fight unit tests for two cores.
projects=(unit integration)
[ -d test/e2e ] && projects+=(e2e)
for project in "${projects[@]}"; do
  echo "batchtel: vitest project $project" >&2
  npx vitest run --project "$project" --reporter=default --reporter=json \
    --outputFile.json="test-output/vitest-$project.json" "$@" || status=1
done
reports=()
for project in "${projects[@]}"; do reports+=("test-output/vitest-$project.json"); done
node scripts/test-summary.mjs "${reports[@]}" || status=1
echo "batchtel: test suite took $(( $(date +%s) - start )) s" >&2
exit "$status"
