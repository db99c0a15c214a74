// The upstream (lab/backends/host/upstream.ts) of a lab of containers: on the lab's Docker network, at its address.
import type Docker from "dockerode";
import type { BaseSettings } from "../../types";
import type { Log } from "../backend";
import { dropDefaultRoute } from "../host/containers";
import { WHOAMI_PORT } from "../host/names";
import { startUpstreamContainer, upstreamRunning } from "../host/upstream";
import { networkName } from "./names";

export async function ensureUpstream(docker: Docker, base: BaseSettings, log: Log): Promise<void> {
  if (await upstreamRunning(docker, base)) return;
  const container = await startUpstreamContainer(docker, base, networkName(base.lab), { IPAMConfig: { IPv4Address: base.upstream.address } });
  if (base.egress === "none") await dropDefaultRoute(docker, container.id);
  log(`upstream ${base.upstream.address} started (answers ping, and on :${WHOAMI_PORT} the source address it sees)`);
}
