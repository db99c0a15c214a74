// What the Swarm overlay tutorial shows, as claims about a running lab, each with the sentence it proves. The
// verification suite (lab.test.ts) makes one test of each; the fault scenarios (faults.test.ts) require them all
// after every heal. One SSH connection per node, opened once; each node's Engine API goes through it.
// A claim passes only what it checked. Where the lab differs from the tutorial in a way the claim checked (mynet's
// subnet), it says so with note(); what it cannot check on this lab ends it as pending with the reason
// (doesNotApply, cannotCheck), never as passing; what is false fails.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import execa from "execa";
import { registered } from "../../lab/backends";
import { canGuard, listGuards } from "../../lab/backends/host/firewall";
import { dropped, guardEngine, labBridge, listenOnHost, unusedAddressOnDocker0 } from "./host-reach";
import { WHOAMI_PORT } from "../../lab/backends/host/names";
import type { Interface } from "../../lab/checks/interfaces";
import {
  ConnectedLab,
  captureDuring,
  ConnectedNode,
  defaultRoutes,
  dontFragmentPing,
  hasIpvs,
  LabOutputs,
  natCounters,
  resolveInTask,
  taskLog,
  vxlanDevice,
} from "../../lab/checks/observe";
import { ESP_OVERHEAD, LINK_MTU, overlayMtu, pathMtuSizes } from "../../lab/checks/overlay-mtu";
import { captureFilter, parseCapture } from "../../lab/explain/vxlan";
import { askMesh, IPVS_TABLE, serviceImage, withPublishedWeb } from "../../lab/checks/mesh";
import {
  eth0OnOverlay,
  eth1OnGwbridge,
  masquerades,
  networksAsTutorial,
  nodesReady,
  overlayOnTheWire,
  pathMtu,
  routingMesh,
  tasksPing,
  tasksSpread,
  TUTORIAL,
  upstreamSeesNode,
  Verdict,
} from "../../lab/facts";
import { containerExec } from "../../lab/engine-api";
import { labDir, KEY_FILE } from "../../lab/lab-dir";
import { PROJECT_ROOT } from "../../lab/project-root";
import { HostKeyMismatch } from "../../lab/remote";
import { connect } from "../../lab/sessions";
import {
  labInterfaceOf,
  networkNamed,
  networkTableOf,
  nodeNamed,
  OverlayLook,
  overlayNamed,
  runningTasksOf,
  taskInfoOf,
} from "../../lab/snapshot/model";
import type { TaskInfo } from "../../lab/steps/service";

/** busybox ping: 3 echoes, each sent as soon as the previous reply is back (-A), 2 s to wait at most. */
const ping = (target: string) => ["ping", "-c", "3", "-A", "-W", "2", target];

/**
 * A claim that was not checked on this lab, and why: its test is pending (mocha's skip) with the reason, never
 * passing. A claim throws it after it checked what it could, so a false part has failed already. `inCi`: whether it
 * may stay pending under CI=true, where nothing else may: yes when the claim does not apply to the lab as it is set up
 * (one task, egress internet) or to the kernel the container nodes share (no IPVS, a documented property of it);
 * no when this machine or user cannot look (iptables without root): in CI that is a failure.
 */
export class NotCheckedHere extends Error {
  constructor(
    readonly reason: string,
    readonly inCi: boolean,
  ) {
    super(`not checked here: ${reason}`);
    this.name = "NotCheckedHere";
  }
}

/** A connected lab and what the claims gather once about it. */
export class LabView {
  readonly ifaces = new Map<string, Interface[]>();
  /** docker_gwbridge's subnet on each worker that runs a task. */
  readonly gwbridge = new Map<string, string>();
  /** Where the lab differs from the tutorial, with the reason. */
  readonly notes = new Set<string>();

