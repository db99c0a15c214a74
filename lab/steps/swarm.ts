// The swarm: `docker swarm init --advertise-addr <manager>` on the founding manager, `docker swarm join` on every
// other node (the other managers with the manager token), through the Engine API. Each step looks first and acts only
// if needed, so re-running changes nothing.
import type Docker from "dockerode";
import type { Log } from "../backends/backend";
import { unlessTimedOut, waitUntil } from "../wait";
import { LABEL_LAB, LABEL_OWNER, LabIdentity } from "../types";

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

/** Swarm's words when a manager's swarm has lost its quorum: too few managers are up to elect a leader. */
export const NO_LEADER = /does not have a leader/i;

/**
 * The labels a lab's swarm carries (its spec's, as `docker swarm init` made it): what proves a swarm is the lab's, for a
 * backend whose machines are the user's (ssh) and may be in a swarm of their own.
 */
export function labSwarmLabels(id: LabIdentity): Record<string, string> {
  return { [LABEL_LAB]: id.lab, [LABEL_OWNER]: id.owner };
}

/** Whether a swarm's spec labels name this lab (and this owner). */
export function isLabSwarm(labels: Record<string, string> | undefined, id: LabIdentity): boolean {
  return labels?.[LABEL_LAB] === id.lab && labels?.[LABEL_OWNER] === id.owner;
}

/** `labels`: the swarm's own (labSwarmLabels), set when this makes it; a swarm made before keeps what it has. */
export async function initSwarm(manager: SwarmMember, log: Log, labels: Record<string, string> = {}): Promise<SwarmInfo> {
  const { state } = await localState(manager.docker);
  const init = {
    ListenAddr: `0.0.0.0:${SWARM_PORT}`,
    AdvertiseAddr: manager.address,
    ...(Object.keys(labels).length ? { Spec: { Labels: labels } } : {}),
  };
  if (state !== "active") {
    await manager.docker.swarmInit(init);
    log(`swarm initialised on ${manager.name} (advertise ${manager.address})`);
  }
  const swarm = await manager.docker.swarmInspect().catch(async (err: unknown) => {
    if (!NO_LEADER.test(messageOf(err))) throw err;
    // Too few managers are up to elect a leader. `docker swarm init --force-new-cluster` makes this manager the only
    // one of the same swarm (its id, tokens, services and networks kept): the others' entries are removed as they
    // join again (removeStaleNodes), the nodes that still run leave and join.
    log(`${manager.name}: its swarm has no leader (${messageOf(err)}); docker swarm init --force-new-cluster`);
    await manager.docker.swarmInit({ ...init, ForceNewCluster: true });
    return manager.docker.swarmInspect();
  });
  return { id: swarm.ID, workerToken: swarm.JoinTokens.Worker, managerToken: swarm.JoinTokens.Manager };
}

/** An Engine API error's message, as the engine said it. */
function messageOf(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return e.json?.message ?? e.message ?? String(err);
}

/** `docker swarm join` of a node: a worker with the worker token, a manager with the manager token. */
export async function joinNode(worker: SwarmMember, manager: SwarmMember, swarm: SwarmInfo, role: NodeSpec["role"], log: Log): Promise<void> {
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
    JoinToken: role === "manager" ? swarm.managerToken : swarm.workerToken,
  });
  log(`${worker.name} joined the swarm as a ${role}`);
}

/**
 * Waits until the manager sees every expected hostname as Ready, and a manager among them Reachable (or the Leader):
 * a member of the managers' Raft.
 */
export async function waitForNodesReady(manager: Docker, hostnames: string[], timeoutMs = 60_000): Promise<void> {
  await waitUntil("nodes Ready", { timeoutMs, pacingMs: 300, errors: "end" }, async ({ saw }) => {
    const nodes = await manager.listNodes();
    const member = (n: (typeof nodes)[number]) =>
      n.Status?.State === "ready" &&
      (n.Spec?.Role !== "manager" || n.ManagerStatus?.Leader === true || n.ManagerStatus?.Reachability === "reachable");
    const ready = new Set(nodes.filter(member).map((n) => n.Description?.Hostname));
    const missing = hostnames.filter((h) => !ready.has(h));
    saw(`still waiting for ${missing.map((h) => `${h}: ${statesOf(nodes, h)}`).join(", ")}`);
    return missing.length === 0;
  });
}

