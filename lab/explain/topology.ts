// The picture of the live lab: Graphviz's DOT written from what was observed (lab/explain/observed.ts), laid out and
// rendered to SVG by Graphviz itself (its WebAssembly build from npm, @hpcc-js/wasm-graphviz), not drawn by hand.
// Each node is a box holding its lab interface, docker_gwbridge, the overlay's end (where it runs a task) and its
// tasks; the lab network and the upstream are below (the hosts' own network, for hosts over SSH); the VXLAN tunnel
// joins the overlay's ends.
import { registered } from "../backends";
import type { ObservedNode, ObservedTask, PartialLab } from "./observed";

const FONT = "Helvetica";

/** An identifier DOT accepts as it is. */
const id = (...parts: string[]) => parts.join("_").replace(/[^A-Za-z0-9_]/g, "_");
/** A quoted DOT string; lines are separated by \n. */
const q = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

function taskLabel(t: ObservedTask): string {
  const line = (name: string, i?: { ipv4: string; mtu: number }) => (i ? `${name} ${i.ipv4}  mtu ${i.mtu}` : `${name}: none`);
  return `task ${t.name}\n${line("eth0", t.eth0)}\n${line("eth1", t.eth1)}`;
}

/**
 * The lab as DOT: a graph a student can read (labels on every box and every edge that means something). A lab whose
 * overlay is not made yet (the exercise page draws the lab as the student builds it) has no overlay ends and no tunnel.
 */
export function topologyDot(lab: PartialLab): string {
  const o = lab.overlay;
  const tunnel = o?.encrypted ? `IPsec ESP tunnel\n(VXLAN VNI ${o.vni} inside)` : `VXLAN tunnel\nVNI ${o?.vni}, UDP 4789`;
  const title = o ? `Swarm overlay ${o.name} ${o.subnet}${o.encrypted ? " (encrypted)" : ""}, service ${lab.service}` : "no Swarm overlay yet";
  const out: string[] = [
    `graph ${q(lab.lab)} {`,
    `  graph [fontname=${q(FONT)}, fontsize=14, labelloc=t, newrank=true, nodesep=0.5, ranksep=0.7, pad=0.3,`,
    `         label=${q(`lab ${lab.lab}: ${title}`)}];`,
    `  node [fontname=${q(FONT)}, fontsize=11, shape=box, style="rounded,filled", fillcolor="#ffffff", margin="0.25,0.1"];`,
    `  edge [fontname=${q(FONT)}, fontsize=10, color="#555555"];`,
    ...below(lab),
  ];
  const ends = new Map<string, string>();
  for (const n of lab.nodes) {
    const tasks = lab.tasks.filter((t) => t.node === n.name);
    // every other node with a task has its overlay's end on the left, so that two neighbours' ends face each other
    out.push(...nodeCluster(lab, n, tasks, ends, ends.size % 2 === 1));
  }
  const workersWithEnds = lab.nodes.filter((n) => ends.has(n.name));
  for (let i = 0; i + 1 < workersWithEnds.length; i++) {
    const [a, b] = [workersWithEnds[i], workersWithEnds[i + 1]];
    out.push(
      `  ${ends.get(a.name)} -- ${ends.get(b.name)} [label=${q(tunnel)}, style=dashed, penwidth=2, color="#1f5fbf", fontcolor="#1f5fbf", constraint=false];`,
    );
  }
  out.push("}");
  return out.join("\n") + "\n";
}

/**
 * What lies below the nodes: the lab network swarmlab made and its upstream host; for the user's own hosts (ssh), their
 * own network, which swarmlab neither made nor knows the range of, and no upstream (the tasks ping the founding manager).
 */
function below(lab: PartialLab): string[] {
  if (registered(lab.backend)?.usersHosts) {
    return [
      `  labnet [label=${q(`the hosts' own network\n(swarmlab:hosts; the tasks ping ${lab.upstream.address}, the founding manager)`)}, fillcolor="#e8e8e8", width=6];`,
    ];
  }
  return [
    `  labnet [label=${q(`lab network ${lab.subnet}`)}, fillcolor="#e8e8e8", width=6];`,
    `  upstream [label=${q(`${lab.upstream.name} ${lab.upstream.address}\n(stands for the internet)`)}, fillcolor="#fde2c4"];`,
    `  labnet -- upstream;`,
  ];
}

function nodeCluster(lab: PartialLab, n: ObservedNode, tasks: ObservedTask[], ends: Map<string, string>, overlayLeft: boolean): string[] {
  const c = id(n.name);
  const lines = [
    `  subgraph ${id("cluster", n.name)} {`,
    `    label=${q(`${n.name} (${n.role})`)}; style="rounded,filled"; fillcolor="#f3f7fc"; color="#7a9cc6";`,
    `    ${id(c, "lab")} [label=${q(`${n.iface} ${n.address}`)}, fillcolor="#e8e8e8"];`,
  ];
  const gw = n.gwbridge.subnet
    ? [
        `    ${id(c, "gw")} [label=${q(`docker_gwbridge ${n.gwbridge.gateway}\n${n.gwbridge.subnet}, MASQUERADE out`)}, fillcolor="#fdf3c4"];`,
        `    ${id(c, "gw")} -- ${id(c, "lab")} [label="NAT"];`,
      ]
    : [];
  if (tasks.length === 0 || !lab.overlay) lines.push(...gw);
  else {
    const end = id(c, "overlay");
    ends.set(n.name, end);
    const overlay = [
      `    ${end} [label=${q(`${lab.overlay.name} ${lab.overlay.subnet}\nvxlan id ${lab.overlay.vni}`)}, fillcolor="#d9ecff"];`,
      `    ${end} -- ${id(c, "lab")} [label=${q(lab.overlay.encrypted ? "ESP" : "UDP 4789")}];`,
    ];
    // dot keeps the order in which nodes of a rank are declared, unless crossings make it change it
    lines.push(...(overlayLeft ? [...overlay, ...gw] : [...gw, ...overlay]));
    for (const t of tasks) {
      const tid = id(c, "task", t.name);
      lines.push(`    ${tid} [label=${q(taskLabel(t))}, fillcolor="#dff5e1"];`, `    ${tid} -- ${end} [label="eth0"];`);
      if (n.gwbridge.subnet) lines.push(`    ${tid} -- ${id(c, "gw")} [label="eth1"];`);
    }
  }
  lines.push(`  }`, `  ${id(c, "lab")} -- labnet;`);
  return lines;
}

/** DOT → SVG with Graphviz's dot layout (WebAssembly; loaded once). */
export async function renderSvg(dot: string): Promise<string> {
  // An ES module; Node ≥ 22 loads it with require.
  const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
  const graphviz = await Graphviz.load();
  return graphviz.dot(dot, "svg");
}
