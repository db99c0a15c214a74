// The real Pulumi engine, through the CLI as a user runs it (`npx pulumi …`): CLI, Node.js language host and a
// dynamic provider, on a local file backend. The lab suite drives the same engine through the Automation API.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import execa from "execa";
import { cliRoot } from "../../infra/stack";

const FIXTURE = path.join(__dirname, "..", "fixtures", "engine");
const LANGUAGE_HOST = () => path.join(cliRoot(), "bin", "pulumi-language-nodejs");

describe("the Pulumi engine, through the CLI (npx pulumi)", function () {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "swarmlab-engine-"));
  const marker = path.join(scratch, "marker.txt");
  const env = {
    PULUMI_BACKEND_URL: `file://${scratch}/state`,
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  const pulumi = (...args: string[]) =>
    execa("npx", ["--no-install", "pulumi", ...args, "--non-interactive", "--stack", "engine"], { cwd: FIXTURE, env, reject: false });

  before(async function () {
    if (!existsSync(LANGUAGE_HOST())) {
      const message = `no Node.js language host at ${LANGUAGE_HOST()}: run 'bash scripts/pulumi-cli.sh'`;
      if (process.env.CI) throw new Error(message);
      console.log(`      ${message}`);
      this.skip();
    }
    require("node:fs").mkdirSync(`${scratch}/state`);
    const init = await pulumi("stack", "init");
    assert.equal(init.exitCode, 0, init.stderr);
    const set = await pulumi("config", "set", "marker", marker);
    assert.equal(set.exitCode, 0, set.stderr);
  });

  after(function () {
    rmSync(scratch, { recursive: true, force: true });
  });

  it("pulumi up --yes creates the dynamic resource (its provider writes the file)", async function () {
    const r = await pulumi("up", "--yes", "--skip-preview");
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.equal(readFileSync(marker, "utf8"), "written by the Pulumi engine\n");
  });

  it("pulumi preview then reports no changes", async function () {
    const r = await pulumi("preview", "--expect-no-changes");
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  });

  it("pulumi destroy --yes removes it, and the stack's state holds no resource", async function () {
    const r = await pulumi("destroy", "--yes", "--skip-preview");
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.equal(existsSync(marker), false, "the provider's delete did not run");
    const exported = await pulumi("stack", "export");
    assert.equal(exported.exitCode, 0, exported.stderr);
    assert.deepEqual(JSON.parse(exported.stdout).deployment.resources ?? [], []);
  });
});
