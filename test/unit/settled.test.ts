// The settled-lab fast path of npm run up (lab/settled.ts): what the fingerprint follows, when a record of the last
// up still holds (and each way it stops holding), and the part-by-part verification, with fake parts whose read needs
// no lab and the host's facts from fixtures. No Docker: a wrong "settled" here would skip an engine that had work.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { labSpecFromConfig } from "../../lab/config";
import { labDir } from "../../lab/lab-dir";
import { parts } from "../../lab/parts";
import type { AnyPart } from "../../lab/parts/part";
import { stateFile } from "../../lab/project-root";
import {
  fingerprint,
  forgetSettled,
  ownerOf,
  PartRegistry,
  SETTLED_FILE,
  SettledPart,
  SettledRecord,
  settledRecord,
  verifySettled,
  writeSettled,
} from "../../lab/settled";
import { fixtureHost, hostWith } from "./host-fixtures";

const STACK = "dev";
const SPEC = labSpecFromConfig({ name: "lab-a" });
const OWNER = "dev.1a2b3c4d";

/** The parts of a small lab as an up records them (ids as Docker and the swarm give them). */
const PARTS: SettledPart[] = [
  {
    kind: "claim",
    name: "lab-a-claim",
    id: OWNER,
    inputs: { lab: "lab-a", backend: "docker", subnet: "192.168.56.0/24", stack: STACK },
    props: { lab: "lab-a", backend: "docker", subnet: "192.168.56.0/24", stack: STACK, owner: OWNER },
  },
  { kind: "key", name: "lab-a-key", id: "lab-a", inputs: { lab: "lab-a" }, props: { lab: "lab-a", publicKey: "ssh-ed25519 AAAA" } },
  {
    kind: "node",
    name: "swarm-manager",
    id: "29ebb27a427f",
    inputs: { lab: "lab-a", name: "swarm-manager" },
    props: { lab: "lab-a", name: "swarm-manager" },
  },
];

/** A resource of the file backend's checkpoint, as Pulumi writes it. */
function resource(type: string, name: string, id?: string) {
  return {
    urn: `urn:pulumi:${STACK}::swarmlab::${type}::${name}`,
    custom: id !== undefined,
    type,
    ...(id === undefined ? {} : { id }),
    inputs: {},
    outputs: {},
  };
}

/** The checkpoint of a stack holding these parts (besides the stack, the component and the provider), like the real one. */
function checkpoint(stack: string, held: SettledPart[], pending = 0) {
  return {
    version: 3,
    checkpoint: {
      stack,
      latest: {
        manifest: { time: "2026-12-05T12:16:50.008651582Z", magic: "ab35920a", version: "v3.259.0" },
        secrets_providers: { type: "passphrase", state: { salt: "v1:7pYYd1UpPAk=:v1:jGdwvbwh62jC6pRs:80t+GqN0F7MQ" } },
        resources: [
          resource("pulumi:pulumi:Stack", `swarmlab-${stack}`),
          resource("swarmlab:index:SwarmLab", "lab-a"),
          resource("pulumi:providers:pulumi-nodejs", "default", "1fd8c75a-58e0-47d4-8b9c-0a604c47c131"),
          ...held.map((p) => resource(`pulumi-nodejs:dynamic/swarmlab:${parts[p.kind].type}`, p.name, p.id)),
        ],
        ...(pending > 0 ? { pending_operations: Array.from({ length: pending }, () => ({ resource: {}, type: "creating" })) } : {}),
      },
    },
  };
}

