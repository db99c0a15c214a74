// What the tutorial shows, where this lab may differ from it (said as a verdict's `differs`, not as a failure).
import { LINK_MTU, overlayMtu, VXLAN_OVERHEAD } from "../checks/overlay-mtu";

export const TUTORIAL = {
  /** mynet's subnet in the tutorial; Swarm picks the next free /24 of 10.0.0.0/8. */
  overlaySubnet: "10.0.1.0/24",
  /** docker_gwbridge's subnet in the tutorial; dockerd takes the first free /16 of 172.17, 172.18, … */
  gwbridge: "172.18.0.0/16",
  overlayMtu: overlayMtu(false),
  gwbridgeMtu: LINK_MTU,
  vxlanOverhead: VXLAN_OVERHEAD,
};

export interface NetworkRow {
  name: string;
  driver: string;
  scope: string;
}

/** `docker network ls` on a worker running a task, in the tutorial (mynet stands for the lab's overlay). */
export const TUTORIAL_NETWORKS: readonly NetworkRow[] = [
  { name: "bridge", driver: "bridge", scope: "local" },
  { name: "docker_gwbridge", driver: "bridge", scope: "local" },
  { name: "host", driver: "host", scope: "local" },
  { name: "ingress", driver: "overlay", scope: "swarm" },
  { name: "mynet", driver: "overlay", scope: "swarm" },
  { name: "none", driver: "null", scope: "local" },
];
