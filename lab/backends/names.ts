// Every backend the settings accept (swarmlab:backend), in the order an error lists them, each with what its settings
// take beyond the common rules (its folder's settings.ts; {} for none). The ones with a line in the registry
// (lab/backends/index.ts) run; the others are refused there as "not available yet". Kept apart from the registry, and
// light: lab/types.ts and lab/config.ts read it without loading any backend (a backend's module reaches lab/config.ts,
// so the registry, which loads them, cannot be read there without an import cycle).
import { settings as docker } from "./docker/settings";
import { settings as ssh } from "./ssh/settings";
import { settings as vagrant } from "./vagrant/settings";

export const BACKEND_SETTINGS = { docker, vagrant, ssh } as const;

export const BACKEND_NAMES = Object.keys(BACKEND_SETTINGS) as (keyof typeof BACKEND_SETTINGS)[];
