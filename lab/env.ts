// The environment variables swarmlab's scripts read, each with one check. A bad value fails in one line of the shape
// of lab/config.ts's ConfigError — NAME = "value": problem. Fix: fix — before anything is made or removed, and the
// fix passes the check itself. The checks are pure: what they need of the file system comes in as functions.
// Where else the same rules live: infra/provider.ts repeats SWARMLAB_ROOT's check (Pulumi serialises that code, so it
// may import nothing); the shell scripts check what only they read (SWARMLAB_NODE_VERSION, SWARMLAB_PROGRESS_SECONDS,
// and PULUMI_HOME again) with scripts/env.sh, in the same shape. test/unit/env.test.ts holds them to the same lines.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { PROJECT, PROJECT_ROOT, STATE_DIR } from "./project-root";

export class EnvError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string | undefined,
    readonly fix: string,
    problem: string,
  ) {
    super(envLine(variable, value, problem, fix));
    this.name = "EnvError";
  }
}

/** `NAME = "value": problem. Fix: fix` — the value JSON-quoted so the line stays one line; "(unset)" when unset. */
export function envLine(variable: string, value: string | undefined, problem: string, fix: string): string {
  const shown = value === undefined ? "(unset)" : JSON.stringify(value);
  return `${variable} = ${shown}: ${problem.replace(/\.+$/, "")}. Fix: ${fix}`;
}

/** Unset and empty are the same for most variables (the scripts read them with `||` and `${X:-default}`). */
const given = (value: string | undefined): value is string => value !== undefined && value !== "";

// ---- SWARMLAB_STACK: the stack every npm command works on

/** Pulumi's rule for a stack's name; it also names the settings file Pulumi.<stack>.yaml. */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
/** The organization of every stack in a local (file://) state folder: `pulumi stack ls` shows organization/<p>/<s>. */
export const LOCAL_ORGANIZATION = "organization";

/**
 * The stack SWARMLAB_STACK names, undefined when it is unset or empty (the caller's default then). The fully
 * qualified name Pulumi shows for this project's stacks (organization/swarmlab/dev) is the same stack (dev).
 */
export function stackFromEnv(value: string | undefined, project: string): string | undefined {
  if (!given(value)) return undefined;
  const parts = value.split("/");
  const name = parts[parts.length - 1];
  const fix = `export SWARMLAB_STACK=${usableStackName(name)}`;
  const bad = (problem: string) => new EnvError("SWARMLAB_STACK", value, fix, problem);
  if (parts.length === 3) {
    if (parts[0] !== LOCAL_ORGANIZATION) {
      throw bad(
        `this project keeps its stacks in its own state folder (.pulumi-state), where the organization is always ` +
          `'${LOCAL_ORGANIZATION}', never '${parts[0]}'`,
      );
    }
    if (parts[1] !== project) throw bad(`a stack of project '${parts[1]}': this is project '${project}'`);
  } else if (parts.length !== 1) {
    throw bad(`a stack's name, or ${LOCAL_ORGANIZATION}/${project}/<name>`);
  }
  if (!STACK_NAME.test(name)) throw bad("a stack's name is 1-100 letters, digits, '-', '_' or '.' (Pulumi's rule)");
  return name;
}

/** The nearest name Pulumi accepts, for a fix: other characters become '-'. */
function usableStackName(name: string): string {
  const usable = name.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 100);
  return /[A-Za-z0-9]/.test(usable) ? usable : "dev";
}

// ---- SWARMLAB_ROOT: the project folder, for the dynamic providers (infra/provider.ts) and the vagrant backend

/** Whether a folder is a swarmlab checkout: it holds the dynamic providers' runner (TypeScript, or compiled). */
export function isSwarmlabCheckout(dir: string, exists: (file: string) => boolean): boolean {
  return ["runner.ts", "runner.js"].some((f) => exists(path.join(dir, "lab", "parts", f)));
}

/**
 * The checkout SWARMLAB_ROOT names, undefined when unset or empty. `found`: the checkout the working folder is in,
 * if any, offered by the fix. infra/provider.ts has the same rule inline, with the same message.
 */
export function checkSwarmlabRoot(value: string | undefined, isCheckout: (dir: string) => boolean, found?: string): string | undefined {
  if (!given(value)) return undefined;
  const fix = `unset SWARMLAB_ROOT${found ? `, or set it to ${found}` : ""}`;
  const bad = (problem: string) => new EnvError("SWARMLAB_ROOT", value, fix, problem);
  if (!path.isAbsolute(value)) {
    throw bad("a relative path: the dynamic providers run in another folder than the command");
  }
  if (!isCheckout(value)) throw bad("not a swarmlab checkout (it has no lab/parts/runner.ts)");
  return value;
}

