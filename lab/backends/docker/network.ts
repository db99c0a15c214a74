// The lab network: a Docker bridge network with the lab's subnet and static addresses, --internal unless the
// user opted into real egress (then containers get a default route through the host).
import type Docker from "dockerode";
import type { LabSpec } from "../../types";
import { LABEL_LAB } from "../../types";
import type { Log } from "../backend";
import { networkName } from "./names";

export async function ensureLabNetwork(docker: Docker, spec: LabSpec, log: Log): Promise<void> {
  const name = networkName(spec.name);
  const existing = (await docker.listNetworks({ filters: { name: [name] } })).find((n) => n.Name === name);
  if (existing) {
    const subnet = existing.IPAM?.Config?.[0]?.Subnet;
    if (existing.Labels?.[LABEL_LAB] !== spec.name || subnet !== spec.subnet) {
      throw new Error(
        `network ${name} exists but is not this lab's (label ${LABEL_LAB}=${existing.Labels?.[LABEL_LAB]}, subnet ${subnet}); ` +
          `remove it or choose another swarmlab:name`,
      );
    }
    return;
  }
  const clash = (await docker.listNetworks()).find((n) => n.IPAM?.Config?.some((c) => c.Subnet === spec.subnet));
  if (clash) {
    throw new Error(
      `swarmlab:subnet = "${spec.subnet}": Docker network ${clash.Name} already uses it. ` +
        `Fix: pulumi config set swarmlab:subnet <another /24, e.g. 192.168.57.0/24>`,
    );
  }
  await docker.createNetwork({
    Name: name,
    Driver: "bridge",
    Internal: spec.egress === "none", // no default route: nothing leaves the machine
    IPAM: { Driver: "default", Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] },
    Labels: { [LABEL_LAB]: spec.name },
  });
  log(`network ${name} ${spec.subnet} created (${spec.egress === "none" ? "internal: no route off this machine" : "with egress"})`);
}

export async function removeLabNetworks(docker: Docker, lab: string): Promise<void> {
  for (const n of await docker.listNetworks({ filters: { label: [`${LABEL_LAB}=${lab}`] } })) {
    await docker.getNetwork(n.Id).remove();
  }
}
