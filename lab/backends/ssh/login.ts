// The user's own login to a host they have: their key file or their SSH agent, the host's key pinned on first
// contact (known-hosts.ts). Used to look at the host before anything is made, to authorise the lab's own key and to
// take back what the lab made; everything else reaches the host over the lab's key, as on every backend.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "ssh2";
import { NodeSession } from "../../remote";
import type { HostLogin } from "../../types";
import { pinHostKey, publicKeyOf } from "./known-hosts";

/** A host as the backend reaches it with the user's login. */
export interface LoginTarget extends HostLogin {
  name: string;
  address: string;
  /** The key the lab recorded for it, if any (pinned first where .swarmlab/known_hosts has none). */
  recordedKey?: string;
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
export function offeredHostKey(address: string, port: number, timeoutMs = SCAN_TIMEOUT_MS): Promise<string> {
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
        host: address,
        port,
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
): Promise<{ session: NodeSession; hostKey: string; pinned: boolean }> {
  const { key: hostKey, pinned } = pinHostKey(root, h.address, h.port, await offeredHostKey(h.address, h.port), h.recordedKey);
  const session = await NodeSession.connect(
    { name: h.name, host: h.address, port: h.port, username: h.user, hostKey, ...credentialsOf(h) },
    timeoutMs,
  );
  return { session, hostKey, pinned };
}
