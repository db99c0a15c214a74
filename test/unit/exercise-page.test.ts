// The exercise page's server (lab/exercises/serve) without a lab: it listens on 127.0.0.1 only and refuses any other
// address before binding, says so plainly when its port is taken, serves the page and the latest look as JSON, refuses
// requests addressed to another host name; the looks run one at a time; and the picture labels each machine with what
// it is in the swarm now (recorded snapshots, test/fixtures/snapshot). The page in a browser: test/e2e/exercise-page.test.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { EXERCISE_FORMAT, exerciseReport, type ExerciseReport } from "../../lab/exercises/format";
import { pageArgs } from "../../lab/exercises/serve";
import { Looks, PAGE_FORMAT, type PageLook, type PageState } from "../../lab/exercises/serve/looks";
import { pictureLab, swarmRoleOf } from "../../lab/exercises/serve/picture";
import { loopbackHost, PageError, startPageServer, type PageServer } from "../../lab/exercises/serve/server";
import { topologyDot } from "../../lab/explain/topology";
import type { LabOutputs } from "../../lab/outputs";
import type { RawNodeLook } from "../../lab/snapshot/answers";
import { snapshotOf } from "../../lab/snapshot/model";

const report = (passed: boolean): ExerciseReport =>
  exerciseReport(
    { name: "swarm-init", title: "Make a swarm" },
    "dev",
    [{ id: "init", title: "swarm-manager runs a swarm, advertising its lab address", found: passed ? [] : ["swarm-manager is not in a swarm"] }],
    passed ? undefined : "Look at docker info on swarm-manager: Swarm: inactive.",
  );

/** A request as a browser on this machine makes it (or with another Host header). */
function get(
  url: string,
  options: { method?: string; host?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: options.method ?? "GET",
        headers: options.host ? { Host: options.host } : {},
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", reject).end();
  });
}

