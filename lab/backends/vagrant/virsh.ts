// libvirt as the vagrant backend sees it, through virsh: the lab's domains (found by the description the Vagrantfile
// gives them: swarmlab.lab=…,swarmlab.owner=…), its networks (found by the metadata network.ts gives them) and the
// disks named after its domains. Parsing is separate from running, so that it is tested on fixtures.
import type execa from "execa";
import { checkLibvirtUri, EnvError, LIBVIRT_SYSTEM } from "../../env";
import { formatCidr, parseCidr } from "../../net";
import { LABEL_LAB, LABEL_NODE, LABEL_OWNER, LABEL_ROLE } from "../../types";
import { runProgram } from "./programs";

/**
 * The libvirt instance the doctor reads (LIBVIRT_DEFAULT_URI as this process started, else the system instance).
 * virsh() below checks the variable each time it runs and always asks the system instance, where vagrant-libvirt
 * makes the machines: any other value is refused (lab/env.ts's checkLibvirtUri).
 */
export const LIBVIRT_URI = process.env.LIBVIRT_DEFAULT_URI || LIBVIRT_SYSTEM;
/** The storage pool vagrant-libvirt puts the machines' disks and the box's copy in. */
export const STORAGE_POOL = "default";
/** The XML namespace of the metadata on the lab's networks. */
export const METADATA_NS = "https://github.com/swarmlab/libvirt/1";

/**
 * virsh on the system instance; without virsh installed, a MissingProgram (reject or not); with LIBVIRT_DEFAULT_URI
 * naming another instance, its EnvError (reject or not), before virsh runs.
 */
export async function virsh(args: string[], reject = true): Promise<execa.ExecaReturnValue> {
  checkLibvirtUri(process.env.LIBVIRT_DEFAULT_URI);
  return runProgram("virsh", ["-c", LIBVIRT_SYSTEM, "-q", ...args], { reject });
}

/** "swarmlab.lab=x,swarmlab.owner=y,…" → { "swarmlab.lab": "x", … }; only swarmlab.* keys, other text ignored. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(/[,\s]+/)) {
    const m = /^(swarmlab\.[a-z]+)=([^,\s]*)$/.exec(part);
    if (m) labels[m[1]] = m[2];
  }
  return labels;
}

export function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export interface Domain {
  name: string;
  /** libvirt's id of this domain: a machine made again under the same name has another. */
  uuid: string;
  /** swarmlab.* labels of its description (empty for a domain not made by a lab). */
  labels: Record<string, string>;
  /** Files of its disks. */
  disks: string[];
}

/** A domain from `virsh dumpxml`. */
export function parseDomainXml(xml: string): Domain {
  const name = unescapeXml(/<name>([^<]*)<\/name>/.exec(xml)?.[1] ?? "");
  const uuid = /<uuid>([^<]*)<\/uuid>/.exec(xml)?.[1] ?? "";
  const description = unescapeXml(/<description>([^<]*)<\/description>/.exec(xml)?.[1] ?? "");
  const disks = [...xml.matchAll(/<source file=['"]([^'"]+)['"]/g)].map((m) => unescapeXml(m[1]));
  return { name, uuid, labels: parseLabels(description), disks };
}

export interface LibvirtNetwork {
  name: string;
  bridge: string;
  /** The host's address on it and its prefix length, e.g. 192.168.157.1 and 24. */
  address?: string;
  prefix?: number;
  /** Whether libvirt runs DHCP on it (the management network). */
  dhcp: boolean;
  /** Whether it forwards anywhere (a lab's networks never do). */
  forward?: string;
  /** swarmlab.lab, swarmlab.owner and swarmlab.network (lab or mgmt) from its metadata; empty when it has none. */
  labels: Record<string, string>;
}

const attr = (tag: string, name: string) => new RegExp(`\\b${name}=['"]([^'"]*)['"]`).exec(tag)?.[1];

/** A network from `virsh net-dumpxml`. */
export function parseNetworkXml(xml: string): LibvirtNetwork {
  const name = unescapeXml(/<name>([^<]*)<\/name>/.exec(xml)?.[1] ?? "");
  const bridgeTag = /<bridge\b[^>]*>/.exec(xml)?.[0] ?? "";
  const ipTag = /<ip\b[^>]*>/.exec(xml)?.[0] ?? "";
  const forwardTag = /<forward\b[^>]*>/.exec(xml)?.[0];
  const metaTag = new RegExp(`<[A-Za-z0-9_]+:lab\\b[^>]*xmlns:[A-Za-z0-9_]+=['"]${METADATA_NS.replace(/[./]/g, "\\$&")}['"][^>]*>`).exec(xml)?.[0];
  const labels: Record<string, string> = {};
  if (metaTag) {
    for (const key of ["lab", "owner", "network"]) {
      const v = attr(metaTag, key);
      if (v !== undefined) labels[`swarmlab.${key}`] = unescapeXml(v);
    }
  }
  const netmask = attr(ipTag, "netmask");
  const prefix = attr(ipTag, "prefix");
  return {
    name,
    bridge: attr(bridgeTag, "name") ?? "",
    address: attr(ipTag, "address"),
    prefix: prefix !== undefined ? Number(prefix) : netmask !== undefined ? prefixOf(netmask) : undefined,
    dhcp: /<dhcp\b/.test(xml),
    forward: forwardTag ? (attr(forwardTag, "mode") ?? "nat") : undefined,
    labels,
  };
}

