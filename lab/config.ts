// Stack configuration (the swarmlab: namespace) -> LabSpec, validated up front.
// Every problem becomes one ConfigError whose one-line message names the key, the value,
// what is wrong and the command that fixes it; the value that command sets passes these checks itself.
// This file is pure: what needs the host (its routes and addresses, Docker's networks and pools, the service's
// image) is checked against facts read once, by lab/host-facts.ts.

import { BackendName, Egress, LabSpec, NodeSpec, VagrantProvider } from "./types";
import { labNameProblem } from "./lab-name";
import { Cidr, addressAt, formatCidr, formatIPv4, overlaps, parseCidr, parseIPv4 } from "./net";

const NS = "swarmlab";

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly fix: string,
    problem: string,
  ) {
    super(oneLine(key, value, problem, fix));
    this.name = "ConfigError";
  }
}

/** The known keys, without the namespace. */
export const CONFIG_KEYS: readonly string[] = Object.freeze([
  "name",
  "backend",
  "workers",
  "nodes",
  "subnet",
  "egress",
  "replicas",
  "overlay",
  "service",
  "image",
  "encrypted",
  "vagrantProvider",
]);

const BACKENDS: readonly BackendName[] = ["docker", "vagrant", "ssh"];
const EGRESSES: readonly Egress[] = ["none", "internet"];
export const VAGRANT_PROVIDERS: readonly VagrantProvider[] = ["libvirt", "virtualbox"];

export const DEFAULT_NAME = "swarmlab";
export const DEFAULT_WORKERS = 2;
export const MAX_WORKERS = 20;
export const DEFAULT_SUBNET = "192.168.56.0/24"; // the VirtualBox host-only range
export const DEFAULT_OVERLAY = "mynet";
export const DEFAULT_SERVICE = "test";
export const DEFAULT_IMAGE = "busybox:latest";
export const UPSTREAM_NAME = "upstream";
/** Repositories of the images the lab's machines run (lab/backends/docker/images.ts): never a service's image. */
export const MACHINE_IMAGE_REPOS: readonly string[] = ["swarmlab-node", "swarmlab-base"];
/**
 * Where lab networks go: the private ranges (RFC 1918) minus those Docker takes (10.0.0.0/8 for Swarm's overlays,
 * 172.16.0.0/12 for its bridges) leave 192.168.0.0/16. A public block would hide those internet addresses from this
 * host (and, with egress internet, put the "internet" inside the lab); there is no opt-in for one.
 */
export const LAB_RANGE = "192.168.0.0/16";
/**
 * The widest lab network. A lab spans at most 33 addresses (the network address, the gateway at .1, 21 nodes from .10,
 * the upstream and the broadcast address), and a wider block only takes more addresses from the host's neighbours (a
 * LAN, libvirt's 192.168.122.0/24, a VPN): the lab network would hide them and its egress rule drops what is forwarded
 * to them.
 */
export const WIDEST_PREFIX = 24;
/** Offset of the manager's address in the subnet (.10); workers follow at .11, .12, ... */
export const FIRST_NODE_OFFSET = 10;

// the tutorial's internet target; only with swarmlab:egress internet
export const INTERNET_PING_TARGET = "8.8.8.8";

