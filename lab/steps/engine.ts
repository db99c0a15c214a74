// Waiting for a node's Docker engine, and giving it the images it needs without any registry.
import type Docker from "dockerode";
import { followProgress, unless404 } from "../engine-api";
import { waitUntil } from "../wait";

/** Waits for a node's Docker engine to answer; until then its refusals are what the wait saw. */
export async function waitForEngine(docker: Docker, what: string, timeoutMs = 60_000): Promise<void> {
  const answering = () => docker.ping().then(() => true);
  await waitUntil(`${what}'s Docker engine answering`, { timeoutMs, pacingMs: 250, errors: "retry" }, answering);
}

/** Copies an image from one engine to another (docker save | docker load), unless the target has it already. */
export async function sideLoadImage(from: Docker, to: Docker, image: string): Promise<boolean> {
  const wanted = await from.getImage(image).inspect();
  if ((await unless404(to.getImage(image).inspect()))?.Id === wanted.Id) return false;
  const tar = await from.getImage(image).get();
  await followProgress(to, await to.loadImage(tar));
  return true;
}

/**
 * The shell command that restarts or stops a node's Docker engine: the docker backend's nodes run swarmlab-dockerd
 * (images/node), which nothing restarts once killed; VMs systemd's unit (its socket too, or a call would start it).
 */
export function engineCommand(action: "restart" | "stop"): string {
  const own = action === "restart" ? "sudo /usr/local/bin/swarmlab-dockerd restart" : "sudo kill $(pidof dockerd)";
  const systemd = action === "restart" ? "sudo systemctl restart docker" : "sudo systemctl stop docker.socket docker";
  return `if [ -x /usr/local/bin/swarmlab-dockerd ]; then ${own}; else ${systemd}; fi`;
}
