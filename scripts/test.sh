#!/usr/bin/env bash
# The whole test suite from a fresh clone: npm packages, system packages
# (Chromium, tqdm, tmux), the collector, Prometheus, promtool and Alertmanager
# builds at the releases compose pins (each cached by version), typecheck, then
# every vitest project: unit, integration (real collector, Prometheus,
# Alertmanager) and e2e (real Chromium). Prints the time of each step. Fails on
# any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
steps=()
# step <name> <command...>: runs it and records how long it took.
step() {
  local name=$1 t0; shift
  t0=$(date +%s)
  "$@"
  steps+=("$(printf '%-30s %5d s' "$name" $(( $(date +%s) - t0 )))")
  echo "batchtel: $name took $(( $(date +%s) - t0 )) s" >&2
}
step "npm packages" bash scripts/ensure-node-modules.sh
step "system packages" bash scripts/install-system-deps.sh
build_collector() {
  BATCHTEL_OTELCOL="$(bash scripts/build-collector.sh | tail -n 1)"
  export BATCHTEL_OTELCOL
  echo "batchtel: collector at $BATCHTEL_OTELCOL" >&2
}
build_prometheus() {
  local out
  out=$(bash scripts/build-prometheus.sh)
  BATCHTEL_PROMETHEUS_DIR=$(echo "$out" | tail -n 2 | head -n 1)
  BATCHTEL_ALERTMANAGER=$(echo "$out" | tail -n 1)
  export BATCHTEL_PROMETHEUS_DIR BATCHTEL_ALERTMANAGER
  echo "batchtel: Prometheus and promtool in $BATCHTEL_PROMETHEUS_DIR, Alertmanager at $BATCHTEL_ALERTMANAGER" >&2
}
step "collector build" build_collector
step "Prometheus/Alertmanager build" build_prometheus
# Incremental: the build info (under node_modules, gone with a fresh npm ci) makes a warm
# typecheck re-check only what changed and what depends on it. It runs beside lint and the
# API report (all three only read the sources, each keeps its own build info); its output
# follows theirs, and its failure fails the run there.
mkdir -p node_modules/.cache/batchtel
typecheck_out="$(mktemp)"
(
  t0=$(date +%s)
  rc=0
  npx tsc -p tsconfig.json --noEmit --incremental --tsBuildInfoFile node_modules/.cache/batchtel/typecheck.tsbuildinfo || rc=$?
  echo "$(( $(date +%s) - t0 )) $rc" >"$typecheck_out.result"
) >"$typecheck_out" 2>&1 &
typecheck_pid=$!
# A failing lint or API report ends the run once the typecheck beside them is done (seconds).
trap 'wait "$typecheck_pid" || true; rm -f "$typecheck_out" "$typecheck_out.result"' EXIT
# House rules (Biome) and the public API against api-report/ (npm run api:update after an intended change).
step "lint" npm run --silent lint
step "API report" bash scripts/api-report.sh
wait "$typecheck_pid" || true
cat "$typecheck_out" >&2
read -r typecheck_s typecheck_rc <"$typecheck_out.result" || { typecheck_s=0; typecheck_rc=1; }
steps+=("$(printf '%-30s %5d s' "typecheck (beside lint, API)" "$typecheck_s")")
echo "batchtel: typecheck took $typecheck_s s" >&2
if [ "$typecheck_rc" -ne 0 ]; then
  echo "batchtel: typecheck failed (npx tsc -p tsconfig.json --noEmit)" >&2
  exit 1
fi
trap - EXIT
rm -f "$typecheck_out" "$typecheck_out.result"
mkdir -p test-output
rm -f test-output/vitest-*.json
status=0
# Tests put their temporary files under TMPDIR (test/support/tempRoot.ts gives each file its
# own root and removes it): this run's TMPDIR must be empty at the end.
outer_tmp="${TMPDIR:-/tmp}"
run_tmp="$(mktemp -d "$outer_tmp/batchtel-run-XXXXXX")"
export TMPDIR="$run_tmp"
# One project at a time: the real-stack suites should not fight unit tests for two cores.
projects=(unit integration)
[ -d test/e2e ] && projects+=(e2e)
run_project() {
  npx vitest run --project "$1" --reporter=default --reporter=json \
    --outputFile.json="test-output/vitest-$1.json" "${@:2}" || status=1
}
for project in "${projects[@]}"; do
  echo "batchtel: vitest project $project" >&2
  step "vitest $project" run_project "$project" "$@"
done
export TMPDIR="$outer_tmp"
if [ -n "$(ls -A "$run_tmp")" ]; then
  echo "batchtel: the tests left temporary files behind: $(ls -A "$run_tmp" | head -5 | tr '\n' ' ')" >&2
  status=1
fi
rm -rf "$run_tmp"
reports=()
for project in "${projects[@]}"; do reports+=("test-output/vitest-$project.json"); done
node scripts/test-summary.mjs "${reports[@]}" || status=1
echo "batchtel: time per step:" >&2
printf '  %s\n' "${steps[@]}" >&2
echo "batchtel: test suite took $(( $(date +%s) - start )) s" >&2
exit "$status"
