// What a lab can reach of the host it runs on: a listener of the test's own on the host's address on the lab's
// bridge, and the packet counters of the lab's firewall rules. Only addresses of this machine are ever targeted.
import net from "node:net";
import Docker from "dockerode";
import { backendFor } from "../../lab/backends";
import { guardCounters } from "../../lab/backends/host/firewall";
import { formatIPv4, parseCidr } from "../../lab/net";
import type { BackendName } from "../../lab/types";

/** A TCP listener on one of the host's addresses that counts who connected. */
export interface HostListener {
  address: string;
  port: number;
  accepted(): number;
  close(): Promise<void>;
}

export async function listenOnHost(address: string): Promise<HostListener> {
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    socket.end(`host ${address}\n`);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, address, resolve));
  return {
    address,
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Whether this process can open a connection to address:port (a control: the listener is there). */
export function hostConnects(address: string, port: number): Promise<boolean> {
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
