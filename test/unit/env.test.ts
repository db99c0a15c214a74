// Environment variables get the treatment settings get (issue 15, item 4): a bad value fails in one line naming the
// variable, its value and a fix, before anything is made or removed. One table of bad values, each with its exact
// message, run through lab/env.ts's checks against a scratch checkout whose files are compared before and after;
// each message's fix, applied, passes the checks. Then the places that repeat a rule in their own words (the
// dynamic providers' loader, the shell scripts) are held to the same lines.
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import execa from "execa";
import Docker from "dockerode";
import {
  checkBackendUrl,
  checkDockerHost,
  checkLibvirtUri,
  checkPassphraseFile,
  checkPulumiHome,
  checkSwarmlabRoot,
  checkVagrantHome,
  dockerHostUnanswered,
  EnvContext,
  EnvError,
  ENV_CHECKS,
  environmentErrors,
  isSwarmlabCheckout,
  stackFromEnv,
} from "../../lab/env";
import { cliRoot, stackName } from "../../infra/stack";
import { partProvider, PROJECT_ROOT } from "../../infra/provider";
import { HostReaders, hostReaders, readHostFacts } from "../../lab/host-facts";
import { CODE_ROOT, projectRoot } from "../../lab/backends/vagrant/vagrant";
import { libvirtAnswers, virsh } from "../../lab/backends/vagrant/virsh";
import { boxRecipe } from "../../lab/backends/vagrant/box";
import { LIBVIRT_BOX } from "../../lab/backends/vagrant/names";
import { copyProject } from "../e2e/project-copy";
import { writeExecutable } from "./stub-commands";

const SCRIPTS = path.join(PROJECT_ROOT, "scripts");

/** A scratch project: a checkout (lab/parts/runner.ts), its state folder, a TLS folder with only ca.pem. */
function scratchProject(): { root: string; ctx: EnvContext } {
  const root = mkdtempSync(path.join(os.tmpdir(), "swarmlab-env-"));
  mkdirSync(path.join(root, "lab", "parts"), { recursive: true });
  writeFileSync(path.join(root, "lab", "parts", "runner.ts"), "// the runner\n");
  mkdirSync(path.join(root, ".pulumi-state"));
  mkdirSync(path.join(root, "tls"));
  writeFileSync(path.join(root, "tls", "ca.pem"), "ca\n");
  writeFileSync(path.join(root, "passphrase"), "secret\n");
  const isFile = (f: string) => statSync(f, { throwIfNoEntry: false })?.isFile() ?? false;
  const exists = (f: string) => statSync(f, { throwIfNoEntry: false }) !== undefined;
  const stateDir = path.join(root, ".pulumi-state");
  return { root, ctx: { project: "swarmlab", stateDir, projectRoot: root, isFile, exists } };
}

/** Every path below a folder, with its size: what "nothing was made or removed" is checked against. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((p) => `${p} ${statSync(path.join(dir, p)).size}`)
    .sort();
}

/** The environment a fix leaves: its first alternative, `unset X` or `export X=V` (with $HOME as the shell has it). */
function applyFix(env: NodeJS.ProcessEnv, fix: string): NodeJS.ProcessEnv {
  const unset = /^unset ([A-Z_]+)/.exec(fix);
  if (unset) return { ...env, [unset[1]]: undefined };
  const set = /^export ([A-Z_]+)=("([^"]*)"|[^\s,]+)/.exec(fix);
  assert.ok(set, `a fix that says what to type: ${fix}`);
  return { ...env, [set[1]]: (set[3] ?? set[2]).replace("$HOME", os.homedir()) };
}

interface Row {
  what: string;
  env: NodeJS.ProcessEnv;
  /** The one line, with <root> for the scratch project's folder. */
  message: string;
}

const UNSET_PULUMI = "unset PULUMI_HOME (Pulumi's folder is then ~/.pulumi)";
const SPLIT_STACKS =
  "npm run up, down and the tests keep this project's stacks in .pulumi-state/ whatever it says, and npx pulumi would " +
  "use it: they would see different stacks";
const UNSET_PASSPHRASE = "unset PULUMI_CONFIG_PASSPHRASE_FILE (the project's .swarmlab/passphrase is used then)";

