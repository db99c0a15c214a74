// The lab's parts in the order they come to life, each with create and delete. Pulumi's dynamic providers
// (infra/) call these; nothing here knows about Pulumi, so the same code runs in tests and scripts.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import { utils as sshUtils } from "ssh2";
import { backendFor, ProvisionedNode } from "./backends/backend";
import { ensureImages } from "./backends/docker/images";
import { NodeSession } from "./remote";
import { sideLoadImage, waitForEngine } from "./steps/engine";
import { ensureOverlay, OverlayInfo, removeOverlay } from "./steps/overlay";
import { ensureService, removeService, ServiceArgs, TaskInfo, waitForTasks } from "./steps/service";
import { initSwarm, joinWorker, leaveSwarm, SwarmInfo, SwarmMember, waitForNodesReady } from "./steps/swarm";
import type { LabSpec, NodeSpec } from "./types";

/** Where a lab keeps what a user needs at hand: the SSH key copy and the lab's log (gitignored). */
export function labDir(root: string, lab: string): string {
  return path.join(root, ".swarmlab", lab);
}

export function labLogger(root: string, lab: string): (line: string) => void {
  const dir = labDir(root, lab);
  let made = false; // the folder is made at the first line: a logger that writes nothing must not recreate it
  return (line) => {
    if (!made) {
      mkdirSync(dir, { recursive: true });
      made = true;
    }
    appendFileSync(path.join(dir, "lab.log"), `${new Date().toISOString()} ${line}\n`);
  };
}

// --- the lab's SSH key ----------------------------------------------------------------------------------

export interface LabKey {
  publicKey: string;
  privateKey: string;
  /** A copy of the private key for `ssh -i`, mode 600. */
  keyFile: string;
}

export function createLabKey(root: string, lab: string): LabKey {
  const pair = sshUtils.generateKeyPairSync("ed25519", { comment: `swarmlab-${lab}` });
  const keyFile = path.join(labDir(root, lab), "id_ed25519");
  mkdirSync(path.dirname(keyFile), { recursive: true });
  writeFileSync(keyFile, pair.private, { mode: 0o600 });
  return { publicKey: pair.public.trim(), privateKey: pair.private, keyFile };
}

export function deleteLabKey(root: string, lab: string): void {
  rmSync(labDir(root, lab), { recursive: true, force: true });
}

// --- images and the shared network ---------------------------------------------------------------------

export async function createImages(log: (l: string) => void) {
  return ensureImages(new Docker(), log);
}

export async function createLabBase(spec: LabSpec, log: (l: string) => void): Promise<void> {
  await (await backendFor(spec.backend)).prepare(spec, log);
}

/** Removes everything carrying the lab's label: last step of `down`, and the clean-up when state is lost. */
export async function deleteLab(spec: Pick<LabSpec, "name" | "backend">, log: (l: string) => void): Promise<void> {
  await (await backendFor(spec.backend)).deleteLab(spec.name, log);
}

/** Every machine's logs (container output, the node's dockerd log) below .swarmlab/logs/<lab>/; kept after down. */
export async function collectLabLogs(spec: Pick<LabSpec, "name" | "backend">, root = path.resolve(__dirname, "..")): Promise<string[]> {
  return (await backendFor(spec.backend)).collectLogs(spec.name, path.join(root, ".swarmlab", "logs", spec.name));
}

// --- nodes ---------------------------------------------------------------------------------------------

export type NodeAccess = Pick<ProvisionedNode, "name" | "role" | "address" | "sshHost" | "sshPort" | "username" | "hostKey">;

export function connect(node: NodeAccess, privateKey: string, timeoutMs?: number): Promise<NodeSession> {
  return NodeSession.connect(
    { host: node.sshHost, port: node.sshPort, username: node.username, privateKey, hostKey: node.hostKey },
    timeoutMs,
  );
}

/** Runs fn with one SSH session per node, closing them all afterwards. */
export async function withSessions<N extends NodeAccess, T>(
  nodes: N[],
  privateKey: string,
  fn: (sessions: NodeSession[]) => Promise<T>,
): Promise<T> {
  const sessions = await Promise.all(nodes.map((n) => connect(n, privateKey)));
  try {
    return await fn(sessions);
  } finally {
    sessions.forEach((s) => s.close());
  }
}

