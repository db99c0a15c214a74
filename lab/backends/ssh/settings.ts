// What the ssh backend's settings take beyond the common rules (lab/backends/settings.ts): swarmlab:hosts, the
// machines the user already has, as a JSON list. Checked here as a whole value, purely (a key file's existence is
// the host's business: plugin.ts settle). A leaf, as lab/config.ts reads it.
import { contains, parseCidr, parseIPv4 } from "../../net";
import type { BackendSettings, SettingRefusal } from "../settings";

/** One host the user has, as swarmlab:hosts lists it. */
export interface SshHost {
  /** The node's name in the lab (the swarm keeps the host's own hostname). */
  name: string;
  /** Where this machine reaches its sshd, and the address the swarm advertises. */
  address: string;
  role: "manager" | "worker";
  user: string;
  port: number;
  /** A private key file (OpenSSH format); absent: the SSH agent at $SSH_AUTH_SOCK. */
  key?: string;
  /** The jump host it is reached through ("user@host[:port]"), with the same key or agent. */
  jump?: Jump;
}

/** lab/types.ts's JumpHost, said again here: this leaf is read by what lab/types.ts reads (no import back). */
type Jump = { address: string; port: number; user: string };

export const HOSTS_KEY = "hosts";

const EXAMPLE =
  `'[{"name":"swarm-manager","address":"192.168.1.10","role":"manager","user":"pi"},` +
  `{"name":"swarm-worker1","address":"192.168.1.11","role":"worker","user":"pi"},` +
  `{"name":"swarm-worker2","address":"192.168.1.12","role":"worker","user":"pi","port":2222,"key":"~/.ssh/id_ed25519"}]'`;
export const HOSTS_FIX = `pulumi config set swarmlab:hosts ${EXAMPLE} (docs/ssh-hosts.md)`;

/**
 * Addresses Swarm takes on every node: its default overlay pool (ingress and mynet come from 10.0.0.0/8) and
 * docker_gwbridge (172.18.0.0/16 on a node with docker0 in 172.17): a host there would collide with its own tasks'.
 */
export const SWARM_RANGES = ["10.0.0.0/8", "172.17.0.0/16", "172.18.0.0/16"].map((c) => ({ text: c, cidr: parseCidr(c)! }));

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const USER = /^[a-z_][a-z0-9_.-]{0,31}$/;
const FIELDS = ["name", "address", "role", "user", "port", "key", "jump"];
const JUMP = /^([a-z_][a-z0-9_.-]{0,31})@([A-Za-z0-9][A-Za-z0-9.-]{0,252})(?::(\d{1,5}))?$/;

/** "user@host[:port]" → the jump host, undefined when it is not of that form. */
export function parseJump(text: string): Jump | undefined {
  const m = JUMP.exec(text);
  const port = m?.[3] === undefined ? 22 : Number(m[3]);
  return m && port >= 1 && port <= 65535 ? { user: m[1], address: m[2], port } : undefined;
}

/** The hosts, or what is wrong with the value (one problem, the first). */
export function parseHosts(text: string): { hosts: SshHost[] } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { problem: `not JSON (${(err as Error).message})` };
  }
  if (!Array.isArray(value) || value.length === 0) return { problem: "a JSON list of hosts, one object each, is expected" };
  const hosts: SshHost[] = [];
  for (const [i, h] of value.entries()) {
    const where = `host ${i + 1}`;
    if (typeof h !== "object" || h === null || Array.isArray(h)) return { problem: `${where} is not an object` };
    const o = h as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !FIELDS.includes(k));
    if (unknown.length > 0) return { problem: `${where} has unknown field ${unknown[0]} (known: ${FIELDS.join(", ")})` };
    if (typeof o.name !== "string" || !NAME.test(o.name))
      return { problem: `${where}'s name is 1-63 characters of a-z, 0-9 and '-', starting with a letter` };
    const named = `host ${o.name}`;
    if (typeof o.address !== "string" || parseIPv4(o.address) === undefined) return { problem: `${named}'s address is an IPv4 address (a.b.c.d)` };
    const range = SWARM_RANGES.find((r) => contains(r.cidr, parseIPv4(o.address as string)!));
    if (range) {
      return {
        problem: `${named}'s address ${o.address} is in ${range.text}, which Swarm takes on every node (its overlay pool 10.0.0.0/8, docker0 and docker_gwbridge)`,
      };
    }
    if (o.role !== "manager" && o.role !== "worker") return { problem: `${named}'s role is manager or worker` };
    if (typeof o.user !== "string" || !USER.test(o.user)) return { problem: `${named}'s user is a login name (a-z, 0-9, '_', '-', '.')` };
    const port = o.port ?? 22;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)
      return { problem: `${named}'s port is a number from 1 to 65535` };
    if (o.key !== undefined && (typeof o.key !== "string" || o.key === "")) return { problem: `${named}'s key is the path of a private key file` };
    const jump = typeof o.jump === "string" ? parseJump(o.jump) : undefined;
    if (o.jump !== undefined && !jump) return { problem: `${named}'s jump is the jump host as user@host or user@host:port` };
    hosts.push({
      name: o.name,
      address: o.address,
      role: o.role,
      user: o.user,
      port,
      ...(o.key ? { key: o.key as string } : {}),
      ...(jump ? { jump } : {}),
    });
  }
  const twice = <T>(list: T[]) => list.find((x, i) => list.indexOf(x) !== i);
  const name = twice(hosts.map((h) => h.name));
  if (name) return { problem: `host ${name} is listed twice: each host has a name of its own` };
  const place = twice(hosts.map((h) => `${h.address}:${h.port}`));
  if (place) return { problem: `${place} is listed twice: each host is one machine` };
  const address = twice(hosts.map((h) => h.address));
  if (address) return { problem: `address ${address} is listed twice: Swarm advertises one address per node` };
  if (!hosts.some((h) => h.role === "manager")) return { problem: "no host is a manager: the first manager listed founds the swarm" };
  if (!hosts.some((h) => h.role === "worker")) return { problem: "no host is a worker: the service's tasks run on workers" };
  return { hosts };
}

/** The value's refusal, as the ConfigError lab/config.ts makes of it. */
export function hostsRefusal(value: string): SettingRefusal | undefined {
  const parsed = parseHosts(value);
  return "problem" in parsed ? { key: HOSTS_KEY, value, problem: parsed.problem, fix: HOSTS_FIX } : undefined;
}

export const settings: BackendSettings = {
  keys: { [HOSTS_KEY]: hostsRefusal },
  refuses({ egress }) {
    if (egress === "none") return undefined;
    // The tasks ping the founding manager: no packet of the lab goes past the hosts; their own egress is theirs.
    const problem = "the ssh backend's tasks ping the founding manager, never the internet: the hosts' own egress is theirs to decide";
    return { key: "egress", value: egress, problem, fix: "pulumi config set swarmlab:egress none" };
  },
};
