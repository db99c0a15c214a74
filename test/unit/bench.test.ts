// npm run bench's own logic, without a lab: its command line, the memory figure it reads from the engine's stats, and
// how it reads an up's parts and steps from the moments Pulumi's lines came.
import assert from "node:assert/strict";
import { describeMemory, nodeSteps, partSpans } from "../../scripts/bench-grow";
import { parseBenchArgs, UsageError } from "../../scripts/bench-options";
import { withoutCache } from "../../scripts/node-memory";

const MiB = 1024 * 1024;

describe("npm run bench's command line", () => {
  it("defaults to 3 pairs on a stack of its own, and --grow to workers 2, 5, 10 with 1 and 3 managers", () => {
    const o = parseBenchArgs([], 42);
    assert.deepEqual(
      [o.grow, o.runs, o.stack, o.lab, o.subnet, o.baselinePrefix],
      [false, 3, "bench-42", "swarmlab-bench-42", undefined, "192.168.61"],
    );
    const g = parseBenchArgs(["--grow", "--stack", "hC", "--subnet", "192.168.125.0/24", "--baseline-subnet", "192.168.124.0/24"], 42);
    assert.deepEqual(
      [g.grow, g.workers, g.managers, g.lab, g.subnet, g.baselinePrefix],
      [true, [2, 5, 10], [1, 3], "swarmlab-hc", "192.168.125.0/24", "192.168.124"],
    );
    assert.equal(parseBenchArgs(["1"]).runs, 1);
    assert.deepEqual(parseBenchArgs(["--grow", "--workers", "3,20", "--managers", "5"]).workers, [3, 20]);
  });

  it("refuses what it cannot run, naming it", () => {
    for (const bad of [
      ["--workers", "0,2"],
      ["--workers", "21"],
      ["--managers", "2"],
      ["--subnet", "10.0.0.0/24"],
      ["--stack"],
      ["--stack", "a_b"],
      ["--what"],
    ]) {
      assert.throws(() => parseBenchArgs(bad), UsageError, bad.join(" "));
    }
    assert.throws(() => parseBenchArgs(["--subnet", "192.168.61.0/24"]), /two subnets/);
  });
});

describe("idle memory of a node", () => {
  it("is the cgroup's usage less its page cache, as cgroup v1 (total_cache) and v2 (file) name it", () => {
    assert.equal(withoutCache({ usage: 300 * MiB, stats: { total_cache: 240 * MiB, cache: 10 * MiB } }), 60 * MiB);
    assert.equal(withoutCache({ usage: 300 * MiB, stats: { file: 200 * MiB, anon: 90 * MiB } }), 100 * MiB);
    assert.equal(withoutCache({ usage: 5 }), 5);
    assert.equal(withoutCache({}), undefined);
  });

  it("is said per role, mean and largest", () => {
    const m = [
      { node: "swarm-manager", role: "manager", bytes: 70 * MiB },
      { node: "swarm-worker1", role: "worker", bytes: 50 * MiB },
      { node: "swarm-worker2", role: "worker", bytes: 60 * MiB },
    ];
    assert.equal(describeMemory(m), "mean 60 / largest 70 MiB (manager 70, workers 50–60)");
    assert.equal(describeMemory([]), "n/a");
  });
});

describe("an up's parts, read from its output", () => {
  const lines = [
    { at: 1.0, line: " +  pulumi-nodejs:dynamic/swarmlab:Node swarmlab-x-swarm-worker1 creating (0s) " },
    { at: 1.1, line: " +  pulumi-nodejs:dynamic/swarmlab:Node swarmlab-x-swarm-manager creating (0s) " },
    {
      at: 4.0,
      line: "    pulumi-nodejs:dynamic/swarmlab:Node swarmlab-x-swarm-worker1 creating (3s) node swarm-worker1 (worker) started at 192.168.9.11",
    },
    { at: 7.5, line: "    pulumi-nodejs:dynamic/swarmlab:Node swarmlab-x-swarm-worker1 creating (6s) busybox:latest loaded into swarm-worker1" },
    { at: 8.0, line: " +  pulumi-nodejs:dynamic/swarmlab:Node swarmlab-x-swarm-worker1 created (7s) " },
    { at: 9.0, line: " +  pulumi-nodejs:dynamic/swarmlab:Join swarmlab-x-swarm-worker1-join creating (0s) " },
    {
      at: 10.0,
      line: "    pulumi-nodejs:dynamic/swarmlab:Join swarmlab-x-swarm-worker1-join creating (1s) swarm-worker1 joined the swarm as a worker",
    },
    { at: 10.5, line: " +  pulumi-nodejs:dynamic/swarmlab:Join swarmlab-x-swarm-worker1-join created (1s) " },
  ];

  it("gives each part's first line and Pulumi's 'created', by kind; one not made has no end", () => {
    const spans = partSpans(lines);
    assert.deepEqual(
      spans.map((s) => [s.kind, s.name, s.start, s.end]),
      [
        ["Node", "swarmlab-x-swarm-worker1", 1.0, 8.0],
        ["Node", "swarmlab-x-swarm-manager", 1.1, undefined],
        ["Join", "swarmlab-x-swarm-worker1-join", 9.0, 10.5],
      ],
    );
  });

  it("gives each node's own steps from the parts' log lines", () => {
    assert.deepEqual(Object.fromEntries(nodeSteps(lines)), { "swarm-worker1": { started: 4.0, loaded: 7.5, joined: 10.0 } });
  });
});
