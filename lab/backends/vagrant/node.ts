// A node of a lab of VMs: one `vagrant up` of the Vagrantfile, described by the environment (vagrant.ts). The lab
// reaches it like a container node: SSH as vagrant with the lab's key (authorised by the Vagrantfile's provisioner),
// on its lab address (never the management network's), checked against the host key its provisioner printed through Vagrant's
// own channel as the machine was made.
import type { NodeSettings } from "../../types";
import type { Log, ProvisionedNode } from "../backend";
import { waitForPort } from "../host/wait";
import { findLabNetworks, subnetOf } from "./network";
import { diskName, domainName, NODE_USER } from "./names";
import { projectRoot, vagrantUp, VagrantMachine } from "./vagrant";
import { domainIdentity, listDomains, listVolumes, removeDomain, removeVolume } from "./virsh";

/** Removes what an earlier machine of this lab and name left; refuses to touch another lab's or owner's. */
export async function clearLeftoverDomain(node: NodeSettings): Promise<void> {
  const name = domainName(node.lab, node.name);
  const found = (await listDomains()).find((d) => d.name === name);
  if (found) {
    const id = domainIdentity(found);
    if (id.lab !== node.lab)
      throw new Error(
        `libvirt domain ${name} exists and is not part of lab ${node.lab}${id.lab ? ` (it is lab ${id.lab}'s)` : " (swarmlab did not make it)"}: choose another swarmlab:name`,
      );
    if (id.owner !== node.owner)
      throw new Error(`libvirt domain ${name} belongs to owner ${id.owner || "(none)"}, not to this one: choose another swarmlab:name`);
    await removeDomain(name);
  }
  if ((await listVolumes()).includes(diskName(node.lab, node.name))) await removeVolume(diskName(node.lab, node.name));
}

export async function createNode(node: NodeSettings, authorizedKey: string, log: Log): Promise<ProvisionedNode> {
  const root = projectRoot();
  const nets = await findLabNetworks(node.lab);
  const subnet = nets.lab && subnetOf(nets.lab);
  const mgmtSubnet = nets.mgmt && subnetOf(nets.mgmt);
  if (!subnet || !mgmtSubnet)
    throw new Error(`${node.name}: the lab's libvirt networks are missing (the base part makes them): run npm run up again`);
  await clearLeftoverDomain(node);
  const machine: VagrantMachine = {
    lab: node.lab,
    owner: node.owner,
    name: node.name,
    role: node.role,
    address: node.address,
    subnet,
    mgmtSubnet,
    authorizedKey,
    provider: "libvirt",
  };
  const hostKey = await vagrantUp(machine, root, log);
  await waitForPort(node.address, 22, 60_000); // on its lab address, from this host
  const domain = (await listDomains()).find((d) => d.name === domainName(node.lab, node.name));
  if (!domain) throw new Error(`${node.name}: vagrant up finished but libvirt has no domain ${domainName(node.lab, node.name)}`);
  log(`node ${node.name} (${node.role}) is VM ${domain.name} at ${node.address}`);
  return {
    name: node.name,
    role: node.role,
    address: node.address,
    id: domain.uuid,
    sshHost: node.address, // the lab address: the swarm and the lab's SSH never use Vagrant's management network
    sshPort: 22,
    username: NODE_USER,
    hostKey,
  };
}
