#!/usr/bin/env bash
# `npm run test:vm`: the lab of VMs end to end, by the README's own commands, on a stack of its own (vm-e2e-<pid>,
# lab swarmlab-vm-<pid>, a free 192.168.N.0/24), under QEMU software emulation where KVM does not run guests:
#
#   host      scripts/vm-host.sh: libvirt, QEMU, Vagrant; virtlogd and libvirtd running
#   box       npm run box (scripts/box.sh): cached, rebuilt only when its recipe changed
#   up        npm run up with swarmlab:backend vagrant: three VMs, the swarm, mynet, the service
#   suite     the verification suite (test/e2e/lab.test.ts: IPVS and the routing mesh included) and npm run explain's
#             test (test/e2e/explain.test.ts)
#   exercises every exercise on the VMs (test/e2e/exercises.test.ts, none pending: the routing mesh graded) and the
#             exercise page in a browser (test/e2e/exercise-page.test.ts), on this lab, healed by up after each
#   encrypt   swarmlab:encrypted true, npm run up again (mynet and the service are replaced, the VMs stay), then the
#             overlay's claims (MTU 1424, ESP only on the wire) and explain's vxlan step (ESP, no cleartext VXLAN)
#   down      npm run down, then libvirt, Docker and iptables are asked directly that nothing of the lab is left
#
# Each phase's time is printed, and a summary at the end. Whatever fails, the lab is removed (its logs collected
# first) and the stack forgotten. Needs root (libvirt, the box's debootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/clock.sh
[ "$(id -u)" = 0 ] || { echo "vm-e2e: needs root (libvirt's system instance, debootstrap): sudo npm run test:vm" >&2; exit 1; }

. scripts/e2e-lab.sh
e2e_lab vm
summary=()
t_start=$(now_ms)
t_phase=$t_start
phase() {
  local now
  now=$(now_ms)
  if [ -n "${current:-}" ]; then
    summary+=("$(printf '%-9s %s' "$current" "$(duration $(( now - t_phase )))")")
    echo "vm-e2e: $current done in $(duration $(( now - t_phase )))"
  fi
  current=$1
  t_phase=$now
  [ -n "$1" ] && echo && echo "== vm-e2e: $1${2:+ ($2)}"
  return 0
}
pulumi_cfg() { npx --no-install pulumi config set --stack "$SWARMLAB_STACK" "$@"; }
mocha_e2e() { npx --no-install mocha --timeout 1800000 --require test/e2e/exit-guard.ts "$@"; }

cleanup() {
  local rc=$?
  set +e
  e2e_remove_lab vm-e2e
  exit "$rc"
}
trap cleanup EXIT

phase host scripts/vm-host.sh
bash scripts/vm-host.sh

phase box "npm run box"
bash scripts/box.sh

phase up "npm run up, backend vagrant"
bash scripts/setup.sh # what npm run up does first: the CLI and the passphrase file, before the stack's settings
subnet=$(e2e_subnet)
echo "vm-e2e: stack $SWARMLAB_STACK, lab $lab, subnet $subnet"
npx --no-install pulumi stack init "$SWARMLAB_STACK" >/dev/null
pulumi_cfg swarmlab:backend vagrant
pulumi_cfg swarmlab:name "$lab"
pulumi_cfg swarmlab:subnet "$subnet"
log=.swarmlab/$lab/lab.log
npm run --silent up
# The phases of up as the lab's log has them: each VM, the swarm, mynet, the service.
grep -E "VM up in|swarm initialised|joined the swarm|network .* created|service .* created" "$log" | sed 's/^/  /'

phase suite "the verification suite and explain's test"
mocha_e2e test/e2e/lab.test.ts test/e2e/explain.test.ts

phase exercises "every exercise on the VMs, the routing mesh's graded, and the exercise page"
# The lab of VMs is the one that grades every task (IPVS in each node's kernel): none may be pending. Once each here
# (~2 min each under QEMU; twice on containers, in npm run test:exercises), twice the routing mesh, graded only here.
# The lab is left healthy (up ends each exercise).
SWARMLAB_EXERCISES_STACK=$SWARMLAB_STACK SWARMLAB_EXERCISES_GRADE_ALL=1 SWARMLAB_EXERCISES_ROUNDS=${SWARMLAB_EXERCISES_ROUNDS:-1} \
  SWARMLAB_EXERCISES_TWICE=routing-mesh mocha_e2e test/e2e/exercises.test.ts test/e2e/exercise-page.test.ts

phase encrypt "swarmlab:encrypted true: npm run up, the overlay's claims, explain --step vxlan"
pulumi_cfg swarmlab:encrypted true
npm run --silent up
mocha_e2e test/e2e/lab.test.ts --grep "inside a task|east-west"
# explain's wire step on the encrypted overlay: ESP between the workers (it exits 1 when the step does not hold).
npx --no-install ts-node scripts/explain.ts --step vxlan

phase down "npm run down, then nothing may be left"
npm run --silent down
downed=1
left=()
while read -r d; do [ -n "$d" ] && left+=("VM $d"); done < <(virsh -q list --all --name | grep "^$lab-" || true)
while read -r n; do [ -n "$n" ] && left+=("libvirt network $n"); done < <(virsh -q net-list --all --name | grep "^$lab-" || true)
while read -r v; do [ -n "$v" ] && left+=("volume $v"); done < <(virsh -q vol-list default | awk '{print $1}' | grep "^$lab-" || true)
while read -r c; do [ -n "$c" ] && left+=("container $c"); done < <(docker ps -aq --filter "label=swarmlab.lab=$lab")
while read -r r; do [ -n "$r" ] && left+=("iptables: $r"); done < <(iptables-save | grep -F "swarmlab.lab=$lab," || true)
if [ ${#left[@]} -gt 0 ]; then
  printf 'vm-e2e: npm run down left:\n' >&2
  printf '  %s\n' "${left[@]}" >&2
  exit 1
fi
echo "vm-e2e: nothing of lab $lab is left (virsh list --all, net-list --all, vol-list default; docker ps -a; iptables-save)"

phase ""
echo
echo "== vm-e2e: the lab of VMs end to end in $(duration $(( $(now_ms) - t_start )))"
printf '  %s\n' "${summary[@]}"
