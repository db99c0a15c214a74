// What this host has that the lab's settings must fit: its routes and addresses, Docker's networks and address pools,
// the engine's architecture and the service's image. readHostFacts reads them once, through readers a test replaces
// with fixtures, and only reads (no docker object is made); assertHostFits checks a LabSpec against them, purely.
// lab/config.ts checks what needs no host; the program calls both before it declares anything.
import os from "node:os";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import Docker from "dockerode";
import * as tarStream from "tar-stream";
import { BUSYBOX_IMAGE, LABEL_IMAGE } from "./backends/host/images";
import { listNetworks, subnetOf } from "./backends/vagrant/virsh";
import { ConfigError, DEFAULT_IMAGE, DEFAULT_SUBNET, LAB_RANGE, sameImage } from "./config";
import { unless404 } from "./engine-api";
import { EngineMachine, engineInfo, engineMachine, LOCAL_READER } from "./engine-host";
import { dockerHostUnanswered, EnvError } from "./env";
import { Cidr, formatCidr, formatIPv4, maskOf, overlaps, parseCidr, parseIPv4 } from "./net";
import { LABEL_LAB, LABEL_OWNER, LabSpec, stackOfOwner } from "./types";

/** An IPv4 route of any table, as `ip -j route show table all` gives it. */
export interface HostRoute {
  /** "default", an address or a CIDR block. */
  dst: string;
  dev?: string;
  gateway?: string;
  /** unicast when absent; local, broadcast, unreachable, blackhole, … */
  type?: string;
  /** main when absent. */
  table?: string;
}

/** An IPv4 address of one of the host's interfaces. */
export interface HostAddress {
  dev: string;
  address: string;
  prefix: number;
}

/** A Docker network of the host's engine. */
export interface DockerNetwork {
  name: string;
  /** IPv4 subnets of its IPAM configuration. */
  subnets: string[];
  labels: Record<string, string>;
  /** The bridge interface that carries it on this host (docker0, br-<12 hex of its id>), for bridge networks. */
  bridge?: string;
}

/** One of the engine's default address pools: it numbers the networks it makes (without a subnet) from these. */
export interface AddressPool {
  base: string;
  size: number;
}

/** The service's image as the host's engine has it. */
export interface ImageFacts {
  id: string;
  os: string;
  architecture: string;
  labels: Record<string, string>;
  /** Which of NEEDED_PROGRAMS its file system holds; undefined when it was not looked into (see readImage). */
  programs?: string[];
}

export interface HostFacts {
  routes: HostRoute[];
  addresses: HostAddress[];
  networks: DockerNetwork[];
  /** The engine's default address pools when it (or /etc/docker/daemon.json) names them, else none. */
  pools: AddressPool[];
  /** The engine's architecture as images name it (amd64, arm64); "" when unknown. */
  arch: string;
  /** The service's image; undefined when the engine has none of that name. */
  image?: ImageFacts;
}

/** The Engine API calls readHostFacts makes: all of them read. */
export interface EngineReader {
  listNetworks(): Promise<Docker.NetworkInspectInfo[]>;
  /** GET /info; DefaultAddressPools from API 1.42 (Docker 23) on. */
  info(): Promise<{ DefaultAddressPools?: { Base: string; Size: number }[] }>;
  /** GET /version: Arch as Go names it (amd64). */
  version(): Promise<{ Arch?: string }>;
  /** The image, or undefined when the engine has none of that name. */
  inspectImage(ref: string): Promise<Docker.ImageInspectInfo | undefined>;
  /** `docker save`: the image as a tar stream. */
  exportImage(ref: string): Promise<NodeJS.ReadableStream>;
}

