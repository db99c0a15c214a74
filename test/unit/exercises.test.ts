// The exercises' engine without a lab: the check's JSON format (what the page and course platforms build on), the
// hint chosen by the failing task's symptom, the progress file, and every exercise's data (exercises/<name>/): it
// loads, names only checks that exist and values the lab has, and its solution completes each task exactly once.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CHECK_NAMES } from "../../lab/exercises/check-names";
import { Exercise, ExerciseError, exerciseNamed, exerciseProblems, listExercises } from "../../lab/exercises/exercise";
import { EXERCISE_FORMAT, exerciseReport, TaskResult } from "../../lab/exercises/format";
import { hintFor } from "../../lab/exercises/hints";
import { checked, progressFile, readProgress, started, writeProgress } from "../../lab/exercises/progress";
import { fill, FOUND_KEYS, publicValues } from "../../lab/exercises/values";
import type { LabOutputs } from "../../lab/outputs";
import { PROJECT_ROOT } from "../../lab/project-root";

const exercise: Exercise = {
  name: "demo",
  title: "Demo",
  order: 1,
  start: [],
  text: "",
  tasks: [
    {
      id: "a",
      title: "A",
      check: "swarm-init",
      hints: [
        { when: "engine is inactive", hint: "look at docker info" },
        { when: "speaks on", hint: "look at NodeAddr" },
      ],
      hint: "the task's own hint",
    },
    { id: "b", title: "B", check: "routing-mesh", hints: [], hint: "b's hint" },
  ],
  solution: [
    { on: "manager", command: "x", completes: ["a"] },
    { on: "manager", command: "y", completes: ["b"] },
  ],
};

const at = new Date("2026-12-05T15:00:00.000Z");

describe("exercises: check --json (swarmlab.exercise/1)", function () {
  it("has exactly the versioned shape: format, exercise, title, stack, checkedAt, tasks, hint, done", function () {
    const r = exerciseReport(exercise, "dev", [{ id: "a", title: "A", found: ["x is wrong"] }], "a hint", at);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), {
      format: EXERCISE_FORMAT,
      exercise: "demo",
      title: "Demo",
      stack: "dev",
      checkedAt: "2026-12-05T15:00:00.000Z",
      tasks: [{ id: "a", title: "A", passed: false, found: ["x is wrong"] }],
      hint: "a hint",
      done: false,
    });
    assert.equal(EXERCISE_FORMAT, "swarmlab.exercise/1");
  });

  it("a pending task neither passes nor keeps the exercise undone, and shows no findings; no hint means no key", function () {
    const r = exerciseReport(
      exercise,
      "dev",
      [
        { id: "a", title: "A", found: [] },
        { id: "b", title: "B", found: ["ignored"], pending: "no IPVS" },
      ],
      undefined,
      at,
    );
    assert.deepEqual(r.tasks[1], { id: "b", title: "B", passed: false, pending: "no IPVS", found: [] });
    assert.equal(r.tasks[0].passed, true);
    assert.equal(r.done, true);
    assert.ok(!("hint" in r));
    assert.ok(!("pending" in r.tasks[0]));
  });
});

describe("exercises: the hint fits the first failing task's symptom", function () {
  const results = (a: string[], b: TaskResult = { id: "b", title: "B", found: ["b broke"] }): TaskResult[] => [{ id: "a", title: "A", found: a }, b];

  it("the first hint whose symptom matches a found line", function () {
    assert.equal(hintFor(exercise, results(["swarm-manager speaks on 10.0.0.2, not its lab address"])), "look at NodeAddr");
    assert.equal(hintFor(exercise, results(["swarm-manager's engine is inactive in the swarm, not active"])), "look at docker info");
  });

  it("the task's own hint when no symptom matches", function () {
    assert.equal(hintFor(exercise, results(["something else"])), "the task's own hint");
  });

  it("the next failing task's when the first passes; pending tasks are skipped; none when nothing fails", function () {
    assert.equal(hintFor(exercise, results([])), "b's hint");
    assert.equal(hintFor(exercise, results([], { id: "b", title: "B", found: [], pending: "no IPVS" })), undefined);
  });
});

