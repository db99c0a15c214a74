// The default backend: nodes are containers on the local Docker engine.
import { mkdir, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import Docker from "dockerode";
import { containerExec, unless404 } from "../../engine-api";
import type { BaseSettings, LabIdentity, NodeSettings, Role } from "../../types";
import { LABEL_LAB, LABEL_NODE, LABEL_OWNER, LABEL_ROLE } from "../../types";
import type { Backend, BackendInfo, LabObject, ListedNode, Log, ProvisionedNode } from "../backend";
import { labFilter, ownedBy, removeContainer } from "./containers";
import { listGuards, missingGuards, removeGuards, syncGuards } from "./firewall";
import { bridgeOf, ensureLabNetwork, findLabNetwork, labNetworkProblem, removeLabNetworks } from "./network";
import { createNode } from "./node";
import { UPSTREAM_NAME } from "../../config";
import { containerName, networkName, volumeName } from "./names";
import { ensureUpstream, upstreamRunning } from "./upstream";

export class DockerBackend implements Backend {
  readonly name = "docker" as const;
  constructor(readonly docker: Docker = new Docker()) {}

  async prepare(base: BaseSettings, log: Log): Promise<void> {
    const bridge = await ensureLabNetwork(this.docker, base, log);
    if (!(await syncGuards({ ...base, bridge }))) {
      log("host firewall rules NOT added: iptables needs root (or passwordless sudo); the lab still has no route off this machine, but its nodes can reach this host");
    }
    await ensureUpstream(this.docker, base, log);
  }

  async inspectBase(base: BaseSettings): Promise<string[]> {
    const problems = [await labNetworkProblem(this.docker, base)].filter(Boolean);
    if (!(await upstreamRunning(this.docker, base))) problems.push(`the upstream host ${base.upstream.address} is not running`);
    const network = await findLabNetwork(this.docker, base.lab);
    const missing = network ? await missingGuards({ ...base, bridge: bridgeOf(network) }) : [];
    if (missing.length > 0) problems.push(`${missing.length} of the host's firewall rules for the lab ${missing.length === 1 ? "is" : "are"} gone`);
    return problems;
  }

  async removeBase(id: LabIdentity, log: Log): Promise<void> {
    for (const c of await this.list(id.lab, id.owner)) {
      if (c.role === "upstream") await removeContainer(this.docker, c.id);
    }
    await removeGuards(id.lab, id.owner);
    const removed = await removeLabNetworks(this.docker, id.lab, id.owner);
    log(`lab ${id.lab}: upstream, firewall rules and ${removed.join(", ") || "no network"} removed`);
  }

  async provision(node: NodeSettings, authorizedKey: string, log: Log): Promise<ProvisionedNode> {
    const provisioned = await createNode(this.docker, node, authorizedKey, log);
    await waitForPort(node.address, 22, 30_000);
    return provisioned;
  }

  async list(labName: string, owner?: string): Promise<ListedNode[]> {
    const containers = await this.docker.listContainers({ all: true, filters: labFilter(labName) });
    return containers.filter((c) => ownedBy(c.Labels, owner)).map((c) => ({
      id: c.Id,
      name: c.Labels[LABEL_NODE],
      role: c.Labels[LABEL_ROLE] as Role | "upstream",
      state: c.State,
      owner: c.Labels[LABEL_OWNER] ?? "",
    }));
  }

  async objects(labName: string, owner?: string, subnet?: string): Promise<LabObject[]> {
    const filters = labFilter(labName);
    const [allContainers, { Volumes: allVolumes }, networks, guards] = await Promise.all([
      this.docker.listContainers({ all: true, filters }),
      this.docker.listVolumes({ filters }),
      this.docker.listNetworks(),
      listGuards(labName, owner),
    ]);
    const of = (labels: Record<string, string> | null | undefined) => ({ lab: labels?.[LABEL_LAB] ?? "", owner: labels?.[LABEL_OWNER] ?? "" });
    const containers = allContainers.filter((c) => ownedBy(c.Labels, owner));
    const Volumes = (allVolumes ?? []).filter((v) => ownedBy(v.Labels, owner));
    const labNetworks = networks.filter(
      (n) => (n.Labels?.[LABEL_LAB] === labName && ownedBy(n.Labels, owner)) ||
        (subnet !== undefined && n.IPAM?.Config?.some((c) => c.Subnet === subnet)),
    );
    return [
      ...containers.map((c) => ({ what: `container ${c.Names[0]?.replace(/^\//, "") ?? c.Id}`, ...of(c.Labels) })),
      ...(Volumes ?? []).map((v) => ({ what: `volume ${v.Name}`, ...of(v.Labels) })),
      ...labNetworks.map((n) => ({ what: `network ${n.Name}`, ...of(n.Labels), subnet: n.IPAM?.Config?.[0]?.Subnet })),
      ...guards.map((g) => ({ what: `firewall rule '${g}'`, lab: labName, owner: /owner=([^" ,]+)/.exec(g)?.[1] ?? "" })),
    ];
  }

  async namesTaken(labName: string, nodes: readonly string[]): Promise<LabObject[]> {
    const machines = new Set([...nodes, UPSTREAM_NAME].map((n) => containerName(labName, n)));
    const volumes = new Set(nodes.map((n) => volumeName(labName, n)));
    const [containers, { Volumes }, networks] = await Promise.all([
      this.docker.listContainers({ all: true }),
      this.docker.listVolumes(),
      this.docker.listNetworks(),
    ]);
    const of = (labels: Record<string, string> | null | undefined) => ({ lab: labels?.[LABEL_LAB] ?? "", owner: labels?.[LABEL_OWNER] ?? "" });
    return [
      ...containers.flatMap((c) => {
        const name = c.Names.map((n) => n.replace(/^\//, "")).find((n) => machines.has(n));
        return name ? [{ what: `container ${name}`, ...of(c.Labels) }] : [];
      }),
      ...(Volumes ?? []).filter((v) => volumes.has(v.Name)).map((v) => ({ what: `volume ${v.Name}`, ...of(v.Labels) })),
      ...networks.filter((n) => n.Name === networkName(labName)).map((n) => ({ what: `network ${n.Name}`, ...of(n.Labels) })),
    ];
  }

  async labs(): Promise<string[]> {
    const filters = { label: [LABEL_LAB] };
    const [containers, { Volumes }, networks, guards] = await Promise.all([
      this.docker.listContainers({ all: true, filters }),
      this.docker.listVolumes({ filters }),
      this.docker.listNetworks({ filters }),
      listGuards(undefined),
    ]);
    const names = [...containers, ...(Volumes ?? []), ...networks].map((o) => o.Labels?.[LABEL_LAB] ?? "");
    names.push(...guards.map((g) => /swarmlab\.lab=([^" ,]+)/.exec(g)?.[1] ?? ""));
    return [...new Set(names.filter(Boolean))].sort();
  }

  async deleteNodes(id: LabIdentity, nodeNames: string[], log: Log): Promise<void> {
    for (const node of await this.list(id.lab, id.owner)) {
      if (!nodeNames.includes(node.name)) continue;
      await removeContainer(this.docker, node.id);
      log(`node ${node.name} removed`);
    }
    await this.removeVolumes(id.lab, id.owner, nodeNames);
  }

  async deleteLab(labName: string, owner: string | undefined, log: Log): Promise<string[]> {
    const containers = await this.list(labName, owner);
    await Promise.all(containers.map((c) => removeContainer(this.docker, c.id)));
    const removed = [
      ...containers.map((c) => `container ${containerName(labName, c.name)}`),
      ...(await this.removeVolumes(labName, owner)).map((v) => `volume ${v}`),
      ...(await removeLabNetworks(this.docker, labName, owner)).map((n) => `network ${n}`),
      ...(await removeGuards(labName, owner)).map((r) => `firewall rule '${r}'`),
    ];
    log(`lab ${labName}: ${removed.length ? `removed ${removed.join(", ")}` : "nothing to remove"}`);
    return removed;
  }

  async collectLogs(labName: string, dir: string): Promise<string[]> {
    const written: string[] = [];
    for (const node of await this.list(labName)) {
      const container = this.docker.getContainer(node.id);
      const nodeDir = path.join(dir, node.name);
      await mkdir(nodeDir, { recursive: true });
      const logs = await container.logs({ stdout: true, stderr: true, timestamps: true });
      written.push(await write(path.join(nodeDir, "container.log"), logs));
      if (node.role === "upstream" || node.state !== "running") continue;
      // Through `docker exec`, not SSH: this must work when the node's sshd or the lab's key is what broke.
      for (const [file, cmd] of NODE_DIAGNOSTICS) {
        const out = await containerExec(this.docker, node.id, ["sh", "-c", cmd]).then(
          (r) => r.stdout + r.stderr,
          (err) => `could not run '${cmd}': ${err}\n`,
        );
        written.push(await write(path.join(nodeDir, file), out));
      }
    }
    return written;
  }

  async info(): Promise<BackendInfo> {
    const info = await this.docker.info();
    return {
      backend: this.name,
      facts: { engine: info.ServerVersion, kernel: info.KernelVersion, os: info.OperatingSystem, cgroup: `v${info.CgroupVersion}` },
    };
  }

  private async removeVolumes(labName: string, owner?: string, nodeNames?: string[]): Promise<string[]> {
    const { Volumes } = await this.docker.listVolumes({ filters: labFilter(labName) });
    const doomed = (Volumes ?? []).filter((v) => ownedBy(v.Labels, owner) && (!nodeNames || nodeNames.includes(v.Labels?.[LABEL_NODE] ?? "")));
    for (const v of doomed) await unless404(this.docker.getVolume(v.Name).remove());
    return doomed.map((v) => v.Name);
  }
}

/** What a node's state looks like to someone debugging it: file → command run in the node. */
export const NODE_DIAGNOSTICS: [string, string][] = [
  ["dockerd.log", "cat /var/log/dockerd.log"],
  ["docker-info.json", "docker info --format '{{json .}}'"],
  ["networks.json", "docker network inspect $(docker network ls -q)"],
  ["containers.txt", "docker ps -a --no-trunc"],
  ["swarm-nodes.txt", "docker node ls 2>&1"], // managers only; a worker says so
  ["tasks.txt", 'ids=$(docker service ls -q 2>&1) || { echo "$ids"; exit 0; }; [ -z "$ids" ] || docker service ps --no-trunc $ids 2>&1'],
  ["iptables.txt", "iptables-save 2>&1"],
  ["ip.txt", "ip -d addr; ip route show table all"],
];

async function write(file: string, content: Buffer | string): Promise<string> {
  await writeFile(file, content);
  return file;
}

export function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect({ host, port });
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`${host}:${port} did not answer within ${timeoutMs / 1000}s`));
        else setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}
