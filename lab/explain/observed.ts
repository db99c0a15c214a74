// The live lab as explain draws and describes it, from the lab's snapshot: each node's lab address and interface, its
// docker_gwbridge, the overlay (subnet, VNI, encrypted), and each task's eth0 and eth1.
import type { Interface } from "../checks/interfaces";
import type { ConnectedLab } from "../checks/observe";
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

/** The lab as explain draws it, from the snapshot the connected lab took (nothing read again). */
export async function observeLab(lab: ConnectedLab): Promise<ObservedLab> {
  const o = lab.outputs;
  const s = lab.snapshot;
  const mynet = overlayNamed(s, o.overlay.name);
  if (!mynet) throw new Error(`${lab.manager.access.name} has no network ${o.overlay.name}: npm run up makes the lab whole`);
  const nodes = lab.nodes.map((n) => {
    const look = nodeNamed(s, n.access.name);
    const gwbridge = networkNamed(look, "docker_gwbridge");
    return {
      name: n.access.name,
      role: n.access.role,
      address: n.access.address,
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
    overlay: { ...mynet, gateway: o.overlay.gateway },
    service: o.service,
    tasks,
    upstream: o.upstream,
  };
}
