#!/usr/bin/env bash
# `npm run test:ssh`: the ssh backend end to end, on "hosts you already have" that this script makes itself with plain
# `docker run` (no swarmlab code): containers of the node image (images/node, built by setup) on a network of their
# own with no route off this machine, each with sshd, its own Docker, user vagrant with a key of the harness's own
# (not the lab's) and a bystander container of its own; plus a host without Docker and one whose firewall drops the
# overlay's VXLAN port (4789/udp) from the other hosts. swarm-worker2 is reached only through a jump host (a sixth
# container, sshd alone): its firewall drops SSH from this machine (the network's gateway), so every session of the
# lab's, and ssh -F with the lab's ssh_config, goes through the jump host. On a stack of its own (ssh-e2e-<pid>):
#
#   refused   up and npx pulumi preview on the bad hosts: the doctor's refusals, their words asserted
#   up        npm run up on the three hosts; its output is kept in /tmp/<lab>-up.log
#   suite     the verification suite (test/e2e/lab.test.ts, its lifecycle group with SSH_E2E_LIFECYCLE=1) under CI=true
#             against that lab, then npm run explain
#   key       one host's SSH host key made anew: up refused, naming the recorded and the offered fingerprints; restored
#   down      npm run down; then each host is asked: Docker running, the bystander untouched, no swarm, no lab key line,
#             no container of the lab, the harness's key still there (on the jump host too, without the lab's line);
#             and nothing of the lab is left in the project
#
# Whatever fails, the lab is removed and the hosts with their network. SSH_E2E_NET (default 192.168.123.0/24) is the
# hosts' network.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/clock.sh
. scripts/e2e-lab.sh
e2e_lab ssh
net_cidr=${SSH_E2E_NET:-192.168.123.0/24}
prefix=${net_cidr%.0/24}
net=swarmlab-hosts-$$
dir=$(mktemp -d)
hosts=(swarm-manager swarm-worker1 swarm-worker2)
jumped=swarm-worker2 # reached through swarm-jump only
t_start=$(now_ms)
phase() { echo && echo "== ssh-e2e: $1 ($(duration $(( $(now_ms) - t_start ))) so far)"; }
fail() { echo "ssh-e2e: $*" >&2; exit 1; }
host_of() { echo "$net-$1"; }
on() { local h=$1; shift; docker exec "$(host_of "$h")" "$@"; }

# The hosts' keys pinned by the lab: the next run's hosts take the same addresses with keys of their own.
forget_host_keys() {
  for a in 10 11 12 20 21 30; do ssh-keygen -R "$prefix.$a" -f .swarmlab/known_hosts >/dev/null 2>&1 || true; done
  rm -f .swarmlab/known_hosts.old
}

