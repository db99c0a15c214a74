// The tutorial, step by step, on the live lab: each step is the command a student types on a node, run there for
// real over the lab's SSH session (or, for a command that makes something up already made, a read-only command that
// shows what it left), the output trimmed, what explain reads in it, and the one sentence it proves.
import { registered } from "../backends";
import { WHOAMI_PORT } from "../backends/host/names";
import {
  captureDuring,
  ConnectedLab,
  ConnectedNode,
  dontFragmentPing,
  hasIpvs,
  NAT_COUNTERS_COMMAND,
  natCounters,
  vxlanDevice,
} from "../checks/observe";
import { networkTableOf, nodeNamed } from "../snapshot/model";
import { founderOf } from "../types";
import {
  EngineSwarm,
  eth0OnOverlay,
  eth1OnGwbridge,
  leavesByGwbridge,
  masqueradeCounts,
  masqueradeRuleOf,
  masquerades,
  networksAsTutorial,
  nodesReady,
  overlayMade,
  quorumOf,
  overlayOnTheWire,
  pathMtu as pathMtuFact,
  replicasRunning,
  routingMesh,
  swarmJoined,
  tasksPing,
  tasksSpread,
  upstreamSeesNode,
  Verdict,
} from "../facts";
import type { ObservedLab, ObservedTask } from "./observed";
import { ANSWERED, askMesh, IPVS_TABLE, MESH_PORT, meshRequest, publishCommand, serviceImage, withPublishedWeb } from "../checks/mesh";
import { ESP_OVERHEAD, ICMP_AND_IP, LINK_MTU, overlayMtu, pathMtuSizes, VXLAN_OVERHEAD } from "../checks/overlay-mtu";
import { Section, StepReport, trimOutput } from "./report";
import { captureCommand, captureFilter, describePacket, parseCapture } from "./vxlan";

export interface ExplainContext {
  lab: ConnectedLab;
  seen: ObservedLab;
}

export interface Step {
  name: string;
  section: Section;
  run(ctx: ExplainContext): Promise<StepReport>;
}

// The order of the tutorial. Every line says what its step shows.
export const STEPS: Step[] = [
  step("swarm-init", "swarm", swarmInit), //         docker swarm init --advertise-addr: the swarm speaks on the manager's lab address
  step("swarm-join", "swarm", swarmJoin), //         docker swarm join on each worker, to the manager's port 2377
  step("node-ls", "swarm", nodeLs), //               docker node ls: every node Ready, a manager Leader, the others Reachable
  step("quorum", "swarm", quorum), //                the managers' Raft: its quorum, ⌊N/2⌋+1, and how many failures it survives
  step("network-create", "swarm", networkCreate), // docker network create -d overlay mynet: a swarm-wide VXLAN network with its VNI
  step("service-create", "swarm", serviceCreate), // docker service create … busybox ping: the tasks
  step("service-ps", "swarm", servicePs), //         docker service ps test: one task per worker
  step("network-ls", "swarm", networkLs), //         docker network ls on a worker: mynet and docker_gwbridge came with the task
  step("ip-a", "east-west", ipA), //                 ip a in a task: eth0 on mynet at MTU 1450 (1424 encrypted), eth1 on docker_gwbridge
  step("ping", "east-west", pingAcross), //          a task pings the other task across nodes
  step("path-mtu", "east-west", pathMtu), //         1422 bytes with don't-fragment pass, 1423 do not: VXLAN's 50 bytes
  step("vxlan", "vxlan", vxlanOnTheWire), //         tcpdump on a worker during that ping: outer node addresses, VNI, inner task addresses
  step("gwbridge", "north-south", gwbridge), //      ip route in a task: the way out is eth1, docker_gwbridge
  step("masquerade", "north-south", masquerade), //  the node's MASQUERADE rule counts a task's new ping to the upstream
  step("upstream-sees", "north-south", upstreamSees), // the upstream sees the node's address, not the task's
  step("ingress", "ingress", ingress), //            the ingress network; IPVS, which publishing a port needs
];

export const STEP_NAMES = STEPS.map((s) => s.name);

type Body = (ctx: ExplainContext) => Promise<Omit<StepReport, "name" | "number" | "section">>;

function step(name: string, section: Section, body: Body): Step {
  return { name, section, run: async (ctx) => ({ name, number: STEP_NAMES.indexOf(name) + 1, section, ...(await body(ctx)) }) };
}

