// Stack configuration (the swarmlab: namespace) -> LabSpec, validated up front.
// Every problem becomes one ConfigError whose one-line message names the key, the value,
// what is wrong and the command that fixes it; the value that command sets passes these checks itself.
// This file is pure: what needs the host (its routes and addresses, Docker's networks and pools, the service's
// image) is checked against facts read once, by lab/host-facts.ts.

import { BACKEND_NAMES, BACKEND_SETTINGS } from "./backends/names";
import type { BackendSettings, SettingRefusal } from "./backends/settings";
import { BackendName, Egress, LabSpec, NodeSpec } from "./types";
import { labNameProblem } from "./lab-name";
import { Cidr, addressAt, formatCidr, formatIPv4, maskOf, overlaps, parseCidr, parseIPv4 } from "./net";

const NS = "swarmlab";

/**
 * A problem with one setting, in its two parts: what it says (`key = "value": problem`) and the command that fixes
 * it. Kept apart so that the doctor shows them apart; joined into one line only where it is shown (lineOf).
 */
export interface SettingProblem {
  says: string;
  fix: string;
}

/** The one line a setting's problem is shown as: `key = "value": problem. Fix: fix`. */
export function lineOf(p: SettingProblem): string {
  return `${p.says}. Fix: ${p.fix}`;
}

export class ConfigError extends Error implements SettingProblem {
  /** `key = "value": problem`: the message without its fix. */
  readonly says: string;

  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly fix: string,
    problem: string,
  ) {
    const says = saysOf(key, value, problem);
    super(lineOf({ says, fix }));
    this.says = says;
    this.name = "ConfigError";
  }
}

/** One setting as the stack keeps it: its text, and whether it is a secret (the Automation API's ConfigValue). */
export interface Setting {
  value: string;
  secret?: boolean;
}

/** Stands for a secret's value in a ConfigError and in messages ("[secret]"): the value itself is never shown. */
export class Redacted {
  toString(): string {
    return "[secret]";
  }
  toJSON(): string {
    return "[secret]";
  }
}
export const REDACTED = new Redacted();

/**
 * The known keys, without the namespace: the common ones, then each backend's own (lab/backends/<name>/settings.ts;
 * vagrant: vagrantProvider), in the order of lab/backends/names.ts.
 */
export const CONFIG_KEYS: readonly string[] = Object.freeze([
  "name",
  "backend",
  "workers",
  "managers",
  "nodes",
  "subnet",
  "egress",
  "replicas",
  "overlay",
  "service",
  "image",
  "encrypted",
  ...new Set(Object.values(BACKEND_SETTINGS).flatMap((b: BackendSettings) => Object.keys(b.keys ?? {}))),
]);

const BACKENDS: readonly BackendName[] = BACKEND_NAMES;
const EGRESSES: readonly Egress[] = ["none", "internet"];

export const DEFAULT_NAME = "swarmlab";
/** Containers: the backend every host with Docker runs (Pulumi.yaml declares the same default). */
export const DEFAULT_BACKEND: BackendName = "docker";
export const DEFAULT_WORKERS = 2;
export const MAX_WORKERS = 20;
export const DEFAULT_MANAGERS = 1;
/**
 * The numbers of managers a lab may have: odd, so that a majority (Raft's quorum, ⌊N/2⌋+1) survives ⌊N/2⌋ of them
 * failing (an even number survives no more failures than the odd number below it); Swarm's docs advise at most 7,
 * and 5 already takes a 2-core machine's share.
 */
