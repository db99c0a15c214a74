#!/usr/bin/env bash
# baseline.sh — the swarmlab lab made by plain docker commands, as fast as plain docker can do it: the yardstick
# scripts/bench.ts compares `npm run up` against, at the lab's default size or any other.
#
#   bash scripts/baseline.sh up   <lab-name> <subnet-prefix> [workers, default 2] [managers, default 1]
#   bash scripts/baseline.sh down <lab-name> <subnet-prefix>
#   e.g. up swarmlab-base 192.168.61 10 3
#
# Same images (swarmlab-node:latest, busybox:latest — both must already be built locally; nothing is pulled) and
# the same node-container flags as the docker backend (lab/backends/docker/node.ts, upstream.ts, network.ts,
# firewall.ts): an --internal bridge network with static addresses (.10 the first manager, workers from .11 on,
# further managers below .10: .9, .8, …; .254 upstream), the DOCKER-USER egress guard, SYS_ADMIN and NET_ADMIN on
# top of Docker's default capabilities, seccomp/apparmor unconfined, a cgroup namespace of its own (the node's
# entrypoint makes its cgroup mounts writable), --init, a volume on /var/lib/docker, tmpfs /run and /tmp.
# The service: mynet, `test` with 2 replicas (1 with one worker) on distinct workers, as the lab's default.
#
# Differences on purpose: nodes are reached with `docker exec`, not over SSH (no keys, no sshd handshake, no Engine
# API tunnel), and further managers join one at a time (Swarm's advice: each join is a Raft membership change),
# workers all at once. That is fine for a baseline — it is the lower bound plain docker gives on this machine —
# but it means swarmlab does strictly more work (SSH, per-node host keys, Pulumi state) than this script.
#
# Everything carries the label swarmlab.lab=<lab-name>; `down` finds containers, volumes and the network by it.
set -euo pipefail

