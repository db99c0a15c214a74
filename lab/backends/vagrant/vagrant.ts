// Running Vagrant for one machine of a lab. Each node has its own VAGRANT_DOTFILE_PATH (.swarmlab/<lab>/vagrant/<node>)
// and an environment that describes that one machine to the Vagrantfile (SWARMLAB_NODE=name:role:ip, SWARMLAB_LAB,
// SWARMLAB_OWNER, SWARMLAB_AUTHORIZED_KEY, the lab's subnets): nodes are made and removed independently, by
// separate processes, and never share Vagrant's machine index entries.
import { PROJECT_ROOT } from "../../project-root";
import { createWriteStream, existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa, ExecaReturnValue } from "./execa";
import { checkSwarmlabRoot, isSwarmlabCheckout } from "../../env";
import { KEY_FILE, labDir, removeLabDir } from "../../lab-dir";
import type { Role } from "../../types";
import type { Log } from "../backend";
import { assertInstalled, MissingProgram, programNamed, runProgram, spawnMissing } from "./programs";
import type { VagrantProvider } from "./settings";

/** Where the Vagrantfile is: this checkout. */
export const CODE_ROOT = PROJECT_ROOT;
/**
 * A host-wide lock that one `vagrant up` holds until its domain starts: vagrant-libvirt copies the box into the
 * storage pool on first use and defines the domain without a lock between processes. The boots themselves overlap.
 * SWARMLAB_PARALLEL=1 takes no lock at all.
 */
export const UP_LOCK = path.join(os.tmpdir(), "swarmlab-vagrant-up.lock");
/** The line after which the machine only boots: the lock is released then. */
const DOMAIN_STARTED = /==> [^:]+: Starting domain\./;
/** A machine that is not up by then is reported as failed (three one after the other took up to 20 min here). */
export const UP_TIMEOUT_MS = 30 * 60_000;

/** What the Vagrantfile needs to know to make one machine of a lab. */
export interface VagrantMachine {
  lab: string;
  owner: string;
  name: string;
  role: Role;
  address: string;
  /** The lab network, a /24 (the Vagrantfile's rule). */
  subnet: string;
  /** Vagrant's management network (libvirt), a /24 the backend chose and made. */
  mgmtSubnet: string;
  /** The lab's public key, for user vagrant. */
  authorizedKey: string;
  provider: VagrantProvider;
}

/**
 * The project folder the lab's folder (.swarmlab/<lab>/) is in: SWARMLAB_ROOT, else this checkout. A SWARMLAB_ROOT
 * that is relative or no checkout is refused (lab/env.ts's checkSwarmlabRoot, its fix offering this checkout) before
 * any folder of it is made or removed.
 */
export function projectRoot(): string {
  const isCheckout = (dir: string) => isSwarmlabCheckout(dir, existsSync);
  return checkSwarmlabRoot(process.env.SWARMLAB_ROOT, isCheckout, CODE_ROOT) ?? CODE_ROOT;
}

/** The node's own Vagrant folder (machine ids, Vagrant's private key for it). */
export function dotfilePath(root: string, lab: string, node: string): string {
  return path.join(labDir(root, lab), "vagrant", node);
}

/**
 * The environment of a vagrant command for the machine: the caller's, without its own SWARMLAB_* and Vagrant
 * folder settings (a user's SWARMLAB_WORKERS or VAGRANT_CWD must not change which machine this is), plus the
 * machine's.
 */
export function vagrantEnv(m: VagrantMachine, root: string, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (
      v === undefined ||
      k.startsWith("SWARMLAB_") ||
      ["VAGRANT_CWD", "VAGRANT_DOTFILE_PATH", "VAGRANT_VAGRANTFILE", "VAGRANT_DEFAULT_PROVIDER"].includes(k)
    )
      continue;
    env[k] = v;
  }
  return {
    ...env,
    VAGRANT_CWD: CODE_ROOT,
    VAGRANT_DOTFILE_PATH: dotfilePath(root, m.lab, m.name),
    VAGRANT_DEFAULT_PROVIDER: m.provider,
    VAGRANT_CHECKPOINT_DISABLE: "1",
    VAGRANT_BOX_UPDATE_CHECK_DISABLE: "1",
    VAGRANT_NO_COLOR: "1",
    SWARMLAB_NODE: `${m.name}:${m.role}:${m.address}`,
    SWARMLAB_LAB: m.lab,
    SWARMLAB_OWNER: m.owner,
    SWARMLAB_AUTHORIZED_KEY: m.authorizedKey.trim(),
    SWARMLAB_PRIVATE_KEY_FILE: privateKeyFile(root, m.lab),
    SWARMLAB_SUBNET: m.subnet,
    SWARMLAB_LIBVIRT_MGMT_SUBNET: m.mgmtSubnet,
    ...(base.SWARMLAB_LIBVIRT_DRIVER ? { SWARMLAB_LIBVIRT_DRIVER: base.SWARMLAB_LIBVIRT_DRIVER } : {}),
  };
}

/**
 * Takes the host-wide lock (flock(1) in a child that holds it until its stdin closes: at release, or when this
 * process dies) and returns its release.
 */
export async function takeUpLock(lock = UP_LOCK): Promise<() => void> {
  const holder = execa("flock", [lock, "sh", "-c", "echo locked; read _"], { reject: false, stdin: "pipe" });
  await new Promise<void>((resolve, reject) => {
    holder.stdout?.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
    void holder.then((r) => {
      if (spawnMissing(r)) reject(new MissingProgram(programNamed("flock")));
      else reject(new Error(`could not take the lock ${lock}: ${r.stderr || `exit ${r.exitCode}`}`));
    });
  });
  return () => holder.stdin?.end();
}

