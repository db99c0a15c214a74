// What the docker backend's settings take beyond the common rules (lab/backends/settings.ts): no keys of its own; the
// repositories of its machines' images (./images.ts), which no service may run. A leaf, as lab/config.ts reads it.
import type { BackendSettings } from "../settings";

export const NODE_REPOSITORY = "swarmlab-node";
export const BASE_REPOSITORY = "swarmlab-base";

export const settings: BackendSettings = {
  machineImages: [NODE_REPOSITORY, BASE_REPOSITORY],
};
