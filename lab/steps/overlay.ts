// `docker network create -d overlay mynet` on the manager; the network reaches the workers with their tasks.
import type Docker from "dockerode";
import type { Log } from "../backends/backend";
import { LABEL_LAB } from "../types";

export interface OverlayInfo {
  id: string;
  name: string;
  subnet: string;
  gateway: string;
}

export async function ensureOverlay(manager: Docker, lab: string, name: string, log: Log): Promise<OverlayInfo> {
  let found = (await manager.listNetworks({ filters: { name: [name] } })).find((n) => n.Name === name);
  if (found && found.Driver !== "overlay") throw new Error(`network ${name} exists with driver ${found.Driver}, not overlay`);
  if (!found) {
    const created = await manager.createNetwork({ Name: name, Driver: "overlay", Labels: { [LABEL_LAB]: lab } });
    log(`overlay network ${name} created`);
    found = await created.inspect();
  }
  const ipam = found!.IPAM?.Config?.[0] ?? {};
  return { id: found!.Id, name, subnet: ipam.Subnet ?? "", gateway: ipam.Gateway ?? "" };
}

/** Removes the network; while the tasks of a just-removed service shut down, swarm still calls it in use. */
export async function removeOverlay(manager: Docker, name: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await manager.listNetworks({ filters: { name: [name] } })).find((n) => n.Name === name);
    if (!found) return;
    try {
      await manager.getNetwork(found.Id).remove();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
