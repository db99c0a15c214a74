import assert from "node:assert/strict";
import { utils } from "ssh2";
import { ed25519Pair } from "../../lab/ssh-keys";

describe("the lab's SSH key pairs", () => {
  it("ssh2 reads back every private key made (ssh2 alone fails about one ed25519 key in 300)", () => {
    for (let i = 0; i < 1000; i++) {
      const pair = ed25519Pair(`swarmlab-test-${i}`);
      const parsed = utils.parseKey(pair.private);
      assert.ok(!(parsed instanceof Error), `key ${i}: ${parsed instanceof Error ? parsed.message : ""}`);
      assert.match(pair.public, new RegExp(`^ssh-ed25519 AAAA\\S+ swarmlab-test-${i}\\n?$`));
    }
  });
});
