// Settings that could hurt the host or fail late are refused before anything is created (issue 10, item 1). One
// table: each bad input, the exact one-line message, run through the Pulumi program under mocks with fixture host
// facts, asserting that nothing was declared, that settings wrong in themselves are refused before the host is even
// read, and that the fix the message gives is itself valid: applied to the same settings on the same host, they pass.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { specFromConfig, swarmlabProgram } from "../../infra/program";
import { ConfigError, labSpecFromConfig, settingsWarnings } from "../../lab/config";
import { assertHostFits, HostFacts } from "../../lab/host-facts";
import { CLEAN_HOST, fixtureHost, hostWith, labNetwork } from "./host-fixtures";

const STACK = "unit";

interface Row {
  /** The input in words; "issue:" rows are the ones issue 10 lists. */
  what: string;
  settings: Record<string, string>;
  /** The host's facts (CLEAN_HOST when absent): a row with its own host is refused by a host-facing check. */
  host?: HostFacts;
  message: string;
}

const image = (facts: Partial<NonNullable<HostFacts["image"]>>): HostFacts =>
  hostWith({ image: { id: "sha256:0123", os: "linux", architecture: "amd64", labels: {}, ...facts } });

const KNOWN_KEYS =
  "swarmlab:name, swarmlab:backend, swarmlab:workers, swarmlab:nodes, swarmlab:subnet, swarmlab:egress, swarmlab:replicas, swarmlab:overlay, swarmlab:service, swarmlab:image, swarmlab:encrypted, swarmlab:vagrantProvider";
const SWARM_NAME = "1-63 letters, digits, '-' or '_', beginning and ending with a letter or digit";
const RESERVED = "Docker already has or reserves a network of that name on every node (ingress, bridge, host, none, docker_gwbridge, default, in any case)";
const NOT_PRIVATE = "not a private range: lab networks lie in 192.168.0.0/16, the private range (RFC 1918) Docker leaves free; any other block hides those addresses from this host";
const WIDER =
  "wider than a /24: a lab spans at most 33 addresses, and a wider block takes more from the host's neighbours (a LAN, libvirt's 192.168.122.0/24, a VPN), which the lab network hides and its egress rule cuts off";
const ROUTE_HIDDEN = "the lab network would hide it on this host, and the lab's egress rule drops what is forwarded to it";
const NOT_HERE =
  "not on this machine: the nodes take the service's image from this host's Docker engine (they have no registry), and the lab makes only busybox:latest";
const TOOLS = "(in /bin, /sbin, /usr/bin, /usr/sbin or /usr/local): the service's tasks run ping, and the lab's checks run ping, nc and nslookup in them";

