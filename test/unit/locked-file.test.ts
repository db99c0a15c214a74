// The files every run of the project shares keep every change when runs change them at once: four processes each
// record 20 hosts in one .swarmlab/ssh-hosts.json and pin 20 keys in one known_hosts, and all 80 of each are there. A
// lock held by a live process makes a change wait, then fail naming it; one left by a process that is gone is taken.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import execa from "execa";
import { withFileLock } from "../../lab/locked-file";
import { readRecord } from "../../lab/backends/ssh/record";
import { KNOWN_HOSTS_FILE } from "../../lab/backends/ssh/known-hosts";
import { PROJECT_ROOT } from "../../lab/project-root";

/** One process's changes: 20 hosts recorded and 20 keys pinned, through the compiled modules the commands run. */
const WRITER = `
const [root, who] = process.argv.slice(1);
const { load } = require(${JSON.stringify(path.join(PROJECT_ROOT, "scripts", "compiled.js"))});
const record = load(${JSON.stringify(PROJECT_ROOT)}, "lab/backends/ssh/record");
const known = load(${JSON.stringify(PROJECT_ROOT)}, "lab/backends/ssh/known-hosts");
for (let i = 0; i < 20; i++) {
  record.recordHost(root, { lab: "lab" + who, owner: "o", name: "h" + i, role: "worker", address: "10.9." + who + "." + i, user: "u", port: 22 });
  known.pinHostKey(root, "10.9." + who + "." + i, 22, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA" + who + i);
}
`;

describe("files every run shares (.swarmlab/ssh-hosts.json, known_hosts): a change at a time", function () {
  this.timeout(120_000);
  const scratch: string[] = [];
  const folder = () => scratch[scratch.push(mkdtempSync(path.join(os.tmpdir(), "swarmlab-lock-"))) - 1];
  after(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("four processes changing them at once lose nothing", async function () {
    const root = folder();
    await Promise.all([1, 2, 3, 4].map((who) => execa("node", ["-e", WRITER, root, String(who)])));
    assert.equal(readRecord(root).length, 80, "hosts recorded");
    const lines = readFileSync(path.join(root, KNOWN_HOSTS_FILE), "utf8").split("\n").filter(Boolean);
    assert.equal(lines.length, 80, "keys pinned");
  });

  it("a lock held by a live process: the change waits, then fails naming it; a lock of a process gone is taken over", async function () {
    const file = path.join(folder(), "shared.json");
    const sleeper = execa("sleep", ["30"]);
    try {
      writeFileSync(`${file}.lock`, String(sleeper.pid));
      let ran = false;
      const t0 = Date.now();
      assert.throws(
        () => withFileLock(file, () => (ran = true), 300),
        new RegExp(`shared\\.json is being changed by process ${sleeper.pid} \\(its lock .*shared\\.json\\.lock stayed 0\\.3 s\\)`),
      );
      assert.ok(Date.now() - t0 >= 300 && !ran, "it waited, and did not change the file");
    } finally {
      sleeper.kill();
      await sleeper.catch(() => undefined);
    }
    assert.equal(
      withFileLock(file, () => "changed", 300),
      "changed",
      "the lock of a process that is gone",
    );
    assert.throws(() => readFileSync(`${file}.lock`), /ENOENT/, "the lock is removed after the change");
  });
});