/** The host key the machine's provisioner (vagrant/lab-node.sh) printed: "swarmlab-host-key ssh-ed25519 AAAA…". */
export function hostKeyOf(transcript: string): string | undefined {
  return /swarmlab-host-key (ssh-ed25519 [A-Za-z0-9+/=]+)/.exec(transcript)?.[1];
}

/**
 * `vagrant up` of one machine, from a fresh Vagrant folder (what a machine of that name left is the caller's to
 * remove first). Vagrant's own lines ("==> swarm-manager: …") go to the log as they come; all of its output is kept
 * in the node's Vagrant folder (up.log). Returns the machine's SSH host key, as its provisioner printed it.
 */
export async function vagrantUp(m: VagrantMachine, root: string, log: Log, parallel = process.env.SWARMLAB_PARALLEL === "1"): Promise<string> {
  assertInstalled("vagrant"); // before its folder is replaced and the lock taken
  const dotfile = dotfilePath(root, m.lab, m.name);
  removeLabDir(root, m.lab, "vagrant", m.name);
  mkdirSync(dotfile, { recursive: true, mode: 0o700 });
  const transcript = createWriteStream(path.join(dotfile, "up.log"));
  const started = Date.now();
  let release = parallel ? () => {} : await takeUpLock();
  const acquired = Date.now();
  const waited = (acquired - started) / 1000;
  if (waited > 2) log(`${m.name}: waited ${waited.toFixed(0)}s for another vagrant up on this machine to start its VM`);
  const child = execa("vagrant", ["up", m.name, `--provider=${m.provider}`, "--no-color"], {
    env: vagrantEnv(m, root),
    extendEnv: false,
    cwd: CODE_ROOT,
    all: true,
    reject: false,
    timeout: UP_TIMEOUT_MS,
  });
  let pending = "";
  child.all?.on("data", (chunk: Buffer) => {
    transcript.write(chunk);
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (DOMAIN_STARTED.test(line)) {
        release();
        release = () => {};
      }
      if (/^==> /.test(line) && PROGRESS.test(line)) log(`${m.name}: ${line.replace(/^==> [^:]+: /, "").trim()}`);
    }
  });
  const r = await child.finally(() => release());
  transcript.end();
  if (spawnMissing(r)) throw new MissingProgram(programNamed("vagrant")); // removed since the check above
  if (r.exitCode !== 0) {
    const tail = (r.all ?? "").split("\n").filter(Boolean).slice(-8).join("\n  ");
    throw new Error(
      `vagrant up ${m.name} failed (exit ${r.exitCode}${r.timedOut ? ", timed out" : ""}; transcript ${path.join(dotfile, "up.log")}):\n  ${tail}`,
    );
  }
  const hostKey = hostKeyOf(r.all ?? "");
  if (!hostKey)
    throw new Error(
      `${m.name}: vagrant up printed no host key (swarmlab-host-key …: vagrant/lab-node.sh did not run?); transcript ${path.join(dotfile, "up.log")}`,
    );
  log(`${m.name}: VM up in ${((Date.now() - acquired) / 1000).toFixed(0)}s (vagrant up)`);
  return hostKey;
}

/** Which of Vagrant's lines are worth showing as progress. */
const PROGRESS =
  /Uploading base box|Creating image|Creating domain with|Starting domain|Waiting for domain to get an IP|Waiting for machine to boot|Machine booted|Setting hostname|Configuring and enabling network|Running provisioner|Docker version/;

/** The lab's private key (the key part's copy): Vagrant logs in with it once the machine has its public half. */
export function privateKeyFile(root: string, lab: string): string {
  return path.join(labDir(root, lab), KEY_FILE);
}

/** Runs a command in the machine through `vagrant ssh` (Vagrant's own key and channel: the management network). */
export async function vagrantSsh(
  m: Pick<VagrantMachine, "lab" | "name"> & Partial<VagrantMachine>,
  root: string,
  command: string,
  timeoutMs = 60_000,
): Promise<ExecaReturnValue> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("SWARMLAB_") && k !== "VAGRANT_CWD") env[k] = v;
  // The Vagrantfile needs no machine description to reach a machine it made: its id is in the Vagrant folder.
  // Describing it anyway keeps the Vagrantfile's machine list to that one machine.
  return runProgram("vagrant", ["ssh", m.name, "-c", command, "--", "-o", "LogLevel=ERROR"], {
    env: {
      ...env,
      VAGRANT_CWD: CODE_ROOT,
      VAGRANT_DOTFILE_PATH: dotfilePath(root, m.lab, m.name),
      VAGRANT_CHECKPOINT_DISABLE: "1",
      ...machineEnv(m, root),
    },
    extendEnv: false,
    reject: false,
    timeout: timeoutMs,
  });
}

/** SWARMLAB_NODE & co. for a vagrant command on a machine already made (the key and role do not matter then). */
function machineEnv(m: Pick<VagrantMachine, "lab" | "name"> & Partial<VagrantMachine>, root: string): Record<string, string> {
  return {
    SWARMLAB_NODE: `${m.name}:${m.role ?? "worker"}:${m.address ?? "192.168.0.1"}`,
    SWARMLAB_LAB: m.lab,
    SWARMLAB_OWNER: m.owner ?? "unknown",
    SWARMLAB_AUTHORIZED_KEY: m.authorizedKey?.trim() ?? "ssh-ed25519 AAAA",
    SWARMLAB_PRIVATE_KEY_FILE: privateKeyFile(root, m.lab),
    ...(m.subnet ? { SWARMLAB_SUBNET: m.subnet } : {}),
    ...(m.mgmtSubnet ? { SWARMLAB_LIBVIRT_MGMT_SUBNET: m.mgmtSubnet } : {}),
  };
}
