#!/usr/bin/env bash
# System packages the test suite and benchmarks use, from Debian: Chromium (the
# board's browser test), tmux (the terminal test), Redis (distributed runs on
# BullMQ), tqdm (the per-item benchmark's comparison). Idempotent: apt runs only
# when something is missing, with one `apt-get update`. Debian's Prometheus (2.x)
# is not used: the tests run compose's Prometheus 3 release, built from its Go
# module. Go itself is not installed here: Debian 12's golang-go is 1.19, older
# than the 1.21 the build scripts need to fetch newer toolchains (scripts/lib/go.sh).
set -euo pipefail
need=()
command -v tmux >/dev/null 2>&1 || need+=(tmux)
# batchtel/bullmq's tests start their own throwaway Redis on a Unix socket.
command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || need+=(redis-server)
/usr/bin/python3 -c 'import tqdm' >/dev/null 2>&1 || need+=(python3-tqdm)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Compose v1 validates docker-compose.yml offline (`config`); no Docker engine is needed or used.
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
if [ "${#need[@]}" -gt 0 ]; then
  echo "batchtel: installing ${need[*]} (apt)" >&2
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
