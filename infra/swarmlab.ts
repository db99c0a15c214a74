// The lab as Pulumi resources: one ComponentResource whose children are the lab's parts (lab/parts/), each a
// dynamic resource getting only the inputs it uses, in the order they come to life.
import * as pulumi from "@pulumi/pulumi";
import type { Observation, ObservedLab } from "../lab/health";
import { labDirRelative, KNOWN_HOSTS, KEY_FILE } from "../lab/lab-dir";
import { parts, PartKind } from "../lab/parts";
import { writeRecordedOutputs } from "../lab/recorded-outputs";
import { Part, PartInputs, partType } from "../lab/parts/part";
import type { NodeInputs, NodeOutputs } from "../lab/parts/node";
import { relayCommand } from "../lab/engine-relay";
import { NodeAccess, relayContainerOf } from "../lab/sessions";
import type { SettledPart } from "../lab/settled";
import { TaskInfo, TUTORIAL_ENDPOINT, TUTORIAL_PLACEMENT } from "../lab/steps/service";
import { TUTORIAL_NODE } from "../lab/steps/swarm";
import { founderOf, LabSpec, Role } from "../lab/types";
import { PROJECT_ROOT, partProvider } from "./provider";

type Inputs<I> = { [K in keyof I]: pulumi.Input<I[K]> };

export { partType };

/** A lab part, run by its dynamic provider; its inputs and outputs are typed by the part's module. */
class LabPart<I extends PartInputs, O extends object> extends pulumi.dynamic.Resource {
  /** The part as the program declared it and as the state holds it at the end of the run (lab/settled.ts). */
  readonly settled: pulumi.Output<SettledPart>;

  constructor(part: Part<I, O>, name: string, inputs: Inputs<I>, opts: pulumi.CustomResourceOptions) {
    const kind = (Object.keys(parts) as PartKind[]).find((k) => parts[k] === (part as unknown));
    if (!kind) throw new Error(`part ${part.type} is not in lab/parts/index.ts`);
    const declared = Object.fromEntries(part.outputs.map((k) => [k, undefined]));
    super(
      partProvider(kind),
      name,
      { ...declared, ...inputs },
      {
        ...opts,
        additionalSecretOutputs: [...new Set(["privateKey", ...(part.secrets ?? [])])],
        deleteBeforeReplace: true,
      },
      "swarmlab",
      part.type,
    );
    const props = [...new Set([...Object.keys(inputs), ...part.outputs])].map((k) => pulumi.all([k, this.out(k as keyof (I & O) & string)]));
    this.settled = pulumi
      .all([this.id, pulumi.all(inputs as Record<string, pulumi.Input<unknown>>), pulumi.all(props)])
      .apply(([id, declared, state]): SettledPart => ({
        kind,
        name,
        id,
        inputs: declared as Record<string, unknown>,
        props: Object.fromEntries(state),
      }));
  }

  out<K extends keyof (I & O) & string>(key: K): pulumi.Output<(I & O)[K]> {
    return (this as unknown as Record<string, pulumi.Output<(I & O)[K]>>)[key];
  }
}

export interface SwarmLabArgs {
  spec: LabSpec;
  /** The Pulumi stack: the readable half of the lab's owner id. */
  stack: string;
  /** Looks at the lab once every part is up (nodes Ready, tasks spread, pings); none in previews and mock tests. */
  observe?: (lab: ObservedLab) => Promise<Observation>;
  /** Takes every part as the state holds it at the end of an up (never in previews): npm run up records them. */
  settled?: (parts: SettledPart[]) => void;
}

export interface NodeOutput {
  name: string;
  role: Role;
  address: string;
  ssh: string;
}

