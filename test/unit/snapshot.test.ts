// The lab's snapshot, made from engine answers recorded on a real lab (docker backend, Docker 26): a healthy lab, and
// the same lab after `docker swarm leave --force` on the manager.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { RawNodeLook } from "../../lab/snapshot/answers";
import {
  memberSpec,
  membersNamed,
  networkNamed,
  nodeNamed,
  pendingReasons,
  runningTasksOf,
  serviceNamed,
  snapshotOf,
  taskInfoOf,
} from "../../lab/snapshot/model";
import { holdsImage } from "../../lab/snapshot/shared";

const recorded = (name: string): RawNodeLook[] =>
  JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "snapshot", `${name}.json`), "utf8"));

describe("the lab's snapshot, from recorded engine answers", () => {
  describe("a healthy lab", () => {
    const s = snapshotOf(recorded("healthy"));

    it("sees every node answer, as itself in the swarm, the manager managing it", () => {
      assert.deepEqual(
        s.nodes.map((n) => [n.name, n.role, n.problem, n.local.state, n.local.manages]),
        [
          ["swarm-manager", "manager", "", "active", true],
          ["swarm-worker1", "worker", "", "active", false],
          ["swarm-worker2", "worker", "", "active", false],
        ],
      );
      assert.equal(s.nodes[0].local.clusterId, s.swarm?.id);
    });

    it("takes the swarm as the leading manager sees it: every member Ready, in its role, active, unlabelled", () => {
      assert.equal(s.swarm?.from, "swarm-manager");
      const members = ["swarm-manager", "swarm-worker1", "swarm-worker2"].map((h) => membersNamed(s.swarm, h)[0]);
      assert.deepEqual(
        members.map((m) => [m.hostname, m.state, m.leader]),
        [
          ["swarm-manager", "ready", true],
          ["swarm-worker1", "ready", false],
          ["swarm-worker2", "ready", false],
        ],
      );
      assert.deepEqual(memberSpec(members[0]), { role: "manager", availability: "active", labels: {} });
      assert.deepEqual(memberSpec(members[1]), { role: "worker", availability: "active", labels: {} });
      assert.match(s.swarm!.tokens.worker, /^SWMTKN-1-/);
    });

    it("reads mynet on the manager: overlay, swarm scope, its subnet and VNI option", () => {
      const mynet = networkNamed(nodeNamed(s, "swarm-manager"), "mynet");
      assert.equal(mynet?.driver, "overlay");
      assert.equal(mynet?.scope, "swarm");
      assert.match(mynet!.subnet, /^10\.0\.\d+\.0\/24$/);
      assert.ok(mynet!.options["com.docker.network.driver.overlay.vxlanid_list"]);
    });

    it("reads the service's whole spec and its two running tasks, one per worker, with their mynet addresses", () => {
      const test = serviceNamed(s.swarm, "test");
      assert.deepEqual((test?.spec as { Mode?: unknown }).Mode, { Replicated: { Replicas: 2 } });
      const tasks = runningTasksOf(s.swarm, "test").map((t) => taskInfoOf(t, "mynet"));
      assert.deepEqual(
        tasks.map((t) => t.name),
        ["test.1", "test.2"],
      );
      assert.deepEqual(new Set(tasks.map((t) => t.node)), new Set(["swarm-worker1", "swarm-worker2"]));
      for (const t of tasks) {
        assert.match(t.overlayIp, /^10\.0\.\d+\.\d+$/);
        assert.match(t.containerId, /^[0-9a-f]{64}$/);
      }
      assert.deepEqual(pendingReasons(s.swarm, "test"), []);
    });

    it("reads inside each task: eth0 on mynet at MTU 1450, eth1 on docker_gwbridge", () => {
      for (const t of runningTasksOf(s.swarm, "test")) {
        const eth0 = t.interfaces?.find((i) => i.name === "eth0");
        const eth1 = t.interfaces?.find((i) => i.name === "eth1");
        assert.equal(eth0?.mtu, 1450, t.name);
        assert.equal(eth0?.ipv4.split("/")[0], t.addresses.mynet);
        assert.match(eth1?.ipv4 ?? "", /^172\.18\./);
      }
    });

    it("finds the interface that holds each node's lab address, and the images each node holds", () => {
      assert.deepEqual(
        s.nodes.map((n) => n.labInterface),
        ["eth0", "eth0", "eth0"],
      );
      assert.ok(holdsImage(s.nodes[1], "busybox"));
      assert.ok(holdsImage(s.nodes[1], "docker.io/library/busybox:latest"));
      assert.ok(!holdsImage(s.nodes[1], "alpine"));
    });
  });

  describe("after docker swarm leave --force on the manager", () => {
    const s = snapshotOf(recorded("manager-left"));

    it("has no swarm: the manager's 503 'not a swarm manager' is the swarm gone, not an error", () => {
      const m = nodeNamed(s, "swarm-manager")!;
      assert.equal(m.problem, "");
      assert.equal(m.local.state, "inactive");
      assert.equal(m.view, undefined);
      assert.equal(m.viewError, undefined);
      assert.equal(s.swarm, undefined);
      assert.deepEqual(runningTasksOf(s.swarm, "test"), []);
      assert.equal(serviceNamed(s.swarm, "test"), undefined);
    });

    it("still sees the workers in the swarm as themselves (they do not know it is gone)", () => {
      assert.deepEqual(
        s.nodes.slice(1).map((n) => n.local.state),
        ["active", "active"],
      );
    });
  });

  describe("answers that are not a lab's usual", () => {
    const healthy = recorded("healthy");

    it("a node that does not answer is a look with its symptom", () => {
      const s = snapshotOf([{ name: "swarm-worker1", role: "worker", address: "192.168.56.11", problem: "its Docker engine does not answer" }]);
      assert.equal(s.nodes[0].problem, "its Docker engine does not answer");
      assert.deepEqual(s.nodes[0].networks, []);
    });

    it("a manager whose swarm calls fail otherwise keeps the error, and offers no view", () => {
      const raw = structuredClone(healthy);
      raw[0].answers!.manager!.nodes = { error: { status: 500, message: "context deadline exceeded" } };
      const s = snapshotOf(raw);
      assert.equal(s.nodes[0].view, undefined);
      assert.equal(s.nodes[0].viewError, "context deadline exceeded");
      assert.equal(s.swarm, undefined);
    });

    it("a task that does not run is pending with Swarm's own words", () => {
      const raw = structuredClone(healthy);
      const task = (raw[0].answers!.manager!.tasks as { ok: { Status?: { State?: string; Err?: string } }[] }).ok[0];
      task.Status = { State: "pending", Err: "no suitable node (1 node not available for new tasks)" };
      const s = snapshotOf(raw);
      assert.equal(runningTasksOf(s.swarm, "test").length, 1);
      assert.deepEqual(pendingReasons(s.swarm, "test"), ["pending: no suitable node (1 node not available for new tasks)"]);
    });
  });
});
