// npm run explain -- --drill quorum: the managers' Raft losing its quorum, live. With N managers (3 or 5) it stops
// ⌊N/2⌋ of them and shows that the swarm still schedules (a probe service's task runs), stops one more and shows the
// managers' API failing in Swarm's words and nothing scheduled; `npm run up` heals it. The founding manager answers
// throughout and is never stopped (it is the one up makes the swarm whole on). A manager is stopped as a crashed one
// would be: its Docker engine stops (lab/steps/engine.ts); its machine and sshd stay.
import type { ConnectedLab, ConnectedNode } from "../checks/observe";
import { quorumOf } from "../facts";
import { engineCommand } from "../steps/engine";
import { NO_LEADER } from "../steps/swarm";
import { founderOf } from "../types";
import { unlessTimedOut, waitUntil } from "../wait";

/** What the drill saw, as data (the e2e test judges it; the text is printed as it goes). */
export interface DrillReport {
  managers: string[];
  quorum: number;
  /** The managers stopped while the quorum held, then the one that broke it. */
  stoppedFirst: string[];
  stoppedLast: string;
  /** The probe's task ran with ⌊N/2⌋ managers down. */
  scheduledWithQuorum: boolean;
  /** What the answering manager's API said once the quorum was lost (Swarm's words). */
  lostSays: string;
  /** A service create was refused once the quorum was lost. */
  refusedWithoutQuorum: boolean;
  holds: boolean;
}

/** The probe service the drill creates (and removes) to show that the swarm schedules. */
export const PROBE = "quorum-probe";

export async function quorumDrill(lab: ConnectedLab, say: (line: string) => void): Promise<DrillReport> {
  const managers = lab.nodes.filter((n) => n.access.role === "manager");
  const founder = lab.node(founderOf(lab.nodes.map((n) => n.access)).name);
  if (managers.length < 3) {
    throw new Error(
      `the quorum drill needs 3 or 5 managers, and this lab has ${managers.length}: pulumi config set swarmlab:managers 3, then npm run up`,
    );
  }
  const { quorum, survives } = quorumOf(managers.length);
  const others = managers.filter((m) => m !== founder);
  const first = others.slice(0, survives);
  const last = others[survives];
  const run = async (command: string, on = founder) => {
    const r = await on.session.exec(command);
    return { code: r.code, text: (r.stdout + r.stderr).replace(/\s+$/, "") };
  };
  const show = async (command: string) => {
    const r = await run(command);
    say(`   $ ${command}   (on ${founder.access.name})`);
    for (const l of r.text.split("\n")) say(`   | ${l}`);
    return r;
  };
  const stop = async (m: ConnectedNode) => {
    say(`   $ ${engineCommand("stop")}   (on ${m.access.name}: its Docker engine stops, as a crashed manager's would)`);
    await run(engineCommand("stop"), m);
  };
  const { image, command } = await serviceTemplate(lab);
  const create = `docker service create --detach --quiet --name ${PROBE} --constraint node.role==worker --no-resolve-image ${image} ${command}`;

  say(`the quorum drill on ${managers.length} managers (${managers.map((m) => m.access.name).join(", ")}), asked through ${founder.access.name}:`);
  say(`quorum = ⌊${managers.length}/2⌋+1 = ${quorum}: the swarm survives ${survives} manager${survives === 1 ? "" : "s"} down`);
  await show("docker node ls --filter role=manager");

  say("");
  say(`1. stop ${survives} manager${survives === 1 ? "" : "s"}: ${quorum} of ${managers.length} stay, the quorum holds`);
  for (const m of first) await stop(m);
  // a Leader among those left (an election, when the Leader was stopped): the managers answer again
  await unlessTimedOut(
    waitUntil("a Leader with the quorum", { timeoutMs: 30_000, pacingMs: 1_000, errors: "retry" }, async () => {
      const r = await run("docker node ls --filter role=manager --format '{{.Hostname}} {{.ManagerStatus}}'");
      const unreachable = first.every((m) => new RegExp(`^${m.access.name} Unreachable`, "m").test(r.text));
      return r.code === 0 && /Leader/.test(r.text) && unreachable;
    }),
  );
  await show("docker node ls --filter role=manager");
  say(`   $ ${create}`);
  const made = await run(create);
  const running = made.code === 0 && (await probeRuns(run));
  await show(`docker service ps ${PROBE}`);
  say(`   → ${running ? `the probe's task runs: with ${quorum} managers the swarm still schedules` : "the probe's task does not run"}`);
  await show(`docker service rm ${PROBE}`);

  say("");
  say(`2. stop one more (${last.access.name}): only ${quorum - 1} of ${managers.length} managers stay up, fewer than the quorum ${quorum}`);
  await stop(last);
  const lost = await unlessTimedOut(
    waitUntil("the quorum lost", { timeoutMs: 60_000, pacingMs: 1_000, errors: "retry" }, async () => {
      const r = await run("docker node ls");
      return r.code !== 0 && NO_LEADER.test(r.text) && r;
    }),
  );
  const lostSays = (await show("docker node ls")).text;
  say(`   $ ${create}`);
  const refused = await run(create);
  for (const l of refused.text.split("\n")) say(`   | ${l}`);
  const refusedWithoutQuorum = refused.code !== 0;
  say(
    `   → ${lost ? "the managers' API fails: no Leader can be elected without a quorum" : "the managers still answer"}; ` +
      `${refusedWithoutQuorum ? "nothing new is scheduled (the tasks already running keep running on their workers)" : "the probe was accepted"}`,
  );
  say("");
  say(
    `npm run up heals it: it makes the stopped managers again, runs docker swarm init --force-new-cluster on ${founder.access.name} ` +
      `(the same swarm, its services and networks kept), removes the stopped managers' entries and has them join again`,
  );
  const holds = running && lost !== undefined && refusedWithoutQuorum;
  return {
    managers: managers.map((m) => m.access.name),
    quorum,
    stoppedFirst: first.map((m) => m.access.name),
    stoppedLast: last.access.name,
    scheduledWithQuorum: running,
    lostSays,
    refusedWithoutQuorum,
    holds,
  };
}

/** The lab service's image and command: the probe runs the same (the image is on every node already). */
async function serviceTemplate(lab: ConnectedLab): Promise<{ image: string; command: string }> {
  const s = (await lab.manager.docker.getService(lab.outputs.service).inspect()) as {
    Spec: { TaskTemplate: { ContainerSpec: { Image: string; Command?: string[]; Args?: string[] } } };
  };
  const c = s.Spec.TaskTemplate.ContainerSpec;
  return { image: c.Image.replace(/@sha256:[0-9a-f]+$/, ""), command: [...(c.Command ?? []), ...(c.Args ?? [])].join(" ") };
}

/** Whether the probe's task comes to run within a while. */
async function probeRuns(run: (command: string) => Promise<{ code: number; text: string }>): Promise<boolean> {
  const seen = await unlessTimedOut(
    waitUntil(`${PROBE} running`, { timeoutMs: 45_000, pacingMs: 1_000, errors: "retry" }, async () => {
      const r = await run(`docker service ps ${PROBE} --filter desired-state=running --format '{{.CurrentState}}'`);
      return r.code === 0 && /^Running/m.test(r.text);
    }),
  );
  return seen === true;
}
