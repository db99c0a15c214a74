// npm run explain against the lab the suite verifies (lab-under-test.ts: the selected stack's when it is up, else a
// throw-away lab of its own): the real CLI with --json, its VNI against mynet's as Docker reports it, the MTU, the
// MASQUERADE counters moving, and the picture it writes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import execa from "execa";
import { PROJECT_ROOT } from "../../infra/provider";
import { forgetStack, downLab } from "../../infra/stack";
import { ConnectedLab } from "../../lab/checks/observe";
import { overlayNamed } from "../../lab/snapshot/model";
import { overlayMtu, pathMtuSizes } from "../../lab/checks/overlay-mtu";
import type { ExplainReport, StepReport } from "../../lab/explain/report";
import { STEPS } from "../../lab/explain/steps";
import { acquireLab, LabUnderTest, requirePrerequisites } from "./lab-under-test";

/** The CLI as npm run explain runs it, on the lab's stack. */
const explainCli = (stack: string, ...args: string[]) =>
  execa("npx", ["--no-install", "ts-node", "scripts/explain.ts", ...args], { cwd: PROJECT_ROOT, env: { SWARMLAB_STACK: stack }, reject: false });

/** The steps that do not hold, whole, from explain's JSON (else the output's end): what a failure must show. */
function failedSteps(stdout: string): string {
  try {
    const failed = (JSON.parse(stdout) as ExplainReport).steps.filter((s) => !s.holds);
    return failed.length ? `steps that do not hold:\n${JSON.stringify(failed, null, 2)}` : stdout.slice(-2000);
  } catch {
    return stdout.slice(-2000);
  }
}

