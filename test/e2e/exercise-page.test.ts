// The exercise page (npm run exercise -- --serve) in a real headless browser (page-browser.ts): first against a
// stand-in check (the page shows ✗, the hint and the picture, then flips to ✓ without a reload when the check does),
// then on a throw-away lab: an exercise started, the page open, the reference solution's first step typed over SSH as
// a student would, and its task flipping from ✗ to ✓ on the page. Screenshots: .swarmlab/artifacts/exercise-page*.png.
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { exerciseReport, type ExerciseReport } from "../../lab/exercises/format";
import { Looks, type PageLook } from "../../lab/exercises/serve/looks";
import { startPageServer, type PageServer } from "../../lab/exercises/serve/server";
import { artifact, launchBrowser } from "./page-browser";

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
    await page.waitForFunction("document.getElementById('topology').naturalWidth > 0"); // the picture loaded
    passed = true;
    await page.waitForSelector('#tasks li[data-task="init"][data-state="passed"]', { timeout: FLIP_MS });
    assert.equal(await taskState(page, "join"), "failed");
    assert.equal(await page.textContent("#hint-text"), "Join the workers with the token from docker swarm join-token worker.");
    await page.screenshot({ path: artifact("exercise-page-stand-in.png"), fullPage: true });
    assert.deepEqual(refused, []);
  });
});
