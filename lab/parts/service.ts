// `docker service create --network mynet --name test --replicas 2 busybox ping <target>`: one task per worker.
// Replicas, image and ping target change in place (`docker service update`).
import { ensureService, findService, observedArgs, removeService, runningTasks, ServiceArgs, TaskInfo, waitForTasks } from "../steps/service";
import { NodeAccess, NodeProblem, onReachable, withSessions, LOOK_TIMEOUT_MS } from "../sessions";
import type { Part, PartContext } from "./part";

export interface ServiceInputs extends ServiceArgs {
  /** The overlay network's id: a new network means a new service. */
  networkId: string;
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
  identity: ["lab", "name", "network", "networkId"],
  outputs: ["serviceId", "tasks"],
  async create(i, ctx) {
    return apply(i, ctx);
  },
  async read(_id, state, { log }) {
    try {
      const live = await withSessions(
        [state.manager],
        state.privateKey,
        async ([m]) => {
          const found = await findService(m.docker(), state.name);
          return found && { found, tasks: await runningTasks(m.docker(), state.name, state.network) };
        },
        LOOK_TIMEOUT_MS,
      );
      if (live) {
        const { networks, ...args } = observedArgs(live.found);
        return { ...args, networkId: networks.includes(state.networkId) ? state.networkId : networks.join(","), serviceId: live.found.ID, tasks: live.tasks };
      }
      log(`service ${state.name} is gone; up makes it again`);
    } catch (err) {
      if (!(err instanceof NodeProblem)) throw err;
      log(`service: ${err.message}; up makes it again`);
    }
    return undefined;
  },
  async update(_id, _olds, news, ctx) {
    return (await apply(news, ctx)).outs;
  },
  async delete(_id, state) {
    await onReachable([state.manager], state.privateKey, (_, m) => removeService(m.docker(), state.name));
  },
};

/** Creates or updates the service, then waits for its tasks. */
async function apply(i: ServiceInputs, { log }: PartContext): Promise<{ id: string; outs: ServiceOutputs }> {
  const args: ServiceArgs = { lab: i.lab, name: i.name, image: i.image, replicas: i.replicas, network: i.network, pingTarget: i.pingTarget };
  return withSessions([i.manager], i.privateKey, async ([m]) => {
    const docker = m.docker();
    const serviceId = await ensureService(docker, args, log);
    const tasks = await waitForTasks(docker, args);
    log(`service ${args.name}: ${tasks.map((t) => `${t.name} on ${t.node} at ${t.overlayIp}`).join(", ")}`);
    return { id: serviceId, outs: { serviceId, tasks } };
  });
}
