// Names of what the docker backend creates for a lab. Labels, not names, are what finding and deleting rely on;
// names only make `docker ps` readable and keep two labs apart.
export const networkName = (lab: string) => `${lab}-net`;
export const containerName = (lab: string, node: string) => `${lab}-${node}`;
export const volumeName = (lab: string, node: string) => `${lab}-${node}-docker`;

export { NODE_IMAGE } from "./images";
export const NODE_USER = "vagrant";
/** The upstream host answers on this TCP port with the source address it sees (busybox tcpsvd). */
export const WHOAMI_PORT = 7777;
