// The second guard that keeps a lab on this machine: besides having no route out (an --internal network, default
// routes removed), packets from the lab subnet to anywhere else are dropped in DOCKER-USER. iptables has no JSON
// interface: the rules are found again by their comment. It needs root: as another user, `sudo -n` is tried.
import execa from "execa";
import { LABEL_LAB, LABEL_OWNER, LabIdentity } from "../../types";

const CHAIN = "DOCKER-USER";
/** The rule's comment names the lab and its owner: the rule is found again by it. */
const comment = (id: LabIdentity) => `${LABEL_LAB}=${id.lab},${LABEL_OWNER}=${id.owner}`;

function guardRule(id: LabIdentity, subnet: string): string[] {
  return ["-s", subnet, "!", "-d", subnet, "-m", "comment", "--comment", comment(id), "-j", "DROP"];
}

let command: Promise<string[] | undefined> | undefined;

/** How to run iptables here: directly as root, through passwordless sudo, or not at all. */
function iptablesCommand(): Promise<string[] | undefined> {
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

async function ensureChain(): Promise<void> {
  // dockerd creates DOCKER-USER at start; create it if this engine does not (then FORWARD must jump to it).
  if ((await iptables(["-n", "-L", CHAIN], false)).exitCode === 0) return;
  await iptables(["-N", CHAIN]);
  await iptables(["-I", "FORWARD", "-j", CHAIN]);
}

/** Adds the guard; false (nothing added) where iptables cannot be run: not root, no passwordless sudo, no iptables. */
export async function addEgressGuard(id: LabIdentity, subnet: string): Promise<boolean> {
  if (!(await iptablesCommand())) return false;
  await ensureChain();
  const rule = guardRule(id, subnet);
  if ((await iptables(["-C", CHAIN, ...rule], false)).exitCode !== 0) await iptables(["-I", CHAIN, ...rule]);
  return true;
}

/** Rules of the lab (of one owner, when given) as `iptables -S` prints them. */
export async function listEgressGuards(lab: string | undefined, owner?: string): Promise<string[]> {
  if (!(await iptablesCommand())) return [];
  const r = await iptables(["-S", CHAIN], false);
  if (r.exitCode !== 0) return [];
  const legacy = `${LABEL_LAB}=${lab}`; // an older swarmlab's rule, without owner
  const ours = (c: string) =>
    lab === undefined
      ? c.startsWith(`${LABEL_LAB}=`)
      : owner === undefined
        ? c === legacy || c.startsWith(`${legacy},`)
        : c === (owner === "" ? legacy : comment({ lab, owner }));
  return r.stdout.split("\n").filter((l) => {
    const c = /--comment "?([^" ]+)"?/.exec(l)?.[1]; // iptables-nft quotes it
    return l.startsWith(`-A ${CHAIN} `) && c !== undefined && ours(c);
  });
}

export async function removeEgressGuards(lab: string, owner?: string): Promise<string[]> {
  const rules = await listEgressGuards(lab, owner);
  for (const rule of rules) {
    const args = rule.replace(/^-A /, "-D ").split(" ").map((a) => a.replace(/^"(.*)"$/, "$1"));
    await iptables(args);
  }
  return rules;
}

export async function canGuard(): Promise<boolean> {
  return (await iptablesCommand()) !== undefined;
}