export const MANAGER_COUNTS: readonly number[] = [1, 3, 5];
export const DEFAULT_SUBNET = "192.168.56.0/24"; // the VirtualBox host-only range
export const DEFAULT_OVERLAY = "mynet";
export const DEFAULT_SERVICE = "test";
export const DEFAULT_IMAGE = "busybox:latest";
export const UPSTREAM_NAME = "upstream";
/** Repositories of the images the lab's machines run, every backend's (its settings.ts): never a service's image. */
export const MACHINE_IMAGE_REPOS: readonly string[] = Object.values(BACKEND_SETTINGS).flatMap((b: BackendSettings) => b.machineImages ?? []);
/**
 * Where lab networks go: the private ranges (RFC 1918) minus those Docker takes (10.0.0.0/8 for Swarm's overlays,
 * 172.16.0.0/12 for its bridges) leave 192.168.0.0/16. A public block would hide those internet addresses from this
 * host (and, with egress internet, put the "internet" inside the lab); there is no opt-in for one.
 */
export const LAB_RANGE = "192.168.0.0/16";
/**
 * The widest lab network. A lab spans at most 37 addresses (the network address, the gateway at .1, 25 nodes from .10,
 * the upstream and the broadcast address), and a wider block only takes more addresses from the host's neighbours (a
 * LAN, libvirt's 192.168.122.0/24, a VPN): the lab network would hide them and its egress rule drops what is forwarded
 * to them.
 */
export const WIDEST_PREFIX = 24;
/** Offset of the first manager's address in the subnet (.10); the other managers, then the workers, follow. */
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
// Numbers in plain decimal only: 010 is 8 to Pulumi's YAML reader and 10 to js-yaml's, +3 and 1e1 and 3.0 are numbers
// to some readers and text to others. A minus sign is plain: -1 is refused as less than one, not as odd notation.
const PLAIN_DECIMAL = /^-?(0|[1-9][0-9]*)$/;
const COUNT_KEYS: readonly string[] = ["workers", "managers", "replicas"];
const BOOLEAN_KEYS: readonly string[] = ["encrypted"];
// [registry[:port]/]path[:tag][@sha256:digest], path components lowercase as Docker requires
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE = new RegExp(
  `^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*` + `(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
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
  if (nameProblem) {
    // A name the project keeps for itself is a valid name otherwise: the fix keeps the user's word.
    const fixed = labNameProblem(`${name}-lab`) ? DEFAULT_NAME : `${name}-lab`;
    throw new ConfigError("name", name, `pulumi config set ${NS}:name ${fixed}`, nameProblem);
  }

  const backend = has("backend") ? raw.backend : DEFAULT_BACKEND;
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new ConfigError(
      "backend",
      backend,
      `pulumi config set ${NS}:backend ${DEFAULT_BACKEND}`,
      `unknown backend; valid backends are ${BACKENDS.join(", ")}`,
    );
  }

  const managers = has("managers") ? parseManagers(raw.managers, raw) : DEFAULT_MANAGERS;
  const workersSet = has("workers") ? parseWorkers(raw.workers, raw) : undefined;
  const hostnames = has("nodes") ? parseNodes(raw.nodes, workersSet, managers, raw) : defaultHostnames(workersSet ?? DEFAULT_WORKERS, managers);
  const workers = hostnames.length - managers;
  if (workersSet !== undefined && workersSet !== workers) {
    throw new ConfigError(
      "workers",
      raw.workers,
      `pulumi config set ${NS}:workers ${workers} (or pulumi config rm ${NS}:workers and let ${NS}:nodes decide)`,
      `disagrees with ${NS}:nodes, which lists ${hostnames.length} nodes: ${counted(managers, "manager")} and ${counted(workers, "worker")}`,
    );
  }

  // what the backend's settings take beyond these rules (lab/backends/<name>/settings.ts), asked below
  const own: BackendSettings = BACKEND_SETTINGS[backend as BackendName];

  const subnetText = has("subnet") ? raw.subnet : DEFAULT_SUBNET;
  // a backend whose networks have one size (vagrant: /24, refused below otherwise): every subnet fix suggests one
  const cidr = parseSubnet(subnetText, hostnames.length, own.fixedPrefix);
  // the managers first, in the settings' order (the first founds the swarm), then the workers
  const nodes: NodeSpec[] = hostnames.map((hostname, i) => ({
    name: hostname,
    role: i < managers ? "manager" : "worker",
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

  const replicas = has("replicas") ? parseReplicas(raw.replicas, workers, has("nodes"), raw) : Math.min(2, workers);

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

  const encrypted = has("encrypted") ? parseBoolean("encrypted", raw.encrypted, "false", raw) : false;

  // Each backend's own keys, checked whenever set (whichever backend is chosen); then what this lab's backend refuses
  // of the settings above.
  for (const b of Object.values(BACKEND_SETTINGS) as BackendSettings[]) {
    for (const [key, check] of Object.entries(b.keys ?? {})) if (has(key)) refuse(check(raw[key]));
  }
  refuse(own.refuses?.({ subnet: cidr, subnetText, egress }));
  const backendSettings =
    own.keys &&
    Object.fromEntries(
      Object.keys(own.keys)
        .filter(has)
        .map((k) => [k, raw[k]]),
    );

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
    ...(backendSettings ? { backendSettings } : {}),
  };
}

/** A backend's refusal of a setting, as the ConfigError every setting's problem is. */
function refuse(r: SettingRefusal | undefined): void {
  if (r) throw new ConfigError(r.key, r.value, r.fix, r.problem);
}

/** A boolean setting, as Pulumi hands it to the program ("true" or "false"). */
function parseBoolean(key: string, text: string, fallback: "true" | "false", raw: Record<string, string>): boolean {
  if (text === "true" || text === "false") return text === "true";
  // yes, True, 1, on: the fix keeps what was meant, written as the one spelling every reader agrees on
  const fix = fixSetting(key, [booleanReading(text), fallback], raw) ?? rmFix(key);
  throw new ConfigError(key, text, fix, "a yes-or-no setting: true or false");
}

/** Whether this machine's kernel can carry an encrypted overlay (the doctor's ESP/GCM check), and what it found. */
export interface EncryptionSupport {
  available: boolean;
  /** The kernel and what it lacks, e.g. "Linux 6.18.44: CONFIG_INET_ESP is not set". */
  detail: string;
}

/**
 * swarmlab:encrypted true on nodes that share this machine's kernel (containers): an encrypted overlay is IPsec ESP
 * with AES-GCM between the nodes, made by each node's kernel. Refused, before anything is made, when it lacks them.
 * Only for a backend whose machines run this kernel: the caller asks the backend's plugin (ownKernel), as
 * infra/program.ts does; machines with kernels of their own (VMs) are not judged by this one.
 */
export function assertEncryptionFits(spec: LabSpec, kernel: EncryptionSupport): void {
  if (!spec.overlay.encrypted || kernel.available) return;
  throw new ConfigError(
    "encrypted",
    "true",
    `pulumi config set ${NS}:encrypted false`,
    `not available on this kernel (${kernel.detail}): an encrypted overlay is IPsec ESP with AES-GCM between the nodes, ` +
      `and container nodes share this machine's kernel; machines with their own kernel (VMs) can have it`,
  );
}

