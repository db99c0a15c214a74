// The doctor's checks: pure functions from the facts of this machine (lab/doctor/facts.ts) and the lab's settings to
// findings, each in plain words, each problem with the step that fixes it. The subnet and the service's image are
// judged exactly as up judges them (lab/host-facts.ts); the kernel in lab/doctor/kernel.ts.
import { satisfies } from "semver";
import { registered } from "../backends";
import { containerName, labObjectNames, networkName, volumeName } from "../backends/docker/names";
import { ConfigError, SettingProblem } from "../config";
import { assertImageUsable, assertSubnetFree } from "../host-facts";
import { LABEL_LAB, LabSpec, stackOfOwner } from "../types";
import type { DoctorFacts, EngineFacts, FirewallFacts, LabFacts, NamedObject, NodeFacts, PulumiFacts } from "./facts";
import { blocker, Finding, info, ok, warn } from "./finding";
import { kernelFindings } from "./kernel";

/** What the host is checked for: the lab's settings, as far as they are known. */
export interface DoctorTarget {
  /** The Pulumi stack the lab belongs to. */
  stack: string;
  /** Where the settings come from, in words, for the report's first line. */
  source: string;
  /** The lab's settings; undefined when they are invalid (settingsError says why). */
  spec?: LabSpec;
  /** The owner id the stack's state records for its lab, when known: what of the lab's name is this stack's. */
  owner?: string;
  /** Why the settings are invalid (a ConfigError, or the settings file unreadable), and the fix. */
  settingsError?: SettingProblem;
  /** Settings the lab ignores although they look meant for it (lab/config.ts settingsWarnings). */
  settingsWarnings?: SettingProblem[];
}

/** Every finding, in the report's order. */
export function checkAll(facts: DoctorFacts, target: DoctorTarget): Finding[] {
  const spec = target.spec;
  return [
    ...settingsFindings(target),
    engineFinding(facts.engine),
    ...forBackend(kernelFindings(facts.kernel, facts.engine.answer?.kernel), spec?.backend),
    cgroupFinding(facts.cgroupVersion),
    ...(registered(spec?.backend)?.doctor?.findings(facts.backendHost, facts.kvm) ?? []),
    firewallFinding(facts.firewall, facts.kernel.bridgeNfCallIptables, spec?.subnet),
    ...labFindings(facts, target),
    pulumiFinding(facts.pulumi, facts.home),
    nodeFinding(facts.node, facts.home),
  ];
}

/**
 * Machines that run a kernel of their own (the vagrant backend's VMs boot the box's Debian kernel), not this host's:
 * what this kernel can use but lacks (IPVS, ESP/GCM) is no warning for them, only a fact about the host.
 */
export function forBackend(findings: Finding[], backend: string | undefined): Finding[] {
  const plugin = registered(backend);
  if (!plugin?.ownKernel) return findings;
  // the user's own hosts (ssh): their kernels are judged host by host, in the backend's own findings
  const whose = plugin.usersHosts ? "; the lab's hosts do not share it (each host's kernel is judged below)" : `; ${plugin.ownKernel}, which has it`;
  return findings.map((f) =>
    (f.check === "IPVS" || f.check === "ESP/GCM") && f.status === "warn" ? info(f.check, `${f.lacking ?? f.says} (this host's kernel)${whose}`) : f,
  );
}

/** The checks that need the settings and the engine: subnet, names, other labs, the service's image. */
function labFindings(facts: DoctorFacts, target: DoctorTarget): Finding[] {
  const spec = target.spec;
  if (!spec) return [info("lab", "subnet, names and image not checked: the settings are invalid (above)")];
  if (!facts.engine.answer) return [info("lab", "subnet, names and image not checked: they need the Docker engine (above)")];
  const found = [
    subnetFinding(spec, facts, target.stack, target.owner),
    ...(facts.objects && facts.labs
      ? nameFindings(spec, target, facts.objects, facts.labs)
      : [
          warn(
            "names",
            "not checked: the Docker engine did not list its containers, networks and volumes",
            "npm run doctor again once docker ps answers",
          ),
        ]),
    ...(facts.labs ? [labsFinding(facts.labs, spec.name)] : []),
    imageFinding(spec, facts),
  ];
  return withClaim(found, facts.claim);
}

/**
 * Up's claim (lab/parts/claim.ts), asked by the doctor: another owner's lab of the same name or on the subnet, of
 * any project on the engine. A blocker in place of the names or subnet check's "ok" (they judge the engine's objects
 * and the host's networks their own way); nothing new when they found a blocker already.
 */
