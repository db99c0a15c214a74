// npm run status: the lab as it is now, from one snapshot (one SSH session per node, no ping): each node as the swarm
// sees it, the service's tasks, and what up's final look would call wrong without pinging.
import { healAdvice, interfaceFaults, labProblems, observedOf, replaceCommand } from "./health";
import type { LabOutputs } from "./outputs";
import { membersNamed, nodeNamed, runningTasksOf } from "./snapshot/model";
import { LabSessions, takeSnapshot } from "./snapshot/read";

export interface LabStatus {
  lines: string[];
  problems: string[];
}

export async function labStatus(o: LabOutputs): Promise<LabStatus> {
  const sessions = new LabSessions(o.nodeAccess, o.privateKey, 5_000);
  try {
    const s = await takeSnapshot(sessions, { service: o.service });
    const observed = observedOf(o);
    const lines = o.nodeAccess.map((n) => {
      const member = membersNamed(s.swarm, n.name)[0];
      const seen =
        nodeNamed(s, n.name)?.problem || (member ? `${member.state}${managerStatus(member)}, ${member.availability}` : "not a member of the swarm");
      return `${n.name.padEnd(15)} ${n.role.padEnd(8)} ${n.address.padEnd(15)} ${seen}`;
    });
    for (const t of runningTasksOf(s.swarm, o.service)) {
      const eth0 = t.interfaces?.find((i) => i.name === "eth0");
      lines.push(`task ${t.name} on ${t.node}: ${t.addresses[o.overlay.name] ?? "?"}${eth0 ? ` (eth0 mtu ${eth0.mtu})` : ""}`);
    }
    const faults = interfaceFaults(s, observed.service);
    const problems = [
      ...labProblems(s, o.nodeAccess, observed.service),
      ...faults.map((f) => `${f.node}: ${f.symptom}; ${replaceCommand([f.node])} makes that node again`),
    ];
    if (problems.length > 0)
      lines.push(`NOT healthy (${healAdvice({ problems, remake: faults.map((f) => f.node) })}):`, ...problems.map((p) => `  - ${p}`));
    return { lines, problems };
  } finally {
    sessions.close();
  }
}

/** A manager's MANAGER STATUS as docker node ls shows it: leader, or its reachability (a worker has none). */
function managerStatus(m: { role: string; leader: boolean; reachability: string }): string {
  if (m.leader) return ", leader";
  return m.role === "manager" ? `, ${m.reachability || "of no reachability"}` : "";
}
