// How the client reaches a container lab's nodes: straight to their addresses on the lab network, or through the
// Docker engine (lab/engine-relay.ts) when those addresses are not this machine's to route to — Docker Desktop (the
// engine and its bridges live in a VM), rootless Docker (in a namespace of their own), a remote DOCKER_HOST.
// Decided once per lab when its nodes are made, recorded in each node's access (NodeAccess.via), so every reader of
// the lab (up's last look, status, the suite, explain, the ssh_config) goes the same way; SWARMLAB_REACH forces one.
import os from "node:os";
import type Docker from "dockerode";
import { engineInfo, isThisMachine } from "./engine-host";
import { checkReach, Reach } from "./env";
import { contains, parseCidr, parseIPv4 } from "./net";

export type { Reach };

/** What the choice rests on, read once per lab (reachFacts). */
export interface ReachFacts {
  /** SWARMLAB_REACH, when set. */
  forced?: Reach;
  /** DOCKER_HOST when set (undefined: this machine's socket). */
  dockerHost?: string;
  /** The machine the engine runs on (docker info's Name and KernelVersion) and this one (hostname, uname -r). */
  engine: { name: string; kernel: string };
  here: { name: string; kernel: string };
  /** Whether the node's address is on a network of one of this machine's interfaces (the lab's bridge is here). */
  bridgeHere: boolean;
}

export interface ReachChoice {
  reach: Reach;
  /** Why, in words, for the log. */
  why: string;
}

/** The way to a lab's nodes, and why, from the facts alone. Direct only when the engine and its bridge are here. */
export function decideReach(f: ReachFacts): ReachChoice {
  if (f.forced) return { reach: f.forced, why: `SWARMLAB_REACH=${f.forced}` };
  if (!isThisMachine(f.dockerHost, f.engine, f.here)) {
    const remote = f.dockerHost && !f.dockerHost.startsWith("unix://");
    const why = remote
      ? `the engine is at ${f.dockerHost}, not on this machine`
      : `the engine runs on ${f.engine.name} (kernel ${f.engine.kernel}), not on this machine (${f.here.name})`;
    return { reach: "engine", why };
  }
  if (!f.bridgeHere) return { reach: "engine", why: "the lab network's bridge is not on this machine (the engine keeps it in a VM or a namespace)" };
  return { reach: "direct", why: "the engine and the lab network's bridge are on this machine" };
}

/** Whether one of the interfaces' networks holds the address. `interfaces`: os.networkInterfaces()'s shape. */
export function onLocalNetwork(address: string, interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): boolean {
  const at = parseIPv4(address);
  if (at === undefined) return false;
  return Object.values(interfaces)
    .flat()
    .some((i) => {
      const network = i?.family === "IPv4" && !i.internal && i.cidr ? parseCidr(i.cidr) : undefined;
      return network !== undefined && contains(network, at);
    });
}

/** The facts for a lab whose nodes take addresses like `address` (its network made already), from the engine asked. */
export async function reachFacts(docker: Docker, address: string, env: NodeJS.ProcessEnv = process.env): Promise<ReachFacts> {
  const forced = checkReach(env.SWARMLAB_REACH);
  const here = { name: os.hostname(), kernel: os.release() };
  if (forced) return { forced, engine: here, here, bridgeHere: true };
  const info = await engineInfo(docker);
  return {
    dockerHost: env.DOCKER_HOST || undefined,
    engine: { name: info.Name ?? "", kernel: info.KernelVersion ?? "" },
    here,
    bridgeHere: onLocalNetwork(address, os.networkInterfaces()),
  };
}

/** The way the reader takes to a node recorded with `via`: SWARMLAB_REACH when set, else the recorded one. */
export function reachOf(via: Reach | undefined, env: NodeJS.ProcessEnv = process.env): Reach {
  return checkReach(env.SWARMLAB_REACH) ?? via ?? "direct";
}
