// The exercises' engine: start (the lab made healthy by up's own code, then the starting point typed over SSH as a
// student would), check (each task's check over one fresh look at the lab), hint, solve (the reference solution typed
// step by step) and reset (start again). Progress is kept per stack (progress.ts).
import { ConnectedLab, ConnectedNode } from "../checks/observe";
import { serviceImage } from "../checks/mesh";
import type { LabOutputs } from "../outputs";
import { overlayNamed } from "../snapshot/model";
import { CHECKS, WEB_SERVICE } from "./checks";
import type { Exercise, SolutionStep, Typed, Where } from "./exercise";
import { ExerciseError } from "./exercise";
import { ExerciseReport, exerciseReport, TaskResult } from "./format";
import { hintFor } from "./hints";
import { checked, readProgress, started, writeProgress } from "./progress";
import { ANSWERS_DIR, fill, foundValues, publicValues, Values } from "./values";

/** The lab an exercise runs on, and how to make it healthy (npm run up's code). */
export interface ExerciseLab {
  root: string;
  stack: string;
  /** The lab's outputs as its last up recorded them (read again after a heal). */
  outputs(): LabOutputs;
  /** Makes the lab whole, as npm run up does; throws when it stays unhealthy. */
  heal(): Promise<void>;
}

/** What every start also clears, whatever the exercise: the student's answers and the routing mesh's service. */
const CLEAR: Typed[] = [
  { on: "manager", command: `rm -rf ${ANSWERS_DIR}` },
  { on: "manager", command: `if docker service inspect ${WEB_SERVICE} >/dev/null 2>&1; then docker service rm ${WEB_SERVICE}; fi` },
];

/** Starts an exercise: a healthy lab, then the starting point. Returns the task's text, its values filled in. */
export async function startExercise(e: Exercise, lab: ExerciseLab, say: (l: string) => void = () => undefined): Promise<string> {
  await lab.heal();
  const outputs = lab.outputs();
  const connected = await ConnectedLab.open(outputs);
  let values: Values;
  try {
    const image = await serviceImage(connected.manager.docker, outputs.service).catch(() => "busybox");
    const encrypted = overlayNamed(connected.snapshot, outputs.overlay.name)?.encrypted ?? false;
    values = publicValues(outputs, image.replace(/@sha256:[0-9a-f]+$/, ""), encrypted);
    say(`making the starting point of '${e.name}' (what a student would type on the nodes)`);
    for (const t of [...CLEAR, ...e.start]) await typeOn(connected, t, values, say);
  } finally {
    connected.close();
  }
  writeProgress(lab.root, outputs.lab, started(readProgress(lab.root, outputs.lab), e.name, values, new Date()));
  return taskText(e, values);
}

/** The task's text with the lab's values filled in. */
export function taskText(e: Exercise, values: Values): string {
  return fill(e.text, values);
}

/** The values start recorded (the service's image among them), else the lab's as they are. */
export function valuesOf(lab: ExerciseLab, outputs: LabOutputs): Values {
  return readProgress(lab.root, outputs.lab).values ?? publicValues(outputs, "busybox");
}

/** How a check is made: over a look someone else opened, and whether it counts as the student's check. */
export interface CheckOptions {
  now?: () => Date;
  /** The lab as the caller looked at it (the page's look): graded over it, left open. Else a look opened and closed here. */
  over?: ConnectedLab;
  /** Whether the check counts in the progress's checks (the student's own); the page's looks only record what passed. */
  counted?: boolean;
}

/** Grades the lab as it is now, task by task, over one look at it; the report is added to the progress. */
export async function checkExercise(e: Exercise, lab: ExerciseLab, o: CheckOptions = {}): Promise<ExerciseReport> {
  const outputs = o.over?.outputs ?? lab.outputs();
  const connected = o.over ?? (await ConnectedLab.open(outputs));
  const results: TaskResult[] = [];
  const values = valuesOf(lab, outputs);
  try {
    for (const t of e.tasks) {
      const outcome = await CHECKS[t.check](connected).catch((err: unknown) => ({
        found: [`the check could not run: ${err instanceof Error ? err.message : String(err)}`],
      }));
      results.push({
        id: t.id,
        title: fill(t.title, values),
        ...("pending" in outcome ? { found: [], pending: outcome.pending } : { found: outcome.found }),
      });
    }
  } finally {
    if (!o.over) connected.close();
  }
  const hint = hintFor(e, results);
  const report = exerciseReport(e, lab.stack, results, hint === undefined ? undefined : fill(hint, values), (o.now ?? (() => new Date()))());
  writeProgress(lab.root, outputs.lab, checked(readProgress(lab.root, outputs.lab), report, o.counted ?? true));
  return report;
}

/** Types one step of the reference solution, with what a student would have found on the lab by then. */
export async function solveStep(e: Exercise, lab: ExerciseLab, step: SolutionStep, say: (l: string) => void = () => undefined): Promise<void> {
  const outputs = lab.outputs();
  const connected = await ConnectedLab.open(outputs);
  try {
    await typeOn(connected, step, { ...valuesOf(lab, outputs), ...foundValues(connected) }, say);
  } finally {
    connected.close();
  }
}

/** Types the whole reference solution, step by step. */
export async function solveExercise(e: Exercise, lab: ExerciseLab, say: (l: string) => void = () => undefined): Promise<void> {
  for (const step of e.solution) await solveStep(e, lab, step, say);
}

/** The check's report as text: ✓/✗ per task, what was found under a failing one, pending ones with their reason. */
export function reportLines(r: ExerciseReport): string[] {
  const lines = [`${r.title} (${r.exercise}, stack ${r.stack})`];
  for (const t of r.tasks) {
    if (t.pending !== undefined) lines.push(`  … ${t.title}\n      pending: ${t.pending}`);
    else lines.push(`  ${t.passed ? "✓" : "✗"} ${t.title}`, ...t.found.map((f) => `      ${f}`));
  }
  lines.push(r.done ? "Done: every task passes." : "Not yet: npm run exercise hint gives a hint for the first task that fails.");
  return lines;
}

/** Runs a command on the nodes it names (by role), as the student types it there; a failure is an error. */
async function typeOn(lab: ConnectedLab, t: Typed, values: Values, say: (l: string) => void): Promise<void> {
  const command = fill(t.command, values);
  for (const n of nodesFor(lab, t.on, values)) {
    say(`${n.access.name}$ ${command}`);
    const r = await n.session.exec(command);
    const out = (r.stdout + r.stderr).trim();
    if (out) say(out.replace(/^/gm, "  "));
    if (r.code !== 0) throw new ExerciseError(`${n.access.name}: '${command}' failed (exit ${r.code})${out ? `: ${out}` : ""}`);
  }
}

function nodesFor(lab: ConnectedLab, on: Where, values: Values): ConnectedNode[] {
  if (on === "manager") return [lab.manager];
  if (on === "workers") return lab.workers;
  if (on === "every") return lab.nodes;
  if (!values.taskNode) throw new ExerciseError(`service ${lab.outputs.service} has no running task to type this on`);
  return [lab.node(values.taskNode)];
}
