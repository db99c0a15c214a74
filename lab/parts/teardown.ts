// npm run down removes the whole lab: every machine goes, and with it everything that lives only on them (the
// service, mynet, each node's swarm membership). Unwinding those one by one first (drain, leave, node rm) took
// most of down's time and changes nothing of what is left: the parts that live in the swarm skip it then.
// down (infra/stack.ts) names the lab in this variable for the destroy's provider process.
export const TEARDOWN_VARIABLE = "SWARMLAB_TEARDOWN";

/** Whether this delete is part of removing the whole lab `lab`, machines included. */
export function goesWithItsMachines(lab: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return env[TEARDOWN_VARIABLE] === lab;
}
