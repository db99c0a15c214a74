// VXLAN on the wire: tcpdump on a worker's lab interface while one task pings the other, and tcpdump's own decoding
// of what it saw (it knows VXLAN on UDP 4789 and ESP): the outer addresses (the nodes'), the VNI, the inner addresses
// (the tasks'). Parsing tcpdump's text is pure, and tested on a capture recorded from a real lab
// (test/fixtures/explain/); whether a capture shows the overlay as it must is a fact, judged in lab/facts/wire.ts.

/** The IANA port of VXLAN, on which tcpdump decodes it without being told. */
export const VXLAN_PORT = 4789;
/** IP protocol 50: IPsec ESP, what an encrypted overlay sends between the nodes instead of VXLAN. */
export const ESP_PROTOCOL = 50;

export interface VxlanPacket {
  kind: "vxlan";
  time: string;
  outer: { src: string; dst: string; srcPort: number; dstPort: number };
  vni: number;
  /** The packet inside, when it is IPv4 (an ARP inside has no addresses to show here). */
  inner?: { src: string; dst: string; what: string };
}

export interface EspPacket {
  kind: "esp";
  time: string;
  outer: { src: string; dst: string };
  spi: string;
}

export type WirePacket = VxlanPacket | EspPacket;

/** The tcpdump filter: VXLAN and ESP between this node and its peer. */
export function captureFilter(peer: string): string {
  return `host ${peer} and (udp port ${VXLAN_PORT} or ip proto ${ESP_PROTOCOL})`;
}

/** The command as a student types it on the node (-nn: addresses and ports as numbers, -c: stop after count). */
export function captureCommand(iface: string, peer: string, count: number): string {
  return `sudo tcpdump -i ${iface} -nn -c ${count} '${captureFilter(peer)}'`;
}

const STAMP = /^(\d\d:\d\d:\d\d\.\d+) /;
const IPV4 = "(\\d+\\.\\d+\\.\\d+\\.\\d+)";
// 16:29:02.366604 IP 192.168.56.11.49851 > 192.168.56.12.4789: VXLAN, flags [I] (0x08), vni 4097
const VXLAN_LINE = new RegExp(`^\\S+ IP ${IPV4}\\.(\\d+) > ${IPV4}\\.(\\d+): VXLAN, .*\\bvni (\\d+)`);
// IP 10.0.1.3 > 10.0.1.4: ICMP echo request, id 15, seq 0, length 64
const INNER_IP = new RegExp(`^IP ${IPV4}(?:\\.\\d+)? > ${IPV4}(?:\\.\\d+)?: (.*)$`);
// 16:29:02.366604 IP 192.168.56.11 > 192.168.56.12: ESP(spi=0x0a1b2c3d,seq=0x5), length 140
const ESP_LINE = new RegExp(`^\\S+ IP ${IPV4} > ${IPV4}: ESP\\(spi=(0x[0-9a-f]+)`);

/**
 * The packets in tcpdump's text output (`tcpdump -nn`). A VXLAN packet takes two lines: the outer one (stamped) and
 * the decoded inner one (not stamped). Other lines (tcpdump's own messages) are skipped.
 */
export function parseCapture(text: string): WirePacket[] {
  const packets: WirePacket[] = [];
  const lines = text.split("\n").map((l) => l.trimEnd());
  for (let i = 0; i < lines.length; i++) {
    const stamp = STAMP.exec(lines[i])?.[1];
    if (!stamp) continue;
    const vxlan = VXLAN_LINE.exec(lines[i]);
    if (vxlan) {
      const inner = INNER_IP.exec(lines[i + 1] ?? "");
      packets.push({
        kind: "vxlan",
        time: stamp,
        outer: { src: vxlan[1], srcPort: Number(vxlan[2]), dst: vxlan[3], dstPort: Number(vxlan[4]) },
        vni: Number(vxlan[5]),
        ...(inner ? { inner: { src: inner[1], dst: inner[2], what: inner[3] } } : {}),
      });
      continue;
    }
    const esp = ESP_LINE.exec(lines[i]);
    if (esp) packets.push({ kind: "esp", time: stamp, outer: { src: esp[1], dst: esp[2] }, spi: esp[3] });
  }
  return packets;
}

/** One line per packet, as explain prints them: `192.168.56.11 > 192.168.56.12  VNI 4097  inner 10.0.1.3 > 10.0.1.4 (ICMP echo request)`. */
export function describePacket(p: WirePacket): string {
  if (p.kind === "esp")
    return `${p.outer.src} > ${p.outer.dst}  ESP (IP protocol ${ESP_PROTOCOL}) spi ${p.spi}: encrypted, nothing inside is readable`;
  const inner = p.inner ? `inner ${p.inner.src} > ${p.inner.dst} (${p.inner.what.replace(/, id \d+.*$/, "")})` : "inner: not IPv4";
  return `${p.outer.src} > ${p.outer.dst} UDP ${p.outer.dstPort}  VNI ${p.vni}  ${inner}`;
}
