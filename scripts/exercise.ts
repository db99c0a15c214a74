// npm run exercise [<command> [<name>]]: the tutorial as exercises the student types (exercises/<name>/, lab/exercises/).
//   npm run exercise                     lists the exercises, with this stack's progress
//   npm run exercise start <name>        the lab made healthy (npm run up's code), then the exercise's starting point
//   npm run exercise check [-- --json]   grades the lab as it is now, task by task (exit 1 when a task fails)
//   npm run exercise hint | solve | reset   a hint for the first failing task; the reference solution; start again
//   npm run exercise -- --serve [--port <n>]   the page on http://127.0.0.1:7650: the tasks ✓/✗, the hint, the lab's picture
// check, hint, solve and reset take the exercise started last on this stack (SWARMLAB_STACK), or the one named.
import { stackFromEnv } from "../lab/env";
import { checkExercise, ExerciseLab, reportLines, solveExercise, startExercise, taskText, valuesOf } from "../lab/exercises/engine";
import { Exercise, ExerciseError, exerciseNamed, listExercises } from "../lab/exercises/exercise";
import { readProgress } from "../lab/exercises/progress";
import { serveUntilStopped } from "../lab/exercises/serve";
import { OutputsError } from "../lab/outputs";
import { DEFAULT_STACK, PROJECT, PROJECT_ROOT } from "../lab/project-root";
import { outputsFromRecord, recordedOf } from "../lab/recorded-outputs";
import { runCommand } from "./run-command";
import { up } from "./up";

const COMMANDS = ["list", "start", "check", "hint", "solve", "reset", "show"];
const say = (l: string) => console.log(`swarmlab: ${l}`);

/** The stack's lab: its recorded outputs, healed by npm run up's own code. */
export function exerciseLab(stack: string): ExerciseLab {
  return {
    root: PROJECT_ROOT,
    stack,
    outputs: () => {
      const recorded = recordedOf(PROJECT_ROOT, stack);
      if (!recorded) throw new OutputsError(["lab"], "npm run exercise start <name> (it brings the lab up)", `stack '${stack}' has no lab up`);
      return outputsFromRecord(PROJECT_ROOT, recorded, stack);
    },
    heal: async () => {
      const code = await up([]);
      if (code !== 0) throw new ExerciseError(`npm run up did not leave the lab healthy (above): the exercise cannot start`);
    },
  };
}

/** The exercise named, else the one started last on this stack. */
function exerciseOf(lab: ExerciseLab, name: string | undefined): Exercise {
  if (name) return exerciseNamed(PROJECT_ROOT, name);
  const recorded = recordedOf(PROJECT_ROOT, lab.stack);
  const current = recorded ? readProgress(PROJECT_ROOT, String(recorded.values.lab)).current : undefined;
  if (!current)
    throw new ExerciseError(`no exercise is started on stack '${lab.stack}': npm run exercise start <name> (npm run exercise lists them)`);
  return exerciseNamed(PROJECT_ROOT, current);
}

function list(lab: ExerciseLab): number {
  const recorded = recordedOf(PROJECT_ROOT, lab.stack);
  const progress = recorded
    ? readProgress(PROJECT_ROOT, String(recorded.values.lab))
    : { exercises: {} as Record<string, never>, current: undefined };
  console.log(`The exercises (stack ${lab.stack}):`);
  for (const e of listExercises(PROJECT_ROOT)) {
    const p = progress.exercises[e.name];
    const mark = p?.doneAt ? "✓" : p ? "…" : " ";
    const tasks = p ? `${p.passed.length}/${e.tasks.length} tasks passed` : `${e.tasks.length} task${e.tasks.length === 1 ? "" : "s"}`;
    console.log(`  ${mark} ${e.name.padEnd(18)} ${e.title} (${tasks})${progress.current === e.name ? "  ← current" : ""}`);
  }
  console.log(`\nStart one: npm run exercise start <name>; then npm run exercise check (npm run exercise -- check --json for a course).`);
  return 0;
}

export async function exercise(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const [command = "list", name, ...rest] = argv.filter((a) => a !== "--json");
  const stack = stackFromEnv(process.env.SWARMLAB_STACK, PROJECT) ?? DEFAULT_STACK;
  const lab = exerciseLab(stack);
  if (argv.includes("--serve")) return serveUntilStopped(lab, argv); // the page on this machine (lab/exercises/serve)
  if (!COMMANDS.includes(command)) throw new ExerciseError(`no command '${command}': the commands are ${COMMANDS.join(", ")}`);
  if (rest.length) throw new ExerciseError(`npm run exercise ${command} takes one exercise's name at most, not '${[name, ...rest].join(" ")}'`);
  if (command === "list") return list(lab);
  if (command === "start" && !name)
    throw new ExerciseError(
      `which exercise? npm run exercise start <name>, one of ${listExercises(PROJECT_ROOT)
        .map((e) => e.name)
        .join(", ")}`,
    );
  const e = exerciseOf(lab, name);
  if (command === "start" || command === "reset") {
    const text = await startExercise(e, lab, say);
    console.log(`\n${text}`);
    return 0;
  }
  if (command === "show") {
    console.log(taskText(e, valuesOf(lab, lab.outputs())));
    return 0;
  }
  if (command === "solve") {
    say(`typing the reference solution of '${e.name}' on the nodes`);
    await solveExercise(e, lab, say);
    say("done: npm run exercise check grades it");
    return 0;
  }
  const report = await checkExercise(e, lab);
  if (json) console.log(JSON.stringify(report, null, 2));
  else if (command === "hint") console.log(report.hint ? `hint: ${report.hint}` : "Every task passes: no hint needed.");
  else reportLines(report).forEach((l) => console.log(l));
  return command === "check" && !report.done ? 1 : 0;
}

if (require.main === module) runCommand(() => exercise(process.argv.slice(2)));
