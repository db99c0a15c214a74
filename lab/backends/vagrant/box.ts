// The Vagrant box the lab's VMs are made from (npm run box registers it): its recipe stands for the node image's, so a
// new box recipe remakes the machines (the images part records it; lab/parts/images.ts).
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkVagrantHome, EnvError } from "../../env";
import { LIBVIRT_BOX } from "./names";

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

/** The box's recipe, undefined without a box; a bad VAGRANT_HOME is said, not taken for a box that changed. */
export function boxRecipeOrUndefined(): string | undefined {
  try {
    return boxRecipe();
  } catch (err) {
    if (err instanceof EnvError) throw err;
    return undefined;
  }
}

/** $VAGRANT_HOME, else ~/.vagrant.d. */
function defaultVagrantHome(): string {
  return checkVagrantHome(process.env.VAGRANT_HOME) ?? path.join(os.homedir(), ".vagrant.d");
}
