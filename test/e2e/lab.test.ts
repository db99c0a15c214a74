// The verification suite: what the Swarm overlay tutorial shows, proven by SSH into the lab's nodes (the claims are
// in tutorial-claims.ts), then the lab's life cycle: no change on a second up, state that survives a moved
// project, stacks that own their labs, and a destroy that leaves nothing.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import execa from "execa";
import { healAdvice, Observation, observedOf, observeOnce } from "../../lab/health";
import { collectLabLogs, leftovers, runningMachines } from "../../lab/inventory";
import { labDir } from "../../lab/lab-dir";
import { PROJECT_ROOT, STATE_DIR } from "../../lab/project-root";
import { registered } from "../../lab/backends";
import { stackOfOwner } from "../../lab/types";
import { acquireLab, LabUnderTest, requirePrerequisites, throwAwaySettings } from "./lab-under-test";
import { copyProject } from "./project-copy";
import { checkClaims, Claim, CLAIMS, LabView, pending } from "./tutorial-claims";

// The modules that drive Pulumi, loaded when a test uses them (the life cycle's): the claims on a running lab need
// no @pulumi module (~0.8 s to load).
const stacks = () => require("../../infra/stack") as typeof import("../../infra/stack");
const passphrases = () => require("../../infra/passphrase") as typeof import("../../infra/passphrase");

/**
 * Whose lab a suite on a running lab (not one it stood up) checks: the user's, or npm run test:vm's (scripts/vm-e2e.sh),
 * which removes it itself and checks that nothing is left. Its destroy is not this suite's to check, in CI as well.
 */
const USERS_LAB = "the user's (or npm run test:vm's, which removes it itself and checks nothing is left)";