const ROWS: Row[] = [
  // ---- the row
  {
    what: "issue: the fully qualified name of another organization's stack",
    env: { SWARMLAB_STACK: "acme/swarmlab/dev" },
    message:
      `SWARMLAB_STACK = "acme/swarmlab/dev": this project keeps its stacks in its own state folder (.pulumi-state), where the ` +
      `organization is always 'organization', never 'acme'. Fix: export SWARMLAB_STACK=dev`,
  },
  {
    what: "issue: another project's stack",
    env: { SWARMLAB_STACK: "organization/webapp/dev" },
    message:
      `SWARMLAB_STACK = "organization/webapp/dev": a stack of project 'webapp': this is project 'swarmlab'. ` + `Fix: export SWARMLAB_STACK=dev`,
  },
  {
    what: "issue: SWARMLAB_ROOT at a folder that is no checkout",
    env: { SWARMLAB_ROOT: "/nonexistent/swarmlab" },
    message:
      `SWARMLAB_ROOT = "/nonexistent/swarmlab": not a swarmlab checkout (it has no lab/parts/runner.ts). ` +
      `Fix: unset SWARMLAB_ROOT, or set it to <root>`,
  },
  {
    what: "issue: DOCKER_HOST with no scheme (the docker CLI refuses it, dockerode guesses)",
    env: { DOCKER_HOST: "localhost:2375" },
    message:
      `DOCKER_HOST = "localhost:2375": no scheme (unix://, tcp:// or ssh://): the docker CLI refuses it and dockerode would guess ` +
      `tcp://. Fix: export DOCKER_HOST=tcp://localhost:2375`,
  },
  // ---- SWARMLAB_STACK
  {
    what: "project/stack without the organization",
    env: { SWARMLAB_STACK: "swarmlab/dev" },
    message: `SWARMLAB_STACK = "swarmlab/dev": a stack's name, or organization/swarmlab/<name>. ` + `Fix: export SWARMLAB_STACK=dev`,
  },
  {
    what: "a stack name with a space",
    env: { SWARMLAB_STACK: "my lab" },
    message:
      `SWARMLAB_STACK = "my lab": a stack's name is 1-100 letters, digits, '-', '_' or '.' (Pulumi's rule). ` + `Fix: export SWARMLAB_STACK=my-lab`,
  },
  {
    what: "a trailing slash",
    env: { SWARMLAB_STACK: "organization/swarmlab/" },
    message:
      `SWARMLAB_STACK = "organization/swarmlab/": a stack's name is 1-100 letters, digits, '-', '_' or '.' (Pulumi's rule). ` +
      `Fix: export SWARMLAB_STACK=dev`,
  },
  // ---- SWARMLAB_ROOT
  {
    what: "SWARMLAB_ROOT relative",
    env: { SWARMLAB_ROOT: "swarmlab" },
    message:
      `SWARMLAB_ROOT = "swarmlab": a relative path: the dynamic providers run in another folder than the command. ` +
      `Fix: unset SWARMLAB_ROOT, or set it to <root>`,
  },
  {
    what: "SWARMLAB_ROOT at a folder inside the checkout",
    env: { SWARMLAB_ROOT: "<root>/lab" },
    message:
      `SWARMLAB_ROOT = "<root>/lab": not a swarmlab checkout (it has no lab/parts/runner.ts). ` + `Fix: unset SWARMLAB_ROOT, or set it to <root>`,
  },
  // ---- DOCKER_HOST, DOCKER_CERT_PATH
  {
    what: "tcp:// without a port: the docker CLI takes 2375, dockerode 80",
    env: { DOCKER_HOST: "tcp://10.0.0.5" },
    message:
      `DOCKER_HOST = "tcp://10.0.0.5": no port: the docker CLI would take 2375, dockerode 80. ` + `Fix: export DOCKER_HOST=tcp://10.0.0.5:2375`,
  },
  {
    what: "a unix socket with a relative path",
    env: { DOCKER_HOST: "unix://var/run/docker.sock" },
    message:
      `DOCKER_HOST = "unix://var/run/docker.sock": a unix socket needs an absolute path (unix:///path/to/docker.sock). ` +
      `Fix: export DOCKER_HOST=unix:///var/run/docker.sock`,
  },
  {
    what: "Windows' named pipe",
    env: { DOCKER_HOST: "npipe:////./pipe/docker_engine" },
    message:
      `DOCKER_HOST = "npipe:////./pipe/docker_engine": the scheme npipe:// is not one swarmlab uses on Linux ` +
      `(unix://, tcp://, ssh://). ` +
      `Fix: unset DOCKER_HOST to use this machine's engine`,
  },
  {
    what: "https:// (dockerode takes TLS from the port or DOCKER_TLS_VERIFY, not the scheme)",
    env: { DOCKER_HOST: "https://docker.example" },
    message:
      `DOCKER_HOST = "https://docker.example": the scheme https:// is not one Docker's clients read as such ` +
      `(unix://, tcp://, ssh://). ` +
      `Fix: export DOCKER_HOST=tcp://docker.example:2376 (and DOCKER_TLS_VERIFY=1)`,
  },
  {
    what: "a port out of range",
    env: { DOCKER_HOST: "tcp://docker.example:99999" },
    message: `DOCKER_HOST = "tcp://docker.example:99999": port 99999 is not 1-65535. ` + `Fix: unset DOCKER_HOST to use this machine's engine`,
  },
  {
    what: "a trailing space",
    env: { DOCKER_HOST: "unix:///var/run/docker.sock " },
    message: `DOCKER_HOST = "unix:///var/run/docker.sock ": it contains white space. ` + `Fix: unset DOCKER_HOST to use this machine's engine`,
  },
  {
    what: "TLS keys missing for a tcp:// engine (dockerode would fail with a bare ENOENT)",
    env: { DOCKER_HOST: "tcp://10.0.0.5:2376", DOCKER_CERT_PATH: "<root>/tls" },
    message:
      `DOCKER_CERT_PATH = "<root>/tls": no cert.pem, key.pem in it: the Docker client reads its TLS keys there for DOCKER_HOST ` +
      `tcp://10.0.0.5:2376. Fix: unset DOCKER_CERT_PATH, or set it to the folder that holds ca.pem, cert.pem and key.pem`,
  },
  // ---- PULUMI_HOME, VAGRANT_HOME
  {
    what: "PULUMI_HOME empty (npm run up would look in ./versions)",
    env: { PULUMI_HOME: "" },
    message: `PULUMI_HOME = "": empty, which some tools take as unset and others as the current folder. ` + `Fix: ${UNSET_PULUMI}`,
  },
  {
    what: "PULUMI_HOME with a quoted ~",
    env: { PULUMI_HOME: "~/.pulumi" },
    message: `PULUMI_HOME = "~/.pulumi": '~' is not expanded inside quotes: a relative path. ` + `Fix: export PULUMI_HOME="$HOME/.pulumi"`,
  },
  {
    what: "PULUMI_HOME relative",
    env: { PULUMI_HOME: ".pulumi" },
    message:
      `PULUMI_HOME = ".pulumi": a relative path: each command would resolve it from its own folder. ` +
      `Fix: ${UNSET_PULUMI}, or set it to an absolute path`,
  },
  {
    what: "VAGRANT_HOME with a quoted ~",
    env: { VAGRANT_HOME: "~/.vagrant.d" },
    message: `VAGRANT_HOME = "~/.vagrant.d": '~' is not expanded inside quotes: a relative path. ` + `Fix: export VAGRANT_HOME="$HOME/.vagrant.d"`,
  },
  {
    what: "VAGRANT_HOME empty (the Vagrantfile would look in /boxes)",
    env: { VAGRANT_HOME: "" },
    message:
      `VAGRANT_HOME = "": empty, which some tools take as unset and others as the current folder. ` +
      `Fix: unset VAGRANT_HOME (Vagrant's folder is then ~/.vagrant.d)`,
  },
  // ---- PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE_FILE
  {
    what: "another backend: npm run up would not use it, npx pulumi would",
    env: { PULUMI_BACKEND_URL: "s3://team-bucket/state" },
    message: `PULUMI_BACKEND_URL = "s3://team-bucket/state": ${SPLIT_STACKS}. Fix: unset PULUMI_BACKEND_URL`,
  },
  {
    what: "Pulumi.yaml's relative URL (another folder from every subfolder)",
    env: { PULUMI_BACKEND_URL: "file://./.pulumi-state" },
    message: `PULUMI_BACKEND_URL = "file://./.pulumi-state": ${SPLIT_STACKS}. Fix: unset PULUMI_BACKEND_URL`,
  },
  {
    what: "PULUMI_BACKEND_URL empty",
    env: { PULUMI_BACKEND_URL: "" },
    message:
      `PULUMI_BACKEND_URL = "": empty: npx pulumi would pass it on, and Pulumi would take Pulumi.yaml's relative URL. ` +
      `Fix: unset PULUMI_BACKEND_URL`,
  },
  {
    what: "a passphrase file that is not there",
    env: { PULUMI_CONFIG_PASSPHRASE_FILE: "<root>/missing" },
    message:
      `PULUMI_CONFIG_PASSPHRASE_FILE = "<root>/missing": no such file: Pulumi could not open the stacks' secrets. ` +
      `Fix: ${UNSET_PASSPHRASE}, or set it to the file that holds your passphrase`,
  },
  {
    what: "a passphrase file given relative",
    env: { PULUMI_CONFIG_PASSPHRASE_FILE: "passphrase" },
    message:
      `PULUMI_CONFIG_PASSPHRASE_FILE = "passphrase": a relative path: Pulumi reads it from the project's folder, ` +
      `npx pulumi from yours. ` +
      `Fix: ${UNSET_PASSPHRASE}, or set it to an absolute path`,
  },
  {
    what: "PULUMI_CONFIG_PASSPHRASE_FILE empty",
    env: { PULUMI_CONFIG_PASSPHRASE_FILE: "" },
    message:
      `PULUMI_CONFIG_PASSPHRASE_FILE = "": empty: npx pulumi would pass it on, and Pulumi would find no passphrase. ` + `Fix: ${UNSET_PASSPHRASE}`,
  },
  // ---- the vagrant backend
  {
    what: "libvirt's session instance: virsh would not see the lab's machines",
    env: { LIBVIRT_DEFAULT_URI: "qemu:///session" },
    message:
      `LIBVIRT_DEFAULT_URI = "qemu:///session": vagrant-libvirt makes the lab's machines in qemu:///system whatever it says, and ` +
      `virsh would look for them there: npm run down and clean would not find them. Fix: unset LIBVIRT_DEFAULT_URI`,
  },
  {
    what: "SWARMLAB_PARALLEL=yes (only 1 turns it on)",
    env: { SWARMLAB_PARALLEL: "yes" },
    message:
      `SWARMLAB_PARALLEL = "yes": only 1 turns it on: with anything else Vagrant boots the machines one after the other. ` +
      `Fix: export SWARMLAB_PARALLEL=1 to boot the machines together, or unset it`,
  },
  {
    what: "SWARMLAB_PARALLEL=true",
    env: { SWARMLAB_PARALLEL: "true" },
    message:
      `SWARMLAB_PARALLEL = "true": only 1 turns it on: with anything else Vagrant boots the machines one after the other. ` +
      `Fix: export SWARMLAB_PARALLEL=1 to boot the machines together, or unset it`,
  }, // ---- how the nodes are reached (lab/reach.ts)
  {
    what: "SWARMLAB_REACH=tunnel (direct or engine)",
    env: { SWARMLAB_REACH: "tunnel" },
    message:
      `SWARMLAB_REACH = "tunnel": not one of direct, engine. Fix: export SWARMLAB_REACH=engine to reach the nodes through ` +
      `the Docker engine, SWARMLAB_REACH=direct for their addresses, or unset it`,
  },
];

