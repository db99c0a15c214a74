// The stack, driven through Pulumi's Automation API with the program inline: the same engine and state as
// `npx pulumi up`, without needing the Node.js language host next to the CLI.
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack, UpResult } from "@pulumi/pulumi/automation";
import { deleteLab, runningMachines } from "../lab/parts";
import type { LabSpec } from "../lab/types";
import { specFromConfig, swarmlabProgram } from "./program";
import { PROJECT_ROOT } from "./provider";

export const PROJECT = "swarmlab";
export const DEFAULT_STACK = "dev";
export const STATE_DIR = path.join(PROJECT_ROOT, ".pulumi-state");

export function stackName(): string {
  return process.env.SWARMLAB_STACK || DEFAULT_STACK;
}

/** The CLI the npm `pulumi` wrapper would run: $PULUMI_HOME/versions/<@pulumi/pulumi's version>/bin/pulumi. */
export function cliRoot(): string {
  const version: string = require("@pulumi/pulumi/package.json").version;
  return path.join(process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"), "versions", version);
}

async function pulumiCommand(): Promise<PulumiCommand> {
  const root = cliRoot();
  if (existsSync(path.join(root, "bin", "pulumi"))) return PulumiCommand.get({ root });
  try {
    return await PulumiCommand.get();
  } catch {
    throw new Error(`no Pulumi CLI: not at ${root}/bin/pulumi nor on PATH. Build it with 'bash scripts/pulumi-cli.sh' (or npm run up)`);
  }
}

export function pulumiEnv(): Record<string, string> {
  mkdirSync(STATE_DIR, { recursive: true });
  return {
    PULUMI_BACKEND_URL: `file://${STATE_DIR}`,
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // dynamic providers run through pulumi-resource-pulumi-nodejs, installed beside the CLI
    PATH: `${path.join(cliRoot(), "bin")}${path.delimiter}${process.env.PATH ?? ""}`,
  };
}

/** Selects the stack, creating it on first use; its settings live in Pulumi.<stack>.yaml. */
export async function openStack(name = stackName(), settings: Record<string, string> = {}): Promise<Stack> {
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: name, projectName: PROJECT, program: swarmlabProgram },
    { workDir: PROJECT_ROOT, pulumiCommand: await pulumiCommand(), envVars: pulumiEnv() },
  );
  for (const [key, value] of Object.entries(settings)) await stack.setConfig(`swarmlab:${key}`, { value });
  return stack;
}

/** Whether a stack exists in the local state (without creating it). */
export async function stackExists(name: string): Promise<boolean> {
  const ws = await LocalWorkspace.create({ workDir: PROJECT_ROOT, pulumiCommand: await pulumiCommand(), envVars: pulumiEnv() });
  return (await ws.listStacks()).some((s) => s.name === name || s.name.endsWith(`/${name}`));
}

/**
 * `pulumi up`, after a refresh when machines of the lab were removed or stopped by hand: their parts then leave the
 * state and up makes them again (with a new swarm, overlay and service, which depend on them).
 */
export async function upLab(stack: Stack, spec: LabSpec, onOutput?: (out: string) => void): Promise<UpResult> {
  if ((await stack.outputs()).nodes) {
    const running = await runningMachines(spec);
    const gone = [...spec.nodes.map((n) => n.name), spec.upstream.name].filter((n) => !running.has(n));
    if (gone.length > 0) {
      onOutput?.(`swarmlab: not running: ${gone.join(", ")}; refreshing the stack's state, then up makes them again\n`);
      await stack.refresh({ onOutput });
    }
  }
  return stack.up({ onOutput });
}

/** The stack's lab, from its settings (validated; fails for a backend this version cannot run). */
export async function specOf(stack: Stack): Promise<LabSpec> {
  const all = await stack.getAllConfig();
  return specFromConfig(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value])));
}

/** Forgets a stack: its state, its settings file, and the backups `pulumi stack rm` leaves in the state folder. */
export async function forgetStack(stack: Stack): Promise<void> {
  await stack.workspace.removeStack(stack.name);
  const dir = path.join(STATE_DIR, ".pulumi", "stacks", PROJECT);
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    if (f.startsWith(`${stack.name}.json`)) rmSync(path.join(dir, f), { force: true });
  }
}

/** Destroys a throw-away stack's lab, sweeps whatever still carries the lab's label, and forgets the stack. */
export async function discardStack(stack: Stack, lab: Pick<LabSpec, "name" | "backend">): Promise<void> {
  try {
    await stack.destroy();
  } finally {
    await deleteLab(lab, () => undefined);
    await forgetStack(stack);
  }
}
