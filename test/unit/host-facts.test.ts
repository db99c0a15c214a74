// lab/host-facts.ts: reading the host (with fake readers: no `ip`, no Docker) and the checks that let a good lab
// through: the e2e suite's subnets on our machines, a running lab's own network and routes, VPN routes that cover
// everything, Docker's built-in pools, the image the lab makes itself. The refusals are in config-hardening.test.ts.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import type Docker from "dockerode";
import * as tarStream from "tar-stream";
import { ConfigError, labSpecFromConfig } from "../../lab/config";
import {
  addressesFromIpJson,
  assertHostFits,
  EngineReader,
  freeSubnet,
  HostFacts,
  HostReaders,
  programsIn,
  readHostFacts,
  routesFromIpJson,
  routesFromProc,
} from "../../lab/host-facts";
import { CLEAN_HOST, hostWith, labNetwork } from "./host-fixtures";

// `ip -j -4 route show table all` and `ip -j -4 addr show` of one of our CI machines (no lab running)
const IP_ROUTES =
  '[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},{"dst":"172.17.0.0/16","dev":"docker0","protocol":"kernel","scope":"link","prefsrc":"172.17.0.1","flags":["linkdown"]},{"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.0.2.2","flags":[]},{"type":"local","dst":"127.0.0.0/8","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]},{"type":"local","dst":"127.0.0.1","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]},{"type":"broadcast","dst":"127.255.255.255","dev":"lo","table":"local","protocol":"kernel","scope":"link","prefsrc":"127.0.0.1","flags":[]},{"type":"local","dst":"172.17.0.1","dev":"docker0","table":"local","protocol":"kernel","scope":"host","prefsrc":"172.17.0.1","flags":[]},{"type":"broadcast","dst":"172.17.255.255","dev":"docker0","table":"local","protocol":"kernel","scope":"link","prefsrc":"172.17.0.1","flags":["linkdown"]},{"type":"local","dst":"192.0.2.2","dev":"eth0","table":"local","protocol":"kernel","scope":"host","prefsrc":"192.0.2.2","flags":[]},{"type":"broadcast","dst":"192.0.2.255","dev":"eth0","table":"local","protocol":"kernel","scope":"link","prefsrc":"192.0.2.2","flags":[]}]';
const IP_ADDRS =
  '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"}]},{"ifindex":4,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1400,"addr_info":[{"family":"inet","local":"192.0.2.2","prefixlen":24,"broadcast":"192.0.2.255","scope":"global","label":"eth0"}]},{"ifindex":5,"ifname":"docker0","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":1500,"addr_info":[{"family":"inet","local":"172.17.0.1","prefixlen":16,"broadcast":"172.17.255.255","scope":"global","label":"docker0"}]}]';
// /proc/net/route of the same machine
const PROC_ROUTE = [
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
  "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
  "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
  "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
  "",
].join("\n");

/** The subnets the e2e suite and the benchmark give their labs, and the default. */
const TEST_SUBNETS = ["192.168.56.0/24", "192.168.57.0/24", "192.168.58.0/24", "192.168.59.0/24", "192.168.61.0/24", "192.168.62.0/24"];

const specWith = (settings: Record<string, string> = {}) => labSpecFromConfig(settings);

