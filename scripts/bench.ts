// npm run bench [N] — what a user waits for, swarmlab against plain docker doing the same (scripts/baseline.sh):
// the table of issue 17, from one run (docs/speed.md shows it and says what each figure means).
// npm run bench -- --grow — how it grows with the nodes (issue 19): scripts/bench-grow.ts. The command line of both:
// scripts/bench-options.ts (--stack, --subnet and --baseline-subnet keep a shared machine's labs apart).
//
// Each of N runs (default 3) is a pair of cycles, every command a child process under GNU time (elapsed, user, sys,
// max RSS of it and every descendant it waited for: the Pulumi CLI, the language host, the provider processes):
//   baseline   bash scripts/baseline.sh up, then down  (plain docker commands, nodes reached with docker exec)
//   swarmlab   npm run up, npm run up again (a healthy lab, no change), npm run status, the verification suite
//              (npx mocha … test/e2e/lab.test.ts, its lifecycle tests excluded), npm run down
// all with SWARMLAB_STACK=bench-<pid> (or --stack), a stack of its own (swarmlab:name swarmlab-<stack>, a
// 192.168.N.0/24 that nothing uses, or --subnet; the baseline lab swarmlab-<stack>-base on 192.168.61.0/24 or
// --baseline-subnet). After the last run's down, once: npm run up, then npm run up with swarmlab:workers 3 (the
// time of adding one worker). Whatever fails, the stack's lab is destroyed and swept and the stack forgotten.
// Then the table (medians; ratios swarmlab / baseline), the targets as PASS or MISS (a report: a MISS does
// not fail it) and the profile of one npm run up from its output lines. It exits non-zero only when something
// failed to run.
//
// Both use their own lab names and subnets, so a lab of another stack (dev: swarmlab, 192.168.56.0/24) is untouched.
import { existsSync } from "node:fs";
import path from "node:path";
import execa from "execa";
import type { Stack } from "@pulumi/pulumi/automation";
import { discardStack, openStack } from "../infra/stack";
import { PROJECT_ROOT } from "../infra/provider";
import { unusedSubnet } from "../lab/host-facts";
import { sweepLab } from "../lab/inventory";
import { environmentProblems } from "./doctor";
import { BASELINE, BenchOptions, parseBenchArgs, SUITE, SUITE_ARGS, suiteSummary, USAGE, UsageError } from "./bench-options";
import {
  GNU_TIME,
  imagesWarm,
  markdownTable,
  measure,
  median,
  message,
  mib,
  printProfile,
  Ran,
  ratio,
  say,
  seconds,
  succeeded,
  times,
  Usage,
} from "./bench-measure";
import { grow } from "./bench-grow";

let OPTIONS: BenchOptions;
let RUNS = 3;
let STACK = "";
let LAB = "";
let SUBNET = "";
let BASELINE_LAB = "";
let BASELINE_PREFIX = "";

// Issue 17's targets, point 2.
const TARGET = { wallRatio: 2, cpuRatio: 5, healthyUp: 5, status: 1, down: 4, suite: 10 };

type Command = "baseline up" | "baseline down" | "up" | "healthy up" | "status" | "suite" | "down" | "up to add to" | "add a worker";
const COMMANDS: Command[] = ["baseline up", "baseline down", "up", "healthy up", "status", "suite", "down", "up to add to", "add a worker"];
const samples = Object.fromEntries(COMMANDS.map((c) => [c, [] as Usage[]])) as Record<Command, Usage[]>;
const failures: string[] = [];
/** The first fresh and the first healthy npm run up: their output lines, each with its seconds since the start. */
const profiled: Partial<Record<"up" | "healthy up", Ran>> = {};

/** Runs a command under GNU time (bench-measure.ts), recording its usage as a sample of `what`. */
async function measured(what: Command, file: string, args: string[]): Promise<Ran> {
  const r = await measure(STACK, file, args);
  const { usage } = r;
  samples[what].push(usage);
  say(
    `  ${what.padEnd(13)} ${usage.wall.toFixed(2).padStart(6)} s wall, ${usage.cpu.toFixed(2).padStart(6)} s CPU, ${usage.maxRssMiB.toFixed(0)} MiB`,
  );
  return r;
}

/** Like measured, but a command that fails stops the cycle, with the end of its output. */
async function ran(what: Command, file: string, args: string[]): Promise<Ran> {
  return succeeded(what, await measured(what, file, args));
}

const baseline = (cmd: "up" | "down") => ran(`baseline ${cmd}`, "bash", [BASELINE, cmd, BASELINE_LAB, BASELINE_PREFIX]);
const npmRun = (what: Command, script: string) => ran(what, "npm", ["run", script]);

/** The verification suite against the bench stack's lab; a failure is returned, to be reported after the down. */
async function verify(): Promise<Error | undefined> {
  if (!existsSync(path.join(PROJECT_ROOT, SUITE))) return undefined;
  const r = await measured("suite", "npx", SUITE_ARGS);
  return suiteSummary(r);
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

/** Per run, the up + down pair's figure: the sum of a measure (wall, CPU) or its peak (RSS). */
function pairs(up: Command, down: Command, of: (u: Usage) => number, join = (a: number, b: number) => a + b): number[] {
  const n = Math.min(samples[up].length, samples[down].length);
  return Array.from({ length: n }, (_, i) => join(of(samples[up][i]), of(samples[down][i])));
}

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
  console.log(`\nbench: ${RUNS} run${RUNS === 1 ? "" : "s"}, medians; images warm (already built, not timed)\n`);
  console.log(markdownTable(["figure", "plain docker", "swarmlab", "ratio"], rows));

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

function profile(which: "up" | "healthy up"): void {
  const r = profiled[which];
  if (r) printProfile(`the first ${which === "up" ? "npm run up (a new lab)" : "npm run up on a healthy lab"}`, r);
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
  try {
    OPTIONS = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`bench: ${err.message}\n${USAGE}`);
    return 2;
  }
  ({ runs: RUNS, stack: STACK, lab: LAB, baselinePrefix: BASELINE_PREFIX } = OPTIONS);
  BASELINE_LAB = `${LAB}-base`;
  SUBNET = OPTIONS.subnet ?? (await unusedSubnet(100 + (process.pid % 150)));
  say(`images warm (already built, build time not measured): ${await imagesWarm()}`);
  if (!existsSync(path.join(PROJECT_ROOT, SUITE))) say(`NOTE: no verification suite (${SUITE}): its figure and target are n/a`);
  if (OPTIONS.grow) return grow(OPTIONS, SUBNET);
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

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench: ${message(err)}`);
    process.exit(1);
  },
);
