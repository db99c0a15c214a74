// npm run doctor, and the start of npm run up: one report on whether this machine can run the lab.
import { checkAll, DoctorTarget } from "./checks";
import { PulumiPlace, readDoctorFacts } from "./facts";
import { blocked, formatReport, summary } from "./report";

export type { DoctorTarget } from "./checks";
export type { PulumiPlace } from "./facts";

/**
 * Reads this machine, checks it for the target lab, prints the report line by line; true when a blocker was found.
 * `problemsOnly` (the start of up): only warnings and blockers, and the last line.
 */
export async function examineHost(target: DoctorTarget, pulumi: PulumiPlace, print: (line: string) => void, problemsOnly = false): Promise<boolean> {
  const all = checkAll(await readDoctorFacts(target.spec, pulumi, { stack: target.stack, owner: target.owner }), target);
  const findings = problemsOnly ? all.filter((f) => f.status === "warn" || f.status === "blocker") : all;
  const lines = formatReport(target, findings);
  for (const line of problemsOnly ? [...lines.slice(3, -2), summary(all)] : lines) print(line);
  return blocked(all);
}
