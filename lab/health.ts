// What up ends with, and what the suite checks first: the lab as it is now, in plain words. Nodes Ready, the
// service's tasks Running on distinct workers, each task's interface on the overlay at the overlay's MTU, each task
// able to ping the other. A node broken in a way no part describes (an MTU changed inside it, a firewall of its own
// dropping VXLAN) is named with the one command that makes it again: npm run up -- --replace <node>.
import { eth0OnOverlay, nodesReady, tasksSpread } from "./facts";
import { containerExec } from "./engine-api";
import type { LabOutputs } from "./outputs";
import type { NodeSession } from "./remote";
import { NodeAccess, withTimeout } from "./sessions";
import { LabSnapshot, membersNamed, overlayNamed, pendingReasons, replicasOf, runningTasksOf, serviceNamed, taskInfoOf } from "./snapshot/model";
import { LabSessions, takeSnapshot } from "./snapshot/read";
import type { TaskInfo } from "./steps/service";
import { unlessTimedOut, waitUntil } from "./wait";

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

/**
 * `npm run up -- --replace swarm-worker1 [--replace swarm-worker2]` (or a comma list): the nodes to make again, which
 * up's final look names when a node is broken in a way no part describes. Undefined for anything else.
 */
export function replaceArgs(args: string[]): string[] | undefined {
  const nodes: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s);
    const value = inline ?? args[++i];
    if (flag !== "--replace" || !value || value.startsWith("-")) return undefined;
    nodes.push(...value.split(",").filter(Boolean));
  }
  return nodes;
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

/** What a look at the lab needs, from the stack's outputs. */
export function observedOf(o: Pick<LabOutputs, "nodeAccess" | "privateKey" | "service" | "replicas" | "overlay">): ObservedLab {
  return { nodes: o.nodeAccess, privateKey: o.privateKey, service: { name: o.service, replicas: o.replicas, network: o.overlay.name } };
}

/** Observes the lab until it is healthy (or `settled` says so) or timeoutMs has passed; returns the last observation. */
export async function observeLab(
  lab: ObservedLab,
  timeoutMs = 60_000,
  settled: (o: Observation) => boolean = (o) => o.problems.length === 0,
): Promise<Observation> {
  let broken = { nodes: "", since: Date.now() };
  let last: Observation | undefined;
  return withObserver(lab, async (look) => {
    const seen = await unlessTimedOut(
      waitUntil("the lab healthy", { timeoutMs, pacingMs: 1_000, errors: "end" }, async () => {
        last = await look();
        const nodes = last.remake.join(",");
        if (nodes !== broken.nodes) broken = { nodes, since: Date.now() };
        // A node broken in a way no part describes does not mend by waiting: once the same nodes have been named for
        // a while (not a moment of a lab still settling), say so rather than wait out the deadline.
        const remakeSettled = nodes !== "" && Date.now() - broken.since >= REMAKE_SETTLED_MS;
        return (settled(last) || remakeSettled) && last;
      }),
    );
    return seen ?? last!;
  });
}

/** How long the same nodes must be named as needing --replace before a look stops waiting for the lab to heal. */
const REMAKE_SETTLED_MS = 10_000;

export function observeOnce(lab: ObservedLab): Promise<Observation> {
  return withObserver(lab, (look) => look());
}

/** Runs fn with a `look` at the lab that keeps one SSH session per node across looks (LabSessions). */
async function withObserver<T>(lab: ObservedLab, fn: (look: () => Promise<Observation>) => Promise<T>): Promise<T> {
  const sessions = new LabSessions(lab.nodes, lab.privateKey, 5_000);
  try {
    return await fn(() => observeWith(lab, sessions));
  } finally {
    sessions.close();
  }
}

async function observeWith(lab: ObservedLab, sessions: LabSessions): Promise<Observation> {
  return healthOf(lab, sessions, await takeSnapshot(sessions, { service: lab.service.name }));
}

/**
 * The lab's health from a snapshot (taken with the service's tasks read from inside), and, when the snapshot shows
 * nothing wrong, the tasks' pings over the overlay through the same sessions.
 */
export async function healthOf(lab: ObservedLab, sessions: LabSessions, snapshot: LabSnapshot): Promise<Observation> {
  const { service } = lab;
  const problems = labProblems(snapshot, lab.nodes, service);
  const tasks = runningTasksOf(snapshot.swarm, service.name).map((t) => taskInfoOf(t, service.network));
  const nodes = lab.nodes.map((n): ObservedNode => {
    const m = membersNamed(snapshot.swarm, n.name)[0];
    return { name: n.name, state: m?.state ?? "missing", role: m?.role ?? "", leader: m?.leader === true };
  });
  const remake: string[] = [];
  if (problems.length === 0) {
    // A task's interface changed on its node explains failed pings too: the VXLAN look is for when none did.
    const changed = interfaceFaults(snapshot, service);
    const overlay = await overlayProblems(sessions, tasks, overlayNamed(snapshot, service.network)?.id ?? "");
    problems.push(...overlay.failed);
    for (const f of changed.length > 0 ? changed : overlay.faults) {
      problems.push(`${f.node}: ${f.symptom}; ${replaceCommand([f.node])} makes that node again`);
      if (!remake.includes(f.node)) remake.push(f.node);
    }
  }
  return { nodes, tasks, problems, remake };
}

