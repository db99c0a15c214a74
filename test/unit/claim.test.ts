// The claim refuses, in preview as in up, a lab name, subnet or object name that is another's (issue 15, item 2): a
// lab of another stack, of a stack of the same name in another checkout, or a user's own container. Its messages
// give this stack's own fix, never a command that removes another's things.
import assert from "node:assert/strict";
import type { LabObject } from "../../lab/backends/backend";
import { assertFree, ClaimInputs } from "../../lab/parts/claim";
import { assertNamesFree } from "../../lab/parts/names-free";
import { providerFor } from "../../lab/parts/runner";

const CLAIM: ClaimInputs = { lab: "swarmlab", backend: "docker", subnet: "192.168.56.0/24", stack: "dev" };
const OURS = "dev.1a2b3c4d";
const RENAME = "Fix: pulumi config set swarmlab:name <another name> -s dev";

function engine(objects: LabObject[], named: LabObject[] = []) {
  return { objects: async () => objects, namesTaken: async () => named };
}

async function refusal(i: ClaimInputs, owner: string | undefined, backend: ReturnType<typeof engine>): Promise<string> {
  return said(assertFree(i, owner, backend));
}

async function said(check: Promise<void>): Promise<string> {
  const err = await check.then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err, "refused");
  assert.doesNotMatch(err.message, /docker rm|volume rm|remove it\b|npm run down/, "never tells to remove another's things");
  return err.message;
}

describe("the claim", () => {
  const network = { what: "network swarmlab-net", lab: "swarmlab", owner: OURS, subnet: "192.168.56.0/24" };

  it("keeps its own lab: everything of its owner passes", async () => {
    await assertFree(CLAIM, OURS, engine([network], [{ what: "container swarmlab-swarm-manager", lab: "swarmlab", owner: OURS }]));
  });

  it("a new claim (a fresh checkout's stack dev) refuses a running lab of the same name, even of a stack named dev", async () => {
    assert.equal(
      await refusal(CLAIM, undefined, engine([network])),
      `swarmlab:name = "swarmlab": the name is taken: network swarmlab-net, of lab swarmlab of stack dev (owner ${OURS}). ${RENAME}`,
    );
  });

  it("another lab on the subnet", async () => {
    const other = { what: "network other-net", lab: "other", owner: "ci.0badcafe", subnet: "192.168.56.0/24" };
    assert.equal(
      await refusal(CLAIM, OURS, engine([other])),
      'swarmlab:subnet = "192.168.56.0/24": this subnet is used: network other-net, of lab other of stack ci (owner ci.0badcafe). ' +
        "Fix: pulumi config set swarmlab:subnet <another /24> -s dev",
    );
  });

  describe("the names the lab's objects take (names-free.ts, checked by the program before any part)", () => {
    const refusedWith = (lab: string, taken: LabObject[]) => {
      const err = (() => {
        try {
          assertNamesFree(lab, taken, "dev");
        } catch (e) {
          return e as Error;
        }
      })();
      assert.ok(err, "refused");
      assert.doesNotMatch(err.message, /docker rm|volume rm|remove it\b|npm run down/);
      return err.message;
    };

    it("another lab whose objects have the names this lab's would take (swarmlab-swarm with nodes manager, worker1)", () => {
      const taken = [
        { what: "container swarmlab-swarm-manager", lab: "swarmlab", owner: "ci.0badcafe" },
        { what: "volume swarmlab-swarm-manager-docker", lab: "swarmlab", owner: "ci.0badcafe" },
      ];
      assert.equal(
        refusedWith("swarmlab-swarm", taken),
        'swarmlab:name = "swarmlab-swarm": the lab\'s objects would take names that exist already: container swarmlab-swarm-manager, ' +
          "volume swarmlab-swarm-manager-docker, of lab swarmlab of stack ci (owner ci.0badcafe). Fix: pulumi config set swarmlab:name <another name> -s dev",
      );
    });

    it("a user's own container of such a name", () => {
      assert.equal(
        refusedWith("swarmlab", [{ what: "container swarmlab-upstream", lab: "", owner: "" }]),
        `swarmlab:name = "swarmlab": the lab's objects would take names that exist already: container swarmlab-upstream, not made by swarmlab (no swarmlab.lab label). ${RENAME}`,
      );
    });

    it("objects labelled with the lab's own name pass (their owner is the claim's to judge)", () => {
      assertNamesFree("swarmlab", [{ what: "container swarmlab-swarm-manager", lab: "swarmlab", owner: "ci.0badcafe" }], "dev");
    });
  });

  it("a lab without owner labels: clean is offered only for the case that it is yours", async () => {
    const message = await refusal(CLAIM, OURS, engine([{ what: "container swarmlab-swarm-manager", lab: "swarmlab", owner: "" }]));
    assert.match(
      message,
      /made without an owner label \(by an older swarmlab or by hand; if it is yours and its state is lost, npm run clean swarmlab removes it\)/,
    );
  });

  describe("as a dynamic provider, preview asks it through check and diff", () => {
    const seen: unknown[] = [];
    const provider = providerFor("claim", "/nonexistent");
    before(async () => {
      const parts = (await import("../../lab/parts")).parts as unknown as Record<string, { check?: unknown }>;
      const original = parts.claim.check;
      parts.claim.check = async (_news: unknown, current: unknown) => void seen.push(current);
      try {
        await provider.check({}, { ...CLAIM });
        await provider.check({ ...CLAIM }, { ...CLAIM });
        await provider.diff("id", { ...CLAIM, owner: OURS }, { ...CLAIM, subnet: "192.168.57.0/24" });
        await provider.diff("id", { ...CLAIM, owner: OURS }, { ...CLAIM, lab: "other" });
      } finally {
        parts.claim.check = original;
      }
    });

    it("a new claim: check, without a current state; an existing one: diff, with its state (undefined when replaced)", () => {
      assert.deepEqual(seen, [undefined, { ...CLAIM, owner: OURS }, undefined]);
    });
  });
});

describe("a part's provider and the engine at DOCKER_HOST", () => {
  it("a connection refused at DOCKER_HOST's address is said as that variable's line; other errors pass as they are", async () => {
    const { engineUnanswered } = await import("../../lab/parts/runner");
    const refused = Object.assign(new Error("connect ENOENT /nothing"), { code: "ENOENT", address: "/nothing" });
    const said = engineUnanswered(refused, "unix:///nothing") as Error;
    assert.equal(
      said.message,
      'DOCKER_HOST = "unix:///nothing": no Docker engine answers there (ENOENT /nothing). Fix: unset DOCKER_HOST to use ' +
        "this machine's engine (bash scripts/docker-engine.sh starts it), or start the engine at unix:///nothing",
    );
    const tcp = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:2375"), { code: "ECONNREFUSED", address: "127.0.0.1", port: 2375 });
    assert.match(
      String((engineUnanswered(tcp, "tcp://127.0.0.1:2375") as Error).message),
      /^DOCKER_HOST = "tcp:\/\/127\.0\.0\.1:2375": no Docker engine answers/,
    );
    const node = Object.assign(new Error("connect ECONNREFUSED 192.168.56.10:22"), { code: "ECONNREFUSED", address: "192.168.56.10", port: 22 });
    assert.equal(engineUnanswered(node, "tcp://127.0.0.1:2375"), node, "a node's SSH is not the host's engine");
    assert.equal(engineUnanswered(refused, undefined), refused, "without DOCKER_HOST the default socket's own error stays");
  });
});
