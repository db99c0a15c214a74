// The default backend: nodes are containers on the local Docker engine.
import { mkdir, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import Docker from "dockerode";
import type { LabSpec, NodeSpec, Role } from "../../types";
import { LABEL_NODE, LABEL_ROLE } from "../../types";
import type { Backend, BackendInfo, ListedNode, Log, ProvisionedNode } from "../backend";
import { labFilter, removeContainer } from "./containers";
import { addEgressGuard, removeEgressGuards } from "./firewall";
import { ensureLabNetwork, removeLabNetworks } from "./network";
import { createNode } from "./node";
import { ensureUpstream } from "./upstream";

export class DockerBackend implements Backend {
  readonly name = "docker" as const;
  constructor(readonly docker: Docker = new Docker()) {}

  async prepare(spec: LabSpec, log: Log): Promise<void> {
    await ensureLabNetwork(this.docker, spec, log);
    if (spec.egress === "none" && !(await addEgressGuard(spec.name, spec.subnet))) {
      log("egress guard NOT added: iptables needs root (or passwordless sudo); the lab still has no route off this machine");
    }
    await ensureUpstream(this.docker, spec, log);
  }

  async provision(spec: LabSpec, node: NodeSpec, authorizedKey: string, log: Log): Promise<ProvisionedNode> {
    const provisioned = await createNode(this.docker, spec, node, authorizedKey, log);
    await waitForPort(node.address, 22, 30_000);
    return provisioned;
  }

  async list(labName: string): Promise<ListedNode[]> {
    const containers = await this.docker.listContainers({ all: true, filters: labFilter(labName) });
    return containers.map((c) => ({
      id: c.Id,
      name: c.Labels[LABEL_NODE],
      role: c.Labels[LABEL_ROLE] as Role | "upstream",
      state: c.State,
    }));
  }

  async deleteNodes(labName: string, nodeNames: string[], log: Log): Promise<void> {
    for (const node of await this.list(labName)) {
      if (!nodeNames.includes(node.name)) continue;
      await removeContainer(this.docker, node.id);
      log(`node ${node.name} removed`);
    }
    await this.removeVolumes(labName, nodeNames);
  }

  async deleteLab(labName: string, log: Log): Promise<void> {
    await Promise.all((await this.list(labName)).map((c) => removeContainer(this.docker, c.id)));
    await this.removeVolumes(labName);
    await removeLabNetworks(this.docker, labName);
    await removeEgressGuards(labName);
    log(`lab ${labName}: containers, volumes, network and firewall rules removed`);
  }

  async collectLogs(labName: string, dir: string): Promise<string[]> {
    const written: string[] = [];
    for (const node of await this.list(labName)) {
      const container = this.docker.getContainer(node.id);
      const nodeDir = path.join(dir, node.name);
      await mkdir(nodeDir, { recursive: true });
      const logs = await container.logs({ stdout: true, stderr: true, timestamps: true });
      written.push(await write(path.join(nodeDir, "container.log"), logs));
      if (node.role !== "upstream" && node.state === "running") {
        written.push(await write(path.join(nodeDir, "dockerd.log"), await execOutput(container, ["cat", "/var/log/dockerd.log"])));
      }
    }
    return written;
  }

  async info(): Promise<BackendInfo> {
    const info = await this.docker.info();
    return {
      backend: this.name,
      facts: { engine: info.ServerVersion, kernel: info.KernelVersion, os: info.OperatingSystem, cgroup: `v${info.CgroupVersion}` },
    };
  }

  private async removeVolumes(labName: string, nodeNames?: string[]): Promise<void> {
    const { Volumes } = await this.docker.listVolumes({ filters: labFilter(labName) });
    for (const v of Volumes ?? []) {
      if (nodeNames && !nodeNames.includes(v.Labels?.[LABEL_NODE] ?? "")) continue;
      await this.docker.getVolume(v.Name).remove();
    }
  }
}

async function write(file: string, content: Buffer | string): Promise<string> {
  await writeFile(file, content);
  return file;
}

async function execOutput(container: Docker.Container, cmd: string[]): Promise<Buffer> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect({ host, port });
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`${host}:${port} did not answer within ${timeoutMs / 1000}s`));
        else setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}
