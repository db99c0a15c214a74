// What up ends with, and what the suite checks first: the lab as it is now, in plain words. Nodes Ready, the
// service's tasks Running on distinct workers, each task's interface on the overlay at the overlay's MTU, each task
// able to ping the other. A node broken in a way no part describes (an MTU changed inside it, a firewall of its own
// dropping VXLAN) is named with the one command that makes it again: npm run up -- --replace <node>.
import { overlayMtu } from "./checks/overlay-mtu";
import { interfaces } from "./checks/interfaces";
import { containerExec } from "./engine-api";
import { engineProblem, NodeAccess, NodeProblem, withTimeout, connect } from "./sessions";
import type { NodeSession } from "./remote";
import { isEncrypted } from "./steps/overlay";
import { runningTasks, TaskInfo } from "./steps/service";

export interface ObservedNode {
  name: string;
  /** As `docker node ls` shows it on the manager: ready, down, unknown; "missing" when not listed. */
  state: string;
  role: string;
  leader: boolean;
}

export interface Observation {
  nodes: ObservedNode[];
  tasks: TaskInfo[];
  /** One line per problem, naming the node or service and the symptom; empty when the lab is healthy. */
  problems: string[];
  /**
   * Nodes broken in a way no part describes: `up` alone does not heal them, `npm run up -- --replace <node>` does
   * (replaceCommand). Empty when every problem is one up heals.
   */
  remake: string[];
}

/** The one command that makes these nodes again (and what hangs on them: their joins, their tasks). */
export function replaceCommand(nodes: string[]): string {
  return `npm run up -- ${nodes.map((n) => `--replace ${n}`).join(" ")}`;
}

/** What heals the problems of an observation, in one line: up alone, or up replacing the nodes it names. */
export function healAdvice(o: Pick<Observation, "problems" | "remake">): string {
  if (o.problems.length === 0) return "";
  return o.remake.length > 0 ? `${replaceCommand(o.remake)} heals it` : "npm run up heals it";
}

export interface ObservedLab {
  nodes: NodeAccess[];
  privateKey: string;
  service: { name: string; replicas: number; network: string };
}

