// The exercise page (npm run exercise -- --serve) in a real headless browser (page-browser.ts): first against a
// stand-in check (the page shows ✗, the hint and the picture, then flips to ✓ without a reload when the check does),
// then on a lab (a throw-away one, or SWARMLAB_EXERCISES_STACK's running lab: npm run test:vm's VMs): an exercise
// started, the page open, the reference solution's first step typed over SSH as a student would, and its task flipping
// from ✗ to ✓ on the page. Screenshots: .swarmlab/artifacts/exercise-page*.png (exercise-page-vagrant.png on VMs).
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import execa from "execa";
import type { Browser, Page } from "playwright-core";
import { exerciseNamed } from "../../lab/exercises/exercise";
import { exerciseReport, type ExerciseReport } from "../../lab/exercises/format";
import { Looks, type PageLook, type PageState } from "../../lab/exercises/serve/looks";
import { startPageServer, type PageServer } from "../../lab/exercises/serve/server";
import { fill, publicValues } from "../../lab/exercises/values";
import { PROJECT_ROOT } from "../../lab/project-root";
import { outputsFromRecord, recordedOf } from "../../lab/recorded-outputs";
import { type ExercisedLab, labForExercises, requirePrerequisites } from "./lab-under-test";
import { artifact, launchBrowser, pictureShown, waitInPage } from "./page-browser";

/** How long the page may take to show a change: a poll (2 s), the look it starts, and the poll after. */
const FLIP_MS = 60_000;

const taskState = (page: Page, id: string) => page.getAttribute(`#tasks li[data-task="${id}"]`, "data-state");

describe("exercise page in a browser: a stand-in check", function () {
  let browser: Browser;
  let server: PageServer;
  let passed = false;
  const check = (): ExerciseReport =>
    exerciseReport(
      { name: "swarm-init", title: "Make a swarm" },
      "dev",
      [
        { id: "init", title: "swarm-manager runs a swarm, advertising its lab address", found: passed ? [] : ["swarm-manager is not in a swarm"] },
        { id: "join", title: "both workers joined it", found: ["swarm-worker1 is not in a swarm", "swarm-worker2 is not in a swarm"] },
      ],
      passed ? "Join the workers with the token from docker swarm join-token worker." : "Look at docker info on swarm-manager: Swarm: inactive.",
    );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60"><text x="10" y="30">swarm-manager (not in a swarm)</text></svg>`;

  before(async function () {
    browser = await launchBrowser(this);
    server = await startPageServer({ port: 0, looks: new Looks(async (): Promise<PageLook> => ({ check: check(), svg }), 500) });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows the exercise, each task with ✗, what was found, the hint and the picture; then ✓ when the check passes, without a reload", async function () {
    const page = await browser.newPage();
    const refused: string[] = [];
    page.on("requestfailed", (r) => refused.push(r.url()));
    await page.goto(server.url);
    await page.waitForSelector('#tasks li[data-task="init"]');
    assert.equal(await page.textContent("#title"), "Make a swarm (swarm-init)");
    assert.equal(await taskState(page, "init"), "failed");
    assert.match((await page.textContent('#tasks li[data-task="init"]'))!, /^✗swarm-manager runs a swarm.*swarm-manager is not in a swarm$/);
    assert.equal(await page.textContent("#hint-text"), "Look at docker info on swarm-manager: Swarm: inactive.");
    await waitInPage(page, pictureShown, null, FLIP_MS, "the picture loaded");
    passed = true;
    await page.waitForSelector('#tasks li[data-task="init"][data-state="passed"]', { timeout: FLIP_MS });
    assert.equal(await taskState(page, "join"), "failed");
    assert.equal(await page.textContent("#hint-text"), "Join the workers with the token from docker swarm join-token worker.");
    await page.screenshot({ path: artifact("exercise-page-stand-in.png"), fullPage: true });
    assert.deepEqual(refused, []);
  });
});

/** npm run exercise [args] on the stack, as the student runs it (the compiled command, as npm's script does). */
const exerciseCli = (stack: string, ...args: string[]) =>
  execa("node", [path.join(PROJECT_ROOT, "scripts", "compiled.js"), "scripts/exercise.ts", ...args], {
    cwd: PROJECT_ROOT,
    env: { SWARMLAB_STACK: stack },
    all: true,
    reject: false,
  });

