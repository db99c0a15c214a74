// The lab's folder in the project, .swarmlab/<lab>/ (gitignored): the SSH key copy, known_hosts and the lab's log.
// Paths given out are relative to the project folder, so nothing in the stack depends on where the checkout is.
// Every path here passes the lab-name rule (lab/lab-name.ts): no name reaches the project's own files beside it.
import { appendFileSync, chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { checkedLabName } from "./lab-name";

export const LAB_DIR = ".swarmlab";

/** The lab's folder relative to the project folder. */
export function labDirRelative(lab: string): string {
  return path.join(LAB_DIR, checkedLabName(lab, "a lab's folder"));
}

export function labDir(root: string, lab: string): string {
  return path.join(root, labDirRelative(lab));
}

export const KEY_FILE = "id_ed25519";
export const KNOWN_HOSTS = "known_hosts";

export function labLogger(root: string, lab: string): (line: string) => void {
  const dir = labDir(root, lab);
  let made = false; // the folder is made at the first line: a logger that writes nothing must not recreate it
  return (line) => {
    if (!made) {
      privateFolder(dir);
      made = true;
    }
    appendFileSync(path.join(dir, "lab.log"), `${new Date().toISOString()} ${line}\n`);
  };
}

/** Writes the copy of the lab's private key for `ssh -i` (mode 600, also over an existing file); false if it was there. */
export function writeKeyCopy(root: string, lab: string, privateKey: string): boolean {
  const file = path.join(labDir(root, lab), KEY_FILE);
  privateFolder(path.dirname(file));
  const same = existsSync(file) && readFileSync(file, "utf8") === privateKey;
  if (!same) writeFileSync(file, privateKey, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode on write
  return !same;
}

/** A folder only its owner may enter (made if missing; an existing one is closed too). */
export function privateFolder(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/**
 * Removes the lab's folder, or a folder below it (`below`: plain names, e.g. "vagrant", "swarm-worker1"). Refuses,
 * removing nothing, whatever is not provably inside .swarmlab/<lab>/: a name that is not a lab's, a path part that
 * climbs or is empty, a link on the way (it could point anywhere).
 */
export function removeLabDir(root: string, lab: string, ...below: string[]): void {
  rmSync(confinedPath(root, lab, below), { recursive: true, force: true });
}

/** .swarmlab/<lab>/<below…> resolved, after the checks removeLabDir names. */
export function confinedPath(root: string, lab: string, below: readonly string[] = []): string {
  const state = path.resolve(root, LAB_DIR);
  let target = path.join(state, checkedLabName(lab, "the lab folder to remove"));
  for (const part of below) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(part) || part.includes("..")) {
      throw new Error(
        `refused to remove ${JSON.stringify(path.join(target, part))}: ${JSON.stringify(part)} is not a plain name below the lab's folder; nothing was removed`,
      );
    }
    target = path.join(target, part);
  }
  for (let p = target; p !== state; p = path.dirname(p)) {
    if (lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw new Error(`refused to remove ${target}: ${p} is a link, not a folder swarmlab made; nothing was removed`);
    }
  }
  return target;
}

/** Keeps .swarmlab/<lab>/known_hosts in step with the host keys recorded at creation, for `ssh` by hand. */
export function recordHostKey(root: string, lab: string, host: string, hostKey: string): void {
  const file = path.join(labDir(root, lab), KNOWN_HOSTS);
  const others = existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l && !l.startsWith(`${host} `))
    : [];
  privateFolder(path.dirname(file));
  writeFileSync(file, [...others, `${host} ${hostKey}`].join("\n") + "\n");
}
