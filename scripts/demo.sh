#!/usr/bin/env bash
# `npm run demo` from a fresh clone: installs npm packages if needed, then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-modules.sh
exec npx tsx examples/demo.ts "$@"
