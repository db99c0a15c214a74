// The swarm's facts: each engine in the swarm (`docker swarm init`, `docker swarm join`), `docker node ls` (every node
// Ready, once, one manager the Leader and every other manager Reachable), the service's replicas and `docker service ps` (the tasks Running, one per
// worker). Roles come from the lab's nodes, never from a node's position or name.
import type { Role } from "../types";
import { verdict, Verdict } from "./verdict";

/** A row of `docker node ls` on a manager. */
export interface NodeRow {
  hostname: string;
  /** ready, down, unknown, … */
  state: string;
  role: string;
  leader: boolean;
  /** MANAGER STATUS of a manager that is not the Leader: reachable, unreachable; "" for a worker; unset when not read. */
  reachability?: string;
}

/** A node of the lab: its name and the role it was made for. */
export interface LabNode {
  name: string;
  role: Role;
}

/**
 * docker node ls: each of the lab's nodes is listed once (a Down leftover of an earlier join is a second row), is
 * Ready, has the role it was made for, nothing else is listed, one node is the Leader and its role is manager, and
 * every other manager is Reachable (a member of the managers' Raft: counted in the quorum).
 */
export function nodesReady(listed: NodeRow[], lab: LabNode[]): Verdict {
  const found: string[] = [];
  for (const n of lab) {
    const rows = listed.filter((r) => r.hostname === n.name);
    if (rows.length === 0) found.push(`${n.name} is not in the swarm`);
    if (rows.length > 1) found.push(`${n.name} is listed ${rows.length} times (a leftover of an earlier join)`);
    for (const r of rows.filter((x) => x.role !== n.role)) found.push(`${n.name} is a ${r.role || "node of no role"}, not a ${n.role}`);
  }
  for (const r of listed) {
    if (!lab.some((n) => n.name === r.hostname)) found.push(`${r.hostname || "a node without a hostname"} is listed but is no node of this lab`);
    if (r.state !== "ready") found.push(`${r.hostname} is ${r.state || "in no state"}, not Ready`);
  }
  const managers = lab.filter((n) => n.role === "manager").map((n) => n.name);
  const leaders = listed.filter((r) => r.leader);
  if (leaders.length === 0) found.push("no node is the Leader");
  if (leaders.length > 1) found.push(`${leaders.map((l) => l.hostname).join(" and ")} are each listed as the Leader`);
  for (const l of leaders.filter((x) => !managers.includes(x.hostname))) {
    found.push(
      `the Leader is ${l.hostname}, not ${managers.length === 1 ? "the manager" : "a manager"} (${managers.join(", ") || "the lab has none"})`,
    );
  }
  for (const r of listed.filter((x) => x.role === "manager" && !x.leader && x.reachability !== undefined && x.reachability !== "reachable")) {
    found.push(`${r.hostname} is a manager listed as ${r.reachability || "of no reachability"}, not Reachable: the quorum does not count it`);
  }
  return verdict("node-ls", found);
}

/**
 * Raft's arithmetic for a swarm of `managers` managers: the quorum (a majority, ⌊N/2⌋+1) that must be up for the
 * swarm to elect a leader and schedule anything, and how many managers may fail with it kept.
 */
export function quorumOf(managers: number): { quorum: number; survives: number } {
  const quorum = Math.floor(managers / 2) + 1;
  return { quorum, survives: managers - quorum };
}

/** A running task and where it runs. */
export interface TaskPlace {
  name: string;
  node: string;
}

/**
 * docker service ps: as many tasks Running as the service has replicas, each on a different node, and each on a
 * worker (the lab's service is placed on workers, so its traffic has to cross the lab network).
 */
export function tasksSpread(tasks: TaskPlace[], want: { replicas: number; workers: string[] }): Verdict {
  const found: string[] = [];
  if (tasks.length !== want.replicas) found.push(`${tasks.length} of ${want.replicas} tasks running`);
  const byNode = new Map<string, string[]>();
  for (const t of tasks) byNode.set(t.node, [...(byNode.get(t.node) ?? []), t.name]);
  for (const [node, names] of byNode) if (names.length > 1) found.push(`${names.join(" and ")} share ${node}`);
  for (const t of tasks) if (!want.workers.includes(t.node)) found.push(`${t.name} runs on ${t.node}, which is not a worker`);
  return verdict("service-ps", found);
}

/** A node's engine as `docker info` shows its swarm: its state, the address it speaks on, the managers it knows. */
export interface EngineSwarm {
  node: string;
  role: Role;
  /** The node's lab address. */
  address: string;
  /** active, inactive, pending, error, locked. */
  state: string;
  nodeAddr: string;
  /** The managers it reaches (address:port); a worker's way into the swarm. */
  managers: string[];
}

/**
 * Each engine is active in the swarm and speaks on its node's lab address (the manager's --advertise-addr, where
 * the workers reach it); each worker joined through a manager's address, at Swarm's port 2377.
 */
export function swarmJoined(engines: EngineSwarm[], managerAddresses: string[]): Verdict {
  const found: string[] = [];
  const through = managerAddresses.map((a) => `${a}:2377`);
  for (const e of engines) {
    if (e.state !== "active") found.push(`${e.node}'s engine is ${e.state || "in no state"} in the swarm, not active`);
    else if (e.nodeAddr !== e.address) found.push(`${e.node} speaks on ${e.nodeAddr || "no address"}, not its lab address ${e.address}`);
    if (e.role === "worker" && e.state === "active" && !e.managers.some((m) => through.includes(m))) {
      found.push(`${e.node} knows the managers ${e.managers.join(", ") || "(none)"}, not ${through.join(" or ")}`);
    }
  }
  return verdict("swarm-joined", found);
}

/** The REPLICAS column of `docker service ls` (running/desired, e.g. 2/2) against the service's spec. */
export function replicasRunning(service: string, column: string, replicas: number): Verdict {
  const m = /^(\d+)\/(\d+)/.exec(column.trim());
  if (!m) return verdict("replicas-running", [`service ${service} is not listed with its replicas`]);
  const [running, desired] = [Number(m[1]), Number(m[2])];
  const found = [
    ...(desired !== replicas ? [`service ${service} wants ${desired} replicas, not ${replicas}`] : []),
    ...(running !== desired ? [`service ${service} runs ${running} of its ${desired} replicas`] : []),
  ];
  return verdict("replicas-running", found);
}
