// What a lab can reach of the host it runs on: a listener of the test's own on the host's address on the lab's
// bridge, and the packet counters of the lab's firewall rules. Only addresses of this machine are ever targeted.
import net from "node:net";
import Docker from "dockerode";
import { backendFor } from "../../lab/backends";
import { guardCounters } from "../../lab/backends/host/firewall";
import { iptablesImage } from "../../lab/backends/host/iptables-engine";
import { containerExec, demuxed } from "../../lab/engine-api";
import { waitUntil } from "../../lab/wait";
import { formatIPv4, parseCidr } from "../../lab/net";
import type { BackendName } from "../../lab/types";

/** A TCP listener on one of the host's addresses that counts who connected. */
export interface HostListener {
  address: string;
  port: number;
  accepted(): Promise<number>;
  /** Whether the host itself can connect to it (a control: the listener is there). */
  connects(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A listener on the host's address on the lab bridge: in this process when the address is this process's (the
 * engine's machine, its network namespace), else on the engine's host (a client with no route to the lab: Docker
 * Desktop, a remote engine, a namespace of its own), in a short-lived container of the lab's node image in that
 * host's network namespace.
 */
export async function listenOnHost(address: string, engine: Docker = new Docker()): Promise<HostListener> {
  try {
    return await listenHere(address);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRNOTAVAIL") throw err;
    return listenOnEngineHost(engine, address);
  }
}

async function listenHere(address: string): Promise<HostListener> {
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    socket.end(`host ${address}\n`);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, address, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address,
    port,
    accepted: async () => accepted,
    connects: () => hostConnects(address, port),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// perl is in the node image (perl-base); it binds the one address, as the listener here does, and says each accept.
const perlListener = (address: string) =>
  `use IO::Socket::INET; $|=1; my $s = IO::Socket::INET->new(LocalAddr => "${address}", LocalPort => 0, Listen => 5, ReuseAddr => 1) or die "listen: $@"; ` +
  `print "port ", $s->sockport, "\n"; while (my $c = $s->accept) { print "accepted\n"; print $c "host ${address}\n"; close $c }`;
const perlConnect = (address: string, port: number) =>
  `use IO::Socket::INET; exit(IO::Socket::INET->new(PeerAddr => "${address}", PeerPort => ${port}, Timeout => 3) ? 0 : 1)`;

async function listenOnEngineHost(docker: Docker, address: string): Promise<HostListener> {
  const image = await iptablesImage(docker);
  if (!image) throw new Error(`no address ${address} here, and the engine has no swarmlab node image to listen on its host with`);
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ["perl", "-e", perlListener(address)],
    Cmd: [],
    HostConfig: { NetworkMode: "host" }, // the engine host's own network namespace, where the lab's bridge is
  });
  const said = async () => demuxed((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer);
  try {
    await container.start();
    const port = Number(
      await waitUntil(
        `the listener on ${address} (engine host)`,
        { timeoutMs: 10_000, pacingMs: 100, errors: "end" },
        async () => /^port (\d+)$/m.exec(await said())?.[1],
      ),
    );
    return {
      address,
      port,
      accepted: async () => (await said()).split("\n").filter((l: string) => l === "accepted").length,
      connects: async () => (await containerExec(docker, container.id, ["perl", "-e", perlConnect(address, port)])).code === 0,
      close: () => container.remove({ force: true }).then(() => undefined),
    };
  } catch (err) {
    await container.remove({ force: true }).catch(() => undefined);
    throw err;
  }
}

/** Whether this process can open a connection to address:port (a control: the listener is there). */
function hostConnects(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port, timeout: 3000 });
    socket.once("connect", () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** The lab network as the host sees it: its bridge and the host's address on it (a Docker or a libvirt network). */
export async function labBridge(lab: string, backend: BackendName = "docker"): Promise<{ bridge: string; gateway: string }> {
  return (await backendFor(backend)).labBridge(lab);
}

/**
 * The engine whose host holds a lab's firewall rules: the docker backend's (here as root, else through it); none for
 * the vagrant backend, whose VMs run on this machine (lab/backends/host/firewall.ts).
 */
export const guardEngine = (backend: BackendName = "docker") => (backend === "docker" ? new Docker() : undefined);

/** How many packets the lab's rule matching `pick` has dropped so far. */
export async function dropped(lab: string, owner: string, pick: (line: string) => boolean, backend?: BackendName): Promise<number> {
  const matches = [...(await guardCounters(lab, owner, guardEngine(backend)))].filter(([line]) => pick(line));
  if (matches.length !== 1) throw new Error(`${matches.length} rules of lab ${lab} match: ${matches.map(([l]) => l).join("; ")}`);
  return matches[0][1];
}

/** A free address on the host's own Docker network "bridge" (docker0): on this machine, beyond the lab. */
export async function unusedAddressOnDocker0(): Promise<string> {
  const bridge = await new Docker().getNetwork("bridge").inspect();
  const cidr = parseCidr(bridge.IPAM?.Config?.[0]?.Subnet ?? "");
  if (!cidr) throw new Error("the host's Docker network 'bridge' has no IPv4 subnet");
  const used = new Set(Object.values(bridge.Containers ?? {}).map((c) => String((c as { IPv4Address: string }).IPv4Address).split("/")[0]));
  for (let a = cidr.broadcast - 1; a > cidr.network + 1; a--) if (!used.has(formatIPv4(a))) return formatIPv4(a);
  throw new Error(`no free address in ${bridge.IPAM?.Config?.[0]?.Subnet}`);
}
