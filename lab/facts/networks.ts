// docker network ls on a worker running a task: the tutorial's six networks, mynet standing for the lab's overlay.
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
