// Runs a part (part.ts) as a Pulumi dynamic provider: infra/provider.ts serialises only the part's kind and loads
// this file in Pulumi's provider process. Plain JSON in and out; the provider keeps a part's inputs in its outputs,
// so diff, update, read and delete see both.
import { labLogger } from "../lab-dir";
import { parts, PartKind } from "./index";
import type { AnyPart, PartContext } from "./part";
import { forgetLooks } from "../snapshot/shared";

type Props = Record<string, unknown>;

/** Without Pulumi's own keys (__provider). */
const own = (props: Props): Props => Object.fromEntries(Object.entries(props).filter(([k]) => !k.startsWith("__")));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A part's log goes to .swarmlab/<lab>/lab.log and to the provider's stdout, which Pulumi shows as it comes (on
 * the stack's line, then under Diagnostics): the progress of long steps, and what a refresh found broken.
 */
export function contextFor(root: string, props: Props): PartContext {
  const toFile = labLogger(root, String(props.lab));
  return {
    root,
    log: (line) => {
      toFile(line);
      console.log(line);
    },
  };
}

/** Which inputs changed, and which of those replace the part. */
export function diffInputs(part: AnyPart, olds: Props, news: Props): { changed: string[]; replaces: string[] } {
  const inputs = new Set([...Object.keys(own(news)), ...Object.keys(own(olds)).filter((k) => !part.outputs.includes(k))]);
  const changed = [...inputs].filter((k) => !same(olds[k], news[k]));
  return { changed, replaces: changed.filter((k) => part.identity.includes(k)) };
}

/**
 * The host engine at DOCKER_HOST not answering, said as the variable's own line (lab/env.ts) rather than a raw
 * `connect ENOENT /path`: a refresh reads the parts before the program (and its checks) runs. Other errors pass as
 * they are; a node's engine is reached through SSH, never at DOCKER_HOST's address.
 */
export function engineUnanswered(err: unknown, dockerHost = process.env.DOCKER_HOST): unknown {
  const e = err as { code?: unknown; address?: unknown; port?: unknown } | undefined;
  if (!dockerHost || !["ENOENT", "ECONNREFUSED", "EACCES"].includes(String(e?.code)) || typeof e?.address !== "string") return err;
  const at = dockerHost.replace(/^(unix|tcp):\/\//, "");
  const same = at === e.address || at === `${e.address}:${e.port}`;
  if (!same) return err;
  const { dockerHostUnanswered } = require("../env") as typeof import("../env");
  return dockerHostUnanswered(dockerHost, `${String(e.code)} ${e.address}`);
}

export function providerFor(kind: PartKind, root: string) {
  const part: AnyPart = parts[kind];
  return wrapped({
    async create(inputs: Props) {
      forgetLooks();
      const i = own(inputs);
      const { id, outs } = await part.create(i, contextFor(root, i));
      return { id, outs: { ...i, ...outs } };
    },
    // Pulumi calls check for every part in preview and up; a part that exists gets diff too, which has its state.
    async check(olds: Props, news: Props) {
      const n = own(news);
      if (part.check && Object.keys(own(olds)).length === 0) await part.check(n, undefined, contextFor(root, n));
      return { inputs: news };
    },
    async diff(_id: string, olds: Props, news: Props) {
      const { changed, replaces } = diffInputs(part, olds, news);
      const n = own(news);
      if (part.check) await part.check(n, replaces.length > 0 ? undefined : own(olds), contextFor(root, n));
      return { changes: changed.length > 0, replaces, deleteBeforeReplace: true };
    },
    async update(id: string, olds: Props, news: Props) {
      forgetLooks();
      const n = own(news);
      const outs = part.update ? await part.update(id, own(olds), n, contextFor(root, n)) : {};
      return { outs: { ...own(olds), ...n, ...outs } };
    },
    async read(id: string, props: Props) {
      const state = own(props);
      const live = await part.read(id, state, contextFor(root, state));
      return live ? { id, props: { ...state, ...live } } : { id: "", props: {} };
    },
    async delete(id: string, props: Props) {
      forgetLooks();
      const state = own(props);
      await part.delete(id, state, contextFor(root, state));
    },
  });
}

/** Every method of a provider, with engineUnanswered applied to what it throws. */
function wrapped<T extends Record<string, (...args: never[]) => Promise<unknown>>>(provider: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(provider)) {
    out[name] = (...args: never[]) =>
      method(...args).catch((err: unknown) => {
        const said = engineUnanswered(err);
        // A refusal with a fix (ConfigError, EnvError, MissingProgram) is the whole story: no stack trace under it in
        // Pulumi's output (its provider prints `${err}: ${err.stack}`).
        if (said instanceof Error && "fix" in said) said.stack = "";
        throw said;
      });
  }
  return out as T;
}
