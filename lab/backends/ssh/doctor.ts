// The ssh backend's doctor: the user's hosts, looked at before anything is made, with the user's login. Each host:
// it answers SSH with the key pinned for it, calls itself by its name in swarmlab:hosts (Swarm names nodes by
// hostname), runs a Docker recent enough that the user may use, has the kernel's VXLAN and bridge, a clock close to
// this machine's, no route into Swarm's own ranges, and is in no swarm but the lab's. Then the swarm's ports between
// them (ports.ts). Reading is here; judging (findings) is pure.
import Docker from "dockerode";
import { blocker, Finding, info, ok, warn } from "../../doctor/finding";
import { kernelFeature } from "../../doctor/kernel";
import { readKernel } from "../../doctor/kernel-read";
import type { MachineReader } from "../../engine-host";
import { overlaps, parseCidr } from "../../net";
import { PROJECT_ROOT } from "../../project-root";
import type { NodeSession } from "../../remote";
import { sideLoadImage } from "../../steps/engine";
import { LABEL_LAB, LabIdentity, LabSpec, stackOfOwner } from "../../types";
import { BUSYBOX_IMAGE } from "../host/images";
import { fingerprint, HostKeyChanged } from "./known-hosts";
import { LoginTarget, loginSession } from "./login";
import { judgeProbe, listenerCommand, parseProbes, probeScript, SWARM_PORTS } from "./ports";
import { hostsOf, readRecord } from "./record";
import { HOSTS_FIX, SWARM_RANGES } from "./settings";

/** The oldest Docker the lab is made for: the service's max-replicas-per-node needs API 1.40; 20.10 is what Debian 11 ships. */
export const MIN_DOCKER = [20, 10] as const;
/** Beyond this, Swarm's TLS certificates (valid from the moment they are issued) may be refused by a host behind. */
const SKEW_BLOCKS_MS = 30_000;
const SKEW_WARNS_MS = 2_000;

export interface SshHostFacts extends LoginTarget {
  /** Why the host was not reached (undefined: it was). */
  unreached?: string;
  changedKey?: { says: string; fix: string };
  hostKey?: { fingerprint: string; pinnedNow: boolean };
  hostname?: string;
  docker?: { version?: string; api?: string; error?: string; installed: boolean };
  kernel?: { release: string; features: { check: string; state: string; shownBy: string }[] };
  /** lab: the lab's own swarm (its host recorded as the lab's); otherLab: the host is another lab's, as recorded here. */
  swarm?: { state: string; nodeId?: string; clusterId?: string; managers: string[]; lab: boolean; otherLab?: LabIdentity };
  skewMs?: number;
  /** Routes of the host into Swarm's ranges, as `ip route` shows them. */
  clashingRoutes?: string[];
  sudo?: boolean;
  bash?: boolean;
}

export interface PortFacts {
  /** Why the ports were not probed (undefined: they were). */
  skipped?: string;
  probes: { from: string; to: string; port: number; proto: "tcp" | "udp"; exit: number; output: string }[];
}

export interface SshDoctorFacts {
  hosts: SshHostFacts[];
  ports: PortFacts;
}

/** Reads every host at once, then probes the ports between those that can take part. `quick`: no port probes. */
export async function readHosts(
  spec: LabSpec | undefined,
  owner: string | undefined,
  quick = false,
  stack?: string,
  root = PROJECT_ROOT,
): Promise<SshDoctorFacts | undefined> {
  if (!spec) return undefined;
  const ours = hostsOf(root, spec.name, owner, stack);
  const oursAt = (t: { address: string; port: number }) => ours.find((h) => h.address === t.address && h.port === t.port);
  const otherAt = (t: { address: string; port: number }) =>
    readRecord(root).find((h) => h.address === t.address && h.port === t.port && !ours.some((o) => o.lab === h.lab && o.owner === h.owner));
  const targets = spec.nodes.filter((n) => n.login).map((n) => ({ name: n.name, address: n.address, ...n.login! }));
  const opened: { facts: SshHostFacts; session?: NodeSession }[] = await Promise.all(
    targets.map((t) => {
      const other = otherAt(t);
      const holder = oursAt(t) ? "this lab" : other ? { lab: other.lab, owner: other.owner } : undefined;
      return readHost(root, { ...t, ...(oursAt(t)?.hostKey ? { recordedKey: oursAt(t)!.hostKey } : {}) }, holder);
    }),
  );
  try {
    const ports = quick ? { skipped: "not probed here (npm run doctor and up probe them)", probes: [] } : await probePorts(opened, spec.name);
    return { hosts: opened.map((o) => o.facts), ports };
  } finally {
    opened.forEach((o) => o.session?.close());
  }
}