/**
 * What the snapshot shows wrong that up heals, one line each naming the node or the service: a node that does not
 * answer, no swarm, and the tutorial's facts of the swarm judged by the predicates the suite and explain use
 * (lab/facts): docker node ls (each node once, Ready, in its role, a manager the Leader) and docker service ps (as
 * many tasks as replicas, one per worker), with Swarm's own words for a task that does not run.
 */
export function labProblems(s: LabSnapshot, expected: Pick<NodeAccess, "name" | "role">[], service: ObservedLab["service"]): string[] {
  const problems = s.nodes.filter((n) => n.problem).map((n) => `${n.name}: ${n.problem}`);
  if (!s.swarm) {
    const managers = s.nodes.filter((n) => n.role === "manager" && !n.problem);
    for (const m of managers) problems.push(`${m.name}: it manages no swarm (${m.viewError ?? `docker info says ${m.local.state || "no swarm"}`})`);
    return problems;
  }
  // Only the lab's own nodes: a worker this up removes (workers 3→2) is still a member when the look runs, as Pulumi
  // deletes what left the program after everything else; the suite, which runs after up, sees the whole list.
  const ours = s.swarm.members.filter((m) => expected.some((e) => e.name === m.hostname));
  problems.push(...nodesReady(ours, expected).found.map((line) => `docker node ls: ${line}`));
  // the service gone, or scaled, said as that: the tasks' count below follows from it
  const spec = serviceNamed(s.swarm, service.name);
  const replicas = spec && replicasOf(spec);
  if (!spec) problems.push(`service ${service.name}: not in the swarm (docker service ls has no ${service.name})`);
  else if (replicas !== service.replicas)
    problems.push(`service ${service.name}: scaled to ${replicas ?? "global"} replicas, the lab's is ${service.replicas}`);
  const running = runningTasksOf(s.swarm, service.name);
  const workers = expected.filter((n) => n.role === "worker").map((n) => n.name);
  problems.push(...tasksSpread(running, { replicas: service.replicas, workers }).found.map((line) => `service ${service.name}: ${line}`));
  const why = pendingReasons(s.swarm, service.name);
  if (running.length !== service.replicas && why.length > 0) problems.push(`service ${service.name}: Swarm says ${why.join("; ")}`);
  return problems;
}

/** A node's fault that no part describes: its name and what is wrong, in plain words. */
interface NodeFault {
  node: string;
  symptom: string;
}

/**
 * Each running task's eth0 as the tutorial has it (eth0-on-overlay: Swarm's address, in mynet, at the overlay's MTU):
 * when it is not, it was changed or disconnected on its node, which no part describes. Read from inside the tasks.
 */
export function interfaceFaults(s: LabSnapshot, service: ObservedLab["service"]): NodeFault[] {
  const overlay = overlayNamed(s, service.network);
  if (!overlay) return [];
  return runningTasksOf(s.swarm, service.name).flatMap((t): NodeFault[] => {
    if (!t.interfaces) return [];
    const task = { name: t.name, overlayIp: t.addresses[service.network] ?? "", eth0: t.interfaces.find((i) => i.name === "eth0") };
    const { found } = eth0OnOverlay([task], overlay);
    return found.length > 0 ? [{ node: t.node, symptom: `${found.join("; ")} (changed on the node)` }] : [];
  });
}

/**
 * When tasks cannot ping each other over the overlay, which node drops it: the one whose VXLAN device in the
 * overlay's namespace received nothing while the pings ran (a firewall of its own dropping UDP 4789, say). When no
 * node stands out, every node of a failed ping is named.
 */
async function overlayProblems(sessions: LabSessions, tasks: TaskInfo[], networkId: string): Promise<{ failed: string[]; faults: NodeFault[] }> {
  if ((await pingFailures(sessions, tasks)).length === 0) return { failed: [], faults: [] };
  const hosts = [...new Set(tasks.map((t) => t.node))];
  const received = () => Promise.all(hosts.map((h) => vxlanReceived(sessions.sessions.get(h), networkId)));
  const before = await received();
  const failed = await pingFailures(sessions, tasks);
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
  if (!session || !networkId) return undefined;
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

/** Each ordered pair of tasks that cannot ping over the overlay, in words. */
async function pingFailures(sessions: LabSessions, tasks: TaskInfo[]): Promise<string[]> {
  const pairs = tasks.flatMap((from) => tasks.filter((to) => to !== from).map((to) => ({ from, to })));
  const failed = await Promise.all(
    pairs.map(async ({ from, to }) => {
      const d = sessions.sessions.get(from.node)?.docker();
      const r = d
        ? await withTimeout(containerExec(d, from.containerId, ["ping", "-c", "1", "-W", "2", to.overlayIp]), 10_000).catch((e) => ({
            code: -1,
            stdout: String(e),
          }))
        : undefined;
      return r?.code === 0 ? "" : `${from.name} on ${from.node} cannot ping ${to.name} on ${to.node} (${to.overlayIp}) over the overlay`;
    }),
  );
  return failed.filter(Boolean);
}