/** Runs a command on a node as the student would, and returns what it printed (stdout, then stderr). */
async function typed(n: ConnectedNode, command: string): Promise<{ code: number; text: string }> {
  const r = await n.session.exec(command);
  return { code: r.code, text: (r.stdout + r.stderr).replace(/\s+$/, "") };
}

const short = (id: string) => id.slice(0, 12);

/** What explain reads in a verdict: what is wrong, then where the lab differs from the tutorial. */
const readingOf = (...verdicts: Verdict[]) => [...new Set(verdicts.flatMap((v) => [...v.found, ...v.differs]))];

/** The nodes of a role, by the role each was made for (never by position or name). */
const withRole = (lab: ConnectedLab, role: string) => lab.nodes.filter((n) => n.access.role === role);
const names = (nodes: ConnectedNode[]) => nodes.map((n) => n.access.name);

/** The founding manager, which ran `docker swarm init` (the first manager of the settings; lab/types.ts). */
const founder = (lab: ConnectedLab) => lab.node(founderOf(lab.nodes.map((n) => n.access)).name);

/** A node as the swarm-joined fact takes it, before its engine's answer is read. */
const engineOf = (n: ConnectedNode): Pick<EngineSwarm, "node" | "role" | "address"> => ({
  node: n.access.name,
  role: n.access.role,
  address: n.access.address,
});

/** The first task and the task it talks to on another worker (the tutorial's test.1 → test.2). */
function pair(ctx: ExplainContext): { from: ObservedTask; to?: ObservedTask; fromNode: ConnectedNode; toNode?: ConnectedNode } {
  const [from, ...rest] = ctx.seen.tasks;
  if (!from) throw new Error(`service ${ctx.seen.service} has no running task: npm run up makes the lab whole`);
  const to = rest.find((t) => t.node !== from.node);
  return { from, to, fromNode: ctx.lab.node(from.node), toNode: to ? ctx.lab.node(to.node) : undefined };
}

async function swarmInit({ lab }: ExplainContext) {
  const m = founder(lab);
  const shows = `docker info --format 'Swarm: {{.Swarm.LocalNodeState}}  NodeAddr: {{.Swarm.NodeAddr}}  Managers: {{.Swarm.Managers}}  Nodes: {{.Swarm.Nodes}}'`;
  const r = await typed(m, shows);
  const [, state = "", nodeAddr = ""] = /Swarm: (\S*)\s+NodeAddr: (\S*)/.exec(r.text) ?? [];
  const verdict = swarmJoined([{ ...engineOf(m), state, nodeAddr, managers: [] }], [m.access.address]);
  return {
    node: m.access.name,
    command: `docker swarm init --advertise-addr ${m.access.address}`,
    shows,
    output: trimOutput(r.text),
    reading: readingOf(verdict),
    proves: `${m.access.name} made the swarm and advertises its lab address ${m.access.address}, where the other nodes reach it`,
    holds: verdict.holds,
    facts: { manager: m.access.name, advertiseAddr: m.access.address },
  };
}

async function swarmJoin({ lab }: ExplainContext) {
  const shows = `docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeAddr}} manager {{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}'`;
  const managerAt = `${founder(lab).access.address}:2377`;
  // every node but the founder joined: the other managers (with the manager token), then the workers
  const workers = lab.nodes.filter((n) => n !== founder(lab));
  const managersToo = workers.some((n) => n.access.role === "manager");
  const seen = await Promise.all(workers.map(async (w) => ({ w, r: await typed(w, shows) })));
  // what the format prints, word by word: <state> <its address> manager <address:port>…; the words can be empty
  const engines = seen.map(({ w, r }) => {
    const [state = "", nodeAddr = "", , ...managers] = r.text.split(" ");
    return { ...engineOf(w), state, nodeAddr, managers: managers.filter(Boolean) };
  });
  const verdict = swarmJoined(
    engines,
    withRole(lab, "manager").map((n) => n.access.address),
  );
  return {
    node: names(workers).join(", "),
    command: managersToo
      ? `docker swarm join --token SWMTKN-1-…(docker swarm join-token manager: on the other managers) ${managerAt}\n` +
        `docker swarm join --token SWMTKN-1-…(docker swarm join-token worker: on the workers) ${managerAt}`
      : `docker swarm join --token SWMTKN-1-… ${managerAt}`,
    shows,
    output: trimOutput(seen.map(({ w, r }) => `${w.access.name}: ${r.text}`).join("\n")),
    reading: readingOf(verdict),
    proves: `every ${managersToo ? "node" : "worker"} joined the swarm through ${founder(lab).access.name}'s ${managerAt} and speaks on its own lab address`,
    holds: verdict.holds,
    facts: { workers: workers.map((w) => ({ name: w.access.name, address: w.access.address })), manager: managerAt },
  };
}

