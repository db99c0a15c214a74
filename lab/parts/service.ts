// `docker service create --network mynet --name test --replicas 2 busybox ping <target>`: one task per worker.
// Its whole spec is read: image, command, replicas, placement, networks and endpoint change in place (`docker service
// update`), and so does anything else a student set (extras); a new mode or a new network makes it again.
import { unlessGone } from "../engine-api";
import {
  ensureService,
  observedService,
  RawServiceSpec,
  removeService,
  ServiceArgs,
  TaskInfo,
  TUTORIAL_ENDPOINT,
  TUTORIAL_PLACEMENT,
  waitForTasks,
} from "../steps/service";
import { NodeAccess, onReachable, withSessions } from "../sessions";
import { runningTasksOf, serviceNamed, taskInfoOf } from "../snapshot/model";
import { lookAt } from "../snapshot/shared";
import type { Part, PartContext } from "./part";
import { goesWithItsMachines } from "./teardown";

export interface ServiceInputs extends ServiceArgs {
  /** The overlay network's id: a new network means a new service. */
  networkId: string;
  /**
   * Spec fields swarmlab leaves unset that the live service sets (dotted paths, e.g. TaskTemplate.ContainerSpec.Env):
   * declared empty, so that anything else a student set is a drift, undone in place.
   */
  extras: string[];
  manager: NodeAccess;
  privateKey: string;
}

export interface ServiceOutputs {
  serviceId: string;
  /** The running tasks, as last seen. */
  tasks: TaskInfo[];
}

export const service: Part<ServiceInputs, ServiceOutputs> = {
  type: "Service",
  identity: ["lab", "name", "network", "networkId", "mode"],
  outputs: ["serviceId", "tasks"],
  async create(i, ctx) {
    return apply(i, ctx);
  },
  async read(_id, state, { log }) {
    const m = await lookAt(state.manager, state.privateKey);
    // A manager that left its swarm has no view of it: the service is gone with the swarm.
    const found = serviceNamed(m.view, state.name);
    if (found) {
      const { networks, extras, ...args } = observedService(found.spec as RawServiceSpec, state);
      // Another network than mynet's id makes it again (mynet was made again); more networks are undone in place.
      const networkId = networks.includes(state.networkId) ? state.networkId : networks.join(",");
      const more = networks.filter((n) => n !== state.networkId).map((n) => `TaskTemplate.Networks[${n}]`);
      const tasks = runningTasksOf(m.view, state.name).map((t) => taskInfoOf(t, state.network));
      return { ...args, networkId, extras: [...extras, ...(networkId === state.networkId ? more : [])], serviceId: found.id, tasks };
    }
    log(
      `service ${state.name} ${m.problem || m.viewError ? `cannot be read (${state.manager.name}: ${m.problem || m.viewError})` : "is gone"}; up makes it again`,
    );
    return undefined;
  },
  async update(_id, _olds, news, ctx) {
    return (await apply(news, ctx)).outs;
  },
  async delete(_id, state) {
    if (goesWithItsMachines(state.lab)) return;
    await onReachable([state.manager], state.privateKey, async (_, m) => void (await unlessGone(removeService(m.docker(), state.name))));
  },
};

/** Creates or updates the service, then waits for its tasks. */
async function apply(i: ServiceInputs, { log }: PartContext): Promise<{ id: string; outs: ServiceOutputs }> {
  const args: ServiceArgs = {
    lab: i.lab,
    name: i.name,
    image: i.image,
    replicas: i.replicas,
    network: i.network,
    pingTarget: i.pingTarget,
    // a stack of an older swarmlab recorded none of these: the tutorial's
    placement: i.placement ?? TUTORIAL_PLACEMENT,
    mode: i.mode ?? "replicated",
    endpoint: i.endpoint ?? TUTORIAL_ENDPOINT,
  };
  return withSessions([i.manager], i.privateKey, async ([m]) => {
    const docker = m.docker();
    const serviceId = await ensureService(docker, args, log);
    const tasks = await waitForTasks(docker, args);
    log(`service ${args.name}: ${tasks.map((t) => `${t.name} on ${t.node} at ${t.overlayIp}`).join(", ")}`);
    return { id: serviceId, outs: { serviceId, tasks } };
  });
}
