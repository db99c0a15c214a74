// The memory a lab's node containers hold, as the host's engine counts it (its stats API, the figure behind
// `docker stats`): for npm run bench -- --grow's "idle memory per node".
import Docker from "dockerode";
import { LABEL_LAB, LABEL_NODE, LABEL_ROLE } from "../lab/types";

export interface NodeMemory {
  node: string;
  role: string;
  /** The node's cgroup, page cache left out, in bytes. */
  bytes: number;
}

/** The parts of the engine's memory_stats this reads (cgroup v1 and v2 name them differently). */
export interface MemoryStats {
  usage?: number;
  stats?: Record<string, number | undefined>;
}

/**
 * The cgroup's usage less all its page cache: what the node's processes (dockerd, containerd, sshd, its tasks, whose
 * cgroups nest in the node's) hold themselves, plus the kernel memory charged to them. The page cache is left out
 * because the kernel gives it back under pressure: it is the files the node read (images, its engine's state), not
 * what the node needs. cgroup v1: usage − total_cache (the hierarchy's); v2: usage − file. `docker stats` leaves out
 * only the inactive part of the cache, so it shows a little more.
 */
export function withoutCache(m: MemoryStats): number | undefined {
  if (m.usage === undefined) return undefined;
  const s = m.stats ?? {};
  const cache = s.total_cache ?? s.file ?? s.cache ?? 0;
  return Math.max(0, m.usage - cache);
}

/** Every manager's and worker's container of the lab (not the upstream), each with its memory now. */
export async function nodeMemory(lab: string, docker = new Docker()): Promise<NodeMemory[]> {
  const listed = await docker.listContainers({ filters: { label: [`${LABEL_LAB}=${lab}`, LABEL_NODE] } });
  const nodes = listed.filter((c) => ["manager", "worker"].includes(c.Labels[LABEL_ROLE]));
  return Promise.all(
    nodes.map(async (c) => {
      // one-shot: one reading now, not the two a second apart that a CPU figure needs
      const stats = (await docker.getContainer(c.Id).stats({ stream: false, "one-shot": true } as { stream: false })) as unknown as {
        memory_stats: MemoryStats;
      };
      const bytes = withoutCache(stats.memory_stats);
      if (bytes === undefined) throw new Error(`the engine gives no memory figure for ${c.Names[0]} (is its memory cgroup controller enabled?)`);
      return { node: c.Labels[LABEL_NODE], role: c.Labels[LABEL_ROLE], bytes };
    }),
  );
}
