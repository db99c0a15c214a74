// How an npm command runs from its own file: every environment variable with a bad value said first (lab/env.ts),
// then the command, whose failure is said in a few lines: the engine's diagnostics, not the whole CLI transcript.
import { projectEnvironmentErrors } from "../lab/env";

/** What went wrong, in a few lines: the engine's diagnostics rather than the whole CLI transcript. */
export function failureOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const diagnostics = [...new Set([...text.matchAll(/^(?: {4})?error: (.*)$/gm)].map((m) => m[1]).filter((l) => l !== "update failed"))];
  return diagnostics.length ? diagnostics.join("\n  ") : text;
}

/** Runs the command and exits with its code; exit 2 before it when a variable is bad, 1 when it throws. */
export function runCommand(command: () => Promise<number>): void {
  const bad = projectEnvironmentErrors(process.env);
  for (const e of bad) console.error(`swarmlab: ${e.message}`);
  if (bad.length > 0) process.exit(2);
  command().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`swarmlab: ${failureOf(err)}`);
      process.exit(1);
    },
  );
}
