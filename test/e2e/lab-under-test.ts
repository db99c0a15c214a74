// Which lab the verification suite checks: the selected stack's (SWARMLAB_STACK, default dev) when it is up,
// else a throw-away lab with its own stack, name and subnet, stood up here and destroyed afterwards.
import type { Stack } from "@pulumi/pulumi/automation";
import Docker from "dockerode";
import { existsSync } from "node:fs";
import path from "node:path";
import { cliRoot, discardStack, existingStack, openStack, stackName, upLab } from "../../infra/stack";
import { unusedSubnet } from "../../lab/host-facts";
import { collectLabLogs, runningMachines } from "../../lab/inventory";
import { LabOutputs, OutputsError, outputsOf } from "../../lab/outputs";
import type { BackendName } from "../../lab/types";

/**
 * Settings for a throw-away lab: a name and a subnet of its own (by this run's pid, the subnet one that nothing uses
 * now), so that it never meets the user's lab, nor the labs of another test run at the same time.
 */
export async function throwAwaySettings(kind: string, offset = 0): Promise<{ name: string; subnet: string }> {
  return { name: `swarmlab-${kind}-${process.pid}`, subnet: await unusedSubnet(100 + ((process.pid + offset) % 150)) };
}

export interface LabUnderTest {
  stack: Stack;
  outputs: LabOutputs;
  backend: BackendName;
  /** true when this run stood the lab up (and so destroys it). */
  owned: boolean;
}

/** What is missing to run the suite here, with how to get it; empty when nothing is. */
export async function missingPrerequisites(): Promise<string[]> {
  const missing: string[] = [];
  try {
    await new Docker().ping();
  } catch {
    missing.push("no Docker engine answers: run 'bash scripts/docker-engine.sh' (or start Docker)");
  }
  if (!existsSync(path.join(cliRoot(), "bin", "pulumi"))) {
    missing.push(`no Pulumi CLI at ${cliRoot()}/bin/pulumi: run 'bash scripts/pulumi-cli.sh'`);
  }
  return missing;
}

/** Fails (in CI) or skips (elsewhere, saying what is missing) when the e2e tests cannot run here. */
export async function requirePrerequisites(ctx: Mocha.Context): Promise<void> {
  const missing = await missingPrerequisites();
  if (missing.length === 0) return;
  const message = `cannot run:\n  - ${missing.join("\n  - ")}\n  (npm test runs scripts/setup.sh, which installs them)`;
  if (process.env.CI) throw new Error(message);
  console.log(`      ${message}`);
  ctx.skip();
}

/** The stack's lab when it is up (outputs of this swarmlab, every node's machine running); undefined otherwise. */
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
  const running = await runningMachines({ name: outputs.lab, backend: outputs.backend, owner: outputs.owner });
  return outputs.nodeAccess.every((n) => running.has(n.name)) ? outputs : undefined;
}

/** Stands up a throw-away lab on a stack of its own; nothing is left of it if that fails. */
export async function throwAwayLab(prefix: string, settings: Record<string, string>): Promise<{ stack: Stack; outputs: LabOutputs }> {
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

export async function acquireLab(log: (l: string) => void): Promise<LabUnderTest> {
  const selected = stackName();
  const existing = await existingStack(selected);
  if (existing) {
    const outputs = await runningLab(existing, log);
    if (outputs) {
      log(`verifying the running lab '${outputs.lab}' of stack '${selected}' (left as it is afterwards)`);
      return { stack: existing, outputs, backend: outputs.backend, owned: false };
    }
  }
  const settings = await throwAwaySettings("e2e");
  log(`no lab of stack '${selected}' is up: standing up a throw-away lab (${settings.name}, ${settings.subnet})`);
  const { stack, outputs } = await throwAwayLab("e2e", settings);
  return { stack, outputs, backend: outputs.backend, owned: true };
}
