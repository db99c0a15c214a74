// The upstream host of a lab of VMs: the lab's upstream container (lab/backends/host/upstream.ts: busybox answering
// pings, and on WHOAMI_PORT the source address it sees), started without a network of Docker's and plugged into the libvirt lab
// bridge by a veth pair, exactly as a VM's tap is: its eth0 holds the upstream's lab address, and it has no route
// beyond the lab network. Chosen over a macvlan network on the bridge (Docker would also manage the bridge's address
// and rules) and over a bare network namespace (the container carries the lab's labels, so it is found and removed
// like every other part; its veth goes with its namespace).
import type Docker from "dockerode";
import { containerExec } from "../../engine-api";
import type { BaseSettings } from "../../types";
import type { Log } from "../backend";
import { WHOAMI_PORT } from "../host/names";
import { startUpstreamContainer, upstreamRunning } from "../host/upstream";
import { upstreamVeth } from "./names";
import { runProgram } from "./programs";

async function ip(args: string[], reject = true) {
  return runProgram("ip", args, { reject });
}

/** The host's end of the upstream's veth: its bridge and whether it is up; undefined when it does not exist. */
export async function vethState(name: string): Promise<{ master?: string; up: boolean } | undefined> {
  const r = await ip(["-j", "link", "show", "dev", name], false);
  if (r.exitCode !== 0) return undefined;
  const [link] = JSON.parse(r.stdout || "[]") as { master?: string; flags?: string[] }[];
  return link ? { master: link.master, up: (link.flags ?? []).includes("UP") } : undefined;
}

/** What is wrong with the upstream ("" when it runs, plugged into the lab bridge). */
export async function upstreamProblem(docker: Docker, base: BaseSettings, bridge: string): Promise<string> {
  if (!(await upstreamRunning(docker, base))) return `the upstream host ${base.upstream.address} is not running`;
  const veth = await vethState(upstreamVeth(base.lab));
  if (!veth || veth.master !== bridge || !veth.up) return `the upstream host ${base.upstream.address} is not on the lab bridge ${bridge}`;
  return "";
}

export async function ensureUpstream(docker: Docker, base: BaseSettings, bridge: string, prefix: number, log: Log): Promise<void> {
  if ((await upstreamProblem(docker, base, bridge)) === "") return;
  const container = await startUpstreamContainer(docker, base, "none"); // a leftover of the lab is replaced
  const pid = (await container.inspect()).State.Pid;
  const host = upstreamVeth(base.lab);
  const peer = `${host}u`;
  await ip(["link", "del", host], false); // a leftover of an earlier upstream
  await ip(["link", "add", host, "type", "veth", "peer", "name", peer]);
  await ip(["link", "set", peer, "netns", String(pid)]);
  for (const cmd of [
    ["ip", "link", "set", peer, "name", "eth0"],
    ["ip", "addr", "add", `${base.upstream.address}/${prefix}`, "dev", "eth0"],
    ["ip", "link", "set", "eth0", "up"],
  ]) {
    const r = await containerExec(docker, container.id, cmd);
    if (r.code !== 0) throw new Error(`upstream: '${cmd.join(" ")}' failed: ${r.stderr.trim()}`);
  }
  await ip(["link", "set", host, "master", bridge, "up"]);
  log(`upstream ${base.upstream.address} started on the lab bridge ${bridge} (answers ping, and on :${WHOAMI_PORT} the source address it sees)`);
}
