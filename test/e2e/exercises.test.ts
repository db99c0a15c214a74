// Every exercise proven on a throw-away lab (npm run test:exercises), three ways: after `start` its check fails; the
// reference solution typed over SSH step by step flips each task from ✗ to ✓ at its own step and not before; after
// `npm run up` it still passes. Each exercise runs twice from a fresh start, to catch a check that passes by chance.
// One lab serves every exercise: each start heals it (a healthy up takes seconds) and makes its own starting point.
import assert from "node:assert/strict";
import { checkExercise, ExerciseLab, solveStep, startExercise } from "../../lab/exercises/engine";
import { Exercise, listExercises } from "../../lab/exercises/exercise";
import type { ExerciseReport, TaskResult } from "../../lab/exercises/format";
import { PROJECT_ROOT } from "../../lab/project-root";
import { outputsFromRecord, recordedOf } from "../../lab/recorded-outputs";
import { type ExercisedLab, labForExercises, requirePrerequisites, upAsStudent } from "./lab-under-test";

/** How many times each exercise runs from a fresh start (SWARMLAB_EXERCISES_ROUNDS; 2 unless set); 0 for a value that is no count. */
const ROUNDS_SET = process.env.SWARMLAB_EXERCISES_ROUNDS ?? "2";
const ROUNDS = /^[1-9]\d*$/.test(ROUNDS_SET) ? Number(ROUNDS_SET) : 0;
/** Exercises run twice whatever ROUNDS says (SWARMLAB_EXERCISES_TWICE, comma-separated): those graded only here. */
const TWICE = new Set((process.env.SWARMLAB_EXERCISES_TWICE ?? "").split(",").filter(Boolean));
/** SWARMLAB_EXERCISES_GRADE_ALL=1 (the lab of VMs): no task may be pending, the routing mesh's included. */
const GRADE_ALL = process.env.SWARMLAB_EXERCISES_GRADE_ALL === "1";
/** On a lab that grades every task (GRADE_ALL), a pending one fails. */
const assertGraded = (t: TaskResult) =>
  assert.ok(!(GRADE_ALL && t.pending !== undefined), `${t.id} is pending on a lab that grades every task: ${t.pending}`);

/** How long a task may take to flip after the step that completes it (Swarm schedules tasks on its own time). */
const FLIP_MS = 120_000;

/** One line per check: ✓, ✗ or … (pending) per task. */
const marks = (r: ExerciseReport) => r.tasks.map((t) => `${t.pending !== undefined ? "…" : t.passed ? "✓" : "✗"} ${t.id}`).join("  ");

/** Checks until every task of `done` passes (or is pending), up to FLIP_MS; the last report either way. */
async function checkUntil(e: Exercise, lab: ExerciseLab, done: Set<string>): Promise<ExerciseReport> {
  const until = Date.now() + FLIP_MS;
  for (;;) {
    const r = await checkExercise(e, lab);
    const flipped = r.tasks.filter((t) => done.has(t.id)).every((t) => t.passed || t.pending !== undefined);
    if (flipped || Date.now() > until) return r;
    await new Promise((ok) => setTimeout(ok, 2_000));
  }
}

describe("exercises: each starts failing, its solution flips each task at its own step, and up keeps it passing", function () {
  let under: ExercisedLab | undefined;
  let lab: ExerciseLab;
  const log: string[] = [];
  const began = Date.now();

  // a value that is no count would make no test at all: a run that proves nothing must fail, not pass
  if (ROUNDS === 0)
    it("SWARMLAB_EXERCISES_ROUNDS is a count of rounds", () => assert.fail(`SWARMLAB_EXERCISES_ROUNDS=${ROUNDS_SET}: give 1 or more (2 unless set)`));

  before(async function () {
    if (ROUNDS === 0) return;
    await requirePrerequisites(this);
    under = await labForExercises("exercises", 80);
    const { stack } = under;
    lab = {
      root: PROJECT_ROOT,
      stack,
      outputs: () => outputsFromRecord(PROJECT_ROOT, recordedOf(PROJECT_ROOT, stack)!, stack),
      heal: () => upAsStudent(stack),
    };
  });

  after(async function () {
    console.log(`\n      the vetting (${((Date.now() - began) / 1000).toFixed(0)} s in all):\n${log.map((l) => `        ${l}`).join("\n")}`);
    if (under) assert.deepEqual(await under.release(), [], "left after down");
  });

  for (const e of listExercises(PROJECT_ROOT)) {
    for (let round = 1; round <= (TWICE.has(e.name) ? Math.max(ROUNDS, 2) : ROUNDS); round++) {
      it(`${e.name} (round ${round}): fails after start; each step flips exactly its tasks; passes after up`, async function () {
        const t0 = Date.now();
        await startExercise(e, lab);
        const first = await checkExercise(e, lab);
        log.push(`${e.name} #${round} start: ${marks(first)}`);
        assert.equal(first.done, false, `${e.name} passes right after start`);
        for (const t of first.tasks) {
          assertGraded(t);
          if (t.pending !== undefined) assert.ok(t.pending.length > 0, `${t.id} is pending without a reason`);
          else assert.equal(t.passed, false, `${t.id} passes right after start`);
        }
        const done = new Set<string>();
        for (const [i, step] of e.solution.entries()) {
          await solveStep(e, lab, step);
          step.completes.forEach((id) => done.add(id));
          const r = await checkUntil(e, lab, done);
          log.push(`${e.name} #${round} step ${i + 1} (${step.on}: ${step.command.slice(0, 60)}…): ${marks(r)}`);
          for (const t of r.tasks) {
            assertGraded(t);
            if (t.pending !== undefined) continue;
            const say = `${e.name} step ${i + 1}: ${t.id}: ${t.found.join("; ")}`;
            assert.equal(t.passed, done.has(t.id), done.has(t.id) ? `${say} (did not flip)` : `${t.id} passed before the step that completes it`);
          }
        }
        await lab.heal();
        const healed = await checkExercise(e, lab);
        log.push(`${e.name} #${round} after up: ${marks(healed)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
        assert.equal(healed.done, true, `after up: ${healed.tasks.flatMap((t) => t.found).join("; ")}`);
        assert.ok(
          healed.tasks.every((t) => t.passed || (!GRADE_ALL && t.pending !== undefined)),
          GRADE_ALL ? "after up every task passes" : "after up every task passes or is pending",
        );
      });
    }
  }
});
