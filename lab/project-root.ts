// The project folder: the nearest folder above this module that holds a package.json. This module runs from lab/
// (ts-node, the tests) and from dist/lab/ (compiled ahead: scripts/compiled.js), so no path is counted in "..".
import { existsSync } from "node:fs";
import path from "node:path";

export function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}: not in a swarmlab checkout`);
  }
}

export const PROJECT_ROOT = projectRoot(__dirname);

/** The Pulumi project's name (Pulumi.yaml) and the stack used when SWARMLAB_STACK names none. */
export const PROJECT = "swarmlab";
export const DEFAULT_STACK = "dev";
/** Where the stacks' state lives (Pulumi.yaml's backend: file://./.pulumi-state). */
export const STATE_DIR = path.join(PROJECT_ROOT, ".pulumi-state");

/** The state of a stack: the file backend's checkpoint, <state>/.pulumi/stacks/<project>/<stack>.json. */
export function stateFile(stack: string, stateDir = STATE_DIR): string {
  return path.join(stateDir, ".pulumi", "stacks", PROJECT, `${stack.replace(/^.*\//, "")}.json`);
}
