// What a host has, as fixtures for lab/host-facts.ts's checks and for the program under Pulumi's mocks: no `ip`, no
// Docker. CLEAN_HOST is a machine like our CI's: a default route and one LAN on eth0, Docker's docker0, no lab.
import type { ProgramHost } from "../../infra/program";
import type { DockerNetwork, HostFacts } from "../../lab/host-facts";

export const CLEAN_HOST: HostFacts = {
  routes: [
    { dst: "default", gateway: "192.0.2.1", dev: "eth0" },
    { dst: "172.17.0.0/16", dev: "docker0" },
    { dst: "192.0.2.0/24", dev: "eth0" },
    { dst: "127.0.0.0/8", dev: "lo", type: "local", table: "local" },
    { dst: "192.0.2.2", dev: "eth0", type: "local", table: "local" },
    { dst: "192.0.2.255", dev: "eth0", type: "broadcast", table: "local" },
  ],
  addresses: [
    { dev: "lo", address: "127.0.0.1", prefix: 8 },
    { dev: "eth0", address: "192.0.2.2", prefix: 24 },
    { dev: "docker0", address: "172.17.0.1", prefix: 16 },
  ],
  networks: [
    { name: "bridge", subnets: ["172.17.0.0/16"], labels: {}, bridge: "docker0" },
    { name: "host", subnets: [], labels: {} },
    { name: "none", subnets: [], labels: {} },
  ],
  pools: [],
  arch: "amd64",
  // busybox:latest not there yet: the lab makes it
  image: undefined,
};

/** CLEAN_HOST with some facts replaced, and networks, routes and addresses added. */
export function hostWith(
  more: Partial<HostFacts> & { addNetworks?: DockerNetwork[]; addRoutes?: HostFacts["routes"]; addAddresses?: HostFacts["addresses"] },
): HostFacts {
  const { addNetworks = [], addRoutes = [], addAddresses = [], ...replaced } = more;
  return {
    ...CLEAN_HOST,
    ...replaced,
    networks: [...(replaced.networks ?? CLEAN_HOST.networks), ...addNetworks],
    routes: [...(replaced.routes ?? CLEAN_HOST.routes), ...addRoutes],
    addresses: [...(replaced.addresses ?? CLEAN_HOST.addresses), ...addAddresses],
  };
}

/** A lab's network as the docker backend makes it: <lab>-net, labelled with the lab and its owner, on br-<12 hex>. */
export function labNetwork(lab: string, subnet: string, owner: string | undefined, id = "0123456789ab"): DockerNetwork {
  return {
    name: `${lab}-net`,
    subnets: [subnet],
    labels: { "swarmlab.lab": lab, ...(owner === undefined ? {} : { "swarmlab.owner": owner }) },
    bridge: `br-${id}`,
  };
}

/** A ProgramHost giving these facts; it counts the reads and keeps the warnings. */
export function fixtureHost(facts: HostFacts = CLEAN_HOST): ProgramHost & { reads: string[]; warnings: string[] } {
  const reads: string[] = [];
  const warnings: string[] = [];
  return {
    reads,
    warnings,
    facts: async (image) => {
      reads.push(image);
      return facts;
    },
    warn: (message) => void warnings.push(message),
  };
}
