// The names the lab's objects take (its machines' containers and volumes or VMs, its network, its upstream) must not
// be held by something that is not this lab's: another lab's, or a user's own container. The program checks this
// before it declares any part, in preview as in up, so that a refused up has made nothing. Objects labelled with this
// lab's name are the claim's to judge by owner (a lab name another stack holds is refused there).
import type { LabObject } from "../backends/backend";
import { ConfigError } from "../config";
import { whose } from "./claim";

/** Fails when one of `taken` (what exists under the lab's names, Backend.namesTaken) is not labelled with the lab. */
export function assertNamesFree(lab: string, taken: readonly LabObject[], stack: string): void {
  const others = taken.filter((o) => o.lab !== lab);
  if (others.length === 0) return;
  throw new ConfigError(
    "name",
    lab,
    `pulumi config set swarmlab:name <another name> -s ${stack}`,
    `the lab's objects would take names that exist already: ${whose(others)}`,
  );
}
