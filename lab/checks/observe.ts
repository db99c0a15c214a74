// What the verification suite looks at, gathered over one SSH connection per node: the node's Engine API
// (tunnelled), `docker exec` into tasks, and a few shell commands where no API exists (iptables, nsenter).
import type Docker from "dockerode";
import { containerExec } from "../engine-api";
import type { NodeAccess } from "../sessions";
import { connect } from "../sessions";
import type { ExecResult, NodeSession } from "../remote";
import type { TaskInfo } from "../steps/service";
import type { BackendName } from "../types";
import { Interface, interfaces } from "./interfaces";

export interface LabOutputs {
  lab: string;
  /** The stack's owner id on everything the lab made. */
  owner: string;
  backend: BackendName;
  subnet: string;
  /** As printed by up: name, role, address and the ssh command to reach the node. */
  nodes: { name: string; role: string; address: string; ssh: string }[];
  /** An ssh_config naming every node, for `ssh -F`. */
  sshConfig: string;
  nodeAccess: NodeAccess[];
  privateKey: string;
  overlay: { name: string; subnet: string; gateway: string };
  service: string;
  replicas: number;
  tasks: TaskInfo[];
  /** What up observed to be wrong at its end. */
  problems: string[];
  upstream: { name: string; address: string };
  pingTarget: string;
}

export interface ConnectedNode {
  access: NodeAccess;
  session: NodeSession;
  docker: Docker;
}

/** One SSH connection per node, opened once and reused by every check. */
export class ConnectedLab {
  private constructor(
    readonly outputs: LabOutputs,
    readonly nodes: ConnectedNode[],
  ) {}

  static async open(outputs: LabOutputs): Promise<ConnectedLab> {
    const sessions = await Promise.all(outputs.nodeAccess.map((a) => connect(a, outputs.privateKey)));
    return new ConnectedLab(
      outputs,
      sessions.map((session, i) => ({ access: outputs.nodeAccess[i], session, docker: session.docker() })),
    );
  }

  get manager(): ConnectedNode {
    return this.nodes[0];
  }

  get workers(): ConnectedNode[] {
    return this.nodes.slice(1);
  }

  node(name: string): ConnectedNode {
    const found = this.nodes.find((n) => n.access.name === name);
    if (!found) throw new Error(`no node ${name} in the lab`);
    return found;
  }

  close(): void {
    this.nodes.forEach((n) => n.session.close());
  }
}

export interface SwarmNode {
  hostname: string;
  state: string;
  role: string;
  leader: boolean;
}

/** `docker node ls` on the manager. */
export async function swarmNodes(manager: Docker): Promise<SwarmNode[]> {
  return (await manager.listNodes()).map((n) => ({
    hostname: n.Description?.Hostname ?? "",
    state: n.Status?.State ?? "",
    role: n.Spec?.Role ?? "",
    leader: n.ManagerStatus?.Leader === true,
  }));
}

/** `ip a` inside a task. */
export async function taskInterfaces(node: Docker, containerId: string): Promise<Interface[]> {
  const [links, addrs] = await Promise.all([
    mustExec(node, containerId, ["ip", "-o", "link"]),
    mustExec(node, containerId, ["ip", "-o", "-4", "addr"]),
  ]);
  return interfaces(links, addrs);
}

export async function networkSubnet(docker: Docker, name: string): Promise<string> {
  const info = await docker.getNetwork(name).inspect();
  return info.IPAM?.Config?.[0]?.Subnet ?? "";
}

/** `docker network ls`. */
export async function networkTable(docker: Docker): Promise<{ name: string; driver: string; scope: string }[]> {
  return (await docker.listNetworks())
    .map((n) => ({ name: n.Name, driver: n.Driver, scope: n.Scope }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** iputils' ping with don't-fragment, run in the task's network namespace (busybox's ping cannot set DF). */
export async function dontFragmentPing(n: ConnectedNode, containerId: string, target: string, payload: number): Promise<ExecResult> {
  const pid = (await n.docker.getContainer(containerId).inspect()).State.Pid;
  return n.session.exec(`sudo nsenter -t ${pid} -n ping -M do -c 1 -W 2 -s ${payload} ${target}`);
}

/** The NAT rules on a node (`iptables -t nat -S POSTROUTING`). */
export async function natPostrouting(n: ConnectedNode): Promise<string[]> {
  return (await n.session.run("sudo iptables -w -t nat -S POSTROUTING")).split("\n").filter(Boolean);
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
  const answer = r.stdout.split(/\n\s*\n/).slice(1).join("\n"); // skip the server block
  return [...answer.matchAll(/Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]).sort();
}

/** The last lines the task's own command (`ping <target>`) printed. */
export async function taskLog(node: Docker, containerId: string): Promise<string> {
  const buf = await node.getContainer(containerId).logs({ stdout: true, stderr: true, tail: 20 });
  return buf.toString();
}

async function mustExec(node: Docker, containerId: string, cmd: string[]): Promise<string> {
  const r = await containerExec(node, containerId, cmd);
  if (r.code !== 0) throw new Error(`'${cmd.join(" ")}' in ${containerId.slice(0, 12)} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
