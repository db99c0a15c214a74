// The exercises' checks, by name (check-names.ts): each reads the lab as it is now, over the connected lab's sessions,
// and judges with the same predicates the verification suite and explain use (lab/facts), never a copy of them. A
// check that cannot run on this lab (the routing mesh without IPVS) is pending, with its reason.
import { captureDuring, ConnectedLab, ConnectedNode, dontFragmentPing, hasIpvs, natCounters, vxlanDevice } from "../checks/observe";
import { askMesh, IPVS_TABLE } from "../checks/mesh";
import { ICMP_AND_IP } from "../checks/overlay-mtu";
import { captureFilter, parseCapture } from "../explain/vxlan";
import {
  EngineSwarm,
  masqueradeCounts,
  masquerades,
  nodesReady,
  overlayMade,
  overlayOnTheWire,
  pathMtu,
  replicasRunning,
  routingMesh,
  swarmJoined,
  tasksSpread,
  Verdict,
} from "../facts";
import { networkNamed, nodeNamed, overlayNamed, pendingReasons, replicasOf, runningTasksOf, serviceNamed, TaskLook } from "../snapshot/model";
import { ANSWERS_DIR } from "./values";

/** What a check found: the lines of what is wrong (none: the task passes), or why it cannot be checked here. */
export type Outcome = { found: string[] } | { pending: string };

type Check = (lab: ConnectedLab) => Promise<Outcome>;

/** The service the routing-mesh exercise publishes (not the lab's own: that one keeps its tasks as they are). */
export const WEB_SERVICE = "web";

const foundOf = (...verdicts: Verdict[]): Outcome => ({ found: [...new Set(verdicts.flatMap((v) => v.found))] });
const found = (...lines: string[]): Outcome => ({ found: lines });

export const CHECKS: Record<string, Check> = {
  "swarm-init": async (lab) => {
    const managers = lab.nodes.filter((n) => n.access.role === "manager");
    return foundOf(swarmJoined(await enginesOf(managers), addresses(managers)));
  },
  "workers-joined": async (lab) => {
    const managers = lab.nodes.filter((n) => n.access.role === "manager");
    const joined = swarmJoined(await enginesOf(lab.workers), addresses(managers));
    if (!lab.snapshot.swarm) return foundOf(joined);
    const ready = nodesReady(
      lab.snapshot.swarm.members,
      lab.nodes.map((n) => ({ name: n.access.name, role: n.access.role })),
    );
    return foundOf(joined, ready);
  },
  "overlay-made": async (lab) => {
    const name = lab.outputs.overlay.name;
    const view = lab.snapshot.swarm;
    if (!view) return found(noSwarm(lab));
    const net = networkNamed(nodeNamed(lab.snapshot, view.from), name);
    if (!net) return found(`${view.from} has no network ${name}`);
    return foundOf(overlayMade({ name, driver: net.driver, scope: net.scope, vni: overlayNamed(lab.snapshot, name)?.vni }, { vni: true }));
  },
  "service-spread": async (lab) => {
    const { service, replicas, overlay } = lab.outputs;
    const view = lab.snapshot.swarm;
    if (!view) return found(noSwarm(lab));
    const spec = serviceNamed(view, service)?.spec as { Mode?: { Replicated?: { Replicas?: number } } } | undefined;
    if (!spec) return found(`the swarm has no service ${service}`);
    const running = runningTasksOf(view, service);
    const desired = spec.Mode?.Replicated?.Replicas ?? 0;
    const detached = running.filter((t) => !t.addresses[overlay.name]).map((t) => `${t.name} is not attached to ${overlay.name}`);
    const pending = pendingReasons(view, service).map((why) => `a task of ${service} does not run: ${why}`);
    const spread = tasksSpread(running, { replicas, workers: names(lab.workers) });
    return {
      found: [...new Set([...replicasRunning(service, `${running.length}/${desired}`, replicas).found, ...spread.found, ...detached, ...pending])],
    };
  },
  "vni-answer": async (lab) => {
    const answer = await numberAnswer(lab, "vni");
    if ("found" in answer) return answer;
    const mynet = overlayNamed(lab.snapshot, lab.outputs.overlay.name);
    if (!mynet) return found(`the swarm has no network ${lab.outputs.overlay.name}`);
    // The value is never shown: a wrong answer is said as wrong, not corrected.
    if (answer.value !== mynet.vni) return found(`${answer.file} holds ${answer.value}, which is not the VNI that ${mynet.name}'s packets carry`);
    const p = taskPair(lab);
    if ("found" in p) return p;
    const ping = `docker exec ${p.from.containerId} ping -c 2 ${p.to.addresses[mynet.name]}`;
    const iface = nodeNamed(lab.snapshot, p.fromNode.access.name)?.labInterface ?? "";
    const [text, device] = await Promise.all([
      captureDuring(p.fromNode, iface, captureFilter(p.toNode.access.address), 4, ping),
      vxlanDevice(p.fromNode, mynet.id),
    ]);
    const expected = {
      vni: answer.value,
      encrypted: mynet.encrypted,
      nodes: [p.fromNode.access.address, p.toNode.access.address],
      tasks: [p.from.addresses[mynet.name], p.to.addresses[mynet.name]],
      deviceVni: device.vni,
    };
    return foundOf(overlayOnTheWire(parseCapture(text), expected));
  },
  "mtu-answer": async (lab) => {
    const answer = await numberAnswer(lab, "mtu");
    if ("found" in answer) return answer;
    const p = taskPair(lab);
    if ("found" in p) return p;
    const to = p.to.addresses[lab.outputs.overlay.name];
    const size = answer.value;
    const [fits, tooBig] = await Promise.all([size, size + 1].map((s) => dontFragmentPing(p.fromNode, p.from.containerId, to, s)));
    const text = (r: { stdout: string; stderr: string }) => (r.stdout + r.stderr).trim();
    return foundOf(
      pathMtu({
        mtu: size + ICMP_AND_IP,
        fits: { size, code: fits.code, output: text(fits) },
        tooBig: { size: size + 1, code: tooBig.code, output: text(tooBig) },
      }),
    );
  },
  "nat-answer": async (lab) => {
    const answer = await readAnswer(lab, "nat");
    if ("found" in answer) return answer;
    const task = runningTasksOf(lab.snapshot.swarm, lab.outputs.service)[0];
    if (!task) return found(`service ${lab.outputs.service} has no running task`);
    const node = lab.node(task.node);
    const before = await natCounters(node);
    await node.session.exec(`docker exec ${task.containerId} ping -c 2 -W 2 ${lab.outputs.upstream.address}`);
    const after = await natCounters(node);
    return foundOf(
      masquerades(node.access.name, after.rules, answer.value),
      masqueradeCounts(node.access.name, before.rules, after.rules, answer.value),
    );
  },
  "web-published": async (lab) => {
    const view = lab.snapshot.swarm;
    if (!view) return found(noSwarm(lab));
    const web = serviceNamed(view, WEB_SERVICE);
    if (!web) return found(`the swarm has no service ${WEB_SERVICE}`);
    const running = runningTasksOf(view, WEB_SERVICE).length;
    return foundOf(replicasRunning(WEB_SERVICE, `${running}/${replicasOf(web) ?? 0}`, 2));
  },
  "routing-mesh": async (lab) => {
    const m = lab.manager;
    if (!(await hasIpvs(m))) {
      return {
        pending:
          "this kernel has no IPVS (no /proc/net/ip_vs), which the routing mesh needs; the container nodes share this machine's kernel. " +
          "On the VM backend (swarmlab:backend vagrant) each node has its own kernel, and this task is checked",
      };
    }
    const answers = await Promise.all(
      lab.nodes.map(async (n) => ({ node: n.access.name, address: n.access.address, line: await askMesh(m, n.access.address, undefined, 5) })),
    );
    const table = await m.session.exec(IPVS_TABLE);
    return foundOf(routingMesh(answers, table.stdout + table.stderr));
  },
};

