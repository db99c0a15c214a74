// The images a lab's machines run. docker backend: the node image and busybox (for the service and the upstream),
// made locally when no registry answers. vagrant backend: busybox only (the tasks' image and the upstream's, side-loaded
// from this host's engine); the machines come from the Vagrant box that `npm run box` registered, whose recipe
// stands for the node image's (a new box recipe remakes the machines). Down keeps them as a cache.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { ensureImages, nodeImageCurrent } from "../backends/docker/images";
import { ensureBusyboxOnly } from "../backends/host/images";
import { LIBVIRT_BOX } from "../backends/vagrant/names";
import { unless404 } from "../engine-api";
import { checkVagrantHome, EnvError } from "../env";
import type { BackendName } from "../types";
import type { Part } from "./part";

export interface ImagesInputs {
  lab: string;
  backend: BackendName;
}

export interface ImagesOutputs {
  node: string;
  busybox: string;
  /** The node image's recipe: the nodes take it as an input, so a new recipe (e.g. a new Debian) remakes them. */
  nodeRecipe: string;
}

/**
 * The registered box's recipe (scripts/box.sh writes it beside the box); fails, saying what to run, without a box.
 * A VAGRANT_HOME that is empty or relative is refused in lab/env.ts's line (checkVagrantHome), never looked in.
 */
export function boxRecipe(vagrantHome = defaultVagrantHome()): string {
  const file = path.join(vagrantHome, "boxes", LIBVIRT_BOX, "0", "libvirt", "swarmlab-recipe");
  try {
    return `box:${readFileSync(file, "utf8").trim()}`;
  } catch {
    throw new Error(`the Vagrant box ${LIBVIRT_BOX} is not registered (no ${file}): run npm run box (needs root and bash scripts/vm-host.sh)`);
  }
}

export const images: Part<ImagesInputs, ImagesOutputs> = {
  type: "Images",
  identity: ["backend"],
  outputs: ["node", "busybox", "nodeRecipe"],
  async create(i, { log }) {
    if (i.backend === "vagrant") return { id: i.lab, outs: await ensureBusyboxOnly(new Docker(), log, LIBVIRT_BOX, boxRecipe()) };
    return { id: i.lab, outs: await ensureImages(new Docker(), log) };
  },
  async read(_id, state, { log }) {
    const docker = new Docker();
    const vms = state.backend === "vagrant";
    const missing = [];
    for (const image of vms ? [state.busybox] : [state.node, state.busybox]) if (!(await unless404(docker.getImage(image).inspect()))) missing.push(image);
    const current = vms ? boxRecipeOrUndefined() === state.nodeRecipe : await nodeImageCurrent(docker);
    if (missing.length === 0 && current) return { node: state.node, busybox: state.busybox, nodeRecipe: state.nodeRecipe };
    log(`images: ${missing.length ? `${missing.join(", ")} missing` : `${state.node} is not the current recipe's`}; up makes them again`);
    return undefined;
  },
  async delete() {
    // Images (and the box) stay as a cache for the next lab (docs/up-and-heal.md, `npm run down`).
  },
};

/** $VAGRANT_HOME, else ~/.vagrant.d. */
function defaultVagrantHome(): string {
  return checkVagrantHome(process.env.VAGRANT_HOME) ?? path.join(os.homedir(), ".vagrant.d");
}

/** The box's recipe, undefined without a box; a bad VAGRANT_HOME is said, not taken for a box that changed. */
function boxRecipeOrUndefined(): string | undefined {
  try {
    return boxRecipe();
  } catch (err) {
    if (err instanceof EnvError) throw err;
    return undefined;
  }
}
