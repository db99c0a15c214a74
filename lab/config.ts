// Stack configuration (the swarmlab: namespace) -> LabSpec, validated up front.
// Every problem becomes one ConfigError whose one-line message names the key, the value,
// what is wrong and the command that fixes it.

import { BackendName, Egress, LabSpec, NodeSpec } from "./types";
import { Cidr, addressAt, formatCidr, formatIPv4, overlaps, parseCidr } from "./net";

const NS = "swarmlab";

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly fix: string,
    problem: string,
  ) {
    super(`${NS}:${key} = ${show(value)}: ${problem.replace(/\.+$/, "")}. Fix: ${fix}`);
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
]);

const BACKENDS: readonly BackendName[] = ["docker", "vagrant", "ssh"];
const EGRESSES: readonly Egress[] = ["none", "internet"];

export const DEFAULT_NAME = "swarmlab";
export const DEFAULT_WORKERS = 2;
export const MAX_WORKERS = 20;
export const DEFAULT_SUBNET = "192.168.56.0/24"; // the VirtualBox host-only range
export const DEFAULT_OVERLAY = "mynet";
export const DEFAULT_SERVICE = "test";
export const DEFAULT_IMAGE = "busybox:latest";
export const UPSTREAM_NAME = "upstream";
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
];

const LAB_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const INTEGER = /^[+-]?[0-9]+$/;
// [registry[:port]/]path[:tag][@sha256:digest], path components lowercase as Docker requires
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE = new RegExp(
  `^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*` +
    `(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
/** Network names Docker or Swarm already use on every node. */
const RESERVED_NETWORKS = ["ingress", "bridge", "host", "none", "docker_gwbridge"];

/** Turns the swarmlab: settings (namespace removed, values as strings) into a validated LabSpec. */
export function labSpecFromConfig(raw: Record<string, string>): LabSpec {
  for (const key of Object.keys(raw)) {
    if (!CONFIG_KEYS.includes(key)) throw unknownKey(key, raw[key]);
  }
  const has = (key: string) => raw[key] !== undefined;

  const name = has("name") ? raw.name : DEFAULT_NAME;
  if (!LAB_NAME.test(name)) {
    throw new ConfigError(
      "name",
      name,
      `pulumi config set ${NS}:name ${DEFAULT_NAME}`,
      "a lab name is 1-40 characters of a-z, 0-9 and '-', starting with a letter (it prefixes container names and labels everything the lab creates)",
    );
  }

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
  const hostnames = has("nodes") ? parseNodes(raw.nodes) : defaultHostnames(workersSet ?? DEFAULT_WORKERS);
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

  const replicas = has("replicas") ? parseReplicas(raw.replicas, workers) : Math.min(2, workers);

  const overlay = has("overlay") ? raw.overlay : DEFAULT_OVERLAY;
  checkDockerName("overlay", overlay, DEFAULT_OVERLAY, "network");
  if (RESERVED_NETWORKS.includes(overlay)) {
    throw new ConfigError(
      "overlay",
      overlay,
      `pulumi config set ${NS}:overlay ${DEFAULT_OVERLAY}`,
      `Docker already has a network of that name on every node (${RESERVED_NETWORKS.join(", ")} are taken)`,
    );
  }
  const service = has("service") ? raw.service : DEFAULT_SERVICE;
  checkDockerName("service", service, DEFAULT_SERVICE, "service");

  const image = has("image") ? raw.image : DEFAULT_IMAGE;
  if (image.length > 255 || !IMAGE.test(image)) {
    throw new ConfigError(
      "image",
      image,
      `pulumi config set ${NS}:image ${DEFAULT_IMAGE}`,
      "not a Docker image reference ([registry/]name[:tag], name in lowercase)",
    );
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
    overlay: { name: overlay },
    service: { name: service, image, replicas },
  };
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

function parseNodes(text: string): string[] {
  const fix = `pulumi config set ${NS}:nodes '${JSON.stringify(defaultHostnames(DEFAULT_WORKERS))}'`;
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
  if (!cidr) {
    throw new ConfigError(
      "subnet",
      text,
      `pulumi config set ${NS}:subnet ${DEFAULT_SUBNET}`,
      "not an IPv4 CIDR block (a.b.c.d/n, each part 0-255, n 0-32)",
    );
  }
  if (cidr.address !== cidr.network) {
    const corrected = formatCidr(cidr);
    throw new ConfigError(
      "subnet",
      text,
      `pulumi config set ${NS}:subnet ${corrected}`,
      `not a network address: the host bits must be zero (the network is ${corrected})`,
    );
  }
  for (const reserved of RESERVED) {
    if (overlaps(cidr, parseCidr(reserved.cidr)!)) {
      throw new ConfigError(
        "subnet",
        text,
        `pulumi config set ${NS}:subnet ${DEFAULT_SUBNET}`,
        `overlaps ${reserved.cidr}, ${reserved.why}`,
      );
    }
  }
  // gateway .1, nodes from .10 up, upstream at the last usable address: the last node must stay below it
  const lastNode = cidr.network + FIRST_NODE_OFFSET + nodeCount - 1;
  const upstream = cidr.broadcast - 1;
  if (lastNode >= upstream) {
    const slash24 = formatCidr(parseCidr(`${formatIPv4(cidr.network)}/24`)!);
    throw new ConfigError(
      "subnet",
      text,
      `pulumi config set ${NS}:subnet ${slash24}`,
      `too small for ${nodeCount} nodes: they would take ${formatIPv4(cidr.network + FIRST_NODE_OFFSET)}-${formatIPv4(lastNode)} ` +
        `(network+${FIRST_NODE_OFFSET} onwards) but must stay below the upstream at the last usable address, ${formatIPv4(upstream)}`,
    );
  }
  return cidr;
}

function parseReplicas(text: string, workers: number): number {
  const fix = `pulumi config set ${NS}:replicas ${Math.min(2, workers)}`;
  return parseCount("replicas", text, "replicas", "the service needs at least one replica", fix, workers, [
    `more replicas than workers (${workers}): the lab runs one task per worker`,
    `${fix} (or raise ${NS}:workers to ${text})`,
  ]);
}

function checkDockerName(key: string, value: string, fallback: string, what: string): void {
  if (value.length > 63 || !DOCKER_NAME.test(value)) {
    throw new ConfigError(
      key,
      value,
      `pulumi config set ${NS}:${key} ${fallback}`,
      `not a valid Docker ${what} name (1-63 characters of a-z, A-Z, 0-9, '_', '.', '-', starting with a letter or digit)`,
    );
  }
}

function unknownKey(key: string, value: string): ConfigError {
  const near = closest(key);
  const rm = `pulumi config rm ${NS}:${key}`;
  const fix = near
    ? `did you mean ${NS}:${near}? ${rm} && pulumi config set ${NS}:${near} ${shellWord(value)}`
    : `${rm}`;
  return new ConfigError(key, value, fix, `unknown key; known keys are ${CONFIG_KEYS.map((k) => `${NS}:${k}`).join(", ")}`);
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

/** A value as it appears in a message: JSON-quoted, so it stays on one line. */
function show(value: unknown): string {
  if (value === undefined) return "(unset)";
  return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}

/** A value safe to paste after `pulumi config set key`. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
