// The second guard that keeps a lab on this machine: besides having no route out (an --internal network),
// packets from the lab subnet to anywhere else are dropped in DOCKER-USER. iptables has no JSON interface:
// the rules are found again by their comment.
import execa from "execa";

const CHAIN = "DOCKER-USER";
const comment = (lab: string) => `swarmlab.lab=${lab}`;

function guardRule(lab: string, subnet: string): string[] {
  return ["-s", subnet, "!", "-d", subnet, "-m", "comment", "--comment", comment(lab), "-j", "DROP"];
}

async function iptables(args: string[]) {
  return execa("iptables", ["-w", ...args]);
}

async function ensureChain(): Promise<void> {
  // dockerd creates DOCKER-USER at start; create it if this engine does not (then FORWARD must jump to it).
  if ((await execa("iptables", ["-w", "-n", "-L", CHAIN], { reject: false })).exitCode === 0) return;
  await iptables(["-N", CHAIN]);
  await iptables(["-I", "FORWARD", "-j", CHAIN]);
}

export async function addEgressGuard(lab: string, subnet: string): Promise<void> {
  await ensureChain();
  const rule = guardRule(lab, subnet);
  const present = await execa("iptables", ["-w", "-C", CHAIN, ...rule], { reject: false });
  if (present.exitCode !== 0) await iptables(["-I", CHAIN, ...rule]);
}

/** Rules of the lab as `iptables -S` prints them. */
export async function listEgressGuards(lab: string): Promise<string[]> {
  const r = await execa("iptables", ["-w", "-S", CHAIN], { reject: false });
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
