// Up's final look and the suite's health check judge the lab's snapshot: here, snapshots from engine answers recorded
// on a real lab (test/fixtures/snapshot), as recorded and with the faults students make.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { interfaceFaults, labProblems } from "../../lab/health";
import type { RawNodeLook, RawService, RawSwarmNode, RawTask } from "../../lab/snapshot/answers";
import { snapshotOf } from "../../lab/snapshot/model";

const recorded = (name: string): RawNodeLook[] =>
  JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "snapshot", `${name}.json`), "utf8"));
const NODES = [
  { name: "swarm-manager", role: "manager" as const },
  { name: "swarm-worker1", role: "worker" as const },
  { name: "swarm-worker2", role: "worker" as const },
];
const SERVICE = { name: "test", replicas: 2, network: "mynet" };
const managerAnswers = (raw: RawNodeLook[]) => raw[0].answers!.manager!;
const nodesOf = (raw: RawNodeLook[]) => (managerAnswers(raw).nodes as { ok: RawSwarmNode[] }).ok;
const tasksOf = (raw: RawNodeLook[]) => (managerAnswers(raw).tasks as { ok: RawTask[] }).ok;

describe("health: what the lab's snapshot shows wrong", () => {
  it("a healthy lab: nothing", () => {
    const s = snapshotOf(recorded("healthy"));
    assert.deepEqual(labProblems(s, NODES, SERVICE), []);
    assert.deepEqual(interfaceFaults(s, SERVICE), []);
  });

  it("the manager left its swarm: said as that, not as the engine's 503", () => {
    const problems = labProblems(snapshotOf(recorded("manager-left")), NODES, SERVICE);
    assert.deepEqual(problems, ["swarm-manager: it manages no swarm (docker info says inactive)"]);
  });

  it("a node whose engine does not answer is named with its symptom; the swarm is judged from the managers that do", () => {
    const raw = recorded("healthy");
    raw[2] = { name: "swarm-worker2", role: "worker", address: raw[2].address, problem: "its Docker engine does not answer" };
    const problems = labProblems(snapshotOf(raw), NODES, SERVICE);
    assert.equal(problems[0], "swarm-worker2: its Docker engine does not answer");
  });

  it("a worker the swarm sees Down, and a task pending in Swarm's words (a drained worker, a constraint)", () => {
    const raw = recorded("healthy");
    const worker = nodesOf(raw).find((n) => n.Description?.Hostname === "swarm-worker1")!;
    worker.Status = { State: "down" };
    const task = tasksOf(raw)[0];
    task.Status = { State: "pending", Err: "no suitable node (scheduling constraints not satisfied on 3 nodes)" };
    assert.deepEqual(labProblems(snapshotOf(raw), NODES, SERVICE), [
      "docker node ls: swarm-worker1 is down, not Ready",
      "service test: 1 of 2 tasks running",
      "service test: Swarm says pending: no suitable node (scheduling constraints not satisfied on 3 nodes)",
    ]);
  });

  it("the service removed, or scaled: said as that, with the tasks' count that follows", () => {
    const removed = recorded("healthy");
    managerAnswers(removed).services = { ok: [] };
    managerAnswers(removed).tasks = { ok: [] };
    assert.deepEqual(labProblems(snapshotOf(removed), NODES, SERVICE), [
      "service test: not in the swarm (docker service ls has no test)",
      "service test: 0 of 2 tasks running",
    ]);
    const scaled = recorded("healthy");
    const [svc] = (managerAnswers(scaled).services as { ok: RawService[] }).ok;
    svc.Spec = { ...svc.Spec, Mode: { Replicated: { Replicas: 5 } } };
    // the two tasks still run, one per worker: the scale alone is named
    assert.deepEqual(labProblems(snapshotOf(scaled), NODES, SERVICE), ["service test: scaled to 5 replicas, the lab's is 2"]);
  });

  it("a node the managers do not list is not a member; two tasks on one node are named", () => {
    const unlisted = recorded("healthy");
    managerAnswers(unlisted).nodes = { ok: nodesOf(unlisted).filter((n) => n.Description?.Hostname !== "swarm-worker2") };
    assert.ok(labProblems(snapshotOf(unlisted), NODES, SERVICE).includes("docker node ls: swarm-worker2 is not in the swarm"));
    const stacked = recorded("healthy");
    const [a, b] = tasksOf(stacked);
    b.NodeID = a.NodeID;
    const problems = labProblems(snapshotOf(stacked), NODES, SERVICE);
    assert.ok(
      problems.some((p) => /^service test: test\.1 and test\.2 share swarm-worker\d$/.test(p)),
      problems.join("\n"),
    );
  });

  it("a member that is no node of the lab (a worker this up removes last) is left to the suite", () => {
    const raw = recorded("healthy");
    const worker3 = { ...nodesOf(raw)[0], ID: "w3", Description: { Hostname: "swarm-worker3" } };
    managerAnswers(raw).nodes = { ok: [...nodesOf(raw), worker3] };
    assert.deepEqual(labProblems(snapshotOf(raw), NODES, SERVICE), []);
  });

  it("a task's interface on the overlay changed on its node: its MTU, or no interface at all", () => {
    const raw = recorded("healthy");
    const worker = raw.find((n) => n.tasks && Object.keys(n.tasks).length > 0)!;
    const [name] = Object.keys(worker.tasks!);
    const inside = worker.tasks![name];
    inside.link = inside.link.replace(/(eth0@\S+ .*?mtu )1450/, "$11400");
    assert.deepEqual(interfaceFaults(snapshotOf(raw), SERVICE), [
      { node: worker.name, symptom: `${name}'s eth0 has MTU 1400, not 1450 (a plain overlay) (changed on the node)` },
    ]);
    inside.addr = inside.addr
      .split("\n")
      .filter((l) => !/\beth0\b/.test(l))
      .join("\n");
    const [fault] = interfaceFaults(snapshotOf(raw), SERVICE);
    assert.match(
      fault.symptom,
      new RegExp(`^${name.replace(".", "\\.")}'s eth0 \\(no IPv4\\) is not in mynet 10\\.0\\.\\d+\\.0/24.* \\(changed on the node\\)$`),
    );
  });
});