  private constructor(
    readonly outputs: LabOutputs,
    readonly lab: ConnectedLab,
    readonly tasks: TaskInfo[],
    /** mynet as Docker reports it: its VNI, whether it is encrypted. */
    readonly overlay: OverlayLook,
  ) {}

  static async open(outputs: LabOutputs): Promise<LabView> {
    // Everything the claims gather once comes from the lab's snapshot (lab/snapshot), taken as the lab opened.
    const lab = await ConnectedLab.open(outputs);
    const s = lab.snapshot;
    const overlay = overlayNamed(s, outputs.overlay.name);
    if (!overlay) {
      lab.close();
      throw new Error(`no network ${outputs.overlay.name} in the swarm: npm run up makes the lab whole`);
    }
    const running = runningTasksOf(s.swarm, outputs.service);
    const view = new LabView(
      outputs,
      lab,
      running.map((t) => taskInfoOf(t, outputs.overlay.name)),
      overlay,
    );
    for (const t of running) {
      view.gwbridge.set(t.node, networkNamed(nodeNamed(s, t.node), "docker_gwbridge")?.subnet ?? "");
      view.ifaces.set(t.name, t.interfaces ?? []);
    }
    return view;
  }

  /** The MTU of a task's eth0 on mynet: 1450, or 1424 when mynet is encrypted. */
  get overlayMtu(): number {
    return overlayMtu(this.overlay.encrypted);
  }

  workerOf(t: TaskInfo): ConnectedNode {
    return this.lab.node(t.node);
  }

  /** A task's interface as read inside it (eth0, eth1), if it has one. */
  iface(t: TaskInfo, name: string): Interface | undefined {
    return this.ifaces.get(t.name)?.find((i) => i.name === name);
  }

  /** The nodes of a role, by the role each was made for (never by position or name). */
  withRole(role: string): ConnectedNode[] {
    return this.lab.nodes.filter((n) => n.access.role === role);
  }

  /**
   * Requires a tutorial fact (lab/facts/, which explain judges with too): fails with what is wrong (and `seen`, what
   * was read); where it holds but the lab differs from the tutorial, notes it.
   */
  requires(verdict: Verdict, seen?: string): void {
    assert.ok(verdict.holds, [...verdict.found, ...(seen ? [seen] : [])].join("\n"));
    for (const line of verdict.differs) this.note(line);
  }

  /**
   * A deviation from the tutorial that the claim verified (it checked the lab's real value, e.g. mynet's subnet): the
   * claim passes, and the line is listed after the suite. Never for something that was not checked.
   */
  note(line: string): void {
    this.notes.add(line);
  }

  /** Ends the claim as pending, in CI too: it does not apply to this lab as set up, or to the kernel its nodes share. */
  doesNotApply(reason: string): never {
    throw new NotCheckedHere(reason, true);
  }

  /**
   * Ends the claim as pending, in CI too, on a lab of the user's own hosts (ssh backend): `what` is swarmlab's own
   * surroundings of container or VM nodes (the upstream, the lab network, this machine's firewall), which such hosts
   * do not have. Returns on any other lab.
   */
  notOnUsersHosts(what: string): void {
    const hosts = registered(this.outputs.backend)?.usersHosts;
    if (hosts) this.doesNotApply(`${hosts}: ${what}`);
  }

  /** Ends the claim as pending: this machine or user cannot check it (a failure under CI=true). */
  cannotCheck(reason: string): never {
    throw new NotCheckedHere(reason, false);
  }

  close(): void {
    this.lab.close();
  }
}

export interface Claim {
  group: string;
  says: string;
  /**
   * Checked by itself, after the others (checkClaims): what it does would disturb what another claim measures (a
   * published service's traffic crosses between the nodes with the ingress network's VNI, which the capture on the
   * wire would see). The others share the lab at once: they only read it, or make traffic no other claim counts.
   */
  alone?: boolean;
  check(v: LabView): Promise<void>;
}

