// The stack's outputs read through one function (lab/outputs.ts): what a reader gets, and the one line it fails with
// when the stack was made by an older swarmlab or has no lab up. The program's side (that it exports exactly these
// names, and that outputsOf reads them as they are) is in program.test.ts.
import assert from "node:assert/strict";
import { LabOutputs, OUTPUT_NAMES, OutputsError, outputsOf, RawOutputs } from "../../lab/outputs";
import { founderOf, managersOf, workersOf } from "../../lab/types";

const access = (name: string, role: "manager" | "worker", address: string) => ({
  name,
  role,
  address,
  machine: `container-${name}`,
  sshHost: address,
  sshPort: 22,
  username: "root",
  hostKey: "ssh-ed25519 AAAA",
});

const OUTPUTS: LabOutputs = {
  lab: "swarmlab",
  owner: "dev.1a2b3c4d",
  backend: "docker",
  subnet: "192.168.56.0/24",
  nodes: [
    { name: "swarm-manager", role: "manager", address: "192.168.56.10", ssh: "ssh root@192.168.56.10" },
    { name: "swarm-worker1", role: "worker", address: "192.168.56.11", ssh: "ssh root@192.168.56.11" },
  ],
  sshConfig: "Host swarm-manager\n",
  nodeAccess: [access("swarm-manager", "manager", "192.168.56.10"), access("swarm-worker1", "worker", "192.168.56.11")],
  privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----",
  keyFile: ".swarmlab/swarmlab/id_ed25519",
  overlay: { name: "mynet", subnet: "10.0.1.0/24", gateway: "10.0.1.1" },
  service: "test",
  replicas: 1,
  tasks: [{ name: "test.1", node: "swarm-worker1", overlayIp: "10.0.1.3", containerId: "c0ffee" }],
  problems: [],
  remake: [],
  upstream: { name: "upstream", address: "192.168.56.254" },
  pingTarget: "192.168.56.254",
};

/** As the Automation API gives them: each value under `value` (secret ones too, once read). */
const raw = (outputs: object): RawOutputs => Object.fromEntries(Object.entries(outputs).map(([k, value]) => [k, { value }]));
const without = (...names: string[]) => raw(Object.fromEntries(Object.entries(OUTPUTS).filter(([k]) => !names.includes(k))));

function refuses(outputs: RawOutputs, message: string, missing: string[], stack?: string) {
  assert.throws(
    () => outputsOf(outputs, stack),
    (e: unknown) => {
      assert.ok(e instanceof OutputsError, `an OutputsError, got ${String(e)}`);
      assert.equal(e.message, message);
      assert.deepEqual(e.missing, missing);
      assert.equal(e.fix, "npm run up");
      return true;
    },
  );
}

describe("the stack's outputs (outputsOf)", () => {
  it("reads every output as it is, typed, with no other key", () => {
    assert.deepEqual(outputsOf(raw(OUTPUTS)), OUTPUTS);
    assert.deepEqual(outputsOf({ ...raw(OUTPUTS), extra: { value: 1 } }), OUTPUTS, "an output no reader takes is left out");
    assert.deepEqual(new Set(OUTPUT_NAMES), new Set(Object.keys(OUTPUTS)));
  });

  it("remake may be absent (a stack of a swarmlab before it); nothing else may", () => {
    const { remake: _, ...older } = OUTPUTS;
    assert.deepEqual(outputsOf(raw(older)), older);
  });

  it("a stack with no outputs has no lab up: the fix is npm run up", () => {
    refuses({}, "stack 'dev' has no lab up (it has no outputs). Fix: npm run up", OUTPUT_NAMES, "dev");
  });

  it("a stack made by an older swarmlab: every output missing, named, in one line", () => {
    refuses(
      without("keyFile", "nodes"),
      "stack 'dev' has outputs this swarmlab cannot read (nodes, keyFile are missing): its lab was made by an older swarmlab, or never brought up whole. Fix: npm run up",
      ["nodes", "keyFile"],
      "dev",
    );
    refuses(
      without("tasks"),
      "the stack has outputs this swarmlab cannot read (tasks is missing): its lab was made by an older swarmlab, or never brought up whole. Fix: npm run up",
      ["tasks"],
    );
  });

  it("an output of another shape is named with the shape readers take", () => {
    const odd = { ...OUTPUTS, nodes: [{ ...OUTPUTS.nodes[0], role: "boss" }], replicas: "1", backend: "kvm", remake: "swarm-worker1" };
    refuses(
      raw(odd),
      "the stack has outputs this swarmlab cannot read (backend is not one of docker, vagrant, ssh; " +
        "nodes is not a list of { name, role, address, ssh }; replicas is not a whole number; remake is not a list of text): " +
        "its lab was made by an older swarmlab, or never brought up whole. Fix: npm run up",
      ["backend", "nodes", "replicas", "remake"],
    );
    const noPort = { ...OUTPUTS, nodeAccess: [{ ...OUTPUTS.nodeAccess[0], sshPort: "22" }] };
    assert.throws(
      () => outputsOf(raw(noPort)),
      /nodeAccess is not a list of \{ name, role, address, machine, sshHost, sshPort, username, hostKey, via, jump \}/,
    );
    // a node behind a jump host (the ssh backend) carries it whole, with the jump host's pinned key
    const jump = { address: "192.168.56.2", port: 22, user: "pi", hostKey: "ssh-ed25519 BBBB" };
    const jumped = (j: unknown) => raw({ ...OUTPUTS, nodeAccess: [{ ...OUTPUTS.nodeAccess[0], jump: j }] });
    assert.deepEqual(outputsOf(jumped(jump)).nodeAccess[0].jump, jump);
    assert.throws(() => outputsOf(jumped({ ...jump, hostKey: undefined })), /nodeAccess is not a list of/);
    assert.throws(() => outputsOf(raw({ ...OUTPUTS, overlay: null })), /overlay is not \{ name, subnet, gateway \}/);
  });
});

describe("a lab's nodes by their role (founderOf, managersOf, workersOf)", () => {
  it("wherever the list puts the manager", () => {
    const [manager, worker] = OUTPUTS.nodeAccess;
    for (const nodes of [
      [manager, worker],
      [worker, manager],
    ]) {
      assert.equal(founderOf(nodes), manager);
      assert.deepEqual(managersOf(nodes), [manager]);
      assert.deepEqual(workersOf(nodes), [worker]);
    }
  });

  it("several managers: the founder is the first in the list's order, the others follow it", () => {
    const [m1, worker] = OUTPUTS.nodeAccess;
    const m2 = { ...m1, name: "swarm-manager2" };
    const m3 = { ...m1, name: "swarm-manager3" };
    const nodes = [m2, worker, m1, m3];
    assert.equal(founderOf(nodes), m2);
    assert.deepEqual(managersOf(nodes), [m2, m1, m3]);
    assert.deepEqual(workersOf(nodes), [worker]);
  });

  it("a list without a manager is refused, saying what it has", () => {
    const [, worker] = OUTPUTS.nodes;
    assert.throws(() => founderOf([worker]), /^Error: a lab has a manager, and this one has none \(swarm-worker1: worker\)$/);
  });
});