describe("exercises: progress per stack (.swarmlab/<lab>/exercise.json)", function () {
  it("start makes the exercise current; checks count, passed tasks accumulate, done is kept from the first time", function () {
    let p = started({ exercises: {} }, "demo", { image: "busybox" }, at);
    assert.equal(p.current, "demo");
    const report = (a: boolean, b: boolean, when: string) =>
      exerciseReport(
        exercise,
        "dev",
        [
          { id: "a", title: "A", found: a ? [] : ["x"] },
          { id: "b", title: "B", found: b ? [] : ["y"] },
        ],
        undefined,
        new Date(when),
      );
    p = checked(p, report(true, false, "2026-12-05T15:01:00Z"));
    assert.deepEqual(p.exercises.demo.passed, ["a"]);
    assert.equal(p.exercises.demo.doneAt, undefined);
    p = checked(p, report(false, true, "2026-12-05T15:02:00Z"));
    assert.deepEqual(p.exercises.demo.passed, ["a", "b"]);
    p = checked(p, report(true, true, "2026-12-05T15:03:00Z"));
    p = checked(p, report(true, true, "2026-12-05T15:04:00Z"));
    assert.equal(p.exercises.demo.checks, 4);
    assert.equal(p.exercises.demo.doneAt, "2026-12-05T15:03:00.000Z");
    const looked = checked(started(p, "demo", {}, at), report(true, false, "2026-12-05T15:05:00Z"), false);
    assert.deepEqual([looked.exercises.demo.checks, looked.exercises.demo.passed], [0, ["a"]], "the page's look records what passed, not a check");
    assert.equal(started(p, "demo", {}, at).exercises.demo.checks, 0, "a reset begins again");
  });

  it("is written to and read from the lab's folder; a missing or damaged file is no progress", function () {
    const root = mkdtempSync(path.join(tmpdir(), "swarmlab-progress-"));
    assert.deepEqual(readProgress(root, "lab1"), { exercises: {} });
    const p = started({ exercises: {} }, "demo", { image: "busybox" }, at);
    writeProgress(root, "lab1", p);
    assert.deepEqual(readProgress(root, "lab1"), p);
    assert.ok(progressFile(root, "lab1").endsWith(path.join(".swarmlab", "lab1", "exercise.json")));
    writeFileSync(progressFile(root, "lab1"), "{ not json");
    assert.deepEqual(readProgress(root, "lab1"), { exercises: {} });
  });
});

describe("exercises: the data in exercises/", function () {
  const all = listExercises(PROJECT_ROOT);
  const outputs = {
    lab: "swarmlab",
    nodes: [
      { name: "swarm-manager", role: "manager", address: "192.168.56.10", ssh: "" },
      { name: "swarm-worker1", role: "worker", address: "192.168.56.11", ssh: "" },
    ],
    overlay: { name: "mynet", subnet: "10.0.1.0/24", gateway: "10.0.1.1" },
    service: "test",
    replicas: 2,
    upstream: { name: "upstream", address: "192.168.56.254" },
    pingTarget: "192.168.56.254",
  } as unknown as LabOutputs;
  const values = { ...publicValues(outputs, "busybox:latest"), ...Object.fromEntries(FOUND_KEYS.map((k) => [k, `<${k}>`])) };

  it("has the tutorial's steps, the routing mesh and three drills, in order", function () {
    assert.deepEqual(
      all.map((e) => e.name),
      ["swarm", "overlay", "vni", "path-mtu", "nat", "routing-mesh", "drill-drained", "drill-scaled", "drill-constrained"],
    );
  });

  it("every exercise loads without a problem, and its text, titles, hints and commands name only the lab's values", function () {
    for (const e of all) {
      assert.deepEqual(exerciseProblems(e), [], e.name);
      const templates = [
        e.text,
        e.title,
        ...e.tasks.flatMap((t) => [t.title, t.hint, ...t.hints.map((h) => h.hint)]),
        ...e.start.map((s) => s.command),
        ...e.solution.map((s) => s.command),
      ];
      for (const t of templates) assert.doesNotThrow(() => fill(t, values), `${e.name}: ${t}`);
    }
  });

  it("the task text gives the ssh command up prints, and no answer (no found value)", function () {
    for (const e of all) {
      const text = fill(e.text, values);
      assert.match(text, /ssh -F \.swarmlab\/swarmlab\/ssh_config swarm-manager/, e.name);
      for (const k of FOUND_KEYS) assert.ok(!e.text.includes(`{${k}}`), `${e.name}'s text names {${k}}`);
    }
  });

  it("a bad exercise is said plainly: an unknown check, a task no step completes, a task completed twice", function () {
    const bad: Exercise = {
      ...exercise,
      tasks: [{ ...exercise.tasks[0], check: "nope" }, exercise.tasks[1]],
      solution: [{ on: "manager", command: "x", completes: ["a", "a"] }],
    };
    const problems = exerciseProblems(bad);
    assert.ok(
      problems.some((p) => p.includes(`no check 'nope' (the checks are ${CHECK_NAMES.join(", ")})`)),
      problems.join("\n"),
    );
    assert.ok(problems.includes("task a must be completed by exactly one step of the solution"));
    assert.ok(problems.includes("task b must be completed by exactly one step of the solution"));
  });

  it("an unknown exercise names the exercises; an unknown value names the values", function () {
    assert.throws(
      () => exerciseNamed(PROJECT_ROOT, "nope"),
      (e: Error) => e instanceof ExerciseError && /no exercise 'nope': the exercises are swarm, overlay/.test(e.message),
    );
    assert.throws(() => fill("echo {nope}", { a: "1" }), /'\{nope\}' in 'echo \{nope\}' names no value of the lab \(a\)/);
    assert.equal(fill("docker inspect -f '{{.State.Pid}}' {a}", { a: "c1" }), "docker inspect -f '{{.State.Pid}}' c1");
  });
});
