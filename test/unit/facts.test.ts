// The tutorial's facts (lab/facts/): each predicate on data as the lab gives it, holding and failing in each way it
// can, and the rule that makes them worth having: the suite's claims and explain's steps both judge through them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as facts from "../../lab/facts";
import {
  eth0OnOverlay,
  eth1OnGwbridge,
  leavesByGwbridge,
  masqueradeCounts,
  masquerades,
  networksAsTutorial,
  nodesReady,
  quorumOf,
  overlayMade,
  overlayOnTheWire,
  pathMtu,
  replicasRunning,
  routingMesh,
  swarmJoined,
  tasksPing,
  tasksSpread,
  TUTORIAL_NETWORKS,
  upstreamSeesNode,
  Verdict,
} from "../../lab/facts";
import type { VxlanPacket } from "../../lab/explain/vxlan";

/** What is wrong, when the fact does not hold (and that it does not). */
function wrong(v: Verdict): string[] {
  assert.equal(v.holds, false, `${v.fact} holds`);
  return v.found;
}

function holds(v: Verdict): void {
  assert.deepEqual(v.found, [], v.fact);
  assert.equal(v.holds, true);
}

describe("facts: swarm init and join", function () {
  const manager = {
    node: "swarm-manager",
    role: "manager" as const,
    address: "192.168.56.10",
    state: "active",
    nodeAddr: "192.168.56.10",
    managers: [],
  };
  const worker = {
    node: "swarm-worker1",
    role: "worker" as const,
    address: "192.168.56.11",
    state: "active",
    nodeAddr: "192.168.56.11",
    managers: ["192.168.56.10:2377"],
  };

  it("holds: every engine active on its lab address, each worker through the manager's port 2377", function () {
    holds(swarmJoined([manager, worker], ["192.168.56.10"]));
  });

  it("an engine out of the swarm, one speaking on another address, or a worker that knows another manager is said", function () {
    assert.deepEqual(wrong(swarmJoined([{ ...worker, state: "inactive", nodeAddr: "", managers: [] }], ["192.168.56.10"])), [
      "swarm-worker1's engine is inactive in the swarm, not active",
    ]);
    assert.deepEqual(wrong(swarmJoined([{ ...manager, nodeAddr: "172.17.0.2" }], ["192.168.56.10"])), [
      "swarm-manager speaks on 172.17.0.2, not its lab address 192.168.56.10",
    ]);
    assert.deepEqual(wrong(swarmJoined([{ ...worker, managers: ["10.9.9.9:2377"] }], ["192.168.56.10"])), [
      "swarm-worker1 knows the managers 10.9.9.9:2377, not 192.168.56.10:2377",
    ]);
  });
});

describe("facts: docker node ls", function () {
  const lab = [
    { name: "swarm-manager", role: "manager" as const },
    { name: "swarm-worker1", role: "worker" as const },
    { name: "swarm-worker2", role: "worker" as const },
  ];
  const row = (hostname: string, role: string, leader = false, state = "ready") => ({ hostname, role, state, leader });
  const listed = [row("swarm-worker2", "worker"), row("swarm-manager", "manager", true), row("swarm-worker1", "worker")];

  it("holds: every node Ready once, with its role, the manager the Leader (in any order)", function () {
    holds(nodesReady(listed, lab));
  });

  it("the Leader is found by role, not by name or position: a manager named otherwise, listed last, holds", function () {
    const renamed = [
      { name: "w1", role: "worker" as const },
      { name: "boss", role: "manager" as const },
    ];
    holds(nodesReady([row("w1", "worker"), row("boss", "manager", true)], renamed));
  });

  it("a node missing, listed twice (a Down leftover), or not Ready is said", function () {
    assert.deepEqual(wrong(nodesReady(listed.slice(1), lab)), ["swarm-worker2 is not in the swarm"]);
    assert.deepEqual(wrong(nodesReady([...listed, row("swarm-worker1", "worker", false, "down")], lab)), [
      "swarm-worker1 is listed 2 times (a leftover of an earlier join)",
      "swarm-worker1 is down, not Ready",
    ]);
    assert.deepEqual(wrong(nodesReady([listed[0], listed[1], row("swarm-worker1", "worker", false, "unknown")], lab)), [
      "swarm-worker1 is unknown, not Ready",
    ]);
  });

  it("a node of another role, a stranger in the list, no Leader, or a Leader that is no manager is said", function () {
    assert.deepEqual(wrong(nodesReady([row("swarm-worker2", "manager"), listed[1], listed[2]], lab)), ["swarm-worker2 is a manager, not a worker"]);
    assert.deepEqual(wrong(nodesReady([...listed, row("intruder", "worker")], lab)), ["intruder is listed but is no node of this lab"]);
    assert.deepEqual(wrong(nodesReady([listed[0], row("swarm-manager", "manager"), listed[2]], lab)), ["no node is the Leader"]);
    assert.deepEqual(wrong(nodesReady([row("swarm-worker2", "worker", true), row("swarm-manager", "manager"), listed[2]], lab)), [
      "the Leader is swarm-worker2, not the manager (swarm-manager)",
    ]);
  });
});

