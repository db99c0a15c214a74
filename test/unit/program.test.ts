// The Pulumi program's resource graph, under Pulumi's mocks: no CLI, no engine, no Docker. Every resource the program
// registers goes through a mock monitor that records it (type, name, inputs, parent, dependencies, options) and answers
// with plausible outputs for its kind of lab part, keyed by the outputs the part declares in lab/parts/.
//
// Mocks, config and the root stack resource are process-global in Pulumi's runtime, so every test starts from
// freshLab(): a new mock monitor (pulumi.runtime.setMocks resets the runtime's settings and root resource), a new
// record of registrations, and config replaced wholesale (pulumi.runtime.setAllConfig).
//
// The mocks run as a preview: the program observes the lab (SSH into every node) only outside previews, and a unit
// test must never try that. Nor does it read this host: the program gets fixture host facts (host-fixtures.ts).
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  ProgramHost,
  readSpec,
  specFromConfig,
  stackConfig,
  stackSettingsFile,
  swarmlabProgram,
  swarmlabSettings,
  THIS_HOST,
} from "../../infra/program";
import { PROJECT_ROOT } from "../../infra/provider";
import { partType, SwarmLab } from "../../infra/swarmlab";
import { ConfigError, labSpecFromConfig } from "../../lab/config";
import { OUTPUT_NAMES, outputsOf } from "../../lab/outputs";
import { founderOf, workersOf } from "../../lab/types";
import { parts, PartKind } from "../../lab/parts";
import type { NodeAccess } from "../../lab/sessions";
import type { TaskInfo } from "../../lab/steps/service";
import { CLEAN_HOST, fixtureHost, hostWith } from "./host-fixtures";
import { inputKeys, OutputsOf, requiredInputKeys } from "./part-inputs";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;

const PROJECT = "swarmlab";
const STACK = "unit";
const COMPONENT = "swarmlab:index:SwarmLab";
const STACK_TYPE = "pulumi:pulumi:Stack";
const KINDS = Object.keys(parts) as PartKind[];

const OWNER = `${STACK}.0badc0de`;
const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nbW9jayBrZXk=\n-----END OPENSSH PRIVATE KEY-----\n";
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockMockMockMockMockMockMockMockMockMockMock swarmlab-swarmlab";
const NODE_IMAGE = "swarmlab-node:latest";
const NODE_RECIPE = "0123456789abcdef";
const SWARM_ID = "swarm-mock-id";
const WORKER_TOKEN = "SWMTKN-1-worker";
const NETWORK_ID = "overlay-mock-id";
const hostKeyOf = (name: string) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHost${name.replace(/-/g, "")} ${name}`;

/** What each kind of part would give back for these inputs: every output its module declares (tsc checks the keys). */
const MOCK_OUTPUTS: { [K in PartKind]: (i: Props) => OutputsOf<(typeof parts)[K]> } = {
  claim: () => ({ owner: OWNER }),
  key: (i) => ({ publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY, keyFile: `.swarmlab/${i.lab}/id_ed25519` }),
  images: () => ({ node: NODE_IMAGE, busybox: "busybox:latest", nodeRecipe: NODE_RECIPE }),
  base: () => ({}),
  node: (i) => ({
    machine: `container-${i.name}`,
    sshHost: i.address,
    sshPort: 22,
    username: "vagrant",
    hostKey: hostKeyOf(i.name),
    via: "direct",
    jump: null,
  }),
  swarm: () => ({ swarmId: SWARM_ID, workerToken: WORKER_TOKEN, managerToken: "SWMTKN-1-manager" }),
  join: (i) => ({ nodeId: `node-${i.worker.name}` }),
  overlay: () => ({ networkId: NETWORK_ID, subnet: "10.0.1.0/24", gateway: "10.0.1.1" }),
  service: (i) => ({ serviceId: `service-${i.name}`, tasks: mockTasks(i.name, i.replicas) }),
};

function mockTasks(service: string, replicas: number): TaskInfo[] {
  return Array.from({ length: replicas }, (_, i) => ({
    name: `${service}.${i + 1}`,
    node: `swarm-worker${i + 1}`,
    overlayIp: `10.0.1.${3 + i}`,
    containerId: `task-${i + 1}`,
  }));
}

/** The declared outputs of a part, as its dynamic provider would return them. */
function partOutputs(kind: PartKind, inputs: Props): Props {
  const made = MOCK_OUTPUTS[kind](inputs) as Props;
  return Object.fromEntries(
    parts[kind].outputs.map((k) => {
      assert.ok(k in made, `the mock gives ${kind}'s declared output ${k}`);
      return [k, made[k]];
    }),
  );
}

/** The state with these properties marked secret, as the engine marks a resource's additionalSecretOutputs. */
function withSecrets(state: Props, secrets: string[]): Props {
  const wrap = (k: string, v: unknown) => (secrets.includes(k) ? { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: v } : v);
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, wrap(k, v)]));
}