/** Observes the lab until it is healthy (or `settled` says so) or timeoutMs has passed; returns the last observation. */
export async function observeLab(
  lab: ObservedLab,
  timeoutMs = 60_000,
  settled: (o: Observation) => boolean = (o) => o.problems.length === 0,
): Promise<Observation> {
  const deadline = Date.now() + timeoutMs;
  let broken = { nodes: "", since: Date.now() };
  return withObserver(lab, async (look) => {
    for (;;) {
      const seen = await look();
      const nodes = seen.remake.join(",");
      if (nodes !== broken.nodes) broken = { nodes, since: Date.now() };
      // A node broken in a way no part describes does not mend by waiting: once the same nodes have been named
      // for a while (not a moment of a lab still settling), say so rather than wait out the deadline.
      const remakeSettled = nodes !== "" && Date.now() - broken.since >= REMAKE_SETTLED_MS;
      if (settled(seen) || remakeSettled || Date.now() > deadline) return seen;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  });
}

/** How long the same nodes must be named as needing --replace before a look stops waiting for the lab to heal. */
const REMAKE_SETTLED_MS = 10_000;

export function observeOnce(lab: ObservedLab): Promise<Observation> {
  return withObserver(lab, (look) => look());
}

/**
 * Runs fn with a `look` at the lab that keeps one SSH session per node across looks: a node is connected again
 * only after it failed.
 */
async function withObserver<T>(lab: ObservedLab, fn: (look: () => Promise<Observation>) => Promise<T>): Promise<T> {
  const sessions: (NodeSession | undefined)[] = lab.nodes.map(() => undefined);
  try {
    return await fn(() => observeWith(lab, sessions));
  } finally {
    sessions.forEach((s) => s?.close());
  }
}

async function observeWith(lab: ObservedLab, sessions: (NodeSession | undefined)[]): Promise<Observation> {
  const problems: string[] = [];
  await Promise.all(
    lab.nodes.map(async (n, i) => {
      try {
        sessions[i] ??= await connect(n, lab.privateKey, 5_000);
        const problem = await engineProblem(sessions[i]!);
        if (!problem) return;
        problems.push(`${n.name}: ${problem}`);
      } catch (err) {
        problems.push(err instanceof NodeProblem ? err.message : `${n.name}: ${err}`);
      }
      sessions[i]?.close(); // connect again at the next look
      sessions[i] = undefined;
    }),
  );
  const manager = sessions[0];
  if (!manager) return { nodes: [], tasks: [], problems, remake: [] };
  const nodes = await swarmView(manager, lab.nodes);
  for (const n of nodes) if (n.state !== "ready") problems.push(`${n.name}: the swarm sees it ${n.state === "missing" ? "not as a member" : n.state}`);
  const tasks = await runningTasks(manager.docker(), lab.service.name, lab.service.network);
  problems.push(...(await taskProblems(manager, lab.service, tasks)));
  const remake: string[] = [];
  if (problems.length === 0) {
    const network = await manager.docker().getNetwork(lab.service.network).inspect();
    const wire = { networkId: network.Id as string, mtu: overlayMtu(isEncrypted(network)) };
    // A task's interface changed on its node explains failed pings too: the VXLAN look is for when none did.
    const changed = await interfaceProblems(lab.nodes, sessions, tasks, wire);
    const overlay = await overlayProblems(lab.nodes, sessions, tasks, wire);
    problems.push(...overlay.failed);
    for (const f of changed.length > 0 ? changed : overlay.faults) {
      problems.push(`${f.node}: ${f.symptom}; ${replaceCommand([f.node])} makes that node again`);
      if (!remake.includes(f.node)) remake.push(f.node);
    }
  }
  return { nodes, tasks, problems, remake };
}

/** A node's fault that no part describes: its name and what is wrong, in plain words. */
interface NodeFault {
  node: string;
  symptom: string;
}

type Sessions = (NodeSession | undefined)[];
const sessionOf = (nodes: NodeAccess[], sessions: Sessions, node: string) => sessions[nodes.findIndex((n) => n.name === node)];

/**
 * Each task's interface on the overlay, at the overlay's MTU (1450, 1424 encrypted): not, when it was changed or
 * disconnected on its node.
 */
async function interfaceProblems(nodes: NodeAccess[], sessions: Sessions, tasks: TaskInfo[], wire: { mtu: number }): Promise<NodeFault[]> {
  const found = await Promise.all(
    tasks.map(async (t): Promise<NodeFault | undefined> => {
      const docker = sessionOf(nodes, sessions, t.node)?.docker();
      if (!docker) return undefined;
      const [link, addr] = await Promise.all(
        [["ip", "-o", "link"], ["ip", "-o", "addr"]].map((cmd) => withTimeout(containerExec(docker, t.containerId, cmd), 10_000)),
      );
      const onOverlay = interfaces(link.stdout, addr.stdout).find((i) => i.ipv4.split("/")[0] === t.overlayIp);
      if (!onOverlay) return { node: t.node, symptom: `${t.name} has no interface with its overlay address ${t.overlayIp} (disconnected on the node)` };
      if (onOverlay.mtu === wire.mtu) return undefined;
      return { node: t.node, symptom: `${t.name}'s ${onOverlay.name} on the overlay has MTU ${onOverlay.mtu}, not the overlay's ${wire.mtu} (changed on the node)` };
    }),
  );
  return found.filter((f): f is NodeFault => f !== undefined);
}

/**
 * When tasks cannot ping each other over the overlay, which node drops it: the one whose VXLAN device in the
 * overlay's namespace received nothing while the pings ran (a firewall of its own dropping UDP 4789, say). When no
 * node stands out, every node of a failed ping is named.
 */
async function overlayProblems(
  nodes: NodeAccess[],
  sessions: Sessions,
  tasks: TaskInfo[],
  wire: { networkId: string },
): Promise<{ failed: string[]; faults: NodeFault[] }> {
  if ((await pingFailures(nodes, sessions, tasks)).length === 0) return { failed: [], faults: [] };
  const hosts = [...new Set(tasks.map((t) => t.node))];
  const received = () => Promise.all(hosts.map((h) => vxlanReceived(sessionOf(nodes, sessions, h), wire.networkId)));
  const before = await received();
  const failed = await pingFailures(nodes, sessions, tasks);
  const after = await received();
  if (failed.length === 0) return { failed, faults: [] }; // it came back meanwhile
  const silent = hosts.filter((_, i) => before[i] !== undefined && after[i] !== undefined && after[i] === before[i]);
  if (silent.length > 0 && silent.length < hosts.length) {
    const symptom = "it received no VXLAN (UDP 4789) while the other nodes' tasks pinged its own: something on it drops the overlay's traffic";
    return { failed, faults: silent.map((node) => ({ node, symptom })) };
  }
  const involved = hosts.filter((h) => failed.some((f) => f.includes(` on ${h} `)));
  return { failed, faults: involved.map((node) => ({ node, symptom: "its tasks' pings over the overlay fail, and no single node stands out" })) };
}

/** Packets the VXLAN device of the overlay's namespace on a node has received (undefined when it cannot be read). */
async function vxlanReceived(session: NodeSession | undefined, networkId: string): Promise<number | undefined> {
  if (!session) return undefined;
  try {
    const names = (await session.run("sudo ls /run/docker/netns")).split(/\s+/).filter(Boolean);
    const ns = names.find((f) => f.endsWith(`-${networkId.slice(0, 10)}`));
    if (!ns) return undefined;
    return rxPackets(await session.run(`sudo nsenter --net=/run/docker/netns/${ns} ip -s link show type vxlan`));
  } catch {
    return undefined;
  }
}

/** The received packets in `ip -s link` output: the second number under the RX: header. */
export function rxPackets(text: string): number | undefined {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => /^\s*RX:/.test(l));
  const n = at >= 0 ? lines[at + 1]?.trim().split(/\s+/)[1] : undefined;
  return n !== undefined && /^\d+$/.test(n) ? Number(n) : undefined;
}

