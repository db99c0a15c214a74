// The stack, driven through Pulumi's Automation API with the program inline: the same engine and state as
// `npx pulumi up`, without needing the Node.js language host next to the CLI.
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack, StackNotFoundError, UpResult } from "@pulumi/pulumi/automation";
import { SemVer } from "semver";
import { collectLabLogs, LabRef, leftovers, logsDir, sweepLab } from "../lab/inventory";
import { labDir, removeLabDir } from "../lab/lab-dir";
import { parts } from "../lab/parts";
import { TEARDOWN_VARIABLE } from "../lab/parts/teardown";
import type { LabSpec } from "../lab/types";
import { specFromConfig, stackSettingsFile, swarmlabProgram } from "./program";
import { PROJECT_ROOT } from "./provider";
import { pulumiEnv } from "./pulumi-env";
import { partType } from "./swarmlab";

import { DEFAULT_STACK, PROJECT, STATE_DIR, stateFile } from "../lab/project-root";
import { labOfResources, readState } from "../lab/state-file";
import { cliRoot } from "../lab/pulumi-home";
export { cliRoot, DEFAULT_STACK, PROJECT, pulumiEnv, STATE_DIR };

/**
 * The stack SWARMLAB_STACK names (default dev); its fully qualified name organization/swarmlab/<name> is the same
 * stack. A bad value fails here, in one line (lab/env.ts), before any stack is opened or made.
 */
export function stackName(): string {
  // required here rather than imported: only this function of the file is about the environment
  const { stackFromEnv } = require("../lab/env") as typeof import("../lab/env");
  return stackFromEnv(process.env.SWARMLAB_STACK, PROJECT) ?? DEFAULT_STACK;
}

/**
 * The CLI in the folder named after @pulumi/pulumi's version, which scripts/pulumi-cli.sh fills only with a CLI that
 * reports that version: taken at its word, as PulumiCommand.get would after running `pulumi version` (half a second
 * of every command: the CLI is a 100 MB binary).
 */
function pinnedCommand(root: string): PulumiCommand {
  const version = new SemVer(require("@pulumi/pulumi/package.json").version as string);
  const Command = PulumiCommand as unknown as new (command: string, version: SemVer) => PulumiCommand;
  return new Command(path.join(root, "bin", "pulumi"), version);
}

async function pulumiCommand(): Promise<PulumiCommand> {
  const root = cliRoot();
  if (existsSync(path.join(root, "bin", "pulumi"))) return pinnedCommand(root);
  try {
    return await PulumiCommand.get();
  } catch {
    throw new Error(`no Pulumi CLI: not at ${root}/bin/pulumi nor on PATH. Build it with 'bash scripts/pulumi-cli.sh' (or npm run up)`);
  }
}

async function workspaceOptions(stack?: string) {
  return { workDir: PROJECT_ROOT, pulumiCommand: await pulumiCommand(), envVars: pulumiEnv(stack) };
}

/** Selects the stack, creating it on first use; its settings live in Pulumi.<stack>.yaml. */
export async function openStack(name = stackName(), settings: Record<string, string> = {}): Promise<Stack> {
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: name, projectName: PROJECT, program: swarmlabProgram },
    await workspaceOptions(name),
  );
  for (const [key, value] of Object.entries(settings)) await stack.setConfig(`swarmlab:${key}`, { value });
  return stack;
}

/** Selects an existing stack; fails, creating nothing, when there is none of that name. */
export async function selectStack(name = stackName()): Promise<Stack> {
  const found = await existingStack(name);
  if (found) return found;
  // the stacks are listed only for this message: one CLI run less for every command on a stack that exists
  const stacks = await listStacks();
  throw new Error(`no stack '${name}' (stacks here: ${stacks.join(", ") || "none"}); nothing was touched`);
}

/** The stack of that name, or undefined when there is none (nothing is created). */
export async function existingStack(name: string): Promise<Stack | undefined> {
  if (readState(name)) return recordedStack(name);
  try {
    return await LocalWorkspace.selectStack({ stackName: name, projectName: PROJECT, program: swarmlabProgram }, await workspaceOptions(name));
  } catch (err) {
    if (err instanceof StackNotFoundError) return undefined;
    throw err;
  }
}

