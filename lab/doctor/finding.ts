// What the doctor says about one thing it checked: ok, info, a warning or a blocker, in plain words, and for every
// problem the command or step that fixes it.

/** blocker: up would fail. warn: up works, but part of the tutorial will not, or something may get in the way. */
export type Status = "ok" | "info" | "warn" | "blocker";

export interface Finding {
  /** What was checked, in a word or two: "Docker engine", "VXLAN", "subnet". */
  check: string;
  status: Status;
  /** What was found, and for a problem what it changes: one line. */
  says: string;
  /** For a warning or a blocker: the command or step that fixes it. */
  fix?: string;
  /**
   * A kernel feature this machine lacks (IPVS, ESP/GCM): what shows it, in a few words ("not in this kernel
   * (CONFIG_IP_VS is not set in /proc/config.gz)"), for a backend whose machines run their own kernel to restate.
   */
  lacking?: string;
}

export const ok = (check: string, says: string): Finding => ({ check, status: "ok", says });
export const info = (check: string, says: string): Finding => ({ check, status: "info", says });
export const warn = (check: string, says: string, fix: string): Finding => ({ check, status: "warn", says, fix });
export const blocker = (check: string, says: string, fix: string): Finding => ({ check, status: "blocker", says, fix });
