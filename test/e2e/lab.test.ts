// The verification suite: what the Swarm overlay tutorial shows, proven by SSH into the lab's nodes (the claims are
// in tutorial-claims.ts), then the lab's life cycle: no change on a second up, state that survives a moved
// project, stacks that own their labs, and a destroy that leaves nothing.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import execa from "execa";
import { PROJECT_ROOT } from "../../infra/provider";
import { passphraseEnv, saltOpensWith } from "../../infra/passphrase";
import { downLab, forgetStack, listStacks, openStack, pulumiEnv, selectStack, STATE_DIR, upLab } from "../../infra/stack";
import { observeOnce } from "../../lab/health";
import { collectLabLogs, leftovers, runningMachines } from "../../lab/inventory";
import { labDir } from "../../lab/lab-dir";
import { stackOfOwner } from "../../lab/types";
import { acquireLab, LabUnderTest, requirePrerequisites, throwAwaySettings } from "./lab-under-test";
import { CLAIMS, LabView } from "./tutorial-claims";

describe("swarmlab: the Swarm overlay tutorial, verified over SSH", function () {
  let under: LabUnderTest | undefined;
  let view: LabView | undefined;
  let failed = false;
  let destroyed = false;

  before(async function () {
    await requirePrerequisites(this);
    under = await acquireLab((l) => console.log(`      ${l}`));
    // A broken lab is said in plain words (which node, what symptom) before any check trips over it.
    const { problems } = await observeOnce({
      nodes: under.outputs.nodeAccess,
      privateKey: under.outputs.privateKey,
      service: { name: under.outputs.service, replicas: under.outputs.replicas, network: under.outputs.overlay.name },
    });
    if (problems.length > 0) {
      failed = true;
      throw new Error(`the lab is not healthy (npm run up heals it):\n  - ${problems.join("\n  - ")}`);
    }
    view = await LabView.open(under.outputs);
    console.log(`      engines: ${await engineVersions(view)}`);
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") failed = true;
  });

  after(async function () {
    view?.close();
    if (failed && under) {
      const files = await collectLabLogs({ name: under.outputs.lab, backend: under.backend });
      console.log(`      logs of the lab for the failure above:\n        ${files.join("\n        ")}`);
    }
    // A throw-away lab leaves nothing, whatever failed.
    if (under?.owned && !destroyed) await downLab(under.stack);
    if (under?.owned) await forgetStack(under.stack);
    if (view?.notes.size) console.log(`\n      Where this lab differs from the tutorial:\n${[...view.notes].map((n) => `      - ${n}`).join("\n")}`);
  });

  for (const group of [...new Set(CLAIMS.map((c) => c.group))]) {
    describe(group, function () {
      for (const claim of CLAIMS.filter((c) => c.group === group)) {
        it(claim.says, () => claim.check(view!));
      }
    });
  }

  describe("lifecycle", function () {
    const o = () => under!.outputs;
    const cli = (cwd: string, env: Record<string, string>, ...args: string[]) =>
      execa("npx", ["--no-install", "pulumi", ...args, "--non-interactive", "--stack", under!.stack.name], { cwd, env, reject: false });

    it("re-running up on the healthy lab changes nothing (npx pulumi preview --expect-no-changes, Pulumi.yaml's program, after a refresh)", async function () {
      const r = await cli(PROJECT_ROOT, pulumiEnv(under!.stack.name), "preview", "--expect-no-changes");
      assert.equal(r.exitCode, 0, `preview wants changes:\n${r.stdout}\n${r.stderr}`);
    });

    it("npx pulumi works from a subfolder with no Pulumi setting in the environment: the project's state and passphrase file, the same outputs", async function () {
      const bare = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PULUMI_"))) as Record<string, string>;
      // A stack made before the project kept a passphrase needs its empty one said (README: Secrets).
      const legacy = "PULUMI_CONFIG_PASSPHRASE" in pulumiEnv(under!.stack.name);
      if (legacy) console.log(`      (stack ${under!.stack.name} uses the empty passphrase it was made with: given as PULUMI_CONFIG_PASSPHRASE=)`);
      const r = await execa("npx", ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", under!.stack.name], {
        cwd: path.join(PROJECT_ROOT, "infra"),
        env: legacy ? { ...bare, PULUMI_CONFIG_PASSPHRASE: "" } : bare,
        extendEnv: false,
        reject: false,
      });
      assert.equal(r.exitCode, 0, `npx pulumi stack output in infra/:\n${r.stderr}`);
      const outputs = JSON.parse(r.stdout);
      assert.equal(outputs.sshConfig, o().sshConfig);
      assert.equal(outputs.privateKey, o().privateKey, "the secret decrypts with the project's passphrase file");
    });

    it("the state holds the lab's private key only encrypted, with the project's passphrase (a file of mode 600) unless the user set one", async function () {
      const stack = under!.stack.name;
      const state = readFileSync(path.join(STATE_DIR, ".pulumi", "stacks", "swarmlab", `${stack}.json`), "utf8");
      assert.ok(state.includes("4dabf18193072939515e22adb298388d"), "the state has secrets (Pulumi's secret marker)");
      assert.ok(!state.includes("PRIVATE KEY") && !state.includes(o().privateKey.split("\n")[1]), "the private key is in the state in the clear");
      const given = passphraseEnv(stack);
      if ("PULUMI_CONFIG_PASSPHRASE" in given) {
        return console.log(`      (stack ${stack} uses ${process.env.PULUMI_CONFIG_PASSPHRASE !== undefined ? "the passphrase set in PULUMI_CONFIG_PASSPHRASE" : "the empty passphrase it was made with"})`);
      }
      assert.equal((statSync(given.PULUMI_CONFIG_PASSPHRASE_FILE).mode & 0o777).toString(8), "600");
      const salt = /^encryptionsalt: (\S+)$/m.exec(readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8"))![1];
      assert.equal(saltOpensWith(salt, ""), false, "the stack's secrets open with an empty passphrase");
    });

    it("another stack cannot take this lab's name or subnet: its up is refused before anything is made, naming the owner", async function () {
      const owner = stackOfOwner(o().owner);
      const machines = await runningMachines({ name: o().lab, backend: o().backend });
      const attempts = [
        { settings: { name: o().lab, subnet: (await throwAwaySettings("intruder", 100)).subnet }, says: new RegExp(`swarmlab:name = "${o().lab}": this lab belongs to stack ${owner}`) },
        { settings: { name: "swarmlab-intruder", subnet: o().subnet }, says: new RegExp(`swarmlab:subnet = "${o().subnet.replace(/\./g, "\\.")}": this subnet is used.*stack ${owner}`) },
      ];
      for (const { settings, says } of attempts) {
        const other = await openStack(`intruder-${process.pid}`, settings);
        try {
          await assert.rejects(upLab(other), says);
          const made = ((await other.exportStack()).deployment.resources ?? []).filter((r: { type: string }) => r.type.startsWith("pulumi-nodejs:"));
          assert.deepEqual(made, [], "the refused stack made no part of a lab");
        } finally {
          await forgetStack(other);
        }
      }
      assert.deepEqual(await runningMachines({ name: o().lab, backend: o().backend }), machines, "the lab's machines are untouched");
    });

    it("two ups of one stack at once: the second is refused by Pulumi's lock, and the state stays whole", async function () {
      if (!under!.owned) {
        console.log("      (the lab under test is the user's: not run twice at once)");
        this.skip();
      }
      const results = await Promise.allSettled([upLab(under!.stack), new Promise((r) => setTimeout(r, 3_000)).then(() => upLab(under!.stack))]);
      assert.equal(results[0].status, "fulfilled", String((results[0] as PromiseRejectedResult).reason));
      assert.equal(results[1].status, "rejected");
      assert.match(String((results[1] as PromiseRejectedResult).reason), /the stack is currently locked/);
      const r = await cli(PROJECT_ROOT, pulumiEnv(under!.stack.name), "preview", "--expect-no-changes");
      assert.equal(r.exitCode, 0, `after the refused up, preview wants changes:\n${r.stdout}\n${r.stderr}`);
    });

    it("down of a stack that does not exist says so and creates nothing", async function () {
      const before = await listStacks();
      await assert.rejects(selectStack(`typo-${process.pid}`), /no stack 'typo-\d+'.*nothing was touched/);
      assert.deepEqual(await listStacks(), before);
    });

    it("the state is portable: in a copy of the project elsewhere, preview finds nothing to change (and destroy works there)", async function () {
      const copy = copyProject(under!.stack.name);
      const env = { ...pulumiEnv(under!.stack.name), PULUMI_BACKEND_URL: `file://${copy}/.pulumi-state`, SWARMLAB_ROOT: copy };
      try {
        const preview = await cli(copy, env, "preview", "--expect-no-changes");
        assert.equal(preview.exitCode, 0, `preview in ${copy} wants changes:\n${preview.stdout}\n${preview.stderr}`);
        if (!under!.owned) return console.log("      (the lab under test is the user's: not destroyed from the copy)");
        view!.close();
        const destroy = await cli(copy, env, "destroy", "--yes");
        assert.equal(destroy.exitCode, 0, `destroy in ${copy}:\n${destroy.stdout}\n${destroy.stderr}`);
        destroyed = true;
        assert.deepEqual(await leftovers({ name: o().lab, backend: o().backend }), [], "destroy from the copy left part of the lab");
        assert.equal(existsSync(labDir(copy, o().lab)), false, "key folder left in the copy");
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    });

    it("destroy leaves no container, volume, network, firewall rule, key folder or resource in the state", async function () {
      if (!under!.owned) {
        console.log("      (the lab under test is the user's: not destroyed)");
        this.skip();
      }
      const result = await downLab(under!.stack); // after the copy's destroy: only the original's state and key folder
      destroyed = true;
      assert.equal(result.error, undefined);
      assert.deepEqual(result.left, []);
      assert.deepEqual((await under!.stack.exportStack()).deployment.resources ?? [], [], "resources left in the stack's state");
      assert.deepEqual(await leftovers({ name: o().lab, backend: o().backend }), []);
      assert.equal(existsSync(labDir(PROJECT_ROOT, o().lab)), false, "key folder left");
    });
  });
});

/** The Docker engines this run talked to: the host's, and each node's through its SSH tunnel. */
async function engineVersions(view: LabView): Promise<string> {
  const show = (v: { Version: string; ApiVersion: string }) => `Docker ${v.Version} (API ${v.ApiVersion})`;
  const nodes = await Promise.all(view.lab.nodes.map(async (n) => `${n.access.name} ${show(await n.docker.version())}`));
  return [`host ${show(await new Docker().version())}`, ...nodes].join(", ");
}

/** The project's files (no lab folders, no state) copied to a new folder, with the stack's state and settings. */
function copyProject(stack: string): string {
  const copy = mkdtempSync(path.join(os.tmpdir(), "swarmlab-moved-"));
  const files = execa.sync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: PROJECT_ROOT }).stdout.split("\n").filter(Boolean);
  for (const f of files.filter((f) => existsSync(path.join(PROJECT_ROOT, f)))) {
    mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
    cpSync(path.join(PROJECT_ROOT, f), path.join(copy, f));
  }
  symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(copy, "node_modules"));
  cpSync(path.join(PROJECT_ROOT, ".pulumi-state"), path.join(copy, ".pulumi-state"), { recursive: true });
  cpSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), path.join(copy, `Pulumi.${stack}.yaml`));
  return copy;
}