/** Address blocks the lab network must stay clear of, and why. */
const RESERVED: readonly { cidr: string; why: string }[] = [
  {
    cidr: "10.0.0.0/8",
    why: "Docker Swarm's default overlay address pool (ingress 10.0.0.0/24, mynet 10.0.1.0/24), so node addresses would collide with overlay addresses",
  },
  {
    cidr: "172.16.0.0/12",
    why: "Docker's pool for bridge networks (docker0, docker_gwbridge; the tutorial's docker_gwbridge is 172.18.0.0/16), so routes on the nodes would collide",
  },
  { cidr: "127.0.0.0/8", why: "the loopback range, which never leaves a host" },
  { cidr: "169.254.0.0/16", why: "the link-local range, which hosts assign to themselves and do not route" },
  { cidr: "224.0.0.0/4", why: "the multicast range, which cannot be assigned to hosts" },
  { cidr: "0.0.0.0/8", why: "the 'this network' range, which cannot be assigned to hosts" },
  { cidr: "240.0.0.0/4", why: "the reserved range (and 255.255.255.255, the limited broadcast), which hosts do not use" },
  { cidr: "100.64.0.0/10", why: "the shared address space of carrier-grade NAT (RFC 6598), which ISPs and VPNs such as Tailscale use" },
];

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// Swarm's rule for service and network names, ^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$ (swarmkit), at most 63 characters.
// Written without nested quantifiers (the same names: letters, digits, '-' and '_', first and last a letter or
// digit), so that no name can make the test backtrack for ever.
const SWARM_NAME = /^[a-zA-Z0-9](?:[-_a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const SWARM_NAME_MAX = 63;
const INTEGER = /^[+-]?[0-9]+$/;
// [registry[:port]/]path[:tag][@sha256:digest], path components lowercase as Docker requires
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE = new RegExp(
  `^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*` +
    `(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
/**
 * Network names Docker or Swarm already use on every node, or refuse to create ("default"); Swarm compares names
 * without regard to case, so these are refused in any case. Service names have no reserved words, and a service may
 * share its name with the overlay: Swarm keeps networks and services apart.
 */
export const RESERVED_NETWORKS: readonly string[] = ["ingress", "bridge", "host", "none", "docker_gwbridge", "default"];

/** Turns the swarmlab: settings (namespace removed, values as strings) into a validated LabSpec. */
export function labSpecFromConfig(raw: Record<string, string>): LabSpec {
  for (const key of Object.keys(raw)) {
    if (!CONFIG_KEYS.includes(key)) throw unknownKey(key, raw[key], raw);
  }
  const has = (key: string) => raw[key] !== undefined;

  const name = has("name") ? raw.name : DEFAULT_NAME;
  const nameProblem = labNameProblem(name);
  if (nameProblem) throw new ConfigError("name", name, `pulumi config set ${NS}:name ${DEFAULT_NAME}`, nameProblem);

  const backend = has("backend") ? raw.backend : "docker";
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new ConfigError(
      "backend",
      backend,
      `pulumi config set ${NS}:backend docker`,
      `unknown backend; valid backends are ${BACKENDS.join(", ")}`,
    );
  }

  const workersSet = has("workers") ? parseWorkers(raw.workers) : undefined;
  const hostnames = has("nodes") ? parseNodes(raw.nodes, workersSet) : defaultHostnames(workersSet ?? DEFAULT_WORKERS);
  const workers = hostnames.length - 1;
  if (workersSet !== undefined && workersSet !== workers) {
    throw new ConfigError(
      "workers",
      raw.workers,
      `pulumi config set ${NS}:workers ${workers} (or pulumi config rm ${NS}:workers and let ${NS}:nodes decide)`,
      `disagrees with ${NS}:nodes, which lists ${hostnames.length} nodes: 1 manager and ${workers} worker${workers === 1 ? "" : "s"}`,
    );
  }

  const subnetText = has("subnet") ? raw.subnet : DEFAULT_SUBNET;
  const cidr = parseSubnet(subnetText, hostnames.length);
  const nodes: NodeSpec[] = hostnames.map((hostname, i) => ({
    name: hostname,
    role: i === 0 ? "manager" : "worker",
    address: formatIPv4(addressAt(cidr.network, FIRST_NODE_OFFSET + i)),
  }));
  const upstream = { name: UPSTREAM_NAME, address: formatIPv4(cidr.broadcast - 1) };

  const egress = has("egress") ? raw.egress : "none";
  if (!(EGRESSES as readonly string[]).includes(egress)) {
    throw new ConfigError(
      "egress",
      egress,
      `pulumi config set ${NS}:egress none (or internet to ping ${INTERNET_PING_TARGET} for real)`,
      `egress is one of ${EGRESSES.join(", ")}`,
    );
  }

  const replicas = has("replicas") ? parseReplicas(raw.replicas, workers, has("nodes")) : Math.min(2, workers);

  const overlay = has("overlay") ? raw.overlay : DEFAULT_OVERLAY;
  checkSwarmName("overlay", overlay, DEFAULT_OVERLAY, "network");
  if (isReservedNetwork(overlay)) {
    throw new ConfigError(
      "overlay",
      overlay,
      `pulumi config set ${NS}:overlay ${DEFAULT_OVERLAY}`,
      `Docker already has or reserves a network of that name on every node (${RESERVED_NETWORKS.join(", ")}, in any case)`,
    );
  }
  const service = has("service") ? raw.service : DEFAULT_SERVICE;
  checkSwarmName("service", service, DEFAULT_SERVICE, "service");

  const image = has("image") ? raw.image : DEFAULT_IMAGE;
  if (image.length > 255 || !IMAGE.test(image)) {
    throw new ConfigError(
      "image",
      image,
      `pulumi config set ${NS}:image ${DEFAULT_IMAGE}`,
      "not a Docker image reference ([registry/]name[:tag], name in lowercase)",
    );
  }
  if (MACHINE_IMAGE_REPOS.includes(imageRepository(image))) {
    throw new ConfigError(
      "image",
      image,
      `pulumi config set ${NS}:image ${DEFAULT_IMAGE}`,
      "the image of the lab's machines (Debian with dockerd and sshd), not one for the service's tasks",
    );
  }

  const encrypted = has("encrypted") ? parseBoolean("encrypted", raw.encrypted, "false") : false;

  // The vagrant backend: Vagrant's provider ("" = the one installed, decided where the host is known), and what its
  // machines' networks allow: a /24 (the Vagrantfile's rule) that never routes off this machine.
  const vagrantProvider = has("vagrantProvider") ? raw.vagrantProvider : "";
  if (vagrantProvider !== "" && !(VAGRANT_PROVIDERS as readonly string[]).includes(vagrantProvider)) {
    throw new ConfigError("vagrantProvider", vagrantProvider, `pulumi config set ${NS}:vagrantProvider libvirt`, `Vagrant's provider is one of ${VAGRANT_PROVIDERS.join(", ")}`);
  }
  if (backend === "vagrant") {
    if (cidr.prefix !== 24) {
      throw new ConfigError("subnet", subnetText, `pulumi config set ${NS}:subnet ${formatIPv4(cidr.network)}/24`, "the vagrant backend's lab network is a /24 (the Vagrantfile's rule)");
    }
    if (egress !== "none") {
      throw new ConfigError("egress", egress, `pulumi config set ${NS}:egress none`, "the vagrant backend's VMs sit on isolated libvirt networks only: nothing leaves this machine");
    }
  }

  return {
    name,
    backend: backend as BackendName,
    subnet: formatCidr(cidr),
    gateway: formatIPv4(addressAt(cidr.network, 1)),
    nodes,
    upstream,
    egress: egress as Egress,
    pingTarget: egress === "internet" ? INTERNET_PING_TARGET : upstream.address,
    overlay: { name: overlay, encrypted },
    service: { name: service, image, replicas },
    ...(backend === "vagrant" ? { vagrantProvider: vagrantProvider as VagrantProvider | "" } : {}),
  };
}

/** A boolean setting, as Pulumi hands it to the program ("true" or "false"). */
function parseBoolean(key: string, text: string, fallback: "true" | "false"): boolean {
  if (text === "true" || text === "false") return text === "true";
  throw new ConfigError(key, text, `pulumi config set ${NS}:${key} ${fallback}`, "a yes-or-no setting: true or false");
}

/** Whether this machine's kernel can carry an encrypted overlay (the doctor's ESP/GCM check), and what it found. */
export interface EncryptionSupport {
  available: boolean;
  /** The kernel and what it lacks, e.g. "Linux 6.18.44: CONFIG_INET_ESP is not set". */
  detail: string;
}

/**
 * swarmlab:encrypted true on container nodes: an encrypted overlay is IPsec ESP with AES-GCM between the nodes, made
 * by each node's kernel, and container nodes share this machine's. Refused, before anything is made, when it lacks
 * them. Machines with kernels of their own (VMs) are not judged by this one.
 */
export function assertEncryptionFits(spec: LabSpec, kernel: EncryptionSupport): void {
  if (!spec.overlay.encrypted || spec.backend !== "docker" || kernel.available) return;
  throw new ConfigError(
    "encrypted",
    "true",
    `pulumi config set ${NS}:encrypted false`,
    `not available on this kernel (${kernel.detail}): an encrypted overlay is IPsec ESP with AES-GCM between the nodes, ` +
      `and container nodes share this machine's kernel; machines with their own kernel (VMs) can have it`,
  );
}

/** A whole number from 1 to max; `tooMany` says why more is refused, with its own fix. */
function parseCount(key: string, text: string, noun: string, none: string, fix: string, max: number, tooMany: [string, string]): number {
  if (!INTEGER.test(text)) throw new ConfigError(key, text, fix, `the number of ${noun} must be a whole number`);
  const n = Number(text);
  if (n < 1) throw new ConfigError(key, text, fix, none);
  if (n > max) throw new ConfigError(key, text, tooMany[1], tooMany[0]);
  return n;
}

function parseWorkers(text: string): number {
  const fix = `pulumi config set ${NS}:workers ${DEFAULT_WORKERS}`;
  return parseCount("workers", text, "workers", "a lab needs at least one worker", fix, MAX_WORKERS, [
    `absurdly many workers: each node is a container running its own Docker engine, and more than ${MAX_WORKERS} would swamp a 2-core machine`,
    fix,
  ]);
}

function defaultHostnames(workers: number): string[] {
  return ["swarm-manager", ...Array.from({ length: workers }, (_, i) => `swarm-worker${i + 1}`)];
}

/** `workersSet`: swarmlab:workers when set, so that the fix's list agrees with it. */
function parseNodes(text: string, workersSet: number | undefined): string[] {
  const fix = `pulumi config set ${NS}:nodes '${JSON.stringify(defaultHostnames(workersSet ?? DEFAULT_WORKERS))}'`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError("nodes", text, fix, "not JSON; nodes is a JSON list of hostnames, the manager first");
  }
  if (!Array.isArray(parsed) || !parsed.every((n) => typeof n === "string")) {
    throw new ConfigError("nodes", text, fix, "nodes is a JSON list of hostname strings, the manager first");
  }
  const names = parsed as string[];
  if (names.length < 2) {
    throw new ConfigError("nodes", text, fix, "a lab needs at least 2 nodes: a manager and a worker");
  }
  if (names.length - 1 > MAX_WORKERS) {
    throw new ConfigError(
      "nodes",
      text,
      fix,
      `absurdly many nodes (${names.length}): each is a container running its own Docker engine, and more than ${MAX_WORKERS} workers would swamp a 2-core machine`,
    );
  }
  const seen = new Set<string>([UPSTREAM_NAME]);
  for (const name of names) {
    if (!HOSTNAME.test(name)) {
      throw new ConfigError(
        "nodes",
        text,
        fix,
        `${JSON.stringify(name)} is not a valid hostname (RFC 1123 label: 1-63 lowercase letters, digits or '-', not starting or ending with '-')`,
      );
    }
    if (seen.has(name)) {
      const why = name === UPSTREAM_NAME ? "it is the name of the lab's upstream host" : "each node needs its own hostname";
      throw new ConfigError("nodes", text, fix, `duplicate hostname ${JSON.stringify(name)}: ${why}`);
    }
    seen.add(name);
  }
  return names;
}

