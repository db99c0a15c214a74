// What the doctor looks at, read once: the Docker engine, the kernel and cgroups of the engine's machine
// (lab/engine-host.ts: this machine, or a probe through the engine), this machine's firewall, the routes and Docker's
// networks (lab/host-facts.ts), the names and labs the engine holds (lab/backends/host/engine.ts) and what up's claim
// would say of the lab's name and subnet, the Pulumi CLI and Node.js. Reading never fails and never changes anything: what
// cannot be read is recorded as such, and lab/doctor/checks.ts judges the facts, purely.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import execa from "execa";
import { readForward } from "../backends/host/firewall";
import { registered } from "../backends";
import { engineLabs, engineObjects } from "../backends/host/engine";
import { HostFacts, hostReaders, readHostFacts } from "../host-facts";
import type { LabSpec } from "../types";
import { KvmFacts, readKvm } from "./kvm";
import { KernelFacts, readKernel } from "./kernel-read";
import { engineInfo, engineMachine, LOCAL_MACHINE, LOCAL_READER, MachineReader } from "../engine-host";
import { assertFree } from "../parts/claim";
import { ConfigError } from "../config";
import { cachedVersion } from "./version-cache";
import { PROJECT_ROOT } from "../project-root";

// read where it is: this module also runs compiled, from dist/ (scripts/compiled.js)
const { engines } = require(path.join(PROJECT_ROOT, "package.json")) as { engines: { node: string } };

/** How long the engine may take to answer one call before it counts as not answering. */
const ENGINE_TIMEOUT_MS = 5_000;

export interface EngineFacts {
  /** Where the engine was asked: DOCKER_HOST, else the local socket. */
  endpoint: string;
  /** Whether the endpoint is DOCKER_HOST's. */
  dockerHost: boolean;
  /** GET /version and GET /info, when the engine answers. */
  answer?: {
    version: string;
    api: string;
    os: string;
    arch: string;
    /** The kernel the engine runs on (not this machine's when DOCKER_HOST points elsewhere). */
    kernel: string;
    storageDriver: string;
  };
  /** Why it did not answer; code: the system error (ENOENT, EACCES, ECONNREFUSED, …) when there is one. */
  error?: { message: string; code?: string };
}

export type { KernelFacts } from "./kernel-read";

export interface FirewallFacts {
  /** `iptables -S FORWARD`: the chain's policy and rules; undefined when iptables could not be read. */
  forwardRules?: string;
  /** Whether the chain DOCKER-USER exists (dockerd makes it when it manages iptables). */
  dockerUser?: boolean;
  /** Why iptables could not be read. */
  unreadable?: string;
}

/** A container, network or volume of the engine, by name: the lab's names must be free. */
export interface NamedObject {
  kind: "container" | "network" | "volume";
  name: string;
  labels: Record<string, string>;
}

/** A lab that has something on this engine, found by its labels. */
export interface LabFacts {
  name: string;
  /** Owner ids of its objects ("<stack>.<random>"; "" for objects made without one). */
  owners: string[];
  /** Subnets of its networks. */
  subnets: string[];
}

/** Up's claim on the lab's name and subnet, asked by the doctor (lab/parts/claim.ts). */
export interface ClaimFacts {
  /** Why the claim would refuse: the setting (name or subnet), what holds it, and this stack's fix. */
  refused?: { key: string; says: string; fix: string };
  /** Why the engine's objects could not be listed. */
  unread?: string;
}

export interface PulumiFacts {
  /** The version the CLI must report: the one of @pulumi/pulumi that package.json pins. */
  wanted: string;
  /** Where npm run up runs the CLI from: $PULUMI_HOME/versions/<wanted>/bin/pulumi. */
  bin: string;
  /** What that CLI reports ("v3.259.0"); undefined when it is missing or does not run. */
  binVersion?: string;
  /** The first pulumi on PATH (outside node_modules, where the npm wrapper is) and what it reports, if any. */
  onPath?: { path: string; version?: string };
}

export interface NodeFacts {
  /** The Node.js running the doctor ("v26.12.1"). */
  version: string;
  /** package.json engines.node */
  engines: string;
  /** The node scripts/node.sh chose ($SWARMLAB_NODEJS), when the doctor runs under it. */
  chosenBy?: string;
}

