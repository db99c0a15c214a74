// The swarm: `docker swarm init --advertise-addr <manager>` on the manager, `docker swarm join` on each worker,
// through the Engine API. Each step looks first and acts only if needed, so re-running changes nothing.
import type Docker from "dockerode";
import type { Log } from "../backends/backend";

export interface SwarmMember {
  name: string;
  address: string;
  docker: Docker;
}

export interface SwarmInfo {
  id: string;
  workerToken: string;
  managerToken: string;
}

const SWARM_PORT = 2377;

async function localState(docker: Docker): Promise<{ state: string; nodeId?: string }> {
  const info = await docker.info();
  return { state: info.Swarm?.LocalNodeState ?? "inactive", nodeId: info.Swarm?.NodeID };
}

export async function initSwarm(manager: SwarmMember, log: Log): Promise<SwarmInfo> {
  const { state } = await localState(manager.docker);
  if (state !== "active") {
    await manager.docker.swarmInit({ ListenAddr: `0.0.0.0:${SWARM_PORT}`, AdvertiseAddr: manager.address });
    log(`swarm initialised on ${manager.name} (advertise ${manager.address})`);
  }
  const swarm = await manager.docker.swarmInspect();
  return { id: swarm.ID, workerToken: swarm.JoinTokens.Worker, managerToken: swarm.JoinTokens.Manager };
}

export async function joinWorker(worker: SwarmMember, manager: SwarmMember, swarm: SwarmInfo, log: Log): Promise<void> {
  const { state, nodeId } = await localState(worker.docker);
  if (state !== "inactive") {
    // A worker does not know its cluster's id: ask the manager whether it counts this node as a member.
    const members = await manager.docker.listNodes();
    if (members.some((n) => n.ID === nodeId)) return;
    throw new Error(`${worker.name} belongs to another swarm (node ${nodeId}, state ${state}); leave it first: docker swarm leave --force`);
  }
  await worker.docker.swarmJoin({
    ListenAddr: `0.0.0.0:${SWARM_PORT}`,
    AdvertiseAddr: worker.address,
    RemoteAddrs: [`${manager.address}:${SWARM_PORT}`],
    JoinToken: swarm.workerToken,
  });
  log(`${worker.name} joined the swarm`);
}

/** Waits until the manager sees every expected hostname as Ready. */
export async function waitForNodesReady(manager: Docker, hostnames: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nodes = await manager.listNodes();
    const ready = new Set(nodes.filter((n) => n.Status?.State === "ready").map((n) => n.Description?.Hostname));
    const missing = hostnames.filter((h) => !ready.has(h));
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`nodes not Ready after ${timeoutMs / 1000}s: ${missing.join(", ")}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export async function leaveSwarm(member: SwarmMember, force: boolean): Promise<void> {
  const { state } = await localState(member.docker);
  if (state !== "inactive") await member.docker.swarmLeave({ force });
}

/** The swarm as this node's engine sees it: its state, its node id, and its cluster's id (managers only). */
export async function swarmState(docker: Docker): Promise<{ state: string; nodeId: string; clusterId: string }> {
  const info = await docker.info();
  return { state: info.Swarm?.LocalNodeState ?? "inactive", nodeId: info.Swarm?.NodeID ?? "", clusterId: info.Swarm?.Cluster?.ID ?? "" };
}

/**
 * `docker node rm --force` of the manager's other entries for a hostname: a worker's earlier life (removed, remade,
 * left), which may still count as Ready until the manager notices it is gone.
 */
export async function removeStaleNodes(manager: Docker, hostname: string, current: string, log: Log): Promise<void> {
  for (const n of await manager.listNodes()) {
    if (n.Description?.Hostname === hostname && n.ID !== current) {
      await manager.getNode(n.ID).remove({ force: true });
      log(`stale swarm node ${hostname} (${n.ID}, ${n.Status?.State}) removed`);
    }
  }
}

/**
 * `docker node update --availability drain`: swarm moves the node's tasks elsewhere. An update names the node's
 * version; a heartbeat or a neighbour's drain may bump it meanwhile ("update out of sequence"): read and try again.
 */
export async function drainNode(manager: Docker, nodeId: string, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const n = await manager.getNode(nodeId).inspect();
    if (n.Spec?.Availability === "drain") return;
    try {
      await manager.getNode(nodeId).update({ version: n.Version.Index, ...n.Spec, Availability: "drain" });
      return;
    } catch (err) {
      if (attempt >= attempts || !/out of sequence/.test(String(err))) throw err;
    }
  }
}

export async function removeNode(manager: Docker, nodeId: string): Promise<void> {
  await manager.getNode(nodeId).remove({ force: true });
}
