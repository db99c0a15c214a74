// The registry of the lab's parts, in the order they come to life. The program (infra/swarmlab.ts), the dynamic
// providers (runner.ts) and the mock tests all take the parts from here.
import { base } from "./base";
import { claim } from "./claim";
import { images } from "./images";
import { join } from "./join";
import { key } from "./key";
import { node } from "./node";
import { overlay } from "./overlay";
import { service } from "./service";
import { swarm } from "./swarm";

export const parts = {
  /** the stack's claim on the lab's name and subnet (refuses another stack's lab before anything is made) */
  claim,
  /** the lab's SSH key */
  key,
  /** the node and busybox images */
  images,
  /** the lab network, its egress guard, the upstream host */
  base,
  /** one machine per node */
  node,
  /** docker swarm init on the manager */
  swarm,
  /** docker swarm join, one per worker */
  join,
  /** docker network create -d overlay mynet */
  overlay,
  /** docker service create … test */
  service,
};

export type PartKind = keyof typeof parts;
export type { Part, PartContext } from "./part";
// An older swarmlab's provider process loads labLogger from here.
export { labLogger } from "../lab-dir";
