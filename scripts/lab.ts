// npm run up | down | status — the lab's stack, through the Automation API (see infra/stack.ts).
import { backendFor } from "../lab/backends/backend";
import { canGuard } from "../lab/backends/docker/firewall";
import { collectLabLogs, deleteLab } from "../lab/parts";
import { openStack, specOf, stackName, upLab } from "../infra/stack";

const print = (s: string) => process.stdout.write(s);

async function up() {
  const stack = await openStack();
  const spec = await specOf(stack); // fails on bad settings before the engine starts
  console.log(`swarmlab: pulumi up on stack '${stack.name}' (lab ${spec.name}, ${spec.nodes.length} nodes, ${spec.subnet})`);
  const started = Date.now();
  const result = await upLab(stack, spec, print);
  const o = result.outputs;
  console.log(`\nswarmlab: lab '${spec.name}' is up in ${((Date.now() - started) / 1000).toFixed(1)}s.`);
  for (const n of o.nodes.value as { name: string; role: string; address: string; ssh: string }[]) {
    console.log(`  ${n.name.padEnd(15)} ${n.role.padEnd(8)} ${n.address.padEnd(15)} ${n.ssh}`);
  }
  for (const t of o.tasks.value as { name: string; node: string; overlayIp: string }[]) {
    console.log(`  task ${t.name} on ${t.node}: ${t.overlayIp} (${o.overlay.value.name} ${o.overlay.value.subnet})`);
  }
  console.log(`  upstream (stands for the internet): ${o.upstream.value.address}`);
  if (spec.egress === "none" && spec.backend === "docker" && !(await canGuard())) {
    console.log("  note: no egress firewall rule (iptables needs root or passwordless sudo); the lab still has no route out");
  }
  console.log(`\nNext: npm test   (verifies this lab over SSH; npm run down removes it)`);
}

async function down() {
  const stack = await openStack();
  const spec = await specOf(stack);
  await stack.destroy({ onOutput: print });
  // Also sweeps what carries the lab's label but is not in the state (state lost, interrupted run).
  await deleteLab(spec, (l) => console.log(`swarmlab: ${l}`));
  console.log(`swarmlab: stack '${stack.name}' destroyed; nothing of lab '${spec.name}' is left.`);
}

async function status() {
  const stack = await openStack();
  const spec = await specOf(stack);
  const backend = await backendFor(spec.backend);
  const { facts } = await backend.info();
  console.log(`swarmlab: backend ${spec.backend}: ${Object.entries(facts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  const machines = await backend.list(spec.name);
  console.log(`swarmlab: lab '${spec.name}' machines: ${machines.map((m) => `${m.name} (${m.role}) ${m.state}`).join(", ") || "none"}`);
  const outputs = await stack.outputs();
  if (!outputs.nodes) return console.log(`swarmlab: stack '${stack.name}' has no lab up (npm run up)`);
  const show = Object.fromEntries(Object.entries(outputs).filter(([k]) => k !== "privateKey" && k !== "nodeAccess").map(([k, v]) => [k, v.value]));
  console.log(JSON.stringify(show, null, 2));
}

async function logs() {
  const stack = await openStack();
  const spec = await specOf(stack);
  const files = await collectLabLogs(spec);
  console.log(files.length ? `swarmlab: logs of lab '${spec.name}':\n  ${files.join("\n  ")}` : `swarmlab: lab '${spec.name}' has no machines`);
}

const commands: Record<string, () => Promise<void>> = { up, down, status, logs };
const command = commands[process.argv[2] ?? ""];
if (!command) {
  console.error(`usage: ts-node scripts/lab.ts up|down|status|logs   (stack: SWARMLAB_STACK, now '${stackName()}')`);
  process.exit(2);
}
command().catch((err) => {
  console.error(`swarmlab: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