function parseSubnet(text: string, nodeCount: number): Cidr {
  const cidr = parseCidr(text);
  const setTo = (subnet: string) => `pulumi config set ${NS}:subnet ${subnet}`;
  if (!cidr) {
    throw new ConfigError("subnet", text, setTo(DEFAULT_SUBNET), "not an IPv4 CIDR block (a.b.c.d/n, each part 0-255, n 0-32)");
  }
  // The block's network first: the fix for host bits set (last) is then a network that passes every other check.
  const network = formatCidr(cidr);
  for (const reserved of RESERVED) {
    if (overlaps(cidr, parseCidr(reserved.cidr)!)) {
      throw new ConfigError("subnet", text, setTo(DEFAULT_SUBNET), `overlaps ${reserved.cidr}, ${reserved.why}`);
    }
  }
  const range = parseCidr(LAB_RANGE)!;
  if (cidr.network < range.network || cidr.broadcast > range.broadcast) {
    const target = parseIPv4(INTERNET_PING_TARGET)!;
    const inside = target >= cidr.network && target <= cidr.broadcast ? `; ${INTERNET_PING_TARGET}, the internet ping target, would be inside the lab` : "";
    throw new ConfigError(
      "subnet",
      text,
      setTo(DEFAULT_SUBNET),
      `not a private range: lab networks lie in ${LAB_RANGE}, the private range (RFC 1918) Docker leaves free; ` +
        `any other block hides those addresses from this host${inside}`,
    );
  }
  if (cidr.prefix < WIDEST_PREFIX) {
    const defaultCidr = parseCidr(DEFAULT_SUBNET)!;
    const inside = overlaps(cidr, defaultCidr) ? DEFAULT_SUBNET : formatCidr({ network: cidr.network, prefix: WIDEST_PREFIX });
    throw new ConfigError(
      "subnet",
      text,
      setTo(inside),
      `wider than a /${WIDEST_PREFIX}: a lab spans at most ${FIRST_NODE_OFFSET + MAX_WORKERS + 3} addresses, and a wider block ` +
        `takes more from the host's neighbours (a LAN, libvirt's 192.168.122.0/24, a VPN), which the lab network hides ` +
        `and its egress rule cuts off`,
    );
  }
  // gateway .1, nodes from .10 up, upstream at the last usable address: the last node must stay below it
  const lastNode = cidr.network + FIRST_NODE_OFFSET + nodeCount - 1;
  const upstream = cidr.broadcast - 1;
  if (lastNode >= upstream) {
    throw new ConfigError(
      "subnet",
      text,
      setTo(formatCidr({ network: cidr.network, prefix: WIDEST_PREFIX })),
      `too small for ${nodeCount} nodes: they would take ${formatIPv4(cidr.network + FIRST_NODE_OFFSET)}-${formatIPv4(lastNode)} ` +
        `(network+${FIRST_NODE_OFFSET} onwards) but must stay below the upstream at the last usable address, ${formatIPv4(upstream)}`,
    );
  }
  if (cidr.address !== cidr.network) {
    throw new ConfigError("subnet", text, setTo(network), `not a network address: the host bits must be zero (the network is ${network})`);
  }
  return cidr;
}

