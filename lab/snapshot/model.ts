// The live lab as one typed snapshot, made from what each node's engine answered (answers.ts). Every reader takes its
// facts from here: the parts' read (refresh), up's final look (lab/health.ts), the suite, explain and status. Pure:
// tested against answers recorded from a real lab.
import { interfaces, Interface } from "../checks/interfaces";
import type { TaskInfo } from "../steps/service";
import type { NodeSpec } from "../steps/swarm";
import type { Role } from "../types";
import type { Answer, EngineAnswers, RawNetwork, RawNodeLook, RawService, RawSwarmNode, RawTask } from "./answers";

export interface NetworkLook {
  id: string;
  name: string;
  driver: string;
  scope: string;
  internal: boolean;
  attachable: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  subnet: string;
  gateway: string;
}

/** A node as the swarm's managers list it (`docker node ls` / `docker node inspect`). */
export interface SwarmMemberLook {
  id: string;
  hostname: string;
  role: "manager" | "worker";
  availability: "active" | "pause" | "drain";
  labels: Record<string, string>;
  /** ready, down, unknown, disconnected */
  state: string;
  leader: boolean;
  /** A manager's reachability (reachable, unreachable); "" for a worker. */
  reachability: string;
}

export interface ServiceLook {
  id: string;
  name: string;
  version: number;
  /** The whole spec, as `docker service inspect` shows it. */
  spec: Record<string, unknown>;
}

export interface TaskLook {
  id: string;
  service: string;
  /** test.1, test.2, … */
  name: string;
  nodeId: string;
  /** The hostname of its node ("" when the managers do not list the node). */
  node: string;
  state: string;
  /** Swarm's words for a task that does not run: "no suitable node (…)". */
  why: string;
  containerId: string;
  /** Its address on each network it is attached to, by the network's name (without the prefix length). */
  addresses: Record<string, string>;
  /** Inside the task, when read (the running tasks of the lab's service): its interfaces. */
  interfaces?: Interface[];
}

/** The swarm as a manager sees it. */
export interface SwarmView {
  /** The manager that answered. */
  from: string;
  id: string;
  tokens: { worker: string; manager: string };
  members: SwarmMemberLook[];
  services: ServiceLook[];
  /** The tasks Swarm wants running, of every service. */
  tasks: TaskLook[];
}

/** A node of the lab as it answered. */
export interface NodeLook {
  name: string;
  /** Its role in the lab's settings. */
  role: Role;
  address: string;
  /** Why SSH or its engine did not answer; "" when they did. */
  problem: string;
  /** The swarm as this node's engine sees itself in it (`docker info`'s Swarm). */
  local: { state: string; nodeId: string; clusterId: string; manages: boolean };
  images: string[];
  networks: NetworkLook[];
  /** The interface holding its lab address, when read. */
  labInterface?: string;
  /** The swarm as this node sees it, when it manages one; undefined otherwise (a manager that left: 503). */
  view?: SwarmView;
  /** What a manager's swarm calls failed with, other than "not in a swarm" (an engine that hangs, say). */
  viewError?: string;
}

export interface LabSnapshot {
  nodes: NodeLook[];
  /** The swarm as the lab's managers see it: the leader's view, else the first manager that answered. */
  swarm?: SwarmView;
}

const NOT_IN_SWARM = /not a swarm manager|not part of a swarm/i;

export function snapshotOf(raw: RawNodeLook[]): LabSnapshot {
  // What was read inside the tasks, on the nodes they run on, joins the managers' view of them.
  const inside = Object.assign({}, ...raw.map((n) => n.tasks ?? {})) as Required<RawNodeLook>["tasks"];
  const nodes = raw.map((n) => nodeLookOf(n, inside));
  const views = nodes.filter((n) => n.role === "manager" && n.view).map((n) => n.view!);
  const leading = views.find((v) => v.members.some((m) => m.hostname === v.from && m.leader));
  return { nodes, swarm: leading ?? views[0] };
}

