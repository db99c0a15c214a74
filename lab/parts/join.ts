// `docker swarm join` of one node other than the founding manager (a worker, or another manager with the manager
// token), and its spec in the swarm (role, availability, labels: `docker node update` changes them in place, and so
// does up). Leaving (a node removed from the lab) drains the node, has it leave and removes it from the managers'
// list (a manager demoted first).
import type Docker from "dockerode";
import { unlessGone } from "../engine-api";
import {
  drainNode,
  joinNode,
  leaveGoneSwarm,
  leaveSwarm,
  NodeSpec,
  overlayAgentUp,
  removeNode,
  removeStaleNodes,
  setNodeSpec,
  swarmState,
  waitForNodesReady,
} from "../steps/swarm";
import { NodeAccess, onReachable, withSessions } from "../sessions";
import { memberSpec, NodeLook } from "../snapshot/model";
import { lookAt } from "../snapshot/shared";
import type { Part } from "./part";
import { goesWithItsMachines } from "./teardown";
import { engineCommand, waitForEngine } from "../steps/engine";

// The field names are those of a lab made when only workers joined (worker, manager, workerToken): its state reads the
// same. A manager that joins has managerToken too.
export interface JoinInputs {
  lab: string;
  /** The node that joins: a worker, or a manager other than the founder. */
  worker: NodeAccess;
  /** The founding manager, through which it joins. */
  manager: NodeAccess;
  swarmId: string;
  workerToken: string;
  /** The manager token: given to a joining manager only. */
  managerToken?: string;
  /** Its role, availability and labels in the swarm, as the manager's `docker node inspect` shows them. */
  nodeSpec: NodeSpec;
  privateKey: string;
}

export interface JoinOutputs {
  /** The joining node's id in the swarm. */
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
      const gone = local.state !== "inactive" && !known; // a swarm that is gone (the manager was made again)
      if (gone) {
        await leaveGoneSwarm(worker);
        log(`${i.worker.name} left a swarm that is gone`);
        // Its engine may keep that swarm's network agent, gossip port and all, after leaving: then no join is heard.
        if ((await w.exec(AGENT_PORT_HELD)).stdout.trim() !== "") {
          log(`${i.worker.name}: its engine kept the old swarm's network agent (port 7946); its engine restarts`);
          await w.run(engineCommand("restart"));
          await waitForEngine(worker.docker, i.worker.name);
        }
      }
      const swarm = { id: i.swarmId, workerToken: i.workerToken, managerToken: i.managerToken ?? "" };
      await joinNode(worker, manager, swarm, roleOf(i), log);
      if (gone && !(await overlayAgentUp(worker, manager.address))) {
        throw new Error(`${i.worker.name} joined, but its overlay agent does not see the manager: npm run up -- --replace ${i.worker.name}`);
      }
      const { nodeId } = await swarmState(worker.docker);
      await removeStaleNodes(manager.docker, i.worker.name, nodeId, log);
      await waitForNodesReady(manager.docker, [i.worker.name]);
      await applySpec(manager.docker, i, nodeId, log);
      return nodeId;
    });
    return { id: nodeId, outs: { nodeId } };
  },
  async read(_id, state, { log }) {
    const [w, m] = await Promise.all([lookAt(state.worker, state.privateKey), lookAt(state.manager, state.privateKey)]);
    const listed = m.view?.members.find((n) => n.id === state.nodeId);
    const symptom = joinSymptom(w, m, state.nodeId);
    if (!symptom && listed) return { nodeId: state.nodeId, nodeSpec: memberSpec(listed) };
    log(`${state.worker.name} ${symptom}; up joins it again`);
    return undefined;
  },
  async update(_id, olds, news, { log }) {
    await withSessions([news.manager], news.privateKey, ([m]) => applySpec(m.docker(), news, olds.nodeId, log));
    return { nodeId: olds.nodeId };
  },
  async delete(_id, state, { log }) {
    if (goesWithItsMachines(state.lab)) return;
    const { manager, worker, privateKey, nodeId } = state;
    // Draining first lets swarm move the node's task before it leaves; leaving works without it. A manager is removed
    // from the managers' Raft after it leaves (removeNode demotes it): leaving with --force is Swarm's way for one.
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

/** A joining node's role: a manager is given the manager token (a stack of an older swarmlab has workers only). */
function roleOf(i: Pick<JoinInputs, "nodeSpec" | "managerToken">): NodeSpec["role"] {
  return i.managerToken && i.nodeSpec?.role === "manager" ? "manager" : "worker";
}

/** `docker node update` of the node to its declared spec, when it drifted (a stack of an older swarmlab has none). */
async function applySpec(manager: Docker, i: JoinInputs, nodeId: string, log: (l: string) => void): Promise<void> {
  if (!i.nodeSpec) return;
  const drift = await setNodeSpec(manager, nodeId, i.nodeSpec);
  if (drift.length > 0) log(`${i.worker.name}: docker node update: ${drift.join(", ")}`);
}

/** Whether anything listens on Swarm's gossip port (7946/tcp) on a node: after leaving, nothing should. */
const AGENT_PORT_HELD = "ss -Hltn 'sport = :7946'";

/**
 * What keeps a node from being a member, seen from both sides: the node in the swarm as itself, and listed Ready by
 * the founder (which may not answer, have left its swarm, or have lost its quorum), a manager Reachable or the
 * Leader too; "" when it is a member.
 */
function joinSymptom(w: NodeLook, m: NodeLook, nodeId: string): string {
  if (w.problem) return `cannot be looked at (${w.problem})`;
  if (w.local.state !== "active" || w.local.nodeId !== nodeId) return `is not in the swarm (${w.local.state})`;
  if (m.problem) return `has a manager that does not answer (${m.name}: ${m.problem})`;
  if (!m.view && m.viewError) return `has a manager that cannot answer for its swarm (${m.name}: ${m.viewError})`;
  if (!m.view) return `has a manager in no swarm (${m.name} is ${m.local.state || "not in a swarm"})`;
  const listed = m.view.members.find((n) => n.id === nodeId);
  if (!listed) return "is not in the manager's node list";
  if (listed.state !== "ready") return `is ${listed.state} in the swarm`;
  const raft = listed.role === "manager" && !listed.leader && listed.reachability !== "reachable";
  return raft ? `is a manager the others list as ${listed.reachability || "of no reachability"}, not Reachable` : "";
}