describe("facts: docker node ls with 3 managers", function () {
  // rows as the leader of a 3-manager lab lists them (the Engine API's ManagerStatus: Leader, Reachability)
  const lab = [
    { name: "swarm-manager1", role: "manager" as const },
    { name: "swarm-manager2", role: "manager" as const },
    { name: "swarm-manager3", role: "manager" as const },
    { name: "swarm-worker1", role: "worker" as const },
  ];
  const row = (hostname: string, role: string, reachability: string, leader = false, state = "ready") => ({
    hostname,
    role,
    state,
    leader,
    reachability,
  });
  const healthy = [
    row("swarm-manager1", "manager", "reachable", true),
    row("swarm-manager2", "manager", "reachable"),
    row("swarm-manager3", "manager", "reachable"),
    row("swarm-worker1", "worker", ""),
  ];

  it("holds: one Leader among the managers, the others Reachable, every node Ready; any manager may lead", function () {
    holds(nodesReady(healthy, lab));
    holds(nodesReady([{ ...healthy[0], leader: false }, { ...healthy[1], leader: true }, healthy[2], healthy[3]], lab));
  });

  it("a manager Unreachable (its node stopped: Down too) is said, and is not counted in the quorum", function () {
    assert.deepEqual(wrong(nodesReady([healthy[0], healthy[1], row("swarm-manager3", "manager", "unreachable", false, "down"), healthy[3]], lab)), [
      "swarm-manager3 is down, not Ready",
      "swarm-manager3 is a manager listed as unreachable, not Reachable: the quorum does not count it",
    ]);
  });

  it("quorum: ⌊N/2⌋+1 managers; 1 survives no failure, 3 survive 1, 5 survive 2", function () {
    assert.deepEqual([1, 3, 5].map(quorumOf), [
      { quorum: 1, survives: 0 },
      { quorum: 2, survives: 1 },
      { quorum: 3, survives: 2 },
    ]);
  });

  it("two Leaders, or a stale manager entry beside a new one, are said", function () {
    assert.deepEqual(wrong(nodesReady([healthy[0], { ...healthy[1], leader: true }, healthy[2], healthy[3]], lab)), [
      "swarm-manager1 and swarm-manager2 are each listed as the Leader",
    ]);
    assert.deepEqual(wrong(nodesReady([...healthy, row("swarm-manager2", "manager", "unreachable", false, "down")], lab)), [
      "swarm-manager2 is listed 2 times (a leftover of an earlier join)",
      "swarm-manager2 is down, not Ready",
      "swarm-manager2 is a manager listed as unreachable, not Reachable: the quorum does not count it",
    ]);
  });
});

describe("facts: the service's replicas (docker service ls)", function () {
  it("holds: as many running as desired, as many desired as the spec says (with or without Swarm's max per node)", function () {
    holds(replicasRunning("test", "2/2", 2));
    holds(replicasRunning("test", "2/2 (max 1 per node)", 2));
  });

  it("fewer running, another number desired, or no row is said", function () {
    assert.deepEqual(wrong(replicasRunning("test", "1/2", 2)), ["service test runs 1 of its 2 replicas"]);
    assert.deepEqual(wrong(replicasRunning("test", "3/3", 2)), ["service test wants 3 replicas, not 2"]);
    assert.deepEqual(wrong(replicasRunning("test", "", 2)), ["service test is not listed with its replicas"]);
  });
});