const ROWS: Row[] = [
  // ---- the inputs issue 10 lists
  {
    what: "issue: subnet 192.168.0.0/16",
    settings: { subnet: "192.168.0.0/16" },
    message: `swarmlab:subnet = "192.168.0.0/16": ${WIDER}. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24`,
  },
  {
    what: "issue: subnet 192.168.1.0/24, the host's home LAN",
    settings: { subnet: "192.168.1.0/24" },
    host: hostWith({ addRoutes: [{ dst: "192.168.1.0/24", dev: "wlan0" }], addAddresses: [{ dev: "wlan0", address: "192.168.1.23", prefix: 24 }] }),
    message: `swarmlab:subnet = "192.168.1.0/24": overlaps the host's route 192.168.1.0/24 dev wlan0: ${ROUTE_HIDDEN}. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24`,
  },
  {
    what: "issue: subnet 100.64.0.0/10",
    settings: { subnet: "100.64.0.0/10" },
    message:
      'swarmlab:subnet = "100.64.0.0/10": overlaps 100.64.0.0/10, the shared address space of carrier-grade NAT (RFC 6598), which ISPs and VPNs such as Tailscale use. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
  },
  {
    what: "issue: subnet 32.0.0.0/3",
    settings: { subnet: "32.0.0.0/3" },
    message: `swarmlab:subnet = "32.0.0.0/3": ${NOT_PRIVATE}. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24`,
  },
  {
    // Settings only: refused before anything exists, and these tests send no packet anywhere.
    what: "issue: subnet 8.8.8.0/24 with egress internet",
    settings: { subnet: "8.8.8.0/24", egress: "internet" },
    message: `swarmlab:subnet = "8.8.8.0/24": ${NOT_PRIVATE}; 8.8.8.8, the internet ping target, would be inside the lab. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24`,
  },
  {
    what: "issue: overlay my.net",
    settings: { overlay: "my.net" },
    message: `swarmlab:overlay = "my.net": not a valid Swarm network name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:overlay my-net`,
  },
  {
    what: "issue: overlay mynet-",
    settings: { overlay: "mynet-" },
    message: `swarmlab:overlay = "mynet-": not a valid Swarm network name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:overlay mynet`,
  },
  {
    what: "issue: overlay Ingress",
    settings: { overlay: "Ingress" },
    message: `swarmlab:overlay = "Ingress": ${RESERVED}. Fix: pulumi config set swarmlab:overlay mynet`,
  },
  {
    what: "issue: service my.svc",
    settings: { service: "my.svc" },
    message: `swarmlab:service = "my.svc": not a valid Swarm service name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:service my-svc`,
  },
  {
    what: "issue: service test_",
    settings: { service: "test_" },
    message: `swarmlab:service = "test_": not a valid Swarm service name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:service test`,
  },
  {
    what: "issue: image alpine:3.19, not on this host",
    settings: { image: "alpine:3.19" },
    host: CLEAN_HOST,
    message: `swarmlab:image = "alpine:3.19": ${NOT_HERE}. Fix: pulumi config set swarmlab:image busybox:latest (or docker pull alpine:3.19 first)`,
  },
  {
    what: "issue: image swarmlab-node:latest, the node image",
    settings: { image: "swarmlab-node:latest" },
    message:
      'swarmlab:image = "swarmlab-node:latest": the image of the lab\'s machines (Debian with dockerd and sshd), not one for the service\'s tasks. Fix: pulumi config set swarmlab:image busybox:latest',
  },
  {
    what: "issue: image without what the lab runs in it (only ping, no nc, no nslookup)",
    settings: { image: "alpine:3.19" },
    host: image({ programs: ["ping"] }),
    message: `swarmlab:image = "alpine:3.19": has no nc, nslookup ${TOOLS}. Fix: pulumi config set swarmlab:image busybox:latest`,
  },
  {
    what: "issue: replicas 1000000 (no 'raise workers to 1000000')",
    settings: { replicas: "1000000" },
    message:
      'swarmlab:replicas = "1000000": more replicas than workers (2): the lab runs one task per worker, and a lab has at most 20 workers. Fix: pulumi config set swarmlab:replicas 2',
  },
  {
    what: "issue: unknown key, its fix quoted",
    settings: { "colour scheme": "dark blue" },
    message: `"swarmlab:colour scheme" = "dark blue": unknown key; known keys are ${KNOWN_KEYS}. Fix: pulumi config rm 'swarmlab:colour scheme'`,
  },

  // ---- subnets and the host
  {
    what: "subnet on libvirt's network (virbr0)",
    settings: { subnet: "192.168.122.0/24" },
    host: hostWith({ addRoutes: [{ dst: "192.168.122.0/24", dev: "virbr0" }] }),
    message: `swarmlab:subnet = "192.168.122.0/24": overlaps the host's route 192.168.122.0/24 dev virbr0: ${ROUTE_HIDDEN}. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24`,
  },
  {
    what: "subnet holding an address of the host that no route shows (a /32 on lo)",
    settings: { subnet: "192.168.77.0/24" },
    host: hostWith({ addAddresses: [{ dev: "lo", address: "192.168.77.1", prefix: 32 }] }),
    message: 'swarmlab:subnet = "192.168.77.0/24": overlaps the host\'s address 192.168.77.1/32 on lo. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
  },
  {
    what: "subnet inside an unreachable route",
    settings: { subnet: "192.168.201.0/24" },
    host: hostWith({ addRoutes: [{ dst: "192.168.200.0/22", type: "unreachable" }] }),
    message: `swarmlab:subnet = "192.168.201.0/24": overlaps the host's route unreachable 192.168.200.0/22: ${ROUTE_HIDDEN}. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24`,
  },
  {
    what: "subnet on a route of another table (WireGuard's)",
    settings: { subnet: "192.168.90.0/24" },
    host: hostWith({ addRoutes: [{ dst: "192.168.90.0/24", dev: "wg0", table: "51820" }] }),
    message: `swarmlab:subnet = "192.168.90.0/24": overlaps the host's route 192.168.90.0/24 dev wg0 table 51820: ${ROUTE_HIDDEN}. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24`,
  },
  {
    what: "subnet of another stack's lab (the e2e suite's intruder): said as the claim says it",
    settings: { name: "swarmlab-intruder", subnet: "192.168.58.0/24" },
    host: hostWith({ addNetworks: [labNetwork("swarmlab-e2e", "192.168.58.0/24", "e2e-4242.0badc0de")] }),
    message:
      'swarmlab:subnet = "192.168.58.0/24": this subnet is used by lab swarmlab-e2e of stack e2e-4242 (network swarmlab-e2e-net, 192.168.58.0/24, owner e2e-4242.0badc0de). Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
  },
  {
    what: "subnet inside a lab without an owner label (the benchmark's baseline), a /25 suggested in its place",
    settings: { subnet: "192.168.61.0/25" },
    host: hostWith({ addNetworks: [labNetwork("swarmlab-base", "192.168.61.0/24", undefined)] }),
    message:
      'swarmlab:subnet = "192.168.61.0/25": this subnet is used by lab swarmlab-base (network swarmlab-base-net, 192.168.61.0/24), made without an owner label, by an older swarmlab or by hand. Fix: pulumi config set swarmlab:subnet 192.168.56.0/25',
  },
  {
    what: "the default subnet inside a Compose network: the next free /24 suggested",
    settings: {},
    host: hostWith({ addNetworks: [{ name: "shop_default", subnets: ["192.168.48.0/20"], labels: { "com.docker.compose.project": "shop" }, bridge: "br-aaaaaaaaaaaa" }] }),
    message:
      'swarmlab:subnet = "192.168.56.0/24": this subnet is used by Docker network shop_default (192.168.48.0/20). Fix: pulumi config set swarmlab:subnet 192.168.64.0/24',
  },
  {
    what: "subnet inside a default address pool configured for the engine",
    settings: { subnet: "192.168.100.0/24" },
    host: hostWith({ pools: [{ base: "192.168.64.0/18", size: 24 }] }),
    message:
      'swarmlab:subnet = "192.168.100.0/24": overlaps 192.168.64.0/18, a default address pool of the Docker engine (default-address-pools): the engine numbers its networks from it. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
  },
  {
    what: "subnet a /23 around the default",
    settings: { subnet: "192.168.56.0/23" },
    message: `swarmlab:subnet = "192.168.56.0/23": ${WIDER}. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24`,
  },
  {
    what: "subnet a /17 away from the default: its first /24 suggested",
    settings: { subnet: "192.168.128.0/17" },
    message: `swarmlab:subnet = "192.168.128.0/17": ${WIDER}. Fix: pulumi config set swarmlab:subnet 192.168.128.0/24`,
  },
  {
    what: "subnet in Swarm's overlay pool",
    settings: { subnet: "10.0.1.0/24" },
    message:
      'swarmlab:subnet = "10.0.1.0/24": overlaps 10.0.0.0/8, Docker Swarm\'s default overlay address pool (ingress 10.0.0.0/24, mynet 10.0.1.0/24), so node addresses would collide with overlay addresses. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
  },
  {
    what: "subnet in Docker's bridge pool",
    settings: { subnet: "172.18.0.0/16" },
    message:
      'swarmlab:subnet = "172.18.0.0/16": overlaps 172.16.0.0/12, Docker\'s pool for bridge networks (docker0, docker_gwbridge; the tutorial\'s docker_gwbridge is 172.18.0.0/16), so routes on the nodes would collide. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
  },
  {
    what: "subnet 0.0.0.0/0, everything",
    settings: { subnet: "0.0.0.0/0" },
    message:
      'swarmlab:subnet = "0.0.0.0/0": overlaps 10.0.0.0/8, Docker Swarm\'s default overlay address pool (ingress 10.0.0.0/24, mynet 10.0.1.0/24), so node addresses would collide with overlay addresses. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
  },
  {
    what: "subnet 192.0.2.0/24 (TEST-NET-1: documentation, not private)",
    settings: { subnet: "192.0.2.0/24" },
    message: `swarmlab:subnet = "192.0.2.0/24": ${NOT_PRIVATE}. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24`,
  },
  {
    what: "subnet with host bits set",
    settings: { subnet: "192.168.56.1/24" },
    message:
      'swarmlab:subnet = "192.168.56.1/24": not a network address: the host bits must be zero (the network is 192.168.56.0/24). Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
  },
  {
    what: "subnet with host bits set in a public block: the block's problem comes first, so the fix is valid",
    settings: { subnet: "203.0.113.7/24" }, // TEST-NET-3: a documentation block, routed nowhere
    message: `swarmlab:subnet = "203.0.113.7/24": ${NOT_PRIVATE}. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24`,
  },
  {
    what: "subnet too small for 3 nodes",
    settings: { subnet: "192.168.56.0/29" },
    message:
      'swarmlab:subnet = "192.168.56.0/29": too small for 3 nodes: they would take 192.168.56.10-192.168.56.12 (network+10 onwards) but must stay below the upstream at the last usable address, 192.168.56.6. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
  },
  {
    what: "subnet without a prefix",
    settings: { subnet: "192.168.56.0" },
    message: 'swarmlab:subnet = "192.168.56.0": not an IPv4 CIDR block (a.b.c.d/n, each part 0-255, n 0-32). Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
  },

  // ---- overlay and service names
  { what: "overlay default (Docker refuses to create it)", settings: { overlay: "default" }, message: `swarmlab:overlay = "default": ${RESERVED}. Fix: pulumi config set swarmlab:overlay mynet` },
  { what: "overlay DOCKER_GWBRIDGE", settings: { overlay: "DOCKER_GWBRIDGE" }, message: `swarmlab:overlay = "DOCKER_GWBRIDGE": ${RESERVED}. Fix: pulumi config set swarmlab:overlay mynet` },
  { what: "overlay bridge", settings: { overlay: "bridge" }, message: `swarmlab:overlay = "bridge": ${RESERVED}. Fix: pulumi config set swarmlab:overlay mynet` },
  {
    what: "overlay of 64 characters: the first 63 suggested",
    settings: { overlay: "n".repeat(64) },
    message: `swarmlab:overlay = "${"n".repeat(64)}": not a valid Swarm network name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:overlay ${"n".repeat(63)}`,
  },
  {
    what: "overlay starting with '_'",
    settings: { overlay: "_mynet" },
    message: `swarmlab:overlay = "_mynet": not a valid Swarm network name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:overlay mynet`,
  },
  {
    what: "overlay Over_lay.1 (a unit test used to call it valid)",
    settings: { overlay: "Over_lay.1" },
    message: `swarmlab:overlay = "Over_lay.1": not a valid Swarm network name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:overlay Over_lay-1`,
  },
  {
    what: "overlay 'ingress.': made valid it would be reserved, so the default is suggested",
    settings: { overlay: "ingress." },
    message: `swarmlab:overlay = "ingress.": not a valid Swarm network name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:overlay mynet`,
  },
  {
    what: "service with a slash",
    settings: { service: "te/st" },
    message: `swarmlab:service = "te/st": not a valid Swarm service name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:service te-st`,
  },
  {
    what: "service 'ingress.': made valid it is a fine service name (no reserved names for services)",
    settings: { service: "ingress." },
    message: `swarmlab:service = "ingress.": not a valid Swarm service name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:service ingress`,
  },
  { what: "service empty", settings: { service: "" }, message: `swarmlab:service = "": not a valid Swarm service name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:service test` },
  {
    what: "service of 64 characters",
    settings: { service: "s".repeat(64) },
    message: `swarmlab:service = "${"s".repeat(64)}": not a valid Swarm service name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:service ${"s".repeat(63)}`,
  },

  // ---- images
  {
    what: "image that is no image reference",
    settings: { image: "Busy Box" },
    message: 'swarmlab:image = "Busy Box": not a Docker image reference ([registry/]name[:tag], name in lowercase). Fix: pulumi config set swarmlab:image busybox:latest',
  },
  {
    what: "image swarmlab-base:trixie, the nodes' base image",
    settings: { image: "swarmlab-base:trixie" },
    message:
      'swarmlab:image = "swarmlab-base:trixie": the image of the lab\'s machines (Debian with dockerd and sshd), not one for the service\'s tasks. Fix: pulumi config set swarmlab:image busybox:latest',
  },
  {
    what: "image docker.io/library/swarmlab-node, the node image by its long name",
    settings: { image: "docker.io/library/swarmlab-node" },
    message:
      'swarmlab:image = "docker.io/library/swarmlab-node": the image of the lab\'s machines (Debian with dockerd and sshd), not one for the service\'s tasks. Fix: pulumi config set swarmlab:image busybox:latest',
  },
  {
    what: "image that is the node image under another tag (found by its label)",
    settings: { image: "mylab/tools:1" },
    host: image({ labels: { "swarmlab.image": "node" } }),
    message: 'swarmlab:image = "mylab/tools:1": the image of the lab\'s machines (label swarmlab.image=node), not one for the service\'s tasks. Fix: pulumi config set swarmlab:image busybox:latest',
  },
  {
    what: "image for Windows",
    settings: { image: "mcr.microsoft.com/windows/nanoserver:ltsc2022" },
    host: image({ os: "windows" }),
    message: 'swarmlab:image = "mcr.microsoft.com/windows/nanoserver:ltsc2022": an image for windows: the nodes run Linux. Fix: pulumi config set swarmlab:image busybox:latest',
  },
  {
    what: "image for another architecture",
    settings: { image: "arm64v8/busybox:latest" },
    host: image({ architecture: "arm64", programs: ["ping", "nc", "nslookup"] }),
    message:
      'swarmlab:image = "arm64v8/busybox:latest": an image for arm64: this machine\'s Docker engine runs amd64. Fix: pulumi config set swarmlab:image busybox:latest (or docker pull --platform linux/amd64 arm64v8/busybox:latest first)',
  },
  {
    what: "image without ping, so its tasks exit at once",
    settings: { image: "debian:trixie-slim" },
    host: image({ programs: [] }),
    message: `swarmlab:image = "debian:trixie-slim": has no ping, nc, nslookup ${TOOLS}. Fix: pulumi config set swarmlab:image busybox:latest`,
  },

  // ---- counts, keys and the rest
  {
    what: "replicas 3 with nodes listing 2 workers: no 'raise workers', nodes decides",
    settings: { nodes: '["m","w1","w2"]', replicas: "3" },
    message: 'swarmlab:replicas = "3": more replicas than workers (2): the lab runs one task per worker. Fix: pulumi config set swarmlab:replicas 2',
  },
  {
    what: "replicas 5 with 2 workers: raising workers is a valid alternative",
    settings: { replicas: "5" },
    message: 'swarmlab:replicas = "5": more replicas than workers (2): the lab runs one task per worker. Fix: pulumi config set swarmlab:replicas 2 (or pulumi config set swarmlab:workers 5)',
  },
  {
    what: "workers 21",
    settings: { workers: "21" },
    message:
      'swarmlab:workers = "21": absurdly many workers: each node is a container running its own Docker engine, and more than 20 would swamp a 2-core machine. Fix: pulumi config set swarmlab:workers 2',
  },
  {
    what: "unknown key worker=abc: the value is not moved to workers, where it is not valid",
    settings: { worker: "abc" },
    message: `swarmlab:worker = "abc": unknown key (did you mean swarmlab:workers?); known keys are ${KNOWN_KEYS}. Fix: pulumi config rm swarmlab:worker`,
  },
  {
    what: "unknown key worker=3: rm, and set workers",
    settings: { worker: "3" },
    message: `swarmlab:worker = "3": unknown key (did you mean swarmlab:workers?); known keys are ${KNOWN_KEYS}. Fix: pulumi config rm swarmlab:worker && pulumi config set swarmlab:workers 3`,
  },
  {
    what: "unknown key with a space, near image",
    settings: { "ima ge": "busybox:latest" },
    message: `"swarmlab:ima ge" = "busybox:latest": unknown key (did you mean swarmlab:image?); known keys are ${KNOWN_KEYS}. Fix: pulumi config rm 'swarmlab:ima ge' && pulumi config set swarmlab:image busybox:latest`,
  },
  {
    what: "nodes with one host while workers is 1: the fix's list agrees with workers",
    settings: { nodes: '["m"]', workers: "1" },
    message: `swarmlab:nodes = "[\\"m\\"]": a lab needs at least 2 nodes: a manager and a worker. Fix: pulumi config set swarmlab:nodes '["swarm-manager","swarm-worker1"]'`,
  },
  {
    what: "name in capitals",
    settings: { name: "Swarmlab" },
    message:
      'swarmlab:name = "Swarmlab": a lab name is 1-40 characters of a-z, 0-9 and \'-\', starting with a letter (it prefixes container names, labels everything the lab creates and names its folder .swarmlab/<lab>/). Fix: pulumi config set swarmlab:name swarmlab',
  },
  {
    what: "egress NAT",
    settings: { egress: "NAT" },
    message: 'swarmlab:egress = "NAT": egress is one of none, internet. Fix: pulumi config set swarmlab:egress none (or internet to ping 8.8.8.8 for real)',
  },
  {
    what: "backend podman",
    settings: { backend: "podman" },
    message: 'swarmlab:backend = "podman": unknown backend; valid backends are docker, vagrant, ssh. Fix: pulumi config set swarmlab:backend docker',
  },
];

