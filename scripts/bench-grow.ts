// npm run bench -- --grow: how the lab grows (issue 19, part 3). For each size, workers 2, 5 and 10 with one manager
// (and with 3 managers once swarmlab:managers exists), in one run:
//   baseline   bash scripts/baseline.sh up <lab> <prefix> W M, the lab settles, its nodes' memory, then down
//   swarmlab   a new stack with swarmlab:workers W (swarmlab:managers M), npm run up, the lab settles, its nodes'
//              memory, the verification suite, npm run down; the stack is then destroyed, swept and forgotten
// then one table with the ratios at each size, the issue's targets as PASS or MISS, and where each up's time went.
// A size that fails is reported and the next one runs; it exits non-zero when anything failed to run.
import { setTimeout as sleep } from "node:timers/promises";
import execa from "execa";
import type { Stack } from "@pulumi/pulumi/automation";
import { discardStack, openStack } from "../infra/stack";
import { sweepLab } from "../lab/inventory";
import { labSpecFromConfig } from "../lab/config";
import { BASELINE, BenchOptions, SUITE_ARGS, suiteSummary } from "./bench-options";
import {
  Line,
  markdownTable,
  measure,
  median,
  message,
  printProfile,
  Ran,
  ratio,
  say,
  seconds,
  succeeded,
  times,
  Usage,
  verdict,
} from "./bench-measure";
import { NodeMemory, nodeMemory } from "./node-memory";

/** Issue 19's targets: the largest lab's up within 2× plain docker's at that size, an idle node within 80 MiB. */
export const GROW_TARGET = { workers: 10, upRatio: 2, idleNodeMiB: 80 };
/** How long a lab is left alone after its up before its nodes' memory is read: the engines' start-up work is done. */
const SETTLE_MS = 20_000;
const MiB = 1024 * 1024;

interface Size {
  workers: number;
  managers: number;
}

interface Row extends Size {
  baselineUp?: Usage;
  baselineDown?: Usage;
  baselineMemory: NodeMemory[];
  up?: Ran;
  suite?: Usage;
  down?: Usage;
  memory: NodeMemory[];
  failures: string[];
}

/** Whether this checkout's settings know swarmlab:managers (it is being added): 3 managers must give 3 of them. */
export function managersSupported(): boolean {
  try {
    return labSpecFromConfig({ workers: "3", managers: "3" }).nodes.filter((n) => n.role === "manager").length === 3;
  } catch {
    return false;
  }
}

export async function grow(o: BenchOptions, subnet: string): Promise<number> {
  const canManage = managersSupported();
  const managers = o.managers.filter((m) => m === 1 || canManage);
  const left = o.managers.filter((m) => !managers.includes(m));
  if (left.length) say(`NOTE: no swarmlab:managers setting in this checkout (lab/config.ts): the ${left.join(", ")}-manager rows are left out`);
  const sizes = managers.flatMap((m) => o.workers.map((w) => ({ workers: w, managers: m })));
  const baselineLab = `${o.lab}-base`;
  say(`grow: ${sizes.map(sizeName).join("; ")}`);
  say(
    `baseline lab ${baselineLab} ${o.baselinePrefix}.0/24, swarmlab stack ${o.stack} lab ${o.lab} ${subnet}; each lab settles ${SETTLE_MS / 1000} s before its memory is read`,
  );

  const rows: Row[] = [];
  for (const size of sizes) {
    say(`${sizeName(size)}`);
    const row: Row = { ...size, baselineMemory: [], memory: [], failures: [] };
    rows.push(row);
    await baselineAt(row, baselineLab, o.baselinePrefix).catch((err) => fail(row, "baseline", err));
    await swarmlabAt(row, o, subnet).catch((err) => fail(row, "swarmlab", err));
  }

  report(rows, o, subnet, baselineLab);
  const failures = rows.flatMap((r) => r.failures.map((f) => `${sizeName(r)}: ${f.split("\n")[0]}`));
  if (failures.length) console.log(`\nbench: ${failures.length} failure(s):\n  ${failures.join("\n  ")}`);
  return failures.length ? 1 : 0;
}

const sizeName = (s: Size) => `${s.managers} manager${s.managers === 1 ? "" : "s"} + ${s.workers} worker${s.workers === 1 ? "" : "s"}`;

function fail(row: Row, side: string, err: unknown): void {
  row.failures.push(`${side}: ${message(err)}`);
  say(`  ${side} FAILED: ${message(err)}`);
}

function timed(what: string, r: Ran): Ran {
  const { wall, cpu } = r.usage;
  say(`  ${what.padEnd(14)} ${wall.toFixed(2).padStart(6)} s wall, ${cpu.toFixed(2).padStart(6)} s CPU`);
  return succeeded(what, r);
}

