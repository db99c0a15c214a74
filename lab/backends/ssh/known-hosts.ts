// The hosts' SSH keys, pinned on first contact in a file the project keeps (.swarmlab/known_hosts, OpenSSH's format,
// so `ssh -o UserKnownHostsFile=.swarmlab/known_hosts` trusts the same keys). A key that differs from the one recorded
// is refused with both fingerprints: the tools that provision over SSH and skip this check (Ansible's default,
// docker-machine's generic driver) would hand the lab's key and the swarm's join token to whoever answers.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { LAB_DIR } from "../../lab-dir";
import { withFileLock, writeWhole } from "../../locked-file";

export const KNOWN_HOSTS_FILE = path.join(LAB_DIR, "known_hosts");

/** OpenSSH's name of a host in known_hosts: the address, or [address]:port off port 22. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** OpenSSH's fingerprint of a public key ("ssh-ed25519 AAAA…"): SHA256:<base64 without padding>. */
export function fingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? "", "base64");
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** A key blob as sent in the handshake → "type base64" (its type is the blob's first string). */
export function publicKeyOf(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return `${blob.subarray(4, 4 + length).toString("ascii")} ${blob.toString("base64")}`;
}

/** The host's key changed since it was pinned: refused, with both fingerprints and the way to trust the new one. */
export class HostKeyChanged extends Error {
  constructor(
    readonly host: string,
    readonly recorded: string,
    readonly offered: string,
    readonly file: string,
  ) {
    super(
      `${host} offers a host key other than the one pinned in ${file}: recorded ${fingerprint(recorded)}, offered ${fingerprint(offered)}; ` +
        "someone may be in the middle, or the host was reinstalled",
    );
    this.name = "HostKeyChanged";
  }

  /** Only once the host's owner confirms the new fingerprint (on its console: ssh-keygen -lf /etc/ssh/ssh_host_*.pub). */
  get fix(): string {
    return `if the host's console shows ${fingerprint(this.offered)} (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), forget the old key: ssh-keygen -R '${this.host}' -f ${this.file}; then npm run up`;
  }
}

/**
 * The key to trust for the host: the pinned one when it is the one offered; the offered one, pinned now, on first
 * contact (`pinned`: true). Throws HostKeyChanged when the host offers another key than the one pinned.
 */
export function pinHostKey(root: string, address: string, port: number, offered: string, recordedKey?: string): { key: string; pinned: boolean } {
  const file = path.join(root, KNOWN_HOSTS_FILE);
  // under the file's lock: another run of the project may pin its hosts at once
  return withFileLock(file, () => pinUnderLock(file, address, port, offered, recordedKey));
}

function pinUnderLock(file: string, address: string, port: number, offered: string, recordedKey?: string): { key: string; pinned: boolean } {
  const host = knownHostName(address, port);
  const lines = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  // a key the lab recorded (the stack's state, in a copy of the project without this file) is pinned first
  if (recordedKey && !lines.some((l) => l.startsWith(`${host} `))) {
    lines.push(`${host} ${recordedKey.trim()}`);
    writeWhole(file, lines.join("\n") + "\n", 0o644);
  }
  const type = offered.split(/\s+/)[0];
  const recorded = lines.map((l) => l.split(/\s+/)).find(([h, t]) => h === host && t === type);
  const same = (a: string, b: string) => a.split(/\s+/)[1] === b.split(/\s+/)[1];
  if (recorded) {
    const key = `${recorded[1]} ${recorded[2]}`;
    if (!same(key, offered)) throw new HostKeyChanged(host, key, offered, KNOWN_HOSTS_FILE);
    return { key, pinned: false };
  }
  // a host pinned with a key of another type that now offers this one is a changed key too
  const other = lines.map((l) => l.split(/\s+/)).find(([h]) => h === host);
  if (other) throw new HostKeyChanged(host, `${other[1]} ${other[2]}`, offered, KNOWN_HOSTS_FILE);
  writeWhole(file, [...lines, `${host} ${offered.trim()}`].join("\n") + "\n", 0o644);
  return { key: offered.trim(), pinned: true };
}