async function nodeLs({ lab }: ExplainContext) {
  const r = await typed(lab.manager, "docker node ls");
  const nodes = lab.snapshot.swarm?.members ?? [];
  const verdict = nodesReady(
    nodes,
    lab.nodes.map((n) => ({ name: n.access.name, role: n.access.role })),
  );
  return {
    node: lab.manager.access.name,
    command: "docker node ls",
    output: trimOutput(r.text),
    reading: readingOf(verdict),
    proves:
      withRole(lab, "manager").length === 1
        ? `all ${lab.nodes.length} nodes are in the swarm and Ready, and ${names(withRole(lab, "manager"))[0]} is its Leader`
        : `all ${lab.nodes.length} nodes are in the swarm and Ready, one of ${names(withRole(lab, "manager")).join(", ")} is its Leader and the others are Reachable`,
    holds: verdict.holds,
    facts: { nodes },
  };
}

/**
 * The managers keep the swarm's state in Raft: a majority of them (the quorum) must be up to elect a Leader, and only
 * a Leader schedules. Read from the snapshot (the leader's view); the live drill is `npm run explain -- --drill quorum`.
 */
async function quorum({ lab }: ExplainContext) {
  const shows = "docker node ls --filter role=manager";
  const r = await typed(lab.manager, shows);
  const managers = names(withRole(lab, "manager"));
  const rows = (lab.snapshot.swarm?.members ?? []).filter((m) => m.role === "manager");
  const leader = rows
    .filter((m) => m.leader)
    .map((m) => m.hostname)
    .join(" and ");
  const reachable = rows.filter((m) => !m.leader && m.reachability === "reachable").map((m) => m.hostname);
  const { quorum, survives } = quorumOf(managers.length);
  const verdict = nodesReady(
    lab.snapshot.swarm?.members ?? [],
    lab.nodes.map((n) => ({ name: n.access.name, role: n.access.role })),
  );
  const up = (leader ? 1 : 0) + reachable.length;
  return {
    node: lab.manager.access.name,
    command: shows,
    output: trimOutput(r.text),
    reading: [
      `${managers.length} manager${managers.length === 1 ? "" : "s"} (${managers.join(", ")}): Leader ${leader || "none"}` +
        (reachable.length ? `, Reachable ${reachable.join(", ")}` : ""),
      `quorum = ⌊${managers.length}/2⌋+1 = ${quorum}: ${up} of them are in the Raft now; the swarm keeps scheduling with ` +
        `${survives} manager${survives === 1 ? "" : "s"} down, and stops with ${survives + 1}`,
      ...(managers.length === 1
        ? ["one manager survives no failure: swarmlab:managers 3 (or 5) and npm run up give the swarm a quorum to lose"]
        : []),
      ...readingOf(verdict),
    ],
    proves: `the managers' Raft has its quorum (${quorum} of ${managers.length}) and survives ${survives} manager${survives === 1 ? "" : "s"} failing`,
    holds: verdict.holds && up >= quorum,
    facts: { managers, leader, reachable, quorum, survives },
  };
}

async function networkCreate({ lab, seen }: ExplainContext) {
  const o = seen.overlay;
  const shows = `docker network inspect ${o.name} --format '{{.Driver}} {{.Scope}} {{range .IPAM.Config}}{{.Subnet}} gateway {{.Gateway}}{{end}} {{json .Options}}'`;
  const r = await typed(lab.manager, shows);
  const [driver = "", scope = ""] = r.text.split(" ");
  const verdict = overlayMade({ name: o.name, driver, scope, vni: o.vni }, { vni: true });
  return {
    node: lab.manager.access.name,
    command: `docker network create -d overlay ${o.encrypted ? "--opt encrypted " : ""}${o.name}`,
    shows,
    output: trimOutput(r.text),
    reading: [
      `VNI ${o.vni}: the VXLAN network identifier Docker gave ${o.name} (com.docker.network.driver.overlay.vxlanid_list)`,
      ...readingOf(verdict),
    ],
    proves: `${o.name} is an overlay of swarm scope on ${o.subnet}, a VXLAN segment with VNI ${o.vni}${o.encrypted ? ", encrypted (IPsec ESP between the nodes)" : ""}`,
    holds: verdict.holds,
    facts: { network: o.name, id: o.id, subnet: o.subnet, gateway: o.gateway, vni: o.vni, encrypted: o.encrypted },
  };
}

