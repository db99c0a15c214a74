// The page's looks at the lab, one at a time however many pages poll: a check runs over SSH on every node, and two at
// once would only compete for the same sessions and cores. A page gets the latest look at once; a look older than
// `every` starts the next one in the background, so the page follows the lab a few seconds behind the student, and
// nothing is looked at while no page asks.
import type { ExerciseReport } from "../format";

/** One look at the lab: the current exercise checked, and the picture of the lab as it is. */
export interface PageLook {
  /** The check; null when no exercise is started on this stack, undefined when it could not run (`problem` says why). */
  check?: ExerciseReport | null;
  /** The lab drawn as SVG; undefined when it could not be looked at. */
  svg?: string;
  /** What kept the look from being whole, as a plain sentence with its fix. */
  problem?: string;
}

export const PAGE_FORMAT = "swarmlab.exercise-page/1";

/** What GET /state answers: the latest look, and whether the next one is under way. */
export interface PageState {
  format: typeof PAGE_FORMAT;
  /** How many looks ended so far. */
  looks: number;
  /** When the latest look ended, ISO 8601. */
  lookedAt: string;
  /** A look is under way now. */
  looking: boolean;
  /** The check of the latest look that had one (kept when a later look fails: `problem` says why it is old). */
  check: ExerciseReport | null;
  /** The picture's version (GET /topology.svg?v=<it>): it changes when the picture does; null while there is none. */
  picture: number | null;
  problem: string | null;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class Looks {
  private looks = 0;
  private endedAt = 0;
  private check?: ExerciseReport;
  private problem?: string;
  private svg?: string;
  private picture = 0;
  private running?: Promise<void>;

  constructor(
    private readonly look: () => Promise<PageLook>,
    private readonly every: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The latest look (the first waits for the first look); starts the next when the latest is older than `every`. */
  async state(): Promise<PageState> {
    if (this.looks === 0) await this.next();
    else if (!this.running && this.now() - this.endedAt >= this.every) void this.next();
    return {
      format: PAGE_FORMAT,
      looks: this.looks,
      lookedAt: new Date(this.endedAt).toISOString(),
      looking: this.running !== undefined,
      check: this.check ?? null,
      picture: this.svg === undefined ? null : this.picture,
      problem: this.problem ?? null,
    };
  }

  /** The latest picture of the lab, if any. */
  topology(): string | undefined {
    return this.svg;
  }

  /** Starts a look unless one is under way; resolves when it ends. Never rejects: a failed look is a problem shown. */
  next(): Promise<void> {
    this.running ??= this.look()
      .then(
        (l) => this.keep(l),
        (err) => this.keep({ problem: messageOf(err) }),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** A look whose check could not run keeps the last check (shown with the look's problem). */
  private keep(l: PageLook): void {
    this.looks++;
    this.endedAt = this.now();
    if (l.check !== undefined) this.check = l.check ?? undefined;
    this.problem = l.problem;
    if (l.svg !== undefined && l.svg !== this.svg) {
      this.svg = l.svg;
      this.picture++;
    }
  }
}