// ---- DOCKER_HOST (and DOCKER_CERT_PATH): the engine every Docker call goes to (dockerode and the docker CLI)

const LOCAL_SOCKET = "/var/run/docker.sock";

/**
 * DOCKER_HOST's value when both the docker CLI and dockerode (docker-modem) read it the same way, undefined when it
 * is unset or empty (this machine's socket). Whether an engine answers there is checked where it is first asked:
 * see dockerHostUnanswered.
 */
export function checkDockerHost(value: string | undefined): string | undefined {
  if (!given(value)) return undefined;
  const refuse = (problem: string, fix = "unset DOCKER_HOST to use this machine's engine"): never => {
    throw new EnvError("DOCKER_HOST", value, fix, problem);
  };
  if (/\s/.test(value)) refuse("it contains white space");
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1].toLowerCase();
  if (!scheme) {
    const fix = /^[A-Za-z0-9.[\]:-]+:\d+$/.test(value) ? `export DOCKER_HOST=tcp://${value}` : undefined;
    refuse("no scheme (unix://, tcp:// or ssh://): the docker CLI refuses it and dockerode would guess tcp://", fix);
  }
  const rest = value.slice(scheme!.length + 3);
  if (scheme === "unix") {
    if (!rest.startsWith("/")) {
      const fix = `export DOCKER_HOST=unix://${LOCAL_SOCKET}`;
      refuse("a unix socket needs an absolute path (unix:///path/to/docker.sock)", fix);
    }
    return value;
  }
  const address = /^(?:[^@/]+@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d+))?\/?$/.exec(rest);
  if (scheme === "http" || scheme === "https") {
    // dockerode picks http or https by the port (2376) and DOCKER_TLS_VERIFY, not by this scheme
    const tls = scheme === "https" ? " (and DOCKER_TLS_VERIFY=1)" : "";
    const port = address?.[2] ?? (tls ? 2376 : 2375);
    const fix = address ? `export DOCKER_HOST=tcp://${address[1]}:${port}${tls}` : undefined;
    refuse(`the scheme ${scheme}:// is not one Docker's clients read as such (unix://, tcp://, ssh://)`, fix);
  }
  if (scheme === "tcp" || scheme === "ssh") {
    if (!address) refuse(`not a ${scheme}://host:port address`);
    const port = address![2];
    if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) refuse(`port ${port} is not 1-65535`);
    if (port === undefined && scheme === "tcp") {
      // the docker CLI then takes 2375, dockerode http's 80: they would ask different engines
      refuse("no port: the docker CLI would take 2375, dockerode 80", `export DOCKER_HOST=tcp://${address![1]}:2375`);
    }
    return value;
  }
  return refuse(`the scheme ${scheme}:// is not one swarmlab uses on Linux (unix://, tcp://, ssh://)`);
}

/** Where DOCKER_HOST names an engine that does not answer: said where the engine is first asked. */
export function dockerHostUnanswered(value: string, reason: string): EnvError {
  return new EnvError(
    "DOCKER_HOST",
    value,
    `unset DOCKER_HOST to use this machine's engine (bash scripts/docker-engine.sh starts it), or start the engine ` + `at ${value}`,
    `no Docker engine answers there (${reason.replace(/\s+/g, " ").trim()})`,
  );
}

/** dockerode reads the TLS keys from DOCKER_CERT_PATH for a DOCKER_HOST that is not a unix socket, as it starts. */
export function checkDockerCertPath(value: string | undefined, dockerHost: string | undefined, isFile: (file: string) => boolean): void {
  if (!given(value) || !given(dockerHost) || /^unix:/i.test(dockerHost)) return;
  const missing = ["ca.pem", "cert.pem", "key.pem"].filter((f) => !isFile(path.join(value, f)));
  if (missing.length > 0) {
    throw new EnvError(
      "DOCKER_CERT_PATH",
      value,
      "unset DOCKER_CERT_PATH, or set it to the folder that holds ca.pem, cert.pem and key.pem",
      `no ${missing.join(", ")} in it: the Docker client reads its TLS keys there for DOCKER_HOST ${dockerHost}`,
    );
  }
}

// ---- Folders given as paths: PULUMI_HOME, VAGRANT_HOME

/**
 * A folder variable: absolute, or unset. An empty value is refused too: Pulumi and the shell scripts take it as
 * unset, Node's path.join as the current folder (infra/stack.ts's cliRoot), Ruby's `||` as the root (the Vagrantfile).
 */
