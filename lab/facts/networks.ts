// The lab's networks: `docker network create -d overlay mynet` made a swarm-wide VXLAN network (so did swarm init for
// ingress), and `docker network ls` on a worker running a task shows the tutorial's six, mynet standing for the
// lab's overlay.
import { NetworkRow, TUTORIAL_NETWORKS } from "./tutorial";
import { verdict, Verdict } from "./verdict";

export type { NetworkRow } from "./tutorial";

/** The networks a worker with a task has: exactly bridge, docker_gwbridge, host, ingress, the overlay, none. */
export function networksAsTutorial(table: NetworkRow[], overlay: string): Verdict {
  const expected = TUTORIAL_NETWORKS.map((n) => (n.name === "mynet" ? { ...n, name: overlay } : n));
  const found: string[] = [];
  for (const e of expected) {
    const rows = table.filter((r) => r.name === e.name);
    if (rows.length === 0) found.push(`no network ${e.name} (${e.driver}, ${e.scope} scope)`);
    if (rows.length > 1) found.push(`${rows.length} networks named ${e.name}`);
    for (const r of rows.filter((x) => x.driver !== e.driver || x.scope !== e.scope)) {
      found.push(`${e.name} is ${r.driver}, ${r.scope} scope, not ${e.driver}, ${e.scope} scope`);
    }
  }
  for (const r of table.filter((x) => !expected.some((e) => e.name === x.name))) {
    found.push(`${r.name} (${r.driver}, ${r.scope} scope) is not one of the tutorial's networks`);
  }
  return verdict("network-ls", found);
}

/** An overlay network as `docker network inspect` shows it. */
export interface OverlayRow {
  name: string;
  driver: string;
  scope: string;
  /** Its VXLAN network identifier (0 when Docker gave none). */
  vni?: number;
  /** Swarm's ingress network (the routing mesh's). */
  ingress?: boolean;
}

/**
 * The network is an overlay of swarm scope: a VXLAN segment across the nodes, with its VNI where one is expected;
 * `ingress`: the one Swarm made for published ports.
 */
export function overlayMade(n: OverlayRow, want: { vni?: boolean; ingress?: boolean } = {}): Verdict {
  const found: string[] = [];
  if (n.driver !== "overlay" || n.scope !== "swarm")
    found.push(`${n.name} is ${n.driver || "no driver"}, ${n.scope || "no"} scope, not overlay, swarm scope`);
  if (want.vni && !(Number(n.vni) > 0)) found.push(`${n.name} has no VXLAN network identifier`);
  if (want.ingress && !n.ingress) found.push(`${n.name} is not Swarm's ingress network`);
  return verdict("overlay-made", found);
}
