import assert from "node:assert/strict";
import net from "node:net";
import { Server } from "ssh2";
import type { NodeAccess } from "../../lab/sessions";
import { LabSessions } from "../../lab/snapshot/read";
import { ed25519Pair } from "../../lab/ssh-keys";

// A real SSH server on loopback whose authentication takes a while: a node slower to answer than another that fails.
function slowSshServer(delayMs: number): Promise<{ port: number; hostKey: string; ended: Promise<void>; close(): void }> {
  const host = ed25519Pair();
  let resolveEnded: () => void = () => undefined;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const server = new Server({ hostKeys: [host.private] }, (client) => {
    client.on("authentication", (ctx) => setTimeout(() => ctx.accept(), delayMs));
    client.on("error", () => undefined);
    client.on("close", () => resolveEnded());
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        hostKey: host.public.split(" ").slice(0, 2).join(" "),
        ended,
        close: () => server.close(),
      }),
    ),
  );
}

describe("LabSessions: one session per node, none left behind", () => {
  it("a session that connects after the sessions were closed (another node failed first) is closed at once", async function () {
    this.timeout(15_000);
    const slow = await slowSshServer(1_500);
    const other = await slowSshServer(0); // answers at once, with another host key than recorded: refused, never retried
    const key = ed25519Pair();
    const access = (name: string, port: number, hostKey: string): NodeAccess => ({
      name,
      role: "worker",
      address: "127.0.0.1",
      machine: `container-${name}`,
      sshHost: "127.0.0.1",
      sshPort: port,
      username: "vagrant",
      hostKey,
    });
    const slowNode = access("slow", slow.port, slow.hostKey);
    const otherNode = access("other", other.port, slow.hostKey);
    const sessions = new LabSessions([slowNode, otherNode], key.private, 10_000);
    try {
      await assert.rejects(Promise.all([sessions.session(slowNode), sessions.session(otherNode)]), /host key differs/);
      sessions.close(); // as ConnectedLab.open does when a node fails
      await slow.ended; // the slow node's connection, landed later, was ended by this side
      assert.equal(sessions.sessions.size, 0);
    } finally {
      slow.close();
      other.close();
    }
  });

  it("asked twice at once for one node, it connects once", async function () {
    this.timeout(15_000);
    const slow = await slowSshServer(200);
    const key = ed25519Pair();
    const node: NodeAccess = {
      name: "n",
      role: "worker",
      address: "127.0.0.1",
      machine: "container-n",
      sshHost: "127.0.0.1",
      sshPort: slow.port,
      username: "vagrant",
      hostKey: slow.hostKey,
    };
    const sessions = new LabSessions([node], key.private, 5_000);
    try {
      const [a, b] = await Promise.all([sessions.session(node), sessions.session(node)]);
      assert.equal(a, b);
    } finally {
      sessions.close();
      await slow.ended;
      slow.close();
    }
  });
});
