// Container plumbing on this host's Docker engine, shared by the docker backend's nodes and every backend's upstream.
import type Docker from "dockerode";
import { pack } from "tar-stream";
import { containerExec, execSaid, unless404, whyNotRunning } from "../../engine-api";
import type { ExecResult } from "../../remote";
import { LABEL_LAB, LABEL_NODE, LABEL_OWNER, LABEL_ROLE, LabIdentity, stackOfOwner } from "../../types";
import type { Role } from "../../types";
import type { LabObject, ListedNode } from "../backend";
import { waitUntil } from "../../wait";

/** Engine API filter for what carries the lab's label. */
export function labFilter(lab: string) {
  return { label: [`${LABEL_LAB}=${lab}`] };
}

/** Whether labels name the owner: any owner when none is given; "" stands for objects without an owner label. */
export function ownedBy(labels: Record<string, string> | null | undefined, owner: string | undefined): boolean {
  return owner === undefined || (labels?.[LABEL_OWNER] ?? "") === owner;
}

/** The labels of everything a lab makes. */
export function labLabels(id: LabIdentity, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_LAB]: id.lab, [LABEL_OWNER]: id.owner, ...extra };
}

/** Removes a container (and its anonymous volumes) if it exists. */
export async function removeContainer(docker: Docker, idOrName: string): Promise<void> {
  await unless404(docker.getContainer(idOrName).remove({ force: true, v: true }));
}

/** Fails unless labels mark the object as the lab's, made by the same owner. */
export function assertOurs(what: string, labels: Record<string, string> | undefined, id: LabIdentity): void {
  if (labels?.[LABEL_LAB] !== id.lab) {
    const theirs = labels?.[LABEL_LAB] ? `it is lab ${labels[LABEL_LAB]}'s` : "swarmlab did not make it";
    throw new Error(`${what} exists and is not part of lab ${id.lab} (${theirs}): choose another swarmlab:name`);
  }
  if (labels?.[LABEL_OWNER] !== id.owner) {
    throw new Error(`${what} belongs to ${ownerText(labels?.[LABEL_OWNER])}, not to this one: choose another swarmlab:name`);
  }
}

/** "stack dev (owner dev.1a2b3c4d)" for an owner label. */
export function ownerText(owner: string | undefined): string {
  return owner ? `stack ${stackOfOwner(owner)} (owner ${owner})` : "a lab made without an owner label";
}

/** Fails unless a container of that name is absent or belongs to the lab (then it is removed: a leftover). */
export async function clearLeftover(docker: Docker, name: string, id: LabIdentity): Promise<void> {
  const info = await unless404(docker.getContainer(name).inspect());
  if (!info) return;
  assertOurs(`container ${name}`, info.Config.Labels, id);
  await removeContainer(docker, info.Id);
}

/** Removes a volume left by an earlier node of the lab; fails if another lab's volume has that name. */
export async function clearLeftoverVolume(docker: Docker, name: string, id: LabIdentity): Promise<void> {
  const info = await unless404(docker.getVolume(name).inspect());
  if (!info) return;
  assertOurs(`volume ${name}`, info.Labels, id);
  await docker.getVolume(name).remove();
}

/** Files to place in a created (not yet started) container: path → [content, mode]. */
export async function putFiles(container: Docker.Container, files: Record<string, [string, number]>): Promise<void> {
  const tar = pack();
  const dirs = new Set(Object.keys(files).map((p) => p.replace(/^\//, "").replace(/\/[^/]*$/, "")));
  for (const dir of dirs) tar.entry({ name: dir, type: "directory", mode: 0o755 });
  for (const [path, [content, mode]] of Object.entries(files)) {
    tar.entry({ name: path.replace(/^\//, ""), mode }, content);
  }
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  await container.putArchive(Buffer.concat(chunks), { path: "/" });
}

/**
 * Docker gives containers on an --internal network a default route all the same (only its firewall rules stop
 * the packets); without egress a lab machine must have no route off this machine at all. The exec waits for the
 * container to run, and one the engine cannot start (exit 126: the engine's words, on stdout, say why; seen when four
 * nodes start at once) is asked again; a container that stopped is said with its exit code and last log lines.
 */
export async function dropDefaultRoute(
  docker: Docker,
  containerId: string,
  exec: (cmd: string[]) => Promise<ExecResult> = (cmd) => containerExec(docker, containerId, cmd),
): Promise<void> {
  const short = containerId.slice(0, 12);
  const container = docker.getContainer(containerId);
  const cmd = ["ip", "route", "del", "default"];
  await waitUntil(`the default route of ${short} removed`, { timeoutMs: 10_000, pacingMs: 250, errors: "end" }, async ({ saw }) => {
    const state = (await container.inspect()).State;
    if (!state.Running || state.Restarting) {
      if (state.Status === "created" || state.Restarting) {
        saw(`its container is ${state.Status}`);
        return false;
      }
      const why = (await whyNotRunning(container).catch(() => undefined)) ?? state.Status;
      throw new Error(`could not remove the default route of ${short}: its container is ${state.Status} (${why})`);
    }
    const r = await exec(cmd);
    if (r.code === 0 || /No such process|not found/i.test(r.stderr)) return true;
    if (r.code !== 126) throw new Error(`could not remove the default route of ${short} (${execSaid(cmd, r)})`);
    saw(`the engine could not start the exec (${execSaid(cmd, r)})`);
    return false;
  });
}

/** The lab and owner an object's labels name ("" for what a label lacks). */
export const identityOf = (labels: Record<string, string> | null | undefined) => ({
  lab: labels?.[LABEL_LAB] ?? "",
  owner: labels?.[LABEL_OWNER] ?? "",
});

/** Every container carrying the lab's label (of one owner, when given): the docker backend's nodes, any upstream. */
export async function listLabContainers(docker: Docker, labName: string, owner?: string): Promise<ListedNode[]> {
  const containers = await docker.listContainers({ all: true, filters: labFilter(labName) });
  return containers
    .filter((c) => ownedBy(c.Labels, owner))
    .map((c) => ({
      id: c.Id,
      name: c.Labels[LABEL_NODE],
      role: c.Labels[LABEL_ROLE] as Role | "upstream",
      state: c.State,
      owner: c.Labels[LABEL_OWNER] ?? "",
    }));
}

/** The same containers, as what a lab has made ("container <name>"). */
export async function labContainerObjects(docker: Docker, labName: string, owner?: string): Promise<LabObject[]> {
  const containers = await docker.listContainers({ all: true, filters: labFilter(labName) });
  return containers
    .filter((c) => ownedBy(c.Labels, owner))
    .map((c) => ({ what: `container ${c.Names[0]?.replace(/^\//, "") ?? c.Id}`, ...identityOf(c.Labels) }));
}

/** The containers holding one of these names, whoever made them (the claim refuses another's). */
export async function containersNamed(docker: Docker, names: ReadonlySet<string>): Promise<LabObject[]> {
  return (await docker.listContainers({ all: true })).flatMap((c) => {
    const name = c.Names.map((n) => n.replace(/^\//, "")).find((n) => names.has(n));
    return name ? [{ what: `container ${name}`, ...identityOf(c.Labels) }] : [];
  });
}
