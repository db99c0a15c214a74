// The host's firewall rules for a lab, two guards that keep a lab to itself:
// - egress (with swarmlab:egress none): besides having no route out (an --internal network, default routes removed),
//   packets that enter from the lab's bridge with a source in the lab subnet and leave for anywhere else are
//   dropped in DOCKER-USER (forwarded traffic);
// - host: new connections from the lab's bridge to the host itself (its address on the bridge, or any other) are
//   dropped in INPUT; replies to what the host started (SSH to the nodes) still come in.
// Both name the lab's bridge, so no other network's traffic is touched. iptables has no JSON interface: the rules
// are found again by their comment.
// Where the rules are made: where iptables runs here (root, or `sudo -n`) and the engine is on this machine, here;
// otherwise, given the engine, through it (iptables-engine.ts: a container in its host's network namespace, with the
// iptables backend holding Docker's chains), so a user of the docker group gets them too, and a remote engine's host
// gets them rather than this machine. Each call is one script (iptables-script.ts): one run of sh, or one container.
import type Docker from "dockerode";
import execa from "execa";
import { engineIsHere, inEngineNetwork } from "../../engine-host";
import { LABEL_LAB, LABEL_OWNER, LabIdentity } from "../../types";
import type { Egress } from "../../types";
import {
  DETECT_BACKEND,
  FORWARD_SCRIPT,
  GUARD_CHAINS,
  listScript,
  localIptables,
  missingScript,
  parseScriptOutput,
  removeScript,
  rulePattern,
  syncScript,
} from "./iptables-script";
import type { ScriptOutput } from "./iptables-script";

const EGRESS_CHAIN = "DOCKER-USER";
const HOST_CHAIN = "INPUT";
/** The rule's comment names the lab and its owner: the rule is found again by it. */
const comment = (id: LabIdentity) => `${LABEL_LAB}=${id.lab},${LABEL_OWNER}=${id.owner}`;

/** What the guards of one lab are made from. */
export interface GuardSettings extends LabIdentity {
  subnet: string;
  egress: Egress;
  /** The lab network's Linux bridge on the host (e.g. br-0123456789ab). */
  bridge: string;
}

/** One rule: its chain and its position-free specification, as `iptables -S` prints it after `-A <chain>`. */
export interface GuardRule {
  chain: (typeof GUARD_CHAINS)[number];
  spec: string[];
}

const tagOf = (id: LabIdentity) => ["-m", "comment", "--comment", comment(id)];

/**
 * The guard of a bridge that must carry DHCP to the host (the vagrant backend's management network, where libvirt's
 * dnsmasq answers): replies to the host's own connections, and DHCP requests, come in; nothing else from it does.
 */
