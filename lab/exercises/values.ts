// The lab's values an exercise's text and commands name as {key}: what the student is told (names, addresses, the ssh
// command) and, for the reference solution only, what a student finds out on the lab (the join token, mynet's VNI,
// the path MTU's largest payload, docker_gwbridge's subnet), read live at the moment the step is typed.
import type { ConnectedLab } from "../checks/observe";
import { overlayMtu, pathMtuSizes } from "../checks/overlay-mtu";
import { labDirRelative } from "../lab-dir";
import type { LabOutputs } from "../outputs";
import { networkNamed, nodeNamed, overlayNamed, runningTasksOf } from "../snapshot/model";
import { founderOf, workersOf } from "../types";
import { ExerciseError } from "./exercise";

export type Values = Record<string, string>;

/** Where the student writes what they found, on the manager. */
export const ANSWERS_DIR = "~/answers";

/**
 * What the student is told: the same before and after the exercise's start. `image` and `encrypted`: the service's
 * image and whether the overlay is encrypted, as start read them on the healthy lab.
 */
export function publicValues(o: LabOutputs, image: string, encrypted = false): Values {
  const manager = founderOf(o.nodes);
  const workers = workersOf(o.nodes);
  return {
    lab: o.lab,
    ssh: `ssh -F ${labDirRelative(o.lab)}/ssh_config`,
    manager: manager.name,
    managerAddress: manager.address,
    workers: workers.map((w) => w.name).join(", "),
    worker1: workers[0]?.name ?? "",
    overlay: o.overlay.name,
    /** What `docker network create` needs beyond the tutorial's words for this lab's overlay. */
    overlayOptions: encrypted ? " --opt encrypted" : "",
    service: o.service,
    replicas: String(o.replicas),
    image,
    upstream: o.upstream.address,
    pingTarget: o.pingTarget,
    answers: ANSWERS_DIR,
  };
}

/** The names of what a student finds out (foundValues), for checking an exercise's data without a lab. */
export const FOUND_KEYS = ["token", "vni", "fits", "taskNode", "iface", "otherTask", "gwbridge"] as const;

/** What a student finds out on the lab as it is now: for the reference solution's commands. */
export function foundValues(lab: ConnectedLab): Record<(typeof FOUND_KEYS)[number], string> {
  const s = lab.snapshot;
  const o = lab.outputs;
  const mynet = overlayNamed(s, o.overlay.name);
  const tasks = runningTasksOf(s.swarm, o.service);
  const first = tasks[0];
  const other = tasks.find((t) => t.node !== first?.node);
  return {
    token: s.swarm?.tokens.worker ?? "",
    vni: mynet ? String(mynet.vni) : "",
    fits: mynet ? String(pathMtuSizes(overlayMtu(mynet.encrypted))[0]) : "",
    taskNode: first?.node ?? "",
    iface: first ? (nodeNamed(s, first.node)?.labInterface ?? "") : "",
    otherTask: other?.addresses[o.overlay.name] ?? "",
    gwbridge: first ? (networkNamed(nodeNamed(s, first.node), "docker_gwbridge")?.subnet ?? "") : "",
  };
}

/** The template with each {key} filled in; a key the values lack is an error (a mistake in the exercise's data). */
export function fill(template: string, values: Values): string {
  return template.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (_, key: string) => {
    if (!(key in values))
      throw new ExerciseError(`'{${key}}' in '${template.split("\n")[0]}' names no value of the lab (${Object.keys(values).join(", ")})`);
    return values[key];
  });
}