/** The states the manager has for a hostname (a manager's reachability too): a stale entry may be down beside a new one. */
function statesOf(
  nodes: { Description?: { Hostname?: string }; Status?: { State?: string }; ManagerStatus?: { Reachability?: string } }[],
  hostname: string,
): string {
  const states = nodes
    .filter((n) => n.Description?.Hostname === hostname)
    .map((n) => [n.Status?.State, n.ManagerStatus?.Reachability].filter(Boolean).join(" "));
  return [...new Set(states.filter(Boolean))].join("/") || "not known to the manager";
}

export async function leaveSwarm(member: SwarmMember, force: boolean): Promise<void> {
  const { state } = await localState(member.docker);
  if (state !== "inactive") await member.docker.swarmLeave({ force });
}

/**
 * `docker swarm leave --force` of a node whose swarm is gone (its manager was made again), and a while for its engine
 * to let go of that swarm's networks; an engine that keeps them (and the swarm's network agent) needs a restart,
 * which the caller judges.
 */
export async function leaveGoneSwarm(member: SwarmMember): Promise<void> {
  await leaveSwarm(member, true);
  const released = waitUntil(`${member.name} out of its old swarm's networks`, { timeoutMs: 10_000, pacingMs: 250, errors: "retry" }, async () =>
    (await member.docker.listNetworks()).every((n) => n.Scope !== "swarm"),
  );
  await unlessTimedOut(released);
}

/**
 * Whether a node that joined has its overlay agent talking to the manager: the ingress network's peers, as the node
 * sees them, include the manager's address (about a second after a good join). A node that left a swarm that was
 * gone and joined the new one at once sometimes never gets there (Docker's old network agent still shutting down):
 * it is a member, but its overlay learns no peer and its tasks' pings fail.
 */
export async function overlayAgentUp(member: SwarmMember, managerAddress: string, timeoutMs = 15_000): Promise<boolean> {
  const seen = await unlessTimedOut(
    waitUntil(`${member.name}'s overlay agent`, { timeoutMs, pacingMs: 250, errors: "retry" }, async ({ saw }) => {
      const ingress = (await member.docker.getNetwork("ingress").inspect()) as { Peers?: { IP?: string }[] };
      const peers = (ingress.Peers ?? []).map((p) => p.IP ?? "");
      saw(`ingress peers: ${peers.join(", ") || "none"}`);
      return peers.includes(managerAddress);
    }),
  );
  return seen === true;
}

/** The swarm as this node's engine sees it: its state, its node id, and its cluster's id (managers only). */
export async function swarmState(docker: Docker): Promise<{ state: string; nodeId: string; clusterId: string }> {
  const info = await docker.info();
  return { state: info.Swarm?.LocalNodeState ?? "inactive", nodeId: info.Swarm?.NodeID ?? "", clusterId: info.Swarm?.Cluster?.ID ?? "" };
}

/**
 * `docker node rm --force` of the manager's other entries for a hostname: a node's earlier life (removed, remade,
 * left), which may still count as Ready until the manager notices it is gone. A manager's entry is demoted first
 * (Swarm refuses to remove a manager).
 */
export async function removeStaleNodes(manager: Docker, hostname: string, current: string, log: Log): Promise<void> {
  for (const n of await manager.listNodes()) {
    if (n.Description?.Hostname === hostname && n.ID !== current) {
      await removeNode(manager, n.ID);
      log(`stale swarm node ${hostname} (${n.ID}, ${n.Spec?.Role} ${n.Status?.State}) removed`);
    }
  }
}

/** What `docker node update` changes of a node (Swarm's node spec), as swarmlab declares it. */
export interface NodeSpec {
  role: "manager" | "worker";
  availability: "active" | "pause" | "drain";
  labels: Record<string, string>;
}

