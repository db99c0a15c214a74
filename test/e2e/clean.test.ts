// npm run clean [lab]: everything labelled with a lab goes, whatever any state says; no guessing between labs.
import assert from "node:assert/strict";
import Docker from "dockerode";
import execa from "execa";
import { PROJECT_ROOT } from "../../infra/provider";
import { LABEL_LAB, LABEL_OWNER } from "../../lab/types";
import { requirePrerequisites } from "./lab-under-test";

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

  it("without a name, when several labs exist, it refuses to guess and names them", async function () {
    const r = await clean();
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    for (const lab of labs) assert.match(r.stderr, new RegExp(lab));
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
