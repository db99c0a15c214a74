// What a lab machine's state looks like to someone debugging it, and the logs of a lab's containers on this host's
// Docker engine (the docker backend's nodes, every backend's upstream).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { containerExec } from "../../engine-api";
import type { ListedNode } from "../backend";

/** What a node's state looks like to someone debugging it: file → command run in the node. */
export const NODE_DIAGNOSTICS: [string, string][] = [
  ["dockerd.log", "cat /var/log/dockerd.log"],
  ["docker-info.json", "docker info --format '{{json .}}'"],
  ["networks.json", "docker network inspect $(docker network ls -q)"],
  ["containers.txt", "docker ps -a --no-trunc"],
  ["swarm-nodes.txt", "docker node ls 2>&1"], // managers only; a worker says so
  ["tasks.txt", 'ids=$(docker service ls -q 2>&1) || { echo "$ids"; exit 0; }; [ -z "$ids" ] || docker service ps --no-trunc $ids 2>&1'],
  ["iptables.txt", "iptables-save 2>&1"],
  ["ip.txt", "ip -d addr; ip route show table all"],
];

async function write(file: string, content: Buffer | string): Promise<string> {
  await writeFile(file, content);
  return file;
}

/** Writes a lab container's output, and a running node's diagnostics, below dir/<node>; returns the files written. */
export async function collectContainerLogs(docker: Docker, node: ListedNode, dir: string): Promise<string[]> {
  const written: string[] = [];
  const container = docker.getContainer(node.id);
  const nodeDir = path.join(dir, node.name);
  await mkdir(nodeDir, { recursive: true });
  const logs = await container.logs({ stdout: true, stderr: true, timestamps: true });
  written.push(await write(path.join(nodeDir, "container.log"), logs));
  if (node.role === "upstream" || node.state !== "running") return written;
  // Through `docker exec`, not SSH: this must work when the node's sshd or the lab's key is what broke.
  for (const [file, cmd] of NODE_DIAGNOSTICS) {
    const out = await containerExec(docker, node.id, ["sh", "-c", cmd]).then(
      (r) => r.stdout + r.stderr,
      (err) => `could not run '${cmd}': ${err}\n`,
    );
    written.push(await write(path.join(nodeDir, file), out));
  }
  return written;
}
