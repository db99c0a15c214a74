// Settings that could hurt the host or fail late are refused before anything is created (issue 10, item 1). One
// table: each bad input, the exact one-line message, run through the Pulumi program under mocks with fixture host
// facts, asserting that nothing was declared, that settings wrong in themselves are refused before the host is even
// read, and that the fix the message gives is itself valid: applied to the same settings on the same host, they pass.
// Issue 15 grew it: settings mean one thing (plain decimal; the settings file's text as Pulumi reads it; no secrets),
// and a property test runs the same fix check over generated variants of every kind of bad setting.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { specFromConfig, swarmlabProgram } from "../../infra/program";
import { ConfigError, labSpecFromConfig, lineOf, REDACTED, settingsWarnings } from "../../lab/config";
import { assertHostFits, HostFacts } from "../../lab/host-facts";
import { CLEAN_HOST, fixtureHost, hostWith, labNetwork } from "./host-fixtures";

const STACK = "unit";

interface Row {
  /** The input in words; "issue:" rows are the ones issue 10 (or, from "issue 15:" on, issue 15) lists. */
  what: string;
  /** The swarmlab: settings as Pulumi hands them to the program. */
  settings: Record<string, string>;
  /** Keys kept as secrets (pulumi config set --secret): their values must appear nowhere. */
  secrets?: string[];
  /** A key's text in Pulumi.unit.yaml where it is not the value (else: the value, quoted, as the CLI writes it). */
  yaml?: Record<string, string>;
  /** The host's facts (CLEAN_HOST when absent): a row with its own host is refused by a host-facing check. */
  host?: HostFacts;
  message: string;
}

const image = (facts: Partial<NonNullable<HostFacts["image"]>>): HostFacts =>
  hostWith({ image: { id: "sha256:0123", os: "linux", architecture: "amd64", labels: {}, ...facts } });

const KNOWN_KEYS =
  "swarmlab:name, swarmlab:backend, swarmlab:workers, swarmlab:managers, swarmlab:nodes, swarmlab:subnet, swarmlab:egress, swarmlab:replicas, swarmlab:overlay, swarmlab:service, swarmlab:image, swarmlab:encrypted, swarmlab:vagrantProvider, swarmlab:hosts";
const LAB_NAME_RULE_TEXT =
  "a lab name is 1-40 characters of a-z, 0-9 and '-', starting with a letter (it prefixes container names, labels everything the lab creates and names its folder .swarmlab/<lab>/)";
const SWARM_NAME = "1-63 letters, digits, '-' or '_', beginning and ending with a letter or digit";
const RESERVED =
  "Docker already has or reserves a network of that name on every node (ingress, bridge, host, none, docker_gwbridge, default, in any case)";
const NOT_PRIVATE =
  "not a private range: lab networks lie in 192.168.0.0/16, the private range (RFC 1918) Docker leaves free; any other block hides those addresses from this host";
const WIDER =
  "wider than a /24: a lab spans at most 37 addresses, and a wider block takes more from the host's neighbours (a LAN, libvirt's 192.168.122.0/24, a VPN), which the lab network hides and its egress rule cuts off";
const ROUTE_HIDDEN = "the lab network would hide it on this host, and the lab's egress rule drops what is forwarded to it";
const NOT_HERE =
  "not on this machine: the nodes take the service's image from this host's Docker engine (they have no registry), and the lab makes only busybox:latest";
/** The lab's addresses do not fit the block: counted, not named (in a /31 or /32 they would lie outside it). */
const tooSmall = (nodes: number, prefix: number, size: number) =>
  `too small for ${nodes} nodes: a /${prefix} holds ${size} address${size === 1 ? "" : "es"}, ` +
  `and the lab needs ${nodes + 12} (network+10 to +${9 + nodes} for the nodes, then the upstream and the broadcast address)`;
const NOT_PLAIN = (why: string) =>
  `not plain decimal (${why}): numbers are written in plain decimal digits, which every reader of the settings reads alike`;
const LEADING_ZERO = "a leading zero: octal to some YAML readers, decimal to others";
const READ_ALIKE = "a setting must mean the same to every reader";
const SECRET =
  "kept as a secret, but no swarmlab setting can stay one: each becomes part of what the lab makes " +
  "(names, labels, addresses, options), which any Docker user here can inspect, and goes into the stack's state as it is";
const NOT_CIDR = "not an IPv4 CIDR block (a.b.c.d/n, each part 0-255, n 0-32). Fix: pulumi config set swarmlab:subnet 192.168.56.0/24";
const NODES_FIX = `Fix: pulumi config set swarmlab:nodes '["swarm-manager","swarm-worker1","swarm-worker2"]'`;
const NODES_LIST = "nodes is a JSON list of hostname strings, the manager first";
const NOT_JSON = "not JSON; nodes is a JSON list of hostnames, the manager first";
const HOSTNAME = "is not a valid hostname (RFC 1123 label: 1-63 lowercase letters, digits or '-', not starting or ending with '-')";
const YES_NO = "a yes-or-no setting: true or false";
const NOT_IMAGE =
  "not a Docker image reference ([registry/]name[:tag], name in lowercase). " + "Fix: pulumi config set swarmlab:image busybox:latest";
const MANAGERS_ODD = (n: string, below: string) =>
  `a lab has 1, 3 or 5 managers: a majority of them (Raft's quorum, ⌊N/2⌋+1) must stay up, so ${n} managers survive no more failures than ${below}`;
