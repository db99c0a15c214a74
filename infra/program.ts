// The Pulumi program: reads the stack's swarmlab: settings once, validates them, and declares the lab.
import * as pulumi from "@pulumi/pulumi";
import { assertBackendAvailable } from "../lab/backends/backend";
import { labSpecFromConfig, settingsWarnings } from "../lab/config";
import { observeLab } from "../lab/health";
import { assertHostFits, HostFacts, readHostFacts } from "../lab/host-facts";
import type { LabSpec } from "../lab/types";
import { SwarmLab } from "./swarmlab";

const NAMESPACE = "swarmlab:";

/** The stack's settings of the swarmlab: namespace, without the namespace, as labSpecFromConfig takes them. */
export function swarmlabSettings(all: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith(NAMESPACE))
      .map(([k, v]) => [k.slice(NAMESPACE.length), v]),
  );
}

/** All of a stack's config (every namespace) → the validated lab; fails for a backend this version cannot run. */
export function specFromConfig(all: Record<string, string>): LabSpec {
  const spec = labSpecFromConfig(swarmlabSettings(all));
  assertBackendAvailable(spec.backend);
  return spec;
}

export function readSpec(): LabSpec {
  return specFromConfig(pulumi.runtime.allConfig());
}

/** What the program reads beyond its config, and where its warnings go: tests give fixtures and collect warnings. */
export interface ProgramHost {
  /** The host's routes, addresses, Docker networks and pools, and the service's image: read once per run. */
  facts(image: string): Promise<HostFacts>;
  warn(message: string): void;
}

export const THIS_HOST: ProgramHost = { facts: (image) => readHostFacts(image), warn: (message) => void pulumi.log.warn(message) };

/**
 * The stack's settings, validated before anything is declared: warnings for settings the lab ignores, then the
 * settings alone (readSpec), then against what the host has (its routes, Docker's networks, the image).
 */
export async function checkedSpec(host: ProgramHost): Promise<LabSpec> {
  const all = pulumi.runtime.allConfig();
  for (const warning of settingsWarnings(all)) host.warn(warning);
  const spec = specFromConfig(all);
  assertHostFits(spec, await host.facts(spec.service.image), pulumi.getStack());
  return spec;
}

export async function swarmlabProgram(host: ProgramHost = THIS_HOST) {
  const spec = await checkedSpec(host);
  const lab = new SwarmLab(spec.name, { spec, stack: pulumi.getStack(), observe: observeLab });
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
    upstream: lab.upstream,
    pingTarget: spec.pingTarget,
  };
}
