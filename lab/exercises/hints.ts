// Which hint a student gets: the first failing task's, chosen by its symptom (a line of what its check found matching
// the hint's `when`), else the task's own hint. It points at what to look at, never at the answer.
import type { Exercise } from "./exercise";
import type { TaskResult } from "./format";

export function hintFor(exercise: Pick<Exercise, "tasks">, results: TaskResult[]): string | undefined {
  const failing = results.find((r) => r.pending === undefined && r.found.length > 0);
  const task = failing && exercise.tasks.find((t) => t.id === failing.id);
  if (!failing || !task) return undefined;
  const bySymptom = task.hints.find((h) => failing.found.some((line) => new RegExp(h.when, "i").test(line)));
  return (bySymptom ?? task).hint;
}