export interface DoctorFacts {
  engine: EngineFacts;
  kernel: KernelFacts;
  /** 2 when /sys/fs/cgroup is the unified hierarchy, 1 when it holds one hierarchy per controller. */
  cgroupVersion?: 1 | 2;
  /** /dev/kvm and libvirt's QEMU user's groups; undefined without /dev/kvm. */
  kvm?: KvmFacts;
  /**
   * What the lab's backend needs of this host, as its doctor (lab/backends/<name>/plugin.ts) reads and judges it:
   * for the vagrant backend Vagrant, libvirt, QEMU and the box (read for it only: that runs vagrant and virsh).
   */
  backendHost?: unknown;
  firewall: FirewallFacts;
  /** Routes, addresses, Docker networks and pools, the service's image: without an engine or settings, none. */
  host?: HostFacts;
  /** Why the host facts could not be read. */
  hostError?: string;
  /** Every container, network and volume of the engine; undefined without an engine. */
  objects?: NamedObject[];
  /** Every lab with something on the engine; undefined without an engine. */
  labs?: LabFacts[];
  /** What up's claim would say of the lab's name and subnet now; undefined without settings or an engine. */
  claim?: ClaimFacts;
  pulumi: PulumiFacts;
  node: NodeFacts;
  /** The user's home folder: paths below it are shown as ~/…. */
  home: string;
}

/** Where the Pulumi CLI should be, as infra/stack.ts's cliRoot() says: given by the caller (lab/ knows no Pulumi). */
export interface PulumiPlace {
  /** The CLI's path: <cliRoot()>/bin/pulumi. */
  bin: string;
  /** The version it must report, without "v". */
  version: string;
}

/** The stack whose lab the facts are read for, and the owner id its state records (see scripts/doctor.ts). */
export interface DoctorLab {
  stack: string;
  owner?: string;
}

/**
 * Reads everything the checks need. `spec`: the lab's settings, when they are valid. The kernel and cgroups are the
 * engine's machine's (lab/engine-host.ts): this machine's are read at once, and used when the engine says it is
 * this machine, so the usual case waits for no probe.
 */
export async function readDoctorFacts(spec: LabSpec | undefined, pulumi: PulumiPlace, lab?: DoctorLab): Promise<DoctorFacts> {
  const docker = new Docker({ timeout: ENGINE_TIMEOUT_MS });
  const here = Promise.all([readKernel(LOCAL_READER), readCgroupVersion(LOCAL_READER)]);
  const machine = engineMachine(docker).then(async (m) => {
    const [kernel, cgroupVersion] = m.local ? await here : await Promise.all([readKernel(m.reader), readCgroupVersion(m.reader)]);
    return { kernel: m.says === LOCAL_MACHINE.says ? kernel : { ...kernel, machine: m.says }, cgroupVersion };
  });
  const [engine, { kernel, cgroupVersion }, kvm, backendHost, firewall, pulumiFacts] = await Promise.all([
    readEngine(docker),
    machine,
    readKvm(),
    registered(spec?.backend)?.doctor?.read({ spec, owner: lab?.owner, stack: lab?.stack }), // what the lab's backend needs of this host (VMs: Vagrant, libvirt)
    readFirewall(docker),
    readPulumi(pulumi),
  ]);
  const node: NodeFacts = { version: process.version, engines: engines.node, chosenBy: process.env.SWARMLAB_NODEJS || undefined };
  const facts: DoctorFacts = { engine, kernel, cgroupVersion, kvm, backendHost, firewall, pulumi: pulumiFacts, node, home: os.homedir() };
  if (!engine.answer) return facts;
  const [host, objects, labs, claim] = await Promise.all([
    spec ? readHostFacts(spec.service.image, hostReaders(docker)).catch((err: unknown) => oneLine(err)) : undefined,
    readObjects(docker).catch(() => undefined),
    readLabs(docker).catch(() => undefined),
    spec && lab ? readClaim(spec, lab) : undefined,
  ]);
  return { ...facts, ...(typeof host === "string" ? { hostError: host } : { host }), objects, labs, claim };
}

/**
 * Up's claim, asked now (lab/parts/claim.ts assertFree, through the lab's backend): whatever carries the lab's
 * label with its name, or sits on its subnet, of any owner and any project on this engine, unless it is the
 * stack's recorded owner's.
 */
async function readClaim(spec: LabSpec, lab: DoctorLab): Promise<ClaimFacts> {
  try {
    await assertFree({ lab: spec.name, backend: spec.backend, subnet: spec.subnet, stack: lab.stack }, lab.owner);
    return {};
  } catch (err) {
    if (err instanceof ConfigError) return { refused: { key: err.key, says: err.says, fix: err.fix } };
    return { unread: oneLine(err) };
  }
}

