// npm run bench [N] — what a user waits for, swarmlab against plain docker doing the same (scripts/baseline.sh):
// the table of issue 17, from one run (docs/speed.md shows it and says what each figure means).
//
// Each of N runs (default 3) is a pair of cycles, every command a child process under GNU time (elapsed, user, sys,
// max RSS of it and every descendant it waited for: the Pulumi CLI, the language host, the provider processes):
//   baseline   bash scripts/baseline.sh up, then down  (plain docker commands, nodes reached with docker exec)
//   swarmlab   npm run up, npm run up again (a healthy lab, no change), npm run status, the verification suite
//              (npx mocha … test/e2e/lab.test.ts, its lifecycle tests excluded), npm run down
// all with SWARMLAB_STACK=bench-<pid>, a stack of its own (swarmlab:name swarmlab-bench-<pid>, a 192.168.N.0/24
// that nothing uses). After the last run's down, once: npm run up, then npm run up with swarmlab:workers 3 (the
// time of adding one worker). Whatever fails, the stack's lab is destroyed and swept and the stack forgotten.
// Then the table (medians; ratios swarmlab / baseline), the targets as PASS or MISS (a report: a MISS does
// not fail it) and the profile of one npm run up from its output lines. It exits non-zero only when something
// failed to run.
//
// Both use their own lab names and subnets, so a lab of another stack (dev: swarmlab, 192.168.56.0/24) is untouched.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import execa from "execa";
import type { Stack } from "@pulumi/pulumi/automation";
import { discardStack, openStack } from "../infra/stack";
import { PROJECT_ROOT } from "../infra/provider";
import { unusedSubnet } from "../lab/host-facts";
import { sweepLab } from "../lab/inventory";
import { NODE_IMAGE } from "../lab/backends/docker/names";
import { DEFAULT_IMAGE } from "../lab/config";
import { environmentProblems } from "./doctor";

const RUNS = Number(process.argv[2] ?? 3);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error("usage: npm run bench [runs, default 3]");
  process.exit(2);
}

const STACK = `bench-${process.pid}`;
const LAB = `swarmlab-bench-${process.pid}`;
let SUBNET = "";
const BASELINE_LAB = "swarmlab-baseline";
const BASELINE_PREFIX = "192.168.61";
const BASELINE = path.join(PROJECT_ROOT, "scripts", "baseline.sh");
// The lab's verification suite only (test/e2e/engine.test.ts checks the Pulumi CLI, not the lab).
const SUITE = "test/e2e/lab.test.ts";
const SUITE_ARGS = ["mocha", "--timeout", "600000", "--grep", "lifecycle", "--invert", SUITE];
const GNU_TIME = "/usr/bin/time";
const TIMES_DIR = mkdtempSync(path.join(os.tmpdir(), "swarmlab-bench-"));

// Issue 17's targets, point 2.
const TARGET = { wallRatio: 2, cpuRatio: 5, healthyUp: 5, status: 1, down: 4, suite: 10 };

/** What GNU time says of one command: seconds of wall and of CPU (user + sys), and its largest process's RSS. */
interface Usage {
  wall: number;
  cpu: number;
  maxRssMiB: number;
}
type Command = "baseline up" | "baseline down" | "up" | "healthy up" | "status" | "suite" | "down" | "up to add to" | "add a worker";
const COMMANDS: Command[] = ["baseline up", "baseline down", "up", "healthy up", "status", "suite", "down", "up to add to", "add a worker"];
const samples = Object.fromEntries(COMMANDS.map((c) => [c, [] as Usage[]])) as Record<Command, Usage[]>;
const failures: string[] = [];
/** The first fresh and the first healthy npm run up: their output lines, each with its seconds since the start. */
const profiled: Partial<Record<"up" | "healthy up", Ran>> = {};

const say = (s: string) => console.log(`bench: ${s}`);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const tail = (lines: string[], n = 40) => lines.slice(-n).join("\n");

