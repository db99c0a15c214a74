// The vagrant backend: the lab's machines are VMs made by Vagrant from the lab's box (libvirt, QEMU), on the lab's
// own isolated libvirt networks; the upstream is every lab's container (lab/backends/host) plugged into the lab
// bridge. Above this line nothing differs: the swarm, mynet and test steps reach a VM exactly as they reach a
// container, over SSH on its lab address with the Engine API tunnelled through it.
//
// Found without state: domains by their description (swarmlab.lab=…,swarmlab.owner=…), networks by their metadata,
// disks by their domain's name (<lab>-<node>.img), the upstream by its Docker labels, firewall rules by comment.
import path from "node:path";
import Docker from "dockerode";
import type { BaseSettings, LabIdentity, NodeSettings, Role } from "../../types";
import { LABEL_LAB, LABEL_OWNER } from "../../types";
import type { Backend, BackendInfo, LabObject, ListedNode, Log, MachineImages, ProvisionedNode } from "../backend";
import { UPSTREAM_NAME } from "../../config";
import { containersNamed, labContainerObjects, listLabContainers, ownedBy, removeContainer } from "../host/containers";
import { collectContainerLogs } from "../host/diagnostics";
import { ensureBusyboxOnly } from "../host/images";
import { listGuards, missingGuards, removeGuards, syncGuards } from "../host/firewall";
import { containerName } from "../host/names";
import { boxRecipe, boxRecipeOrUndefined } from "./box";
import { collectVmLogs } from "./logs";
import { diskName, domainName, labNetworkName, LIBVIRT_BOX, mgmtNetworkName } from "./names";
import { ensureLabNetworks, findLabNetworks, guardsOf, labNetworkProblems, removeLabNetworks, subnetOf } from "./network";
import { createNode } from "./node";
import { MissingProgram, runProgram } from "./programs";
import { ensureUpstream, upstreamProblem } from "./upstream";
import { projectRoot } from "./vagrant";
import { removeLabDir } from "../../lab-dir";
import { domainIdentity, listDomains, listNetworks, listVolumes, removeDomain, removeVolume, virsh } from "./virsh";

type ListedDomain = Awaited<ReturnType<typeof listDomains>>[number];

export class VagrantBackend implements Backend {
  readonly name = "vagrant" as const;
  /** The upstream container lives on the host's Docker engine (lab/backends/host). */
  constructor(readonly docker: Docker = new Docker()) {}

  /**
   * busybox only (the tasks' image and the upstream's, side-loaded from this host's engine): the machines come from
   * the box `npm run box` registered, whose recipe stands for the node image's (a new box recipe remakes them).
   */
  ensureImages(log: Log): Promise<MachineImages> {
    return ensureBusyboxOnly(this.docker, log, LIBVIRT_BOX, boxRecipe());
  }

  imagesInEngine(made: MachineImages): string[] {
    return [made.busybox];
  }

  async recipeCurrent(made: MachineImages): Promise<boolean> {
    return boxRecipeOrUndefined() === made.nodeRecipe;
  }

  /** The lab's containers on this host's engine: its upstream. */
  private async upstream(labName: string, owner?: string): Promise<ListedNode[]> {
    return (await listLabContainers(this.docker, labName, owner)).filter((c) => c.role === "upstream");
  }

  async prepare(base: BaseSettings, log: Log): Promise<void> {
    const nets = await ensureLabNetworks(base, log);
    const { settings, extra } = guardsOf(base, nets);
    if (!(await syncGuards(settings, extra))) {
      log(
        "host firewall rules NOT added: iptables needs root (or passwordless sudo); the lab's networks are isolated all the same, but its VMs can reach this host",
      );
    }
    await ensureUpstream(this.docker, base, nets.lab.bridge, Number(base.subnet.split("/")[1]), log);
  }

  async inspectBase(base: BaseSettings): Promise<string[]> {
    const problems = await labNetworkProblems(base);
    const nets = await findLabNetworks(base.lab);
    if (nets.lab) {
      const upstream = await upstreamProblem(this.docker, base, nets.lab.bridge);
      if (upstream) problems.push(upstream);
    }
    if (nets.lab && nets.mgmt) {
      const { settings, extra } = guardsOf(base, { lab: nets.lab, mgmt: nets.mgmt });
      const missing = await missingGuards(settings, extra);
      if (missing.length > 0) problems.push(`${missing.length} of the host's firewall rules for the lab ${missing.length === 1 ? "is" : "are"} gone`);
    }
    return problems;
  }

