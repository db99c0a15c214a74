// The registry of backends (after kind's pkg/cluster/provider.go and containerlab's node registry): one line per
// backend, each a folder below lab/backends/ whose plugin.ts says what the code above asks of it and loads the rest
// when a lab first needs it. Adding a backend is its folder and its line here; lab/backends/backend.ts, the
// interface, names none of them.
import { ConfigError, DEFAULT_BACKEND } from "../config";
import type { BackendName, LabSpec } from "../types";
import type { Backend, BackendPlugin, SshPacing } from "./backend";
import { plugin as docker } from "./docker/plugin";
import { plugin as ssh } from "./ssh/plugin";
import { plugin as vagrant } from "./vagrant/plugin";

export type { Backend, BackendInfo, BackendPlugin, LabObject, ListedNode, Log, MachineImages, ProvisionedNode } from "./backend";

const PLUGINS: Partial<Record<BackendName, BackendPlugin>> = { docker, vagrant, ssh };

/** The backends this version runs, in the registry's order. */
export const RUNNABLE = Object.keys(PLUGINS) as BackendName[];

/** The registry's entry of a backend, if this version runs it (the settings accept names it does not, e.g. ssh). */
export function registered(name: string | undefined): BackendPlugin | undefined {
  return name === undefined ? undefined : PLUGINS[name as BackendName];
}

/** The registry's entry of a backend; a ConfigError for one the settings accept but this version cannot run yet. */
export function pluginOf(name: BackendName): BackendPlugin {
  const plugin = PLUGINS[name];
  if (!plugin) {
    const runnable = RUNNABLE.map((n) => `"${n}"`).join(" and ");
    const fix = `pulumi config set swarmlab:backend ${DEFAULT_BACKEND}`;
    throw new ConfigError("backend", name, fix, `this backend is not available yet; ${runnable} are`);
  }
  return plugin;
}

/** The backend of that name, its module loaded on first use. */
export async function backendFor(name: BackendName): Promise<Backend> {
  return pluginOf(name).load();
}

/**
 * The settings with what the host decides filled in by their backend; refused (a ConfigError, before anything is
 * created) when this version cannot run them.
 */
export function settleSpec(spec: LabSpec): LabSpec {
  return pluginOf(spec.backend).settle(spec);
}

/** How SSH to a machine is paced: its backend's, when that backend paces its machines; undefined otherwise. */
export function sshPacingOf(machine: string): SshPacing | undefined {
  return RUNNABLE.map((n) => PLUGINS[n]?.ssh).find((ssh) => ssh?.isMachine(machine));
}

/** Every backend this host can hold labs of (npm run clean looks for a lab's leftovers in each). */
export async function availableBackends(): Promise<Backend[]> {
  const present = await Promise.all(RUNNABLE.map(async (n) => ((await pluginOf(n).present()) ? n : undefined)));
  return Promise.all(present.filter((n): n is BackendName => n !== undefined).map(backendFor));
}
