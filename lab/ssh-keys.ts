// The lab's SSH key pairs (its login key, each node's host key). ssh2's generateKeyPairSync writes, for about one
// ed25519 key in 300, a private key that its own parser refuses ("Malformed OpenSSH private key"; measured: 10 and
// 18 of 3000 under Node 26 and 22): a lab made with such a login key could reach none of its nodes. A pair is kept
// only once ssh2 reads its private key back.
import { utils } from "ssh2";

export interface KeyPair {
  /** OpenSSH private key. */
  private: string;
  /** "ssh-ed25519 AAAA… comment" */
  public: string;
}

const ATTEMPTS = 20;

export function ed25519Pair(comment?: string): KeyPair {
  for (let i = 0; i < ATTEMPTS; i++) {
    const pair = utils.generateKeyPairSync("ed25519", comment === undefined ? undefined : { comment });
    if (!(utils.parseKey(pair.private) instanceof Error)) return pair;
  }
  throw new Error(`ssh2 made ${ATTEMPTS} ed25519 keys in a row that it cannot read back`);
}
