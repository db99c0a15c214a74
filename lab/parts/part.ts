// The contract between the Pulumi program (infra/) and the lab: one typed module per part of the lab, each with
// its inputs, outputs, create, read, update and delete. infra/ declares resources from these modules and its
// dynamic providers run them (through runner.ts); the mock tests check the program against the same modules.
import type { Log } from "../backends/backend";

/** Where a part runs: the project folder (for the lab's folder) and the lab's log. */
export interface PartContext {
  root: string;
  log: Log;
}

/** Every part's inputs name its lab: it logs there and everything it makes carries the lab's label. */
export interface PartInputs {
  lab: string;
}

export interface Part<I extends PartInputs, O extends object> {
  /** Type token: pulumi-nodejs:dynamic/swarmlab:<type>. */
  readonly type: string;
  /** Inputs whose change makes it a different thing: replaced. A change of any other input is an update in place. */
  readonly identity: readonly (keyof I & string)[];
  /** The outputs this part adds to its inputs (a dynamic resource exposes only the properties declared up front). */
  readonly outputs: readonly (keyof O & string)[];
  /** Outputs kept as secrets in the state. */
  readonly secrets?: readonly (keyof O & string)[];
  /**
   * Refuses inputs that create or update would refuse, so that `preview` refuses them too (Pulumi asks it in both,
   * before anything is made). `current`: the part's state when it stays (an update), undefined when it is to be made.
   */
  check?(news: I, current: (I & O) | undefined, ctx: PartContext): Promise<void>;
  create(inputs: I, ctx: PartContext): Promise<{ id: string; outs: O }>;
  /**
   * The live thing, for refresh: undefined when it is gone or broken beyond an update (then up makes it again);
   * otherwise its outputs and the inputs as observed, so that the next up updates what drifted.
   */
  read(id: string, state: I & O, ctx: PartContext): Promise<(Partial<I> & O) | undefined>;
  /** Brings the thing from olds to news in place; without it, an update only records the new inputs. */
  update?(id: string, olds: I & O, news: I, ctx: PartContext): Promise<O>;
  /** Removes the thing; what is already gone, or a node that does not answer, is not an error. */
  delete(id: string, state: I & O, ctx: PartContext): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPart = Part<any, any>;
export type InputsOf<P> = P extends Part<infer I, infer _O> ? I : never;
export type OutputsOf<P> = P extends Part<infer _I, infer O> ? O : never;

/** A part's type token in the state: pulumi-nodejs:dynamic/swarmlab:<type> (a dynamic resource of module swarmlab). */
export const partType = (p: { type: string }) => `pulumi-nodejs:dynamic/swarmlab:${p.type}`;
