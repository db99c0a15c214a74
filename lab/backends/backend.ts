// The one small interface every backend implements (after kind's providers): make the machines, list them,
// delete them, collect their logs. Everything above this line (swarm, network, service, checks) only needs SSH.
// This file names no backend: lab/backends/index.ts is the registry, each backend a folder below lab/backends/, and
// what two backends share lives in lab/backends/host/.
import type { Finding } from "../doctor/finding";
import type { KvmFacts } from "../doctor/kvm";
import type { BackendName, BaseSettings, JumpAccess, LabIdentity, LabSpec, NodeSettings, NodeSpec, Role } from "../types";

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
  /** "engine" when the client reaches the node through the Docker engine, having no route to sshHost (lab/reach.ts). */
  via?: "engine";
  /** The jump host the node is reached through (the ssh backend's), with its pinned host key. */
  jump?: JumpAccess;
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

/** What a lab's machines and tasks are made from, as the images part records it (lab/parts/images.ts). */
export interface MachineImages {
  /** The machines' image (docker: the node image) or what stands for it (vagrant: the box's name). */
  node: string;
  /** The service's image and the upstream's, in this host's engine whatever the backend. */
  busybox: string;
  /** The machines' recipe: the nodes take it as an input, so a new recipe (e.g. a new Debian) remakes them. */
  nodeRecipe: string;
}

export interface BackendInfo {
  backend: BackendName;
  /** Free-form facts worth showing a user (engine version, kernel, …). */
  facts: Record<string, string>;
}

export interface Backend {
  readonly name: BackendName;
  /** Makes what its labs' machines and tasks are made from, unless present and current (down keeps it as a cache). */
  ensureImages(log: Log): Promise<MachineImages>;
  /** Which of what `made` records must be in this host's Docker engine: one missing is made again. */
  imagesInEngine(made: MachineImages): string[];
  /** Whether its machines' recipe is still the one `made` records (a new one is made again, and remakes the nodes). */
  recipeCurrent(made: MachineImages): Promise<boolean>;
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
  /** The lab network as this host sees it: its bridge and the host's own address on it. */
  labBridge(lab: string): Promise<{ bridge: string; gateway: string }>;
}

/**
 * What the registry knows of a backend without loading it (kept light: no engine client, no libvirt), so that
 * settings, the doctor and preview ask the backend instead of switching on its name. Each backend's folder exports
 * one as `plugin` from its plugin.ts; lab/backends/index.ts lists them.
 */
export interface BackendPlugin {
  readonly name: BackendName;
  /**
   * Where the lab's machines' kernel comes from, in words, when it is not this host's (VMs boot their own); undefined
   * when they run this host's kernel (containers): then what this kernel lacks (IPVS, ESP/GCM for an encrypted
   * overlay), the lab lacks.
   */
  readonly ownKernel?: string;
  /**
   * When the machines are the user's own hosts (ssh), in words: no lab network, upstream host or firewall rule of this
   * machine's surrounds them, so the claims about those do not apply, and what their kernels lack is theirs, no fault.
   */
  readonly usersHosts?: string;
  /** The backend, made when a lab first needs it (its module loaded then). */
  load(): Promise<Backend>;
  /** Whether this host can hold labs of this backend at all (npm run clean looks for leftovers there only). */
  present(): Promise<boolean>;
  /**
   * The settings with what this host decides filled in (e.g. the vagrant provider installed here); throws a
   * ConfigError for settings this version of the backend cannot run, before anything is created.
   */
  settle(spec: LabSpec): LabSpec;
  /** Throws, in one line with its fix, when a program the backend runs is not installed (preview refuses as up). */
  assertTools(): void;
  /** The doctor's look at what this backend needs of the host, beyond Docker and the kernel (none for most). */
  readonly doctor?: BackendDoctor;
  /** How SSH to its machines is paced, when not as to a container's sshd (lab/sessions.ts connect). */
  readonly ssh?: SshPacing;
}

/**
 * SSH to machines slower to answer than containers. Only a machine's id travels with its access (the stack's
 * outputs), so the backend says which ids are its machines.
 */
export interface SshPacing {
  /** Whether a machine id (ProvisionedNode.id, recorded as NodeAccess.machine) is one of this backend's. */
  isMachine(id: string): boolean;
  /** The least a connection waits, whatever its caller's deadline. */
  minTimeoutMs: number;
  /** One handshake attempt. */
  attemptMs: number;
}

/** A backend's own doctor checks: facts read once, judged purely (as lab/doctor/facts.ts and checks.ts do). */
export interface BackendDoctor {
  /**
   * Reads what `findings` judges; never fails (what cannot be read is recorded as such). `lab`: the lab's settings
   * and the owner its state records, for a backend whose machines the settings name (ssh: the user's hosts);
   * `quick`: the program's look before anything is made (lab/host-checks.ts), which skips what takes long.
   */
  read(lab?: { spec?: LabSpec; owner?: string; stack?: string; quick?: boolean }): Promise<unknown>;
  /** Whether a blocker of these checks refuses the Pulumi program too (preview as up): for machines it does not make. */
  readonly gatesProgram?: boolean;
  /** `facts`: what read() returned, or undefined when it was not read; `kvm`: /dev/kvm as the doctor found it. */
  findings(facts: unknown, kvm: KvmFacts | undefined): Finding[];
}
