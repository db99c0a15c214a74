// A student's progress, per stack: .swarmlab/<lab>/exercise.json holds the exercise started last, the lab's values as
// start read them (the service's image, which a starting point without the service no longer shows), and per exercise
// when it started, how many checks ran, which tasks have passed once and when all passed.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { labDir } from "../lab-dir";
import type { ExerciseReport } from "./format";
import type { Values } from "./values";

export const PROGRESS_FILE = "exercise.json";

export interface ExerciseProgress {
  startedAt: string;
  checks: number;
  /** The tasks that passed at least once since the start. */
  passed: string[];
  /** When every task passed, the first time. */
  doneAt?: string;
}

export interface Progress {
  /** The exercise started last: check, hint, solve and reset take it when none is named. */
  current?: string;
  values?: Values;
  exercises: Record<string, ExerciseProgress>;
}

export const progressFile = (root: string, lab: string) => path.join(labDir(root, lab), PROGRESS_FILE);

export function readProgress(root: string, lab: string): Progress {
  const file = progressFile(root, lab);
  if (!existsSync(file)) return { exercises: {} };
  try {
    const p = JSON.parse(readFileSync(file, "utf8")) as Progress;
    return { ...p, exercises: p.exercises ?? {} };
  } catch {
    return { exercises: {} }; // a damaged file is progress lost, not a command that fails
  }
}

export function writeProgress(root: string, lab: string, p: Progress): void {
  mkdirSync(labDir(root, lab), { recursive: true });
  writeFileSync(progressFile(root, lab), `${JSON.stringify(p, null, 2)}\n`);
}

/** A start (or reset): the exercise is current, its progress begins again. */
export function started(p: Progress, name: string, values: Values, now: Date): Progress {
  return { current: name, values, exercises: { ...p.exercises, [name]: { startedAt: now.toISOString(), checks: 0, passed: [] } } };
}

/** A check's report added to the progress; `counted`: whether it adds to the checks (a look of the page does not). */
export function checked(p: Progress, r: ExerciseReport, counted = true): Progress {
  const had = p.exercises[r.exercise] ?? { startedAt: r.checkedAt, checks: 0, passed: [] };
  const passed = [...new Set([...had.passed, ...r.tasks.filter((t) => t.passed).map((t) => t.id)])];
  const doneAt = had.doneAt ?? (r.done ? r.checkedAt : undefined);
  return {
    ...p,
    exercises: { ...p.exercises, [r.exercise]: { ...had, checks: had.checks + (counted ? 1 : 0), passed, ...(doneAt ? { doneAt } : {}) } },
  };
}
