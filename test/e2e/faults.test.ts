// A student breaks the lab on purpose; one `up` heals it. Each scenario breaks a throw-away lab of its own (never
// the user's) the way a student would, runs up once, and then requires what the verification suite requires of a
// healthy lab. Scenarios follow one another on the same lab; the last ones take it down after a fault.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import execa from "execa";
import type { Stack } from "@pulumi/pulumi/automation";
import Docker from "dockerode";
import { downLab, forgetStack, upLab, UpLabOptions } from "../../infra/stack";
import { listGuards, removeGuards } from "../../lab/backends/host/firewall";
import { containerName, networkName } from "../../lab/backends/docker/names";
import { LabOutputs, outputsOf } from "../../lab/outputs";
import { founderOf, workersOf } from "../../lab/types";
import { containerExec } from "../../lab/engine-api";
import { healAdvice, observedOf, observeLab, observeOnce } from "../../lab/health";
import { leftovers } from "../../lab/inventory";
import { PROJECT_ROOT, stateFile } from "../../lab/project-root";
import { outputsFromRecord, recordedOf } from "../../lab/recorded-outputs";
import { assertTutorialHolds } from "./tutorial-claims";
import { requirePrerequisites, throwAwayLab, throwAwaySettings } from "./lab-under-test";

const docker = new Docker();
let SETTINGS = { name: "", subnet: "" };
const node = (name: string) => docker.getContainer(containerName(SETTINGS.name, name));
/** A command on a node, as a student types it there (the node's own docker CLI). */
const onNode = async (name: string, cmd: string) => {
  const r = await containerExec(docker, containerName(SETTINGS.name, name), ["sh", "-c", cmd]);
  assert.equal(r.code, 0, `${name}: ${cmd}: ${r.stderr}`);
};

/** What a command on a node prints (it must succeed). */
const onNodeOut = async (name: string, cmd: string) => {
  const r = await containerExec(docker, containerName(SETTINGS.name, name), ["sh", "-c", cmd]);
  assert.equal(r.code, 0, `${name}: ${cmd}: ${r.stderr}`);
  return r.stdout;
};

/** The command a student types (npm run up / down), run as npm runs it, on the throw-away lab's stack. */
async function command(script: "up" | "down", stack: string): Promise<{ code: number; said: string }> {
  const r = await execa("node", [path.join(PROJECT_ROOT, "scripts", "compiled.js"), `scripts/${script}.ts`], {
    cwd: PROJECT_ROOT,
    env: { SWARMLAB_STACK: stack },
    reject: false,
    all: true,
  });
  return { code: r.exitCode, said: r.all ?? "" };
}

/** How long each heal took, printed at the end (the closing note's table). */
const timings: string[] = [];

