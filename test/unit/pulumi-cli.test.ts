// scripts/pulumi-cli.sh on bad ground: no Go toolchain, or an interrupted earlier install. (Building for real is
// what CI's set-up does; these cases must fail fast, say what to do, and leave nothing that looks installed.)
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import execa from "execa";

const SCRIPT = path.join(__dirname, "..", "..", "scripts", "pulumi-cli.sh");
const VERSION: string = require("@pulumi/pulumi/package.json").version;
const NO_GO_PATH = path.dirname(process.execPath) + ":/usr/bin:/bin"; // node, bash, coreutils; no go

describe("scripts/pulumi-cli.sh without a usable CLI", function () {
  let home: string;
  beforeEach(() => (home = mkdtempSync(path.join(os.tmpdir(), "swarmlab-pulumi-home-"))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const run = () =>
    execa("bash", [SCRIPT], { env: { PATH: NO_GO_PATH, HOME: home, PULUMI_HOME: home, SWARMLAB_CACHE: path.join(home, "cache") }, reject: false, extendEnv: false });

  it("with no Go toolchain: exits non-zero, names what is missing and the official installer, installs nothing", async function () {
    const r = await run();
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /no Go toolchain on PATH/);
    assert.match(r.stderr, /get\.pulumi\.com/);
    assert.equal(existsSync(path.join(home, "versions")), false, "something was installed");
  });

  it("an interrupted earlier install (binary present, marker missing) is not taken for a CLI: it is rebuilt", async function () {
    const bin = path.join(home, "versions", VERSION, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho v${VERSION}\n`);
    chmodSync(path.join(bin, "pulumi"), 0o755);
    writeFileSync(path.join(bin, ".swarmlab-building"), "");
    const r = await run();
    assert.doesNotMatch(r.stdout, /already installed|found at/, "the half-installed CLI was accepted");
    assert.match(r.stderr, /no Go toolchain on PATH/, "it went on to rebuild (and needs Go for that)");
    assert.equal(r.exitCode, 1);
    assert.ok(!readdirSync(bin).includes(".swarmlab-built"));
  });
});
