// An exercise as data: exercises/<name>/exercise.json (the starting point, the tasks each naming its check, the hints
// keyed by symptom, the reference solution as the commands a student types) and task.md (what the student reads).
// Read and checked here, so that a mistake in an exercise's data is one plain line, not a failure deep in a check.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { CHECK_NAMES } from "./check-names";

/** Where a command runs, by role (never by name): the lab's manager, each worker, every node, or the node running the service's first task. */
export type Where = "manager" | "workers" | "every" | "task";
export const WHERE: readonly Where[] = ["manager", "workers", "every", "task"];

/** A command typed on the lab's nodes; `{name}` fills in a value of the lab (values.ts). */
export interface Typed {
  on: Where;
  command: string;
}

/** A hint for a symptom: shown when a line of what the failing task found matches `when` (a regular expression). */
export interface Hint {
  when: string;
  hint: string;
}

export interface Task {
  id: string;
  title: string;
  /** The check that grades it, by name (checks.ts). */
  check: string;
  /** Hints by symptom, the first matching wins; `hint` when none matches. */
  hints: Hint[];
  hint: string;
}

/** A step of the reference solution: a command, and the tasks that pass once it ran (none for a command that only looks). */
export interface SolutionStep extends Typed {
  completes: string[];
}

export interface Exercise {
  name: string;
  title: string;
  /** Its place in the list. */
  order: number;
  /** What `start` types on the nodes of a healthy lab to make the starting point. */
  start: Typed[];
  tasks: Task[];
  solution: SolutionStep[];
  /** task.md, as written (values not filled in). */
  text: string;
}

export const EXERCISES_DIR = "exercises";

/** What is wrong with a command line or an exercise's data, with the fix. */
export class ExerciseError extends Error {}

/** The exercises' names, in their order. */
export function exerciseNames(root: string): string[] {
  return listExercises(root).map((e) => e.name);
}

export function listExercises(root: string): Exercise[] {
  const dir = path.join(root, EXERCISES_DIR);
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => existsSync(path.join(dir, n, "exercise.json"))) : [];
  return names.map((n) => loadExercise(root, n)).sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

/** The exercise of that name; an ExerciseError listing the exercises when there is none. */
export function exerciseNamed(root: string, name: string): Exercise {
  const all = listExercises(root);
  const found = all.find((e) => e.name === name);
  if (!found) throw new ExerciseError(`no exercise '${name}': the exercises are ${all.map((e) => e.name).join(", ")}`);
  return found;
}

export function loadExercise(root: string, name: string): Exercise {
  const dir = path.join(root, EXERCISES_DIR, name);
  const raw = JSON.parse(readFileSync(path.join(dir, "exercise.json"), "utf8")) as Omit<Exercise, "name" | "text">;
  const text = readFileSync(path.join(dir, "task.md"), "utf8");
  const exercise = { ...raw, name, text };
  const problems = exerciseProblems(exercise);
  if (problems.length) throw new ExerciseError(`exercises/${name}/exercise.json: ${problems.join("; ")}`);
  return exercise;
}

/** What is wrong with an exercise's data: unknown checks, places or tasks, a task no step completes, a bad pattern. */
export function exerciseProblems(e: Exercise): string[] {
  const found: string[] = [];
  const ids = new Set(e.tasks.map((t) => t.id));
  if (!e.title) found.push("no title");
  if (e.tasks.length === 0) found.push("no tasks");
  if (ids.size !== e.tasks.length) found.push("two tasks share an id");
  for (const t of e.tasks) {
    if (!CHECK_NAMES.includes(t.check)) found.push(`task ${t.id}: no check '${t.check}' (the checks are ${CHECK_NAMES.join(", ")})`);
    if (!t.hint) found.push(`task ${t.id}: no hint`);
    for (const h of t.hints) {
      try {
        new RegExp(h.when);
      } catch {
        found.push(`task ${t.id}: the symptom '${h.when}' is no regular expression`);
      }
    }
  }
  for (const s of [...e.start, ...e.solution])
    if (!WHERE.includes(s.on)) found.push(`'${s.command}' runs on '${s.on}', not one of ${WHERE.join(", ")}`);
  const completed = e.solution.flatMap((s) => s.completes);
  for (const id of completed) if (!ids.has(id)) found.push(`the solution completes '${id}', which is no task`);
  for (const id of ids)
    if (completed.filter((c) => c === id).length !== 1) found.push(`task ${id} must be completed by exactly one step of the solution`);
  return found;
}
