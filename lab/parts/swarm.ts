// `docker swarm init --advertise-addr <manager>` on the manager, and the manager's spec in the swarm (availability,
// labels: `docker node update` changes them in place, and so does up). The workers join in their own parts
// (join.ts), so that adding a worker adds one join and nothing else.
import type Docker from "dockerode";
import { unlessGone } from "../engine-api";
import { initSwarm, leaveSwarm, NodeSpec, nodeSpecOf, setNodeSpec, swarmState } from "../steps/swarm";
import { NodeAccess, NodeProblem, onReachable, withSessions, LOOK_TIMEOUT_MS } from "../sessions";
import type { Part } from "./part";

export interface SwarmInputs {
  lab: string;
  manager: NodeAccess;
  /** The manager's role, availability and labels in the swarm, as `docker node inspect` shows them. */
  nodeSpec: NodeSpec;
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
    const s = await withSessions([i.manager], i.privateKey, async ([m]) => {
      const made = await initSwarm({ name: i.manager.name, address: i.manager.address, docker: m.docker() }, log);
      await applySpec(m.docker(), i, log);
      return made;
    });
    return { id: s.id, outs: { swarmId: s.id, workerToken: s.workerToken, managerToken: s.managerToken } };
  },
  async read(_id, state, { log }) {
    try {
      const { state: local, clusterId, nodeSpec, tokens } = await withSessions(
        [state.manager],
        state.privateKey,
        async ([m]) => {
          const seen = await swarmState(m.docker());
          const self = seen.nodeId ? await unlessGone(m.docker().getNode(seen.nodeId).inspect()) : undefined;
          // The live join tokens: `docker swarm join-token --rotate` makes the recorded ones useless for a new join.
          const tokens = self ? (await unlessGone(m.docker().swarmInspect()))?.JoinTokens : undefined;
          return { ...seen, nodeSpec: self && nodeSpecOf(self.Spec), tokens };
        },
        LOOK_TIMEOUT_MS,
      );
      if (local === "active" && clusterId === state.swarmId && nodeSpec && tokens) {
        return { swarmId: state.swarmId, workerToken: tokens.Worker, managerToken: tokens.Manager, nodeSpec };
      }
      log(`swarm: ${state.manager.name} is ${local === "active" ? `in another swarm (${clusterId})` : `not in a swarm (${local})`}; up makes it again`);
    } catch (err) {
      if (!(err instanceof NodeProblem)) throw err;
      log(`swarm: ${err.message}; up makes it again`);
    }
    return undefined;
  },
  async update(_id, olds, news, { log }) {
    await withSessions([news.manager], news.privateKey, ([m]) => applySpec(m.docker(), news, log));
    return { swarmId: olds.swarmId, workerToken: olds.workerToken, managerToken: olds.managerToken };
  },
  async delete(_id, state) {
    await onReachable([state.manager], state.privateKey, (m, s) => leaveSwarm({ name: m.name, address: m.address, docker: s.docker() }, true));
  },
};

/** `docker node update` of the manager to its declared spec, when it drifted (a stack of an older swarmlab has none). */
async function applySpec(manager: Docker, i: SwarmInputs, log: (l: string) => void): Promise<void> {
  if (!i.nodeSpec) return;
  const drift = await setNodeSpec(manager, (await swarmState(manager)).nodeId, i.nodeSpec);
  if (drift.length > 0) log(`${i.manager.name}: docker node update: ${drift.join(", ")}`);
}