const addresses = (nodes: ConnectedNode[]) => nodes.map((n) => n.access.address);
const names = (nodes: ConnectedNode[]) => nodes.map((n) => n.access.name);
const noSwarm = (lab: ConnectedLab) => `${lab.manager.access.name} manages no swarm`;

/** What `docker info` says of each node's swarm, as the swarm-joined fact takes it (the command explain shows too). */
async function enginesOf(nodes: ConnectedNode[]): Promise<EngineSwarm[]> {
  const format = `docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeAddr}} manager {{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}'`;
  return Promise.all(
    nodes.map(async (n) => {
      const [state = "", nodeAddr = "", , ...managers] = (await n.session.exec(format)).stdout.trim().split(" ");
      return { node: n.access.name, role: n.access.role, address: n.access.address, state, nodeAddr, managers: managers.filter(Boolean) };
    }),
  );
}

/** What the student wrote in ~/answers/<name> on the manager, trimmed. */
async function readAnswer(lab: ConnectedLab, name: string): Promise<{ value: string; file: string } | { found: string[] }> {
  const file = `${ANSWERS_DIR}/${name}`;
  const r = await lab.manager.session.exec(`cat ${file}`);
  const value = r.stdout.trim();
  if (r.code !== 0 || !value) return found(`no answer in ${file} on ${lab.manager.access.name}`) as { found: string[] };
  return { value, file };
}

async function numberAnswer(lab: ConnectedLab, name: string): Promise<{ value: number; file: string } | { found: string[] }> {
  const a = await readAnswer(lab, name);
  if ("found" in a) return a;
  if (!/^\d+$/.test(a.value)) return found(`${a.file} holds '${a.value}', not a number`) as { found: string[] };
  return { value: Number(a.value), file: a.file };
}

/** Two running tasks of the lab's service on different nodes (the tutorial's test.1 → test.2). */
function taskPair(lab: ConnectedLab): { from: TaskLook; to: TaskLook; fromNode: ConnectedNode; toNode: ConnectedNode } | { found: string[] } {
  const tasks = runningTasksOf(lab.snapshot.swarm, lab.outputs.service);
  const from = tasks[0];
  const to = tasks.find((t) => t.node !== from?.node);
  if (!from || !to) return found(`service ${lab.outputs.service} does not run two tasks on two nodes`) as { found: string[] };
  return { from, to, fromNode: lab.node(from.node), toNode: lab.node(to.node) };
}
