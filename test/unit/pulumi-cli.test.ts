// scripts/pulumi-cli.sh picks where the Pulumi CLI comes from, best first: already installed, a `pulumi` on PATH at
// the pinned version, the official download (npm wrapper), a build from Go modules. Each case runs the real script
// in a temporary PULUMI_HOME (never ~/.pulumi) with a PATH that holds only basic tools plus stubs:
//   npx     the npm wrapper `npx --yes pulumi@<v> version`: runs the folder's CLI if there is one, else
//           "downloads" an official-looking CLI with its plugins (STUB_ONLINE=1) or fails like offline
//   go      records its calls, prints `go -x`-like lines (sleeping STUB_GO_SECONDS for the CLI's build) and writes
//           a binary that reports the version stamped with -ldflags; or fails like a refused module proxy (STUB_GO_FAIL=1)
//   pulumi  a CLI on PATH that prints a given version
// Every stub appends its call to $STUB_CALLS. (Building for real is what CI's set-up does.)
import assert from "node:assert/strict";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { linkTools, writeExecutable } from "./stub-commands";
import execa from "execa";
import { PulumiCommand } from "@pulumi/pulumi/automation";

const SCRIPT = path.join(__dirname, "..", "..", "scripts", "pulumi-cli.sh");
const VERSION: string = require("@pulumi/pulumi/package.json").version;
// This project's `npx pulumi`, to check that it runs what the script installs.
const NPX_PULUMI = path.join(__dirname, "..", "..", "scripts", "npx-pulumi", "pulumi.js");

// The basic tools the script and the stubs use, and nothing else: no go, npx or pulumi of the machine's.
const TOOLS = [
  "bash",
  "sh",
  "dirname",
  "basename",
  "readlink",
  "cat",
  "mkdir",
  "rm",
  "touch",
  "install",
  "cmp",
  "grep",
  "sed",
  "tail",
  "tr",
  "cut",
  "sleep",
  "date",
  "find",
  "ln",
  "chmod",
  "env",
];

const STUB_NPX = `#!/bin/sh
echo "npx $* PULUMI_HOME=$PULUMI_HOME PULUMI_VERSION=$PULUMI_VERSION" >> "$STUB_CALLS"
bin="$PULUMI_HOME/versions/$PULUMI_VERSION/bin"
# like the real wrapper: a CLI in the folder is run, not downloaded again
if [ ! -x "$bin/pulumi" ]; then
  echo "Downloading pulumi v$PULUMI_VERSION..." >&2
  if [ "$STUB_ONLINE" != 1 ]; then echo "pulumi: fetch failed" >&2; exit 1; fi
  mkdir -p "$bin"
  # like install.sh: copies the release's files over what is there
  for f in pulumi pulumi-language-nodejs pulumi-resource-pulumi-nodejs; do
    printf '#!/bin/sh\\necho v%s # official\\n' "$PULUMI_VERSION" > "$bin/$f"
    chmod 755 "$bin/$f"
  done
fi
exec "$bin/pulumi" "$@"
`;

const STUB_GO = `#!/bin/sh
echo "go $* (in $PWD)" >> "$STUB_CALLS"
case "$PWD" in */pulumi-cli-*) pause=\${STUB_GO_SECONDS:-0} ;; *) pause=0 ;; esac
case "$1" in
  mod)
    if [ "$STUB_GO_FAIL" = 1 ]; then
      echo "go: github.com/pulumi/pulumi/pkg/v3@v$VERSION: reading https://proxy.golang.org/github.com/pulumi/pulumi/pkg/v3/@v/v$VERSION.mod: 403 Forbidden" >&2
      exit 1
    fi
    echo "# get https://proxy.golang.org/github.com/pulumi/pulumi/pkg/v3/@v/v$VERSION.zip" >&2
    sleep "$pause"
    echo "# get https://proxy.golang.org/github.com/pulumi/pulumi/pkg/v3/@v/v$VERSION.zip: 200 OK (0.100s)" >&2 ;;
  build)
    prev=""; for a in "$@"; do
      [ "$prev" = "-o" ] && out=$a
      case "$a" in *version.Version=*) stamped=\${a##*version.Version=} ;; esac
      prev=$a; pkg=$a
    done
    echo "/usr/local/go/pkg/tool/linux_amd64/compile -o \\$WORK/b002/_pkg_.a -trimpath \\"\\$WORK/b002=>\\" -p github.com/pulumi/pulumi/pkg/v3/engine -lang=go1.25" >&2
    sleep "$pause"
    echo "/usr/local/go/pkg/tool/linux_amd64/link -o \\$WORK/b001/exe/a.out -importcfg \\$WORK/b001/importcfg.link" >&2
    printf '#!/bin/sh\\necho %s # built by the stub go from %s\\n' "$stamped" "$pkg" > "$out"
    chmod 755 "$out" ;;
  *) exit 2 ;;
esac
`;

