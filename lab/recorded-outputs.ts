// The lab's outputs as its last up recorded them, in .swarmlab/<lab>/outputs.json: what npm run status reads instead
// of asking the Pulumi CLI (three CLI calls and the Automation API cost seconds). The file lives in the lab's folder,
// which goes when the lab is destroyed, so a downed lab has none. It leaves out the secret key: a reader takes it from
// the key's copy (keyFile). The file names its stack in the owner id, so a stack's lab is found without a pointer that
// could outlive it.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LAB_DIR, labDir, privateFolder } from "./lab-dir";
import { labNameProblem } from "./lab-name";
import { LabOutputs, OutputsError, outputsOf, RawOutputs } from "./outputs";
import { stackOfOwner } from "./types";

export const OUTPUTS_FILE = "outputs.json";

/** What the file holds: every output but the secret key. */
export type RecordedOutputs = Omit<LabOutputs, "privateKey">;

/** Writes .swarmlab/<lab>/outputs.json (mode 600, in the lab's private folder); returns its path. */
export function writeRecordedOutputs(root: string, outputs: RecordedOutputs): string {
  const file = path.join(privateFolder(labDir(root, outputs.lab)), OUTPUTS_FILE);
  const { privateKey: _secret, ...shown } = outputs as RecordedOutputs & { privateKey?: unknown }; // never on disk here
  writeFileSync(file, JSON.stringify(shown, null, 2) + "\n", { mode: 0o600 });
  return file;
}

/** The file's values as recorded (the key aside), for showing; undefined when the stack has no lab recorded. */
export interface Recorded {
  file: string;
  values: Record<string, unknown>;
}

/**
 * The recorded outputs of `stack`'s lab: the lab folder whose outputs.json names the stack in its owner id (at most
 * one while the stack has a lab: making it under a new name removes the old lab and its folder). Undefined when no
 * folder records a lab of the stack. A file that is not JSON fails in one line with the fix.
 */
export function recordedOf(root: string, stack: string): Recorded | undefined {
  const dir = path.join(root, LAB_DIR);
  const found: Recorded[] = [];
  for (const lab of existsSync(dir) ? readdirSync(dir) : []) {
    if (labNameProblem(lab)) continue; // the project's own entries (passphrase, logs) and anything else
    const file = path.join(dir, lab, OUTPUTS_FILE);
    if (!existsSync(file)) continue;
    const values = parsed(file);
    if (typeof values.owner === "string" && stackOfOwner(values.owner) === stack) found.push({ file, values });
  }
  // Two only if a folder outlived its lab (removed by hand from the state): the newer is the last up's.
  return found.sort((a, b) => statSync(b.file).mtimeMs - statSync(a.file).mtimeMs)[0];
}

/**
 * The recorded outputs as LabOutputs, through outputsOf (a file of another shape fails in one line naming what is
 * missing), with the private key read from its copy, keyFile (relative to `root`).
 */
export function outputsFromRecord(root: string, recorded: Recorded, stack?: string): LabOutputs {
  const { values } = recorded;
  const keyFile = typeof values.keyFile === "string" ? path.join(root, values.keyFile) : undefined;
  const privateKey = keyFile && existsSync(keyFile) ? readFileSync(keyFile, "utf8") : undefined;
  const raw: RawOutputs = Object.fromEntries(Object.entries({ ...values, privateKey }).map(([k, value]) => [k, { value }]));
  return outputsOf(raw, stack);
}

/** The file as JSON, or an OutputsError saying what it is and the fix. */
function parsed(file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new OutputsError([], "npm run up (it writes the file again)", `${file} is not the outputs an up records (${why})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OutputsError([], "npm run up (it writes the file again)", `${file} is not the outputs an up records (not a JSON object)`);
  }
  return value as Record<string, unknown>;
}
