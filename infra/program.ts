// The Pulumi program: reads the stack's swarmlab: settings once, validates them, and declares the lab.
import * as pulumi from "@pulumi/pulumi";
import { lineOf, Setting, settingsWarnings } from "../lab/config";
import { specFromConfig, swarmlabSettings } from "../lab/stack-config";
import { observeLab } from "../lab/health";
import { assertLabFitsHost, HostChecks, THIS_MACHINE } from "../lab/host-checks";
import { SettingsFile, stackSettingsFile } from "../lab/settings-text";
import type { LabOutputs } from "../lab/outputs";
import type { SettledPart } from "../lab/settled";
import type { LabSpec } from "../lab/types";
import { SwarmLab } from "./swarmlab";

export { specFromConfig, stackSettingsFile, swarmlabSettings };

/**
 * The running program's config, every namespace, each value with its secretness. Values come through pulumi.Config,
 * the API that keeps secrets apart; it cannot list keys, so their names (only) come from runtime.allConfig. Whether a
 * key is secret is the runtime's isConfigSecret (what Config consults; untyped, so it is looked up with care): a
 * runtime without it would silently drop secretness, so this refuses to run there.
 */
export function stackConfig(): Record<string, Setting> {
  const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  if (typeof isSecret !== "function") {
    throw new Error("this @pulumi/pulumi cannot tell secret settings from plain ones");
  }
  const settings: Record<string, Setting> = {};
  for (const full of Object.keys(pulumi.runtime.allConfig())) {
    const colon = full.indexOf(":");
    if (colon <= 0) continue;
    const value = new pulumi.Config(full.slice(0, colon)).get(full.slice(colon + 1));
    if (value !== undefined) settings[full] = { value, secret: isSecret(full) };
  }
  return settings;
}

export function readSpec(): LabSpec {
  return specFromConfig(stackConfig());
}

/** What the program reads beyond its config (lab/host-checks.ts), and where its warnings go: tests give fixtures. */
export interface ProgramHost extends HostChecks {
  warn(message: string): void;
  /** The stack's settings file, to compare its text with Pulumi's reading; a host without it compares nothing. */
  settingsFile?(stack: string): SettingsFile | undefined;
}

export const THIS_HOST: ProgramHost = {
  ...THIS_MACHINE,
  warn: (message) => void pulumi.log.warn(message),
  settingsFile: (stack) => stackSettingsFile(stack),
};

/**
 * The stack's settings, validated before anything is declared: warnings for settings the lab ignores, then the
 * settings alone (none secret, each read as written), then against what the host has (routes, networks, the image).
 */
export async function checkedSpec(host: ProgramHost): Promise<LabSpec> {
  const all = stackConfig();
  for (const warning of settingsWarnings(all)) host.warn(lineOf(warning));
  const spec = specFromConfig(all, host.settingsFile?.(pulumi.getStack()));
  await assertLabFitsHost(spec, pulumi.getStack(), host);
  return spec;
}

/** What the program exports: every output of LabOutputs (lab/outputs.ts), by the same name, as Pulumi takes it. */
export type ProgramOutputs = { [K in keyof LabOutputs]-?: pulumi.Input<LabOutputs[K]> };

/**
 * The last run of the program in this process: its lab and, once an up has ended, every part as the state holds it.
 * npm run up records them after a successful up, for the next up's check that nothing changed (lab/settled.ts).
 */
export const programRun: { spec?: LabSpec; parts?: SettledPart[] } = {};

export async function swarmlabProgram(host: ProgramHost = THIS_HOST): Promise<ProgramOutputs> {
  programRun.spec = programRun.parts = undefined;
  const spec = await checkedSpec(host);
  programRun.spec = spec;
  const settled = (parts: SettledPart[]) => void (programRun.parts = parts);
  const lab = new SwarmLab(spec.name, { spec, stack: pulumi.getStack(), observe: observeLab, settled });
  return {
    lab: spec.name,
    owner: lab.owner,
    backend: spec.backend,
    subnet: spec.subnet,
    nodes: lab.nodes,
    sshConfig: lab.sshConfig,
    nodeAccess: lab.nodeAccess,
    privateKey: pulumi.secret(lab.privateKey),
    keyFile: lab.keyFile,
    overlay: lab.overlay,
    service: spec.service.name,
    replicas: spec.service.replicas,
    tasks: lab.tasks,
    problems: lab.problems,
    remake: lab.remake,
    upstream: lab.upstream,
    pingTarget: spec.pingTarget,
  };
}