/** One resource registration as the engine would receive it. */
interface Registration {
  type: string;
  name: string;
  custom: boolean;
  /** Inputs as the mock's newResource saw them, secrets revealed. */
  inputs: Props;
  /** Inputs as they went over the wire (secrets still wrapped in secret markers). */
  wireInputs: Props;
  /** What the mock answered: the inputs plus the part's outputs, as a dynamic provider keeps them. */
  state: Props;
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  additionalSecretOutputs: string[];
  deleteBeforeReplace: boolean;
  urn?: string;
  /** The part's kind, for dynamic resources (found from the type token). */
  kind?: PartKind;
}

interface Recorder {
  registrations: Registration[];
  /** Outputs sent with registerOutputs, by URN, as they go over the wire (secrets still wrapped in secret markers). */
  outputs: Map<string, Props>;
  reads: string[];
  invokes: string[];
}

const kindOfType = (type: string) => KINDS.find((k) => partType(parts[k]) === type);
const withoutPulumiKeys = (props: Props) => Object.fromEntries(Object.entries(props).filter(([k]) => !k.startsWith("__")));

/** Fresh mocks (as a preview), a fresh record and the given swarmlab: settings (all other config dropped). */
async function freshLab(settings: Record<string, string> = {}): Promise<Recorder> {
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(settings).map(([k, v]) => [`swarmlab:${k}`, v])));
  const rec: Recorder = { registrations: [], outputs: new Map(), reads: [], invokes: [] };
  const pending = new Map<string, Registration>();
  const keyOf = (type: string, name: string) => `${type}::${name}`;

  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      const r = pending.get(keyOf(args.type, args.name));
      if (!r) {
        rec.reads.push(keyOf(args.type, args.name)); // a read (get), not a registration: the program makes none
        return { id: args.id, state: {} };
      }
      pending.delete(keyOf(args.type, args.name));
      r.wireInputs = args.inputs;
      r.inputs = revealed(args.inputs);
      if (r.type === STACK_TYPE || r.type === COMPONENT) return { id: undefined, state: {} };
      r.kind = kindOfType(r.type);
      assert.ok(r.kind, `${r.name}'s type ${r.type} is the token of a part in lab/parts/index.ts`);
      const own = withoutPulumiKeys(r.inputs);
      r.state = { ...own, ...partOutputs(r.kind, own) };
      return { id: `${r.kind}-${r.name}`, state: withSecrets(r.state, r.additionalSecretOutputs) };
    },
    call(args) {
      rec.invokes.push(args.token);
      throw new Error(`the program should invoke nothing, invoked ${args.token}`);
    },
  };
  await pulumi.runtime.setMocks(mocks, PROJECT, STACK, true);
  assert.equal(pulumi.runtime.isDryRun(), true, "the mocks run as a preview, so the program does not observe the lab over SSH");

  // MockResourceArgs carries neither parent nor dependencies nor options: read them off the request itself.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const monitor = pulumi.runtime.getMonitor() as any;
  assert.ok(monitor && typeof monitor.registerResource === "function", "setMocks installed a mock monitor");
  const registerResource = monitor.registerResource.bind(monitor);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) => {
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps: { getUrnsList(): string[] }, key: string) => {
      propertyDependencies[key] = deps.getUrnsList();
    });
    const r: Registration = {
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      inputs: {},
      wireInputs: {},
      state: {},
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      propertyDependencies,
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
    };
    rec.registrations.push(r);
    pending.set(keyOf(r.type, r.name), r);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return registerResource(req, (err: unknown, resp: any) => {
      if (resp) r.urn = resp.getUrn();
      callback(err, resp);
    });
  };
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  monitor.registerResourceOutputs = (req: any, callback: (err: unknown, resp: unknown) => void) => {
    rec.outputs.set(req.getUrn(), req.getOutputs().toJavaScript());
    return registerResourceOutputs(req, callback);
  };
  return rec;
}

/**
 * Runs the program as the Automation API's inline program runs: under a root Stack resource. Returns the stack's
 * outputs once the stack has also sent them to the monitor (registerOutputs is asynchronous and lands after
 * runInPulumiStack resolves), so no RPC of this run is still in flight when the next test installs its mocks.
 */
async function runProgram(rec: Recorder, host: ProgramHost = fixtureHost()): Promise<Props> {
  const outputs = (await pulumi.runtime.runInPulumiStack(() => swarmlabProgram(host))) as Props;
  await outputsRegistered(rec, STACK_TYPE);
  return outputs;
}

/** A fresh lab with these settings, run: its record and the stack's outputs. */
async function labWith(settings: Record<string, string> = {}): Promise<{ rec: Recorder; out: Props }> {
  const rec = await freshLab(settings);
  return { rec, out: await runProgram(rec) };
}