interface Ran {
  usage: Usage;
  exitCode: number;
  lines: Line[];
}

/**
 * Runs a command as the user would (from the project folder, SWARMLAB_STACK naming the bench stack) under GNU time,
 * recording its usage as a sample of `what`; its output is kept with each line's time, not shown.
 */
async function measured(what: Command, file: string, args: string[]): Promise<Ran> {
  const timesFile = path.join(TIMES_DIR, "usage");
  const started = process.hrtime.bigint();
  const lines: Line[] = [];
  const child = execa(GNU_TIME, ["-o", timesFile, "-f", "%e %U %S %M", file, ...args], {
    cwd: PROJECT_ROOT,
    env: { SWARMLAB_STACK: STACK },
    all: true,
    reject: false,
  });
  let partial = "";
  child.all?.on("data", (chunk: Buffer) => {
    const at = Number(process.hrtime.bigint() - started) / 1e9;
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) lines.push({ at, line });
  });
  const r = await child;
  if (partial) lines.push({ at: Number(process.hrtime.bigint() - started) / 1e9, line: partial });
  // GNU time's last line is the format; a line before it says when the command exited non-zero or was killed.
  const last = readFileSync(timesFile, "utf8").trim().split("\n").pop() ?? "";
  const [wall, user, sys, rssKiB] = last.split(" ").map(Number);
  if ([wall, user, sys, rssKiB].some((x) => !Number.isFinite(x))) throw new Error(`${what}: GNU time said '${last}'`);
  const usage = { wall, cpu: user + sys, maxRssMiB: rssKiB / 1024 };
  samples[what].push(usage);
  say(`  ${what.padEnd(13)} ${wall.toFixed(2).padStart(6)} s wall, ${usage.cpu.toFixed(2).padStart(6)} s CPU, ${usage.maxRssMiB.toFixed(0)} MiB`);
  return { usage, exitCode: r.exitCode, lines };
}

