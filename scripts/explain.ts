// npm run explain [-- --step <name>] [-- --json]: walks through the Swarm overlay tutorial on the running lab of the
// selected stack (SWARMLAB_STACK, default dev): each step's command as a student types it on a node, its real output,
// and what it proves; then draws the lab into .swarmlab/<lab>/topology.svg. --json prints the same as one document.
// --drill quorum runs the quorum drill instead (lab/explain/drill.ts): it stops managers, and npm run up heals it.
import { ConnectedLab } from "../lab/checks/observe";
import { outputsOf } from "../lab/outputs";
import { explain, STEP_NAMES } from "../lab/explain";
import { quorumDrill } from "../lab/explain/drill";
import { stepPrinter } from "../lab/explain/report";
import { labDir } from "../lab/lab-dir";
import { PROJECT_ROOT } from "../infra/provider";
import { selectStack } from "../infra/stack";

function usage(): never {
  console.error(`usage: npm run explain [-- --step <name>] [-- --json] | [-- --drill quorum]\n  steps: ${STEP_NAMES.join(", ")}`);
  process.exit(2);
}

function parseArgs(argv: string[]): { only?: string; json: boolean; drill?: string } {
  const args = { only: undefined as string | undefined, json: false, drill: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--json") args.json = true;
    else if (argv[i] === "--drill" && argv[i + 1] === "quorum") args.drill = argv[++i];
    else if (argv[i] === "--step" && argv[i + 1]) args.only = argv[++i];
    else if (argv[i].startsWith("--step=")) args.only = argv[i].slice("--step=".length);
    else usage();
  }
  if (args.only && !STEP_NAMES.includes(args.only)) {
    console.error(`swarmlab explain: no step '${args.only}'`);
    usage();
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const stack = await selectStack();
  const outputs = outputsOf(await stack.outputs(), stack.name); // fails, with the fix, when no lab of ours is up
  const lab = await ConnectedLab.open(outputs);
  if (args.drill) {
    try {
      console.log(`swarmlab: the quorum drill on lab '${outputs.lab}' (stack ${stack.name}): it stops managers; npm run up heals the lab`);
      const drill = await quorumDrill(lab, (line) => console.log(line));
      console.log(drill.holds ? "swarmlab: the drill showed what Raft's quorum means" : "swarmlab: the drill did not go as Swarm's docs say (above)");
      return drill.holds ? 0 : 1;
    } finally {
      lab.close();
    }
  }
  const print = stepPrinter();
  try {
    if (!args.json) console.log(`swarmlab: the Swarm overlay tutorial on lab '${outputs.lab}' (stack ${stack.name}, backend ${outputs.backend})`);
    const report = await explain(lab, {
      only: args.only,
      root: PROJECT_ROOT,
      // the picture on a whole walk-through; a single step is about that step only
      pictureDir: args.only ? undefined : labDir(PROJECT_ROOT, outputs.lab),
      onStep: args.json ? undefined : (s) => print(s).forEach((l) => console.log(l)),
    });
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else {
      if (report.topology) console.log(`\nswarmlab: the lab's picture: ${report.topology.svg}`);
      console.log(report.holds ? `swarmlab: every step holds on this lab` : `swarmlab: some steps do not hold (✗ above)`);
    }
    return report.holds ? 0 : 1;
  } finally {
    lab.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`swarmlab explain: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
