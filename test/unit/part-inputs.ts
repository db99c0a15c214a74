// The inputs each lab part declares (lab/parts/*.ts), written out by hand for the unit tests. Each list is an object
// of `key: true` typed against the part's Inputs interface, so tsc fails when a key is missing or extra: the lists
// follow the modules, and the tests then hold the program and the registry to them.
import type { PartKind, parts } from "../../lab/parts";
import type { InputsOf, OutputsOf } from "../../lab/parts/part";

export type { OutputsOf };

/** `true` for an input every part of the kind gets, `"optional"` for one given only when it has something to say. */
type KeysOf<I> = { [K in keyof I]-?: undefined extends I[K] ? "optional" : true };

const INPUTS: { [K in PartKind]: KeysOf<InputsOf<(typeof parts)[K]>> } = {
  claim: { lab: true, backend: true, subnet: true, stack: true },
  key: { lab: true },
  images: { lab: true, backend: true },
  base: { lab: true, owner: true, backend: true, subnet: true, gateway: true, egress: true, upstream: true, upstreamImage: true },
  node: {
    lab: true,
    owner: true,
    backend: true,
    name: true,
    role: true,
    address: true,
    login: "optional",
    egress: true,
    authorizedKey: true,
    privateKey: true,
    nodeRecipe: true,
    images: true,
  },
  swarm: { lab: true, owner: "optional", manager: true, nodeSpec: true, privateKey: true },
  join: { lab: true, worker: true, manager: true, swarmId: true, workerToken: true, managerToken: "optional", nodeSpec: true, privateKey: true },
  overlay: { lab: true, name: true, encrypted: "optional", swarmId: true, manager: true, privateKey: true },
  service: {
    lab: true,
    name: true,
    image: true,
    replicas: true,
    network: true,
    pingTarget: true,
    placement: true,
    mode: true,
    endpoint: true,
    extras: true,
    networkId: true,
    manager: true,
    privateKey: true,
  },
};

/** The input keys of a kind of part, sorted. */
export function inputKeys(kind: PartKind): string[] {
  return Object.keys(INPUTS[kind]).sort();
}

/** The input keys every part of the kind gets, sorted (without those given only when set, like overlay's encrypted). */
export function requiredInputKeys(kind: PartKind): string[] {
  return Object.entries(INPUTS[kind] as Record<string, true | "optional">)
    .filter(([, v]) => v === true)
    .map(([k]) => k)
    .sort();
}
