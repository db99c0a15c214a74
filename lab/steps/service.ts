// `docker service create --network mynet --name test --replicas 2 busybox ping <target>`, one task per worker
// (as in the tutorial), created without asking a registry for the image: every node already has it.
import type Docker from "dockerode";
import type { Log } from "../backends/backend";
import { LABEL_LAB } from "../types";
import { waitUntil } from "../wait";

/** Where the tasks may run (`--constraint`, `--placement-pref`, `--replicas-max-per-node`). */
export interface Placement {
  /** node.role==worker, …: compared as a set (Swarm keeps them in any order). */
  constraints: string[];
  /** spread=node.labels.zone, …: in order (each splits what the one before chose). */
  preferences: string[];
  /** 0: no limit. */
  maxPerNode: number;
}

/** How the service is reached (`--endpoint-mode`, `--publish`). */
export interface Endpoint {
  mode: "vip" | "dnsrr";
  /** published:target/protocol, with " host" for --publish mode=host: e.g. 8080:80/tcp. */
  ports: string[];
}

export interface ServiceArgs {
  lab: string;
  name: string;
  image: string;
  replicas: number;
  network: string;
  pingTarget: string;
  placement: Placement;
  /** replicated or global: Swarm cannot change it in place. */
  mode: "replicated" | "global";
  endpoint: Endpoint;
}

/** The tutorial's placement: one task per worker, never on the manager (a failed start would otherwise stack both). */
export const TUTORIAL_PLACEMENT: Placement = { constraints: ["node.role==worker"], preferences: [], maxPerNode: 1 };
/** The tutorial's endpoint: a virtual IP, nothing published. */
export const TUTORIAL_ENDPOINT: Endpoint = { mode: "vip", ports: [] };

export interface TaskInfo {
  /** test.1, test.2, … */
  name: string;
  node: string;
  overlayIp: string;
  containerId: string;
}

interface RawPort {
  Protocol?: string;
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: string;
}

/** The Engine API's spec of a service (the part of it swarmlab reads), as `docker service inspect` shows it. */
export interface RawServiceSpec {
  Name?: string;
  Labels?: Record<string, string>;
  TaskTemplate?: {
    ContainerSpec?: { Image?: string; Command?: string[]; [k: string]: unknown };
    Placement?: { Constraints?: string[]; Preferences?: { Spread?: { SpreadDescriptor?: string } }[]; MaxReplicas?: number; [k: string]: unknown };
    Networks?: { Target?: string; [k: string]: unknown }[];
    [k: string]: unknown;
  };
  Mode?: { Replicated?: { Replicas?: number }; Global?: object; [k: string]: unknown };
  EndpointSpec?: { Mode?: string; Ports?: RawPort[] };
  [k: string]: unknown;
}

const portText = (p: RawPort) => `${p.PublishedPort ?? ""}:${p.TargetPort}/${p.Protocol ?? "tcp"}${p.PublishMode === "host" ? " host" : ""}`;

function portSpec(text: string): RawPort {
  const m = /^(\d*):(\d+)\/(\w+)( host)?$/.exec(text);
  if (!m) throw new Error(`a port is published:target/protocol[ host], not ${JSON.stringify(text)}`);
  return { Protocol: m[3], TargetPort: Number(m[2]), ...(m[1] ? { PublishedPort: Number(m[1]) } : {}), PublishMode: m[4] ? "host" : "ingress" };
}

export function serviceSpec(a: ServiceArgs, networkTarget: string = a.network): RawServiceSpec {
  return {
    Name: a.name,
    Labels: { [LABEL_LAB]: a.lab },
    TaskTemplate: {
      // Init: ping as PID 1 ignores SIGTERM, and every task stop would wait out Docker's 10 s grace period.
      ContainerSpec: { Image: a.image, Command: ["ping", a.pingTarget], Init: true, Labels: { [LABEL_LAB]: a.lab } },
      Networks: [{ Target: networkTarget }],
      Placement: {
        Constraints: a.placement.constraints,
        ...(a.placement.preferences.length ? { Preferences: a.placement.preferences.map(preferenceSpec) } : {}),
        ...(a.placement.maxPerNode ? { MaxReplicas: a.placement.maxPerNode } : {}),
      },
      RestartPolicy: { Condition: "any", Delay: 1_000_000_000 },
    },
    Mode: a.mode === "global" ? { Global: {} } : { Replicated: { Replicas: a.replicas } },
    // Given whole on every update: a spec without it would keep what a student published.
    EndpointSpec: { Mode: a.endpoint.mode, Ports: a.endpoint.ports.map(portSpec) },
  };
}

