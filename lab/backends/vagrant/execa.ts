// execa, loaded when this backend first runs a program rather than with its plugin: the registry
// (lab/backends/index.ts) loads every plugin in every command, and execa with its dependencies is ~50 ms of each
// start (npm run status on a docker lab runs no program of this backend).
import type Execa from "execa";

export type { ExecaReturnValue, Options } from "execa";

export const execa = ((...args: Parameters<typeof Execa>) => (require("execa") as typeof Execa)(...args)) as typeof Execa;
