// A program's answer to `version`, kept while the program is the same file (its real path, inode, size and change
// time): the Pulumi CLI, a 100 MB binary, takes half a second to say it, and the doctor asks at every up. The cache is
// the user's (SWARMLAB_CACHE, as scripts/node.sh takes it); a cache that cannot be read or written is only a miss.
import { mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

type Entries = Record<string, { key: string; version: string }>;

export function defaultCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.SWARMLAB_CACHE || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "swarmlab");
  return path.resolve(dir, "versions.json");
}

/** What identifies the file now; undefined when it is not there. */
function identity(file: string): { real: string; key: string } | undefined {
  try {
    const real = realpathSync(file);
    const s = statSync(real);
    return { real, key: `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}` };
  } catch {
    return undefined;
  }
}

function readEntries(cacheFile: string): Entries {
  try {
    const parsed = JSON.parse(readFileSync(cacheFile, "utf8")) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Entries) : {};
  } catch {
    return {};
  }
}

/** `ask()`'s answer for `file`, from the cache while the file is unchanged; only an answer (not undefined) is kept. */
export async function cachedVersion(
  file: string,
  ask: () => Promise<string | undefined>,
  cacheFile = defaultCacheFile(),
): Promise<string | undefined> {
  const id = identity(file);
  if (!id) return ask();
  const entries = readEntries(cacheFile);
  const hit = entries[id.real];
  if (hit?.key === id.key && typeof hit.version === "string") return hit.version;
  const version = await ask();
  if (version === undefined) return undefined;
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    const partial = `${cacheFile}.${process.pid}`;
    const kept = Object.entries(entries).filter(([f]) => identity(f)); // programs since removed are forgotten
    writeFileSync(partial, JSON.stringify({ ...Object.fromEntries(kept), [id.real]: { key: id.key, version } }));
    renameSync(partial, cacheFile); // whole or not at all, with another run writing too
  } catch {
    // a cache that cannot be written is asked again next time
  }
  return version;
}