async function serviceCreate({ lab, seen }: ExplainContext) {
  const service = (await lab.manager.docker.getService(seen.service).inspect()) as {
    Spec: { TaskTemplate: { ContainerSpec: { Image: string; Command?: string[] } }; Mode: { Replicated?: { Replicas?: number } } };
  };
  const image = service.Spec.TaskTemplate.ContainerSpec.Image.replace(/@sha256:[0-9a-f]+$/, "");
  const replicas = service.Spec.Mode.Replicated?.Replicas ?? 0;
  const command = (service.Spec.TaskTemplate.ContainerSpec.Command ?? []).join(" ");
  const shows = `docker service ls --filter name=${seen.service}`;
  const r = await typed(lab.manager, shows);
  // ID NAME MODE REPLICAS IMAGE PORTS: the service's own row (the filter matches names by their start)
  const row = r.text
    .split("\n")
    .map((l) => l.split(/\s+/))
    .find((w) => w[1] === seen.service);
  const verdict = replicasRunning(seen.service, row?.[3] ?? "", replicas);
  return {
    node: lab.manager.access.name,
    // the lab's service as a student would make it: the tutorial's flags, plus one task per worker (placement) and an
    // init process (so that a task stops at once)
    command:
      `docker service create --network ${seen.overlay.name} --name ${seen.service} --replicas ${replicas} ` +
      `--constraint node.role==worker --replicas-max-per-node 1 --init ${image} ${command}`,
    shows,
    output: trimOutput(r.text),
    reading: [
      `${command}: the tutorial's ping 8.8.8.8, aimed at the lab's upstream ${seen.upstream.address} so that nothing leaves this machine`,
      ...readingOf(verdict),
    ],
    proves: `service ${seen.service} runs ${replicas} replicas of ${image}, attached to ${seen.overlay.name}`,
    holds: verdict.holds,
    facts: { service: seen.service, image, replicas, command },
  };
}

async function servicePs({ lab, seen }: ExplainContext) {
  const r = await typed(lab.manager, `docker service ps ${seen.service}`);
  const verdict = tasksSpread(seen.tasks, { replicas: lab.outputs.replicas, workers: names(withRole(lab, "worker")) });
  return {
    node: lab.manager.access.name,
    command: `docker service ps ${seen.service}`,
    output: trimOutput(r.text),
    reading: [...seen.tasks.map((t) => `${t.name} runs on ${t.node} (container ${short(t.containerId)})`), ...readingOf(verdict)],
    proves: "each task runs on a different worker, so task-to-task traffic has to cross the lab network",
    holds: verdict.holds,
    facts: { tasks: seen.tasks.map((t) => ({ name: t.name, node: t.node, containerId: t.containerId })) },
  };
}

async function networkLs(ctx: ExplainContext) {
  const { fromNode } = pair(ctx);
  const r = await typed(fromNode, "docker network ls");
  const table = networkTableOf(nodeNamed(ctx.lab.snapshot, fromNode.access.name));
  const verdict = networksAsTutorial(table, ctx.seen.overlay.name);
  return {
    node: fromNode.access.name,
    command: "docker network ls",
    output: trimOutput(r.text),
    reading: readingOf(verdict),
    proves:
      `a worker running a task has ${ctx.seen.overlay.name} (overlay, swarm scope) and docker_gwbridge (a local bridge), the task's two networks, ` +
      `beside bridge, host, ingress and none: the tutorial's networks, no other`,
    holds: verdict.holds,
    facts: { networks: table.map((n) => n.name) },
  };
}

