// The lab as Pulumi resources: one ComponentResource whose children are the parts in the order they come to life.
import * as pulumi from "@pulumi/pulumi";
import path from "node:path";
import { labDir, NodeAccess } from "../lab/parts";
import type { LabSpec } from "../lab/types";
import { labProvider, PROJECT_ROOT } from "./provider";

/** A lab part managed by its dynamic provider (see handlers.ts for what each kind does). Every part's inputs
 * carry `lab`, the lab's name, which its provider logs under. */
class LabPart extends pulumi.dynamic.Resource {
  /** `outputs` names the properties read back from the part (a dynamic resource exposes only declared ones). */
  constructor(kind: string, name: string, props: pulumi.Inputs, outputs: string[], opts: pulumi.CustomResourceOptions, secretOutputs: string[] = []) {
    const declared = Object.fromEntries(outputs.map((k) => [k, undefined]));
    super(labProvider(kind), name, { ...declared, ...props }, {
      ...opts,
      additionalSecretOutputs: ["privateKey", ...secretOutputs],
      deleteBeforeReplace: true,
    }, `swarmlab:lab:${kind}`);
  }

  getOutput<T = any>(key: string): pulumi.Output<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return (this as unknown as Record<string, pulumi.Output<T>>)[key];
  }
}

const NODE_OUTPUTS = ["name", "role", "address", "sshHost", "sshPort", "username", "hostKey"];

export interface SwarmLabArgs {
  spec: LabSpec;
  /** Where the lab keeps its SSH key copy and log (default: the project folder). */
  root?: string;
}

export interface NodeOutput {
  name: string;
  role: string;
  address: string;
  ssh: string;
}

export class SwarmLab extends pulumi.ComponentResource {
  readonly nodes: pulumi.Output<NodeOutput[]>;
  readonly nodeAccess: pulumi.Output<NodeAccess[]>;
  readonly privateKey: pulumi.Output<string>;
  readonly keyFile: pulumi.Output<string>;
  readonly overlay: pulumi.Output<{ name: string; subnet: string; gateway: string }>;
  readonly tasks: pulumi.Output<{ name: string; node: string; overlayIp: string }[]>;
  readonly upstream: { name: string; address: string };

  constructor(name: string, args: SwarmLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:index:SwarmLab", name, {}, opts);
    const { spec } = args;
    const root = args.root ?? PROJECT_ROOT;
    const lab = spec.name;
    const child = { parent: this };

    // 1. the lab's SSH key (a copy for `ssh -i` goes to .swarmlab/<lab>/id_ed25519)
    const key = new LabPart("key", `${name}-key`, { root, lab }, ["privateKey", "publicKey", "keyFile"], child);
    // 2. the node and busybox images, built locally when no registry answers
    const images = new LabPart("images", `${name}-images`, { root, lab }, ["node", "busybox"], child);
    // 3. the lab network, its egress guard and the upstream host (after the key: so on destroy the key and its
    //    folder, where the parts log, go last)
    const base = new LabPart("base", `${name}-base`, { root, lab, spec }, [], { ...child, dependsOn: [images, key] });
    // 4. one machine per node, running dockerd and sshd, with the service image side-loaded
    const nodes = spec.nodes.map(
      (node) =>
        new LabPart("node", `${name}-${node.name}`, {
          root, lab, spec, node, publicKey: key.getOutput("publicKey"), privateKey: key.getOutput("privateKey"),
          images: images.getOutput("node"),
        }, NODE_OUTPUTS, { ...child, dependsOn: [base] }),
    );
    const access = pulumi.all(nodes.map((n) => accessOf(n)));
    const manager = access.apply((a) => a[0]);
    // 5. docker swarm init on the manager, docker swarm join on each worker
    const swarm = new LabPart("swarm", `${name}-swarm`, { root, lab, nodes: access, privateKey: key.getOutput("privateKey") }, ["workerToken", "managerToken"], child, [
      "workerToken", "managerToken",
    ]);
    // 6. docker network create -d overlay mynet
    const overlay = new LabPart("overlay", `${name}-${spec.overlay.name}`, {
      root, lab, manager, privateKey: key.getOutput("privateKey"), name: spec.overlay.name, swarm: swarm.id,
    }, ["subnet", "gateway"], child);
    // 7. docker service create --network mynet --name test --replicas 2 busybox ping <target>
    const service = new LabPart("service", `${name}-${spec.service.name}`, {
      root, lab, manager, privateKey: key.getOutput("privateKey"), overlay: overlay.id,
      args: {
        lab, name: spec.service.name, image: spec.service.image, replicas: spec.service.replicas,
        network: spec.overlay.name, pingTarget: spec.pingTarget,
      },
    }, ["tasks"], child);

    this.nodeAccess = access;
    this.privateKey = key.getOutput("privateKey");
    this.keyFile = key.getOutput("keyFile");
    // Relative to the project folder, where users run ssh from (the CLI runs this program from infra/).
    const dir = path.relative(PROJECT_ROOT, labDir(root, lab)) || ".";
    this.nodes = access.apply((list) =>
      list.map((n) => ({
        name: n.name, role: n.role, address: n.address,
        ssh: `ssh -i ${dir}/id_ed25519 -o UserKnownHostsFile=${dir}/known_hosts${n.sshPort === 22 ? "" : ` -p ${n.sshPort}`} ${n.username}@${n.sshHost}`,
      })),
    );
    this.overlay = pulumi.all([overlay.getOutput<string>("name"), overlay.getOutput<string>("subnet"), overlay.getOutput<string>("gateway")]).apply(
      ([n, subnet, gateway]) => ({ name: n, subnet, gateway }),
    );
    this.tasks = service.getOutput("tasks");
    this.upstream = spec.upstream;
    this.registerOutputs({ nodes: this.nodes, overlay: this.overlay, tasks: this.tasks, upstream: this.upstream });
  }
}

function accessOf(node: LabPart): pulumi.Output<NodeAccess> {
  return pulumi
    .all(NODE_OUTPUTS.map((k) => node.getOutput(k)))
    .apply((values) => Object.fromEntries(NODE_OUTPUTS.map((k, i) => [k, values[i]])) as NodeAccess);
}