/**
 * A whole number from 1 to `max`, in plain decimal. `fix(meant)`: the fix, given the number the text most likely
 * means when it has one (010, 0x10, +3, 1e1, " 3"); `tooMany`: why more than `max` is refused, and its fix.
 */
function parseCount(
  key: string,
  text: string,
  noun: string,
  none: string,
  max: number,
  fix: (meant?: number) => string,
  tooMany: (n: number) => [string, string],
): number {
  if (!PLAIN_DECIMAL.test(text)) {
    const meant = wholeNumberReading(text);
    if (meant === undefined) throw new ConfigError(key, text, fix(), `the number of ${noun} must be a whole number`);
    throw new ConfigError(key, text, fix(meant), `not plain decimal (${notationOf(text)}): ${PLAIN_WHY}`);
  }
  const n = Number(text);
  if (n < 1) throw new ConfigError(key, text, fix(), none);
  if (n > max) {
    const [problem, more] = tooMany(n);
    throw new ConfigError(key, text, more, problem);
  }
  return n;
}

const PLAIN_WHY = "numbers are written in plain decimal digits, which every reader of the settings reads alike";

/**
 * What sets a count right: the number meant, the default or `others` (in that order, the first with which all the
 * settings pass, else the first the key takes), else rm.
 */
function countFix(key: string, fallback: number, raw: Record<string, string>, others: (string | undefined)[] = []): (meant?: number) => string {
  return (meant) => {
    const values = [meant === undefined ? undefined : String(meant), String(fallback), ...others];
    return fixSetting(key, values, raw) ?? rmFix(key);
  };
}