usage() { echo "usage: $0 up|down <lab-name> <subnet-prefix, e.g. 192.168.61> [workers 1-20] [managers 1|3|5]" >&2; exit 2; }
[ $# -ge 3 ] && [ $# -le 5 ] || usage
CMD=$1 LAB=$2 PREFIX=$3 NWORKERS=${4:-2} NMANAGERS=${5:-1}
[[ $LAB =~ ^[a-z][a-z0-9-]{0,39}$ ]] || { echo "baseline: bad lab name '$LAB'" >&2; exit 2; }
[[ $PREFIX =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || { echo "baseline: bad subnet prefix '$PREFIX'" >&2; exit 2; }
[[ $NWORKERS =~ ^([1-9]|1[0-9]|20)$ ]] || { echo "baseline: workers must be 1 to 20, not '$NWORKERS'" >&2; exit 2; }
[[ $NMANAGERS =~ ^[135]$ ]] || { echo "baseline: managers must be 1, 3 or 5, not '$NMANAGERS'" >&2; exit 2; }

LABEL="swarmlab.lab=$LAB"
NET="$LAB-net"
SUBNET="$PREFIX.0/24"
NODE_IMAGE=swarmlab-node:latest
TASK_IMAGE=busybox:latest
MANAGER=swarm-manager
declare -A ADDR=([$MANAGER]="$PREFIX.10")
MORE_MANAGERS=() WORKERS=()
for ((i = 2; i <= NMANAGERS; i++)); do MORE_MANAGERS+=("swarm-manager$i"); ADDR[swarm-manager$i]="$PREFIX.$((11 - i))"; done
for ((i = 1; i <= NWORKERS; i++)); do WORKERS+=("swarm-worker$i"); ADDR[swarm-worker$i]="$PREFIX.$((10 + i))"; done
NODES=("$MANAGER" "${MORE_MANAGERS[@]}" "${WORKERS[@]}")
REPLICAS=$((NWORKERS < 2 ? NWORKERS : 2))
UPSTREAM_ADDR="$PREFIX.254"
GUARD=(-s "$SUBNET" ! -d "$SUBNET" -m comment --comment "$LABEL" -j DROP)

cname() { echo "$LAB-$1"; }
log() { printf 'baseline: %s\n' "$*" >&2; }
in_node() { local n=$1; shift; docker exec "$(cname "$n")" "$@"; }

# Runs "$@" in the background for each node name given before "--"; fails if any of them fails.
parallel() {
  local names=() pids=() rc=0
  while [ "$1" != "--" ]; do names+=("$1"); shift; done
  shift
  for n in "${names[@]}"; do "$@" "$n" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return $rc
}

start_node() {
  local n=$1
  docker volume create --label "$LABEL" --label "swarmlab.node=$n" "$(cname "$n")-docker" >/dev/null
  docker run -d --name "$(cname "$n")" --hostname "$n" \
    --label "$LABEL" --label "swarmlab.node=$n" --label "swarmlab.role=$([[ $n = swarm-manager* ]] && echo manager || echo worker)" \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --cgroupns private --init \
    --mount "type=volume,src=$(cname "$n")-docker,dst=/var/lib/docker" \
    --tmpfs /run --tmpfs /tmp \
    --network "$NET" --ip "${ADDR[$n]}" \
    --restart no \
    "$NODE_IMAGE" >/dev/null
}

wait_engine() {
  local n=$1 i
  for i in $(seq 1 600); do
    in_node "$n" docker info >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "$n: inner dockerd did not answer within 60 s"; return 1
}

load_image() { docker exec -i "$(cname "$1")" docker load <"$IMAGE_TAR" >/dev/null; }

join_node() {
  in_node "$1" docker swarm join --token "$2" --advertise-addr "${ADDR[$1]}" --listen-addr 0.0.0.0:2377 \
    "${ADDR[$MANAGER]}:2377" >/dev/null
}
join_worker() { join_node "$1" "$TOKEN"; }

# Any node but the first manager: engine up, busybox loaded, then (once the manager has a token) joined.
prepare_node() { wait_engine "$1" && load_image "$1"; }

up() {
  docker image inspect "$NODE_IMAGE" "$TASK_IMAGE" >/dev/null \
    || { log "$NODE_IMAGE and $TASK_IMAGE must be built locally first (npm run up builds them)"; exit 1; }
  docker network create --internal --driver bridge --subnet "$SUBNET" --gateway "$PREFIX.1" --label "$LABEL" "$NET" >/dev/null
  # second guard: nothing from the lab subnet leaves it (as lab/backends/host/firewall.ts does)
  iptables -w -C DOCKER-USER "${GUARD[@]}" 2>/dev/null || iptables -w -I DOCKER-USER "${GUARD[@]}"

  IMAGE_TAR=$(mktemp /tmp/baseline-busybox.XXXXXX.tar)
  trap 'rm -f "$IMAGE_TAR"' EXIT
  docker save "$TASK_IMAGE" >"$IMAGE_TAR" &
  local save=$!

  docker run -d --name "$(cname upstream)" --hostname upstream \
    --label "$LABEL" --label swarmlab.node=upstream --label swarmlab.role=upstream \
    --init --network "$NET" --ip "$UPSTREAM_ADDR" \
    "$TASK_IMAGE" tcpsvd 0.0.0.0 7777 sh -c 'echo "$TCPREMOTEIP"' >/dev/null &
  local upstream=$!
  parallel "${NODES[@]}" -- start_node
  wait "$upstream"
  wait "$save"
  log "network $SUBNET, ${#NODES[@]} nodes and upstream started"

  # First manager: engine, image, swarm init — while the others wait for their engines and load the image.
  parallel "${MORE_MANAGERS[@]}" "${WORKERS[@]}" -- prepare_node &
  local others=$!
  wait_engine "$MANAGER"
  load_image "$MANAGER"
  in_node "$MANAGER" docker swarm init --advertise-addr "${ADDR[$MANAGER]}" --listen-addr 0.0.0.0:2377 >/dev/null
  TOKEN=$(in_node "$MANAGER" docker swarm join-token -q worker)
  local manager_token m
  manager_token=$(in_node "$MANAGER" docker swarm join-token -q manager)
  wait "$others"
  for m in "${MORE_MANAGERS[@]}"; do join_node "$m" "$manager_token"; done
  parallel "${WORKERS[@]}" -- join_worker
  log "swarm: $NMANAGERS manager(s) from ${ADDR[$MANAGER]}, $NWORKERS worker(s) joined"

  in_node "$MANAGER" docker network create -d overlay mynet >/dev/null
  in_node "$MANAGER" docker service create -d --no-resolve-image --network mynet --name test --replicas "$REPLICAS" \
    --replicas-max-per-node 1 --constraint node.role==worker "$TASK_IMAGE" ping "$UPSTREAM_ADDR" >/dev/null

  local i running
  for i in $(seq 1 1200); do
    running=$(in_node "$MANAGER" docker service ps test --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running' || true)
    [ "$running" -ge "$REPLICAS" ] && { log "service test: $REPLICAS task(s) Running"; return 0; }
    sleep 0.1
  done
  log "service test: tasks not Running within 120 s"
  in_node "$MANAGER" docker service ps --no-trunc test >&2 || true
  exit 1
}

down() {
  local ids
  ids=$(docker ps -aq --filter "label=$LABEL")
  [ -z "$ids" ] || docker rm -f -v $ids >/dev/null
  ids=$(docker volume ls -q --filter "label=$LABEL")
  [ -z "$ids" ] || docker volume rm $ids >/dev/null
  ids=$(docker network ls -q --filter "label=$LABEL")
  [ -z "$ids" ] || docker network rm $ids >/dev/null
  while iptables -w -C DOCKER-USER "${GUARD[@]}" 2>/dev/null; do iptables -w -D DOCKER-USER "${GUARD[@]}"; done
  log "lab $LAB removed (containers, volumes, network, egress guard)"
}

case $CMD in
  up) up ;;
  down) down ;;
  *) usage ;;
esac
