// North-south through NAT: a node masquerades its docker_gwbridge's subnet for what leaves by another interface (the
// rule `-s <subnet> ! -o docker_gwbridge -j MASQUERADE`), and a task's new connection out moves that rule's counter.
import { verdict, Verdict } from "./verdict";

/** A row of the node's nat POSTROUTING chain (`iptables -t nat -L POSTROUTING -n -v -x`). */
export interface NatRow {
  target: string;
  /** The outgoing interface, `!docker_gwbridge` for "any but docker_gwbridge"; `*` for any. */
  out: string;
  source: string;
  destination: string;
  /** The rule's packet counter. */
  packets: number;
}

/** The rule that NATs a node's tasks: MASQUERADE of docker_gwbridge's subnet, to anywhere, out by another interface. */
export function masqueradeRuleOf<R extends Omit<NatRow, "packets">>(rules: R[], gwbridge: string): R | undefined {
  return rules.find((r) => r.target === "MASQUERADE" && r.source === gwbridge && r.out === "!docker_gwbridge" && r.destination === "0.0.0.0/0");
}

const missing = (node: string, gwbridge: string) => `${node} has no MASQUERADE rule for docker_gwbridge's ${gwbridge} out by another interface`;

/** The node masquerades docker_gwbridge's subnet for traffic leaving by another interface. */
export function masquerades(node: string, rules: Omit<NatRow, "packets">[], gwbridge: string): Verdict {
  return verdict("masquerade-rule", masqueradeRuleOf(rules, gwbridge) ? [] : [missing(node, gwbridge)]);
}

/** The masquerade rule counted a task's new connection out: its counter moved between `before` and `after`. */
export function masqueradeCounts(node: string, before: NatRow[], after: NatRow[], gwbridge: string): Verdict {
  const [b, a] = [masqueradeRuleOf(before, gwbridge), masqueradeRuleOf(after, gwbridge)];
  if (!b || !a) return verdict("masquerade-counts", [missing(node, gwbridge)]);
  return verdict("masquerade-counts", a.packets > b.packets ? [] : [`${node}'s MASQUERADE counter did not move (${b.packets} → ${a.packets} packets)`]);
}