const NODES_22 = JSON.stringify(Array.from({ length: 22 }, (_, i) => `n${i}`));
const TOOLS =
  "(in /bin, /sbin, /usr/bin, /usr/sbin or /usr/local): the service's tasks run ping, and the lab's checks run ping, nc and nslookup in them";

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
      "swarmlab:image = \"swarmlab-node:latest\": the image of the lab's machines (Debian with dockerd and sshd), not one for the service's tasks. Fix: pulumi config set swarmlab:image busybox:latest",
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
    message:
      'swarmlab:subnet = "192.168.77.0/24": overlaps the host\'s address 192.168.77.1/32 on lo. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
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
    host: hostWith({
      addNetworks: [
        { name: "shop_default", subnets: ["192.168.48.0/20"], labels: { "com.docker.compose.project": "shop" }, bridge: "br-aaaaaaaaaaaa" },
      ],
    }),
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
      "swarmlab:subnet = \"172.18.0.0/16\": overlaps 172.16.0.0/12, Docker's pool for bridge networks (docker0, docker_gwbridge; the tutorial's docker_gwbridge is 172.18.0.0/16), so routes on the nodes would collide. Fix: pulumi config set swarmlab:subnet 192.168.56.0/24",
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
    what: "subnet too small for 3 nodes: the smallest block that holds them suggested",
    settings: { subnet: "192.168.56.0/29" },
    message: `swarmlab:subnet = "192.168.56.0/29": ${tooSmall(3, 29, 8)}. Fix: pulumi config set swarmlab:subnet 192.168.56.0/28`,
  },
  {
    what: "subnet without a prefix",
    settings: { subnet: "192.168.56.0" },
    message:
      'swarmlab:subnet = "192.168.56.0": not an IPv4 CIDR block (a.b.c.d/n, each part 0-255, n 0-32). Fix: pulumi config set swarmlab:subnet 192.168.56.0/24',
  },

  // ---- overlay and service names
  {
    what: "overlay default (Docker refuses to create it)",
    settings: { overlay: "default" },
    message: `swarmlab:overlay = "default": ${RESERVED}. Fix: pulumi config set swarmlab:overlay mynet`,
  },
  {
    what: "overlay DOCKER_GWBRIDGE",
    settings: { overlay: "DOCKER_GWBRIDGE" },
    message: `swarmlab:overlay = "DOCKER_GWBRIDGE": ${RESERVED}. Fix: pulumi config set swarmlab:overlay mynet`,
  },
  {
    what: "overlay bridge",
    settings: { overlay: "bridge" },
    message: `swarmlab:overlay = "bridge": ${RESERVED}. Fix: pulumi config set swarmlab:overlay mynet`,
  },
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
  {
    what: "service empty",
    settings: { service: "" },
    message: `swarmlab:service = "": not a valid Swarm service name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:service test`,
  },
  {
    what: "service of 64 characters",
    settings: { service: "s".repeat(64) },
    message: `swarmlab:service = "${"s".repeat(64)}": not a valid Swarm service name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:service ${"s".repeat(63)}`,
  },

  // ---- images
  {
    what: "image that is no image reference",
    settings: { image: "Busy Box" },
    message:
      'swarmlab:image = "Busy Box": not a Docker image reference ([registry/]name[:tag], name in lowercase). Fix: pulumi config set swarmlab:image busybox:latest',
  },
  {
    what: "image swarmlab-base:trixie, the nodes' base image",
    settings: { image: "swarmlab-base:trixie" },
    message:
      "swarmlab:image = \"swarmlab-base:trixie\": the image of the lab's machines (Debian with dockerd and sshd), not one for the service's tasks. Fix: pulumi config set swarmlab:image busybox:latest",
  },
  {
    what: "image docker.io/library/swarmlab-node, the node image by its long name",
    settings: { image: "docker.io/library/swarmlab-node" },
    message:
      "swarmlab:image = \"docker.io/library/swarmlab-node\": the image of the lab's machines (Debian with dockerd and sshd), not one for the service's tasks. Fix: pulumi config set swarmlab:image busybox:latest",
  },
  {
    what: "image that is the node image under another tag (found by its label)",
    settings: { image: "mylab/tools:1" },
    host: image({ labels: { "swarmlab.image": "node" } }),
    message:
      "swarmlab:image = \"mylab/tools:1\": the image of the lab's machines (label swarmlab.image=node), not one for the service's tasks. Fix: pulumi config set swarmlab:image busybox:latest",
  },
  {
    what: "image for Windows",
    settings: { image: "mcr.microsoft.com/windows/nanoserver:ltsc2022" },
    host: image({ os: "windows" }),
    message:
      'swarmlab:image = "mcr.microsoft.com/windows/nanoserver:ltsc2022": an image for windows: the nodes run Linux. Fix: pulumi config set swarmlab:image busybox:latest',
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
    message:
      'swarmlab:replicas = "5": more replicas than workers (2): the lab runs one task per worker. Fix: pulumi config set swarmlab:replicas 2 (or pulumi config set swarmlab:workers 5)',
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
  // ---- swarmlab:managers: 1, 3 or 5, fewer than the nodes
  {
    what: "managers 2: even, and the nearest odd count above it is the fix",
    settings: { managers: "2" },
    message: `swarmlab:managers = "2": ${MANAGERS_ODD("2", "1")}. Fix: pulumi config set swarmlab:managers 3`,
  },
  {
    what: "managers 4",
    settings: { managers: "4" },
    message: `swarmlab:managers = "4": ${MANAGERS_ODD("4", "3")}. Fix: pulumi config set swarmlab:managers 5`,
  },
  {
    what: "managers 7: more than a lab takes",
    settings: { managers: "7" },
    message:
      'swarmlab:managers = "7": more managers than a lab takes (at most 5): each one runs Raft and its own Docker engine, and 5 already survive 2 failures. Fix: pulumi config set swarmlab:managers 5',
  },
  {
    what: "managers 0",
    settings: { managers: "0" },
    message: 'swarmlab:managers = "0": a swarm needs at least one manager. Fix: pulumi config set swarmlab:managers 1',
  },
  {
    what: "managers three",
    settings: { managers: "three" },
    message: 'swarmlab:managers = "three": the number of managers must be a whole number. Fix: pulumi config set swarmlab:managers 1',
  },
  {
    what: "managers 3 with nodes of 3 hosts: no worker would stay",
    settings: { managers: "3", nodes: '["a","b","c"]' },
    message: `swarmlab:nodes = "[\\"a\\",\\"b\\",\\"c\\"]": a lab needs at least 4 nodes: 3 managers (swarmlab:managers) and a worker. Fix: pulumi config set swarmlab:nodes '["swarm-manager1","swarm-manager2","swarm-manager3","swarm-worker1","swarm-worker2"]' (or pulumi config set swarmlab:managers 1)`,
  },
  {
    what: "managers 3 with workers 2 and nodes of 4 hosts: nodes decide, 3 managers and 1 worker",
    settings: { managers: "3", workers: "2", nodes: '["a","b","c","d"]' },
    message:
      'swarmlab:workers = "2": disagrees with swarmlab:nodes, which lists 4 nodes: 3 managers and 1 worker. Fix: pulumi config set swarmlab:workers 1 (or pulumi config rm swarmlab:workers and let swarmlab:nodes decide)',
  },
  {
    what: "name in capitals",
    settings: { name: "Swarmlab" },
    message:
      "swarmlab:name = \"Swarmlab\": a lab name is 1-40 characters of a-z, 0-9 and '-', starting with a letter (it prefixes container names, labels everything the lab creates and names its folder .swarmlab/<lab>/). Fix: pulumi config set swarmlab:name swarmlab",
  },
  {
    what: "egress NAT",
    settings: { egress: "NAT" },
    message:
      'swarmlab:egress = "NAT": egress is one of none, internet. Fix: pulumi config set swarmlab:egress none (or internet to ping 8.8.8.8 for real)',
  },
  {
    what: "backend podman",
    settings: { backend: "podman" },
    message: 'swarmlab:backend = "podman": unknown backend; valid backends are docker, vagrant, ssh. Fix: pulumi config set swarmlab:backend docker',
  },
  // ---- issue 15: settings mean one thing. Rows with `yaml` hold that text in Pulumi.unit.yaml, and `settings` then
  // say what Pulumi handed the program for it; the other rows' file holds each value quoted, as the CLI writes it.
  {
    what: "issue 15: workers: 010 in Pulumi.unit.yaml, which Pulumi hands over as 8",
    settings: { workers: "8" },
    yaml: { workers: "010" },
    message: `swarmlab:workers = "8": Pulumi.unit.yaml says 010, which Pulumi reads as 8 (octal, for its leading 0) and YAML 1.2 readers (the doctor's) as 10: ${READ_ALIKE}. Fix: pulumi config set swarmlab:workers 10`,
  },
  {
    what: "issue 15: workers: 0x10 in the file, which Pulumi hands over as 16",
    settings: { workers: "16" },
    yaml: { workers: "0x10" },
    message: `swarmlab:workers = "16": Pulumi.unit.yaml says 0x10, which Pulumi reads as 16 (hexadecimal): ${READ_ALIKE}. Fix: pulumi config set swarmlab:workers 16`,
  },
  {
    what: "issue 15: service: 0x10 in the file, which became a service named 16",
    settings: { service: "16" },
    yaml: { service: "0x10" },
    message: `swarmlab:service = "16": Pulumi.unit.yaml says 0x10, which Pulumi reads as 16 (hexadecimal): ${READ_ALIKE}. Fix: pulumi config set swarmlab:service 0x10`,
  },
  {
    what: "issue 15: subnet 192.168.57.16/28 with 4 workers: the fix is a network, and holds 5 nodes",
    settings: { subnet: "192.168.57.16/28", workers: "4" },
    message: `swarmlab:subnet = "192.168.57.16/28": ${tooSmall(5, 28, 16)}. Fix: pulumi config set swarmlab:subnet 192.168.57.0/27`,
  },
  {
    what: "issue 15: subnet a /31: no address outside the block is named",
    settings: { subnet: "192.168.57.4/31" },
    message: `swarmlab:subnet = "192.168.57.4/31": ${tooSmall(3, 31, 2)}. Fix: pulumi config set swarmlab:subnet 192.168.57.0/28`,
  },
  {
    what: "issue 15: subnet a /32: no address outside the block is named",
    settings: { subnet: "192.168.57.10/32" },
    message: `swarmlab:subnet = "192.168.57.10/32": ${tooSmall(3, 32, 1)}. Fix: pulumi config set swarmlab:subnet 192.168.57.0/28`,
  },
  {
    what: "issue 15: a secret setting (name): refused without its value, set again in plain text",
    settings: { name: "secretlab-q7" },
    secrets: ["name"],
    message: `swarmlab:name = [secret]: ${SECRET}. Fix: pulumi config set swarmlab:name "$(pulumi config get swarmlab:name)"`,
  },
  {
    what: "issue 15: name passphrase, the project's file of the stacks' secrets",
    settings: { name: "passphrase" },
    message:
      'swarmlab:name = "passphrase": the project keeps its own .swarmlab/passphrase beside the labs\' folders (passphrase, logs): a lab of that name would overwrite or remove it. Fix: pulumi config set swarmlab:name passphrase-lab',
  },
  {
    what: "issue 15: name logs, the project's folder of every lab's diagnostics",
    settings: { name: "logs" },
    message:
      'swarmlab:name = "logs": the project keeps its own .swarmlab/logs beside the labs\' folders (passphrase, logs): a lab of that name would overwrite or remove it. Fix: pulumi config set swarmlab:name logs-lab',
  },
  ...["..", "../..", "/", "a/b", ".swarmlab", "lab name"].map((name) => ({
    what: `name ${JSON.stringify(name)}: a path, never a lab's folder`,
    settings: { name },
    message: `swarmlab:name = ${JSON.stringify(name)}: ${LAB_NAME_RULE_TEXT}. Fix: pulumi config set swarmlab:name swarmlab`,
  })),

  // ---- the settings file's text against Pulumi's reading
  {
    what: "file: workers +3",
    settings: { workers: "3" },
    yaml: { workers: "+3" },
    message: `swarmlab:workers = "3": Pulumi.unit.yaml says +3, which Pulumi reads as 3 (a number): ${READ_ALIKE}. Fix: pulumi config set swarmlab:workers 3`,
  },
  {
    what: "file: replicas 1.0",
    settings: { replicas: "1" },
    yaml: { replicas: "1.0" },
    message: `swarmlab:replicas = "1": Pulumi.unit.yaml says 1.0, which Pulumi reads as 1 (a number): ${READ_ALIKE}. Fix: pulumi config set swarmlab:replicas 1`,
  },
  {
    what: "file: encrypted True",
    settings: { encrypted: "true" },
    yaml: { encrypted: "True" },
    message: `swarmlab:encrypted = "true": Pulumi.unit.yaml says True, which Pulumi reads as true (a boolean): ${READ_ALIKE}. Fix: pulumi config set swarmlab:encrypted true`,
  },
  {
    what: "file: encrypted yes, were Pulumi to read it as YAML 1.1 does (true)",
    settings: { encrypted: "true" },
    yaml: { encrypted: "yes" },
    message: `swarmlab:encrypted = "true": Pulumi.unit.yaml says yes, which Pulumi reads as true (a boolean) and YAML 1.2 readers (the doctor's) as yes: ${READ_ALIKE}. Fix: pulumi config set swarmlab:encrypted true`,
  },
  {
    what: "file: overlay 1.10, a number to every reader and no Swarm name as written: rm",
    settings: { overlay: "1.1" },
    yaml: { overlay: "1.10" },
    message: `swarmlab:overlay = "1.1": Pulumi.unit.yaml says 1.10, which Pulumi reads as 1.1 (a number): ${READ_ALIKE}. Fix: pulumi config rm swarmlab:overlay`,
  },
  {
    what: "file: service 010: the name as written suggested",
    settings: { service: "8" },
    yaml: { service: "010" },
    message: `swarmlab:service = "8": Pulumi.unit.yaml says 010, which Pulumi reads as 8 (octal, for its leading 0) and YAML 1.2 readers (the doctor's) as 10: ${READ_ALIKE}. Fix: pulumi config set swarmlab:service 010`,
  },
  {
    what: "file: workers 1_000: neither reading fits, so rm",
    settings: { workers: "1000" },
    yaml: { workers: "1_000" },
    message: `swarmlab:workers = "1000": Pulumi.unit.yaml says 1_000, which Pulumi reads as 1000 (a number) and YAML 1.2 readers (the doctor's) as 1_000: ${READ_ALIKE}. Fix: pulumi config rm swarmlab:workers`,
  },
  {
    what: "file: workers 012 beside replicas 9: 12, with which everything passes, suggested",
    settings: { workers: "10", replicas: "9" },
    yaml: { workers: "012" },
    message: `swarmlab:workers = "10": Pulumi.unit.yaml says 012, which Pulumi reads as 10 (octal, for its leading 0) and YAML 1.2 readers (the doctor's) as 12: ${READ_ALIKE}. Fix: pulumi config set swarmlab:workers 12`,
  },

  // ---- numbers in every odd notation (as text: quoted in the file, or set with pulumi config set)
  {
    what: "workers 010 as text",
    settings: { workers: "010" },
    message: `swarmlab:workers = "010": ${NOT_PLAIN(LEADING_ZERO)}. Fix: pulumi config set swarmlab:workers 10`,
  },
  {
    what: "workers 0x10 as text",
    settings: { workers: "0x10" },
    message: `swarmlab:workers = "0x10": ${NOT_PLAIN("hexadecimal")}. Fix: pulumi config set swarmlab:workers 16`,
  },
  {
    what: "workers +3",
    settings: { workers: "+3" },
    message: `swarmlab:workers = "+3": ${NOT_PLAIN("a plus sign")}. Fix: pulumi config set swarmlab:workers 3`,
  },
  {
    what: "workers 1e1",
    settings: { workers: "1e1" },
    message: `swarmlab:workers = "1e1": ${NOT_PLAIN("a fraction or an exponent")}. Fix: pulumi config set swarmlab:workers 10`,
  },
  {
    what: "workers 3.0",
    settings: { workers: "3.0" },
    message: `swarmlab:workers = "3.0": ${NOT_PLAIN("a fraction or an exponent")}. Fix: pulumi config set swarmlab:workers 3`,
  },
  {
    what: "workers with a leading blank",
    settings: { workers: " 3" },
    message: `swarmlab:workers = " 3": ${NOT_PLAIN("blanks around it")}. Fix: pulumi config set swarmlab:workers 3`,
  },
  {
    what: "workers with a line break after it",
    settings: { workers: "3\n" },
    message: `swarmlab:workers = "3\\n": ${NOT_PLAIN("blanks around it")}. Fix: pulumi config set swarmlab:workers 3`,
  },
  {
    what: "workers 1_0",
    settings: { workers: "1_0" },
    message: `swarmlab:workers = "1_0": ${NOT_PLAIN("'_' between digits")}. Fix: pulumi config set swarmlab:workers 10`,
  },
  {
    what: "workers 0b11",
    settings: { workers: "0b11" },
    message: `swarmlab:workers = "0b11": ${NOT_PLAIN("binary")}. Fix: pulumi config set swarmlab:workers 3`,
  },
  {
    what: "workers 0o7",
    settings: { workers: "0o7" },
    message: `swarmlab:workers = "0o7": ${NOT_PLAIN("octal")}. Fix: pulumi config set swarmlab:workers 7`,
  },
  {
    what: "workers 021: the 21 meant is too many, so the default",
    settings: { workers: "021" },
    message: `swarmlab:workers = "021": ${NOT_PLAIN(LEADING_ZERO)}. Fix: pulumi config set swarmlab:workers 2`,
  },
  {
    what: "workers empty",
    settings: { workers: "" },
    message: 'swarmlab:workers = "": the number of workers must be a whole number. Fix: pulumi config set swarmlab:workers 2',
  },
  {
    what: "workers a full-width digit",
    settings: { workers: "２" },
    message: 'swarmlab:workers = "２": the number of workers must be a whole number. Fix: pulumi config set swarmlab:workers 2',
  },
  {
    what: "workers 1e400 (infinite)",
    settings: { workers: "1e400" },
    message: 'swarmlab:workers = "1e400": the number of workers must be a whole number. Fix: pulumi config set swarmlab:workers 2',
  },
  {
    what: "workers of 20 digits",
    settings: { workers: "99999999999999999999" },
    message:
      'swarmlab:workers = "99999999999999999999": absurdly many workers: each node is a container running its own Docker engine, and more than 20 would swamp a 2-core machine. Fix: pulumi config set swarmlab:workers 2',
  },
  {
    what: "workers -0",
    settings: { workers: "-0" },
    message: 'swarmlab:workers = "-0": a lab needs at least one worker. Fix: pulumi config set swarmlab:workers 2',
  },
  {
    what: "workers two beside nodes of 3 workers: the default would disagree with nodes, so rm",
    settings: { nodes: '["m","w1","w2","w3"]', workers: "two" },
    message: 'swarmlab:workers = "two": the number of workers must be a whole number. Fix: pulumi config rm swarmlab:workers',
  },
  {
    what: "workers 0 beside nodes of 3 workers: rm",
    settings: { nodes: '["m","w1","w2","w3"]', workers: "0" },
    message: 'swarmlab:workers = "0": a lab needs at least one worker. Fix: pulumi config rm swarmlab:workers',
  },
  {
    what: "workers 0x3 beside nodes of 3 workers: the 3 meant agrees",
    settings: { nodes: '["m","w1","w2","w3"]', workers: "0x3" },
    message: `swarmlab:workers = "0x3": ${NOT_PLAIN("hexadecimal")}. Fix: pulumi config set swarmlab:workers 3`,
  },
  {
    what: "replicas 02",
    settings: { replicas: "02" },
    message: `swarmlab:replicas = "02": ${NOT_PLAIN(LEADING_ZERO)}. Fix: pulumi config set swarmlab:replicas 2`,
  },
  {
    what: "replicas 0x3 with 3 workers",
    settings: { replicas: "0x3", workers: "3" },
    message: `swarmlab:replicas = "0x3": ${NOT_PLAIN("hexadecimal")}. Fix: pulumi config set swarmlab:replicas 3`,
  },
  {
    what: "replicas +1",
    settings: { replicas: "+1" },
    message: `swarmlab:replicas = "+1": ${NOT_PLAIN("a plus sign")}. Fix: pulumi config set swarmlab:replicas 1`,
  },
  {
    what: "replicas 2.0",
    settings: { replicas: "2.0" },
    message: `swarmlab:replicas = "2.0": ${NOT_PLAIN("a fraction or an exponent")}. Fix: pulumi config set swarmlab:replicas 2`,
  },
  {
    what: "replicas 5 in a /28: 5 workers would not fit it, so no 'raise workers'",
    settings: { replicas: "5", subnet: "192.168.56.0/28" },
    message: 'swarmlab:replicas = "5": more replicas than workers (2): the lab runs one task per worker. Fix: pulumi config set swarmlab:replicas 2',
  },

  // ---- subnets from /25 to /32 and the nodes they must hold
  {
    what: "subnet a /27 for 20 workers",
    settings: { subnet: "192.168.57.32/27", workers: "20" },
    message: `swarmlab:subnet = "192.168.57.32/27": ${tooSmall(21, 27, 32)}. Fix: pulumi config set swarmlab:subnet 192.168.57.0/26`,
  },
  {
    what: "subnet the last /28 of its /24, for 4 workers",
    settings: { subnet: "192.168.56.240/28", workers: "4" },
    message: `swarmlab:subnet = "192.168.56.240/28": ${tooSmall(5, 28, 16)}. Fix: pulumi config set swarmlab:subnet 192.168.56.224/27`,
  },
  {
    what: "subnet a /30",
    settings: { subnet: "192.168.56.8/30" },
    message: `swarmlab:subnet = "192.168.56.8/30": ${tooSmall(3, 30, 4)}. Fix: pulumi config set swarmlab:subnet 192.168.56.0/28`,
  },
  {
    what: "subnet a /29 for 1 worker",
    settings: { subnet: "192.168.56.16/29", workers: "1" },
    message: `swarmlab:subnet = "192.168.56.16/29": ${tooSmall(2, 29, 8)}. Fix: pulumi config set swarmlab:subnet 192.168.56.16/28`,
  },
  {
    what: "subnet a /29 with host bits set: too small first, and the fix is a network",
    settings: { subnet: "192.168.56.17/29" },
    message: `swarmlab:subnet = "192.168.56.17/29": ${tooSmall(3, 29, 8)}. Fix: pulumi config set swarmlab:subnet 192.168.56.16/28`,
  },
  {
    what: "subnet a /28 with host bits set",
    settings: { subnet: "192.168.56.17/28" },
    message:
      'swarmlab:subnet = "192.168.56.17/28": not a network address: the host bits must be zero (the network is 192.168.56.16/28). Fix: pulumi config set swarmlab:subnet 192.168.56.16/28',
  },
  {
    what: "subnet a /26 with host bits set, for 20 workers",
    settings: { subnet: "192.168.56.65/26", workers: "20" },
    message:
      'swarmlab:subnet = "192.168.56.65/26": not a network address: the host bits must be zero (the network is 192.168.56.64/26). Fix: pulumi config set swarmlab:subnet 192.168.56.64/26',
  },
  { what: "subnet with a leading blank", settings: { subnet: " 192.168.56.0/24" }, message: `swarmlab:subnet = " 192.168.56.0/24": ${NOT_CIDR}` },
  {
    what: "subnet with a line break after it",
    settings: { subnet: "192.168.56.0/24\n" },
    message: `swarmlab:subnet = "192.168.56.0/24\\n": ${NOT_CIDR}`,
  },
  {
    what: "subnet with a leading zero in an octet",
    settings: { subnet: "192.168.056.0/24" },
    message: `swarmlab:subnet = "192.168.056.0/24": ${NOT_CIDR}`,
  },
  { what: "subnet empty", settings: { subnet: "" }, message: `swarmlab:subnet = "": ${NOT_CIDR}` },
  { what: "subnet prefix 024", settings: { subnet: "192.168.56.0/024" }, message: `swarmlab:subnet = "192.168.56.0/024": ${NOT_CIDR}` },
  { what: "subnet in full-width digits", settings: { subnet: "１９２.168.56.0/24" }, message: `swarmlab:subnet = "１９２.168.56.0/24": ${NOT_CIDR}` },

  // ---- JSON oddities in swarmlab:nodes
  {
    what: "nodes with a trailing comma",
    settings: { nodes: '["m","w1",]' },
    message: `swarmlab:nodes = "[\\"m\\",\\"w1\\",]": ${NOT_JSON}. ${NODES_FIX}`,
  },
  { what: "nodes in single quotes", settings: { nodes: "['m','w1']" }, message: `swarmlab:nodes = "['m','w1']": ${NOT_JSON}. ${NODES_FIX}` },
  {
    what: "nodes as words",
    settings: { nodes: "swarm-manager swarm-worker1" },
    message: `swarmlab:nodes = "swarm-manager swarm-worker1": ${NOT_JSON}. ${NODES_FIX}`,
  },
  { what: "nodes null", settings: { nodes: "null" }, message: `swarmlab:nodes = "null": ${NODES_LIST}. ${NODES_FIX}` },
  { what: "nodes with a number", settings: { nodes: '["m",1]' }, message: `swarmlab:nodes = "[\\"m\\",1]": ${NODES_LIST}. ${NODES_FIX}` },
  {
    what: "nodes an object",
    settings: { nodes: '{"0":"m","1":"w"}' },
    message: `swarmlab:nodes = "{\\"0\\":\\"m\\",\\"1\\":\\"w\\"}": ${NODES_LIST}. ${NODES_FIX}`,
  },
  {
    what: "nodes a JSON string holding the list",
    settings: { nodes: '"[\\"m\\",\\"w\\"]"' },
    message: `swarmlab:nodes = "\\"[\\\\\\"m\\\\\\",\\\\\\"w\\\\\\"]\\"": ${NODES_LIST}. ${NODES_FIX}`,
  },
  {
    what: "nodes empty list",
    settings: { nodes: "[]" },
    message: `swarmlab:nodes = "[]": a lab needs at least 2 nodes: a manager and a worker. ${NODES_FIX}`,
  },
  {
    what: "nodes with a non-ASCII hostname",
    settings: { nodes: '["mänager","w1"]' },
    message: `swarmlab:nodes = "[\\"mänager\\",\\"w1\\"]": "mänager" ${HOSTNAME}. ${NODES_FIX}`,
  },
  {
    what: "nodes with a blank in a hostname",
    settings: { nodes: '[" m","w1"]' },
    message: `swarmlab:nodes = "[\\" m\\",\\"w1\\"]": " m" ${HOSTNAME}. ${NODES_FIX}`,
  },
  {
    what: "nodes listing 22",
    settings: { nodes: NODES_22 },
    message: `swarmlab:nodes = ${JSON.stringify(NODES_22)}: absurdly many nodes (22): each is a container running its own Docker engine, and more than 20 workers would swamp a 2-core machine. ${NODES_FIX}`,
  },

  // ---- booleans: the fix keeps the yes or no meant
  {
    what: "encrypted yes",
    settings: { encrypted: "yes" },
    message: `swarmlab:encrypted = "yes": ${YES_NO}. Fix: pulumi config set swarmlab:encrypted true`,
  },
  {
    what: "encrypted True",
    settings: { encrypted: "True" },
    message: `swarmlab:encrypted = "True": ${YES_NO}. Fix: pulumi config set swarmlab:encrypted true`,
  },
  {
    what: "encrypted 1",
    settings: { encrypted: "1" },
    message: `swarmlab:encrypted = "1": ${YES_NO}. Fix: pulumi config set swarmlab:encrypted true`,
  },
  {
    what: "encrypted off",
    settings: { encrypted: "off" },
    message: `swarmlab:encrypted = "off": ${YES_NO}. Fix: pulumi config set swarmlab:encrypted false`,
  },
  {
    what: "encrypted empty",
    settings: { encrypted: "" },
    message: `swarmlab:encrypted = "": ${YES_NO}. Fix: pulumi config set swarmlab:encrypted false`,
  },
  {
    what: "encrypted maybe",
    settings: { encrypted: "maybe" },
    message: `swarmlab:encrypted = "maybe": ${YES_NO}. Fix: pulumi config set swarmlab:encrypted false`,
  },

  // ---- text: blanks, empty, unicode, very long
  {
    what: "overlay empty",
    settings: { overlay: "" },
    message: `swarmlab:overlay = "": not a valid Swarm network name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:overlay mynet`,
  },
  {
    what: "overlay with a trailing blank",
    settings: { overlay: "mynet " },
    message: `swarmlab:overlay = "mynet ": not a valid Swarm network name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:overlay mynet`,
  },
  {
    what: "overlay of 1000 characters",
    settings: { overlay: "o".repeat(1000) },
    message: `swarmlab:overlay = "${"o".repeat(1000)}": not a valid Swarm network name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:overlay ${"o".repeat(63)}`,
  },
  {
    what: "service with a non-ASCII letter",
    settings: { service: "tëst" },
    message: `swarmlab:service = "tëst": not a valid Swarm service name: ${SWARM_NAME}. Fix: pulumi config set swarmlab:service t-st`,
  },
  { what: "image empty", settings: { image: "" }, message: `swarmlab:image = "": ${NOT_IMAGE}` },
  { what: "image with a trailing blank", settings: { image: "busybox:latest " }, message: `swarmlab:image = "busybox:latest ": ${NOT_IMAGE}` },
  { what: "image of 256 characters", settings: { image: "a".repeat(256) }, message: `swarmlab:image = "${"a".repeat(256)}": ${NOT_IMAGE}` },
  {
    what: "backend Docker",
    settings: { backend: "Docker" },
    message: 'swarmlab:backend = "Docker": unknown backend; valid backends are docker, vagrant, ssh. Fix: pulumi config set swarmlab:backend docker',
  },
  {
    what: "backend with a leading blank",
    settings: { backend: " docker" },
    message: 'swarmlab:backend = " docker": unknown backend; valid backends are docker, vagrant, ssh. Fix: pulumi config set swarmlab:backend docker',
  },
  {
    what: "egress None",
    settings: { egress: "None" },
    message:
      'swarmlab:egress = "None": egress is one of none, internet. Fix: pulumi config set swarmlab:egress none (or internet to ping 8.8.8.8 for real)',
  },
  {
    what: "egress empty",
    settings: { egress: "" },
    message:
      'swarmlab:egress = "": egress is one of none, internet. Fix: pulumi config set swarmlab:egress none (or internet to ping 8.8.8.8 for real)',
  },
  {
    what: "vagrantProvider kvm",
    settings: { vagrantProvider: "kvm" },
    message:
      'swarmlab:vagrantProvider = "kvm": Vagrant\'s provider is one of libvirt, virtualbox. Fix: pulumi config set swarmlab:vagrantProvider libvirt',
  },
  {
    what: "unknown key 'workers ' (a trailing blank)",
    settings: { "workers ": "3" },
    message: `"swarmlab:workers " = "3": unknown key (did you mean swarmlab:workers?); known keys are ${KNOWN_KEYS}. Fix: pulumi config rm 'swarmlab:workers ' && pulumi config set swarmlab:workers 3`,
  },
  {
    what: "unknown key Workers",
    settings: { Workers: "3" },
    message: `swarmlab:Workers = "3": unknown key (did you mean swarmlab:workers?); known keys are ${KNOWN_KEYS}. Fix: pulumi config rm swarmlab:Workers && pulumi config set swarmlab:workers 3`,
  },

  // ---- secrets: never shown; the fix sets the same value in plain text, or removes what would be refused anyway
  {
    what: "secret subnet",
    settings: { subnet: "192.168.57.0/24" },
    secrets: ["subnet"],
    message: `swarmlab:subnet = [secret]: ${SECRET}. Fix: pulumi config set swarmlab:subnet "$(pulumi config get swarmlab:subnet)"`,
  },
  {
    what: "secret workers that would be refused anyway: rm",
    settings: { workers: "many-q7" },
    secrets: ["workers"],
    message: `swarmlab:workers = [secret]: ${SECRET}; nor would swarmlab:workers take its value. Fix: pulumi config rm swarmlab:workers`,
  },
  {
    what: "two secrets: one line, one fix for both",
    settings: { image: "busybox:latest", service: "secret-svc-q7" },
    secrets: ["image", "service"],
    message: `swarmlab:image = [secret]: ${SECRET.replace("a secret,", "a secret (so is swarmlab:service),")}. Fix: pulumi config set swarmlab:image "$(pulumi config get swarmlab:image)" && pulumi config set swarmlab:service "$(pulumi config get swarmlab:service)"`,
  },
  {
    what: "secret under an unknown key near workers: moved by pulumi config get, before the rm",
    settings: { worker: "7" },
    secrets: ["worker"],
    message: `swarmlab:worker = [secret]: unknown key (did you mean swarmlab:workers?), kept as a secret; known keys are ${KNOWN_KEYS}. Fix: pulumi config set swarmlab:workers "$(pulumi config get swarmlab:worker)" && pulumi config rm swarmlab:worker`,
  },
  {
    what: "secret under an unknown key",
    settings: { password: "hunter2" },
    secrets: ["password"],
    message: `swarmlab:password = [secret]: unknown key, kept as a secret; known keys are ${KNOWN_KEYS}. Fix: pulumi config rm swarmlab:password`,
  },
  {
    what: "secret encrypted",
    settings: { encrypted: "true" },
    secrets: ["encrypted"],
    message: `swarmlab:encrypted = [secret]: ${SECRET}. Fix: pulumi config set swarmlab:encrypted "$(pulumi config get swarmlab:encrypted)"`,
  },
  {
    what: "secret nodes",
    settings: { nodes: '["boss","minion-q7"]' },
    secrets: ["nodes"],
    message: `swarmlab:nodes = [secret]: ${SECRET}. Fix: pulumi config set swarmlab:nodes "$(pulumi config get swarmlab:nodes)"`,
  },
];

