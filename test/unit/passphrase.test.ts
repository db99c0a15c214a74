// Which passphrase Pulumi gets for a stack's secrets (infra/passphrase.ts).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { passphraseEnv, saltOpensWith } from "../../infra/passphrase";

/** An encryptionsalt Pulumi wrote for a stack made with an empty passphrase. */
const EMPTY_SALT = "v1:0kZSPBCv2DI=:v1:EkDqzL1VQ5O91aYg:SvzhDXqN5uoHlXZUGc32/CkobZWxEQ==";

describe("the stacks' passphrase", function () {
  this.timeout(20_000); // PBKDF2 with a million rounds, as Pulumi does
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), "swarmlab-pass-"))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("a passphrase the user set wins (PULUMI_CONFIG_PASSPHRASE, even empty, then PULUMI_CONFIG_PASSPHRASE_FILE)", function () {
    assert.deepEqual(passphraseEnv("dev", { PULUMI_CONFIG_PASSPHRASE: "" }, root), { PULUMI_CONFIG_PASSPHRASE: "" });
    assert.deepEqual(passphraseEnv("dev", { PULUMI_CONFIG_PASSPHRASE_FILE: "/x" }, root), { PULUMI_CONFIG_PASSPHRASE_FILE: "/x" });
  });

  it("otherwise a random one in .swarmlab/passphrase, mode 600, made once and kept", function () {
    const first = passphraseEnv("dev", {}, root);
    assert.deepEqual(first, { PULUMI_CONFIG_PASSPHRASE_FILE: path.join(root, ".swarmlab", "passphrase") });
    const file = path.join(root, ".swarmlab", "passphrase");
    assert.equal((statSync(file).mode & 0o777).toString(8), "600");
    const text = readFileSync(file, "utf8");
    assert.ok(text.trim().length >= 40, "32 random bytes, base64");
    passphraseEnv("other", {}, root);
    assert.equal(readFileSync(file, "utf8"), text);
  });

  it("a stack made with an empty passphrase (before the project kept one) keeps it", function () {
    writeFileSync(path.join(root, "Pulumi.old.yaml"), `encryptionsalt: ${EMPTY_SALT}\n`);
    assert.deepEqual(passphraseEnv("old", {}, root), { PULUMI_CONFIG_PASSPHRASE: "" });
  });

  it("reads Pulumi's encryptionsalt: it opens with the right passphrase only", function () {
    assert.equal(saltOpensWith(EMPTY_SALT, ""), true);
    assert.equal(saltOpensWith(EMPTY_SALT, "guess"), false);
    assert.equal(saltOpensWith("v1:garbage", ""), false);
  });
});
