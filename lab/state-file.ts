// A stack's state as the file backend keeps it (<state>/.pulumi/stacks/swarmlab/<stack>.json): read here, never
// written (the Pulumi CLI writes it, under its lock). What is read is plain JSON: the lab's claim is not secret. Any
// other shape (compressed, another version, being written) reads as unknown, and the caller asks the CLI instead.
import { existsSync, readFileSync } from "node:fs";
import { checkedLabName } from "./lab-name";
import { claim } from "./parts/claim";
import { partType } from "./parts/part";
import { STATE_DIR, stateFile } from "./project-root";
import type { BackendName } from "./types";
import type { LabRef } from "./inventory";

export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  outputs?: Record<string, unknown>;
}

/** The latest deployment: its resources, the operations an interrupted run left pending, and the whole of it. */
export interface StateDeployment {
  resources: StateResource[];
  pending: number;
  /** As the file holds it (manifest, secrets provider…): what `pulumi stack import` takes back. */
  deployment: Record<string, unknown>;
}

/** The stack's latest deployment as its state file holds it; undefined when the file is not there or not known here. */
export function readState(stack: string, stateDir = STATE_DIR): StateDeployment | undefined {
  const file = stateFile(stack, stateDir);
  if (stack.includes("/") || !existsSync(file) || existsSync(`${file}.gz`)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, "utf8"));
    if (state?.version !== 3 || typeof state.checkpoint !== "object" || !state.checkpoint) return undefined;
    const latest = state.checkpoint.latest ?? {};
    const resources = latest.resources ?? [];
    if (!Array.isArray(resources)) return undefined;
    return { resources, pending: (latest.pending_operations ?? []).length, deployment: latest };
  } catch {
    return undefined; // unreadable now (e.g. being written): the CLI reads it under its lock
  }
}

/** A stack made by swarmlab 0.1 has this part instead of a claim. */
const LEGACY_KEY = "pulumi-nodejs:dynamic/swarmlab:lab:key:Resource";

/**
 * The lab the resources record (their claim: name, backend, owner), `lab` undefined when they record none. A stack
 * made by swarmlab 0.1 has no claim: its lab is named by its key, and its objects carry no owner (""). Undefined when
 * the claim's values are not plain text (e.g. encrypted): only the CLI can read them then.
 */
export function labOfResources(resources: StateResource[], stack: string): { lab?: LabRef } | undefined {
  const found = resources.find((r) => r.type === partType(claim));
  const legacyKey = resources.find((r) => r.type === LEGACY_KEY);
  const plain = (r?: StateResource) => !r || ["lab", "backend", "owner"].every((k) => typeof (r.outputs?.[k] ?? "") === "string");
  if (!plain(found) || !plain(legacyKey)) return undefined;
  // The name reaches removals (down's sweep, the lab's folder): it passes the lab-name rule, whatever the state holds.
  const named = (lab: unknown) => checkedLabName(lab, `the lab stack ${stack}'s state records`);
  if (found)
    return { lab: { name: named(found.outputs?.lab), backend: found.outputs?.backend as BackendName, owner: found.outputs?.owner as string } };
  return { lab: legacyKey ? { name: named(legacyKey.outputs?.lab), backend: "docker", owner: "" } : undefined };
}
