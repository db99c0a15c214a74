// The lab connected for the suite and explain: one SSH connection per node and the snapshot read through them
// (lab/snapshot), and the probes that act rather than read (pings, captures, iptables counters, nsenter), over the
// same connections: the node's Engine API (tunnelled), `docker exec` into tasks, shell where no API exists.
import type Docker from "dockerode";
import { containerExec } from "../engine-api";
import { healthOf, Observation, observedOf } from "../health";
import type { NodeAccess } from "../sessions";
import type { LabSnapshot } from "../snapshot/model";
import { LabSessions, takeSnapshot } from "../snapshot/read";
import type { ExecResult, NodeSession } from "../remote";

export type { LabOutputs } from "../outputs";
import type { LabOutputs } from "../outputs";

export interface ConnectedNode {
  access: NodeAccess;
  session: NodeSession;
  docker: Docker;
}

/**
 * One SSH connection per node, opened once and reused by every check, and the lab's snapshot read once through them
 * (lab/snapshot): the suite's health check, its claims and explain all take their facts from it.
 */
export class ConnectedLab {
  private constructor(
    readonly outputs: LabOutputs,
    readonly nodes: ConnectedNode[],
    private readonly sessions: LabSessions,
    readonly snapshot: LabSnapshot,
    /** Whether close() closes the sessions: not when the caller keeps them (over()). */
    private readonly owned: boolean,
  ) {}

  static async open(outputs: LabOutputs): Promise<ConnectedLab> {
    const sessions = new LabSessions(outputs.nodeAccess, outputs.privateKey, 30_000);
    try {
      return await ConnectedLab.connect(outputs, sessions, true);
    } catch (err) {
      sessions.close();
      throw err;
    }
  }

  /**
   * The lab over sessions the caller keeps and closes (the exercise page's, from look to look: no SSH handshake per
   * look), with the snapshot the caller took over them, else one taken here.
   */
  static over(outputs: LabOutputs, sessions: LabSessions, snapshot?: LabSnapshot): Promise<ConnectedLab> {
    return ConnectedLab.connect(outputs, sessions, false, snapshot);
  }

  private static async connect(outputs: LabOutputs, sessions: LabSessions, owned: boolean, snapshot?: LabSnapshot): Promise<ConnectedLab> {
    const opened = await Promise.all(outputs.nodeAccess.map((a) => sessions.session(a)));
    const seen = snapshot ?? (await takeSnapshot(sessions, { service: outputs.service, labInterface: true }));
    const nodes = opened.map((session, i) => ({ access: outputs.nodeAccess[i], session, docker: session.docker() }));
    return new ConnectedLab(outputs, nodes, sessions, seen, owned);
  }

  /** What up's final look says of the lab, from this snapshot and over these sessions (pings included). */
  health(): Promise<Observation> {
    return healthOf(observedOf(this.outputs), this.sessions, this.snapshot);
  }

  /** The manager the swarm is seen from: the leading one (the snapshot's), else the first by role. */
  get manager(): ConnectedNode {
    const managers = this.nodes.filter((n) => n.access.role === "manager");
    const leading = managers.find((n) => n.access.name === this.snapshot.swarm?.from);
    if (!leading && managers.length === 0) throw new Error("the lab has no manager in its outputs");
    return leading ?? managers[0];
  }

  get workers(): ConnectedNode[] {
    return this.nodes.filter((n) => n.access.role === "worker");
  }

  node(name: string): ConnectedNode {
    const found = this.nodes.find((n) => n.access.name === name);
    if (!found) throw new Error(`no node ${name} in the lab`);
    return found;
  }

  close(): void {
    if (this.owned) this.sessions.close();
  }
}

/** iputils' ping with don't-fragment, run in the task's network namespace (busybox's ping cannot set DF). */
export async function dontFragmentPing(n: ConnectedNode, containerId: string, target: string, payload: number): Promise<ExecResult> {
  const pid = (await n.docker.getContainer(containerId).inspect()).State.Pid;
  return n.session.exec(`sudo nsenter -t ${pid} -n ping -M do -c 1 -W 2 -s ${payload} ${target}`);
}

/** The node's default routes (`ip -j route show default`). */
export async function defaultRoutes(n: ConnectedNode): Promise<unknown[]> {
  return JSON.parse((await n.session.run("ip -j route show default")) || "[]");
}

