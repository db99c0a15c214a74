// The lab's folder keeps the key copy private, whatever was there before (lab/lab-dir.ts).
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { labDir, labLogger, recordHostKey, writeKeyCopy } from "../../lab/lab-dir";

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe("the lab's folder", function () {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), "swarmlab-dir-"))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("the key copy is written 0600 in a 0700 folder", function () {
    assert.equal(writeKeyCopy(root, "lab", "KEY\n"), true);
    assert.equal(mode(labDir(root, "lab")), "700");
    assert.equal(mode(path.join(labDir(root, "lab"), "id_ed25519")), "600");
  });

  it("an existing 0644 key file in a 0755 folder becomes 0600 in 0700, with the key of the state", function () {
    const dir = labDir(root, "lab");
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    const file = path.join(dir, "id_ed25519");
    writeFileSync(file, "OLD\n", { mode: 0o644 });
    assert.equal(writeKeyCopy(root, "lab", "KEY\n"), true);
    assert.equal(readFileSync(file, "utf8"), "KEY\n");
    assert.equal(mode(file), "600");
    assert.equal(mode(dir), "700");
    chmodSync(file, 0o644);
    assert.equal(writeKeyCopy(root, "lab", "KEY\n"), false, "the same key is not written again");
    assert.equal(mode(file), "600", "but its mode is mended");
  });

  it("the log and known_hosts make the folder 0700 too", function () {
    labLogger(root, "a")("hello");
    recordHostKey(root, "b", "192.168.56.10", "ssh-ed25519 AAAA node");
    assert.equal(mode(labDir(root, "a")), "700");
    assert.equal(mode(labDir(root, "b")), "700");
  });
});
