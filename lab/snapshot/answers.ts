// What one node's engine answered when the lab was looked at: the Engine API's own JSON, kept as it came, so that the
// model (model.ts) can be tested against answers recorded from a real lab (test/fixtures/snapshot/).
import type { Role } from "../types";

/** An Engine API answer, or its refusal (a manager that left its swarm answers 503 "not part of a swarm"). */
export type Answer<T> = { ok: T } | { error: { status?: number; message: string } };

/** The fields of the Engine API's answers the model reads; the answers themselves hold everything the engine said. */
export interface RawInfo {
  Swarm?: { LocalNodeState?: string; NodeID?: string; ControlAvailable?: boolean; Cluster?: { ID?: string } };
}

export interface RawNetwork {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] | null };
}

export interface RawSwarmNode {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string; Message?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

export interface RawSwarm {
  ID: string;
  JoinTokens?: { Worker?: string; Manager?: string };
}

export interface RawService {
  ID: string;
  Version?: { Index?: number };
  Spec?: Record<string, unknown> & { Name?: string };
}

export interface RawTask {
  ID: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: { Network?: { ID?: string; Spec?: { Name?: string } }; Addresses?: string[] }[];
}

/** What a node's engine answered: as itself (info, images, networks) and, when it manages the swarm, as a manager. */
export interface EngineAnswers {
  info: RawInfo;
  /** The images' tags and digests (`docker image ls`). */
  images: string[];
  networks: RawNetwork[];
  /** Asked of a node whose engine says it manages a swarm (ControlAvailable), and of the lab's managers. */
  manager?: {
    swarm: Answer<RawSwarm>;
    nodes: Answer<RawSwarmNode[]>;
    services: Answer<RawService[]>;
    /** The tasks Swarm wants running (desired-state running), of every service. */
    tasks: Answer<RawTask[]>;
  };
}

/** One node as it was looked at: who it is in the lab, and what its engine answered or why it could not. */
export interface RawNodeLook {
  name: string;
  role: Role;
  address: string;
  /** Why SSH or the node's engine did not answer ("" when they did). */
  problem: string;
  answers?: EngineAnswers;
  /** Inside each running task of the lab's service on this node, `ip -o link` and `ip -o addr` (busybox prints no JSON). */
  tasks?: Record<string, { link: string; addr: string }>;
  /** `ip -j -4 addr show` on the node: which interface holds the lab address. */
  addresses?: string;
}