/** A tar of these entries (files, or symlinks with `link`). */
async function tarOf(entries: { name: string; content?: string | Buffer; link?: string }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) {
    if (e.link !== undefined) pack.entry({ name: e.name, type: "symlink", linkname: e.link });
    else pack.entry({ name: e.name }, e.content ?? "");
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `docker save` of a busybox-like image in the legacy layout: one layer with busybox and its applets as symlinks. */
async function legacyBusybox(): Promise<Buffer> {
  const layer = await tarOf([
    { name: "bin/" },
    { name: "bin/busybox", content: "ELF" },
    { name: "bin/ping", link: "busybox" },
    { name: "bin/nc", link: "busybox" },
    { name: "bin/nslookup", link: "busybox" },
    { name: "etc/passwd", content: "root:x:0:0::/root:/bin/sh\n" },
  ]);
  return tarOf([
    { name: "0a1b/VERSION", content: "1.0" },
    { name: "0a1b/layer.tar", content: layer },
    { name: "cfg.json", content: "{}" },
    { name: "manifest.json", content: JSON.stringify([{ Config: "cfg.json", RepoTags: ["busybox:latest"], Layers: ["0a1b/layer.tar"] }]) },
  ]);
}

/** A fake engine: only what a test gives, anything else fails loudly. */
function engine(over: Partial<EngineReader>): EngineReader {
  const none = (what: string) => () => Promise.reject(new Error(`unexpected ${what}`));
  return {
    listNetworks: async () => [],
    info: async () => ({}),
    version: async () => ({ Arch: "amd64" }),
    inspectImage: async () => undefined,
    exportImage: none("export"),
    ...over,
  };
}

function readers(over: Partial<HostReaders> = {}): HostReaders & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    run: async (file, args) => {
      ran.push(`${file} ${args.join(" ")}`);
      if (file !== "ip") throw new Error(`spawn ${file} ENOENT`);
      return args.includes("route") ? IP_ROUTES : IP_ADDRS;
    },
    readFile: async (path) => {
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
    },
    interfaces: () => ({}),
    engine: engine({}),
    ...over,
  };
}

const network = (n: Partial<Docker.NetworkInspectInfo>) =>
  ({ Driver: "bridge", Labels: {}, IPAM: { Config: [] }, ...n }) as Docker.NetworkInspectInfo;

