// npm run up | down | status | logs | clean — the lab's stack, through the Automation API (see infra/stack.ts).
import { availableBackends } from "../lab/backends";
import { canGuard } from "../lab/backends/host/firewall";
import { collectLabLogs, logsDir, sweepLab } from "../lab/inventory";
import { labDirRelative, removeLabDir } from "../lab/lab-dir";
import { LabNameError, labNameProblem } from "../lab/lab-name";
import { LABEL_LAB, managerOf, stackOfOwner } from "../lab/types";
import { writeFileSync } from "node:fs";
import { replaceCommand } from "../lab/health";
import { outputsOf } from "../lab/outputs";
import { downLab, labOfState, openStack, replaceArgs, selectStack, specOf, stackName, upLab } from "../infra/stack";
import { PROJECT_ROOT } from "../infra/provider";
import path from "node:path";
import { environmentProblems, runDoctor } from "./doctor";
import { EnvError } from "../lab/env";

const print = (s: string) => process.stdout.write(s);
const say = (l: string) => console.log(`swarmlab: ${l}`);

async function up(): Promise<number> {
  const replace = replaceArgs(process.argv.slice(3));
  if (!replace) {
    console.error(`swarmlab: npm run up takes only --replace <node> (a node to make again), not '${process.argv.slice(3).join(" ")}'`);
    return 2;
  }
  const stack = await openStack();
  // The settings (a bad one fails here, before the engine starts) and the state's lab, asked of the CLI at once.
  const [spec, recorded] = await Promise.all([specOf(stack), labOfState(stack)]);
  say(`checking this machine for lab ${spec.name} (npm run doctor shows the whole report)`);
  if (await runDoctor({ spec, stack: stack.name, owner: recorded?.owner }, console.log)) {
    say("up stopped before making anything: fix the blockers above");
    return 1;
  }
  say(`pulumi up on stack '${stack.name}' (lab ${spec.name}, ${spec.nodes.length} nodes, ${spec.subnet}); a refresh reads the live lab first`);
  if (replace.length) say(`making ${replace.join(", ")} again (--replace), with what hangs on ${replace.length > 1 ? "them" : "it"}`);
  const started = Date.now();
  const result = await upLab(stack, print, { replace, recorded: recorded ?? null }).catch(async (err) => {
    // The machines' logs, engine states, networks and firewall rules, for whoever looks into it next; the error
    // itself is reported as it was, whatever the collection does.
    const files = await collectLabLogs(spec).catch(() => []);
    if (files.length)
      console.error(`swarmlab: diagnostics of lab '${spec.name}' in ${path.relative(PROJECT_ROOT, logsDir(PROJECT_ROOT, spec.name))}/`);
    throw err;
  });
  const o = outputsOf(result.outputs, stack.name);
  console.log(`\nswarmlab: lab '${spec.name}' up in ${((Date.now() - started) / 1000).toFixed(1)}s. What it looks like now:`);
  for (const n of o.nodes) {
    console.log(`  ${n.name.padEnd(15)} ${n.role.padEnd(8)} ${n.address.padEnd(15)} ${n.ssh}`);
  }
  const sshConfig = path.join(labDirRelative(spec.name), "ssh_config");
  writeFileSync(path.join(PROJECT_ROOT, sshConfig), o.sshConfig);
  console.log(`  or by name: ssh -F ${sshConfig} ${managerOf(o.nodes).name}   (the stack output sshConfig)`);
  for (const t of o.tasks) {
    console.log(`  task ${t.name} on ${t.node}: ${t.overlayIp} (${o.overlay.name} ${o.overlay.subnet})`);
  }
  console.log(`  upstream (stands for the internet): ${o.upstream.address}`);
  if (spec.backend === "docker" && !(await canGuard())) {
    console.log(
      "  note: no host firewall rules (iptables needs root or passwordless sudo): the lab has no route out, but its nodes can reach this host",
    );
  }
  if (o.problems.length > 0) {
    console.log(`\nswarmlab: the lab is NOT healthy:\n${o.problems.map((p) => `  - ${p}`).join("\n")}`);
    const remake = o.remake ?? [];
    // What up alone cannot heal is named with the command that does; anything else, another up may.
    console.log(remake.length ? `  heal it with: ${replaceCommand(remake)}` : "  run npm run up again once the cause is gone");
    const files = await collectLabLogs(spec);
    console.log(
      `  logs: ${path.relative(PROJECT_ROOT, logsDir(PROJECT_ROOT, spec.name))}/ (${files.length} files) and .swarmlab/${spec.name}/lab.log`,
    );
    return 1;
  }
  console.log(`  every node Ready, ${spec.service.replicas} tasks Running on distinct workers at the overlay's MTU, each task pings the others`);
  console.log(`\nNext: npm test   (verifies this lab over SSH; npm run down removes it)`);
  return 0;
}

async function down(): Promise<number> {
  const stack = await selectStack(); // a stack that does not exist is not created
  const result = await downLab(stack, print, say);
  if (!result.lab) {
    say(`stack '${stack.name}' has no lab in its state; nothing to remove`);
    return 0;
  }
  if (result.error) console.error(`swarmlab: pulumi destroy failed: ${result.error.message}`);
  if (result.diagnostics)
    console.error(
      `swarmlab: diagnostics of lab '${result.lab.name}', taken when the destroy failed, in ${path.relative(PROJECT_ROOT, result.diagnostics)}/`,
    );
  if (result.left.length > 0) {
    console.error(`swarmlab: left of lab '${result.lab.name}':\n${result.left.map((l) => `  - ${l}`).join("\n")}`);
    console.error(`  remove it with: npm run clean ${result.lab.name}`);
    return 1;
  }
  say(`stack '${stack.name}' destroyed; nothing of lab '${result.lab.name}' is left`);
  return result.error ? 1 : 0;
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
  const usage = "usage: ts-node scripts/lab.ts up|down|status|logs|clean [lab]   (stack: SWARMLAB_STACK";
  try {
    console.error(`${usage}, now '${stackName()}')`);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    console.error(`${usage})\nswarmlab: ${err.message}`);
  }
  process.exit(2);
}
// Every variable with a bad value, one line each (lab/env.ts), before anything is asked, made or removed.
const badVariables = environmentProblems();
for (const e of badVariables) console.error(`swarmlab: ${e.message}`);
if (badVariables.length > 0) process.exit(2);
command().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`swarmlab: ${failureOf(err)}`);
    process.exit(1);
  },
);

/** What went wrong, in a few lines: the engine's diagnostics rather than the whole CLI transcript. */
function failureOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const diagnostics = [...new Set([...text.matchAll(/^(?: {4})?error: (.*)$/gm)].map((m) => m[1]).filter((l) => l !== "update failed"))];
  return diagnostics.length ? diagnostics.join("\n  ") : text;
}
