// Which lab the verification suite checks: the selected stack's (SWARMLAB_STACK, default dev) when it is up, else a
// throw-away lab with its own stack, name and subnet, stood up here and destroyed afterwards.
// A running lab is found from the outputs its last up recorded (.swarmlab/<lab>/outputs.json, lab/recorded-outputs.ts),
// as npm run status finds it: no Pulumi CLI run, and no @pulumi module loaded (~0.8 s and several seconds of CLI runs).
// Only a lab to stand up, or one with no record, takes the stack through the Automation API (infra/stack, required
// there and not imported, so that the fast path's module graph holds no @pulumi module).
import type { Stack } from "@pulumi/pulumi/automation";
import Docker from "dockerode";
import execa from "execa";
import { existsSync } from "node:fs";
import path from "node:path";
import { stackFromEnv } from "../../lab/env";
import { unusedSubnet } from "../../lab/host-facts";
import { collectLabLogs, runningMachines } from "../../lab/inventory";
import { LabOutputs, OutputsError, outputsOf } from "../../lab/outputs";
import { DEFAULT_STACK, PROJECT, PROJECT_ROOT } from "../../lab/project-root";
import { outputsFromRecord, recordedOf } from "../../lab/recorded-outputs";
import type { BackendName } from "../../lab/types";

/** infra/stack, loaded when first used: it loads the Automation API. */
const stacks = () => require("../../infra/stack") as typeof import("../../infra/stack");

/**
 * Settings for a throw-away lab: a name and a subnet of its own (by this run's pid, the subnet one that nothing uses
 * now), so that it never meets the user's lab, nor the labs of another test run at the same time.
 */
export async function throwAwaySettings(kind: string, offset = 0): Promise<{ name: string; subnet: string }> {
  return { name: `swarmlab-${kind}-${process.pid}`, subnet: await unusedSubnet(100 + ((process.pid + offset) % 150)) };
}

/**
 * The lab a suite checks. One this run stood up comes with its stack (the Automation API's), which the suite drives
 * and destroys; a running lab (the user's) with its stack's name only: nothing here changes it through Pulumi.
 */
export type LabUnderTest = { outputs: LabOutputs; backend: BackendName } & (
  { owned: true; stack: Stack } | { owned: false; stack: { name: string } }
);

/** What is missing to run the suite here, with how to get it; empty when nothing is. `pulumi`: whether it needs the CLI. */
export async function missingPrerequisites(pulumi = true): Promise<string[]> {
  const missing: string[] = [];
  try {
    await new Docker().ping();
  } catch {
    missing.push("no Docker engine answers: run 'bash scripts/docker-engine.sh' (or start Docker)");
  }
  const cli = pulumi ? path.join(stacks().cliRoot(), "bin", "pulumi") : undefined;
  if (cli && !existsSync(cli)) missing.push(`no Pulumi CLI at ${cli}: run 'bash scripts/pulumi-cli.sh'`);
  return missing;
}

/**
 * Fails (in CI) or skips (elsewhere, saying what is missing) when the e2e tests cannot run here. `pulumi`: whether
 * the tests need the Pulumi CLI (the claims on a running lab do not; its life cycle, and a lab to stand up, do).
 */
export async function requirePrerequisites(ctx: Mocha.Context, pulumi = true): Promise<void> {
  const missing = await missingPrerequisites(pulumi);
  if (missing.length === 0) return;
  const message = `cannot run:\n  - ${missing.join("\n  - ")}\n  (npm test runs scripts/setup.sh, which installs them)`;
  if (process.env.CI) throw new Error(message);
  console.log(`      ${message}`);
  ctx.skip();
}

/** The selected stack's name: SWARMLAB_STACK (checked as every command checks it), else dev. */
function selectedStack(): string {
  return stackFromEnv(process.env.SWARMLAB_STACK, PROJECT) ?? DEFAULT_STACK;
}

/** The lab as its last up recorded it (outputs.json), when every node's machine runs; undefined otherwise. */
async function recordedLab(stack: string, log: (l: string) => void): Promise<LabOutputs | undefined> {
  let outputs: LabOutputs;
  try {
    const recorded = recordedOf(PROJECT_ROOT, stack);
    if (!recorded) return undefined;
    outputs = outputsFromRecord(PROJECT_ROOT, recorded, stack);
  } catch (err) {
    if (!(err instanceof OutputsError)) throw err;
    log(`not taking the lab's recorded outputs: ${err.message}`);
    return undefined;
  }
  return (await allRunning(outputs)) ? outputs : undefined;
}

/** The stack's lab when it is up, from its outputs through the Pulumi CLI (a lab of no record); undefined otherwise. */
async function runningLab(stack: Stack, log: (l: string) => void): Promise<LabOutputs | undefined> {
  const raw = await stack.outputs();
  if (Object.keys(raw).length === 0) return undefined;
  let outputs: LabOutputs;
  try {
    outputs = outputsOf(raw, stack.name);
  } catch (err) {
    if (!(err instanceof OutputsError)) throw err;
    log(`not verifying it: ${err.message}`);
    return undefined;
  }
  return (await allRunning(outputs)) ? outputs : undefined;
}

