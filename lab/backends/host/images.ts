// The images every lab takes from this host's Docker engine, whichever backend makes its machines, made locally when
// no registry answers:
//   busybox:latest          the service's image and the upstream's (registry, or Debian's busybox-static + import)
// and what making an image takes (pull with a deadline, build, import of a root filesystem, apt-get), which the docker
// backend's own images (lab/backends/docker/images.ts) use too.
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import Docker from "dockerode";
import execa from "execa";
import { followProgress, unless404 } from "../../engine-api";
import type { Log, MachineImages } from "../backend";

export const BUSYBOX_IMAGE = "busybox:latest";
export const LABEL_IMAGE = "swarmlab.image";
export const LABEL_IMAGE_HASH = "swarmlab.image-hash";

const PULL_TIMEOUT_MS = 10_000;
/** Applets the lab relies on in busybox (tcpsvd: the upstream host echoes the client's source IP). */
const BUSYBOX_APPLETS = ["sh", "ping", "ip", "ifconfig", "nc", "tcpsvd"];
/** Debian packages that provide an applet as a standalone program when busybox lacks it. */
const APPLET_FALLBACKS: Record<string, { pkg: string; bin: string; installAs?: string; wrapper?: string }> = {
  // Debian's busybox builds have no tcpsvd; ipsvd's tcpsvd is the original it clones (same CLI, same TCPREMOTEIP).
  // Unlike busybox's, it reverse-resolves the local address for every connection unless given -l, and drops the
  // connection when that lookup times out (no DNS in the lab): the wrapper passes a default -l (a later -l wins).
  tcpsvd: {
    pkg: "ipsvd",
    bin: "/usr/bin/tcpsvd",
    installAs: "tcpsvd.ipsvd",
    wrapper: '#!/bin/sh\nexec /bin/tcpsvd.ipsvd -l localhost "$@"\n',
  },
};
/** Bump when the busybox recipe changes: an image we made with another recipe is rebuilt. */
const BUSYBOX_RECIPE = "2";

/**
 * What a lab of VMs needs from this host's engine: busybox only (the tasks' image and the upstream's). The machines
 * come from the Vagrant box (npm run box), never from the node image.
 */
export async function ensureBusyboxOnly(docker: Docker, log: Log, machine: string, machineRecipe: string): Promise<MachineImages> {
  const t0 = Date.now();
  await ensureBusybox(docker, log);
  log(`images: ready in ${secs(t0)} (${BUSYBOX_IMAGE}; the machines are ${machine})`);
  return { node: machine, busybox: BUSYBOX_IMAGE, nodeRecipe: machineRecipe };
}

// ---------------------------------------------------------------- busybox

export async function ensureBusybox(docker: Docker, log: Log): Promise<void> {
  const existing = await inspectImage(docker, BUSYBOX_IMAGE);
  const labels = existing?.Config?.Labels ?? {};
  // A busybox from a registry (no swarmlab label) is kept as it is; one we made is rebuilt when the recipe changed.
  if (existing && (labels[LABEL_IMAGE] !== "busybox" || labels[LABEL_IMAGE_HASH] === BUSYBOX_RECIPE)) {
    log(`images: ${BUSYBOX_IMAGE} present`);
    return;
  }
  if (existing) log(`images: ${BUSYBOX_IMAGE} was made by an older recipe, remaking it`);
  const t0 = Date.now();
  if (!(await tryPull(docker, BUSYBOX_IMAGE, log))) {
    await buildBusybox(docker, log);
  }
  const img = await inspectImage(docker, BUSYBOX_IMAGE);
  if (!img) throw new Error(`images: ${BUSYBOX_IMAGE} still missing after it was made`);
  log(`images: made ${BUSYBOX_IMAGE} in ${secs(t0)} (${mb(img.Size)})`);
}

