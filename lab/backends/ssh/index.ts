// The ssh backend: the lab on hosts the user already has (swarmlab:hosts). Nothing is made on this machine but the
// images the tasks run (side-loaded into each host's engine); on each host the lab authorises its own key for the
// user's login (a marked line) and, from there on, reaches it as every backend's nodes are reached: the same swarm,
// join, overlay and service parts, the same snapshot and suite. Giving a host back removes what the lab made there
// (the service, mynet, the swarm membership, the key line) and never Docker, images or anything else of the host's.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import Docker from "dockerode";
import { LABEL_LAB } from "../../types";
import type { BaseSettings, LabIdentity, NodeSettings } from "../../types";
import { PROJECT_ROOT } from "../../project-root";
import type { NodeSession } from "../../remote";
import { isLabSwarm, leaveSwarm } from "../../steps/swarm";
import { waitUntil } from "../../wait";
import type { Backend, BackendInfo, LabObject, ListedNode, Log, MachineImages, ProvisionedNode } from "../backend";
import { NODE_DIAGNOSTICS } from "../host/diagnostics";
import { ensureBusyboxOnly } from "../host/images";
import { fingerprint } from "./known-hosts";
import { loginSession } from "./login";
import { authorise, keyLine, marksOn, unauthorise } from "./marks";
import { forgetHost, hostsOf, machineId, readRecord, recordedHosts, recordHost, RecordedHost } from "./record";

/** What stands for the machines' image: they are the user's, made by nothing of swarmlab's. */
const MACHINES = "the hosts of swarmlab:hosts";

export class SshBackend implements Backend {
  readonly name = "ssh" as const;
  constructor(readonly root: string = PROJECT_ROOT) {}

  /** busybox only, in this host's engine: the service's image, side-loaded into each host's engine by its node part. */
  ensureImages(log: Log): Promise<MachineImages> {
    return ensureBusyboxOnly(new Docker(), log, MACHINES, "ssh");
  }

  imagesInEngine(made: MachineImages): string[] {
    return [made.busybox];
  }

  async recipeCurrent(): Promise<boolean> {
    return true; // the hosts are the user's: no recipe of ours makes them
  }

  async prepare(base: BaseSettings, log: Log): Promise<void> {
    log(`lab ${base.lab}: the hosts are the user's own: no lab network, upstream host or firewall rule is made for them`);
  }

  async inspectBase(): Promise<string[]> {
    return [];
  }

  async removeBase(): Promise<void> {
    // nothing was made
  }

  async provision(node: NodeSettings, authorizedKey: string, log: Log): Promise<ProvisionedNode> {
    if (!node.login) throw new Error(`node ${node.name}: no login in swarmlab:hosts (the ssh backend's nodes are the user's hosts)`);
    const host: RecordedHost = { lab: node.lab, owner: node.owner, name: node.name, role: node.role, address: node.address, ...node.login };
    const { session, hostKey, pinned, jump } = await loginSession(this.root, { ...host });
    const line = keyLine(authorizedKey, node);
    try {
      if (jump?.pinned)
        log(`node ${node.name}: jump host ${jump.address}:${jump.port}'s key ${fingerprint(jump.hostKey)} pinned in .swarmlab/known_hosts`);
      if (pinned) log(`node ${node.name}: host key ${fingerprint(hostKey)} pinned in .swarmlab/known_hosts (first contact)`);
      recordHost(this.root, host); // before the lines: a failure after them still finds the host at down
      await authorise(session, line);
    } finally {
      session.close();
    }
    if (jump) {
      // the lab's own sessions go through the jump host with the lab's key: authorised there too, marked alike
      const onJump = await this.withLogin(jumpLoginOf(host), (s) => authorise(s, line));
      if (!onJump.ok) throw new Error(`node ${node.name}: the lab's key could not be authorised on its jump host (${onJump.error})`);
    }
    const through = jump ? ` (and on its jump host ${jump.user}@${jump.address}:${jump.port})` : "";
    log(`node ${node.name} (${node.role}): the lab's key authorised for ${host.user}@${host.address}:${host.port}${through}`);
    const { address, port, user } = host;
    const access = { name: node.name, role: node.role, address, id: machineId(host), sshHost: address, sshPort: port, username: user, hostKey };
    return jump ? { ...access, jump: { address: jump.address, port: jump.port, user: jump.user, hostKey: jump.hostKey } } : access;
  }

