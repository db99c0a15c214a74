// The stack's outputs as one type: what `up` records and every reader (the suite, explain, status, the fault tests)
// takes from the stack. Read through outputsOf, never cast by hand.
import type { NodeAccess } from "./sessions";
import type { TaskInfo } from "./steps/service";
import type { BackendName } from "./types";

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
  /** The nodes only `npm run up -- --replace <node>` heals (absent in a stack of an older swarmlab). */
  remake?: string[];
  upstream: { name: string; address: string };
  pingTarget: string;
}
