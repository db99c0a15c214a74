// The ingress routing mesh, where the nodes' kernel has IPVS: a small web service (busybox httpd, the lab's service
// image) publishes a port for as long as a check needs it; every node's lab address is asked for it from the
// manager's shell. Shared by the verification suite and npm run explain.
import type Docker from "dockerode";
import { unlessTimedOut, waitUntil } from "../wait";
import { ANSWERED, MESH_PORT } from "./mesh-answer";
import type { ConnectedNode } from "./observe";

export { ANSWERED, MESH_PORT } from "./mesh-answer";

/** What shows the mesh's IPVS table (in the ingress sandbox's network namespace). */
export const IPVS_TABLE = "sudo nsenter --net=/run/docker/netns/ingress_sbox ipvsadm -Ln";

/** The shell command, run on a node, that asks address:port for a page and prints the status line. */
export const meshRequest = (address: string, port = MESH_PORT) =>
  `timeout 5 bash -c 'exec 3<>/dev/tcp/${address}/${port}; printf "GET /hostname HTTP/1.0\\r\\n\\r\\n" >&3; head -1 <&3'`;

/** `docker service create` as a student would type it for the web service below. */
export const publishCommand = (name: string, image: string, port = MESH_PORT) =>
  `docker service create --name ${name} --publish ${port}:80 --replicas 2 ${image.replace(/@sha256:[0-9a-f]+$/, "")} httpd -f -p 80 -h /etc`;

/** The image a service's tasks run (the lab's own service's, for a web service that needs no other image). */
export async function serviceImage(docker: Docker, service: string): Promise<string> {
  const spec = (await docker.getService(service).inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Image: string } } } };
  return spec.Spec.TaskTemplate.ContainerSpec.Image;
}

/** Runs fn while a web service `name` publishes port on the mesh with two running tasks on workers; removes it after. */
export async function withPublishedWeb<T>(manager: Docker, name: string, image: string, fn: () => Promise<T>, port = MESH_PORT): Promise<T> {
  await removeService(manager, name); // a leftover of an interrupted run
  await manager.createService({
    Name: name,
    TaskTemplate: {
      ContainerSpec: { Image: image, Command: ["httpd", "-f", "-p", "80", "-h", "/etc"] },
      Placement: { Constraints: ["node.role==worker"] },
    },
    Mode: { Replicated: { Replicas: 2 } },
    EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: port }] },
  });
  try {
    await runningReplicas(manager, name, 2, 180_000);
    return await fn();
  } finally {
    await removeService(manager, name);
  }
}

/**
 * The status line address answers with, asked from the manager's shell. Each node programs the mesh for a new
 * service on its own, and a slow one (an emulated VM) answers seconds after the tasks run: asked again each second,
 * up to `tries` times, until it answers.
 */
export async function askMesh(manager: ConnectedNode, address: string, port = MESH_PORT, tries = 30): Promise<string> {
  let line = "";
  const answer = waitUntil(`an answer from ${address}:${port}`, { attempts: tries, pacingMs: 1_000, errors: "end" }, async () => {
    const r = await manager.session.exec(meshRequest(address, port));
    line = (r.stdout + r.stderr).trim();
    return ANSWERED.test(line) && line;
  });
  // no answer is the caller's finding, said with the last line seen
  return (await unlessTimedOut(answer)) ?? line;
}

async function removeService(docker: Docker, name: string): Promise<void> {
  const found = (await docker.listServices({ filters: { name: [name] } })).find((s) => s.Spec?.Name === name);
  if (found) await docker.getService(found.ID).remove();
}

async function runningReplicas(docker: Docker, service: string, count: number, timeoutMs: number): Promise<void> {
  await waitUntil(`service ${service}: ${count} tasks running`, { timeoutMs, pacingMs: 500, errors: "end" }, async ({ saw }) => {
    const tasks = await docker.listTasks({ filters: { service: [service], "desired-state": ["running"] } });
    const states: string[] = tasks.map((t) => t.Status?.State ?? "in no state");
    saw(`its tasks: ${states.join(", ") || "none"}`);
    return states.filter((s) => s === "running").length >= count;
  });
}