// ---------------------------------------------------------------- helpers

/** The stack's config: these swarmlab: settings. */
const configOf = (settings: Record<string, string>) => Object.fromEntries(Object.entries(settings).map(([k, v]) => [`swarmlab:${k}`, v]));

/** Pulumi's mocks (as a preview) recording every registration, invoke and read; config replaced by `settings`. */
async function mocked(settings: Record<string, string>): Promise<string[]> {
  const made: string[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        made.push(`resource ${args.type} ${args.name}`);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => {
        made.push(`invoke ${args.token}`);
        return {};
      },
    },
    "swarmlab",
    STACK,
    true,
  );
  const monitor = pulumi.runtime.getMonitor() as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: unknown) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    made.push(`registration ${req.getType()} ${req.getName()}`);
    return register(req, callback);
  };
  pulumi.runtime.setAllConfig(configOf(settings));
  return made;
}

/** The first command of a fix (before any "(or …)"), split into shell words: single quotes and plain words. */
function fixCommands(fix: string): string[][] {
  const first = fix.replace(/ \(or .*\)$/, "");
  return first.split(" && ").map((command) => {
    const words = [...command.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]));
    assert.ok(/^pulumi config (set|rm)$/.test(words.slice(0, 3).join(" ")), `a fix is pulumi config set/rm: ${command}`);
    return words;
  });
}

