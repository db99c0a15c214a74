// What the doctor looks at, read once from this machine: the Docker engine, the kernel, cgroups, the host firewall,
// the host's routes and Docker's networks (lab/host-facts.ts), the names and labs the engine holds
// (lab/backends/host/engine.ts), the Pulumi CLI and Node.js. Reading never fails and never changes anything: what
// cannot be read is recorded as such, and lab/doctor/checks.ts judges the facts, purely.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import Docker from "dockerode";
import execa from "execa";
import { iptablesCommand } from "../backends/host/firewall";
import { registered } from "../backends";
import { engineLabs, engineObjects } from "../backends/host/engine";
import { HostFacts, hostReaders, readHostFacts } from "../host-facts";
import type { LabSpec } from "../types";
import { KvmFacts, readKvm } from "./kvm";
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

/** Raw kernel facts; lab/doctor/kernel.ts reads them. */
export interface KernelFacts {
  /** uname -r */
  release: string;
  /** The kernel's build options: /proc/config.gz, else /boot/config-<release>; undefined when neither is readable. */
  config?: { source: string; text: string };
  /** /lib/modules/<release> exists: options built as modules (=m) can be loaded. */
  modulesDir: boolean;
  /** The names in /sys/module: loaded modules, and built-in ones that have parameters. */
  sysModules: string[];
  /** /proc/filesystems */
  filesystems: string;
  /** /proc/crypto */
  crypto: string;
  /** /proc/net/ip_vs exists: IPVS is loaded. */
  ipvs: boolean;
  /** /proc/sys/net/bridge/bridge-nf-call-iptables ("1" or "0"); undefined when bridge netfilter is not loaded. */
  bridgeNfCallIptables?: string;
}

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

/** Reads everything the checks need. `spec`: the lab's settings, when they are valid. */
export async function readDoctorFacts(spec: LabSpec | undefined, pulumi: PulumiPlace): Promise<DoctorFacts> {
  const docker = new Docker({ timeout: ENGINE_TIMEOUT_MS });
  const [engine, kernel, cgroupVersion, kvm, backendHost, firewall, pulumiFacts] = await Promise.all([
    readEngine(docker),
    readKernel(),
    readCgroupVersion(),
    readKvm(),
    registered(spec?.backend)?.doctor?.read(), // what the lab's backend needs of this host (VMs: Vagrant, libvirt)
    readFirewall(),
    readPulumi(pulumi),
  ]);
  const node: NodeFacts = { version: process.version, engines: engines.node, chosenBy: process.env.SWARMLAB_NODEJS || undefined };
  const facts: DoctorFacts = { engine, kernel, cgroupVersion, kvm, backendHost, firewall, pulumi: pulumiFacts, node, home: os.homedir() };
  if (!engine.answer) return facts;
  const [host, objects, labs] = await Promise.all([
    spec ? readHostFacts(spec.service.image, hostReaders(docker)).catch((err: unknown) => oneLine(err)) : undefined,
    readObjects(docker).catch(() => undefined),
    readLabs(docker).catch(() => undefined),
  ]);
  return { ...facts, ...(typeof host === "string" ? { hostError: host } : { host }), objects, labs };
}

async function readEngine(docker: Docker): Promise<EngineFacts> {
  // docker-modem's socket: DOCKER_HOST's, else ~/.docker/run/docker.sock if it exists, else /var/run/docker.sock
  const socketPath = (docker.modem as unknown as { socketPath?: string | (() => Promise<string>) }).socketPath;
  const socket = typeof socketPath === "function" ? await socketPath() : socketPath;
  const dockerHost = Boolean(process.env.DOCKER_HOST);
  const endpoint = process.env.DOCKER_HOST || `unix://${socket ?? "/var/run/docker.sock"}`;
  try {
    const [v, i] = await Promise.all([docker.version(), docker.info() as Promise<{ Driver?: string }>]);
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

async function readKernel(): Promise<KernelFacts> {
  const release = os.release();
  const [config, modulesDir, sysModules, filesystems, crypto, ipvs, bridgeNf] = await Promise.all([
    readKernelConfig(release),
    exists(`/lib/modules/${release}`),
    fs.readdir("/sys/module").catch(() => [] as string[]),
    fs.readFile("/proc/filesystems", "utf8").catch(() => ""),
    fs.readFile("/proc/crypto", "utf8").catch(() => ""),
    exists("/proc/net/ip_vs"),
    fs.readFile("/proc/sys/net/bridge/bridge-nf-call-iptables", "utf8").catch(() => undefined),
  ]);
  return { release, config, modulesDir, sysModules, filesystems, crypto, ipvs, bridgeNfCallIptables: bridgeNf?.trim() };
}

async function readKernelConfig(release: string): Promise<KernelFacts["config"]> {
  try {
    return { source: "/proc/config.gz", text: zlib.gunzipSync(await fs.readFile("/proc/config.gz")).toString() };
  } catch {
    // not built with IKCONFIG_PROC: the distribution's copy, if any
  }
  const boot = `/boot/config-${release}`;
  return fs.readFile(boot, "utf8").then(
    (text) => ({ source: boot, text }),
    () => undefined,
  );
}

async function readCgroupVersion(): Promise<1 | 2 | undefined> {
  if (await exists("/sys/fs/cgroup/cgroup.controllers")) return 2;
  return (await exists("/sys/fs/cgroup")) ? 1 : undefined;
}

/** iptables has no JSON interface: the FORWARD chain as `iptables -S` prints it. Run as lab/backends/host/firewall.ts does. */
async function readFirewall(): Promise<FirewallFacts> {
  const cmd = await iptablesCommand();
  if (!cmd) return { unreadable: "iptables needs root or passwordless sudo" };
  const run = (args: string[]) => execa(cmd[0], [...cmd.slice(1), "-w", ...args], { reject: false });
  const [forward, user] = await Promise.all([run(["-S", "FORWARD"]), run(["-S", "DOCKER-USER"])]);
  if (forward.exitCode !== 0) return { unreadable: `iptables -S FORWARD failed: ${oneLine(forward.stderr)}` };
  return { forwardRules: forward.stdout, dockerUser: user.exitCode === 0 };
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

function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim().slice(0, 200);
}
