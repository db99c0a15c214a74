// npm run explain's pure parts: tcpdump's decoding of VXLAN read back from a capture recorded on a real lab, the
// MASQUERADE counters from iptables, the picture's content (every node and task address, the VNI) as DOT and as the
// SVG Graphviz renders, the report's text and JSON shapes, and the swarm's steps on a stand-in lab (judged through
// lab/facts by role, whatever the nodes' names and order). Fixtures: test/fixtures/explain/ (README there).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseNatCounters } from "../../lab/checks/observe";
import type { ObservedLab } from "../../lab/explain/observed";
import { EXPLAIN_FORMAT, formatReport, StepReport, trimOutput } from "../../lab/explain/report";
import { ExplainContext, STEP_NAMES, STEPS } from "../../lab/explain/steps";
import { renderSvg, topologyDot } from "../../lab/explain/topology";
import { captureCommand, describePacket, parseCapture, VxlanPacket } from "../../lab/explain/vxlan";
import { masqueradeCounts, masqueradeRuleOf, overlayOnTheWire as judgeWire } from "../../lab/facts";
import { overlayMtu, pathMtuSizes } from "../../lab/checks/overlay-mtu";

const fixture = (name: string) => readFileSync(path.join(__dirname, "..", "fixtures", "explain", name), "utf8");

