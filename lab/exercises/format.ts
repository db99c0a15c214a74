// What `npm run exercise check --json` prints, as data: the page (`--serve`) and course platforms build on it. The
// format is versioned (EXERCISE_FORMAT): new fields may be added; none is renamed or removed without a new version.
// The text output of `check` is made from the same report, so the two cannot disagree.

export const EXERCISE_FORMAT = "swarmlab.exercise/1";

export interface TaskReport {
  /** Stable id within the exercise (init, join, vni, …). */
  id: string;
  /** One line: what the student has to make true. */
  title: string;
  /** The task holds on the lab as it is now (false while pending). */
  passed: boolean;
  /** Why this task cannot be checked on this lab (no IPVS in the kernel container nodes share); absent otherwise. */
  pending?: string;
  /** What was found wrong, one plain line each; empty when it passed. */
  found: string[];
}

export interface ExerciseReport {
  format: typeof EXERCISE_FORMAT;
  /** The exercise's name (its folder under exercises/). */
  exercise: string;
  title: string;
  /** The Pulumi stack whose lab was checked. */
  stack: string;
  /** When the lab was looked at, ISO 8601. */
  checkedAt: string;
  tasks: TaskReport[];
  /** A hint for the first failing task, chosen by its symptom; absent when nothing fails. */
  hint?: string;
  /** Every task passed (pending ones aside). */
  done: boolean;
}

/** One task as checked: what the engine knows before it is put into the report's shape. */
export interface TaskResult {
  id: string;
  title: string;
  found: string[];
  pending?: string;
}

/** The report for an exercise's tasks as checked now. A pending task neither passes nor keeps the exercise undone. */
export function exerciseReport(
  exercise: { name: string; title: string },
  stack: string,
  results: TaskResult[],
  hint: string | undefined,
  checkedAt: Date = new Date(),
): ExerciseReport {
  const tasks: TaskReport[] = results.map((r) => ({
    id: r.id,
    title: r.title,
    passed: r.pending === undefined && r.found.length === 0,
    ...(r.pending === undefined ? {} : { pending: r.pending }),
    found: r.pending === undefined ? r.found : [],
  }));
  return {
    format: EXERCISE_FORMAT,
    exercise: exercise.name,
    title: exercise.title,
    stack,
    checkedAt: checkedAt.toISOString(),
    tasks,
    ...(hint === undefined ? {} : { hint }),
    done: tasks.every((t) => t.passed || t.pending !== undefined),
  };
}
