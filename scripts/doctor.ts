// npm run doctor: can this machine run the lab? One report (lab/doctor/), exit 1 when something would make up fail.
// The lab checked for is the selected stack's (SWARMLAB_STACK, default dev) as its settings file Pulumi.<stack>.yaml
// describes it: read directly, so the doctor needs neither the Pulumi CLI nor any state. npm run up calls runDoctor
// with the spec it got through the Automation API.
import { readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, settingsWarnings } from "../lab/config";
import { EnvError, projectEnvironmentErrors, stackFromEnv } from "../lab/env";
import { DoctorTarget, examineHost, PulumiPlace } from "../lab/doctor";
import type { LabSpec } from "../lab/types";
import { specFromConfig, swarmlabSettings } from "../lab/stack-config";
import { writtenSettings } from "../lab/settings-text";
import { DEFAULT_STACK, PROJECT, PROJECT_ROOT, STATE_DIR, stateFile } from "../lab/project-root";
import { cliRoot } from "../lab/pulumi-home";
import { partType } from "../lab/parts/part";
import { parts } from "../lab/parts";

// js-yaml is what @pulumi/pulumi's LocalWorkspace reads these files with; it ships without types.
const yaml = require("js-yaml") as { load(text: string): unknown };

/**
 * The report for a lab whose settings are known (npm run up: the stack's, through the Automation API), printed line
 * by line. `owner`: the owner id the stack's state records, when it has a lab. Resolves to true when a blocker was
 * found: up must stop. Prints only the warnings and blockers, and the verdict; an environment variable with a bad
 * value is a blocker of its own, said first and alone.
 */
export async function runDoctor(
  lab: { spec: LabSpec; stack: string; owner?: string },
  print: (line: string) => void = console.log,
): Promise<boolean> {
  const environment = environmentProblems();
  for (const e of environment) print(`swarmlab: ${e.message}`);
  if (environment.length > 0) return true;
  return examineHost({ ...lab, source: `stack ${lab.stack}'s config` }, pulumiPlace(), print, true);
}

/** Bad variables the report cannot be made with: the stack whose settings it checks, the engine it asks. */
const REPORT_NEEDS: ReadonlySet<string> = new Set(["SWARMLAB_STACK", "DOCKER_HOST", "DOCKER_CERT_PATH", "PULUMI_HOME"]);

/**
 * One error for each environment variable with a bad value (lab/env.ts), none when all are fine. npm run up's
 * set-up (scripts/setup.sh) stops on them before it starts an engine or fetches a CLI; the doctor reports them first.
 */
export function environmentProblems(env: NodeJS.ProcessEnv = process.env): EnvError[] {
  return projectEnvironmentErrors(env);
}

/** Where npm run up runs the Pulumi CLI from (infra/stack.ts), and the version it must report (that folder's name). */
function pulumiPlace(): PulumiPlace {
  return { bin: path.join(cliRoot(), "bin", "pulumi"), version: path.basename(cliRoot()) };
}

/** The stack's lab as Pulumi.<stack>.yaml (in `root`) sets it, on the defaults of lab/config.ts. */
export function stackTarget(stack: string, root = PROJECT_ROOT): DoctorTarget {
  const file = `Pulumi.${stack}.yaml`;
  let config: Record<string, unknown> | undefined;
  let text: string | undefined;
  try {
    text = readFileSync(path.join(root, file), "utf8");
    config = configOf(text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      const problem = (err instanceof Error ? err.message : String(err)).split("\n")[0];
      const fix = "correct it, or move it away to start from the defaults";
      const settingsError = { says: `${file}: cannot be read (${problem})`, fix };
      return { stack, source: file, settingsError };
    }
  }
  const entries = Object.entries(config ?? {});
  // swarmlab: settings as written (010 stays "010", refused as not plain decimal), never as js-yaml's YAML 1.2
  // reading: Pulumi reads the file otherwise (010 is 8 there), and a setting must mean one thing to both.
  const written = text === undefined ? {} : writtenSettings(text);
  const all = Object.fromEntries(
    entries
      .filter(([, v]) => isScalar(v))
      .map(([k, v]) => {
        const key = k.includes(":") ? k : `swarmlab:${k}`;
        const raw = key.startsWith("swarmlab:") ? written[key.slice("swarmlab:".length)] : undefined;
        return [k, raw ?? String(v)];
      }),
  );
  const set = Object.keys(swarmlabSettings(all)).map((k) => `swarmlab:${k}`);
  const secrets = entries.filter(([k, v]) => k.startsWith("swarmlab:") && !isScalar(v)).map(([k]) => `; ${k} is a secret and was not read`);
  const source =
    (config === undefined
      ? `no ${file} yet: the defaults of lab/config.ts`
      : set.length > 0
        ? `${file} sets ${set.join(", ")}; the rest are the defaults of lab/config.ts`
        : `${file} sets no swarmlab: key: the defaults of lab/config.ts`) + secrets.join("");
  const warnings = settingsWarnings(all);
  try {
    return { stack, source, spec: specFromConfig(all), settingsWarnings: warnings };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { stack, source, settingsError: err, settingsWarnings: warnings };
  }
}

/** The `config:` map of a stack settings file (empty when it has none). */
function configOf(text: string): Record<string, unknown> {
  const settings = yaml.load(text) as { config?: Record<string, unknown> } | null | undefined;
  return settings?.config ?? {};
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

/**
 * The owner id this checkout's state records for the stack's lab (its claim's output), read from the state file
 * itself: the doctor runs without the Pulumi CLI. Undefined when the state records no lab (or there is no state):
 * then no lab on the engine is this stack's, as up's claim will judge.
 */
export function recordedOwner(stack: string, stateDir = STATE_DIR): string | undefined {
  const file = stateFile(stack, stateDir);
  let state: { checkpoint?: { latest?: { resources?: { type: string; outputs?: Record<string, unknown> }[] } } };
  try {
    state = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  const claim = state.checkpoint?.latest?.resources?.find((r) => r.type === partType(parts.claim));
  return typeof claim?.outputs?.owner === "string" ? claim.outputs.owner : undefined;
}

async function main(): Promise<number> {
  const environment = environmentProblems();
  for (const e of environment) console.log(`swarmlab doctor: ${e.message}`);
  if (environment.some((e) => REPORT_NEEDS.has(e.variable))) return 1;
  if (environment.length > 0) console.log("");
  const stack = stackFromEnv(process.env.SWARMLAB_STACK, PROJECT) ?? DEFAULT_STACK;
  const blocked = await examineHost({ ...stackTarget(stack), owner: recordedOwner(stack) }, pulumiPlace(), console.log);
  return blocked || environment.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`swarmlab doctor: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
