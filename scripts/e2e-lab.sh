# Sourced by the e2e scripts that stand a lab up by the README's commands on a stack of their own (vm-e2e.sh,
# reach-e2e.sh): the stack and lab names, a free subnet, and the removal of what a failed run leaves.
# shellcheck shell=bash

# e2e_lab <kind>: SWARMLAB_STACK=<kind>-e2e-<pid>, lab=swarmlab-<kind>-<pid>, downed=0 (set it to 1 after the down).
e2e_lab() {
  export SWARMLAB_STACK=$1-e2e-$$
  lab=swarmlab-$1-$$
  downed=0
}

# A /24 that nothing on this machine uses, from 192.168.<100 + pid % 150>.0 on.
e2e_subnet() {
  E2E_PID=$$ npx --no-install ts-node -T -e \
    'import("./lab/host-facts").then(async (h) => console.log(await h.unusedSubnet(100 + (Number(process.env.E2E_PID) % 150))))'
}

# After a failure (the lab not downed): its logs, then the lab; whatever happened, the stack and its settings file.
e2e_remove_lab() {
  local who=$1
  if [ "$downed" = 0 ] && [ -f "Pulumi.$SWARMLAB_STACK.yaml" ]; then
    echo "$who: removing the lab after a failure (its logs first)"
    npm run --silent logs >/dev/null 2>&1 && echo "$who: logs in .swarmlab/logs/$lab/"
    npm run --silent down || npm run --silent clean "$lab"
  fi
  [ -f "Pulumi.$SWARMLAB_STACK.yaml" ] && npx --no-install pulumi stack rm --yes --force --stack "$SWARMLAB_STACK" >/dev/null 2>&1
  rm -f "Pulumi.$SWARMLAB_STACK.yaml"
}
