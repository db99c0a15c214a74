// The exercise page's HTTP server (node:http, no framework): the page's three files, GET /state (the latest look, as
// JSON) and GET /topology.svg (the lab's picture). It listens on 127.0.0.1 only: the page shows the lab's addresses
// and runs checks over the lab's SSH key, so nothing but this machine may ask. It answers only requests addressed to
// 127.0.0.1 or localhost by name (a web page elsewhere cannot reach it through a DNS name of its own), and the page
// may load nothing from anywhere else (Content-Security-Policy).
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { PROJECT_ROOT } from "../../project-root";
import type { Looks } from "./looks";

export const DEFAULT_PORT = 7650;
const LOOPBACK = "127.0.0.1";
/** Where the page's files are: in the sources (the commands run compiled code from dist/, which holds no HTML). */
export const PAGE_DIR = path.join(PROJECT_ROOT, "lab", "exercises", "serve", "page");

/** A reason the page cannot be served, in a sentence with its fix. */
export class PageError extends Error {}

export interface PageServerOptions {
  /** 127.0.0.1 (the default) or localhost: any other address is refused. */
  host?: string;
  /** The port; 0 takes any free one. */
  port?: number;
  looks: Looks;
}

export interface PageServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The address to listen on: 127.0.0.1 for 127.0.0.1 or localhost; anything else is refused, with why and what to do. */
export function loopbackHost(host: string | undefined, port = DEFAULT_PORT): string {
  if (host === undefined || host === LOOPBACK || host === "localhost") return LOOPBACK;
  throw new PageError(
    `the exercise page listens on 127.0.0.1 only, not on '${host}': it shows the lab and checks it with the lab's SSH key, ` +
      `so only this machine may reach it. From another machine, forward the port: ssh -L ${port}:127.0.0.1:${port} <this machine>, ` +
      `then open http://127.0.0.1:${port}`,
  );
}

const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/page.js": { file: "page.js", type: "text/javascript; charset=utf-8" },
  "/page.css": { file: "page.css", type: "text/css; charset=utf-8" },
};

const HEADERS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  // Everything from this server, nothing from elsewhere: nothing the page does leaves the machine.
  "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
};

/** Starts the server; resolves once it listens (with the URL to open), rejects with a PageError when it cannot. */
export async function startPageServer(o: PageServerOptions): Promise<PageServer> {
  const asked = o.port ?? DEFAULT_PORT;
  if (!Number.isInteger(asked) || asked < 0 || asked > 65535) throw new PageError(`port '${o.port}' is not a port: give a number from 1 to 65535`);
  const host = loopbackHost(o.host, asked);
  const files = Object.fromEntries(Object.entries(FILES).map(([route, f]) => [route, { ...f, body: readFileSync(path.join(PAGE_DIR, f.file)) }]));
  let port = asked;
  const server = http.createServer((req, res) => {
    answer(req, res).catch((err) =>
      send(res, 500, "text/plain; charset=utf-8", `the page's server failed: ${err instanceof Error ? err.message : err}\n`),
    );
  });

  async function answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const hostHeader = (req.headers.host ?? "").toLowerCase();
    if (![`${LOOPBACK}:${port}`, `localhost:${port}`].includes(hostHeader)) {
      return send(res, 403, "text/plain; charset=utf-8", `this page answers only at http://${LOOPBACK}:${port}/ (asked for host '${hostHeader}')\n`);
    }
    if (req.method !== "GET" && req.method !== "HEAD")
      return send(res, 405, "text/plain; charset=utf-8", "the page only reads: GET\n", { Allow: "GET, HEAD" });
    const route = new URL(req.url ?? "/", `http://${hostHeader}`).pathname;
    const file = files[route];
    if (file) return send(res, 200, file.type, file.body);
    if (route === "/state") return send(res, 200, "application/json; charset=utf-8", JSON.stringify(await o.looks.state()));
    if (route === "/topology.svg") {
      const svg = o.looks.topology();
      return svg === undefined
        ? send(res, 404, "text/plain; charset=utf-8", "no picture of the lab yet\n")
        : send(res, 200, "image/svg+xml; charset=utf-8", svg);
    }
    send(res, 404, "text/plain; charset=utf-8", `nothing at ${route}: the page is at /\n`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => reject(listenError(err, host, asked)));
    server.listen(asked, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...HEADERS, ...extra, "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  if (err.code === "EADDRINUSE") {
    return new PageError(
      `port ${port} on ${host} is taken (another exercise page, or another program): choose another, npm run exercise -- --serve --port ${port + 1}`,
    );
  }
  if (err.code === "EACCES")
    return new PageError(`port ${port} needs privileges this user lacks: choose one above 1023, npm run exercise -- --serve --port ${DEFAULT_PORT}`);
  return err;
}
