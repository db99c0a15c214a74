// Small helpers over the Docker Engine API (dockerode), shared by the backends, the steps and the checks.
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import type { ExecResult } from "./remote";
import { unlessTimedOut, waitUntil } from "./wait";

/** How long an exec whose output has ended may take to get its exit code recorded. */
const EXIT_CODE_WAIT_MS = 10_000;

/** `docker exec`: runs a command in a container and collects its exit code and output. */
export async function containerExec(docker: Docker, containerId: string, cmd: string[]): Promise<ExecResult> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (d: Buffer) => out.push(d));
  stderr.on("data", (d: Buffer) => err.push(d));
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  // The output can end a moment before the engine records the exit code: a second or more on a loaded host.
  // Mostly it is there at once: ask again soon, then less often.
  const pacingMs = { firstMs: 20, capMs: 500 };
  const recorded = waitUntil("the exit code", { timeoutMs: EXIT_CODE_WAIT_MS, pacingMs, errors: "end" }, async () => {
    const seen = await exec.inspect();
    return !seen.Running && seen;
  });
  const info = await unlessTimedOut(recorded); // none is said below, as the command's result
  const errText = Buffer.concat(err).toString();
  if (!info || info.ExitCode === null || info.ExitCode === undefined) {
    return {
      code: -1,
      stdout: Buffer.concat(out).toString(),
      stderr: `${errText}(the engine recorded no exit code of '${cmd.join(" ")}' within ${EXIT_CODE_WAIT_MS / 1000} s)`,
    };
  }
  return { code: info.ExitCode, stdout: Buffer.concat(out).toString(), stderr: errText };
}

/**
 * A failed exec in words, with what the engine said: an exec it could not start (exit 126: the container not running,
 * an OCI runtime error) has the engine's message on stdout, not stderr, so both are said.
 */
export function execSaid(cmd: string[], r: ExecResult): string {
  const said = [r.stderr, r.stdout]
    .map((t) => t.replace(/\s+/g, " ").trim())
    .filter(Boolean)
    .join(" | ");
  return `${cmd.join(" ")}: exit ${r.code}${said ? `: ${said.slice(0, 300)}` : ", nothing said"}`;
}

/** What an Engine API call answers, or undefined where it answers 404 (no such object). */
export async function unless404<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/**
 * Whether the engine refused because its node is in no swarm, or is no manager of one (HTTP 503: "This node is not
 * a swarm manager", "node is not part of a swarm"): after `docker swarm leave`, what lived in the swarm is gone.
 */
export function notInSwarm(err: unknown): boolean {
  const e = err as { statusCode?: number; message?: string } | undefined;
  return e?.statusCode === 503 && /not a swarm manager|not part of a swarm/i.test(String(e.message ?? e));
}

/** What a swarm call answers; undefined where it answers 404, or 503 because the node is in no swarm (gone too). */
export async function unlessGone<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await unless404(call);
  } catch (err) {
    if (notInSwarm(err)) return undefined;
    throw err;
  }
}

export interface ProgressEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Reads a JSON progress stream (build, load, import, pull) to its end; throws the first error it reports. */
export async function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onEvent?: (event: ProgressEvent) => void): Promise<void> {
  const events = await new Promise<ProgressEvent[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, res: ProgressEvent[]) => (err ? reject(err) : resolve(res ?? [])), onEvent),
  );
  const bad = events.find((e) => e?.error || e?.errorDetail);
  if (bad) throw new Error(bad.errorDetail?.message ?? bad.error);
}

/**
 * Why a container that should be running is not: its exit code and the last lines it wrote (its log, demultiplexed
 * from Docker's 8-byte frame headers); undefined while it runs.
 */
export async function whyNotRunning(container: Docker.Container, lines = 5): Promise<string | undefined> {
  const info = await container.inspect();
  if (info.State.Running) return undefined;
  const raw = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
  const said = demuxed(raw).trim().split("\n").slice(-lines).join(" | ");
  return `exit ${info.State.ExitCode}${said ? `: ${said}` : ", nothing in its log"}`;
}

/** The payloads of Docker's multiplexed log frames (stream byte, 3 zero bytes, 4-byte length, then the payload). */
export function demuxed(raw: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= raw.length && raw[at] <= 2 && raw[at + 1] === 0 && raw[at + 2] === 0 && raw[at + 3] === 0) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return at === 0 ? raw.toString() : Buffer.concat(parts).toString(); // a TTY's log has no frames
}
