// The live lab as explain draws and describes it, from the lab's snapshot: each node's lab address and interface, its
// docker_gwbridge, the overlay (subnet, VNI, encrypted), and each task's eth0 and eth1.
import type { Interface } from "../checks/interfaces";
import type { ConnectedLab } from "../checks/observe";
import type { LabOutputs } from "../outputs";
import type { LabSnapshot } from "../snapshot/model";
import { networkNamed, nodeNamed, overlayNamed, runningTasksOf, taskInfoOf } from "../snapshot/model";
import type { TaskInfo } from "../steps/service";
import type { BackendName } from "../types";

export interface ObservedNode {
  name: string;
  role: string;
  address: string;
  /** The interface holding the lab address (eth0 on container nodes). */
  iface: string;
  /** docker_gwbridge on this node; empty when the node has none yet (no task, no ingress). */
  gwbridge: { subnet: string; gateway: string };
}

export interface ObservedTask extends TaskInfo {
  eth0?: Interface;
  eth1?: Interface;
}

export interface ObservedLab {
  lab: string;
  backend: BackendName;
  subnet: string;
  nodes: ObservedNode[];
  overlay: { name: string; id: string; subnet: string; gateway: string; vni: number; encrypted: boolean };
  service: string;
  tasks: ObservedTask[];
  upstream: { name: string; address: string };
}

/** The lab before its overlay is made (no swarm, or a swarm without mynet): everything else as ObservedLab. */
export type PartialLab = Omit<ObservedLab, "overlay"> & { overlay?: ObservedLab["overlay"] };

/** The lab as explain draws it, from the snapshot the connected lab took (nothing read again). */
export async function observeLab(lab: ConnectedLab): Promise<ObservedLab> {
  const seen = partialLabOf(lab.outputs, lab.snapshot);
  if (!seen.overlay) throw new Error(`${lab.manager.access.name} has no network ${lab.outputs.overlay.name}: npm run up makes the lab whole`);
  return { ...seen, overlay: seen.overlay };
}

/**
 * The lab as far as it is made, from its outputs and a snapshot: without the overlay where the swarm has none yet (an
 * exercise's starting point; the exercise page draws it as it is).
 */
export function partialLabOf(o: LabOutputs, s: LabSnapshot): PartialLab {
  const mynet = overlayNamed(s, o.overlay.name);
  const nodes = o.nodeAccess.map((n) => {
    const look = nodeNamed(s, n.name);
    const gwbridge = networkNamed(look, "docker_gwbridge");
    return {
      name: n.name,
      role: n.role,
      address: n.address,
      iface: look?.labInterface ?? "",
      gwbridge: { subnet: gwbridge?.subnet ?? "", gateway: gwbridge?.gateway ?? "" },
    };
  });
  const tasks = runningTasksOf(s.swarm, o.service).map((t) => ({
    ...taskInfoOf(t, o.overlay.name),
    eth0: t.interfaces?.find((i) => i.name === "eth0"),
    eth1: t.interfaces?.find((i) => i.name === "eth1"),
  }));
  return {
    lab: o.lab,
    backend: o.backend,
    subnet: o.subnet,
    nodes,
    ...(mynet ? { overlay: { ...mynet, gateway: o.overlay.gateway } } : {}),
    service: o.service,
    tasks,
    upstream: o.upstream,
  };
}
