// The Pulumi program: reads the stack's swarmlab: settings once, validates them, and declares the lab.
import * as pulumi from "@pulumi/pulumi";
import { assertBackendAvailable } from "../lab/backends/backend";
import { labSpecFromConfig } from "../lab/config";
import { observeLab } from "../lab/health";
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

export async function swarmlabProgram() {
  const spec = readSpec();
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