  /** The lab's recorded hosts, "running" where its mark is still on the host, else what was found. */
  async list(labName: string, owner?: string): Promise<ListedNode[]> {
    return Promise.all(
      hostsOf(this.root, labName, owner).map(async (h) => {
        const state = await this.withLogin(h, async (s) =>
          (await marksOn(s)).some((m) => m.lab === h.lab && m.owner === h.owner) ? "running" : "not authorised",
        );
        return { id: machineId(h), name: h.name, role: h.role, state: state.ok ? state.value : `unreachable (${state.error})`, owner: h.owner };
      }),
    );
  }

  /** The hosts recorded here, and those only the stack's state knows (a copy of the project) that still bear the mark. */
  async objects(labName: string, owner?: string): Promise<LabObject[]> {
    const recorded = recordedHosts(this.root, labName, owner);
    const others = hostsOf(this.root, labName, owner).filter((h) => !recorded.some((r) => r.name === h.name && r.owner === h.owner));
    const marked = await Promise.all(
      others.map(async (h) => {
        const marks = await this.withLogin(h, marksOn);
        return marks.ok && marks.value.some((m) => m.lab === h.lab && m.owner === h.owner);
      }),
    );
    return [...recorded, ...others.filter((_, i) => marked[i])].map((h) => ({
      what: `host ${h.name} (${machineId(h)})`,
      lab: h.lab,
      owner: h.owner,
    }));
  }

  /** The hosts are the user's and named by the user: no name of the lab's can be taken by something else here. */
  async namesTaken(): Promise<LabObject[]> {
    return [];
  }

  async labs(): Promise<string[]> {
    return [...new Set(readRecord(this.root).map((h) => h.lab))];
  }

  async deleteNodes(id: LabIdentity, nodeNames: string[], log: Log): Promise<void> {
    const members = (await this.labSwarm(hostsOf(this.root, id.lab, id.owner)))?.members ?? new Set<string>();
    const hosts = hostsOf(this.root, id.lab, id.owner).filter((h) => nodeNames.includes(h.name));
    for (const h of hosts) log(await this.giveBack(h, members));
  }

  /**
   * Gives every host of the lab back: the lab's service and overlay removed on a manager, then each host leaves the
   * swarm (the workers first, then the managers, the founder last), then the lab's key line goes.
   */
  async deleteLab(labName: string, owner: string | undefined, log: Log): Promise<string[]> {
    const hosts = hostsOf(this.root, labName, owner);
    const removed: string[] = [];
    const swarm = await this.labSwarm(hosts);
    if (swarm) {
      const swept = await this.withLogin(swarm.manager, (s) => removeLabbed(s.docker(), labName));
      if (swept.ok) removed.push(...swept.value.map((w) => `${w} (on ${swarm.manager.name})`));
    }
    const order = [...hosts.filter((h) => h.role === "worker"), ...hosts.filter((h) => h.role === "manager").reverse()];
    for (const h of order) removed.push(await this.giveBack(h, swarm?.members ?? new Set()));
    log(`lab ${labName}: ${removed.length ? removed.join("; ") : "no host to give back"}`);
    return removed;
  }

  async collectLogs(labName: string, dir: string): Promise<string[]> {
    const written: string[] = [];
    for (const h of hostsOf(this.root, labName)) {
      const hostDir = path.join(dir, h.name);
      await mkdir(hostDir, { recursive: true });
      await this.withLogin(h, async (s) => {
        for (const [file, command] of NODE_DIAGNOSTICS) {
          const r = await s.exec(command.replace(/^cat \/var\/log\/dockerd.log$/, "journalctl -u docker --no-pager -n 500 2>&1 || true"));
          await writeFile(path.join(hostDir, file), r.stdout + r.stderr);
          written.push(path.join(hostDir, file));
        }
      });
    }
    return written;
  }

  async info(): Promise<BackendInfo> {
    const hosts = readRecord(this.root);
    return { backend: this.name, facts: { hosts: hosts.map((h) => `${h.lab}/${h.name} ${machineId(h)}`).join(", ") || "none" } };
  }

  async labBridge(lab: string): Promise<{ bridge: string; gateway: string }> {
    throw new Error(`lab ${lab} runs on the user's own hosts (ssh backend): this machine has no lab network for it`);
  }

  /**
   * The lab's swarm as one of its managers holds it, when a manager answers and its swarm carries the lab's labels
   * (lab/steps/swarm.ts labSwarmLabels): that manager and the node ids of its members. Only those leave at down: a
   * host the user has since put in a swarm of their own stays in it.
   */
  private async labSwarm(hosts: RecordedHost[]): Promise<{ manager: RecordedHost; members: Set<string> } | undefined> {
    for (const manager of hosts.filter((h) => h.role === "manager")) {
      const found = await this.withLogin(manager, async (s) => {
        const docker = s.docker();
        const spec = (await docker.swarmInspect()) as { Spec?: { Labels?: Record<string, string> } };
        if (!isLabSwarm(spec.Spec?.Labels, manager)) return undefined;
        return new Set((await docker.listNodes()).map((n) => n.ID));
      });
      if (found.ok && found.value) return { manager, members: found.value };
    }
    return undefined;
  }

