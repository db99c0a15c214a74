// npm run explain: the tutorial walked through on the live lab (steps.ts), and its picture (topology.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ConnectedLab } from "../checks/observe";
import { observeLab } from "./observed";
import { EXPLAIN_FORMAT, ExplainReport, StepReport } from "./report";
import { STEP_NAMES, STEPS } from "./steps";
import { renderSvg, topologyDot } from "./topology";

export { formatReport } from "./report";
export { STEP_NAMES } from "./steps";

export interface ExplainOptions {
  /** One step's name (--step); every step when unset. */
  only?: string;
  /** Where the picture goes (the lab's folder); no picture when unset. */
  pictureDir?: string;
  /** The project folder: the picture's paths in the report are relative to it. */
  root: string;
  /** Each step's report as soon as it is made (the text output prints as it goes). */
  onStep?: (s: StepReport) => void;
}

export async function explain(lab: ConnectedLab, options: ExplainOptions): Promise<ExplainReport> {
  if (options.only && !STEP_NAMES.includes(options.only)) {
    throw new Error(`no step '${options.only}': the steps are ${STEP_NAMES.join(", ")}`);
  }
  const seen = await observeLab(lab);
  const steps: StepReport[] = [];
  for (const s of STEPS.filter((x) => !options.only || x.name === options.only)) {
    const report = await s.run({ lab, seen });
    steps.push(report);
    options.onStep?.(report);
  }
  const report: ExplainReport = { format: EXPLAIN_FORMAT, lab: seen.lab, backend: seen.backend, steps, holds: steps.every((s) => s.holds) };
  if (options.pictureDir) {
    mkdirSync(options.pictureDir, { recursive: true });
    const dot = topologyDot(seen);
    const files = { svg: path.join(options.pictureDir, "topology.svg"), dot: path.join(options.pictureDir, "topology.dot") };
    writeFileSync(files.dot, dot);
    writeFileSync(files.svg, await renderSvg(dot));
    report.topology = { svg: path.relative(options.root, files.svg), dot: path.relative(options.root, files.dot) };
  }
  return report;
}
