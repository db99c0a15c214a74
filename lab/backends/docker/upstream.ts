// The "upstream": a small host on the lab network standing for the internet of the tutorial's `ping 8.8.8.8`.
// It answers pings, and on WHOAMI_PORT it replies with the source address it sees — which proves the
// masquerade (north-south traffic leaves a node with the node's own lab address).
import type Docker from "dockerode";
import type { LabSpec } from "../../types";
import { LABEL_LAB, LABEL_NODE, LABEL_ROLE } from "../../types";
import type { Log } from "../backend";
import { unless404 } from "../../engine-api";
import { clearLeftover, dropDefaultRoute } from "./containers";
import { containerName, networkName, WHOAMI_PORT } from "./names";

export async function ensureUpstream(docker: Docker, spec: LabSpec, log: Log): Promise<void> {
  const name = containerName(spec.name, spec.upstream.name);
  const info = await unless404(docker.getContainer(name).inspect());
  if (info?.State.Running && info.Config.Labels?.[LABEL_LAB] === spec.name) return;
  await clearLeftover(docker, name, spec.name);
  const container = await docker.createContainer({
    name,
    Image: spec.service.image,
    Hostname: spec.upstream.name,
    Labels: { [LABEL_LAB]: spec.name, [LABEL_NODE]: spec.upstream.name, [LABEL_ROLE]: "upstream" },
    Cmd: ["tcpsvd", "0.0.0.0", String(WHOAMI_PORT), "sh", "-c", 'echo "$TCPREMOTEIP"'],
    HostConfig: { NetworkMode: networkName(spec.name), Init: true, CapAdd: ["NET_ADMIN"] }, // NET_ADMIN: to drop its default route
    NetworkingConfig: {
      EndpointsConfig: { [networkName(spec.name)]: { IPAMConfig: { IPv4Address: spec.upstream.address } } },
    },
  });
  await container.start();
  if (spec.egress === "none") await dropDefaultRoute(docker, container.id);
  log(`upstream ${spec.upstream.address} started (answers ping, and on :${WHOAMI_PORT} the source address it sees)`);
}