// ---------------------------------------------------------------- helpers

/** Settings as a stack holds them: Pulumi's reading of each, which are secrets, and each key's text in the file. */
interface Stack {
  settings: Record<string, string>;
  secrets: string[];
  yaml: Record<string, string>;
}

const stackOf = (row: Pick<Row, "settings" | "secrets" | "yaml">): Stack => ({
  settings: row.settings,
  secrets: row.secrets ?? [],
  yaml: row.yaml ?? {},
});

/** The stack's config: these swarmlab: settings. */
const configOf = (settings: Record<string, string>) => Object.fromEntries(Object.entries(settings).map(([k, v]) => [`swarmlab:${k}`, v]));

/** The stack's config as the Automation API's getAllConfig gives it: {value, secret} per key. */
const entriesOf = (stack: Stack) =>
  Object.fromEntries(Object.entries(stack.settings).map(([k, v]) => [`swarmlab:${k}`, { value: v, secret: stack.secrets.includes(k) }]));

/**
 * Pulumi.unit.yaml for these settings: each value quoted as `pulumi config set` writes it (JSON's quoting is YAML's),
 * unless the row gives its text; a secret as Pulumi keeps it, encrypted (its ciphertext is no concern here).
 */
function fileOf(stack: Stack): { name: string; text: string } {
  const lines = Object.entries(stack.settings).map(([k, v]) => {
    const key = JSON.stringify(`swarmlab:${k}`);
    if (stack.secrets.includes(k)) return `  ${key}:\n    secure: v1:c2VjcmV0:Y2lwaGVydGV4dA==`;
    return `  ${key}: ${stack.yaml[k] ?? JSON.stringify(v)}`;
  });
  const salt = "encryptionsalt: v1:c2FsdA==:v1:aXY=:c2FsdA==";
  return { name: `Pulumi.${STACK}.yaml`, text: `${salt}\nconfig:\n${lines.join("\n")}\n` };
}

