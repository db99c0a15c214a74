// The parts' look at the lab during one refresh. Pulumi reads every part at once, in the one provider process of a
// run; each part asks for the nodes it lives on, and each node is read once, over one SSH session, whatever number
// of parts ask (a refresh used to open ten sessions for a lab of three nodes); the backend lists the machines once.
// What a part makes or changes forgets the looks: the next read sees the lab as it is then.
import { backendFor } from "../backends";
import type { ListedNode } from "../backends/backend";
import { sameImage } from "../config";
import type { BackendName } from "../types";
import { connect, NodeAccess, NodeProblem, RUNNING_NODE_TIMEOUT_MS } from "../sessions";
import { nodeLookOf, NodeLook } from "./model";
import { readNode } from "./read";

const looks = new Map<string, Promise<NodeLook>>();
const machines = new Map<string, Promise<ListedNode[]>>();

/** A node is the same node while its machine, address and host key are: a node made again is looked at anew. */
const keyOf = (n: NodeAccess) => [n.name, n.machine, n.sshHost, n.sshPort, n.hostKey].join("|");

/**
 * The node as it is now, read once per run. A node that does not answer is a look with a problem, not an error:
 * refresh then has up make what lives on it again. A host key that changed is an error (never trusted).
 */
export function lookAt(node: NodeAccess, privateKey: string): Promise<NodeLook> {
  const key = keyOf(node);
  let look = looks.get(key);
  if (!look) {
    look = readOnce(node, privateKey);
    looks.set(key, look);
    look.catch(() => looks.delete(key));
  }
  return look;
}

async function readOnce(node: NodeAccess, privateKey: string): Promise<NodeLook> {
  let session;
  try {
    // The longer wait of a node whose machine runs: calling it broken makes it, and what lives on it, again.
    session = await connect(node, privateKey, RUNNING_NODE_TIMEOUT_MS);
  } catch (err) {
    if (err instanceof NodeProblem) return nodeLookOf({ name: node.name, role: node.role, address: node.address, problem: err.symptom });
    throw err;
  }
  try {
    return nodeLookOf(await readNode(node, session));
  } finally {
    session.close();
  }
}

/** The lab's machines as its backend lists them (docker ps, virsh list), once per run for every node part. */
export function machinesOf(backend: BackendName, lab: string, owner: string): Promise<ListedNode[]> {
  const key = [backend, lab, owner].join("|");
  let listed = machines.get(key);
  if (!listed) {
    listed = backendFor(backend).then((b) => b.list(lab, owner));
    machines.set(key, listed);
    listed.catch(() => machines.delete(key));
  }
  return listed;
}

/** Forgets every look: called when a part makes, changes or removes something. */
export function forgetLooks(): void {
  looks.clear();
  machines.clear();
}

/** Whether a node holds an image (busybox = busybox:latest = docker.io/library/busybox:latest; digests too). */
export function holdsImage(look: Pick<NodeLook, "images">, ref: string): boolean {
  return look.images.some((held) => sameImage(held, ref));
}