/** The subnet a libvirt network holds ("192.168.157.0/24"), from the host's address on it. */
export function subnetOf(n: Pick<LibvirtNetwork, "address" | "prefix">): string | undefined {
  if (!n.address || n.prefix === undefined) return undefined;
  const cidr = parseCidr(`${n.address}/${n.prefix}`);
  return cidr ? formatCidr(cidr) : undefined;
}

export function prefixOf(netmask: string): number {
  return netmask.split(".").reduce((bits, octet) => bits + Number(octet).toString(2).replace(/0/g, "").length, 0);
}

export function netmaskOf(prefix: number): string {
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join(".");
}

/** An isolated network (no <forward>: nothing routed off this machine) carrying the lab's identity. */
export function networkXml(n: {
  name: string;
  lab: string;
  owner: string;
  role: "lab" | "mgmt";
  address: string;
  prefix: number;
  dhcp?: { start: string; end: string };
}): string {
  const dhcp = n.dhcp ? `\n    <dhcp>\n      <range start="${n.dhcp.start}" end="${n.dhcp.end}"/>\n    </dhcp>\n  ` : "";
  return [
    "<network>",
    `  <name>${escapeXml(n.name)}</name>`,
    "  <metadata>",
    `    <swarmlab:lab xmlns:swarmlab="${METADATA_NS}" lab="${escapeXml(n.lab)}" owner="${escapeXml(n.owner)}" network="${n.role}"/>`,
    "  </metadata>",
    '  <bridge stp="on" delay="0"/>',
    // No name service from libvirt: the VMs must ask nothing of anyone (dnsmasq then only does DHCP).
    '  <dns enable="no"/>',
    `  <ip address="${n.address}" netmask="${netmaskOf(n.prefix)}">${dhcp}</ip>`,
    "</network>",
    "",
  ].join("\n");
}

/** The lines of a `virsh … --name` listing. */
export function nameList(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Every domain of this libvirt, with its state ("running", "shut off", …). */
export async function listDomains(): Promise<(Domain & { state: string })[]> {
  const names = nameList((await virsh(["list", "--all", "--name"])).stdout);
  const found = await Promise.all(
    names.map(async (name) => {
      const xml = await virsh(["dumpxml", name], false);
      if (xml.exitCode !== 0) return undefined; // gone meanwhile
      const state = (await virsh(["domstate", name], false)).stdout.trim() || "unknown";
      return { ...parseDomainXml(xml.stdout), state };
    }),
  );
  return found.filter((d): d is Domain & { state: string } => d !== undefined);
}

/** Every network of this libvirt, with whether it is active. */
export async function listNetworks(): Promise<(LibvirtNetwork & { active: boolean })[]> {
  const [all, active] = await Promise.all([virsh(["net-list", "--all", "--name"]), virsh(["net-list", "--name"])]);
  const running = new Set(nameList(active.stdout));
  const found = await Promise.all(
    nameList(all.stdout).map(async (name) => {
      const xml = await virsh(["net-dumpxml", name], false);
      return xml.exitCode === 0 ? { ...parseNetworkXml(xml.stdout), active: running.has(name) } : undefined;
    }),
  );
  return found.filter((n): n is LibvirtNetwork & { active: boolean } => n !== undefined);
}

/** Names of the volumes in the storage pool (none when the pool does not exist). */
export async function listVolumes(pool = STORAGE_POOL): Promise<string[]> {
  const r = await virsh(["vol-list", pool], false);
  if (r.exitCode !== 0) return [];
  return parseVolList(r.stdout);
}

/** `virsh -q vol-list <pool>`: "name   path" rows → names. */
export function parseVolList(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean);
}

/** Stops and removes a domain with its disks; a domain already gone is not an error. */
export async function removeDomain(name: string): Promise<void> {
  await virsh(["destroy", name], false);
  const r = await virsh(["undefine", name, "--remove-all-storage", "--managed-save", "--snapshots-metadata"], false);
  if (r.exitCode !== 0 && !/failed to get domain|Domain not found/i.test(r.stderr)) {
    throw new Error(`virsh undefine ${name}: ${r.stderr.trim()}`);
  }
}

export async function removeVolume(name: string, pool = STORAGE_POOL): Promise<void> {
  const r = await virsh(["vol-delete", name, "--pool", pool], false);
  if (r.exitCode !== 0 && !/not found|no storage vol/i.test(r.stderr)) throw new Error(`virsh vol-delete ${name}: ${r.stderr.trim()}`);
}

export async function removeNetwork(name: string): Promise<void> {
  await virsh(["net-destroy", name], false);
  const r = await virsh(["net-undefine", name], false);
  if (r.exitCode !== 0 && !/not found|no network/i.test(r.stderr)) throw new Error(`virsh net-undefine ${name}: ${r.stderr.trim()}`);
}

/** The labels of a domain as the backend lists it: lab, owner, node, role. */
export function domainIdentity(d: Domain): { lab?: string; owner: string; node?: string; role?: string } {
  return { lab: d.labels[LABEL_LAB], owner: d.labels[LABEL_OWNER] ?? "", node: d.labels[LABEL_NODE], role: d.labels[LABEL_ROLE] };
}

/** Whether virsh answers on the system instance: false without virsh; a bad LIBVIRT_DEFAULT_URI throws. */
export async function libvirtAnswers(): Promise<boolean> {
  const answer = await virsh(["version"], false).catch((err: unknown) => {
    if (err instanceof EnvError) throw err;
    return undefined;
  });
  return answer?.exitCode === 0;
}
