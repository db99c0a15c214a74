// Which machine the Docker engine runs on, and a way to read that machine's files and programs. The lab's nodes run
// on the engine's machine: with Docker Desktop (a VM) or a remote DOCKER_HOST that is not this one, and its kernel,
// routes and addresses are the ones the doctor and the program must judge. When the engine is this machine (the
// usual case) everything is read here, as before, at no extra cost but one `docker info` shared with the doctor.
// Otherwise ONE short-lived probe container on the engine (in its host's network namespace, the host's root bound
// read-only at /host for /boot and /lib/modules) prints every file and command the readers may ask for, and the
// readers answer from that.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import execa from "execa";
import { demuxed, unless404 } from "./engine-api";

/** What the doctor and the program read of a machine: files, folders and programs, as on that machine. */
export interface MachineReader {
  /** The kernel release (uname -r). */
  release: string;
  /** Rejects when the file is missing or unreadable. */
  readFile(file: string): Promise<Buffer>;
  /** Rejects when the folder is missing. */
  readdir(dir: string): Promise<string[]>;
  exists(file: string): Promise<boolean>;
  /** A program's stdout; rejects when it fails or is missing. */
  run(file: string, args: string[]): Promise<string>;
}

/** The machine the engine runs on. */
export interface EngineMachine {
  /** The engine is this machine: what is read here is the nodes' machine. */
  local: boolean;
  /** Which machine was looked at, for reports: "this machine", "the engine's machine vm (Linux 6.1.0)". */
  says: string;
  reader: MachineReader;
}

/** This machine, read directly. */
export const LOCAL_READER: MachineReader = {
  release: os.release(),
  readFile: (file) => fs.readFile(file),
  readdir: (dir) => fs.readdir(dir),
  exists: (file) =>
    fs.access(file).then(
      () => true,
      () => false,
    ),
  run: async (file, args) => (await execa(file, args)).stdout,
};

export const LOCAL_MACHINE: EngineMachine = { local: true, says: "this machine", reader: LOCAL_READER };

/** What `docker info` says of the engine's machine. */
export interface EngineIdentity {
  /** docker info's Name: the engine host's hostname. */
  name: string;
  /** docker info's KernelVersion. */
  kernel: string;
}

/**
 * Whether the engine is this machine: reached through a socket here (DOCKER_HOST unset or unix://), and reporting
 * this machine's hostname and kernel. Docker Desktop on Linux has a socket here, but its engine runs in a VM of
 * another name and kernel.
 */
export function isThisMachine(
  dockerHost: string | undefined,
  engine: EngineIdentity,
  here: EngineIdentity = { name: os.hostname(), kernel: os.release() },
): boolean {
  const localSocket = !dockerHost || dockerHost.startsWith("unix://");
  return localSocket && engine.name === here.name && engine.kernel === here.kernel;
}

/** Whether the engine `docker` answers for is this machine (isThisMachine on its `docker info`, asked once). */
export async function engineIsHere(docker: Docker, dockerHost = process.env.DOCKER_HOST): Promise<boolean> {
  const info = await engineInfo(docker);
  return isThisMachine(dockerHost, { name: info.Name ?? "", kernel: info.KernelVersion ?? "" });
}

/**
 * Whether this process is in the engine's own network namespace (that of dockerd, by its pid file), where this
 * machine's iptables are the engine host's. Not so for a client in a namespace of its own (a devcontainer with the
 * engine's socket, `ip netns exec`), though the engine is this machine; unreadable (not root, no pid file): not so.
 */
export async function inEngineNetwork(pidFile = "/var/run/docker.pid"): Promise<boolean> {
  try {
    const pid = (await fs.readFile(pidFile, "utf8")).trim();
    const [mine, its] = await Promise.all([fs.readlink("/proc/self/ns/net"), fs.readlink(`/proc/${pid}/ns/net`)]);
    return mine === its;
  } catch {
    return false;
  }
}

/** What the lab reads of `docker info`. */
export interface EngineInfo {
  Name?: string;
  KernelVersion?: string;
  Driver?: string;
  DefaultAddressPools?: { Base: string; Size: number }[];
}

const infos = new WeakMap<Docker, Promise<EngineInfo>>();

/** `docker info`, asked once per client: the doctor's engine line and the machine decision share it. */
export function engineInfo(docker: Docker): Promise<EngineInfo> {
  let info = infos.get(docker);
  if (!info) {
    info = docker.info() as Promise<EngineInfo>;
    infos.set(docker, info);
  }
  return info;
}

const machines = new WeakMap<Docker, Promise<EngineMachine>>();

/**
 * The engine's machine, decided once per client. An engine that does not answer leaves this machine (what else
 * could be read); a probe that fails leaves it too, saying so in `says`.
 */
export function engineMachine(docker: Docker, dockerHost = process.env.DOCKER_HOST): Promise<EngineMachine> {
  let machine = machines.get(docker);
  if (!machine) {
    machine = decide(docker, dockerHost);
    machines.set(docker, machine);
  }
  return machine;
}

async function decide(docker: Docker, dockerHost: string | undefined): Promise<EngineMachine> {
  const info = await engineInfo(docker).catch(() => undefined);
  if (!info) return LOCAL_MACHINE;
  const identity = { name: info.Name ?? "", kernel: info.KernelVersion ?? "" };
  if (isThisMachine(dockerHost, identity)) return LOCAL_MACHINE;
  const says = `the engine's machine ${identity.name} (Linux ${identity.kernel})`;
  try {
    return { local: false, says, reader: snapshotReader(parseProbe(await runProbe(docker))) };
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").slice(0, 200);
    return { ...LOCAL_MACHINE, says: `this machine, not ${says}: the probe through the engine failed (${why})` };
  }
}