export function withClaim(found: Finding[], claim: DoctorFacts["claim"]): Finding[] {
  if (claim?.unread) {
    return [
      ...found,
      warn("claim", `who holds the lab's name and subnet was not checked (${claim.unread})`, "npm run doctor again once docker ps answers"),
    ];
  }
  const refused = claim?.refused;
  if (!refused) return found;
  const check = refused.key === "subnet" ? "subnet" : "names";
  if (found.some((f) => f.check === check && f.status === "blocker")) return found;
  const refusal = blocker(check, `${refused.says}: up's claim would refuse it before making anything`, refused.fix);
  const at = found.findIndex((f) => f.check === check);
  return at < 0 ? [...found, refusal] : [...found.slice(0, at), refusal, ...found.slice(at + 1)];
}

export function settingsFindings(target: DoctorTarget): Finding[] {
  const error = target.settingsError;
  return [
    ...(error ? [blocker("settings", error.says, error.fix)] : []),
    ...(target.settingsWarnings ?? []).map((w) => warn("settings", w.says, w.fix)),
  ];
}

export function engineFinding(e: EngineFacts): Finding {
  const check = "Docker engine";
  if (e.answer) {
    const a = e.answer;
    return ok(check, `Docker ${a.version} (API ${a.api}) answers at ${e.endpoint}: ${a.os}/${a.arch}, storage driver ${a.storageDriver}`);
  }
  const says = `no Docker engine answers at ${e.endpoint} (${e.error?.message ?? "no answer"}): the lab's machines are containers of that engine`;
  if (e.error?.code === "EACCES") {
    return blocker(check, says, `let this user use the engine: sudo usermod -aG docker "$USER", then log in again (or run as root)`);
  }
  if (e.dockerHost) {
    return blocker(
      check,
      says,
      `start the engine at ${e.endpoint}, or unset DOCKER_HOST to use this machine's (bash scripts/docker-engine.sh starts it)`,
    );
  }
  return blocker(
    check,
    says,
    "bash scripts/docker-engine.sh (it starts dockerd, installing Debian's docker.io first if needed; npm run up runs it too)",
  );
}

export function cgroupFinding(version: 1 | 2 | undefined): Finding {
  const where = "each node gets a cgroup namespace of its own, where its Docker engine makes its tasks' cgroups";
  if (version === 2) return info("cgroup", `v2 (one unified hierarchy): ${where}; the lab is measured on cgroup v1 machines`);
  if (version === 1) return info("cgroup", `v1 (one hierarchy per controller): ${where}`);
  return info("cgroup", "no /sys/fs/cgroup on this machine: the nodes' Docker engines need it to run their tasks");
}

/** The FORWARD chain's policy, as `iptables -S FORWARD` prints it ("-P FORWARD DROP"). */
export function forwardPolicy(rules: string): string | undefined {
  return /^-P FORWARD (\S+)/m.exec(rules)?.[1];
}

/**
 * A FORWARD policy of DROP (a running host dockerd sets it) drops what passes between the ports of a bridge when
 * bridged traffic goes through iptables (bridge-nf-call-iptables=1), unless something accepts it: Docker does for its
 * own networks, the lab's included, when it manages the firewall (then the chain DOCKER-USER exists).
 */
export function firewallFinding(fw: FirewallFacts, bridgeNfCallIptables: string | undefined, subnet?: string): Finding {
  const check = "host firewall";
  if (fw.unreadable || fw.forwardRules === undefined) {
    return info(
      check,
      `not read (${fw.unreadable ?? "no answer"}); run npm run doctor as root to check it. Without iptables, up adds no firewall rules for the lab: it still has no route off this machine, but its nodes can reach this host`,
    );
  }
  const policy = forwardPolicy(fw.forwardRules) ?? "unknown";
  if (policy === "ACCEPT") return ok(check, "FORWARD policy ACCEPT: nothing drops the traffic between the lab's machines");
  if (fw.dockerUser) {
    return ok(
      check,
      `FORWARD policy ${policy} with Docker's chain DOCKER-USER: Docker lets the traffic of its networks through, the lab's included, and the lab's egress rule goes into DOCKER-USER`,
    );
  }
  if (bridgeNfCallIptables !== "1") {
    const nf = bridgeNfCallIptables === undefined ? "no bridge netfilter" : `bridge-nf-call-iptables=${bridgeNfCallIptables}`;
    return ok(check, `FORWARD policy ${policy}, but bridged traffic skips iptables (${nf}): the lab's machines reach each other`);
  }
  return warn(
    check,
    `FORWARD policy ${policy}, and bridged traffic goes through iptables (bridge-nf-call-iptables=1), but Docker's chain DOCKER-USER is missing: ` +
      `Docker does not manage this firewall ("iptables": false in /etc/docker/daemon.json, or a firewall reload removed its chains), so the traffic between the lab's machines may be dropped`,
    `restart dockerd so that it puts its chains back (remove "iptables": false from /etc/docker/daemon.json first, if it is there), ` +
      `or let the lab's traffic through: iptables -I FORWARD -s ${subnet ?? "<lab subnet>"} -d ${subnet ?? "<lab subnet>"} -j ACCEPT`,
  );
}

