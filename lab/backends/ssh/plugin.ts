// What the registry knows of the ssh backend without loading it (lab/backends/backend.ts, BackendPlugin).
import { existsSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../../config";
import { PROJECT_ROOT } from "../../project-root";
import type { LabSpec, NodeSpec } from "../../types";
import type { BackendPlugin } from "../backend";
import { readHosts, sshHostFindings, SshDoctorFacts } from "./doctor";
import { expandHome } from "./login";
import { RECORD_FILE } from "./record";
import { HOSTS_FIX, HOSTS_KEY, parseHosts } from "./settings";

export const plugin: BackendPlugin = {
  name: "ssh",
  ownKernel: "the hosts run their own kernels",
  usersHosts: "the lab runs on the hosts of swarmlab:hosts, on their own network, with no upstream host or firewall rule of swarmlab's",
  // require, not import(): see the docker backend's plugin.ts
  load: async () => new (require("./index") as typeof import("./index")).SshBackend(),
  present: async () => existsSync(path.join(PROJECT_ROOT, RECORD_FILE)), // a lab of hosts was let in from here
  settle: settleHosts,
  assertTools: () => undefined, // ssh2 is the project's own; the hosts' tools are the doctor's to look at
  doctor: {
    read: (lab) => readHosts(lab?.spec, lab?.owner, lab?.quick, lab?.stack),
    findings: (facts) => sshHostFindings(facts as SshDoctorFacts | undefined),
    gatesProgram: true, // the hosts are not ours to make: a preview refuses what up would
  },
};

/**
 * The lab's nodes are the hosts of swarmlab:hosts (their names, roles and addresses, the managers first, in the
 * settings' order: the first founds the swarm), and the tasks ping the founding manager: no packet of the lab goes
 * anywhere but the hosts.
 */
export function settleHosts(spec: LabSpec, env: NodeJS.ProcessEnv = process.env): LabSpec {
  const value = spec.backendSettings?.[HOSTS_KEY];
  if (value === undefined) throw new ConfigError(HOSTS_KEY, "", HOSTS_FIX, "the ssh backend's lab runs on hosts you have: list them");
  const parsed = parseHosts(value);
  if ("problem" in parsed) throw new ConfigError(HOSTS_KEY, value, HOSTS_FIX, parsed.problem); // lab/config.ts said it already
  const hosts = [...parsed.hosts.filter((h) => h.role === "manager"), ...parsed.hosts.filter((h) => h.role === "worker")];
  for (const h of hosts) {
    if (h.key && !existsSync(expandHome(h.key))) {
      throw new ConfigError(
        HOSTS_KEY,
        value,
        `correct host ${h.name}'s key, or leave it out to use the SSH agent`,
        `host ${h.name}'s key ${h.key} does not exist`,
      );
    }
    if (!h.key && !env.SSH_AUTH_SOCK) {
      const fix = `start an agent with your key (eval $(ssh-agent); ssh-add), or give host ${h.name} a "key" file`;
      throw new ConfigError(HOSTS_KEY, value, fix, `host ${h.name} has no key file and no SSH agent runs (SSH_AUTH_SOCK is unset)`);
    }
  }
  const workers = hosts.filter((h) => h.role === "worker").length;
  if (spec.service.replicas > workers) {
    const fix = `pulumi config set swarmlab:replicas ${workers}, or list more workers in swarmlab:hosts`;
    throw new ConfigError(
      "replicas",
      String(spec.service.replicas),
      fix,
      `more replicas than the workers of swarmlab:hosts (${workers}): the lab runs one task per worker`,
    );
  }
  const nodes: NodeSpec[] = hosts.map(({ name, role, address, user, port, key, jump }) => ({
    name,
    role,
    address,
    login: { user, port, ...(key ? { key } : {}), ...(jump ? { jump } : {}) },
  }));
  return { ...spec, nodes, pingTarget: nodes[0].address };
}
