// Files that every run of the project shares (.swarmlab/ssh-hosts.json, .swarmlab/known_hosts): two stacks brought up
// at once each read, change and write them, and without a lock the later writer drops what the earlier one added. The
// lock is a file made with O_EXCL beside it, holding its maker's pid: one left by a process that is gone is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";

/** How long a change waits for another's lock before it fails, saying whose lock it is. */
const WAIT_MS = 10_000;
/** A lock older than this is taken to be left over (a change holds it for milliseconds). */
const STALE_MS = 60_000;

/** Runs `change` (which reads and writes `file`) while no other process changes it. */
export function withFileLock<T>(file: string, change: () => T, waitMs = WAIT_MS): T {
  const lock = `${file}.lock`;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lock, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (leftOver(lock)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > until)
        throw new Error(`${file} is being changed by process ${holder(lock) ?? "?"} (its lock ${lock} stayed ${waitMs / 1000} s)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  }
  try {
    return change();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Writes the file whole or not at all (a temporary file of this process, renamed over it). */
export function writeWhole(file: string, text: string, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

function holder(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(lock, "utf8"));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the lock's maker is gone, or it is older than any change takes. */
function leftOver(lock: string): boolean {
  const pid = holder(lock);
  if (pid !== undefined && pid !== process.pid) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") return true;
    }
  }
  const made = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
  return made !== undefined && Date.now() - made > STALE_MS;
}