export interface HostReaders {
  /** Runs a program; resolves to its stdout, rejects when it fails or is missing. */
  run(file: string, args: string[]): Promise<string>;
  readFile(path: string): Promise<string>;
  /** os.networkInterfaces(): the addresses when `ip` cannot be run. */
  interfaces(): NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  engine: EngineReader;
  /**
   * The DOCKER_HOST `engine` asks, undefined (or empty) for this machine's socket: when no engine answers there, the
   * error names the variable (lab/env.ts's dockerHostUnanswered) rather than telling to start this machine's Docker.
   */
  dockerHost?: string;
  /**
   * libvirt's networks, as networks of this host (the vagrant backend's lab networks carry swarmlab.lab and
   * swarmlab.owner in their metadata): a lab's own bridge is then its own, and another lab's subnet is taken.
   */
  libvirtNetworks?(): Promise<DockerNetwork[]>;
}

/**
 * Programs the service's image must hold: its tasks run `ping <target>` (lab/steps/service.ts), up's health check
 * pings between tasks (lab/health.ts), and the verification suite runs nslookup and nc in them (lab/checks/observe.ts,
 * test/e2e/tutorial-claims.ts). The upstream host always runs the lab's own busybox (with tcpsvd), never this image.
 */
export const NEEDED_PROGRAMS: readonly string[] = ["ping", "nc", "nslookup"];
/** Where a program counts as present (the PATH of an image without one of its own). */
const PROGRAM_DIRS = ["bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin"];
/** Bigger images are not looked into: reading one costs seconds on every preview. Only its presence is checked then. */
export const SCAN_LIMIT_BYTES = 250_000_000;
/** Docker's built-in last pool (after 172.17-172.31.0.0/16): 192.168.0.0/16 cut into /20s. See assertSubnetFree. */
const BUILTIN_POOL: AddressPool = { base: "192.168.0.0/16", size: 20 };
const DAEMON_JSON = "/etc/docker/daemon.json";

/**
 * Readers of this host: `ip`, /proc, os.networkInterfaces() and the Docker engine of DOCKER_HOST (or the socket).
 * `docker`: a client made from the environment (dockerode reads DOCKER_HOST as it is made), as every caller's is.
 */
export function hostReaders(docker: Docker = new Docker()): HostReaders {
  // The routes and addresses of the engine's machine (lab/engine-host.ts): this one's, read here, unless the engine
  // runs elsewhere (Docker Desktop's VM, a remote DOCKER_HOST); then its probe's. /etc/docker/daemon.json stays this
  // machine's: the engine's own answer (docker info's pools) comes first.
  let machine: EngineMachine | undefined;
  const reader = async () => (machine ??= await engineMachine(docker)).reader;
  return {
    dockerHost: process.env.DOCKER_HOST,
    run: async (file, args) => (await reader()).run(file, args),
    readFile: async (path) => (path === DAEMON_JSON ? LOCAL_READER : await reader()).readFile(path).then((b) => b.toString("utf8")),
    // asked after `ip` failed, so the machine is decided by then
    interfaces: () => (machine && !machine.local ? {} : os.networkInterfaces()),
    engine: {
      listNetworks: () => docker.listNetworks(),
      info: () => engineInfo(docker),
      version: () => docker.version(),
      inspectImage: (ref) => unless404(docker.getImage(ref).inspect()),
      exportImage: (ref) => docker.getImage(ref).get(),
    },
    libvirtNetworks: readLibvirtNetworks,
  };
}

/**
 * libvirt's networks with their subnets, labels and bridges; none where virsh does not answer. A bad
 * LIBVIRT_DEFAULT_URI is said, not taken for "no networks".
 */
async function readLibvirtNetworks(): Promise<DockerNetwork[]> {
  const found = await listNetworks().catch((err: unknown) => {
    if (err instanceof EnvError) throw err;
    return [];
  });
  return found.map((n) => ({
    name: `libvirt ${n.name}`,
    subnets: [subnetOf(n)].filter((x): x is string => !!x),
    labels: n.labels,
    bridge: n.bridge || undefined,
  }));
}