async function buildBusybox(docker: Docker, log: Log): Promise<void> {
  const bb = "/bin/busybox";
  if (!(await exists(bb))) await aptInstall(["busybox-static"], log);
  const { stdout: fileOut } = await execa("file", ["-L", bb], { reject: false });
  if (fileOut && !/statically linked|static-pie/.test(fileOut)) {
    throw new Error(`images: ${bb} is not statically linked (install Debian's busybox-static): ${fileOut}`);
  }
  const applets = (await execa(bb, ["--list"])).stdout
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);

  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "swarmlab-busybox-"));
  const rootfs = path.join(tmp, "rootfs");
  try {
    for (const d of ["bin", "etc", "root", "var", "home"]) await fs.mkdir(path.join(rootfs, d), { recursive: true });
    await fs.mkdir(path.join(rootfs, "tmp"), { mode: 0o1777 });
    await fs.chmod(path.join(rootfs, "tmp"), 0o1777);
    await fs.copyFile(bb, path.join(rootfs, "bin/busybox"));
    await fs.chmod(path.join(rootfs, "bin/busybox"), 0o755);
    for (const a of applets) {
      if (a === "busybox" || a.includes("/")) continue;
      await fs.symlink("busybox", path.join(rootfs, "bin", a));
    }
    await fs.writeFile(path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n");
    await fs.writeFile(path.join(rootfs, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");

    const missing = BUSYBOX_APPLETS.filter((a) => !applets.includes(a));
    for (const a of missing) {
      const fb = APPLET_FALLBACKS[a];
      if (!fb) throw new Error(`images: ${bb} lacks the applet ${a} and no fallback is known`);
      if (!(await exists(fb.bin))) await aptInstall([fb.pkg], log);
      await copyWithLibs(fb.bin, path.join(rootfs, "bin", fb.installAs ?? a), rootfs);
      if (fb.wrapper) await fs.writeFile(path.join(rootfs, "bin", a), fb.wrapper, { mode: 0o755 });
      log(`images: busybox lacks ${a}: using ${fb.bin} from Debian's ${fb.pkg} (with its libraries)`);
    }

    await importRootfs(
      docker,
      rootfs,
      BUSYBOX_IMAGE,
      [`LABEL ${LABEL_IMAGE}=busybox ${LABEL_IMAGE_HASH}=${BUSYBOX_RECIPE}`, 'CMD ["sh"]'],
      ["--numeric-owner", "--owner=0", "--group=0"],
    );
    log(`images: imported ${BUSYBOX_IMAGE} (busybox ${applets.length} applets)`);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** Copy a dynamically linked program into rootfs at dest, plus every library ldd lists, at the same paths. */
async function copyWithLibs(bin: string, dest: string, rootfs: string): Promise<void> {
  await fs.copyFile(bin, dest);
  await fs.chmod(dest, 0o755);
  const { stdout } = await execa("ldd", [bin], { reject: false });
  for (const line of stdout.split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (!m) continue;
    const lib = m[1];
    const target = path.join(rootfs, lib);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.copyFile(await fs.realpath(lib), target);
    await fs.chmod(target, 0o755);
  }
}

// ---------------------------------------------------------------- helpers

export function inspectImage(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  return unless404(docker.getImage(ref).inspect());
}

/** Pull ref, giving up after PULL_TIMEOUT_MS (no registry reachable is a normal case here). */
export async function tryPull(docker: Docker, ref: string, log: Log): Promise<boolean> {
  const t0 = Date.now();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), PULL_TIMEOUT_MS);
  try {
    const stream: NodeJS.ReadableStream = await docker.pull(ref, { abortSignal: ac.signal });
    const aborted = new Promise<never>((_, reject) =>
      ac.signal.addEventListener("abort", () => reject(new Error(`timed out after ${PULL_TIMEOUT_MS / 1000}s`))),
    );
    await Promise.race([followProgress(docker, stream), aborted]);
    log(`images: pulled ${ref} in ${secs(t0)}`);
    return true;
  } catch (e) {
    const msg = ac.signal.aborted ? `timed out after ${PULL_TIMEOUT_MS / 1000}s` : oneLine(e instanceof Error ? e.message : String(e));
    log(`images: cannot pull ${ref} (${msg}): making it locally`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Follow a build's JSON stream, log its steps, and throw with the build's own error message on failure. */
export async function followBuild(docker: Docker, stream: NodeJS.ReadableStream, log: Log, what: string): Promise<void> {
  const tail: string[] = [];
  await followProgress(docker, stream, (ev) => {
    if (typeof ev?.stream !== "string") return;
    // eslint-disable-next-line no-control-regex -- the terminal's colour codes in a build's output
    for (const line of ev.stream.replace(/\x1b\[[0-9;]*m/g, "").split("\n")) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 30) tail.shift();
      if (/^Step \d+\/\d+ :/.test(line) || /^Successfully/.test(line)) log(`  ${line.length > 160 ? line.slice(0, 157) + "..." : line}`);
    }
  }).catch((err) => {
    throw new Error(`images: ${what} failed: ${err instanceof Error ? err.message : err}\n${tail.join("\n")}`);
  });
}

/** `tar -C rootfs -c .` piped into POST /images/create?fromSrc=- (docker import). */
export async function importRootfs(docker: Docker, rootfs: string, ref: string, changes: string[], tarArgs: string[]): Promise<void> {
  const [repo, tag] = splitRef(ref);
  const tar = execa("tar", [...tarArgs, "-C", rootfs, "-c", "."], { stdout: "pipe", stderr: "pipe", buffer: false });
  let tarErr = "";
  tar.stderr!.on("data", (d) => (tarErr += d.toString()));
  const stream = await docker.importImage(tar.stdout!, { repo, tag, changes });
  const imported = followProgress(docker, stream).catch((err) => err as Error);
  const res = await tar.catch((e) => e);
  if (res.exitCode !== 0) throw new Error(`images: tar of ${rootfs} failed (exit ${res.exitCode}): ${tarErr.trim()}`);
  const failure = await imported;
  if (failure) throw new Error(`images: import of ${ref} failed: ${failure.message}`);
}

export async function ensureProgram(prog: string, pkg: string, log: Log): Promise<void> {
  const found = await execa("sh", ["-c", `command -v ${prog}`], { reject: false });
  if (found.exitCode === 0) return;
  try {
    await aptInstall([pkg], log);
  } catch (e) {
    const why = oneLine(e instanceof Error ? e.message : String(e));
    throw new Error(`images: ${prog} is missing and could not be installed (${why}); install the Debian package ${pkg} and retry`, {
      cause: e,
    });
  }
}

/** apt-get install as root on Debian; apt-get update only when the plain install fails. */
async function aptInstall(pkgs: string[], log: Log): Promise<void> {
  if (process.getuid?.() !== 0 || !(await exists("/usr/bin/apt-get"))) {
    throw new Error(`images: need the Debian package(s) ${pkgs.join(" ")}: install them (as root, apt-get install ${pkgs.join(" ")}) and retry`);
  }
  const t0 = Date.now();
  log(`images: apt-get install ${pkgs.join(" ")}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const first = await execa("apt-get", ["install", "-y", "-q", ...pkgs], { env, reject: false, all: true });
  if (first.exitCode !== 0) {
    log(`images: apt-get install failed, running apt-get update first`);
    await execa("apt-get", ["update", "-q"], { env, all: true });
    await execa("apt-get", ["install", "-y", "-q", ...pkgs], { env, all: true });
  }
  log(`images: installed ${pkgs.join(" ")} in ${secs(t0)}`);
}

/** Calls onLine per output line and returns a getter for the last 30 lines. */
export function keepTail(stream: NodeJS.ReadableStream, onLine: (line: string) => void): () => string[] {
  const tail: string[] = [];
  let buf = "";
  stream.on("data", (d) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trimEnd();
      buf = buf.slice(i + 1);
      tail.push(line);
      if (tail.length > 30) tail.shift();
      onLine(line);
    }
  });
  return () => (buf ? [...tail, buf] : tail);
}

function splitRef(ref: string): [string, string] {
  const i = ref.lastIndexOf(":");
  return i > ref.lastIndexOf("/") ? [ref.slice(0, i), ref.slice(i + 1)] : [ref, "latest"];
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

export function secs(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)}s`;
}

export function mb(bytes: number | undefined): string {
  return `${((bytes ?? 0) / 1e6).toFixed(1)} MB`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim().slice(0, 200);
}