describe("environment variables: one line, the value, a fix (lab/env.ts)", () => {
  let root: string;
  let ctx: EnvContext;
  const at = (s: string) => s.replaceAll("<root>", root);
  const envOf = (row: Row) => Object.fromEntries(Object.entries(row.env).map(([k, v]) => [k, v === undefined ? v : at(v)]));

  before(() => ({ root, ctx } = scratchProject()));
  after(() => rmSync(root, { recursive: true, force: true }));

  it(`the table has ${ROWS.length} bad values, every variable of ENV_CHECKS among them`, () => {
    assert.ok(ROWS.length >= 12);
    const covered = new Set(ROWS.flatMap((r) => Object.keys(r.env)));
    assert.deepEqual(
      Object.keys(ENV_CHECKS).filter((v) => !covered.has(v)),
      [],
    );
  });

  for (const row of ROWS) {
    it(row.what, () => {
      const before = tree(root);
      const errors = environmentErrors(envOf(row), ctx);
      assert.deepEqual(
        errors.map((e) => e.message),
        [at(row.message)],
      );
      assert.ok(errors[0] instanceof EnvError);
      assert.equal(errors[0].message.split("\n").length, 1);
      assert.deepEqual(tree(root), before, "nothing was made or removed");
      // the fix, applied, passes
      const fixed = applyFix(envOf(row), errors[0].fix);
      assert.deepEqual(
        environmentErrors(fixed, ctx).map((e) => e.message),
        [],
        `after: ${errors[0].fix}`,
      );
    });
  }

  it("accepts what works: unset or empty, this project's own state URL, any usable engine address, 0 and 1", () => {
    const good: NodeJS.ProcessEnv[] = [
      {},
      { SWARMLAB_STACK: "", SWARMLAB_ROOT: "", DOCKER_HOST: "", LIBVIRT_DEFAULT_URI: "", SWARMLAB_PARALLEL: "" },
      { SWARMLAB_STACK: "vm-e2e-4242", SWARMLAB_ROOT: root, PULUMI_HOME: "/opt/pulumi", VAGRANT_HOME: "/srv/vagrant" },
      { SWARMLAB_STACK: "organization/swarmlab/bench-1.2_x" },
      { DOCKER_HOST: "unix:///var/run/docker.sock", PULUMI_BACKEND_URL: `file://${root}/.pulumi-state` },
      { DOCKER_HOST: "tcp://10.0.0.5:2375", PULUMI_BACKEND_URL: pathToFileURL(path.join(root, ".pulumi-state")).href + "/" },
      { DOCKER_HOST: "ssh://docker@build-host", DOCKER_CERT_PATH: "" },
      { DOCKER_HOST: "tcp://[fd00::5]:2376", SWARMLAB_PARALLEL: "0" },
      { DOCKER_HOST: "unix:///run/user/1000/docker.sock", DOCKER_CERT_PATH: "/nowhere", SWARMLAB_PARALLEL: "1" },
      { LIBVIRT_DEFAULT_URI: "qemu:///system", PULUMI_CONFIG_PASSPHRASE_FILE: path.join(root, "passphrase") },
    ];
    for (const env of good)
      assert.deepEqual(
        environmentErrors(env, ctx).map((e) => e.message),
        [],
        JSON.stringify(env),
      );
  });

  it("several bad variables: one line each", () => {
    const errors = environmentErrors({ SWARMLAB_PARALLEL: "yes", PULUMI_HOME: "", DOCKER_HOST: "localhost:2375" }, ctx);
    assert.deepEqual(
      errors.map((e) => e.variable),
      ["DOCKER_HOST", "PULUMI_HOME", "SWARMLAB_PARALLEL"],
    );
  });

  it("DOCKER_HOST at nothing: named with its value, that it does not answer, and both fixes", () => {
    assert.equal(
      dockerHostUnanswered("unix:///nothing", "connect ENOENT /nothing").message,
      `DOCKER_HOST = "unix:///nothing": no Docker engine answers there (connect ENOENT /nothing). Fix: unset DOCKER_HOST to use ` +
        `this machine's engine (bash scripts/docker-engine.sh starts it), or start the engine at unix:///nothing`,
    );
    // well formed: whether it answers is asked where the engine is used (scripts/docker-engine.sh, below)
    assert.equal(checkDockerHost("unix:///nothing"), "unix:///nothing");
  });
});