/**
 * A stack whose state file is there, without `pulumi stack select` (a CLI run: 0.7 s of down): selecting only records
 * it as the folder's current stack, and every command the Automation API runs names its stack (--stack).
 */
async function recordedStack(name: string): Promise<Stack> {
  const ws = await LocalWorkspace.create({ ...(await workspaceOptions(name)), program: swarmlabProgram });
  ws.selectStack = async () => undefined;
  try {
    return await Stack.select(name, ws);
  } finally {
    Reflect.deleteProperty(ws, "selectStack");
  }
}

export async function listStacks(): Promise<string[]> {
  const ws = await LocalWorkspace.create(await workspaceOptions());
  return (await ws.listStacks()).map((s) => s.name.replace(/^.*\//, ""));
}

export interface UpLabOptions {
  /**
   * Nodes to make again whatever a refresh says of them (`npm run up -- --replace swarm-worker1`): for a node broken
   * in a way no part describes, which up's final look names. Their joins and tasks follow.
   */
  replace?: string[];
  /** The lab the state records, when the caller has read it already (labOfState): not asked of the CLI again. */
  recorded?: LabRef | null;
  /**
   * false: the stack's outputs and summary are not read back after the update (the Automation API asks the CLI three
   * times: 2 s); the result's outputs are empty, and the caller takes the lab's from .swarmlab/<lab>/outputs.json,
   * which the program wrote at the run's end (lab/recorded-outputs.ts).
   */
  readBack?: false;
}

/**
 * `pulumi up` after a refresh that reads every part of the live lab: what drifted or broke is made whole again.
 * A lab made by swarmlab 0.1 (its objects carry no owner label) is swept first and made again with owners.
 */
export async function upLab(stack: Stack, onOutput?: (out: string) => void, options: UpLabOptions = {}): Promise<UpResult> {
  const recorded = options.recorded !== undefined ? options.recorded : await labOfState(stack);
  if (recorded?.owner === "") {
    const swept = await sweepLab(recorded, () => undefined);
    onOutput?.(
      `swarmlab: lab '${recorded.name}' was made by an older swarmlab (no owner labels): removed (${swept.length} objects) to be made again\n`,
    );
  }
  const resources = async () => readState(stack.name)?.resources ?? (await stack.exportStack()).deployment?.resources ?? [];
  const replace = options.replace?.length ? nodeUrns(await resources(), options.replace) : [];
  const up = () => stack.up({ onOutput, refresh: true, ...(replace.length ? { replace } : {}) });
  return options.readBack === false ? withoutReadBack(stack, up) : up();
}

/**
 * Runs an operation without the read-back the Automation API does after it (`stack output` twice and `stack
 * history`: a CLI run each), for callers that use neither the outputs nor the summary.
 */
async function withoutReadBack<T>(stack: Stack, operation: () => Promise<T>): Promise<T> {
  const own = stack as unknown as { outputs: () => Promise<object>; info: () => Promise<undefined> };
  own.outputs = async () => ({});
  own.info = async () => undefined;
  try {
    return await operation();
  } finally {
    Reflect.deleteProperty(stack, "outputs");
    Reflect.deleteProperty(stack, "info");
  }
}

/** The URNs of the named nodes' parts in a stack's resources; fails, naming the lab's nodes, for a name it has not. */
export function nodeUrns(resources: { urn: string; type: string; outputs?: Record<string, unknown> }[], names: string[]): string[] {
  const nodes = resources.filter((r) => r.type === partType(parts.node));
  return names.map((name) => {
    const found = nodes.find((r) => r.outputs?.name === name);
    if (found) return found.urn;
    const known = nodes.map((r) => String(r.outputs?.name)).join(", ") || "none: run npm run up first";
    throw new Error(`--replace ${name}: the lab has no node of that name (its nodes: ${known})`);
  });
}

/** The stack's lab, from its settings (validated; fails for a backend this version cannot run). */
export async function specOf(stack: Stack): Promise<LabSpec> {
  return specFromConfig(await stack.getAllConfig(), stackSettingsFile(stack.name));
}

/**
 * The lab the stack's state records (its claim: name, backend, owner), whatever the config says now. A stack
 * made by swarmlab 0.1 has no claim: its lab is named by its key, and its objects carry no owner ("").
 */
export async function labOfState(stack: Stack): Promise<LabRef | undefined> {
  const recorded = readState(stack.name);
  const fromFile = recorded && labOfResources(recorded.resources, stack.name);
  return (fromFile ?? labOfResources((await stack.exportStack()).deployment?.resources ?? [], stack.name) ?? {}).lab;
}

export interface DownResult {
  lab?: LabRef;
  /** What the sweep after the destroy removed (it was not in the state, or its delete failed). */
  swept: string[];
  /** What is still there afterwards: empty on success. */
  left: string[];
  /** The destroy's error, when it failed (the sweep ran all the same). */
  error?: Error;
  /** Where the machines' logs and states were collected, before the sweep, when the destroy failed. */
  diagnostics?: string;
}

/**
 * `pulumi destroy`, then — whatever happened — a sweep of everything carrying the lab's label and owner. If the
 * destroy failed, it runs once more after the sweep so that the state is empty too. Never touches another
 * stack's lab.
 */
export async function downLab(stack: Stack, onOutput?: (out: string) => void, log: (l: string) => void = () => undefined): Promise<DownResult> {
  const lab = await labOfState(stack);
  let error: Error | undefined;
  let swept: string[] = [];
  let diagnostics: string | undefined;
  // The whole lab goes: the parts that live in the swarm go with the machines (lab/parts/teardown.ts).
  const env = (stack.workspace as LocalWorkspace).envVars;
  if (lab) env[TEARDOWN_VARIABLE] = lab.name;
  try {
    await destroyWithoutRefresh(stack, onOutput);
  } catch (err) {
    error = err as Error;
  } finally {
    if (lab && error) {
      // What the machines looked like when the destroy failed: the sweep is about to remove them.
      const files = await collectLabLogs(lab, PROJECT_ROOT).catch(() => []);
      if (files.length > 0) diagnostics = logsDir(PROJECT_ROOT, lab.name);
    }
    if (lab) swept = await sweepLab(lab, log);
  }
  if (error) {
    try {
      await stack.destroy({ onOutput });
      error = undefined;
    } catch (err) {
      error = err as Error;
    }
  }
  delete env[TEARDOWN_VARIABLE];
  if (lab) removeLabDir(PROJECT_ROOT, lab.name);
  const left = lab ? (await leftovers(lab)).map((o) => o.what) : [];
  if (lab && existsSync(labDir(PROJECT_ROOT, lab.name))) left.push(`folder ${labDir(PROJECT_ROOT, lab.name)}`);
  return { lab, swept, left, error, diagnostics };
}

/**
 * `pulumi destroy` without the refresh Pulumi.yaml asks of every operation (`refresh: always`, for up and preview): the
 * whole lab goes, and each part's delete finds for itself what is left (a refresh read every part first: 3 s). The
 * Automation API has no option for `--refresh=false`: it goes on the destroy's command line through the workspace's
 * argument hook, for that one command (the summary the API asks for next takes no such flag). downLab's second
 * destroy, after a failure and the sweep, refreshes as usual.
 */
async function destroyWithoutRefresh(stack: Stack, onOutput?: (out: string) => void): Promise<void> {
  const ws = stack.workspace as LocalWorkspace;
  const own = ws.serializeArgsForOp;
  let first = true;
  ws.serializeArgsForOp = async (name: string) => {
    const args = await own.call(ws, name);
    if (!first) return args;
    first = false;
    return [...args, "--refresh=false"];
  };
  try {
    // nor is the summary asked after it (`pulumi stack history`, one CLI run more): down does not use it
    await withoutReadBack(stack, () => stack.destroy({ onOutput }));
  } finally {
    ws.serializeArgsForOp = own;
  }
}

/**
 * Forgets a throw-away stack: its state (even one that still lists parts, e.g. the component of a refused up),
 * its settings file, and the backups `pulumi stack rm` leaves in the state folder.
 */
export async function forgetStack(stack: Stack): Promise<void> {
  await stack.workspace.removeStack(stack.name, { force: true });
  const dir = path.dirname(stateFile(stack.name));
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    if (f.startsWith(`${stack.name}.json`)) rmSync(path.join(dir, f), { force: true });
  }
}

/** Destroys a throw-away stack's lab (down: destroy, sweep), and forgets the stack. */
export async function discardStack(stack: Stack): Promise<DownResult> {
  try {
    return await downLab(stack);
  } finally {
    await forgetStack(stack);
  }
}
