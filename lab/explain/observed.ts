// The live lab as explain draws and describes it, read once over the lab's SSH sessions: each node's lab address and
// interface, its docker_gwbridge, the overlay (subnet, VNI, encrypted), and each task's eth0 and eth1.
import type { Interface } from "../checks/interfaces";
import { ConnectedLab, labInterface, networkAddressing, overlayFacts, taskInterfaces } from "../checks/observe";
import { runningTasks, TaskInfo } from "../steps/service";
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

export async function observeLab(lab: ConnectedLab): Promise<ObservedLab> {
  const o = lab.outputs;
  const [overlay, tasks] = await Promise.all([
    overlayFacts(lab.manager.docker, o.overlay.name),
    runningTasks(lab.manager.docker, o.service, o.overlay.name),
  ]);
  const nodes = await Promise.all(
    lab.nodes.map(async (n) => ({
      name: n.access.name,
      role: n.access.role,
      address: n.access.address,
      iface: await labInterface(n),
      gwbridge: await networkAddressing(n.docker, "docker_gwbridge").catch(() => ({ subnet: "", gateway: "" })),
    })),
  );
  const observedTasks = await Promise.all(
    tasks
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))
      .map(async (t) => {
        const ifaces = await taskInterfaces(lab.node(t.node).docker, t.containerId);
        return { ...t, eth0: ifaces.find((i) => i.name === "eth0"), eth1: ifaces.find((i) => i.name === "eth1") };
      }),
  );
  return {
    lab: o.lab,
    backend: o.backend,
    subnet: o.subnet,
    nodes,
    overlay: { name: o.overlay.name, id: overlay.id, subnet: overlay.subnet, gateway: o.overlay.gateway, vni: overlay.vni, encrypted: overlay.encrypted },
    service: o.service,
    tasks: observedTasks,
    upstream: o.upstream,
  };
}
