// One SSH connection per node, reused for everything: shell commands and the node's Docker Engine API,
// which is tunnelled through the same connection (stream-local forwarding of /var/run/docker.sock). The connection
// goes to the node's address, through the Docker engine when the client has no route there (lab/engine-relay.ts), or
// through a jump host (a first SSH connection, then a channel forwarded from it to the node's sshd).
import http from "node:http";
import type { Duplex } from "node:stream";
import { inspect } from "node:util";
import Docker from "dockerode";
import { Client, ClientChannel } from "ssh2";
import { engineRelay } from "./engine-relay";
import { waitUntil } from "./wait";

export interface SshTarget {
  /** The node's name, for messages. */
  name?: string;
  host: string;
  port: number;
  username: string;
  /** The lab's private key (OpenSSH format); "" with `agent`. */
  privateKey: string;
  /** The SSH agent's socket, instead of a key (a user's own login to a host they have: lab/backends/ssh). */
  agent?: string;
  /** The node's host key as recorded at creation ("ssh-ed25519 AAAA…"); the connection is refused if it differs. */
  hostKey: string;
  /** The node's container, when SSH is carried through the Docker engine instead of going to host:port. */
  container?: string;
  /** A jump host, reached first with the same credentials; the node's host:port is reached from there. */
  jump?: { host: string; port: number; username: string; hostKey: string };
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

const DOCKER_SOCKET = "/var/run/docker.sock";

export class HostKeyMismatch extends Error {}

/** A node that is not as a lab needs it, with the symptom in plain words. */
export class NodeProblem extends Error {
  constructor(
    readonly node: string,
    readonly symptom: string,
  ) {
    super(`${node}: ${symptom}`);
    this.name = "NodeProblem";
  }
}

export class NodeSession {
  private constructor(
    readonly target: SshTarget,
    private readonly client: Client,
  ) {}

  /** Connects, retrying while the node's sshd is not up yet (up to timeoutMs). A wrong host key is never retried. */
  static async connect(target: SshTarget, timeoutMs = 30_000, attemptMs = 10_000): Promise<NodeSession> {
    const where = target.container
      ? `${target.host} through the engine`
      : `${target.host}:${target.port}${target.jump ? ` through ${target.jump.host}:${target.jump.port}` : ""}`;
    const errors = (err: unknown) => (err instanceof HostKeyMismatch ? "end" : "retry");
    return waitUntil(`an SSH handshake with ${where}`, { timeoutMs, pacingMs: 250, errors }, async (ask) => {
      // no attempt outlasts the deadline: a machine that is gone must not hold a caller for ssh2's default
      const release = await handshakeSlot(where);
      try {
        return new NodeSession(target, await openClient(target, Math.max(1_000, Math.min(attemptMs, ask.remainingMs))));
      } finally {
        release();
      }
    });
  }