async function ipA(ctx: ExplainContext) {
  const { from, fromNode } = pair(ctx);
  const command = `docker exec ${short(from.containerId)} ip a`;
  const r = await typed(fromNode, command);
  const gwbridges: Record<string, string> = Object.fromEntries(ctx.seen.nodes.map((n) => [n.name, n.gwbridge.subnet]));
  const mtu = overlayMtu(ctx.seen.overlay.encrypted);
  const eth0 = eth0OnOverlay(ctx.seen.tasks, ctx.seen.overlay);
  const eth1 = eth1OnGwbridge(ctx.seen.tasks, gwbridges);
  const holds = eth0.holds && eth1.holds;
  return {
    node: fromNode.access.name,
    command,
    output: trimOutput(r.text, 16, /valid_lft|inet6/),
    reading: [
      ...ctx.seen.tasks.map(
        (t) =>
          `${t.name} on ${t.node}: eth0 ${t.eth0?.ipv4} mtu ${t.eth0?.mtu} (${ctx.seen.overlay.name}), eth1 ${t.eth1?.ipv4} mtu ${t.eth1?.mtu} (docker_gwbridge ${gwbridges[t.node]})`,
      ),
      ...readingOf(eth0, eth1),
    ],
    proves:
      `eth0 is on ${ctx.seen.overlay.name} with MTU ${mtu}, ${LINK_MTU - mtu} bytes under the wire's ${LINK_MTU} because VXLAN wraps each frame ` +
      `in an outer IPv4 (20), UDP (8) and VXLAN (8) header around the inner Ethernet header (14)` +
      (ctx.seen.overlay.encrypted ? ` and ESP wraps that (${ESP_OVERHEAD}, rounded to a multiple of 4)` : "") +
      `; eth1 is on docker_gwbridge at ${LINK_MTU}`,
    holds,
    facts: { tasks: ctx.seen.tasks.map((t) => ({ name: t.name, node: t.node, eth0: t.eth0, eth1: t.eth1 })) },
  };
}

function needsTwo(ctx: ExplainContext, command: string) {
  return {
    node: ctx.seen.tasks[0]?.node ?? "",
    command,
    output: "",
    reading: [],
    proves: `one task only (swarmlab:replicas 1): nothing crosses from node to node (pulumi config set swarmlab:replicas 2)`,
    holds: true,
    facts: {},
  };
}

async function pingAcross(ctx: ExplainContext) {
  const { from, to, fromNode } = pair(ctx);
  if (!to) return needsTwo(ctx, `docker exec ${short(from.containerId)} ping -c 3 <another task>`);
  const command = `docker exec ${short(from.containerId)} ping -c 3 ${to.overlayIp}`;
  const r = await typed(fromNode, command);
  const verdict = tasksPing([{ from: `${from.name} (${from.node})`, to: to.overlayIp, code: r.code, output: r.text }]);
  return {
    node: fromNode.access.name,
    command,
    output: trimOutput(r.text),
    reading: readingOf(verdict),
    proves: `${from.name} on ${from.node} reaches ${to.name} on ${to.node} by its overlay address ${to.overlayIp}: one flat network across nodes`,
    holds: verdict.holds,
    facts: { from: from.overlayIp, to: to.overlayIp },
  };
}

async function pathMtu(ctx: ExplainContext) {
  const { from, to, fromNode } = pair(ctx);
  const mtu = overlayMtu(ctx.seen.overlay.encrypted);
  const sizes = pathMtuSizes(mtu);
  const typedAs = (size: number) =>
    `sudo nsenter -t $(docker inspect -f '{{.State.Pid}}' ${short(from.containerId)}) -n ping -M do -c 1 -W 2 -s ${size} ${to?.overlayIp ?? "<another task>"}`;
  if (!to) return needsTwo(ctx, typedAs(sizes[0]));
  const [fits, tooBig] = await Promise.all(sizes.map((s) => dontFragmentPing(fromNode, from.containerId, to.overlayIp, s)));
  const text = (r: { stdout: string; stderr: string }) => (r.stdout + r.stderr).replace(/\s+$/, "");
  const verdict = pathMtuFact({
    mtu,
    fits: { size: sizes[0], code: fits.code, output: text(fits) },
    tooBig: { size: sizes[1], code: tooBig.code, output: text(tooBig) },
  });
  return {
    node: fromNode.access.name,
    command: sizes.map(typedAs).join("\n"),
    output: [`# -s ${sizes[0]}`, trimOutput(text(fits), 6), `# -s ${sizes[1]}`, trimOutput(text(tooBig), 6)].join("\n"),
    reading: [
      `-s ${sizes[0]}: ${fits.code === 0 ? "answered" : "not answered"}; -s ${sizes[1]}: ${tooBig.code === 0 ? "answered" : "refused, it does not fit"}`,
      ...readingOf(verdict),
    ],
    proves:
      `${sizes[0]} bytes of payload + ${ICMP_AND_IP} (ICMP 8, IP 20) = ${mtu} fit the overlay and one byte more does not: ` +
      `the path MTU between tasks is ${mtu}, ${LINK_MTU} less VXLAN's ${VXLAN_OVERHEAD}${ctx.seen.overlay.encrypted ? ` and ESP's ${ESP_OVERHEAD} (rounded to a multiple of 4)` : ""}`,
    holds: verdict.holds,
    facts: { mtu, fits: sizes[0], fitsPassed: fits.code === 0, tooBig: sizes[1], tooBigPassed: tooBig.code === 0 },
  };
}

