// npm run bench [N] — how long the swarmlab lab takes, against plain docker doing the same (scripts/baseline.sh).
//
// Each of N runs (default 3), in this one process:
//   baseline   bash scripts/baseline.sh up|down  (plain docker commands, nodes reached with docker exec)
//   swarmlab   stack bench-<pid> (swarmlab:name swarmlab-bench-<pid>, a 192.168.N.0/24 that nothing uses):
//              up (with its refresh, as npm run up), the e2e verification suite against it (its lifecycle tests
//              excluded), up again with one more worker, down (destroy and sweep), then the stack is removed.
// Then a table of per-phase medians and the targets: `up` within 2x the baseline and under 30 s,
// verification under 10 s. The script reports; it exits non-zero only when something failed to run.
//
// Both use their own lab names and subnets, so a lab of another stack (dev: swarmlab, 192.168.56.0/24) is untouched.
import { existsSync } from "node:fs";
import path from "node:path";
import execa from "execa";
import type { Stack } from "@pulumi/pulumi/automation";
import { discardStack, downLab, openStack, upLab } from "../infra/stack";
import { PROJECT_ROOT } from "../infra/provider";
import { unusedSubnet } from "../lab/host-facts";
import { sweepLab } from "../lab/inventory";
import { NODE_IMAGE } from "../lab/backends/docker/names";
import { DEFAULT_IMAGE } from "../lab/config";
import { environmentProblems } from "./doctor";

const RUNS = Number(process.argv[2] ?? 3);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error("usage: ts-node scripts/bench.ts [runs, default 3]");
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

const TARGET_UP_RATIO = 2;
const TARGET_UP_SECONDS = 30;
const TARGET_VERIFY_SECONDS = 10;

type Phase = "baseline up" | "baseline down" | "swarmlab up" | "verification" | "add a worker" | "swarmlab down";
const PHASES: Phase[] = ["baseline up", "baseline down", "swarmlab up", "verification", "add a worker", "swarmlab down"];
const times = Object.fromEntries(PHASES.map((p) => [p, [] as number[]])) as Record<Phase, number[]>;
const failures: string[] = [];

const say = (s: string) => console.log(`bench: ${s}`);

async function timed<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const result = await fn();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  times[phase].push(seconds);
  say(`  ${phase.padEnd(14)} ${seconds.toFixed(2)} s`);
  return result;
}

function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

async function baseline(cmd: "up" | "down"): Promise<void> {
  const r = await execa("bash", [BASELINE, cmd, BASELINE_LAB, BASELINE_PREFIX], { all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`baseline.sh ${cmd} failed (exit ${r.exitCode}):\n${tail(r.all ?? "")}`);
}

const suiteExists = () => existsSync(path.join(PROJECT_ROOT, SUITE));

/** The verification suite against the bench stack's lab; false when there is no suite to run. */
async function verify(): Promise<boolean> {
  if (!suiteExists()) return false;
  const r = await timed("verification", () =>
    execa("npx", ["mocha", "--timeout", "600000", "--grep", "lifecycle", "--invert", SUITE], {
      cwd: PROJECT_ROOT,
      env: { SWARMLAB_STACK: STACK },
      all: true,
      reject: false,
    }),
  );
  const summary = (r.all ?? "").split("\n").filter((l) => /^\s*\d+ (passing|failing|pending)/.test(l));
  say(`  verification: ${summary.map((l) => l.trim()).join(", ") || "(no mocha summary)"}`);
  if (r.exitCode !== 0) {
    const lines = (r.all ?? "").split("\n");
    const end = lines.findIndex((l) => /^\s*\d+ failing/.test(l));
    const failed = lines
      .slice(0, end < 0 ? lines.length : end)
      .filter((l) => /^\s+\d+\) /.test(l))
      .map((l) => l.trim());
    throw new Error(`verification suite failed (exit ${r.exitCode}): ${failed.length} failing\n  ${failed.join("\n  ")}\n${tail(r.all ?? "", 60)}`);
  }
  return true;
}

async function swarmlab(): Promise<boolean> {
  let stack: Stack | undefined;
  let output = "";
  const collect = (s: string) => {
    output += s;
  };
  let verified: boolean;
  try {
    stack = await openStack(STACK, { name: LAB, subnet: SUBNET });
    const s = stack;
    await timed("swarmlab up", () => upLab(s, collect)).catch((err) => {
      throw new Error(`stack.up() failed: ${err instanceof Error ? err.message : err}\n${tail(output)}`);
    });
    // A failing suite still leaves a lab to take down: time the destroy anyway, then report the failure.
    let verifyError: unknown;
    verified = await verify().catch((err) => {
      verifyError = err;
      return true;
    });
    output = "";
    await s.setConfig("swarmlab:workers", { value: "3" });
    await timed("add a worker", () => upLab(s, collect)).catch((err) => {
      throw new Error(`up with 3 workers failed: ${err instanceof Error ? err.message : err}\n${tail(output)}`);
    });
    output = "";
    await timed("swarmlab down", async () => {
      const { error, left } = await downLab(s, collect);
      if (error || left.length) throw new Error(`down: ${error?.message ?? ""} left: ${left.join(", ")}`);
    }).catch((err) => {
      throw new Error(`down failed: ${err instanceof Error ? err.message : err}\n${tail(output)}`);
    });
    if (verifyError) throw verifyError;
  } finally {
    await cleanUpSwarmlab(stack);
  }
  return verified;
}

