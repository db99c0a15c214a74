// A lab found by its labels, whatever the state says: what is left of it, sweeping it, its machines' logs.
import { PROJECT_ROOT } from "./project-root";
import path from "node:path";
import { backendFor, LabObject } from "./backends";
import { LAB_DIR } from "./lab-dir";
import { checkedLabName, PROJECT_ENTRIES } from "./lab-name";
import type { BackendName } from "./types";

export interface LabRef {
  name: string;
  backend: BackendName;
  /** Only what this owner made; undefined: everything with the lab's name. */
  owner?: string;
}

/** Everything of the lab that still exists. */
export async function leftovers(lab: LabRef): Promise<LabObject[]> {
  return (await backendFor(lab.backend)).objects(lab.name, lab.owner);
}

/** Removes everything carrying the lab's label (and owner, when given); returns what it removed. */
export async function sweepLab(lab: LabRef, log: (l: string) => void): Promise<string[]> {
  return (await backendFor(lab.backend)).deleteLab(lab.name, lab.owner, log);
}

/** The lab's running machines, found by label: name → the backend's id. */
export async function runningMachines(lab: LabRef): Promise<Map<string, string>> {
  const listed = await (await backendFor(lab.backend)).list(lab.name, lab.owner);
  return new Map(listed.filter((m) => m.state === "running").map((m) => [m.name, m.id]));
}

/** Every machine's logs (container output, the node's dockerd log) below .swarmlab/logs/<lab>/; kept after down. */
export async function collectLabLogs(lab: LabRef, root = PROJECT_ROOT): Promise<string[]> {
  return (await backendFor(lab.backend)).collectLogs(lab.name, logsDir(root, lab.name));
}

export function logsDir(root: string, lab: string): string {
  return path.join(root, LAB_DIR, PROJECT_ENTRIES.logs, checkedLabName(lab, "a lab's logs folder"));
}
