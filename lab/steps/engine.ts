// Waiting for a node's Docker engine, and giving it the images it needs without any registry.
import type Docker from "dockerode";
import { unless404 } from "../engine-api";

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
  const result = await to.loadImage(tar);
  await drain(result);
  return true;
}

/** Reads a JSON-lines progress stream to its end and throws the first error it reports. */
export async function drain(stream: NodeJS.ReadableStream): Promise<void> {
  let text = "";
  for await (const chunk of stream) text += chunk.toString();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let msg: { error?: string; errorDetail?: { message?: string } } = {};
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (msg.error) throw new Error(msg.errorDetail?.message ?? msg.error);
  }
}
