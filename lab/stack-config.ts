// A stack's settings → the lab: the swarmlab: namespace of its config, validated. Shared by the Pulumi program, the
// Automation API's reading (infra/stack.ts) and the doctor, which reads Pulumi.<stack>.yaml itself.
import { settleSpec } from "./backends";
import { labSpecFromConfig, plainSettings, Setting } from "./config";
import { assertSettingsReadAlike, SettingsFile } from "./settings-text";
import type { LabSpec } from "./types";

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