export const CLAIMS: Claim[] = [
  {
    group: "access: user vagrant, the lab's key, host keys recorded at creation",
    says: "the ssh command that up printed works as printed (OpenSSH, strict host key checking against known_hosts)",
    async check({ outputs }) {
      // every node at once: each ssh is a process and a handshake of its own
      const answers = await Promise.all(
        outputs.nodes.map((n) =>
          execa("sh", ["-c", `${n.ssh} -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=5 hostname`], {
            cwd: PROJECT_ROOT,
            reject: false,
          }),
        ),
      );
      outputs.nodes.forEach((n, i) => {
        assert.equal(answers[i].exitCode, 0, `${n.ssh}: ${answers[i].stderr}`);
        assert.equal(answers[i].stdout.trim(), n.name);
      });
    },
  },
  {
    group: "access: user vagrant, the lab's key, host keys recorded at creation",
    says: "the stack output sshConfig, handed to ssh -F, reaches every node by its name",
    async check({ outputs }) {
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), "swarmlab-ssh-")), "ssh_config");
      writeFileSync(file, outputs.sshConfig);
      try {
        const answers = await Promise.all(
          outputs.nodes.map((n) =>
            execa("ssh", ["-F", file, "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", n.name, "hostname"], { cwd: PROJECT_ROOT, reject: false }),
          ),
        );
        outputs.nodes.forEach((n, i) => {
          assert.equal(answers[i].exitCode, 0, `ssh -F … ${n.name}: ${answers[i].stderr}`);
          assert.equal(answers[i].stdout.trim(), n.name);
        });
      } finally {
        rmSync(path.dirname(file), { recursive: true, force: true });
      }
    },
  },
  {
    group: "access: user vagrant, the lab's key, host keys recorded at creation",
    says: "the copy of the lab's private key is readable by its owner only (mode 600)",
    async check({ outputs }) {
      const mode = statSync(path.join(labDir(PROJECT_ROOT, outputs.lab), KEY_FILE)).mode & 0o777;
      assert.equal(mode.toString(8), "600");
    },
  },
  {
    group: "access: user vagrant, the lab's key, host keys recorded at creation",
    says: "a node answering with another host key than the one recorded is refused",
    async check(v) {
      const impostor = { ...v.lab.manager.access, hostKey: v.withRole("worker")[0].access.hostKey };
      await assert.rejects(connect(impostor, v.outputs.privateKey, 5_000), HostKeyMismatch);
    },
  },
  {
    group: "the swarm",
    says: "docker node ls: every node is Ready, once (no Down leftover), a manager is the Leader (the tutorial's swarm-manager) and every other manager is Reachable",
    async check(v) {
      const nodes = v.lab.snapshot.swarm?.members ?? [];
      v.requires(
        nodesReady(
          nodes,
          v.lab.nodes.map((n) => ({ name: n.access.name, role: n.access.role })),
        ),
        JSON.stringify(nodes),
      );
    },
  },
  {
    group: "the swarm",
    says: "docker service ps test: as many tasks Running as replicas, each on a different worker",
    async check(v) {
      const workers = v.withRole("worker").map((w) => w.access.name);
      v.requires(tasksSpread(v.tasks, { replicas: v.outputs.replicas, workers }), `running tasks: ${JSON.stringify(v.tasks)}`);
    },
  },
  {
    group: "the swarm",
    says: "each task runs the tutorial's command and its pings are answered (docker logs)",
    async check(v) {
      for (const t of v.tasks) {
        const log = await taskLog(v.workerOf(t).docker, t.containerId);
        assert.match(log, new RegExp(`bytes from ${v.outputs.pingTarget.replace(/\./g, "\\.")}`), `${t.name} log:\n${log}`);
      }
    },
  },
  {
    group: "inside a task: eth0 on mynet, eth1 on docker_gwbridge",
    says: `eth0 holds an address in mynet's subnet with MTU ${TUTORIAL.overlayMtu}: VXLAN takes ${TUTORIAL.vxlanOverhead} of the ${LINK_MTU} bytes (encrypted: ${overlayMtu(true)}, ESP takes ${ESP_OVERHEAD} more)`,
    async check(v) {
      const subnet = v.overlay.subnet;
      assert.equal(subnet, v.outputs.overlay.subnet, "mynet's subnet, live and as the stack recorded it");
      const tasks = v.tasks.map((t) => ({ ...t, eth0: v.iface(t, "eth0") }));
      v.requires(eth0OnOverlay(tasks, { name: v.outputs.overlay.name, subnet, encrypted: v.overlay.encrypted }));
    },
  },
  {
    group: "inside a task: eth0 on mynet, eth1 on docker_gwbridge",
    says: `eth1 holds an address in docker_gwbridge's subnet with MTU ${TUTORIAL.gwbridgeMtu} (a plain local bridge)`,
    async check(v) {
      const tasks = v.tasks.map((t) => ({ ...t, eth1: v.iface(t, "eth1") }));
      v.requires(eth1OnGwbridge(tasks, Object.fromEntries(v.gwbridge)));
    },
  },
  {
    group: "inside a task: eth0 on mynet, eth1 on docker_gwbridge",
    says: "docker network ls on each worker: exactly bridge, docker_gwbridge, host, ingress, mynet, none",
    async check(v) {
      for (const t of v.tasks) {
        const table = networkTableOf(nodeNamed(v.lab.snapshot, t.node));
        v.requires(networksAsTutorial(table, v.outputs.overlay.name), `docker network ls on ${t.node}: ${JSON.stringify(table)}`);
      }
    },
  },
  {
    group: "east-west: task to task across nodes, over the VXLAN overlay",
    says: "each task pings every other task's overlay IP",
    async check(v) {
      const pairs = v.tasks.flatMap((from) => v.tasks.filter((to) => to !== from).map((to) => ({ from, to })));
      const pings = await Promise.all(
        pairs.map(async ({ from, to }) => {
          const r = await containerExec(v.workerOf(from).docker, from.containerId, ping(to.overlayIp));
          return { from: `${from.name} (${from.node})`, to: to.overlayIp, code: r.code, output: r.stdout + r.stderr };
        }),
      );
      v.requires(tasksPing(pings));
    },
  },
  {
    group: "east-west: task to task across nodes, over the VXLAN overlay",
    says: "a 1422-byte don't-fragment ping passes and a 1423-byte one does not: the path MTU is 1450 (1422 + 28 header bytes; encrypted 1396, 1424)",
    async check(v) {
      const [from, to] = v.tasks;
      if (!to) return v.doesNotApply("one task only (swarmlab:replicas 1): no second task to measure the path MTU to");
      const mtu = v.overlayMtu;
      const [fits, tooBig] = pathMtuSizes(mtu);
      const [passed, refused] = await Promise.all(
        [fits, tooBig].map((size) => dontFragmentPing(v.workerOf(from), from.containerId, to.overlayIp, size)),
      );
      v.requires(
        pathMtu({
          mtu,
          fits: { size: fits, code: passed.code, output: passed.stdout + passed.stderr },
          tooBig: { size: tooBig, code: refused.code, output: refused.stdout + refused.stderr },
        }),
      );
    },
  },
  {
    group: "east-west: task to task across nodes, over the VXLAN overlay",
    says: "on the wire between the workers, a task's ping is VXLAN with mynet's VNI, node to node, the tasks' addresses inside (tcpdump); encrypted, it is ESP only: no cleartext VXLAN of mynet",
    async check(v) {
      const [from, to] = v.tasks;
      if (!to) return v.doesNotApply("one task only (swarmlab:replicas 1): no task's ping crosses between workers");
      const node = v.workerOf(from);
      const peer = v.workerOf(to).access.address;
      const [text, device] = await Promise.all([
        captureDuring(
          node,
          labInterfaceOf(v.lab.snapshot, node.access.name),
          captureFilter(peer),
          4,
          `docker exec ${from.containerId} ping -c 2 ${to.overlayIp}`,
        ),
        vxlanDevice(node, v.overlay.id),
      ]);
      const wire = overlayOnTheWire(parseCapture(text), {
        vni: v.overlay.vni,
        encrypted: v.overlay.encrypted,
        nodes: [node.access.address, peer],
        tasks: [from.overlayIp, to.overlayIp],
        deviceVni: device.vni,
      });
      v.requires(wire, `tcpdump on ${node.access.name} saw:\n${text}`);
    },
  },
  {
    group: "east-west: task to task across nodes, over the VXLAN overlay",
    says: "Swarm's DNS answers tasks.test with every task's address",
    async check(v) {
      const [t] = v.tasks;
      const addrs = await resolveInTask(v.workerOf(t).docker, t.containerId, `tasks.${v.outputs.service}`);
      assert.deepEqual(addrs, v.tasks.map((x) => x.overlayIp).sort());
    },
  },
  {
    group: "north-south: out of a task through docker_gwbridge and NAT",
    says: "each task pings the upstream host (the lab's stand-in for the internet)",
    async check(v) {
      v.notOnUsersHosts(`there is no upstream host; the tasks ping the founding manager (${v.outputs.pingTarget}) instead`);
      await Promise.all(
        v.tasks.map(async (t) => {
          const r = await containerExec(v.workerOf(t).docker, t.containerId, ping(v.outputs.upstream.address));
          assert.equal(r.code, 0, `${t.name} → upstream ${v.outputs.upstream.address}: ${r.stdout}${r.stderr}`);
        }),
      );
    },
  },
  {
    group: "north-south: out of a task through docker_gwbridge and NAT",
    says: "the upstream sees the node's own lab address as the source, not the task's: masquerade",
    async check(v) {
      v.notOnUsersHosts("there is no upstream host to tell the source it sees (the workers' MASQUERADE rule is checked below)");
      const answers = [];
      for (const t of v.tasks) {
        const r = await containerExec(v.workerOf(t).docker, t.containerId, ["nc", "-w", "3", v.outputs.upstream.address, String(WHOAMI_PORT)]);
        answers.push({ task: t.name, node: t.node, nodeAddress: v.workerOf(t).access.address, seen: r.stdout });
      }
      v.requires(upstreamSeesNode(answers));
    },
  },
  {
    group: "north-south: out of a task through docker_gwbridge and NAT",
    says: "each worker masquerades docker_gwbridge's subnet for traffic leaving by another interface (iptables -t nat)",
    async check(v) {
      for (const t of v.tasks) {
        const nat = await natCounters(v.workerOf(t));
        v.requires(masquerades(t.node, nat.rules, v.gwbridge.get(t.node) ?? ""), `${t.node} POSTROUTING:\n${nat.output}`);
      }
    },
  },
  {
    group: "north-south: out of a task through docker_gwbridge and NAT",
    says: "no node has a route off this machine (egress none): no default route, and the host drops the lab subnet's egress",
    async check(v) {
      v.notOnUsersHosts("the hosts' routes and egress are their own, and this machine has no firewall rule for them");
      const o = v.outputs;
      if (o.pingTarget !== o.upstream.address) {
        return v.doesNotApply(
          "swarmlab:egress is internet: the nodes have a route out on purpose (the tasks ping a real internet address, as the tutorial does)",
        );
      }
      const routes = await Promise.all(v.lab.nodes.map((n) => defaultRoutes(n)));
      v.lab.nodes.forEach((n, i) => assert.deepEqual(routes[i], [], `${n.access.name} has a default route`));
      // Both backends: the docker backend's lab network is a Docker bridge, the vagrant backend's an isolated libvirt
      // network; the host's egress rule guards either bridge alike. Without the rule, a node's packets would still
      // find no host at the test's target, so only the rule's own counter proves the drop: it needs iptables.
      if (!(await canGuard(guardEngine(o.backend)))) {
        return v.cannotCheck(
          "the nodes have no default route (checked), but whether the host drops the lab subnet's egress is not: " +
            "iptables needs root here (or, for the docker backend, the node image in the engine), to read the rule (and for up to have added it)",
        );
      }
      const { bridge, gateway } = await labBridge(o.lab, o.backend);
      const egress = (await listGuards(o.lab, o.owner, guardEngine(o.backend))).filter((l) => l.startsWith("-A DOCKER-USER "));
      assert.equal(egress.length, 1, `DOCKER-USER rules of ${o.lab}: ${egress.join("; ")}`);
      assert.ok(egress[0].includes(`-s ${o.subnet} ! -d ${o.subnet} -i ${bridge} `), egress[0]);
      // A node is root in its own network namespace: it can add the route it lacks. Towards an address of this
      // machine beyond the lab (a free address of the host's own docker0 network), through the host: the host
      // forwards it, and the lab's rule drops it.
      const [n] = v.withRole("worker");
      const target = await unusedAddressOnDocker0();
      const before = await dropped(o.lab, o.owner, (l) => l.startsWith("-A DOCKER-USER "), o.backend);
      const r = await n.session.exec(
        `sudo ip route add ${target}/32 via ${gateway} && { timeout 1 bash -c 'exec 3<>/dev/tcp/${target}/80'; rc=$?; sudo ip route del ${target}/32; exit $rc; }`,
      );
      assert.notEqual(r.code, 0, `${n.access.name} reached ${target}:80 through the host`);
      const after = await dropped(o.lab, o.owner, (l) => l.startsWith("-A DOCKER-USER "), o.backend);
      assert.ok(after > before, `the egress rule dropped nothing (${before} → ${after} packets): ${r.stderr}`);
    },
  },
  {
    group: "north-south: out of a task through docker_gwbridge and NAT",
    says: "the lab cannot reach the host: new connections from a node and from a task to the host's address on the lab bridge are dropped (INPUT), replies to the host's own connections pass",
    async check(v) {
      v.notOnUsersHosts("this machine is no host of the lab: it has no lab bridge for the hosts to reach");
      const o = v.outputs;
      // Whether the lab reaches the host needs no root: a listener of this process and a connection from the lab.
      // Only the rule that drops it is read with iptables: without root, what was seen is said, and the claim is
      // pending (a failure in CI), never passed on a lab that may reach the host.
      const guarded = await canGuard(guardEngine(o.backend));
      const unguarded = guarded
        ? ""
        : " (this user cannot run iptables, so up added no firewall rule: run npm run up as root, or with passwordless sudo for VMs)";
      const { bridge, gateway } = await labBridge(o.lab, o.backend);
      const inputDrop = (l: string) => l.startsWith(`-A INPUT -i ${bridge} `) && l.endsWith("-j DROP");
      const listener = await listenOnHost(gateway);
      try {
        assert.ok(await listener.connects(), `the host itself cannot reach its listener on ${gateway}:${listener.port}`);
        const before = guarded ? await dropped(o.lab, o.owner, inputDrop, o.backend) : 0;
        const [n] = v.withRole("worker");
        const [t] = v.tasks;
        // Both at once: each waits out its second for an answer that must not come (on the lab bridge an answer takes
        // milliseconds; a connection cut short for another reason cannot pass: the rule's counter must move).
        const [fromNode, fromTask] = await Promise.all([
          n.session.exec(`timeout 1 bash -c 'exec 3<>/dev/tcp/${gateway}/${listener.port}'`),
          containerExec(v.workerOf(t).docker, t.containerId, ["nc", "-w", "1", gateway, String(listener.port)]),
        ]);
        const reached = (who: string) => `${who} connected to the host at ${gateway}:${listener.port}${unguarded}`;
        assert.notEqual(fromNode.code, 0, reached(n.access.name));
        assert.notEqual(fromTask.code, 0, `${reached(`task ${t.name}`)}: ${fromTask.stdout}`);
        const control = "only the host's own control connection may arrive";
        assert.equal(await listener.accepted(), 1, `the host's listener was reached by the lab (${control})${unguarded}`);
        if (!guarded) {
          return v.cannotCheck(
            `a node's and a task's connections to the host at ${gateway} were refused (checked), but what refused them is not: ` +
              "the host's INPUT rule for the lab and its counter need iptables, which needs root or passwordless sudo",
          );
        }
        const after = await dropped(o.lab, o.owner, inputDrop, o.backend);
        assert.ok(after >= before + 2, `the INPUT rule dropped ${after - before} packets for two refused connections`);
      } finally {
        await listener.close();
      }
    },
  },
  {
    group: "ingress: service VIPs and the routing mesh need IPVS",
    says: "IPVS is detected and reported; where it exists, the service name resolves to a VIP that answers",
    async check(v) {
      const [t] = v.tasks;
      if (!(await hasIpvs(v.lab.manager))) {
        // Without IPVS, Swarm's DNS still answers for the service name: it is the VIP that cannot forward.
        assert.equal((await resolveInTask(v.workerOf(t).docker, t.containerId, v.outputs.service)).length, 1);
        return noIpvs(v, "service VIPs cannot forward");
      }
      const [vip] = await resolveInTask(v.workerOf(t).docker, t.containerId, v.outputs.service);
      assert.ok(vip && !v.tasks.some((x) => x.overlayIp === vip), `test resolves to ${vip}, not a VIP`);
      const r = await containerExec(v.workerOf(t).docker, t.containerId, ping(vip));
      assert.equal(r.code, 0, `VIP ${vip}: ${r.stdout}`);
    },
  },
];

