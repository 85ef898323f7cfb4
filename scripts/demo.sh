#!/usr/bin/env bash
# `npm run demo` from a fresh clone: installs npm packages if needed, then runs
# `batchtel demo` (board URL and token printed; Ctrl-C stops; --duration <s>).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-modules.sh
# The build, when it is newer than every source file; else the sources through tsx.
if [ -f dist/cli/batchtel.js ] && [ -z "$(find src -newer dist/cli/batchtel.js -print -quit)" ]; then
  exec node dist/cli/batchtel.js demo "$@"
fi
exec npx tsx src/cli/batchtel.ts demo "$@"