/** The lab's subnet against this host's routes, addresses, Docker networks and pools and other labs, as up checks it. */
export function subnetFinding(spec: LabSpec, facts: DoctorFacts, stack: string, owner?: string): Finding {
  if (!facts.host) {
    return warn(
      "subnet",
      `${spec.subnet} not checked: ${facts.hostError ?? "the host's routes could not be read"}`,
      "the step the message names, then npm run doctor again",
    );
  }
  const refused = configErrorOf(() => assertSubnetFree(spec, facts.host!, stack, owner ?? null));
  if (refused) return blocker("subnet", refused.says, refused.fix);
  return ok("subnet", `${spec.subnet} overlaps no route, address, Docker network, address pool or other lab of this machine`);
}

/** The service's image, as up checks it. */
export function imageFinding(spec: LabSpec, facts: DoctorFacts): Finding {
  if (!facts.host) return info("image", `${spec.service.image} not checked: ${facts.hostError ?? "no Docker engine"}`);
  const refused = configErrorOf(() => assertImageUsable(spec, facts.host!));
  if (refused) return blocker("image", refused.says, refused.fix);
  const image = facts.host.image;
  if (!image) return ok("image", `${spec.service.image} is not on this machine yet: up makes it`);
  const programs = image.programs ? ", with ping, nc and nslookup" : "";
  return ok("image", `${spec.service.image} is on this machine (${image.os}/${image.architecture}${programs})`);
}

function configErrorOf(check: () => void): ConfigError | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

/** The names up gives the lab's containers, network and volumes (the docker backend's, as its names check uses). */
export function labNames(spec: LabSpec): Pick<NamedObject, "kind" | "name">[] {
  return labObjectNames(
    spec.name,
    spec.nodes.map((n) => n.name),
  );
}

/**
 * The lab's name must be free, or this stack's: what carries the lab's label must belong to this stack (by the owner
 * id its state records, else by the stack named in the owner id), and no container, network or volume that is not
 * the lab's may hold one of the lab's names.
 */