const stubCli = (version: string, note: string) => `#!/bin/sh\necho "pulumi $* ($0)" >> "\${STUB_CALLS:-/dev/null}"\necho v${version} # ${note}\n`;

describe("scripts/pulumi-cli.sh: where the CLI comes from", function () {
  this.timeout(10_000);
  let home: string, pulumiHome: string, bin: string, stubs: string, calls: string;
  let pathDirs: string[];
  let extraEnv: Record<string, string>;

  beforeEach(() => {
    home = mkdtempSync(path.join(os.tmpdir(), "swarmlab-pulumi-home-"));
    pulumiHome = path.join(home, ".pulumi");
    bin = path.join(pulumiHome, "versions", VERSION, "bin");
    stubs = path.join(home, "stubs");
    calls = path.join(home, "calls.log");
    writeFileSync(calls, "");
    const tools = path.join(home, "tools");
    mkdirSync(tools);
    symlinkSync(process.execPath, path.join(tools, "node"));
    linkTools(tools, TOOLS);
    writeExecutable(path.join(stubs, "npx"), STUB_NPX); // always: the real wrapper would download with internet
    pathDirs = [stubs, tools];
    extraEnv = {};
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const online = () => (extraEnv.STUB_ONLINE = "1");
  const withGo = () => writeExecutable(path.join(stubs, "go"), STUB_GO);
  const callsMade = () => readFileSync(calls, "utf8").split("\n").filter(Boolean);
  const env = () => ({
    PATH: pathDirs.join(":"),
    HOME: home,
    PULUMI_HOME: pulumiHome,
    SWARMLAB_CACHE: path.join(home, "cache"),
    STUB_CALLS: calls,
    VERSION,
    ...extraEnv,
  });
  const run = () => execa("bash", [SCRIPT], { env: env(), extendEnv: false, reject: false });
  const isLink = (file: string) => lstatSync(file).isSymbolicLink();

  /** What `npx pulumi version` does now in this project, with this PULUMI_HOME: it runs the folder's CLI. */
  async function wrapperVersion(): Promise<string> {
    assert.ok(existsSync(path.join(bin, "pulumi")), "no CLI in the folder");
    const r = await execa(process.execPath, [NPX_PULUMI, "version"], { env: env(), extendEnv: false });
    return r.stdout.trim();
  }

  function installBuiltHere(): void {
    writeExecutable(path.join(bin, "pulumi"), stubCli(VERSION, "built here"));
    writeExecutable(path.join(bin, "pulumi-language-nodejs"), "#!/bin/sh\n");
    writeFileSync(path.join(bin, ".swarmlab-built"), "");
    writeFileSync(path.join(bin, ".swarmlab-language-nodejs-built"), "v3.68.0\n");
  }

  describe("installed at the pinned version", () => {
    it("a CLI we built: nothing to do, neither download nor Go, in well under a second", async () => {
      installBuiltHere();
      online();
      withGo();
      const started = Date.now();
      const r = await run();
      const took = Date.now() - started;
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`CLI v${VERSION} already installed at .*\\(built here from Go modules; nothing to do\\)`));
      assert.match(r.stdout, /language host pulumi-language-nodejs v3\.68\.0 already installed/);
      assert.deepEqual(
        callsMade().filter((c) => !c.startsWith("pulumi version")),
        [],
      );
      assert.ok(took < 2000, `took ${took} ms`);
    });

    it("an official install (no marker of ours): nothing to do, its language host is kept", async () => {
      writeExecutable(path.join(bin, "pulumi"), stubCli(VERSION, "official"));
      writeExecutable(path.join(bin, "pulumi-language-nodejs"), "#!/bin/sh\n");
      withGo();
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /\(official; nothing to do\)/);
      assert.match(r.stdout, /pulumi-language-nodejs found at .*, not built here/);
      assert.deepEqual(
        callsMade().filter((c) => !c.startsWith("pulumi version")),
        [],
      );
    });
  });

  describe("a pulumi on PATH", () => {
    // As installed by hand: /usr/local/bin/pulumi -> /opt/pulumi/pulumi, plugins beside the real file.
    function pathCli(version: string, plugins = true): string {
      const dir = path.join(home, "opt", "pulumi");
      writeExecutable(path.join(dir, "pulumi"), stubCli(version, "PATH CLI"));
      if (plugins) {
        writeExecutable(path.join(dir, "pulumi-language-nodejs"), "#!/bin/sh\n# PATH CLI's host\n");
        writeExecutable(path.join(dir, "pulumi-resource-pulumi-nodejs"), "#!/bin/sh\n# PATH CLI's\n");
      }
      const usrLocalBin = path.join(home, "usr-local-bin");
      mkdirSync(usrLocalBin);
      symlinkSync(path.join(dir, "pulumi"), path.join(usrLocalBin, "pulumi"));
      pathDirs.splice(1, 0, usrLocalBin);
      return dir;
    }

    it("at the pinned version: linked with its plugins, no download, no Go; npx pulumi and the Automation API run it", async () => {
      const dir = pathCli(VERSION);
      online();
      withGo();
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`linked CLI v${VERSION} from ${dir}/pulumi`));
      assert.ok(isLink(path.join(bin, "pulumi")));
      assert.equal(readlinkSync(path.join(bin, "pulumi")), path.join(dir, "pulumi"));
      assert.equal(readlinkSync(path.join(bin, "pulumi-language-nodejs")), path.join(dir, "pulumi-language-nodejs"));
      assert.match(r.stdout, /pulumi-language-nodejs found at .* \(linked to .*opt\/pulumi\/pulumi-language-nodejs\), not built here/);
      assert.equal(existsSync(path.join(bin, ".swarmlab-language-nodejs-built")), false);
      assert.deepEqual(
        callsMade().filter((c) => /^(npx|go) /.test(c)),
        [],
      );

      assert.equal(await wrapperVersion(), `v${VERSION}`);
      const automation = await PulumiCommand.get({ root: path.dirname(bin) });
      assert.equal(automation.version?.toString(), VERSION);

      const again = await run();
      assert.match(again.stdout, /already installed at .*\(linked to .*; nothing to do\)/);
    });

    it("at the pinned version but without a language host beside it, and no Go: linked, a warning about the host, exit 0", async () => {
      pathCli(VERSION, false);
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.ok(isLink(path.join(bin, "pulumi")));
      assert.match(r.stderr, /warning: no Node\.js language host .* 'npm run up' works, 'npx pulumi up'\/'preview' will not/);
    });

    it("at another version, and the npm wrapper on PATH: both ignored, the official download is used", async () => {
      pathCli("3.1.0");
      // npm puts node_modules/.bin (the wrapper) on PATH for `npm run up`: it is not a CLI to link
      const dotBin = path.join(home, "project", "node_modules", ".bin");
      writeExecutable(path.join(home, "project", "node_modules", "pulumi", "run.js"), stubCli(VERSION, "npm wrapper"));
      mkdirSync(dotBin, { recursive: true });
      symlinkSync("../pulumi/run.js", path.join(dotBin, "pulumi"));
      pathDirs.unshift(dotBin);
      online();
      withGo();
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`ignoring .*usr-local-bin/pulumi on PATH: it reports 'v3\\.1\\.0', not v${VERSION}`));
      assert.equal(isLink(path.join(bin, "pulumi")), false);
      assert.match(readFileSync(path.join(bin, "pulumi"), "utf8"), /# official/);
      assert.equal(callsMade().filter((c) => c.startsWith("npx ")).length, 1);
      assert.deepEqual(
        callsMade().filter((c) => c.startsWith("go ")),
        [],
      );
    });
  });

  describe("the official download", () => {
    it("downloadable: the wrapper installs the official CLI and its language host; Go is never run", async () => {
      online();
      withGo();
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      const npx = callsMade().filter((c) => c.startsWith("npx "));
      assert.deepEqual(npx, [`npx --yes pulumi@${VERSION} version PULUMI_HOME=${pulumiHome} PULUMI_VERSION=${VERSION}`]);
      assert.match(r.stdout, new RegExp(`downloaded the official CLI v${VERSION} .* into ${bin} in \\d+\\.\\ds`));
      assert.match(r.stdout, /pulumi-language-nodejs found at .*, not built here/);
      assert.deepEqual(
        callsMade().filter((c) => c.startsWith("go ")),
        [],
      );
      for (const file of ["pulumi", "pulumi-language-nodejs"]) assert.match(readFileSync(path.join(bin, file), "utf8"), /# official/);
      assert.equal(await wrapperVersion(), `v${VERSION}`);
    });

    it("an interrupted earlier build is cleared first, so the wrapper downloads instead of running it; links are not written through", async () => {
      writeExecutable(path.join(bin, "pulumi"), stubCli(VERSION, "half-installed"));
      writeFileSync(path.join(bin, ".swarmlab-building"), "");
      const elsewhere = path.join(home, "elsewhere", "pulumi-language-nodejs");
      writeExecutable(elsewhere, "#!/bin/sh\n# someone else's\n");
      symlinkSync(elsewhere, path.join(bin, "pulumi-language-nodejs"));
      online();
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /already installed/);
      assert.match(readFileSync(path.join(bin, "pulumi"), "utf8"), /# official/);
      assert.equal(existsSync(path.join(bin, ".swarmlab-building")), false);
      assert.equal(readFileSync(elsewhere, "utf8"), "#!/bin/sh\n# someone else's\n");
    });
  });

  describe("offline", () => {
    it("with Go: the download fails fast, then the CLI and the language host are built, with progress lines", async () => {
      withGo();
      extraEnv.SWARMLAB_PROGRESS_SECONDS = "1";
      extraEnv.STUB_GO_SECONDS = "1.5";
      const r = await run();
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /the official download failed after \d+\.\ds \(pulumi: fetch failed\)/);

      const made = callsMade().filter((c) => /^(npx|go) /.test(c));
      assert.match(made[0], /^npx --yes pulumi@[0-9.]+ version/, "the download is tried first");
      assert.match(made[1], /^go mod tidy -x \(in .*pulumi-cli-/);
      assert.match(made[2], new RegExp(`^go build -x .*version\\.Version=v${VERSION} github\\.com/pulumi/pulumi/pkg/v3/cmd/pulumi`));
      assert.match(made[4], /^go build .*version\.Version=v3\.68\.0 github\.com\/pulumi\/pulumi\/sdk\/v3\/nodejs\/cmd\/pulumi-language-nodejs/);
      assert.equal(made.length, 5);

      const progress = r.stdout.split("\n").filter((l) => l.startsWith("pulumi: building pulumi-cli: "));
      assert.ok(progress.length >= 2, `progress lines:\n${r.stdout}`);
      for (const line of progress) assert.match(line, /^pulumi: building pulumi-cli: \d+\.\ds elapsed, \S/);
      assert.ok(
        progress.some((l) => l.includes(`downloading modules (0 fetched so far; now github.com/pulumi/pulumi/pkg/v3@v${VERSION})`)),
        progress.join("\n"),
      );
      assert.ok(
        progress.some((l) => /compiling \(1 packages so far; now github\.com\/pulumi\/pulumi\/pkg\/v3\/engine\)|linking the binary/.test(l)),
        progress.join("\n"),
      );

      assert.match(readFileSync(path.join(bin, "pulumi"), "utf8"), /built by the stub go/);
      assert.ok(existsSync(path.join(bin, ".swarmlab-built")));
      assert.equal(existsSync(path.join(bin, ".swarmlab-building")), false);
      assert.equal(readFileSync(path.join(bin, ".swarmlab-language-nodejs-built"), "utf8"), "v3.68.0\n");
      assert.match(r.stdout, /built language host pulumi-language-nodejs v3\.68\.0/);
    });

    it("with Go but no module proxy: exit 1, Go's error and the log's path, nothing installed", async () => {
      withGo();
      extraEnv.STUB_GO_FAIL = "1";
      const r = await run();
      assert.equal(r.exitCode, 1);
      assert.match(r.stderr, /^go: .*403 Forbidden$/m);
      assert.match(r.stderr, /building pulumi-cli .* from Go modules failed \(log: .*build\.log\); is the Go module proxy reachable/);
      assert.equal(existsSync(path.join(bin, "pulumi")), false);
    });

    it("without Go: one clear line on stderr saying what to install, exit 1, nothing installed", async () => {
      const r = await run();
      assert.equal(r.exitCode, 1);
      const lines = r.stderr.split("\n").filter(Boolean);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(
        lines[0],
        /official download failed \(pulumi: fetch failed\) and there is no Go toolchain on PATH to build it: install Go >= 1\.25/,
      );
      assert.equal(existsSync(path.join(bin, "pulumi")), false);
    });

    it("without Go, after an interrupted earlier build: that CLI is not taken for installed, and is removed", async () => {
      writeExecutable(path.join(bin, "pulumi"), stubCli(VERSION, "half-installed"));
      writeFileSync(path.join(bin, ".swarmlab-building"), "");
      const r = await run();
      assert.equal(r.exitCode, 1);
      assert.doesNotMatch(r.stdout, /already installed|found at/, "the half-installed CLI was accepted");
      assert.match(r.stderr, /no Go toolchain on PATH/);
      assert.equal(existsSync(path.join(bin, "pulumi")), false, "something that looks installed was left");
      assert.equal(existsSync(path.join(bin, ".swarmlab-built")), false);
    });
  });
});

