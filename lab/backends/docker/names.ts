// Names of what the docker backend creates for a lab. Labels, not names, are what finding and deleting rely on;
// names only make `docker ps` readable and keep two labs apart.
export const networkName = (lab: string) => `${lab}-net`;
export const volumeName = (lab: string, node: string) => `${lab}-${node}-docker`;

import { UPSTREAM_NAME } from "../../config";
import { containerName } from "../host/names";

/** Every name the lab's objects take on the engine: its network, a container per node and the upstream, a volume per node. */
export function labObjectNames(lab: string, nodes: readonly string[]): { kind: "network" | "container" | "volume"; name: string }[] {
  return [
    { kind: "network", name: networkName(lab) },
    ...[...nodes, UPSTREAM_NAME].map((n) => ({ kind: "container" as const, name: containerName(lab, n) })),
    ...nodes.map((n) => ({ kind: "volume" as const, name: volumeName(lab, n) })),
  ];
}

export { NODE_IMAGE } from "./images";
export const NODE_USER = "vagrant";
// The lab's containers are named as every lab container on this host (lab/backends/host/names.ts).
export { containerName, WHOAMI_PORT } from "../host/names";