function parseWorkers(text: string, raw: Record<string, string>): number {
  // with swarmlab:nodes set, the default 2 may disagree with it: then the fix is rm, and nodes decides; with
  // swarmlab:replicas above 2, as many workers as replicas is what makes both pass
  const fix = countFix("workers", DEFAULT_WORKERS, raw, [raw.replicas]);
  return parseCount("workers", text, "workers", "a lab needs at least one worker", MAX_WORKERS, fix, () => [
    `absurdly many workers: each node is a container running its own Docker engine, and more than ${MAX_WORKERS} would swamp a 2-core machine`,
    fix(),
  ]);
}

/**
 * swarmlab:managers: 1, 3 or 5. More managers than the nodes leave room for is the nodes' problem (parseNodes): with
 * swarmlab:workers, the nodes are the managers and the workers, so at least one worker stays.
 */
function parseManagers(text: string, raw: Record<string, string>): number {
  const largest = MANAGER_COUNTS[MANAGER_COUNTS.length - 1];
  const fix = (meant?: number) => {
    // the count nearest the one meant (of two as near, the larger: more managers were asked for), else the default
    const near = meant === undefined ? [] : [...MANAGER_COUNTS].sort((a, b) => Math.abs(a - meant) - Math.abs(b - meant) || b - a);
    return fixSetting("managers", [...near, DEFAULT_MANAGERS, ...MANAGER_COUNTS].map(String), raw) ?? rmFix("managers");
  };
  const n = parseCount("managers", text, "managers", "a swarm needs at least one manager", largest, fix, (wanted) => [
    `more managers than a lab takes (at most ${largest}): each one runs Raft and its own Docker engine, and ${largest} already survive 2 failures`,
    fix(wanted),
  ]);
  if (!MANAGER_COUNTS.includes(n)) {
    throw new ConfigError(
      "managers",
      text,
      fix(n),
      `a lab has 1, 3 or 5 managers: a majority of them (Raft's quorum, ⌊N/2⌋+1) must stay up, ` +
        `so ${n} managers survive no more failures than ${n - 1}`,
    );
  }
  return n;
}

/**
 * The default hostnames: one manager is the tutorial's swarm-manager; several are swarm-manager1… (the first founds
 * the swarm); then swarm-worker1….
 */
function defaultHostnames(workers: number, managers = DEFAULT_MANAGERS): string[] {
  const managerNames = managers === 1 ? ["swarm-manager"] : Array.from({ length: managers }, (_, i) => `swarm-manager${i + 1}`);
  return [...managerNames, ...Array.from({ length: workers }, (_, i) => `swarm-worker${i + 1}`)];
}

const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/**
 * `workersSet`: swarmlab:workers when set, so that the fix's list agrees with it; `managers`: the first that many
 * hostnames are the managers.
 */