describe("npx pulumi (scripts/npx-pulumi): the project's state folder on a fresh clone", function () {
  it("is made on first use (mode 700) and handed to the CLI as an absolute file URL; a PULUMI_BACKEND_URL of the user's wins", async function () {
    const project = mkdtempSync(path.join(os.tmpdir(), "swarmlab-shim-"));
    try {
      const shim = path.join(project, "scripts", "npx-pulumi", "pulumi.js");
      mkdirSync(path.dirname(shim), { recursive: true });
      copyFileSync(NPX_PULUMI, shim);
      writeFileSync(path.join(project, "package.json"), JSON.stringify({ dependencies: { "@pulumi/pulumi": "9.9.9" } }));
      const pulumiHome = path.join(project, "home");
      writeExecutable(path.join(pulumiHome, "versions", "9.9.9", "bin", "pulumi"), '#!/bin/sh\necho "$PULUMI_BACKEND_URL"\n');
      const shimEnv = (more: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? "", PULUMI_HOME: pulumiHome, ...more });
      const state = path.join(project, ".pulumi-state");
      const r = await execa(process.execPath, [shim, "stack", "init", "vm"], { env: shimEnv(), extendEnv: false });
      assert.equal(r.stdout.trim(), `file://${state}`);
      assert.equal(statSync(state).mode & 0o777, 0o700);
      const own = await execa(process.execPath, [shim, "stack", "ls"], {
        env: shimEnv({ PULUMI_BACKEND_URL: "file:///elsewhere" }),
        extendEnv: false,
      });
      assert.equal(own.stdout.trim(), "file:///elsewhere");
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
