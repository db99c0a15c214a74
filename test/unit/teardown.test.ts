// down removes the whole lab at once: the parts that live in the swarm do not unwind it node by node.
import assert from "node:assert/strict";
import { join } from "../../lab/parts/join";
import { overlay } from "../../lab/parts/overlay";
import { service } from "../../lab/parts/service";
import { swarm } from "../../lab/parts/swarm";
import { goesWithItsMachines, TEARDOWN_VARIABLE } from "../../lab/parts/teardown";

// A node nobody answers for (TEST-NET-1): any SSH attempt would wait for its timeout.
const nowhere = {
  name: "swarm-manager",
  role: "manager" as const,
  address: "192.0.2.1",
  machine: "m",
  sshHost: "192.0.2.1",
  sshPort: 22,
  username: "vagrant",
  hostKey: "k",
};
const ctx = { root: "/nonexistent", log: () => undefined };

describe("down: the whole lab goes with its machines", () => {
  afterEach(() => delete process.env[TEARDOWN_VARIABLE]);

  it("only the lab down names is going", () => {
    assert.equal(goesWithItsMachines("swarmlab", { [TEARDOWN_VARIABLE]: "swarmlab" }), true);
    assert.equal(goesWithItsMachines("swarmlab", { [TEARDOWN_VARIABLE]: "other" }), false);
    assert.equal(goesWithItsMachines("swarmlab", {}), false);
  });

  it("service, mynet, joins and the swarm are not unwound: their deletes reach no node", async () => {
    process.env[TEARDOWN_VARIABLE] = "swarmlab";
    const started = Date.now();
    const common = { lab: "swarmlab", manager: nowhere, privateKey: "" };
    await service.delete("s", { ...common, name: "test" } as never, ctx);
    await overlay.delete("o", { ...common, name: "mynet" } as never, ctx);
    await join.delete("j", { ...common, worker: { ...nowhere, name: "swarm-worker1" }, nodeId: "n" } as never, ctx);
    await swarm.delete("w", common as never, ctx);
    assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms: a delete tried to reach a node`);
  });
});