async function settledMemory(lab: string): Promise<NodeMemory[]> {
  await sleep(SETTLE_MS);
  const memory = await nodeMemory(lab);
  say(`  idle memory    ${describeMemory(memory)}`);
  return memory;
}

async function baselineAt(row: Row, lab: string, prefix: string): Promise<void> {
  const script = (cmd: string, ...size: number[]) => ["bash", [BASELINE, cmd, lab, prefix, ...size.map(String)]] as const;
  try {
    row.baselineUp = timed("baseline up", await measure("", ...script("up", row.workers, row.managers))).usage;
    row.baselineMemory = await settledMemory(lab);
    row.baselineDown = timed("baseline down", await measure("", ...script("down"))).usage;
  } finally {
    await execa(...script("down"), { reject: false });
  }
}

async function swarmlabAt(row: Row, o: BenchOptions, subnet: string): Promise<void> {
  let stack: Stack | undefined;
  try {
    const settings = { name: o.lab, subnet, workers: String(row.workers), ...(row.managers > 1 ? { managers: String(row.managers) } : {}) };
    stack = await openStack(o.stack, settings);
    row.up = timed("npm run up", await measure(o.stack, "npm", ["run", "up"]));
    row.memory = await settledMemory(o.lab);
    // A failing suite still leaves a lab to take down: time the down anyway, then report the failure.
    const suite = await measure(o.stack, "npx", SUITE_ARGS);
    row.suite = suite.usage;
    say(`  ${"suite".padEnd(14)} ${suite.usage.wall.toFixed(2).padStart(6)} s wall`);
    const suiteError = suiteSummary(suite);
    row.down = timed("npm run down", await measure(o.stack, "npm", ["run", "down"])).usage;
    if (suiteError) throw suiteError;
  } finally {
    // Leaves nothing of the stack: destroys what is still deployed, sweeps the lab's label, forgets the stack.
    if (stack) await discardStack(stack).catch((err) => say(`clean-up of ${o.stack} failed: ${message(err)}`));
    else await sweepLab({ name: o.lab, backend: "docker" }, () => undefined);
  }
}

const mibOf = (m: NodeMemory[]) => m.map((n) => n.bytes / MiB);
const largest = (m: NodeMemory[]) => (m.length ? Math.max(...mibOf(m)) : undefined);
const mean = (m: NodeMemory[]) => (m.length ? mibOf(m).reduce((a, b) => a + b, 0) / m.length : undefined);

/** "mean 58 / largest 63 MiB (manager 63, workers 55–60)". */
export function describeMemory(m: NodeMemory[]): string {
  if (!m.length) return "n/a";
  const range = (role: string) => {
    const xs = mibOf(m.filter((n) => n.role === role)).map((x) => Math.round(x));
    if (!xs.length) return undefined;
    const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
    return `${role}${xs.length === 1 ? "" : "s"} ${lo === hi ? lo : `${lo}–${hi}`}`;
  };
  const roles = ["manager", "worker"].map(range).filter(Boolean).join(", ");
  return `mean ${mean(m)?.toFixed(0)} / largest ${largest(m)?.toFixed(0)} MiB (${roles})`;
}

const memoryCell = (m: NodeMemory[]) => (m.length ? `${mean(m)?.toFixed(0)} / ${largest(m)?.toFixed(0)} MiB` : "n/a");
const wallOf = (u: Usage | Ran | undefined) => (u === undefined ? undefined : "usage" in u ? u.usage.wall : u.wall);

function report(rows: Row[], o: BenchOptions, subnet: string, baselineLab: string): void {
  const header = [
    "lab",
    "plain up",
    "up",
    "ratio",
    "suite",
    "plain down",
    "down",
    "ratio",
    "idle node, plain (mean / largest)",
    "idle node, swarmlab",
  ];
  const cells = rows.map((r) => {
    const [bu, u, bd, d] = [wallOf(r.baselineUp), wallOf(r.up), wallOf(r.baselineDown), wallOf(r.down)];
    return [
      sizeName(r),
      seconds(bu),
      seconds(u),
      times(ratio(u, bu)),
      seconds(wallOf(r.suite)),
      seconds(bd),
      seconds(d),
      times(ratio(d, bd)),
      memoryCell(r.baselineMemory),
      memoryCell(r.memory),
    ];
  });
  console.log(
    `\nbench: how it grows, one run; wall times; idle memory = each node container's cgroup usage less its page cache, ${SETTLE_MS / 1000} s after up\n`,
  );
  console.log(markdownTable(header, cells));

  console.log("\nbench: issue 19's targets (reported, not enforced)");
  const target = rows.find((r) => r.workers === GROW_TARGET.workers && r.managers === 1);
  const upRatio = target && ratio(wallOf(target.up), wallOf(target.baselineUp));
  const shownTarget = target ? times(upRatio) : `no row of 1 manager + ${GROW_TARGET.workers} workers`;
  console.log(
    `  ${verdict(upRatio, GROW_TARGET.upRatio)}  ${GROW_TARGET.workers} workers: npm run up ≤ ${GROW_TARGET.upRatio}× plain docker's up at that size (${shownTarget})`,
  );
  for (const r of rows) {
    const big = largest(r.memory);
    console.log(
      `  ${verdict(big, GROW_TARGET.idleNodeMiB)}  ${sizeName(r)}: every idle node ≤ ${GROW_TARGET.idleNodeMiB} MiB (${describeMemory(r.memory)})`,
    );
  }

  const profiled = [...rows].reverse().find((r) => r.managers === 1 && r.up) ?? rows.find((r) => r.up);
  if (profiled?.up) printProfile(`npm run up of ${sizeName(profiled)} (a new lab)`, profiled.up);
  console.log("\nbench: the parts of each up: when the first began and the last ended (s since up started), and each one's own time");
  for (const r of rows) if (r.up) printParts(sizeName(r), r.up.lines);
  console.log(
    `\nbench: plain = scripts/baseline.sh (plain docker, nodes reached with docker exec, no SSH), lab ${baselineLab} ${o.baselinePrefix}.0/24; ` +
      `swarmlab = the npm commands on stack ${o.stack}, lab ${o.lab} ${subnet}`,
  );
}

