// The Pulumi program's resource graph, under Pulumi's mocks: no CLI, no engine, no Docker. Every resource the program
// registers goes through a mock monitor that records it (type, name, inputs, parent, dependencies, options) and answers
// with plausible outputs for its kind of lab part, as the dynamic providers in infra/handlers.ts would.
//
// Mocks, config and the root stack resource are process-global in Pulumi's runtime, so every test starts from
// freshLab(): a new mock monitor (pulumi.runtime.setMocks resets the runtime's settings and root resource), a new
// record of registrations, and config replaced wholesale (pulumi.runtime.setAllConfig).
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { swarmlabProgram, readSpec, swarmlabSettings } from "../../infra/program";
import { PROJECT_ROOT } from "../../infra/provider";
import { ConfigError } from "../../lab/config";

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROJECT = "swarmlab";
const STACK = "unit";
const COMPONENT = "swarmlab:index:SwarmLab";
const STACK_TYPE = "pulumi:pulumi:Stack";
const KINDS = ["key", "images", "base", "node", "swarm", "overlay", "service"] as const;
type Kind = (typeof KINDS)[number];
/** LabPart passes `swarmlab:lab:<kind>` as the dynamic resource's module, so the type token (part of every URN) names the kind. */
const partType = (kind: Kind) => `pulumi-nodejs:dynamic/swarmlab:lab:${kind}:Resource`;

