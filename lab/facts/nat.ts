// North-south through NAT: a task's default route leaves by eth1 to its node's docker_gwbridge, the node masquerades its docker_gwbridge's subnet for what leaves by another interface (the
// rule `-s <subnet> ! -o docker_gwbridge -j MASQUERADE`), and a task's new connection out moves that rule's counter.
import { verdict, Verdict } from "./verdict";

/** A task's default route (`ip route` inside it), absent when it has none. */
export interface DefaultRoute {
  via: string;
  dev: string;
}

/** The task's way out is eth1, to its node's docker_gwbridge (the bridge's gateway): through the node, not the overlay. */
export function leavesByGwbridge(task: string, route: DefaultRoute | undefined, gwbridge: { gateway: string }): Verdict {
  const want = `default via ${gwbridge.gateway || "docker_gwbridge's gateway"} dev eth1`;
  if (!route) return verdict("default-route", [`${task} has no default route (${want} expected)`]);
  const ok = route.dev === "eth1" && route.via === gwbridge.gateway;
  return verdict("default-route", ok ? [] : [`${task}'s default route is via ${route.via} dev ${route.dev}, not ${want}`]);
}

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
  return verdict(
    "masquerade-counts",
    a.packets > b.packets ? [] : [`${node}'s MASQUERADE counter did not move (${b.packets} → ${a.packets} packets)`],
  );
}
