// The passphrase that encrypts the stacks' secrets (the lab's private key): by default a random one per project,
// in a gitignored file of mode 600, given to Pulumi as PULUMI_CONFIG_PASSPHRASE_FILE. A passphrase the user sets
// (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE) wins. A stack made before the project kept one was
// encrypted with an empty passphrase: it keeps that one until it is made again.
import { createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { LAB_DIR, privateFolder } from "../lab/lab-dir";
import { PROJECT_ENTRIES } from "../lab/lab-name";
import path from "node:path";
import { PROJECT_ROOT } from "../lab/project-root";

export const PASSPHRASE_FILE = path.join(PROJECT_ROOT, LAB_DIR, PROJECT_ENTRIES.passphrase);

export type PassphraseEnv = { PULUMI_CONFIG_PASSPHRASE: string } | { PULUMI_CONFIG_PASSPHRASE_FILE: string };

/** How Pulumi gets the passphrase for a stack (its settings file tells whether it was made with an empty one). */
export function passphraseEnv(stack?: string, env: NodeJS.ProcessEnv = process.env, root = PROJECT_ROOT): PassphraseEnv {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return { PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE };
  if (env.PULUMI_CONFIG_PASSPHRASE_FILE) return { PULUMI_CONFIG_PASSPHRASE_FILE: env.PULUMI_CONFIG_PASSPHRASE_FILE };
  const salt = stack ? encryptionSalt(path.join(root, `Pulumi.${stack}.yaml`)) : undefined;
  if (salt && saltOpensWith(salt, "")) return { PULUMI_CONFIG_PASSPHRASE: "" };
  return { PULUMI_CONFIG_PASSPHRASE_FILE: ensurePassphraseFile(path.join(root, LAB_DIR, PROJECT_ENTRIES.passphrase)) };
}

/** The project's passphrase file, made (random, mode 600) on first use. */
export function ensurePassphraseFile(file = PASSPHRASE_FILE): string {
  privateFolder(path.dirname(file));
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  }
  chmodSync(file, 0o600);
  return file;
}

function encryptionSalt(settingsFile: string): string | undefined {
  if (!existsSync(settingsFile)) return undefined;
  return /^encryptionsalt: (\S+)$/m.exec(readFileSync(settingsFile, "utf8"))?.[1];
}

/**
 * Whether a stack's `encryptionsalt` opens with the passphrase: Pulumi stores "v1:<salt>:v1:<nonce>:<sealed>", the
 * word "pulumi" sealed with AES-256-GCM under a key of PBKDF2-SHA256(passphrase, salt, 1,000,000 rounds).
 */
export function saltOpensWith(encryptionsalt: string, passphrase: string): boolean {
  const key = `${encryptionsalt}\0${passphrase}`;
  if (!opened.has(key)) opened.set(key, opens(encryptionsalt, passphrase));
  return opened.get(key)!;
}

/** A million PBKDF2 rounds take about half a second: each salt is tried once per process. */
const opened = new Map<string, boolean>();

function opens(encryptionsalt: string, passphrase: string): boolean {
  const [v1, salt, v1b, nonce, sealed] = encryptionsalt.split(":");
  if (v1 !== "v1" || v1b !== "v1" || !salt || !nonce || !sealed) return false;
  const key = pbkdf2Sync(passphrase, Buffer.from(salt, "base64"), 1_000_000, 32, "sha256");
  const box = Buffer.from(sealed, "base64");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
    decipher.setAuthTag(box.subarray(box.length - 16));
    return Buffer.concat([decipher.update(box.subarray(0, box.length - 16)), decipher.final()]).toString() === "pulumi";
  } catch {
    return false;
  }
}
