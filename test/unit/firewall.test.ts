import assert from "node:assert/strict";
import { guardRules, ruleLine } from "../../lab/backends/host/firewall";

const LAB = { lab: "swarmlab", owner: "dev.0123abcd", subnet: "192.168.56.0/24", bridge: "br-0123456789ab" };
const TAG = "-m comment --comment swarmlab.lab=swarmlab,swarmlab.owner=dev.0123abcd";

describe("the host's firewall rules for a lab", () => {
  it("egress none: replies come back to the host, new connections to the host and forwarded egress are dropped, all on the lab's bridge only", () => {
    assert.deepEqual(guardRules({ ...LAB, egress: "none" }).map(ruleLine), [
      `-A INPUT -i br-0123456789ab -m conntrack --ctstate RELATED,ESTABLISHED ${TAG} -j ACCEPT`,
      `-A INPUT -i br-0123456789ab ${TAG} -j DROP`,
      `-A DOCKER-USER -s 192.168.56.0/24 ! -d 192.168.56.0/24 -i br-0123456789ab ${TAG} -j DROP`,
    ]);
  });

  it("egress internet: the lab still cannot open connections to the host, and its egress is not dropped", () => {
    assert.deepEqual(
      guardRules({ ...LAB, egress: "internet" }).map((r) => r.chain),
      ["INPUT", "INPUT"],
    );
  });

  it("every rule names the lab's bridge: no other network's traffic is touched", () => {
    for (const r of guardRules({ ...LAB, egress: "none" })) assert.ok(r.spec.join(" ").includes("-i br-0123456789ab "), ruleLine(r));
  });
});
