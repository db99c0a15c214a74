// What the lab's settings must fit on this machine before anything is made or kept: the backend's tools, ESP/GCM for
// an encrypted overlay on container nodes, the host's routes and networks, and names nobody else holds. Asked by the
// Pulumi program (infra/program.ts) and by a healthy up that skips the engine (lab/settled.ts): the same refusals.
import Docker from "dockerode";
import type { LabObject } from "./backends/backend";
import { backendFor, pluginOf } from "./backends";
import { assertEncryptionFits, EncryptionSupport } from "./config";
import { kernelFeature } from "./doctor/kernel";
import { readKernel } from "./doctor/kernel-read";
import { engineMachine } from "./engine-host";
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
  /** Fails with the first blocker of the backend's doctor, for a backend whose machines it does not make (ssh). */
  assertMachinesFit?(spec: LabSpec, stack: string): Promise<void>;
}

export const THIS_MACHINE: Required<HostChecks> = {
  facts: (image) => readHostFacts(image),
  encryption: () => readEncryptionSupport(),
  assertTools: (backend) => pluginOf(backend).assertTools(),
  namesTaken: async (spec) =>
    (await backendFor(spec.backend)).namesTaken(
      spec.name,
      spec.nodes.map((n) => n.name),
    ),
  assertMachinesFit: async (spec, stack) => {
    const doctor = pluginOf(spec.backend).doctor;
    if (!doctor?.gatesProgram) return;
    const refused = doctor.findings(await doctor.read({ spec, stack, quick: true }), undefined).find((f) => f.status === "blocker");
    if (refused) throw new Error(`${refused.check}: ${refused.says}. Fix: ${refused.fix}`);
  },
};

/** Fails with the first setting this machine cannot take for stack `stack`'s lab, in one line with the fix. */
export async function assertLabFitsHost(spec: LabSpec, stack: string, host: HostChecks): Promise<void> {
  host.assertTools?.(spec.backend);
  const hostKernel = !pluginOf(spec.backend).ownKernel; // the nodes' ESP/GCM is this kernel's
  if (spec.overlay.encrypted && hostKernel && host.encryption) assertEncryptionFits(spec, await host.encryption());
  assertHostFits(spec, await host.facts(spec.service.image), stack);
  if (host.namesTaken) assertNamesFree(spec.name, await host.namesTaken(spec), stack);
  await host.assertMachinesFit?.(spec, stack);
}

/**
 * The doctor's ESP/GCM judgement of the kernel the nodes run on (lab/doctor/kernel.ts): the engine's machine's
 * (lab/engine-host.ts: this one, or read through a probe on the engine), from its config, modules and /proc/crypto.
 * Taken as data (its state, and what shows it), not read back from the report.
 */
export async function readEncryptionSupport(docker: Docker = new Docker()): Promise<EncryptionSupport> {
  const machine = await engineMachine(docker);
  const kernel = await readKernel(machine.reader);
  const esp = kernelFeature(kernel, "ESP/GCM");
  const where = machine.local ? "" : `${machine.says}: `;
  return { available: esp.state === "present", detail: `${where}Linux ${kernel.release}: ${esp.shownBy}` };
}
