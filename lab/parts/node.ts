// One machine of the lab (swarm-manager, swarm-workerN): made by the backend, running dockerd and sshd, with the
// service's image side-loaded so that no node ever needs a registry.
import Docker from "dockerode";
import { backendFor } from "../backends";
import { recordHostKey } from "../lab-dir";
import { NodeAccess, withSessions } from "../sessions";
import { holdsImage, lookAt, machinesOf } from "../snapshot/shared";
import { sideLoadImage, waitForEngine } from "../steps/engine";
import type { BackendName, JumpAccess, NodeSettings } from "../types";
import type { Part, PartContext } from "./part";

export interface NodeInputs extends NodeSettings {
  backend: BackendName;
  /** The lab's public key, authorised for user vagrant. */
  authorizedKey: string;
  privateKey: string;
  /** The recipe of the machine's image (docker backend): a new recipe means a new machine. */
  nodeRecipe: string;
  /** Images side-loaded into the node's engine (the service's). */
  images: string[];
}

/**
 * jump: the jump host the node is reached through, null for none: a declared output left absent would be unknown in
 * every preview (as via's "direct"), and with it the access the swarm and the joins take.
 */
export type NodeOutputs = Pick<NodeAccess, "machine" | "sshHost" | "sshPort" | "username" | "hostKey" | "via"> & { jump: JumpAccess | null };
/** The outputs as a backend or an older state gives them: via and jump may be absent. */
type GivenOutputs = Omit<NodeOutputs, "jump"> & { jump?: JumpAccess | null };

export const node: Part<NodeInputs, NodeOutputs> = {
  type: "Node",
  identity: ["lab", "owner", "backend", "name", "role", "address", "login", "egress", "authorizedKey", "nodeRecipe"],
  // via: absent in the state of a node made before the choice existed; read gives it as "direct", which is what such a
  // node is, and an output changes nothing of the node (no replacement: diffInputs compares inputs only)
  outputs: ["machine", "sshHost", "sshPort", "username", "hostKey", "via", "jump"],
  async create(i, ctx) {
    const p = await (await backendFor(i.backend)).provision(i, i.authorizedKey, ctx.log);
    const outs = outputsOf({ machine: p.id, ...p });
    recordHostKey(ctx.root, i.lab, p.sshHost, p.hostKey);
    // ssh_config's ProxyJump checks the jump host's key too (OpenSSH names a host off port 22 [address]:port)
    if (p.jump) recordHostKey(ctx.root, i.lab, p.jump.port === 22 ? p.jump.address : `[${p.jump.address}]:${p.jump.port}`, p.jump.hostKey);
    await withSessions([accessOf(i, outs)], i.privateKey, async ([s]) => {
      await waitForEngine(s.docker(), i.name);
    });
    await loadImages(i, outs, ctx);
    return { id: p.id, outs };
  },
  async read(_id, state, { log }) {
    const listed = (await machinesOf(state.backend, state.lab, state.owner)).find((m) => m.name === state.name);
    const gone = !listed || listed.id !== state.machine ? "its machine is gone" : listed.state !== "running" ? `its machine is ${listed.state}` : "";
    const inside = gone ? undefined : await lookAt(accessOf(state, state), state.privateKey);
    const symptom = gone || inside?.problem;
    if (symptom || !inside) {
      log(`${state.name}: ${symptom}; up makes it again`);
      return undefined;
    }
    return { ...outputsOf(state), images: state.images.filter((image) => holdsImage(inside, image)) };
  },
  async update(_id, olds, news, ctx) {
    const outs = outputsOf(olds);
    await loadImages(news, outs, ctx);
    return outs;
  },
  async delete(_id, state, { log }) {
    await (await backendFor(state.backend)).deleteNodes(state, [state.name], log);
  },
};

function outputsOf(s: GivenOutputs): NodeOutputs {
  const { machine, sshHost, sshPort, username, hostKey, via = "direct", jump = null } = s;
  return { machine, sshHost, sshPort, username, hostKey, via, jump };
}

/** The node's access; no jump host is said by saying nothing (the access of a node without one stays as it was). */
export function accessOf(i: Pick<NodeInputs, "name" | "role" | "address">, o: GivenOutputs): NodeAccess {
  const { jump, ...outs } = outputsOf(o);
  return { name: i.name, role: i.role, address: i.address, ...outs, ...(jump ? { jump } : {}) };
}

async function loadImages(i: NodeInputs, outs: NodeOutputs, { log }: PartContext): Promise<void> {
  await withSessions([accessOf(i, outs)], i.privateKey, async ([s]) => {
    for (const image of i.images) {
      if (await sideLoadImage(new Docker(), s.docker(), image)) log(`${image} loaded into ${i.name}`);
    }
  });
}
