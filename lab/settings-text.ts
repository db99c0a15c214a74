// A setting means one thing to every reader of Pulumi.<stack>.yaml (issue 15). Pulumi reads the file with Go's YAML
// reader and hands the program its reading as text: `swarmlab:workers: 010` arrives as "8" (a leading 0 is octal
// there) and 0x10 as "16", while js-yaml (the doctor's reader, and @pulumi/pulumi's LocalWorkspace) reads 010 as 10.
// So each swarmlab: scalar's text, as written in the file, is compared with what Pulumi handed over; when they differ
// the setting is refused, naming both. The comparison is pure; stackSettingsFile reads the file, at the edge.
import { readFileSync } from "node:fs";
import path from "node:path";
import { CONFIG_KEYS, ConfigError, fixSetting, meantSetting, rmFix } from "./config";
import { PROJECT_ROOT } from "./project-root";

// js-yaml ships without types. FAILSAFE_SCHEMA keeps every scalar as the text written (quotes taken off).
const yaml = require("js-yaml") as {
  load(text: string, options?: { schema?: unknown }): unknown;
  FAILSAFE_SCHEMA: unknown;
};

const NS = "swarmlab";
const SAME = "a setting must mean the same to every reader";

/** A stack's settings file: its name (for messages) and its text. */
export interface SettingsFile {
  name: string;
  text: string;
}

/**
 * The swarmlab: scalars of a settings file as written, namespace removed (a key without one is the project's, swarmlab,
 * as Pulumi reads it). Secrets ({secure: ...}), lists and maps are left out (a secret is refused on its own; a list
 * reaches the program as JSON, not as its text), and so is a file that is no YAML at all: Pulumi read it before the
 * program ran, so that never happens there.
 */
export function writtenSettings(text: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA });
  } catch {
    return {};
  }
  const config = (doc as { config?: unknown } | null | undefined)?.config;
  if (config === null || typeof config !== "object" || Array.isArray(config)) return {};
  return Object.fromEntries(
    Object.entries(config as Record<string, unknown>)
      .map(([k, v]) => [k.includes(":") ? k : `${NS}:${k}`, v] as const)
      .filter(([k, v]) => k.startsWith(`${NS}:`) && typeof v === "string")
      .map(([k, v]) => [k.slice(NS.length + 1), v as string]),
  );
}

/**
 * Refuses the first known setting whose text in `file` differs from what Pulumi read (`settings`: the swarmlab:
 * settings as the program got them). The message shows Pulumi's reading as the value, the text and what YAML 1.2
 * readers make of it; the fix sets the value meant (010 workers: 10) when these settings take it, else Pulumi's
 * reading, else removes the setting. A key the file does not hold (a default of Pulumi.yaml) has nothing to differ
 * from; an unknown key is refused as one, whatever its text.
 */
export function assertSettingsReadAlike(file: SettingsFile, settings: Record<string, string>): void {
  const written = writtenSettings(file.text);
  for (const key of CONFIG_KEYS) {
    const text = written[key];
    const read = settings[key];
    if (text === undefined || read === undefined || text === read) continue;
    const fix = fixSetting(key, [meantSetting(key, text), read], settings) ?? rmFix(key);
    const why = notation(text, read);
    const pulumi = `which Pulumi reads as ${showText(read)}${why ? ` (${why})` : ""}`;
    const other = yaml12Reading(text);
    const doctor = ` and YAML 1.2 readers (the doctor's) as ${showText(other ?? "")}`;
    const others = other === undefined || other === read ? "" : doctor;
    const problem = `${file.name} says ${showText(text)}, ${pulumi}${others}: ${SAME}`;
    throw new ConfigError(key, read, fix, problem);
  }
}

/** What the text's notation made of it, for the message: the shapes that read differently, in a few words. */
function notation(text: string, read: string): string {
  const body = text.replace(/^[-+]/, "");
  const octal = String(parseInt(text.replace(/_/g, ""), 8));
  if (/^0[0-7_]+$/.test(body) && read === octal) return "octal, for its leading 0";
  if (/^0x/i.test(body)) return "hexadecimal";
  if (/^0o/i.test(body)) return "octal";
  if (/^0b/i.test(body)) return "binary";
  if (read === "true" || read === "false") return "a boolean";
  if (read === "" || read === "null") return "nothing";
  if (/^[-+]?[0-9.]/.test(text) && /^-?[0-9]/.test(read)) return "a number";
  return "";
}

/** How a YAML 1.2 reader (js-yaml's default schema) reads the plain scalar, as text; undefined if it cannot say. */
function yaml12Reading(text: string): string | undefined {
  try {
    const value = yaml.load(text);
    return value === null ? "null" : typeof value === "object" ? undefined : String(value);
  } catch {
    return undefined;
  }
}

/** Text in a message: as it is when plain, else JSON-quoted (so blanks, quotes and line breaks show). */
function showText(text: string): string {
  return /^[A-Za-z0-9_.:+/-]+$/.test(text) ? text : JSON.stringify(text);
}

/**
 * The stack's settings file as Pulumi reads it: Pulumi.<stack>.yaml (the stack's last name segment) beside Pulumi.yaml,
 * which is this checkout's folder for `npx pulumi up` and npm run up's workspace alike (Pulumi.yaml sets no
 * stackConfigDir). Undefined when there is none (settings given some other way: nothing to compare).
 */
export function stackSettingsFile(stack: string, root = PROJECT_ROOT): SettingsFile | undefined {
  const name = `Pulumi.${stack.replace(/^.*\//, "")}.yaml`;
  try {
    return { name, text: readFileSync(path.join(root, name), "utf8") };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