export function nameFindings(spec: LabSpec, target: DoctorTarget, objects: NamedObject[], labs: LabFacts[]): Finding[] {
  const free = freeLabName(spec, objects, labs);
  const rename = `pulumi config set swarmlab:name ${free ?? "<another name>"} -s ${target.stack}`;
  // Only the owner id this stack's state records is this stack's: a stack of the same name in another checkout
  // (another user's clone) or a lost state has an owner of its own, and up's claim refuses it as another's.
  const mine = (owner: string) => target.owner !== undefined && owner === target.owner;
  const found: Finding[] = [];

  const lab = labs.find((l) => l.name === spec.name);
  const others = (lab?.owners ?? []).filter((o) => !mine(o));
  const other = others.find((o) => o !== "");
  if (other !== undefined) {
    const stack = stackOfOwner(other);
    const whose =
      stack === target.stack
        ? `owner ${other}: a stack ${stack} of another checkout, or an earlier state of this one (${target.owner ? `which now records ${target.owner}` : "which records no lab now"})`
        : `stack ${stack} (owner ${other})`;
    found.push(
      blocker(
        "names",
        `lab ${spec.name} on this machine belongs to ${whose}: up of stack ${target.stack} would be refused before it makes anything`,
        `${rename} (if that lab is yours and its state is lost, npm run clean ${spec.name} removes it)`,
      ),
    );
  } else if (others.length > 0) {
    found.push(
      blocker(
        "names",
        `lab ${spec.name} on this machine was made without an owner label (by an older swarmlab or by hand): up of stack ${target.stack} would be refused`,
        `${rename} (if that lab is yours, npm run clean ${spec.name} removes it)`,
      ),
    );
  }

  const wanted = labNames(spec);
  for (const o of objects) {
    if (!wanted.some((w) => w.kind === o.kind && w.name === o.name) || o.labels[LABEL_LAB] === spec.name) continue;
    const theirs = o.labels[LABEL_LAB];
    found.push(
      blocker(
        "names",
        `${o.kind} ${o.name} already exists and is not part of lab ${spec.name}${theirs ? ` (it is lab ${theirs}'s)` : " (swarmlab did not make it)"}: up cannot make the lab's ${o.kind} of that name`,
        rename,
      ),
    );
  }
  if (found.length > 0) return found;
  if (lab) {
    const owners = lab.owners.join(", ");
    return [
      ok(
        "names",
        `lab ${spec.name} is already here, made by stack ${target.stack} (owner ${owners}): up keeps what is whole and makes the rest again`,
      ),
    ];
  }
  return [
    ok(
      "names",
      `free: no container, network or volume uses the lab's names (${networkName(spec.name)}, ${containerName(spec.name, "<node>")}, ${volumeName(spec.name, "<node>")})`,
    ),
  ];
}

/** A lab name like the spec's whose names nothing here uses: <name>-2, <name>-3, … (at most 40 characters). */
export function freeLabName(spec: LabSpec, objects: NamedObject[], labs: LabFacts[]): string | undefined {
  const taken = new Set(objects.map((o) => `${o.kind} ${o.name}`));
  for (let i = 2; i < 100; i++) {
    const suffix = `-${i}`;
    const name = `${spec.name.slice(0, 40 - suffix.length)}${suffix}`;
    if (labs.some((l) => l.name === name)) continue;
    if (labNames({ ...spec, name }).every((n) => !taken.has(`${n.kind} ${n.name}`))) return name;
  }
  return undefined;
}

/** The other labs on this machine, for whoever wonders what else is there. */
export function labsFinding(labs: LabFacts[], name: string): Finding {
  const others = labs.filter((l) => l.name !== name);
  if (others.length === 0) return info("other labs", "none on this machine");
  const describe = (l: LabFacts) => {
    const stacks = [...new Set(l.owners.map((o) => (o ? `stack ${stackOfOwner(o)}` : "no owner")))].join(", ");
    return `${l.name} (${stacks}; ${l.subnets.join(", ") || "no network"})`;
  };
  return info("other labs", others.map(describe).join("; "));
}

export function pulumiFinding(p: PulumiFacts, home: string): Finding {
  const check = "Pulumi CLI";
  const wanted = `v${p.wanted}`;
  const setUp = `npm run up sets it up (scripts/setup.sh runs scripts/pulumi-cli.sh, which links a pulumi ${wanted} from PATH, downloads it, or builds it with Go >= 1.25)`;
  if (p.binVersion === wanted) return ok(check, `${wanted} at ${tilde(p.bin, home)}, the version of @pulumi/pulumi`);
  if (p.binVersion) return warn(check, `${tilde(p.bin, home)} reports ${p.binVersion}, not ${wanted} (the version of @pulumi/pulumi)`, setUp);
  const onPath = p.onPath ? `; ${p.onPath.path} on PATH reports ${p.onPath.version ?? "nothing"}` : "";
  return warn(check, `none at ${tilde(p.bin, home)} yet${onPath}`, setUp);
}

export function nodeFinding(n: NodeFacts, home: string): Finding {
  const chosen = n.chosenBy ? `, chosen by scripts/node.sh (${tilde(n.chosenBy, home)})` : "";
  if (satisfies(n.version, n.engines)) return ok("Node.js", `${n.version}${chosen}: package.json engines allows it (${n.engines})`);
  return warn(
    "Node.js",
    `${n.version}${chosen} is not one package.json engines allows (${n.engines})`,
    "run swarmlab's commands through npm (npm run doctor, npm run up): scripts/node.sh then uses this machine's node if engines allows it, " +
      "else a Node 26 it fetches once from the npm registry into ~/.cache/swarmlab; for other commands: bash scripts/node.sh <command>",
  );
}

/** A path with the home folder as ~. */
function tilde(file: string, home: string): string {
  return home && file.startsWith(`${home}/`) ? `~${file.slice(home.length)}` : file;
}
