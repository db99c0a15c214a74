// The Pulumi program: reads the stack's swarmlab: settings once, validates them, and declares the lab.
import { promises as fs } from "node:fs";
import os from "node:os";
import zlib from "node:zlib";
import * as pulumi from "@pulumi/pulumi";
import { assertBackendAvailable, installedVagrantProvider } from "../lab/backends/backend";
import { assertEncryptionFits, EncryptionSupport, labSpecFromConfig, settingsWarnings } from "../lab/config";
import { kernelFindings } from "../lab/doctor/kernel";
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
  if (spec.backend === "vagrant" && spec.vagrantProvider === "") spec.vagrantProvider = installedVagrantProvider();
  assertBackendAvailable(spec.backend, spec.vagrantProvider);
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
  /**
   * Whether this machine's kernel has what an encrypted overlay needs (ESP, AES-GCM); asked only for
   * swarmlab:encrypted true on container nodes. A host that cannot tell is taken to have it.
   */
  encryption?(): Promise<EncryptionSupport>;
}

export const THIS_HOST: ProgramHost = {
  facts: (image) => readHostFacts(image),
  warn: (message) => void pulumi.log.warn(message),
  encryption: readEncryptionSupport,
};

/**
 * The doctor's ESP/GCM judgement of this kernel (lab/doctor/kernel.ts), from the few facts it needs: the kernel's
 * config, its modules and /proc/crypto.
 */
export async function readEncryptionSupport(): Promise<EncryptionSupport> {
  const release = os.release();
  const read = (file: string) => fs.readFile(file, "utf8").catch(() => undefined);
  const gz = await fs.readFile("/proc/config.gz").then((b) => zlib.gunzipSync(b).toString(), () => undefined);
  const boot = gz === undefined ? await read(`/boot/config-${release}`) : undefined;
  const config = gz !== undefined ? { source: "/proc/config.gz", text: gz } : boot !== undefined ? { source: `/boot/config-${release}`, text: boot } : undefined;
  const [modulesDir, sysModules, crypto] = await Promise.all([
    fs.stat(`/lib/modules/${release}`).then(() => true, () => false),
    fs.readdir("/sys/module").catch(() => [] as string[]),
    read("/proc/crypto"),
  ]);
  const facts = { release, config, modulesDir, sysModules, crypto: crypto ?? "", filesystems: "", ipvs: false };
  const finding = kernelFindings(facts).find((f) => f.check === "ESP/GCM");
  const found = /\(([^)]*)\)/.exec(finding?.says ?? "")?.[1] ?? finding?.says ?? "not judged";
  return { available: finding?.status === "ok", detail: `Linux ${release}: ${found}` };
}

/**
 * The stack's settings, validated before anything is declared: warnings for settings the lab ignores, then the
 * settings alone (readSpec), then against what the host has (its routes, Docker's networks, the image).
 */
export async function checkedSpec(host: ProgramHost): Promise<LabSpec> {
  const all = pulumi.runtime.allConfig();
  for (const warning of settingsWarnings(all)) host.warn(warning);
  const spec = specFromConfig(all);
  if (spec.overlay.encrypted && spec.backend === "docker" && host.encryption) assertEncryptionFits(spec, await host.encryption());
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