  /** Runs a command; never throws on a non-zero exit status (see run()). */
  exec(command: string, stdin?: string): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, channel) => {
        if (err) return reject(err);
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code = -1;
        channel.on("data", (d: Buffer) => out.push(d));
        channel.stderr.on("data", (d: Buffer) => errOut.push(d));
        channel.on("exit", (c: number | null) => (code = c ?? -1));
        channel.on("close", () => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(errOut).toString() }));
        channel.end(stdin);
      });
    });
  }

  /** Runs a command and returns its stdout; throws with stderr when it fails. */
  async run(command: string, stdin?: string): Promise<string> {
    const r = await this.exec(command, stdin);
    if (r.code !== 0) {
      throw new Error(`${this.target.host}: '${command}' exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
    }
    return r.stdout;
  }

  /** The node's Docker Engine API, over this SSH connection. */
  docker(): Docker {
    const agent = new SocketForwardAgent(this.client, this.target.name ?? this.target.host);
    return new Docker({ protocol: "http", host: "docker.sock", port: 80, agent } as Docker.DockerOptions);
  }

  close(): void {
    closeClient(this.client);
  }
}

function closeClient(client: Client): void {
  const socket = socketOf(client);
  client.end();
  // A node that is gone (a container removed while its session closes) never answers the close: its half-closed
  // socket would keep this process alive for ever (seen: mocha not exiting after the suite). Let it go after a while.
  // The socket itself: ssh2's destroy() skips one that is no longer writable, as end() has left it.
  setTimeout(() => socket?.destroy(), CLOSE_GRACE_MS).unref();
}

/** The TCP socket under an ssh2 client (ssh2 keeps it in a private field and exposes no way to drop it). */
function socketOf(client: Client): { destroy(): void } | undefined {
  return (client as unknown as { _sock?: { destroy(): void } })._sock;
}

/** How long a closing session waits for the node's side of the close before dropping the connection. */
const CLOSE_GRACE_MS = 2_000;

/**
 * At most this many SSH handshakes at once to one node from this process (Pulumi's dynamic providers of a run share
 * one). A refresh has every part look at the manager at once; an emulated VM needs seconds per handshake, and more
 * than 10 pending ones make sshd drop connections (MaxStartups), so clients time out, retry, and pile up further
 * (measured on the vagrant backend). Established sessions are not limited.
 */
export const HANDSHAKES_PER_NODE = 2;
const handshakes = new Map<string, { active: number; queue: (() => void)[] }>();

export async function handshakeSlot(key: string, limit = HANDSHAKES_PER_NODE): Promise<() => void> {
  let h = handshakes.get(key);
  if (!h) handshakes.set(key, (h = { active: 0, queue: [] }));
  const entry = h;
  if (entry.active >= limit) await new Promise<void>((resolve) => entry.queue.push(resolve));
  else entry.active += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = entry.queue.shift();
    if (next)
      next(); // the slot passes on as it is
    else {
      entry.active -= 1;
      if (entry.active === 0) handshakes.delete(key);
    }
  };
}

/** The engine the relays go through: one client for the process (it reads DOCKER_HOST as every Docker call does). */
let engine: Docker | undefined;

async function openClient(t: SshTarget, readyTimeout: number): Promise<Client> {
  const expected = hostKeyBlob(t.hostKey);
  const relay = t.container ? await engineRelay((engine ??= new Docker()), t.container) : undefined;
  const jumped =
    t.jump && !relay ? await jumpStream({ ...t, ...t.jump, name: `${t.name ?? t.host}'s jump host` }, t.host, t.port, readyTimeout) : undefined;
  const sock = relay ?? jumped?.stream;
  return new Promise((resolve, reject) => {
    const client = new Client();
    let mismatch = false;
    client
      .on("ready", () => resolve(client))
      .on("close", () => jumped && closeClient(jumped.jump)) // the node's connection over, the jump host's goes with it
      .on("error", (err) => {
        socketOf(client)?.destroy(); // a handshake that failed or timed out leaves no socket open behind it
        jumped?.jump.end();
        if (mismatch) return reject(new HostKeyMismatch(`${t.host}: host key differs from the one recorded at creation`));
        // through the engine, sshd's own words say why it closed (no host key, a refused key)
        const said = relay?.stderr();
        reject(said ? Object.assign(err, { message: `${err.message}; sshd said: ${said}` }) : err);
      })
      .connect({
        ...(sock ? { sock } : { host: t.host, port: t.port }),
        username: t.username,
        ...(t.agent ? { agent: t.agent } : { privateKey: t.privateKey }),
        // the lab's key is the only way in: not asking "none" first saves a round trip of every handshake
        authHandler: [t.agent ? "agent" : "publickey"],
        readyTimeout,
        keepaliveInterval: 10_000,
        algorithms: { serverHostKey: [keyType(t.hostKey)] as never },
        hostVerifier: (key: Buffer) => {
          mismatch = !key.equals(expected);
          return !mismatch;
        },
      });
  });
}

/**
 * A channel to host:port forwarded from a jump host (`jump`: its address, login and pinned key in SshTarget's form,
 * without a jump of its own), and the jump host's connection, which the caller ends once the channel is done.
 */
export async function jumpStream(jump: SshTarget, host: string, port: number, readyTimeout: number): Promise<{ stream: Duplex; jump: Client }> {
  const client = await openClient({ ...jump, jump: undefined, container: undefined }, readyTimeout).catch((err: Error) => {
    throw Object.assign(err, { message: `jump host ${jump.host}:${jump.port}: ${err.message}` });
  });
  return new Promise((resolve, reject) => {
    client.forwardOut("127.0.0.1", 0, host, port, (err, channel) => {
      if (err) {
        client.end();
        return reject(new Error(`jump host ${jump.host}:${jump.port} could not reach ${host}:${port} (${err.message})`));
      }
      resolve({ stream: channel, jump: client });
    });
  });
}

function keyType(publicKey: string): string {
  return publicKey.trim().split(/\s+/)[0];
}

function hostKeyBlob(publicKey: string): Buffer {
  const blob = publicKey.trim().split(/\s+/)[1];
  if (!blob) throw new Error(`not an OpenSSH public key: '${publicKey}'`);
  return Buffer.from(blob, "base64");
}

/** An http.Agent whose sockets are SSH channels to the node's Docker socket (one channel per request). */
class SocketForwardAgent extends http.Agent {
  constructor(
    private readonly client: Client,
    private readonly node: string,
  ) {
    super({ keepAlive: false });
  }

  createConnection(_options: unknown, callback: (err: Error | null, socket?: Duplex) => void): undefined {
    this.client.openssh_forwardOutStreamLocal(DOCKER_SOCKET, (err: Error | undefined, channel: ClientChannel) => {
      // sshd opens the channel only when something listens on the socket: no dockerd, no channel
      if (err) return callback(new NodeProblem(this.node, `its Docker engine does not answer (${err.message})`));
      callback(null, asSocket(channel));
    });
    return undefined;
  }

  /**
   * How util.inspect shows it: docker-modem inspects each request's options whole (every hidden property, no depth
   * limit) even when its debug log is off, and through this agent that is the SSH client's whole state: about a
   * second of CPU for the verification suite's requests.
   */
  [inspect.custom](): string {
    return `SocketForwardAgent(${this.node})`;
  }
}

function asSocket(channel: ClientChannel): Duplex {
  const noop = () => undefined;
  return Object.assign(channel, {
    setKeepAlive: noop,
    setNoDelay: noop,
    setTimeout: noop,
    ref: noop,
    unref: noop,
    destroySoon: () => channel.destroy(),
  });
}