describe("facts: docker service ps", function () {
  const want = { replicas: 2, workers: ["swarm-worker1", "swarm-worker2"] };
  const t1 = { name: "test.1", node: "swarm-worker1" };
  const t2 = { name: "test.2", node: "swarm-worker2" };

  it("holds: as many tasks as replicas, each on its own worker", function () {
    holds(tasksSpread([t1, t2], want));
  });

  it("too few tasks, two on one node, or a task on the manager is said", function () {
    assert.deepEqual(wrong(tasksSpread([t1], want)), ["1 of 2 tasks running"]);
    assert.deepEqual(wrong(tasksSpread([t1, { ...t2, node: "swarm-worker1" }], want)), ["test.1 and test.2 share swarm-worker1"]);
    assert.deepEqual(wrong(tasksSpread([t1, { ...t2, node: "swarm-manager" }], want)), ["test.2 runs on swarm-manager, which is not a worker"]);
    assert.deepEqual(wrong(tasksSpread([], want)), ["0 of 2 tasks running"]);
  });
});

describe("facts: an overlay network (docker network create -d overlay, and Swarm's ingress)", function () {
  it("holds: an overlay of swarm scope, with its VNI or as Swarm's ingress where asked", function () {
    holds(overlayMade({ name: "mynet", driver: "overlay", scope: "swarm", vni: 4097 }, { vni: true }));
    holds(overlayMade({ name: "ingress", driver: "overlay", scope: "swarm", ingress: true }, { ingress: true }));
  });

  it("another driver or scope, no VNI, or not the ingress network is said", function () {
    assert.deepEqual(wrong(overlayMade({ name: "mynet", driver: "bridge", scope: "local", vni: 4097 }, { vni: true })), [
      "mynet is bridge, local scope, not overlay, swarm scope",
    ]);
    assert.deepEqual(wrong(overlayMade({ name: "mynet", driver: "overlay", scope: "swarm", vni: 0 }, { vni: true })), [
      "mynet has no VXLAN network identifier",
    ]);
    assert.deepEqual(wrong(overlayMade({ name: "ingress", driver: "overlay", scope: "swarm", ingress: false }, { ingress: true })), [
      "ingress is not Swarm's ingress network",
    ]);
    assert.deepEqual(wrong(overlayMade({ name: "ingress", driver: "", scope: "" })), ["ingress is no driver, no scope, not overlay, swarm scope"]);
  });
});

describe("facts: docker network ls on a worker with a task", function () {
  const table = TUTORIAL_NETWORKS.map((n) => (n.name === "mynet" ? { ...n, name: "labnet" } : { ...n }));

  it("holds: exactly the tutorial's six networks, mynet standing for the lab's overlay, in any order", function () {
    holds(networksAsTutorial([...table].reverse(), "labnet"));
  });

  it("a network missing, of another driver or scope, twice, or one more is said", function () {
    assert.deepEqual(
      wrong(
        networksAsTutorial(
          table.filter((n) => n.name !== "docker_gwbridge"),
          "labnet",
        ),
      ),
      ["no network docker_gwbridge (bridge, local scope)"],
    );
    assert.deepEqual(wrong(networksAsTutorial(table, "mynet")), [
      "no network mynet (overlay, swarm scope)",
      "labnet (overlay, swarm scope) is not one of the tutorial's networks",
    ]);
    const local = table.map((n) => (n.name === "labnet" ? { ...n, scope: "local" } : n));
    assert.deepEqual(wrong(networksAsTutorial(local, "labnet")), ["labnet is overlay, local scope, not overlay, swarm scope"]);
    assert.deepEqual(wrong(networksAsTutorial([...table, table[0]], "labnet")), ["2 networks named bridge"]);
    assert.deepEqual(wrong(networksAsTutorial([...table, { name: "extra", driver: "bridge", scope: "local" }], "labnet")), [
      "extra (bridge, local scope) is not one of the tutorial's networks",
    ]);
  });
});

