// The images a lab's machines run: the node image and busybox (for the service and the upstream), made locally
// when no registry answers. Down keeps them as a cache.
import Docker from "dockerode";
import { ensureImages, nodeImageCurrent } from "../backends/docker/images";
import { unless404 } from "../engine-api";
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

export const images: Part<ImagesInputs, ImagesOutputs> = {
  type: "Images",
  identity: ["backend"],
  outputs: ["node", "busybox", "nodeRecipe"],
  async create(i, { log }) {
    return { id: i.lab, outs: await ensureImages(new Docker(), log) };
  },
  async read(_id, state, { log }) {
    const docker = new Docker();
    const missing = [];
    for (const image of [state.node, state.busybox]) if (!(await unless404(docker.getImage(image).inspect()))) missing.push(image);
    if (missing.length === 0 && (await nodeImageCurrent(docker))) return { node: state.node, busybox: state.busybox, nodeRecipe: state.nodeRecipe };
    log(`images: ${missing.length ? `${missing.join(", ")} missing` : `${state.node} is not the current recipe's`}; up makes them again`);
    return undefined;
  },
  async delete() {
    // Images stay as a cache for the next lab (README: "what down keeps").
  },
};
