// `docker swarm join` of one worker, and its spec in the swarm (role, availability, labels: `docker node update`
// changes them in place, and so does up). Leaving (a worker removed from the lab) drains the node, has it leave and
// removes it from the manager's list.
import type Docker from "dockerode";
import { unlessGone } from "../engine-api";
import {
  drainNode, joinWorker, leaveSwarm, NodeSpec, nodeSpecOf, removeNode, removeStaleNodes, setNodeSpec, swarmState, waitForNodesReady,
} from "../steps/swarm";
import { NodeAccess, NodeProblem, onReachable, withSessions, LOOK_TIMEOUT_MS } from "../sessions";
import type { Part } from "./part";

export interface JoinInputs {
  lab: string;
  worker: NodeAccess;
  manager: NodeAccess;
  swarmId: string;
  workerToken: string;
  /** Its role, availability and labels in the swarm, as the manager's `docker node inspect` shows them. */
  nodeSpec: NodeSpec;
  privateKey: string;
}

export interface JoinOutputs {
  /** The worker's node id in the swarm. */
  nodeId: string;
}

export const join: Part<JoinInputs, JoinOutputs> = {
  type: "Join",
  identity: ["lab", "worker", "swarmId"],
  outputs: ["nodeId"],
  async create(i, { log }) {
    const nodeId = await withSessions([i.manager, i.worker], i.privateKey, async ([m, w]) => {
      const manager = { name: i.manager.name, address: i.manager.address, docker: m.docker() };
      const worker = { name: i.worker.name, address: i.worker.address, docker: w.docker() };
      const local = await swarmState(worker.docker);
      const known = local.nodeId && (await unlessGone(manager.docker.getNode(local.nodeId).inspect()));
      if (local.state !== "inactive" && !known) {
        await leaveSwarm(worker, true); // a swarm that is gone (the manager was made again)
        log(`${i.worker.name} left a swarm that is gone`);
      }
      await joinWorker(worker, manager, { id: i.swarmId, workerToken: i.workerToken, managerToken: "" }, log);
      const { nodeId } = await swarmState(worker.docker);
      await removeStaleNodes(manager.docker, i.worker.name, nodeId, log);
      await waitForNodesReady(manager.docker, [i.worker.name]);
      await applySpec(manager.docker, i, nodeId, log);
      return nodeId;
    });
    return { id: nodeId, outs: { nodeId } };
  },
  async read(_id, state, { log }) {
    try {
      const seen = await withSessions(
        [state.manager, state.worker],
        state.privateKey,
        async ([m, w]): Promise<{ symptom: string } | { nodeSpec: NodeSpec }> => {
          const local = await swarmState(w.docker());
          if (local.state !== "active" || local.nodeId !== state.nodeId) return { symptom: `is not in the swarm (${local.state})` };
          // Both sides: the manager may have left its swarm (503), or removed the node (404).
          const listed = await unlessGone(m.docker().getNode(state.nodeId).inspect());
          if (!listed) return { symptom: "is not in the manager's node list" };
          if (listed.Status?.State !== "ready") return { symptom: `is ${listed.Status?.State} in the swarm` };
          return { nodeSpec: nodeSpecOf(listed.Spec) };
        },
        LOOK_TIMEOUT_MS,
      );
      if ("nodeSpec" in seen) return { nodeId: state.nodeId, nodeSpec: seen.nodeSpec };
      log(`${state.worker.name} ${seen.symptom}; up joins it again`);
    } catch (err) {
      if (!(err instanceof NodeProblem)) throw err;
      log(`join: ${err.message}; up joins it again`);
    }
    return undefined;
  },
  async update(_id, olds, news, { log }) {
    await withSessions([news.manager], news.privateKey, ([m]) => applySpec(m.docker(), news, olds.nodeId, log));
    return { nodeId: olds.nodeId };
  },
  async delete(_id, state, { log }) {
    const { manager, worker, privateKey, nodeId } = state;
    // Draining first lets swarm move the worker's task before it leaves; leaving works without it.
    await onReachable([manager], privateKey, (_, m) =>
      unlessGone(drainNode(m.docker(), nodeId)).then(
        () => undefined,
        (err) => log(`${worker.name}: not drained (${err}); it leaves all the same`),
      ),
    );
    await onReachable([worker], privateKey, (w, s) => leaveSwarm({ name: w.name, address: w.address, docker: s.docker() }, true));
    await onReachable([manager], privateKey, async (_, m) => void (await unlessGone(removeNode(m.docker(), nodeId))));
  },
};

/** `docker node update` of the worker to its declared spec, when it drifted (a stack of an older swarmlab has none). */
async function applySpec(manager: Docker, i: JoinInputs, nodeId: string, log: (l: string) => void): Promise<void> {
  if (!i.nodeSpec) return;
  const drift = await setNodeSpec(manager, nodeId, i.nodeSpec);
  if (drift.length > 0) log(`${i.worker.name}: docker node update: ${drift.join(", ")}`);
}