async function readHost(
  root: string,
  t: LoginTarget,
  holder: "this lab" | LabIdentity | undefined,
): Promise<{ facts: SshHostFacts; session?: NodeSession }> {
  const facts: SshHostFacts = { ...t };
  let opened;
  try {
    opened = await loginSession(root, t, 10_000);
  } catch (err) {
    if (err instanceof HostKeyChanged) facts.changedKey = { says: err.message, fix: err.fix };
    else facts.unreached = err instanceof Error ? err.message : String(err);
    return { facts };
  }
  const s = opened.session;
  facts.hostKey = { fingerprint: fingerprint(opened.hostKey), pinnedNow: opened.pinned };
  const sh = async (command: string) => (await s.exec(command)).stdout.trim();
  const t0 = Date.now();
  const remoteMs = Number(await sh("date +%s%3N"));
  facts.skewMs = remoteMs - (t0 + Date.now()) / 2;
  facts.hostname = await sh("hostname");
  facts.bash = (await s.exec("command -v bash")).code === 0;
  facts.sudo = (await s.exec("sudo -n true")).code === 0;
  facts.clashingRoutes = clashingRoutes(await sh("ip -4 -o route show 2>/dev/null"));
  const kernel = await readKernel(sessionReader(s, await sh("uname -r")));
  facts.kernel = { release: kernel.release, features: ["VXLAN", "bridge"].map((c) => ({ check: c, ...pick(kernelFeature(kernel, c)) })) };
  const installed = (await s.exec("command -v dockerd || command -v docker")).code === 0;
  try {
    const docker = s.docker();
    const version = await docker.version();
    facts.docker = { version: version.Version, api: version.ApiVersion, installed: true };
    const swarm = ((await docker.info()) as DockerInfo).Swarm ?? {};
    facts.swarm = {
      state: swarm.LocalNodeState ?? "inactive",
      nodeId: swarm.NodeID || undefined,
      clusterId: swarm.Cluster?.ID || undefined,
      managers: (swarm.RemoteManagers ?? []).map((m) => m.Addr ?? m.NodeID ?? "?"),
      lab: holder === "this lab",
      ...(holder && holder !== "this lab" ? { otherLab: holder } : {}),
    };
  } catch (err) {
    facts.docker = { installed, error: err instanceof Error ? err.message : String(err) };
  }
  return { facts, session: s };
}

type DockerInfo = {
  Swarm?: { LocalNodeState?: string; NodeID?: string; Cluster?: { ID?: string }; RemoteManagers?: { NodeID?: string; Addr?: string }[] };
};

const pick = (f: { state: string; shownBy: string }) => ({ state: f.state, shownBy: f.shownBy });

/** A host's files read over the session, as the doctor's kernel reading wants them (lab/doctor/kernel-read.ts). */
function sessionReader(s: NodeSession, release: string): MachineReader {
  const quote = (p: string) => `'${p.replace(/'/g, "'\\''")}'`;
  return {
    release,
    readFile: async (file) => Buffer.from(await s.run(`base64 < ${quote(file)}`), "base64"),
    readdir: async (dir) => (await s.run(`ls -1 ${quote(dir)}`)).split("\n").filter(Boolean),
    exists: async (file) => (await s.exec(`test -e ${quote(file)}`)).code === 0,
    run: (file, args) => s.run([file, ...args].map(quote).join(" ")),
  };
}

/** Routes (`ip -4 -o route`) into Swarm's ranges that are not Docker's own bridges on the host. */
export function clashingRoutes(routes: string): string[] {
  return routes
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => {
      const [dst] = l.split(/\s+/);
      const dev = /\bdev (\S+)/.exec(l)?.[1] ?? "";
      if (!dst || dst === "default" || /^(docker0|docker_gwbridge|br-.*)$/.test(dev)) return false;
      const cidr = parseCidr(dst.includes("/") ? dst : `${dst}/32`);
      return cidr !== undefined && SWARM_RANGES.some((r) => overlaps(r.cidr, cidr));
    });
}

/**
 * Each host that answers with Docker listens; each host with bash probes the others. Not before the lab's swarm:
 * once the hosts are in it, dockerd holds the ports, and the suite proves the overlay carries packets.
 */