/** The settings after running the fix's commands. */
function applyFix(settings: Record<string, string>, fix: string): Record<string, string> {
  const after = { ...settings };
  for (const [, , verb, full, value] of fixCommands(fix)) {
    assert.ok(full.startsWith("swarmlab:"), `the fix sets a swarmlab: key: ${full}`);
    const key = full.slice("swarmlab:".length);
    if (verb === "rm") delete after[key];
    else after[key] = value;
  }
  return after;
}

/** Validates as the program does: settings alone, then against the host (the row's image facts only for the row's image). */
function validate(settings: Record<string, string>, host: HostFacts, rowImage: string | undefined): void {
  const spec = specFromConfig(configOf(settings));
  assertHostFits(spec, spec.service.image === rowImage ? host : { ...host, image: undefined }, STACK);
}

// ---------------------------------------------------------------- the table

describe("hardened settings: every bad input is refused before anything is created, with one exact line and a valid fix", function () {
  this.timeout(20_000);

  afterEach(() => pulumi.runtime.setAllConfig({}));

  it(`the table holds at least 40 bad inputs (${ROWS.length}), each once`, () => {
    assert.ok(ROWS.length >= 40);
    assert.equal(new Set(ROWS.map((r) => r.what)).size, ROWS.length);
    assert.equal(new Set(ROWS.map((r) => r.message)).size, ROWS.length, "each input has its own message");
  });

  for (const row of ROWS) {
    it(`${row.what}: ${row.message}`, async () => {
      const made = await mocked(row.settings);
      const host = fixtureHost(row.host ?? CLEAN_HOST);
      let caught: unknown;
      try {
        await swarmlabProgram(host);
      } catch (e) {
        caught = e;
      }
      // give any stray registration a chance to reach the monitor before looking
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(caught instanceof ConfigError, `a ConfigError, got ${String(caught)}`);
      assert.equal(caught.message, row.message);
      assert.ok(!caught.message.includes("\n"), "one line");
      assert.deepEqual(made, [], "nothing declared, invoked or read");
      assert.deepEqual(host.reads.length, row.host ? 1 : 0, row.host ? "the host is read once" : "refused before the host is read");

      const fixed = applyFix(row.settings, caught.fix);
      assert.doesNotThrow(() => validate(fixed, row.host ?? CLEAN_HOST, row.settings.image), `the fix ${caught.fix} makes valid settings`);
    });
  }
});

