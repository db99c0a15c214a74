// npm run down | logs | clean (and up, status: scripts/up.ts, scripts/status.ts) — the lab's stack, through the
// Automation API (see infra/stack.ts).
import { availableBackends } from "../lab/backends";
import { collectLabLogs, sweepLab } from "../lab/inventory";
import { removeLabDir } from "../lab/lab-dir";
import { LabNameError, labNameProblem } from "../lab/lab-name";
import { LABEL_LAB, stackOfOwner } from "../lab/types";
import { labOfState, selectStack, specOf, stackName } from "../infra/stack";
import { PROJECT_ROOT } from "../infra/provider";
import { EnvError } from "../lab/env";
import { runCommand } from "./run-command";

const say = (l: string) => console.log(`swarmlab: ${l}`);

async function up(): Promise<number> {
  // scripts/up.ts, which npm run up runs on its own: a healthy lab's up loads no @pulumi module
  return (await import("./up")).up(process.argv.slice(3));
}

async function down(): Promise<number> {
  // scripts/down.ts, which npm run down runs on its own: a lab removed whole loads no @pulumi module
  return (await import("./down")).down();
}

/** Everything labelled with a lab, whatever any state says (lost, corrupt, another checkout's), by every backend. */
async function clean(): Promise<number> {
  const named = process.argv[3];
  // The argument reaches removals: it must be a lab's name before anything is asked or removed.
  if (named !== undefined && labNameProblem(named)) {
    console.error(
      `swarmlab: ${new LabNameError(named, "npm run clean's argument").message}. Fix: npm run clean <lab> with a lab's name (npm run clean alone lists them)`,
    );
    return 2;
  }
  const backends = await availableBackends();
  const labelled = [...new Set((await Promise.all(backends.map((b) => b.labs()))).flat())].sort();
  // A label anyone can set: a value that is no lab's name is never a lab to remove.
  const labs = labelled.filter((l) => !labNameProblem(l));
  for (const odd of labelled.filter((l) => labNameProblem(l))) {
    console.error(
      `swarmlab: ignored: objects labelled ${LABEL_LAB}=${JSON.stringify(odd)}, which is not a lab's name (not made by swarmlab); nothing of them was removed`,
    );
  }
  // Without a name it never guesses, even when one lab is there: that lab may be another user's on the same engine.
  if (!named) {
    if (labs.length === 0) {
      say("no lab exists; nothing to clean");
      return 0;
    }
    const owners = await Promise.all(
      labs.map(async (l) => {
        const stacks = (await Promise.all(backends.map((b) => b.objects(l))))
          .flat()
          .map((o) => (o.owner ? `stack ${stackOfOwner(o.owner)}, owner ${o.owner}` : "no owner"));
        return `  ${l} (${[...new Set(stacks)].join("; ")})`;
      }),
    );
    console.error(`swarmlab: name the lab to remove; labs here:\n${owners.join("\n")}\n  e.g. npm run clean ${labs[0]}`);
    return 2;
  }
  const lab = named;
  const removed: string[] = [];
  // VMs first: the vagrant backend also removes its upstream container and rules, which the docker backend finds too.
  for (const b of [...backends].reverse()) removed.push(...(await sweepLab({ name: lab, backend: b.name }, () => undefined)));
  removeLabDir(PROJECT_ROOT, lab);
  say(removed.length ? `removed of lab '${lab}':\n${removed.map((r) => `  - ${r}`).join("\n")}` : `nothing of lab '${lab}' was there`);
  const left = (await Promise.all(backends.map((b) => b.objects(lab)))).flat();
  if (left.length) {
    console.error(`swarmlab: still there: ${[...new Set(left.map((o) => o.what))].join(", ")}`);
    return 1;
  }
  return 0;
}

async function status(): Promise<number> {
  // scripts/status.ts, which npm run status runs on its own: it loads no @pulumi module
  return (await import("./status")).status(stackName());
}

async function logs(): Promise<number> {
  const stack = await selectStack();
  const lab = (await labOfState(stack)) ?? (await specOf(stack));
  const files = await collectLabLogs(lab);
  say(files.length ? `logs of lab '${lab.name}':\n  ${files.join("\n  ")}` : `lab '${lab.name}' has no machines`);
  return 0;
}

const commands: Record<string, () => Promise<number>> = { up, down, status, logs, clean };
const command = commands[process.argv[2] ?? ""];
if (!command) {
  const usage = "usage: node scripts/compiled.js scripts/lab.ts up|down|status|logs|clean [lab]   (stack: SWARMLAB_STACK";
  try {
    console.error(`${usage}, now '${stackName()}')`);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    console.error(`${usage})\nswarmlab: ${err.message}`);
  }
  process.exit(2);
}
runCommand(command);
