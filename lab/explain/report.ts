// What `npm run explain` says, as data: `--json` prints an ExplainReport, and the text output is made from the same
// report. The format is versioned (EXPLAIN_FORMAT): a course may build on its fields; new fields may be added, none
// is renamed or removed without a new version.

export const EXPLAIN_FORMAT = "swarmlab-explain/1";

/** The tutorial's parts, in its order. */
export type Section = "swarm" | "east-west" | "vxlan" | "north-south" | "ingress";

export interface StepReport {
  /** Stable name, for --step (swarm-init, node-ls, …). */
  name: string;
  /** Its place in the tutorial, from 1 (the same with --step). */
  number: number;
  section: Section;
  /** Where the command runs. */
  node: string;
  /** The command as a student types it on that node (several lines: typed one after the other). */
  command: string;
  /**
   * When the command makes something that already exists (swarm init, network create, service create), explain does
   * not run it again: it runs this read-only command instead, and `output` is its output.
   */
  shows?: string;
  /** The real output on this lab, trimmed (what was left out is said in the text). */
  output: string;
  /** What explain reads in the output (decoded packets, counters before and after, the VNI compared). */
  reading: string[];
  /** One sentence: what the step proves. */
  proves: string;
  /** Whether what it proves holds on this lab. */
  holds: boolean;
  /** The values read, for a course to build on (addresses, VNI, MTU, counters, packets). */
  facts: Record<string, unknown>;
}

export interface ExplainReport {
  format: typeof EXPLAIN_FORMAT;
  lab: string;
  backend: string;
  steps: StepReport[];
  /** The picture of the lab, when it was drawn: paths relative to the project folder. */
  topology?: { svg: string; dot: string };
  /** Every step holds. */
  holds: boolean;
}

/** At most `max` lines of a command's output; what is left out is said in a last line. */
export function trimOutput(text: string, max = 14, drop?: RegExp): string {
  const all = text.replace(/\s+$/, "").split("\n");
  const kept = drop ? all.filter((l) => !drop.test(l)) : all;
  const dropped = all.length - kept.length;
  const shown = kept.slice(0, max);
  const notes = [
    ...(kept.length > max ? [`${kept.length - max} more line${kept.length - max === 1 ? "" : "s"}`] : []),
    ...(dropped > 0 ? [`${dropped} ${drop?.source.includes("valid_lft") ? "address-lifetime and IPv6 " : ""}lines left out`] : []),
  ];
  return [...shown, ...(notes.length ? [`[… ${notes.join("; ")}]`] : [])].join("\n");
}

/** The report as text, step by step: the command, its output, what explain reads in it, what it proves. */
export function formatReport(r: ExplainReport): string[] {
  const print = stepPrinter();
  const lines = r.steps.flatMap(print);
  if (r.topology) lines.push("", `topology: ${r.topology.svg} (Graphviz source: ${r.topology.dot})`);
  return lines;
}

/** Prints steps one at a time as they come, with a heading where a section of the tutorial begins. */
export function stepPrinter(): (s: StepReport) => string[] {
  let section = "";
  return (s) => {
    const lines: string[] = [];
    if (s.section !== section) {
      section = s.section;
      lines.push("", `== ${SECTION_TITLES[s.section]} ==`);
    }
    lines.push("", `${s.number}. ${s.name} (on ${s.node})`);
    for (const c of s.command.split("\n")) lines.push(`   $ ${c}`);
    if (s.shows) lines.push(`   (already done by up; what it left, shown by: ${s.shows})`);
    if (s.output) for (const o of s.output.split("\n")) lines.push(`   | ${o}`);
    for (const x of s.reading) lines.push(`   → ${x}`);
    lines.push(`   ${s.holds ? "✓" : "✗ DOES NOT HOLD:"} ${s.proves}`);
    return lines;
  };
}

const SECTION_TITLES: Record<Section, string> = {
  swarm: "the swarm, the overlay and the service",
  "east-west": "east-west: task to task across nodes",
  vxlan: "VXLAN on the wire",
  "north-south": "north-south: out through docker_gwbridge and NAT",
  ingress: "ingress: published ports and IPVS",
};