describe("faults: one up heals what a student broke; down always finishes", function () {
  let stack: Stack;
  let outputs: LabOutputs;

  before(async function () {
    await requirePrerequisites(this);
    SETTINGS = await throwAwaySettings("faults", 50);
    ({ stack, outputs } = await throwAwayLab("faults", SETTINGS));
  });

  after(async function () {
    if (stack) {
      const { left } = await downLab(stack);
      await forgetStack(stack);
      assert.deepEqual(left, [], "left after the last down");
    }
    if (timings.length) console.log(`\n      heal times:\n${timings.map((t) => `        ${t}`).join("\n")}`);
  });

  const observed = () => observedOf(outputs);
  const problemsNow = async () => (await observeOnce(observed())).problems;
  /** The lab's nodes by their role, as the stack's outputs name them (the tutorial's names with the defaults). */
  const roles = () => {
    const [worker1, worker2] = workersOf(outputs.nodeAccess).map((n) => n.name);
    return { manager: founderOf(outputs.nodeAccess).name, worker1, worker2 };
  };

  /**
   * A fault no part describes: up alone does not heal it, and says so, naming the node and the one command that
   * does (its output remake); the suite's advice names the same command.
   */
  async function namesNodeToRemake(node: string, symptom: string) {
    const started = Date.now();
    const result = await upLab(stack);
    timings.push(`${node}: up alone named it in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    const o = outputsOf(result.outputs, stack.name);
    const said = o.problems.join("\n");
    assert.match(said, new RegExp(`${node}: ${symptom}`));
    assert.match(said, new RegExp(`${node}: .*; npm run up -- --replace ${node} makes that node again`));
    assert.deepEqual(o.remake, [node]);
    assert.equal(healAdvice(await observeOnce(observed())), `npm run up -- --replace ${node} heals it`, "the suite's advice");
  }

  /** Runs up once, records how long it took and what it did, and requires a healthy lab that keeps the tutorial's claims. */
  async function healsBy(fault: string, expected: Record<string, number>, options: UpLabOptions = {}) {
    const started = Date.now();
    const result = await upLab(stack, undefined, options);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const changes = Object.entries(result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
    timings.push(`${fault}: ${secs}s (${changes.map(([op, n]) => `${op} ${n}`).join(", ") || "no change"})`);
    outputs = outputsOf(result.outputs, stack.name);
    assert.deepEqual(outputs.problems, [], "up observed a healthy lab");
    await assertTutorialHolds(outputs);
    const counts = (result.summary.resourceChanges ?? {}) as Record<string, number>;
    for (const [op, n] of Object.entries(expected)) assert.equal(counts[op], n, `${op}: ${JSON.stringify(result.summary.resourceChanges)}`);
  }

  it("docker service scale test=1: up scales it back to the configured replicas (an update, nothing made again)", async function () {
    await onNode(roles().manager, "docker service scale -d test=1");
    await healsBy("service scaled to 1", { update: 1 });
  });

  it("npm run up on a healthy lab: the engine is not started (every part reads as recorded), the state is untouched, and the report is up's", async function () {
    const first = await command("up", stack.name); // the engine's up, which records the lab it leaves
    assert.equal(first.code, 0, first.said);
    const state = readFileSync(stateFile(stack.name));
    const started = Date.now();
    const healthy = await command("up", stack.name);
    timings.push(`healthy lab, npm run up: ${((Date.now() - started) / 1000).toFixed(1)}s (engine not started)`);
    assert.equal(healthy.code, 0, healthy.said);
    assert.match(healthy.said, /every part of lab .* reads as the last up left it.*so it is not run/);
    assert.doesNotMatch(healthy.said, /Updating \(|refreshing/, "no Pulumi engine run");
    assert.match(healthy.said, /every node Ready, 2 tasks Running on distinct workers/);
    assert.ok(readFileSync(stateFile(stack.name)).equals(state), "the state file is as the engine's up left it");
    const recorded = outputsFromRecord(PROJECT_ROOT, recordedOf(PROJECT_ROOT, stack.name)!, stack.name);
    assert.deepEqual(recorded.problems, []);
    assert.equal(recorded.tasks.length, 2, "the look's tasks are recorded");
  });

  it("a drift after a healthy up (docker service scale test=1): npm run up says what changed and heals it through the engine", async function () {
    await onNode(roles().manager, "docker service scale -d test=1");
    const healed = await command("up", stack.name);
    assert.equal(healed.code, 0, healed.said);
    assert.match(healed.said, /not as the last up left it \(.*-test changed\): pulumi up makes it so/);
    assert.match(healed.said, /replicas 1 → 2/);
    assert.deepEqual(await problemsNow(), []);
    // and the next up finds the healed lab as that up recorded it
    assert.match((await command("up", stack.name)).said, /so it is not run/);
  });

  it("docker service rm test; docker network rm mynet: up makes both again", async function () {
    await onNode(roles().manager, "docker service rm test && sleep 3 && docker network rm mynet");
    await healsBy("service and mynet removed", { create: 2 });
  });

  it("worker2's dockerd killed: said in plain words; up makes the node again and it rejoins; the tasks come back", async function () {
    const { worker2 } = roles();
    await onNode(worker2, "pkill dockerd");
    const said = (await problemsNow()).join("\n");
    assert.match(said, new RegExp(`^${worker2}: its Docker engine does not answer`, "m"));
    await healsBy("worker2's dockerd killed", { create: 2 });
  });

  it("worker1's container removed: up makes it again", async function () {
    await node(roles().worker1).remove({ force: true });
    await healsBy("worker1's container removed", { create: 2 });
  });

  it("worker2 stopped: said as the swarm sees it (node Down, its task pending by the one-per-worker rule); up makes it again", async function () {
    const { worker2 } = roles();
    await node(worker2).stop({ t: 1 });
    // The swarm marks the node Down first, and only then gives its task a new slot that stays pending: wait for both.
    const pendingByRule = /service test: 1 of 2 tasks running\nservice test: Swarm says pending: no suitable node \(.*max replicas per node/;
    const down = new RegExp(`docker node ls: ${worker2} is down, not Ready`);
    const seen = await observeLab(observed(), 60_000, (o) => {
      const said = o.problems.join("\n");
      return down.test(said) && pendingByRule.test(said);
    });
    const said = seen.problems.join("\n");
    assert.match(said, new RegExp(`${worker2}: does not answer over SSH`));
    assert.match(said, down);
    assert.match(said, pendingByRule);
    await healsBy("worker2 stopped", { create: 2 });
  });

  it("worker1 left the swarm (docker swarm leave): up joins it again, and docker node ls has no Down leftover", async function () {
    await onNode(roles().worker1, "docker swarm leave");
    await healsBy("worker1 left the swarm", { create: 1 });
  });

  it("the manager's dockerd killed: up makes the manager again, and the swarm, joins, mynet and test with it", async function () {
    const { manager } = roles();
    await onNode(manager, "pkill dockerd");
    assert.match((await problemsNow()).join("\n"), new RegExp(`^${manager}: its Docker engine does not answer`, "m"));
    await healsBy("manager's dockerd killed", { create: 6 });
  });

  it("worker1 disconnected from the lab network (docker network disconnect on the host): up makes it again", async function () {
    const container = containerName(SETTINGS.name, roles().worker1);
    await docker.getNetwork(networkName(SETTINGS.name)).disconnect({ Container: container, Force: true });
    await healsBy("worker1 disconnected from the lab network", { create: 2 });
  });

  it("worker1 drained (docker node update --availability drain): up makes it active again, in place", async function () {
    const { manager, worker1 } = roles();
    await onNode(manager, `docker node update --availability drain --label-add zone=a ${worker1}`);
    await healsBy("worker1 drained", { update: 1 });
    const spec = await onNodeOut(manager, `docker node inspect -f '{{.Spec.Availability}} {{json .Spec.Labels}}' ${worker1}`);
    assert.equal(spec.trim(), "active {}");
  });

  it("worker2 promoted (docker node promote): up makes it a worker again, in place; the suite's node-ls holds", async function () {
    const { manager, worker2 } = roles();
    await onNode(manager, `docker node promote ${worker2}`);
    await healsBy("worker2 promoted", { update: 1 });
    assert.equal((await onNodeOut(manager, `docker node inspect -f '{{.Spec.Role}}' ${worker2}`)).trim(), "worker");
  });

  it("the manager paused (docker node update --availability pause on the manager itself): up makes it active again", async function () {
    const { manager } = roles();
    await onNode(manager, `docker node update --availability pause ${manager}`);
    await healsBy("manager paused", { update: 1 });
  });

  it("test's spec changed (docker service update --constraint-add, --env-add, --label-add, --publish-add): one update in place undoes it all", async function () {
    const { manager } = roles();
    await onNode(
      manager,
      [
        "docker service update -d --constraint-add node.hostname==nowhere --env-add A=1 --label-add x=y",
        "--publish-add 8080:80 --replicas-max-per-node 2 test",
      ].join(" "),
    );
    await healsBy("test's constraint, env, label, port changed", { update: 1 });
    const spec = await onNodeOut(
      manager,
      "docker service inspect -f '{{json .Spec.TaskTemplate.Placement}} {{json .Spec.EndpointSpec.Ports}} {{json .Spec.TaskTemplate.ContainerSpec.Env}}' test",
    );
    assert.equal(spec.trim(), '{"Constraints":["node.role==worker"],"MaxReplicas":1} null null', "no port, no env");
  });

  it("the manager left its swarm (docker swarm leave --force): the refresh does not fail; up makes the swarm, joins, mynet and test again", async function () {
    await onNode(roles().manager, "docker swarm leave --force");
    await healsBy("manager left its swarm", { create: 5 });
  });

  it("a task's eth0 MTU changed inside worker1: up names the node and the command; npm run up -- --replace <worker1> heals it", async function () {
    const { worker1 } = roles();
    await onNode(
      worker1,
      'nsenter -t "$(docker inspect -f {{.State.Pid}} $(docker ps -q -f label=com.docker.swarm.service.name=test))" -n ip link set eth0 mtu 1400',
    );
    await namesNodeToRemake(worker1, "test\\.\\d's eth0 has MTU 1400, not 1450");
    await healsBy("task MTU changed on worker1 (--replace)", { replace: 2 }, { replace: [worker1] });
  });

  it("worker2's own firewall drops VXLAN (udp/4789): up names the node and the command; --replace <worker2> heals it", async function () {
    const { worker2 } = roles();
    await onNode(worker2, "iptables -I INPUT -p udp --dport 4789 -j DROP");
    await namesNodeToRemake(worker2, "it received no VXLAN \\(UDP 4789\\)");
    await healsBy("VXLAN dropped by worker2's firewall (--replace)", { replace: 2 }, { replace: [worker2] });
  });

  it("the upstream host removed: up makes it again", async function () {
    await node(outputs.upstream.name).remove({ force: true });
    await healsBy("upstream removed", { create: 1 });
  });

  it("the host's firewall rules for the lab deleted: up adds them again", async function () {
    await removeGuards(SETTINGS.name);
    await healsBy("firewall rules deleted", { create: 1 });
    assert.equal((await listGuards(SETTINGS.name, outputs.owner)).length, 3, "INPUT accept-replies and drop, DOCKER-USER egress drop");
  });

  it("workers 2→3 adds one node and its join, and nothing else; 3→2 drains, removes and deletes it", async function () {
    const before = outputs.nodeAccess.map((n) => n.name);
    const workers = workersOf(outputs.nodeAccess).map((n) => n.name);
    await stack.setConfig("swarmlab:workers", { value: "3" });
    const grow = await stack.preview();
    assert.deepEqual(grow.changeSummary, { create: 2, same: 14 }, "preview of workers 3");
    await healsBy("workers 2→3", { create: 2 });
    // the new worker takes the tutorial's next name
    assert.deepEqual(
      outputs.nodeAccess.map((n) => n.name),
      [...before, "swarm-worker3"],
    );
    assert.deepEqual(
      workersOf(outputs.nodeAccess).map((n) => n.name),
      [...workers, "swarm-worker3"],
    );
    await stack.setConfig("swarmlab:workers", { value: "2" });
    const shrink = await stack.preview();
    assert.deepEqual(shrink.changeSummary, { delete: 2, same: 14 }, "preview of workers 2");
    await healsBy("workers 3→2", { delete: 2 });
  });

  it("replicas 2→1 updates the service in place, and back", async function () {
    await stack.setConfig("swarmlab:replicas", { value: "1" });
    assert.deepEqual((await stack.preview()).changeSummary, { update: 1, same: 13 }, "preview of replicas 1");
    await healsBy("replicas 2→1", { update: 1 });
    assert.equal(outputs.tasks.length, 1);
    await stack.removeConfig("swarmlab:replicas");
    await healsBy("replicas 1→2", { update: 1 });
  });

  it("npm run down of a healthy lab removes it whole: nothing carries its label, the state keeps no part, no pulumi destroy ran", async function () {
    const started = Date.now();
    const down = await command("down", stack.name);
    timings.push(`npm run down, healthy lab: ${((Date.now() - started) / 1000).toFixed(1)}s`);
    assert.equal(down.code, 0, down.said);
    assert.match(down.said, /removing lab .* whole/);
    assert.doesNotMatch(down.said, /Destroying \(/, "no engine run");
    assert.deepEqual(await leftovers({ name: SETTINGS.name, backend: "docker" }), [], "nothing carries the lab's label");
    assert.deepEqual((await stack.exportStack()).deployment.resources ?? [], [], "the state is empty");
    assert.equal(recordedOf(PROJECT_ROOT, stack.name), undefined, "the lab's folder is gone");
    // the lab again, for the last scenario
    outputs = outputsOf((await upLab(stack)).outputs, stack.name);
    assert.deepEqual(outputs.problems, []);
  });

  it("down after every fault at once (a dead engine, a stopped worker, a service the state does not know of using mynet, no upstream, no firewall rules) finishes and leaves nothing", async function () {
    const { manager, worker1, worker2 } = roles();
    await onNode(manager, "docker service create -d --no-resolve-image --network mynet --name rogue busybox:latest sleep 600");
    await onNode(worker2, "pkill dockerd");
    await node(worker1).stop({ t: 1 });
    await node(outputs.upstream.name).remove({ force: true });
    await removeGuards(SETTINGS.name);
    const result = await downLab(stack);
    assert.equal(result.error, undefined, `destroy failed: ${result.error?.message}`);
    assert.deepEqual(result.left, []);
    assert.deepEqual(await leftovers({ name: SETTINGS.name, backend: "docker" }), [], "nothing carries the lab's label");
    assert.deepEqual((await stack.exportStack()).deployment.resources ?? [], [], "the state is empty");
  });
});