describe("settings the lab would ignore: a near-miss namespace gets a warning naming the key meant", function () {
  const IGNORED = (ns: string) => `ignored: the namespace is swarmlab, not ${ns}`;
  const WARNINGS: [Record<string, string>, string[]][] = [
    [{ "swarmLab:workers": "3" }, [`swarmLab:workers = "3": ${IGNORED("swarmLab")}, so the lab goes without swarmlab:workers. Fix: pulumi config rm swarmLab:workers && pulumi config set swarmlab:workers 3`]],
    [
      { "swarmlabs:subnet": "192.168.57.0/24" },
      [`swarmlabs:subnet = "192.168.57.0/24": ${IGNORED("swarmlabs")}, so the lab goes without swarmlab:subnet. Fix: pulumi config rm swarmlabs:subnet && pulumi config set swarmlab:subnet 192.168.57.0/24`],
    ],
    [{ "swarm-lab:name": "mylab" }, [`swarm-lab:name = "mylab": ${IGNORED("swarm-lab")}, so the lab goes without swarmlab:name. Fix: pulumi config rm swarm-lab:name && pulumi config set swarmlab:name mylab`]],
    [
      { "SWARMLAB:replicas": "1", "swarmlab:replicas": "2" },
      [`SWARMLAB:replicas = "1": ${IGNORED("SWARMLAB")}; swarmlab:replicas is set as well, to "2". Fix: pulumi config rm SWARMLAB:replicas`],
    ],
    [{ "swarm_lab:colour": "blue" }, [`swarm_lab:colour = "blue": ${IGNORED("swarm_lab")}, and swarmlab has no key like "colour". Fix: pulumi config rm swarm_lab:colour`]],
    [
      { "swarmLab:worker": "abc" },
      [`swarmLab:worker = "abc": ${IGNORED("swarmLab")}, so the lab goes without swarmlab:workers. Fix: pulumi config rm swarmLab:worker`],
    ],
    [
      { "swarmlab-:image": "busy box" },
      [`swarmlab-:image = "busy box": ${IGNORED("swarmlab-")}, so the lab goes without swarmlab:image. Fix: pulumi config rm swarmlab-:image`],
    ],
    [{ "swarmlab:workers": "2", "aws:region": "eu-west-1", "swarm:workers": "1", "lab:workers": "3", "pulumi:tags": "{}" }, []],
  ];
  for (const [config, expected] of WARNINGS) {
    it(`${JSON.stringify(config)}: ${expected.length ? "warned" : "nothing to say"}`, () => {
      assert.deepEqual(settingsWarnings(config), expected);
      for (const w of expected) assert.ok(!w.includes("\n"), "one line");
    });
  }
});