/** How many packets the capture waits for: two echo requests and their two replies. */
const CAPTURE_COUNT = 4;

async function vxlanOnTheWire(ctx: ExplainContext) {
  const { from, to, fromNode, toNode } = pair(ctx);
  const self = ctx.seen.nodes.find((n) => n.name === from.node)!;
  if (!to || !toNode) return needsTwo(ctx, captureCommand(self.iface, "<the other worker>", CAPTURE_COUNT));
  const ping = `docker exec ${short(from.containerId)} ping -c 2 ${to.overlayIp}`;
  const o = ctx.seen.overlay;
  const [text, device] = await Promise.all([
    captureDuring(fromNode, self.iface, captureFilter(toNode.access.address), CAPTURE_COUNT, ping),
    vxlanDevice(fromNode, o.id),
  ]);
  const packets = parseCapture(text);
  const nodes = [fromNode.access.address, toNode.access.address];
  const tasks = [from.overlayIp, to.overlayIp];
  const verdict = overlayOnTheWire(packets, { vni: o.vni, encrypted: o.encrypted, nodes, tasks, deviceVni: device.vni });
  const { vxlan, esp, vnis } = verdict;
  const vniLine = o.encrypted
    ? `${esp.length} ESP packets between ${nodes.join(" and ")}, ${vxlan.length} cleartext VXLAN: the overlay's frames travel encrypted`
    : `VNI ${vnis.join(", ") || "none seen"} on the wire; ${o.name}'s VNI is ${o.vni} (docker network inspect) and ${device.vni} (vxlan id of the vxlan device in ${o.name}'s namespace)`;
  return {
    node: fromNode.access.name,
    command: `${captureCommand(self.iface, toNode.access.address, CAPTURE_COUNT)}\n${ping}   # meanwhile, in another shell on ${fromNode.access.name}`,
    output: trimOutput(text, 16),
    reading: [...packets.map(describePacket), vniLine, ...readingOf(verdict)],
    proves: o.encrypted
      ? `between ${from.node} and ${to.node} the overlay's traffic is IPsec ESP (IP protocol 50): no cleartext VXLAN of ${o.name} crosses the wire`
      : `the ping travels between ${nodes.join(" and ")} (the nodes' lab addresses) as UDP 4789 with VNI ${o.vni}, carrying the tasks' ${tasks.join(" > ")} inside: that is the overlay`,
    holds: verdict.holds,
    facts: { vni: o.vni, deviceVni: device.vni, vnisOnTheWire: vnis, packets, encrypted: o.encrypted },
  };
}

async function gwbridge(ctx: ExplainContext) {
  const { from, fromNode } = pair(ctx);
  const gw = ctx.seen.nodes.find((n) => n.name === from.node)!.gwbridge;
  const command = `docker exec ${short(from.containerId)} ip route\ndocker network inspect docker_gwbridge --format '{{range .IPAM.Config}}{{.Subnet}} gateway {{.Gateway}}{{end}}'`;
  const [route, bridge] = await Promise.all(command.split("\n").map((c) => typed(fromNode, c)));
  const [, via = "", dev = ""] = /^default via (\S+) dev (\S+)/m.exec(route.text) ?? [];
  const [subnet = "", , gateway = ""] = bridge.text.split(" ");
  const verdict = leavesByGwbridge(from.name, via ? { via, dev } : undefined, { gateway });
  // the bridge as the student sees it must be the one explain read at its start (and drew): else the lab changed meanwhile
  const changed =
    subnet === gw.subnet && gateway === gw.gateway
      ? []
      : [`docker_gwbridge on ${from.node} is ${bridge.text || "gone"}, read before as ${gw.subnet} gateway ${gw.gateway}`];
  return {
    node: fromNode.access.name,
    command,
    output: trimOutput(`${route.text}\n${bridge.text}`),
    reading: [...readingOf(verdict), ...changed],
    proves: `the task's default route leaves by eth1 to ${gw.gateway}, docker_gwbridge on ${from.node}: traffic for outside the overlay goes through the node, not the overlay`,
    holds: verdict.holds && changed.length === 0,
    facts: { gwbridge: gw },
  };
}

