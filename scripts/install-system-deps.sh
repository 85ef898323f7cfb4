#!/usr/bin/env bash
# System packages the test suite and benchmarks use, from Debian: Prometheus
# and promtool, Alertmanager, Chromium (the board's browser test), tmux (the
# terminal test), Redis (distributed runs on BullMQ), tqdm (the per-item benchmark's comparison). Idempotent: apt
# runs only when something is missing, with one `apt-get update`. Installing
# prometheus starts no daemon here (no init system); the tests start their own
# processes on loopback with their own data directories.
set -euo pipefail
need=()
command -v tmux >/dev/null 2>&1 || need+=(tmux)
# batchtel/bullmq's tests start their own throwaway Redis on a Unix socket.
command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || need+=(redis-server)
/usr/bin/python3 -c 'import tqdm' >/dev/null 2>&1 || need+=(python3-tqdm)
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Compose v1 validates docker-compose.yml offline (`config`); no Docker engine is needed or used.
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
if [ "${#need[@]}" -gt 0 ]; then
  echo "batchtel: installing ${need[*]} (apt)" >&2
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's package starts Prometheus under systemd where there is one; the tests need the ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  echo "batchtel: note: a system Prometheus is running; the tests use their own ports (19090+)" >&2
fi
