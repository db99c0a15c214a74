// The images a docker-backend lab needs, made locally when no registry answers:
//   swarmlab-base:trixie    Debian 13 with docker.io 26 + sshd (debian:trixie + apt, or debootstrap + import)
//   swarmlab-node:latest    images/node on top of the base, rebuilt when images/node changes
//   busybox:latest          the service's image and the upstream's, as every lab's (lab/backends/host/images.ts)
import { PROJECT_ROOT } from "../../project-root";
import { createHash } from "crypto";
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import Docker from "dockerode";
import execa from "execa";
import * as tarStream from "tar-stream";
import type { Log, MachineImages } from "../backend";
import {
  BUSYBOX_IMAGE,
  ensureBusybox,
  ensureProgram,
  followBuild,
  importRootfs,
  inspectImage,
  keepTail,
  LABEL_IMAGE,
  LABEL_IMAGE_HASH,
  mb,
  secs,
  tryPull,
} from "../host/images";
import { BASE_REPOSITORY, NODE_REPOSITORY } from "./settings";

export const NODE_IMAGE = `${NODE_REPOSITORY}:latest`;
/** Debian 13: its docker.io is 26.1, a Docker students meet today (Debian 12 has 20.10, end of life since 2023). */
export const DEBIAN_RELEASE = "trixie";
export const BASE_IMAGE = `${BASE_REPOSITORY}:${DEBIAN_RELEASE}`;

const NODE_DIR = path.join(PROJECT_ROOT, "images", "node");
const BASE_PACKAGES = [
  "docker.io",
  "docker-cli", // its own package since trixie

  "openssh-server",
  "iproute2",
  "iptables",
  "iputils-ping",
  "ca-certificates",
  "procps",
  "sudo",
  "tcpdump", // npm run explain shows VXLAN on the wire (tcpdump decodes it on port 4789)
];
const DEBIAN_MIRROR = "http://deb.debian.org/debian";

export async function ensureImages(docker: Docker, log: Log): Promise<MachineImages> {
  const t0 = Date.now();
  const nodeRecipe = await ensureNodeImage(docker, log);
  await ensureBusybox(docker, log);
  log(`images: ready in ${secs(t0)} (${NODE_IMAGE}, ${BUSYBOX_IMAGE})`);
  return { node: NODE_IMAGE, busybox: BUSYBOX_IMAGE, nodeRecipe };
}

/** The base image's recipe: its Debian release and packages (a base made by another recipe is made again). */
const BASE_RECIPE = createHash("sha256")
  .update(`${DEBIAN_RELEASE}\0${BASE_PACKAGES.join(",")}`)
  .digest("hex")
  .slice(0, 16);

// ---------------------------------------------------------------- node image