/**
 * Where a task's traffic leaves its node for: the upstream host, or on the user's own hosts (ssh backend), which have
 * none, the founding manager its tasks ping.
 */
function outside(ctx: ExplainContext): { address: string; what: string } {
  if (!registered(ctx.seen.backend)?.usersHosts) return { address: ctx.seen.upstream.address, what: "the upstream" };
  return { address: ctx.lab.manager.access.address, what: `the founding manager ${ctx.lab.manager.access.name}` };
}

async function masquerade(ctx: ExplainContext) {
  const { from, fromNode } = pair(ctx);
  const subnet = ctx.seen.nodes.find((n) => n.name === from.node)!.gwbridge.subnet;
  const { address: up, what } = outside(ctx);
  const ping = `docker exec ${short(from.containerId)} ping -c 2 ${up}`;
  const before = await natCounters(fromNode);
  const pinged = await typed(fromNode, ping);
  const after = await natCounters(fromNode);
  const [b, a] = [masqueradeRuleOf(before.rules, subnet), masqueradeRuleOf(after.rules, subnet)];
  const rule = masquerades(fromNode.access.name, after.rules, subnet);
  const counted = masqueradeCounts(fromNode.access.name, before.rules, after.rules, subnet);
  const row = (text: string) => text.split("\n").filter((l) => /MASQUERADE/.test(l) && l.includes(subnet) && l.includes("!docker_gwbridge"));
  const header = before.output.split("\n").slice(0, 2);
  return {
    node: fromNode.access.name,
    command: `${NAT_COUNTERS_COMMAND}\n${ping}\n${NAT_COUNTERS_COMMAND}`,
    output: [
      ...header,
      ...row(before.output),
      `# ${ping}: ${pinged.code === 0 ? "answered" : "not answered"}`,
      ...header.slice(1),
      ...row(after.output),
    ].join("\n"),
    reading: [
      `MASQUERADE ${subnet} ! -o docker_gwbridge: ${b?.packets ?? "?"} → ${a?.packets ?? "?"} packets. NAT counts the first packet of each ` +
        `connection (conntrack translates the rest), and each new ping is a new one; the task's own endless ping is one old connection`,
      ...readingOf(rule, counted),
    ],
    proves: `a task's packets to ${what} are masqueraded by its node's rule for docker_gwbridge's ${subnet}: its counter moved`,
    holds: pinged.code === 0 && rule.holds && counted.holds,
    facts: {
      rule: { source: subnet, out: "!docker_gwbridge" },
      packetsBefore: b?.packets,
      packetsAfter: a?.packets,
      bytesBefore: b?.bytes,
      bytesAfter: a?.bytes,
    },
  };
}

async function upstreamSees(ctx: ExplainContext) {
  if (registered(ctx.seen.backend)?.usersHosts) return founderSees(ctx);
  const { from, fromNode } = pair(ctx);
  const up = ctx.seen.upstream.address;
  const command = `docker exec ${short(from.containerId)} nc -w 3 ${up} ${WHOAMI_PORT}`;
  const r = await typed(fromNode, command);
  const verdict = upstreamSeesNode([{ task: from.name, node: from.node, nodeAddress: fromNode.access.address, seen: r.text }]);
  return {
    node: fromNode.access.name,
    command,
    output: trimOutput(r.text),
    reading: [`the upstream answers on port ${WHOAMI_PORT} with the source address it sees: ${r.text || "(nothing)"}`, ...readingOf(verdict)],
    proves: `the upstream sees ${fromNode.access.address}, ${from.node}'s lab address, not the task's ${from.eth1?.ipv4.split("/")[0]}: the node masquerades its tasks`,
    holds: verdict.holds,
    facts: { seenSource: r.text, node: fromNode.access.address, task: from.eth1?.ipv4 },
  };
}

/**
 * On the user's own hosts there is no upstream to ask: the founding manager, which the service's tasks ping, is
 * watched instead (tcpdump), and the source of the echo requests it gets from the first task's node is read.
 */
