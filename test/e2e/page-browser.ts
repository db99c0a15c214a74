// A real headless browser for the exercise page's tests: Debian's chromium (apt-get install chromium) driven by
// playwright-core from npm, which downloads no browser of its own. SWARMLAB_CHROMIUM names another executable.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { PROJECT_ROOT } from "../../lab/project-root";

export const CHROMIUM = process.env.SWARMLAB_CHROMIUM ?? "/usr/bin/chromium";
/** Where the tests keep what they saw: screenshots a person looks at (CI keeps .swarmlab/artifacts/). */
export const ARTIFACTS = path.join(PROJECT_ROOT, ".swarmlab", "artifacts");

/** The browser, or (outside CI) a skip saying how to install it; in CI a missing browser fails. */
export async function launchBrowser(ctx: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    const message = `no browser at ${CHROMIUM}: apt-get install -y chromium (or set SWARMLAB_CHROMIUM)`;
    if (process.env.CI) throw new Error(message);
    console.log(`      ${message}`);
    ctx.skip();
  }
  const { chromium } = await import("playwright-core");
  // --no-sandbox: Chromium's sandbox needs user namespaces, which CI's containers (as root) do not give
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
}

/** The screenshot's path under the artifacts folder, the folder made. */
export function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/**
 * Polls `predicate` in the page until it holds. page.waitForFunction would build it with eval inside the page, which
 * the page's Content-Security-Policy (script-src 'self') refuses; page.evaluate runs it through the debugging protocol.
 */
export async function waitInPage(
  page: Page,
  predicate: (arg: string | null) => boolean,
  arg: string | null,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await page.evaluate(predicate, arg))) {
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Whether the page's picture has loaded (its version `v`, when given): run in the page, so it holds all it uses. */
export function pictureShown(v: string | null): boolean {
  type Img = { src: string; complete: boolean; naturalWidth: number };
  const img = (globalThis as unknown as { document: { getElementById(id: string): Img | null } }).document.getElementById("topology");
  return img !== null && (v === null || img.src.endsWith(`v=${v}`)) && img.complete && img.naturalWidth > 0;
}