function checkFolder(variable: string, value: string | undefined, holds: string, byDefault: string) {
  if (value === undefined) return undefined;
  const bad = (problem: string, fix: string) => new EnvError(variable, value, fix, problem);
  const unset = `unset ${variable} (${holds} is then ${byDefault})`;
  if (value === "") throw bad("empty, which some tools take as unset and others as the current folder", unset);
  if (value === "~" || value.startsWith("~/")) {
    throw bad("'~' is not expanded inside quotes: a relative path", `export ${variable}="$HOME${value.slice(1)}"`);
  }
  if (!path.isAbsolute(value)) {
    const fix = `${unset}, or set it to an absolute path`;
    throw bad("a relative path: each command would resolve it from its own folder", fix);
  }
  return value;
}

/** Pulumi's folder: npm run up and npx pulumi run the CLI from $PULUMI_HOME/versions/<v>/bin. */
export function checkPulumiHome(value: string | undefined): string | undefined {
  return checkFolder("PULUMI_HOME", value, "Pulumi's folder", "~/.pulumi");
}

/** Vagrant's folder: the box npm run box registers is read from $VAGRANT_HOME/boxes (lab/parts/images.ts). */
export function checkVagrantHome(value: string | undefined): string | undefined {
  return checkFolder("VAGRANT_HOME", value, "Vagrant's folder", "~/.vagrant.d");
}

// ---- Pulumi's state and passphrase

/**
 * PULUMI_BACKEND_URL: npm run up, down, status and the tests keep this project's stacks in its state folder and
 * set the URL themselves; `npx pulumi` honours the user's. Any other place would show the two different stacks.
 */
export function checkBackendUrl(value: string | undefined, stateDir: string): void {
  if (value === undefined) return;
  const bad = (problem: string) => new EnvError("PULUMI_BACKEND_URL", value, "unset PULUMI_BACKEND_URL", problem);
  if (value === "") throw bad("empty: npx pulumi would pass it on, and Pulumi would take Pulumi.yaml's relative URL");
  if (filePath(value) === path.resolve(stateDir)) return;
  throw bad(
    `npm run up, down and the tests keep this project's stacks in ${path.basename(stateDir)}/ whatever it says, ` +
      `and npx pulumi would use it: they would see different stacks`,
  );
}

/** The folder of an absolute file:// URL (percent-encoded or not), without a trailing slash; undefined otherwise. */
function filePath(url: string): string | undefined {
  const m = /^file:\/\/(\/.*)$/.exec(url);
  if (!m) return undefined;
  let p = m[1];
  try {
    p = decodeURIComponent(p);
  } catch {
    // a literal '%' in the path: as written
  }
  return path.resolve(p);
}

/** PULUMI_CONFIG_PASSPHRASE_FILE: a user's file wins over the project's (infra/passphrase.ts); it must be there. */
export function checkPassphraseFile(value: string | undefined, isFile: (file: string) => boolean): void {
  if (value === undefined) return;
  const bad = (problem: string, fix: string) => new EnvError("PULUMI_CONFIG_PASSPHRASE_FILE", value, fix, problem);
  const unset = "unset PULUMI_CONFIG_PASSPHRASE_FILE (the project's .swarmlab/passphrase is used then)";
  if (value === "") throw bad("empty: npx pulumi would pass it on, and Pulumi would find no passphrase", unset);
  if (!path.isAbsolute(value)) {
    const fix = `${unset}, or set it to an absolute path`;
    throw bad("a relative path: Pulumi reads it from the project's folder, npx pulumi from yours", fix);
  }
  if (!isFile(value)) {
    const fix = `${unset}, or set it to the file that holds your passphrase`;
    throw bad("no such file: Pulumi could not open the stacks' secrets", fix);
  }
}

// ---- The vagrant backend

/** Where vagrant-libvirt makes the lab's machines: it sets its URI itself and never reads LIBVIRT_DEFAULT_URI. */
export const LIBVIRT_SYSTEM = "qemu:///system";

/** LIBVIRT_DEFAULT_URI: virsh finds, and npm run down and clean remove, the lab's machines through it. */
export function checkLibvirtUri(value: string | undefined): void {
  if (!given(value) || value === LIBVIRT_SYSTEM) return;
  throw new EnvError(
    "LIBVIRT_DEFAULT_URI",
    value,
    "unset LIBVIRT_DEFAULT_URI",
    `vagrant-libvirt makes the lab's machines in ${LIBVIRT_SYSTEM} whatever it says, and virsh would look for them ` +
      `there: npm run down and clean would not find them`,
  );
}

