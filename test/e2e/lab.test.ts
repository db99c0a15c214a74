// The verification suite: what the Swarm overlay tutorial shows, proven by SSH into the lab's nodes.
// One SSH connection per node, opened once; the node's Docker Engine API goes through the same connection.
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import { backendFor } from "../../lab/backends/backend";
import { canGuard, listEgressGuards } from "../../lab/backends/docker/firewall";
import { WHOAMI_PORT } from "../../lab/backends/docker/names";
import {
  ConnectedLab,
  ConnectedNode,
  defaultRoutes,
  dontFragmentPing,
  hasIpvs,
  natPostrouting,
  networkSubnet,
  networkTable,
  resolveInTask,
  swarmNodes,
  taskInterfaces,
  taskLog,
} from "../../lab/checks/observe";
import type { Interface } from "../../lab/checks/interfaces";
import { containerExec } from "../../lab/engine-api";
import { contains, parseCidr, parseIPv4 } from "../../lab/net";
import { collectLabLogs, sweepLab } from "../../lab/inventory";
import { labDir } from "../../lab/lab-dir";
import { observeOnce } from "../../lab/health";
import { connect } from "../../lab/sessions";
import { HostKeyMismatch } from "../../lab/remote";
import { runningTasks, TaskInfo } from "../../lab/steps/service";
import { PROJECT_ROOT } from "../../infra/provider";
import { discardStack, forgetStack, pulumiEnv } from "../../infra/stack";
import execa from "execa";
import { acquireLab, LabUnderTest, requirePrerequisites } from "./lab-under-test";

/** What the tutorial shows, and where this lab may differ from it. */
const TUTORIAL = { gwbridge: "172.18.0.0/16", overlayMtu: 1450, gwbridgeMtu: 1500, vxlanOverhead: 50 };
const NETWORK_LS = [
  { name: "bridge", driver: "bridge", scope: "local" },
  { name: "docker_gwbridge", driver: "bridge", scope: "local" },
  { name: "host", driver: "host", scope: "local" },
  { name: "ingress", driver: "overlay", scope: "swarm" },
  { name: "mynet", driver: "overlay", scope: "swarm" },
  { name: "none", driver: "null", scope: "local" },
];

const notes: string[] = [];
/** Where the lab differs from the tutorial: said at the end of the run, with the reason. */
const note = (line: string) => notes.push(line);

/** busybox ping: 3 echoes, each sent as soon as the previous reply is back (-A), 2 s to wait at most. */
const ping = (target: string) => ["ping", "-c", "3", "-A", "-W", "2", target];

const inSubnet = (cidr: string, address: string) => contains(parseCidr(cidr)!, parseIPv4(address.split("/")[0])!);