function preferenceSpec(text: string) {
  const m = /^spread=(.+)$/.exec(text);
  if (!m) throw new Error(`a placement preference is spread=<descriptor>, not ${JSON.stringify(text)}`);
  return { Spread: { SpreadDescriptor: m[1] } };
}

export async function findService(manager: Docker, name: string) {
  return (await manager.listServices({ filters: { name: [name] } })).find((s) => s.Spec?.Name === name);
}

/** What a live service is, in the terms of ServiceArgs, and what else of it differs from what swarmlab makes. */
export interface ObservedService extends Pick<ServiceArgs, "image" | "replicas" | "pingTarget" | "placement" | "mode" | "endpoint"> {
  /** The networks' ids (Swarm's Targets). */
  networks: string[];
  /** Spec fields that swarmlab leaves unset (or at Swarm's default) and the live service sets: dotted paths. */
  extras: string[];
}

/**
 * A live service's spec against the one swarmlab makes from `args`. Each declared field is read into its own
 * input; every other field the live spec sets beyond Swarm's defaults is listed in extras (a student's `--env-add`,
 * `--mount-add`, `--label-add`, …), so that any drift is seen. A command other than `ping <target>` is shown whole.
 */
export function observedService(spec: RawServiceSpec, args: Pick<ServiceArgs, "lab" | "name">): ObservedService {
  const task = spec.TaskTemplate ?? {};
  const command = task.ContainerSpec?.Command ?? [];
  const placement = task.Placement ?? {};
  const global = spec.Mode?.Global !== undefined;
  const wanted = serviceSpec({
    lab: args.lab,
    name: args.name,
    image: "",
    replicas: 0,
    network: "",
    pingTarget: "",
    placement: TUTORIAL_PLACEMENT,
    mode: "replicated",
    endpoint: TUTORIAL_ENDPOINT,
  });
  return {
    image: (task.ContainerSpec?.Image ?? "").replace(/@sha256:[0-9a-f]+$/, ""),
    replicas: spec.Mode?.Replicated?.Replicas ?? 0,
    pingTarget: command.length === 2 && command[0] === "ping" ? command[1] : command.join(" "),
    placement: {
      constraints: [...(placement.Constraints ?? [])].sort(),
      preferences: (placement.Preferences ?? []).map((p) => `spread=${p.Spread?.SpreadDescriptor ?? ""}`),
      maxPerNode: placement.MaxReplicas ?? 0,
    },
    mode: global ? "global" : "replicated",
    endpoint: {
      mode: spec.EndpointSpec?.Mode === "dnsrr" ? "dnsrr" : "vip",
      ports: (spec.EndpointSpec?.Ports ?? []).map(portText).sort(),
    },
    networks: (task.Networks ?? []).map((n) => n.Target ?? ""),
    extras: extraFields(wanted, spec),
  };
}

/**
 * Paths not read into inputs of their own: these are compared whole by observedService's typed fields. UpdateConfig,
 * RollbackConfig and ForceUpdate say how the next update rolls out (the CLI fills them in), not what runs.
 */
const DECLARED = new Set([
  "Name",
  "Mode",
  "EndpointSpec",
  "UpdateConfig",
  "RollbackConfig",
  "TaskTemplate.ForceUpdate",
  "TaskTemplate.ContainerSpec.Image",
  "TaskTemplate.ContainerSpec.Command",
  "TaskTemplate.Placement",
  "TaskTemplate.Networks",
]);

/** What the engine fills into every spec it stores (measured, Docker 26): equal to leaving the field out. */
const ENGINE_DEFAULTS: Record<string, unknown> = {
  "TaskTemplate.ContainerSpec.StopGracePeriod": 10_000_000_000,
  "TaskTemplate.ContainerSpec.Isolation": "default",
  "TaskTemplate.Runtime": "container",
};

