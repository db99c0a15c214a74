// A node broken in a way no part describes (issue 16, point 3): up's final look names it with the one command that
// makes it again, `npm run up -- --replace <node>`, and that command reaches Pulumi as the node part's URN.
import assert from "node:assert/strict";
import { nodeUrns } from "../../infra/stack";
import { replaceArgs } from "../../lab/health";
import { partType } from "../../infra/swarmlab";
import { healAdvice, replaceCommand, rxPackets } from "../../lab/health";
import { parts } from "../../lab/parts";

const urn = (name: string) => `urn:pulumi:dev::swarmlab::swarmlab:index:SwarmLab$${partType(parts.node)}::swarmlab-${name}`;
const RESOURCES = [
  { urn: "urn:pulumi:dev::swarmlab::pulumi:pulumi:Stack::swarmlab-dev", type: "pulumi:pulumi:Stack", outputs: {} },
  ...["swarm-manager", "swarm-worker1", "swarm-worker2"].map((name) => ({ urn: urn(name), type: partType(parts.node), outputs: { name } })),
  { urn: "urn:…:Join::swarmlab-swarm-worker1-join", type: partType(parts.join), outputs: { name: "swarm-worker1" } },
];

describe("heal: what up alone cannot heal is named with the command that does", () => {
  it("the advice: up alone, or up replacing the named nodes", () => {
    assert.equal(healAdvice({ problems: [], remake: [] }), "");
    assert.equal(healAdvice({ problems: ["service test: 1 of 2 tasks running"], remake: [] }), "npm run up heals it");
    assert.equal(healAdvice({ problems: ["swarm-worker1: …"], remake: ["swarm-worker1"] }), "npm run up -- --replace swarm-worker1 heals it");
    assert.equal(replaceCommand(["swarm-worker1", "swarm-worker2"]), "npm run up -- --replace swarm-worker1 --replace swarm-worker2");
  });

  it("npm run up's arguments: --replace <node>, repeated, with = or a comma list; anything else is refused", () => {
    assert.deepEqual(replaceArgs([]), []);
    assert.deepEqual(replaceArgs(["--replace", "swarm-worker1"]), ["swarm-worker1"]);
    assert.deepEqual(replaceArgs(["--replace=swarm-worker1", "--replace", "swarm-worker2,swarm-manager"]), [
      "swarm-worker1",
      "swarm-worker2",
      "swarm-manager",
    ]);
    assert.equal(replaceArgs(["--replace"]), undefined);
    assert.equal(replaceArgs(["--replace", "--yes"]), undefined);
    assert.equal(replaceArgs(["swarm-worker1"]), undefined);
    assert.equal(replaceArgs(["--target", "swarm-worker1"]), undefined);
  });

  it("--replace <node> is the node part's URN in the stack (never its join's); an unknown name lists the lab's nodes", () => {
    assert.deepEqual(nodeUrns(RESOURCES, ["swarm-worker1"]), [urn("swarm-worker1")]);
    assert.deepEqual(nodeUrns(RESOURCES, ["swarm-worker2", "swarm-manager"]), [urn("swarm-worker2"), urn("swarm-manager")]);
    assert.throws(
      () => nodeUrns(RESOURCES, ["swarm-worker9"]),
      /--replace swarm-worker9: the lab has no node of that name \(its nodes: swarm-manager, swarm-worker1, swarm-worker2\)/,
    );
    assert.throws(() => nodeUrns([], ["swarm-worker1"]), /its nodes: none: run npm run up first/);
  });

  it("reads the packets a VXLAN device received from `ip -s link` (iproute2 6.x and 5.x headers)", () => {
    const v6 = [
      "12: vxlan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master br0 state UNKNOWN mode DEFAULT group default",
      "    link/ether 9a:3b:6c:11:22:33 brd ff:ff:ff:ff:ff:ff link-netnsid 0",
      "    RX:  bytes packets errors dropped  missed   mcast",
      "          5040      60      0       0       0       0",
      "    TX:  bytes packets errors dropped carrier collsns",
      "          5124      61      0       0       0       0",
    ].join("\n");
    assert.equal(rxPackets(v6), 60);
    const v5 =
      "5: vxlan0: <…> mtu 1450\n    link/ether …\n    RX: bytes  packets  errors  dropped overrun mcast\n    0          0        0       0       0       0\n";
    assert.equal(rxPackets(v5), 0);
    assert.equal(rxPackets(""), undefined, "no device: nothing to compare");
  });
});