export class SwarmLab extends pulumi.ComponentResource {
  readonly owner: pulumi.Output<string>;
  readonly nodes: pulumi.Output<NodeOutput[]>;
  /** An ssh_config with every node by its name, for `ssh -F <file> swarm-worker1` (paths relative to the project). */
  readonly sshConfig: pulumi.Output<string>;
  readonly nodeAccess: pulumi.Output<NodeAccess[]>;
  readonly privateKey: pulumi.Output<string>;
  readonly keyFile: pulumi.Output<string>;
  readonly overlay: pulumi.Output<{ name: string; subnet: string; gateway: string }>;
  readonly tasks: pulumi.Output<TaskInfo[]>;
  /** What up observed to be wrong with the lab at its end (empty when healthy). */
  readonly problems: pulumi.Output<string[]>;
  /** The nodes up's look found broken in a way only making them again heals (npm run up -- --replace <node>). */
  readonly remake: pulumi.Output<string[]>;
  readonly upstream: { name: string; address: string };

  constructor(name: string, args: SwarmLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:index:SwarmLab", name, {}, opts);
    const { spec } = args;
    const lab = spec.name;
    const backend = spec.backend;
    const child = { parent: this };

    // 1. the stack's claim on the lab's name and subnet: another's are refused before anything is made, in preview too
    const claim = new LabPart(
      parts.claim,
      `${name}-claim`,
      {
        lab,
        backend,
        subnet: spec.subnet,
        stack: args.stack,
      },
      child,
    );
    const owner = claim.out("owner");
    // 2. the lab's SSH key (a copy for `ssh -i` goes to .swarmlab/<lab>/id_ed25519)
    const key = new LabPart(parts.key, `${name}-key`, { lab }, { ...child, dependsOn: [claim] });
    const privateKey = key.out("privateKey");
    // 3. the node and busybox images, built locally when no registry answers
    const images = new LabPart(parts.images, `${name}-images`, { lab, backend }, { ...child, dependsOn: [claim] });
    // 4. the lab network, its egress guard and the upstream host (after the key: so on destroy the key and its
    //    folder, where the parts log, go last)
    const base = new LabPart(
      parts.base,
      `${name}-base`,
      {
        lab,
        owner,
        backend,
        subnet: spec.subnet,
        gateway: spec.gateway,
        egress: spec.egress,
        upstream: spec.upstream,
        upstreamImage: images.out("busybox"),
      },
      { ...child, dependsOn: [key] },
    );
    // 5. one machine per node, running dockerd and sshd, with the service's image side-loaded
    const machines = spec.nodes.map((n) => {
      const machine = new LabPart(
        parts.node,
        `${name}-${n.name}`,
        {
          lab,
          owner,
          backend,
          name: n.name,
          role: n.role,
          address: n.address,
          ...(n.login ? { login: n.login } : {}), // a host the user has (ssh backend): how the user logs in
          egress: spec.egress,
          authorizedKey: key.out("publicKey"),
          privateKey,
          nodeRecipe: images.out("nodeRecipe"),
          images: [spec.service.image],
        },
        { ...child, dependsOn: [base] },
      );
      return { ...n, machine, access: accessOf(machine) };
    });
    // the founding manager by its role (lab/types.ts: the first manager of the settings), never by its place
    const founder = founderOf(machines);
    const manager = founder.access;
    // 6. docker swarm init --advertise-addr <manager> on the founding manager
    const swarm = new LabPart(parts.swarm, `${name}-swarm`, { lab, owner, manager, nodeSpec: TUTORIAL_NODE("manager"), privateKey }, child);
    // 7. docker swarm join on every other node, through the founder: the other managers with the manager token
    //    (its input only theirs, so that a worker's inputs are those of a lab made before several managers)
    const joins = machines
      .filter((m) => m !== founder)
      .map(
        (joining) =>
          new LabPart(
            parts.join,
            `${name}-${joining.name}-join`,
            {
              lab,
              worker: joining.access,
              manager,
              swarmId: swarm.out("swarmId"),
              workerToken: swarm.out("workerToken"),
              ...(joining.role === "manager" ? { managerToken: swarm.out("managerToken") } : {}),
              nodeSpec: TUTORIAL_NODE(joining.role),
              privateKey,
            },
            child,
          ),
      );
    // 8. docker network create -d overlay mynet (--opt encrypted with swarmlab:encrypted)
    const overlay = new LabPart(
      parts.overlay,
      `${name}-${spec.overlay.name}`,
      {
        lab,
        name: spec.overlay.name,
        ...(spec.overlay.encrypted ? { encrypted: true } : {}),
        swarmId: swarm.out("swarmId"),
        manager,
        privateKey,
      },
      child,
    );
    // 9. docker service create --network mynet --name test --replicas 2 busybox ping <target>
    const service = new LabPart(
      parts.service,
      `${name}-${spec.service.name}`,
      {
        lab,
        name: spec.service.name,
        image: spec.service.image,
        replicas: spec.service.replicas,
        network: spec.overlay.name,
        networkId: overlay.out("networkId"),
        pingTarget: spec.pingTarget,
        placement: TUTORIAL_PLACEMENT,
        mode: "replicated",
        endpoint: TUTORIAL_ENDPOINT,
        extras: [],
        manager,
        privateKey,
      },
      { ...child, dependsOn: joins },
    );

    // 10. up ends by looking at the lab: the tasks it reports are the live ones
    const nodeAccess = pulumi.all(machines.map((m) => m.access));
    const observed = pulumi
      .all([nodeAccess, pulumi.unsecret(privateKey), pulumi.all([service.id, ...joins.map((j) => j.id)])])
      .apply(([list, keyText]): Promise<Observation | undefined> =>
        args.observe && !pulumi.runtime.isDryRun()
          ? args.observe({
              nodes: list,
              privateKey: keyText,
              service: { name: spec.service.name, replicas: spec.service.replicas, network: spec.overlay.name },
            })
          : Promise.resolve(undefined),
      );

    this.owner = owner;
    this.nodeAccess = nodeAccess;
    this.privateKey = privateKey;
    this.keyFile = key.out("keyFile");
    const dir = labDirRelative(lab); // relative to the project folder, where users run ssh from
    this.nodes = nodeAccess.apply((list) =>
      list.map((n) => ({
        name: n.name,
        role: n.role,
        address: n.address,
        ssh: sshCommandOf(n, dir),
      })),
    );
    this.sshConfig = nodeAccess.apply((list) => sshConfigOf(list, dir));
    this.overlay = pulumi
      .all([overlay.out("subnet"), overlay.out("gateway")])
      .apply(([subnet, gateway]) => ({ name: spec.overlay.name, subnet, gateway }));
    this.tasks = pulumi.all([observed, service.out("tasks")]).apply(([o, recorded]) => (o?.tasks ?? recorded) as TaskInfo[]);
    this.problems = observed.apply((o) => o?.problems ?? []);
    this.remake = observed.apply((o) => o?.remake ?? []);
    this.upstream = spec.upstream;
    // 11. where up ends, its outputs (the secret key aside) go to .swarmlab/<lab>/outputs.json, which npm run status
    //     reads instead of asking the CLI (lab/recorded-outputs.ts); never in preview, where they are not known
    const recorded = pulumi
      .all([owner, this.nodes, this.sshConfig, nodeAccess, this.keyFile, this.overlay, this.tasks, pulumi.all([this.problems, this.remake])])
      .apply(([owner, nodes, sshConfig, nodeAccess, keyFile, overlay, tasks, [problems, remake]]) => {
        if (pulumi.runtime.isDryRun()) return;
        const { subnet, upstream, pingTarget, service } = spec;
        const { name: serviceName, replicas } = service;
        const values = { lab, owner, backend, subnet, nodes, sshConfig, nodeAccess, keyFile, overlay, service: serviceName, replicas, tasks };
        writeRecordedOutputs(PROJECT_ROOT, { ...values, problems, remake, upstream, pingTarget });
      });
    // 12. every part as the state will hold it, for the next up's check that nothing changed (lab/settled.ts)
    const every = [claim, key, images, base, ...machines.map((m) => m.machine), swarm, ...joins, overlay, service];
    const settled = pulumi.all(every.map((p) => p.settled)).apply((list) => {
      if (!pulumi.runtime.isDryRun()) args.settled?.(list);
    });
    // the registered tasks wait for the file and the parts: the run ends only once both are taken
    const tasks = pulumi.all([this.tasks, recorded, settled]).apply(([t]) => t);
    this.registerOutputs({ nodes: this.nodes, overlay: this.overlay, tasks, upstream: this.upstream });
  }
}

