// The lab network: a Docker bridge network with the lab's subnet and static addresses, --internal unless the
// user opted into real egress (then containers get a default route through the host).
import type Docker from "dockerode";
import type { BaseSettings } from "../../types";
import { LABEL_LAB, LABEL_OWNER } from "../../types";
import type { Log } from "../backend";
import { assertOurs, labFilter, labLabels, ownedBy, ownerText } from "../host/containers";
import { networkName } from "./names";

type NetworkInfo = Docker.NetworkInspectInfo;

export async function findLabNetwork(docker: Docker, lab: string): Promise<NetworkInfo | undefined> {
  const name = networkName(lab);
  return (await docker.listNetworks({ filters: { name: [name] } })).find((n) => n.Name === name);
}

/** The Linux bridge on the host behind a Docker bridge network. */
export function bridgeOf(network: Pick<NetworkInfo, "Id" | "Options">): string {
  return network.Options?.["com.docker.network.bridge.name"] ?? `br-${network.Id.slice(0, 12)}`;
}

/** Makes the lab network unless it exists; returns its bridge. */
export async function ensureLabNetwork(docker: Docker, base: BaseSettings, log: Log): Promise<string> {
  const name = networkName(base.lab);
  const existing = await findLabNetwork(docker, base.lab);
  if (existing) {
    assertOurs(`network ${name}`, existing.Labels, base);
    const subnet = existing.IPAM?.Config?.[0]?.Subnet;
    if (subnet !== base.subnet) throw new Error(`network ${name} exists with subnet ${subnet}, not ${base.subnet}: run npm run down first`);
    return bridgeOf(existing);
  }
  const clash = (await docker.listNetworks()).find((n) => n.IPAM?.Config?.some((c) => c.Subnet === base.subnet));
  if (clash) {
    const whose = clash.Labels?.[LABEL_LAB] ? `, lab ${clash.Labels[LABEL_LAB]} of ${ownerText(clash.Labels[LABEL_OWNER])}` : "";
    throw new Error(
      `swarmlab:subnet = "${base.subnet}": Docker network ${clash.Name}${whose} already uses it. ` +
        `Fix: pulumi config set swarmlab:subnet <another /24, e.g. 192.168.57.0/24>`,
    );
  }
  const created = await docker.createNetwork({
    Name: name,
    Driver: "bridge",
    Internal: base.egress === "none", // no default route: nothing leaves the machine
    IPAM: { Driver: "default", Config: [{ Subnet: base.subnet, Gateway: base.gateway }] },
    Labels: labLabels(base),
  });
  log(`network ${name} ${base.subnet} created (${base.egress === "none" ? "internal: no route off this machine" : "with egress"})`);
  return bridgeOf({ Id: created.id, Options: {} });
}

/** What is wrong with the lab network ("" when it is as made). */
export async function labNetworkProblem(docker: Docker, base: BaseSettings): Promise<string> {
  const found = await findLabNetwork(docker, base.lab);
  if (!found) return `network ${networkName(base.lab)} is gone`;
  if (found.Labels?.[LABEL_OWNER] !== base.owner) return `network ${found.Name} belongs to ${ownerText(found.Labels?.[LABEL_OWNER])}`;
  if (found.IPAM?.Config?.[0]?.Subnet !== base.subnet) return `network ${found.Name} has another subnet`;
  if (found.Internal !== (base.egress === "none")) return `network ${found.Name} is ${found.Internal ? "" : "not "}internal`;
  return "";
}

/** Removes the lab's networks (of one owner, when given); returns their names. */
export async function removeLabNetworks(docker: Docker, lab: string, owner?: string): Promise<string[]> {
  const found = (await docker.listNetworks({ filters: labFilter(lab) })).filter((n) => ownedBy(n.Labels, owner));
  for (const n of found) await docker.getNetwork(n.Id).remove();
  return found.map((n) => n.Name);
}