export function dhcpBridgeRules(id: LabIdentity, bridge: string): GuardRule[] {
  const tag = tagOf(id);
  return [
    { chain: HOST_CHAIN, spec: ["-i", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", ...tag, "-j", "ACCEPT"] },
    { chain: HOST_CHAIN, spec: ["-i", bridge, "-p", "udp", "-m", "udp", "--dport", "67", ...tag, "-j", "ACCEPT"] },
    { chain: HOST_CHAIN, spec: ["-i", bridge, ...tag, "-j", "DROP"] },
  ];
}

/** The rules a lab's guards consist of, in the order they must be evaluated. */
export function guardRules(g: GuardSettings): GuardRule[] {
  const tag = tagOf(g);
  const rules: GuardRule[] = [
    // Replies to connections the host opened (SSH to the nodes, pings) come back in.
    { chain: HOST_CHAIN, spec: ["-i", g.bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", ...tag, "-j", "ACCEPT"] },
    { chain: HOST_CHAIN, spec: ["-i", g.bridge, ...tag, "-j", "DROP"] },
  ];
  if (g.egress === "none") rules.push({ chain: EGRESS_CHAIN, spec: ["-s", g.subnet, "!", "-d", g.subnet, "-i", g.bridge, ...tag, "-j", "DROP"] });
  return rules;
}

let command: Promise<string[] | undefined> | undefined;

/** How to run iptables on this machine: directly as root, through passwordless sudo, or not at all. */
export function iptablesCommand(): Promise<string[] | undefined> {
  command ??= (async () => {
    for (const cmd of process.getuid?.() === 0 ? [["iptables"]] : [["sudo", "-n", "iptables"]]) {
      const r = await execa(cmd[0], [...cmd.slice(1), "-w", "-n", "-L", "FORWARD"], { reject: false }).catch(() => undefined);
      if (r?.exitCode === 0) return cmd;
    }
    return undefined;
  })();
  return command;
}

/** Where a script runs, and in words (for the log). */
interface Runner {
  where: string;
  run(script: string): Promise<ScriptOutput>;
}

const runners = new WeakMap<Docker, Promise<Runner | undefined>>();
let local: Promise<Runner | undefined> | undefined;

function localRunner(): Promise<Runner | undefined> {
  local ??= iptablesCommand().then(
    (cmd) =>
      cmd && {
        where: `on this machine (${cmd.join(" ")})`,
        async run(script: string) {
          const r = await execa("sh", ["-c", `${localIptables(cmd)}\n${script}`], { reject: false });
          if (r.exitCode !== 0) throw new Error(`iptables on this machine failed (exit ${r.exitCode}): ${r.stderr || r.stdout}`);
          return parseScriptOutput(r.stdout);
        },
      },
  );
  return local;
}

function engineRunner(docker: Docker): Promise<Runner | undefined> {
  return (async () => {
    const { iptablesImage, runOnEngineHost } = await import("./iptables-engine");
    const image = await iptablesImage(docker);
    if (!image) return undefined;
    const runner: Runner = {
      where: "through the engine (a container in its host's network namespace)",
      async run(script: string) {
        const r = await runOnEngineHost(docker, image, `${DETECT_BACKEND}\n${script}`);
        if (r.code !== 0) throw new Error(`iptables on the engine's host failed (exit ${r.code}): ${r.stderr || r.stdout}`);
        const out = parseScriptOutput(r.stdout);
        if (out.backend) {
          runner.where = `through the engine (a container in its host's network namespace, ${
            out.backend === "none"
              ? "iptables-nft: neither iptables-nft nor iptables-legacy lists Docker's chains"
              : `${out.backend}, which holds Docker's chains`
          })`;
        }
        return out;
      },
    };
    return runner;
  })();
}

/**
 * Where this lab's rules are made: given the engine (`engine`), its host's firewall, here when iptables runs here and
 * the engine is local, else through the engine; without it, this machine's only (the vagrant backend's VMs run here).
 */
function runnerFor(engine?: Docker): Promise<Runner | undefined> {
  if (!engine) return localRunner();
  let found = runners.get(engine);
  if (!found) {
    // this machine's firewall is the engine host's only when the engine is this machine (not Desktop's VM, not remote)
    // and this process is in its network namespace
    const here = async () => (await engineIsHere(engine)) && (await inEngineNetwork());
    found = (async () => ((await here()) ? await localRunner() : undefined) ?? (await engineRunner(engine)))();
    runners.set(engine, found);
  }
  return found;
}

/**
 * Makes the lab's rules exactly `guardRules(g)` (and `extra`): adds what is missing, removes the lab's rules that are
 * not among them (an older swarmlab's, or a bridge's that was replaced). Says where it made them; undefined (nothing
 * done) where no iptables can be run: not root, no passwordless sudo, and no engine (or no image with iptables in it).
 */
export async function syncGuards(g: GuardSettings, extra: GuardRule[] = [], engine?: Docker): Promise<string | undefined> {
  const runner = await runnerFor(engine);
  if (!runner) return undefined;
  await runner.run(syncScript(rulePattern(g.lab, g.owner), [...guardRules(g), ...extra].map(ruleLine)));
  return runner.where;
}

/** The lab's rules that are missing, as `-A` lines (empty where iptables cannot be run). */
export async function missingGuards(g: GuardSettings, extra: GuardRule[] = [], engine?: Docker): Promise<string[]> {
  const runner = await runnerFor(engine);
  return runner ? (await runner.run(missingScript([...guardRules(g), ...extra].map(ruleLine)))).missing : [];
}

export const ruleLine = (r: GuardRule) => `-A ${r.chain} ${r.spec.join(" ")}`;

/** Rules of the lab (of one owner, when given; of every lab when lab is undefined) as `iptables -S` prints them. */
export async function listGuards(lab: string | undefined, owner?: string, engine?: Docker): Promise<string[]> {
  const runner = await runnerFor(engine);
  return runner ? (await runner.run(listScript(rulePattern(lab, owner)))).lines : [];
}

/** How many packets each of the lab's rules has matched, by its `-A` line. */
export async function guardCounters(lab: string, owner: string, engine?: Docker): Promise<Map<string, number>> {
  const counted = new Map<string, number>();
  const runner = await runnerFor(engine);
  for (const line of runner ? (await runner.run(listScript(rulePattern(lab, owner), true))).lines : []) {
    const m = / -c (\d+) \d+/.exec(line);
    if (m) counted.set(line.replace(m[0], ""), Number(m[1]));
  }
  return counted;
}

/** Removes every rule of the lab (of one owner, when given); returns them. */
export async function removeGuards(lab: string, owner?: string, engine?: Docker): Promise<string[]> {
  const runner = await runnerFor(engine);
  return runner ? (await runner.run(removeScript(rulePattern(lab, owner)))).lines : [];
}

/**
 * The firewall the lab's rules would go into, as the doctor reads it: the FORWARD chain (`iptables -S`) and whether
 * Docker's DOCKER-USER exists, with where it was read; undefined where no iptables can be run (as syncGuards).
 */
export async function readForward(engine?: Docker): Promise<{ forward: string; dockerUser: boolean; where: string } | undefined> {
  const runner = await runnerFor(engine);
  if (!runner) return undefined;
  const out = await runner.run(FORWARD_SCRIPT);
  return { forward: out.forward.join("\n"), dockerUser: out.dockerUser === true, where: runner.where };
}

/** Whether the lab's rules can be made: here, or (given the engine) through it. */
export async function canGuard(engine?: Docker): Promise<boolean> {
  return (await runnerFor(engine)) !== undefined;
}
