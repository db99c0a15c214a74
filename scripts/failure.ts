// How a command that failed says why: the engine's diagnostics rather than the whole Pulumi CLI transcript.

/** What went wrong, in a few lines: the engine's diagnostics rather than the whole CLI transcript. */
export function failureOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const diagnostics = [...new Set([...text.matchAll(/^(?: {4})?error: (.*)$/gm)].map((m) => m[1]).filter((l) => l !== "update failed"))];
  return diagnostics.length ? diagnostics.join("\n  ") : text;
}