export function nodeLookOf(raw: RawNodeLook, inside: RawNodeLook["tasks"] = {}): NodeLook {
  const a = raw.answers;
  const swarm = a?.info.Swarm;
  const look: NodeLook = {
    name: raw.name,
    role: raw.role,
    address: raw.address,
    problem: raw.problem,
    local: {
      state: swarm?.LocalNodeState ?? "",
      nodeId: swarm?.NodeID ?? "",
      clusterId: swarm?.Cluster?.ID ?? "",
      manages: swarm?.ControlAvailable === true,
    },
    images: a?.images ?? [],
    networks: (a?.networks ?? []).map(networkLookOf),
    ...(raw.addresses !== undefined ? { labInterface: interfaceHolding(raw.addresses, raw.address) } : {}),
  };
  if (a?.manager) {
    const refused = [a.manager.swarm, a.manager.nodes, a.manager.services, a.manager.tasks].find((x) => "error" in x);
    if (!refused) look.view = viewOf(raw.name, a.manager as Required<EngineAnswers>["manager"], inside ?? {});
    else if (!NOT_IN_SWARM.test(refused.error.message)) look.viewError = refused.error.message;
  }
  return look;
}

const ok = <T>(a: Answer<T>): T => ("ok" in a ? a.ok : (undefined as never));

function viewOf(from: string, m: Required<EngineAnswers>["manager"], inside: Required<RawNodeLook>["tasks"]): SwarmView {
  const swarm = ok(m.swarm);
  const members = ok(m.nodes).map(memberOf);
  const hostname = new Map(members.map((n) => [n.id, n.hostname]));
  const serviceName = new Map(ok(m.services).map((s) => [s.ID, s.Spec?.Name ?? s.ID]));
  return {
    from,
    id: swarm.ID,
    tokens: { worker: swarm.JoinTokens?.Worker ?? "", manager: swarm.JoinTokens?.Manager ?? "" },
    members,
    services: ok(m.services).map(serviceLookOf),
    tasks: ok(m.tasks)
      .map((t) => taskLookOf(t, serviceName.get(t.ServiceID ?? "") ?? "", hostname.get(t.NodeID ?? "") ?? ""))
      .map((t) => (inside[t.name] ? { ...t, interfaces: interfaces(inside[t.name].link, inside[t.name].addr) } : t))
      .sort((x, y) => x.name.localeCompare(y.name, undefined, { numeric: true })),
  };
}

function networkLookOf(n: RawNetwork): NetworkLook {
  const ipam = n.IPAM?.Config?.[0];
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver ?? "",
    scope: n.Scope ?? "",
    internal: n.Internal === true,
    attachable: n.Attachable === true,
    options: n.Options ?? {},
    labels: n.Labels ?? {},
    subnet: ipam?.Subnet ?? "",
    gateway: ipam?.Gateway ?? "",
  };
}

function memberOf(n: RawSwarmNode): SwarmMemberLook {
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? "",
    role: n.Spec?.Role === "manager" ? "manager" : "worker",
    availability: (n.Spec?.Availability ?? "active") as SwarmMemberLook["availability"],
    labels: n.Spec?.Labels ?? {},
    state: n.Status?.State ?? "",
    leader: n.ManagerStatus?.Leader === true,
    reachability: n.ManagerStatus?.Reachability ?? "",
  };
}

function serviceLookOf(s: RawService): ServiceLook {
  return { id: s.ID, name: s.Spec?.Name ?? "", version: s.Version?.Index ?? 0, spec: s.Spec ?? {} };
}

function taskLookOf(t: RawTask, service: string, node: string): TaskLook {
  return {
    id: t.ID,
    service,
    name: `${service}.${t.Slot ?? t.NodeID}`,
    nodeId: t.NodeID ?? "",
    node,
    state: t.Status?.State ?? "",
    why: t.Status?.Err || t.Status?.Message || "",
    containerId: t.Status?.ContainerStatus?.ContainerID ?? "",
    addresses: Object.fromEntries(
      (t.NetworksAttachments ?? []).map((a) => [a.Network?.Spec?.Name ?? a.Network?.ID ?? "", (a.Addresses?.[0] ?? "").split("/")[0]]),
    ),
  };
}

/** The interface of `ip -j -4 addr show` that holds the address ("" when none does). */
function interfaceHolding(json: string, address: string): string {
  try {
    const links = JSON.parse(json || "[]") as { ifname?: string; addr_info?: { local?: string }[] }[];
    return links.find((l) => (l.addr_info ?? []).some((i) => i.local === address))?.ifname ?? "";
  } catch {
    return "";
  }
}

