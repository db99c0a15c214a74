// Reading a task's interfaces from busybox's `ip -o addr` and `ip -o link` (busybox has no JSON output).

export interface Interface {
  name: string;
  mtu: number;
  /** IPv4 address with prefix, e.g. 10.0.1.8/24. */
  ipv4: string;
}

/** `ip -o link` lines look like `13: eth0@if14: <BROADCAST,…> mtu 1450 qdisc noqueue …`. */
export function parseLinks(text: string): Map<string, number> {
  const mtus = new Map<string, number>();
  for (const m of text.matchAll(/^\d+:\s+([^:@\s]+)(?:@\S+)?:\s.*?\bmtu (\d+)/gm)) mtus.set(m[1], Number(m[2]));
  return mtus;
}

/** `ip -o addr` lines look like `13: eth0    inet 10.0.1.4/24 brd 10.0.1.255 scope global eth0\ …`. */
export function parseAddresses(text: string): Map<string, string> {
  const addrs = new Map<string, string>();
  for (const m of text.matchAll(/^\d+:\s+(\S+)\s+inet (\d+\.\d+\.\d+\.\d+\/\d+)/gm)) {
    if (!addrs.has(m[1])) addrs.set(m[1], m[2]);
  }
  return addrs;
}

export function interfaces(linkText: string, addrText: string): Interface[] {
  const addrs = parseAddresses(addrText);
  return [...parseLinks(linkText)].map(([name, mtu]) => ({ name, mtu, ipv4: addrs.get(name) ?? "" }));
}
