#!/usr/bin/env bash
# Installs npm packages from the lockfile when node_modules is missing or older than it.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "batchtel: installing npm packages from the lockfile" >&2
  # `npm install`, not `npm ci`: npm 11 records only this platform's optional
  # packages (rollup's) in the lockfile, which its own `ci` then rejects.
  npm install --no-audit --no-fund --loglevel=error
fi