/** Reads what the settings must fit, once: routes, addresses, Docker networks and pools, the service's `image`. */
export async function readHostFacts(image: string, readers: HostReaders = hostReaders()): Promise<HostFacts> {
  const [routes, addresses] = await Promise.all([readRoutes(readers), readAddresses(readers)]);
  let answered = false;
  try {
    const engineNetworks = await readers.engine.listNetworks();
    answered = true;
    const networks = [...engineNetworks.map(networkOf), ...((await readers.libvirtNetworks?.()) ?? [])];
    const pools = await readPools(readers);
    const arch = (await readers.engine.version()).Arch ?? "";
    return { routes, addresses, networks, pools, arch, image: await readImage(readers.engine, image) };
  } catch (err) {
    if (err instanceof EnvError) throw err;
    // The engine DOCKER_HOST names, not this machine's: starting this machine's Docker would not help.
    if (!answered && readers.dockerHost) throw dockerHostUnanswered(readers.dockerHost, oneLine(err));
    throw new Error(
      `cannot check swarmlab:subnet and swarmlab:image against the Docker engine (${oneLine(err)}): start Docker ` +
        `(bash scripts/docker-engine.sh) and run again`,
    );
  }
}

/** The host's IPv4 routes of every table: `ip -j -4 route show table all`, else /proc/net/route (main table). */
async function readRoutes(readers: HostReaders): Promise<HostRoute[]> {
  const json = await runIp(readers, ["-j", "-4", "route", "show", "table", "all"]);
  if (json !== undefined) return routesFromIpJson(json);
  try {
    return routesFromProc(await readers.readFile("/proc/net/route"));
  } catch (err) {
    throw new Error(
      `cannot read this host's routes to check swarmlab:subnet against them (no ip, and ${oneLine(err)}): install iproute2 and run again`,
    );
  }
}

/** The host's IPv4 addresses: `ip -j -4 addr show`, else os.networkInterfaces(). */
async function readAddresses(readers: HostReaders): Promise<HostAddress[]> {
  const json = await runIp(readers, ["-j", "-4", "addr", "show"]);
  if (json !== undefined) return addressesFromIpJson(json);
  return Object.entries(readers.interfaces()).flatMap(([dev, list]) =>
    (list ?? []).filter((a) => a.family === "IPv4" && a.cidr).map((a) => ({ dev, address: a.address, prefix: Number(a.cidr!.split("/")[1]) })),
  );
}

/** `ip` output, trying the sbin folders a user's PATH may lack; undefined when no `ip` runs. */
async function runIp(readers: HostReaders, args: string[]): Promise<string | undefined> {
  for (const ip of ["ip", "/usr/sbin/ip", "/sbin/ip"]) {
    try {
      return await readers.run(ip, args);
    } catch {
      // next place, then /proc
    }
  }
  return undefined;
}

export function routesFromIpJson(json: string): HostRoute[] {
  const list = JSON.parse(json) as { dst?: string; dev?: string; gateway?: string; type?: string; table?: string }[];
  return list
    .filter((r) => typeof r.dst === "string" && !r.dst.includes(":"))
    .map((r) => ({ dst: r.dst!, dev: r.dev, gateway: r.gateway, type: r.type, table: r.table }));
}

export function addressesFromIpJson(json: string): HostAddress[] {
  const links = JSON.parse(json) as { ifname: string; addr_info?: { family?: string; local?: string; prefixlen?: number }[] }[];
  return links.flatMap((l) =>
    (l.addr_info ?? []).filter((a) => a.family === "inet" && a.local).map((a) => ({ dev: l.ifname, address: a.local!, prefix: a.prefixlen ?? 32 })),
  );
}

/** /proc/net/route: Iface, Destination, Gateway, Flags, …, Mask, addresses as little-endian hex. */
export function routesFromProc(text: string): HostRoute[] {
  const hex = (h: string) => formatIPv4(Buffer.from(h, "hex").readUInt32LE(0));
  return text
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8)
    .map(([dev, dst, gateway, , , , , mask]) => {
      const prefix = Buffer.from(mask, "hex").readUInt32LE(0).toString(2).replace(/0/g, "").length;
      const route: HostRoute = { dst: prefix === 0 ? "default" : `${hex(dst)}/${prefix}`, dev };
      if (hex(gateway) !== "0.0.0.0") route.gateway = hex(gateway);
      return route;
    });
}

