// Removal is confined (issue 15, item 1): every recursive removal of a lab's folder resolves its target and refuses
// anything that is not a lab's own folder inside .swarmlab/. A scratch project holds what must survive: the
// passphrase, every lab's logs, the project's own files and a sibling folder; each refused argument leaves them all.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { labDir, labLogger, removeLabDir } from "../../lab/lab-dir";
import { LabNameError, labNameProblem } from "../../lab/lab-name";
import { logsDir } from "../../lab/inventory";

/** Every file below dir, relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false } as { recursive: true })
    .map(String)
    .sort();
}

describe("removal is confined to a lab's own folder", function () {
  let scratch: string;
  let project: string;
  let before: string[];

  beforeEach(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), "swarmlab-removal-"));
    project = path.join(scratch, "project");
    mkdirSync(path.join(project, ".swarmlab", "logs", "other"), { recursive: true });
    writeFileSync(path.join(project, ".swarmlab", "passphrase"), "secret\n");
    writeFileSync(path.join(project, ".swarmlab", "logs", "other", "dockerd.log"), "log\n");
    writeFileSync(path.join(project, "package.json"), "{}\n");
    mkdirSync(path.join(scratch, "sibling"));
    writeFileSync(path.join(scratch, "sibling", "keep"), "keep\n");
    labLogger(project, "other")("a line in another lab's log");
    before = tree(scratch);
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  const REFUSED: [string, string[], RegExp][] = [
    ["..", [], /is not a lab's name/],
    ["../..", [], /is not a lab's name/],
    ["/", [], /is not a lab's name/],
    [".", [], /is not a lab's name/],
    ["", [], /is not a lab's name/],
    ["passphrase", [], /the project keeps its own \.swarmlab\/passphrase/],
    ["logs", [], /the project keeps its own \.swarmlab\/logs/],
    ["other/..", [], /is not a lab's name/],
    ["~", [], /is not a lab's name/],
    ["Other", [], /is not a lab's name/],
    ["-rf", [], /is not a lab's name/],
    ["other ", [], /is not a lab's name/],
    ["other\n", [], /is not a lab's name/],
    ["a".repeat(41), [], /is not a lab's name/],
    ["other", [".."], /not a plain name below the lab's folder/],
    ["other", ["../.."], /not a plain name below the lab's folder/],
    ["other", ["vagrant", ".."], /not a plain name below the lab's folder/],
    ["other", ["/etc"], /not a plain name below the lab's folder/],
    ["other", [""], /not a plain name below the lab's folder/],
    ["other", ["vagrant/../../.."], /not a plain name below the lab's folder/],
  ];
  for (const [lab, below, message] of REFUSED) {
    it(`refuses ${JSON.stringify([lab, ...below].join(" / "))}, and everything survives`, () => {
      assert.throws(() => removeLabDir(project, lab, ...below), message);
      assert.deepEqual(tree(scratch), before);
    });
  }

  it("refuses a lab folder that is a link (it could point anywhere), and what it points to survives", () => {
    symlinkSync(path.join(scratch, "sibling"), path.join(project, ".swarmlab", "linked"));
    assert.throws(() => removeLabDir(project, "linked"), /is a link, not a folder swarmlab made; nothing was removed/);
    assert.throws(() => removeLabDir(project, "linked", "vagrant"), /is a link/);
    assert.ok(existsSync(path.join(scratch, "sibling", "keep")));
  });

  it("removes a lab's own folder, or one below it, and nothing else", () => {
    labLogger(project, "mylab")("hello");
    mkdirSync(path.join(labDir(project, "mylab"), "vagrant", "swarm-worker1"), { recursive: true });
    removeLabDir(project, "mylab", "vagrant", "swarm-worker1");
    assert.ok(existsSync(path.join(labDir(project, "mylab"), "lab.log")));
    assert.equal(existsSync(path.join(labDir(project, "mylab"), "vagrant", "swarm-worker1")), false);
    removeLabDir(project, "mylab");
    assert.equal(existsSync(labDir(project, "mylab")), false);
    assert.deepEqual(tree(scratch), before);
  });

  it("no lab name reaches the project's own files: not its folder, not its logs folder", () => {
    for (const name of ["passphrase", "logs", "..", "."]) {
      assert.ok(labNameProblem(name), name);
      assert.throws(() => labDir(project, name), LabNameError);
      assert.throws(() => logsDir(project, name), LabNameError);
    }
  });
});