// ---------------------------------------------------------------- the probe

/** What the probe prints: each file, folder listing, existence and command output the readers may be asked. */
const PROBED = {
  files: [
    "/proc/config.gz",
    "/boot/config-$r",
    "/proc/filesystems",
    "/proc/crypto",
    "/proc/sys/net/bridge/bridge-nf-call-iptables",
    "/proc/net/route",
  ],
  dirs: ["/sys/module"],
  exists: ["/lib/modules/$r", "/proc/net/ip_vs", "/sys/fs/cgroup/cgroup.controllers", "/sys/fs/cgroup"],
  commands: ["ip -j -4 route show table all", "ip -j -4 addr show"],
};

/**
 * A POSIX sh script printing one line per entry: `<kind>\t<key>\t<base64 of the content>`, or `-` for missing.
 * Lines rather than JSON: the node image (and busybox) have no JSON tool; the client makes the JSON-like snapshot.
 * $r is the kernel release, as uname -r says it there.
 */
export function probeScript(): string {
  const entry = (kind: string, key: string, command: string) =>
    `if ${command} >/tmp/o 2>/dev/null; then printf '%s\\t%s\\t' ${kind} "${key}"; base64 </tmp/o | tr -d '\\n'; echo; ` +
    `else printf '%s\\t%s\\t-\\n' ${kind} "${key}"; fi`;
  return [
    "r=$(uname -r)",
    `printf 'release\\t-\\t%s\\n' "$r"`,
    ...PROBED.files.map((f) => entry("file", f, `cat "${onHost(f)}"`)),
    ...PROBED.dirs.map((d) => entry("dir", d, `ls -1 "${onHost(d)}"`)),
    ...PROBED.exists.map((f) => entry("exists", f, `test -e "${onHost(f)}"`)),
    ...PROBED.commands.map((c) => entry("cmd", c, c)),
  ].join("\n");
}

/** Where the probe finds a host's file: /boot and /lib/modules through the host's root at /host, /proc and /sys as they are. */
function onHost(file: string): string {
  return /^\/(boot|lib\/modules)\//.test(file) ? `/host${file}` : file;
}

/** What the probe saw: the release, and each entry by "<kind> <key>" (undefined content: missing or failed). */
export interface ProbeSnapshot {
  release: string;
  entries: Map<string, Buffer | undefined>;
}

export function parseProbe(text: string): ProbeSnapshot {
  const entries = new Map<string, Buffer | undefined>();
  let release = "";
  for (const line of text.split("\n")) {
    const [kind, key, content] = line.replace(/\r$/, "").split("\t");
    if (content === undefined) continue;
    if (kind === "release") release = content;
    else entries.set(`${kind} ${key}`, content === "-" ? undefined : Buffer.from(content, "base64"));
  }
  if (!release) throw new Error(`the probe printed no kernel release: ${text.trim().slice(0, 200) || "nothing"}`);
  return { release, entries };
}

/** Reads answered from a probe's snapshot, as they would be on the engine's machine. */
export function snapshotReader(s: ProbeSnapshot): MachineReader {
  const missing = (what: string) => Object.assign(new Error(`${what}: not on the engine's machine`), { code: "ENOENT" });
  const get = async (key: string) => {
    const found = s.entries.get(key);
    if (found === undefined) throw missing(key);
    return found;
  };
  return {
    release: s.release,
    readFile: (file) => get(`file ${file}`),
    readdir: async (dir) => (await get(`dir ${dir}`)).toString().split("\n").filter(Boolean),
    exists: async (file) => s.entries.get(`exists ${file}`) !== undefined,
    run: async (file, args) => (await get(`cmd ${[path.basename(file), ...args].join(" ")}`)).toString(),
  };
}

/** The images the probe may run, the lab's first: one the lab has on the engine (nothing is pulled). */
const PROBE_IMAGES = ["swarmlab-node:latest", "busybox:latest"];
const PROBE_TIMEOUT_MS = 20_000;

/** Runs the probe container once and returns what it printed. */
async function runProbe(docker: Docker): Promise<string> {
  const image = await firstPresent(docker, PROBE_IMAGES);
  if (!image) throw new Error(`none of ${PROBE_IMAGES.join(", ")} is on the engine: npm run up makes them`);
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ["sh", "-c"],
    Cmd: [probeScript()],
    Labels: { "swarmlab.probe": "engine-host" },
    HostConfig: {
      NetworkMode: "host", // the host's routes, addresses and /proc/net, not a container's
      // The kernel's config (/boot) and modules (/lib/modules), through the host's root, read-only: a bind of
      // /lib/modules itself would make it on a host that has none (Docker creates a missing bind source).
      Binds: ["/:/host:ro"],
      AutoRemove: false, // removed below, once its output is read
    },
  });
  try {
    await container.start();
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`the probe did not end within ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS).unref(),
    );
    const ended = (await Promise.race([container.wait(), timeout])) as { StatusCode: number };
    const raw = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const text = demuxed(raw);
    if (ended.StatusCode !== 0) throw new Error(`the probe exited ${ended.StatusCode}: ${text.trim().slice(-200)}`);
    return text;
  } finally {
    await unless404(container.remove({ force: true })).catch(() => undefined);
  }
}

async function firstPresent(docker: Docker, images: string[]): Promise<string | undefined> {
  for (const image of images) if (await unless404(docker.getImage(image).inspect())) return image;
  return undefined;
}
