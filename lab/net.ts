// Small, pure IPv4 helpers. Addresses are unsigned 32-bit integers held in ordinary numbers.

/** A parsed CIDR block. `address` is what was written; `network` has the host bits cleared. */
export interface Cidr {
  /** The address as written before the slash (may have host bits set). */
  address: number;
  prefix: number;
  /** First address of the block (host bits zero). */
  network: number;
  /** Last address of the block (host bits one). */
  broadcast: number;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Parses dotted-quad IPv4 text ("192.168.56.10"); returns undefined when it is not one. No leading zeros. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Formats an unsigned 32-bit number as dotted-quad text. */
export function formatIPv4(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`not an IPv4 address value: ${value}`);
  }
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join(".");
}

/** The netmask of a prefix length, as an unsigned number (/24 -> 255.255.255.0). */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "a.b.c.d/n"; returns undefined when it is not valid CIDR text. Host bits may be set (see `address`). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const address = parseIPv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]?)$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  const mask = maskOf(prefix);
  const network = (address & mask) >>> 0;
  const broadcast = (network | ~mask) >>> 0;
  return { address, prefix, network, broadcast };
}

/** "network/prefix" text of a block. */
export function formatCidr(cidr: Pick<Cidr, "network" | "prefix">): string {
  return `${formatIPv4(cidr.network)}/${cidr.prefix}`;
}

/** Whether the address lies inside the block. */
export function contains(cidr: Pick<Cidr, "network" | "broadcast">, address: number): boolean {
  return address >= cidr.network && address <= cidr.broadcast;
}

/** Whether two blocks share at least one address. */
export function overlaps(a: Pick<Cidr, "network" | "broadcast">, b: Pick<Cidr, "network" | "broadcast">): boolean {
  return a.network <= b.broadcast && b.network <= a.broadcast;
}

/** The address `offset` places after `network` (addressAt(192.168.56.0, 10) = 192.168.56.10). */
export function addressAt(network: number, offset: number): number {
  const value = network + offset;
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`address out of the IPv4 range: ${formatIPv4(network)} + ${offset}`);
  }
  return value;
}
