// Runs a part (part.ts) as a Pulumi dynamic provider: infra/provider.ts serialises only the part's kind and loads
// this file in Pulumi's provider process. Plain JSON in and out; the provider keeps a part's inputs in its outputs,
// so diff, update, read and delete see both.
import { labLogger } from "../lab-dir";
import { parts, PartKind } from "./index";
import type { AnyPart, PartContext } from "./part";

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

export function providerFor(kind: PartKind, root: string) {
  const part: AnyPart = parts[kind];
  return {
    async create(inputs: Props) {
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
      const state = own(props);
      await part.delete(id, state, contextFor(root, state));
    },
  };
}
