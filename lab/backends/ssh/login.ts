// The user's own login to a host they have: their key file or their SSH agent, the host's key pinned on first
// contact (known-hosts.ts); a host behind a jump host is reached through it, with the same credentials, the jump
// host's key pinned likewise. Used to look at the host before anything is made, to authorise the lab's own key and to
// take back what the lab made; everything else reaches the host over the lab's key, as on every backend.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "ssh2";
import type { Duplex } from "node:stream";
import { jumpStream, NodeSession } from "../../remote";
import type { HostLogin, JumpAccess } from "../../types";
import { pinHostKey, publicKeyOf } from "./known-hosts";

/** A host as the backend reaches it with the user's login. */
export interface LoginTarget extends HostLogin {
  name: string;
  address: string;
  /** The key the lab recorded for it, if any (pinned first where .swarmlab/known_hosts has none). */
  recordedKey?: string;
  /** The key the lab recorded for its jump host, if any. */
  recordedJumpKey?: string;
}

/** The host key types asked for, in this order: the handshake's choice, and so the key pinned, stays the same. */
export const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256"];

const SCAN_TIMEOUT_MS = 10_000;

/** "~/x" → the home folder's x. */
export function expandHome(file: string): string {
  return file === "~" || file.startsWith("~/") ? path.join(os.homedir(), file.slice(1)) : file;
}

/** How the user's credentials are given to ssh2: the key file's text, or the agent's socket. */
export function credentialsOf(h: HostLogin, env: NodeJS.ProcessEnv = process.env): { privateKey: string; agent?: string } {
  if (h.key) return { privateKey: readFileSync(expandHome(h.key), "utf8") };
  if (!env.SSH_AUTH_SOCK) throw new Error("no key file is set for it and no SSH agent runs (SSH_AUTH_SOCK is unset)");
  return { privateKey: "", agent: env.SSH_AUTH_SOCK };
}

/** The host key the host offers, read in a handshake that goes no further (no credentials are sent). */
export function offeredHostKey(address: string, port: number, timeoutMs = SCAN_TIMEOUT_MS, sock?: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let offered: string | undefined;
    client
      .on("error", (err) => (offered ? resolve(offered) : reject(err)))
      .on("ready", () => {
        client.end();
        reject(new Error("the handshake went on past the host key"));
      })
      .connect({
        ...(sock ? { sock } : { host: address, port }),
        username: "swarmlab-host-key-scan",
        readyTimeout: timeoutMs,
        algorithms: { serverHostKey: HOST_KEY_TYPES as never },
        hostVerifier: (key: Buffer) => {
          offered = publicKeyOf(key);
          return false; // stop here: only the key was wanted
        },
      });
  });
}

/**
 * A session with the user's login, the host key checked against the pinned one (pinned now on first contact). Throws
 * HostKeyChanged for a key that differs from the pinned one, before any credential is sent.
 */
export async function loginSession(
  root: string,
  h: LoginTarget,
  timeoutMs = 15_000,
): Promise<{ session: NodeSession; hostKey: string; pinned: boolean; jump?: JumpAccess & { pinned: boolean } }> {
  const credentials = credentialsOf(h);
  const jump = h.jump ? await pinnedJump(root, h.jump, h.recordedJumpKey) : undefined;
  const jumpTarget = jump && { host: jump.address, port: jump.port, username: jump.user, hostKey: jump.hostKey };
  const { key: hostKey, pinned } = pinHostKey(root, h.address, h.port, await offeredKeyOf(h, jumpTarget, credentials), h.recordedKey);
  const session = await NodeSession.connect(
    { name: h.name, host: h.address, port: h.port, username: h.user, hostKey, ...credentials, ...(jumpTarget ? { jump: jumpTarget } : {}) },
    timeoutMs,
  );
  return { session, hostKey, pinned, ...(jump ? { jump } : {}) };
}

/** The jump host with its key, pinned as a host's is (a changed key throws HostKeyChanged before any credential goes). */
async function pinnedJump(root: string, j: NonNullable<HostLogin["jump"]>, recorded?: string): Promise<JumpAccess & { pinned: boolean }> {
  const { key, pinned } = pinHostKey(root, j.address, j.port, await offeredHostKey(j.address, j.port), recorded);
  return { ...j, hostKey: key, pinned };
}

/** The host's offered key: read directly, or through the jump host (logged in there, a channel forwarded to the host). */
async function offeredKeyOf(
  h: LoginTarget,
  jump: { host: string; port: number; username: string; hostKey: string } | undefined,
  credentials: ReturnType<typeof credentialsOf>,
): Promise<string> {
  if (!jump) return offeredHostKey(h.address, h.port);
  const { stream, jump: client } = await jumpStream({ name: `${h.name}'s jump host`, ...jump, ...credentials }, h.address, h.port, SCAN_TIMEOUT_MS);
  try {
    return await offeredHostKey(h.address, h.port, SCAN_TIMEOUT_MS, stream);
  } finally {
    client.end();
  }
}
