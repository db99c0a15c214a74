// A copy of the project elsewhere, as another checkout would be: for tests that must not run in the project itself.
import { cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import execa from "execa";
import { PROJECT_ROOT } from "../../infra/provider";

/** The project's files (no lab folders, no state) copied to a new folder, with the stack's state and settings unless told. */
export function copyProject(stack: string, withState = true): string {
  const copy = mkdtempSync(path.join(os.tmpdir(), "swarmlab-moved-"));
  const files = execa.sync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: PROJECT_ROOT }).stdout.split("\n").filter(Boolean);
  for (const f of files.filter((f) => existsSync(path.join(PROJECT_ROOT, f)))) {
    mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
    cpSync(path.join(PROJECT_ROOT, f), path.join(copy, f));
  }
  symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(copy, "node_modules"));
  if (!withState) return copy; // a fresh clone: no state, no settings
  cpSync(path.join(PROJECT_ROOT, ".pulumi-state"), path.join(copy, ".pulumi-state"), { recursive: true });
  cpSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), path.join(copy, `Pulumi.${stack}.yaml`));
  return copy;
}
