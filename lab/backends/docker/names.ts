// Names of what the docker backend creates for a lab. Labels, not names, are what finding and deleting rely on;
// names only make `docker ps` readable and keep two labs apart.
export const networkName = (lab: string) => `${lab}-net`;
export const volumeName = (lab: string, node: string) => `${lab}-${node}-docker`;

export { NODE_IMAGE } from "./images";
export const NODE_USER = "vagrant";
// The lab's containers are named as every lab container on this host (lab/backends/host/names.ts).
export { containerName, WHOAMI_PORT } from "../host/names";
