// Names of what the vagrant backend makes for a lab. As with the docker backend, identity (lab, owner) is in the
// things themselves (a domain's description, a network's metadata); names keep two labs apart and `virsh list`
// readable, and they are what the Vagrantfile derives from SWARMLAB_LAB (vagrant/settings.rb, BackendNode).
import { createHash } from "node:crypto";

/** The domain of a node: vagrant-libvirt's default_prefix "<lab>-" and the machine's name. */
export const domainName = (lab: string, node: string) => `${lab}-${node}`;
/** Its disk in the storage pool, as vagrant-libvirt names it. */
export const diskName = (lab: string, node: string) => `${domainName(lab, node)}.img`;
/** The lab network (isolated, no DHCP: Vagrant sets the addresses) and Vagrant's management network. */
export const labNetworkName = (lab: string) => `${lab}-lab`;
export const mgmtNetworkName = (lab: string) => `${lab}-mgmt`;
/** The upstream's end of its veth on the host (at most 15 characters: an interface name). */
export const upstreamVeth = (lab: string) => `swu${createHash("sha256").update(lab).digest("hex").slice(0, 8)}`;
/** The box the machines are made from (scripts/box.sh), for libvirt. */
export const LIBVIRT_BOX = "swarmlab-debian13";
export const NODE_USER = "vagrant";