function networkOf(n: Docker.NetworkInspectInfo): DockerNetwork {
  const subnets = (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? "").filter((s) => parseCidr(s));
  const bridge = n.Options?.["com.docker.network.bridge.name"] ?? (n.Driver === "bridge" ? `br-${n.Id.slice(0, 12)}` : undefined);
  return { name: n.Name, subnets, labels: n.Labels ?? {}, bridge };
}

/** The engine's pools (Docker 23 and later say), else those of daemon.json, else none. */
async function readPools(readers: HostReaders): Promise<AddressPool[]> {
  const reported = (await readers.engine.info()).DefaultAddressPools;
  if (Array.isArray(reported) && reported.length > 0) return reported.map((p) => ({ base: p.Base, size: p.Size }));
  try {
    const configured = JSON.parse(await readers.readFile(DAEMON_JSON))["default-address-pools"];
    if (Array.isArray(configured)) return configured.map((p: { base: string; size: number }) => ({ base: p.base, size: p.size }));
  } catch {
    // no daemon.json, or not readable: Docker's built-in pools
  }
  return [];
}

/** The image's facts; its file system is looked into unless the lab made it or it is over SCAN_LIMIT_BYTES. */
async function readImage(engine: EngineReader, ref: string): Promise<ImageFacts | undefined> {
  const found = await engine.inspectImage(ref);
  if (!found) return undefined;
  const labels = found.Config?.Labels ?? {};
  const facts: ImageFacts = { id: found.Id, os: found.Os ?? "", architecture: found.Architecture ?? "", labels };
  if (labels[LABEL_IMAGE] || (found.Size ?? 0) > SCAN_LIMIT_BYTES) return facts;
  return { ...facts, programs: await programsIn(await engine.exportImage(ref)) };
}

// ---------------------------------------------------------------- what an image holds

interface LayerScan {
  found: Set<string>;
  /** Paths a whiteout removes (.wh.<name>), and folders an opaque whiteout (.wh..wh..opq) empties. */
  removed: Set<string>;
  emptied: Set<string>;
}

/**
 * Which NEEDED_PROGRAMS an image (a `docker save` stream: legacy <id>/layer.tar or OCI blobs/sha256/…, layers plain
 * or gzipped) holds in PROGRAM_DIRS, as a file, a link or a symlink, with each layer's whiteouts applied in the
 * manifest's order. A layer in another compression (zstd) is not read.
 */
export async function programsIn(image: NodeJS.ReadableStream): Promise<string[]> {
  const layers = new Map<string, LayerScan>();
  let manifest: string[] | undefined;
  await walkTar(image, async (name, entry) => {
    if (name === "manifest.json") {
      manifest = (JSON.parse((await readAll(entry)).toString()) as { Layers?: string[] }[])[0]?.Layers;
      return;
    }
    const scan = await scanLayer(entry);
    if (scan) layers.set(name, scan);
  });
  const order = manifest?.every((l) => layers.has(l)) ? manifest : [...layers.keys()];
  let present = new Set<string>();
  for (const name of order) {
    const layer = layers.get(name)!;
    present = new Set([...present].filter((p) => !layer.removed.has(p) && !layer.emptied.has(p.slice(0, p.lastIndexOf("/")))));
    for (const p of layer.found) present.add(p);
  }
  const names = new Set([...present].map((p) => p.slice(p.lastIndexOf("/") + 1)));
  return NEEDED_PROGRAMS.filter((p) => names.has(p));
}