/** `nodesSet`: swarmlab:nodes lists the hosts, so raising swarmlab:workers alone is no fix. */
function parseReplicas(text: string, workers: number, nodesSet: boolean): number {
  const fix = `pulumi config set ${NS}:replicas ${Math.min(2, workers)}`;
  const wanted = INTEGER.test(text) ? Number(text) : NaN;
  const moreWorkers = !nodesSet && wanted > workers && wanted <= MAX_WORKERS ? ` (or pulumi config set ${NS}:workers ${wanted})` : "";
  const limit = wanted > MAX_WORKERS ? `, and a lab has at most ${MAX_WORKERS} workers` : "";
  return parseCount("replicas", text, "replicas", "the service needs at least one replica", fix, workers, [
    `more replicas than workers (${workers}): the lab runs one task per worker${limit}`,
    `${fix}${moreWorkers}`,
  ]);
}

function checkSwarmName(key: "overlay" | "service", value: string, fallback: string, what: string): void {
  if (value.length > SWARM_NAME_MAX || !SWARM_NAME.test(value)) {
    throw new ConfigError(
      key,
      value,
      `pulumi config set ${NS}:${key} ${nameLike(value, fallback, key === "overlay")}`,
      `not a valid Swarm ${what} name: 1-${SWARM_NAME_MAX} letters, digits, '-' or '_', beginning and ending with a letter or digit`,
    );
  }
}