/** Whether every node's machine of the lab runs (of this swarmlab: its owner). */
async function allRunning(outputs: LabOutputs): Promise<boolean> {
  const running = await runningMachines({ name: outputs.lab, backend: outputs.backend, owner: outputs.owner });
  return outputs.nodeAccess.every((n) => running.has(n.name));
}

/** Stands up a throw-away lab on a stack of its own; nothing is left of it if that fails. */
export async function throwAwayLab(prefix: string, settings: Record<string, string>): Promise<{ stack: Stack; outputs: LabOutputs }> {
  const { discardStack, openStack, upLab } = stacks();
  const stack = await openStack(`${prefix}-${process.pid}`, settings);
  try {
    const result = await upLab(stack);
    return { stack, outputs: outputsOf(result.outputs, stack.name) };
  } catch (err) {
    // Keep what the machines say before the lab goes: the failure is reported as it was, whatever this does.
    const files = await collectLabLogs({ name: settings.name, backend: (settings.backend as BackendName | undefined) ?? "docker" }).catch(() => []);
    if (files.length) console.log(`      logs of the lab that failed to come up: ${path.dirname(path.dirname(files[0]))}`);
    await discardStack(stack);
    throw err;
  }
}

/**
 * The selected stack's running lab, else a throw-away lab stood up here. `ctx`: the mocha context whose tests need the
 * Pulumi CLI only to stand a lab up (requirePrerequisites was called without it): it is required then, in its words.
 */
export async function acquireLab(log: (l: string) => void, ctx?: Mocha.Context): Promise<LabUnderTest> {
  const selected = selectedStack();
  const verifying = (outputs: LabOutputs) => log(`verifying the running lab '${outputs.lab}' of stack '${selected}' (left as it is afterwards)`);
  const recorded = await recordedLab(selected, log);
  if (recorded) {
    verifying(recorded);
    return { stack: { name: selected }, outputs: recorded, backend: recorded.backend, owned: false };
  }
  if (ctx) await requirePrerequisites(ctx);
  const existing = await stacks().existingStack(selected);
  if (existing) {
    const outputs = await runningLab(existing, log);
    if (outputs) {
      verifying(outputs);
      return { stack: existing, outputs, backend: outputs.backend, owned: false };
    }
  }
  const settings = await throwAwaySettings("e2e");
  log(`no lab of stack '${selected}' is up: standing up a throw-away lab (${settings.name}, ${settings.subnet})`);
  const { stack, outputs } = await throwAwayLab("e2e", settings);
  return { stack, outputs, backend: outputs.backend, owned: true };
}

/** A lab the exercise tests change, and how to let it go: `release` says what a down left of it (nothing, for a kept lab). */
export interface ExercisedLab {
  stack: string;
  backend: BackendName;
  release(): Promise<string[]>;
}

/**
 * The lab the exercise tests work on: SWARMLAB_EXERCISES_STACK's running lab when that is set (npm run test:vm's lab
 * of VMs: release leaves it healthy, through up, and does not remove it), else a throw-away lab of its own, removed after.
 */
export async function labForExercises(kind: string, offset: number): Promise<ExercisedLab> {
  const named = process.env.SWARMLAB_EXERCISES_STACK;
  if (named) {
    const outputs = await recordedLab(named, (l) => console.log(`      ${l}`));
    if (!outputs) throw new Error(`SWARMLAB_EXERCISES_STACK=${named}: no lab of that stack is up (npm run up first)`);
    console.log(`      the exercises on the running lab '${outputs.lab}' of stack '${named}' (${outputs.backend}), healed by up after each`);
    // left as it was found, healthy: a test may stop in the middle of an exercise (the page's stops after its first step)
    return { stack: named, backend: outputs.backend, release: async () => (await upAsStudent(named), []) };
  }
  const { stack, outputs } = await throwAwayLab(kind, await throwAwaySettings(kind, offset));
  return {
    stack: stack.name,
    backend: outputs.backend,
    release: async () => {
      const { downLab, forgetStack } = stacks();
      const { left } = await downLab(stack);
      await forgetStack(stack);
      return left;
    },
  };
}

/** npm run up's code on the stack, as the student runs it (the compiled command, as npm's script does); fails with its end. */
export async function upAsStudent(stack: string): Promise<void> {
  const r = await execa("node", [path.join(PROJECT_ROOT, "scripts", "compiled.js"), "scripts/up.ts"], {
    cwd: PROJECT_ROOT,
    env: { SWARMLAB_STACK: stack },
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0) throw new Error(`npm run up failed:\n${(r.all ?? "").split("\n").slice(-30).join("\n")}`);
}
