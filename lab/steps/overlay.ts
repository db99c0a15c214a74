// `docker network create -d overlay mynet` on the manager; the network reaches the workers with their tasks.
import type Docker from "dockerode";
import type { Log } from "../backends/backend";
import { LABEL_LAB } from "../types";
import { waitUntil } from "../wait";

export interface OverlayInfo {
  id: string;
  name: string;
  subnet: string;
  gateway: string;
}

export async function findNetwork(docker: Docker, name: string): Promise<Docker.NetworkInspectInfo | undefined> {
  return (await docker.listNetworks({ filters: { name: [name] } })).find((n) => n.Name === name);
}

/** Whether a network was made with --opt encrypted (IPsec ESP between the nodes). */
export function isEncrypted(network: Pick<Docker.NetworkInspectInfo, "Options">): boolean {
  return "encrypted" in (network.Options ?? {});
}

/** Docker's own option on every overlay: the VXLAN ids it chose (not a setting). */
const VXLAN_IDS = "com.docker.network.driver.overlay.vxlanid_list";

/**
 * How a network named like the overlay differs from the one swarmlab makes (driver overlay, scope swarm, no option
 * but --opt encrypted when asked, neither internal nor attachable), in words; "" when it does not. Swarm changes no
 * network in place: a network that differs is made again.
 */
export function overlayDrift(
  n: Pick<Docker.NetworkInspectInfo, "Driver" | "Scope" | "Options" | "Internal" | "Attachable">,
  encrypted: boolean,
): string {
  if (n.Driver !== "overlay") return `is a ${n.Driver} network`;
  if (n.Scope !== "swarm") return `has scope ${n.Scope}, not swarm`;
  if (isEncrypted(n) !== encrypted) return `is ${isEncrypted(n) ? "" : "not "}encrypted, unlike its settings`;
  const options = Object.keys(n.Options ?? {}).filter((k) => k !== VXLAN_IDS && k !== "encrypted");
  if (options.length > 0) return `has options swarmlab does not set (${options.map((k) => `${k}=${n.Options?.[k]}`).join(", ")})`;
  if (n.Internal || n.Attachable) return `is ${n.Internal ? "internal" : "attachable"}, unlike swarmlab's`;
  return "";
}

/**
 * `docker network create -d overlay [--opt encrypted] <name>`. A network of that name made otherwise (encrypted or
 * not, other options) is removed first, with what is attached to it: Swarm cannot change a network in place.
 */
export async function ensureOverlay(manager: Docker, lab: string, name: string, log: Log, encrypted = false): Promise<OverlayInfo> {
  let found = await findNetwork(manager, name);
  if (found && found.Driver !== "overlay") throw new Error(`network ${name} exists with driver ${found.Driver}, not overlay`);
  const drift = found ? overlayDrift(found, encrypted) : "";
  if (drift) {
    log(`overlay network ${name} ${drift}: made again`);
    await removeOverlay(manager, name, log);
    found = undefined;
  }
  if (!found) {
    await manager.createNetwork({
      Name: name,
      Driver: "overlay",
      Labels: { [LABEL_LAB]: lab },
      // --opt encrypted: the nodes' kernels carry the overlay's VXLAN inside IPsec ESP (AES-GCM)
      ...(encrypted ? { Options: { encrypted: "" } } : {}),
    });
    log(`overlay network ${name} created${encrypted ? " (encrypted)" : ""}`);
  }
  return allocated(manager, name);
}

/** The network once Swarm's allocator has given it a subnet (just after creation, inspect may show none yet). */
async function allocated(manager: Docker, name: string, timeoutMs = 15_000): Promise<OverlayInfo> {
  return waitUntil(`overlay network ${name}'s subnet`, { timeoutMs, pacingMs: 200, errors: "end" }, async ({ saw }) => {
    const info = await manager.getNetwork(name).inspect();
    const ipam = info.IPAM?.Config?.[0];
    saw("swarm's allocator has given it none yet");
    return ipam?.Subnet ? { id: info.Id, name, subnet: ipam.Subnet, gateway: ipam.Gateway ?? "" } : undefined;
  });
}

/**
 * Removes the network, and first any service still attached to it (one the lab's state does not know of would
 * otherwise keep it). While the tasks of a just-removed service shut down, swarm still calls it in use.
 */
export async function removeOverlay(manager: Docker, name: string, log: Log, timeoutMs = 20_000): Promise<void> {
  const network = await findNetwork(manager, name);
  if (!network) return;
  for (const s of await manager.listServices()) {
    const attached = (s.Spec?.TaskTemplate as { Networks?: { Target?: string }[] } | undefined)?.Networks ?? [];
    if (attached.some((n) => n.Target === network.Id || n.Target === name)) {
      await manager.getService(s.ID).remove();
      log(`service ${s.Spec?.Name} removed: it used ${name}`);
    }
  }
  // A removal refused while tasks shut down is part of waiting; an engine that does not answer ends it.
  await waitUntil(`overlay network ${name} removed`, { timeoutMs, pacingMs: 500, errors: "end" }, async ({ saw }) => {
    const found = await findNetwork(manager, name);
    if (!found) return true;
    try {
      await manager.getNetwork(found.Id).remove();
      return true;
    } catch (err) {
      saw(String((err as Error)?.message ?? err));
      return false;
    }
  });
}
