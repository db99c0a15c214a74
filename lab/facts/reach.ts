// What crosses the lab, judged from the commands' results: tasks ping each other over the overlay, the path MTU
// between them is the overlay's, the upstream sees a task's node (the masquerade), a published port answers on every
// node (the routing mesh, where the kernel has IPVS).
import { ANSWERED, MESH_PORT } from "../checks/mesh-answer";
import { verdict, Verdict } from "./verdict";

/** A command's result: its exit code and what it printed (stdout and stderr). */
export interface Ran {
  code: number;
  output: string;
}

/** A ping from one task to another's overlay address. */
export interface TaskPing extends Ran {
  from: string;
  to: string;
}

/** Every ping between tasks was answered in full (exit 0, no packet lost). */
export function tasksPing(pings: TaskPing[]): Verdict {
  const lost = pings.filter((p) => p.code !== 0 || !/ 0% packet loss/.test(p.output));
  return verdict(
    "tasks-ping",
    lost.map((p) => `${p.from} → ${p.to}: ${p.output.trim() || `exit ${p.code}`}`),
  );
}

/** Don't-fragment pings of `fits` and `tooBig` bytes of payload (pathMtuSizes of the overlay's MTU). */
export interface PathMtuProbe {
  mtu: number;
  fits: Ran & { size: number };
  tooBig: Ran & { size: number };
}

/** The largest don't-fragment ping that fits the overlay's MTU passes, one byte more is refused for its size. */
export function pathMtu(p: PathMtuProbe): Verdict {
  const found: string[] = [];
  if (p.fits.code !== 0) found.push(`a ${p.fits.size}-byte don't-fragment ping was not answered: ${p.fits.output.trim()}`);
  if (p.tooBig.code === 0) found.push(`a ${p.tooBig.size}-byte don't-fragment ping went through: the path MTU is not ${p.mtu}`);
  else if (!new RegExp(`mtu ?= ?${p.mtu}|message too long`, "i").test(p.tooBig.output)) {
    found.push(`a ${p.tooBig.size}-byte don't-fragment ping failed, but not for its size (mtu ${p.mtu}): ${p.tooBig.output.trim()}`);
  }
  return verdict("path-mtu", found);
}

/** What the upstream's whoami answered a task: the source address it saw. */
export interface UpstreamAnswer {
  task: string;
  node: string;
  /** The node's lab address, which the upstream must see. */
  nodeAddress: string;
  seen: string;
}

/** The upstream sees each task's node's lab address as the source, not the task's: the node masquerades it. */
export function upstreamSeesNode(answers: UpstreamAnswer[]): Verdict {
  return verdict(
    "upstream-sees-node",
    answers
      .filter((a) => a.seen.trim() !== a.nodeAddress)
      .map((a) => `${a.task} on ${a.node}: the upstream saw '${a.seen.trim()}', not ${a.nodeAddress}`),
  );
}

/** A node's lab address asked for the published port: the status line it answered. */
export interface MeshAnswer {
  node: string;
  address: string;
  line: string;
}

/** A published port answers on every node's address, and IPVS in ingress_sbox holds a service (ipvsadm -Ln). */
export function routingMesh(answers: MeshAnswer[], ipvsTable: string): Verdict {
  const found = answers.filter((a) => !ANSWERED.test(a.line)).map((a) => `port ${MESH_PORT} on ${a.node} (${a.address}) answered '${a.line}'`);
  if (!/FWM|TCP/.test(ipvsTable)) found.push(`ingress_sbox's IPVS table holds no service:\n${ipvsTable}`);
  return verdict("routing-mesh", found);
}
