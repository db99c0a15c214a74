// What a fact's predicate returns: whether the fact holds on the lab, and what was found wrong, as data. The suite's
// claims and explain's steps both judge through these predicates (lab/facts/), so they cannot disagree; each words the
// verdict its own way at the edge (an assertion's message, explain's reading lines).

export interface Verdict {
  /** The fact judged, by its stable name (node-ls, network-ls, …). */
  fact: FactName;
  holds: boolean;
  /** What is wrong, one plain line each; empty when it holds. */
  found: string[];
  /**
   * Where the lab differs from the tutorial in a way the fact allows (it checked the lab's real value: mynet's subnet,
   * docker_gwbridge's), one line each. The suite lists them after its run.
   */
  differs: string[];
}

/** The tutorial's facts: each judged by explain, and by the suite too unless only explain shows it. */
export type FactName =
  | "swarm-joined"
  | "node-ls"
  | "overlay-made"
  | "replicas-running"
  | "service-ps"
  | "network-ls"
  | "eth0-on-overlay"
  | "eth1-on-gwbridge"
  | "tasks-ping"
  | "path-mtu"
  | "vxlan-on-the-wire"
  | "default-route"
  | "masquerade-rule"
  | "masquerade-counts"
  | "upstream-sees-node"
  | "routing-mesh";

export function verdict(fact: FactName, found: string[], differs: string[] = []): Verdict {
  return { fact, holds: found.length === 0, found, differs };
}