/** Every node of the tutorial: in its role, taking tasks, without labels. */
export const TUTORIAL_NODE = (role: NodeSpec["role"]): NodeSpec => ({ role, availability: "active", labels: {} });

/** A node's spec as the manager's `docker node inspect` shows it (Swarm's Spec: Role, Availability, Labels). */
export function nodeSpecOf(spec: { Role?: string; Availability?: string; Labels?: Record<string, string> } | undefined): NodeSpec {
  return {
    role: (spec?.Role ?? "worker") as NodeSpec["role"],
    availability: (spec?.Availability ?? "active") as NodeSpec["availability"],
    labels: spec?.Labels ?? {},
  };
}

/** The fields of `wanted` that `seen` differs in, in `docker node update`'s words (empty when none). */
export function nodeSpecDrift(seen: NodeSpec, wanted: NodeSpec): string[] {
  const drift: string[] = [];
  if (seen.role !== wanted.role) drift.push(`role ${seen.role} → ${wanted.role}`);
  if (seen.availability !== wanted.availability) drift.push(`availability ${seen.availability} → ${wanted.availability}`);
  if (JSON.stringify(sorted(seen.labels)) !== JSON.stringify(sorted(wanted.labels))) {
    drift.push(`labels ${JSON.stringify(sorted(seen.labels))} → ${JSON.stringify(sorted(wanted.labels))}`);
  }
  return drift;
}

const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

/** `docker node update --role … --availability … --label-rm/--label-add …` to the declared spec; its drift, if any. */
export async function setNodeSpec(manager: Docker, nodeId: string, wanted: NodeSpec): Promise<string[]> {
  let drift: string[] = [];
  await updateNode(manager, nodeId, (spec) => {
    drift = nodeSpecDrift(nodeSpecOf(spec), wanted);
    return drift.length === 0 ? undefined : { ...spec, Role: wanted.role, Availability: wanted.availability, Labels: wanted.labels };
  });
  return drift;
}

/** `docker node update --availability drain`: swarm moves the node's tasks elsewhere. */
export async function drainNode(manager: Docker, nodeId: string): Promise<void> {
  await updateNode(manager, nodeId, (spec) => (spec?.Availability === "drain" ? undefined : { ...spec, Availability: "drain" }));
}

type RawNodeSpec = { Role?: string; Availability?: string; Labels?: Record<string, string> } | undefined;

/**
 * Updates a node's spec to change(spec) (nothing when it gives undefined). An update names the node's version; a
 * heartbeat or a neighbour's update may bump it meanwhile ("update out of sequence"): read and try again.
 */
async function updateNode(manager: Docker, nodeId: string, change: (spec: RawNodeSpec) => RawNodeSpec, attempts = 5): Promise<void> {
  const outOfSequence = (err: unknown) => (/out of sequence/.test(String(err)) ? "retry" : "end");
  await waitUntil(`node ${nodeId}'s spec updated`, { attempts, pacingMs: 0, errors: outOfSequence }, async () => {
    const n = await manager.getNode(nodeId).inspect();
    const next = change(n.Spec);
    if (next) await manager.getNode(nodeId).update({ version: n.Version.Index, ...next });
    return true;
  });
}

/**
 * `docker node demote` (a manager), then `docker node rm --force`: Swarm removes no member of the managers' Raft
 * without the demotion. The entry of a manager that `--force-new-cluster` left out of the Raft cannot be demoted
 * ("can't find manager in raft memberlist", measured with Docker 26), and is removed as it is.
 */
export async function removeNode(manager: Docker, nodeId: string): Promise<void> {
  const demoted = updateNode(manager, nodeId, (spec) => (spec?.Role === "manager" ? { ...spec, Role: "worker" } : undefined));
  await demoted.catch((err: unknown) => {
    if (!NOT_IN_RAFT.test(messageOf(err))) throw err;
  });
  await manager.getNode(nodeId).remove({ force: true });
}

const NOT_IN_RAFT = /raft memberlist/i;
