// The stack's outputs as one type: what `up` records and every reader (the suite, explain, status, the fault tests)
// takes from the stack. Read through outputsOf, never cast by hand: a stack made by an older swarmlab, or one whose
// lab was never brought up, then fails in one line naming what is missing, rather than deep inside a reader.
import { BACKEND_NAMES } from "./backends/names";
import { REACH_WAYS } from "./env";
import type { NodeAccess } from "./sessions";
import type { TaskInfo } from "./steps/service";
import type { BackendName, Role } from "./types";

export interface LabOutputs {
  lab: string;
  /** The stack's owner id on everything the lab made. */
  owner: string;
  backend: BackendName;
  subnet: string;
  /** As printed by up: name, role, address and the ssh command to reach the node. */
  nodes: { name: string; role: Role; address: string; ssh: string }[];
  /** An ssh_config naming every node, for `ssh -F`. */
  sshConfig: string;
  nodeAccess: NodeAccess[];
  privateKey: string;
  /** The lab's private key for `ssh -i`, relative to the project folder (.swarmlab/<lab>/id_ed25519). */
  keyFile: string;
  overlay: { name: string; subnet: string; gateway: string };
  service: string;
  replicas: number;
  tasks: TaskInfo[];
  /** What up observed to be wrong at its end. */
  problems: string[];
  /** The nodes only `npm run up -- --replace <node>` heals (absent in a stack of an older swarmlab). */
  remake?: string[];
  upstream: { name: string; address: string };
  pingTarget: string;
}

/** The outputs as the Automation API gives them (stack.outputs(), an up's result): each value under `value`. */
export type RawOutputs = Record<string, { value: unknown }>;

/** What is wrong with a stack's outputs, and the fix. */
export class OutputsError extends Error {
  constructor(
    /** The outputs missing or of another shape, by name. */
    readonly missing: string[],
    readonly fix: string,
    says: string,
  ) {
    super(`${says}. Fix: ${fix}`);
    this.name = "OutputsError";
  }
}

/** A judge of one output's value: true when it has the shape readers take it in. */
type Shape = ((v: unknown) => boolean) & { says: string };

const shape = (says: string, test: (v: unknown) => boolean): Shape => Object.assign(test, { says });
const text = shape("text", (v) => typeof v === "string");
const count = shape("a whole number", (v) => Number.isInteger(v) && (v as number) >= 0);
const oneOf = (values: readonly string[]) => shape(`one of ${values.join(", ")}`, (v) => values.includes(v as string));
const role = oneOf(["manager", "worker"] satisfies Role[]);
const reach = oneOf(REACH_WAYS);
/** A field a stack of an older swarmlab lacks (NodeAccess.via: absent is direct). */
const absentOr = (field: Shape) => shape(`${field.says} or absent`, (v) => v === undefined || field(v));
const listOf = (item: Shape) => shape(`a list of ${item.says}`, (v) => Array.isArray(v) && v.every(item));
const record = (fields: Record<string, Shape>) =>
  shape(`{ ${Object.keys(fields).join(", ")} }`, (v) => {
    if (typeof v !== "object" || v === null) return false;
    return Object.entries(fields).every(([k, field]) => field((v as Record<string, unknown>)[k]));
  });

/** Every output readers take, with its shape; remake alone may be absent (a stack of an older swarmlab). */
const SHAPES: { [K in keyof LabOutputs]-?: Shape } = {
  lab: text,
  owner: text,
  backend: oneOf(BACKEND_NAMES),
  subnet: text,
  nodes: listOf(record({ name: text, role, address: text, ssh: text })),
  sshConfig: text,
  nodeAccess: listOf(
    record({
      name: text,
      role,
      address: text,
      machine: text,
      sshHost: text,
      sshPort: count,
      username: text,
      hostKey: text,
      via: absentOr(reach),
      jump: absentOr(record({ address: text, port: count, user: text, hostKey: text })),
    }),
  ),
  privateKey: text,
  keyFile: text,
  overlay: record({ name: text, subnet: text, gateway: text }),
  service: text,
  replicas: count,
  tasks: listOf(record({ name: text, node: text, overlayIp: text, containerId: text })),
  problems: listOf(text),
  remake: listOf(text),
  upstream: record({ name: text, address: text }),
  pingTarget: text,
};
const OPTIONAL: ReadonlySet<string> = new Set<keyof LabOutputs>(["remake"]);

/** The names of the outputs a stack of this swarmlab has. */
export const OUTPUT_NAMES = Object.keys(SHAPES) as (keyof LabOutputs)[];

const UP = "npm run up";

/**
 * The stack's outputs as LabOutputs, each checked for its shape. Throws an OutputsError naming every output that
 * is missing or of another shape, with the fix: a stack without outputs has no lab up; one with some has a lab made
 * by an older swarmlab. `stack` names the stack in the message.
 */
export function outputsOf(raw: RawOutputs, stack?: string): LabOutputs {
  const the = stack === undefined ? "the stack" : `stack '${stack}'`;
  if (Object.keys(raw).length === 0) throw new OutputsError(OUTPUT_NAMES, UP, `${the} has no lab up (it has no outputs)`);
  const values: Record<string, unknown> = Object.fromEntries(OUTPUT_NAMES.map((n) => [n, raw[n]?.value]).filter(([, v]) => v !== undefined));
  if (isLabOutputs(values)) return values;
  const missing = OUTPUT_NAMES.filter((n) => values[n] === undefined && !OPTIONAL.has(n));
  const misshapen = OUTPUT_NAMES.filter((n) => values[n] !== undefined && !SHAPES[n](values[n]));
  const says = [
    ...(missing.length ? [`${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} missing`] : []),
    ...misshapen.map((n) => `${n} is not ${SHAPES[n].says}`),
  ];
  throw new OutputsError(
    [...missing, ...misshapen],
    UP,
    `${the} has outputs this swarmlab cannot read (${says.join("; ")}): ` + "its lab was made by an older swarmlab, or never brought up whole",
  );
}

function isLabOutputs(values: Record<string, unknown>): values is Record<string, unknown> & LabOutputs {
  return OUTPUT_NAMES.every((n) => (values[n] === undefined ? OPTIONAL.has(n) : SHAPES[n](values[n])));
}