describe("explain: VXLAN on the wire, from tcpdump's own decoding", function () {
  const capture = fixture("tcpdump-vxlan-worker1.txt");

  it("reads the six packets of a recorded capture (three echo requests and replies), skipping tcpdump's own messages", function () {
    const packets = parseCapture(capture);
    assert.equal(packets.length, 6);
    assert.ok(packets.every((p) => p.kind === "vxlan"));
  });

  it("each packet: outer source and destination are the workers' lab addresses on UDP 4789, VNI 4097, inner the tasks' overlay addresses", function () {
    const [request, reply] = parseCapture(capture) as VxlanPacket[];
    assert.deepEqual(request, {
      kind: "vxlan",
      time: "16:35:26.620656",
      outer: { src: "192.168.56.11", srcPort: 49851, dst: "192.168.56.12", dstPort: 4789 },
      vni: 4097,
      inner: { src: "10.0.1.3", dst: "10.0.1.4", what: "ICMP echo request, id 96, seq 0, length 64" },
    });
    assert.deepEqual(
      [reply.outer.src, reply.outer.dst, reply.inner?.src, reply.inner?.dst],
      ["192.168.56.12", "192.168.56.11", "10.0.1.4", "10.0.1.3"],
    );
  });

  it("describes a packet in one line, with `VNI <n>`", function () {
    assert.equal(
      describePacket(parseCapture(capture)[0]),
      "192.168.56.11 > 192.168.56.12 UDP 4789  VNI 4097  inner 10.0.1.3 > 10.0.1.4 (ICMP echo request)",
    );
  });

  it("reads ESP (IP protocol 50), what an encrypted overlay sends, as encrypted with its SPI and nothing inside (a capture from the VM lab)", function () {
    const packets = parseCapture(fixture("tcpdump-esp-worker2.txt"));
    assert.equal(packets.length, 4);
    assert.deepEqual(packets[0], {
      kind: "esp",
      time: "19:17:50.376433",
      outer: { src: "192.168.157.12", dst: "192.168.157.11" },
      spi: "0x472f2b3a",
    });
    assert.match(describePacket(packets[0]), /ESP \(IP protocol 50\) spi 0x472f2b3a: encrypted/);
  });

  it("a VXLAN packet whose inner frame is not IPv4 (ARP) keeps its outer addresses and VNI", function () {
    const [p] = parseCapture(
      "16:40:02.000001 IP 192.168.56.11.49851 > 192.168.56.12.4789: VXLAN, flags [I] (0x08), vni 4097\nARP, Request who-has 10.0.1.4 tell 10.0.1.3, length 28\n",
    ) as VxlanPacket[];
    assert.equal(p.vni, 4097);
    assert.equal(p.inner, undefined);
  });

  describe("judging a capture against mynet", function () {
    const plain = { vni: 4097, encrypted: false, nodes: ["192.168.56.11", "192.168.56.12"], tasks: ["10.0.1.3", "10.0.1.4"] };
    const encrypted = { vni: 4098, encrypted: true, nodes: ["192.168.157.11", "192.168.157.12"], tasks: ["10.0.2.7", "10.0.2.8"] };

    it("plain: the recorded capture holds (VXLAN, mynet's VNI, node to node, task to task)", function () {
      const verdict = judgeWire(parseCapture(capture), plain);
      assert.deepEqual(verdict.found, []);
      assert.ok(verdict.holds);
      assert.deepEqual(verdict.vnis, [4097]);
    });

    it("plain: another VNI, other outer or inner addresses, or no packet are each said", function () {
      assert.match(judgeWire(parseCapture(capture), { ...plain, vni: 4100 }).found[0], /VNI 4097, not 4100/);
      assert.match(judgeWire(parseCapture(capture), { ...plain, nodes: ["192.168.56.11", "192.168.56.13"] }).found[0], /not between the nodes/);
      assert.match(
        judgeWire(parseCapture(capture), { ...plain, tasks: ["10.0.1.3", "10.0.1.9"] }).found[0],
        /inside 10\.0\.1\.3 > 10\.0\.1\.4, not between the tasks/,
      );
      assert.deepEqual(judgeWire([], plain).found, ["0 VXLAN packets between 192.168.56.11 and 192.168.56.12 (2 at least expected)"]);
    });

    it("plain: the vxlan device in mynet's namespace must carry mynet's VNI too; encrypted, the wire alone is judged", function () {
      assert.ok(judgeWire(parseCapture(capture), { ...plain, deviceVni: 4097 }).holds);
      assert.deepEqual(judgeWire(parseCapture(capture), { ...plain, deviceVni: 4099 }).found, ["the overlay's vxlan device has VNI 4099, not 4097"]);
      assert.ok(judgeWire(parseCapture(fixture("tcpdump-esp-worker2.txt")), { ...encrypted, deviceVni: 4099 }).holds);
    });

    it("encrypted: ESP only holds; cleartext VXLAN of mynet on the wire does not, nor a capture without ESP", function () {
      const esp = parseCapture(fixture("tcpdump-esp-worker2.txt"));
      assert.deepEqual(judgeWire(esp, encrypted).found, []);
      assert.match(
        judgeWire(parseCapture(capture), { ...encrypted, vni: 4097 }).found.join("\n"),
        /6 cleartext VXLAN packets of VNI 4097 on the wire of an encrypted overlay\n0 ESP packets/,
      );
    });
  });

  it("the overlay's MTU: 1450 (1500 less VXLAN's 50); encrypted 1424 (ESP's 26 more, to a multiple of 4, as measured on the VM lab)", function () {
    assert.equal(overlayMtu(false), 1450);
    assert.equal(overlayMtu(true), 1424);
    assert.deepEqual(pathMtuSizes(1450), [1422, 1423]);
    assert.deepEqual(pathMtuSizes(1424), [1396, 1397]);
  });

  it("the student's command captures both VXLAN and ESP between this worker and the other", function () {
    assert.equal(captureCommand("eth0", "192.168.56.12", 4), "sudo tcpdump -i eth0 -nn -c 4 'host 192.168.56.12 and (udp port 4789 or ip proto 50)'");
  });
});

describe("explain: the node's NAT rules and their counters", function () {
  it("reads iptables -t nat -L POSTROUTING -n -v -x (recorded): the MASQUERADE of docker_gwbridge's subnet with its exact counters", function () {
    const rules = parseNatCounters(fixture("iptables-nat-postrouting.txt"));
    assert.equal(rules.length, 3);
    assert.deepEqual(rules[0], {
      packets: 3,
      bytes: 228,
      target: "MASQUERADE",
      out: "!docker_gwbridge",
      source: "172.18.0.0/16",
      destination: "0.0.0.0/0",
    });
  });

  it("finds the masquerade rule of the node's docker_gwbridge in the recorded table, and sees its counter move", function () {
    const rules = parseNatCounters(fixture("iptables-nat-postrouting.txt"));
    assert.equal(masqueradeRuleOf(rules, "172.18.0.0/16"), rules[0]);
    assert.equal(masqueradeRuleOf(rules, "172.19.0.0/16"), undefined);
    const after = rules.map((r, i) => (i === 0 ? { ...r, packets: r.packets + 1 } : r));
    assert.ok(masqueradeCounts("swarm-worker1", rules, after, "172.18.0.0/16").holds);
    assert.deepEqual(masqueradeCounts("swarm-worker1", rules, rules, "172.18.0.0/16").found, [
      "swarm-worker1's MASQUERADE counter did not move (3 → 3 packets)",
    ]);
  });
});

