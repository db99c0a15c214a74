// What up ends with, and what the suite checks first: the lab as it is now, in plain words. Nodes Ready, the
// service's tasks Running on distinct workers, each task able to ping the other.
import { containerExec } from "./engine-api";
import { engineProblem, NodeAccess, NodeProblem, withTimeout, connect } from "./sessions";
import type { NodeSession } from "./remote";
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
  return withObserver(lab, async (look) => {
    for (;;) {
      const seen = await look();
      if (settled(seen) || Date.now() > deadline) return seen;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  });
}

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
  if (!manager) return { nodes: [], tasks: [], problems };
  const nodes = await swarmView(manager, lab.nodes);
  for (const n of nodes) if (n.state !== "ready") problems.push(`${n.name}: the swarm sees it ${n.state === "missing" ? "not as a member" : n.state}`);
  const tasks = await runningTasks(manager.docker(), lab.service.name, lab.service.network);
  problems.push(...(await taskProblems(manager, lab.service, tasks)));
  if (problems.length === 0) problems.push(...(await pingProblems(lab.nodes, sessions, tasks)));
  return { nodes, tasks, problems };
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

async function pingProblems(nodes: NodeAccess[], sessions: (NodeSession | undefined)[], tasks: TaskInfo[]): Promise<string[]> {
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