/** Leaves nothing of the bench stack: destroys what is still deployed, sweeps the lab's label, forgets the stack. */
async function cleanUpSwarmlab(stack: Stack | undefined): Promise<void> {
  if (!stack) return void (await sweepLab({ name: LAB, backend: "docker" }, () => undefined));
  await discardStack(stack).catch((err) => say(`clean-up of ${STACK} failed: ${err instanceof Error ? err.message : err}`));
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (x: number | undefined, unit = "") => (x === undefined ? "n/a" : `${x.toFixed(1)}${unit}`);
const verdict = (ok: boolean | undefined) => (ok === undefined ? "n/a " : ok ? "PASS" : "MISS");

function report(suiteMissing: boolean): void {
  const m = Object.fromEntries(PHASES.map((p) => [p, median(times[p])])) as Record<Phase, number | undefined>;
  console.log(`\nbench: medians over ${RUNS} run${RUNS === 1 ? "" : "s"} (seconds); images warm (already built, not timed)`);
  console.log(`  ${"phase".padEnd(16)} ${"median".padStart(7)}   runs`);
  for (const p of PHASES) {
    console.log(`  ${p.padEnd(16)} ${fmt(m[p]).padStart(7)}   ${times[p].map((t) => t.toFixed(1)).join(" ") || "-"}`);
  }
  const bUp = m["baseline up"],
    bDown = m["baseline down"],
    sUp = m["swarmlab up"],
    sDown = m["swarmlab down"];
  const upRatio = bUp !== undefined && sUp !== undefined ? sUp / bUp : undefined;
  const totalRatio = bUp !== undefined && bDown !== undefined && sUp !== undefined && sDown !== undefined ? (sUp + sDown) / (bUp + bDown) : undefined;
  console.log(`  ${"up ratio".padEnd(16)} ${fmt(upRatio, "x").padStart(7)}   swarmlab up / baseline up`);
  console.log(`  ${"total ratio".padEnd(16)} ${fmt(totalRatio, "x").padStart(7)}   swarmlab (up+down) / baseline (up+down)`);
  const add = m["add a worker"];
  const addRatio = add !== undefined && sUp !== undefined ? add / sUp : undefined;
  console.log(`  ${"add ratio".padEnd(16)} ${fmt(addRatio, "x").padStart(7)}   up with one more worker / full swarmlab up`);

  const verifyMedian = m["verification"];
  console.log(`\nbench: targets`);
  console.log(
    `  ${verdict(upRatio === undefined ? undefined : upRatio <= TARGET_UP_RATIO)}  up within ${TARGET_UP_RATIO}x the baseline (${fmt(upRatio, "x")})`,
  );
  console.log(`  ${verdict(sUp === undefined ? undefined : sUp < TARGET_UP_SECONDS)}  up under ${TARGET_UP_SECONDS} s (${fmt(sUp, " s")})`);
  console.log(
    `  ${verdict(verifyMedian === undefined ? undefined : verifyMedian < TARGET_VERIFY_SECONDS)}  verification under ${TARGET_VERIFY_SECONDS} s (` +
      (suiteMissing ? `not run: no ${SUITE} yet` : fmt(verifyMedian, " s")) +
      ")",
  );
  console.log(
    `\nbench: baseline = scripts/baseline.sh (plain docker, nodes reached with docker exec, no SSH); ` +
      `swarmlab = Pulumi Automation API stack ${STACK}, lab ${LAB} ${SUBNET}`,
  );
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
  // The labs it makes and the suite it runs read this environment: a bad value stops it first (bench names its own
  // stack, so SWARMLAB_STACK is not one it reads).
  const bad = environmentProblems({ ...process.env, SWARMLAB_STACK: undefined });
  for (const e of bad) console.error(`bench: ${e.message}`);
  if (bad.length > 0) return 2;
  SUBNET = await unusedSubnet(100 + (process.pid % 150));
  say(`images warm (already built, build time not measured): ${await imagesWarm()}`);
  const suiteMissing = !suiteExists();
  if (suiteMissing) {
    say(`NOTE: no verification suite (${SUITE} matches nothing): the verification phase is skipped and its target not judged`);
  }
  say(`${RUNS} run(s); baseline lab ${BASELINE_LAB} ${BASELINE_PREFIX}.0/24, swarmlab stack ${STACK} lab ${LAB} ${SUBNET}`);

  for (let run = 1; run <= RUNS; run++) {
    say(`run ${run}/${RUNS}`);
    try {
      try {
        await timed("baseline up", () => baseline("up"));
        await timed("baseline down", () => baseline("down"));
      } finally {
        await baseline("down").catch((err) => say(`clean-up: ${err instanceof Error ? err.message : err}`));
      }
      await swarmlab();
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      failures.push(`run ${run}: ${msg.split("\n")[0]}`);
      say(`run ${run} FAILED: ${msg}`);
    }
  }

  report(suiteMissing);
  if (failures.length) {
    console.log(`\nbench: ${failures.length} failure(s):\n  ${failures.join("\n  ")}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  },
);
