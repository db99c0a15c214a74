// `docker swarm init --advertise-addr <manager>` on the manager, and the manager's spec in the swarm (availability,
// labels: `docker node update` changes them in place, and so does up). The workers join in their own parts
// (join.ts), so that adding a worker adds one join and nothing else.
import type Docker from "dockerode";
import { initSwarm, labSwarmLabels, leaveSwarm, NodeSpec, setNodeSpec, swarmState } from "../steps/swarm";
import { NodeAccess, onReachable, withSessions } from "../sessions";
import { memberSpec, NodeLook } from "../snapshot/model";
import { lookAt } from "../snapshot/shared";
import type { Part } from "./part";
import { goesWithItsMachines } from "./teardown";

export interface SwarmInputs {
  lab: string;
  manager: NodeAccess;
  /** The lab's owner id: the swarm carries it and the lab's name as labels (absent in a stack of an older swarmlab). */
  owner?: string;
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
      const labels = i.owner ? labSwarmLabels({ lab: i.lab, owner: i.owner }) : {};
      const made = await initSwarm({ name: i.manager.name, address: i.manager.address, docker: m.docker() }, log, labels);
      await applySpec(m.docker(), i, log);
      return made;
    });
    return { id: s.id, outs: { swarmId: s.id, workerToken: s.workerToken, managerToken: s.managerToken } };
  },
  async read(_id, state, { log }) {
    const m = await lookAt(state.manager, state.privateKey);
    const self = m.view?.members.find((n) => n.id === m.local.nodeId);
    if (m.local.state === "active" && m.local.clusterId === state.swarmId && m.view && self) {
      return { swarmId: state.swarmId, workerToken: m.view.tokens.worker, managerToken: m.view.tokens.manager, nodeSpec: memberSpec(self) };
    }
    log(`swarm: ${state.manager.name} ${swarmSymptom(m, state.swarmId)}; up makes it again`);
    return undefined;
  },
  async update(_id, olds, news, { log }) {
    await withSessions([news.manager], news.privateKey, ([m]) => applySpec(m.docker(), news, log));
    return { swarmId: olds.swarmId, workerToken: olds.workerToken, managerToken: olds.managerToken };
  },
  async delete(_id, state) {
    if (goesWithItsMachines(state.lab)) return;
    await onReachable([state.manager], state.privateKey, (m, s) => leaveSwarm({ name: m.name, address: m.address, docker: s.docker() }, true));
  },
};

/** `docker node update` of the manager to its declared spec, when it drifted (a stack of an older swarmlab has none). */
async function applySpec(manager: Docker, i: SwarmInputs, log: (l: string) => void): Promise<void> {
  if (!i.nodeSpec) return;
  const drift = await setNodeSpec(manager, (await swarmState(manager)).nodeId, i.nodeSpec);
  if (drift.length > 0) log(`${i.manager.name}: docker node update: ${drift.join(", ")}`);
}

/** Why the manager's swarm is not the recorded one, in words. */
function swarmSymptom(m: NodeLook, swarmId: string): string {
  if (m.problem) return m.problem;
  if (m.local.state !== "active") return `is not in a swarm (${m.local.state})`;
  if (m.local.clusterId !== swarmId) return `is in another swarm (${m.local.clusterId})`;
  return m.viewError ? `does not answer as the swarm's manager (${m.viewError})` : "does not list itself in its swarm";
}