/**
 * A lab without IPVS. Container nodes share this machine's kernel, and ours has none (docs/verification.md, IPVS):
 * the claim does not apply there, pending in CI too. The VMs load ip_vs at boot (the box's Debian kernel): without
 * it, a failure.
 */
function noIpvs(v: LabView, lost: string): never {
  if (registered(v.outputs.backend)?.usersHosts) {
    return v.doesNotApply(`${v.lab.manager.access.name}, a host of swarmlab:hosts, runs a kernel without IPVS: ${lost} there`);
  }
  if (registered(v.outputs.backend)?.ownKernel) {
    const node = v.lab.manager.access.name;
    assert.fail(`${node} has no IPVS, and the ${v.outputs.backend} backend's machines load it at boot: ${lost}`);
  }
  const kernel = "the container nodes share this machine's kernel, which has no IPVS";
  return v.doesNotApply(`${kernel}: ${lost} here (the vagrant backend's VMs have it)`);
}

/**
 * The routing mesh, where IPVS exists (VMs): a service publishing a port answers on every node's lab address, the
 * manager's too, which runs no task of it. Without IPVS it is said why not (container nodes share this kernel).
 */
CLAIMS.push({
  group: "ingress: service VIPs and the routing mesh need IPVS",
  says: "where IPVS exists, a published port answers on every node's address, the manager's too (the routing mesh; IPVS in ingress_sbox)",
  alone: true,
  async check(v) {
    const m = v.lab.manager;
    if (!(await hasIpvs(m))) return noIpvs(v, "the routing mesh (a published port answering on every node) cannot work");
    await withPublishedWeb(m.docker, "suite-web", await serviceImage(m.docker, v.outputs.service), async () => {
      const answers = [];
      for (const n of v.lab.nodes) answers.push({ node: n.access.name, address: n.access.address, line: await askMesh(m, n.access.address) });
      v.requires(routingMesh(answers, await m.session.run(IPVS_TABLE)));
    });
  },
});

