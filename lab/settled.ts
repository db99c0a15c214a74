// A healthy `npm run up` without the Pulumi engine. After an up that succeeded, the parts as the program saw them (id,
// inputs, state) are written to .swarmlab/<lab>/settled.json with what made them so: the stack's settings, the code,
// the environment and the state file. The next up skips the engine only when all of that is unchanged and every
// part's own read and check, run here as the engine would run them, find the lab as recorded: then the engine's
// refresh would change nothing and its update would find no difference, so it would do nothing (seconds of Pulumi
// CLI, engine and provider process). Any doubt, any difference or any error takes the engine's path, which says it.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { assertLabFitsHost, HostChecks } from "./host-checks";
import { LAB_DIR, labDir, labLogger, privateFolder } from "./lab-dir";
import { labNameProblem } from "./lab-name";
import { parts, PartKind } from "./parts";
import { AnyPart, PartContext, partType } from "./parts/part";
import { diffInputs } from "./parts/runner";
import { STATE_DIR, stateFile } from "./project-root";
import { readState } from "./state-file";
import { stackSettingsFile } from "./settings-text";
import type { LabSpec } from "./types";

export const SETTLED_FILE = "settled.json";

type Props = Record<string, unknown>;

/** One part as the program registered it and as the state holds it after the up. */
export interface SettledPart {
  kind: PartKind;
  /** The resource's name in the program (for messages). */
  name: string;
  id: string;
  /** Its inputs as the program declared them. */
  inputs: Props;
  /** Its state: the inputs and the part's outputs. */
  props: Props;
}

export interface SettledRecord {
  stack: string;
  spec: LabSpec;
  /** Settings, code and environment the up ran with (fingerprint()). */
  fingerprint: string;
  /** The state file's digest once the up had ended. */
  state: string;
  parts: SettledPart[];
}

/** The parts by kind: lab/parts' registry, or the unit tests' fakes (whose read needs no lab). */
export type PartRegistry = { readonly [K in PartKind]: AnyPart };

export type SettledVerdict = { settled: true; record: SettledRecord } | { settled: false; why: string };

/** The environment that reaches the program and the providers: swarmlab's, Docker's and Pulumi's variables. */
function environmentOf(env: NodeJS.ProcessEnv): string {
  const keys = Object.keys(env)
    .filter((k) => /^(SWARMLAB_|DOCKER_|PULUMI_)/.test(k))
    .sort();
  return keys.map((k) => `${k}=${env[k]}`).join("\n");
}

/** Every TypeScript source that runs, and the installed packages' lock: a change of any is a change of the program. */
function codeOf(root: string, hash: ReturnType<typeof createHash>): void {
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = path.join(rel, e.name);
      if (e.isDirectory()) walk(child);
      else if (e.name.endsWith(".ts")) hash.update(`${child}\0`).update(readFileSync(path.join(root, child)));
    }
  };
  for (const dir of ["lab", "infra", "scripts"]) if (existsSync(path.join(root, dir))) walk(dir);
  for (const file of ["package-lock.json", "Pulumi.yaml"]) {
    if (existsSync(path.join(root, file))) hash.update(`${file}\0`).update(readFileSync(path.join(root, file)));
  }
}

/** What the program's inputs follow from besides the parts' outputs: the stack's settings, the code, the environment. */
export function fingerprint(root: string, stack: string, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash("sha256");
  hash.update(`stack ${stack}\0settings ${stackSettingsFile(stack, root)?.text ?? ""}\0env ${environmentOf(env)}\0`);
  codeOf(root, hash);
  return hash.digest("hex");
}

function digestOf(file: string): string | undefined {
  return existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : undefined;
}

/** Writes the record of an up that just succeeded (mode 600: the parts' inputs hold the lab's private key). */
export function writeSettled(root: string, stack: string, spec: LabSpec, settledParts: SettledPart[], stateDir = STATE_DIR): string | undefined {
  const state = digestOf(stateFile(stack, stateDir));
  if (!state) return undefined;
  const record: SettledRecord = { stack, spec, fingerprint: fingerprint(root, stack), state, parts: settledParts };
  const file = path.join(privateFolder(labDir(root, spec.name)), SETTLED_FILE);
  writeFileSync(file, JSON.stringify(record) + "\n", { mode: 0o600 });
  return file;
}