function parseNodes(text: string, workersSet: number | undefined, managers: number, raw: Record<string, string>): string[] {
  const fix = `pulumi config set ${NS}:nodes '${JSON.stringify(defaultHostnames(workersSet ?? DEFAULT_WORKERS, managers))}'`;
  const first = managers === 1 ? "the manager first" : `the ${managers} managers first`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError("nodes", text, fix, `not JSON; nodes is a JSON list of hostnames, ${first}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((n) => typeof n === "string")) {
    throw new ConfigError("nodes", text, fix, `nodes is a JSON list of hostname strings, ${first}`);
  }
  const names = parsed as string[];
  if (names.length < managers + 1) {
    // fewer managers may be what fits the hosts listed: then that is the fix, else a longer list
    const fewer =
      names.length >= 2
        ? fixSetting(
            "managers",
            MANAGER_COUNTS.filter((n) => n < names.length)
              .map(String)
              .reverse(),
            raw,
          )
        : undefined;
    const also = managers === 1 ? "a manager and a worker" : `${managers} managers (${NS}:managers) and a worker`;
    throw new ConfigError("nodes", text, fewer ? `${fix} (or ${fewer})` : fix, `a lab needs at least ${managers + 1} nodes: ${also}`);
  }
  if (names.length - managers > MAX_WORKERS) {
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

/** `fixedPrefix`: the only prefix the backend takes (vagrant: 24), so that every fix suggests a block of it. */
function parseSubnet(text: string, nodeCount: number, fixedPrefix?: number): Cidr {
  const cidr = parseCidr(text);
  const setTo = (subnet: string) => `pulumi config set ${NS}:subnet ${subnet}`;
  // a block of that prefix holding the one written, with its host bits cleared: a fix that is itself a network
  const around = (c: Cidr, wanted: number) => {
    const prefix = fixedPrefix ?? wanted;
    return formatCidr({ network: (c.network & maskOf(prefix)) >>> 0, prefix });
  };
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
    const inside =
      target >= cidr.network && target <= cidr.broadcast ? `; ${INTERNET_PING_TARGET}, the internet ping target, would be inside the lab` : "";
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
    const inside = overlaps(cidr, defaultCidr) ? DEFAULT_SUBNET : around(cidr, WIDEST_PREFIX);
    throw new ConfigError(
      "subnet",
      text,
      setTo(inside),
      `wider than a /${WIDEST_PREFIX}: a lab spans at most ${FIRST_NODE_OFFSET + MAX_WORKERS + MANAGER_COUNTS[MANAGER_COUNTS.length - 1] + 2} addresses, and a wider block ` +
        `takes more from the host's neighbours (a LAN, libvirt's 192.168.122.0/24, a VPN), which the lab network hides ` +
        `and its egress rule cuts off`,
    );
  }
  // gateway .1, nodes from .10 up, upstream at the last usable address: the last node must stay below it. The
  // message counts addresses rather than naming them: in a /31 or /32 the nodes' addresses lie outside the block.
  const needed = FIRST_NODE_OFFSET + nodeCount + 2;
  const size = cidr.broadcast - cidr.network + 1;
  if (size < needed) {
    // the smallest block that holds the lab, around the one written (a /24 at most: needed is 33 at most)
    let prefix = cidr.prefix;
    while (2 ** (32 - prefix) < needed) prefix--;
    throw new ConfigError(
      "subnet",
      text,
      setTo(around(cidr, prefix)),
      `too small for ${nodeCount} nodes: a /${cidr.prefix} holds ${size} address${size === 1 ? "" : "es"}, ` +
        `and the lab needs ${needed} (network+${FIRST_NODE_OFFSET} to +${FIRST_NODE_OFFSET + nodeCount - 1} ` +
        `for the nodes, then the upstream and the broadcast address)`,
    );
  }
  if (cidr.address !== cidr.network) {
    const why = `not a network address: the host bits must be zero (the network is ${network})`;
    throw new ConfigError("subnet", text, setTo(around(cidr, cidr.prefix)), why);
  }
  return cidr;
}

/** `nodesSet`: swarmlab:nodes lists the hosts, so raising swarmlab:workers alone is no fix. */
function parseReplicas(text: string, workers: number, nodesSet: boolean, raw: Record<string, string>): number {
  const fix = countFix("replicas", Math.min(2, workers), raw);
  return parseCount("replicas", text, "replicas", "the service needs at least one replica", workers, fix, (wanted) => {
    // the alternative is offered only when it works: the settings, these replicas included, pass with those workers
    const raise = !nodesSet && wanted <= MAX_WORKERS && passesWith(raw, "workers", String(wanted));
    const moreWorkers = raise ? ` (or pulumi config set ${NS}:workers ${wanted})` : "";
    const limit = wanted > MAX_WORKERS ? `, and a lab has at most ${MAX_WORKERS} workers` : "";
    const why = `more replicas than workers (${workers}): the lab runs one task per worker${limit}`;
    return [why, `${fix()}${moreWorkers}`];
  });
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
  const name = value
    .replace(/[^-_a-zA-Z0-9]+/g, "-")
    .replace(/^[-_]+/, "")
    .slice(0, SWARM_NAME_MAX)
    .replace(/[-_]+$/, "");
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

/** `secret`: the value shows as [secret], and moves to the key meant by `pulumi config get`, never in the fix. */
function unknownKey(key: string, value: string, raw: Record<string, string>, secret = false): ConfigError {
  const near = closest(key);
  const move = near && raw[near] === undefined && validFor(near, value, raw, key) ? near : undefined;
  const fix = moveFix(`${NS}:${key}`, move, value, secret);
  return new ConfigError(key, secret ? REDACTED : value, fix, unknownKeyProblem(key, secret));
}

/** `also`: the other secret settings, named after this one's. */
function unknownKeyProblem(key: string, secret: boolean, also = ""): string {
  const near = closest(key);
  const known = `known keys are ${CONFIG_KEYS.map((k) => `${NS}:${k}`).join(", ")}`;
  const meant = near ? ` (did you mean ${NS}:${near}?)` : "";
  return `unknown key${meant}${secret ? `, kept as a secret${also}` : ""}; ${known}`;
}

/**
 * The fix for a setting under a key the lab does not read (`full`, with its namespace): rm, and set `to` (a key of
 * ours) when given. A secret's value is read back with `pulumi config get` before the rm, so it never appears here.
 */
function moveFix(full: string, to: string | undefined, value: string, secret: boolean): string {
  const rm = `pulumi config rm ${shellWord(full)}`;
  if (to === undefined) return rm;
  if (secret) return `pulumi config set ${NS}:${to} "$(pulumi config get ${shellWord(full)})" && ${rm}`;
  return `${rm} && pulumi config set ${NS}:${to} ${shellWord(value)}`;
}

/**
 * Whether `value` is accepted as `key` (a known key) in these settings, without `drop` and unknown keys. A problem of
 * another key is that key's own: it is set aside and the check runs again, until `key` passes or is refused.
 */
function validFor(key: string, value: string, raw: Record<string, string>, drop?: string): boolean {
  const settings = knownSettings(raw, drop);
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

/** Whether these settings (their known keys) pass as a whole with `key` set to `value`. */
function passesWith(raw: Record<string, string>, key: string, value: string): boolean {
  try {
    labSpecFromConfig({ ...knownSettings(raw), [key]: value });
    return true;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return false;
  }
}

function knownSettings(raw: Record<string, string>, drop?: string): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => k !== drop && CONFIG_KEYS.includes(k)));
}

/**
 * `pulumi config set swarmlab:<key> <v>` for the first of `values` with which these settings pass, else the first
 * `key` takes (another key's problem is that key's own, with its own fix); undefined when it takes none of them.
 */
export function fixSetting(key: string, values: readonly (string | undefined)[], raw: Record<string, string>): string | undefined {
  const candidates = values.filter((v): v is string => v !== undefined);
  const chosen = candidates.find((v) => passesWith(raw, key, v)) ?? candidates.find((v) => validFor(key, v, raw));
  return chosen === undefined ? undefined : `pulumi config set ${NS}:${key} ${shellWord(chosen)}`;
}

/** `pulumi config rm swarmlab:<key>`: the key's default then applies, which the other settings always take. */
export function rmFix(key: string): string {
  return `pulumi config rm ${shellWord(`${NS}:${key}`)}`;
}

/**
 * The whole number a count written in another notation most likely means: " 3" 3, "+3" 3, "010" 10 (as a person
 * reads it), "0x10" 16, "0o10" 8, "0b11" 3, "1_000" 1000, "1e1" 10, "3.0" 3. Undefined for anything else ("2.5").
 */
export function wholeNumberReading(text: string): number | undefined {
  const t = text.trim().replace(/_/g, "");
  const sign = t.startsWith("-") ? -1 : 1;
  const body = t.replace(/^[-+]/, "");
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0o[0-7]+$/i.test(body)) n = parseInt(body.slice(2), 8);
  else if (/^0b[01]+$/i.test(body)) n = parseInt(body.slice(2), 2);
  else if (/^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?$/i.test(body)) n = Number(body);
  else return undefined;
  n = sign * n;
  return Number.isSafeInteger(n) ? n + 0 : undefined; // + 0: -0 is 0
}

/** Why a count's text is not plain decimal, in a few words. */
function notationOf(text: string): string {
  const body = text.trim().replace(/^[-+]/, "");
  if (text.trim() !== text) return "blanks around it";
  if (text.startsWith("+")) return "a plus sign";
  if (/^0x/i.test(body)) return "hexadecimal";
  if (/^0o/i.test(body)) return "octal";
  if (/^0b/i.test(body)) return "binary";
  if (body.includes("_")) return "'_' between digits";
  if (/[.e]/i.test(body)) return "a fraction or an exponent";
  return "a leading zero: octal to some YAML readers, decimal to others";
}

/** The yes or no a boolean written another way means (yes, True, on, 1, n, OFF, 0), as true or false. */
export function booleanReading(text: string): "true" | "false" | undefined {
  const t = text.trim().toLowerCase();
  if (["true", "yes", "y", "on", "1"].includes(t)) return "true";
  if (["false", "no", "n", "off", "0"].includes(t)) return "false";
  return undefined;
}

/** What a setting written as `text` most likely means, written as every reader reads it (workers 010: "10"). */
export function meantSetting(key: string, text: string): string | undefined {
  if (COUNT_KEYS.includes(key)) {
    const n = wholeNumberReading(text);
    return n === undefined ? undefined : String(n);
  }
  return BOOLEAN_KEYS.includes(key) ? booleanReading(text) : text;
}

/**
 * The swarmlab: settings (namespace removed) as text, once none of them is a secret. A secret setting is refused, not
 * carried through: every setting ends up where no secret can stay one — the lab's and its nodes' names on containers
 * and in labels any Docker user here can list, the subnet, overlay, service and image in what `docker inspect` shows,
 * all of them in the parts' inputs in the stack's state. A user who made one secret expects it kept so, and it cannot
 * be: better to say so, in one line that shows the key and never the value, than to leak it or lose its secretness
 * silently. The fix sets the same value again in plain text (or removes it, when it would be refused anyway), and
 * covers every secret swarmlab: setting at once.
 */
export function plainSettings(settings: Record<string, string | Setting>): Record<string, string> {
  const plain: Record<string, string> = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, valueOf(v)]));
  const secret = Object.keys(settings).filter((k) => isSecret(settings[k]));
  if (secret.length === 0) return plain;
  const [key, ...others] = secret;
  const named = others.map((k) => `${NS}:${k}`).join(", ");
  const also = others.length === 0 ? "" : ` (so ${others.length === 1 ? "is" : "are"} ${named})`;
  const fix = secret.map((k) => secretFix(k, plain)).join(" && ");
  if (!CONFIG_KEYS.includes(key)) throw new ConfigError(key, REDACTED, fix, unknownKeyProblem(key, true, also));
  const refused = validFor(key, plain[key], plain) ? "" : `; nor would ${NS}:${key} take its value`;
  throw new ConfigError(
    key,
    REDACTED,
    fix,
    `kept as a secret${also}, but no ${NS} setting can stay one: each becomes part of what the lab makes ` +
      `(names, labels, addresses, options), which any Docker user here can inspect, and goes into the stack's state ` +
      `as it is${refused}`,
  );
}

