// The host's firewall rules for a lab, two guards that keep a lab to itself:
// - egress (with swarmlab:egress none): besides having no route out (an --internal network, default routes removed),
//   packets that enter from the lab's bridge with a source in the lab subnet and leave for anywhere else are
//   dropped in DOCKER-USER (forwarded traffic);
// - host: new connections from the lab's bridge to the host itself (its address on the bridge, or any other) are
//   dropped in INPUT; replies to what the host started (SSH to the nodes) still come in.
// Both name the lab's bridge, so no other network's traffic is touched. iptables has no JSON interface: the rules
// are found again by their comment. It needs root: as another user, `sudo -n` is tried.
import execa from "execa";
import { LABEL_LAB, LABEL_OWNER, LabIdentity } from "../../types";
import type { Egress } from "../../types";

const EGRESS_CHAIN = "DOCKER-USER";
const HOST_CHAIN = "INPUT";
const CHAINS = [EGRESS_CHAIN, HOST_CHAIN] as const;
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
  chain: (typeof CHAINS)[number];
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

/** How to run iptables here: directly as root, through passwordless sudo, or not at all. */
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

async function iptables(args: string[], reject = true) {
  const cmd = (await iptablesCommand())!;
  return execa(cmd[0], [...cmd.slice(1), "-w", ...args], { reject });
}

async function ensureEgressChain(): Promise<void> {
  // dockerd creates DOCKER-USER at start; create it if this engine does not (then FORWARD must jump to it).
  if ((await iptables(["-n", "-L", EGRESS_CHAIN], false)).exitCode === 0) return;
  await iptables(["-N", EGRESS_CHAIN]);
  await iptables(["-I", "FORWARD", "-j", EGRESS_CHAIN]);
}

const present = async (r: GuardRule) => (await iptables(["-C", r.chain, ...r.spec], false)).exitCode === 0;

/**
 * Makes the lab's rules exactly `guardRules(g)`: adds what is missing, removes the lab's rules that are not among
 * them (an older swarmlab's, or a bridge's that was replaced). False (nothing done) where iptables cannot be run:
 * not root, no passwordless sudo, no iptables.
 */
export async function syncGuards(g: GuardSettings, extra: GuardRule[] = []): Promise<boolean> {
  if (!(await iptablesCommand())) return false;
  const wanted = [...guardRules(g), ...extra];
  const wantedLines = new Set(wanted.map((r) => ruleLine(r)));
  await removeRules((await listGuards(g.lab, g.owner)).filter((line) => !wantedLines.has(unquote(line))));
  await ensureEgressChain();
  // Inserted at the top, last first: the lab's rules come before the host's own, in their order.
  for (const r of [...wanted].reverse()) if (!(await present(r))) await iptables(["-I", r.chain, ...r.spec]);
  return true;
}

/** The lab's rules that are missing, as `-A` lines (empty where iptables cannot be run). */
export async function missingGuards(g: GuardSettings, extra: GuardRule[] = []): Promise<string[]> {
  if (!(await iptablesCommand())) return [];
  const missing: string[] = [];
  for (const r of [...guardRules(g), ...extra]) if (!(await present(r))) missing.push(ruleLine(r));
  return missing;
}

export const ruleLine = (r: GuardRule) => `-A ${r.chain} ${r.spec.join(" ")}`;
/** iptables-nft prints the comment in quotes, iptables-legacy does not. */
const unquote = (line: string) => line.replace(/"([^" ]*)"/g, "$1");

/** Rules of the lab (of one owner, when given; of every lab when lab is undefined) as `iptables -S` prints them. */
export async function listGuards(lab: string | undefined, owner?: string): Promise<string[]> {
  return ruleLines(["-S"], lab, owner);
}

/** How many packets each of the lab's rules has matched, by its `-A` line. */
export async function guardCounters(lab: string, owner: string): Promise<Map<string, number>> {
  const counted = new Map<string, number>();
  for (const line of await ruleLines(["-v", "-S"], lab, owner)) {
    const m = / -c (\d+) \d+/.exec(line);
    if (m) counted.set(unquote(line.replace(m[0], "")), Number(m[1]));
  }
  return counted;
}

async function ruleLines(list: string[], lab: string | undefined, owner?: string): Promise<string[]> {
  if (!(await iptablesCommand())) return [];
  const legacy = `${LABEL_LAB}=${lab}`; // an older swarmlab's rule, without owner
  const ours = (c: string) =>
    lab === undefined
      ? c.startsWith(`${LABEL_LAB}=`)
      : owner === undefined
        ? c === legacy || c.startsWith(`${legacy},`)
        : c === (owner === "" ? legacy : comment({ lab, owner }));
  const lines: string[] = [];
  for (const chain of CHAINS) {
    const r = await iptables([...list, chain], false);
    if (r.exitCode !== 0) continue;
    lines.push(
      ...r.stdout.split("\n").filter((l) => {
        const c = /--comment "?([^" ]+)"?/.exec(l)?.[1];
        return l.startsWith(`-A ${chain} `) && c !== undefined && ours(c);
      }),
    );
  }
  return lines;
}

async function removeRules(lines: string[]): Promise<void> {
  for (const line of lines) await iptables(unquote(line).replace(/^-A /, "-D ").split(" "));
}

/** Removes every rule of the lab (of one owner, when given); returns them. */
export async function removeGuards(lab: string, owner?: string): Promise<string[]> {
  const rules = await listGuards(lab, owner);
  await removeRules(rules);
  return rules;
}

export async function canGuard(): Promise<boolean> {
  return (await iptablesCommand()) !== undefined;
}