/** A layer's programs and whiteouts, or undefined when the entry is no (plain or gzipped) tar. */
async function scanLayer(entry: Readable): Promise<LayerScan | undefined> {
  const { head, stream } = await peek(entry, 512);
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  const tar = head.length >= 262 && head.toString("latin1", 257, 262) === "ustar";
  if (!gzip && !tar) {
    await drain(stream);
    return undefined;
  }
  const scan: LayerScan = { found: new Set(), removed: new Set(), emptied: new Set() };
  await listTar(gzip ? stream.pipe(zlib.createGunzip()) : stream, (name) => {
    const path = name.replace(/^(\.\/|\/)+/, "").replace(/\/$/, "");
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    const base = path.slice(path.lastIndexOf("/") + 1);
    if (base === ".wh..wh..opq") scan.emptied.add(dir);
    else if (base.startsWith(".wh.")) scan.removed.add(`${dir}/${base.slice(4)}`);
    else if (PROGRAM_DIRS.includes(dir) && NEEDED_PROGRAMS.includes(base)) scan.found.add(path);
  });
  await drain(stream);
  return scan;
}

/** Calls onName for the name of every entry of a tar stream, skipping the contents. */
function listTar(input: NodeJS.ReadableStream, onName: (name: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const extract = tarStream.extract();
    extract.on("entry", (header, source, next) => {
      onName(header.name);
      source.on("end", () => next());
      source.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
    input.on("error", reject);
    input.pipe(extract);
  });
}

/** Calls onEntry for every entry of a tar stream, in order, as a Node stream; each entry is drained after it. */
function walkTar(input: NodeJS.ReadableStream, onEntry: (name: string, entry: Readable) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const extract = tarStream.extract();
    extract.on("entry", (header, source, next) => {
      // tar-stream's entries are streamx streams: seen through Node's Readable, readableEnded says when one is done
      const entry = Readable.from(source as AsyncIterable<Buffer>, { objectMode: false });
      onEntry(header.name, entry)
        .then(() => drain(entry))
        .then(
          () => next(),
          (err) => extract.destroy(err),
        );
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
    input.on("error", reject);
    input.pipe(extract);
  });
}

/** The first `bytes` of a stream (fewer if it is shorter), and a stream that still gives all of it. */
async function peek(stream: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = stream[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < bytes && !done) {
    const r = await it.next();
    if (r.done) done = true;
    else {
      chunks.push(r.value);
      size += r.value.length;
    }
  }
  const head = Buffer.concat(chunks);
  async function* all() {
    yield head;
    while (!done) {
      const r = await it.next();
      if (r.done) return;
      yield r.value as Buffer;
    }
  }
  return { head, stream: Readable.from(all(), { objectMode: false }) };
}

function drain(stream: Readable): Promise<void> {
  if (stream.readableEnded) return Promise.resolve();
  return new Promise((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("error", reject);
    stream.resume();
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------- the checks

/** Refuses, with a ConfigError, settings this host cannot take. `stack`: the Pulumi stack the lab belongs to. */
export function assertHostFits(spec: LabSpec, facts: HostFacts, stack: string): void {
  assertSubnetFree(spec, facts, stack); // the program does not know its owner: the claim judges owners
  assertImageUsable(spec, facts);
}

/**
 * The lab's subnet must overlap no other lab, no other Docker network, none of the engine's configured address pools,
 * no route of any table and no address of the host. The lab's own network (labelled with its name, or with an owner of
 * this stack) and the routes and addresses of its bridge are its own: they do not count, so up of a running lab
 * passes. A lab of this name owned by another stack is the claim's to refuse (lab/parts/claim.ts).
 * `owner`: the owner id the stack's state records (then only that owner's networks are its own), null when it records
 * no lab (none is), undefined when not known (the program: networks of the lab's name or of the stack are).
 *
 * Not counted: the default route and its halves 0.0.0.0/1 and 128.0.0.0/1 (VPNs such as OpenVPN's def1 install
 * those), which every network overlaps; local, broadcast, multicast and anycast routes (the addresses stand for the
 * first two); and Docker's built-in pool 192.168.0.0/16 cut into /20s, which Docker takes only after the fifteen
 * 172.17-172.31 /16s and from which it never gives a block that overlaps a network in use, so the lab network is
 * skipped while it exists (refusing it would refuse every private block left). A pool configured in daemon.json
 * counts: whoever set it gave that range to Docker.
 */
export function assertSubnetFree(spec: LabSpec, facts: HostFacts, stack: string, owner?: string | null): void {
  const cidr = parseCidr(spec.subnet)!;
  const problem = subnetProblem(cidr, facts, spec.name, stack, owner);
  if (!problem) return;
  const free = freeSubnet(cidr.prefix, facts, spec.name, stack, DEFAULT_SUBNET, owner);
  const fix = free
    ? `pulumi config set swarmlab:subnet ${free}`
    : `free a /${cidr.prefix} of ${LAB_RANGE}: each one overlaps a route, an address, a Docker network or a pool of this host`;
  throw new ConfigError("subnet", spec.subnet, fix, problem);
}

/** What of the host the block overlaps, in words; undefined when nothing. */
function subnetProblem(cidr: Cidr, facts: HostFacts, lab: string, stack: string, owner?: string | null): string | undefined {
  const own = facts.networks.filter((n) => isOurs(n, lab, stack, owner));
  const ownBridges = new Set(own.map((n) => n.bridge).filter(Boolean));
  const others = facts.networks.filter((n) => !own.includes(n));
  const hit = (block: string | undefined) => {
    const other = block === undefined ? undefined : parseCidr(block);
    return other !== undefined && overlaps(cidr, other);
  };

  for (const n of [...others.filter((n) => n.labels[LABEL_LAB]), ...others.filter((n) => !n.labels[LABEL_LAB])]) {
    const subnet = n.subnets.find(hit);
    if (!subnet) continue;
    const labName = n.labels[LABEL_LAB];
    if (!labName) return `this subnet is used by Docker network ${n.name} (${subnet})`;
    const owner = n.labels[LABEL_OWNER];
    return owner
      ? `this subnet is used by lab ${labName} of stack ${stackOfOwner(owner)} (network ${n.name}, ${subnet}, owner ${owner})`
      : `this subnet is used by lab ${labName} (network ${n.name}, ${subnet}), made without an owner label, by an older swarmlab or by hand`;
  }
  for (const pool of facts.pools) {
    if (pool.base === BUILTIN_POOL.base && pool.size === BUILTIN_POOL.size) continue;
    if (hit(pool.base))
      return `overlaps ${pool.base}, a default address pool of the Docker engine (default-address-pools): the engine numbers its networks from it`;
  }
  for (const r of facts.routes) {
    if (r.dev && ownBridges.has(r.dev)) continue;
    if (r.type && !["unicast", "unreachable", "blackhole", "prohibit", "throw"].includes(r.type)) continue;
    const block = r.dst === "default" ? undefined : parseCidr(r.dst.includes("/") ? r.dst : `${r.dst}/32`);
    if (!block || block.prefix <= 1) continue;
    if (overlaps(cidr, block)) {
      return `overlaps the host's route ${describeRoute(r)}: the lab network would hide it on this host, and the lab's egress rule drops what is forwarded to it`;
    }
  }
  for (const a of facts.addresses) {
    if (ownBridges.has(a.dev)) continue;
    const address = parseIPv4(a.address);
    if (address === undefined) continue;
    const block = { network: (address & maskOf(a.prefix)) >>> 0, broadcast: (address | ~maskOf(a.prefix)) >>> 0 };
    if (overlaps(cidr, block)) return `overlaps the host's address ${a.address}/${a.prefix} on ${a.dev}`;
  }
  return undefined;
}

/**
 * A network of this stack's lab: of its recorded owner when known (null: none); else of this lab (by name) or of this
 * stack (by owner: a renamed lab's old network, about to go).
 */
function isOurs(n: DockerNetwork, lab: string, stack: string, ours?: string | null): boolean {
  const owner = n.labels[LABEL_OWNER];
  if (ours !== undefined) return ours !== null && owner === ours;
  return n.labels[LABEL_LAB] === lab || (owner !== undefined && stackOfOwner(owner) === stack);
}

function describeRoute(r: HostRoute): string {
  const type = r.type && r.type !== "unicast" ? `${r.type} ` : "";
  return `${type}${r.dst}${r.gateway ? ` via ${r.gateway}` : ""}${r.dev ? ` dev ${r.dev}` : ""}${r.table && r.table !== "main" ? ` table ${r.table}` : ""}`;
}

/**
 * The first block of this size in LAB_RANGE, from `from` (the default subnet) upwards, then from 192.168.0.0, that
 * overlaps nothing of the host. Same size, aligned, in LAB_RANGE: so it passes labSpecFromConfig as the refused one did.
 */
export function freeSubnet(
  prefix: number,
  facts: HostFacts,
  lab: string,
  stack: string,
  from = DEFAULT_SUBNET,
  owner?: string | null,
): string | undefined {
  const range = parseCidr(LAB_RANGE)!;
  const step = 2 ** (32 - prefix);
  const count = 2 ** (prefix - range.prefix);
  const first = Math.floor((parseCidr(from)!.network - range.network) / step);
  for (let i = 0; i < count; i++) {
    const network = range.network + ((first + i) % count) * step;
    const block = parseCidr(`${formatIPv4(network)}/${prefix}`)!;
    if (!subnetProblem(block, facts, lab, stack, owner)) return formatCidr(block);
  }
  return undefined;
}

/**
 * A /24 that nothing of this host uses, searched from 192.168.<from>.0 on: for throw-away labs of tests and
 * benchmarks, so that runs at the same time do not meet (a pid makes a good start).
 */
export async function unusedSubnet(from: number, readers: HostReaders = hostReaders()): Promise<string> {
  const found = freeSubnet(24, await readHostFacts(DEFAULT_IMAGE, readers), "", "", `192.168.${from % 256}.0/24`);
  if (!found) throw new Error("no 192.168.N.0/24 is free on this host for a throw-away lab");
  return found;
}

/**
 * The service's image must be on this host (the nodes get it from the host's engine: they have no registry), or be
 * busybox:latest, which the lab makes when it is missing; not the lab's machine image; for Linux on this engine's
 * architecture; and hold NEEDED_PROGRAMS when it was looked into.
 */
export function assertImageUsable(spec: LabSpec, facts: HostFacts): void {
  const ref = spec.service.image;
  const image = facts.image;
  const fix = `pulumi config set swarmlab:image ${DEFAULT_IMAGE}`;
  if (!image) {
    if (sameImage(ref, BUSYBOX_IMAGE)) return;
    throw new ConfigError(
      "image",
      ref,
      `${fix} (or docker pull ${ref} first)`,
      `not on this machine: the nodes take the service's image from this host's Docker engine (they have no registry), and the lab makes only ${BUSYBOX_IMAGE}`,
    );
  }
  const role = image.labels[LABEL_IMAGE];
  if (role === "node" || role === "base") {
    throw new ConfigError("image", ref, fix, `the image of the lab's machines (label ${LABEL_IMAGE}=${role}), not one for the service's tasks`);
  }
  if (image.os && image.os !== "linux") throw new ConfigError("image", ref, fix, `an image for ${image.os}: the nodes run Linux`);
  if (image.architecture && facts.arch && image.architecture !== facts.arch) {
    throw new ConfigError(
      "image",
      ref,
      `${fix} (or docker pull --platform linux/${facts.arch} ${ref} first)`,
      `an image for ${image.architecture}: this machine's Docker engine runs ${facts.arch}`,
    );
  }
  const missing = image.programs ? NEEDED_PROGRAMS.filter((p) => !image.programs!.includes(p)) : [];
  if (missing.length > 0) {
    throw new ConfigError(
      "image",
      ref,
      fix,
      `has no ${missing.join(", ")} (in /bin, /sbin, /usr/bin, /usr/sbin or /usr/local): the service's tasks run ping, and the lab's checks run ping, nc and nslookup in them`,
    );
  }
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim().slice(0, 200);
}