async function founderSees(ctx: ExplainContext) {
  const { from, fromNode } = pair(ctx);
  const founder = ctx.lab.manager;
  const filter = `icmp[icmptype] == icmp-echo and dst host ${founder.access.address} and (src host ${fromNode.access.address} or src net 172.16.0.0/12)`;
  const command = `sudo tcpdump -i any -nn -c 1 '${filter}'`;
  const text = await captureDuring(founder, "any", filter, 1, "true", 10);
  const seen = /IP (\d+\.\d+\.\d+\.\d+) > /.exec(text)?.[1] ?? "";
  const verdict = upstreamSeesNode([{ task: from.name, node: from.node, nodeAddress: fromNode.access.address, seen }]);
  return {
    node: founder.access.name,
    command,
    output: trimOutput(text, 6, /listening on|captured|received by filter|dropped by kernel/),
    reading: [`${founder.access.name} gets ${from.name}'s echo requests (its service's ping) from ${seen || "(nothing)"}`, ...readingOf(verdict)],
    proves: `the founding manager sees ${fromNode.access.address}, ${from.node}'s own address, not the task's ${from.eth1?.ipv4.split("/")[0]}: the node masquerades its tasks`,
    holds: verdict.holds,
    facts: { seenSource: seen, node: fromNode.access.address, task: from.eth1?.ipv4 },
  };
}

async function ingress(ctx: ExplainContext) {
  const m = ctx.lab.manager;
  const inspect = `docker network inspect ingress --format '{{.Driver}} {{.Scope}} ingress={{.Ingress}} {{range .IPAM.Config}}{{.Subnet}}{{end}} {{json .Options}}'`;
  const net = await typed(m, inspect);
  if (!(await hasIpvs(m))) {
    const probe = await typed(m, "ls /proc/net/ip_vs");
    const [driver = "", scope = "", flag = ""] = net.text.split(" ");
    const verdict = overlayMade({ name: "ingress", driver, scope, ingress: flag === "ingress=true" }, { ingress: true });
    return {
      node: m.access.name,
      command: `${inspect}\nls /proc/net/ip_vs`,
      output: trimOutput(`${net.text}\n${probe.text}`),
      reading: [
        "this kernel has no IPVS (no /proc/net/ip_vs): not available on this kernel, which the container nodes share",
        "publishing a port (docker service create --publish 8080:80 …) needs the ingress network above and IPVS in each node's " +
          "ingress_sbox namespace: here the port would answer on no node, and a service's VIP does not forward",
        "what still works: tasks, mynet and the pings between tasks; tasks.<service> resolves to each task. " +
          "On the VM backend (own kernels with ip_vs) the port answers on every node, the manager included",
        ...readingOf(verdict),
      ],
      proves: "the ingress network is there on every node, but the routing mesh needs IPVS, which this kernel lacks",
      holds: verdict.holds,
      facts: { ipvs: false, ingress: net.text },
    };
  }
  return publishedPort(ctx, inspect, net.text);
}

/** Where the kernel has IPVS: publish a port on a small service, reach it through every node, show IPVS's table. */
async function publishedPort(ctx: ExplainContext, inspect: string, ingressText: string) {
  const m = ctx.lab.manager;
  const name = "explain-web";
  const image = await serviceImage(m.docker, ctx.seen.service);
  return withPublishedWeb(m.docker, name, image, async () => {
    const answers = await Promise.all(ctx.lab.nodes.map(async (n) => ({ n, line: await askMesh(m, n.access.address) })));
    const ipvs = await typed(m, IPVS_TABLE);
    const verdict = routingMesh(
      answers.map(({ n, line }) => ({ node: n.access.name, address: n.access.address, line })),
      ipvs.text,
    );
    return {
      node: m.access.name,
      command: [inspect, publishCommand(name, image), ...ctx.lab.nodes.map((n) => meshRequest(n.access.address)), IPVS_TABLE].join("\n"),
      output: trimOutput([ingressText, ...answers.map(({ n, line }) => `${n.access.address}: ${line}`), ipvs.text].join("\n"), 24),
      reading: [
        `this kernel has IPVS: port ${MESH_PORT} answers on ${answers.filter(({ line }) => ANSWERED.test(line)).length} of ${answers.length} node addresses`,
        ...readingOf(verdict),
      ],
      proves: `a published port answers on every node's address, the manager's too (it runs no task): the routing mesh, IPVS in ingress_sbox balancing to the tasks`,
      holds: verdict.holds,
      facts: {
        ipvs: true,
        port: MESH_PORT,
        answers: answers.map(({ n, line }) => ({ node: n.access.name, address: n.access.address, status: line })),
        table: ipvs.text,
      },
    };
  });
}
