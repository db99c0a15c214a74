// Reading the live lab: one SSH session per node, each node's Engine API asked everything at once (as itself, and as
// a manager when it manages the swarm), and, for the deep look, the interfaces inside the lab service's tasks.
import type Docker from "dockerode";
import { containerExec } from "../engine-api";
import type { NodeSession } from "../remote";
import { connect, engineProblem, NodeAccess, NodeProblem, withTimeout } from "../sessions";
import type { Answer, EngineAnswers, RawNetwork, RawNodeLook, RawService, RawSwarm, RawSwarmNode, RawTask } from "./answers";
import { LabSnapshot, snapshotOf } from "./model";

/** What to read beyond the engines' answers: the lab service's tasks from inside, and each node's lab interface. */
export interface LookDepth {
  /** The lab's service: the interfaces inside its running tasks are read. */
  service?: string;
  labInterface?: boolean;
}

/** How long one engine call may take before the node counts as broken. */
const CALL_TIMEOUT_MS = 10_000;

async function answer<T>(call: Promise<T>): Promise<Answer<T>> {
  try {
    return { ok: await withTimeout(call, CALL_TIMEOUT_MS) };
  } catch (err) {
    const e = err as { statusCode?: number; json?: { message?: string }; message?: string };
    return { error: { status: e.statusCode, message: e.json?.message ?? e.message ?? String(err) } };
  }
}

/**
 * Everything a node's engine says of itself and, when it manages the swarm or is the lab's manager, of the swarm (a
 * manager that left its swarm answers 503, which the model reads as "no swarm here").
 */
export async function engineAnswers(docker: Docker, labManager: boolean): Promise<EngineAnswers> {
  const askManager = async () => {
    const [swarm, nodes, services, tasks] = await Promise.all([
      answer(docker.swarmInspect() as Promise<RawSwarm>),
      answer(docker.listNodes() as Promise<RawSwarmNode[]>),
      answer(docker.listServices() as Promise<RawService[]>),
      answer(docker.listTasks({ filters: { "desired-state": ["running"] } }) as Promise<RawTask[]>),
    ]);
    return { swarm, nodes, services, tasks };
  };
  // The lab's manager is asked as a manager whatever its info says: at once, not one round trip later.
  const asManager = labManager ? askManager() : undefined;
  const [info, images, networks] = await Promise.all([
    withTimeout(docker.info(), CALL_TIMEOUT_MS),
    withTimeout(docker.listImages(), CALL_TIMEOUT_MS),
    withTimeout(docker.listNetworks(), CALL_TIMEOUT_MS),
  ]);
  const answers: EngineAnswers = {
    info,
    images: images.flatMap((i) => [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])]),
    networks: networks as unknown as RawNetwork[],
  };
  if (asManager || info.Swarm?.ControlAvailable) answers.manager = await (asManager ?? askManager());
  return answers;
}

/** One node, over an open session: its engine's answers, or the symptom when the engine does not answer. */
export async function readNode(access: NodeAccess, session: NodeSession, depth: LookDepth = {}): Promise<RawNodeLook> {
  const who = { name: access.name, role: access.role, address: access.address };
  // The ping and the questions go out together (one round trip less through the tunnel): the ping still decides
  // whether the engine answers at all, and the questions' failure counts only when it does.
  const asked = engineAnswers(session.docker(), access.role === "manager").then(
    (answers) => ({ answers }),
    (err: unknown) => ({ failure: (err as Error).message ?? String(err) }),
  );
  const problem = await engineProblem(session);
  if (problem) return { ...who, problem };
  const got = await asked;
  if ("failure" in got) return { ...who, problem: `its Docker engine fails: ${got.failure}` };
  const { answers } = got;
  const look: RawNodeLook = { ...who, problem: "", answers };
  if (depth.labInterface) look.addresses = (await session.exec("ip -j -4 addr show")).stdout;
  return look;
}

/** Between the two listings in one exec's output: a line neither `ip -o link` nor `ip -o addr` prints. */
const LISTINGS_APART = "--";

/**
 * `ip -o link` and `ip -o addr` inside a task's container, or undefined when either fails. One exec runs both (each
 * exec costs the node's engine a runc exec, hundreds of ms in a container node); an image without sh gets one each.
 */
