// What a lab's machines share: the lab network, the egress guard, and the upstream host standing for the internet.
import { backendFor } from "../backends";
import type { BackendName, BaseSettings } from "../types";
import type { Part } from "./part";

export interface BaseInputs extends BaseSettings {
  backend: BackendName;
}

export type BaseOutputs = Record<string, never>;

export const base: Part<BaseInputs, BaseOutputs> = {
  type: "Base",
  identity: ["lab", "owner", "backend", "subnet", "gateway", "egress", "upstream", "upstreamImage"],
  outputs: [],
  async create(i, { log }) {
    await (await backendFor(i.backend)).prepare(i, log);
    return { id: i.lab, outs: {} };
  },
  async read(_id, state, { log }) {
    const problems = await (await backendFor(state.backend)).inspectBase(state);
    if (problems.length === 0) return {};
    // Making the base is idempotent: up makes what is missing and keeps the rest.
    log(`base: ${problems.join("; ")}; up makes it again`);
    return undefined;
  },
  async delete(_id, state, { log }) {
    await (await backendFor(state.backend)).removeBase(state, log);
  },
};