/** SWARMLAB_PARALLEL: "1" lets vagrant-libvirt boot the machines together (the Vagrantfile, lab/backends/vagrant). */
export function checkParallel(value: string | undefined): void {
  if (value === undefined || value === "" || value === "0" || value === "1") return;
  throw new EnvError(
    "SWARMLAB_PARALLEL",
    value,
    "export SWARMLAB_PARALLEL=1 to boot the machines together, or unset it",
    "only 1 turns it on: with anything else Vagrant boots the machines one after the other",
  );
}

// ---- SWARMLAB_REACH: how the client reaches the nodes' SSH (lab/reach.ts)

/** The ways to reach a node: to its address on the lab network, or through the Docker engine (lab/engine-relay.ts). */
export const REACH_WAYS = ["direct", "engine"] as const;
export type Reach = (typeof REACH_WAYS)[number];

/** SWARMLAB_REACH: the way forced for every node of a container lab, undefined when unset or empty (decided per lab). */
export function checkReach(value: string | undefined): Reach | undefined {
  if (!given(value)) return undefined;
  if ((REACH_WAYS as readonly string[]).includes(value)) return value as Reach;
  throw new EnvError(
    "SWARMLAB_REACH",
    value,
    "export SWARMLAB_REACH=engine to reach the nodes through the Docker engine, SWARMLAB_REACH=direct for their addresses, or unset it",
    `not one of ${REACH_WAYS.join(", ")}`,
  );
}

// ---- All of them

/** What the checks need of the project and the file system. */
export interface EnvContext {
  /** The Pulumi project's name (Pulumi.yaml). */
  project: string;
  /** The project's state folder, the only one npm run up uses. */
  stateDir: string;
  /** The checkout the command runs from, offered by SWARMLAB_ROOT's fix. */
  projectRoot: string;
  isFile(file: string): boolean;
  exists(file: string): boolean;
}

type EnvCheck = (env: NodeJS.ProcessEnv, ctx: EnvContext) => unknown;

/** The variables the TypeScript code reads that a user may set, each with its check (in the order reported). */
export const ENV_CHECKS: Readonly<Record<string, EnvCheck>> = Object.freeze({
  SWARMLAB_STACK: (env, ctx) => stackFromEnv(env.SWARMLAB_STACK, ctx.project),
  SWARMLAB_ROOT: (env, ctx) => checkSwarmlabRoot(env.SWARMLAB_ROOT, (dir) => isSwarmlabCheckout(dir, ctx.exists), ctx.projectRoot),
  DOCKER_HOST: (env) => checkDockerHost(env.DOCKER_HOST),
  DOCKER_CERT_PATH: (env, ctx) => checkDockerCertPath(env.DOCKER_CERT_PATH, env.DOCKER_HOST, ctx.isFile),
  PULUMI_HOME: (env) => checkPulumiHome(env.PULUMI_HOME),
  PULUMI_BACKEND_URL: (env, ctx) => checkBackendUrl(env.PULUMI_BACKEND_URL, ctx.stateDir),
  PULUMI_CONFIG_PASSPHRASE_FILE: (env, ctx) => checkPassphraseFile(env.PULUMI_CONFIG_PASSPHRASE_FILE, ctx.isFile),
  LIBVIRT_DEFAULT_URI: (env) => checkLibvirtUri(env.LIBVIRT_DEFAULT_URI),
  VAGRANT_HOME: (env) => checkVagrantHome(env.VAGRANT_HOME),
  SWARMLAB_PARALLEL: (env) => checkParallel(env.SWARMLAB_PARALLEL),
  SWARMLAB_REACH: (env) => checkReach(env.SWARMLAB_REACH),
});

/** Every bad variable of `env`, one error each; empty when all are fine. */
export function environmentErrors(env: NodeJS.ProcessEnv, ctx: EnvContext): EnvError[] {
  const errors: EnvError[] = [];
  for (const check of Object.values(ENV_CHECKS)) {
    try {
      check(env, ctx);
    } catch (err) {
      if (!(err instanceof EnvError)) throw err;
      errors.push(err);
    }
  }
  return errors;
}

/** Every bad variable of `env` for this checkout (its project, state folder and files): what the commands check first. */
export function projectEnvironmentErrors(env: NodeJS.ProcessEnv = process.env): EnvError[] {
  const isFile = (f: string) => statSync(f, { throwIfNoEntry: false })?.isFile() ?? false;
  return environmentErrors(env, { project: PROJECT, stateDir: STATE_DIR, projectRoot: PROJECT_ROOT, isFile, exists: existsSync });
}
