// A stack's state read straight from the file backend's checkpoint (lab/state-file.ts), which npm run down and the
// settled-lab fast path trust instead of asking the Pulumi CLI: whatever this reader does not know reads as unknown
// (the CLI is asked then), and the lab the state names passes the lab-name rule before anything is removed by it.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LabNameError } from "../../lab/lab-name";
import { stateFile } from "../../lab/project-root";
import { labOfResources, readState, StateResource } from "../../lab/state-file";

const CLAIM = "pulumi-nodejs:dynamic/swarmlab:Claim";
const LEGACY_KEY = "pulumi-nodejs:dynamic/swarmlab:lab:key:Resource";

const resource = (type: string, outputs?: Record<string, unknown>, id?: string): StateResource => ({
  urn: `urn:pulumi:dev::swarmlab::${type}::r`,
  type,
  ...(id === undefined ? {} : { id }),
  ...(outputs === undefined ? {} : { outputs }),
});

/** The checkpoint's latest deployment, as the file backend writes it. */
const LATEST = {
  manifest: { time: "2026-12-05T12:16:50.008651582Z", magic: "ab35920a", version: "v3.259.0" },
  secrets_providers: { type: "passphrase", state: { salt: "v1:7pYYd1UpPAk=:v1:jGdwvbwh62jC6pRs:80t+GqN0F7MQ" } },
  resources: [
    resource("pulumi:pulumi:Stack"),
    resource("swarmlab:index:SwarmLab"),
    resource(CLAIM, { lab: "lab-a", backend: "docker", subnet: "192.168.56.0/24", stack: "dev", owner: "dev.1a2b3c4d" }, "dev.1a2b3c4d"),
    resource("pulumi-nodejs:dynamic/swarmlab:Key", { lab: "lab-a" }, "lab-a"),
  ],
  pending_operations: [{ resource: resource("pulumi-nodejs:dynamic/swarmlab:Node"), type: "creating" }],
};

