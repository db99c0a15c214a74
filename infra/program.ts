// The Pulumi program: reads the stack's swarmlab: settings once, validates them, and declares the lab.
import { promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import * as pulumi from "@pulumi/pulumi";
import { backendFor, pluginOf, settleSpec } from "../lab/backends";
import { assertEncryptionFits, EncryptionSupport, labSpecFromConfig, lineOf, plainSettings, Setting, settingsWarnings } from "../lab/config";
import { kernelFeature } from "../lab/doctor/kernel";
import { observeLab } from "../lab/health";
import { assertHostFits, HostFacts, readHostFacts } from "../lab/host-facts";
import { assertSettingsReadAlike, SettingsFile } from "../lab/settings-text";
import type { LabOutputs } from "../lab/outputs";
import type { LabSpec } from "../lab/types";
import { PROJECT_ROOT } from "./provider";
import { SwarmLab } from "./swarmlab";
import { assertNamesFree } from "../lab/parts/names-free";
import type { LabObject } from "../lab/backends/backend";

const NAMESPACE = "swarmlab:";

/** The stack's settings of the swarmlab: namespace, without the namespace, as labSpecFromConfig takes them. */
export function swarmlabSettings<V>(all: Record<string, V>): Record<string, V> {
  return Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith(NAMESPACE))
      .map(([k, v]) => [k.slice(NAMESPACE.length), v]),
  );
}

/**
 * All of a stack's config (every namespace; values as text, or as {value, secret} from the Automation API's
 * getAllConfig or stackConfig below) → the validated lab. Refused: a secret swarmlab: setting, one whose text in
 * `file` (the stack's settings file, when known) Pulumi read otherwise, and a backend this version cannot run.
 */
export function specFromConfig(all: Record<string, string | Setting>, file?: SettingsFile): LabSpec {
  const settings = plainSettings(swarmlabSettings(all));
  if (file) assertSettingsReadAlike(file, settings);
  return settleSpec(labSpecFromConfig(settings));
}

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

/**
 * The stack's settings file as Pulumi reads it: Pulumi.<stack>.yaml (the stack's last name segment) beside Pulumi.yaml,
 * which is this checkout's folder for `npx pulumi up` and npm run up's workspace alike (Pulumi.yaml sets no
 * stackConfigDir). Undefined when there is none (settings given some other way: nothing to compare).
 */
export function stackSettingsFile(stack: string, root = PROJECT_ROOT): SettingsFile | undefined {
  const name = `Pulumi.${stack.replace(/^.*\//, "")}.yaml`;
  try {
    return { name, text: readFileSync(path.join(root, name), "utf8") };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

export function readSpec(): LabSpec {
  return specFromConfig(stackConfig());
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
  /** The stack's settings file, to compare its text with Pulumi's reading; a host without it compares nothing. */
  settingsFile?(stack: string): SettingsFile | undefined;
  /** Fails, in one line with the fix, when a program the backend runs is not installed (preview refuses as up would). */
  assertTools?(backend: LabSpec["backend"]): void;
  /** What exists under the names the lab's objects would take (Backend.namesTaken); a host without it checks none. */
  namesTaken?(spec: LabSpec): Promise<LabObject[]>;
}

export const THIS_HOST: ProgramHost = {
  facts: (image) => readHostFacts(image),
  warn: (message) => void pulumi.log.warn(message),
  encryption: readEncryptionSupport,
  settingsFile: (stack) => stackSettingsFile(stack),
  assertTools: (backend) => pluginOf(backend).assertTools(),
  namesTaken: async (spec) =>
    (await backendFor(spec.backend)).namesTaken(
      spec.name,
      spec.nodes.map((n) => n.name),
    ),
};

/**
 * The doctor's ESP/GCM judgement of this kernel (lab/doctor/kernel.ts), from the few facts it needs: the kernel's
 * config, its modules and /proc/crypto. Taken as data (its state, and what shows it), not read back from the report.
 */
export async function readEncryptionSupport(): Promise<EncryptionSupport> {
  const release = os.release();
  const read = (file: string) => fs.readFile(file, "utf8").catch(() => undefined);
  const gz = await fs.readFile("/proc/config.gz").then(
    (b) => zlib.gunzipSync(b).toString(),
    () => undefined,
  );
  const boot = gz === undefined ? await read(`/boot/config-${release}`) : undefined;
  const config =
    gz !== undefined ? { source: "/proc/config.gz", text: gz } : boot !== undefined ? { source: `/boot/config-${release}`, text: boot } : undefined;
  const [modulesDir, sysModules, crypto] = await Promise.all([
    fs.stat(`/lib/modules/${release}`).then(
      () => true,
      () => false,
    ),
    fs.readdir("/sys/module").catch(() => [] as string[]),
    read("/proc/crypto"),
  ]);
  const facts = { release, config, modulesDir, sysModules, crypto: crypto ?? "", filesystems: "", ipvs: false };
  const esp = kernelFeature(facts, "ESP/GCM");
  return { available: esp.state === "present", detail: `Linux ${release}: ${esp.shownBy}` };
}

/**
 * The stack's settings, validated before anything is declared: warnings for settings the lab ignores, then the
 * settings alone (none secret, each read as written), then against what the host has (routes, networks, the image).
 */
export async function checkedSpec(host: ProgramHost): Promise<LabSpec> {
  const all = stackConfig();
  for (const warning of settingsWarnings(all)) host.warn(lineOf(warning));
  const spec = specFromConfig(all, host.settingsFile?.(pulumi.getStack()));
  host.assertTools?.(spec.backend);
  const hostKernel = !pluginOf(spec.backend).ownKernel; // the nodes' ESP/GCM is this kernel's
  if (spec.overlay.encrypted && hostKernel && host.encryption) assertEncryptionFits(spec, await host.encryption());
  assertHostFits(spec, await host.facts(spec.service.image), pulumi.getStack());
  if (host.namesTaken) assertNamesFree(spec.name, await host.namesTaken(spec), pulumi.getStack());
  return spec;
}

/** What the program exports: every output of LabOutputs (lab/outputs.ts), by the same name, as Pulumi takes it. */
export type ProgramOutputs = { [K in keyof LabOutputs]-?: pulumi.Input<LabOutputs[K]> };

export async function swarmlabProgram(host: ProgramHost = THIS_HOST): Promise<ProgramOutputs> {
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
    remake: lab.remake,
    upstream: lab.upstream,
    pingTarget: spec.pingTarget,
  };
}
