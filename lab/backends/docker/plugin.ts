// What the registry knows of the docker backend without loading it (lab/backends/backend.ts, BackendPlugin).
import type { BackendPlugin } from "../backend";

export const plugin: BackendPlugin = {
  name: "docker",
  load: async () => new (await import("./index")).DockerBackend(),
  present: async () => true, // the Docker engine is every lab's: the upstream and the images live there
  settle: (spec) => spec,
  assertTools: () => undefined, // the engine is checked where it is first asked (lab/host-facts.ts)
};
