// The MTU Docker gives a task's interface on an overlay (libnetwork's overlay driver): the node's 1500 less what
// VXLAN wraps around each frame; an encrypted overlay also leaves room for ESP around the VXLAN packet.

export const LINK_MTU = 1500;
/** Outer IPv4 20 + UDP 8 + VXLAN 8 + the inner Ethernet header 14. */
export const VXLAN_OVERHEAD = 50;
/** What libnetwork keeps for ESP: SPI 4 + sequence 4 + IV 8 + pad length 1 + next header 1 + ICV 8. */
export const ESP_OVERHEAD = 26;
/** A ping's own headers: ICMP 8 + IPv4 20. */
export const ICMP_AND_IP = 28;

/** 1450 for a plain overlay; encrypted, 26 less, rounded down to a multiple of 4 as libnetwork does: 1424. */
export function overlayMtu(encrypted: boolean): number {
  const mtu = LINK_MTU - VXLAN_OVERHEAD;
  if (!encrypted) return mtu;
  const esp = mtu - ESP_OVERHEAD;
  return esp - (esp % 4);
}

/** The largest ping payload that fits the overlay with don't-fragment, and one byte more (which must not). */
export function pathMtuSizes(mtu: number): [fits: number, tooBig: number] {
  return [mtu - ICMP_AND_IP, mtu - ICMP_AND_IP + 1];
}