async function swarmView(manager: NodeSession, expected: NodeAccess[]): Promise<ObservedNode[]> {
  const listed = await manager.docker().listNodes();
  return expected.map((e) => {
    const entries = listed.filter((n) => n.Description?.Hostname === e.name);
    const n = entries.find((x) => x.Status?.State === "ready") ?? entries[0];
    return { name: e.name, state: n?.Status?.State ?? "missing", role: n?.Spec?.Role ?? "", leader: n?.ManagerStatus?.Leader === true };
  });
}

async function taskProblems(manager: NodeSession, service: ObservedLab["service"], tasks: TaskInfo[]): Promise<string[]> {
  const problems: string[] = [];
  if (tasks.length !== service.replicas) {
    const pending = (await manager.docker().listTasks({ filters: { service: [service.name], "desired-state": ["running"] } })) as {
      Status?: { State?: string; Err?: string; Message?: string };
    }[];
    const why = [...new Set(pending.filter((t) => t.Status?.State !== "running").map((t) => `${t.Status?.State}: ${t.Status?.Err || t.Status?.Message}`))];
    problems.push(`service ${service.name}: ${tasks.length} of ${service.replicas} tasks running${why.length ? ` (${why.join("; ")})` : ""}`);
  }
  const hosts = tasks.map((t) => t.node);
  if (new Set(hosts).size !== hosts.length) problems.push(`service ${service.name}: two tasks on one node (${hosts.join(", ")})`);
  return problems;
}

/** Each ordered pair of tasks that cannot ping over the overlay, in words. */
async function pingFailures(nodes: NodeAccess[], sessions: Sessions, tasks: TaskInfo[]): Promise<string[]> {
  const docker = (node: string) => sessions[nodes.findIndex((n) => n.name === node)]?.docker();
  const pairs = tasks.flatMap((from) => tasks.filter((to) => to !== from).map((to) => ({ from, to })));
  const failed = await Promise.all(
    pairs.map(async ({ from, to }) => {
      const d = docker(from.node);
      const r = d ? await withTimeout(containerExec(d, from.containerId, ["ping", "-c", "1", "-W", "2", to.overlayIp]), 10_000).catch((e) => ({ code: -1, stdout: String(e) })) : undefined;
      return r?.code === 0 ? "" : `${from.name} on ${from.node} cannot ping ${to.name} on ${to.node} (${to.overlayIp}) over the overlay`;
    }),
  );
  return failed.filter(Boolean);
}