describe("SWARMLAB_STACK: stackName(), what every npm command opens", () => {
  const saved = process.env.SWARMLAB_STACK;
  afterEach(() => (saved === undefined ? delete process.env.SWARMLAB_STACK : (process.env.SWARMLAB_STACK = saved)));

  it("issue: organization/swarmlab/dev is the stack dev (not 'no stack')", () => {
    process.env.SWARMLAB_STACK = "organization/swarmlab/dev";
    assert.equal(stackName(), "dev");
  });

  it("unset or empty: dev; a plain name: itself", () => {
    delete process.env.SWARMLAB_STACK;
    assert.equal(stackName(), "dev");
    process.env.SWARMLAB_STACK = "";
    assert.equal(stackName(), "dev");
    process.env.SWARMLAB_STACK = "other";
    assert.equal(stackName(), "other");
  });

  it("another organization's stack is refused there, in one line, before any stack is opened", () => {
    process.env.SWARMLAB_STACK = "acme/swarmlab/dev";
    const expected = errorOf(() => stackFromEnv("acme/swarmlab/dev", "swarmlab"));
    assert.throws(
      () => stackName(),
      (err: Error) => err instanceof EnvError && err.message === expected,
    );
  });
});

describe("SWARMLAB_ROOT: the dynamic providers' loader (infra/provider.ts) says lab/env.ts's line itself", () => {
  const saved = process.env.SWARMLAB_ROOT;
  afterEach(() => (saved === undefined ? delete process.env.SWARMLAB_ROOT : (process.env.SWARMLAB_ROOT = saved)));
  const isCheckout = (d: string) => isSwarmlabCheckout(d, (f) => statSync(f, { throwIfNoEntry: false }) !== undefined);

  for (const value of ["/nonexistent/swarmlab", "swarmlab", path.join(PROJECT_ROOT, "lab")]) {
    it(`issue: ${JSON.stringify(value)} is refused before anything loads (not "Cannot find module ts-node/…")`, () => {
      process.env.SWARMLAB_ROOT = value;
      // mocha runs in the project's folder: the checkout the loader finds from its working folder, as lab/env.ts's fix
      const expected = errorOf(() => checkSwarmlabRoot(value, isCheckout, PROJECT_ROOT));
      assert.match(expected, /^SWARMLAB_ROOT = .*\. Fix: unset SWARMLAB_ROOT, or set it to /);
      assert.throws(
        () => partProvider("claim").create({}),
        (err: Error) => err.message === expected,
      );
    });
  }
});