/** Whether anything accepts a TCP connection at host:port. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host, port }, () => (s.destroy(), resolve(true)));
    s.on("error", () => resolve(false));
  });

/** A free port on every address, found by listening on 0 and letting go. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "0.0.0.0", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("exercise page: the server listens on this machine only", function () {
  it("takes 127.0.0.1 or localhost (127.0.0.1 by default) and refuses any other address, saying why and how to reach it from elsewhere", function () {
    assert.equal(loopbackHost(undefined), "127.0.0.1");
    assert.equal(loopbackHost("localhost"), "127.0.0.1");
    assert.equal(loopbackHost("127.0.0.1"), "127.0.0.1");
    for (const other of ["0.0.0.0", "::", "192.168.56.1", "example.org"]) {
      assert.throws(
        () => loopbackHost(other, 7651),
        (err: Error) => {
          assert.ok(err instanceof PageError);
          assert.match(err.message, new RegExp(`127\\.0\\.0\\.1 only, not on '${other.replace(/\./g, "\\.")}'`));
          assert.match(err.message, /ssh -L 7651:127\.0\.0\.1:7651/);
          return true;
        },
      );
    }
  });

  it("asked for 0.0.0.0, it refuses before binding: the port stays free on every address", async function () {
    const port = await freePort();
    const looks = new Looks(async () => ({}), 1000);
    await assert.rejects(startPageServer({ host: "0.0.0.0", port, looks }), PageError);
    assert.equal(await accepts("127.0.0.1", port), false);
    const plain = net.createServer();
    await new Promise<void>((resolve, reject) => plain.once("error", reject).listen(port, "0.0.0.0", resolve));
    await new Promise((r) => plain.close(r));
  });

  it("listens on 127.0.0.1: the page answers there, and a connection to this machine's other addresses on its port is refused", async function () {
    const page = await startPageServer({ port: 0, looks: new Looks(async () => ({}), 1000) });
    try {
      assert.equal(page.url, `http://127.0.0.1:${page.port}/`);
      assert.equal((await get(page.url)).status, 200);
      const others = Object.values(os.networkInterfaces())
        .flat()
        .filter((a) => a && a.family === "IPv4" && !a.internal)
        .map((a) => a!.address);
      assert.ok(others.length > 0, "this machine has an address other than loopback to try");
      for (const address of others) assert.equal(await accepts(address, page.port), false, `${address}:${page.port} accepts`);
    } finally {
      await page.close();
    }
  });

  it("a port already taken is named, with another to choose", async function () {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startPageServer({ port, looks: new Looks(async () => ({}), 1000) }), (err: Error) => {
        assert.ok(err instanceof PageError);
        assert.equal(
          err.message,
          `port ${port} on 127.0.0.1 is taken (another exercise page, or another program): choose another, npm run exercise -- --serve --port ${port + 1}`,
        );
        return true;
      });
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it("npm run exercise -- --serve takes --port (7650 by default) and --host from the command line; a bad value is named", function () {
    assert.deepEqual(pageArgs(["--serve"]), { port: 7650 });
    assert.deepEqual(pageArgs(["--serve", "--port", "7651"]), { port: 7651 });
    assert.deepEqual(pageArgs(["--port=7652", "--serve", "--host", "0.0.0.0"]), { port: 7652, host: "0.0.0.0" });
    assert.throws(() => pageArgs(["--serve", "--port", "web"]), new PageError("--port 'web' is not a port: give a number from 1 to 65535"));
    assert.throws(() => pageArgs(["--serve", "--port"]), /--port needs a value, for example --port 7650/);
  });

  it("a port that is no port is refused before anything listens", async function () {
    await assert.rejects(
      startPageServer({ port: 70000, looks: new Looks(async () => ({}), 1000) }),
      /port '70000' is not a port: give a number from 1 to 65535/,
    );
  });
});

describe("exercise page: what the server answers", function () {
  let page: PageServer;
  let looked = 0;
  before(async function () {
    const look = async (): Promise<PageLook> => (looked++, { check: report(false), svg: "<svg><text>swarm-manager</text></svg>" });
    page = await startPageServer({ port: 0, looks: new Looks(look, 60_000) });
  });
  after(() => page.close());

  it("GET / is the page, its script and style from the same server, and nothing may load from elsewhere", async function () {
    const html = await get(page.url);
    assert.equal(html.status, 200);
    assert.match(html.headers["content-type"]!, /^text\/html/);
    assert.match(html.body, /<script src="\/page\.js" defer><\/script>/);
    assert.doesNotMatch(html.body, /(src|href)="(https?:)?\/\//, "no URL of another host");
    assert.match(String(html.headers["content-security-policy"]), /default-src 'self'/);
    for (const [file, type] of [
      ["page.js", /^text\/javascript/],
      ["page.css", /^text\/css/],
    ] as const) {
      const r = await get(`${page.url}${file}`);
      assert.equal(r.status, 200, file);
      assert.match(r.headers["content-type"]!, type);
      assert.equal(r.body, readFileSync(path.join(__dirname, "../../lab/exercises/serve/page", file), "utf8"));
    }
  });

  it("GET /state is the latest look as JSON: the exercise's report as check --json gives it, the picture's version", async function () {
    const r = await get(`${page.url}state`);
    assert.equal(r.status, 200);
    assert.match(r.headers["content-type"]!, /^application\/json/);
    assert.equal(r.headers["cache-control"], "no-store");
    const state = JSON.parse(r.body) as PageState;
    assert.equal(state.format, PAGE_FORMAT);
    assert.equal(state.check?.format, EXERCISE_FORMAT);
    assert.deepEqual(
      state.check?.tasks.map((t) => [t.id, t.passed]),
      [["init", false]],
    );
    assert.equal(state.check?.hint, "Look at docker info on swarm-manager: Swarm: inactive.");
    assert.equal(state.picture, 1);
    assert.equal(state.problem, null);
  });

  it("GET /topology.svg is the latest picture", async function () {
    const r = await get(`${page.url}topology.svg?v=1`);
    assert.equal(r.status, 200);
    assert.match(r.headers["content-type"]!, /^image\/svg\+xml/);
    assert.equal(r.body, "<svg><text>swarm-manager</text></svg>");
  });

  it("answers 404 elsewhere, 405 to anything but GET, and 403 to a request addressed to another host name (DNS rebinding)", async function () {
    assert.equal((await get(`${page.url}etc/passwd`)).status, 404);
    const post = await get(`${page.url}state`, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, "GET, HEAD");
    const elsewhere = await get(`${page.url}state`, { host: `attacker.example:${page.port}` });
    assert.equal(elsewhere.status, 403);
    assert.equal(elsewhere.body, `this page answers only at http://127.0.0.1:${page.port}/ (asked for host 'attacker.example:${page.port}')\n`);
    assert.equal((await get(page.url, { host: `localhost:${page.port}` })).status, 200);
  });

  it("many pages polling at once share one look", async function () {
    const before = looked;
    await Promise.all([1, 2, 3, 4].map(() => get(`${page.url}state`)));
    assert.equal(looked - before, 0, "the last look is not older than `every`: no new one");
  });
});

describe("exercise page: looks at the lab, one at a time", function () {
  /** A look that ends when the test says so. */
  function controlled() {
    const pending: ((l: PageLook | Error) => void)[] = [];
    const look = () => new Promise<PageLook>((resolve, reject) => pending.push((l) => (l instanceof Error ? reject(l) : resolve(l))));
    return { look, pending };
  }

  it("the first state waits for the first look; later ones answer at once and start the next look once the last is older than `every`", async function () {
    let clock = 0;
    const c = controlled();
    const looks = new Looks(c.look, 2000, () => clock);
    const first = looks.state();
    assert.equal(c.pending.length, 1);
    c.pending[0]({ check: report(false), svg: "<svg>a</svg>" });
    assert.equal((await first).check?.done, false);
    clock = 1999;
    assert.equal((await looks.state()).looking, false);
    assert.equal(c.pending.length, 1, "not older than every: no look");
    clock = 2000;
    const during = await Promise.all([looks.state(), looks.state(), looks.state()]);
    assert.equal(c.pending.length, 2, "one look for three pages");
    assert.ok(during.every((s) => s.looking && s.check?.done === false));
    c.pending[1]({ check: report(true), svg: "<svg>a</svg>" });
    await looks.next();
    const after = await looks.state();
    assert.equal(after.check?.done, true);
    assert.equal(after.looks, 2);
    assert.equal(after.picture, 1, "the same picture keeps its version");
  });

  it("a look that fails, or whose check cannot run, shows its problem and keeps the last check; one that finds no exercise clears it; a new picture gets a new version", async function () {
    const c = controlled();
    const looks = new Looks(c.look, 0);
    const first = looks.state();
    c.pending[0]({ check: report(true), svg: "<svg>a</svg>" });
    await first;
    const failing = looks.next();
    c.pending[1](new Error("swarm-worker1: SSH does not answer"));
    await failing;
    let s = await looks.state();
    assert.equal(s.problem, "swarm-worker1: SSH does not answer");
    assert.equal(s.check?.done, true);
    assert.equal(s.picture, 1);
    const unchecked = looks.next();
    c.pending[2]({ problem: "the check could not run: swarm-worker2: SSH does not answer", svg: "<svg>a</svg>" });
    await unchecked;
    s = await looks.state();
    assert.equal(s.check?.done, true);
    assert.match(s.problem!, /could not run/);
    c.pending[3]({ check: null, problem: "no exercise is started on stack dev: npm run exercise start <name>", svg: "<svg>b</svg>" });
    await looks.next();
    s = await looks.state();
    assert.equal(s.check, null);
    assert.match(s.problem!, /no exercise is started/);
    assert.equal(s.picture, 2);
    assert.equal(looks.topology(), "<svg>b</svg>");
  });
});

