// Stub commands for the unit tests of the set-up scripts: they run with a PATH of stubs and of links to the few
// real tools they need, so that no real go, npm, npx, pulumi or node of this machine is ever reached.
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

export function writeExecutable(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

/** Links each of `tools` found in /usr/bin or /bin into `dir` (made), for a PATH of exactly those. */
export function linkTools(dir: string, tools: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) {
    const found = ["/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((file) => existsSync(file));
    if (found) symlinkSync(found, path.join(dir, tool));
  }
}
