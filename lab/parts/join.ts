// `docker swarm join` of one worker. Leaving (a worker removed from the lab) drains the node, has it leave and
// removes it from the manager's list.
import { unless404 } from "../engine-api";
import { drainNode, joinWorker, leaveSwarm, removeNode, removeStaleNodes, swarmState, waitForNodesReady } from "../steps/swarm";
import { NodeAccess, NodeProblem, onReachable, withSessions, LOOK_TIMEOUT_MS } from "../sessions";
import type { Part } from "./part";

export interface JoinInputs {
  lab: string;
  worker: NodeAccess;
  manager: NodeAccess;
  swarmId: string;
  workerToken: string;
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
      const known = local.nodeId && (await unless404(manager.docker.getNode(local.nodeId).inspect()));
      if (local.state !== "inactive" && !known) {
        await leaveSwarm(worker, true); // a swarm that is gone (the manager was made again)
        log(`${i.worker.name} left a swarm that is gone`);
      }
      await joinWorker(worker, manager, { id: i.swarmId, workerToken: i.workerToken, managerToken: "" }, log);
      const { nodeId } = await swarmState(worker.docker);
      await removeStaleNodes(manager.docker, i.worker.name, nodeId, log);
      await waitForNodesReady(manager.docker, [i.worker.name]);
      return nodeId;
    });
    return { id: nodeId, outs: { nodeId } };
  },
  async read(_id, state, { log }) {
    try {
      const symptom = await withSessions(
        [state.manager, state.worker],
        state.privateKey,
        async ([m, w]) => {
          const local = await swarmState(w.docker());
          if (local.state !== "active" || local.nodeId !== state.nodeId) return `is not in the swarm (${local.state})`;
          const seen = await unless404(m.docker().getNode(state.nodeId).inspect());
          if (!seen) return "is not in the manager's node list";
          return seen.Status?.State === "ready" ? "" : `is ${seen.Status?.State} in the swarm`;
        },
        LOOK_TIMEOUT_MS,
      );
      if (!symptom) return { nodeId: state.nodeId };
      log(`${state.worker.name} ${symptom}; up joins it again`);
    } catch (err) {
      if (!(err instanceof NodeProblem)) throw err;
      log(`join: ${err.message}; up joins it again`);
    }
    return undefined;
  },
  async delete(_id, state, { log }) {
    const { manager, worker, privateKey, nodeId } = state;
    // Draining first lets swarm move the worker's task before it leaves; leaving works without it.
    await onReachable([manager], privateKey, (_, m) =>
      unless404(drainNode(m.docker(), nodeId)).then(
        () => undefined,
        (err) => log(`${worker.name}: not drained (${err}); it leaves all the same`),
      ),
    );
    await onReachable([worker], privateKey, (w, s) => leaveSwarm({ name: w.name, address: w.address, docker: s.docker() }, true));
    await onReachable([manager], privateKey, async (_, m) => void (await unless404(removeNode(m.docker(), nodeId))));
  },
};