function secretFix(key: string, plain: Record<string, string>): string {
  if (!CONFIG_KEYS.includes(key)) return unknownKey(key, plain[key], plain, true).fix;
  if (!validFor(key, plain[key], plain)) return rmFix(key);
  const full = shellWord(`${NS}:${key}`);
  return `pulumi config set ${full} "$(pulumi config get ${full})"`;
}

const valueOf = (v: string | Setting): string => (typeof v === "string" ? v : v.value);
const isSecret = (v: string | Setting): boolean => typeof v !== "string" && v.secret === true;

/**
 * Settings the lab ignores although they look meant for it: keys of a namespace that is a near miss of swarmlab
 * (swarmLab:workers, swarmlabs:subnet, swarm-lab:name). One each, naming the key meant (lineOf makes it the line
 * users see); warnings, not errors:
 * the namespace may belong to something else. `all`: every namespace:key of the stack's config; a secret's value is
 * shown as [secret], and moved only by `pulumi config get`.
 */
export function settingsWarnings(all: Record<string, string | Setting>): SettingProblem[] {
  const ours: Record<string, string | Setting> = Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith(`${NS}:`))
      .map(([k, v]) => [k.slice(NS.length + 1), v]),
  );
  const oursPlain: Record<string, string> = Object.fromEntries(Object.entries(ours).map(([k, v]) => [k, valueOf(v)]));
  const warnings: SettingProblem[] = [];
  for (const [full, setting] of Object.entries(all)) {
    const colon = full.indexOf(":");
    const ns = full.slice(0, colon);
    const key = full.slice(colon + 1);
    if (colon < 0 || ns === NS || !nearNamespace(ns)) continue;
    const value = valueOf(setting);
    const secret = isSecret(setting);
    const shown = secret ? REDACTED : value;
    const meant = CONFIG_KEYS.includes(key) ? key : closest(key);
    const ignored = `ignored: the namespace is ${NS}, not ${ns}`;
    const warn = (problem: string, to?: string) => {
      warnings.push({ says: saysOf(full, shown, problem, null), fix: moveFix(full, to, value, secret) });
    };
    if (!meant) {
      warn(`${ignored}, and ${NS} has no key like ${JSON.stringify(key)}`);
    } else if (ours[meant] !== undefined) {
      const theirs = isSecret(ours[meant]) ? REDACTED : valueOf(ours[meant]);
      warn(`${ignored}; ${NS}:${meant} is set as well, to ${show(theirs)}`);
    } else {
      warn(`${ignored}, so the lab goes without ${NS}:${meant}`, validFor(meant, value, oursPlain) ? meant : undefined);
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

/** `key = "value": problem`, on one line: what every ConfigError and settings warning says, before its fix. */
function saysOf(key: string, value: unknown, problem: string, ns: string | null = NS): string {
  return `${showKey(key, ns)} = ${show(value)}: ${problem.replace(/\.+$/, "")}`;
}

/** A key as it appears in a message: namespace:key (ns null: key has its own), JSON-quoted when unusual (one line). */
function showKey(key: string, ns: string | null): string {
  const full = ns === null ? key : `${ns}:${key}`;
  return /^[A-Za-z0-9_.:-]+$/.test(full) ? full : JSON.stringify(full);
}

/** A value as it appears in a message: JSON-quoted, so it stays on one line. */
function show(value: unknown): string {
  if (value === undefined) return "(unset)";
  if (value instanceof Redacted) return String(value);
  return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

/** A word safe to paste into a shell: as it is, in single quotes, or (with control characters) in $'...', on one line. */
function shellWord(value: string): string {
  if (/^[A-Za-z0-9_./:@+-]+$/.test(value)) return value;
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x1f\x7f]/.test(value)) return `'${value.replace(/'/g, `'\\''`)}'`;
  // eslint-disable-next-line no-control-regex
  const escaped = value.replace(/[\\']/g, (c) => `\\${c}`).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return `$'${escaped}'`;
}
