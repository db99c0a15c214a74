// The default backend: nodes are containers on the local Docker engine.
import Docker from "dockerode";
import { unless404 } from "../../engine-api";
import type { BaseSettings, LabIdentity, NodeSettings } from "../../types";
import { LABEL_NODE } from "../../types";
import type { Backend, BackendInfo, LabObject, ListedNode, Log, MachineImages, ProvisionedNode } from "../backend";
import { containersNamed, identityOf, labFilter, listLabContainers, ownedBy, removeContainer } from "../host/containers";
import { collectContainerLogs } from "../host/diagnostics";
import { engineLabs, engineObjects } from "../host/engine";
import { missingGuards, removeGuards, syncGuards } from "../host/firewall";
import { upstreamRunning } from "../host/upstream";
import { waitForPort } from "../host/wait";
import { decideReach, ReachChoice, reachFacts } from "../../reach";
import { ensureImages, nodeImageCurrent, nodeImageHash } from "./images";
import { bridgeOf, ensureLabNetwork, findLabNetwork, labNetworkProblem, removeLabNetworks } from "./network";
import { createNode } from "./node";
import { containerName, labObjectNames } from "./names";
import { ensureUpstream } from "./upstream";

export class DockerBackend implements Backend {
  readonly name = "docker" as const;
  constructor(readonly docker: Docker = new Docker()) {}

  /** The node image (built from images/node) and busybox. */
  ensureImages(log: Log): Promise<MachineImages> {
    return ensureImages(this.docker, log);
  }

  imagesInEngine(made: MachineImages): string[] {
    return [made.node, made.busybox];
  }

  /** The node image is the current recipe's, and the lab's machines were made from that recipe (not an older one). */
  async recipeCurrent(made: MachineImages): Promise<boolean> {
    return (await nodeImageCurrent(this.docker)) && made.nodeRecipe === (await nodeImageHash());
  }

  async prepare(base: BaseSettings, log: Log): Promise<void> {
    const bridge = await ensureLabNetwork(this.docker, base, log);
    // The engine's host's firewall: here as root, else through the engine (a user of the docker group gets them too).
    const where = await syncGuards({ ...base, bridge }, [], this.docker);
    if (where) log(`host firewall rules for the lab in place, ${where}`);
    else {
      log(
        "host firewall rules NOT added: iptables needs root here, and the engine has no image with iptables to run it in (npm run up makes one); the lab still has no route off this machine, but its nodes can reach this host",
      );
    }
    await ensureUpstream(this.docker, base, log);
  }

  async inspectBase(base: BaseSettings): Promise<string[]> {
    const problems = [await labNetworkProblem(this.docker, base)].filter(Boolean);
    if (!(await upstreamRunning(this.docker, base))) problems.push(`the upstream host ${base.upstream.address} is not running`);
    const network = await findLabNetwork(this.docker, base.lab);
    const missing = network ? await missingGuards({ ...base, bridge: bridgeOf(network) }, [], this.docker) : [];
    if (missing.length > 0) problems.push(`${missing.length} of the host's firewall rules for the lab ${missing.length === 1 ? "is" : "are"} gone`);
    return problems;
  }

  async removeBase(id: LabIdentity, log: Log): Promise<void> {
    for (const c of await this.list(id.lab, id.owner)) {
      if (c.role === "upstream") await removeContainer(this.docker, c.id);
    }
    await removeGuards(id.lab, id.owner, this.docker);
    const removed = await removeLabNetworks(this.docker, id.lab, id.owner);
    log(`lab ${id.lab}: upstream, firewall rules and ${removed.join(", ") || "no network"} removed`);
  }

  async provision(node: NodeSettings, authorizedKey: string, log: Log): Promise<ProvisionedNode> {
    const [provisioned, reach] = await Promise.all([createNode(this.docker, node, authorizedKey, log), this.reachOf(node)]);
    if (reach.reach === "engine") {
      log(`node ${node.name}: reached through the Docker engine (${reach.why})`);
      return { ...provisioned, via: "engine" }; // its sshd answers through docker exec: no port to wait for
    }
    await waitForPort(node.address, 22, 30_000);
    return provisioned;
  }

  /** How the client reaches a lab's nodes (lab/reach.ts): asked once per lab, whose nodes are made together. */
  private readonly reaches = new Map<string, Promise<ReachChoice>>();
  private reachOf(node: NodeSettings): Promise<ReachChoice> {
    let choice = this.reaches.get(node.lab);
    if (!choice) {
      choice = reachFacts(this.docker, node.address).then(decideReach);
      choice.catch(() => this.reaches.delete(node.lab)); // a failed look is asked again by the next node
      this.reaches.set(node.lab, choice);
    }
    return choice;
  }

  list(labName: string, owner?: string): Promise<ListedNode[]> {
    return listLabContainers(this.docker, labName, owner);
  }

  objects(labName: string, owner?: string, subnet?: string): Promise<LabObject[]> {
    return engineObjects(this.docker, labName, owner, subnet);
  }

  async namesTaken(labName: string, nodes: readonly string[]): Promise<LabObject[]> {
    const names = labObjectNames(labName, nodes);
    const of = (kind: string) => new Set(names.filter((n) => n.kind === kind).map((n) => n.name));
    const [machines, volumes, networks] = [of("container"), of("volume"), of("network")];
    const [containers, { Volumes }, engineNetworks] = await Promise.all([
      containersNamed(this.docker, machines),
      this.docker.listVolumes(),
      this.docker.listNetworks(),
    ]);
    return [
      ...containers,
      ...(Volumes ?? []).filter((v) => volumes.has(v.Name)).map((v) => ({ what: `volume ${v.Name}`, ...identityOf(v.Labels) })),
      ...engineNetworks.filter((n) => networks.has(n.Name)).map((n) => ({ what: `network ${n.Name}`, ...identityOf(n.Labels) })),
    ];
  }

  labs(): Promise<string[]> {
    return engineLabs(this.docker);
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
      ...(await removeGuards(labName, owner, this.docker)).map((r) => `firewall rule '${r}'`),
    ];
    log(`lab ${labName}: ${removed.length ? `removed ${removed.join(", ")}` : "nothing to remove"}`);
    return removed;
  }

  async collectLogs(labName: string, dir: string): Promise<string[]> {
    const written: string[] = [];
    for (const node of await this.list(labName)) written.push(...(await collectContainerLogs(this.docker, node, dir)));
    return written;
  }

  async info(): Promise<BackendInfo> {
    const info = await this.docker.info();
    return {
      backend: this.name,
      facts: { engine: info.ServerVersion, kernel: info.KernelVersion, os: info.OperatingSystem, cgroup: `v${info.CgroupVersion}` },
    };
  }

  async labBridge(lab: string): Promise<{ bridge: string; gateway: string }> {
    const network = await findLabNetwork(this.docker, lab);
    if (!network) throw new Error(`lab ${lab} has no network`);
    const gateway = network.IPAM?.Config?.[0]?.Gateway;
    if (!gateway) throw new Error(`network ${network.Name} has no gateway`);
    return { bridge: bridgeOf(network), gateway };
  }

  private async removeVolumes(labName: string, owner?: string, nodeNames?: string[]): Promise<string[]> {
    const { Volumes } = await this.docker.listVolumes({ filters: labFilter(labName) });
    const doomed = (Volumes ?? []).filter((v) => ownedBy(v.Labels, owner) && (!nodeNames || nodeNames.includes(v.Labels?.[LABEL_NODE] ?? "")));
    for (const v of doomed) await unless404(this.docker.getVolume(v.Name).remove());
    return doomed.map((v) => v.Name);
  }
}