describe("swarmlab: the Swarm overlay tutorial, verified over SSH", function () {
  let under: LabUnderTest | undefined;
  let lab: ConnectedLab;
  let tasks: TaskInfo[] = [];
  const ifaces = new Map<string, Interface[]>();
  /** docker_gwbridge's subnet on each worker that runs a task. */
  const gwbridge = new Map<string, string>();

  before(async function () {
    await requirePrerequisites(this);
    under = await acquireLab((l) => console.log(`      ${l}`));
    // A broken lab is said in plain words (which node, what symptom) before any check trips over it.
    const { problems } = await observeOnce({
      nodes: under.outputs.nodeAccess,
      privateKey: under.outputs.privateKey,
      service: { name: under.outputs.service, replicas: under.outputs.replicas, network: under.outputs.overlay.name },
    });
    if (problems.length > 0) {
      failed = true;
      throw new Error(`the lab is not healthy (npm run up heals it):\n  - ${problems.join("\n  - ")}`);
    }
    lab = await ConnectedLab.open(under.outputs);
    tasks = await runningTasks(lab.manager.docker, under.outputs.service, under.outputs.overlay.name);
    for (const t of tasks) gwbridge.set(t.node, await networkSubnet(lab.node(t.node).docker, "docker_gwbridge"));
  });

  let failed = false;
  let discarded = false;
  afterEach(function () {
    if (this.currentTest?.state === "failed") failed = true;
  });

  after(async function () {
    lab?.close();
    if (failed && under) {
      const files = await collectLabLogs({ name: under.outputs.lab, backend: under.backend });
      console.log(`      logs of the lab for the failure above:\n        ${files.join("\n        ")}`);
    }
    // A throw-away lab leaves nothing, whatever failed: destroyed by the lifecycle test (then only swept) or here.
    const thrown = under?.owned ? { name: under.outputs.lab, backend: under.backend, owner: under.outputs.owner } : undefined;
    if (thrown && discarded) await sweepLab(thrown, () => undefined);
    else if (thrown) await discardStack(under!.stack);
    if (notes.length) console.log(`\n      Where this lab differs from the tutorial:\n${notes.map((n) => `      - ${n}`).join("\n")}`);
  });

  const o = () => under!.outputs;
  const workerOf = (t: TaskInfo): ConnectedNode => lab.node(t.node);

  describe("access: user vagrant, the lab's key, host keys recorded at creation", function () {
    it("the ssh command that up printed works as printed (OpenSSH, strict host key checking against known_hosts)", async function () {
      for (const n of o().nodes) {
        const r = await execa("sh", ["-c", `${n.ssh} -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=5 hostname`], {
          cwd: PROJECT_ROOT,
          reject: false,
        });
        assert.equal(r.exitCode, 0, `${n.ssh}: ${r.stderr}`);
        assert.equal(r.stdout.trim(), n.name);
      }
    });

    it("the copy of the lab's private key is readable by its owner only (mode 600)", function () {
      const mode = statSync(path.join(labDir(PROJECT_ROOT, o().lab), "id_ed25519")).mode & 0o777;
      assert.equal(mode.toString(8), "600");
    });

    it("a node answering with another host key than the one recorded is refused", async function () {
      const other = lab.workers[0].access.hostKey;
      const impostor = { ...lab.manager.access, hostKey: other };
      await assert.rejects(connect(impostor, o().privateKey, 5_000), HostKeyMismatch);
    });
  });

  describe("the swarm", function () {
    it("docker node ls: every node is Ready and swarm-manager is the Leader", async function () {
      const nodes = await swarmNodes(lab.manager.docker);
      assert.deepEqual(nodes.map((n) => n.hostname).sort(), o().nodeAccess.map((n) => n.name).sort());
      for (const n of nodes) assert.equal(n.state, "ready", `${n.hostname} is ${n.state}`);
      const leader = nodes.find((n) => n.leader);
      assert.equal(leader?.hostname, lab.manager.access.name);
      assert.equal(leader?.role, "manager");
      for (const w of lab.workers) assert.equal(nodes.find((n) => n.hostname === w.access.name)?.role, "worker");
    });

    it("docker service ps test: as many tasks Running as replicas, each on a different worker", function () {
      assert.equal(tasks.length, o().replicas, `running tasks: ${JSON.stringify(tasks)}`);
      const hosts = tasks.map((t) => t.node);
      assert.equal(new Set(hosts).size, o().replicas, `tasks share a node: ${hosts.join(", ")}`);
      for (const h of hosts) assert.ok(lab.workers.some((w) => w.access.name === h), `${h} is not a worker`);
    });

    it("each task runs the tutorial's command and its pings are answered (docker logs)", async function () {
      for (const t of tasks) {
        const log = await taskLog(workerOf(t).docker, t.containerId);
        assert.match(log, new RegExp(`bytes from ${o().pingTarget.replace(/\./g, "\\.")}`), `${t.name} log:\n${log}`);
      }
    });
  });

  describe("inside a task: eth0 on mynet, eth1 on docker_gwbridge", function () {
    before(async function () {
      for (const t of tasks) ifaces.set(t.name, await taskInterfaces(workerOf(t).docker, t.containerId));
    });

    it(`eth0 holds an address in mynet's subnet with MTU ${TUTORIAL.overlayMtu}: VXLAN takes ${TUTORIAL.vxlanOverhead} of the 1500 bytes`, async function () {
      const subnet = await networkSubnet(lab.manager.docker, o().overlay.name);
      assert.equal(subnet, o().overlay.subnet);
      for (const t of tasks) {
        const eth0 = ifaces.get(t.name)!.find((i) => i.name === "eth0");
        assert.ok(eth0, `${t.name} has no eth0`);
        assert.ok(inSubnet(subnet, eth0.ipv4), `${t.name} eth0 ${eth0.ipv4} is not in mynet ${subnet}`);
        assert.equal(eth0.ipv4.split("/")[0], t.overlayIp, `${t.name} eth0 is not the address swarm gave the task`);
        assert.equal(eth0.mtu, TUTORIAL.overlayMtu);
      }
      if (subnet !== "10.0.1.0/24") note(`mynet is ${subnet}, not the tutorial's 10.0.1.0/24 (Swarm picked the next free /24 of 10.0.0.0/8)`);
    });

    it(`eth1 holds an address in docker_gwbridge's subnet with MTU ${TUTORIAL.gwbridgeMtu} (a plain local bridge)`, async function () {
      for (const t of tasks) {
        const subnet = gwbridge.get(t.node)!;
        const eth1 = ifaces.get(t.name)!.find((i) => i.name === "eth1");
        assert.ok(eth1, `${t.name} has no eth1`);
        assert.ok(inSubnet(subnet, eth1.ipv4), `${t.name} eth1 ${eth1.ipv4} is not in docker_gwbridge ${subnet}`);
        assert.equal(eth1.mtu, TUTORIAL.gwbridgeMtu);
        if (subnet !== TUTORIAL.gwbridge) {
          note(
            `docker_gwbridge on ${t.node} is ${subnet}, not ${TUTORIAL.gwbridge}: dockerd takes the first free /16 of ` +
              `172.17, 172.18, … that no route of the node uses (docker0 has 172.17; a node network inside 172.16/12 shifts it)`,
          );
        }
      }
    });

    it("docker network ls on each worker: exactly bridge, docker_gwbridge, host, ingress, mynet, none", async function () {
      const expected = NETWORK_LS.map((n) => (n.name === "mynet" ? { ...n, name: o().overlay.name } : n));
      for (const t of tasks) {
        assert.deepEqual(await networkTable(workerOf(t).docker), expected.sort((a, b) => a.name.localeCompare(b.name)), t.node);
      }
    });
  });

  describe("east-west: task to task across nodes, over the VXLAN overlay", function () {
    it("each task pings the other task's overlay IP", async function () {
      const pairs = [tasks, [...tasks].reverse()].map(([from, to]) => ({ from, to }));
      await Promise.all(
        pairs.map(async ({ from, to }) => {
          const r = await containerExec(workerOf(from).docker, from.containerId, ping(to.overlayIp));
          assert.equal(r.code, 0, `${from.name} (${from.node}) → ${to.overlayIp}: ${r.stdout}${r.stderr}`);
          assert.match(r.stdout, / 0% packet loss/);
        }),
      );
    });

    it("a 1422-byte don't-fragment ping passes and a 1423-byte one does not: the path MTU is 1450 (1422 + 28 header bytes)", async function () {
      const [from, to] = tasks;
      const [fits, tooBig] = await Promise.all(
        [1422, 1423].map((size) => dontFragmentPing(workerOf(from), from.containerId, to.overlayIp, size)),
      );
      assert.equal(fits.code, 0, `1422 bytes with DF: ${fits.stdout}${fits.stderr}`);
      assert.notEqual(tooBig.code, 0, "a 1423-byte DF ping went through: the MTU is not 1450");
      assert.match(tooBig.stdout + tooBig.stderr, /mtu ?= ?1450|message too long/i);
    });

    it("Swarm's DNS answers tasks.test with both task addresses", async function () {
      const [t] = tasks;
      const addrs = await resolveInTask(workerOf(t).docker, t.containerId, `tasks.${o().service}`);
      assert.deepEqual(addrs, tasks.map((x) => x.overlayIp).sort());
    });
  });

  describe("north-south: out of a task through docker_gwbridge and NAT", function () {
    it("each task pings the upstream host (the lab's stand-in for the internet)", async function () {
      await Promise.all(
        tasks.map(async (t) => {
          const r = await containerExec(workerOf(t).docker, t.containerId, ping(o().upstream.address));
          assert.equal(r.code, 0, `${t.name} → upstream ${o().upstream.address}: ${r.stdout}${r.stderr}`);
        }),
      );
    });

    it("the upstream sees the node's own lab address as the source, not the task's: masquerade", async function () {
      for (const t of tasks) {
        const r = await containerExec(workerOf(t).docker, t.containerId, ["nc", "-w", "3", o().upstream.address, String(WHOAMI_PORT)]);
        assert.equal(r.stdout.trim(), workerOf(t).access.address, `${t.name} on ${t.node}: upstream saw '${r.stdout.trim()}'`);
      }
    });

    it("each worker masquerades docker_gwbridge's subnet for traffic leaving by another interface (iptables -t nat)", async function () {
      for (const t of tasks) {
        const rules = await natPostrouting(workerOf(t));
        assert.ok(
          rules.includes(`-A POSTROUTING -s ${gwbridge.get(t.node)} ! -o docker_gwbridge -j MASQUERADE`),
          `${t.node} POSTROUTING:\n${rules.join("\n")}`,
        );
      }
    });

    it("no node has a route off this machine (egress none): no default route, and the host drops the lab subnet's egress", async function () {
      if (o().pingTarget !== o().upstream.address) {
        note("swarmlab:egress is internet: the tasks ping a real internet address, as the tutorial does");
        this.skip();
      }
      for (const n of lab.nodes) assert.deepEqual(await defaultRoutes(n), [], `${n.access.name} has a default route`);
      if (under!.backend === "docker" && !(await canGuard())) {
        note("the host's egress guard (iptables) could not be checked: it needs root or passwordless sudo");
      } else if (under!.backend === "docker") {
        const guards = await listEgressGuards(o().lab);
        assert.equal(guards.length, 1, `DOCKER-USER rules of ${o().lab}: ${guards.join("; ")}`);
        assert.ok(guards[0].includes(`-s ${o().subnet}`), guards[0]);
      }
    });
  });

  describe("ingress: service VIPs and the routing mesh need IPVS", function () {
    it("IPVS is detected and reported; where it exists, the service name resolves to a VIP that answers", async function () {
      const ipvs = await hasIpvs(lab.manager);
      if (!ipvs) {
        note("this kernel has no IPVS: tasks run, but service VIPs and the ingress routing mesh cannot work here (they do in the libvirt VMs)");
        const [t] = tasks;
        // Without IPVS, Swarm's DNS still answers for the service name: it is the VIP that cannot forward.
        assert.equal((await resolveInTask(workerOf(t).docker, t.containerId, o().service)).length, 1);
        return;
      }
      const [t] = tasks;
      const [vip] = await resolveInTask(workerOf(t).docker, t.containerId, o().service);
      assert.ok(vip && !tasks.some((x) => x.overlayIp === vip), `test resolves to ${vip}, not a VIP`);
      const r = await containerExec(workerOf(t).docker, t.containerId, ping(vip));
      assert.equal(r.code, 0, `VIP ${vip}: ${r.stdout}`);
    });
  });

  describe("lifecycle", function () {
    it("re-running up on the healthy lab changes nothing (npx pulumi preview --expect-no-changes, Pulumi.yaml's program)", async function () {
      const r = await execa("npx", ["--no-install", "pulumi", "preview", "--expect-no-changes", "--non-interactive", "--stack", under!.stack.name], {
        cwd: PROJECT_ROOT,
        env: pulumiEnv(),
        reject: false,
      });
      assert.equal(r.exitCode, 0, `preview wants changes:\n${r.stdout}\n${r.stderr}`);
    });

    it("pulumi destroy removes every container, volume, network, firewall rule and key file the lab made", async function () {
      if (!under!.owned) {
        console.log("      (the lab under test is the user's: not destroyed)");
        this.skip();
      }
      lab.close();
      const labName = o().lab;
      await under!.stack.destroy();
      const state = await under!.stack.exportStack();
      assert.deepEqual(state.deployment.resources ?? [], [], "resources left in the stack's state");
      await forgetStack(under!.stack);
      discarded = true;
      assert.deepEqual(await (await backendFor(under!.backend)).list(labName), [], "containers left");
      const docker = new Docker();
      const filter = { filters: { label: [`swarmlab.lab=${labName}`] } };
      assert.deepEqual((await docker.listNetworks(filter)).map((n) => n.Name), [], "networks left");
      assert.deepEqual(((await docker.listVolumes(filter)).Volumes ?? []).map((v) => v.Name), [], "volumes left");
      assert.deepEqual(await listEgressGuards(labName), [], "firewall rules left");
      assert.equal(existsSync(labDir(PROJECT_ROOT, labName)), false, "key folder left");
    });
  });
});
