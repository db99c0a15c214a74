// lab/wait.ts: the one helper every "ask until it holds" goes through. A fake clock makes each wait instant and
// records its pauses, so the pacing is checked too; one test runs on the real clock with tiny pauses.
import assert from "node:assert/strict";
import net from "node:net";
import type Docker from "dockerode";
import { waitForPort } from "../../lab/backends/host/wait";
import { TUTORIAL_ENDPOINT, TUTORIAL_PLACEMENT, waitForTasks } from "../../lab/steps/service";
import { waitForNodesReady } from "../../lab/steps/swarm";
import { Clock, pause, unlessTimedOut, waitUntil, WaitTimeout } from "../../lab/wait";

/** A clock whose sleep moves time on at once; each ask may cost `askMs`. */
function fakeClock(askMs = 0): Clock & { pauses: number[]; tick(): void } {
  let now = 1_000_000;
  const pauses: number[] = [];
  return {
    pauses,
    now: () => now,
    sleep: async (ms) => {
      pauses.push(ms);
      now += ms;
    },
    tick: () => (now += askMs),
  };
}

describe("waitUntil: one wait with a name, a bound and a pacing", () => {
  it("answers at once when the probe holds on the first ask, without a pause", async () => {
    const clock = fakeClock();
    const got = await waitUntil("the answer", { timeoutMs: 1_000, pacingMs: 100, errors: "end", clock }, () => 42);
    assert.equal(got, 42);
    assert.deepEqual(clock.pauses, []);
  });

  it("asks again at its pacing until the probe answers, and returns that answer", async () => {
    const clock = fakeClock();
    const asked: number[] = [];
    const got = await waitUntil("the third ask", { timeoutMs: 10_000, pacingMs: 300, errors: "end", clock }, async ({ attempt }) => {
      asked.push(attempt);
      return attempt === 3 ? `ask ${attempt}` : undefined;
    });
    assert.equal(got, "ask 3");
    assert.deepEqual(asked, [1, 2, 3]);
    assert.deepEqual(clock.pauses, [300, 300]);
  });

  it("false also means not yet", async () => {
    const clock = fakeClock();
    let n = 0;
    assert.equal(await waitUntil("true", { timeoutMs: 1_000, pacingMs: 10, errors: "end", clock }, () => ++n > 2), true);
    assert.equal(n, 3);
  });

  it("backs off from a small first pause to its cap", async () => {
    const clock = fakeClock();
    await assert.rejects(waitUntil("never", { timeoutMs: 2_000, pacingMs: { firstMs: 20, capMs: 500 }, errors: "end", clock }, () => undefined));
    assert.deepEqual(clock.pauses.slice(0, 7), [20, 40, 80, 160, 320, 500, 500]);
    assert.equal(pause({ firstMs: 100, capMs: 1_000, factor: 3 }, 3), 900);
  });

  it("a timeout names what was awaited, for how long, and the last thing seen", async () => {
    const clock = fakeClock();
    const err = await waitUntil("nodes Ready", { timeoutMs: 60_000, pacingMs: 300, errors: "end", clock }, ({ attempt, saw }) => {
      saw(`still waiting for swarm-worker2: ${attempt < 5 ? "unknown" : "down"}`);
      return undefined;
    }).catch((e) => e);
    assert.ok(err instanceof WaitTimeout);
    assert.equal(err.message, "nodes Ready: not after 60s (still waiting for swarm-worker2: down)");
    assert.equal(err.awaited, "nodes Ready");
    assert.equal(err.lastSeen, "still waiting for swarm-worker2: down");
  });

  it("makes its last ask at the deadline: no pause outlasts it", async () => {
    const clock = fakeClock();
    let asks = 0;
    await assert.rejects(
      waitUntil("x", { timeoutMs: 1_000, pacingMs: 400, errors: "end", clock }, () => void asks++),
      WaitTimeout,
    );
    assert.deepEqual(clock.pauses, [400, 400, 200]);
    assert.equal(asks, 4);
  });

  it("asks at least once, even past its deadline; a deadline shared between waits bounds each", async () => {
    const clock = fakeClock();
    let asks = 0;
    const err = await waitUntil("late", { deadlineMs: clock.now() - 1, pacingMs: 100, errors: "end", clock }, () => void asks++).catch((e) => e);
    assert.equal(asks, 1);
    assert.match(err.message, /^late: not after 0ms$/);
    const deadlineMs = clock.now() + 5_000;
    await assert.rejects(
      waitUntil("shared", { timeoutMs: 60_000, deadlineMs, pacingMs: 1_000, errors: "end", clock }, () => undefined),
      /: shared: not after 5s$/,
    );
  });

  it("a bound on asks: stops after that many, and says so", async () => {
    const clock = fakeClock();
    let asks = 0;
    const err = await waitUntil("an answer", { attempts: 3, pacingMs: 1_000, errors: "end", clock }, ({ saw }) => {
      saw(`no answer ${++asks}`);
      return undefined;
    }).catch((e) => e);
    assert.equal(asks, 3);
    assert.deepEqual(clock.pauses, [1_000, 1_000]);
    assert.equal(err.message, "an answer: not after 3 asks in 2s (no answer 3)");
  });

  it("tells the probe how long is left, for a probe that must not outlast the deadline", async () => {
    const clock = fakeClock(250);
    const left: number[] = [];
    await waitUntil("x", { timeoutMs: 1_000, pacingMs: 250, errors: "end", clock }, (ask) => {
      left.push(ask.remainingMs);
      clock.tick(); // e.g. queued for a handshake slot: the time left is read when needed
      left.push(ask.remainingMs);
      return left.length === 4;
    });
    assert.deepEqual(left, [1_000, 750, 500, 250]);
  });

  it("an error the probe throws ends the wait with that error, when the call says so", async () => {
    const clock = fakeClock();
    const boom = new Error("host key differs");
    let asks = 0;
    await assert.rejects(
      waitUntil("x", { timeoutMs: 1_000, pacingMs: 10, errors: "end", clock }, () => {
        asks++;
        throw boom;
      }),
      (e) => e === boom,
    );
    assert.equal(asks, 1);
  });

  it("a retried error is part of waiting: a later answer wins, a timeout names the error as the last seen", async () => {
    const clock = fakeClock();
    let asks = 0;
    const got = await waitUntil("engine", { timeoutMs: 1_000, pacingMs: 10, errors: "retry", clock }, () => {
      if (++asks < 3) throw new Error("connect ECONNREFUSED");
      return "pong";
    });
    assert.equal(got, "pong");
    const refused = new Error("connect\nECONNREFUSED 192.168.56.11:22");
    const err = await waitUntil("sshd on swarm-worker1", { timeoutMs: 30_000, pacingMs: 250, errors: "retry", clock }, () => {
      throw refused;
    }).catch((e) => e);
    assert.ok(err instanceof WaitTimeout);
    assert.equal(err.message, "sshd on swarm-worker1: not after 30s (connect ECONNREFUSED 192.168.56.11:22)");
    assert.equal(err.cause, refused);
  });

  it("a function chooses per error: retried ones wait, the others end it", async () => {
    const clock = fakeClock();
    let asks = 0;
    const errors = (e: unknown) => (/in use/.test(String(e)) ? "retry" : "end") as "retry" | "end";
    await assert.rejects(
      waitUntil("network removed", { timeoutMs: 1_000, pacingMs: 10, errors, clock }, () => {
        throw new Error(++asks < 3 ? "network mynet is in use" : "permission denied");
      }),
      /permission denied/,
    );
    assert.equal(asks, 3);
  });

  it("what a probe saw stays the last seen when a later ask says nothing", async () => {
    const clock = fakeClock();
    const err = await waitUntil("x", { timeoutMs: 100, pacingMs: 10, errors: "end", clock }, ({ attempt, saw }) => {
      if (attempt === 1) saw("one task running");
      return undefined;
    }).catch((e) => e);
    assert.equal(err.message, "x: not after 100ms (one task running)");
  });

  it("unlessTimedOut: a timeout is undefined for a caller to whom not yet is an answer; other errors still throw", async () => {
    const clock = fakeClock();
    assert.equal(await unlessTimedOut(waitUntil("x", { attempts: 2, pacingMs: 10, errors: "end", clock }, () => undefined)), undefined);
    assert.equal(await unlessTimedOut(waitUntil("x", { attempts: 2, pacingMs: 10, errors: "end", clock }, () => "yes")), "yes");
    const failing = waitUntil("x", { attempts: 2, pacingMs: 10, errors: "end", clock }, () => {
      throw new Error("engine gone");
    });
    await assert.rejects(unlessTimedOut(failing), /engine gone/);
  });

  it("what a probe saw before it threw stays in the message, with the error", async () => {
    const clock = fakeClock();
    const err = await waitUntil("x", { timeoutMs: 100, pacingMs: 10, errors: "retry", clock }, ({ saw }) => {
      saw("2 of 3 looked at");
      throw new Error("socket hang up");
    }).catch((e) => e);
    assert.equal(err.message, "x: not after 100ms (2 of 3 looked at; socket hang up)");
  });

  it("refuses a wait with no bound", async () => {
    await assert.rejects(
      waitUntil("forever", { pacingMs: 10, errors: "end" }, () => undefined),
      /no timeoutMs, deadlineMs or attempts/,
    );
  });

  it("runs on the real clock", async () => {
    let asks = 0;
    assert.equal(await waitUntil("real", { timeoutMs: 1_000, pacingMs: 1, errors: "end" }, () => ++asks === 3 && "done"), "done");
    await assert.rejects(
      waitUntil("real timeout", { timeoutMs: 20, pacingMs: 5, errors: "end" }, () => undefined),
      /: real timeout: not after 20ms$/,
    );
  });
});