async function readEngine(docker: Docker): Promise<EngineFacts> {
  // docker-modem's socket: DOCKER_HOST's, else ~/.docker/run/docker.sock if it exists, else /var/run/docker.sock
  const socketPath = (docker.modem as unknown as { socketPath?: string | (() => Promise<string>) }).socketPath;
  const socket = typeof socketPath === "function" ? await socketPath() : socketPath;
  const dockerHost = Boolean(process.env.DOCKER_HOST);
  const endpoint = process.env.DOCKER_HOST || `unix://${socket ?? "/var/run/docker.sock"}`;
  try {
    const [v, i] = await Promise.all([docker.version(), engineInfo(docker)]);
    return {
      endpoint,
      dockerHost,
      answer: {
        version: v.Version,
        api: v.ApiVersion,
        os: v.Os,
        arch: v.Arch,
        kernel: v.KernelVersion,
        storageDriver: i.Driver ?? "",
      },
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { endpoint, dockerHost, error: { message: oneLine(err), code: typeof code === "string" ? code : undefined } };
  }
}

async function readCgroupVersion(m: MachineReader): Promise<1 | 2 | undefined> {
  if (await m.exists("/sys/fs/cgroup/cgroup.controllers")) return 2;
  return (await m.exists("/sys/fs/cgroup")) ? 1 : undefined;
}

/**
 * iptables has no JSON interface: the FORWARD chain as `iptables -S` prints it, read where the lab's rules would go
 * (lab/backends/host/firewall.ts: here as root, else through the engine, in the backend holding Docker's chains).
 */
async function readFirewall(docker: Docker): Promise<FirewallFacts> {
  try {
    const read = await readForward(docker);
    if (!read) return { unreadable: "iptables cannot run here (not root, no passwordless sudo) nor through the engine (no image with iptables)" };
    return { forwardRules: read.forward, dockerUser: read.dockerUser };
  } catch (err) {
    return { unreadable: oneLine(err) };
  }
}

async function readObjects(docker: Docker): Promise<NamedObject[]> {
  const [containers, networks, { Volumes }] = await Promise.all([docker.listContainers({ all: true }), docker.listNetworks(), docker.listVolumes()]);
  return [
    ...containers.flatMap((c) => c.Names.map((n) => ({ kind: "container" as const, name: n.replace(/^\//, ""), labels: c.Labels ?? {} }))),
    ...networks.map((n) => ({ kind: "network" as const, name: n.Name, labels: n.Labels ?? {} })),
    ...(Volumes ?? []).map((v) => ({ kind: "volume" as const, name: v.Name, labels: v.Labels ?? {} })),
  ];
}

async function readLabs(docker: Docker): Promise<LabFacts[]> {
  return Promise.all(
    (await engineLabs(docker)).map(async (name) => {
      const objects = await engineObjects(docker, name);
      const unique = (list: string[]) => [...new Set(list)].sort();
      return { name, owners: unique(objects.map((o) => o.owner)), subnets: unique(objects.flatMap((o) => (o.subnet ? [o.subnet] : []))) };
    }),
  );
}

async function readPulumi(place: PulumiPlace): Promise<PulumiFacts> {
  const facts: PulumiFacts = { wanted: place.version, bin: place.bin, binVersion: await cliVersion(place.bin) };
  if (facts.binVersion) return facts;
  const onPath = await firstOnPath("pulumi", (dir) => !dir.split(path.sep).includes("node_modules") && dir !== path.dirname(place.bin));
  return onPath ? { ...facts, onPath: { path: onPath, version: await cliVersion(onPath) } } : facts;
}

/** What a Pulumi CLI says its version is ("v3.259.0"); undefined when it is missing or fails. */
async function cliVersion(file: string): Promise<string | undefined> {
  return cachedVersion(file, async () => {
    const r = await execa(file, ["version"], { reject: false, timeout: 10_000, env: { PULUMI_SKIP_UPDATE_CHECK: "true" } }).catch(() => undefined);
    return r && r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
  });
}

async function firstOnPath(program: string, accept: (dir: string) => boolean): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter((d) => d && accept(d))) {
    const file = path.join(dir, program);
    if (
      await fs.access(file, fs.constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  return undefined;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim().slice(0, 200);
}
