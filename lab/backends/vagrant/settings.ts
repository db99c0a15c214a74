// What the vagrant backend's settings take beyond the common rules (lab/backends/settings.ts): Vagrant's provider, and
// what its machines' networks allow, a /24 (the Vagrantfile's rule) that never routes off this machine.
import { formatCidr, maskOf } from "../../net";
import type { BackendSettings } from "../settings";

export const VAGRANT_PROVIDERS = ["libvirt", "virtualbox"] as const;
export type VagrantProvider = (typeof VAGRANT_PROVIDERS)[number];

/** The Vagrantfile's rule: a lab network is a /24. */
const PREFIX = 24;

export const settings: BackendSettings = {
  fixedPrefix: PREFIX,
  keys: {
    // Vagrant's provider; unset or "": the one installed, decided where the host is known (plugin.ts, settle)
    vagrantProvider: (value) =>
      value === "" || (VAGRANT_PROVIDERS as readonly string[]).includes(value)
        ? undefined
        : {
            key: "vagrantProvider",
            value,
            problem: `Vagrant's provider is one of ${VAGRANT_PROVIDERS.join(", ")}`,
            fix: "pulumi config set swarmlab:vagrantProvider libvirt",
          },
  },
  refuses({ subnet, subnetText, egress }) {
    if (subnet.prefix !== PREFIX) {
      const block = formatCidr({ network: (subnet.network & maskOf(PREFIX)) >>> 0, prefix: PREFIX }); // the /24 holding it
      const problem = "the vagrant backend's lab network is a /24 (the Vagrantfile's rule)";
      return { key: "subnet", value: subnetText, problem, fix: `pulumi config set swarmlab:subnet ${block}` };
    }
    if (egress !== "none") {
      const problem = "the vagrant backend's VMs sit on isolated libvirt networks only: nothing leaves this machine";
      return { key: "egress", value: egress, problem, fix: "pulumi config set swarmlab:egress none" };
    }
    return undefined;
  },
};
