// SSH carried through the Docker engine, for a client with no route to the lab's addresses (Docker Desktop, a remote
// DOCKER_HOST): the node's own sshd in inetd mode (`sshd -i`, SSH on stdin/stdout, the node's host key) run by
// `docker exec -i` in the node's container, its streams handed to ssh2 as the connection's socket. Nothing listens
// anywhere new, and the host key is the node's, checked as on a direct connection. OpenSSH gets the same through
// ProxyCommand (relayCommand).
import { Duplex } from "node:stream";
import type Docker from "dockerode";

/** What runs in the node's container: sshd speaking SSH on its stdin and stdout (images/node has it). */
export const RELAY_COMMAND = ["/usr/sbin/sshd", "-i"];

/** The command OpenSSH's ProxyCommand runs to reach a node through the engine (docker reads DOCKER_HOST itself). */
export function relayCommand(container: string): string {
  return `docker exec -i ${container} ${RELAY_COMMAND.join(" ")}`;
}

/** How much of sshd's stderr a failure quotes: its last lines say why it closed. */
const STDERR_KEPT = 2_000;

/**
 * Docker's multiplexed stream of an exec without a TTY, taken apart: each frame is an 8-byte header (stream type: 1
 * stdout, 2 stderr; three zero bytes; the payload's length, big-endian) and the payload. Frames arrive cut anywhere,
 * so what is left of one waits for the next chunk.
 */
export class Demuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly stdout: (b: Buffer) => void,
    private readonly stderr: (b: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const payload = this.pending.subarray(8, 8 + size);
      if (this.pending[0] === 2) this.stderr(payload);
      else this.stdout(payload); // 0 (stdin echoed) never comes without a TTY; 1 is stdout
      this.pending = this.pending.subarray(8 + size);
    }
  }

  /** Bytes of a frame not yet whole (a stream that ends with some was cut). */
  get leftover(): number {
    return this.pending.length;
  }
}

/**
 * A duplex to the node's sshd through the engine: what is written goes to sshd's stdin, what sshd writes to stdout
 * is read; its stderr is kept for the error of a connection that fails. `container`: the node's container (id or name).
 */
export async function engineRelay(docker: Docker, container: string): Promise<Duplex & { stderr(): string }> {
  const exec = await docker.getContainer(container).exec({
    Cmd: RELAY_COMMAND,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false, // no TTY: SSH's bytes pass untouched, stdout and stderr come framed (Demuxer)
  });
  const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
  let stderr = "";
  const relay = new Duplex({
    read: () => stream.resume(),
    write: (chunk, _encoding, done) => void stream.write(chunk, done),
    // ssh2 ends its side: the engine closes sshd's stdin, sshd exits, the stream ends
    final: (done) => {
      stream.end();
      done();
    },
    destroy: (err, done) => {
      stream.destroy();
      done(err);
    },
  });
  const demux = new Demuxer(
    (b) => {
      if (!relay.push(b)) stream.pause();
    },
    (b) => (stderr = (stderr + b.toString()).slice(-STDERR_KEPT)),
  );
  stream.on("data", (chunk: Buffer) => demux.push(chunk));
  stream.on("end", () => relay.push(null));
  stream.on("error", (err) => relay.destroy(err));
  stream.on("close", () => relay.push(null));
  return Object.assign(relay, { stderr: () => stderr.trim() });
}
