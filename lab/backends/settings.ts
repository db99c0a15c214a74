// What a backend's settings take beyond the rules every lab follows (lab/config.ts): each backend's folder may have a
// settings.ts exporting one, and lab/backends/names.ts lists them by name. A leaf, as those are: lab/config.ts reads
// them without loading any backend (a backend's module reaches lab/config.ts, so the registry cannot be asked there).
import type { Cidr } from "../net";

/**
 * A setting a backend refuses, as data: lab/config.ts makes it the ConfigError users see (`key = "value": problem.
 * Fix: fix`), and the fix's value must pass every check itself.
 */
export interface SettingRefusal {
  key: string;
  value: string;
  problem: string;
  fix: string;
}

/** The lab's settings a backend judges, once the common rules have passed. */
export interface JudgedSettings {
  /** The lab network, parsed, and as written. */
  subnet: Cidr;
  subnetText: string;
  egress: string;
}

export interface BackendSettings {
  /** The only prefix its lab network takes (vagrant: 24), so that every subnet fix suggests a block of it. */
  readonly fixedPrefix?: number;
  /**
   * Keys of its own (swarmlab:<key>), each with its check of a value that is set. Known to the settings whichever
   * backend is chosen, and checked whenever set (a typo is said at once, not when the backend is switched); the lab's
   * LabSpec.backendSettings carries those set, for its backend's.
   */
  readonly keys?: Readonly<Record<string, (value: string) => SettingRefusal | undefined>>;
  /** Repositories of the images its machines run (docker: the node image and its base): never a service's image. */
  readonly machineImages?: readonly string[];
  /** What of the common settings its machines cannot take (e.g. egress for VMs on isolated networks). */
  refuses?(settings: JudgedSettings): SettingRefusal | undefined;
}