describe("a settled lab: npm run up without the engine (lab/settled.ts)", function () {
  let root: string;
  let stateDir: string;
  const write = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  const writeState = (stack: string, held: SettledPart[], pending = 0) => {
    const file = stateFile(stack, stateDir);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(checkpoint(stack, held, pending), null, 4));
  };
  const settledFile = (lab = "lab-a") => path.join(labDir(root, lab), SETTLED_FILE);

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "swarmlab-settled-"));
    stateDir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-settled-state-"));
    write(`Pulumi.${STACK}.yaml`, "config:\n  swarmlab:name: lab-a\n");
    write("Pulumi.yaml", "name: swarmlab\nruntime: nodejs\n");
    write("lab/a.ts", "export const a = 1;\n");
    write("lab/parts/b.ts", "export const b = 2;\n");
    write("infra/c.ts", "export const c = 3;\n");
    write("scripts/d.ts", "export const d = 4;\n");
    write("package-lock.json", '{"lockfileVersion": 3}\n');
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  describe("the fingerprint: the settings, the code and the environment the program follows", function () {
    const env = { HOME: "/home/u", SWARMLAB_X: "1", DOCKER_HOST: "unix:///var/run/docker.sock", PULUMI_Y: "a" };
    const print = (e: NodeJS.ProcessEnv = env, stack = STACK) => fingerprint(root, stack, e);

    it("is the same for the same project, stack and environment", () => assert.equal(print(), print()));

    it("changes with the stack's settings text, even a comment", () => {
      const before = print();
      write(`Pulumi.${STACK}.yaml`, "config:\n  swarmlab:name: lab-a\n# a note\n");
      assert.notEqual(print(), before);
    });

    it("changes with any TypeScript source under lab/, infra/ or scripts/, and with package-lock.json and Pulumi.yaml", () => {
      for (const [file, text] of [
        ["lab/a.ts", "export const a = 10;\n"],
        ["lab/parts/b.ts", "export const b = 20;\n"],
        ["lab/new.ts", "export {};\n"],
        ["infra/c.ts", "export const c = 30;\n"],
        ["scripts/d.ts", "export const d = 40;\n"],
        ["package-lock.json", '{"lockfileVersion": 3, "packages": {}}\n'],
        ["Pulumi.yaml", "name: swarmlab\nruntime: nodejs\nmain: infra/index.ts\n"],
      ]) {
        const before = print();
        write(file, text);
        assert.notEqual(print(), before, file);
      }
    });

    it("changes when a source moves to another name with the same text, in the same place among the others", () => {
      const before = print();
      rmSync(path.join(root, "lab/a.ts"));
      write("lab/aa.ts", "export const a = 1;\n");
      assert.notEqual(print(), before);
    });

    it("does not follow files the program does not run (a note beside the code, the test folder)", () => {
      const before = print();
      write("lab/NOTES.md", "notes\n");
      write("test/unit/x.test.ts", "export {};\n");
      assert.equal(print(), before);
    });

    it("changes with a SWARMLAB_, DOCKER_ or PULUMI_ variable (set, changed or gone), and with the stack", () => {
      const before = print();
      assert.notEqual(print({ ...env, SWARMLAB_X: "2" }), before, "SWARMLAB_X changed");
      assert.notEqual(print({ ...env, SWARMLAB_NEW: "" }), before, "SWARMLAB_NEW set, empty");
      assert.notEqual(print({ ...env, DOCKER_HOST: "ssh://u@elsewhere" }), before, "DOCKER_HOST changed");
      assert.notEqual(print({ ...env, PULUMI_Y: "b" }), before, "PULUMI_Y changed");
      const { PULUMI_Y: _gone, ...without } = env;
      assert.notEqual(print(without), before, "PULUMI_Y gone");
      write("Pulumi.other.yaml", "config:\n  swarmlab:name: lab-a\n");
      assert.notEqual(print(env, "other"), before, "another stack with the same settings text");
    });

    it("does not change with an unrelated variable, or the order the variables come in", () => {
      const before = print();
      assert.equal(print({ ...env, HOME2: "/elsewhere" }), before, "HOME2");
      assert.equal(print({ ...env, HOME: "/home/v", MY_SWARMLAB_X: "1" }), before, "HOME, a name only containing SWARMLAB_");
      assert.equal(print({ PULUMI_Y: "a", DOCKER_HOST: "unix:///var/run/docker.sock", SWARMLAB_X: "1" }), before, "another order");
    });

    it("another stack's settings file is not this stack's settings", () => {
      const before = print();
      write("Pulumi.other.yaml", "config:\n  swarmlab:name: lab-b\n");
      assert.equal(print(), before);
    });
  });

  describe("the record of the last up (writeSettled, settledRecord)", function () {
    const found = () => settledRecord(root, STACK, stateDir);
    const stale = (why: RegExp) => {
      const f = found();
      assert.ok("why" in f, "no record is found");
      assert.match(f.why, why);
      assert.equal(f.recorded, true, "a record was there");
    };
    const settle = (held = PARTS, recorded = PARTS, pending = 0) => {
      writeState(STACK, held, pending);
      return writeSettled(root, STACK, SPEC, recorded, stateDir);
    };

    it("a fresh record is found, whole: written 0600 in the lab's 0700 folder", () => {
      const file = settle();
      assert.equal(file, settledFile());
      assert.equal((statSync(settledFile()).mode & 0o777).toString(8), "600");
      assert.equal((statSync(labDir(root, "lab-a")).mode & 0o777).toString(8), "700");
      const f = found();
      assert.ok("record" in f, JSON.stringify(f));
      assert.equal(f.record.stack, STACK);
      assert.deepEqual(f.record.spec, SPEC);
      assert.deepEqual(f.record.parts, PARTS);
      assert.equal(f.record.fingerprint, fingerprint(root, STACK));
      assert.equal(ownerOf(f.record), OWNER);
    });

    it("the state's order of parts is not the record's: still found", () => {
      settle([...PARTS].reverse(), PARTS);
      assert.ok("record" in found());
    });

    it("no record: why, and no recorded", () => {
      writeState(STACK, PARTS);
      assert.deepEqual(found(), { why: "no record of the last up" });
    });

    it("no state file: nothing is written, and nothing found", () => {
      assert.equal(writeSettled(root, STACK, SPEC, PARTS, stateDir), undefined);
      assert.equal(existsSync(settledFile()), false);
      assert.deepEqual(found(), { why: "no record of the last up" });
    });

    it("the settings changed: stale", () => {
      settle();
      write(`Pulumi.${STACK}.yaml`, "config:\n  swarmlab:name: lab-a\n  swarmlab:workers: '3'\n");
      stale(/^settings, code or environment changed since the last up$/);
    });

    it("the code changed: stale", () => {
      settle();
      write("lab/a.ts", "export const a = 2;\n");
      stale(/^settings, code or environment changed since the last up$/);
    });

    it("a SWARMLAB_ variable changed: stale", () => {
      settle();
      const name = "SWARMLAB_SETTLED_TEST";
      const was = process.env[name];
      process.env[name] = "changed";
      try {
        stale(/^settings, code or environment changed since the last up$/);
      } finally {
        if (was === undefined) delete process.env[name];
        else process.env[name] = was;
      }
    });

    it("the state file changed (a byte, a run since): stale", () => {
      settle();
      const file = stateFile(STACK, stateDir);
      writeFileSync(file, readFileSync(file, "utf8") + "\n");
      stale(/^the stack's state changed since the last up$/);
    });

    it("the state file is gone: stale", () => {
      settle();
      rmSync(stateFile(STACK, stateDir));
      stale(/^the stack's state changed since the last up$/);
    });

    it("the state holds a part more, a part less, another id, or a pending operation: stale", () => {
      const more: SettledPart = { ...PARTS[2], name: "swarm-worker1", id: "7d3f390ee02a" };
      const cases: [string, SettledPart[], SettledPart[], number][] = [
        ["a part more in the state", [...PARTS, more], PARTS, 0],
        ["a part less in the state", PARTS.slice(0, 2), PARTS, 0],
        ["another id", [...PARTS.slice(0, 2), { ...PARTS[2], id: "034b46f413c7" }], PARTS, 0],
        ["the same id, another kind", [...PARTS.slice(0, 2), { ...PARTS[2], kind: "swarm" }], PARTS, 0],
        ["a pending operation", PARTS, PARTS, 1],
      ];
      for (const [what, held, recorded, pending] of cases) {
        settle(held, recorded, pending);
        const f = found();
        assert.ok("why" in f, what);
        assert.deepEqual(f, { why: "the state holds other parts than recorded", recorded: true }, what);
      }
    });

    it("a state this reader cannot read (compressed beside it) holds no known parts: stale", () => {
      settle();
      writeFileSync(`${stateFile(STACK, stateDir)}.gz`, "");
      stale(/^the state holds other parts than recorded$/);
    });

    it("a torn settled.json is removed and reads as no record", () => {
      settle();
      writeFileSync(settledFile(), '{"stack": "dev", "fingerp');
      assert.deepEqual(found(), { why: "no record of the last up" });
      assert.equal(existsSync(settledFile()), false, "the torn record is removed");
    });

    it("another stack's record is ignored, and left in place", () => {
      writeState("other", PARTS);
      write("Pulumi.other.yaml", "config:\n  swarmlab:name: lab-a\n");
      writeSettled(root, "other", SPEC, PARTS, stateDir);
      writeState(STACK, PARTS);
      assert.deepEqual(found(), { why: "no record of the last up" });
      assert.ok("record" in settledRecord(root, "other", stateDir), "the other stack finds its own");
      forgetSettled(root, STACK);
      assert.equal(existsSync(settledFile()), true, "forgetting this stack's record leaves the other's");
    });

    it("two records of the stack (two labs' folders) prove nothing", () => {
      settle();
      writeSettled(root, STACK, { ...SPEC, name: "lab-b" }, PARTS, stateDir);
      assert.deepEqual(found(), { why: "no record of the last up" });
    });

    it("a folder in .swarmlab/ that is no lab's name is not read", () => {
      settle();
      mkdirSync(path.join(root, ".swarmlab", "logs"), { recursive: true });
      writeFileSync(path.join(root, ".swarmlab", "logs", SETTLED_FILE), readFileSync(settledFile()));
      assert.ok("record" in found());
    });

    it("forgetSettled removes the stack's record: the next up takes the engine", () => {
      settle();
      forgetSettled(root, STACK);
      assert.equal(existsSync(settledFile()), false);
      assert.deepEqual(found(), { why: "no record of the last up" });
    });
  });

  describe("verifying the lab against the record (verifySettled): each part's read and check, and the host checks", function () {
    type Read = AnyPart["read"];
    /** A part like the claim (owner its output, lab its identity) whose read and check are given. */
    const fake = (read: Read, check?: AnyPart["check"], outputs = ["owner"]): AnyPart => ({
      type: "Claim",
      identity: ["lab"],
      outputs,
      create: async () => assert.fail("create is not asked"),
      delete: async () => assert.fail("delete is not asked"),
      read,
      check,
    });
    const claim = PARTS[0];
    /** The key's outputs: its public key (and the nested value one test gives it). */
    const keyLike = (read: Read) => fake(read, undefined, ["publicKey", "nested"]);
    const registry = (claimPart: AnyPart, keyPart: AnyPart = keyLike(async (_id, state) => state)): PartRegistry => ({
      ...parts,
      claim: claimPart,
      key: keyPart,
    });
    const record = (ps: SettledPart[] = PARTS.slice(0, 2)): SettledRecord => ({
      stack: STACK,
      spec: SPEC,
      fingerprint: "f",
      state: "s",
      parts: ps,
    });
    const verify = (reg: PartRegistry, host = fixtureHost(), rec = record()) => verifySettled(root, rec, host, reg);

    it("every read returns the state as recorded, every check passes: settled, with the record; the host's facts are read", async () => {
      const host = fixtureHost();
      const reads: string[] = [];
      const checked: unknown[] = [];
      const reg = registry(
        fake(
          async (id, state) => {
            reads.push(id);
            return { ...state };
          },
          async (news, current) => void checked.push([news, current]),
        ),
      );
      const rec = record();
      assert.deepEqual(await verify(reg, host, rec), { settled: true, record: rec });
      assert.deepEqual(reads, [OWNER]);
      assert.deepEqual(checked, [[claim.inputs, claim.props]], "the check gets the inputs, and the state as current");
      assert.deepEqual(host.reads, [SPEC.service.image], "the host checks ran");
    });

    it("the same props in another key order, or only the outputs, or an undefined extra: settled (compared by value)", async () => {
      const reordered = Object.fromEntries(Object.entries(claim.props).reverse());
      for (const [what, live] of [
        ["keys in another order", reordered],
        ["only the outputs", { owner: OWNER }],
        ["an undefined value", { ...claim.props, note: undefined }],
      ] as const) {
        const v = await verify(registry(fake(async () => ({ ...live }))));
        assert.equal(v.settled, true, `${what}: ${JSON.stringify(v)}`);
      }
    });

    it("nested values in another key order: settled; a nested value changed: not", async () => {
      const p: SettledPart = {
        ...PARTS[1],
        inputs: { lab: "lab-a" },
        props: { lab: "lab-a", publicKey: "k", nested: { a: 1, b: [1, { c: 2, d: 3 }] } },
      };
      const reg = (nested: unknown) =>
        registry(
          fake(async (_id, state) => state),
          keyLike(async () => ({ lab: "lab-a", publicKey: "k", nested })),
        );
      assert.equal((await verify(reg({ b: [1, { d: 3, c: 2 }], a: 1 }), fixtureHost(), record([claim, p]))).settled, true);
      assert.deepEqual(await verify(reg({ a: 1, b: [1, { c: 2, d: 4 }] }), fixtureHost(), record([claim, p])), {
        settled: false,
        why: "lab-a-key changed",
      });
      assert.deepEqual(await verify(reg({ a: 1, b: [{ c: 2, d: 3 }, 1] }), fixtureHost(), record([claim, p])), {
        settled: false,
        why: "lab-a-key changed",
      });
    });

    it("a value changed: not settled, naming the part", async () => {
      const v = await verify(registry(fake(async () => ({ ...claim.props, owner: "dev.ffffffff" }))));
      assert.deepEqual(v, { settled: false, why: "lab-a-claim changed" });
    });

    it("a value the record has not (drift the read saw): not settled", async () => {
      const v = await verify(registry(fake(async () => ({ ...claim.props, extra: "new" }))));
      assert.deepEqual(v, { settled: false, why: "lab-a-claim changed" });
    });

    it("read finds nothing: not settled, gone or broken", async () => {
      const v = await verify(registry(fake(async () => undefined)));
      assert.deepEqual(v, { settled: false, why: "lab-a-claim is gone or broken" });
    });

    it("a read throws: not settled, a check failed, with the error's first line", async () => {
      const v = await verify(
        registry(
          fake(async () => {
            throw new Error("connect ECONNREFUSED 192.168.56.10:22\n    at somewhere");
          }),
        ),
      );
      assert.deepEqual(v, { settled: false, why: "a check failed (connect ECONNREFUSED 192.168.56.10:22)" });
    });

    it("a part's check refuses its inputs: not settled, a check failed", async () => {
      const v = await verify(
        registry(
          fake(
            async (_id, state) => state,
            async () => {
              throw new Error("the subnet 192.168.56.0/24 is lab-b's (stack other)");
            },
          ),
        ),
      );
      assert.deepEqual(v, { settled: false, why: "a check failed (the subnet 192.168.56.0/24 is lab-b's (stack other))" });
    });

    it("the record's inputs are not the state's (an update would run): not settled", async () => {
      const changed: SettledPart = { ...claim, inputs: { ...claim.inputs, subnet: "192.168.57.0/24" } };
      const v = await verify(registry(fake(async (_id, state) => state)), fixtureHost(), record([changed, PARTS[1]]));
      assert.deepEqual(v, { settled: false, why: "lab-a-claim's inputs changed" });
    });

    it("one part of several differs: not settled, naming that part", async () => {
      const v = await verify(
        registry(
          fake(async (_id, state) => state),
          keyLike(async () => undefined),
        ),
      );
      assert.deepEqual(v, { settled: false, why: "lab-a-key is gone or broken" });
    });

    it("the host checks refuse the lab (its subnet taken by another network): not settled, a check failed", async () => {
      const taken = hostWith({ addNetworks: [{ name: "someone-else", subnets: [SPEC.subnet], labels: {}, bridge: "br-abcdefabcdef" }] });
      const v = await verify(registry(fake(async (_id, state) => state)), fixtureHost(taken));
      assert.equal(v.settled, false);
      assert.ok("why" in v);
      assert.match(v.why, /^a check failed \(.*192\.168\.56\.0\/24/);
    });

    it("the host's tools and names are asked when the host has them", async () => {
      const asked: string[] = [];
      const host = {
        ...fixtureHost(),
        assertTools: (backend: string) => void asked.push(`tools ${backend}`),
        namesTaken: async () => {
          asked.push("names");
          return [];
        },
      };
      assert.equal((await verify(registry(fake(async (_id, state) => state)), host)).settled, true);
      assert.deepEqual(asked.sort(), ["names", "tools docker"]);
      const refusing = { ...host, assertTools: () => assert.fail("docker is not installed: install it") };
      assert.deepEqual(await verify(registry(fake(async (_id, state) => state)), refusing), {
        settled: false,
        why: "a check failed (docker is not installed: install it)",
      });
    });
  });
});
