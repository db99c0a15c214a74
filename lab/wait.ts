// Waiting for something that comes true by itself (a node Ready, a subnet allocated, an sshd answering): ask, pause,
// ask again, until it holds or the time is up. One helper instead of a loop in each file (kind's tryUntil is the
// model), so every wait has a name, a bound and a pacing, and every timeout reads the same way:
//   nodes Ready: not after 60s (still waiting for swarm-worker2: down)
// naming what was awaited, for how long, and the last thing the probe saw.

/** Start small and back off: the first pause, multiplied by `factor` (default 2) each time, up to `capMs`. */
export interface Backoff {
  firstMs: number;
  capMs: number;
  factor?: number;
}

/**
 * What a probe's thrown error does to the wait: "end" ends it with that error, "retry" counts it as "not yet" (its
 * message is then the last thing seen), or a function choosing one of those for each error.
 */
export type OnError = "end" | "retry" | ((err: unknown) => "end" | "retry");

export interface WaitOptions {
  /** How long to keep asking, from the first ask. */
  timeoutMs?: number;
  /** Or the time (epoch ms) to stop asking at: for waits that share one deadline. */
  deadlineMs?: number;
  /** Or, alone or with a time bound, how many asks at most. */
  attempts?: number;
  /** The pause between two asks (ms), or a back-off. No pause outlasts the deadline: the last ask is made at it. */
  pacingMs: number | Backoff;
  /** Errors the probe throws: no default, each wait says whether they end it or are part of waiting. */
  errors: OnError;
  /** The time and the pause, for tests. */
  clock?: Clock;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** What a probe is told, and how it says what it saw. */
export interface Probing {
  /** 1 for the first ask. */
  attempt: number;
  /** Time left before the deadline when read (Infinity without one): for a probe that must not outlast it. */
  readonly remainingMs: number;
  /** What this ask saw, in plain words, for the timeout's message ("swarm-worker2: down"). */
  saw(what: string): void;
}

/** A probe answers the awaited value once it holds, or undefined/false to keep waiting. */
export type Probe<T> = (p: Probing) => Promise<T | undefined | false> | T | undefined | false;

/** The wait ran out: what was awaited, for how long, and the last thing seen (a retried error's message included). */
export class WaitTimeout extends Error {
  constructor(
    readonly awaited: string,
    readonly waitedMs: number,
    readonly lastSeen: string,
    /** How many asks were made, when their number (not the time) ended the wait. */
    readonly asks?: number,
    cause?: unknown,
  ) {
    const after = asks === undefined ? seconds(waitedMs) : `${asks} asks in ${seconds(waitedMs)}`;
    super(`${awaited}: not after ${after}${lastSeen ? ` (${lastSeen})` : ""}`);
    this.name = "WaitTimeout";
    // Set here rather than through Error's options: the Pulumi language host type-checks the program against a lib
    // whose Error takes a message only.
    if (cause !== undefined) Object.defineProperty(this, "cause", { value: cause, configurable: true, writable: true });
  }
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Asks `probe` until it answers a value, and returns it; throws WaitTimeout once the bound is reached. */
export async function waitUntil<T>(name: string, options: WaitOptions, probe: Probe<T>): Promise<T> {
  const { clock = realClock } = options;
  const start = clock.now();
  const deadline = Math.min(options.timeoutMs === undefined ? Infinity : start + options.timeoutMs, options.deadlineMs ?? Infinity);
  const attempts = options.attempts ?? Infinity;
  if (deadline === Infinity && attempts === Infinity) throw new Error(`waiting for ${name}: no timeoutMs, deadlineMs or attempts`);
  let lastSeen = "";
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    let seen = "";
    lastError = undefined;
    try {
      const probing = {
        attempt,
        get remainingMs() {
          return deadline - clock.now();
        },
        saw: (what: string) => (seen = what),
      };
      const done = await probe(probing);
      if (done !== undefined && done !== false) return done;
    } catch (err) {
      if (decide(options.errors, err) === "end") throw err;
      lastError = err;
      seen = seen ? `${seen}; ${oneLine(err)}` : oneLine(err);
    }
    lastSeen = seen || lastSeen;
    const left = deadline - clock.now();
    if (left <= 0) {
      // the deadline's own length reads better than the few ms a last ask ran over it
      const waited = options.timeoutMs !== undefined && deadline === start + options.timeoutMs ? options.timeoutMs : clock.now() - start;
      throw new WaitTimeout(name, waited, lastSeen, undefined, lastError);
    }
    if (attempt >= attempts) throw new WaitTimeout(name, clock.now() - start, lastSeen, attempt, lastError);
    await clock.sleep(Math.min(pause(options.pacingMs, attempt), left));
  }
}

/** What a wait answers, or undefined where it timed out: for a caller to whom "not yet" is an answer, not an error. */
export async function unlessTimedOut<T>(wait: Promise<T>): Promise<T | undefined> {
  try {
    return await wait;
  } catch (err) {
    if (err instanceof WaitTimeout) return undefined;
    throw err;
  }
}

/** The pause after ask number `attempt`. */
export function pause(pacing: number | Backoff, attempt: number): number {
  if (typeof pacing === "number") return pacing;
  return Math.min(pacing.capMs, pacing.firstMs * (pacing.factor ?? 2) ** (attempt - 1));
}

function decide(errors: OnError, err: unknown): "end" | "retry" {
  return typeof errors === "function" ? errors(err) : errors;
}

function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .replace(/\s+/g, " ")
    .trim();
}

function seconds(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)}ms` : `${Math.round(ms / 100) / 10}s`;
}
