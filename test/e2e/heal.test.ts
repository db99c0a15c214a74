// `npm run up` heals a lab whose machines were removed or stopped by hand. Runs on a throw-away lab of its own
// (never on a user's lab: it removes a node).
import assert from "node:assert/strict";
import Docker from "dockerode";
import { discardStack, openStack, upLab } from "../../infra/stack";
import { backendFor } from "../../lab/backends/backend";
import { containerName } from "../../lab/backends/docker/names";
import { ConnectedLab, swarmNodes } from "../../lab/checks/observe";
import { runningTasks } from "../../lab/steps/service";
import { labSpecFromConfig } from "../../lab/config";
import { missingPrerequisites, plainOutputs } from "./lab-under-test";

const SETTINGS = { name: "swarmlab-heal", subnet: "192.168.57.0/24" };

describe("npm run up heals a lab whose machines were removed by hand", function () {
  const spec = labSpecFromConfig(SETTINGS);
  let stack: Awaited<ReturnType<typeof openStack>> | undefined;

  before(async function () {
    const missing = await missingPrerequisites();
    if (missing.length > 0) {
      if (process.env.CI) throw new Error(missing.join("; "));
      console.log(`      cannot run: ${missing.join("; ")}`);
      this.skip();
    }
    stack = await openStack(`heal-${process.pid}`, SETTINGS);
    await upLab(stack, spec);
  });

  after(async function () {
    if (stack) await discardStack(stack, spec);
  });

  it("after a worker's container is removed, up makes it again and the swarm, mynet and test are whole", async function () {
    await new Docker().getContainer(containerName(spec.name, "swarm-worker1")).remove({ force: true });
    const result = await upLab(stack!, spec);
    assert.equal(result.summary.result, "succeeded");

    const listed = await (await backendFor(spec.backend)).list(spec.name);
    for (const n of spec.nodes) assert.ok(listed.some((m) => m.name === n.name && m.state === "running"), `${n.name} is not running`);

    const lab = await ConnectedLab.open(plainOutputs(result.outputs));
    try {
      const nodes = await swarmNodes(lab.manager.docker);
      const ready = nodes.filter((n) => n.state === "ready").map((n) => n.hostname).sort();
      assert.deepEqual(ready, spec.nodes.map((n) => n.name).sort(), "every node Ready in the (new) swarm");
      const tasks = await runningTasks(lab.manager.docker, spec.service.name, spec.overlay.name);
      assert.equal(new Set(tasks.map((t) => t.node)).size, 2, `tasks: ${JSON.stringify(tasks)}`);
    } finally {
      lab.close();
    }
  });
});