/** The value made into a valid Swarm name (my.net -> my-net), no reserved network name for a network, else the fallback. */
function nameLike(value: string, fallback: string, network: boolean): string {
  const name = value.replace(/[^-_a-zA-Z0-9]+/g, "-").replace(/^[-_]+/, "").slice(0, SWARM_NAME_MAX).replace(/[-_]+$/, "");
  return SWARM_NAME.test(name) && !(network && isReservedNetwork(name)) ? name : fallback;
}

function isReservedNetwork(name: string): boolean {
  return RESERVED_NETWORKS.includes(name.toLowerCase());
}

/** An image reference's repository, without registry docker.io, namespace library/, tag or digest. */
export function imageRepository(ref: string): string {
  const path = ref.replace(/@.*$/, "").replace(/:[^:/]*$/, "");
  return path.replace(/^(?:docker\.io\/|index\.docker\.io\/)?(?:library\/)?/, "");
}

/** The reference as Docker completes it: docker.io/library/ and :latest dropped or added (busybox = busybox:latest). */
export function sameImage(a: string, b: string): boolean {
  const norm = (ref: string) => {
    const digest = /@.*$/.exec(ref)?.[0] ?? "";
    const noDigest = ref.slice(0, ref.length - digest.length);
    const tag = /:[^:/]*$/.exec(noDigest)?.[0] ?? (digest ? "" : ":latest");
    return `${imageRepository(ref)}${tag}${digest}`;
  };
  return norm(a) === norm(b);
}

function unknownKey(key: string, value: string, raw: Record<string, string>): ConfigError {
  const near = closest(key);
  const rm = `pulumi config rm ${shellWord(`${NS}:${key}`)}`;
  // the value moves to the key meant only if it is valid there: otherwise the fix is the rm alone
  const moved = near && raw[near] === undefined && validFor(near, value, raw, key) ? ` && pulumi config set ${NS}:${near} ${shellWord(value)}` : "";
  const known = `known keys are ${CONFIG_KEYS.map((k) => `${NS}:${k}`).join(", ")}`;
  return new ConfigError(key, value, `${rm}${moved}`, near ? `unknown key (did you mean ${NS}:${near}?); ${known}` : `unknown key; ${known}`);
}

