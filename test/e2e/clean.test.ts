// npm run clean [lab]: everything labelled with a lab goes, whatever any state says; no guessing between labs.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import execa from "execa";
import { PROJECT_ROOT } from "../../infra/provider";
import { LABEL_LAB, LABEL_OWNER } from "../../lab/types";
import { requirePrerequisites } from "./lab-under-test";
import { copyProject } from "./project-copy";

const docker = new Docker();
const clean = (...args: string[]) => execa("npx", ["ts-node", "scripts/lab.ts", "clean", ...args], { cwd: PROJECT_ROOT, reject: false });

describe("npm run clean: a lab removed by its labels alone (state lost)", function () {
  const labs = [`swarmlab-clean-a-${process.pid}`, `swarmlab-clean-b-${process.pid}`];

  before(async function () {
    await requirePrerequisites(this);
    // What a lab whose state was lost leaves: a network and a volume, one of them from another stack.
    for (const lab of labs) {
      await docker.createNetwork({ Name: `${lab}-net`, Internal: true, Labels: { [LABEL_LAB]: lab, [LABEL_OWNER]: "lost.00000000" } });
      await docker.createVolume({ Name: `${lab}-vol`, Labels: { [LABEL_LAB]: lab, [LABEL_OWNER]: "other.11111111" } });
    }
  });

  after(async function () {
    for (const lab of labs) await clean(lab);
  });

  it("without a name it never guesses (the one lab there may be another user's): it lists the labs with their owners", async function () {
    const r = await clean();
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    for (const lab of labs) assert.match(r.stderr, new RegExp(`${lab} \\(.*stack lost, owner lost\\.00000000`));
    assert.ok(await docker.getNetwork(`${labs[0]}-net`).inspect(), "nothing was removed");
  });

  it("with a name, it removes everything labelled with that lab, whichever owner, lists it, and touches no other lab", async function () {
    const r = await clean(labs[0]);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`volume ${labs[0]}-vol`));
    assert.match(r.stdout, new RegExp(`network ${labs[0]}-net`));
    const left = await docker.listNetworks({ filters: { label: [`${LABEL_LAB}=${labs[0]}`] } });
    assert.deepEqual(left, []);
    assert.ok(await docker.getNetwork(`${labs[1]}-net`).inspect(), "the other lab is untouched");
  });
});

// In a copy of the project (its own code, so the copy's folders are what a wrong removal would hit): an argument
// that is no lab's name is refused before anything is asked or removed, and every file of the copy survives.
describe("npm run clean <not a lab's name>: refused, nothing removed", function () {
  let sibling: string;
  let copy: string;
  let original: string[];

  before(function () {
    copy = copyProject("", false);
    sibling = `${copy}-sibling`;
    writeFileSync(sibling, "a file beside the copy\n");
    mkdirSync(path.join(copy, ".swarmlab", "logs", "somelab"), { recursive: true });
    writeFileSync(path.join(copy, ".swarmlab", "passphrase"), "secret\n");
    writeFileSync(path.join(copy, ".swarmlab", "logs", "somelab", "dockerd.log"), "log\n");
    original = listing(copy);
  });
  after(() => {
    rmSync(copy, { recursive: true, force: true });
    rmSync(sibling, { force: true });
  });

  for (const [arg, says] of [
    ["..", /"\.\." \(npm run clean's argument\) is not a lab's name: a lab name is 1-40 characters/],
    ["../..", /"\.\.\/\.\." \(npm run clean's argument\) is not a lab's name/],
    ["/", /"\/" \(npm run clean's argument\) is not a lab's name/],
    ["passphrase", /"passphrase" \(npm run clean's argument\) is not a lab's name: the project keeps its own \.swarmlab\/passphrase/],
    ["logs", /"logs" \(npm run clean's argument\) is not a lab's name: the project keeps its own \.swarmlab\/logs/],
  ] as const) {
    it(`npm run clean ${arg}: exit 2, one line with the fix, the copy whole`, async function () {
      const r = await execa("npx", ["ts-node", "scripts/lab.ts", "clean", arg], { cwd: copy, reject: false, env: { SWARMLAB_ROOT: copy } });
      assert.equal(r.exitCode, 2, r.stdout + r.stderr);
      assert.match(r.stderr, says);
      assert.match(r.stderr, /nothing was removed or made\. Fix: npm run clean <lab> with a lab's name/);
      assert.deepEqual(listing(copy), original);
      assert.ok(existsSync(sibling), "what is beside the copy is there");
    });
  }
});

/** Every path below dir (node_modules, a link to the project's, not followed). */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => !f.startsWith("node_modules/")).sort();
}