/** Like measured, but a command that fails stops the cycle, with the end of its output. */
async function ran(what: Command, file: string, args: string[]): Promise<Ran> {
  const r = await measured(what, file, args);
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}):\n${tail(r.lines.map((l) => l.line))}`);
  return r;
}

const baseline = (cmd: "up" | "down") => ran(`baseline ${cmd}`, "bash", [BASELINE, cmd, BASELINE_LAB, BASELINE_PREFIX]);
const npmRun = (what: Command, script: string) => ran(what, "npm", ["run", script]);

/** The verification suite against the bench stack's lab; a failure is returned, to be reported after the down. */
async function verify(): Promise<Error | undefined> {
  if (!existsSync(path.join(PROJECT_ROOT, SUITE))) return undefined;
  const r = await measured("suite", "npx", SUITE_ARGS);
  const text = r.lines.map((l) => l.line);
  const summary = text.filter((l) => /^\s*\d+ (passing|failing|pending)/.test(l)).map((l) => l.trim());
  say(`  suite: ${summary.join(", ") || "(no mocha summary)"}`);
  if (r.exitCode === 0) return undefined;
  const end = text.findIndex((l) => /^\s*\d+ failing/.test(l));
  const failed = text
    .slice(0, end < 0 ? text.length : end)
    .filter((l) => /^\s+\d+\) /.test(l))
    .map((l) => l.trim());
  return new Error(`verification suite failed (exit ${r.exitCode}): ${failed.length} failing\n  ${failed.join("\n  ")}\n${tail(text, 60)}`);
}

/** One swarmlab cycle on the bench stack; the last one also times adding a worker. */
async function swarmlab(last: boolean): Promise<void> {
  let stack: Stack | undefined;
  try {
    stack = await openStack(STACK, { name: LAB, subnet: SUBNET });
    const up = await npmRun("up", "up");
    const healthy = await npmRun("healthy up", "up");
    profiled.up ??= up;
    profiled["healthy up"] ??= healthy;
    await npmRun("status", "status");
    // A failing suite still leaves a lab to take down: time the down anyway, then report the failure.
    const suiteError = await verify();
    await npmRun("down", "down");
    if (suiteError) throw suiteError;
    if (last) {
      say("  adding a worker: npm run up, then npm run up with swarmlab:workers 3");
      await npmRun("up to add to", "up");
      await stack.setConfig("swarmlab:workers", { value: "3" });
      await npmRun("add a worker", "up");
    }
  } finally {
    await cleanUpSwarmlab(stack);
  }
}

/** Leaves nothing of the bench stack: destroys what is still deployed, sweeps the lab's label, forgets the stack. */
async function cleanUpSwarmlab(stack: Stack | undefined): Promise<void> {
  if (!stack) return void (await sweepLab({ name: LAB, backend: "docker" }, () => undefined));
  await discardStack(stack).catch((err) => say(`clean-up of ${STACK} failed: ${message(err)}`));
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Per run, the up + down pair's figure: the sum of a measure (wall, CPU) or its peak (RSS). */
function pairs(up: Command, down: Command, of: (u: Usage) => number, join = (a: number, b: number) => a + b): number[] {
  const n = Math.min(samples[up].length, samples[down].length);
  return Array.from({ length: n }, (_, i) => join(of(samples[up][i]), of(samples[down][i])));
}

const seconds = (x: number | undefined) => (x === undefined ? "n/a" : `${x.toFixed(1)} s`);
const mib = (x: number | undefined) => (x === undefined ? "n/a" : `${x.toFixed(0)} MiB`);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
const times = (x: number | undefined) => (x === undefined ? "n/a" : `${x.toFixed(1)}×`);
const of = (c: Command, m: keyof Usage) => median(samples[c].map((u) => u[m]));

function report(): void {
  const wall = (u: Usage) => u.wall;
  const cpu = (u: Usage) => u.cpu;
  const rss = (u: Usage) => u.maxRssMiB;
  const b = {
    wall: median(pairs("baseline up", "baseline down", wall)),
    cpu: median(pairs("baseline up", "baseline down", cpu)),
    rss: median(pairs("baseline up", "baseline down", rss, Math.max)),
  };
  const s = {
    wall: median(pairs("up", "down", wall)),
    cpu: median(pairs("up", "down", cpu)),
    rss: median(pairs("up", "down", rss, Math.max)),
  };
  const rows: [string, string, string, string][] = [
    [
      `up + down, wall (median of ${samples.down.length} pair${samples.down.length === 1 ? "" : "s"})`,
      seconds(b.wall),
      seconds(s.wall),
      times(ratio(s.wall, b.wall)),
    ],
    ["up + down, CPU (user+sys, whole process tree)", seconds(b.cpu), seconds(s.cpu), times(ratio(s.cpu, b.cpu))],
    ["`npm run up` on a healthy lab (no change)", "—", seconds(of("healthy up", "wall")), "—"],
    ["`npm run status`", "—", seconds(of("status", "wall")), "—"],
    [
      "`npm run down`",
      seconds(of("baseline down", "wall")),
      seconds(of("down", "wall")),
      times(ratio(of("down", "wall"), of("baseline down", "wall"))),
    ],
    ["peak memory of the cycle (max RSS)", mib(b.rss), mib(s.rss), ""],
    ["verification suite on a running lab", "—", seconds(of("suite", "wall")), "—"],
    ["adding one worker (`npm run up`, workers 3)", "—", seconds(of("add a worker", "wall")), "—"],
  ];
  const header: [string, string, string, string] = ["figure", "plain docker", "swarmlab", "ratio"];
  const width = [0, 1, 2, 3].map((i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i])).join(" | ")} |`;
  console.log(`\nbench: ${RUNS} run${RUNS === 1 ? "" : "s"}, medians; images warm (already built, not timed)\n`);
  console.log([line(header), line(width.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));

  console.log("\nbench: every sample (wall s / CPU s / max RSS MiB), in run order");
  for (const c of COMMANDS) {
    const list = samples[c].map((u) => `${u.wall.toFixed(1)}/${u.cpu.toFixed(1)}/${u.maxRssMiB.toFixed(0)}`);
    console.log(`  ${c.padEnd(14)} ${list.join("  ") || "-"}`);
  }

  const judged = (value: number | undefined, limit: number, what: string, shown: string) =>
    console.log(`  ${value === undefined ? "n/a " : value <= limit ? "PASS" : "MISS"}  ${what} (${shown})`);
  console.log("\nbench: issue 17's targets (reported, not enforced)");
  const wallRatio = ratio(s.wall, b.wall);
  const cpuRatio = ratio(s.cpu, b.cpu);
  judged(wallRatio, TARGET.wallRatio, `up + down ≤ ${TARGET.wallRatio}× the baseline's wall time`, times(wallRatio));
  judged(cpuRatio, TARGET.cpuRatio, `up + down ≤ ${TARGET.cpuRatio}× the baseline's CPU`, times(cpuRatio));
  judged(of("healthy up", "wall"), TARGET.healthyUp, `npm run up on a healthy lab ≤ ${TARGET.healthyUp} s`, seconds(of("healthy up", "wall")));
  judged(of("status", "wall"), TARGET.status, `npm run status ≤ ${TARGET.status} s`, seconds(of("status", "wall")));
  judged(of("down", "wall"), TARGET.down, `npm run down ≤ ${TARGET.down} s`, seconds(of("down", "wall")));
  judged(of("suite", "wall"), TARGET.suite, `the verification suite ≤ ${TARGET.suite} s`, seconds(of("suite", "wall")));
  console.log(
    `\nbench: baseline = scripts/baseline.sh (plain docker, nodes reached with docker exec, no SSH); ` +
      `swarmlab = the npm commands on stack ${STACK}, lab ${LAB} ${SUBNET}`,
  );
}