/**
 * Runs a claim on a lab: resolves with undefined when it held, with the reason when it was not checked here; rejects
 * when it is false, and under CI=true (`ci`) when it was not checked for a reason CI may not have (NotCheckedHere).
 */
export async function checkClaim(claim: Claim, v: LabView, ci = Boolean(process.env.CI)): Promise<string | undefined> {
  try {
    await claim.check(v);
    return undefined;
  } catch (err) {
    if (!(err instanceof NotCheckedHere)) throw err;
    if (ci && !err.inCi) throw new Error(`${err.message}; under CI=true every claim must be checked`, { cause: err });
    return err.reason;
  }
}

/**
 * Ends a mocha test as pending, printing why (mocha's skip takes no reason). Under CI=true, where nothing may be
 * skipped, it fails instead, unless `inCi` (the reason is one CI has by design).
 */
export function pending(ctx: Mocha.Context, reason: string, inCi = false): never {
  if (process.env.CI && !inCi) throw new Error(`not checked here: ${reason}; under CI=true every test must run`);
  console.log(`      (not checked here: ${reason})`);
  return ctx.skip();
}

/**
 * Checks claims on a lab at once, each as checkClaim does (most of their time is waiting on the nodes: pings, captures,
 * connections that must not be answered), those marked `alone` one by one after the others. Each claim's outcome is
 * its own promise, whose failure is marked handled: a caller that never awaits one (a test --grep leaves out) leaves
 * no unhandled rejection. At most a few of a node's SSH sessions run at once this way (sshd allows 10 per connection).
 */
