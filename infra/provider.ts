// One dynamic provider per kind of lab part. Pulumi serialises these functions into its provider process, so they
// capture only strings and load the handlers (plain TypeScript, see handlers.ts) by absolute path at run time.
import * as pulumi from "@pulumi/pulumi";
import path from "node:path";

const HANDLERS = path.join(__dirname, "handlers");
const TS_NODE = require.resolve("ts-node/register/transpile-only");
const ROOT = path.resolve(__dirname, "..");

export const PROJECT_ROOT = ROOT;

const providers = new Map<string, pulumi.dynamic.ResourceProvider>();

/** One provider object per kind, so Pulumi serialises each only once. */
export function labProvider(kind: string): pulumi.dynamic.ResourceProvider {
  if (!providers.has(kind)) providers.set(kind, makeProvider(kind));
  return providers.get(kind)!;
}

function makeProvider(kind: string): pulumi.dynamic.ResourceProvider {
  const handlersPath = HANDLERS;
  const tsNode = TS_NODE;
  const root = ROOT;
  const load = () => {
    if (!require("fs").existsSync(handlersPath + ".js")) require(tsNode); // running from TypeScript sources
    const { handlers } = require(handlersPath);
    const { labLogger } = require(require("path").join(root, "lab", "parts"));
    return { handler: handlers[kind], logFor: (lab: string) => labLogger(root, lab) };
  };
  return {
    async create(inputs) {
      const { handler, logFor } = load();
      const own = Object.fromEntries(Object.entries(inputs).filter(([k]) => !k.startsWith("__")));
      const { id, outs } = await handler.create(own, logFor(String(own.lab)));
      return { id, outs: { ...own, ...outs } }; // inputs kept in the outputs, so diff can compare them
    },
    async diff(_id, olds, news) {
      // Every input shapes the part it makes: any change replaces it (a new node, a new swarm, …).
      const changed = Object.keys(news).filter(
        (k) => !k.startsWith("__") && JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
      );
      return { changes: changed.length > 0, replaces: changed, deleteBeforeReplace: true };
    },
    async read(id, props) {
      // A machine that is gone (removed or stopped by hand) leaves the state, so the next up makes it again.
      const { handler } = load();
      const gone = handler.exists && !(await handler.exists(id, props));
      return gone ? { id: "", props: {} } : { id, props };
    },
    async delete(id, outs) {
      const { handler, logFor } = load();
      await handler.delete(id, outs, logFor(outs.lab));
    },
  };
}
