// The lab's two libvirt networks, made by the backend before any machine (so that machines made at once never race to
// make them, and Vagrant never removes them with a machine), both isolated (no <forward>: libvirt routes nothing off
// this machine) and carrying the lab's identity in their metadata:
//   <lab>-lab   the lab network (the tutorial's 192.168.56.0/24): no DHCP, Vagrant sets each machine's address; the
//               host has the gateway address on it (SSH to the nodes, as with the docker backend);
//   <lab>-mgmt  Vagrant's management network (its own SSH to the machines): DHCP, no DNS, no route given out; a /24
//               that nothing else on this host uses, chosen when it is made.
// Plus the host's firewall guards of both bridges (the rules every backend uses, lab/backends/host/firewall.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readHostFacts, freeSubnet } from "../../host-facts";
import { addressAt, formatCidr, formatIPv4, parseCidr } from "../../net";
import { DEFAULT_IMAGE } from "../../config";
import type { BaseSettings, LabIdentity } from "../../types";
import { LABEL_LAB, LABEL_OWNER } from "../../types";
import type { Log } from "../backend";
import { ownerText } from "../host/containers";
import { dhcpBridgeRules, GuardRule, GuardSettings } from "../host/firewall";
import { labNetworkName, mgmtNetworkName } from "./names";
import { LibvirtNetwork, listNetworks, networkXml, removeNetwork, subnetOf, virsh } from "./virsh";

export type LabNetworks = { lab: LibvirtNetwork & { active: boolean }; mgmt: LibvirtNetwork & { active: boolean } };

/** The lab's networks as libvirt has them (either may be missing). */
export async function findLabNetworks(lab: string): Promise<Partial<LabNetworks>> {
  const all = await listNetworks();
  return { lab: all.find((n) => n.name === labNetworkName(lab)), mgmt: all.find((n) => n.name === mgmtNetworkName(lab)) };
}

export { subnetOf };

const at = (network: number, offset: number) => formatIPv4(addressAt(network, offset));

function assertOurs(n: LibvirtNetwork, id: LabIdentity): void {
  if (n.labels[LABEL_LAB] !== id.lab)
    throw new Error(
      `libvirt network ${n.name} exists and is not part of lab ${id.lab}${n.labels[LABEL_LAB] ? ` (it is lab ${n.labels[LABEL_LAB]}'s)` : " (swarmlab did not make it)"}: choose another swarmlab:name`,
    );
  if (n.labels[LABEL_OWNER] !== id.owner)
    throw new Error(`libvirt network ${n.name} belongs to ${ownerText(n.labels[LABEL_OWNER])}, not to this one: choose another swarmlab:name`);
}

/** virsh net-define of an XML text (through a private temporary file: virsh reads no pipe). */
async function define(xml: string): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-net-"));
  try {
    writeFileSync(path.join(dir, "network.xml"), xml);
    const r = await virsh(["net-define", path.join(dir, "network.xml")], false);
    if (r.exitCode !== 0) throw new Error(`virsh net-define: ${r.stderr.trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function start(name: string): Promise<void> {
  const r = await virsh(["net-start", name], false);
  if (r.exitCode !== 0 && !/already active/i.test(r.stderr)) throw new Error(`virsh net-start ${name}: ${r.stderr.trim()}`);
}

/** A /24 for the management network that nothing of this host uses (after the lab network exists). */
async function freeMgmtSubnet(base: BaseSettings): Promise<string> {
  const facts = await readHostFacts(DEFAULT_IMAGE);
  const third = Number(base.subnet.split(".")[2]);
  const found = freeSubnet(24, facts, "", "", `192.168.${(third + 1) % 256}.0/24`);
  if (!found || found === base.subnet) throw new Error("no 192.168.N.0/24 is free on this host for Vagrant's management network");
  return found;
}

/** Makes and starts the lab's networks unless they exist (and are the lab's); returns them. */
export async function ensureLabNetworks(base: BaseSettings, log: Log): Promise<LabNetworks> {
  const found = await findLabNetworks(base.lab);
  for (const n of [found.lab, found.mgmt]) if (n) assertOurs(n, base);
  if (found.lab && subnetOf(found.lab) !== base.subnet) {
    throw new Error(`libvirt network ${found.lab.name} exists with subnet ${subnetOf(found.lab)}, not ${base.subnet}: run npm run down first`);
  }
  const cidr = parseCidr(base.subnet)!;
  if (!found.lab) {
    await define(
      networkXml({ name: labNetworkName(base.lab), lab: base.lab, owner: base.owner, role: "lab", address: base.gateway, prefix: cidr.prefix }),
    );
    log(`libvirt network ${labNetworkName(base.lab)} ${base.subnet} defined (isolated: no route off this machine, no DHCP)`);
  }
  await start(labNetworkName(base.lab));
  if (!found.mgmt) {
    const mgmt = parseCidr(await freeMgmtSubnet(base))!;
    await define(
      networkXml({
        name: mgmtNetworkName(base.lab),
        lab: base.lab,
        owner: base.owner,
        role: "mgmt",
        address: at(mgmt.network, 1),
        prefix: 24,
        dhcp: { start: at(mgmt.network, 2), end: at(mgmt.network, 254) },
      }),
    );
    log(
      `libvirt network ${mgmtNetworkName(base.lab)} ${formatCidr(mgmt)} defined (Vagrant's management network: isolated, DHCP without route or DNS)`,
    );
  }
  await start(mgmtNetworkName(base.lab));
  const now = await findLabNetworks(base.lab);
  if (!now.lab?.active || !now.mgmt?.active) throw new Error(`the libvirt networks of lab ${base.lab} did not start`);
  return now as LabNetworks;
}

/** What is wrong with the lab's networks (empty when they are as made). */
export async function labNetworkProblems(base: BaseSettings): Promise<string[]> {
  const found = await findLabNetworks(base.lab);
  const problems: string[] = [];
  for (const [n, name] of [
    [found.lab, labNetworkName(base.lab)],
    [found.mgmt, mgmtNetworkName(base.lab)],
  ] as const) {
    if (!n) problems.push(`libvirt network ${name} is gone`);
    else if (n.labels[LABEL_OWNER] !== base.owner) problems.push(`libvirt network ${name} belongs to ${ownerText(n.labels[LABEL_OWNER])}`);
    else if (!n.active) problems.push(`libvirt network ${name} is not active`);
    else if (n.forward) problems.push(`libvirt network ${name} forwards (${n.forward}): it must be isolated`);
  }
  if (found.lab && subnetOf(found.lab) !== base.subnet) problems.push(`libvirt network ${found.lab.name} has another subnet`);
  return problems;
}

/** The host's guards of a lab of VMs: every lab's for the lab bridge (host/firewall.ts), and the management bridge's. */
export function guardsOf(base: BaseSettings, nets: Pick<LabNetworks, "lab" | "mgmt">): { settings: GuardSettings; extra: GuardRule[] } {
  return { settings: { ...base, bridge: nets.lab.bridge }, extra: dhcpBridgeRules(base, nets.mgmt.bridge) };
}

/** Removes the lab's networks (of one owner, when given); returns their names. */
export async function removeLabNetworks(lab: string, owner?: string): Promise<string[]> {
  const all = await listNetworks();
  const doomed = all.filter((n) => n.labels[LABEL_LAB] === lab && (owner === undefined || n.labels[LABEL_OWNER] === owner));
  for (const n of doomed) await removeNetwork(n.name);
  return doomed.map((n) => n.name);
}