describe("facts: a task's eth0 on the overlay, eth1 on docker_gwbridge", function () {
  const overlay = { name: "mynet", subnet: "10.0.1.0/24", encrypted: false };
  const task = { name: "test.1", node: "swarm-worker1", overlayIp: "10.0.1.3" };
  const eth0 = { name: "eth0", mtu: 1450, ipv4: "10.0.1.3/24" };
  const eth1 = { name: "eth1", mtu: 1500, ipv4: "172.18.0.3/16" };

  it("eth0 holds: the task's own address, in mynet's subnet, at MTU 1450; the tutorial's subnet needs no word", function () {
    const v = eth0OnOverlay([{ ...task, eth0 }], overlay);
    holds(v);
    assert.deepEqual(v.differs, []);
  });

  it("eth0 on an encrypted overlay is at 1424, and another subnet than the tutorial's is said as a difference", function () {
    const v = eth0OnOverlay([{ ...task, overlayIp: "10.0.2.3", eth0: { ...eth0, mtu: 1424, ipv4: "10.0.2.3/24" } }], {
      ...overlay,
      subnet: "10.0.2.0/24",
      encrypted: true,
    });
    holds(v);
    assert.deepEqual(v.differs, [
      "mynet is encrypted (swarmlab:encrypted): its MTU is 1424, not the tutorial's 1450",
      "mynet is 10.0.2.0/24, not the tutorial's 10.0.1.0/24 (Swarm picked the next free /24 of 10.0.0.0/8)",
    ]);
  });

  it("no eth0, an address outside mynet, another address than Swarm's, or another MTU is said", function () {
    assert.deepEqual(wrong(eth0OnOverlay([task], overlay)), ["test.1 has no eth0"]);
    assert.deepEqual(wrong(eth0OnOverlay([{ ...task, eth0: { ...eth0, ipv4: "10.0.9.3/24" } }], overlay)), [
      "test.1's eth0 10.0.9.3/24 is not in mynet 10.0.1.0/24",
    ]);
    assert.deepEqual(wrong(eth0OnOverlay([{ ...task, eth0: { ...eth0, ipv4: "" } }], overlay)), [
      "test.1's eth0 (no IPv4) is not in mynet 10.0.1.0/24",
    ]);
    assert.deepEqual(wrong(eth0OnOverlay([{ ...task, eth0: { ...eth0, ipv4: "10.0.1.9/24" } }], overlay)), [
      "test.1's eth0 10.0.1.9/24 is not the address Swarm gave the task (10.0.1.3)",
    ]);
    assert.deepEqual(wrong(eth0OnOverlay([{ ...task, eth0: { ...eth0, mtu: 1400 } }], overlay)), [
      "test.1's eth0 has MTU 1400, not 1450 (a plain overlay)",
    ]);
    assert.deepEqual(wrong(eth0OnOverlay([{ ...task, eth0 }], { ...overlay, encrypted: true })).slice(0, 1), [
      "test.1's eth0 has MTU 1450, not 1424 (an encrypted overlay)",
    ]);
  });

  it("eth1 holds: an address in its node's docker_gwbridge at 1500; another /16 than 172.18 is said as a difference", function () {
    const v = eth1OnGwbridge([{ ...task, eth1 }], { "swarm-worker1": "172.18.0.0/16" });
    holds(v);
    assert.deepEqual(v.differs, []);
    const shifted = eth1OnGwbridge([{ ...task, eth1: { ...eth1, ipv4: "172.19.0.3/16" } }], {
      "swarm-worker1": "172.19.0.0/16",
    });
    holds(shifted);
    assert.match(shifted.differs[0], /^docker_gwbridge on swarm-worker1 is 172\.19\.0\.0\/16, not 172\.18\.0\.0\/16: dockerd takes the first free/);
  });

  it("no eth1, an address outside the node's docker_gwbridge, another MTU, or a node without docker_gwbridge is said", function () {
    const gw = { "swarm-worker1": "172.18.0.0/16" };
    assert.deepEqual(wrong(eth1OnGwbridge([task], gw)), ["test.1 has no eth1"]);
    assert.deepEqual(wrong(eth1OnGwbridge([{ ...task, eth1: { ...eth1, ipv4: "172.19.0.3/16" } }], gw)), [
      "test.1's eth1 172.19.0.3/16 is not in docker_gwbridge 172.18.0.0/16",
    ]);
    assert.deepEqual(wrong(eth1OnGwbridge([{ ...task, eth1: { ...eth1, mtu: 1450 } }], gw)), [
      "test.1's eth1 has MTU 1450, not 1500 (a plain local bridge)",
    ]);
    assert.deepEqual(wrong(eth1OnGwbridge([{ ...task, eth1 }], {})), ["swarm-worker1 has no docker_gwbridge"]);
  });
});

