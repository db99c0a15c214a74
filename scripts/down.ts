// npm run down: every trace of the stack's lab removed. The lab goes whole: every object labelled with its name and
// owner (the claim the state records) is removed at once by its backend — no swarm membership to unwind, no part
// to delete one by one — then the state forgets its parts (`pulumi stack import` of the same deployment without
// resources: one CLI run, no engine, no provider process). When anything is left, or the state cannot be read here,
// `pulumi destroy` runs instead (infra/stack.ts, loaded only then), as before.
import execa from "execa";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stackFromEnv } from "../lab/env";
import { LabRef, leftovers, sweepLab } from "../lab/inventory";
import { labDir, removeLabDir } from "../lab/lab-dir";
import { DEFAULT_STACK, PROJECT, PROJECT_ROOT } from "../lab/project-root";
import { cliRoot } from "../lab/pulumi-home";
import { labOfResources, readState, StateDeployment } from "../lab/state-file";
import { pulumiEnv } from "../infra/pulumi-env";
import { runCommand } from "./run-command";

const print = (s: string) => process.stdout.write(s);
const say = (l: string) => console.log(`swarmlab: ${l}`);

export async function down(): Promise<number> {
  const stack = stackFromEnv(process.env.SWARMLAB_STACK, PROJECT) ?? DEFAULT_STACK;
  const state = readState(stack);
  const recorded = state && state.pending === 0 ? labOfResources(state.resources, stack) : undefined;
  if (state && recorded?.lab?.owner) {
    const done = await downWhole(stack, recorded.lab, state);
    if (done !== undefined) return done;
  }
  return downThroughEngine();
}

/**
 * The lab removed by its labels and owner, then its parts forgotten by the state. Undefined when something of it is
 * left after the sweep (or the sweep failed): pulumi destroy then deletes each part by its id, and says what stays.
 */
async function downWhole(stack: string, lab: LabRef, state: StateDeployment): Promise<number | undefined> {
  const pulumi = path.join(cliRoot(), "bin", "pulumi");
  if (!existsSync(pulumi)) return undefined;
  say(`removing lab '${lab.name}' of stack '${stack}' whole: everything labelled with it and owner ${lab.owner}`);
  try {
    await sweepLab(lab, say);
    if ((await leftovers(lab)).length > 0) return undefined;
  } catch (err) {
    say(`the removal by labels failed (${err instanceof Error ? err.message : String(err)}): pulumi destroy takes over`);
    return undefined;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-down-"));
  try {
    // the same deployment (manifest, secrets provider) with no resource: what a destroy leaves
    const file = path.join(dir, "deployment.json");
    writeFileSync(file, JSON.stringify({ version: 3, deployment: { ...state.deployment, resources: [], pending_operations: [] } }), { mode: 0o600 });
    await execa(pulumi, ["stack", "import", "--stack", stack, "--file", file, "--non-interactive"], {
      cwd: PROJECT_ROOT,
      env: pulumiEnv(stack),
    });
  } catch (err) {
    const why = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    console.error(`swarmlab: lab '${lab.name}' is removed, but the state of stack '${stack}' still lists its parts: ${why}`);
    console.error("  npm run down again: its destroy finds them gone");
    return 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  removeLabDir(PROJECT_ROOT, lab.name);
  if (existsSync(labDir(PROJECT_ROOT, lab.name))) {
    console.error(`swarmlab: left of lab '${lab.name}':\n  - folder ${labDir(PROJECT_ROOT, lab.name)}`);
    return 1;
  }
  say(`stack '${stack}' destroyed; nothing of lab '${lab.name}' is left`);
  return 0;
}

/** pulumi destroy (each part deleted by its id), then a sweep by labels: what down always did. */
async function downThroughEngine(): Promise<number> {
  const { downLab, selectStack } = await import("../infra/stack");
  const stack = await selectStack(); // a stack that does not exist is not created
  const result = await downLab(stack, print, say);
  if (!result.lab) {
    say(`stack '${stack.name}' has no lab in its state; nothing to remove`);
    return 0;
  }
  if (result.error) console.error(`swarmlab: pulumi destroy failed: ${result.error.message}`);
  if (result.diagnostics)
    console.error(
      `swarmlab: diagnostics of lab '${result.lab.name}', taken when the destroy failed, in ${path.relative(PROJECT_ROOT, result.diagnostics)}/`,
    );
  if (result.left.length > 0) {
    console.error(`swarmlab: left of lab '${result.lab.name}':\n${result.left.map((l) => `  - ${l}`).join("\n")}`);
    console.error(`  remove it with: npm run clean ${result.lab.name}`);
    return 1;
  }
  say(`stack '${stack.name}' destroyed; nothing of lab '${result.lab.name}' is left`);
  return result.error ? 1 : 0;
}

if (require.main === module) runCommand(down);
