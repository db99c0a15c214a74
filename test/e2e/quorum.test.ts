// The quorum drill (issue 19) on a throw-away lab of 3 managers and 3 workers: the suite's claims hold on it, the
// drill stops one manager (the swarm still schedules) and then another (the managers' API fails in Swarm's words and
// nothing is scheduled), and one up brings back 3 Ready managers, one Leader and two Reachable, with no stale entry
// in docker node ls and the tasks running. Run by npm run test:faults (it breaks a lab on purpose), never by npm test.
import assert from "node:assert/strict";
import type { Stack } from "@pulumi/pulumi/automation";
import { downLab, forgetStack, upLab } from "../../infra/stack";
import { ConnectedLab } from "../../lab/checks/observe";
import { quorumDrill } from "../../lab/explain/drill";
import { LabOutputs, outputsOf } from "../../lab/outputs";
import { isLabSwarm } from "../../lab/steps/swarm";
import { founderOf, managersOf } from "../../lab/types";
import { assertTutorialHolds } from "./tutorial-claims";
import { requirePrerequisites, throwAwayLab, throwAwaySettings } from "./lab-under-test";

describe("quorum: 3 managers lose their quorum in the drill; one up heals the swarm", function () {
  let stack: Stack;
  let outputs: LabOutputs;
  const timings: string[] = [];

  before(async function () {
    await requirePrerequisites(this);
    const settings = await throwAwaySettings("quorum", 90);
    const started = Date.now();
    ({ stack, outputs } = await throwAwayLab("quorum", { ...settings, managers: "3", workers: "3" }));
    timings.push(`up of 3 managers and 3 workers: ${((Date.now() - started) / 1000).toFixed(1)}s`);
  });

  after(async function () {
    if (stack) {
      const { left } = await downLab(stack);
      await forgetStack(stack);
      assert.deepEqual(left, [], "left after down");
    }
    if (timings.length) console.log(`\n      times:\n${timings.map((t) => `        ${t}`).join("\n")}`);
  });

  it("the suite's claims hold on a lab of 3 managers, the tasks on workers", async function () {
    assert.deepEqual(
      managersOf(outputs.nodeAccess).map((n) => n.name),
      ["swarm-manager1", "swarm-manager2", "swarm-manager3"],
    );
    await assertTutorialHolds(outputs);
  });

  it("the drill: with 1 of 3 managers down the swarm schedules; with 2 down the managers' API fails and nothing is scheduled", async function () {
    const lab = await ConnectedLab.open(outputs);
    const said: string[] = [];
    const started = Date.now();
    try {
      const drill = await quorumDrill(lab, (line) => said.push(line));
      timings.push(`the drill: ${((Date.now() - started) / 1000).toFixed(1)}s`);
      assert.equal(drill.quorum, 2);
      assert.equal(drill.stoppedFirst.length, 1);
      assert.ok(!drill.stoppedFirst.includes(founderOf(outputs.nodeAccess).name), "the founder answers and is never stopped");
      assert.ok(drill.scheduledWithQuorum, said.join("\n"));
      assert.match(drill.lostSays, /The swarm does not have a leader/);
      assert.ok(drill.refusedWithoutQuorum, said.join("\n"));
      assert.ok(drill.holds);
    } finally {
      lab.close();
    }
  });

  it("one up: 3 Ready managers (one Leader, two Reachable), no stale entry, the tasks running, the claims hold", async function () {
    const started = Date.now();
    const result = await upLab(stack);
    timings.push(`the heal (one up): ${((Date.now() - started) / 1000).toFixed(1)}s`);
    outputs = outputsOf(result.outputs, stack.name);
    assert.deepEqual(outputs.problems, [], "up observed a healthy lab");
    const lab = await ConnectedLab.open(outputs);
    try {
      const members = lab.snapshot.swarm?.members ?? [];
      const managers = members.filter((m) => m.role === "manager");
      assert.equal(members.length, outputs.nodeAccess.length, `no stale entry: ${JSON.stringify(members)}`);
      assert.equal(managers.length, 3);
      assert.ok(
        managers.every((m) => m.state === "ready"),
        JSON.stringify(managers),
      );
      assert.equal(managers.filter((m) => m.leader).length, 1);
      assert.equal(managers.filter((m) => !m.leader && m.reachability === "reachable").length, 2);
      // the swarm forced anew is still provably the lab's (down on hosts over SSH leaves only such a swarm)
      const spec = (await lab.manager.docker.swarmInspect()) as { Spec?: { Labels?: Record<string, string> } };
      assert.ok(
        isLabSwarm(spec.Spec?.Labels, { lab: outputs.lab, owner: outputs.owner }),
        `the swarm's labels after the heal: ${JSON.stringify(spec.Spec?.Labels)}`,
      );
    } finally {
      lab.close();
    }
    assert.equal(outputs.tasks.length, 2);
    await assertTutorialHolds(outputs);
  });
});
