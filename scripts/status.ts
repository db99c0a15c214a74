// npm run status: the lab as its last up recorded it (.swarmlab/<lab>/outputs.json, lab/recorded-outputs.ts) and as
// it is now (lab/status.ts: one snapshot over SSH). It asks the Pulumi CLI nothing and loads no @pulumi module: the
// Automation API and three CLI calls cost seconds, for outputs the up already wrote down.

import "../lab/lazy-buildkit"; // first: before anything loads dockerode
import { backendFor } from "../lab/backends";
import { stackFromEnv } from "../lab/env";
import { OutputsError } from "../lab/outputs";
import { outputsFromRecord, recordedOf } from "../lab/recorded-outputs";
import { labStatus } from "../lab/status";
import { DEFAULT_STACK, PROJECT, PROJECT_ROOT, STATE_DIR } from "../lab/project-root";
import type { BackendName } from "../lab/types";
import { runCommand } from "./run-command";

export { DEFAULT_STACK, PROJECT, PROJECT_ROOT, STATE_DIR };

const say = (l: string) => console.log(`swarmlab: ${l}`);

/** Prints the stack's lab as recorded and as it is now; 0 unless something could not be asked. */
export async function status(stack: string): Promise<number> {
  const recorded = recordedOf(PROJECT_ROOT, stack);
  if (!recorded) {
    say(`stack '${stack}' has no lab up (npm run up)`);
    return 0;
  }
  const { values } = recorded;
  const lab = { name: String(values.lab), backend: values.backend as BackendName, owner: String(values.owner) };
  let outputs;
  try {
    outputs = outputsFromRecord(PROJECT_ROOT, recorded, stack);
  } catch (err) {
    if (!(err instanceof OutputsError)) throw err;
    outputs = err;
  }
  // The engine's facts, the machines and the look over SSH are asked at once, and printed in this order. The look
  // starts first: its SSH handshakes are the longest wait, and the backend's module loads (~40 ms) while they go on.
  const look = outputs instanceof OutputsError ? undefined : labStatus(outputs);
  const backend = new Promise(setImmediate).then(() => backendFor(lab.backend));
  const [info, machines, now] = await Promise.all([backend.then((b) => b.info()), backend.then((b) => b.list(lab.name, lab.owner)), look]);
  say(
    `backend ${lab.backend}: ${Object.entries(info.facts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  say(`lab '${lab.name}' machines: ${machines.map((m) => `${m.name} (${m.role}) ${m.state}`).join(", ") || "none"}`);
  // What the up recorded (the ssh details aside; the secret key is never in the file), every object's keys in order
  // as the CLI listed them; then whether it is what this swarmlab's readers take.
  const shown = Object.fromEntries(Object.entries(values).filter(([k]) => k !== "privateKey" && k !== "nodeAccess"));
  const sorted = (_k: string, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v;
  console.log(JSON.stringify(shown, sorted, 2));
  if (outputs instanceof OutputsError) {
    say(outputs.message); // a fact like the others: status says what is there, and fails only when it cannot
    return 0;
  }
  say(`the lab now (one look over SSH, no ping; npm test proves the rest):\n${now!.lines.map((l) => `  ${l}`).join("\n")}`);
  return 0;
}

if (require.main === module) runCommand(() => status(stackFromEnv(process.env.SWARMLAB_STACK, PROJECT) ?? DEFAULT_STACK));
