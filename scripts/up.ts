// npm run up: the lab made whole. A lab whose every part reads as its last up left it, under the same settings, code
// and state, is checked here part by part without the Pulumi engine (lab/settled.ts), which would find nothing to do;
// anything else goes through `pulumi up` (infra/stack.ts, loaded only then: the Automation API alone costs ~1 s).
// Either way up ends with the same look at the lab and the same report.
import Docker from "dockerode";
import execa from "execa";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { registered } from "../lab/backends";
import { canGuard } from "../lab/backends/host/firewall";
import { stackFromEnv } from "../lab/env";
import { observedOf, observeLab, observeOnce, replaceArgs, replaceCommand } from "../lab/health";
import { THIS_MACHINE } from "../lab/host-checks";
import { collectLabLogs, logsDir } from "../lab/inventory";
import { labDirRelative } from "../lab/lab-dir";
import type { LabOutputs } from "../lab/outputs";
import { DEFAULT_STACK, PROJECT, PROJECT_ROOT } from "../lab/project-root";
import { outputsFromRecord, recordedOf, writeRecordedOutputs } from "../lab/recorded-outputs";
import { forgetSettled, ownerOf, settledRecord, verifySettled, writeSettled } from "../lab/settled";
import { founderOf, LabSpec } from "../lab/types";
import { runDoctor } from "./doctor";
import { runCommand } from "./run-command";

const print = (s: string) => process.stdout.write(s);
const say = (l: string) => console.log(`swarmlab: ${l}`);

export async function up(args: string[]): Promise<number> {
  const replace = replaceArgs(args);
  if (!replace) {
    console.error(`swarmlab: npm run up takes only --replace <node> (a node to make again), not '${args.join(" ")}'`);
    return 2;
  }
  const stack = stackFromEnv(process.env.SWARMLAB_STACK, PROJECT) ?? DEFAULT_STACK;
  if (replace.length === 0) {
    const settled = await upWithoutEngine(stack);
    if (settled !== undefined) return settled;
  }
  return upThroughEngine(replace);
}

/**
 * The up of a lab as its last up left it: the doctor and the check that the engine would find nothing to do, at once,
 * then the final look. Undefined when the engine must run (said in one line), else up's exit code.
 */
async function upWithoutEngine(stack: string): Promise<number | undefined> {
  const started = Date.now();
  const recorded = recordedOf(PROJECT_ROOT, stack);
  const found = settledRecord(PROJECT_ROOT, stack);
  if ("why" in found && found.recorded) say(`pulumi up runs: ${found.why}`);
  if (!recorded || "why" in found) return undefined; // a first up, or one after a change: the engine's usual way
  const { record } = found;
  const { spec } = record;
  say(`checking this machine for lab ${spec.name} (npm run doctor shows the whole report)`);
  const doctorLines: string[] = [];
  // An error of the look (or recorded outputs of another shape) is the engine's to meet and say, as in any up.
  const outputs = (() => {
    try {
      return outputsFromRecord(PROJECT_ROOT, recorded, stack);
    } catch {
      return undefined;
    }
  })();
  // The final look is taken with the checks: up changes nothing here, so the lab it sees is the lab up leaves.
  const [blocked, verdict, look] = await Promise.all([
    runDoctor({ spec, stack, owner: ownerOf(record) }, (l) => doctorLines.push(l)),
    verifySettled(PROJECT_ROOT, record, THIS_MACHINE),
    outputs ? observeOnce(observedOf(outputs)).catch(() => undefined) : undefined,
  ]);
  for (const l of doctorLines) console.log(l);
  if (blocked) {
    say("up stopped before making anything: fix the blockers above");
    return 1;
  }
  if (!verdict.settled || !outputs || !look) {
    const why = !verdict.settled ? verdict.why : outputs ? "the look at it failed" : "its recorded outputs are not this swarmlab's";
    say(`the lab is not as the last up left it (${why}): pulumi up makes it so`);
    return undefined;
  }
  say(
    `every part of lab ${spec.name} reads as the last up left it, under the same settings and code: pulumi up would change nothing, so it is not run`,
  );
  // a lab still settling (a task starting) is waited for, as up's final look waits
  const seen = look.problems.length === 0 ? look : await observeLab(observedOf(outputs));
  const now: LabOutputs = { ...outputs, tasks: seen.tasks, problems: seen.problems, remake: seen.remake };
  writeRecordedOutputs(PROJECT_ROOT, now);
  if (now.problems.length > 0) forgetSettled(PROJECT_ROOT, stack); // the next up goes through the engine
  return report(spec, now, started);
}

