#!/usr/bin/env bash
# `npm run test:reach`: the lab from a client that has no route to it, as with Docker Desktop or a remote engine. The
# client runs in a network namespace of its own (`ip netns`), which reaches the engine through its socket and nothing
# of the lab's subnet; on a stack of its own (reach-e2e-<pid>, lab swarmlab-reach-<pid>, a free 192.168.N.0/24):
#
#   up       npm run up inside the namespace: the nodes are reached through the engine (docker exec of their sshd -i),
#            the host firewall rules go into the engine host's namespace, not the client's
#   suite    the verification suite inside the namespace, under CI=true (nothing pending for want of a route)
#   explain  npm run explain inside the namespace: every step holds
#   ssh      ssh -F <the lab's ssh_config> swarm-worker1 through its ProxyCommand, host key pinned
#   remote   DOCKER_HOST=tcp://127.0.0.1:<port> (a relay to the engine's socket inside the namespace): the doctor reads
#            the engine's machine through a probe, and the suite passes again
#   down     npm run down inside the namespace, then the engine and the host's iptables are asked that nothing is left
#
# Whatever fails, the lab is removed and the namespace deleted. Needs root (ip netns).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/clock.sh
[ "$(id -u)" = 0 ] || { echo "reach-e2e: needs root (ip netns): sudo npm run test:reach" >&2; exit 1; }

. scripts/e2e-lab.sh
e2e_lab reach
ns=swarmlab-client-$$
t_start=$(now_ms)
phase() { echo && echo "== reach-e2e: $1 ($(duration $(( $(now_ms) - t_start ))) so far)"; }
in_ns() { ip netns exec "$ns" "$@"; }

cleanup() {
  local rc=$?
  set +e
  e2e_remove_lab reach-e2e
  ip netns delete "$ns" 2>/dev/null
  [ "$rc" = 0 ] || echo "reach-e2e: FAILED (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT

phase "a client namespace with no route to the lab"
ip netns add "$ns"
in_ns ip link set lo up
bash scripts/setup.sh >/dev/null # the CLI and the passphrase file, before the stack's settings
subnet=$(e2e_subnet)
echo "reach-e2e: stack $SWARMLAB_STACK, lab $lab, subnet $subnet, client namespace $ns"
npx --no-install pulumi stack init "$SWARMLAB_STACK" >/dev/null
npx --no-install pulumi config set --stack "$SWARMLAB_STACK" swarmlab:name "$lab" >/dev/null
npx --no-install pulumi config set --stack "$SWARMLAB_STACK" swarmlab:subnet "$subnet" >/dev/null
manager=${subnet%.0/24}.10
if in_ns bash -c "exec 3<>/dev/tcp/$manager/22" 2>/dev/null; then
  echo "reach-e2e: the namespace reaches $manager: it is no client without a route" >&2
  exit 1
fi

phase "up inside the namespace"
in_ns npm run up | tee "/tmp/$ns-up.log"
grep -q "reached through the Docker engine" "/tmp/$ns-up.log" || { echo "reach-e2e: up did not reach the nodes through the engine" >&2; exit 1; }
grep -q "host firewall rules for the lab in place, through the engine" "/tmp/$ns-up.log" ||
  { echo "reach-e2e: the host firewall rules were not made in the engine host's namespace" >&2; exit 1; }
iptables -w -S INPUT | grep -q "swarmlab.lab=$lab," || { echo "reach-e2e: the host has no INPUT rule of $lab" >&2; exit 1; }

phase "the verification suite inside the namespace"
in_ns env CI=true npx --no-install mocha --timeout 600000 --require test/e2e/exit-guard.ts --grep lifecycle --invert test/e2e/lab.test.ts

phase "npm run explain inside the namespace"
in_ns npm run explain | tail -3 | tee "/tmp/$ns-explain.log"
grep -q "every step holds on this lab" "/tmp/$ns-explain.log" || { echo "reach-e2e: explain found a step that does not hold" >&2; exit 1; }

phase "ssh -F inside the namespace"
[ "$(in_ns ssh -F ".swarmlab/$lab/ssh_config" swarm-worker1 hostname)" = swarm-worker1 ]

# A teacher's remote engine, stood for by a TCP relay on the namespace's own loopback to the engine's socket: no
# unix socket is used, so the engine counts as another machine, read through a probe container.
phase "a remote engine (DOCKER_HOST=tcp://127.0.0.1, a relay inside the namespace)"
port=$(( 20000 + $$ % 20000 ))
ip netns exec "$ns" node -e 'const net = require("net");
net.createServer((c) => { const u = net.connect("/var/run/docker.sock"); c.pipe(u).pipe(c);
  u.on("error", () => c.destroy()); c.on("error", () => u.destroy()); }).listen(Number(process.argv[1]), "127.0.0.1");' "$port" &
relay=$! # ip netns exec execs node: killing it stops the relay
trap 'rc=$?; kill $relay 2>/dev/null || true; (exit $rc); cleanup' EXIT
remote() { in_ns env DOCKER_HOST="tcp://127.0.0.1:$port" "$@"; }
for _ in $(seq 50); do remote docker version >/dev/null 2>&1 && break; sleep 0.1; done
remote node scripts/compiled.js scripts/doctor.ts | tee "/tmp/$ns-doctor.log" || true
grep -q "kernel of the engine's machine" "/tmp/$ns-doctor.log" || { echo "reach-e2e: the doctor did not read the engine's machine" >&2; exit 1; }
remote env CI=true npx --no-install mocha --timeout 600000 --require test/e2e/exit-guard.ts --grep lifecycle --invert test/e2e/lab.test.ts
kill $relay 2>/dev/null || true

phase "down inside the namespace"
in_ns npm run down
downed=1
left=$(docker ps -aq --filter "label=swarmlab.lab=$lab"; docker network ls -q --filter "label=swarmlab.lab=$lab"; docker volume ls -q --filter "label=swarmlab.lab=$lab")
[ -z "$left" ] || { echo "reach-e2e: left of $lab: $left" >&2; exit 1; }
if iptables -w -S | grep -q "swarmlab.lab=$lab,"; then echo "reach-e2e: firewall rules of $lab are left" >&2; exit 1; fi
echo "reach-e2e: passed in $(duration $(( $(now_ms) - t_start )))"
