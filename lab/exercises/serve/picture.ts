// The lab's picture on the exercise page: explain's (lab/explain/topology.ts, Graphviz from the snapshot), drawn as far
// as the lab is made, each machine labelled with what it is in the swarm now (not in a swarm, worker, manager and
// Leader) so that the picture changes as the student types. Graphviz runs only when the drawing changes.
import type { PartialLab } from "../../explain/observed";
import { partialLabOf } from "../../explain/observed";
import { renderSvg, topologyDot } from "../../explain/topology";
import type { LabOutputs } from "../../outputs";
import { membersNamed, nodeNamed, type LabSnapshot } from "../../snapshot/model";

/** What the node is in the swarm now, as its own engine and the managers say. */
export function swarmRoleOf(s: LabSnapshot, node: string): string {
  const look = nodeNamed(s, node);
  if (!look) return "not looked at";
  if (look.problem) return "does not answer";
  if (look.local.state !== "active") return look.local.state === "pending" ? "joining a swarm" : "not in a swarm";
  if (!look.local.manages) return "worker";
  return membersNamed(s.swarm, node).some((m) => m.leader) ? "manager, Leader" : "manager";
}

/** The lab as the page draws it: explain's view of it, each node's role the live one. */
export function pictureLab(outputs: LabOutputs, s: LabSnapshot): PartialLab {
  const lab = partialLabOf(outputs, s);
  return { ...lab, nodes: lab.nodes.map((n) => ({ ...n, role: swarmRoleOf(s, n.name) })) };
}

/** Renders the lab's pictures, again only when the drawing changed. */
export class Pictures {
  private last?: { dot: string; svg: string };

  async of(outputs: LabOutputs, s: LabSnapshot): Promise<string> {
    const dot = topologyDot(pictureLab(outputs, s));
    if (this.last?.dot !== dot) this.last = { dot, svg: await renderSvg(dot) };
    return this.last.svg;
  }
}