type Line = { at: number; line: string };
/** When a phase ends in an up's output, given when the previous one ended; undefined when its line is not there. */
type PhaseEnd = (lines: Line[], from: number) => number | undefined;
const first =
  (re: RegExp): PhaseEnd =>
  (lines, from) =>
    lines.find((l) => l.at >= from && re.test(l.line))?.at;
/** The last line matching `re` before the first line matching `stop`. */
const lastBefore =
  (re: RegExp, stop: RegExp): PhaseEnd =>
  (lines, from) => {
    const after = lines.filter((l) => l.at >= from);
    const end = after.findIndex((l) => stop.test(l.line));
    return after
      .slice(0, end < 0 ? after.length : end)
      .filter((l) => re.test(l.line))
      .pop()?.at;
  };

/** Where an npm run up spends its time, read from the moments its output lines came (see docs/speed.md). */
const PHASES: [string, PhaseEnd][] = [
  ["npm run, scripts/node.sh (its line is the last before the quick set-up, which prints nothing)", lastBefore(/\S/, /^swarmlab: /)],
  ["set-up's quick checks, scripts/up.ts loaded (compiled ahead), the stack opened, its settings read", first(/^swarmlab: checking this machine/)],
  ["doctor (the preflight)", first(/^swarmlab: pulumi up on stack/)],
  ["Pulumi starts the update (CLI, language host)", first(/^Updating \(/)],
  ["refresh (every part of the live lab read)", lastBefore(/ refresh \(/, /^Resources:/)],
  ["the parts made or found unchanged", lastBefore(/dynamic\/swarmlab:\w+ /, /^Resources:/)],
  ["final look (nodes, tasks, pings) and the update's end", first(/^Resources:/)],
  ["outputs read back, the lab printed", first(/^swarmlab: lab '.*' up in /)],
];

/** The same for an up that found the lab as its last up recorded it, and did not start the engine (lab/settled.ts). */
const SETTLED_PHASES: [string, PhaseEnd][] = [
  PHASES[0],
  ["set-up's quick checks, scripts/up.ts loaded (compiled ahead), the record of the last up checked", first(/^swarmlab: checking this machine/)],
  ["doctor, host checks, every part read and checked, and the final look, at once", first(/reads as the last up left it/)],
  ["the lab printed", first(/^swarmlab: lab '.*' up in /)],
];

function profile(which: "up" | "healthy up"): void {
  const r = profiled[which];
  if (!r) return;
  console.log(`\nbench: profile of the first ${which === "up" ? "npm run up (a new lab)" : "npm run up on a healthy lab"}`);
  console.log("  seconds since it started when its output reached the end of each phase (+ the phase's own time)");
  let previous = 0;
  const row = (at: number, phase: string) => {
    console.log(`  ${at.toFixed(1).padStart(6)} (+${(at - previous).toFixed(1).padStart(5)})  ${phase}`);
    previous = at;
  };
  const settled = r.lines.some((l) => /reads as the last up left it/.test(l.line));
  if (settled) console.log("  (the engine was not started: every part read as the last up left it)");
  for (const [phase, end] of settled ? SETTLED_PHASES : PHASES) {
    const at = end(r.lines, previous);
    if (at === undefined) console.log(`  ${"-".padStart(6)}           ${phase}: not seen`);
    else row(at, phase);
  }
  row(r.usage.wall, "exit");
}

async function imagesWarm(): Promise<string> {
  const r = await execa("docker", ["image", "inspect", "--format", "{{.Id}}", NODE_IMAGE, DEFAULT_IMAGE], { reject: false });
  if (r.exitCode !== 0) {
    throw new Error(`${NODE_IMAGE} and ${DEFAULT_IMAGE} must be built before benchmarking (npm run up builds them): ${r.stderr}`);
  }
  const [node, busybox] = r.stdout.split("\n").map((id) => id.replace(/^sha256:/, "").slice(0, 12));
  return `${NODE_IMAGE} ${node}, ${DEFAULT_IMAGE} ${busybox}`;
}

async function main(): Promise<number> {
  // The labs it makes and the commands it runs read this environment: a bad value stops it first (bench names its
  // own stack, so the SWARMLAB_STACK it was given is not one it reads).
  const bad = environmentProblems({ ...process.env, SWARMLAB_STACK: undefined });
  for (const e of bad) console.error(`bench: ${e.message}`);
  if (bad.length > 0) return 2;
  if (!existsSync(GNU_TIME)) {
    console.error(`bench: needs GNU time at ${GNU_TIME} (Debian and Ubuntu: apt-get install time)`);
    return 2;
  }
  SUBNET = await unusedSubnet(100 + (process.pid % 150));
  say(`images warm (already built, build time not measured): ${await imagesWarm()}`);
  if (!existsSync(path.join(PROJECT_ROOT, SUITE))) say(`NOTE: no verification suite (${SUITE}): its figure and target are n/a`);
  say(`${RUNS} run(s); baseline lab ${BASELINE_LAB} ${BASELINE_PREFIX}.0/24, swarmlab stack ${STACK} lab ${LAB} ${SUBNET}`);

  for (let run = 1; run <= RUNS; run++) {
    say(`run ${run}/${RUNS}`);
    try {
      try {
        await baseline("up");
        await baseline("down");
      } finally {
        await execa("bash", [BASELINE, "down", BASELINE_LAB, BASELINE_PREFIX], { reject: false });
      }
      await swarmlab(run === RUNS);
    } catch (err) {
      failures.push(`run ${run}: ${message(err).split("\n")[0]}`);
      say(`run ${run} FAILED: ${message(err)}`);
    }
  }

  report();
  profile("up");
  profile("healthy up");
  if (failures.length) {
    console.log(`\nbench: ${failures.length} failure(s):\n  ${failures.join("\n  ")}`);
    return 1;
  }
  return 0;
}

main()
  .finally(() => rmSync(TIMES_DIR, { recursive: true, force: true }))
  .then(
    (code) => process.exit(code),
    (err) => {
      console.error(`bench: ${message(err)}`);
      process.exit(1);
    },
  );
