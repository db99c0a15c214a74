// The one small interface every backend implements (after kind's providers): make the machines, list them,
// delete them, collect their logs. Everything above this line (swarm, network, service, checks) only needs SSH.
import { ConfigError } from "../config";
import type { BackendName, LabSpec, NodeSpec, Role } from "../types";

export type Log = (line: string) => void;

/** How to reach a node once it exists. */
export interface ProvisionedNode extends NodeSpec {
  /** Backend's id for the machine (container id, VM name, host). */
  id: string;
  sshHost: string;
  sshPort: number;
  username: string;
  /** The node's SSH host key ("ssh-ed25519 AAAA…"), recorded at creation, checked on every connection. */
  hostKey: string;
}

/** A machine found by its labels, with or without Pulumi state. */
export interface ListedNode {
  id: string;
  name: string;
  role: Role | "upstream";
  state: string;
}

export interface BackendInfo {
  backend: BackendName;
  /** Free-form facts worth showing a user (engine version, kernel, …). */
  facts: Record<string, string>;
}

export interface Backend {
  readonly name: BackendName;
  /** Creates what the nodes share: the lab network, its egress guard, the upstream host. Idempotent. */
  prepare(spec: LabSpec, log: Log): Promise<void>;
  /** Creates and starts one node that accepts `authorizedKey` for user vagrant; waits until sshd answers. */
  provision(spec: LabSpec, node: NodeSpec, authorizedKey: string, log: Log): Promise<ProvisionedNode>;
  /** Every machine carrying the lab's label. */
  list(labName: string): Promise<ListedNode[]>;
  /** Deletes the named nodes of a lab. */
  deleteNodes(labName: string, nodeNames: string[], log: Log): Promise<void>;
  /** Deletes everything carrying the lab's label (nodes, upstream, network, volumes, firewall rules). */
  deleteLab(labName: string, log: Log): Promise<void>;
  /** Writes each machine's logs below dir; returns the files written. */
  collectLogs(labName: string, dir: string): Promise<string[]>;
  info(): Promise<BackendInfo>;
}

/** Fails, before anything is created, for a backend that this version cannot run yet. */
export function assertBackendAvailable(name: BackendName): void {
  if (name !== "docker") {
    throw new ConfigError("backend", name, "pulumi config set swarmlab:backend docker", 'this backend is not available yet; only "docker" is');
  }
}

export async function backendFor(name: BackendName): Promise<Backend> {
  assertBackendAvailable(name);
  const { DockerBackend } = await import("./docker");
  return new DockerBackend();
}