  /** One host given back: out of the lab's swarm, the lab's key line removed, then forgotten. Said in a few words. */
  private async giveBack(h: RecordedHost, labMembers: Set<string>): Promise<string> {
    const done = await this.withLogin(h, async (s) => {
      const docker = s.docker();
      const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; NodeID?: string } };
      const member = info.Swarm?.LocalNodeState && info.Swarm.LocalNodeState !== "inactive";
      const ours = member && labMembers.has(info.Swarm?.NodeID ?? "");
      if (ours) await leaveSwarm({ name: h.name, address: h.address, docker }, true);
      const stays = member && !ours ? `stays in its swarm (node ${info.Swarm?.NodeID}: not one the lab's managers list), ` : "";
      const lines = await unauthorise(s, h.lab, h.owner);
      return `host ${h.name}: ${ours ? "left the lab's swarm, " : stays}${lines} key line${lines === 1 ? "" : "s"} removed`;
    });
    if (!done.ok) return `host ${h.name}: NOT given back (${done.error}); npm run clean ${h.lab} tries again`;
    const jumped = h.jump ? await this.giveJumpBack(h) : "";
    forgetHost(this.root, h);
    return done.value + jumped;
  }

  /**
   * The lab's line on the host's jump host, removed once no other host of the lab (same owner) still goes through it;
   * nothing else of the jump host's is touched.
   */
  private async giveJumpBack(h: RecordedHost): Promise<string> {
    const j = h.jump!;
    const sameJump = (o: RecordedHost) => o.name !== h.name && o.jump?.address === j.address && o.jump.port === j.port;
    if (hostsOf(this.root, h.lab, h.owner).some(sameJump)) return `; its jump host ${j.address} still serves other hosts of the lab`;
    const gone = await this.withLogin(jumpLoginOf(h), (s) => unauthorise(s, h.lab, h.owner));
    return gone.ok
      ? `; ${gone.value} key line${gone.value === 1 ? "" : "s"} removed on its jump host ${j.address}`
      : `; its jump host ${j.address}: NOT given back (${gone.error})`;
  }

  /** Runs fn over the user's login to the host; what fails is said, never thrown (a host may be gone). */
  private async withLogin<T>(h: RecordedHost, fn: (s: NodeSession) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
    let session: NodeSession | undefined;
    try {
      session = (await loginSession(this.root, { ...h, recordedKey: h.hostKey, recordedJumpKey: h.jumpKey }, 5_000)).session;
      return { ok: true, value: await fn(session) };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    } finally {
      session?.close();
    }
  }
}

/** The login to a host's jump host: the host's own credentials, the jump host's key as recorded. */
function jumpLoginOf(h: RecordedHost): RecordedHost {
  const { address, port, user } = h.jump!;
  const { key, lab, owner, role } = h;
  return {
    name: `${h.name}'s jump host`,
    lab,
    owner,
    role,
    address,
    port,
    user,
    ...(key ? { key } : {}),
    ...(h.jumpKey ? { hostKey: h.jumpKey } : {}),
  };
}

/** The lab's services and networks in a host's swarm (by their swarmlab.lab label), removed; what went. */
async function removeLabbed(docker: Docker, lab: string): Promise<string[]> {
  const filters = { label: [`${LABEL_LAB}=${lab}`] };
  const info = (await docker.info()) as { Swarm?: { ControlAvailable?: boolean } };
  if (!info.Swarm?.ControlAvailable) return [];
  const services = await docker.listServices({ filters });
  for (const s of services) await docker.getService(s.ID).remove();
  const networks = (await docker.listNetworks({ filters })).filter((n) => n.Scope === "swarm");
  for (const n of networks) await removeWhenFree(docker, n.Id);
  return [...services.map((s) => `service ${s.Spec?.Name}`), ...networks.map((n) => `network ${n.Name}`)];
}

/** A swarm network is removed once the service's tasks have let go of it (a few seconds after the service). */
async function removeWhenFree(docker: Docker, id: string): Promise<void> {
  const errors = (err: unknown) => (/in use|active endpoints/i.test(String(err)) ? "retry" : "end");
  await waitUntil(`network ${id.slice(0, 12)} free of the service's tasks`, { timeoutMs: 15_000, pacingMs: 500, errors }, async () => {
    await docker.getNetwork(id).remove();
    return true;
  });
}
