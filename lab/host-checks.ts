// What the lab's settings must fit on this machine before anything is made or kept: the backend's tools, ESP/GCM for
// an encrypted overlay on container nodes, the host's routes and networks, and names nobody else holds. Asked by the
// Pulumi program (infra/program.ts) and by a healthy up that skips the engine (lab/settled.ts): the same refusals.
import { promises as fs } from "node:fs";
import os from "node:os";
import zlib from "node:zlib";
import type { LabObject } from "./backends/backend";
import { backendFor, pluginOf } from "./backends";
import { assertEncryptionFits, EncryptionSupport } from "./config";
import { kernelFeature } from "./doctor/kernel";
import { assertHostFits, HostFacts, readHostFacts } from "./host-facts";
import { assertNamesFree } from "./parts/names-free";
import type { LabSpec } from "./types";

/** What the checks read of the machine: tests give fixtures. */
export interface HostChecks {
  /** The host's routes, addresses, Docker networks and pools, and the service's image: read once per run. */
  facts(image: string): Promise<HostFacts>;
  /**
   * Whether this machine's kernel has what an encrypted overlay needs (ESP, AES-GCM); asked only for
   * swarmlab:encrypted true on container nodes. A host that cannot tell is taken to have it.
   */
  encryption?(): Promise<EncryptionSupport>;
  /** Fails, in one line with the fix, when a program the backend runs is not installed (preview refuses as up would). */
  assertTools?(backend: LabSpec["backend"]): void;
  /** What exists under the names the lab's objects would take (Backend.namesTaken); a host without it checks none. */
  namesTaken?(spec: LabSpec): Promise<LabObject[]>;
}

export const THIS_MACHINE: Required<HostChecks> = {
  facts: (image) => readHostFacts(image),
  encryption: readEncryptionSupport,
  assertTools: (backend) => pluginOf(backend).assertTools(),
  namesTaken: async (spec) =>
    (await backendFor(spec.backend)).namesTaken(
      spec.name,
      spec.nodes.map((n) => n.name),
    ),
};

/** Fails with the first setting this machine cannot take for stack `stack`'s lab, in one line with the fix. */
export async function assertLabFitsHost(spec: LabSpec, stack: string, host: HostChecks): Promise<void> {
  host.assertTools?.(spec.backend);
  const hostKernel = !pluginOf(spec.backend).ownKernel; // the nodes' ESP/GCM is this kernel's
  if (spec.overlay.encrypted && hostKernel && host.encryption) assertEncryptionFits(spec, await host.encryption());
  assertHostFits(spec, await host.facts(spec.service.image), stack);
  if (host.namesTaken) assertNamesFree(spec.name, await host.namesTaken(spec), stack);
}

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