describe("waitForPort: a machine's sshd, over the same wait", () => {
  it("answers once the port accepts; a port that refuses times out naming the refusal", async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as net.AddressInfo;
    try {
      await waitForPort("127.0.0.1", port, 1_000);
    } finally {
      await new Promise((r) => server.close(r));
    }
    await assert.rejects(waitForPort("127.0.0.1", port, 300), new RegExp(`127.0.0.1:${port} answering: not after 300ms \\(connect ECONNREFUSED`));
  });
});

describe("the steps' waits say what they last saw", () => {
  const node = (Hostname: string, State: string, ID = Hostname) => ({ ID, Description: { Hostname }, Status: { State } });

  it("nodes Ready: each node still waited for, with the states the manager has for it", async () => {
    const nodes = [node("swarm-worker1", "ready"), node("swarm-worker2", "down", "old"), node("swarm-worker2", "unknown", "new")];
    const manager = { listNodes: async () => nodes } as unknown as Docker;
    await waitForNodesReady(manager, ["swarm-worker1"], 50);
    await assert.rejects(
      waitForNodesReady(manager, ["swarm-worker1", "swarm-worker2", "swarm-worker3"], 50),
      /nodes Ready: not after 50ms \(still waiting for swarm-worker2: down\/unknown, swarm-worker3: not known to the manager\)$/,
    );
  });

  it("a service's tasks: how many run, and which has no overlay address yet", async () => {
    const task = (Slot: number, NodeID: string, address?: string) => ({
      Slot,
      NodeID,
      Status: { State: "running", ContainerStatus: { ContainerID: `c${Slot}` } },
      NetworksAttachments: address ? [{ Network: { Spec: { Name: "mynet" } }, Addresses: [`${address}/24`] }] : [],
    });
    let tasks = [task(1, "w1", "10.0.1.3"), task(2, "w2")];
    const manager = {
      listTasks: async () => tasks,
      listNodes: async () => [node("swarm-worker1", "ready", "w1"), node("swarm-worker2", "ready", "w2")],
    };
    const args = {
      lab: "l",
      name: "test",
      image: "busybox",
      replicas: 2,
      network: "mynet",
      pingTarget: "x",
      placement: TUTORIAL_PLACEMENT,
      mode: "replicated" as const,
      endpoint: TUTORIAL_ENDPOINT,
    };
    await assert.rejects(
      waitForTasks(manager as unknown as Docker, args, 50),
      /service test: 2 tasks running on mynet: not after 50ms \(2 of 2 running; test.2 on swarm-worker2 has no address on mynet yet\)$/,
    );
    tasks = [task(1, "w1", "10.0.1.3"), task(2, "w2", "10.0.1.4")];
    assert.deepEqual(
      (await waitForTasks(manager as unknown as Docker, args, 50)).map((t) => t.overlayIp),
      ["10.0.1.3", "10.0.1.4"],
    );
  });
});
