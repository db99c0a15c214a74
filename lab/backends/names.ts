// Every backend name the settings accept (swarmlab:backend), in the order an error lists them. The ones with a line
// in the registry (lab/backends/index.ts) run; the others are refused there as "not available yet". A leaf module:
// lab/types.ts and lab/config.ts read it without loading any backend.
export const BACKEND_NAMES = ["docker", "vagrant", "ssh"] as const;
