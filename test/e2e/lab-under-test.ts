// Which lab the verification suite checks: the selected stack's (SWARMLAB_STACK, default dev) when it is up,
// else a throw-away lab with its own stack, name and subnet, stood up here and destroyed afterwards.
import type { Stack } from "@pulumi/pulumi/automation";
import Docker from "dockerode";
import { existsSync } from "node:fs";
import path from "node:path";
import { cliRoot, discardStack, openStack, stackExists, stackName } from "../../infra/stack";
import { runningMachines } from "../../lab/parts";
import type { LabOutputs } from "../../lab/checks/observe";
import type { BackendName } from "../../lab/types";

export const THROWAWAY = { name: "swarmlab-e2e", subnet: "192.168.58.0/24" };

export interface LabUnderTest {
  stack: Stack;
  outputs: LabOutputs;
  backend: BackendName;
  /** true when this run stood the lab up (and so destroys it). */
  owned: boolean;
}

/** What is missing to run the suite here, with how to get it; empty when nothing is. */
export async function missingPrerequisites(): Promise<string[]> {
  const missing: string[] = [];
  try {
    await new Docker().ping();
  } catch {
    missing.push("no Docker engine answers: run 'bash scripts/docker-engine.sh' (or start Docker)");
  }
  if (!existsSync(path.join(cliRoot(), "bin", "pulumi"))) {
    missing.push(`no Pulumi CLI at ${cliRoot()}/bin/pulumi: run 'bash scripts/pulumi-cli.sh'`);
  }
  return missing;
}

export function plainOutputs(outputs: Record<string, { value: unknown }>): LabOutputs {
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value])) as unknown as LabOutputs;
}

async function isRunning(outputs: LabOutputs & { backend?: BackendName }): Promise<boolean> {
  if (!outputs.nodeAccess?.length) return false;
  const running = await runningMachines({ name: outputs.lab, backend: outputs.backend ?? "docker" });
  return outputs.nodeAccess.every((n) => running.has(n.name));
}

export async function acquireLab(log: (l: string) => void): Promise<LabUnderTest> {
  const selected = stackName();
  if (await stackExists(selected)) {
    const stack = await openStack(selected);
    const outputs = plainOutputs(await stack.outputs()) as LabOutputs & { backend: BackendName };
    if (await isRunning(outputs)) {
      log(`verifying the running lab '${outputs.lab}' of stack '${selected}' (left as it is afterwards)`);
      return { stack, outputs, backend: outputs.backend, owned: false };
    }
  }
  const name = `e2e-${process.pid}`;
  log(`no lab of stack '${selected}' is up: standing up a throw-away lab (stack '${name}', ${THROWAWAY.subnet})`);
  const stack = await openStack(name, THROWAWAY);
  try {
    const result = await stack.up();
    const outputs = plainOutputs(result.outputs) as LabOutputs & { backend: BackendName };
    return { stack, outputs, backend: outputs.backend, owned: true };
  } catch (err) {
    await discardStack(stack, { name: THROWAWAY.name, backend: "docker" });
    throw err;
  }
}