/** Creates a node, waits for its sshd and dockerd, and side-loads the service image into it. */
export async function createNode(
  root: string,
  spec: LabSpec,
  node: NodeSpec,
  key: Pick<LabKey, "publicKey" | "privateKey">,
  log: (l: string) => void,
): Promise<ProvisionedNode> {
  const provisioned = await (await backendFor(spec.backend)).provision(spec, node, key.publicKey, log);
  recordHostKey(root, spec.name, provisioned);
  await withSessions([provisioned], key.privateKey, async ([session]) => {
    const docker = session.docker();
    await waitForEngine(docker, node.name);
    if (await sideLoadImage(new Docker(), docker, spec.service.image)) log(`${spec.service.image} loaded into ${node.name}`);
  });
  return provisioned;
}

/** The lab's running machines, found by label: name → the backend's id. */
export async function runningMachines(lab: Pick<LabSpec, "name" | "backend">): Promise<Map<string, string>> {
  const listed = await (await backendFor(lab.backend)).list(lab.name);
  return new Map(listed.filter((m) => m.state === "running").map((m) => [m.name, m.id]));
}

export async function deleteNode(spec: Pick<LabSpec, "name" | "backend">, nodeName: string, log: (l: string) => void) {
  await (await backendFor(spec.backend)).deleteNodes(spec.name, [nodeName], log);
}

/** Keeps .swarmlab/<lab>/known_hosts in step with the host keys recorded at creation, for `ssh` by hand. */
function recordHostKey(root: string, lab: string, node: ProvisionedNode): void {
  const file = path.join(labDir(root, lab), "known_hosts");
  const others = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l && !l.startsWith(`${node.sshHost} `)) : [];
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, [...others, `${node.sshHost} ${node.hostKey}`].join("\n") + "\n");
}

// --- swarm, overlay network, service ---------------------------------------------------------------------

function members(nodes: NodeAccess[], sessions: NodeSession[]): SwarmMember[] {
  return nodes.map((n, i) => ({ name: n.name, address: n.address, docker: sessions[i].docker() }));
}

/** nodes[0] is the manager. */
export async function createSwarm(nodes: NodeAccess[], privateKey: string, log: (l: string) => void): Promise<SwarmInfo> {
  return withSessions(nodes, privateKey, async (sessions) => {
    const [manager, ...workers] = members(nodes, sessions);
    const swarm = await initSwarm(manager, log);
    await Promise.all(workers.map((w) => joinWorker(w, manager, swarm, log)));
    await waitForNodesReady(manager.docker, nodes.map((n) => n.name));
    return swarm;
  });
}

/** The workers leave (all at once), then the manager. Nodes that are already gone are skipped. */
export async function deleteSwarm(nodes: NodeAccess[], privateKey: string): Promise<void> {
  const leave = (node: NodeAccess, session: NodeSession) =>
    leaveSwarm({ name: node.name, address: node.address, docker: session.docker() }, true);
  await Promise.all(nodes.slice(1).map((worker) => onReachable([worker], privateKey, leave)));
  await onReachable(nodes.slice(0, 1), privateKey, leave);
}

/** Runs fn on each node that still answers; on a node that is gone already there is nothing to undo. */
async function onReachable(nodes: NodeAccess[], privateKey: string, fn: (node: NodeAccess, s: NodeSession) => Promise<void>) {
  for (const node of nodes) {
    let session: NodeSession;
    try {
      session = await connect(node, privateKey, 3_000);
    } catch {
      continue;
    }
    try {
      await fn(node, session);
    } finally {
      session.close();
    }
  }
}

export async function createOverlay(manager: NodeAccess, privateKey: string, lab: string, name: string, log: (l: string) => void): Promise<OverlayInfo> {
  return withSessions([manager], privateKey, ([s]) => ensureOverlay(s.docker(), lab, name, log));
}

export async function deleteOverlay(manager: NodeAccess, privateKey: string, name: string): Promise<void> {
  await onReachable([manager], privateKey, (_, s) => removeOverlay(s.docker(), name));
}

export async function createService(manager: NodeAccess, privateKey: string, args: ServiceArgs, log: (l: string) => void): Promise<TaskInfo[]> {
  return withSessions([manager], privateKey, async ([s]) => {
    const docker = s.docker();
    await ensureService(docker, args, log);
    const tasks = await waitForTasks(docker, args);
    log(`service ${args.name}: ${tasks.map((t) => `${t.name} on ${t.node} at ${t.overlayIp}`).join(", ")}`);
    return tasks;
  });
}

export async function deleteService(manager: NodeAccess, privateKey: string, name: string): Promise<void> {
  await onReachable([manager], privateKey, (_, s) => removeService(s.docker(), name));
}
