// SSH carried through the Docker engine (lab/engine-relay.ts), as a client with no route to the lab's addresses
// reaches the nodes: on the lab the suite verifies (lab-under-test.ts), every node is reached with
// SWARMLAB_REACH=engine, and the snapshot read that way says what the one read at the nodes' addresses says; OpenSSH
// gets there through the ProxyCommand of the generated ssh_config, the host keys pinned as ever.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import execa from "execa";
import { sshConfigOf } from "../../infra/swarmlab";
import { labDirRelative } from "../../lab/lab-dir";
import { PROJECT_ROOT } from "../../lab/project-root";
import { relayContainerOf } from "../../lab/sessions";
import type { LabSnapshot } from "../../lab/snapshot/model";
import { LabSessions, takeSnapshot } from "../../lab/snapshot/read";
import { acquireLab, LabUnderTest, requirePrerequisites } from "./lab-under-test";

/** What a look says of the lab, without what changes from one look to the next (task states' times and such). */
function factsOf(s: LabSnapshot) {
  const sorted = (list: string[]) => [...list].sort();
  return {
    nodes: s.nodes.map((n) => ({
      name: n.name,
      problem: n.problem,
      local: n.local,
      labInterface: n.labInterface,
      images: sorted(n.images),
      networks: sorted(n.networks.map((w) => `${w.name} ${w.driver} ${w.scope}`)),
    })),
    swarm: s.swarm && {
      id: s.swarm.id,
      members: sorted(s.swarm.members.map((m) => `${m.hostname} ${m.role} ${m.state} ${m.availability}`)),
      services: sorted(s.swarm.services.map((v) => v.name)),
    },
  };
}

/** A snapshot of the lab read over sessions opened the way `reach` says. */
async function snapshotThrough(under: LabUnderTest, reach: "direct" | "engine"): Promise<{ snapshot: LabSnapshot; ms: number }> {
  const saved = process.env.SWARMLAB_REACH;
  process.env.SWARMLAB_REACH = reach;
  const lab = new LabSessions(under.outputs.nodeAccess, under.outputs.privateKey, 15_000);
  try {
    const started = performance.now();
    await Promise.all(lab.nodes.map((n) => lab.session(n)));
    const ms = performance.now() - started;
    return { snapshot: await takeSnapshot(lab), ms };
  } finally {
    lab.close();
    if (saved === undefined) delete process.env.SWARMLAB_REACH;
    else process.env.SWARMLAB_REACH = saved;
  }
}

describe("SSH through the Docker engine (SWARMLAB_REACH=engine)", function () {
  let under: LabUnderTest | undefined;

  before(async function () {
    await requirePrerequisites(this, false);
    under = await acquireLab((l) => console.log(`      ${l}`), this);
    if (under.backend !== "docker") {
      if (process.env.CI) throw new Error(`the lab under test is of backend ${under.backend}: only container nodes are reached through the engine`);
      this.skip();
    }
  });

  after(async function () {
    if (under?.owned) {
      const { downLab, forgetStack } = require("../../infra/stack") as typeof import("../../infra/stack");
      await downLab(under.stack as import("@pulumi/pulumi/automation").Stack);
      await forgetStack(under.stack as import("@pulumi/pulumi/automation").Stack);
    }
  });

  it("reaches every node, and the snapshot read through the engine says what the direct one says", async function () {
    const direct = await snapshotThrough(under!, "direct");
    const engine = await snapshotThrough(under!, "engine");
    console.log(
      `      handshakes with ${under!.outputs.nodeAccess.length} nodes: direct ${direct.ms.toFixed(0)} ms, through the engine ${engine.ms.toFixed(0)} ms`,
    );
    assert.deepEqual(
      engine.snapshot.nodes.filter((n) => n.problem).map((n) => `${n.name}: ${n.problem}`),
      [],
    );
    assert.deepEqual(factsOf(engine.snapshot), factsOf(direct.snapshot));
  });

  it("ssh -F with the generated ssh_config reaches swarm-worker1 through ProxyCommand, its host key pinned", async function () {
    const saved = process.env.SWARMLAB_REACH;
    process.env.SWARMLAB_REACH = "engine";
    const dir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-reach-"));
    try {
      const nodes = under!.outputs.nodeAccess;
      const worker = nodes.find((n) => n.role === "worker")!;
      const config = sshConfigOf(nodes, labDirRelative(under!.outputs.lab));
      assert.match(config, new RegExp(`ProxyCommand docker exec -i ${relayContainerOf(worker)} /usr/sbin/sshd -i`));
      const file = path.join(dir, "ssh_config");
      writeFileSync(file, config);
      const r = await execa("ssh", ["-F", file, "-o", "BatchMode=yes", worker.name, "hostname"], {
        cwd: PROJECT_ROOT,
        reject: false,
        timeout: 30_000,
      });
      assert.equal(r.exitCode, 0, `ssh -F ${file} ${worker.name} exited ${r.exitCode}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), worker.name);
      // a key that is not the node's is refused: through the engine the host key is checked as at the address
      const wrong = config.replace(/UserKnownHostsFile \S+/g, `UserKnownHostsFile ${path.join(dir, "other_known_hosts")}`);
      writeFileSync(path.join(dir, "other_known_hosts"), `${worker.sshHost} ${nodes.find((n) => n !== worker)!.hostKey}\n`);
      writeFileSync(file, wrong);
      const refused = await execa("ssh", ["-F", file, "-o", "BatchMode=yes", worker.name, "true"], {
        cwd: PROJECT_ROOT,
        reject: false,
        timeout: 30_000,
      });
      assert.notEqual(refused.exitCode, 0);
      assert.match(refused.stderr, /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      if (saved === undefined) delete process.env.SWARMLAB_REACH;
      else process.env.SWARMLAB_REACH = saved;
    }
  });
});
