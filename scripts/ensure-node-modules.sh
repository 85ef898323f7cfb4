#!/usr/bin/env bash
# Installs npm packages from the lockfile when node_modules is missing or was installed from
# another lockfile. Compared by content, not by time: a checkout or merge that rewrites an
# unchanged lockfile costs no reinstall.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
installed_from=node_modules/.batchtel-lockfile.sha256
lockfile_hash=$(sha256sum package-lock.json | cut -d ' ' -f 1)
if [ -f "$stamp" ] && [ -f "$installed_from" ] && [ "$(cat "$installed_from")" = "$lockfile_hash" ]; then
  exit 0
fi
# Installed before the hash was recorded, and not older than the lockfile: record it.
if [ -f "$stamp" ] && [ ! -f "$installed_from" ] && [ ! package-lock.json -nt "$stamp" ]; then
  echo "$lockfile_hash" >"$installed_from"
  exit 0
fi
echo "batchtel: installing npm packages from the lockfile (npm ci)" >&2
# `npm ci`: exactly the lockfile, never rewriting it, so a run leaves `git status` clean.
# The lockfile carries every platform's optional packages (it was generated without a
# node_modules folder); regenerate it the same way: rm -rf node_modules package-lock.json && npm install.
npm ci --no-audit --no-fund --loglevel=error
echo "$lockfile_hash" >"$installed_from"
