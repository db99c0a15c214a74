// The names a part's objects take (a node's container and volume or VM, the base's network and upstream) must not be
// held by something that is not this lab's: another lab's, a stack's of another checkout, or a user's own container.
// Checked by the parts that make those objects, in preview too (Part.check), so that a change of the workers touches
// no other part (the claim's inputs stay as they are: a claim updated in preview would make every owner unknown).
import type { Backend } from "../backends/backend";
import { backendFor } from "../backends";
import { ConfigError } from "../config";
import { BackendName, stackOfOwner } from "../types";
import { whose } from "./claim";

/** An owner id as the claim makes it ("<stack>.<8 hex>"); anything else is Pulumi's placeholder in a preview. */
const OWNER = /^[^.]+\.[0-9a-f]{8}$/;

/**
 * Fails when an object under a name the lab's `nodes` (none: only the shared objects) would take exists and is not
 * the lab's. `owner` unknown (a preview of a new lab): objects labelled with the lab's name pass, the claim having
 * refused a lab name another owner holds.
 */
export async function assertNamesFree(
  i: { lab: string; owner: string; backend: BackendName },
  nodes: readonly string[],
  backend: Pick<Backend, "namesTaken"> | undefined = undefined,
): Promise<void> {
  backend ??= await backendFor(i.backend);
  const known = typeof i.owner === "string" && OWNER.test(i.owner);
  const taken = (await backend.namesTaken(i.lab, nodes)).filter((o) => o.lab !== i.lab || (known && o.owner !== i.owner));
  if (taken.length === 0) return;
  const stack = known ? ` -s ${stackOfOwner(i.owner)}` : "";
  throw new ConfigError(
    "name",
    i.lab,
    `pulumi config set swarmlab:name <another name>${stack}`,
    `the lab's objects would take names that exist already: ${whose(taken)}`,
  );
}