describe("Swarm's name rule", function () {
  const SWARM = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/; // swarmkit's own, with nested quantifiers: short inputs only

  it("accepts exactly the names swarmkit's regular expression accepts (every name of up to 5 of a, Z, 0, -, _, .)", () => {
    const alphabet = ["a", "Z", "0", "-", "_", "."];
    let names = [""];
    let all = [""];
    for (let length = 1; length <= 5; length++) {
      names = names.flatMap((n) => alphabet.map((c) => n + c));
      all = all.concat(names);
    }
    for (const name of all) {
      let accepted = true;
      try {
        labSpecFromConfig({ service: name });
      } catch (e) {
        assert.ok(e instanceof ConfigError && e.key === "service");
        accepted = false;
      }
      assert.equal(accepted, SWARM.test(name), JSON.stringify(name));
    }
  });

  it("answers at once for a long name that would make swarmkit's expression backtrack", () => {
    const started = Date.now();
    assert.throws(() => labSpecFromConfig({ overlay: `${"a".repeat(62)}!` }), ConfigError);
    assert.throws(() => labSpecFromConfig({ overlay: `${"a-".repeat(31)}.` }), ConfigError);
    assert.ok(Date.now() - started < 100, `took ${Date.now() - started} ms`);
  });

  it("valid names pass, up to 63 characters, and overlay and service may share one", () => {
    for (const name of ["a", "A1", "my_net-2", "x".repeat(63), "my--net", "my__net"]) {
      assert.equal(labSpecFromConfig({ overlay: name, service: name }).overlay.name, name);
    }
  });
});
