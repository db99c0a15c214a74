// The outputs an up records in .swarmlab/<lab>/outputs.json (lab/recorded-outputs.ts), which npm run status reads
// instead of asking the Pulumi CLI: the round trip, a stack with none, and a file of another shape in one line.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KEY_FILE, labDir, removeLabDir, writeKeyCopy } from "../../lab/lab-dir";
import { OutputsError } from "../../lab/outputs";
import { OUTPUTS_FILE, outputsFromRecord, RecordedOutputs, recordedOf, writeRecordedOutputs } from "../../lab/recorded-outputs";
import * as infraStack from "../../infra/stack";
import { PROJECT_ROOT as INFRA_ROOT } from "../../infra/provider";
import * as statusScript from "../../scripts/status";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n";

const recorded = (lab: string, owner: string): RecordedOutputs => ({
  lab,
  owner,
  backend: "docker",
  subnet: "192.168.56.0/24",
  nodes: [{ name: "swarm-manager", role: "manager", address: "192.168.56.10", ssh: "ssh vagrant@192.168.56.10" }],
  sshConfig: "Host swarm-manager\n",
  nodeAccess: [
    {
      name: "swarm-manager",
      role: "manager",
      address: "192.168.56.10",
      machine: `${lab}-swarm-manager`,
      sshHost: "192.168.56.10",
      sshPort: 22,
      username: "vagrant",
      hostKey: "ssh-ed25519 AAAA",
    },
  ],
  keyFile: `.swarmlab/${lab}/${KEY_FILE}`,
  overlay: { name: "mynet", subnet: "10.0.1.0/24", gateway: "10.0.1.1" },
  service: "test",
  replicas: 2,
  tasks: [{ name: "test.1", node: "swarm-worker1", overlayIp: "10.0.1.3", containerId: "c1" }],
  problems: [],
  remake: [],
  upstream: { name: "upstream", address: "192.168.56.254" },
  pingTarget: "192.168.56.254",
});

describe("the outputs an up records (lab/recorded-outputs.ts)", function () {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), "swarmlab-recorded-"))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("round trip: written without the key (0600, in a 0700 folder), read back as LabOutputs with the key from keyFile", function () {
    const o = recorded("lab-a", "dev.1a2b3c4d");
    writeKeyCopy(root, "lab-a", KEY);
    const file = writeRecordedOutputs(root, { ...o, privateKey: "must not land" } as RecordedOutputs);
    assert.equal(file, path.join(labDir(root, "lab-a"), OUTPUTS_FILE));
    assert.equal((statSync(file).mode & 0o777).toString(8), "600");
    assert.equal((statSync(labDir(root, "lab-a")).mode & 0o777).toString(8), "700");
    assert.doesNotMatch(readFileSync(file, "utf8"), /privateKey|must not land/);
    const found = recordedOf(root, "dev");
    assert.ok(found, "the stack's lab is found by its owner id");
    assert.deepEqual(outputsFromRecord(root, found, "dev"), { ...o, privateKey: KEY });
  });

  it("a stack with no recorded lab: none (no folder, another stack's lab, a lab folder removed by down)", function () {
    assert.equal(recordedOf(root, "dev"), undefined, "no .swarmlab at all");
    writeRecordedOutputs(root, recorded("lab-b", "other.1a2b3c4d"));
    mkdirSync(path.join(root, ".swarmlab", "logs"), { recursive: true }); // the project's own entries are no lab
    assert.equal(recordedOf(root, "dev"), undefined, "the other stack's lab is not dev's");
    assert.ok(recordedOf(root, "other"));
    removeLabDir(root, "lab-b");
    assert.equal(recordedOf(root, "other"), undefined, "a destroyed lab's folder goes, and with it the record");
  });

  it("a stack's name with dots is told from the owner id's random part", function () {
    writeRecordedOutputs(root, recorded("lab-c", "my.stack.1a2b3c4d"));
    assert.ok(recordedOf(root, "my.stack"));
    assert.equal(recordedOf(root, "my"), undefined);
  });

  it("a file of another shape fails in one line naming what is missing, with the fix", function () {
    const { tasks: _tasks, ...older } = recorded("lab-d", "dev.1a2b3c4d");
    writeRecordedOutputs(root, older as RecordedOutputs);
    writeKeyCopy(root, "lab-d", KEY);
    const found = recordedOf(root, "dev")!;
    assert.throws(
      () => outputsFromRecord(root, found, "dev"),
      (err: unknown) => err instanceof OutputsError && !err.message.includes("\n") && /tasks is missing.*Fix: npm run up/.test(err.message),
    );
  });

  it("a missing key copy is named as missing", function () {
    writeRecordedOutputs(root, recorded("lab-e", "dev.1a2b3c4d"));
    const found = recordedOf(root, "dev")!;
    assert.throws(() => outputsFromRecord(root, found, "dev"), /privateKey is missing/);
  });

  it("a file that is not JSON fails in one line with the fix", function () {
    const dir = labDir(root, "lab-f");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, OUTPUTS_FILE), "{ not json");
    assert.throws(
      () => recordedOf(root, "dev"),
      (err: unknown) =>
        err instanceof OutputsError && !err.message.includes("\n") && /not the outputs an up records.*Fix: npm run up/.test(err.message),
    );
    assert.ok(existsSync(dir));
  });

  it("scripts/status.ts's constants are infra's (it repeats them so as not to load @pulumi/pulumi)", function () {
    assert.equal(statusScript.PROJECT, infraStack.PROJECT);
    assert.equal(statusScript.DEFAULT_STACK, infraStack.DEFAULT_STACK);
    assert.equal(statusScript.PROJECT_ROOT, INFRA_ROOT);
    assert.equal(statusScript.STATE_DIR, infraStack.STATE_DIR);
  });
});