async function probePorts(opened: { facts: SshHostFacts; session?: NodeSession }[], lab: string): Promise<PortFacts> {
  const able = opened.filter((o) => o.session && o.facts.docker?.version);
  if (able.length < 2) return { skipped: "fewer than two hosts answer with Docker", probes: [] };
  if (able.some((o) => o.facts.swarm?.state !== "inactive"))
    return { skipped: "a host is in a swarm already (the lab's, or one refused above)", probes: [] };
  const seconds = 60; // the probes' longest run: 4 ports one after the other, PROBE_SECONDS each
  const listeners = await Promise.all(able.map((o) => startListener(o.session!, lab, seconds)));
  try {
    await new Promise((r) => setTimeout(r, 1_000)); // the listeners' nc up
    const probes = await Promise.all(
      able
        .filter((o) => o.facts.bash)
        .map(async (from) => {
          const others = able.filter((o) => o !== from).map((o) => o.facts.address);
          const out = await from.session!.exec(probeScript(others));
          const byAddress = new Map(able.map((o) => [o.facts.address, o.facts.name]));
          return parseProbes(out.stdout).map((a) => ({
            from: from.facts.name,
            to: byAddress.get(a.target) ?? a.target,
            port: a.port,
            proto: a.proto,
            exit: a.exit,
            output: a.output,
          }));
        }),
    );
    return { probes: probes.flat() };
  } finally {
    await Promise.all(listeners.map((stop) => stop()));
  }
}

/** A busybox container in the host's network with nc on the swarm's TCP ports; returns how to stop it. */
async function startListener(s: NodeSession, lab: string, seconds: number): Promise<() => Promise<void>> {
  const docker = s.docker();
  await sideLoadImage(new Docker(), docker, BUSYBOX_IMAGE); // the lab loads it anyway: the service's image
  const container = await docker.createContainer({
    Image: BUSYBOX_IMAGE,
    Cmd: listenerCommand(seconds),
    Labels: { [LABEL_LAB]: lab, "swarmlab.probe": "swarm-ports" },
    HostConfig: { NetworkMode: "host", AutoRemove: true },
  });
  await container.start();
  return () => container.remove({ force: true }).catch(() => undefined);
}

/** Every finding, host by host, then the ports. `facts` undefined: not read. */
export function sshHostFindings(facts: SshDoctorFacts | undefined): Finding[] {
  if (!facts) return [warn("hosts", "not read: the lab's settings were not valid", "correct swarmlab:hosts, then npm run doctor again")];
  return [...facts.hosts.flatMap(hostFindings), ...portFindings(facts)];
}