  async removeBase(id: LabIdentity, log: Log): Promise<void> {
    for (const c of await this.upstream(id.lab, id.owner)) await removeContainer(this.docker, c.id);
    await removeGuards(id.lab, id.owner);
    const removed = await removeLabNetworks(id.lab, id.owner);
    log(`lab ${id.lab}: upstream, firewall rules and ${removed.map((n) => `libvirt network ${n}`).join(", ") || "no network"} removed`);
  }

  provision(node: NodeSettings, authorizedKey: string, log: Log): Promise<ProvisionedNode> {
    return createNode(node, authorizedKey, log);
  }

  private async domains(labName: string, owner?: string): Promise<ListedDomain[]> {
    return (await listDomains()).filter((d) => d.labels[LABEL_LAB] === labName && ownedBy(d.labels, owner));
  }

  async list(labName: string, owner?: string): Promise<ListedNode[]> {
    const vms = (await this.domains(labName, owner)).map((d) => {
      const id = domainIdentity(d);
      return {
        id: d.uuid,
        name: id.node ?? d.name,
        role: (id.role ?? "worker") as Role,
        state: d.state === "running" ? "running" : d.state,
        owner: id.owner,
      };
    });
    return [...vms, ...(await this.upstream(labName, owner))];
  }

  /**
   * Disks named after the lab's machines that no domain uses any more (a machine removed by hand, an undefine that
   * failed). A disk carries no label, so only its name ties it to the lab: <lab>-<hostname>.img, and not the name of
   * a disk of another lab whose name begins with <lab>- (swarmlab-swarm's swarmlab-swarm-manager.img is not lab
   * swarmlab's; the claim keeps two labs from ever sharing a disk name).
   */
  private async orphanDisks(labName: string, domains: ListedDomain[]): Promise<string[]> {
    const attached = new Set(domains.flatMap((d) => d.disks.map((f) => path.basename(f))));
    const longer = (await this.labs()).filter((l) => l.startsWith(`${labName}-`));
    const ours = (v: string) =>
      /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.img$/.test(v.slice(labName.length + 1)) &&
      v.startsWith(`${labName}-`) &&
      !v.includes("_vagrant_box_image_") &&
      !longer.some((l) => v.startsWith(`${l}-`));
    return (await listVolumes()).filter((v) => ours(v) && !attached.has(v));
  }

