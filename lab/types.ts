// The lab as data: what config.ts produces and every backend, step and check consumes.
import type { BACKEND_NAMES } from "./backends/names";

export type BackendName = (typeof BACKEND_NAMES)[number];
export type Role = "manager" | "worker";
export type Egress = "none" | "internet";

export interface NodeSpec {
  /** Hostname, e.g. swarm-manager, swarm-worker1. Also the value of the swarmlab.node label. */
  name: string;
  role: Role;
  /** Static address on the lab network, e.g. 192.168.56.10. */
  address: string;
  /** How the user logs in to a machine they already have (ssh backend): the lab's own key is authorised that way. */
  login?: HostLogin;
}

/** A host's login as swarmlab:hosts gives it: the user, sshd's port, and a private key file (else the SSH agent). */
export interface HostLogin {
  user: string;
  port: number;
  key?: string;
  /** A jump host the host is reached through, with the same credentials (swarmlab:hosts' "jump"). */
  jump?: JumpHost;
}

/** A jump host: where this machine reaches its sshd, and the login there. */
export interface JumpHost {
  address: string;
  port: number;
  user: string;
}

/** A jump host as a node's access carries it: with its host key, pinned at first contact and checked each time. */
export interface JumpAccess extends JumpHost {
  hostKey: string;
}

export interface LabSpec {
  /** Lab name: value of the swarmlab.lab label on everything the lab creates. */
  name: string;
  backend: BackendName;
  /** The lab network, e.g. 192.168.56.0/24. */
  subnet: string;
  /** The host's address on the lab network (first usable address), e.g. 192.168.56.1. */
  gateway: string;
  /** 1, 3 or 5 managers, the rest workers, each by its role (founderOf, managersOf, workersOf), never by name. */
  nodes: NodeSpec[];
  /** A lab-internal host standing for "the internet" (last usable address of the subnet). */
  upstream: { name: string; address: string };
  /** "none": nothing leaves the machine. "internet": the tutorial's real egress, opt-in. */
  egress: Egress;
  /** What the service's tasks ping: the upstream's address, or 8.8.8.8 with egress "internet". */
  pingTarget: string;
  /**
   * The overlay network (tutorial: mynet). encrypted: made with --opt encrypted, so that what crosses between the
   * nodes is IPsec ESP rather than cleartext VXLAN.
   */
  overlay: { name: string; encrypted: boolean };
  /** The service (tutorial: test, busybox, 2 replicas, one per worker). */
  service: { name: string; image: string; replicas: number };
  /**
   * The backend's own settings that are set (the keys its lab/backends/<name>/settings.ts declares, e.g. vagrant's
   * vagrantProvider), as written; only for a backend that declares some. Its plugin's settle reads them.
   */
  backendSettings?: Record<string, string>;
}

/**
 * The lab's managers, by their role, in the settings' order (lab/config.ts gives a lab 1, 3 or 5). Works on any list of
 * nodes that carry their role (NodeSpec, NodeAccess, the stack's nodes output).
 */
export function managersOf<N extends { role: Role; name: string }>(nodes: readonly N[]): N[] {
  const managers = nodes.filter((n) => n.role === "manager");
  if (managers.length === 0) throw new Error(`a lab has a manager, and this one has none (${nodes.map((n) => `${n.name}: ${n.role}`).join(", ")})`);
  return managers;
}

/**
 * The founding manager: the first manager in the settings' order, the one that runs `docker swarm init`; the other
 * managers and the workers join through it.
 */
export function founderOf<N extends { role: Role; name: string }>(nodes: readonly N[]): N {
  return managersOf(nodes)[0];
}

/** The lab's workers, by their role, in the order the lab lists its nodes. */
export function workersOf<N extends { role: Role }>(nodes: readonly N[]): N[] {
  return nodes.filter((n) => n.role === "worker");
}

/** Labels carried by everything a lab creates, so it can be found and removed without state. */
export const LABEL_LAB = "swarmlab.lab";
export const LABEL_NODE = "swarmlab.node";
export const LABEL_ROLE = "swarmlab.role";
/** Which stack's lab this is: "<stack>.<random id kept in the stack>". Two stacks never share a lab. */
export const LABEL_OWNER = "swarmlab.owner";

/** The stack an owner id names ("dev" of "dev.1a2b3c4d"). */
export function stackOfOwner(owner: string): string {
  return owner.replace(/\.[^.]*$/, "");
}

/** A lab as its owner knows it: the lab's name and the owner id its stack keeps. */
export interface LabIdentity {
  lab: string;
  owner: string;
}

/** What the shared part of a lab (network, egress guard, upstream) is made from. */
export interface BaseSettings extends LabIdentity {
  subnet: string;
  gateway: string;
  egress: Egress;
  upstream: { name: string; address: string };
  /** The image the upstream host runs (busybox with tcpsvd). */
  upstreamImage: string;
}

/** What one machine is made from. */
export interface NodeSettings extends LabIdentity, NodeSpec {
  egress: Egress;
}