describe("the shell scripts say the same lines (scripts/env.sh)", function () {
  this.timeout(20_000);
  let home: string;
  beforeEach(() => (home = mkdtempSync(path.join(os.tmpdir(), "swarmlab-env-sh-"))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));
  const run = (script: string, env: Record<string, string>, pathDirs = process.env.PATH ?? "") =>
    execa("bash", [path.join(SCRIPTS, script), ...(script === "node.sh" ? ["--which"] : [])], {
      env: { PATH: pathDirs, HOME: home, ...env },
      extendEnv: false,
      reject: false,
    });

  for (const value of ["", "~/.pulumi", ".pulumi"]) {
    it(`pulumi-cli.sh: PULUMI_HOME=${JSON.stringify(value)} is refused as lab/env.ts refuses it, nothing fetched`, async () => {
      const r = await run("pulumi-cli.sh", { PULUMI_HOME: value });
      assert.equal(r.exitCode, 1);
      assert.equal(r.stderr, `pulumi: ${errorOf(() => checkPulumiHome(value))}`);
      assert.deepEqual(readdirSync(home), [], "nothing was made");
    });
  }

  it("pulumi-cli.sh: SWARMLAB_PROGRESS_SECONDS=0 is refused", async () => {
    const r = await run("pulumi-cli.sh", { SWARMLAB_PROGRESS_SECONDS: "0", PULUMI_HOME: path.join(home, "p") });
    assert.equal(r.exitCode, 1);
    assert.equal(
      r.stderr,
      `pulumi: SWARMLAB_PROGRESS_SECONDS = "0": not a whole number of seconds from 1 to 9999. ` +
        `Fix: export SWARMLAB_PROGRESS_SECONDS=20, or unset it`,
    );
    assert.deepEqual(readdirSync(home), []);
  });

  it("node.sh: SWARMLAB_NODE_VERSION=26 is refused in one line, nothing fetched", async () => {
    const r = await run("node.sh", { SWARMLAB_NODE_VERSION: "26" });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      new RegExp(
        '^node: SWARMLAB_NODE_VERSION = "26": not an exact version\\. Fix: give an exact version such as (\\d+\\.\\d+\\.\\d+) ' +
          "\\(export SWARMLAB_NODE_VERSION=\\1\\), or unset it$",
      ),
    );
    assert.deepEqual(readdirSync(home), []);
  });

  it("docker-engine.sh: a DOCKER_HOST where nothing answers is named, and this machine's dockerd is not started", async () => {
    const bin = path.join(home, "bin");
    mkdirSync(bin);
    const stub = (name: string, body: string) => {
      writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    };
    stub("docker", 'echo "Cannot connect to the Docker daemon at $DOCKER_HOST. Is the docker daemon running?" >&2; exit 1');
    for (const tool of ["dockerd", "apt-get", "setsid", "nohup"]) stub(tool, `echo ${tool} >> "${home}/calls"`);
    const r = await run("docker-engine.sh", { DOCKER_HOST: "unix:///nothing" }, `${bin}:/usr/bin:/bin`);
    assert.equal(r.exitCode, 1);
    const reason = "Cannot connect to the Docker daemon at unix:///nothing";
    assert.equal(r.stderr, `docker-engine: ${dockerHostUnanswered("unix:///nothing", reason).message}`);
    assert.deepEqual(readdirSync(home), ["bin"], "no engine started, nothing installed");
  });
});

/** Sets (or, for undefined, unsets) environment variables for each test of a describe, and puts them back after. */
function withEnv(names: string[]): (values: Record<string, string | undefined>) => void {
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [n, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  };
  afterEach(() => set(saved));
  return set;
}

// ---- follow-ups: each place that reads a variable refuses a bad value in lab/env.ts's line, before it acts

describe("DOCKER_HOST where no engine answers: readHostFacts (npx pulumi preview, up) names it, not 'start Docker'", () => {
  const set = withEnv(["DOCKER_HOST"]);
  /** A host without `ip`, whose engine fails as `listNetworks` says; what the engine was asked. */
  const readers = (dockerHost: string | undefined, engine: Partial<HostReaders["engine"]>) => {
    const asked: string[] = [];
    const r: HostReaders = {
      dockerHost,
      run: async (file) => {
        throw new Error(`spawn ${file} ENOENT`);
      },
      readFile: async () => "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n",
      interfaces: () => ({}),
      engine: {
        listNetworks: async () => (asked.push("networks"), []),
        info: async () => (asked.push("info"), {}),
        version: async () => (asked.push("version"), { Arch: "amd64" }),
        inspectImage: async () => (asked.push("image"), undefined),
        exportImage: async () => {
          throw new Error("not exported");
        },
        ...engine,
      },
    };
    return { r, asked };
  };
  const refused = () => Promise.reject(new Error("connect ENOENT /nothing"));

  it("issue: DOCKER_HOST=unix:///nothing: the variable, its value, that nothing answers, and both fixes", async () => {
    const { r } = readers("unix:///nothing", { listNetworks: refused });
    await assert.rejects(readHostFacts("busybox:latest", r), (err: Error) => {
      assert.ok(err instanceof EnvError);
      assert.equal(
        err.message,
        `DOCKER_HOST = "unix:///nothing": no Docker engine answers there (connect ENOENT /nothing). Fix: unset ` +
          `DOCKER_HOST to use this machine's engine (bash scripts/docker-engine.sh starts it), or start the engine at ` +
          `unix:///nothing`,
      );
      assert.doesNotMatch(err.message, /start Docker/);
      return true;
    });
  });

  it("without DOCKER_HOST (unset or empty): this machine's engine, and the line that says to start it", async () => {
    for (const dockerHost of [undefined, ""]) {
      const { r } = readers(dockerHost, { listNetworks: refused });
      await assert.rejects(readHostFacts("busybox:latest", r), {
        message:
          "cannot check swarmlab:subnet and swarmlab:image against the Docker engine (connect ENOENT /nothing): " +
          "start Docker (bash scripts/docker-engine.sh) and run again",
      });
    }
  });

  it("an engine that answered and then failed is not said to be absent", async () => {
    const { r, asked } = readers("tcp://10.0.0.5:2375", { version: () => Promise.reject(new Error("socket hang up")) });
    await assert.rejects(readHostFacts("busybox:latest", r), (err: Error) => !(err instanceof EnvError));
    assert.deepEqual(asked, ["networks", "info"]);
  });

  it("a bad LIBVIRT_DEFAULT_URI met while reading libvirt's networks is said as it is", async () => {
    const libvirt = errorOf(() => checkLibvirtUri("qemu:///session"));
    const { r } = readers(undefined, {});
    r.libvirtNetworks = async () => {
      checkLibvirtUri("qemu:///session");
      return [];
    };
    await assert.rejects(readHostFacts("busybox:latest", r), (err: Error) => err instanceof EnvError && err.message === libvirt);
  });

  it("hostReaders() asks DOCKER_HOST's engine (dockerode's own reading): a real client at nothing says so", async () => {
    set({ DOCKER_HOST: "unix:///nothing/docker.sock" });
    const r = hostReaders(new Docker());
    assert.equal(r.dockerHost, "unix:///nothing/docker.sock");
    await assert.rejects(readHostFacts("busybox:latest", r), {
      message:
        `DOCKER_HOST = "unix:///nothing/docker.sock": no Docker engine answers there (connect ENOENT ` +
        `/nothing/docker.sock). Fix: unset DOCKER_HOST to use this machine's engine (bash scripts/docker-engine.sh ` +
        `starts it), or start the engine at unix:///nothing/docker.sock`,
    });
  });
});

