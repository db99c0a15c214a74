// VXLAN on the wire between two workers during a task-to-task ping (tcpdump, decoded by lab/explain/vxlan.ts): plain,
// VXLAN packets with the overlay's VNI, node to node outside and task to task inside; encrypted, ESP only.
import type { EspPacket, VxlanPacket, WirePacket } from "../explain/vxlan";
import { verdict, Verdict } from "./verdict";

/** What a capture between two workers during a task-to-task ping must show. */
export interface WireExpectation {
  /** The overlay's VNI, as Docker reports it (docker network inspect). */
  vni: number;
  encrypted: boolean;
  /** The two nodes' lab addresses (the outer ones) and the two tasks' overlay addresses (the inner ones). */
  nodes: string[];
  tasks: string[];
  /** The VNI of the vxlan device in the overlay's namespace on the capturing node, where it was read. */
  deviceVni?: number;
}

export interface WireVerdict extends Verdict {
  vxlan: VxlanPacket[];
  esp: EspPacket[];
  /** The VNIs seen on the wire, each once. */
  vnis: number[];
}

/**
 * Plain: VXLAN packets (two at least), all with the overlay's VNI, node to node outside and task to task inside, and
 * the node's vxlan device carries that VNI. Encrypted: ESP packets (two at least) and no cleartext VXLAN of the
 * overlay.
 */
export function overlayOnTheWire(packets: WirePacket[], e: WireExpectation): WireVerdict {
  const vxlan = packets.filter((p): p is VxlanPacket => p.kind === "vxlan");
  const esp = packets.filter((p): p is EspPacket => p.kind === "esp");
  const vnis = [...new Set(vxlan.map((p) => p.vni))];
  const found: string[] = [];
  if (e.encrypted) {
    const clear = vxlan.filter((p) => p.vni === e.vni);
    if (clear.length > 0) found.push(`${clear.length} cleartext VXLAN packets of VNI ${e.vni} on the wire of an encrypted overlay`);
    if (esp.length < 2) found.push(`${esp.length} ESP packets between ${e.nodes.join(" and ")} (2 at least expected)`);
    return { ...verdict("vxlan-on-the-wire", found), vxlan, esp, vnis };
  }
  if (vxlan.length < 2) found.push(`${vxlan.length} VXLAN packets between ${e.nodes.join(" and ")} (2 at least expected)`);
  for (const p of vxlan) {
    const where = `${p.outer.src} > ${p.outer.dst}`;
    if (p.vni !== e.vni) found.push(`${where}: VNI ${p.vni}, not ${e.vni}`);
    if (!e.nodes.includes(p.outer.src) || !e.nodes.includes(p.outer.dst)) found.push(`${where}: not between the nodes ${e.nodes.join(", ")}`);
    if (!p.inner || !e.tasks.includes(p.inner.src) || !e.tasks.includes(p.inner.dst)) {
      found.push(`${where}: inside ${p.inner ? `${p.inner.src} > ${p.inner.dst}` : "no IPv4"}, not between the tasks ${e.tasks.join(", ")}`);
    }
  }
  if (e.deviceVni !== undefined && e.deviceVni !== e.vni) found.push(`the overlay's vxlan device has VNI ${e.deviceVni}, not ${e.vni}`);
  return { ...verdict("vxlan-on-the-wire", found), vxlan, esp, vnis };
}
