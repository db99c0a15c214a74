// `docker network create -d overlay mynet` on the manager.
import { ensureOverlay, overlayDrift, removeOverlay } from "../steps/overlay";
import { NodeAccess, onReachable, withSessions } from "../sessions";
import { networkNamed } from "../snapshot/model";
import { lookAt } from "../snapshot/shared";
import type { Part } from "./part";
import { goesWithItsMachines } from "./teardown";

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
    const m = await lookAt(state.manager, state.privateKey);
    const found = networkNamed(m, state.name);
    const drift = m.problem
      ? `cannot be read (${state.manager.name}: ${m.problem})`
      : !found
        ? "is gone"
        : overlayDrift(
            { Driver: found.driver, Scope: found.scope, Options: found.options, Internal: found.internal, Attachable: found.attachable },
            state.encrypted === true,
          );
    if (found && !drift) return { networkId: found.id, subnet: found.subnet, gateway: found.gateway };
    log(`overlay: ${state.name} ${drift}; up makes it again`);
    return undefined;
  },
  async delete(_id, state, { log }) {
    if (goesWithItsMachines(state.lab)) return;
    await onReachable([state.manager], state.privateKey, (_, m) => removeOverlay(m.docker(), state.name, log));
  },
};