describe("lab/host-facts", function () {
  describe("reading the host (fake readers)", function () {
    it("routes of every table and addresses from ip -j -4; Docker networks with their bridges; no pools; the engine's arch; no image yet", async () => {
      const r = readers({
        engine: engine({
          listNetworks: async () => [
            network({
              Name: "bridge",
              Id: "9ef0b652eaf2aaaa",
              Options: { "com.docker.network.bridge.name": "docker0" },
              IPAM: { Driver: "default", Config: [{ Subnet: "172.17.0.0/16" }] },
            } as Partial<Docker.NetworkInspectInfo>),
            network({
              Name: "swarmlab-net",
              Id: "0123456789abcdef",
              Labels: { "swarmlab.lab": "swarmlab", "swarmlab.owner": "dev.1234abcd" },
              IPAM: { Driver: "default", Config: [{ Subnet: "192.168.56.0/24" }] },
            } as Partial<Docker.NetworkInspectInfo>),
            network({ Name: "host", Id: "cbfc8a914b09", Driver: "host" }),
          ],
        }),
      });
      const facts = await readHostFacts("busybox:latest", r);
      assert.deepEqual(r.ran, ["ip -j -4 route show table all", "ip -j -4 addr show"]);
      assert.deepEqual(facts.routes, routesFromIpJson(IP_ROUTES));
      assert.deepEqual(facts.routes.slice(0, 3), [
        { dst: "default", dev: "eth0", gateway: "192.0.2.1", type: undefined, table: undefined },
        { dst: "172.17.0.0/16", dev: "docker0", gateway: undefined, type: undefined, table: undefined },
        { dst: "192.0.2.0/24", dev: "eth0", gateway: undefined, type: undefined, table: undefined },
      ]);
      assert.deepEqual(facts.addresses, [
        { dev: "lo", address: "127.0.0.1", prefix: 8 },
        { dev: "eth0", address: "192.0.2.2", prefix: 24 },
        { dev: "docker0", address: "172.17.0.1", prefix: 16 },
      ]);
      assert.deepEqual(facts.networks, [
        { name: "bridge", subnets: ["172.17.0.0/16"], labels: {}, bridge: "docker0" },
        {
          name: "swarmlab-net",
          subnets: ["192.168.56.0/24"],
          labels: { "swarmlab.lab": "swarmlab", "swarmlab.owner": "dev.1234abcd" },
          bridge: "br-0123456789ab",
        },
        { name: "host", subnets: [], labels: {}, bridge: undefined },
      ]);
      assert.deepEqual(facts.pools, []);
      assert.equal(facts.arch, "amd64");
      assert.equal(facts.image, undefined);
    });

    it("ip from /usr/sbin when PATH has none; without any ip, /proc/net/route and os.networkInterfaces()", async () => {
      const sbin = readers();
      sbin.run = async (file, args) => {
        sbin.ran.push(file);
        if (file !== "/usr/sbin/ip") throw new Error(`spawn ${file} ENOENT`);
        return args.includes("route") ? IP_ROUTES : IP_ADDRS;
      };
      assert.deepEqual((await readHostFacts("busybox:latest", sbin)).routes, routesFromIpJson(IP_ROUTES));
      assert.deepEqual(sbin.ran.sort(), ["/usr/sbin/ip", "/usr/sbin/ip", "ip", "ip"], "ip, then /usr/sbin/ip, for routes and for addresses");

      const none = readers({
        run: async (file) => {
          throw new Error(`spawn ${file} ENOENT`);
        },
        readFile: async (path) => {
          assert.equal(path, "/proc/net/route");
          return PROC_ROUTE;
        },
        interfaces: () => ({
          eth0: [
            { address: "192.0.2.2", netmask: "255.255.255.0", family: "IPv4", mac: "02:00:00:00:00:01", internal: false, cidr: "192.0.2.2/24" },
            {
              address: "fd00::2",
              netmask: "ffff:ffff:ffff:ffff::",
              family: "IPv6",
              mac: "02:00:00:00:00:01",
              internal: false,
              cidr: "fd00::2/64",
              scopeid: 0,
            },
          ],
        }),
      });
      const facts = await readHostFacts("busybox:latest", none);
      assert.deepEqual(facts.routes, [
        { dst: "default", dev: "eth0", gateway: "192.0.2.1" },
        { dst: "172.17.0.0/16", dev: "docker0" },
        { dst: "192.0.2.0/24", dev: "eth0" },
      ]);
      assert.deepEqual(facts.addresses, [{ dev: "eth0", address: "192.0.2.2", prefix: 24 }]);
      assert.deepEqual(routesFromProc(PROC_ROUTE), facts.routes);
      assert.deepEqual(
        addressesFromIpJson(IP_ADDRS).map((a) => a.dev),
        ["lo", "eth0", "docker0"],
      );
    });

    it("with neither ip nor /proc/net/route: one line saying what to install", async () => {
      const bare = readers({
        run: async (file) => {
          throw new Error(`spawn ${file} ENOENT`);
        },
      });
      await assert.rejects(readHostFacts("busybox:latest", bare), {
        message:
          "cannot read this host's routes to check swarmlab:subnet against them (no ip, and ENOENT: /proc/net/route): install iproute2 and run again",
      });
    });

    it("the engine's default address pools when it names them (Docker 23+), else daemon.json's", async () => {
      const reported = readers({ engine: engine({ info: async () => ({ DefaultAddressPools: [{ Base: "10.10.0.0/16", Size: 24 }] }) }) });
      assert.deepEqual((await readHostFacts("busybox:latest", reported)).pools, [{ base: "10.10.0.0/16", size: 24 }]);
      const configured = readers({
        readFile: async (path) => {
          assert.equal(path, "/etc/docker/daemon.json");
          return JSON.stringify({ "default-address-pools": [{ base: "192.168.64.0/18", size: 24 }] });
        },
      });
      assert.deepEqual((await readHostFacts("busybox:latest", configured)).pools, [{ base: "192.168.64.0/18", size: 24 }]);
    });

    it("an image of the host is inspected and looked into; the lab's own and big ones only inspected", async () => {
      const exported: string[] = [];
      const image = (labels: Record<string, string>, size: number) =>
        ({
          Id: "sha256:e620c1c1d656",
          Os: "linux",
          Architecture: "amd64",
          Size: size,
          Config: { Labels: labels },
        }) as unknown as Docker.ImageInspectInfo;
      const withImage = (found: Docker.ImageInspectInfo) =>
        readers({
          engine: engine({
            inspectImage: async () => found,
            exportImage: async (ref) => {
              exported.push(ref);
              return Readable.from([await legacyBusybox()]);
            },
          }),
        });
      const registry = await readHostFacts("busybox:1.36", withImage(image({}, 4_300_000)));
      assert.deepEqual(registry.image, {
        id: "sha256:e620c1c1d656",
        os: "linux",
        architecture: "amd64",
        labels: {},
        programs: ["ping", "nc", "nslookup"],
      });
      assert.deepEqual(exported, ["busybox:1.36"]);
      const ours = await readHostFacts("busybox:latest", withImage(image({ "swarmlab.image": "busybox", "swarmlab.image-hash": "2" }, 4_300_000)));
      assert.equal(ours.image?.programs, undefined);
      const big = await readHostFacts("nicolaka/netshoot:latest", withImage(image({}, 450_000_000)));
      assert.equal(big.image?.programs, undefined);
      assert.deepEqual(exported, ["busybox:1.36"], "neither the lab's busybox nor an image over 250 MB is read");
    });

    it("without a Docker engine: one line saying what could not be checked and how to start Docker", async () => {
      const down = readers({ engine: engine({ listNetworks: () => Promise.reject(new Error("connect ENOENT /var/run/docker.sock")) }) });
      await assert.rejects(readHostFacts("busybox:latest", down), {
        message:
          "cannot check swarmlab:subnet and swarmlab:image against the Docker engine (connect ENOENT /var/run/docker.sock): start Docker (bash scripts/docker-engine.sh) and run again",
      });
    });
  });

  describe("what an image holds (programsIn)", function () {
    it("busybox in the legacy layout: ping, nc and nslookup as symlinks", async () => {
      assert.deepEqual(await programsIn(Readable.from([await legacyBusybox()])), ["ping", "nc", "nslookup"]);
    });

    it("OCI layout with gzipped layers; a later layer's whiteout removes a program, in the manifest's order", async () => {
      const base = zlib.gzipSync(
        await tarOf([
          { name: "./usr/bin/ping", content: "x" },
          { name: "./usr/bin/nc", content: "x" },
          { name: "./usr/sbin/nslookup", content: "x" },
        ]),
      );
      const slim = await tarOf([{ name: "usr/bin/.wh.nc" }, { name: "usr/sbin/.wh..wh..opq" }, { name: "usr/local/bin/other", content: "x" }]);
      const image = await tarOf([
        // the slimming layer comes first in the file, second in the manifest
        { name: "blobs/sha256/bbbb", content: slim },
        { name: "blobs/sha256/aaaa", content: base },
        { name: "blobs/sha256/cfg0", content: '{"architecture":"amd64"}' },
        { name: "index.json", content: "{}" },
        { name: "manifest.json", content: JSON.stringify([{ Config: "blobs/sha256/cfg0", Layers: ["blobs/sha256/aaaa", "blobs/sha256/bbbb"] }]) },
      ]);
      assert.deepEqual(await programsIn(Readable.from([image])), ["ping"]);
    });

    it("programs elsewhere than the PATH folders do not count", async () => {
      const layer = await tarOf([
        { name: "opt/tools/ping", content: "x" },
        { name: "bin/nc", content: "x" },
      ]);
      const image = await tarOf([
        { name: "l1/layer.tar", content: layer },
        { name: "manifest.json", content: JSON.stringify([{ Layers: ["l1/layer.tar"] }]) },
      ]);
      assert.deepEqual(await programsIn(Readable.from([image])), ["nc"]);
    });
  });

  describe("good settings pass", function () {
    it("the e2e suite's and the benchmark's subnets, and the default, on our CI machine", () => {
      const facts: HostFacts = { ...CLEAN_HOST, routes: routesFromIpJson(IP_ROUTES), addresses: addressesFromIpJson(IP_ADDRS) };
      for (const subnet of TEST_SUBNETS) assert.doesNotThrow(() => assertHostFits(specWith({ subnet }), facts, "dev"), subnet);
    });

    it("up of a running lab: its own network, its bridge's route and the gateway's address are its own", () => {
      const facts = hostWith({
        addNetworks: [labNetwork("swarmlab", "192.168.56.0/24", "dev.1234abcd", "0123456789ab")],
        addRoutes: [{ dst: "192.168.56.0/24", dev: "br-0123456789ab" }],
        addAddresses: [{ dev: "br-0123456789ab", address: "192.168.56.1", prefix: 24 }],
      });
      assert.doesNotThrow(() => assertHostFits(specWith(), facts, "dev"));
      assert.doesNotThrow(() => assertHostFits(specWith({ workers: "3", replicas: "1" }), facts, "dev"), "a running lab's settings change");
    });

    it("a lab of this stack under its old name (a rename) is this stack's own; a lab of this name owned by another stack is the claim's to refuse", () => {
      const renamed = hostWith({
        addNetworks: [labNetwork("oldname", "192.168.56.0/24", "dev.1234abcd")],
        addRoutes: [{ dst: "192.168.56.0/24", dev: "br-0123456789ab" }],
      });
      assert.doesNotThrow(() => assertHostFits(specWith({ name: "newname" }), renamed, "dev"));
      const sameName = hostWith({ addNetworks: [labNetwork("swarmlab-e2e", "192.168.58.0/24", "e2e-4242.0badc0de")] });
      assert.doesNotThrow(() => assertHostFits(specWith({ name: "swarmlab-e2e", subnet: "192.168.59.0/24" }), sameName, "intruder-1"));
      // … and the same check refuses that lab's subnet to another lab of that stack
      assert.throws(
        () => assertHostFits(specWith({ name: "swarmlab-intruder", subnet: "192.168.58.0/24" }), sameName, "intruder-1"),
        /this subnet is used.*stack e2e-4242/,
      );
    });

    it("routes that cover everything (default, VPN halves 0.0.0.0/1 and 128.0.0.0/1) and local, broadcast and multicast routes are not counted", () => {
      const facts = hostWith({
        addRoutes: [
          { dst: "0.0.0.0/1", gateway: "10.8.0.1", dev: "tun0" },
          { dst: "128.0.0.0/1", gateway: "10.8.0.1", dev: "tun0" },
          { dst: "default", dev: "wg0", table: "51820" },
          { dst: "192.168.56.0", dev: "eth0", type: "broadcast", table: "local" },
          { dst: "192.168.56.0/24", dev: "eth0", type: "multicast" },
        ],
      });
      assert.doesNotThrow(() => assertHostFits(specWith(), facts, "dev"));
    });

    it("Docker's built-in pools, as Docker 23+ reports them, do not refuse 192.168.x.0/24 (the 172.16.0.0/12 ones are refused by the settings check)", () => {
      const builtin = [...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 16 })), { base: "192.168.0.0/16", size: 20 }];
      for (const subnet of TEST_SUBNETS) assert.doesNotThrow(() => assertHostFits(specWith({ subnet }), hostWith({ pools: builtin }), "dev"), subnet);
    });

    it("busybox:latest, however written, is made by the lab when missing; an image not looked into passes on its inspection alone", () => {
      for (const image of ["busybox:latest", "busybox", "docker.io/library/busybox:latest", "library/busybox"]) {
        assert.doesNotThrow(() => assertHostFits(specWith({ image }), CLEAN_HOST, "dev"), image);
      }
      const big = hostWith({ image: { id: "sha256:1", os: "linux", architecture: "amd64", labels: {} } });
      assert.doesNotThrow(() => assertHostFits(specWith({ image: "nicolaka/netshoot:latest" }), big, "dev"));
    });
  });

  describe("no free block", function () {
    it("when every block of the size overlaps the host, the fix says to free one (no command could be valid)", () => {
      const vpn = hostWith({ addRoutes: [{ dst: "192.168.0.0/16", dev: "tun0" }] });
      assert.equal(freeSubnet(24, vpn, "swarmlab", "dev"), undefined);
      assert.equal(freeSubnet(24, CLEAN_HOST, "swarmlab", "dev"), "192.168.56.0/24");
      assert.throws(
        () => assertHostFits(specWith(), vpn, "dev"),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.message ===
            "swarmlab:subnet = \"192.168.56.0/24\": overlaps the host's route 192.168.0.0/16 dev tun0: the lab network would hide it on this host, and the lab's egress rule drops what is forwarded to it. Fix: free a /24 of 192.168.0.0/16: each one overlaps a route, an address, a Docker network or a pool of this host",
      );
    });

    it("the search wraps around: from the default upwards, then from 192.168.0.0", () => {
      const high = hostWith({
        addRoutes: [
          { dst: "192.168.56.0/21", dev: "a" },
          { dst: "192.168.64.0/18", dev: "b" },
          { dst: "192.168.128.0/17", dev: "c" },
        ],
      });
      assert.equal(freeSubnet(24, high, "swarmlab", "dev"), "192.168.0.0/24");
    });
  });
});
