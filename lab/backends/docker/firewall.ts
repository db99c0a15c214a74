// The second guard that keeps a lab on this machine: besides having no route out (an --internal network, default
// routes removed), packets from the lab subnet to anywhere else are dropped in DOCKER-USER. iptables has no JSON
// interface: the rules are found again by their comment. It needs root: as another user, `sudo -n` is tried.
import execa from "execa";

const CHAIN = "DOCKER-USER";
const comment = (lab: string) => `swarmlab.lab=${lab}`;

function guardRule(lab: string, subnet: string): string[] {
  return ["-s", subnet, "!", "-d", subnet, "-m", "comment", "--comment", comment(lab), "-j", "DROP"];
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
export async function addEgressGuard(lab: string, subnet: string): Promise<boolean> {
  if (!(await iptablesCommand())) return false;
  await ensureChain();
  const rule = guardRule(lab, subnet);
  if ((await iptables(["-C", CHAIN, ...rule], false)).exitCode !== 0) await iptables(["-I", CHAIN, ...rule]);
  return true;
}

/** Rules of the lab as `iptables -S` prints them. */
export async function listEgressGuards(lab: string): Promise<string[]> {
  if (!(await iptablesCommand())) return [];
  const r = await iptables(["-S", CHAIN], false);
  if (r.exitCode !== 0) return [];
  const tagged = [`--comment ${comment(lab)} `, `--comment "${comment(lab)}" `]; // iptables-nft quotes it
  return r.stdout.split("\n").filter((l) => l.startsWith(`-A ${CHAIN} `) && tagged.some((t) => l.includes(t)));
}

export async function removeEgressGuards(lab: string): Promise<void> {
  for (const rule of await listEgressGuards(lab)) {
    const args = rule.replace(/^-A /, "-D ").split(" ").map((a) => a.replace(/^"(.*)"$/, "$1"));
    await iptables(args);
  }
}

export async function canGuard(): Promise<boolean> {
  return (await iptablesCommand()) !== undefined;
}