/** Pulumi's mocks (as a preview) recording every registration, invoke and read; config replaced by the stack's. */
async function mocked(stack: Stack): Promise<string[]> {
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
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  monitor.registerResource = (req: any, callback: unknown) => {
    made.push(`registration ${req.getType()} ${req.getName()}`);
    return register(req, callback);
  };
  pulumi.runtime.setAllConfig(
    configOf(stack.settings),
    stack.secrets.map((k) => `swarmlab:${k}`),
  );
  return made;
}

/**
 * The first command of a fix (before any "(or …)"), split into shell words: single-quoted, double-quoted (only
 * "$(pulumi config get KEY)" occurs, a secret's value read back) and plain words.
 */
function fixCommands(fix: string): string[][] {
  const first = fix.replace(/ \(or .*\)$/, "");
  return first.split(" && ").map((command) => {
    const words = [...command.matchAll(/'((?:[^']|'\\'')*)'|"([^"]*)"|(\S+)/g)].map((m) =>
      m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2] !== undefined ? m[2] : m[3],
    );
    assert.ok(/^pulumi config (set|rm)$/.test(words.slice(0, 3).join(" ")), `a fix is pulumi config set/rm: ${command}`);
    assert.equal(words.length, words[2] === "rm" ? 4 : 5, `one key (and one value): ${command}`);
    return words;
  });
}

