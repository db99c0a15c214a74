// The environment of every Pulumi CLI run of this project: its state folder, its passphrase, its CLI. Loads no
// @pulumi module, so that commands which run one CLI command themselves (npm run down) need not load the SDK.
import path from "node:path";
import { privateFolder } from "../lab/lab-dir";
import { PROJECT_ROOT, STATE_DIR } from "../lab/project-root";
import { cliRoot } from "../lab/pulumi-home";
import { passphraseEnv } from "./passphrase";

/** The environment of every Pulumi command on a stack (of the workspace when none is named). */
export function pulumiEnv(stack?: string): Record<string, string> {
  privateFolder(STATE_DIR); // the state holds the stacks' (encrypted) secrets
  return {
    PULUMI_BACKEND_URL: `file://${STATE_DIR}`,
    ...passphraseEnv(stack),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // Pulumi.yaml's program (npx pulumi from a stack of this process, the lifecycle tests) transpiles only, with swc
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    // where the dynamic providers find the lab's code (infra/provider.ts)
    SWARMLAB_ROOT: PROJECT_ROOT,
    // dynamic providers run through pulumi-resource-pulumi-nodejs, installed beside the CLI
    PATH: `${path.join(cliRoot(), "bin")}${path.delimiter}${process.env.PATH ?? ""}`,
  };
}
