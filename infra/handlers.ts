// What each dynamic resource does, in terms of lab/. Loaded by the dynamic provider at run time (in Pulumi's
// provider process), so it must not import Pulumi and must only take plain JSON in and give plain JSON out.
// The provider keeps a part's inputs in its outputs, so delete() gets both.
import * as parts from "../lab/parts";
import type { ProvisionedNode } from "../lab/backends/backend";
import type { ServiceArgs } from "../lab/steps/service";
import type { LabSpec, NodeSpec } from "../lab/types";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Handler {
  create(inputs: Inputs, log: (l: string) => void): Promise<{ id: string; outs: Inputs }>;
  delete(id: string, outs: Inputs, log: (l: string) => void): Promise<void>;
  /** For `pulumi refresh`: whether the part still exists (a part without it is assumed to). */
  exists?(id: string, outs: Inputs): Promise<boolean>;
}

interface Common {
  root: string;
  lab: string;
}

export const handlers: Record<string, Handler> = {
  key: {
    async create({ root, lab }: Common) {
      return { id: lab, outs: { ...parts.createLabKey(root, lab) } };
    },
    async delete(_id, { root, lab }) {
      parts.deleteLabKey(root, lab);
    },
  },

  images: {
    async create({ lab }: Common, log) {
      return { id: lab, outs: { ...(await parts.createImages(log)) } };
    },
    async delete() {
      // Images stay as a cache for the next lab (README: "what down keeps").
    },
  },

  base: {
    async create({ spec }: { spec: LabSpec }, log) {
      await parts.createLabBase(spec, log);
      return { id: spec.name, outs: {} };
    },
    async delete(_id, { spec }, log) {
      await parts.deleteLab(spec, log);
    },
    async exists(_id, { spec }) {
      return (await parts.runningMachines(spec)).has(spec.upstream.name);
    },
  },

  node: {
    async create({ root, spec, node, publicKey, privateKey }: { root: string; spec: LabSpec; node: NodeSpec; publicKey: string; privateKey: string }, log) {
      const provisioned = await parts.createNode(root, spec, node, { publicKey, privateKey }, log);
      return { id: provisioned.id, outs: { ...provisioned } };
    },
    async delete(_id, outs, log) {
      await parts.deleteNode(outs.spec, outs.name, log);
    },
    async exists(id, outs) {
      return (await parts.runningMachines(outs.spec)).get(outs.name) === id;
    },
  },

  swarm: {
    async create({ nodes, privateKey }: { nodes: ProvisionedNode[]; privateKey: string }, log) {
      const swarm = await parts.createSwarm(nodes, privateKey, log);
      return { id: swarm.id, outs: { ...swarm } };
    },
    async delete(_id, { nodes, privateKey }) {
      await parts.deleteSwarm(nodes, privateKey);
    },
  },

  overlay: {
    async create({ lab, manager, privateKey, name }: Common & { manager: ProvisionedNode; privateKey: string; name: string }, log) {
      const overlay = await parts.createOverlay(manager, privateKey, lab, name, log);
      return { id: overlay.id, outs: { ...overlay } };
    },
    async delete(_id, { manager, privateKey, name }) {
      await parts.deleteOverlay(manager, privateKey, name);
    },
  },

  service: {
    async create({ manager, privateKey, args }: { manager: ProvisionedNode; privateKey: string; args: ServiceArgs }, log) {
      const tasks = await parts.createService(manager, privateKey, args, log);
      return { id: args.name, outs: { tasks } };
    },
    async delete(_id, { manager, privateKey, args }) {
      await parts.deleteService(manager, privateKey, args.name);
    },
  },
};