  async objects(labName: string, owner?: string, subnet?: string): Promise<LabObject[]> {
    const all = await listDomains();
    const domains = all.filter((d) => d.labels[LABEL_LAB] === labName && ownedBy(d.labels, owner));
    const networks = (await listNetworks()).filter(
      (n) => (n.labels[LABEL_LAB] === labName && ownedBy(n.labels, owner)) || (subnet !== undefined && subnetOf(n) === subnet),
    );
    const of = (labels: Record<string, string>) => ({ lab: labels[LABEL_LAB] ?? "", owner: labels[LABEL_OWNER] ?? "" });
    const upstream = await labContainerObjects(this.docker, labName, owner);
    const guards = await listGuards(labName, owner);
    return [
      ...domains.map((d) => ({ what: `VM ${d.name} (${d.state})`, ...of(d.labels) })),
      ...domains.flatMap((d) => d.disks.map((f) => ({ what: `disk ${path.basename(f)}`, ...of(d.labels) }))),
      ...(await this.orphanDisks(labName, all)).map((v) => ({ what: `disk ${v} (of no VM)`, lab: labName, owner: owner ?? "" })),
      ...networks.map((n) => ({ what: `libvirt network ${n.name}`, ...of(n.labels), subnet: subnetOf(n) })),
      ...upstream,
      ...guards.map((g) => ({ what: `firewall rule '${g}'`, lab: labName, owner: /owner=([^" ,]+)/.exec(g)?.[1] ?? "" })),
    ];
  }

  async namesTaken(labName: string, nodes: readonly string[]): Promise<LabObject[]> {
    const domainNames = new Set(nodes.map((n) => domainName(labName, n)));
    const networkNames = new Set([labNetworkName(labName), mgmtNetworkName(labName)]);
    // A disk is named after its VM (diskName): a VM of that name stands for both.
    const [domains, networks, upstream] = await Promise.all([
      listDomains(),
      listNetworks(),
      containersNamed(this.docker, new Set([containerName(labName, UPSTREAM_NAME)])),
    ]);
    const of = (labels: Record<string, string>) => ({ lab: labels[LABEL_LAB] ?? "", owner: labels[LABEL_OWNER] ?? "" });
    return [
      ...domains.filter((d) => domainNames.has(d.name)).map((d) => ({ what: `VM ${d.name}`, ...of(d.labels) })),
      ...networks.filter((n) => networkNames.has(n.name)).map((n) => ({ what: `libvirt network ${n.name}`, ...of(n.labels) })),
      ...upstream,
    ];
  }

  async labs(): Promise<string[]> {
    const [domains, networks] = await Promise.all([listDomains(), listNetworks()]);
    const names = [...domains, ...networks].map((o) => o.labels[LABEL_LAB] ?? "");
    return [...new Set(names.filter(Boolean))].sort();
  }

  async deleteNodes(id: LabIdentity, nodeNames: string[], log: Log): Promise<void> {
    const root = projectRoot();
    for (const d of await this.domains(id.lab, id.owner)) {
      const node = domainIdentity(d).node ?? "";
      if (!nodeNames.includes(node)) continue;
      await removeDomain(d.name);
      log(`node ${node} removed (VM ${d.name} and its disk)`);
    }
    const volumes = await listVolumes();
    for (const node of nodeNames) {
      if (volumes.includes(diskName(id.lab, node))) await removeVolume(diskName(id.lab, node));
      removeLabDir(root, id.lab, "vagrant", node);
    }
  }

  async deleteLab(labName: string, owner: string | undefined, log: Log): Promise<string[]> {
    const domains = await this.domains(labName, owner);
    for (const d of domains) await removeDomain(d.name);
    const disks = await this.orphanDisks(labName, await listDomains());
    for (const v of disks) await removeVolume(v);
    const upstream = await this.upstream(labName, owner);
    for (const c of upstream) await removeContainer(this.docker, c.id);
    const removed = [
      ...domains.map((d) => `VM ${d.name}`),
      ...disks.map((v) => `disk ${v}`),
      ...upstream.map((c) => `container ${c.name}`),
      ...(await removeGuards(labName, owner)).map((r) => `firewall rule '${r}'`),
      ...(await removeLabNetworks(labName, owner)).map((n) => `libvirt network ${n}`),
    ];
    removeLabDir(projectRoot(), labName, "vagrant");
    log(`lab ${labName}: ${removed.length ? `removed ${removed.join(", ")}` : "nothing to remove"}`);
    return removed;
  }

  async collectLogs(labName: string, dir: string): Promise<string[]> {
    const written: string[] = [];
    for (const d of await this.domains(labName)) {
      const node = domainIdentity(d).node ?? d.name;
      written.push(...(await collectVmLogs(projectRoot(), labName, node, d.name, d.state === "running", dir).catch(() => [])));
    }
    // The upstream container's output, as for a lab of containers.
    const upstream = await this.upstream(labName).catch(() => []);
    for (const c of upstream) written.push(...(await collectContainerLogs(this.docker, c, dir).catch(() => [])));
    return written;
  }

  async info(): Promise<BackendInfo> {
    // A program that is not installed is a fact here, not a failure: status shows it.
    const notInstalled = (err: unknown) => {
      if (err instanceof MissingProgram) return undefined;
      throw err;
    };
    const [vagrant, libvirt] = await Promise.all([
      runProgram("vagrant", ["--version"], { reject: false, env: { VAGRANT_CHECKPOINT_DISABLE: "1" } }).catch(notInstalled),
      virsh(["version"], false).catch(notInstalled),
    ]);
    return {
      backend: this.name,
      facts: {
        vagrant: vagrant?.stdout.replace(/^Vagrant /, "").trim() || "not installed",
        libvirt: !libvirt ? "not installed (no virsh)" : (/Running hypervisor: (.*)/.exec(libvirt.stdout)?.[1] ?? "does not answer"),
        provider: "libvirt",
      },
    };
  }

  async labBridge(lab: string): Promise<{ bridge: string; gateway: string }> {
    const { lab: n } = await findLabNetworks(lab);
    if (!n?.bridge || !n.address) throw new Error(`lab ${lab} has no libvirt lab network with a bridge and a host address`);
    return { bridge: n.bridge, gateway: n.address };
  }
}