describe("npm run explain: the tutorial walked through on the live lab", function () {
  let under: LabUnderTest | undefined;
  let report: ExplainReport;
  /** The tasks' overlay addresses as explain read them (the stack's outputs are as up last saw them). */
  const taskAddresses = () => (step("ip-a").facts.tasks as { eth0: { ipv4: string } }[]).map((t) => t.eth0.ipv4.split("/")[0]);
  const step = (name: string): StepReport => {
    const s = report.steps.find((x) => x.name === name);
    assert.ok(s, `no step ${name} in the report`);
    return s;
  };

  before(async function () {
    await requirePrerequisites(this);
    under = await acquireLab((l) => console.log(`      ${l}`));
    const r = await explainCli(under.stack.name, "--json");
    assert.equal(r.exitCode, 0, `explain --json exited ${r.exitCode}:\n${r.stderr}\n${failedSteps(r.stdout)}`);
    report = JSON.parse(r.stdout);
  });

  after(async function () {
    if (under?.owned) {
      await downLab(under.stack);
      await forgetStack(under.stack);
    }
  });

  it("--json gives the versioned report of every step in the tutorial's order, each with command, output and what it proves, all holding", function () {
    assert.equal(report.format, "swarmlab-explain/1");
    assert.equal(report.lab, under!.outputs.lab);
    assert.deepEqual(
      report.steps.map((s) => s.number),
      report.steps.map((_, i) => i + 1),
    );
    for (const s of report.steps) {
      assert.ok(s.command && s.proves, `${s.name} has a command and what it proves`);
      assert.ok(s.output.length > 0, `${s.name} shows real output`);
    }
    assert.deepEqual(
      report.steps.filter((s) => !s.holds).map((s) => `${s.name}: ${s.reading.join("; ")}`),
      [],
    );
    assert.equal(report.holds, true);
  });

  it("the VNI on the wire is mynet's, as docker network inspect and the vxlan device in mynet's namespace report it", async function () {
    const lab = await ConnectedLab.open(under!.outputs);
    try {
      const mynet = overlayNamed(lab.snapshot, under!.outputs.overlay.name)!;
      const vxlan = step("vxlan");
      if (mynet.encrypted) {
        const kinds = (vxlan.facts.packets as { kind: string }[]).map((p) => p.kind);
        return assert.ok(kinds.length >= 2 && kinds.every((k) => k === "esp"), `encrypted mynet, on the wire: ${kinds.join(", ") || "nothing"}`);
      }
      assert.deepEqual(vxlan.facts.vnisOnTheWire, [mynet.vni]);
      assert.equal(vxlan.facts.deviceVni, mynet.vni);
      assert.ok(
        vxlan.reading.some((l) => l.startsWith(`VNI ${mynet.vni} on the wire`)),
        vxlan.reading.join("\n"),
      );
      const nodes = under!.outputs.nodes.map((n) => n.address);
      const tasks = taskAddresses();
      for (const p of vxlan.facts.packets as { outer: { src: string; dst: string }; inner: { src: string; dst: string } }[]) {
        assert.ok(nodes.includes(p.outer.src) && nodes.includes(p.outer.dst), `outer ${p.outer.src} > ${p.outer.dst}`);
        assert.ok(tasks.includes(p.inner.src) && tasks.includes(p.inner.dst), `inner ${p.inner.src} > ${p.inner.dst}`);
      }
    } finally {
      lab.close();
    }
  });

  it("MTU 1450 on every task's eth0 (1424 encrypted); 1422 bytes with don't-fragment pass and 1423 do not (1396, 1397)", function () {
    const encrypted = step("network-create").facts.encrypted as boolean;
    const mtu = overlayMtu(encrypted);
    for (const t of step("ip-a").facts.tasks as { name: string; eth0: { mtu: number } }[]) assert.equal(t.eth0.mtu, mtu, t.name);
    const [fits, tooBig] = pathMtuSizes(mtu);
    assert.deepEqual(step("path-mtu").facts, { mtu, fits, fitsPassed: true, tooBig, tooBigPassed: false });
  });

  it("the node's MASQUERADE counter moves with a task's ping to the upstream, and the upstream sees the node's address", function () {
    const { packetsBefore, packetsAfter } = step("masquerade").facts as { packetsBefore: number; packetsAfter: number };
    assert.ok(packetsAfter > packetsBefore, `${packetsBefore} → ${packetsAfter}`);
    const seen = step("upstream-sees").facts as { seenSource: string; node: string };
    assert.equal(seen.seenSource, seen.node);
  });

  it("writes the picture, .swarmlab/<lab>/topology.svg, showing every node's and task's addresses", function () {
    assert.equal(report.topology?.svg, path.join(".swarmlab", under!.outputs.lab, "topology.svg"));
    const svg = readFileSync(path.join(PROJECT_ROOT, report.topology!.svg), "utf8");
    const shown = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)]
      .map((m) => m[1].replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))))
      .join("\n");
    for (const n of under!.outputs.nodes) assert.ok(shown.includes(n.address) && shown.includes(n.name), n.name);
    for (const a of taskAddresses()) assert.ok(shown.includes(`${a}/`), a);
    assert.ok(shown.includes(under!.outputs.upstream.address));
  });

  it("--step vxlan prints that step alone, as text: the tcpdump command, the decoded packets with their VNI", async function () {
    const r = await explainCli(under!.stack.name, "--step", "vxlan");
    assert.equal(r.exitCode, 0, r.stderr);
    const number = STEPS.findIndex((x) => x.name === "vxlan") + 1; // its place in the tutorial's order
    assert.match(r.stdout, new RegExp(`\\n${number}\\. vxlan \\(on swarm-worker\\d+\\)\\n {3}\\$ sudo tcpdump -i \\S+ -nn -c 4 `));
    const encrypted = step("network-create").facts.encrypted as boolean;
    assert.match(r.stdout, encrypted ? /→ .* ESP \(IP protocol 50\) spi 0x[0-9a-f]+: encrypted/ : /→ .* VNI \d+ {2}inner /);
    assert.doesNotMatch(r.stdout, /node-ls/);
  });
});
