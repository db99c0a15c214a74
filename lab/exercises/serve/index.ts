// npm run exercise -- --serve [--port <n>]: the page on the student's machine (server.ts, page/), showing the current
// exercise of the stack checked by the engine's own check (one look at a time, looks.ts) and the lab's live picture
// (picture.ts), both from one snapshot per look over sessions kept open. It runs until interrupted.
import { exerciseNamed } from "../exercise";
import { checkExercise, type ExerciseLab } from "../engine";
import { readProgress } from "../progress";
import type { LabOutputs } from "../../outputs";
import { ConnectedLab } from "../../checks/observe";
import type { LabSnapshot } from "../../snapshot/model";
import { LabSessions, takeSnapshot } from "../../snapshot/read";
import { Looks, type PageLook } from "./looks";
import { Pictures } from "./picture";
import { DEFAULT_PORT, PageError, startPageServer, type PageServer } from "./server";

export { DEFAULT_PORT, PageError } from "./server";

/** How often the page's lab is looked at while a page is open: a look costs a check over SSH on every node. */
export const LOOK_EVERY_MS = 2000;

export interface ServeOptions {
  lab: ExerciseLab;
  port?: number;
  /** 127.0.0.1 (the default) or localhost; anything else is refused. */
  host?: string;
  every?: number;
}

/** --port and --host from the command line (the rest is the exercise command's); a PageError for a bad value. */
export function pageArgs(argv: string[]): { port: number; host?: string } {
  const value = (flag: string) => {
    const at = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    if (at < 0) return undefined;
    const v = argv[at].includes("=") ? argv[at].slice(flag.length + 1) : argv[at + 1];
    if (v === undefined || v.startsWith("--"))
      throw new PageError(`${flag} needs a value, for example ${flag} ${flag === "--port" ? DEFAULT_PORT : "127.0.0.1"}`);
    return v;
  };
  const port = value("--port");
  if (port !== undefined && !/^\d+$/.test(port)) throw new PageError(`--port '${port}' is not a port: give a number from 1 to 65535`);
  return { port: port === undefined ? DEFAULT_PORT : Number(port), ...(value("--host") !== undefined ? { host: value("--host") } : {}) };
}

/** Serves the page until close(); resolves once it listens. */
export async function servePage(o: ServeOptions): Promise<PageServer> {
  const kept = keptSessions();
  const pictures = new Pictures();
  // One snapshot per look, over sessions kept from look to look: the picture and the check both read it.
  const look = async (): Promise<PageLook> => {
    const outputs = o.lab.outputs();
    const sessions = kept.of(outputs);
    // the picture first: it reads the lab even when no exercise is started, or when the check cannot run
    let snapshot: LabSnapshot | undefined;
    let drawn: { svg: string } | { problem: string };
    try {
      snapshot = await takeSnapshot(sessions, { service: outputs.service, labInterface: true });
      drawn = { svg: await pictures.of(outputs, snapshot) };
    } catch (err) {
      drawn = { problem: `the lab's picture could not be drawn: ${err instanceof Error ? err.message : String(err)}` };
    }
    const current = readProgress(o.lab.root, outputs.lab).current;
    if (!current) {
      return {
        ...drawn,
        check: null,
        problem: `no exercise is started on stack ${o.lab.stack}: npm run exercise lists them, npm run exercise start <name> starts one`,
      };
    }
    // a check that cannot run (a node that does not answer) leaves the last one on the page, with why
    try {
      const over = await ConnectedLab.over(outputs, sessions, snapshot);
      return { ...drawn, check: await checkExercise(exerciseNamed(o.lab.root, current), o.lab, { over, counted: false }) };
    } catch (err) {
      return { ...drawn, problem: `the check could not run: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
  const server = await startPageServer({ host: o.host, port: o.port, looks: new Looks(look, o.every ?? LOOK_EVERY_MS) });
  return {
    ...server,
    close: async () => {
      await server.close();
      kept.close();
    },
  };
}

/** The lab's sessions, kept from look to look and made again when its nodes change (a node made anew has a new host key). */
function keptSessions() {
  let kept: { access: string; sessions: LabSessions } | undefined;
  return {
    of(outputs: LabOutputs): LabSessions {
      const access = JSON.stringify(outputs.nodeAccess);
      if (kept?.access !== access) {
        kept?.sessions.close();
        kept = { access, sessions: new LabSessions(outputs.nodeAccess, outputs.privateKey, 30_000) };
      }
      return kept.sessions;
    },
    close: () => kept?.sessions.close(),
  };
}

/** npm run exercise -- --serve [--port <n>]: serves the page until Ctrl-C (or SIGTERM); 0 then. */
export async function serveUntilStopped(lab: ExerciseLab, argv: string[], say: (l: string) => void = console.log): Promise<number> {
  const page = await servePage({ lab, ...pageArgs(argv) });
  say(`swarmlab: the exercise page of stack ${lab.stack} is at ${page.url} (this machine only); Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await page.close();
  return 0;
}