function hostFindings(h: SshHostFacts): Finding[] {
  const at = `${h.user}@${h.address}:${h.port}${h.jump ? ` (through ${h.jump.user}@${h.jump.address}:${h.jump.port})` : ""}`;
  const check = (what: string) => `${what} ${h.name}`;
  if (h.changedKey) return [blocker(check("SSH"), h.changedKey.says, h.changedKey.fix)];
  if (h.unreached !== undefined) {
    const how = h.key ? `the key ${h.key}` : "the SSH agent's keys";
    const jump = h.jump ? ` -J ${h.jump.user}@${h.jump.address}:${h.jump.port}` : "";
    const fix = `make 'ssh -p ${h.port}${h.key ? ` -i ${h.key}` : ""}${jump} ${h.user}@${h.address} true' work from this machine, or correct the host in swarmlab:hosts (${HOSTS_FIX})`;
    return [blocker(check("SSH"), `${at} does not let ${h.user} in with ${how}: ${h.unreached}`, fix)];
  }
  const found: Finding[] = [
    ok(
      check("SSH"),
      `${at} answers; host key ${h.hostKey!.fingerprint} ${h.hostKey!.pinnedNow ? "pinned now (first contact)" : "as pinned"} in .swarmlab/known_hosts`,
    ),
  ];
  if (h.hostname !== h.name) {
    found.push(
      blocker(
        check("hostname"),
        `${at} calls itself ${h.hostname}, and Swarm names its nodes by hostname`,
        `set its name in swarmlab:hosts to "${h.hostname}"`,
      ),
    );
  }
  found.push(dockerFinding(h));
  for (const f of h.kernel?.features ?? []) {
    const says = `${f.state} on Linux ${h.kernel!.release} (${f.shownBy})`;
    found.push(
      f.state === "present" || f.state === "unknown"
        ? (f.state === "present" ? ok : info)(check(f.check), says)
        : blocker(
            check(f.check),
            `${says}: Swarm's overlay needs it`,
            `boot ${h.name} with a kernel that has ${f.check} (any distribution's kernel does)`,
          ),
    );
  }
  if (h.swarm && h.swarm.state !== "inactive") {
    const which = `swarm ${h.swarm.clusterId ?? "(cluster unknown)"} as node ${h.swarm.nodeId ?? "?"}, managers ${h.swarm.managers.join(", ") || "unknown"}`;
    found.push(
      h.swarm.lab
        ? ok(check("swarm"), `in the lab's own swarm (${which})`)
        : h.swarm.otherLab
          ? blocker(
              check("swarm"),
              `in the swarm of lab ${h.swarm.otherLab.lab} of stack ${stackOfOwner(h.swarm.otherLab.owner)} (${which})`,
              `take another host, or give this one back: SWARMLAB_STACK=${stackOfOwner(h.swarm.otherLab.owner)} npm run down`,
            )
          : blocker(
              check("swarm"),
              `already in a swarm swarmlab did not make: ${which} (state ${h.swarm.state})`,
              `take another host, or have it leave that swarm yourself (docker swarm leave on ${h.name}, if that swarm can spare it): swarmlab never joins or leaves a swarm it did not make`,
            ),
    );
  }
  const skew = Math.abs(h.skewMs ?? 0);
  const skewSays = `${(skew / 1000).toFixed(1)} s from this machine's clock`;
  const ntp = `set ${h.name}'s clock (timedatectl set-ntp true, or chrony/systemd-timesyncd)`;
  found.push(
    skew > SKEW_BLOCKS_MS
      ? blocker(check("clock"), `${skewSays}: Swarm's TLS certificates would be refused`, ntp)
      : skew > SKEW_WARNS_MS
        ? warn(check("clock"), `${skewSays}: Swarm's certificates tolerate little`, ntp)
        : ok(check("clock"), skewSays),
  );
  if ((h.clashingRoutes ?? []).length > 0) {
    found.push(
      blocker(
        check("addresses"),
        `routes into Swarm's own ranges (${SWARM_RANGES.map((r) => r.text).join(", ")}: the overlay pool, docker0, docker_gwbridge): ${h.clashingRoutes!.join("; ")}`,
        `take a host whose networks are outside ${SWARM_RANGES.map((r) => r.text).join(", ")}`,
      ),
    );
  }
  if (!h.sudo)
    found.push(
      warn(
        check("sudo"),
        `${h.user} has no passwordless sudo: the suite's probes (nsenter, tcpdump, iptables) cannot run`,
        `echo '${h.user} ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/swarmlab on ${h.name}`,
      ),
    );
  return found;
}

function dockerFinding(h: SshHostFacts): Finding {
  const check = `Docker ${h.name}`;
  const d = h.docker;
  if (!d?.version) {
    if (!d?.installed)
      return blocker(
        check,
        "not installed: neither dockerd nor docker is on the PATH",
        `install Docker on ${h.name} (Debian: sudo apt-get install docker.io)`,
      );
    return blocker(
      check,
      `installed, but its engine does not answer ${h.user} on /var/run/docker.sock (${d.error})`,
      `start it (sudo systemctl enable --now docker) and let ${h.user} use it (sudo usermod -aG docker ${h.user}, then log in again)`,
    );
  }
  const [major, minor] = d.version.split(".").map(Number);
  if (major < MIN_DOCKER[0] || (major === MIN_DOCKER[0] && minor < MIN_DOCKER[1])) {
    return blocker(
      check,
      `${d.version} (API ${d.api}) is older than ${MIN_DOCKER.join(".")}, the oldest the lab's service spec runs on`,
      `upgrade Docker on ${h.name}`,
    );
  }
  return ok(check, `${d.version} (API ${d.api})`);
}

function portFindings(facts: SshDoctorFacts): Finding[] {
  const { ports } = facts;
  if (ports.skipped) return [info("swarm ports", `2377/tcp, 7946/tcp+udp, 4789/udp between the hosts: ${ports.skipped}`)];
  const judged = ports.probes.map((p) => ({ ...p, ...judgeProbe(p) }));
  const closed = judged.filter((p) => p.verdict !== "open");
  if (closed.length === 0) return [ok("swarm ports", `2377/tcp, 7946/tcp+udp and 4789/udp open between every two hosts (${judged.length} probes)`)];
  return closed.map((p) => {
    const use = SWARM_PORTS.find((s) => s.port === p.port && s.proto === p.proto)?.use;
    return blocker(
      `swarm port ${p.port}/${p.proto}`,
      `${p.from} → ${p.to}: ${p.says}; it carries ${use}`,
      `open ${p.port}/${p.proto} on ${p.to} to the other hosts (e.g. sudo iptables -I INPUT -p ${p.proto} --dport ${p.port} -s <host> -j ACCEPT, or ufw allow ${p.port}/${p.proto})`,
    );
  });
}