describe("facts: a task's way out", function () {
  it("holds: the default route is via docker_gwbridge's gateway on eth1", function () {
    holds(leavesByGwbridge("test.1", { via: "172.18.0.1", dev: "eth1" }, { gateway: "172.18.0.1" }));
  });

  it("no default route, one by eth0 (the overlay), or via another gateway is said", function () {
    assert.deepEqual(wrong(leavesByGwbridge("test.1", undefined, { gateway: "172.18.0.1" })), [
      "test.1 has no default route (default via 172.18.0.1 dev eth1 expected)",
    ]);
    assert.deepEqual(wrong(leavesByGwbridge("test.1", { via: "10.0.1.1", dev: "eth0" }, { gateway: "172.18.0.1" })), [
      "test.1's default route is via 10.0.1.1 dev eth0, not default via 172.18.0.1 dev eth1",
    ]);
    assert.match(
      wrong(leavesByGwbridge("test.1", { via: "172.18.0.1", dev: "eth1" }, { gateway: "" }))[0],
      /not default via docker_gwbridge's gateway dev eth1/,
    );
  });
});

describe("facts: NAT through docker_gwbridge", function () {
  const rule = {
    target: "MASQUERADE",
    out: "!docker_gwbridge",
    source: "172.18.0.0/16",
    destination: "0.0.0.0/0",
    packets: 3,
  };
  const docker0 = { ...rule, out: "!docker0", source: "172.17.0.0/16" };

  it("holds: the node masquerades docker_gwbridge's subnet for what leaves by another interface", function () {
    holds(masquerades("swarm-worker1", [docker0, rule], "172.18.0.0/16"));
  });

  it("no such rule, or one for another subnet, interface or destination, is said", function () {
    const none = ["swarm-worker1 has no MASQUERADE rule for docker_gwbridge's 172.18.0.0/16 out by another interface"];
    assert.deepEqual(wrong(masquerades("swarm-worker1", [docker0], "172.18.0.0/16")), none);
    assert.deepEqual(wrong(masquerades("swarm-worker1", [rule], "172.19.0.0/16")), [none[0].replace("172.18", "172.19")]);
    assert.deepEqual(wrong(masquerades("swarm-worker1", [{ ...rule, out: "*" }], "172.18.0.0/16")), none);
    assert.deepEqual(wrong(masquerades("swarm-worker1", [{ ...rule, destination: "10.0.0.0/8" }], "172.18.0.0/16")), none);
    assert.deepEqual(wrong(masquerades("swarm-worker1", [{ ...rule, target: "ACCEPT" }], "172.18.0.0/16")), none);
  });

  it("the counter: holds when it moved; still, or the rule gone before or after, is said", function () {
    holds(masqueradeCounts("swarm-worker1", [rule], [{ ...rule, packets: 4 }], "172.18.0.0/16"));
    assert.deepEqual(wrong(masqueradeCounts("swarm-worker1", [rule], [rule], "172.18.0.0/16")), [
      "swarm-worker1's MASQUERADE counter did not move (3 → 3 packets)",
    ]);
    assert.match(wrong(masqueradeCounts("swarm-worker1", [], [rule], "172.18.0.0/16"))[0], /has no MASQUERADE rule/);
    assert.match(wrong(masqueradeCounts("swarm-worker1", [rule], [], "172.18.0.0/16"))[0], /has no MASQUERADE rule/);
  });
});

