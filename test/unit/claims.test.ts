// The verification suite's rule (issue 15): a test passes only what it checked. A claim that cannot be checked on
// this lab is pending with its reason, never passing; under CI=true only the reasons CI has by design (a claim that
// does not apply to the lab as set up, or to the kernel container nodes share) may stay pending. No lab here: the
// claims are stand-ins, the view an empty LabView.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { checkClaim, Claim, CLAIMS, LabView, NotCheckedHere, pending } from "../e2e/tutorial-claims";

const view = Object.create(LabView.prototype) as LabView;
const claim = (check: Claim["check"]): Claim => ({ group: "g", says: "s", check });

describe("verification suite: what a claim's test reports", () => {
  it("a claim that held: passes (no reason)", async () => {
    assert.equal(
      await checkClaim(
        claim(async () => {}),
        view,
        false,
      ),
      undefined,
    );
  });

  it("a false claim: fails with what was seen, in CI or not", async () => {
    for (const ci of [false, true]) {
      await assert.rejects(
        checkClaim(
          claim(async () => assert.equal(1450, 1424, "eth0's MTU")),
          view,
          ci,
        ),
        /eth0's MTU/,
      );
    }
  });

  it("not applicable to this lab (one task, no IPVS in the shared kernel): pending with its reason, in CI too", async () => {
    const oneTask = claim(async (v) => v.doesNotApply("one task only (swarmlab:replicas 1): no second task to measure the path MTU to"));
    for (const ci of [false, true]) {
      assert.equal(await checkClaim(oneTask, view, ci), "one task only (swarmlab:replicas 1): no second task to measure the path MTU to");
    }
  });

  it("not checkable by this machine or user (iptables without root): pending with its reason; a failure under CI", async () => {
    const noRoot = claim(async (v) => v.cannotCheck("the host's INPUT rule needs iptables, which needs root or passwordless sudo"));
    assert.equal(await checkClaim(noRoot, view, false), "the host's INPUT rule needs iptables, which needs root or passwordless sudo");
    await assert.rejects(checkClaim(noRoot, view, true), {
      message:
        "not checked here: the host's INPUT rule needs iptables, which needs root or passwordless sudo; under CI=true every claim must be checked",
    });
  });

  it("what a claim found false before it gave up stays a failure (the lab reached the host although iptables cannot be read)", async () => {
    const reached = claim(async (v) => {
      assert.notEqual(0, 0, "swarm-worker1 connected to the host at 192.168.56.1:40000");
      v.cannotCheck("the INPUT rule cannot be read");
    });
    await assert.rejects(checkClaim(reached, view, false), /swarm-worker1 connected to the host/);
  });

  it("a pending test prints its reason and skips; under CI=true it fails, unless the reason is one CI has by design", () => {
    const skipped = new Error("skipped");
    const ctx = {
      skip: () => {
        throw skipped;
      },
    } as unknown as Mocha.Context;
    const saved = process.env.CI;
    const log = console.log;
    const printed: string[] = [];
    console.log = (line: string) => printed.push(line);
    try {
      delete process.env.CI;
      assert.throws(() => pending(ctx, "the lab under test is the user's: not destroyed"), skipped);
      assert.deepEqual(printed, ["      (not checked here: the lab under test is the user's: not destroyed)"]);
      process.env.CI = "true";
      assert.throws(() => pending(ctx, "the lab under test is the user's: not destroyed"), {
        message: "not checked here: the lab under test is the user's: not destroyed; under CI=true every test must run",
      });
      assert.throws(() => pending(ctx, "no IPVS in this kernel", true), skipped);
    } finally {
      console.log = log;
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });

  it("no claim passes by returning through note(): notes are for deviations a claim checked", () => {
    const source = readFileSync(path.join(__dirname, "..", "e2e", "tutorial-claims.ts"), "utf8");
    assert.doesNotMatch(source, /return v\.note\(/);
    assert.ok(CLAIMS.length > 0);
    assert.ok(new NotCheckedHere("x", false) instanceof Error);
  });
});