// What the readers ask of a snapshot.

export function nodeNamed(s: LabSnapshot, name: string): NodeLook | undefined {
  return s.nodes.find((n) => n.name === name);
}

export function networkNamed(n: Pick<NodeLook, "networks"> | undefined, name: string): NetworkLook | undefined {
  return n?.networks.find((x) => x.name === name);
}

export function serviceNamed(v: SwarmView | undefined, name: string): ServiceLook | undefined {
  return v?.services.find((s) => s.name === name);
}

/** The replicas the service's spec asks for (replicated mode); undefined for a global service. */
export function replicasOf(s: ServiceLook): number | undefined {
  return (s.spec as { Mode?: { Replicated?: { Replicas?: number } } }).Mode?.Replicated?.Replicas;
}

/** The managers' entries for a hostname: a Ready one first (an earlier life of the node may linger as Down). */
export function membersNamed(v: SwarmView | undefined, hostname: string): SwarmMemberLook[] {
  const found = (v?.members ?? []).filter((m) => m.hostname === hostname);
  return [...found.filter((m) => m.state === "ready"), ...found.filter((m) => m.state !== "ready")];
}

/** The running tasks of a service, each with its node and its address on `network`. */
export function runningTasksOf(v: SwarmView | undefined, service: string): TaskLook[] {
  return (v?.tasks ?? []).filter((t) => t.service === service && t.state === "running");
}

/** Docker's option holding an overlay's VXLAN network identifiers (one per subnet). */
export const VXLAN_ID_OPTION = "com.docker.network.driver.overlay.vxlanid_list";

/** An overlay as the tutorial reads it: its id, subnet and gateway, its VNI, and whether it is encrypted. */
export interface OverlayLook {
  id: string;
  name: string;
  subnet: string;
  gateway: string;
  /** The VNI Docker gave the network (its vxlanid_list option). */
  vni: number;
  /** Made with --opt encrypted: IPsec ESP between the nodes instead of cleartext VXLAN. */
  encrypted: boolean;
}

/** An overlay as the swarm's managers hold it (the leader's node, else any node that has it). */
export function overlayNamed(s: LabSnapshot, name: string): OverlayLook | undefined {
  const from = s.swarm ? nodeNamed(s, s.swarm.from) : undefined;
  const n = networkNamed(from, name) ?? s.nodes.map((x) => networkNamed(x, name)).find(Boolean);
  if (!n) return undefined;
  const vni = Number((n.options[VXLAN_ID_OPTION] ?? "").split(",")[0]);
  return { id: n.id, name: n.name, subnet: n.subnet, gateway: n.gateway, vni, encrypted: "encrypted" in n.options };
}

/** `docker network ls` on a node, from its look: name, driver and scope, by name. */
export function networkTableOf(n: Pick<NodeLook, "networks"> | undefined): { name: string; driver: string; scope: string }[] {
  return (n?.networks ?? []).map((x) => ({ name: x.name, driver: x.driver, scope: x.scope })).sort((a, b) => a.name.localeCompare(b.name));
}

/** The interface that holds a node's lab address (read when the snapshot was taken with labInterface). */
export function labInterfaceOf(s: LabSnapshot, node: string): string {
  const found = nodeNamed(s, node)?.labInterface;
  if (!found) throw new Error(`${node}: no interface holds its lab address (or the snapshot did not read it)`);
  return found;
}

/** A member's spec as `docker node update` changes it: role, availability, labels. */
export function memberSpec(m: SwarmMemberLook): NodeSpec {
  return { role: m.role, availability: m.availability, labels: m.labels };
}

/** A running task as the parts and the outputs record it: its node and its address on the lab's overlay. */
export function taskInfoOf(t: TaskLook, network: string): TaskInfo {
  return { name: t.name, node: t.node, overlayIp: t.addresses[network] ?? "", containerId: t.containerId };
}

/** Why the tasks of a service that Swarm wants running do not run, in Swarm's words (distinct). */
export function pendingReasons(v: SwarmView | undefined, service: string): string[] {
  const pending = (v?.tasks ?? []).filter((t) => t.service === service && t.state !== "running");
  return [...new Set(pending.map((t) => `${t.state}: ${t.why}`))];
}
