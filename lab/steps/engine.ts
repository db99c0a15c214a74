// Waiting for a node's Docker engine, and giving it the images it needs without any registry.
import type Docker from "dockerode";
import { followProgress, unless404 } from "../engine-api";

export async function waitForEngine(docker: Docker, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await docker.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: Docker engine did not answer within ${timeoutMs / 1000}s: ${err}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Copies an image from one engine to another (docker save | docker load), unless the target has it already. */
export async function sideLoadImage(from: Docker, to: Docker, image: string): Promise<boolean> {
  const wanted = await from.getImage(image).inspect();
  if ((await unless404(to.getImage(image).inspect()))?.Id === wanted.Id) return false;
  const tar = await from.getImage(image).get();
  await followProgress(to, await to.loadImage(tar));
  return true;
}
