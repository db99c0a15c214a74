// `docker swarm init --advertise-addr <manager>` on the manager. The workers join in their own parts (join.ts),
// so that adding a worker adds one join and nothing else.
import { initSwarm, leaveSwarm, swarmState } from "../steps/swarm";
import { NodeAccess, NodeProblem, onReachable, withSessions, LOOK_TIMEOUT_MS } from "../sessions";
import type { Part } from "./part";

export interface SwarmInputs {
  lab: string;
  manager: NodeAccess;
  privateKey: string;
}

export interface SwarmOutputs {
  swarmId: string;
  workerToken: string;
  managerToken: string;
}

export const swarm: Part<SwarmInputs, SwarmOutputs> = {
  type: "Swarm",
  identity: ["lab", "manager"],
  outputs: ["swarmId", "workerToken", "managerToken"],
  secrets: ["workerToken", "managerToken"],
  async create(i, { log }) {
    const s = await withSessions([i.manager], i.privateKey, ([m]) =>
      initSwarm({ name: i.manager.name, address: i.manager.address, docker: m.docker() }, log),
    );
    return { id: s.id, outs: { swarmId: s.id, workerToken: s.workerToken, managerToken: s.managerToken } };
  },
  async read(_id, state, { log }) {
    try {
      const { state: local, clusterId } = await withSessions([state.manager], state.privateKey, ([m]) => swarmState(m.docker()), LOOK_TIMEOUT_MS);
      if (local === "active" && clusterId === state.swarmId) return { swarmId: state.swarmId, workerToken: state.workerToken, managerToken: state.managerToken };
      log(`swarm: ${state.manager.name} is ${local === "active" ? `in another swarm (${clusterId})` : `not in a swarm (${local})`}; up makes it again`);
    } catch (err) {
      if (!(err instanceof NodeProblem)) throw err;
      log(`swarm: ${err.message}; up makes it again`);
    }
    return undefined;
  },
  async delete(_id, state) {
    await onReachable([state.manager], state.privateKey, (m, s) => leaveSwarm({ name: m.name, address: m.address, docker: s.docker() }, true));
  },
};
