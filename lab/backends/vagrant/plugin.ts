// What the registry knows of the vagrant backend without loading it (lab/backends/backend.ts, BackendPlugin).
import { existsSync } from "node:fs";
import { ConfigError } from "../../config";
import type { KvmFacts } from "../../doctor/kvm";
import { kvmFinding } from "../../doctor/kvm";
import type { BackendPlugin } from "../backend";
import { readVmHost, VmHostFacts, vmHostFindings } from "./doctor";
import { assertInstalled } from "./programs";
import type { VagrantProvider } from "./settings";
import { libvirtAnswers } from "./virsh";

export const plugin: BackendPlugin = {
  name: "vagrant",
  ownKernel: "the lab's VMs run the box's own Debian kernel",
  // require, not import(): the CLI's language host leaves a dynamic import() to Node's ESM loader, which finds no
  // extensionless .ts module ("Cannot find module …/index"); require goes where the static imports go.
  load: async () => new (require("./index") as typeof import("./index")).VagrantBackend(),
  present: libvirtAnswers,
  settle(spec) {
    // unset or "": the one installed here (lab/config.ts checked a value that is set: ./settings.ts)
    const vagrantProvider = (spec.backendSettings?.vagrantProvider || installedVagrantProvider()) as VagrantProvider;
    assertProviderRuns(vagrantProvider);
    return { ...spec, backendSettings: { ...spec.backendSettings, vagrantProvider } };
  },
  assertTools() {
    assertInstalled("vagrant"); // the doctor names every missing piece; these two are what up calls first
    assertInstalled("virsh");
  },
  ssh: {
    // libvirt's domain UUID (a container's id is 64 hex digits)
    isMachine: (id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id),
    /**
     * Under software emulation an SSH handshake costs a VM seconds of CPU, and a refresh has several parts look at
     * the manager at once (measured: 5 s was not enough for one of five; with three VMs booted at once on a busy
     * host, 30 s was not enough for the overlay's).
     */
    minTimeoutMs: 60_000,
    attemptMs: 30_000, // a busy emulated VM has taken more than the 10 s a container gets
  },
  doctor: {
    read: () => readVmHost(),
    findings: (facts: unknown, kvm: KvmFacts | undefined) => [...vmHostFindings(facts as VmHostFacts | undefined), kvmFinding(kvm)],
  },
};

/** Fails, before anything is created, for a provider this version cannot drive. */
export function assertProviderRuns(vagrantProvider: VagrantProvider): void {
  if (vagrantProvider === "virtualbox") {
    throw new ConfigError(
      "vagrantProvider",
      vagrantProvider,
      "pulumi config set swarmlab:vagrantProvider libvirt",
      "the vagrant backend drives libvirt only for now " + "(the Vagrantfile alone makes the tutorial's VirtualBox machines: vagrant up)",
    );
  }
}

/** Vagrant's provider for a lab that sets none: the one installed here (libvirt with virsh on PATH, else virtualbox). */
export function installedVagrantProvider(): VagrantProvider {
  const onPath = (program: string) => (process.env.PATH ?? "").split(":").some((dir) => dir && existsSync(`${dir}/${program}`));
  return onPath("virsh") || !onPath("VBoxManage") ? "libvirt" : "virtualbox";
}
