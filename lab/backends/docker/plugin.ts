// What the registry knows of the docker backend without loading it (lab/backends/backend.ts, BackendPlugin).
import type { BackendPlugin } from "../backend";

export const plugin: BackendPlugin = {
  name: "docker",
  // require, not import(): the CLI's language host leaves a dynamic import() to Node's ESM loader, which finds no
  // extensionless .ts module ("Cannot find module …/index"); require goes where the static imports go.
  load: async () => new (require("./index") as typeof import("./index")).DockerBackend(),
  present: async () => true, // the Docker engine is every lab's: the upstream and the images live there
  settle: (spec) => spec,
  assertTools: () => undefined, // the engine is checked where it is first asked (lab/host-facts.ts)
};
