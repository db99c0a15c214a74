// The host firewall's work as one small shell script per call: listing, syncing, checking or removing a lab's rules
// is one run of `sh`, here (as root, or each iptables through `sudo -n`) or in a short-lived container on the engine's
// host (iptables-engine.ts), where a container run costs ~0.5 s and one per iptables command would add up. Pure text:
// the scripts and the reading of their output are unit-tested without root.
import { LABEL_LAB, LABEL_OWNER } from "../../types";

/** The chains the lab's rules live in, in the order they are listed. */
export const GUARD_CHAINS = ["DOCKER-USER", "INPUT"] as const;
/** One rule as `iptables -S` prints it, comment unquoted: `-A INPUT -i br-… --comment swarmlab.lab=…,… -j DROP`. */
export type RuleLine = string;

/** The iptables programs of the engine's host, in the order they are tried: the first that lists Docker's chain. */
export const IPTABLES_BACKENDS = ["iptables-nft", "iptables-legacy"] as const;
export type IptablesBackend = (typeof IPTABLES_BACKENDS)[number];

/** A word for sh, single-quoted. */
export const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const ere = (s: string) => s.replace(/[.[\]()*+?^$|\\{}]/g, "\\$&");

/**
 * The rules of a lab (of one owner, when given; "" is a lab made before owners were recorded; every lab's when lab is
 * undefined), as an extended regular expression over an unquoted `-S` line: grep -E in the scripts, RegExp in tests.
 */
export function rulePattern(lab: string | undefined, owner?: string): string {
  const labTag = `${ere(LABEL_LAB)}=`;
  const comment =
    lab === undefined
      ? `${labTag}[^ ]*`
      : owner === undefined
        ? `${labTag}${ere(lab)}(,[^ ]*)?`
        : owner === ""
          ? `${labTag}${ere(lab)}`
          : `${labTag}${ere(lab)},${ere(LABEL_OWNER)}=${ere(owner)}`;
  return `^-A (${GUARD_CHAINS.join("|")}) (.* )?--comment ${comment}( |$)`;
}

/**
 * The engine host's iptables: the backend holding Docker's own chains (rules in the other one would sit in tables no
 * packet of Docker's reaches in order). nft first: probing legacy can load its tables into a kernel that had none.
 * Neither (Docker manages no iptables there): iptables-nft, today's default. Says which on its first line.
 */
export const DETECT_BACKEND = [
  "b=",
  `for c in ${IPTABLES_BACKENDS.join(" ")}; do if "$c" -w -n -L DOCKER >/dev/null 2>&1; then b=$c; break; fi; done`,
  `echo "backend \${b:-none}"`,
  `ipt() { "\${b:-${IPTABLES_BACKENDS[0]}}" -w "$@"; }`,
].join("\n");

/** This machine's iptables, run as given (["iptables"] as root, ["sudo", "-n", "iptables"] otherwise). */
export const localIptables = (command: string[]) => `ipt() { ${command.map(shq).join(" ")} -w "$@"; }`;

// `rules [-v]`: the lab's lines of every chain, unquoted (iptables-nft quotes the comment, legacy does not).
// `drop`: deletes each line read (it prints it first); a rule is the line's words after `-A`, no word holds a space.
const helpers = (pattern: string) => [
  "set -f",
  `rules() { for c in ${GUARD_CHAINS.join(" ")}; do ipt "$@" -S "$c" 2>/dev/null; done | tr -d '"' | grep -E -- ${shq(pattern)} || true; }`,
  'drop() { while IFS= read -r line; do [ -n "$line" ] || continue; echo "$line"; ipt -D ${line#-A } || return 1; done; }',
];

const ruleArgs = (line: RuleLine) => line.replace(/^-A /, "").split(" ").map(shq).join(" ");

/** Lists the lab's rules (with their packet and byte counters, `-c <packets> <bytes>`, when counted). */
export function listScript(pattern: string, counted = false): string {
  return [...helpers(pattern), counted ? "rules -v" : "rules"].join("\n");
}

/** Removes the lab's rules, printing each. */
export function removeScript(pattern: string): string {
  return [...helpers(pattern), "rules | drop || exit 1"].join("\n");
}

/** Prints `missing <line>` for each wanted rule that is not there. */
export function missingScript(wanted: RuleLine[]): string {
  return wanted.map((l) => `ipt -C ${ruleArgs(l)} 2>/dev/null || echo ${shq(`missing ${l}`)}`).join("\n");
}

/**
 * Makes the lab's rules exactly `wanted` (in that order, above the host's own rules): removes its other rules (an
 * older swarmlab's, a replaced bridge's), makes DOCKER-USER where the engine did not, inserts what is missing.
 */
export function syncScript(pattern: string, wanted: RuleLine[]): string {
  return [
    ...helpers(pattern),
    `rules | grep -vxF ${wanted.map((l) => `-e ${shq(l)}`).join(" ")} | drop >/dev/null || exit 1`,
    // dockerd creates DOCKER-USER at start; where it did not, FORWARD must jump to the one made here.
    "ipt -n -L DOCKER-USER >/dev/null 2>&1 || { ipt -N DOCKER-USER && ipt -I FORWARD -j DOCKER-USER; } || exit 1",
    // Inserted at the top, last first: the lab's rules come before the host's own, in their order.
    ...[...wanted].reverse().map((l) => `ipt -C ${ruleArgs(l)} 2>/dev/null || ipt -I ${ruleArgs(l)} || exit 1`),
  ].join("\n");
}

/** The FORWARD chain as `iptables -S` prints it (each line after "forward "), and whether DOCKER-USER exists. */
export const FORWARD_SCRIPT = [
  "ipt -S FORWARD | sed 's/^/forward /' || exit 1",
  "if ipt -n -L DOCKER-USER >/dev/null 2>&1; then echo 'docker-user yes'; else echo 'docker-user no'; fi",
].join("\n");

/** What a script printed: the engine host's backend (when it detected one), rule lines, and the missing rules. */
export interface ScriptOutput {
  backend?: IptablesBackend | "none";
  lines: RuleLine[];
  missing: RuleLine[];
  /** FORWARD_SCRIPT's: the chain's lines (policy first), and whether DOCKER-USER exists. */
  forward: string[];
  dockerUser?: boolean;
}

export function parseScriptOutput(stdout: string): ScriptOutput {
  const out: ScriptOutput = { lines: [], missing: [], forward: [] };
  for (const line of stdout.split("\n")) {
    if (line.startsWith("-A ")) out.lines.push(line);
    else if (line.startsWith("forward ")) out.forward.push(line.slice("forward ".length));
    else if (line.startsWith("docker-user ")) out.dockerUser = line === "docker-user yes";
    else if (line.startsWith("missing -A ")) out.missing.push(line.slice("missing ".length));
    else if (line.startsWith("backend ")) out.backend = line.slice("backend ".length) as ScriptOutput["backend"];
  }
  return out;
}
