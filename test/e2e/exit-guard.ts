// Mocha root hook for the e2e runs (--require): a run whose tests are over but whose process stays alive (a socket,
// a child process or a timer someone forgot) would hold CI until its time limit with nothing said. Once the tests
// end, this gives the process a grace period to exit on its own; past it, it names what is still open (a leak to fix)
// and exits with the tests' own result, which mocha has set as the exit code.
const GRACE_MS = 20_000;

type Handle = {
  constructor?: { name?: string };
  remoteAddress?: string;
  remotePort?: number;
  localPort?: number;
  pid?: number;
  spawnargs?: string[];
  fd?: number;
};

/** What a handle is, in a line: sockets by their ends, child processes by their command. */
export function describeHandle(h: Handle): string {
  const kind = h.constructor?.name ?? "handle";
  if (h.spawnargs) return `${kind} pid ${h.pid}: ${h.spawnargs.join(" ").slice(0, 200)}`;
  if (h.remoteAddress) return `${kind} to ${h.remoteAddress}:${h.remotePort} (local port ${h.localPort})`;
  if (typeof h.fd === "number" && h.fd <= 2) return ""; // stdin, stdout, stderr: always there
  return kind;
}

export const mochaHooks = {
  afterAll(): void {
    setTimeout(() => {
      const handles = (process as unknown as { _getActiveHandles(): Handle[] })._getActiveHandles().map(describeHandle).filter(Boolean);
      console.error(
        `\nthe tests are over but the process is still alive ${GRACE_MS / 1000}s later; open:\n  ${handles.join("\n  ") || "(no handle: pending timers or requests)"}\n  resources: ${process.getActiveResourcesInfo().join(", ")}`,
      );
      process.exit();
    }, GRACE_MS).unref();
  },
};