/** pulumi up through the Automation API (refresh, then update), then the record of the lab it left. */
async function upThroughEngine(replace: string[]): Promise<number> {
  // The CLI only now: a healthy up never runs it (each step does nothing when already done).
  await execa("bash", [path.join(PROJECT_ROOT, "scripts", "pulumi-cli.sh"), "--quick"], { stdio: "inherit" });
  const { openStack, labOfState, specOf, upLab } = await import("../infra/stack");
  const { outputsOf } = await import("../lab/outputs");
  const { programRun } = await import("../infra/program");
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
  forgetSettled(PROJECT_ROOT, stack.name);
  await upLab(stack, print, { replace, recorded: recorded ?? null, readBack: false }).catch(async (err) => {
    // The machines' logs, engine states, networks and firewall rules, for whoever looks into it next; the error
    // itself is reported as it was, whatever the collection does.
    const files = await collectLabLogs(spec).catch(() => []);
    if (files.length)
      console.error(`swarmlab: diagnostics of lab '${spec.name}' in ${path.relative(PROJECT_ROOT, logsDir(PROJECT_ROOT, spec.name))}/`);
    throw err;
  });
  // the outputs as the program recorded them at the run's end: the same values, without asking the CLI
  const written = recordedOf(PROJECT_ROOT, stack.name);
  const o = written ? outputsFromRecord(PROJECT_ROOT, written, stack.name) : outputsOf(await stack.outputs(), stack.name);
  // A healthy lab is recorded for the next up's check without the engine; an unhealthy one is left to the engine.
  if (o.problems.length === 0 && programRun.spec && programRun.parts) writeSettled(PROJECT_ROOT, stack.name, programRun.spec, programRun.parts);
  return report(spec, o, started);
}

/** What up prints at its end, whichever way it went: the nodes, how to reach them, the tasks, and whether all is well. */
async function report(spec: LabSpec, o: LabOutputs, started: number): Promise<number> {
  console.log(`\nswarmlab: lab '${spec.name}' up in ${((Date.now() - started) / 1000).toFixed(1)}s. What it looks like now:`);
  for (const n of o.nodes) {
    console.log(`  ${n.name.padEnd(15)} ${n.role.padEnd(8)} ${n.address.padEnd(15)} ${n.ssh}`);
  }
  const sshConfig = path.join(labDirRelative(spec.name), "ssh_config");
  writeFileSync(path.join(PROJECT_ROOT, sshConfig), o.sshConfig);
  console.log(`  or by name: ssh -F ${sshConfig} ${founderOf(o.nodes).name}   (the stack output sshConfig)`);
  for (const t of o.tasks) {
    console.log(`  task ${t.name} on ${t.node}: ${t.overlayIp} (${o.overlay.name} ${o.overlay.subnet})`);
  }
  // the user's own hosts (ssh backend) have no upstream: their tasks ping the founding manager
  if (registered(spec.backend)?.usersHosts)
    console.log(`  the tasks ping the founding manager, ${spec.pingTarget}: nothing of the lab leaves the hosts`);
  else console.log(`  upstream (stands for the internet): ${o.upstream.address}`);
  // As root here, or through the engine (a user of the docker group): only an engine without the node image cannot.
  if (spec.backend === "docker" && !(await canGuard(new Docker()))) {
    console.log(
      "  note: no host firewall rules (iptables needs root here, and the engine has no image with iptables): the lab has no route out, but its nodes can reach this host",
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

if (require.main === module) runCommand(() => up(process.argv.slice(2)));
