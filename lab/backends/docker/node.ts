// A node: a container running its own dockerd and sshd (docker-in-docker, as kind and play-with-docker do).
import type Docker from "dockerode";
import { ed25519Pair } from "../../ssh-keys";
import type { NodeSettings } from "../../types";
import { LABEL_NODE, LABEL_ROLE } from "../../types";
import type { Log, ProvisionedNode } from "../backend";
import { clearLeftover, clearLeftoverVolume, dropDefaultRoute, labLabels, putFiles } from "../host/containers";
import { whyNotRunning } from "../../engine-api";
import { containerName, networkName, NODE_IMAGE, NODE_USER, volumeName } from "./names";

/** A node's container that stopped as it started (its entrypoint failed): made once more, then the failure is said. */
class ExitedAtStart extends Error {}

export async function createNode(docker: Docker, node: NodeSettings, authorizedKey: string, log: Log): Promise<ProvisionedNode> {
  try {
    return await createNodeOnce(docker, node, authorizedKey, log);
  } catch (err) {
    if (!(err instanceof ExitedAtStart)) throw err;
    // Seen in CI: a host key OpenSSH could not load (ssh-keygen -y failed, the entrypoint with it; lab/ssh-keys.ts
    // now keeps such keys out). Whatever else stops a node as it starts is said, and a second one is made from scratch.
    log(`${err.message}; making it once more`);
    return createNodeOnce(docker, node, authorizedKey, log);
  }
}

async function createNodeOnce(docker: Docker, node: NodeSettings, authorizedKey: string, log: Log): Promise<ProvisionedNode> {
  const name = containerName(node.lab, node.name);
  await clearLeftover(docker, name, node);
  const labels = labLabels(node, { [LABEL_NODE]: node.name, [LABEL_ROLE]: node.role });
  const volume = volumeName(node.lab, node.name);
  await clearLeftoverVolume(docker, volume, node); // an old node's /var/lib/docker would rejoin its old swarm
  await docker.createVolume({ Name: volume, Labels: labels });

  const container = await docker.createContainer({
    name,
    Image: NODE_IMAGE,
    Hostname: node.name,
    Labels: labels,
    HostConfig: <Docker.HostConfig>{
      // What a nested dockerd needs, and no more (not --privileged, which also needs CAP_SYS_RESOURCE that some
      // hosts, ours among them, do not grant). Docker's default capabilities stay: the node's engine hands them to
      // its tasks. SYS_ADMIN: mounts, namespaces and cgroups for the tasks; NET_ADMIN: bridges, VXLAN, iptables.
      CapAdd: ["SYS_ADMIN", "NET_ADMIN"],
      // seccomp: runc in the node creates a session keyring per task, which Docker's default profile refuses
      // (EPERM). AppArmor: docker-default forbids the mounts a nested engine makes.
      SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined"],
      // A cgroup tree of its own instead of the host's: the entrypoint makes it writable for the node's engine.
      CgroupnsMode: "private",
      Init: true, // docker-init reaps the zombies of dockerd and sshd
      Mounts: [{ Type: "volume", Source: volume, Target: "/var/lib/docker" }], // overlay2 cannot sit on overlay
      Tmpfs: { "/run": "", "/tmp": "" },
      NetworkMode: networkName(node.lab),
      RestartPolicy: { Name: "no" },
    },
    NetworkingConfig: {
      EndpointsConfig: { [networkName(node.lab)]: { IPAMConfig: { IPv4Address: node.address } } },
    },
  });
  // A host key per node, made here so that it is known (and checked) before the first connection.
  const hostKey = ed25519Pair(node.name);
  await putFiles(container, {
    "/etc/swarmlab/ssh_host_ed25519_key": [hostKey.private, 0o600],
    "/etc/swarmlab/authorized_keys": [authorizedKey.trim() + "\n", 0o644],
    // Without egress, the nested containers must not fall back to public resolvers (dockerd's default when the
    // node's resolv.conf names only a loopback server): a loopback-only resolver fails at once, on the node.
    ...(node.egress === "none" ? { "/etc/docker/daemon.json": [JSON.stringify({ dns: ["127.0.0.1"] }) + "\n", 0o644] } : {}),
  });
  await container.start();
  try {
    if (node.egress === "none") await dropDefaultRoute(docker, container.id);
  } catch (err) {
    const why = await whyNotRunning(container).catch(() => undefined);
    if (why) throw new ExitedAtStart(`node ${node.name}: its container stopped as it started (${why})`);
    throw err;
  }
  const why = await whyNotRunning(container);
  if (why) throw new ExitedAtStart(`node ${node.name}: its container stopped as it started (${why})`);
  log(`node ${node.name} (${node.role}) started at ${node.address}`);
  return {
    name: node.name,
    role: node.role,
    address: node.address,
    id: container.id,
    sshHost: node.address,
    sshPort: 22,
    username: NODE_USER,
    hostKey: hostKey.public.trim(),
  };
}
