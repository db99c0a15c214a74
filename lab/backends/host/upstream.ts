// The "upstream": a small host on the lab network standing for the internet of the tutorial's `ping 8.8.8.8`.
// It answers pings, and on WHOAMI_PORT it replies with the source address it sees — which proves the
// masquerade (north-south traffic leaves a node with the node's own lab address). It is a container on this host's
// Docker engine for every backend; each backend plugs it into its own lab network (lab/backends/<name>/upstream.ts).
import type Docker from "dockerode";
import type { BaseSettings } from "../../types";
import { LABEL_NODE, LABEL_OWNER, LABEL_ROLE } from "../../types";
import { unless404 } from "../../engine-api";
import { clearLeftover, labLabels } from "./containers";
import { containerName, WHOAMI_PORT } from "./names";

/** Whether the lab's upstream container runs. */
export async function upstreamRunning(docker: Docker, base: BaseSettings): Promise<boolean> {
  const info = await unless404(docker.getContainer(containerName(base.lab, base.upstream.name)).inspect());
  return info?.State.Running === true && info.Config.Labels?.[LABEL_OWNER] === base.owner;
}

/**
 * Creates and starts the upstream container (labelled with the lab, its owner and role upstream) on a network:
 * the lab's Docker network for the docker backend; "none" for the vagrant backend, which plugs it into the libvirt
 * bridge itself.
 */
export async function startUpstreamContainer(
  docker: Docker,
  base: BaseSettings,
  network: string,
  endpoint?: Docker.EndpointSettings,
): Promise<Docker.Container> {
  const name = containerName(base.lab, base.upstream.name);
  await clearLeftover(docker, name, base);
  const container = await docker.createContainer({
    name,
    Image: base.upstreamImage,
    Hostname: base.upstream.name,
    Labels: labLabels(base, { [LABEL_NODE]: base.upstream.name, [LABEL_ROLE]: "upstream" }),
    Cmd: ["tcpsvd", "0.0.0.0", String(WHOAMI_PORT), "sh", "-c", 'echo "$TCPREMOTEIP"'],
    HostConfig: { NetworkMode: network, Init: true, CapAdd: ["NET_ADMIN"] }, // NET_ADMIN: to drop its default route
    ...(endpoint ? { NetworkingConfig: { EndpointsConfig: { [network]: endpoint } } } : {}),
  });
  await container.start();
  return container;
}
