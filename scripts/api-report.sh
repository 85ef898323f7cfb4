#!/usr/bin/env bash
# The public API of each package entry, as API Extractor reports it, against
# the committed api-report/*.api.md. Fails when the surface changed unnoticed;
# `npm run api:update` (this script with --update) rewrites the reports.
set -euo pipefail
cd "$(dirname "$0")/.."
temp=.api-report-temp
# The declarations API Extractor reads, emitted incrementally: the folder (gitignored) and its
# build info are kept between runs, so an unchanged source tree costs no new emit.
emit() {
  npx tsc -p tsconfig.build.json --emitDeclarationOnly --declaration --declarationMap false --sourceMap false \
    --outDir "$temp/dts" --incremental --tsBuildInfoFile "$temp/dts.tsbuildinfo"
}
emit
# Declarations removed by hand under a kept build info would not be emitted again: start over.
for entry in $(sed -n 's|.*"mainEntryPointFilePath": "<projectFolder>/\(.*\)".*|\1|p' api-report/*.json); do
  [ -f "$entry" ] || { rm -rf "$temp"; emit; break; }
done
if ! node scripts/api-report.mjs "$@"; then
  echo "batchtel: the public API changed; if that is intended, run npm run api:update and commit api-report/" >&2
  exit 1
fi