cleanup() {
  local rc=$?
  set +e
  e2e_remove_lab ssh-e2e
  docker rm -f $(docker ps -aq --filter "label=swarmlab-e2e.net=$net") >/dev/null 2>&1
  docker volume rm $(docker volume ls -q --filter "label=swarmlab-e2e.net=$net") >/dev/null 2>&1
  docker network rm "$net" >/dev/null 2>&1
  rm -rf "$dir"
  forget_host_keys
  [ "$rc" = 0 ] || echo "ssh-e2e: FAILED (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT

# A host as the docker backend runs a node (lab/backends/docker/node.ts: the same flags, each said there), but
# labelled as the harness's, with the harness's key for vagrant and sshd's host key made by the entrypoint.
# start_host <name> <address> [docker run flags…] [-- command…]
start_host() {
  local name=$1 address=$2 flags=(); shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do flags+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  docker volume create --label "swarmlab-e2e.net=$net" "$(host_of "$name")" >/dev/null
  docker run -d --name "$(host_of "$name")" --hostname "$name" --label "swarmlab-e2e.net=$net" \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --cgroupns private --init --tmpfs /run --tmpfs /tmp -v "$(host_of "$name"):/var/lib/docker" \
    -v "$dir/harness.pub:/etc/swarmlab/authorized_keys:ro" \
    --network "$net" --ip "$address" "${flags[@]}" swarmlab-node "$@" >/dev/null
}

hosts_json() { # name:address … → swarmlab:hosts, the harness's key for each ($jumped through the jump host)
  local out="" first=1 role jump
  for h in "$@"; do
    role=worker
    [ "$first" = 1 ] && role=manager
    jump=""
    [ "${h%%:*}" = "$jumped" ] && jump=",\"jump\":\"vagrant@$prefix.30\""
    out+="${out:+,}{\"name\":\"${h%%:*}\",\"address\":\"${h#*:}\",\"role\":\"$role\",\"user\":\"vagrant\",\"key\":\"$dir/harness\"$jump}"
    first=0
  done
  echo "[$out]"
}

phase "three hosts with Docker (one behind a jump host), one without, one with 4789/udp dropped"
forget_host_keys
bash scripts/setup.sh >/dev/null # the node image, the CLI and the passphrase file
docker image inspect swarmlab-node >/dev/null 2>&1 || npm run --silent images
ssh-keygen -q -t ed25519 -N '' -C ssh-e2e-harness -f "$dir/harness"
chmod 644 "$dir/harness.pub"
docker network create --internal --subnet "$net_cidr" --label "swarmlab-e2e.net=$net" "$net" >/dev/null
for i in 0 1 2; do start_host "${hosts[$i]}" "$prefix.$((10 + i))"; done
sshd_only='ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key
  install -m 0600 -o vagrant -g vagrant /etc/swarmlab/authorized_keys /home/vagrant/.ssh/authorized_keys
  rm -f "$(command -v docker)" "$(command -v dockerd)"; mkdir -p /run/sshd; exec /usr/sbin/sshd -D -e'
start_host swarm-worker3 "$prefix.20" --entrypoint sh -- -c "$sshd_only"
start_host swarm-worker4 "$prefix.21"
start_host swarm-jump "$prefix.30" --entrypoint sh -- -c "$sshd_only"
for h in "${hosts[@]}" swarm-worker4; do
  for _ in $(seq 100); do on "$h" docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker save busybox:latest | docker exec -i "$(host_of "$h")" docker load -q >/dev/null
  on "$h" docker run -d --name bystander busybox:latest sleep 86400 >/dev/null
done
on swarm-worker4 iptables -I INPUT -p udp --dport 4789 -j DROP
for a in 10 11 12 20 21 30; do
  for _ in $(seq 100); do bash -c "exec 3<>/dev/tcp/$prefix.$a/22" 2>/dev/null && break; sleep 0.1; done
done
# this machine reaches the hosts' network from its gateway: SSH from there to $jumped is dropped, from the jump host not
on "$jumped" iptables -I INPUT -p tcp --dport 22 -s "$prefix.1" -j DROP
if timeout 3 bash -c "exec 3<>/dev/tcp/$prefix.12/22" 2>/dev/null; then fail "$jumped's SSH is reachable from this machine"; fi

subnet=$(e2e_subnet)
echo "ssh-e2e: stack $SWARMLAB_STACK, lab $lab, subnet setting $subnet, hosts on $net_cidr ($net)"
npx --no-install pulumi stack init "$SWARMLAB_STACK" >/dev/null
set_config() { npx --no-install pulumi config set --stack "$SWARMLAB_STACK" "swarmlab:$1" "$2" >/dev/null; }
set_config name "$lab"
set_config subnet "$subnet"
set_config backend ssh

phase "up and preview refused on a host without Docker and one with 4789/udp dropped"
set_config hosts "$(hosts_json "swarm-manager:$prefix.10" "swarm-worker1:$prefix.11" "swarm-worker3:$prefix.20" "swarm-worker4:$prefix.21")"
if npm run up >"$dir/refused.log" 2>&1; then cat "$dir/refused.log"; fail "up went on with a host without Docker"; fi
cp "$dir/refused.log" "/tmp/$lab-refused.log"
grep -E "blocker|Docker|4789|swarm port" "$dir/refused.log" || true
grep -q "Docker swarm-worker3.*not installed" "$dir/refused.log" || fail "up did not say swarm-worker3 has no Docker"
grep -q "swarm port 4789/udp.*→ swarm-worker4: no word back" "$dir/refused.log" || fail "up did not say 4789/udp to swarm-worker4 is dropped"
if grep -q "swarm port .*→ swarm-\(manager\|worker1\)" "$dir/refused.log"; then fail "a port between good hosts was judged closed"; fi
if npx --no-install pulumi preview --stack "$SWARMLAB_STACK" --non-interactive >"$dir/preview.log" 2>&1; then fail "preview passed on a host without Docker"; fi
grep -q "Docker swarm-worker3: not installed" "$dir/preview.log" || { cat "$dir/preview.log"; fail "preview did not say swarm-worker3 has no Docker"; }
for h in swarm-manager swarm-worker1 swarm-worker4; do
  if on "$h" grep -q swarmlab: /home/vagrant/.ssh/authorized_keys; then fail "the refused up authorised the lab's key on $h"; fi
done

phase "up on the three hosts"
set_config hosts "$(hosts_json "swarm-manager:$prefix.10" "swarm-worker1:$prefix.11" "swarm-worker2:$prefix.12")"
npm run up 2>&1 | tee "/tmp/$lab-up.log"
for i in 0 1 2; do # pinned at first contact (the refused up's doctor) as each host's own key
  key=$(on "${hosts[$i]}" cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)
  grep -qxF "$prefix.$((10 + i)) $key" .swarmlab/known_hosts || fail "${hosts[$i]}'s host key is not pinned in .swarmlab/known_hosts"
done
key=$(on swarm-jump cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)
grep -qxF "$prefix.30 $key" .swarmlab/known_hosts || fail "the jump host's key is not pinned in .swarmlab/known_hosts"
on swarm-jump grep -q "swarmlab:lab=$lab:" /home/vagrant/.ssh/authorized_keys || fail "the lab's key is not authorised on the jump host"
[ "$(ssh -F ".swarmlab/$lab/ssh_config" -o BatchMode=yes "$jumped" hostname)" = "$jumped" ] ||
  fail "ssh -F .swarmlab/$lab/ssh_config $jumped does not reach it through the jump host"

phase "the verification suite (CI=true)"
# The lifecycle group (a second up's preview, a copy of the project, other stacks) takes minutes of Pulumi previews:
# SSH_E2E_LIFECYCLE=1 runs it too (it passes on this lab: docs/ssh-hosts.md).
lifecycle=(--grep lifecycle --invert)
[ "${SSH_E2E_LIFECYCLE:-0}" = 1 ] && lifecycle=()
CI=true npx --no-install mocha --timeout 600000 --require test/e2e/exit-guard.ts "${lifecycle[@]}" test/e2e/lab.test.ts

phase "npm run explain"
npm run explain | tail -3 | tee "$dir/explain.log"
grep -q "every step holds on this lab" "$dir/explain.log" || fail "explain found a step that does not hold"

phase "swarm-worker1's host key made anew: up refused with both fingerprints"
on swarm-worker1 cp /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.harness
on swarm-worker1 sh -c 'rm -f /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub &&
  ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key && kill -HUP "$(cat /run/sshd.pid)"'
sleep 1
if npm run up >"$dir/changed.log" 2>&1; then cat "$dir/changed.log"; fail "up went on with a changed host key"; fi
cp "$dir/changed.log" "/tmp/$lab-changed-key.log"
grep "SSH swarm-worker1" -A2 "$dir/changed.log"
grep -q "recorded SHA256:.*offered SHA256:" "$dir/changed.log" || fail "up did not name both fingerprints"
on swarm-worker1 sh -c 'mv /etc/ssh/ssh_host_ed25519_key.harness /etc/ssh/ssh_host_ed25519_key &&
  ssh-keygen -y -f /etc/ssh/ssh_host_ed25519_key > /etc/ssh/ssh_host_ed25519_key.pub && kill -HUP "$(cat /run/sshd.pid)"'
sleep 1

phase "down: Docker, the bystanders and the harness's key stay; nothing of the lab does"
npm run down
downed=1
for h in "${hosts[@]}"; do
  on "$h" docker info >/dev/null || fail "$h: Docker does not answer after down"
  [ "$(on "$h" docker inspect -f '{{.State.Running}}' bystander)" = true ] || fail "$h: the bystander is not running"
  on "$h" docker image inspect busybox:latest >/dev/null || fail "$h: busybox's image is gone"
  [ "$(on "$h" docker info -f '{{.Swarm.LocalNodeState}}')" = inactive ] || fail "$h: still in a swarm"
  [ -z "$(on "$h" docker ps -aq --filter label=swarmlab.lab)" ] || fail "$h: a container of the lab is left"
  [ -z "$(on "$h" docker network ls -q --filter label=swarmlab.lab)" ] || fail "$h: a network of the lab is left"
  if on "$h" grep -q "swarmlab:lab=" /home/vagrant/.ssh/authorized_keys; then fail "$h: the lab's key line is left"; fi
  on "$h" grep -q ssh-e2e-harness /home/vagrant/.ssh/authorized_keys || fail "$h: the harness's own key is gone"
done
if on swarm-jump grep -q "swarmlab:lab=" /home/vagrant/.ssh/authorized_keys; then fail "the jump host keeps the lab's key line"; fi
on swarm-jump grep -q ssh-e2e-harness /home/vagrant/.ssh/authorized_keys || fail "the jump host lost the harness's own key"
if grep -q "\"lab\": \"$lab\"" .swarmlab/ssh-hosts.json 2>/dev/null; then fail "the project still records a host of $lab"; fi
echo "ssh-e2e: passed in $(duration $(( $(now_ms) - t_start )))"