/**
 * Whether `value` is accepted as `key` (a known key) in these settings, without `drop` and unknown keys. A problem of
 * another key is that key's own: it is set aside and the check runs again, until `key` passes or is refused.
 */
function validFor(key: string, value: string, raw: Record<string, string>, drop?: string): boolean {
  const settings: Record<string, string> = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== drop && CONFIG_KEYS.includes(k)));
  settings[key] = value;
  for (;;) {
    try {
      labSpecFromConfig(settings);
      return true;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      if (e.key === key || !(e.key in settings)) return e.key !== key;
      delete settings[e.key];
    }
  }
}

/**
 * Settings the lab ignores although they look meant for it: keys of a namespace that is a near miss of swarmlab
 * (swarmLab:workers, swarmlabs:subnet, swarm-lab:name). One line each, naming the key meant; warnings, not errors:
 * the namespace may belong to something else. `all`: every namespace:key of the stack's config.
 */
export function settingsWarnings(all: Record<string, string>): string[] {
  const ours: Record<string, string> = Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith(`${NS}:`))
      .map(([k, v]) => [k.slice(NS.length + 1), v]),
  );
  const warnings: string[] = [];
  for (const [full, value] of Object.entries(all)) {
    const colon = full.indexOf(":");
    const ns = full.slice(0, colon);
    const key = full.slice(colon + 1);
    if (colon < 0 || ns === NS || !nearNamespace(ns)) continue;
    const meant = CONFIG_KEYS.includes(key) ? key : closest(key);
    const rm = `pulumi config rm ${shellWord(full)}`;
    const ignored = `ignored: the namespace is ${NS}, not ${ns}`;
    if (!meant) {
      warnings.push(oneLine(full, value, `${ignored}, and ${NS} has no key like ${JSON.stringify(key)}`, rm, null));
    } else if (ours[meant] !== undefined) {
      warnings.push(oneLine(full, value, `${ignored}; ${NS}:${meant} is set as well, to ${show(ours[meant])}`, rm, null));
    } else {
      const moved = validFor(meant, value, ours) ? ` && pulumi config set ${NS}:${meant} ${shellWord(value)}` : "";
      warnings.push(oneLine(full, value, `${ignored}, so the lab goes without ${NS}:${meant}`, `${rm}${moved}`, null));
    }
  }
  return warnings;
}

/** Whether a namespace looks like a slip for swarmlab (case, '-', '_', up to two letters). */
function nearNamespace(ns: string): boolean {
  return levenshtein(ns.toLowerCase().replace(/[^a-z0-9]/g, ""), NS) <= 2;
}

/** The known key closest to a misspelt one, if it is a near miss. */
function closest(key: string): string | undefined {
  const lower = key.toLowerCase().replace(/^swarmlab:/, "");
  let best: { key: string; distance: number } | undefined;
  for (const known of CONFIG_KEYS) {
    const distance = levenshtein(lower, known);
    if (!best || distance < best.distance) best = { key: known, distance };
  }
  if (!best) return undefined;
  const limit = best.key.length <= 4 ? 1 : 2;
  return best.distance <= limit ? best.key : undefined;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** `key = "value": problem. Fix: fix`, on one line: the shape of every ConfigError and settings warning. */
function oneLine(key: string, value: unknown, problem: string, fix: string, ns: string | null = NS): string {
  return `${showKey(key, ns)} = ${show(value)}: ${problem.replace(/\.+$/, "")}. Fix: ${fix}`;
}

/** A key as it appears in a message: namespace:key (ns null: key has its own), JSON-quoted when unusual (one line). */
function showKey(key: string, ns: string | null): string {
  const full = ns === null ? key : `${ns}:${key}`;
  return /^[A-Za-z0-9_.:-]+$/.test(full) ? full : JSON.stringify(full);
}

/** A value as it appears in a message: JSON-quoted, so it stays on one line. */
function show(value: unknown): string {
  if (value === undefined) return "(unset)";
  return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}

/** A word safe to paste into a shell: as it is, in single quotes, or (with control characters) in $'...', on one line. */
function shellWord(value: string): string {
  if (/^[A-Za-z0-9_./:@+-]+$/.test(value)) return value;
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x1f\x7f]/.test(value)) return `'${value.replace(/'/g, `'\\''`)}'`;
  const escaped = value.replace(/[\\']/g, (c) => `\\${c}`).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return `$'${escaped}'`;
}
