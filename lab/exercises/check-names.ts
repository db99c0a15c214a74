// The checks' names, apart from the checks themselves (checks.ts opens SSH sessions): what an exercise's data may
// name, known to the loader and the unit tests without loading the lab's modules.
export const CHECK_NAMES = [
  "swarm-init",
  "workers-joined",
  "overlay-made",
  "service-spread",
  "vni-answer",
  "mtu-answer",
  "nat-answer",
  "web-published",
  "routing-mesh",
];
