#!/usr/bin/env bash
# System packages the test suite and benchmarks use, from Debian. Idempotent:
# apt runs only when something is missing, and `apt-get update` once.
set -euo pipefail
need=()
command -v tmux >/dev/null 2>&1 || need+=(tmux)
/usr/bin/python3 -c 'import tqdm' >/dev/null 2>&1 || need+=(python3-tqdm)
if [ "${#need[@]}" -gt 0 ]; then
  echo "batchtel: installing ${need[*]} (apt)" >&2
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