describe("PULUMI_HOME: cliRoot() (npm run up's CLI, the doctor's) never takes an empty value for the current folder", () => {
  const set = withEnv(["PULUMI_HOME"]);
  const version: string = require("@pulumi/pulumi/package.json").version;

  for (const value of ["", "~/.pulumi", ".pulumi"]) {
    it(`PULUMI_HOME=${JSON.stringify(value)}: refused in lab/env.ts's line`, () => {
      set({ PULUMI_HOME: value });
      const expected = errorOf(() => checkPulumiHome(value));
      assert.match(expected, /^PULUMI_HOME = .*\. Fix: /);
      assert.throws(
        () => cliRoot(),
        (err: Error) => err instanceof EnvError && err.message === expected,
      );
    });
  }

  it("unset: ~/.pulumi; an absolute folder: that folder", () => {
    set({ PULUMI_HOME: undefined });
    assert.equal(cliRoot(), path.join(os.homedir(), ".pulumi", "versions", version));
    set({ PULUMI_HOME: "/opt/pulumi" });
    assert.equal(cliRoot(), path.join("/opt/pulumi", "versions", version));
  });
});

describe("the vagrant backend reads SWARMLAB_ROOT, LIBVIRT_DEFAULT_URI and VAGRANT_HOME through lab/env.ts", function () {
  this.timeout(10_000);
  const set = withEnv(["SWARMLAB_ROOT", "LIBVIRT_DEFAULT_URI", "VAGRANT_HOME", "PATH"]);
  let scratch: string;
  beforeEach(() => (scratch = mkdtempSync(path.join(os.tmpdir(), "swarmlab-env-vagrant-"))));
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it("projectRoot(): unset or empty is this checkout; another checkout is itself", () => {
    for (const value of [undefined, ""]) {
      set({ SWARMLAB_ROOT: value });
      assert.equal(projectRoot(), CODE_ROOT);
    }
    mkdirSync(path.join(scratch, "lab", "parts"), { recursive: true });
    writeFileSync(path.join(scratch, "lab", "parts", "runner.js"), "");
    set({ SWARMLAB_ROOT: scratch });
    assert.equal(projectRoot(), scratch);
  });

  for (const [what, value, problem] of [
    ["relative", "swarmlab", "a relative path: the dynamic providers run in another folder than the command"],
    ["no checkout", "/nonexistent/swarmlab", "not a swarmlab checkout (it has no lab/parts/runner.ts)"],
  ] as const) {
    it(`projectRoot(): SWARMLAB_ROOT ${what} is refused, offering this checkout, before any lab folder is used`, () => {
      set({ SWARMLAB_ROOT: value });
      const expected = `SWARMLAB_ROOT = "${value}": ${problem}. Fix: unset SWARMLAB_ROOT, or set it to ${CODE_ROOT}`;
      assert.throws(
        () => projectRoot(),
        (err: Error) => err instanceof EnvError && err.message === expected,
      );
    });
  }

  it("virsh(): LIBVIRT_DEFAULT_URI=qemu:///session is refused each time it runs, and virsh is not run", async () => {
    const calls = path.join(scratch, "calls");
    writeExecutable(path.join(scratch, "bin", "virsh"), `#!/bin/sh\necho "$*" >> "${calls}"\necho " Running hypervisor: QEMU 8"\n`);
    set({ PATH: `${path.join(scratch, "bin")}:/usr/bin:/bin`, LIBVIRT_DEFAULT_URI: "qemu:///session" });
    const expected =
      `LIBVIRT_DEFAULT_URI = "qemu:///session": vagrant-libvirt makes the lab's machines in qemu:///system whatever it ` +
      `says, and virsh would look for them there: npm run down and clean would not find them. ` +
      `Fix: unset LIBVIRT_DEFAULT_URI`;
    const refused = (err: Error) => err instanceof EnvError && err.message === expected;
    await assert.rejects(virsh(["list", "--all", "--name"]), refused);
    await assert.rejects(virsh(["version"], false), refused);
    await assert.rejects(libvirtAnswers(), refused, "npm run clean does not take it for 'no libvirt here'");
    assert.deepEqual(readdirSync(scratch), ["bin"], "virsh was not run");
    // read when virsh runs, not when the module was loaded: the fix, applied, works at once
    for (const value of [undefined, "", "qemu:///system"]) {
      set({ LIBVIRT_DEFAULT_URI: value });
      assert.equal(await libvirtAnswers(), true);
    }
    assert.deepEqual(readFileLines(calls), Array(3).fill("-c qemu:///system -q version"));
  });

  for (const value of ["", "~/.vagrant.d", ".vagrant.d"]) {
    it(`boxRecipe(): VAGRANT_HOME=${JSON.stringify(value)} is refused in lab/env.ts's line, not 'the box is not registered'`, () => {
      set({ VAGRANT_HOME: value });
      const expected = errorOf(() => checkVagrantHome(value));
      assert.match(expected, /^VAGRANT_HOME = .*\. Fix: /);
      assert.throws(
        () => boxRecipe(),
        (err: Error) => err instanceof EnvError && err.message === expected,
      );
    });
  }

  it("boxRecipe(): an absolute VAGRANT_HOME is where the box is looked for", () => {
    const box = path.join(scratch, "boxes", LIBVIRT_BOX, "0", "libvirt");
    mkdirSync(box, { recursive: true });
    writeFileSync(path.join(box, "swarmlab-recipe"), "abc123\n");
    set({ VAGRANT_HOME: scratch });
    assert.equal(boxRecipe(), "box:abc123");
  });
});

