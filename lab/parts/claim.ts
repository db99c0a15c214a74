// The stack's claim on a lab name and subnet: made first, so that a lab owned by another stack is refused before
// anything is created. Its output, the owner id, labels everything the lab makes.
import { randomBytes } from "node:crypto";
import { backendFor, LabObject } from "../backends/backend";
import { ConfigError } from "../config";
import { BackendName, stackOfOwner } from "../types";
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
  async create(i) {
    const owner = `${i.stack}.${randomBytes(4).toString("hex")}`;
    await assertFree(i, owner);
    return { id: owner, outs: { owner } };
  },
  async read(_id, state) {
    return { owner: state.owner };
  },
  async update(_id, olds, news) {
    await assertFree(news, olds.owner);
    return { owner: olds.owner };
  },
  async delete() {
    // Nothing of its own: the other parts remove what they made.
  },
};

/** Fails when something of the lab's name, or a lab network on its subnet, belongs to another owner. */
export async function assertFree(i: ClaimInputs, owner: string): Promise<void> {
  const objects = await (await backendFor(i.backend)).objects(i.lab, undefined, i.subnet);
  const foreign = objects.filter((o) => o.owner !== owner);
  const sameName = foreign.filter((o) => o.lab === i.lab);
  if (sameName.length > 0) {
    throw new ConfigError("name", i.lab, `pulumi config set swarmlab:name <another name> -s ${i.stack}`, `this lab ${whose(sameName)}`);
  }
  if (foreign.length > 0) {
    throw new ConfigError("subnet", i.subnet, `pulumi config set swarmlab:subnet <another /24> -s ${i.stack}`, `this subnet is used: ${whose(foreign)}`);
  }
}

function whose(objects: LabObject[]): string {
  const [first] = objects;
  const what = `${objects.map((o) => o.what).slice(0, 3).join(", ")}${objects.length > 3 ? ` and ${objects.length - 3} more` : ""}`;
  if (!first.owner) return `was made without an owner label (by an older swarmlab or by hand): ${what}; remove it with npm run clean ${first.lab || ""}`.trim();
  return `belongs to stack ${stackOfOwner(first.owner)} (owner ${first.owner}${first.lab ? `, lab ${first.lab}` : ""}): ${what}`;
}
