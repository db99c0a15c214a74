// The one small interface every backend implements (after kind's providers): make the machines, list them,
// delete them, collect their logs. Everything above this line (swarm, network, service, checks) only needs SSH.
import { ConfigError } from "../config";
import { existsSync } from "node:fs";
import type { BackendName, BaseSettings, LabIdentity, NodeSettings, NodeSpec, Role, VagrantProvider } from "../types";

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
  /** The owner label ("" for a machine made by a swarmlab that had none). */
  owner: string;
}

/** Something a backend made, found by its labels: for ownership checks and for saying what is left. */
export interface LabObject {
  /** e.g. "container swarmlab-swarm-worker1", "network swarmlab-net", "firewall rule …". */
  what: string;
  lab: string;
  owner: string;
  /** The lab network's subnet, for networks. */
  subnet?: string;
}

export interface BackendInfo {
  backend: BackendName;
  /** Free-form facts worth showing a user (engine version, kernel, …). */
  facts: Record<string, string>;
}

export interface Backend {
  readonly name: BackendName;
  /** Creates what the nodes share: the lab network, its egress guard, the upstream host. Idempotent. */
  prepare(base: BaseSettings, log: Log): Promise<void>;
  /** What of the shared part is missing or not as made (empty when whole). */
  inspectBase(base: BaseSettings): Promise<string[]>;
  /** Removes the shared part (upstream, egress guard, network); what is already gone is skipped. */
  removeBase(id: LabIdentity, log: Log): Promise<void>;
  /** Creates and starts one node that accepts `authorizedKey` for user vagrant; waits until sshd answers. */
  provision(node: NodeSettings, authorizedKey: string, log: Log): Promise<ProvisionedNode>;
  /** Every machine carrying the lab's label (of one owner, when given). */
  list(labName: string, owner?: string): Promise<ListedNode[]>;
  /** Everything carrying the lab's label (of one owner, when given), and every lab network using `subnet`. */
  objects(labName: string, owner?: string, subnet?: string): Promise<LabObject[]>;
  /**
   * What exists already under a name this lab's objects would take (its machines, their volumes or disks, its
   * networks), whoever made it: the claim refuses a name another lab's or a user's object holds, before anything is made.
   */
  namesTaken(labName: string, nodes: readonly string[]): Promise<LabObject[]>;
  /** The names of every lab that has something here. */
  labs(): Promise<string[]>;
  /** Deletes the named nodes of a lab; nodes already gone are skipped. */
  deleteNodes(id: LabIdentity, nodeNames: string[], log: Log): Promise<void>;
  /** Deletes everything carrying the lab's label (of one owner, when given); returns what it removed. */
  deleteLab(labName: string, owner: string | undefined, log: Log): Promise<string[]>;
  /** Writes each machine's logs below dir; returns the files written. */
  collectLogs(labName: string, dir: string): Promise<string[]>;
  info(): Promise<BackendInfo>;
}

/** Fails, before anything is created, for a backend that this version cannot run yet. */
export function assertBackendAvailable(name: BackendName, vagrantProvider: VagrantProvider | "" = ""): void {
  if (name === "ssh") {
    throw new ConfigError("backend", name, "pulumi config set swarmlab:backend docker", 'this backend is not available yet; "docker" and "vagrant" are');
  }
  if (name === "vagrant" && vagrantProvider === "virtualbox") {
    throw new ConfigError(
      "vagrantProvider",
      vagrantProvider,
      "pulumi config set swarmlab:vagrantProvider libvirt",
      "the vagrant backend drives libvirt only for now (the Vagrantfile alone makes the tutorial's VirtualBox machines: vagrant up)",
    );
  }
}

/** Vagrant's provider for a lab: the one set, else the one installed here (libvirt when virsh answers, else virtualbox). */
export function installedVagrantProvider(): VagrantProvider {
  const onPath = (program: string) =>
    (process.env.PATH ?? "").split(":").some((dir) => dir && existsSync(`${dir}/${program}`));
  return onPath("virsh") || !onPath("VBoxManage") ? "libvirt" : "virtualbox";
}

export async function backendFor(name: BackendName): Promise<Backend> {
  assertBackendAvailable(name);
  if (name === "vagrant") {
    const { VagrantBackend } = await import("./vagrant");
    return new VagrantBackend();
  }
  const { DockerBackend } = await import("./docker");
  return new DockerBackend();
}
