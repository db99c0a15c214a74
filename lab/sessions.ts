// Reaching nodes: one SSH session per node (lab/remote.ts), opened from what a node part recorded, and failures
// said in plain words ("swarm-worker2: its Docker engine does not answer").
import { sshPacingOf } from "./backends";
import { reachOf, type Reach } from "./reach";
import { HostKeyMismatch, NodeProblem, NodeSession } from "./remote";

export { NodeProblem };
import type { JumpAccess, Role } from "./types";

/** What it takes to reach a node: recorded by its part at creation, kept in the stack's outputs. */
export interface NodeAccess {
  name: string;
  role: Role;
  address: string;
  /** The backend's id of the machine (container id, VM name): a new machine is a new node. */
  machine: string;
  sshHost: string;
  sshPort: number;
  username: string;
  /** The host key recorded at creation ("ssh-ed25519 AAAA…"). */
  hostKey: string;
  /**
   * "engine": SSH goes through the Docker engine into the node's container (`machine`), the client having no route to
   * sshHost (lab/reach.ts). Absent: straight to sshHost:sshPort (every lab made before the choice existed).
   */
  via?: Reach;
  /** A jump host the node is reached through (the ssh backend's hosts), with its pinned host key; absent: none. */
  jump?: JumpAccess;
}

/**
 * How long refresh waits for a node before calling it unreachable: calling it broken makes it, and what lives on it,
 * again, so a busy host gets time.
 */
export const RUNNING_NODE_TIMEOUT_MS = 15_000;

/** A machine slower to answer SSH than a container (a VM): its backend paces the connections (lab/backends). */
export function isVm(node: Pick<NodeAccess, "machine">): boolean {
  return sshPacingOf(node.machine ?? "") !== undefined;
}

/** The container to carry a node's SSH through the engine, undefined when it is reached at its address. */
export function relayContainerOf(node: Pick<NodeAccess, "machine" | "via">): string | undefined {
  // a VM is no container of the engine's: it is always reached at its address
  return !isVm(node) && reachOf(node.via) === "engine" ? node.machine : undefined;
}

export function connect(node: NodeAccess, privateKey: string, timeoutMs?: number): Promise<NodeSession> {
  const pacing = sshPacingOf(node.machine ?? "");
  const timeout = pacing ? Math.max(timeoutMs ?? 0, pacing.minTimeoutMs) : timeoutMs;
  const container = relayContainerOf(node);
  const where = container ? `through the Docker engine (docker exec into ${container.slice(0, 12)})` : `at ${node.sshHost}:${node.sshPort}`;
  const j = node.jump;
  const jump = j ? { host: j.address, port: j.port, username: j.user, hostKey: j.hostKey } : undefined;
  return NodeSession.connect(
    { name: node.name, host: node.sshHost, port: node.sshPort, username: node.username, privateKey, hostKey: node.hostKey, container, jump },
    timeout,
    pacing?.attemptMs,
  ).catch((err) => {
    if (err instanceof HostKeyMismatch) throw err;
    throw new NodeProblem(node.name, `does not answer over SSH ${where} (${err.message ?? err})`);
  });
}

/** Runs fn with one SSH session per node, closing them all afterwards. */
export async function withSessions<T>(
  nodes: NodeAccess[],
  privateKey: string,
  fn: (sessions: NodeSession[]) => Promise<T>,
  timeoutMs?: number,
): Promise<T> {
  const opened = await Promise.allSettled(nodes.map((n) => connect(n, privateKey, timeoutMs)));
  const sessions = opened.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
  try {
    const failed = opened.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) throw failed.reason;
    return await fn(sessions);
  } finally {
    sessions.forEach((s) => s.close());
  }
}

/** Runs fn on each node that still answers; on a node that is gone there is nothing to undo. */
export async function onReachable(nodes: NodeAccess[], privateKey: string, fn: (node: NodeAccess, s: NodeSession) => Promise<void>) {
  await Promise.all(
    nodes.map(async (node) => {
      let session: NodeSession;
      try {
        session = await connect(node, privateKey, 3_000);
      } catch {
        return;
      }
      try {
        await fn(node, session);
      } catch (err) {
        if (!(err instanceof NodeProblem) && !engineUnreachable(err)) throw err;
      } finally {
        session.close();
      }
    }),
  );
}

/** Whether an error means the node's Docker engine is not there to answer (socket gone, dockerd dead). */
export function engineUnreachable(err: unknown): boolean {
  return /Channel open failure|ECONNREFUSED|connect ENOENT|socket hang up|No response from server/i.test(String((err as Error)?.message ?? err));
}

/** What is wrong with a node reached through a session, as a symptom ("" when its engine answers). */
export async function engineProblem(session: NodeSession): Promise<string> {
  try {
    await withTimeout(session.docker().ping(), 10_000);
    return "";
  } catch (err) {
    if (err instanceof NodeProblem) return err.symptom;
    return engineUnreachable(err) || /timed out/.test(String(err)) ? "its Docker engine does not answer" : `its Docker engine fails: ${err}`;
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000}s`)), ms))),
  ]);
}