describe("explain: the picture of the lab", function () {
  const lab = JSON.parse(fixture("observed-lab.json")) as ObservedLab;
  const addresses = [
    ...lab.nodes.map((n) => n.address),
    ...lab.tasks.flatMap((t) => [t.eth0!.ipv4, t.eth1!.ipv4]),
    lab.upstream.address,
    lab.subnet,
    lab.overlay.subnet,
  ];

  it("the DOT names every node with its address, each task with its eth0 and eth1 addresses, the lab network, the upstream and the VNI", function () {
    const dot = topologyDot(lab);
    for (const a of addresses) assert.ok(dot.includes(a), `${a} is in the DOT`);
    for (const n of lab.nodes) assert.ok(dot.includes(`${n.name} (${n.role})`), n.name);
    for (const t of lab.tasks) assert.ok(dot.includes(`task ${t.name}`), t.name);
    assert.match(dot, /VXLAN tunnel\\nVNI 4097, UDP 4789/);
    assert.equal((dot.match(/docker_gwbridge 172\.18\.0\.1/g) ?? []).length, 3, "a docker_gwbridge on each node");
  });

  it("for the user's own hosts (ssh): their own network below, no lab network of swarmlab's range and no upstream", function () {
    const dot = topologyDot({ ...lab, backend: "ssh", upstream: { name: "swarm-manager", address: lab.nodes[0].address } });
    assert.match(dot, /labnet \[label="the hosts' own network\\n\(swarmlab:hosts; the tasks ping 192\.168\.\d+\.\d+, the founding manager\)"/);
    assert.ok(!dot.includes(lab.subnet), "swarmlab's lab network range is not drawn");
    assert.ok(!/upstream \[|stands for the internet/.test(dot), "no upstream host");
    for (const n of lab.nodes) assert.ok(dot.includes(`${n.name} (${n.role})`), n.name);
  });

  it("Graphviz renders it to an SVG that shows the same text", async function () {
    this.timeout(30_000);
    const svg = await renderSvg(topologyDot(lab));
    assert.match(svg, /^<\?xml[\s\S]*<svg /);
    // what the picture shows: its text elements, with the character references Graphviz writes (&#45; for -) decoded
    const shown = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)]
      .map((m) => m[1].replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))))
      .join("\n");
    for (const a of addresses) assert.ok(shown.includes(a), `${a} is in the SVG`);
    for (const n of lab.nodes) assert.ok(shown.includes(`${n.name} (${n.role})`), n.name);
    for (const t of lab.tasks) assert.ok(shown.includes(`task ${t.name}`), t.name);
    assert.ok(shown.includes("VNI 4097, UDP 4789"));
  });

  it("an encrypted overlay is drawn as an IPsec ESP tunnel", function () {
    const dot = topologyDot({ ...lab, overlay: { ...lab.overlay, encrypted: true } });
    assert.match(dot, /IPsec ESP tunnel/);
    assert.match(dot, /\(encrypted\)/);
  });
});