describe("facts: what crosses the lab", function () {
  const answered = "3 packets transmitted, 3 packets received, 0% packet loss";

  it("pings between tasks: all answered holds; an error or a lost echo is said with what ping printed", function () {
    holds(tasksPing([{ from: "test.1 (swarm-worker1)", to: "10.0.1.4", code: 0, output: answered }]));
    holds(tasksPing([]));
    assert.deepEqual(wrong(tasksPing([{ from: "test.1 (swarm-worker1)", to: "10.0.1.4", code: 1, output: "" }])), [
      "test.1 (swarm-worker1) → 10.0.1.4: exit 1",
    ]);
    const lossy = "3 packets transmitted, 2 packets received, 33% packet loss";
    assert.deepEqual(wrong(tasksPing([{ from: "test.1 (swarm-worker1)", to: "10.0.1.4", code: 0, output: lossy }])), [
      `test.1 (swarm-worker1) → 10.0.1.4: ${lossy}`,
    ]);
  });

  describe("the path MTU", function () {
    const probe = {
      mtu: 1450,
      fits: { size: 1422, code: 0, output: "1 packets received" },
      tooBig: { size: 1423, code: 1, output: "ping: local error: message too long, mtu=1450" },
    };

    it("holds: 1422 bytes with don't-fragment pass, 1423 are refused for their size (either wording of iputils)", function () {
      holds(pathMtu(probe));
      holds(
        pathMtu({
          ...probe,
          tooBig: { ...probe.tooBig, output: "From 10.0.1.3 icmp_seq=1 Frag needed and DF set (mtu = 1450)" },
        }),
      );
    });

    it("the fitting ping unanswered, the big one through, or refused for another reason is said", function () {
      assert.deepEqual(wrong(pathMtu({ ...probe, fits: { ...probe.fits, code: 1, output: "100% packet loss" } })), [
        "a 1422-byte don't-fragment ping was not answered: 100% packet loss",
      ]);
      assert.deepEqual(wrong(pathMtu({ ...probe, tooBig: { ...probe.tooBig, code: 0 } })), [
        "a 1423-byte don't-fragment ping went through: the path MTU is not 1450",
      ]);
      assert.deepEqual(wrong(pathMtu({ ...probe, tooBig: { ...probe.tooBig, output: "100% packet loss" } })), [
        "a 1423-byte don't-fragment ping failed, but not for its size (mtu 1450): 100% packet loss",
      ]);
    });
  });

  it("the upstream sees the node's address: holds; the task's own address or nothing is said", function () {
    const a = { task: "test.1", node: "swarm-worker1", nodeAddress: "192.168.56.11", seen: "192.168.56.11\n" };
    holds(upstreamSeesNode([a]));
    assert.deepEqual(wrong(upstreamSeesNode([{ ...a, seen: "172.18.0.3" }])), [
      "test.1 on swarm-worker1: the upstream saw '172.18.0.3', not 192.168.56.11",
    ]);
    assert.deepEqual(wrong(upstreamSeesNode([{ ...a, seen: "" }])), ["test.1 on swarm-worker1: the upstream saw '', not 192.168.56.11"]);
  });

  it("the routing mesh: every node answering and IPVS holding the service holds; a silent node or an empty table is said", function () {
    const ok = [
      { node: "swarm-manager", address: "192.168.56.10", line: "HTTP/1.0 200 OK" },
      { node: "swarm-worker1", address: "192.168.56.11", line: "HTTP/1.1 200 OK" },
    ];
    const table = "IP Virtual Server version 1.2.1\nFWM  256 rr\n  -> 10.0.0.5:0  Masq 1 0 0";
    holds(routingMesh(ok, table));
    assert.deepEqual(wrong(routingMesh([ok[0], { ...ok[1], line: "" }], table)), ["port 8080 on swarm-worker1 (192.168.56.11) answered ''"]);
    assert.match(wrong(routingMesh(ok, "IP Virtual Server version 1.2.1"))[0], /^ingress_sbox's IPVS table holds no service/);
  });
});

describe("facts: VXLAN on the wire", function () {
  const e = { vni: 4097, encrypted: false, nodes: ["192.168.56.11", "192.168.56.12"], tasks: ["10.0.1.3", "10.0.1.4"] };
  const packet = (src: string, dst: string, vni = 4097, inner?: { src: string; dst: string }): VxlanPacket => ({
    kind: "vxlan",
    time: "16:35:26.620656",
    outer: { src, dst, srcPort: 49851, dstPort: 4789 },
    vni,
    ...(inner ? { inner: { ...inner, what: "ICMP echo request" } } : {}),
  });
  const request = packet("192.168.56.11", "192.168.56.12", 4097, { src: "10.0.1.3", dst: "10.0.1.4" });
  const reply = packet("192.168.56.12", "192.168.56.11", 4097, { src: "10.0.1.4", dst: "10.0.1.3" });

  it("holds: VXLAN with the overlay's VNI node to node, the tasks inside, the device's VNI the same", function () {
    const v = overlayOnTheWire([request, reply], { ...e, deviceVni: 4097 });
    holds(v);
    assert.deepEqual(v.vnis, [4097]);
  });

  it("too few packets, another VNI, strangers outside or inside, or a device of another VNI is said", function () {
    assert.deepEqual(wrong(overlayOnTheWire([request], e)), ["1 VXLAN packets between 192.168.56.11 and 192.168.56.12 (2 at least expected)"]);
    assert.deepEqual(wrong(overlayOnTheWire([request, { ...reply, vni: 4098 }], e)), ["192.168.56.12 > 192.168.56.11: VNI 4098, not 4097"]);
    assert.match(wrong(overlayOnTheWire([request, { ...reply, outer: { ...reply.outer, src: "192.168.56.13" } }], e))[0], /not between the nodes/);
    assert.match(wrong(overlayOnTheWire([request, packet("192.168.56.12", "192.168.56.11")], e))[0], /inside no IPv4, not between the tasks/);
    assert.deepEqual(wrong(overlayOnTheWire([request, reply], { ...e, deviceVni: 4099 })), ["the overlay's vxlan device has VNI 4099, not 4097"]);
  });

  it("encrypted: ESP only holds; cleartext VXLAN of the overlay or too little ESP is said", function () {
    const esp = {
      kind: "esp" as const,
      time: "19:17:50.376433",
      outer: { src: "192.168.56.11", dst: "192.168.56.12" },
      spi: "0x472f2b3a",
    };
    holds(overlayOnTheWire([esp, esp], { ...e, encrypted: true }));
    assert.deepEqual(wrong(overlayOnTheWire([esp, esp, request], { ...e, encrypted: true })), [
      "1 cleartext VXLAN packets of VNI 4097 on the wire of an encrypted overlay",
    ]);
    assert.deepEqual(wrong(overlayOnTheWire([esp], { ...e, encrypted: true })), [
      "1 ESP packets between 192.168.56.11 and 192.168.56.12 (2 at least expected)",
    ]);
  });
});

describe("facts: one judgement for the suite and explain", function () {
  const source = (...p: string[]) => readFileSync(path.join(__dirname, "..", "..", ...p), "utf8");
  const claims = source("test", "e2e", "tutorial-claims.ts");
  const steps = source("lab", "explain", "steps.ts");
  const predicates = Object.entries(facts)
    .filter(([name, value]) => typeof value === "function" && !["verdict", "inSubnet", "masqueradeRuleOf", "quorumOf"].includes(name))
    .map(([name]) => name);
  /**
   * What only explain shows, each with why the suite has no claim of it: it follows from what the suite proves (a node
   * Ready is in the swarm; tasks running with eth0 on mynet mean the service and the overlay were made; a task reaching
   * the upstream through the node's masquerade left by docker_gwbridge) or is a demonstration (the counter moving).
   */
  const explainOnly = ["swarmJoined", "replicasRunning", "overlayMade", "leavesByGwbridge", "masqueradeCounts"];

  it("every fact's predicate is used by explain's steps, and every one explain does not show alone by the suite's claims", function () {
    assert.ok(predicates.length > explainOnly.length, predicates.join(", "));
    for (const p of predicates) {
      assert.match(steps, new RegExp(`\\b${p}\\b`), `explain judges ${p}`);
      if (!explainOnly.includes(p)) assert.match(claims, new RegExp(`\\b${p}\\b`), `the suite judges ${p}`);
    }
  });

  it("neither judges the Leader by a node's name or the manager's position", function () {
    for (const text of [claims, steps]) {
      assert.doesNotMatch(text, /leader\?\.hostname|\.leader\)\?\.hostname/);
      assert.doesNotMatch(text, /=== "swarm-manager"/);
    }
  });
});