const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nbW9jayBrZXk=\n-----END OPENSSH PRIVATE KEY-----\n";
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockMockMockMockMockMockMockMockMockMockMock swarmlab-swarmlab";
const hostKeyOf = (name: string) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHost${name.replace(/-/g, "")} ${name}`;

/** One resource registration as the engine would receive it. */
interface Registration {
  type: string;
  name: string;
  custom: boolean;
  /** Inputs as the mock's newResource saw them (secrets unwrapped, unknowns dropped). */
  inputs: Props;
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  additionalSecretOutputs: string[];
  deleteBeforeReplace: boolean;
  urn?: string;
  /** The dynamic part's kind (from its type token), for dynamic resources. */
  kind?: Kind;
}

interface Recorder {
  registrations: Registration[];
  /** Outputs sent with registerOutputs, by URN, as they go over the wire (secrets still wrapped in secret markers). */
  outputs: Map<string, Props>;
  reads: string[];
  invokes: string[];
}

function kindOf(type: string, name: string, inputs: Props): Kind | undefined {
  const m = /^pulumi-nodejs:dynamic(?:\/swarmlab:lab:(\w+))?:Resource$/.exec(type);
  if (!m) return undefined;
  if (m[1]) return m[1] as Kind;
  // a plain pulumi-nodejs:dynamic:Resource token: tell the kinds apart by their inputs and names
  if (inputs.node) return "node";
  if (inputs.nodes) return "swarm";
  if (inputs.args) return "service";
  if (inputs.manager) return "overlay";
  if (inputs.spec) return "base";
  if (name.endsWith("-key")) return "key";
  if (name.endsWith("-images")) return "images";
  return undefined;
}

/** What each kind of part gives back: its inputs (the provider keeps them in its outputs) plus its own outputs. */
function partOutputs(kind: Kind | undefined, inputs: Props): { id: string; outs: Props } {
  switch (kind) {
    case "key":
      return {
        id: inputs.lab,
        outs: { publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY, keyFile: `${inputs.root}/.swarmlab/${inputs.lab}/id_ed25519` },
      };
    case "images":
      return { id: inputs.lab, outs: { node: "swarmlab-node:mock", busybox: "busybox:latest" } };
    case "base":
      return { id: inputs.spec.name, outs: {} };
    case "node": {
      const { name, role, address } = inputs.node;
      return {
        id: `container-${name}`,
        outs: { name, role, address, sshHost: address, sshPort: 22, username: "vagrant", hostKey: hostKeyOf(name) },
      };
    }
    case "swarm":
      return { id: "swarm-mock-id", outs: { workerToken: "SWMTKN-1-worker", managerToken: "SWMTKN-1-manager" } };
    case "overlay":
      return { id: "overlay-mock-id", outs: { name: inputs.name, subnet: "10.0.1.0/24", gateway: "10.0.1.1" } };
    case "service": {
      const a = inputs.args;
      const tasks = Array.from({ length: a.replicas }, (_, i) => ({
        name: `${a.name}.${i + 1}`,
        node: `swarm-worker${i + 1}`,
        overlayIp: `10.0.1.${3 + i}`,
        containerId: `task-${i + 1}`,
      }));
      return { id: a.name, outs: { tasks } };
    }
    default:
      throw new Error(`no mock outputs for a dynamic part of unknown kind (inputs ${Object.keys(inputs).join(", ")})`);
  }
}

/** Fresh mocks, a fresh record and the given swarmlab: settings (all other config dropped). */
async function freshLab(settings: Record<string, string> = {}): Promise<Recorder> {
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(settings).map(([k, v]) => [`swarmlab:${k}`, v])));
  const rec: Recorder = { registrations: [], outputs: new Map(), reads: [], invokes: [] };
  const pending = new Map<string, Registration>();
  const keyOf = (type: string, name: string) => `${type}::${name}`;

  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      const r = pending.get(keyOf(args.type, args.name));
      if (!r) {
        rec.reads.push(`${args.type}::${args.name}`); // a read (get), not a registration: the program makes none
        return { id: args.id, state: {} };
      }
      pending.delete(keyOf(args.type, args.name));
      r.inputs = args.inputs;
      r.custom = Boolean(args.custom);
      if (r.type === STACK_TYPE || r.type === COMPONENT) return { id: undefined, state: {} };
      r.kind = kindOf(args.type, args.name, args.inputs);
      const own = Object.fromEntries(Object.entries(args.inputs as Props).filter(([k]) => !k.startsWith("__")));
      const { id, outs } = partOutputs(r.kind, own);
      return { id, state: { ...own, ...outs } };
    },
    call(args) {
      rec.invokes.push(args.token);
      throw new Error(`the program should invoke nothing, invoked ${args.token}`);
    },
  };
  await pulumi.runtime.setMocks(mocks, PROJECT, STACK);

  // MockResourceArgs carries neither parent nor dependencies nor options: read them off the request itself.
  const monitor = pulumi.runtime.getMonitor() as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.ok(monitor && typeof monitor.registerResource === "function", "setMocks installed a mock monitor");
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps: { getUrnsList(): string[] }, key: string) => {
      propertyDependencies[key] = deps.getUrnsList();
    });
    const r: Registration = {
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      inputs: {},
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      propertyDependencies,
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
    };
    rec.registrations.push(r);
    pending.set(keyOf(r.type, r.name), r);
    return registerResource(req, (err: unknown, resp: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      if (resp) r.urn = resp.getUrn();
      callback(err, resp);
    });
  };
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req: any, callback: (err: unknown, resp: unknown) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    rec.outputs.set(req.getUrn(), req.getOutputs().toJavaScript());
    return registerResourceOutputs(req, callback);
  };
  return rec;
}

/** The value of an output (deeply unwrapped, secrets included). */
function valueOf<T>(o: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => {
    pulumi.output(o).apply((v) => {
      resolve(v);
      return v;
    });
  });
}

/**
 * Runs the program as the Automation API's inline program runs: under a root Stack resource. Returns the stack's
 * outputs once the stack has also sent them to the monitor (registerOutputs is asynchronous and lands after
 * runInPulumiStack resolves), so no RPC of this run is still in flight when the next test installs its mocks.
 */
async function runProgram(rec: Recorder): Promise<Props> {
  const outputs = (await pulumi.runtime.runInPulumiStack(swarmlabProgram)) as Props;
  await outputsRegistered(rec, STACK_TYPE);
  return outputs;
}

/** Waits (up to 5 s) until the resource of this type has sent its outputs to the monitor. */
async function outputsRegistered(rec: Recorder, type: string): Promise<void> {
  const urn = () => rec.registrations.find((r) => r.type === type)?.urn;
  for (let waited = 0; !(urn() && rec.outputs.has(urn()!)); waited += 10) {
    assert.ok(waited < 5_000, `${type} registered its outputs within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function parts(rec: Recorder, kind: Kind): Registration[] {
  return rec.registrations.filter((r) => r.kind === kind);
}

function one(rec: Recorder, kind: Kind): Registration {
  const found = parts(rec, kind);
  assert.equal(found.length, 1, `exactly one ${kind} part, got ${found.map((r) => r.name).join(", ") || "none"}`);
  return found[0];
}

function urnOf(r: Registration): string {
  assert.ok(r.urn, `${r.name} got a URN`);
  return r.urn;
}

