// Inside a task (`ip a`): eth0 on the overlay at the overlay's MTU (1450; 1424 encrypted), eth1 on the node's
// docker_gwbridge at the link's 1500. The tutorial's subnets (10.0.1.0/24, 172.18.0.0/16) may differ on this lab:
// that is said as a difference, not a failure.
import { LINK_MTU, overlayMtu } from "../checks/overlay-mtu";
import { contains, parseCidr, parseIPv4 } from "../net";
import { TUTORIAL } from "./tutorial";
import { verdict, Verdict } from "./verdict";

/** An interface as `ip a` shows it: its name, MTU and IPv4 address with prefix (10.0.1.3/24; empty when none). */
export interface InterfaceRow {
  name: string;
  mtu: number;
  ipv4: string;
}

/** A task with its eth0 as read inside it (absent when it has none). */
export interface TaskEth0 {
  name: string;
  /** The address Swarm gave the task on the overlay. */
  overlayIp: string;
  eth0?: InterfaceRow;
}

/** A task with its eth1 and the node it runs on. */
export interface TaskEth1 {
  name: string;
  node: string;
  eth1?: InterfaceRow;
}

/** Whether an address (with or without its prefix) lies in a CIDR block; false when either is not one. */
export function inSubnet(cidr: string, address: string): boolean {
  const block = parseCidr(cidr);
  const ip = parseIPv4(address.split("/")[0]);
  return block !== undefined && ip !== undefined && contains(block, ip);
}

/** Every task's eth0 holds the address Swarm gave it, in the overlay's subnet, at the overlay's MTU. */
export function eth0OnOverlay(tasks: TaskEth0[], overlay: { name: string; subnet: string; encrypted: boolean }): Verdict {
  const mtu = overlayMtu(overlay.encrypted);
  const found: string[] = [];
  for (const t of tasks) {
    const i = t.eth0;
    if (!i) {
      found.push(`${t.name} has no eth0`);
      continue;
    }
    if (!inSubnet(overlay.subnet, i.ipv4)) found.push(`${t.name}'s eth0 ${i.ipv4 || "(no IPv4)"} is not in ${overlay.name} ${overlay.subnet}`);
    else if (i.ipv4.split("/")[0] !== t.overlayIp) found.push(`${t.name}'s eth0 ${i.ipv4} is not the address Swarm gave the task (${t.overlayIp})`);
    if (i.mtu !== mtu) found.push(`${t.name}'s eth0 has MTU ${i.mtu}, not ${mtu} (${overlay.encrypted ? "an encrypted" : "a plain"} overlay)`);
  }
  const differs = [
    ...(overlay.encrypted ? [`${overlay.name} is encrypted (swarmlab:encrypted): its MTU is ${mtu}, not the tutorial's ${TUTORIAL.overlayMtu}`] : []),
    ...(overlay.subnet !== TUTORIAL.overlaySubnet
      ? [`${overlay.name} is ${overlay.subnet}, not the tutorial's ${TUTORIAL.overlaySubnet} (Swarm picked the next free /24 of 10.0.0.0/8)`]
      : []),
  ];
  return verdict("eth0-on-overlay", found, differs);
}

/** Every task's eth1 holds an address in its node's docker_gwbridge subnet (node name → subnet) at the link's MTU. */
export function eth1OnGwbridge(tasks: TaskEth1[], gwbridges: Record<string, string>): Verdict {
  const found: string[] = [];
  const differs = new Set<string>();
  for (const t of tasks) {
    const subnet = gwbridges[t.node] ?? "";
    const i = t.eth1;
    if (!subnet) found.push(`${t.node} has no docker_gwbridge`);
    if (!i) {
      found.push(`${t.name} has no eth1`);
      continue;
    }
    if (subnet && !inSubnet(subnet, i.ipv4)) found.push(`${t.name}'s eth1 ${i.ipv4 || "(no IPv4)"} is not in docker_gwbridge ${subnet}`);
    if (i.mtu !== LINK_MTU) found.push(`${t.name}'s eth1 has MTU ${i.mtu}, not ${LINK_MTU} (a plain local bridge)`);
    if (subnet && subnet !== TUTORIAL.gwbridge) {
      differs.add(
        `docker_gwbridge on ${t.node} is ${subnet}, not ${TUTORIAL.gwbridge}: dockerd takes the first free /16 of ` +
          `172.17, 172.18, … that no route of the node uses (docker0 has 172.17; a node network inside 172.16/12 shifts it)`,
      );
    }
  }
  return verdict("eth1-on-gwbridge", found, [...differs]);
}
