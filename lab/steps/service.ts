// `docker service create --network mynet --name test --replicas 2 busybox ping <target>`, one task per worker
// (as in the tutorial), created without asking a registry for the image: every node already has it.
import type Docker from "dockerode";
import type { Log } from "../backends/backend";
import { LABEL_LAB } from "../types";

export interface ServiceArgs {
  lab: string;
  name: string;
  image: string;
  replicas: number;
  network: string;
  pingTarget: string;
}

export interface TaskInfo {
  /** test.1, test.2, … */
  name: string;
  node: string;
  overlayIp: string;
  containerId: string;
}

function serviceSpec(a: ServiceArgs) {
  return {
    Name: a.name,
    Labels: { [LABEL_LAB]: a.lab },
    TaskTemplate: {
      // Init: ping as PID 1 ignores SIGTERM, and every task stop would wait out Docker's 10 s grace period.
      ContainerSpec: { Image: a.image, Command: ["ping", a.pingTarget], Init: true, Labels: { [LABEL_LAB]: a.lab } },
      Networks: [{ Target: a.network }],
      // One task per worker, never on the manager: after a failed start swarm would otherwise stack both on one node.
      Placement: { Constraints: ["node.role==worker"], MaxReplicas: 1 },
      RestartPolicy: { Condition: "any", Delay: 1_000_000_000 },
    },
    Mode: { Replicated: { Replicas: a.replicas } },
  };
}

export async function findService(manager: Docker, name: string) {
  return (await manager.listServices({ filters: { name: [name] } })).find((s) => s.Spec?.Name === name);
}

type LiveService = NonNullable<Awaited<ReturnType<typeof findService>>>;

/** What a running service is, in the terms of ServiceArgs (a command other than `ping <target>` is shown whole). */
export function observedArgs(s: LiveService): Pick<ServiceArgs, "image" | "replicas" | "pingTarget"> & { networks: string[] } {
  const spec = s.Spec as {
    TaskTemplate?: { ContainerSpec?: { Command?: string[]; Image?: string }; Networks?: { Target: string }[] };
    Mode?: { Replicated?: { Replicas?: number } };
  };
  const command = spec.TaskTemplate?.ContainerSpec?.Command ?? [];
  return {
    image: (spec.TaskTemplate?.ContainerSpec?.Image ?? "").replace(/@sha256:[0-9a-f]+$/, ""),
    replicas: spec.Mode?.Replicated?.Replicas ?? 0,
    pingTarget: command.length === 2 && command[0] === "ping" ? command[1] : command.join(" "),
    networks: (spec.TaskTemplate?.Networks ?? []).map((n) => n.Target),
  };
}

export async function ensureService(manager: Docker, args: ServiceArgs, log: Log): Promise<string> {
  const existing = await findService(manager, args.name);
  const spec = serviceSpec(args);
  if (!existing) {
    const created = await manager.createService(spec);
    log(`service ${args.name} created: ${args.replicas} × ${args.image} ping ${args.pingTarget}`);
    return created.id;
  }
  const current = observedArgs(existing);
  const changed = (["image", "replicas", "pingTarget"] as const).filter((k) => current[k] !== args[k]);
  if (changed.length > 0) {
    await manager.getService(existing.ID).update({ ...spec, version: existing.Version?.Index });
    log(`service ${args.name} updated: ${changed.map((k) => `${k} ${current[k]} → ${args[k]}`).join(", ")}`);
  }
  return existing.ID;
}

/** The service's running tasks with their node and overlay address, once `replicas` of them run. */
export async function waitForTasks(manager: Docker, args: ServiceArgs, timeoutMs = 90_000): Promise<TaskInfo[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await runningTasks(manager, args.name, args.network);
    if (tasks.length === args.replicas && tasks.every((t) => t.overlayIp && t.containerId)) return tasks;
    if (Date.now() > deadline) {
      throw new Error(`service ${args.name}: ${tasks.length} of ${args.replicas} tasks running after ${timeoutMs / 1000}s`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
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
      overlayIp: (t.NetworksAttachments ?? [])
        .find((a) => a.Network?.Spec?.Name === network)
        ?.Addresses?.[0]?.split("/")[0] ?? "",
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