describe("swarmlab: the Swarm overlay tutorial, verified over SSH", function () {
  let under: LabUnderTest | undefined;
  let view: LabView | undefined;
  /** Each claim's outcome, checked at once in before() (checkClaims); each claim's test reports its own. */
  let outcomes = new Map<Claim, Promise<string | undefined>>();
  let failed = false;
  let destroyed = false;
  /** The claims not checked on this lab, each with why (their tests are pending). */
  const unchecked: string[] = [];

  before(async function () {
    // The Pulumi CLI only if a lab is to be stood up (acquireLab asks for it then); the life cycle requires it itself.
    await requirePrerequisites(this, false);
    under = await acquireLab((l) => console.log(`      ${l}`), this);
    // One look at the lab (a session per node, one snapshot) serves the health check and every claim. A broken lab is
    // said in plain words (which node, what symptom) before any check trips over it; a lab too broken to open is
    // looked at on its own, for the same words.
    view = await LabView.open(under.outputs).catch(async (err) => {
      unhealthy(await observeOnce(observedOf(under!.outputs)));
      throw err;
    });
    unhealthy(await view.lab.health());
    console.log(`      engines: ${await engineVersions(view)}`);
    // Then every claim at once: most of their time is waiting on the nodes. Each test below awaits its own outcome.
    outcomes = checkClaims(CLAIMS, view);
  });

  /** Fails the suite's start with what is wrong and what heals it, when anything is. */
  function unhealthy(seen: Observation): void {
    if (seen.problems.length === 0) return;
    failed = true;
    // The advice names what will help: up alone, or up making the named nodes again (--replace).
    throw new Error(`the lab is not healthy (${healAdvice(seen)}):\n  - ${seen.problems.join("\n  - ")}`);
  }

  afterEach(function () {
    if (this.currentTest?.state === "failed") failed = true;
  });

  after(async function () {
    // Every claim ends before the sessions close, those whose tests a --grep left out too: none is cut off half-way
    // (the routing mesh's claim removes the service it published).
    await Promise.allSettled(outcomes.values());
    view?.close();
    if (failed && under) {
      const files = await collectLabLogs({ name: under.outputs.lab, backend: under.backend });
      console.log(`      logs of the lab for the failure above:\n        ${files.join("\n        ")}`);
    }
    // A throw-away lab leaves nothing, whatever failed.
    if (under?.owned && !destroyed) await stacks().downLab(under.stack);
    if (under?.owned) await stacks().forgetStack(under.stack);
    if (view?.notes.size) console.log(`\n      Where this lab differs from the tutorial:\n${[...view.notes].map((n) => `      - ${n}`).join("\n")}`);
    if (unchecked.length) {
      console.log(`\n      Not checked on this lab (pending):\n${unchecked.map((n) => `      - ${n}`).join("\n")}`);
    }
  });

  for (const group of [...new Set(CLAIMS.map((c) => c.group))]) {
    describe(group, function () {
      for (const claim of CLAIMS.filter((c) => c.group === group)) {
        // Held: passes. False: fails. Not checked here: pending with the reason (checkClaim fails it under CI=true
        // unless CI may have that reason too). The claims run together: a test's time is its wait for its claim.
        it(claim.says, async function () {
          const reason = await outcomes.get(claim)!;
          if (reason === undefined) return;
          unchecked.push(`${claim.says}: ${reason}`);
          pending(this, reason, true);
        });
      }
    });
  }

  describe("lifecycle", function () {
    const o = () => under!.outputs;

    before(async function () {
      await requirePrerequisites(this); // the Pulumi CLI too
      await Promise.allSettled(outcomes.values()); // no claim still runs on the lab (under a --grep of these tests)
    });

    /**
     * Names, subnets and object names are this machine's (its Docker engine's, libvirt's): a lab on the user's own hosts
     * takes none of them; another lab on the same hosts is refused by the doctor instead (a host in another swarm).
     */
    const usersHostsPending = (ctx: Mocha.Context) => {
      const hosts = registered(o().backend)?.usersHosts;
      if (hosts) pending(ctx, `${hosts}: it holds no name, subnet or container of this machine's for another stack to take`, true);
    };

    const cli = (cwd: string, env: Record<string, string>, ...args: string[]) =>
      execa("npx", ["--no-install", "pulumi", ...args, "--non-interactive", "--stack", under!.stack.name], { cwd, env, reject: false });

    it("re-running up on the healthy lab changes nothing (npx pulumi preview --expect-no-changes, Pulumi.yaml's program, after a refresh)", async function () {
      const r = await cli(PROJECT_ROOT, stacks().pulumiEnv(under!.stack.name), "preview", "--expect-no-changes");
      assert.equal(r.exitCode, 0, `preview wants changes:\n${r.stdout}\n${r.stderr}`);
    });

    it("npx pulumi works from a subfolder with no Pulumi setting in the environment: the project's state and passphrase file, the same outputs", async function () {
      const bare = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PULUMI_"))) as Record<string, string>;
      // A passphrase the user set, or the empty one of a stack made before the project kept one (docs/pulumi.md: Secrets),
      // must be handed over: checked with it, and listed as where this lab differs.
      const passphrase = passphraseSetting(under!.stack.name);
      if (passphrase) view!.note(passphrase.note);
      const r = await execa("npx", ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", under!.stack.name], {
        cwd: path.join(PROJECT_ROOT, "infra"),
        env: { ...bare, ...passphrase?.env },
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
      // The user's own passphrase: the claim's "unless"; the empty one of an old stack: false, and listed as such.
      const passphrase = passphraseSetting(stack);
      if (passphrase) return view!.note(passphrase.note);
      const given = passphrases().passphraseEnv(stack);
      assert.ok("PULUMI_CONFIG_PASSPHRASE_FILE" in given);
      assert.equal((statSync(given.PULUMI_CONFIG_PASSPHRASE_FILE).mode & 0o777).toString(8), "600");
      const salt = /^encryptionsalt: (\S+)$/m.exec(readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8"))![1];
      assert.equal(passphrases().saltOpensWith(salt, ""), false, "the stack's secrets open with an empty passphrase");
    });

    it("another stack cannot take this lab's name, subnet or object names: its preview and its up are refused before anything is made, naming the owner", async function () {
      usersHostsPending(this);
      const owner = o().owner;
      const machines = await runningMachines({ name: o().lab, backend: o().backend });
      const elsewhere = async (offset: number) => (await throwAwaySettings("intruder", offset)).subnet;
      const attempts: { settings: Record<string, string>; says: RegExp }[] = [
        {
          settings: { name: o().lab, subnet: await elsewhere(100) },
          says: new RegExp(
            `swarmlab:name = "${o().lab}": the name is taken: .*of lab ${o().lab} of stack ${stackOfOwner(owner)} \\(owner ${owner}\\)`,
          ),
        },
        {
          settings: { name: "swarmlab-intruder", subnet: o().subnet },
          says: new RegExp(`swarmlab:subnet = "${o().subnet.replace(/\./g, "\\.")}": this subnet is used.*owner ${owner}`),
        },
        // Its containers would be named like this lab's: <lab>-swarm + manager = <lab> + swarm-manager.
        {
          // the same backend: a docker lab's container names never meet a lab of VMs' domain names
          settings: { name: `${o().lab}-swarm`, subnet: await elsewhere(101), nodes: JSON.stringify(["manager", "worker1"]), backend: o().backend },
          says: new RegExp(
            `swarmlab:name = "${o().lab}-swarm": the lab's objects would take names that exist already: .*(container|VM) ${o().lab}-swarm-(manager|worker1)\\b.*owner ${owner}`,
          ),
        },
      ];
      for (const { settings, says } of attempts) {
        const other = await stacks().openStack(`intruder-${process.pid}`, settings);
        try {
          await assert.rejects(other.preview(), says, "preview refuses what up would refuse");
          await assert.rejects(stacks().upLab(other), says);
          const made = ((await other.exportStack()).deployment.resources ?? []).filter((r: { type: string }) => r.type.startsWith("pulumi-nodejs:"));
          assert.deepEqual(made, [], "the refused stack made no part of a lab");
        } finally {
          await stacks().discardStack(other); // a regression that made parts must not leave them behind
        }
      }
      assert.deepEqual(await runningMachines({ name: o().lab, backend: o().backend }), machines, "the lab's machines are untouched");
    });

    it("another checkout (another user's clone) with a stack of the same name and this lab's settings: the doctor blocks, npx pulumi preview and up refuse, nothing is made", async function () {
      usersHostsPending(this);
      const stack = stackOfOwner(o().owner);
      const copy = copyProject(stack, false);
      const env = { ...stacks().pulumiEnv(stack), PULUMI_BACKEND_URL: `file://${copy}/.pulumi-state`, SWARMLAB_ROOT: copy, SWARMLAB_STACK: stack };
      const machines = await runningMachines({ name: o().lab, backend: o().backend });
      try {
        mkdirSync(path.join(copy, ".pulumi-state"));
        for (const args of [
          ["stack", "init"],
          ["config", "set", "swarmlab:name", o().lab],
          ["config", "set", "swarmlab:subnet", o().subnet],
        ]) {
          const r = await cli(copy, env, ...args);
          assert.equal(r.exitCode, 0, `${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
        }
        const taken = `swarmlab:name = "${o().lab}": the name is taken`;
        const doctor = await execa("npx", ["ts-node", "scripts/doctor.ts"], { cwd: copy, env, reject: false });
        assert.notEqual(doctor.exitCode, 0, `the doctor found no blocker:\n${doctor.stdout}`);
        assert.match(doctor.stdout, new RegExp(`lab ${o().lab} on this machine belongs to owner ${o().owner}`));
        const preview = await cli(copy, env, "preview");
        assert.notEqual(preview.exitCode, 0, `preview passed:\n${preview.stdout}`);
        assert.ok((preview.stdout + preview.stderr).includes(taken), `preview's refusal:\n${preview.stdout}\n${preview.stderr}`);
        const up = await cli(copy, env, "up", "--yes", "--skip-preview");
        assert.notEqual(up.exitCode, 0, `up passed:\n${up.stdout}`);
        assert.ok((up.stdout + up.stderr).includes(taken), `up's refusal:\n${up.stdout}\n${up.stderr}`);
        const state = JSON.parse((await cli(copy, env, "stack", "export")).stdout);
        const made = (state.deployment.resources ?? []).filter((r: { type: string }) => r.type.startsWith("pulumi-nodejs:"));
        assert.deepEqual(made, [], "the other checkout made no part of a lab");
        assert.deepEqual(await runningMachines({ name: o().lab, backend: o().backend }), machines, "the lab's machines are untouched");
      } finally {
        await cli(copy, env, "stack", "rm", "--yes", "--force");
        rmSync(copy, { recursive: true, force: true });
      }
    });

    it("two ups of one stack at once: the second is refused by Pulumi's lock, and the state stays whole", async function () {
      const u = under!;
      if (!u.owned) return pending(this, `the lab under test is ${USERS_LAB}: up is not run twice at once on it`, true);
      const { upLab } = stacks();
      const results = await Promise.allSettled([upLab(u.stack), new Promise((r) => setTimeout(r, 3_000)).then(() => upLab(u.stack))]);
      assert.equal(results[0].status, "fulfilled", String((results[0] as PromiseRejectedResult).reason));
      assert.equal(results[1].status, "rejected");
      assert.match(String((results[1] as PromiseRejectedResult).reason), /the stack is currently locked/);
      const r = await cli(PROJECT_ROOT, stacks().pulumiEnv(under!.stack.name), "preview", "--expect-no-changes");
      assert.equal(r.exitCode, 0, `after the refused up, preview wants changes:\n${r.stdout}\n${r.stderr}`);
    });

    it("down of a stack that does not exist says so and creates nothing", async function () {
      const before = await stacks().listStacks();
      await assert.rejects(stacks().selectStack(`typo-${process.pid}`), /no stack 'typo-\d+'.*nothing was touched/);
      assert.deepEqual(await stacks().listStacks(), before);
    });

    it("the state is portable: in a copy of the project elsewhere, preview finds nothing to change (and destroy works there)", async function () {
      const copy = copyProject(under!.stack.name);
      const env = { ...stacks().pulumiEnv(under!.stack.name), PULUMI_BACKEND_URL: `file://${copy}/.pulumi-state`, SWARMLAB_ROOT: copy };
      try {
        const preview = await cli(copy, env, "preview", "--expect-no-changes");
        assert.equal(preview.exitCode, 0, `preview in ${copy} wants changes:\n${preview.stdout}\n${preview.stderr}`);
        if (!under!.owned) {
          const why = `preview in the copy found nothing to change (checked); the lab under test is ${USERS_LAB}: not destroyed from the copy`;
          pending(this, why, true);
        }
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
      const u = under!;
      if (!u.owned) return pending(this, `the lab under test is ${USERS_LAB}: not destroyed`, true);
      const result = await stacks().downLab(u.stack); // after the copy's destroy: only the original's state and key folder
      destroyed = true;
      assert.equal(result.error, undefined);
      assert.deepEqual(result.left, []);
      assert.deepEqual((await u.stack.exportStack()).deployment.resources ?? [], [], "resources left in the stack's state");
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

/**
 * The stack's passphrase when it is not the project's file, with the deviation in words: one the user set (docs/pulumi.md:
 * Secrets), or the empty one of a stack made before the project kept one (whose secrets then open without any).
 */
function passphraseSetting(stack: string): { env: Record<string, string>; note: string } | undefined {
  const given = passphrases().passphraseEnv(stack) as Record<string, string>;
  // As passphraseEnv decides: PULUMI_CONFIG_PASSPHRASE set (even empty), else a PULUMI_CONFIG_PASSPHRASE_FILE.
  const env = process.env;
  const set =
    env.PULUMI_CONFIG_PASSPHRASE !== undefined
      ? "PULUMI_CONFIG_PASSPHRASE"
      : env.PULUMI_CONFIG_PASSPHRASE_FILE
        ? "PULUMI_CONFIG_PASSPHRASE_FILE"
        : undefined;
  if (set) {
    const note = `stack ${stack}'s secrets use the passphrase set in ${set}, not the project's file: npx pulumi needs it`;
    return { env: given, note };
  }
  if ("PULUMI_CONFIG_PASSPHRASE" in given) {
    return {
      env: given,
      note:
        `stack ${stack} keeps the empty passphrase it was made with (before the project kept one): its secrets, ` +
        "the lab's private key among them, open without a passphrase, and npx pulumi needs PULUMI_CONFIG_PASSPHRASE= " +
        "(docs/pulumi.md, Secrets: remove the stack, make it again)",
    };
  }
  return undefined;
}