describe("explain: the report", function () {
  const step: StepReport = {
    name: "node-ls",
    number: 3,
    section: "swarm",
    node: "swarm-manager",
    command: "docker node ls",
    output: "ID HOSTNAME\nabc swarm-manager",
    reading: [],
    proves: "all 3 nodes are Ready",
    holds: true,
    facts: {},
  };

  it("walks the tutorial in its order, starting with swarm init and ending with ingress", function () {
    assert.deepEqual(STEP_NAMES.slice(0, 3), ["swarm-init", "swarm-join", "node-ls"]);
    for (const name of [
      "network-create",
      "service-create",
      "service-ps",
      "network-ls",
      "ip-a",
      "ping",
      "path-mtu",
      "vxlan",
      "masquerade",
      "upstream-sees",
    ]) {
      assert.ok(STEP_NAMES.includes(name), name);
    }
    assert.equal(STEP_NAMES.at(-1), "ingress");
  });

  it("prints a step as its command, its output, what it proves; a step that does not hold is marked", function () {
    const lines = formatReport({
      format: EXPLAIN_FORMAT,
      lab: "swarmlab",
      backend: "docker",
      steps: [step, { ...step, holds: false }],
      holds: false,
    });
    assert.ok(lines.includes("3. node-ls (on swarm-manager)"));
    assert.ok(lines.includes("   $ docker node ls"));
    assert.ok(lines.includes("   | abc swarm-manager"));
    assert.ok(lines.includes("   ✓ all 3 nodes are Ready"));
    assert.ok(lines.includes("   ✗ DOES NOT HOLD: all 3 nodes are Ready"));
  });

  it("trims long output and says what it left out", function () {
    const text = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n");
    assert.equal(trimOutput(text, 3), "line 0\nline 1\nline 2\n[… 17 more lines]");
  });
});

describe("explain: the swarm's steps judge by role, on a stand-in lab", function () {
  // A lab whose manager is neither first nor named swarm-manager: each node answers a command with a fixed text, and
  // the lab's snapshot lists the swarm's nodes.
  const access = (name: string, role: "manager" | "worker", address: string) => ({ name, role, address });
  const boss = access("boss", "manager", "192.168.56.20");
  const w1 = access("w1", "worker", "192.168.56.21");
  const w2 = access("w2", "worker", "192.168.56.22");
  type Row = { hostname: string; role: string; leader: boolean; state?: string };

  function standIn(rows: Row[], answers: Record<string, string>): ExplainContext {
    const node = (a: typeof boss) => ({
      access: a,
      session: { exec: async () => ({ code: 0, stdout: answers[a.name] ?? "", stderr: "" }) },
    });
    const nodes = [w1, boss, w2].map(node);
    // The swarm as the snapshot holds it (lab/snapshot/model.ts's members).
    const members = rows.map((r) => ({ hostname: r.hostname, state: r.state ?? "ready", role: r.role, leader: r.leader }));
    const snapshot = { nodes: [], swarm: { from: "boss", members } };
    const lab = { nodes, manager: nodes[1], snapshot, node: (n: string) => nodes.find((x) => x.access.name === n)! };
    return { lab, seen: {} } as unknown as ExplainContext;
  }
  const run = (name: string, ctx: ExplainContext) => STEPS.find((s) => s.name === name)!.run(ctx);
  const listed = [
    { hostname: "w1", role: "worker", leader: false },
    { hostname: "boss", role: "manager", leader: true },
    { hostname: "w2", role: "worker", leader: false },
  ];

  it("node-ls holds when the node whose role is manager leads, and says so by its name", async function () {
    const report = await run("node-ls", standIn(listed, {}));
    assert.equal(report.holds, true);
    assert.equal(report.proves, "all 3 nodes are in the swarm and Ready, and boss is its Leader");
    assert.deepEqual(report.reading, []);
  });

  it("node-ls does not hold when a worker leads or a node is down, and reads what is wrong", async function () {
    const report = await run(
      "node-ls",
      standIn(
        [
          { ...listed[0], leader: true },
          { ...listed[1], leader: false },
          { ...listed[2], state: "down" },
        ],
        {},
      ),
    );
    assert.equal(report.holds, false);
    assert.deepEqual(report.reading, ["w2 is down, not Ready", "the Leader is w1, not the manager (boss)"]);
  });

  it("swarm-join asks the workers, found by role, whether they joined through the manager's address", async function () {
    const joined = { w1: "active 192.168.56.21 manager 192.168.56.20:2377", w2: "active 192.168.56.22 manager 192.168.56.20:2377" };
    const report = await run("swarm-join", standIn(listed, joined));
    assert.equal(report.node, "w1, w2");
    assert.equal(report.holds, true);
    const left = await run("swarm-join", standIn(listed, { ...joined, w2: "inactive  manager" }));
    assert.equal(left.holds, false);
    assert.deepEqual(left.reading, ["w2's engine is inactive in the swarm, not active"]);
  });
});
