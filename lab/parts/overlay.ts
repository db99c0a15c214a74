// `docker network create -d overlay mynet` on the manager.
import { ensureOverlay, findNetwork, overlayDrift, removeOverlay } from "../steps/overlay";
import { NodeAccess, NodeProblem, onReachable, withSessions, LOOK_TIMEOUT_MS } from "../sessions";
import type { Part } from "./part";

export interface OverlayInputs {
  lab: string;
  name: string;
  /**
   * --opt encrypted (swarmlab:encrypted). Given only when true, so that the state of a lab made before the setting
   * existed has nothing to change: absent is false.
   */
  encrypted?: boolean;
  /** The swarm it lives in: a new swarm has a new network. */
  swarmId: string;
  manager: NodeAccess;
  privateKey: string;
}

export interface OverlayOutputs {
  networkId: string;
  subnet: string;
  gateway: string;
}

export const overlay: Part<OverlayInputs, OverlayOutputs> = {
  type: "Overlay",
  // Swarm cannot change a network's encryption in place: a change makes it again
  identity: ["lab", "name", "encrypted", "swarmId"],
  outputs: ["networkId", "subnet", "gateway"],
  async create(i, { log }) {
    const o = await withSessions([i.manager], i.privateKey, ([m]) => ensureOverlay(m.docker(), i.lab, i.name, log, i.encrypted === true));
    return { id: o.id, outs: { networkId: o.id, subnet: o.subnet, gateway: o.gateway } };
  },
  async read(_id, state, { log }) {
    try {
      const found = await withSessions([state.manager], state.privateKey, ([m]) => findNetwork(m.docker(), state.name), LOOK_TIMEOUT_MS);
      const drift = found ? overlayDrift(found, state.encrypted === true) : "is gone";
      if (found && !drift) {
        const ipam = found.IPAM?.Config?.[0];
        return { networkId: found.Id, subnet: ipam?.Subnet ?? "", gateway: ipam?.Gateway ?? "" };
      }
      log(`overlay: ${state.name} ${drift}; up makes it again`);
    } catch (err) {
      if (!(err instanceof NodeProblem)) throw err;
      log(`overlay: ${err.message}; up makes it again`);
    }
    return undefined;
  },
  async delete(_id, state, { log }) {
    await onReachable([state.manager], state.privateKey, (_, m) => removeOverlay(m.docker(), state.name, log));
  },
};