export function sshConfigOf(nodes: NodeAccess[], dir: string): string {
  const entry = (name: string, host: string, port: number, user: string, more: string[]) =>
    [
      `Host ${name}`,
      `  HostName ${host}`,
      `  Port ${port}`,
      `  User ${user}`,
      `  IdentityFile ${dir}/${KEY_FILE}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${dir}/${KNOWN_HOSTS}`,
      "  StrictHostKeyChecking yes",
      ...more,
    ].join("\n");
  // a node behind a jump host: the jump host has an entry of its own (the lab's key, its pinned key), which
  // ProxyJump names; ssh -F hands the same file to the ssh that reaches the jump host
  return (
    nodes
      .flatMap((n) => [
        ...(n.jump ? [entry(`${n.name}-jump`, n.jump.address, n.jump.port, n.jump.user, [])] : []),
        entry(n.name, n.sshHost, n.sshPort, n.username, [
          ...proxyOf(n).map((command) => `  ProxyCommand ${command}`),
          ...(n.jump ? [`  ProxyJump ${n.name}-jump`] : []),
        ]),
      ])
      .join("\n\n") + "\n"
  );
}

/** The ssh command printed for a node (paths relative to the project). */
export function sshCommandOf(n: NodeAccess, dir: string): string {
  const port = n.sshPort === 22 ? "" : ` -p ${n.sshPort}`;
  const proxy = proxyOf(n).map((command) => ` -o 'ProxyCommand=${command}'`);
  // -J would reach the jump host with the user's own keys and known_hosts: the jump leg takes the lab's, as ssh_config's
  if (n.jump) {
    const { user, address, port } = n.jump;
    const leg = `ssh -i ${dir}/${KEY_FILE} -o UserKnownHostsFile=${dir}/${KNOWN_HOSTS} -o StrictHostKeyChecking=yes -p ${port} -W %h:%p ${user}@${address}`;
    proxy.push(` -o 'ProxyCommand=${leg}'`);
  }
  return `ssh -i ${dir}/${KEY_FILE} -o UserKnownHostsFile=${dir}/${KNOWN_HOSTS}${proxy.join("")}${port} ${n.username}@${n.sshHost}`;
}

/**
 * OpenSSH's way through the engine for a node reached that way, none for one reached at its address. The host name
 * stays the node's address: the known_hosts entry recorded for it still pins the key.
 */
function proxyOf(n: NodeAccess): string[] {
  const container = relayContainerOf(n);
  return container ? [relayCommand(container)] : [];
}

function accessOf(node: LabPart<NodeInputs, NodeOutputs>): pulumi.Output<NodeAccess> {
  const keys = ["name", "role", "address", "machine", "sshHost", "sshPort", "username", "hostKey", "via", "jump"] as const;
  return pulumi.all(Object.fromEntries(keys.map((k) => [k, node.out(k)]))).apply((a) => {
    // "direct" is said by saying nothing: the access of a node made before the choice existed stays the same, and
    // with it the swarm's and the joins' inputs, whose identity it is (a change would replace them)
    const { via, jump, ...access } = a as unknown as NodeAccess;
    return { ...access, ...(via === "engine" ? { via } : {}), ...(jump ? { jump } : {}) };
  });
}
