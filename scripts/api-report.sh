#!/usr/bin/env bash
# The public API of each package entry, as API Extractor reports it, against
# the committed api-report/*.api.md. Fails when the surface changed unnoticed;
# `npm run api:update` (this script with --update) rewrites the reports.
set -euo pipefail
cd "$(dirname "$0")/.."
temp=.api-report-temp
rm -rf "$temp"
npx tsc -p tsconfig.build.json --emitDeclarationOnly --declaration --declarationMap false --sourceMap false --outDir "$temp/dts"
local_flag=()
[ "${1:-}" = "--update" ] && local_flag=(--local)
status=0
for config in api-report/*.json; do
  case "$config" in *api-extractor.base.json) continue ;; esac
  npx api-extractor run "${local_flag[@]}" --config "$config" >"$temp/$(basename "$config" .json).log" 2>&1 || {
    status=1
    cat "$temp/$(basename "$config" .json).log" >&2
  }
done
[ "$status" -eq 0 ] && rm -rf "$temp"
[ "$status" -eq 0 ] || echo "batchtel: the public API changed; if that is intended, run npm run api:update and commit api-report/" >&2
exit "$status"