/** One part of the lab in an up's output: when its first line came, when Pulumi said it was made, and its steps. */
export interface PartSpan {
  kind: string;
  name: string;
  start: number;
  end?: number;
}

/** The parts an up made, from Pulumi's lines `+  pulumi-nodejs:dynamic/swarmlab:Node <name> creating (0s)` … `created (9s)`. */
export function partSpans(lines: Line[]): PartSpan[] {
  const spans = new Map<string, PartSpan>();
  for (const { at, line } of lines) {
    const m = /dynamic\/swarmlab:(\w+)\s+(\S+)\s+(creat(?:ing|ed)|updat(?:ing|ed))\b/.exec(line);
    if (!m) continue;
    const [, kind, name, verb] = m;
    const span = spans.get(name) ?? { kind, name, start: at };
    spans.set(name, span);
    if (verb.endsWith("ed")) span.end = at;
  }
  return [...spans.values()];
}

/** When each node's own steps ended, from the parts' log lines: its container started, the image loaded, joined. */
export function nodeSteps(lines: Line[]): Map<string, { started?: number; loaded?: number; joined?: number }> {
  const steps = new Map<string, { started?: number; loaded?: number; joined?: number }>();
  const at = (node: string) => {
    const s = steps.get(node) ?? {};
    steps.set(node, s);
    return s;
  };
  for (const { at: t, line } of lines) {
    let m: RegExpExecArray | null;
    if ((m = /node (\S+) \((?:manager|worker)\) started at/.exec(line))) at(m[1]).started ??= t;
    else if ((m = /loaded into (\S+)/.exec(line))) at(m[1]).loaded ??= t;
    else if ((m = /(\S+) joined the swarm as a/.exec(line))) at(m[1]).joined ??= t;
  }
  return steps;
}

const range = (xs: number[]) => {
  if (!xs.length) return "-";
  const [lo, hi] = [Math.min(...xs).toFixed(1), Math.max(...xs).toFixed(1)];
  return lo === hi ? lo : `${lo}–${hi}`;
};
const spread = (xs: number[]) => (xs.length ? `median ${median(xs)?.toFixed(1)} s, longest ${Math.max(...xs).toFixed(1)} s` : "-");

function printParts(title: string, lines: Line[]): void {
  console.log(`  ${title}`);
  const spans = partSpans(lines);
  const kinds = [...new Set(spans.map((s) => s.kind))];
  for (const kind of kinds) {
    const of = spans.filter((s) => s.kind === kind);
    const ends = of.flatMap((s) => (s.end === undefined ? [] : [s.end]));
    const own = of.flatMap((s) => (s.end === undefined ? [] : [s.end - s.start]));
    console.log(
      `    ${kind.padEnd(8)} ×${String(of.length).padEnd(3)} began ${range(of.map((s) => s.start))} s, ended ${range(ends)} s; each ${spread(own)}`,
    );
  }
  // inside a node's part: the container made and started; its engine answering and the image side-loaded
  const nodes = new Map(spans.filter((s) => s.kind === "Node").map((s) => [s.name, s]));
  const steps = nodeSteps(lines);
  const made: number[] = [];
  const loaded: number[] = [];
  for (const [node, s] of steps) {
    const span = [...nodes.values()].find((n) => n.name.endsWith(`-${node}`));
    if (span && s.started !== undefined) made.push(s.started - span.start);
    if (s.started !== undefined && s.loaded !== undefined) loaded.push(s.loaded - s.started);
  }
  if (made.length)
    console.log(`    in a Node: container made and started ${spread(made)}; engine answering and busybox side-loaded ${spread(loaded)}`);
}