/** Nothing said: absent, null, "", 0, false, and lists and objects of nothing. */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.values(v as object).every(isEmpty);
  return false;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Dotted paths where `live` says something `wanted` does not (outside DECLARED and the engine's defaults). */
export function extraFields(wanted: unknown, live: unknown, at = ""): string[] {
  if (DECLARED.has(at)) return [];
  if (at in ENGINE_DEFAULTS && JSON.stringify(live) === JSON.stringify(ENGINE_DEFAULTS[at])) return [];
  if (isObject(wanted) || isObject(live)) {
    const w = isObject(wanted) ? wanted : {};
    const l = isObject(live) ? live : {};
    if (!isObject(live) && !isEmpty(live)) return [at];
    return [...new Set([...Object.keys(w), ...Object.keys(l)])].sort().flatMap((k) => extraFields(w[k], l[k], at ? `${at}.${k}` : k));
  }
  if (isEmpty(wanted) && isEmpty(live)) return [];
  return JSON.stringify(wanted) === JSON.stringify(live) ? [] : [at];
}

/** Where the live service differs from `args` on `network` (its id), in words; empty when it does not. */
export function serviceDrift(args: ServiceArgs, seen: ObservedService, networkId: string): string[] {
  const wanted: Omit<ObservedService, "networks" | "extras"> = {
    image: args.image,
    replicas: args.mode === "global" ? seen.replicas : args.replicas,
    pingTarget: args.pingTarget,
    placement: {
      constraints: [...args.placement.constraints].sort(),
      preferences: args.placement.preferences,
      maxPerNode: args.placement.maxPerNode,
    },
    mode: args.mode,
    endpoint: { mode: args.endpoint.mode, ports: [...args.endpoint.ports].sort() },
  };
  const drift = (Object.keys(wanted) as (keyof typeof wanted)[])
    .filter((k) => JSON.stringify(seen[k]) !== JSON.stringify(wanted[k]))
    .map((k) => `${k} ${JSON.stringify(seen[k])} → ${JSON.stringify(wanted[k])}`);
  if (JSON.stringify(seen.networks) !== JSON.stringify([networkId])) drift.push(`networks ${seen.networks.join(",")} → ${networkId}`);
  if (seen.extras.length > 0) drift.push(`${seen.extras.join(", ")} unset`);
  return drift;
}

/**
 * Creates the service, or brings every field of a live one back to `args` in one `docker service update` (a mode
 * change cannot be made in place: the part replaces the service for it).
 */
export async function ensureService(manager: Docker, args: ServiceArgs, log: Log): Promise<string> {
  const existing = await findService(manager, args.name);
  if (!existing) {
    const created = (await manager.createService(serviceSpec(args) as Docker.CreateServiceOptions)) as unknown as { id: string };
    log(`service ${args.name} created: ${args.replicas} × ${args.image} ping ${args.pingTarget}`);
    return created.id;
  }
  // The network as the live service names it (its id), so that an unchanged network is no drift.
  const network = await manager.getNetwork(args.network).inspect();
  const drift = serviceDrift(args, observedService(existing.Spec as RawServiceSpec, args), network.Id);
  if (drift.length > 0) {
    await manager.getService(existing.ID).update({ ...serviceSpec(args, network.Id), version: existing.Version?.Index });
    log(`service ${args.name} updated: ${drift.join("; ")}`);
  }
  return existing.ID;
}

/** The service's running tasks with their node and overlay address, once `replicas` of them run. */
export async function waitForTasks(manager: Docker, args: ServiceArgs, timeoutMs = 90_000): Promise<TaskInfo[]> {
  const awaited = `service ${args.name}: ${args.replicas} tasks running on ${args.network}`;
  return waitUntil(awaited, { timeoutMs, pacingMs: 300, errors: "end" }, async ({ saw }) => {
    const tasks = await runningTasks(manager, args.name, args.network);
    const unready = tasks
      .filter((t) => !t.overlayIp || !t.containerId)
      .map((t) => `${t.name} on ${t.node} has ${t.overlayIp ? "no container" : `no address on ${args.network}`} yet`);
    saw([`${tasks.length} of ${args.replicas} running`, ...unready].join("; "));
    return tasks.length === args.replicas && unready.length === 0 && tasks;
  });
}

export async function runningTasks(manager: Docker, service: string, network: string): Promise<TaskInfo[]> {
  const [tasks, nodes] = await Promise.all([
    manager.listTasks({ filters: { service: [service], "desired-state": ["running"] } }),
    manager.listNodes(),
  ]);
  const hostname = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
  return (tasks as RawTask[])
    .filter((t) => t.Status?.State === "running")
    .map((t) => ({
      name: `${service}.${t.Slot}`,
      node: hostname.get(t.NodeID) ?? t.NodeID,
      overlayIp: (t.NetworksAttachments ?? []).find((a) => a.Network?.Spec?.Name === network)?.Addresses?.[0]?.split("/")[0] ?? "",
      containerId: t.Status?.ContainerStatus?.ContainerID ?? "",
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

interface RawTask {
  Slot: number;
  NodeID: string;
  Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: { Network?: { Spec?: { Name?: string } }; Addresses?: string[] }[];
}

export async function removeService(manager: Docker, name: string): Promise<void> {
  const existing = await findService(manager, name);
  if (existing) await manager.getService(existing.ID).remove();
}
