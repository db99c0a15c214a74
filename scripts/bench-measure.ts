// What both benches (scripts/bench.ts, scripts/bench-grow.ts) measure a command with: GNU time around it, its output
// lines each with the moment it came, and the profile of an `npm run up` read from those moments (docs/speed.md).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import execa from "execa";
import { PROJECT_ROOT } from "../infra/provider";
import { NODE_IMAGE } from "../lab/backends/docker/names";
import { DEFAULT_IMAGE } from "../lab/config";

export const GNU_TIME = "/usr/bin/time";

/** What GNU time says of one command: seconds of wall and of CPU (user + sys), and its largest process's RSS. */
export interface Usage {
  wall: number;
  cpu: number;
  maxRssMiB: number;
}
export type Line = { at: number; line: string };
export interface Ran {
  usage: Usage;
  exitCode: number;
  lines: Line[];
}

export const say = (s: string) => console.log(`bench: ${s}`);
export const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
export const tail = (lines: string[], n = 40) => lines.slice(-n).join("\n");

/**
 * Runs a command as the user would (from the project folder, SWARMLAB_STACK naming the bench's stack) under GNU
 * time; its output is kept with each line's time, not shown.
 */
export async function measure(stack: string, file: string, args: readonly string[]): Promise<Ran> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-bench-"));
  const timesFile = path.join(dir, "usage");
  try {
    const started = process.hrtime.bigint();
    const lines: Line[] = [];
    const child = execa(GNU_TIME, ["-o", timesFile, "-f", "%e %U %S %M", file, ...args], {
      cwd: PROJECT_ROOT,
      env: { SWARMLAB_STACK: stack },
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
    if ([wall, user, sys, rssKiB].some((x) => !Number.isFinite(x))) throw new Error(`${file} ${args.join(" ")}: GNU time said '${last}'`);
    return { usage: { wall, cpu: user + sys, maxRssMiB: rssKiB / 1024 }, exitCode: r.exitCode, lines };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fails with the end of its output unless the command succeeded. */
export function succeeded(what: string, r: Ran): Ran {
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}):\n${tail(r.lines.map((l) => l.line))}`);
  return r;
}

export function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const seconds = (x: number | undefined) => (x === undefined ? "n/a" : `${x.toFixed(1)} s`);
export const mib = (x: number | undefined) => (x === undefined ? "n/a" : `${x.toFixed(0)} MiB`);
export const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
export const times = (x: number | undefined) => (x === undefined ? "n/a" : `${x.toFixed(1)}×`);
/** A target's verdict: PASS when the value is at most the limit. */
export const verdict = (value: number | undefined, limit: number) => (value === undefined ? "n/a " : value <= limit ? "PASS" : "MISS");

/** A Markdown table, its columns padded to their widest cell. */
export function markdownTable(header: string[], rows: string[][]): string {
  const width = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i])).join(" | ")} |`;
  return [line(header), line(width.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The images the labs are made of must be there already: their build is not what the benches time. */
export async function imagesWarm(): Promise<string> {
  const r = await execa("docker", ["image", "inspect", "--format", "{{.Id}}", NODE_IMAGE, DEFAULT_IMAGE], { reject: false });
  if (r.exitCode !== 0) {
    throw new Error(`${NODE_IMAGE} and ${DEFAULT_IMAGE} must be built before benchmarking (npm run up builds them): ${r.stderr}`);
  }
  const [node, busybox] = r.stdout.split("\n").map((id) => id.replace(/^sha256:/, "").slice(0, 12));
  return `${NODE_IMAGE} ${node}, ${DEFAULT_IMAGE} ${busybox}`;
}

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

/** Prints when each phase of one npm run up ended, and its own time. */
export function printProfile(title: string, r: Ran): void {
  console.log(`\nbench: profile of ${title}`);
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