/** sha256 over the base's recipe and images/node/* (names and contents): the node image is rebuilt when either changes. */
export async function nodeImageHash(dir = NODE_DIR): Promise<string> {
  const h = createHash("sha256").update(`${BASE_RECIPE}\0`);
  const names = (await fs.readdir(dir)).sort();
  for (const name of names) {
    const st = await fs.stat(path.join(dir, name));
    if (!st.isFile()) continue;
    h.update(`${name}\0${st.mode & 0o111 ? "x" : "-"}\0`);
    h.update(await fs.readFile(path.join(dir, name)));
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

/** Whether the node image on this engine is the one the current recipe makes. */
export async function nodeImageCurrent(docker: Docker): Promise<boolean> {
  return (await inspectImage(docker, NODE_IMAGE))?.Config?.Labels?.[LABEL_IMAGE_HASH] === (await nodeImageHash());
}

/** Builds the node image unless it is current; returns its recipe hash. */
async function ensureNodeImage(docker: Docker, log: Log): Promise<string> {
  const hash = await nodeImageHash();
  const existing = await inspectImage(docker, NODE_IMAGE);
  if (existing && existing.Config?.Labels?.[LABEL_IMAGE_HASH] === hash) {
    log(`images: ${NODE_IMAGE} is up to date (hash ${hash})`);
    return hash;
  }
  log(existing ? `images: ${NODE_IMAGE} is out of date, rebuilding (hash ${hash})` : `images: building ${NODE_IMAGE} (hash ${hash})`);
  await ensureBaseImage(docker, log);
  const t0 = Date.now();
  const files = (await fs.readdir(NODE_DIR)).sort();
  // Classic builder (no version: "2") and no pull: FROM must resolve to the local base image only.
  const stream = await docker.buildImage(
    { context: NODE_DIR, src: files },
    {
      t: NODE_IMAGE,
      labels: { [LABEL_IMAGE]: "node", [LABEL_IMAGE_HASH]: hash },
      rm: true,
      forcerm: true,
    },
  );
  await followBuild(docker, stream, log, `build ${NODE_IMAGE}`);
  const built = await inspectImage(docker, NODE_IMAGE);
  if (built?.Config?.Labels?.[LABEL_IMAGE_HASH] !== hash) {
    throw new Error(`images: build of ${NODE_IMAGE} finished but the image does not carry hash ${hash}`);
  }
  log(`images: built ${NODE_IMAGE} in ${secs(t0)} (${mb(built.Size)})`);
  return hash;
}

// ---------------------------------------------------------------- base image

async function ensureBaseImage(docker: Docker, log: Log): Promise<void> {
  const existing = await inspectImage(docker, BASE_IMAGE);
  if (existing?.Config?.Labels?.[LABEL_IMAGE_HASH] === BASE_RECIPE) {
    log(`images: ${BASE_IMAGE} present`);
    return;
  }
  const t0 = Date.now();
  if (await tryPull(docker, `debian:${DEBIAN_RELEASE}`, log)) {
    const dockerfile = [
      `FROM debian:${DEBIAN_RELEASE}`,
      "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends " +
        BASE_PACKAGES.join(" ") +
        " && rm -rf /var/lib/apt/lists/*",
      `LABEL ${LABEL_IMAGE}=base ${LABEL_IMAGE_HASH}=${BASE_RECIPE}`,
      "",
    ].join("\n");
    const stream = await docker.buildImage(tarOf({ Dockerfile: dockerfile }), { t: BASE_IMAGE, rm: true, forcerm: true });
    await followBuild(docker, stream, log, `build ${BASE_IMAGE}`);
  } else {
    await debootstrapBase(docker, log);
  }
  const img = await inspectImage(docker, BASE_IMAGE);
  if (!img) throw new Error(`images: ${BASE_IMAGE} still missing after it was made`);
  log(`images: made ${BASE_IMAGE} in ${secs(t0)} (${mb(img.Size)})`);
}

async function debootstrapBase(docker: Docker, log: Log): Promise<void> {
  await ensureProgram("debootstrap", "debootstrap", log);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "swarmlab-base-"));
  const rootfs = path.join(tmp, "rootfs");
  try {
    const t0 = Date.now();
    log(`images: debootstrap ${DEBIAN_RELEASE} (${BASE_PACKAGES.join(",")}) into ${rootfs}`);
    const args = ["--variant=minbase", `--include=${BASE_PACKAGES.join(",")}`, DEBIAN_RELEASE, rootfs, DEBIAN_MIRROR];
    const proc = execa("debootstrap", args, { all: true, reject: false });
    const tail = keepTail(proc.all!, (line) => {
      // debootstrap prints one line per package: log only its milestones and warnings.
      if (/^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) \S+\.\.\.$/.test(line)) return;
      if (/^[WE]:/.test(line) || /\.\.\.$|successfully/.test(line)) log(`  debootstrap: ${line}`);
    });
    const res = await proc;
    if (res.exitCode !== 0) {
      throw new Error(`images: debootstrap failed (exit ${res.exitCode}):\n${tail().join("\n")}`);
    }
    log(`images: debootstrap done in ${secs(t0)}`);

    // Caches only: apt-get update refills them.
    await execa("sh", ["-c", 'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/debootstrap', "sh", rootfs]);

    const t1 = Date.now();
    await importRootfs(
      docker,
      rootfs,
      BASE_IMAGE,
      [`LABEL ${LABEL_IMAGE}=base ${LABEL_IMAGE_HASH}=${BASE_RECIPE}`, 'CMD ["/bin/bash"]'],
      ["--xattrs", "--xattrs-include=security.capability"],
    );
    log(`images: imported ${BASE_IMAGE} in ${secs(t1)}`);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- helpers

function tarOf(files: Record<string, string>): Readable {
  const pack = tarStream.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, content);
  pack.finalize();
  return pack as unknown as Readable;
}