async function taskInterfaces(docker: Docker, containerId: string): Promise<{ link: string; addr: string } | undefined> {
  const run = (cmd: string[]) => withTimeout(containerExec(docker, containerId, cmd), CALL_TIMEOUT_MS).catch(() => undefined);
  const both = await run(["sh", "-c", `ip -o link && echo ${LISTINGS_APART} && ip -o addr`]);
  const [link, addr, ...rest] = both?.code === 0 ? both.stdout.split(`\n${LISTINGS_APART}\n`) : [];
  if (link !== undefined && addr !== undefined && rest.length === 0) return { link: `${link}\n`, addr };
  const [linkAlone, addrAlone] = await Promise.all([run(["ip", "-o", "link"]), run(["ip", "-o", "addr"])]);
  return linkAlone?.code === 0 && addrAlone?.code === 0 ? { link: linkAlone.stdout, addr: addrAlone.stdout } : undefined;
}

/**
 * The interfaces inside each running task of `service`, read on the task's node (the managers' view says where the
 * tasks run): added to that node's raw look.
 */
async function readTasksInside(raw: RawNodeLook[], sessions: Map<string, NodeSession>, service: string): Promise<void> {
  const view = snapshotOf(raw).swarm;
  const running = (view?.tasks ?? []).filter((t) => t.service === service && t.state === "running" && t.containerId);
  await Promise.all(
    running.map(async (t) => {
      const node = raw.find((n) => n.name === t.node);
      const session = sessions.get(t.node);
      if (!node || !session) return;
      const inside = await taskInterfaces(session.docker(), t.containerId);
      if (inside) (node.tasks ??= {})[t.name] = inside;
    }),
  );
}

/** Sessions to the lab's nodes, kept across looks: a node is connected again only after it failed. */
export class LabSessions {
  private readonly open = new Map<string, NodeSession>();
  /** Connections under way, one per node however many ask at once. */
  private readonly connecting = new Map<string, Promise<NodeSession>>();
  private closed = false;

  constructor(
    readonly nodes: NodeAccess[],
    private readonly privateKey: string,
    private readonly timeoutMs = 5_000,
  ) {}

  /** The node's session, connecting when there is none; a NodeProblem when it does not answer. */
  session(node: NodeAccess): Promise<NodeSession> {
    const had = this.open.get(node.name);
    if (had) return Promise.resolve(had);
    let made = this.connecting.get(node.name);
    if (!made) {
      made = connect(node, this.privateKey, this.timeoutMs)
        .then((session) => {
          // A connection that lands after close() (another node failed first, and the caller gave up) is closed at
          // once: kept by no one, its socket would keep the process alive (seen: the fault tests not exiting).
          if (this.closed) {
            session.close();
            throw new NodeProblem(node.name, "its session was opened after the lab's sessions were closed");
          }
          this.open.set(node.name, session);
          return session;
        })
        .finally(() => this.connecting.delete(node.name));
      made.catch(() => undefined); // the callers hear of a failure; one who gave up must not make it unhandled
      this.connecting.set(node.name, made);
    }
    return made;
  }

  /** Drops a node's session after a failure: the next look connects again. */
  forget(name: string): void {
    this.open.get(name)?.close();
    this.open.delete(name);
  }

  /** The sessions that are open now, by node name. */
  get sessions(): Map<string, NodeSession> {
    return this.open;
  }

  close(): void {
    this.closed = true;
    this.open.forEach((s) => s.close());
    this.open.clear();
  }
}

/** One look at every node of the lab, over the sessions (opened as needed). */
export async function readLab(lab: LabSessions, depth: LookDepth = {}): Promise<RawNodeLook[]> {
  const raw = await Promise.all(
    lab.nodes.map(async (n): Promise<RawNodeLook> => {
      try {
        const seen = await readNode(n, await lab.session(n), depth);
        if (seen.problem) lab.forget(n.name);
        return seen;
      } catch (err) {
        lab.forget(n.name);
        if (err instanceof NodeProblem) return { name: n.name, role: n.role, address: n.address, problem: err.symptom };
        throw err;
      }
    }),
  );
  if (depth.service) await readTasksInside(raw, lab.sessions, depth.service);
  return raw;
}

/** The lab's snapshot, read once over one session per node. */
export async function takeSnapshot(lab: LabSessions, depth: LookDepth = {}): Promise<LabSnapshot> {
  return snapshotOf(await readLab(lab, depth));
}
