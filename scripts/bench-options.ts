// npm run bench's command line, and what both of its modes share: the baseline script and the verification suite.
import path from "node:path";
import { PROJECT_ROOT } from "../infra/provider";
import { labNameProblem } from "../lab/lab-name";
import { Ran, say, tail } from "./bench-measure";

export const USAGE = [
  "usage: npm run bench [runs, default 3]                      the default lab, swarmlab against plain docker",
  "       npm run bench -- --grow [--workers 2,5,10] [--managers 1,3]   how it grows: one lab per size",
  "  either one: [--stack <name>] [--subnet 192.168.X.0/24] [--baseline-subnet 192.168.Y.0/24]",
].join("\n");

export const BASELINE = path.join(PROJECT_ROOT, "scripts", "baseline.sh");
// The lab's verification suite only (test/e2e/engine.test.ts checks the Pulumi CLI, not the lab).
export const SUITE = "test/e2e/lab.test.ts";
export const SUITE_ARGS = ["mocha", "--timeout", "600000", "--grep", "lifecycle", "--invert", SUITE];

export interface BenchOptions {
  grow: boolean;
  /** Pairs of cycles (the default mode). */
  runs: number;
  /** The bench's own stack (and lab swarmlab-<stack>), made and forgotten by it. */
  stack: string;
  lab: string;
  /** The swarmlab lab's subnet; undefined: a free 192.168.N.0/24 found at the start. */
  subnet?: string;
  /** The baseline lab's /24, as its first three numbers. */
  baselinePrefix: string;
  /** --grow: the sizes, every worker count with every manager count. */
  workers: number[];
  managers: number[];
}

export class UsageError extends Error {}

/** The command line, or a UsageError naming what is wrong with it. */
export function parseBenchArgs(argv: string[], pid = process.pid): BenchOptions {
  const o: BenchOptions = {
    grow: false,
    runs: 3,
    stack: `bench-${pid}`,
    lab: "",
    baselinePrefix: "192.168.61",
    workers: [2, 5, 10],
    managers: [1, 3],
  };
  const args = [...argv];
  const valueOf = (flag: string) => {
    const v = args.shift();
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const counts = (flag: string, v: string, allowed: (n: number) => boolean) => {
    const list = v.split(",").map(Number);
    if (list.length === 0 || !list.every((n) => Number.isInteger(n) && allowed(n)))
      throw new UsageError(`${flag} ${v}: not a list of allowed counts`);
    return list;
  };
  const prefixOf = (flag: string, v: string) => {
    const m = /^(192\.168\.\d{1,3})\.0\/24$/.exec(v);
    if (!m || Number(v.split(".")[2]) > 255) throw new UsageError(`${flag} ${v}: give a 192.168.X.0/24`);
    return m[1];
  };
  while (args.length > 0) {
    const a = args.shift() as string;
    if (a === "--grow") o.grow = true;
    else if (a === "--stack") o.stack = valueOf(a);
    else if (a === "--subnet") o.subnet = `${prefixOf(a, valueOf(a))}.0/24`;
    else if (a === "--baseline-subnet") o.baselinePrefix = prefixOf(a, valueOf(a));
    else if (a === "--workers") o.workers = counts(a, valueOf(a), (n) => n >= 1 && n <= 20);
    else if (a === "--managers") o.managers = counts(a, valueOf(a), (n) => [1, 3, 5].includes(n));
    else if (/^\d+$/.test(a) && Number(a) >= 1) o.runs = Number(a);
    else throw new UsageError(`what is '${a}'?`);
  }
  o.lab = `swarmlab-${o.stack.toLowerCase()}`;
  const bad = labNameProblem(o.lab);
  if (bad) throw new UsageError(`--stack ${o.stack} gives the lab name ${o.lab}: ${bad}`);
  if (o.subnet?.startsWith(`${o.baselinePrefix}.`)) throw new UsageError(`the lab and the baseline need two subnets, not both ${o.subnet}`);
  return o;
}

/** The suite's mocha summary said; a failure is returned as an error naming the failing claims, to report later. */
export function suiteSummary(r: Ran): Error | undefined {
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