describe("npm run up|down|status|logs|clean (scripts/lab.ts) refuse bad variables before anything", function () {
  this.timeout(60_000);
  // In a copy of the project (its own code and folders: what a removal that was not stopped would hit).
  let copy: string;
  let home: string;
  let original: string[];
  const lab = `envcheck-${process.pid}`;
  const runs = new Map<string, Promise<execa.ExecaReturnValue>>();
  // then() at once: execa reads the output only from its first then(), and a process that ended before may lose it
  const run = (key: string, args: string[], env: Record<string, string>) =>
    runs.set(
      key,
      execa(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/lab.ts", ...args], {
        cwd: copy,
        // swc's native-module cache as npm's scripts set it (scripts/node.sh): in the project, not in HOME
        env: { PATH: process.env.PATH ?? "", HOME: home, SWC_NATIVE_BINDING_CACHE: swcCache(), ...env },
        extendEnv: false,
        reject: false,
      }).then((r) => r),
    );
  const line = (fn: () => unknown) => `swarmlab: ${errorOf(fn)}`;
  const swcCache = () => process.env.SWC_NATIVE_BINDING_CACHE ?? path.join(PROJECT_ROOT, "node_modules", ".cache", "swc-native");

  before(function () {
    copy = copyProject("", false);
    home = mkdtempSync(path.join(os.tmpdir(), "swarmlab-env-home-"));
    mkdirSync(path.join(copy, ".swarmlab", lab), { recursive: true });
    writeFileSync(path.join(copy, ".swarmlab", lab, "lab.log"), "the lab's log\n");
    writeFileSync(path.join(copy, ".swarmlab", "passphrase"), "secret\n");
    original = listing(copy);
    // all at once: each is a Node process of its own
    run("usage", [], { SWARMLAB_STACK: "acme/swarmlab/dev" });
    run("usage-good", [], { SWARMLAB_STACK: "organization/swarmlab/dev" });
    run("clean", ["clean", lab], { LIBVIRT_DEFAULT_URI: "qemu:///session", VAGRANT_HOME: "~/.vagrant.d" });
    run("status", ["status"], { SWARMLAB_STACK: lab, DOCKER_HOST: "localhost:2375" });
    run("down", ["down"], { SWARMLAB_STACK: lab, PULUMI_HOME: "" });
    run("logs", ["logs"], { SWARMLAB_STACK: lab, SWARMLAB_ROOT: "swarmlab" });
    run("up", ["up"], { SWARMLAB_STACK: "organization/webapp/dev", SWARMLAB_PARALLEL: "yes" });
  });
  after(async () => {
    await Promise.all(runs.values());
    rmSync(copy, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it("no command and a bad SWARMLAB_STACK: the usage and the variable's line, no stack trace (exit 2)", async () => {
    const r = await runs.get("usage")!;
    assert.equal(r.exitCode, 2);
    assert.equal(
      r.stderr,
      "usage: node scripts/compiled.js scripts/lab.ts up|down|status|logs|clean [lab]   (stack: SWARMLAB_STACK)\n" +
        line(() => stackFromEnv("acme/swarmlab/dev", "swarmlab")),
    );
    const good = await runs.get("usage-good")!;
    assert.equal(good.exitCode, 2);
    assert.equal(good.stderr, "usage: node scripts/compiled.js scripts/lab.ts up|down|status|logs|clean [lab]   (stack: SWARMLAB_STACK, now 'dev')");
  });

  it("clean <lab> with LIBVIRT_DEFAULT_URI and VAGRANT_HOME bad: one line each, exit 2, the lab's folder whole", async () => {
    const r = await runs.get("clean")!;
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    assert.equal(r.stderr, [line(() => checkLibvirtUri("qemu:///session")), line(() => checkVagrantHome("~/.vagrant.d"))].join("\n"));
    assert.equal(r.stdout, "");
  });

  it("status with DOCKER_HOST bad, down with PULUMI_HOME empty, logs with SWARMLAB_ROOT relative: one line, exit 2", async () => {
    const expected = {
      status: line(() => checkDockerHost("localhost:2375")),
      down: line(() => checkPulumiHome("")),
      logs: line(() => checkSwarmlabRoot("swarmlab", () => false, copy)),
    };
    for (const [command, message] of Object.entries(expected)) {
      const r = await runs.get(command)!;
      assert.equal(r.exitCode, 2, `${command}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr, message, command);
      assert.equal(r.stdout, "", command);
    }
  });

  it("up with two bad variables: both lines, exit 2, before the doctor or any stack", async () => {
    const r = await runs.get("up")!;
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    const parallel =
      `swarmlab: SWARMLAB_PARALLEL = "yes": only 1 turns it on: with anything else Vagrant boots the machines one after ` +
      `the other. Fix: export SWARMLAB_PARALLEL=1 to boot the machines together, or unset it`;
    assert.equal(r.stderr, [line(() => stackFromEnv("organization/webapp/dev", "swarmlab")), parallel].join("\n"));
    assert.equal(r.stdout, "");
  });

  it("nothing was made or removed in the copy (its lab folder, the passphrase), nor in HOME", async () => {
    await Promise.all(runs.values());
    assert.deepEqual(listing(copy), original);
    assert.deepEqual(readdirSync(home), []);
  });
});

describe("npx pulumi (scripts/npx-pulumi/pulumi.js) refuses what lab/env.ts refuses, in the same lines", function () {
  this.timeout(20_000);
  let project: string;
  let shim: string;
  let calls: string;
  let state: string;
  const stub = (home: string) => writeExecutable(path.join(home, "versions", "9.9.9", "bin", "pulumi"), `#!/bin/sh\necho "$@" >> "${calls}"\n`);
  beforeEach(() => {
    project = mkdtempSync(path.join(os.tmpdir(), "swarmlab-env-shim-"));
    shim = path.join(project, "scripts", "npx-pulumi", "pulumi.js");
    mkdirSync(path.dirname(shim), { recursive: true });
    copyFileSync(path.join(SCRIPTS, "npx-pulumi", "pulumi.js"), shim);
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ dependencies: { "@pulumi/pulumi": "9.9.9" } }));
    writeFileSync(path.join(project, "passphrase"), "secret\n");
    calls = path.join(project, "calls");
    state = path.join(project, ".pulumi-state");
    // a CLI wherever a bad PULUMI_HOME could lead: ~/.pulumi (empty taken as unset), ./home (relative, from here)
    stub(path.join(project, "user", ".pulumi"));
    stub(path.join(project, "home"));
  });
  afterEach(() => rmSync(project, { recursive: true, force: true }));
  const run = (env: Record<string, string>) =>
    execa(process.execPath, [shim, "stack", "ls"], {
      cwd: project,
      env: { PATH: process.env.PATH ?? "", HOME: path.join(project, "user"), ...env },
      extendEnv: false,
      reject: false,
    });
  const isFile = (f: string) => statSync(f, { throwIfNoEntry: false })?.isFile() ?? false;
  const refusedBy = (fn: () => unknown) => `swarmlab: ${errorOf(fn)}`;

  const cases: [string, Record<string, string>, (p: string) => () => unknown][] = [
    ["PULUMI_HOME empty (was taken as unset)", { PULUMI_HOME: "" }, () => () => checkPulumiHome("")],
    ["PULUMI_HOME with a quoted ~", { PULUMI_HOME: "~/.pulumi" }, () => () => checkPulumiHome("~/.pulumi")],
    ["PULUMI_HOME relative", { PULUMI_HOME: "home" }, () => () => checkPulumiHome("home")],
    ["PULUMI_BACKEND_URL empty (was passed on)", { PULUMI_BACKEND_URL: "" }, (p) => () => checkBackendUrl("", p)],
    ["PULUMI_CONFIG_PASSPHRASE_FILE empty (was passed on)", { PULUMI_CONFIG_PASSPHRASE_FILE: "" }, () => () => checkPassphraseFile("", isFile)],
    [
      "PULUMI_CONFIG_PASSPHRASE_FILE relative",
      { PULUMI_CONFIG_PASSPHRASE_FILE: "passphrase" },
      () => () => checkPassphraseFile("passphrase", isFile),
    ],
    [
      "PULUMI_CONFIG_PASSPHRASE_FILE not there",
      { PULUMI_CONFIG_PASSPHRASE_FILE: "/nonexistent/passphrase" },
      () => () => checkPassphraseFile("/nonexistent/passphrase", isFile),
    ],
  ];
  for (const [what, env, check] of cases) {
    it(`${what}: one line, exit 1, no CLI run, no state folder made`, async () => {
      const r = await run(env);
      assert.equal(r.exitCode, 1);
      assert.equal(r.stderr, refusedBy(check(state)));
      assert.equal(statSync(calls, { throwIfNoEntry: false }), undefined, "the CLI was not run");
      assert.equal(statSync(state, { throwIfNoEntry: false }), undefined, "no state folder was made");
    });
  }

  it("several bad values: one line each, in lab/env.ts's order", async () => {
    const r = await run({ PULUMI_CONFIG_PASSPHRASE_FILE: "", PULUMI_BACKEND_URL: "", PULUMI_HOME: "" });
    assert.equal(r.exitCode, 1);
    const ctx = { project: "swarmlab", stateDir: state, projectRoot: project, isFile, exists: isFile };
    const env = { PULUMI_CONFIG_PASSPHRASE_FILE: "", PULUMI_BACKEND_URL: "", PULUMI_HOME: "" };
    assert.equal(
      r.stderr,
      environmentErrors(env, ctx)
        .map((e) => `swarmlab: ${e.message}`)
        .join("\n"),
    );
    assert.equal(r.stderr.split("\n").length, 3);
  });

  it("good values pass: an absolute PULUMI_HOME and passphrase file, a state URL of the user's (the shim honours it)", async () => {
    const r = await run({
      PULUMI_HOME: path.join(project, "home"),
      PULUMI_CONFIG_PASSPHRASE_FILE: path.join(project, "passphrase"),
      PULUMI_BACKEND_URL: "file:///elsewhere",
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(readFileLines(calls), ["stack ls"]);
  });
});

function readFileLines(file: string): string[] {
  return readFileSync(file, "utf8").trim().split("\n");
}

/** Every path below dir (node_modules, a link to the project's, not followed). */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => !f.startsWith("node_modules/")).sort();
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail("no error");
}