export function checkClaims(claims: Claim[], v: LabView, ci = Boolean(process.env.CI)): Map<Claim, Promise<string | undefined>> {
  const outcomes = new Map<Claim, Promise<string | undefined>>();
  const settled = (p: Promise<unknown>) => p.catch(() => undefined);
  const start = (c: Claim, after?: Promise<unknown>) => {
    const outcome = after ? after.then(() => checkClaim(c, v, ci)) : checkClaim(c, v, ci);
    outcomes.set(c, outcome);
    return settled(outcome);
  };
  // Machines whose backend paces SSH (VMs under emulation: a handshake costs them seconds of CPU) take the claims one
  // at a time; seen: a dozen sessions at once left an emulated worker's sshd past OpenSSH's banner timeout.
  if (registered(v.outputs.backend)?.ssh) {
    let one: Promise<unknown> = Promise.resolve();
    for (const c of [...claims.filter((x) => !x.alone), ...claims.filter((x) => x.alone)]) one = start(c, one);
    return new Map(claims.map((c) => [c, outcomes.get(c)!]));
  }
  let previous: Promise<unknown> = Promise.all(claims.filter((c) => !c.alone).map((c) => start(c)));
  for (const c of claims.filter((x) => x.alone)) previous = start(c, previous);
  return new Map(claims.map((c) => [c, outcomes.get(c)!]));
}

/**
 * Requires every claim of a lab (for a lab just healed): each is checked, and every failure is reported. A claim that
 * could not be checked here is no failure (nor a pass: it was not checked before the fault either; checkClaim fails
 * it under CI=true when CI must check it); their reasons are returned.
 */
export async function assertTutorialHolds(outputs: LabOutputs): Promise<string[]> {
  const view = await LabView.open(outputs);
  try {
    const failures: string[] = [];
    const unchecked: string[] = [];
    for (const [claim, outcome] of checkClaims(CLAIMS, view)) {
      await outcome.then(
        (reason) => reason !== undefined && unchecked.push(`${claim.says}: ${reason}`),
        (err: Error) => failures.push(`${claim.says}: ${err.message}`),
      );
    }
    assert.deepEqual(failures, [], "the healed lab keeps the tutorial's claims");
    return unchecked;
  } finally {
    view.close();
  }
}
