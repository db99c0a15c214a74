// Names of what this host's Docker engine holds for a lab, whichever backend made the lab's machines: the docker
// backend's nodes and every backend's upstream container. Labels, not names, are what finding and deleting rely on.
export const containerName = (lab: string, node: string) => `${lab}-${node}`;
/** The upstream host answers on this TCP port with the source address it sees (busybox tcpsvd). */
export const WHOAMI_PORT = 7777;