/** The stack after running the fix's commands: a set value is plain and quoted in the file; rm forgets the key. */
function applyFix(stack: Stack, fix: string): Stack {
  const after: Stack = { settings: { ...stack.settings }, secrets: [...stack.secrets], yaml: { ...stack.yaml } };
  const keyOf = (full: string) => {
    assert.ok(full.startsWith("swarmlab:"), `the fix names a swarmlab: key: ${full}`);
    return full.slice("swarmlab:".length);
  };
  for (const [, , verb, full, value] of fixCommands(fix)) {
    const key = keyOf(full);
    const readBack = value === undefined ? undefined : /^\$\(pulumi config get '?([^']*)'?\)$/.exec(value);
    const newValue = readBack ? after.settings[keyOf(readBack[1])] : value;
    if (readBack) assert.ok(newValue !== undefined, `the fix reads back a key that is set: ${value}`);
    delete after.yaml[key];
    after.secrets = after.secrets.filter((k) => k !== key);
    if (verb === "rm") delete after.settings[key];
    else after.settings[key] = newValue!;
  }
  return after;
}

/** Validates as the program does: settings alone, then against the host (the row's image facts only for the row's image). */
function validate(stack: Stack, host: HostFacts, rowImage: string | undefined): void {
  const spec = specFromConfig(entriesOf(stack), fileOf(stack));
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
      const stack = stackOf(row);
      const made = await mocked(stack);
      const host = {
        ...fixtureHost(row.host ?? CLEAN_HOST),
        settingsFile: (name: string) => (name === STACK ? fileOf(stack) : undefined),
      };
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

      for (const key of stack.secrets) {
        assert.equal(caught.value, REDACTED, "a secret's value is not kept in the error");
        const shown = `${caught.message} ${caught.fix}`;
        assert.ok(!shown.includes(stack.settings[key]), `swarmlab:${key}'s secret value is shown nowhere`);
      }

      const fixed = applyFix(stack, caught.fix);
      assert.doesNotThrow(() => validate(fixed, row.host ?? CLEAN_HOST, row.settings.image), `the fix ${caught.fix} makes valid settings`);
    });
  }
});

