// The lab's SSH key for user vagrant, kept as a secret in the state; a copy for `ssh -i` in .swarmlab/<lab>/.
import path from "node:path";
import { ed25519Pair } from "../ssh-keys";
import { KEY_FILE, labDirRelative, removeLabDir, writeKeyCopy } from "../lab-dir";
import type { Part } from "./part";

export interface KeyInputs {
  lab: string;
}

export interface KeyOutputs {
  publicKey: string;
  privateKey: string;
  /** The copy for `ssh -i`, relative to the project folder (mode 600). */
  keyFile: string;
}

export const key: Part<KeyInputs, KeyOutputs> = {
  type: "Key",
  identity: ["lab"],
  outputs: ["publicKey", "privateKey", "keyFile"],
  secrets: ["privateKey"],
  async create({ lab }, { root }) {
    const pair = ed25519Pair(`swarmlab-${lab}`);
    writeKeyCopy(root, lab, pair.private);
    return { id: lab, outs: { publicKey: pair.public.trim(), privateKey: pair.private, keyFile: path.join(labDirRelative(lab), KEY_FILE) } };
  },
  async read(_id, state, { root, log }) {
    // The copy is only a copy of the state: a missing or changed one is written again.
    if (writeKeyCopy(root, state.lab, state.privateKey)) log(`key: ${state.keyFile} was missing or changed; written again`);
    return { publicKey: state.publicKey, privateKey: state.privateKey, keyFile: state.keyFile };
  },
  async delete(_id, { lab }, { root }) {
    removeLabDir(root, lab);
  },
};
