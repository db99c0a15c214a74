// Where the Pulumi CLI of this checkout is: read from @pulumi/pulumi's package.json, without loading the SDK.
import os from "node:os";
import path from "node:path";
import { checkPulumiHome } from "./env";

/**
 * The CLI the npm `pulumi` wrapper would run: $PULUMI_HOME/versions/<@pulumi/pulumi's version>/bin/pulumi. An empty
 * or relative PULUMI_HOME is refused in lab/env.ts's line (checkPulumiHome), never taken for the current folder.
 */
export function cliRoot(): string {
  const version: string = require("@pulumi/pulumi/package.json").version;
  return path.join(checkPulumiHome(process.env.PULUMI_HOME) ?? path.join(os.homedir(), ".pulumi"), "versions", version);
}