/**
 * Generated bad settings of every kind above, many more than the table holds: each one refused must be refused in one
 * line that shows no secret, with a fix that passes the checks itself (on a clean host). Settings that pass are fine
 * too; the test counts the refusals so that it cannot pass by generating nothing bad.
 */
describe("every fix passes the checks itself: generated variants of the bad-input table", function () {
  this.timeout(60_000);

  const FOUR = '["m","w1","w2","w3"]';
  /** The same count in every notation the table knows, and a few that are no number at all. */
  const notations = (n: number) => [
    String(n),
    `0${n}`,
    `+${n}`,
    `-${n}`,
    `0x${n.toString(16)}`,
    `0o${n.toString(8)}`,
    `0b${n.toString(2)}`,
    `${n}.0`,
    `${n}e0`,
    ` ${n}`,
    `${n} `,
    `${n}\n`,
    `1_${n}`,
    `${n}.5`,
    `${n}${n}`,
    "",
    "two",
    "０",
    "1e400",
    "NaN",
  ];
  /** Pulumi's reading of a plain YAML scalar as Go's reader gives it (ints with base prefixes and '_', floats, booleans). */
  const pulumiReading = (text: string): string => {
    const t = text.replace(/_/g, "");
    if (/^[-+]?(0[xob][0-9a-f]+|0[0-7]+)$/i.test(t)) {
      const sign = t.startsWith("-") ? -1 : 1;
      const body = t.replace(/^[-+]/, "");
      const base = /^0x/i.test(body) ? 16 : /^0o/i.test(body) ? 8 : /^0b/i.test(body) ? 2 : 8;
      return String(sign * parseInt(base === 8 && !/^0o/i.test(body) ? body : body.slice(2), base));
    }
    if (/^[-+]?[0-9]+(\.[0-9]*)?(e[-+]?[0-9]+)?$/i.test(t)) return String(Number(t));
    if (/^(true|false)$/i.test(text)) return text.toLowerCase();
    return text;
  };

  const cases: { what: string; stack: Stack }[] = [];
  const add = (what: string, settings: Record<string, string>, secrets: string[] = [], yaml: Record<string, string> = {}) => {
    cases.push({ what, stack: { settings, secrets, yaml } });
  };

  for (const n of [0, 1, 2, 3, 5, 8, 16, 20, 21, 100]) {
    for (const text of notations(n)) {
      add(`workers ${JSON.stringify(text)}`, { workers: text });
      add(`workers ${JSON.stringify(text)} beside nodes of 3 workers`, { workers: text, nodes: FOUR });
      add(`workers ${JSON.stringify(text)} beside replicas 3`, { workers: text, replicas: "3" });
      add(`replicas ${JSON.stringify(text)}`, { replicas: text });
      add(`replicas ${JSON.stringify(text)} with 4 workers`, { replicas: text, workers: "4" });
      add(`replicas ${JSON.stringify(text)} beside nodes of 3 workers`, { replicas: text, nodes: FOUR });
      add(`managers ${JSON.stringify(text)}`, { managers: text });
      add(`managers ${JSON.stringify(text)} beside nodes of 4`, { managers: text, nodes: FOUR });
      add(`managers ${JSON.stringify(text)} beside workers 1 and replicas 1`, { managers: text, workers: "1", replicas: "1" });
    }
  }
  for (let prefix = 25; prefix <= 32; prefix++) {
    for (const last of [0, 1, 16, 17, 100, 200, 224, 240, 255]) {
      const subnet = `192.168.57.${last}/${prefix}`;
      for (const workers of ["1", "2", "3", "4", "8", "13", "20"]) add(`subnet ${subnet} with ${workers} workers`, { subnet, workers });
      add(`subnet ${subnet} beside nodes of 3 workers`, { subnet, nodes: FOUR });
    }
  }
  const BOOLEANS = ["yes", "no", "Yes", "NO", "True", "FALSE", "on", "off", "1", "0", "y", "n", "", " true", "maybe", "tru"];
  for (const text of BOOLEANS) {
    add(`encrypted ${JSON.stringify(text)}`, { encrypted: text });
  }
  const GOOD: Record<string, string> = {
    name: "lab-q7",
    workers: "3",
    nodes: '["boss","w-q7"]',
    subnet: "192.168.77.0/24",
    egress: "internet",
    replicas: "1",
    overlay: "net-q7",
    service: "svc-q7",
    image: "busybox:latest",
    encrypted: "false",
    backend: "docker",
    vagrantProvider: "libvirt",
  };
  const BAD: Record<string, string> = {
    name: "Lab Q7",
    workers: "many-q7",
    nodes: "[boss-q7]",
    subnet: "10.77.0.0/16",
    egress: "nat-q7",
    replicas: "lots-q7",
    overlay: "in gress-q7",
    service: "svc q7",
    image: "Busy Box Q7",
    encrypted: "maybe-q7",
    backend: "podman-q7",
    vagrantProvider: "kvm-q7",
  };
  for (const key of Object.keys(GOOD)) {
    add(`secret ${key}, valid`, { [key]: GOOD[key] }, [key]);
    add(`secret ${key}, refused anyway`, { [key]: BAD[key] }, [key]);
    add(`secret ${key} beside a secret subnet`, { [key]: GOOD[key], subnet: "192.168.78.0/24" }, [key, "subnet"]);
    add(`secret ${key.slice(0, -1)} (a near miss)`, { [key.slice(0, -1)]: GOOD[key] }, [key.slice(0, -1)]);
    add(`${key.slice(0, -1)} (a near miss)`, { [key.slice(0, -1)]: GOOD[key] });
    add(`${key} ${JSON.stringify(BAD[key])}`, { [key]: BAD[key] });
  }
  for (const text of ["010", "0x10", "+3", "3.0", "1e1", "1_0", "0o7", "0b11", "021", "007", "True", "FALSE", "1.10"]) {
    for (const key of ["workers", "replicas", "service", "overlay", "encrypted", "name"]) {
      const read = pulumiReading(text);
      if (read !== text) add(`${key}: ${text} in the file, ${read} to Pulumi`, { [key]: read }, [], { [key]: text });
    }
  }

  it(`${cases.length} generated settings: each refusal is one line, shows no secret, and its fix passes`, () => {
    let refused = 0;
    for (const { what, stack } of cases) {
      let caught: unknown;
      try {
        validate(stack, CLEAN_HOST, undefined);
      } catch (e) {
        caught = e;
      }
      if (caught === undefined) continue;
      refused++;
      assert.ok(caught instanceof ConfigError, `${what}: a ConfigError, got ${String(caught)}`);
      assert.ok(!caught.message.includes("\n"), `${what}: one line: ${caught.message}`);
      for (const key of stack.secrets) {
        const shown = `${caught.message} ${caught.fix}`;
        assert.ok(!shown.includes(stack.settings[key]), `${what}: swarmlab:${key}'s value is shown nowhere: ${caught.message}`);
      }
      const fixed = applyFix(stack, caught.fix);
      assert.doesNotThrow(() => validate(fixed, CLEAN_HOST, undefined), `${what}: ${caught.message}: its fix makes valid settings`);
    }
    assert.ok(refused >= cases.length / 2, `most generated settings are bad (${refused} of ${cases.length} refused)`);
  });

  it("the vagrant backend's subnets: every fix is a /24 that is a network (the Vagrantfile's rule)", () => {
    let refused = 0;
    for (let prefix = 23; prefix <= 32; prefix++) {
      for (const last of [0, 5, 16, 17, 240]) {
        for (const workers of ["1", "4", "20"]) {
          const settings = { backend: "vagrant", subnet: `192.168.57.${last}/${prefix}`, workers };
          let caught: unknown;
          try {
            labSpecFromConfig(settings);
          } catch (e) {
            caught = e;
          }
          if (caught === undefined) continue;
          refused++;
          assert.ok(caught instanceof ConfigError, String(caught));
          const fixed = applyFix(stackOf({ settings }), caught.fix).settings;
          assert.match(fixed.subnet, /^192\.168\.(56|57)\.0\/24$/, caught.message);
          assert.doesNotThrow(() => labSpecFromConfig(fixed), `${caught.message}: its fix makes valid settings`);
        }
      }
    }
    assert.ok(refused > 100, `${refused} refused`);
  });
});

