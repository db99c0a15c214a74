// The images a lab's machines and tasks are made from, whatever its backend makes them of: the backend says what it
// needs and makes it (docker: the node image and busybox; vagrant: busybox only, the machines coming from its box),
// and whether what was made is still current. Here: the part around it, and the look into this host's engine that
// refresh takes. Down keeps them as a cache.
import Docker from "dockerode";
import { backendFor, MachineImages } from "../backends";
import { unless404 } from "../engine-api";
import type { BackendName } from "../types";
import type { Part } from "./part";

export interface ImagesInputs {
  lab: string;
  backend: BackendName;
}

/** node, busybox, and the machines' recipe (nodeRecipe): the nodes take it as an input, so a new recipe remakes them. */
export type ImagesOutputs = MachineImages;

export const images: Part<ImagesInputs, ImagesOutputs> = {
  type: "Images",
  identity: ["backend"],
  outputs: ["node", "busybox", "nodeRecipe"],
  async create(i, { log }) {
    return { id: i.lab, outs: await (await backendFor(i.backend)).ensureImages(log) };
  },
  async read(_id, state, { log }) {
    const backend = await backendFor(state.backend);
    const docker = new Docker();
    const missing = [];
    for (const image of backend.imagesInEngine(state)) if (!(await unless404(docker.getImage(image).inspect()))) missing.push(image);
    const current = await backend.recipeCurrent(state);
    if (missing.length === 0 && current) return { node: state.node, busybox: state.busybox, nodeRecipe: state.nodeRecipe };
    log(`images: ${missing.length ? `${missing.join(", ")} missing` : `${state.node} is not the current recipe's`}; up makes them again`);
    return undefined;
  },
  async delete() {
    // Images (and the box) stay as a cache for the next lab (docs/up-and-heal.md, `npm run down`).
  },
};
