#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine: install docker.io and start dockerd if needed.
# Idempotent: does nothing when `docker info` already answers.
set -euo pipefail

LOG=/var/log/swarmlab-dockerd.log
WAIT_S=60

# --quick (npm run up): one question, and nothing said when the engine answers.
if [ "${1:-}" = --quick ] && docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then exit 0; fi
if docker info >/dev/null 2>&1; then
  echo "docker-engine: engine already running ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"
  exit 0
fi

# A DOCKER_HOST the user set names the engine every command asks: when it does not answer, starting this machine's
# dockerd would not make it answer. Said in lab/env.ts's words (dockerHostUnanswered). Only the local socket's own
# address is this machine's engine, which the rest of this script starts.
if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
  # shellcheck source=scripts/env.sh
  . "$(dirname "${BASH_SOURCE[0]}")/env.sh"
  # docker's first line, without its question (the answer is no) and final full stop
  reason=$(docker info --format '{{.ServerVersion}}' 2>&1 >/dev/null | grep -m 1 . |
    sed -e 's/ Is the docker daemon running?$//' -e 's/\.$//' | cut -c1-200 || true)
  fix="unset DOCKER_HOST to use this machine's engine (bash scripts/docker-engine.sh starts it)"
  env_refuse docker-engine DOCKER_HOST "no Docker engine answers there (${reason:-docker info failed})" \
    "$fix, or start the engine at $DOCKER_HOST"
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

# The host's dockerd is the one in /var/run/docker.pid: pgrep would also see the nested dockerds of lab nodes.
pidfile=/var/run/docker.pid
host_dockerd_alive() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

last_start=0
start_dockerd() {
  rm -f "$pidfile" # stale: a dockerd killed hard (a session ending) leaves it behind
  last_start=$(date +%s)
  echo "docker-engine: starting dockerd (log: $LOG)"
  # setsid + nohup: dockerd must outlive this script and its session.
  setsid nohup dockerd >>"$LOG" 2>&1 </dev/null &
}

if host_dockerd_alive; then
  echo "docker-engine: dockerd is running but not answering yet; waiting"
else
  start_dockerd
fi

start=$(date +%s.%N)
deadline=$(( $(date +%s) + WAIT_S ))
until docker info >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "docker-engine: dockerd did not answer within ${WAIT_S}s; last lines of $LOG:" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  sleep 0.5
  # A dockerd that was still shutting down when we looked, or that died at start: (re)start it, but give a
  # starting one 10 s to write its pid file first.
  if ! host_dockerd_alive && [ $(( $(date +%s) - last_start )) -ge 10 ]; then start_dockerd; fi
done
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
echo "docker-engine: engine up after ${elapsed}s ($(docker info --format '{{.ServerVersion}}'))"