describe("settings the lab would ignore: a near-miss namespace gets a warning naming the key meant", function () {
  const IGNORED = (ns: string) => `ignored: the namespace is swarmlab, not ${ns}`;
  const WARNINGS: [Record<string, string>, string[]][] = [
    [
      { "swarmLab:workers": "3" },
      [
        `swarmLab:workers = "3": ${IGNORED("swarmLab")}, so the lab goes without swarmlab:workers. Fix: pulumi config rm swarmLab:workers && pulumi config set swarmlab:workers 3`,
      ],
    ],
    [
      { "swarmlabs:subnet": "192.168.57.0/24" },
      [
        `swarmlabs:subnet = "192.168.57.0/24": ${IGNORED("swarmlabs")}, so the lab goes without swarmlab:subnet. Fix: pulumi config rm swarmlabs:subnet && pulumi config set swarmlab:subnet 192.168.57.0/24`,
      ],
    ],
    [
      { "swarm-lab:name": "mylab" },
      [
        `swarm-lab:name = "mylab": ${IGNORED("swarm-lab")}, so the lab goes without swarmlab:name. Fix: pulumi config rm swarm-lab:name && pulumi config set swarmlab:name mylab`,
      ],
    ],
    [
      { "SWARMLAB:replicas": "1", "swarmlab:replicas": "2" },
      [`SWARMLAB:replicas = "1": ${IGNORED("SWARMLAB")}; swarmlab:replicas is set as well, to "2". Fix: pulumi config rm SWARMLAB:replicas`],
    ],
    [
      { "swarm_lab:colour": "blue" },
      [`swarm_lab:colour = "blue": ${IGNORED("swarm_lab")}, and swarmlab has no key like "colour". Fix: pulumi config rm swarm_lab:colour`],
    ],
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
      assert.deepEqual(settingsWarnings(config).map(lineOf), expected);
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