describe("exercise page: the lab's picture as the student builds it", function () {
  const raw = (name: string) => JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "snapshot", `${name}.json`), "utf8")) as RawNodeLook[];
  const recorded = (name: string) => snapshotOf(raw(name));
  const outputs = {
    lab: "swarmlab",
    backend: "docker",
    subnet: "192.168.56.0/24",
    nodeAccess: [
      { name: "swarm-manager", role: "manager", address: "192.168.56.10" },
      { name: "swarm-worker1", role: "worker", address: "192.168.56.11" },
      { name: "swarm-worker2", role: "worker", address: "192.168.56.12" },
    ],
    service: "test",
    overlay: { name: "mynet", gateway: "10.0.1.1" },
    upstream: { name: "upstream", address: "192.168.56.254" },
  } as unknown as LabOutputs;

  it("each machine is labelled with what it is in the swarm now: the Leader, workers, a node that left, one that does not answer", function () {
    const healthy = recorded("healthy");
    assert.deepEqual(
      ["swarm-manager", "swarm-worker1", "swarm-worker2"].map((n) => swarmRoleOf(healthy, n)),
      ["manager, Leader", "worker", "worker"],
    );
    assert.equal(swarmRoleOf(recorded("manager-left"), "swarm-manager"), "not in a swarm");
    const silent = snapshotOf([{ name: "swarm-worker1", role: "worker", address: "192.168.56.11", problem: "its Docker engine does not answer" }]);
    assert.equal(swarmRoleOf(silent, "swarm-worker1"), "does not answer");
  });

  it("a healthy lab is drawn as explain draws it (mynet, its VNI, the tasks); a lab without mynet yet is drawn too, machines only", function () {
    const whole = topologyDot(pictureLab(outputs, recorded("healthy")));
    assert.match(whole, /Swarm overlay mynet 10\.0\.1\.0\/24/);
    assert.match(whole, /swarm-manager \(manager, Leader\)/);
    assert.match(whole, /task test\.1/);
    // the manager left the swarm, and no node holds mynet any more
    const left = raw("manager-left");
    for (const n of left) n.answers!.networks = n.answers!.networks.filter((x) => x.Driver !== "overlay");
    const early = topologyDot(pictureLab(outputs, snapshotOf(left)));
    assert.match(early, /lab swarmlab: no Swarm overlay yet/);
    assert.match(early, /swarm-manager \(not in a swarm\)/);
    assert.doesNotMatch(early, /VXLAN tunnel|task test/);
    for (const n of outputs.nodeAccess) assert.ok(early.includes(n.address), n.name);
  });
});
