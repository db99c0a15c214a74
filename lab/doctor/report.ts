// The doctor's report: one line per finding, the fix under each problem, and a last line that says whether up can go.
import type { DoctorTarget } from "./checks";
import type { Finding, Status } from "./finding";

const LABEL: Record<Status, string> = { ok: "ok", info: "info", warn: "WARN", blocker: "BLOCKER" };

/** Whether up would fail: some finding is a blocker. */
export function blocked(findings: Finding[]): boolean {
  return findings.some((f) => f.status === "blocker");
}

export function formatReport(target: DoctorTarget, findings: Finding[]): string[] {
  const spec = target.spec;
  const lab = spec
    ? `lab ${spec.name} (${spec.backend} backend, ${spec.nodes.length} machines and an upstream on ${spec.subnet})`
    : "lab settings invalid";
  const width = Math.max(0, ...findings.map((f) => f.check.length));
  const indent = " ".repeat(2 + 7 + 1 + width + 2);
  const lines = [`swarmlab doctor: stack ${target.stack}, ${lab}`, `  settings checked: ${target.source}`, ""];
  for (const f of findings) {
    lines.push(`  ${LABEL[f.status].padEnd(7)} ${f.check.padEnd(width)}  ${f.says}`);
    if (f.fix) lines.push(`${indent}fix: ${f.fix}`);
  }
  lines.push("", summary(findings));
  return lines;
}

export function summary(findings: Finding[]): string {
  const count = (s: Status) => findings.filter((f) => f.status === s).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const warnings = plural(count("warn"), "warning");
  const blockers = count("blocker");
  if (blockers > 0) {
    return `${plural(blockers, "blocker")} and ${warnings}: npm run up would fail. Fix ${blockers === 1 ? "it" : "them"}, then run npm run doctor again.`;
  }
  return `No blocker, ${warnings}: npm run up can go ahead${count("warn") > 0 ? " (the warnings say what will not work or may get in the way)" : ""}.`;
}
