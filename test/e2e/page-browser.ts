// A real headless browser for the exercise page's tests: Debian's chromium (apt-get install chromium) driven by
// playwright-core from npm, which downloads no browser of its own. SWARMLAB_CHROMIUM names another executable.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
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