/** What the resource of that type sent with registerOutputs (asserting it did). */
function registeredOutputs(rec: Recorder, type: string): Props {
  const r = rec.registrations.find((x) => x.type === type);
  assert.ok(r, `a ${type} was registered`);
  const outputs = rec.outputs.get(urnOf(r));
  assert.ok(outputs, `${type} called registerOutputs`);
  return outputs;
}

/** Is v a serialised secret (as registerOutputs sends it with secrets kept)? */
function isWireSecret(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Props)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

describe("infra program (Pulumi mocks)", function () {
  // dynamic resources serialise their provider closure on construction, even under mocks
  this.timeout(30_000);

  afterEach(() => {
    pulumi.runtime.setAllConfig({});
  });

  describe("the default config", () => {
    it("declares exactly one SwarmLab component with one key, images, base, three nodes, swarm, overlay and service part", async () => {
      const rec = await freshLab();
      await runProgram(rec);

      const byType = (t: string) => rec.registrations.filter((r) => r.type === t);
      assert.equal(byType(STACK_TYPE).length, 1, "the root stack");
      const [component] = byType(COMPONENT);
      assert.equal(byType(COMPONENT).length, 1, "one SwarmLab component");
      assert.equal(component.name, "swarmlab");
      assert.equal(component.custom, false);

      const dynamic = rec.registrations.filter((r) => r.type !== STACK_TYPE && r.type !== COMPONENT);
      assert.deepEqual(
        dynamic.map((r) => [r.kind, r.name]).sort(),
        [
          ["base", "swarmlab-base"],
          ["images", "swarmlab-images"],
          ["key", "swarmlab-key"],
          ["node", "swarmlab-swarm-manager"],
          ["node", "swarmlab-swarm-worker1"],
          ["node", "swarmlab-swarm-worker2"],
          ["overlay", "swarmlab-mynet"],
          ["service", "swarmlab-test"],
          ["swarm", "swarmlab-swarm"],
        ],
      );
      assert.equal(rec.registrations.length, 11, "stack + component + 9 parts, nothing else");
      for (const r of dynamic) {
        assert.equal(r.custom, true, `${r.name} is a custom resource`);
        assert.equal(r.type, partType(r.kind!), `${r.name}'s type token names its kind`);
        assert.equal(typeof r.inputs.__provider, "string", `${r.name} carries its serialised provider`);
        assert.ok(r.inputs.__provider.length > 0);
      }
      assert.deepEqual(rec.reads, [], "no resource reads");
      assert.deepEqual(rec.invokes, [], "no invokes");
    });

    it("makes every dynamic part a child of the SwarmLab component, and the component a child of the stack", async () => {
      const rec = await freshLab();
      await runProgram(rec);
      const stack = rec.registrations.find((r) => r.type === STACK_TYPE)!;
      const component = rec.registrations.find((r) => r.type === COMPONENT)!;
      assert.equal(stack.parent, "");
      assert.equal(component.parent, urnOf(stack));
      const dynamic = rec.registrations.filter((r) => r.kind);
      assert.equal(dynamic.length, 9);
      for (const r of dynamic) {
        assert.equal(r.parent, urnOf(component), `${r.name}'s parent`);
        assert.ok(urnOf(r).includes(`${COMPONENT}$${partType(r.kind!)}::${r.name}`), urnOf(r));
      }
    });

    it("declares three nodes swarm-manager, swarm-worker1, swarm-worker2 at 192.168.56.10/.11/.12, the manager first", async () => {
      const rec = await freshLab();
      await runProgram(rec);
      const nodes = parts(rec, "node");
      assert.deepEqual(
        nodes.map((r) => r.inputs.node),
        [
          { name: "swarm-manager", role: "manager", address: "192.168.56.10" },
          { name: "swarm-worker1", role: "worker", address: "192.168.56.11" },
          { name: "swarm-worker2", role: "worker", address: "192.168.56.12" },
        ],
      );
      for (const n of nodes) {
        assert.equal(n.inputs.spec.name, "swarmlab");
        assert.equal(n.inputs.root, PROJECT_ROOT);
        assert.equal(n.inputs.publicKey, PUBLIC_KEY, "the lab key's public half goes onto each node");
        assert.equal(n.inputs.privateKey, PRIVATE_KEY);
        assert.equal(n.inputs.images, "swarmlab-node:mock", "the node image from the images part");
      }
    });

    it("declares overlay mynet and service test pinging the upstream 192.168.56.254 with 2 replicas of busybox:latest", async () => {
      const rec = await freshLab();
      await runProgram(rec);
      const overlay = one(rec, "overlay");
      assert.equal(overlay.name, "swarmlab-mynet");
      assert.equal(overlay.inputs.name, "mynet");
      assert.equal(overlay.inputs.lab, "swarmlab");
      assert.equal(overlay.inputs.swarm, "swarm-mock-id", "the overlay takes the swarm's id");
      const service = one(rec, "service");
      assert.deepEqual(service.inputs.args, {
        lab: "swarmlab",
        name: "test",
        image: "busybox:latest",
        replicas: 2,
        network: "mynet",
        pingTarget: "192.168.56.254",
      });
      assert.equal(service.inputs.overlay, "overlay-mock-id", "the service takes the overlay's id");
    });

    it("orders the parts through dependencies: images, key -> base -> nodes -> swarm -> overlay -> service (so destroy removes the key last)", async () => {
      const rec = await freshLab();
      await runProgram(rec);
      const key = urnOf(one(rec, "key"));
      const images = urnOf(one(rec, "images"));
      const base = one(rec, "base");
      const nodes = parts(rec, "node");
      const swarm = one(rec, "swarm");
      const overlay = one(rec, "overlay");
      const service = one(rec, "service");
      const dependsOn = (r: Registration, ...urns: string[]) => {
        for (const u of urns) assert.ok(r.dependencies.includes(u), `${r.name} depends on ${u}; has ${r.dependencies.join(", ")}`);
      };
      assert.deepEqual(one(rec, "key").dependencies, []);
      assert.deepEqual(one(rec, "images").dependencies, []);
      assert.deepEqual([...base.dependencies].sort(), [images, key].sort());
      for (const n of nodes) dependsOn(n, urnOf(base), key, images);
      dependsOn(swarm, key, ...nodes.map(urnOf));
      assert.deepEqual([...swarm.propertyDependencies.nodes].sort(), nodes.map(urnOf).sort(), "swarm.nodes comes from every node");
      dependsOn(overlay, urnOf(swarm), key, urnOf(nodes[0]));
      dependsOn(service, urnOf(overlay), key, urnOf(nodes[0]));
    });

    it("replaces parts delete-first and marks privateKey (and the swarm's join tokens) as secret outputs", async () => {
      const rec = await freshLab();
      await runProgram(rec);
      for (const r of rec.registrations.filter((x) => x.kind)) {
        assert.equal(r.deleteBeforeReplace, true, `${r.name} deleteBeforeReplace`);
        assert.ok(r.additionalSecretOutputs.includes("privateKey"), `${r.name} keeps privateKey secret`);
      }
      assert.deepEqual([...one(rec, "swarm").additionalSecretOutputs].sort(), ["managerToken", "privateKey", "workerToken"]);
    });
  });

  describe("swarmlab:workers", () => {
    it("swarmlab:workers=3 gives four nodes at .10-.13 and the swarm part receives all four", async () => {
      const rec = await freshLab({ workers: "3" });
      const out = await runProgram(rec);
      const nodes = parts(rec, "node");
      assert.deepEqual(
        nodes.map((r) => [r.name, r.inputs.node.role, r.inputs.node.address]),
        [
          ["swarmlab-swarm-manager", "manager", "192.168.56.10"],
          ["swarmlab-swarm-worker1", "worker", "192.168.56.11"],
          ["swarmlab-swarm-worker2", "worker", "192.168.56.12"],
          ["swarmlab-swarm-worker3", "worker", "192.168.56.13"],
        ],
      );
      const swarm = one(rec, "swarm");
      assert.deepEqual(
        swarm.inputs.nodes.map((n: Props) => n.name),
        ["swarm-manager", "swarm-worker1", "swarm-worker2", "swarm-worker3"],
      );
      assert.equal(out.nodes.length, 4);
      assert.equal(one(rec, "service").inputs.args.replicas, 2, "replicas stay at the default 2");
    });
  });

  describe("what the parts receive", () => {
    it("the swarm part gets every node's access data (address, ssh host/port, user, host key) and the private key", async () => {
      const rec = await freshLab();
      await runProgram(rec);
      const swarm = one(rec, "swarm");
      assert.equal(swarm.inputs.lab, "swarmlab");
      assert.equal(swarm.inputs.privateKey, PRIVATE_KEY);
      assert.deepEqual(swarm.inputs.nodes, [
        { name: "swarm-manager", role: "manager", address: "192.168.56.10", sshHost: "192.168.56.10", sshPort: 22, username: "vagrant", hostKey: hostKeyOf("swarm-manager") },
        { name: "swarm-worker1", role: "worker", address: "192.168.56.11", sshHost: "192.168.56.11", sshPort: 22, username: "vagrant", hostKey: hostKeyOf("swarm-worker1") },
        { name: "swarm-worker2", role: "worker", address: "192.168.56.12", sshHost: "192.168.56.12", sshPort: 22, username: "vagrant", hostKey: hostKeyOf("swarm-worker2") },
      ]);
    });

    it("the overlay and service parts get the manager's access data and the private key", async () => {
      const rec = await freshLab();
      await runProgram(rec);
      const manager = {
        name: "swarm-manager", role: "manager", address: "192.168.56.10", sshHost: "192.168.56.10", sshPort: 22,
        username: "vagrant", hostKey: hostKeyOf("swarm-manager"),
      };
      for (const kind of ["overlay", "service"] as const) {
        const r = one(rec, kind);
        assert.deepEqual(r.inputs.manager, manager, `${kind}.manager`);
        assert.equal(r.inputs.privateKey, PRIVATE_KEY, `${kind}.privateKey`);
      }
    });

    it("the key and images parts get the project root and lab name; base gets the whole spec", async () => {
      const rec = await freshLab({ name: "lab2" });
      await runProgram(rec);
      assert.equal(one(rec, "key").name, "lab2-key");
      assert.deepEqual(
        Object.fromEntries(Object.entries(one(rec, "key").inputs).filter(([k]) => !k.startsWith("__"))),
        { root: PROJECT_ROOT, lab: "lab2" },
      );
      assert.deepEqual(
        Object.fromEntries(Object.entries(one(rec, "images").inputs).filter(([k]) => !k.startsWith("__"))),
        { root: PROJECT_ROOT, lab: "lab2" },
      );
      assert.deepEqual(one(rec, "base").inputs.spec, readSpec());
      assert.equal(rec.registrations.find((r) => r.type === COMPONENT)!.name, "lab2");
    });
  });

  describe("stack outputs", () => {
    it("the program's privateKey output is secret, and the rest of what it exports is not", async () => {
      const rec = await freshLab();
      const out = await swarmlabProgram();
      assert.equal(await pulumi.isSecret(out.privateKey), true, "privateKey");
      assert.equal(await valueOf(out.privateKey), PRIVATE_KEY);
      for (const k of ["nodes", "nodeAccess", "keyFile", "overlay", "tasks"] as const) {
        assert.equal(await pulumi.isSecret(out[k] as pulumi.Output<unknown>), false, `${k} is not secret`);
      }
      await valueOf(out);
      await outputsRegistered(rec, COMPONENT); // nothing of this run still in flight when the next test sets its mocks
    });

    it("the stack registers privateKey as a secret on the wire, the other outputs in the clear", async () => {
      const rec = await freshLab();
      await runProgram(rec);
      const wire = registeredOutputs(rec, STACK_TYPE);
      assert.ok(isWireSecret(wire.privateKey), `privateKey is serialised as a secret: ${JSON.stringify(wire.privateKey)}`);
      assert.equal(wire.privateKey.value, PRIVATE_KEY);
      for (const k of ["lab", "backend", "subnet", "nodes", "nodeAccess", "keyFile", "overlay", "tasks", "upstream", "pingTarget"]) {
        assert.ok(k in wire, `stack output ${k}`);
      }
      for (const [k, v] of Object.entries(wire).filter(([k]) => k !== "privateKey")) {
        assert.ok(!JSON.stringify(v).includes(pulumi.runtime.specialSecretSig), `${k} carries no secret`);
        assert.ok(!JSON.stringify(v).includes("PRIVATE KEY"), `${k} does not leak the private key`);
      }
    });

    it("nodes: name, role, address and an ssh command `ssh -i .swarmlab/<lab>/id_ed25519 ... vagrant@<address>`", async () => {
      const rec = await freshLab();
      const out = await runProgram(rec);
      assert.deepEqual(
        out.nodes.map((n: Props) => [n.name, n.role, n.address]),
        [
          ["swarm-manager", "manager", "192.168.56.10"],
          ["swarm-worker1", "worker", "192.168.56.11"],
          ["swarm-worker2", "worker", "192.168.56.12"],
        ],
      );
      for (const n of out.nodes) assert.deepEqual(Object.keys(n).sort(), ["address", "name", "role", "ssh"]);
      const ssh: string = out.nodes[0].ssh;
      assert.ok(ssh.startsWith("ssh "), ssh);
      assert.ok(ssh.includes("-i .swarmlab/swarmlab/id_ed25519"), ssh);
      assert.ok(ssh.includes("UserKnownHostsFile=.swarmlab/swarmlab/known_hosts"), ssh);
      assert.ok(ssh.endsWith(" vagrant@192.168.56.10"), ssh);
      assert.ok(out.nodes[2].ssh.endsWith(" vagrant@192.168.56.12"), out.nodes[2].ssh);
    });

    it("nodeAccess, keyFile, overlay (mynet 10.0.1.0/24 via 10.0.1.1), tasks, upstream and the lab's settings", async () => {
      const rec = await freshLab();
      const out = await runProgram(rec);
      assert.equal(out.lab, "swarmlab");
      assert.equal(out.backend, "docker");
      assert.equal(out.subnet, "192.168.56.0/24");
      assert.equal(out.pingTarget, "192.168.56.254");
      assert.deepEqual(out.upstream, { name: "upstream", address: "192.168.56.254" });
      assert.deepEqual(out.overlay, { name: "mynet", subnet: "10.0.1.0/24", gateway: "10.0.1.1" });
      assert.deepEqual(out.tasks, [
        { name: "test.1", node: "swarm-worker1", overlayIp: "10.0.1.3", containerId: "task-1" },
        { name: "test.2", node: "swarm-worker2", overlayIp: "10.0.1.4", containerId: "task-2" },
      ]);
      assert.equal(out.keyFile, `${PROJECT_ROOT}/.swarmlab/swarmlab/id_ed25519`);
      assert.deepEqual(
        out.nodeAccess.map((n: Props) => [n.name, n.sshHost, n.sshPort, n.username, n.hostKey]),
        [
          ["swarm-manager", "192.168.56.10", 22, "vagrant", hostKeyOf("swarm-manager")],
          ["swarm-worker1", "192.168.56.11", 22, "vagrant", hostKeyOf("swarm-worker1")],
          ["swarm-worker2", "192.168.56.12", 22, "vagrant", hostKeyOf("swarm-worker2")],
        ],
      );
    });

    it("the SwarmLab component registers nodes, overlay, tasks and upstream as its outputs", async () => {
      const rec = await freshLab();
      await runProgram(rec);
      const registered = registeredOutputs(rec, COMPONENT);
      assert.deepEqual(Object.keys(registered).sort(), ["nodes", "overlay", "tasks", "upstream"]);
      assert.deepEqual(registered.upstream, { name: "upstream", address: "192.168.56.254" });
      assert.equal(registered.nodes.length, 3);
    });
  });

  describe("config", () => {
    it("readSpec() reads only the swarmlab: namespace of the stack's config", async () => {
      await freshLab();
      pulumi.runtime.setAllConfig({ "swarmlab:workers": "1", "aws:region": "eu-west-1", "other:workers": "9" });
      const spec = readSpec();
      assert.deepEqual(spec.nodes.map((n) => n.name), ["swarm-manager", "swarm-worker1"]);
      assert.equal(spec.service.replicas, 1);
      assert.deepEqual(swarmlabSettings({ "swarmlab:a": "1", "x:swarmlab:b": "2", swarmlab: "3" }), { a: "1" });
    });

    for (const [key, value] of [
      ["workers", "0"],
      ["subnet", "10.1.0.0/24"],
      ["replicas", "3"],
      ["colour", "blue"],
      ["backend", "vagrant"], // a known backend that this version cannot run yet
    ] as const) {
      it(`bad config swarmlab:${key}=${value} makes the program throw a ConfigError on ${key} and declare no resource at all`, async () => {
        const rec = await freshLab({ [key]: value });
        await assert.rejects(swarmlabProgram(), (e: unknown) => {
          assert.ok(e instanceof ConfigError, `a ConfigError, got ${String(e)}`);
          assert.equal(e.key, key);
          assert.equal(e.value, value);
          assert.ok(e.message.startsWith(`swarmlab:${key} = "${value}": `), e.message);
          return true;
        });
        // give any stray registration a chance to reach the monitor before looking
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(rec.registrations, [], "nothing is declared");
      });
    }
  });
});
