// What this host's Docker engine and firewall hold of labs, found by their labels (and rules by their comments):
// the docker backend's whole lab, and what the doctor reads of every lab here, whichever backend made it.
import type Docker from "dockerode";
import { LABEL_LAB } from "../../types";
import type { LabObject } from "../backend";
import { identityOf, labContainerObjects, labFilter, ownedBy } from "./containers";
import { listGuards } from "./firewall";

/**
 * Everything on the engine and in the firewall carrying the lab's label (of one owner, when given), and every
 * network using `subnet`.
 */
export async function engineObjects(docker: Docker, labName: string, owner?: string, subnet?: string): Promise<LabObject[]> {
  const filters = labFilter(labName);
  const [containers, { Volumes: allVolumes }, networks, guards] = await Promise.all([
    labContainerObjects(docker, labName, owner),
    docker.listVolumes({ filters }),
    docker.listNetworks(),
    listGuards(labName, owner, docker),
  ]);
  const volumes = (allVolumes ?? []).filter((v) => ownedBy(v.Labels, owner));
  const labNetworks = networks.filter(
    (n) =>
      (n.Labels?.[LABEL_LAB] === labName && ownedBy(n.Labels, owner)) || (subnet !== undefined && n.IPAM?.Config?.some((c) => c.Subnet === subnet)),
  );
  return [
    ...containers,
    ...volumes.map((v) => ({ what: `volume ${v.Name}`, ...identityOf(v.Labels) })),
    ...labNetworks.map((n) => ({ what: `network ${n.Name}`, ...identityOf(n.Labels), subnet: n.IPAM?.Config?.[0]?.Subnet })),
    ...guards.map((g) => ({ what: `firewall rule '${g}'`, lab: labName, owner: /owner=([^" ,]+)/.exec(g)?.[1] ?? "" })),
  ];
}

/** The names of every lab with a container, volume, network or firewall rule here. */
export async function engineLabs(docker: Docker): Promise<string[]> {
  const filters = { label: [LABEL_LAB] };
  const [containers, { Volumes }, networks, guards] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listVolumes({ filters }),
    docker.listNetworks({ filters }),
    listGuards(undefined, undefined, docker),
  ]);
  const names = [...containers, ...(Volumes ?? []), ...networks].map((o) => o.Labels?.[LABEL_LAB] ?? "");
  names.push(...guards.map((g) => /swarmlab\.lab=([^" ,]+)/.exec(g)?.[1] ?? ""));
  return [...new Set(names.filter(Boolean))].sort();
}
