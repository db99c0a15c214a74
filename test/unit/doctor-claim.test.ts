// The doctor asks up's claim (lab/parts/claim.ts) before up does: another user's or project's lab of the same name,
// or on the subnet, anywhere on the engine, is a blocker naming its owner, unless it is this stack's recorded owner's
// (issue 18, item 7). Preview refuses the same through the claim's check (test/unit/claim.test.ts).
import assert from "node:assert/strict";
import type { LabObject } from "../../lab/backends/backend";
import { withClaim } from "../../lab/doctor/checks";
import type { ClaimFacts } from "../../lab/doctor/facts";
import { ok } from "../../lab/doctor/finding";
import { assertFree } from "../../lab/parts/claim";
import { ConfigError } from "../../lab/config";

const CLAIM = { lab: "swarmlab", backend: "docker" as const, subnet: "192.168.56.0/24", stack: "dev" };

/** What the doctor records of the claim, asked of a fake engine holding `objects`. */
async function asked(objects: LabObject[], owner: string | undefined): Promise<ClaimFacts> {
  const backend = {
    objects: async (_lab: string, o?: string, subnet?: string) => (assert.equal(o, undefined), assert.equal(subnet, CLAIM.subnet), objects),
  };
  try {
    await assertFree(CLAIM, owner, backend);
    return {};
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return { refused: { key: err.key, says: err.says, fix: err.fix } };
  }
}

describe("the doctor and up's claim", () => {
  const theirs = { what: "network swarmlab-net", lab: "swarmlab", owner: "dev.0badcafe", subnet: CLAIM.subnet };
  const before = [ok("subnet", "192.168.56.0/24 overlaps nothing"), ok("names", "free"), ok("image", "busybox:latest is here")];

  it("another checkout's lab of the same name (its stack dev too): a names blocker naming its owner, in place of the ok", async () => {
    const found = withClaim(before, await asked([theirs], undefined));
    assert.equal(found.length, 3);
    assert.equal(found[1].check, "names");
    assert.equal(found[1].status, "blocker");
    assert.match(
      found[1].says,
      /the name is taken: network swarmlab-net, of lab swarmlab of stack dev \(owner dev\.0badcafe\): up's claim would refuse it/,
    );
    assert.equal(found[1].fix, "pulumi config set swarmlab:name <another name> -s dev");
  });

  it("another project's lab on the subnet: a subnet blocker", async () => {
    const other = { ...theirs, what: "network course-net", lab: "course", owner: "ci.12345678" };
    const [subnet] = withClaim(before, await asked([other], "dev.1a2b3c4d"));
    assert.equal(subnet.status, "blocker");
    assert.match(subnet.says, /^swarmlab:subnet = "192\.168\.56\.0\/24": this subnet is used: network course-net, of lab course of stack ci/);
  });

  it("the stack's own lab, by its recorded owner, passes", async () => {
    assert.deepEqual(withClaim(before, await asked([{ ...theirs, owner: "dev.1a2b3c4d" }], "dev.1a2b3c4d")), before);
  });

  it("a blocker the names check found already is not said twice", async () => {
    const named = [before[0], { check: "names", status: "blocker" as const, says: "lab swarmlab belongs to …", fix: "rename" }];
    assert.deepEqual(withClaim(named, await asked([theirs], undefined)), named);
  });

  it("an engine that did not list its objects is a warning, not a pass", () => {
    const [, , , claim] = withClaim(before, { unread: "connect ECONNREFUSED" });
    assert.equal(claim.status, "warn");
  });
});