/** Whether the node's kernel has IPVS, which service VIPs and the ingress routing mesh need. */
export async function hasIpvs(n: ConnectedNode): Promise<boolean> {
  return (await n.session.exec("test -e /proc/net/ip_vs || sudo ipvsadm -Ln >/dev/null 2>&1")).code === 0;
}

/** Addresses a name resolves to inside a task (Swarm's embedded DNS at 127.0.0.11). */
export async function resolveInTask(node: Docker, containerId: string, name: string): Promise<string[]> {
  const r = await containerExec(node, containerId, ["nslookup", name, "127.0.0.11"]);
  const answer = r.stdout
    .split(/\n\s*\n/)
    .slice(1)
    .join("\n"); // skip the server block
  return [...answer.matchAll(/Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]).sort();
}

/** The last lines the task's own command (`ping <target>`) printed. */
export async function taskLog(node: Docker, containerId: string): Promise<string> {
  const buf = await node.getContainer(containerId).logs({ stdout: true, stderr: true, tail: 20 });
  return buf.toString();
}

/** The network namespace Docker made for an overlay on a node (/run/docker/netns/1-<first 10 of its id>). */
export async function overlayNamespace(n: ConnectedNode, networkId: string): Promise<string> {
  const names = (await n.session.run("sudo ls /run/docker/netns")).split(/\s+/).filter(Boolean);
  const found = names.find((f) => f.endsWith(`-${networkId.slice(0, 10)}`));
  if (!found) throw new Error(`${n.access.name}: no namespace of network ${networkId.slice(0, 12)} in /run/docker/netns (${names.join(", ")})`);
  return `/run/docker/netns/${found}`;
}

/** The vxlan device in an overlay's namespace on a node: `ip -d link show type vxlan` there, and its VNI. */
export async function vxlanDevice(n: ConnectedNode, networkId: string): Promise<{ command: string; output: string; vni: number }> {
  const command = `sudo nsenter --net=${await overlayNamespace(n, networkId)} ip -d link show type vxlan`;
  const output = await n.session.run(command);
  const vni = /\bvxlan id (\d+)/.exec(output)?.[1];
  if (!vni) throw new Error(`${n.access.name}: no vxlan device in network ${networkId.slice(0, 12)}'s namespace:\n${output}`);
  return { command, output, vni: Number(vni) };
}

/** One rule of `iptables -t nat -L POSTROUTING -n -v -x`, with its counters. */
export interface NatRule {
  packets: number;
  bytes: number;
  target: string;
  out: string;
  source: string;
  destination: string;
}

/** `iptables -t nat -L POSTROUTING -n -v -x`'s rows (counters exact, not rounded to K/M). */
export function parseNatCounters(text: string): NatRule[] {
  return [...text.matchAll(/^\s*(\d+)\s+(\d+)\s+(\S+)\s+\S+\s+\S+\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/gm)].map((m) => ({
    packets: Number(m[1]),
    bytes: Number(m[2]),
    target: m[3],
    out: m[5],
    source: m[6],
    destination: m[7],
  }));
}

export const NAT_COUNTERS_COMMAND = "sudo iptables -w -t nat -L POSTROUTING -n -v -x";

/** The node's POSTROUTING rules with their packet counters, and the text iptables printed. */
export async function natCounters(n: ConnectedNode): Promise<{ output: string; rules: NatRule[] }> {
  const output = await n.session.run(NAT_COUNTERS_COMMAND);
  return { output, rules: parseNatCounters(output) };
}

/**
 * Runs `during` (a shell command on the node) while tcpdump listens on `iface` for `filter`, and returns what tcpdump
 * printed (at most `count` packets, `seconds` at most). The command starts once tcpdump says it is listening.
 */
export async function captureDuring(n: ConnectedNode, iface: string, filter: string, count: number, during: string, seconds = 20): Promise<string> {
  const script = [
    `f=$(mktemp)`,
    `sudo timeout ${seconds} tcpdump -i ${iface} -nn -l -c ${count} '${filter}' >"$f" 2>&1 & p=$!`,
    `for i in $(seq 100); do grep -q 'listening on' "$f" && break; sleep 0.1; done`,
    `${during} >/dev/null 2>&1`,
    `wait $p; cat "$f"; rm -f "$f"`,
  ].join("\n");
  return (await n.session.exec(script)).stdout;
}
