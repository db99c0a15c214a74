// Which hosts the ssh backend has let a lab into, kept in the project (.swarmlab/ssh-hosts.json): hosts are not this
// machine's to list, so down, clean and status find a lab's hosts here, and then its mark on each host (marks.ts)
// says whether the lab is still there. An entry goes only once its host has been given back.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { LAB_DIR } from "../../lab-dir";
import { withFileLock, writeWhole } from "../../locked-file";
import { stateFile } from "../../project-root";
import { stackOfOwner } from "../../types";
import type { HostLogin, LabIdentity, Role } from "../../types";

export const RECORD_FILE = path.join(LAB_DIR, "ssh-hosts.json");

export interface RecordedHost extends LabIdentity, HostLogin {
  name: string;
  role: Role;
  address: string;
  /** The host key the lab's node part recorded (from the stack's state; the record file pins keys apart). */
  hostKey?: string;
  /** Its jump host's key, as the node part recorded it. */
  jumpKey?: string;
}

export function readRecord(root: string): RecordedHost[] {
  const file = path.join(root, RECORD_FILE);
  if (!existsSync(file)) return [];
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { hosts?: RecordedHost[] };
  return parsed.hosts ?? [];
}

/** Changes the record under its lock: another run of the project (another stack coming up) may change it at once. */
function changeRecord(root: string, change: (hosts: RecordedHost[]) => RecordedHost[]): void {
  const file = path.join(root, RECORD_FILE);
  withFileLock(file, () => writeWhole(file, JSON.stringify({ hosts: change(readRecord(root)) }, null, 2) + "\n"));
}

const sameHost = (a: RecordedHost, b: RecordedHost) => a.lab === b.lab && a.owner === b.owner && a.name === b.name;

/** Records the host as the lab's (an entry of the same lab, owner and name is replaced). */
export function recordHost(root: string, host: RecordedHost): void {
  changeRecord(root, (hosts) => [...hosts.filter((h) => !sameHost(h, host)), host]);
}

export function forgetHost(root: string, host: RecordedHost): void {
  changeRecord(root, (hosts) => hosts.filter((h) => !sameHost(h, host)));
}

/**
 * The lab's hosts (of one owner, when given): those recorded here, and those the stack's state records (its node
 * parts: what a copy of the project, which has no .swarmlab/, still knows). `stack`: whose state to read when no
 * owner is given.
 */
export function hostsOf(root: string, lab: string, owner?: string, stack?: string): RecordedHost[] {
  const recorded = recordedHosts(root, lab, owner);
  const inState = hostsInState(root, owner ? stackOfOwner(owner) : stack).filter((h) => h.lab === lab && (owner === undefined || h.owner === owner));
  return [...recorded, ...inState.filter((s) => !recorded.some((r) => r.name === s.name && r.owner === s.owner))];
}

/** The lab's hosts this project's record file holds (of one owner, when given). */
export function recordedHosts(root: string, lab: string, owner?: string): RecordedHost[] {
  return readRecord(root).filter((h) => h.lab === lab && (owner === undefined || h.owner === owner));
}

const NODE_TYPE = "pulumi-nodejs:dynamic/swarmlab:Node";

/** The hosts a stack's state records: node parts with a login (the file backend's plain JSON; none when unreadable). */
export function hostsInState(root: string, stack: string | undefined): RecordedHost[] {
  if (!stack || stack.includes("/")) return [];
  type Resource = { type?: string; outputs?: Record<string, unknown> };
  let resources: Resource[];
  try {
    const state = JSON.parse(readFileSync(stateFile(stack, path.join(root, ".pulumi-state")), "utf8"));
    resources = state?.checkpoint?.latest?.resources ?? [];
  } catch {
    return [];
  }
  return resources
    .filter((r) => r.type === NODE_TYPE && typeof r.outputs?.login === "object" && r.outputs.login)
    .map((r) => {
      const o = r.outputs as Record<string, unknown> & { login: HostLogin };
      const { user, port, key, jump } = o.login;
      const host = { lab: String(o.lab), owner: String(o.owner), name: String(o.name), role: o.role as Role, address: String(o.address) };
      const jumpKey = (o.jump as { hostKey?: string } | undefined)?.hostKey;
      return {
        ...host,
        user,
        port,
        ...(key ? { key } : {}),
        ...(jump ? { jump } : {}),
        ...(typeof o.hostKey === "string" ? { hostKey: o.hostKey } : {}),
        ...(jumpKey ? { jumpKey } : {}),
      };
    });
}

/** The backend's id of a host: where its sshd is, as the user logs in. */
export function machineId(h: HostLogin & { address: string }): string {
  return `ssh://${h.user}@${h.address}:${h.port}`;
}
