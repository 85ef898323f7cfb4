#!/usr/bin/env bash
# Installs npm packages from the lockfile when node_modules is missing or older than it.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "batchtel: installing npm packages from the lockfile (npm ci)" >&2
  # `npm ci`: exactly the lockfile, never rewriting it, so a run leaves `git status` clean.
  # The lockfile carries every platform's optional packages (it was generated without a
  # node_modules folder); regenerate it the same way: rm -rf node_modules package-lock.json && npm install.
  npm ci --no-audit --no-fund --loglevel=error
fi
