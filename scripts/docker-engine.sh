#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine: install docker.io and start dockerd if needed.
# Idempotent: does nothing when `docker info` already answers.
set -euo pipefail

LOG=/var/log/swarmlab-dockerd.log
WAIT_S=60

if docker info >/dev/null 2>&1; then
  echo "docker-engine: engine already running ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "docker-engine: no Docker engine answers and this script is not root." >&2
  echo "  Start Docker yourself (e.g. 'sudo systemctl start docker' or Docker Desktop)," >&2
  echo "  make sure your user may use it ('docker info' must work), or rerun this script as root." >&2
  exit 1
fi
if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "docker-engine: no Docker engine answers and this is not a Debian-like machine." >&2
  echo "  Install and start Docker Engine for your OS (https://docs.docker.com/engine/install/)," >&2
  echo "  then check that 'docker info' works." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! command -v dockerd >/dev/null 2>&1; then
  echo "docker-engine: installing docker.io"
  if ! apt-get install -y -q docker.io; then
    apt-get update -q
    apt-get install -y -q docker.io
  fi
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  # Started but not answering yet (or by someone else): just wait for it.
  echo "docker-engine: dockerd is running but not answering yet; waiting"
else
  # A dockerd killed hard (a machine's session ending) leaves its pid file behind.
  pidfile=/var/run/docker.pid
  if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "docker-engine: removing stale $pidfile"
    rm -f "$pidfile"
  fi
  echo "docker-engine: starting dockerd (log: $LOG)"
  # setsid + nohup: dockerd must outlive this script and its session.
  setsid nohup dockerd >>"$LOG" 2>&1 </dev/null &
fi

start=$(date +%s.%N)
deadline=$(( $(date +%s) + WAIT_S ))
until docker info >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "docker-engine: dockerd did not answer within ${WAIT_S}s; last lines of $LOG:" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  sleep 0.2
done
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
echo "docker-engine: engine up after ${elapsed}s ($(docker info --format '{{.ServerVersion}}'))"