/** Waits (up to 5 s) until the resource of this type has sent its outputs to the monitor. */
async function outputsRegistered(rec: Recorder, type: string): Promise<void> {
  const urn = () => rec.registrations.find((r) => r.type === type)?.urn;
  for (let waited = 0; !(urn() && rec.outputs.has(urn()!)); waited += 10) {
    assert.ok(waited < 5_000, `${type} registered its outputs within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const dynamicParts = (rec: Recorder) => rec.registrations.filter((r) => r.kind);
const partsOf = (rec: Recorder, kind: PartKind) => rec.registrations.filter((r) => r.kind === kind);

function one(rec: Recorder, kind: PartKind): Registration {
  const found = partsOf(rec, kind);
  assert.equal(found.length, 1, `exactly one ${kind} part, got ${found.map((r) => r.name).join(", ") || "none"}`);
  return found[0];
}

function byType(rec: Recorder, type: string): Registration {
  const found = rec.registrations.filter((r) => r.type === type);
  assert.equal(found.length, 1, `exactly one ${type}`);
  return found[0];
}

function urnOf(r: Registration): string {
  assert.ok(r.urn, `${r.name} got a URN`);
  return r.urn;
}

/** What the resource of that type sent with registerOutputs (asserting it did). */
function registeredOutputs(rec: Recorder, type: string): Props {
  const outputs = rec.outputs.get(urnOf(byType(rec, type)));
  assert.ok(outputs, `${type} called registerOutputs`);
  return outputs;
}

/** Is v a serialised secret (as it goes over the wire with secrets kept)? */
function isWireSecret(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Props)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** The value with every secret replaced by what it holds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function revealed(v: any): any {
  if (isWireSecret(v)) return revealed(v.value);
  if (Array.isArray(v)) return v.map(revealed);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revealed(x)]));
  return v;
}

/** The part's own inputs: without Pulumi's keys and without the outputs it declares up front. */
function ownInputs(r: Registration): Props {
  const outputs: readonly string[] = parts[r.kind!].outputs;
  return Object.fromEntries(Object.entries(withoutPulumiKeys(r.inputs)).filter(([k]) => !outputs.includes(k)));
}

/** Every [path, string] inside a value, depth first. */
function stringsIn(v: unknown, at = ""): [string, string][] {
  if (typeof v === "string") return [[at, v]];
  if (typeof v !== "object" || v === null) return [];
  return Object.entries(v).flatMap(([k, x]) => stringsIn(x, `${at}.${k}`));
}

/** Every key inside a value, depth first. */
function keysIn(v: unknown): string[] {
  if (typeof v !== "object" || v === null) return [];
  return Object.entries(v).flatMap(([k, x]) => (Array.isArray(v) ? keysIn(x) : [k, ...keysIn(x)]));
}

/** Each part as "<kind> <name>", sorted (registration order depends on when each part's inputs resolve). */
const kindsAndNames = (rec: Recorder) =>
  dynamicParts(rec)
    .map((r) => `${r.kind} ${r.name}`)
    .sort();

/** The expected access data of a node, as the program passes it from the node's outputs to later parts. */
function accessOf(name: string, role: "manager" | "worker", address: string): NodeAccess {
  return { name, role, address, machine: `container-${name}`, sshHost: address, sshPort: 22, username: "vagrant", hostKey: hostKeyOf(name) };
}
const MANAGER = accessOf("swarm-manager", "manager", "192.168.56.10");
const WORKERS = [accessOf("swarm-worker1", "worker", "192.168.56.11"), accessOf("swarm-worker2", "worker", "192.168.56.12")];

describe("infra program (Pulumi mocks, as a preview)", function () {
  // dynamic resources serialise their provider closure on construction, even under mocks
  this.timeout(30_000);

  afterEach(() => {
    pulumi.runtime.setAllConfig({});
  });

  describe("the default lab", () => {
    it("registers one SwarmLab component and, as its children, exactly claim, key, images, base, three nodes, swarm, two joins, overlay and service", async () => {
      const { rec } = await labWith();
      const stack = byType(rec, STACK_TYPE);
      const component = byType(rec, COMPONENT);
      assert.equal(stack.parent, "");
      assert.equal(component.name, "swarmlab");
      assert.equal(component.custom, false);
      assert.equal(component.parent, urnOf(stack));

      const expected: [PartKind, string][] = [
        ["claim", "swarmlab-claim"],
        ["key", "swarmlab-key"],
        ["images", "swarmlab-images"],
        ["base", "swarmlab-base"],
        ["node", "swarmlab-swarm-manager"],
        ["node", "swarmlab-swarm-worker1"],
        ["node", "swarmlab-swarm-worker2"],
        ["swarm", "swarmlab-swarm"],
        ["join", "swarmlab-swarm-worker1-join"],
        ["join", "swarmlab-swarm-worker2-join"],
        ["overlay", "swarmlab-mynet"],
        ["service", "swarmlab-test"],
      ];
      const children = rec.registrations.filter((r) => r !== stack && r !== component);
      assert.deepEqual(children.map((r) => `${r.type} ${r.name}`).sort(), expected.map(([kind, name]) => `${partType(parts[kind])} ${name}`).sort());
      for (const r of children) {
        assert.equal(r.custom, true, `${r.name} is a custom resource`);
        assert.equal(r.parent, urnOf(component), `${r.name}'s parent`);
        assert.match(r.type, /^pulumi-nodejs:dynamic\/swarmlab:[A-Z]\w+$/);
        assert.ok(typeof r.inputs.__provider === "string" && r.inputs.__provider.length > 0, `${r.name} carries its serialised provider`);
      }
      assert.deepEqual(rec.reads, [], "no resource reads");
      assert.deepEqual(rec.invokes, [], "no invokes");
    });

    it("gives each part exactly the inputs its module declares (a node its own settings, not the whole spec)", async () => {
      const { rec } = await labWith();
      for (const r of dynamicParts(rec)) {
        const given = Object.keys(ownInputs(r)).sort();
        assert.deepEqual(
          given.filter((k) => !inputKeys(r.kind!).includes(k)),
          [],
          `${r.name} gets inputs its module does not declare`,
        );
        assert.deepEqual(
          requiredInputKeys(r.kind!).filter((k) => !given.includes(k)),
          [],
          `${r.name} misses inputs`,
        );
      }
      assert.deepEqual(
        partsOf(rec, "node").map(ownInputs),
        [MANAGER, ...WORKERS].map(({ name, role, address }) => ({
          lab: "swarmlab",
          owner: OWNER,
          backend: "docker",
          name,
          role,
          address,
          egress: "none",
          authorizedKey: PUBLIC_KEY,
          privateKey: PRIVATE_KEY,
          nodeRecipe: NODE_RECIPE,
          images: ["busybox:latest"],
        })),
      );
    });

    it("passes no spec, no root and no path of the checkout in any input or output", async () => {
      const { rec } = await labWith();
      const recorded: [string, unknown][] = [
        ...rec.registrations.flatMap((r): [string, unknown][] => [
          [`${r.name} inputs`, r.inputs],
          [`${r.name} state`, r.state],
        ]),
        ...[...rec.outputs].map(([urn, o]): [string, unknown] => [`${urn} outputs`, o]),
      ];
      for (const [what, value] of recorded) {
        for (const k of keysIn(value)) assert.ok(k !== "spec" && k !== "root", `${what} has no ${k}`);
        for (const [at, s] of stringsIn(value)) {
          assert.ok(!s.includes(PROJECT_ROOT), `${what}${at} names the checkout: ${s.slice(0, 200)}`);
          assert.ok(!s.startsWith("/"), `${what}${at} is an absolute path: ${s.slice(0, 200)}`);
        }
      }
    });

    it("orders the parts: key and images after claim, base after key, nodes after base; later parts take the outputs they consume", async () => {
      const { rec } = await labWith();
      const [claim, key, images, base, swarm, overlay] = (["claim", "key", "images", "base", "swarm", "overlay"] as const).map((k) =>
        urnOf(one(rec, k)),
      );
      const nodes = partsOf(rec, "node").map(urnOf);
      const joins = partsOf(rec, "join");
      const dependsOn = (r: Registration, ...urns: string[]) => {
        for (const u of urns) assert.ok(r.dependencies.includes(u), `${r.name} depends on ${u}; has ${r.dependencies.join(", ")}`);
      };
      const takes = (r: Registration, deps: Record<string, string[]>) => {
        for (const [input, urns] of Object.entries(deps)) {
          assert.deepEqual([...(r.propertyDependencies[input] ?? [])].sort(), [...urns].sort(), `${r.name}.${input} comes from`);
        }
      };

      assert.deepEqual(one(rec, "claim").dependencies, []);
      assert.deepEqual(one(rec, "key").dependencies, [claim]);
      assert.deepEqual(one(rec, "images").dependencies, [claim]);
      dependsOn(one(rec, "base"), key);
      takes(one(rec, "base"), { owner: [claim], upstreamImage: [images] });
      for (const n of partsOf(rec, "node")) {
        dependsOn(n, base);
        takes(n, { owner: [claim], authorizedKey: [key], privateKey: [key], nodeRecipe: [images] });
      }
      takes(one(rec, "swarm"), { manager: [nodes[0]], privateKey: [key] });
      assert.deepEqual(
        joins.map((j) => j.propertyDependencies.worker),
        nodes.slice(1).map((n) => [n]),
        "each join takes its own worker",
      );
      for (const j of joins) takes(j, { manager: [nodes[0]], swarmId: [swarm], workerToken: [swarm], privateKey: [key] });
      takes(one(rec, "overlay"), { manager: [nodes[0]], swarmId: [swarm], privateKey: [key] });
      takes(one(rec, "service"), { manager: [nodes[0]], networkId: [overlay], privateKey: [key] });
      dependsOn(one(rec, "service"), ...joins.map(urnOf));
    });

    it("finds the manager and the workers by their role, wherever the spec lists them", async () => {
      const rec = await freshLab();
      const spec = labSpecFromConfig({});
      const managerLast = { ...spec, nodes: [...workersOf(spec.nodes), founderOf(spec.nodes)] };
      await pulumi.runtime.runInPulumiStack(async () => void new SwarmLab(spec.name, { spec: managerLast, stack: "dev" }));
      await outputsRegistered(rec, COMPONENT);
      assert.deepEqual(one(rec, "swarm").inputs.manager, MANAGER);
      assert.deepEqual(
        partsOf(rec, "join").map((j) => [j.name, j.inputs.worker, j.inputs.manager]),
        WORKERS.map((w) => [`swarmlab-${w.name}-join`, w, MANAGER]),
      );
      assert.deepEqual(one(rec, "service").inputs.manager, MANAGER);
    });

    it("hands the swarm, joins, overlay and service the manager's (and each join its worker's) access as its node reported it", async () => {
      const { rec } = await labWith();
      const nodeSpec = (role: string) => ({ role, availability: "active", labels: {} });
      assert.deepEqual(ownInputs(one(rec, "swarm")), {
        lab: "swarmlab",
        owner: OWNER,
        manager: MANAGER,
        nodeSpec: nodeSpec("manager"),
        privateKey: PRIVATE_KEY,
      });
      assert.deepEqual(
        partsOf(rec, "join").map(ownInputs),
        WORKERS.map((worker) => ({
          lab: "swarmlab",
          worker,
          manager: MANAGER,
          swarmId: SWARM_ID,
          workerToken: WORKER_TOKEN,
          nodeSpec: nodeSpec("worker"),
          privateKey: PRIVATE_KEY,
        })),
      );
      assert.deepEqual(ownInputs(one(rec, "overlay")), {
        lab: "swarmlab",
        name: "mynet",
        swarmId: SWARM_ID,
        manager: MANAGER,
        privateKey: PRIVATE_KEY,
      });
      assert.deepEqual(ownInputs(one(rec, "service")), {
        lab: "swarmlab",
        name: "test",
        image: "busybox:latest",
        replicas: 2,
        network: "mynet",
        pingTarget: "192.168.56.254",
        placement: { constraints: ["node.role==worker"], preferences: [], maxPerNode: 1 },
        mode: "replicated",
        endpoint: { mode: "vip", ports: [] },
        extras: [],
        networkId: NETWORK_ID,
        manager: MANAGER,
        privateKey: PRIVATE_KEY,
      });
    });

    it("replaces every part delete-first, keeps privateKey and the swarm's tokens secret, and sends the join token and private key as secrets", async () => {
      const { rec } = await labWith();
      for (const r of dynamicParts(rec)) {
        assert.equal(r.deleteBeforeReplace, true, `${r.name} deleteBeforeReplace`);
        assert.ok(r.additionalSecretOutputs.includes("privateKey"), `${r.name} keeps privateKey secret`);
        if ("privateKey" in ownInputs(r)) assert.ok(isWireSecret(r.wireInputs.privateKey), `${r.name}'s privateKey input is sent as a secret`);
      }
      assert.deepEqual([...new Set(one(rec, "swarm").additionalSecretOutputs)].sort(), ["managerToken", "privateKey", "workerToken"]);
      for (const j of partsOf(rec, "join")) assert.ok(isWireSecret(j.wireInputs.workerToken), `${j.name}'s workerToken is sent as a secret`);
    });
  });

  describe("a setting changes only what it names", () => {
    /** Each part's own inputs by name. */
    const inputsByName = (rec: Recorder) => new Map(dynamicParts(rec).map((r) => [r.name, ownInputs(r)]));

    it("swarmlab:workers=3 adds exactly the node swarm-worker3 and its join", async () => {
      const before = kindsAndNames((await labWith()).rec);
      const { rec } = await labWith({ workers: "3" });
      const after = kindsAndNames(rec);
      assert.deepEqual(
        after.filter((x) => !before.includes(x)),
        ["join swarmlab-swarm-worker3-join", "node swarmlab-swarm-worker3"],
      );
      assert.deepEqual(
        before.filter((x) => !after.includes(x)),
        [],
      );
      const worker3 = accessOf("swarm-worker3", "worker", "192.168.56.13");
      assert.equal(partsOf(rec, "node")[3].inputs.address, worker3.address);
      assert.deepEqual(partsOf(rec, "join")[2].inputs.worker, worker3);
    });

    it("swarmlab:replicas=1 changes the service's replicas input and no other input of any part", async () => {
      const before = inputsByName((await labWith()).rec);
      const after = inputsByName((await labWith({ replicas: "1" })).rec);
      assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
      for (const [name, inputs] of before) {
        const expected = name === "swarmlab-test" ? { ...inputs, replicas: 1 } : inputs;
        assert.deepEqual(after.get(name), expected, `${name}'s inputs`);
      }
    });
  });

  describe("stack outputs", () => {
    it("exports exactly the lab's outputs, privateKey as a secret on the wire and nothing else secret", async () => {
      const { rec } = await labWith();
      const wire = registeredOutputs(rec, STACK_TYPE);
      assert.deepEqual(Object.keys(wire).sort(), [
        "backend",
        "keyFile",
        "lab",
        "nodeAccess",
        "nodes",
        "overlay",
        "owner",
        "pingTarget",
        "privateKey",
        "problems",
        "remake",
        "replicas",
        "service",
        "sshConfig",
        "subnet",
        "tasks",
        "upstream",
      ]);
      assert.ok(isWireSecret(wire.privateKey), `privateKey is serialised as a secret: ${JSON.stringify(wire.privateKey)}`);
      assert.equal(wire.privateKey.value, PRIVATE_KEY);
      for (const [k, v] of Object.entries(wire).filter(([k]) => k !== "privateKey")) {
        assert.ok(!JSON.stringify(v).includes(pulumi.runtime.specialSecretSig), `${k} carries no secret`);
        assert.ok(!JSON.stringify(v).includes("PRIVATE KEY"), `${k} does not leak the private key`);
      }
    });

    it("nodes: name, role, address and an ssh command relative to the project folder", async () => {
      const { out } = await labWith();
      const ssh = (address: string) => `ssh -i .swarmlab/swarmlab/id_ed25519 -o UserKnownHostsFile=.swarmlab/swarmlab/known_hosts vagrant@${address}`;
      assert.deepEqual(
        out.nodes,
        [MANAGER, ...WORKERS].map(({ name, role, address }) => ({ name, role, address, ssh: ssh(address) })),
      );
    });

    it("sshConfig: one Host per node, by its name, with the lab's key and known_hosts relative to the project folder", async () => {
      const { out } = await labWith();
      const hosts = [...String(out.sshConfig).matchAll(/^Host (\S+)\n {2}HostName (\S+)\n/gm)].map((m) => [m[1], m[2]]);
      assert.deepEqual(
        hosts,
        [MANAGER, ...WORKERS].map((n) => [n.name, n.address]),
      );
      assert.match(String(out.sshConfig), /^ {2}IdentityFile \.swarmlab\/swarmlab\/id_ed25519$/m);
      assert.match(String(out.sshConfig), /^ {2}UserKnownHostsFile \.swarmlab\/swarmlab\/known_hosts$/m);
      assert.match(String(out.sshConfig), /^ {2}StrictHostKeyChecking yes$/m);
    });

    it("lab, owner, backend, subnet, nodeAccess, keyFile, overlay, service, replicas, tasks, problems, upstream and pingTarget", async () => {
      const { out } = await labWith();
      assert.equal(out.lab, "swarmlab");
      assert.equal(out.owner, OWNER);
      assert.equal(out.backend, "docker");
      assert.equal(out.subnet, "192.168.56.0/24");
      assert.deepEqual(out.nodeAccess, [MANAGER, ...WORKERS]);
      assert.equal(out.keyFile, ".swarmlab/swarmlab/id_ed25519");
      assert.deepEqual(out.overlay, { name: "mynet", subnet: "10.0.1.0/24", gateway: "10.0.1.1" });
      assert.equal(out.service, "test");
      assert.equal(out.replicas, 2);
      // a preview does not observe the lab: the tasks are the service's recorded ones and there are no problems
      assert.deepEqual(out.tasks, mockTasks("test", 2));
      assert.deepEqual(out.problems, []);
      assert.deepEqual(out.remake, []);
      assert.deepEqual(out.upstream, { name: "upstream", address: "192.168.56.254" });
      assert.equal(out.pingTarget, "192.168.56.254");
    });

    it("are what every reader takes: outputsOf reads them as they are, and LabOutputs names each of them", async () => {
      const { out } = await labWith();
      const raw = Object.fromEntries(Object.entries(out).map(([k, value]) => [k, { value }]));
      assert.deepEqual(outputsOf(raw, "dev"), out);
      assert.deepEqual([...OUTPUT_NAMES].sort(), Object.keys(out).sort());
    });

    it("the SwarmLab component registers nodes, overlay, tasks and upstream as its outputs", async () => {
      const { rec } = await labWith();
      const registered = registeredOutputs(rec, COMPONENT);
      assert.deepEqual(Object.keys(registered).sort(), ["nodes", "overlay", "tasks", "upstream"]);
      assert.deepEqual(registered.upstream, { name: "upstream", address: "192.168.56.254" });
      assert.equal(registered.nodes.length, 3);
    });
  });

  describe("settings", () => {
    it("readSpec() reads only the swarmlab: namespace of the stack's config", async () => {
      await freshLab();
      pulumi.runtime.setAllConfig({ "swarmlab:workers": "1", "aws:region": "eu-west-1", "other:workers": "9" });
      const spec = readSpec();
      assert.deepEqual(
        spec.nodes.map((n) => n.name),
        ["swarm-manager", "swarm-worker1"],
      );
      assert.equal(spec.service.replicas, 1);
      assert.deepEqual(swarmlabSettings({ "swarmlab:a": "1", "x:swarmlab:b": "2", swarmlab: "3" }), { a: "1" });
    });

    it("stackConfig() reads every namespace through pulumi.Config, keeping which keys are secrets", async () => {
      await freshLab();
      const config = { "swarmlab:workers": "1", "aws:region": "eu-west-1", "swarmlab:name": "hush-q7" };
      pulumi.runtime.setAllConfig(config, ["swarmlab:name"]);
      assert.deepEqual(stackConfig(), {
        "swarmlab:workers": { value: "1", secret: false },
        "aws:region": { value: "eu-west-1", secret: false },
        "swarmlab:name": { value: "hush-q7", secret: true },
      });
    });

    it("a secret swarmlab: setting is refused before anything is declared, its value nowhere", async () => {
      const rec = await freshLab();
      pulumi.runtime.setAllConfig({ "swarmlab:subnet": "192.168.57.0/24" }, ["swarmlab:subnet"]);
      assert.throws(() => readSpec(), /^ConfigError: swarmlab:subnet = \[secret\]: kept as a secret/);
      const host = fixtureHost();
      await assert.rejects(swarmlabProgram(host), (e: unknown) => {
        assert.ok(e instanceof ConfigError, `a ConfigError, got ${String(e)}`);
        assert.ok(!`${e.message} ${e.fix} ${JSON.stringify(e)}`.includes("192.168.57"), e.message);
        assert.equal(e.fix, 'pulumi config set swarmlab:subnet "$(pulumi config get swarmlab:subnet)"');
        return true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(rec.registrations, [], "nothing is declared");
      assert.deepEqual(host.reads, [], "refused before the host is read");
    });

    it("the settings file's text is compared with Pulumi's reading: workers: 010, read as 8, is refused", async () => {
      const rec = await freshLab({ workers: "8" });
      const file = { name: "Pulumi.unit.yaml", text: "config:\n  swarmlab:workers: 010\n" };
      const asked: string[] = [];
      const host = { ...fixtureHost(), settingsFile: (stack: string) => (asked.push(stack), file) };
      const refusal = /Pulumi\.unit\.yaml says 010, which Pulumi reads as 8/;
      await assert.rejects(swarmlabProgram(host), (e: unknown) => e instanceof ConfigError && refusal.test(e.message));
      assert.deepEqual(asked, [STACK], "the file of the stack being run");
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(rec.registrations, [], "nothing is declared");
    });

    it("the Automation API's getAllConfig shape ({value, secret}) is taken as it is, secrets refused", () => {
      assert.equal(specFromConfig({ "swarmlab:workers": { value: "3", secret: false } }).nodes.length, 4);
      const secret = { "swarmlab:workers": { value: "3", secret: true } };
      assert.throws(() => specFromConfig(secret), /^ConfigError: swarmlab:workers = \[secret\]/);
      const file = { name: "Pulumi.dev.yaml", text: "config:\n  swarmlab:workers: 010\n" };
      assert.throws(() => specFromConfig({ "swarmlab:workers": "8" }, file), /says 010/);
    });

    it("stackSettingsFile reads Pulumi.<stack>.yaml beside Pulumi.yaml (org/project/stack: by its last name)", () => {
      const root = mkdtempSync(path.join(os.tmpdir(), "swarmlab-settings-"));
      try {
        writeFileSync(path.join(root, "Pulumi.dev.yaml"), "config:\n  swarmlab:workers: 3\n");
        const text = "config:\n  swarmlab:workers: 3\n";
        assert.deepEqual(stackSettingsFile("dev", root), { name: "Pulumi.dev.yaml", text });
        assert.deepEqual(stackSettingsFile("organization/swarmlab/dev", root), stackSettingsFile("dev", root));
        assert.equal(stackSettingsFile("other", root), undefined);
        assert.equal(typeof THIS_HOST.settingsFile, "function", "the real program compares the file");
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    for (const [key, value] of [
      ["workers", "0"],
      ["subnet", "10.1.0.0/24"],
      ["replicas", "3"],
      ["colour", "blue"],
      ["backend", "podman"], // a backend this version does not know
    ] as const) {
      it(`bad setting swarmlab:${key}=${value} makes the program throw a ConfigError on ${key} before declaring any resource`, async () => {
        const rec = await freshLab({ [key]: value });
        const host = fixtureHost();
        await assert.rejects(swarmlabProgram(host), (e: unknown) => {
          assert.ok(e instanceof ConfigError, `a ConfigError, got ${String(e)}`);
          assert.equal(e.key, key);
          assert.equal(e.value, value);
          assert.ok(e.message.startsWith(`swarmlab:${key} = "${value}": `), e.message);
          return true;
        });
        // give any stray registration a chance to reach the monitor before looking
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(rec.registrations, [], "nothing is declared");
        assert.deepEqual(host.reads, [], "settings wrong in themselves are refused before the host is read");
      });
    }

    for (const [what, settings, facts, message] of [
      [
        "a subnet on a route of the host",
        { subnet: "192.168.1.0/24" },
        hostWith({ addRoutes: [{ dst: "192.168.1.0/24", dev: "wlan0" }] }),
        "swarmlab:subnet = \"192.168.1.0/24\": overlaps the host's route 192.168.1.0/24 dev wlan0: the lab network would hide it on this host, and the lab's egress rule drops what is forwarded to it. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24",
      ],
      [
        "an image this host does not have",
        { image: "alpine:3.19" },
        CLEAN_HOST,
        "swarmlab:image = \"alpine:3.19\": not on this machine: the nodes take the service's image from this host's Docker engine (they have no registry), and the lab makes only busybox:latest. Fix: pulumi config set swarmlab:image busybox:latest (or docker pull alpine:3.19 first)",
      ],
    ] as const) {
      it(`${what} makes the program throw a ConfigError after reading the host once, before declaring any resource`, async () => {
        const rec = await freshLab(settings);
        const host = fixtureHost(facts);
        await assert.rejects(swarmlabProgram(host), (e: unknown) => e instanceof ConfigError && e.message === message);
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(rec.registrations, [], "nothing is declared");
        assert.equal(host.reads.length, 1, "the host is read once");
      });
    }

    it("swarmlab:encrypted true on container nodes, on a kernel without ESP and AES-GCM, is refused in one line before anything is declared", async () => {
      const rec = await freshLab({ encrypted: "true" });
      const host = { ...fixtureHost(), encryption: async () => ({ available: false, detail: "Linux 6.18.44-fc-v782: CONFIG_INET_ESP is not set" }) };
      await assert.rejects(swarmlabProgram(host), (e: unknown) => {
        assert.ok(e instanceof ConfigError, `a ConfigError, got ${String(e)}`);
        assert.equal(e.key, "encrypted");
        assert.match(
          e.message,
          /^swarmlab:encrypted = "true": not available on this kernel \(Linux 6\.18\.44-fc-v782: CONFIG_INET_ESP is not set\).*Fix: pulumi config set swarmlab:encrypted false$/,
        );
        return true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(rec.registrations, [], "nothing is declared");
    });

    it("swarmlab:encrypted true where the kernel has ESP and AES-GCM hands the overlay encrypted: true (a change replaces it); false hands it nothing", async () => {
      const rec = await freshLab({ encrypted: "true" });
      await runProgram(rec, { ...fixtureHost(), encryption: async () => ({ available: true, detail: "" }) });
      assert.deepEqual(ownInputs(one(rec, "overlay")), {
        lab: "swarmlab",
        name: "mynet",
        encrypted: true,
        swarmId: SWARM_ID,
        manager: MANAGER,
        privateKey: PRIVATE_KEY,
      });
      const { rec: plain } = await labWith({ encrypted: "false" });
      assert.ok(!("encrypted" in ownInputs(one(plain, "overlay"))), "a lab made before the setting existed has nothing to change");
    });

    it("a setting in a near-miss namespace (swarmLab:workers) is warned about, naming the key meant, and the lab goes ahead on defaults", async () => {
      const rec = await freshLab();
      pulumi.runtime.setAllConfig({ "swarmLab:workers": "3" });
      const host = fixtureHost();
      await runProgram(rec, host);
      assert.deepEqual(host.warnings, [
        'swarmLab:workers = "3": ignored: the namespace is swarmlab, not swarmLab, so the lab goes without swarmlab:workers. Fix: pulumi config rm swarmLab:workers && pulumi config set swarmlab:workers 3',
      ]);
      assert.equal(partsOf(rec, "node").length, 3, "the default lab: a manager and two workers");
      assert.deepEqual(host.reads, ["busybox:latest"], "the host is read once, for the service's image");
    });
  });
});