/** Forgets the record of `stack`'s lab: an up through the engine is under way, and may end anywhere. */
export function forgetSettled(root: string, stack: string): void {
  for (const { file } of recordsOf(root, stack)) rmSync(file, { force: true });
}

function recordsOf(root: string, stack: string): { file: string; record: SettledRecord }[] {
  const dir = path.join(root, LAB_DIR);
  const found = [];
  for (const lab of existsSync(dir) ? readdirSync(dir) : []) {
    if (labNameProblem(lab)) continue;
    const file = path.join(dir, lab, SETTLED_FILE);
    if (!existsSync(file)) continue;
    try {
      const record = JSON.parse(readFileSync(file, "utf8")) as SettledRecord;
      if (record.stack === stack) found.push({ file, record });
    } catch {
      rmSync(file, { force: true }); // a torn record proves nothing: the engine runs
    }
  }
  return found;
}

/** Property values compared as Pulumi compares them: by value, whatever the order of an object's keys. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}
const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/**
 * The record of `stack`'s last up when it still describes the lab's inputs: its settings, code and environment are
 * today's, and the state is the one the up wrote (holding the recorded parts, with nothing pending). Cheap: files only.
 */
export function settledRecord(root: string, stack: string, stateDir = STATE_DIR): { record: SettledRecord } | { why: string; recorded?: true } {
  const [found, ...more] = recordsOf(root, stack);
  if (!found || more.length > 0) return { why: "no record of the last up" };
  const { record } = found;
  if (record.fingerprint !== fingerprint(root, stack)) return { why: "settings, code or environment changed since the last up", recorded: true };
  if (digestOf(stateFile(stack, stateDir)) !== record.state) return { why: "the stack's state changed since the last up", recorded: true };
  const inState = readState(stack, stateDir);
  const ours = (inState?.resources ?? []).filter((r) => r.type.startsWith(partType({ type: "" })));
  const recorded = record.parts.map((p) => `${partType(parts[p.kind])}|${p.id}`);
  if (!inState || inState.pending > 0 || !same(ours.map((r) => `${r.type}|${r.id}`).sort(), recorded.sort()))
    return { why: "the state holds other parts than recorded", recorded: true };
  return { record };
}

/**
 * Whether the lab is as the record says, by the engine's own tests: the program's host checks pass, every part's read
 * returns its state unchanged, and its check accepts its inputs (what a refresh, then an update's diffs, would run).
 */
export async function verifySettled(root: string, record: SettledRecord, host: HostChecks, registry: PartRegistry = parts): Promise<SettledVerdict> {
  const ctx: PartContext = { root, log: labLogger(root, record.spec.name) };
  try {
    const [differs] = (
      await Promise.all([
        assertLabFitsHost(record.spec, record.stack, host).then(() => undefined),
        ...record.parts.map((p) => partDiffers(p, ctx, registry)),
      ])
    ).filter(Boolean);
    return differs ? { settled: false, why: differs } : { settled: true, record };
  } catch (err) {
    return { settled: false, why: `a check failed (${err instanceof Error ? err.message.split("\n")[0] : String(err)})` };
  }
}

/** The owner id the record's claim holds. */
export function ownerOf(record: SettledRecord): string | undefined {
  const claim = record.parts.find((p) => p.kind === "claim");
  return typeof claim?.props.owner === "string" ? claim.props.owner : undefined;
}

/** What a refresh and a diff would find changed in one part (undefined: nothing), as runner.ts runs them. */
async function partDiffers(p: SettledPart, ctx: PartContext, registry: PartRegistry): Promise<string | undefined> {
  const part = registry[p.kind];
  const live = await part.read(p.id, p.props, ctx);
  if (!live) return `${p.name} is gone or broken`;
  if (!same({ ...p.props, ...live }, p.props)) return `${p.name} changed`;
  // as the engine hands them over: serialised, so an object's keys come in one order whoever wrote them
  const [olds, news] = [canonical(p.props), canonical(p.inputs)] as Props[];
  if (diffInputs(part, olds, news).changed.length > 0) return `${p.name}'s inputs changed`;
  await part.check?.(news as never, olds as never, ctx);
  return undefined;
}
