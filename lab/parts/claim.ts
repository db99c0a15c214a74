// The stack's claim on a lab name and subnet: made first, so that a lab owned by another stack is refused before
// anything is created. Its output, the owner id, labels everything the lab makes.
import { randomBytes } from "node:crypto";
import { Backend, backendFor, LabObject } from "../backends";
import { ConfigError } from "../config";
import { BackendName, LABEL_LAB, stackOfOwner } from "../types";
import type { Part } from "./part";

export interface ClaimInputs {
  lab: string;
  backend: BackendName;
  subnet: string;
  /** The Pulumi stack: the readable half of the owner id. */
  stack: string;
}

export interface ClaimOutputs {
  /** "<stack>.<8 hex digits>", kept in the stack's state. */
  owner: string;
}

export const claim: Part<ClaimInputs, ClaimOutputs> = {
  type: "Claim",
  identity: ["lab", "backend"],
  outputs: ["owner"],
  // The one look at who holds the name and subnet: Pulumi asks it (check for a new claim, diff for one that stays)
  // in preview and, just before create or update, in up; those two do not look again.
  async check(news, current) {
    await assertFree(news, current?.owner);
  },
  async create(i) {
    const owner = `${i.stack}.${randomBytes(4).toString("hex")}`;
    return { id: owner, outs: { owner } };
  },
  async read(_id, state) {
    return { owner: state.owner };
  },
  async update(_id, olds) {
    return { owner: olds.owner };
  },
  async delete() {
    // Nothing of its own: the other parts remove what they made.
  },
};

/**
 * Fails when something of the lab's name, or a lab network on its subnet, belongs to another owner (`owner`
 * undefined: the claim is new, so everything there is another's). The fix is always this stack's own setting:
 * another lab's things are never this lab's to remove. The names of the lab's objects are the parts' that make them
 * (names-free.ts).
 */
export async function assertFree(
  i: ClaimInputs,
  owner: string | undefined,
  backend: Pick<Backend, "objects"> | undefined = undefined,
): Promise<void> {
  backend ??= await backendFor(i.backend);
  const objects = await backend.objects(i.lab, undefined, i.subnet);
  const foreign = objects.filter((o) => owner === undefined || o.owner !== owner);
  const sameName = foreign.filter((o) => o.lab === i.lab);
  const otherName = `pulumi config set swarmlab:name <another name> -s ${i.stack}`;
  if (sameName.length > 0) {
    throw new ConfigError("name", i.lab, otherName, `the name is taken: ${whose(sameName)}`);
  }
  if (foreign.length > 0) {
    throw new ConfigError(
      "subnet",
      i.subnet,
      `pulumi config set swarmlab:subnet <another /24> -s ${i.stack}`,
      `this subnet is used: ${whose(foreign)}`,
    );
  }
}

export function whose(objects: LabObject[]): string {
  const [first] = objects;
  const what = `${objects
    .map((o) => o.what)
    .slice(0, 3)
    .join(", ")}${objects.length > 3 ? ` and ${objects.length - 3} more` : ""}`;
  if (!first.lab) return `${what}, not made by swarmlab (no ${LABEL_LAB} label)`;
  if (!first.owner)
    return `${what}, of lab ${first.lab}, made without an owner label (by an older swarmlab or by hand; if it is yours and its state is lost, npm run clean ${first.lab} removes it)`;
  return `${what}, of lab ${first.lab} of stack ${stackOfOwner(first.owner)} (owner ${first.owner})`;
}
