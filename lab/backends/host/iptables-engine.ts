// iptables on the engine's host, through the engine: a short-lived container in that host's network namespace
// (network mode host) with NET_ADMIN runs one script (iptables-script.ts) and is removed. For a user in the docker
// group, who cannot run iptables here, and for an engine on another machine, whose firewall is not this one's.
// The image is one the lab already has locally (the node image, else its base: both have iptables-nft and -legacy).
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { LABEL_IMAGE } from "./images";

/** The lab's images that carry iptables, best first (the node image is made by every docker-backend up). */
const IMAGES_WITH_IPTABLES = ["node", "base"];

/** A local image with iptables, by its swarmlab.image label; undefined when the engine has none. */
export async function iptablesImage(docker: Docker): Promise<string | undefined> {
  const images = await docker.listImages({ filters: { label: [LABEL_IMAGE] } });
  for (const role of IMAGES_WITH_IPTABLES) {
    const found = images.find((i) => i.Labels?.[LABEL_IMAGE] === role);
    if (found) return found.RepoTags?.find((t) => t !== "<none>:<none>") ?? found.Id;
  }
  return undefined;
}

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `docker run --rm --network host --cap-add NET_ADMIN --entrypoint sh <image> -c <script>`, through the Engine API. */
export async function runOnEngineHost(docker: Docker, image: string, script: string): Promise<ScriptResult> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ["sh", "-c", script], // not the node's entrypoint, which starts systemd
    Cmd: [],
    User: "0",
    HostConfig: {
      NetworkMode: "host", // the host's own network namespace: its INPUT and DOCKER-USER chains
      CapAdd: ["NET_ADMIN"], // changing them, and nothing else
      AutoRemove: true, // --rm: gone when the script ends, whatever becomes of this process
    },
  });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const [out, err] = [new PassThrough(), new PassThrough()];
    const chunks: [Buffer[], Buffer[]] = [[], []];
    out.on("data", (d: Buffer) => chunks[0].push(d));
    err.on("data", (d: Buffer) => chunks[1].push(d));
    docker.modem.demuxStream(stream, out, err);
    const ended = new Promise<void>((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", () => resolve());
    });
    // Asked before the start, as `docker run --rm` does: once removed, the container cannot be waited for.
    const removed = container.wait({ condition: "removed" }) as Promise<{ StatusCode: number }>;
    await container.start();
    const { StatusCode } = await removed;
    await ended;
    return { code: StatusCode, stdout: Buffer.concat(chunks[0]).toString(), stderr: Buffer.concat(chunks[1]).toString() };
  } catch (err) {
    await container.remove({ force: true }).catch(() => undefined); // never started: --rm does not apply
    throw err;
  }
}