/** A port nothing listens on now, on 127.0.0.1. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("exercise page in a browser: on a lab, as a student works", function () {
  let browser: Browser;
  let under: ExercisedLab | undefined;
  let serving: ReturnType<typeof exerciseCli> | undefined;

  before(async function () {
    await requirePrerequisites(this);
    browser = await launchBrowser(this);
    under = await labForExercises("page", 90);
  });

  after(async function () {
    await browser?.close();
    if (serving && serving.exitCode === null) serving.kill("SIGINT");
    if (under) assert.deepEqual(await under.release(), [], "left after down");
  });

  it("npm run exercise -- --serve: the swarm exercise's tasks ✗, the machines not in a swarm; the first step typed over ssh flips its task to ✓", async function () {
    const name = under!.stack;
    const start = await exerciseCli(name, "start", "swarm");
    assert.equal(start.exitCode, 0, `npm run exercise start swarm failed:\n${(start.all ?? "").slice(-3000)}`);

    const port = await freePort();
    serving = exerciseCli(name, "--serve", "--port", String(port));
    const url = `http://127.0.0.1:${port}/`;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      serving!.all!.on("data", (d: Buffer) => ((out += d), out.includes(url) && resolve()));
      serving!.then((r) => reject(new Error(`--serve exited ${r.exitCode} before listening:\n${r.all}`)), reject);
    });

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(url);
    await page.waitForSelector('#tasks li[data-task="init"]', { timeout: FLIP_MS });
    assert.equal(await taskState(page, "init"), "failed");
    assert.equal(await taskState(page, "join"), "failed");
    assert.ok(await page.isVisible("#hint-text"), "a hint is shown");
    // the picture's text, Graphviz's character references read back (it writes - as &#45;)
    const picture = async () =>
      (await (await page.request.get(`${url}topology.svg`)).text()).replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
    assert.match(await picture(), /swarm-manager \(not in a swarm\)/);

    // the reference solution's first step, typed as the task tells the student: {ssh} <node> '<command>'
    const e = exerciseNamed(PROJECT_ROOT, "swarm");
    const values = publicValues(outputsFromRecord(PROJECT_ROOT, recordedOf(PROJECT_ROOT, name)!, name), "busybox");
    const step = e.solution[0];
    assert.deepEqual([step.on, step.completes], ["manager", ["init"]]);
    const typed = await execa("sh", ["-c", `${values.ssh} ${values.manager} '${fill(step.command, values)}'`], {
      cwd: PROJECT_ROOT,
      reject: false,
      all: true,
    });
    assert.equal(typed.exitCode, 0, typed.all);

    const typedAt = Date.now();
    await page.waitForSelector('#tasks li[data-task="init"][data-state="passed"]', { timeout: FLIP_MS });
    console.log(`      init showed ✓ on the page ${((Date.now() - typedAt) / 1000).toFixed(1)} s after the command ended`);
    assert.equal(await taskState(page, "join"), "failed", "the workers have not joined: join stays ✗");
    // the picture follows (a look draws the lab before it checks it: the look that saw ✓ may have drawn it a moment before)
    const until = Date.now() + FLIP_MS;
    while (!/swarm-manager \(manager, Leader\)/.test(await picture())) {
      assert.ok(Date.now() < until, `the picture never showed swarm-manager as the Leader:\n${await picture()}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const { picture: version } = (await (await page.request.get(`${url}state`)).json()) as PageState;
    await waitInPage(page, pictureShown, String(version), FLIP_MS, `the picture of look ${version} shown`);
    const shot = artifact(under!.backend === "docker" ? "exercise-page.png" : `exercise-page-${under!.backend}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`      the page after the first step: ${path.relative(PROJECT_ROOT, shot)}`);

    serving.kill("SIGINT");
    const stopped = await serving;
    assert.equal(stopped.exitCode, 0, `--serve after Ctrl-C:\n${stopped.all}`);
  });
});