describe("a stack's state file (lab/state-file.ts)", function () {
  describe("readState: the latest deployment, or undefined when this reader does not know the file", function () {
    let stateDir: string;
    const file = () => stateFile("dev", stateDir);
    const put = (text: string, at = file()) => {
      mkdirSync(path.dirname(at), { recursive: true });
      writeFileSync(at, text);
    };
    const good = (latest: unknown = LATEST) => JSON.stringify({ version: 3, checkpoint: { stack: "dev", latest } }, null, 4);
    beforeEach(() => (stateDir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-state-"))));
    afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

    it("a good file: its resources, the number of pending operations, and the deployment as the file holds it", () => {
      put(good());
      const state = readState("dev", stateDir);
      assert.ok(state);
      assert.deepEqual(state.resources, LATEST.resources);
      assert.equal(state.pending, 1);
      assert.deepEqual(state.deployment, LATEST, "manifest and secrets provider kept, for pulumi stack import");
    });

    it("a deployment without pending operations, or without resources (a stack never up): none of either", () => {
      const { pending_operations: _p, ...settled } = LATEST;
      put(good(settled));
      assert.equal(readState("dev", stateDir)?.pending, 0);
      put(good({ manifest: LATEST.manifest }));
      assert.deepEqual(readState("dev", stateDir)?.resources, []);
      put(JSON.stringify({ version: 3, checkpoint: { stack: "dev" } }));
      assert.deepEqual(readState("dev", stateDir)?.resources, [], "no latest deployment yet");
    });

    it("the stack's own file: another stack's is not read", () => {
      put(good(), stateFile("other", stateDir));
      assert.equal(readState("dev", stateDir), undefined);
    });

    it("no file: undefined", () => assert.equal(readState("dev", stateDir), undefined));

    it("a compressed file beside it (.json.gz, which the CLI would read): undefined", () => {
      put(good());
      put("\x1f\x8b", `${file()}.gz`);
      assert.equal(readState("dev", stateDir), undefined);
    });

    it("another version, no checkpoint, or resources not a list: undefined", () => {
      for (const text of [
        JSON.stringify({ version: 4, checkpoint: { stack: "dev", latest: LATEST } }),
        JSON.stringify({ version: "3", checkpoint: { stack: "dev", latest: LATEST } }),
        JSON.stringify({ version: 3 }),
        JSON.stringify({ version: 3, checkpoint: null }),
        JSON.stringify({ version: 3, checkpoint: "dev" }),
        good({ ...LATEST, resources: { claim: LATEST.resources[2] } }),
        "null",
        "[]",
      ]) {
        put(text);
        assert.equal(readState("dev", stateDir), undefined, text);
      }
    });

    it("not JSON (a file being written, torn): undefined", () => {
      for (const text of ["", good().slice(0, 100), "version: 3\n"]) {
        put(text);
        assert.equal(readState("dev", stateDir), undefined, JSON.stringify(text));
      }
    });

    it("a stack named with its organisation (org/dev): undefined, the CLI knows where it is", () => {
      put(good());
      assert.equal(readState("organization/dev", stateDir), undefined);
    });
  });

  describe("labOfResources: the lab the state names", function () {
    const claim = (outputs: Record<string, unknown>) =>
      resource(CLAIM, { backend: "docker", subnet: "192.168.56.0/24", stack: "dev", ...outputs }, "dev.1");

    it("a claim: its lab's name, backend and owner", () => {
      assert.deepEqual(labOfResources(LATEST.resources, "dev"), { lab: { name: "lab-a", backend: "docker", owner: "dev.1a2b3c4d" } });
      assert.deepEqual(labOfResources([claim({ lab: "lab-v", backend: "vagrant", owner: "dev.9" })], "dev"), {
        lab: { name: "lab-v", backend: "vagrant", owner: "dev.9" },
      });
    });

    it("a stack of swarmlab 0.1 (the legacy key part, no claim): its lab on docker, owner '' (its objects carry none)", () => {
      const resources = [resource("pulumi:pulumi:Stack"), resource(LEGACY_KEY, { lab: "swarmlab", publicKey: "ssh-ed25519 AAAA" }, "swarmlab")];
      assert.deepEqual(labOfResources(resources, "dev"), { lab: { name: "swarmlab", backend: "docker", owner: "" } });
    });

    it("a claim and a legacy key: the claim's", () => {
      const resources = [resource(LEGACY_KEY, { lab: "old-lab" }), claim({ lab: "lab-a", owner: "dev.1" })];
      assert.deepEqual(labOfResources(resources, "dev"), { lab: { name: "lab-a", backend: "docker", owner: "dev.1" } });
    });

    it("no claim (a stack never up, or destroyed): a known answer, no lab", () => {
      assert.deepEqual(labOfResources([], "dev"), { lab: undefined });
      const others = LATEST.resources.filter((r) => r.type !== CLAIM);
      assert.deepEqual(labOfResources(others, "dev"), { lab: undefined });
    });

    it("a claim whose owner (or any value) is encrypted: undefined, only the CLI can read it", () => {
      const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:Yx0QeGk=:v1:rjXh1b..." };
      assert.equal(labOfResources([claim({ lab: "lab-a", owner: secret })], "dev"), undefined);
      assert.equal(labOfResources([claim({ lab: secret, owner: "dev.1" })], "dev"), undefined);
      assert.equal(labOfResources([claim({ lab: "lab-a", owner: "dev.1", backend: secret })], "dev"), undefined);
      assert.equal(labOfResources([resource(LEGACY_KEY, { lab: secret })], "dev"), undefined, "a legacy key's lab");
      assert.equal(labOfResources([claim({ lab: "lab-a", owner: 42 })], "dev"), undefined, "a number is no owner either");
    });

    it("a claim naming a lab the lab-name rule refuses: throws, saying where the name came from", () => {
      for (const name of ["../../etc", "Lab-A", "", "logs", "a".repeat(41)]) {
        assert.throws(
          () => labOfResources([claim({ lab: name, owner: "dev.1" })], "dev"),
          (err: unknown) => err instanceof LabNameError && /the lab stack dev's state records/.test(err.message),
          JSON.stringify(name),
        );
      }
      assert.throws(() => labOfResources([resource(LEGACY_KEY, { lab: "../x" })], "dev"), LabNameError, "a legacy key's lab");
      assert.throws(() => labOfResources([claim({ owner: "dev.1" })], "dev"), LabNameError, "a claim without its lab");
    });
  });
});
