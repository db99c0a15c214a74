// Which machine the engine runs on (lab/engine-host.ts), what its probe prints and how it is read back, and the
// exec that removes a node's default route waiting for its container and saying what the engine said (issue 18).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import type Docker from "dockerode";
import { dropDefaultRoute } from "../../lab/backends/host/containers";
import { readKernel } from "../../lab/doctor/kernel-read";
import { kernelFindings } from "../../lab/doctor/kernel";
import { execSaid } from "../../lab/engine-api";
import { inEngineNetwork, isThisMachine, parseProbe, probeScript, snapshotReader } from "../../lab/engine-host";
import type { ExecResult } from "../../lab/remote";

describe("the engine's machine", () => {
  const here = { name: "laptop", kernel: "6.1.0-18-amd64" };

  it("is this machine through a socket here, with this machine's hostname and kernel", () => {
    assert.equal(isThisMachine(undefined, here, here), true);
    assert.equal(isThisMachine("unix:///var/run/docker.sock", here, here), true);
  });

  it("is another through a remote DOCKER_HOST, or through a socket here to Docker Desktop's VM", () => {
    assert.equal(isThisMachine("tcp://10.0.0.5:2376", here, here), false);
    assert.equal(isThisMachine("ssh://teacher@big", here, here), false);
    assert.equal(isThisMachine(undefined, { name: "docker-desktop", kernel: "6.6.32-linuxkit" }, here), false);
  });

  it("the probe's script prints what its reader gives back, read as on that machine", () => {
    const config = "CONFIG_VXLAN=y\n# CONFIG_IP_VS is not set\nCONFIG_INET_ESP=m\nCONFIG_CRYPTO_GCM=y\n";
    const b64 = (t: string | Buffer) => Buffer.from(t).toString("base64");
    const printed = [
      "release\t-\t6.6.32-linuxkit",
      `file\t/proc/config.gz\t${b64(zlib.gzipSync(config))}`,
      "file\t/boot/config-6.6.32-linuxkit\t-",
      `file\t/proc/crypto\t${b64("name         : gcm(aes)\n")}`,
      `dir\t/sys/module\t${b64("vxlan\nbridge\n")}`,
      "exists\t/lib/modules/6.6.32-linuxkit\t",
      "exists\t/proc/net/ip_vs\t-",
      `cmd\tip -j -4 route show table all\t${b64("[]")}`,
    ].join("\n");
    const reader = snapshotReader(parseProbe(printed));
    return (async () => {
      const k = await readKernel(reader);
      assert.equal(k.release, "6.6.32-linuxkit");
      assert.equal(k.config?.source, "/proc/config.gz");
      assert.deepEqual(k.sysModules, ["vxlan", "bridge"]);
      assert.equal(k.modulesDir, true);
      assert.equal(k.ipvs, false);
      assert.equal(await reader.run("/usr/sbin/ip", ["-j", "-4", "route", "show", "table", "all"]), "[]");
      await assert.rejects(reader.run("ip", ["-j", "-4", "addr", "show"]), { code: "ENOENT" });
      const [line, , , , , , esp] = kernelFindings({ ...k, machine: "the engine's machine docker-desktop (Linux 6.6.32-linuxkit)" });
      assert.match(
        line.says,
        /^kernel of the engine's machine docker-desktop \(Linux 6\.6\.32-linuxkit\): Linux 6\.6\.32-linuxkit, options read from \/proc\/config\.gz$/,
      );
      assert.equal(esp.status, "ok");
    })();
  });

  it("a probe that printed no release is refused with what it printed", () => {
    assert.throws(() => parseProbe("sh: uname: not found\n"), /no kernel release: sh: uname: not found/);
  });

  it("the probe's script is valid sh that lists entries one per line", () => {
    execFileSync("sh", ["-n", "-c", probeScript()]);
    assert.match(probeScript(), /cat "\/host\/boot\/config-\$r"/);
    assert.match(probeScript(), /test -e "\/host\/lib\/modules\/\$r"/);
  });
});

describe("a node's default route, removed once its container runs (issue 18, item 6)", () => {
  type State = { Running: boolean; Restarting: boolean; Status: string; ExitCode: number };
  const running: State = { Running: true, Restarting: false, Status: "running", ExitCode: 0 };
  function engine(states: State[], log = "") {
    let seen = 0;
    const container = {
      inspect: async () => ({ State: states[Math.min(seen++, states.length - 1)] }),
      logs: async () => Buffer.from(log),
    };
    return { getContainer: () => container } as unknown as Docker;
  }
  const results = (...list: ExecResult[]) => {
    const asked: string[][] = [];
    return { asked, exec: async (cmd: string[]) => (asked.push(cmd), list[Math.min(asked.length - 1, list.length - 1)]) };
  };
  const OCI = "OCI runtime exec failed: exec failed: unable to start container process: container not running\r\n";

  it("the engine's words of a failed exec are on stdout: both are said", () => {
    assert.equal(
      execSaid(["ip", "route", "del", "default"], { code: 126, stdout: OCI, stderr: "" }),
      `ip route del default: exit 126: ${OCI.trim()}`,
    );
    assert.equal(execSaid(["true"], { code: 1, stdout: "", stderr: "" }), "true: exit 1, nothing said");
  });

  it("waits for a container still being created, asks again after an exit 126, and is done", async () => {
    const r = results({ code: 126, stdout: OCI, stderr: "" }, { code: 0, stdout: "", stderr: "" });
    await dropDefaultRoute(engine([{ ...running, Running: false, Status: "created" }, running]), "0123456789abcdef", r.exec);
    assert.equal(r.asked.length, 2);
  });

  it("a container that stopped is said with its exit code and last log lines, not an empty exit 126", async () => {
    const exited = { Running: false, Restarting: false, Status: "exited", ExitCode: 1 };
    const r = results({ code: 0, stdout: "", stderr: "" });
    await assert.rejects(dropDefaultRoute(engine([exited], "ssh-keygen: bad key\n"), "0123456789abcdef", r.exec), {
      message: "could not remove the default route of 0123456789ab: its container is exited (exit 1: ssh-keygen: bad key)",
    });
    assert.equal(r.asked.length, 0);
  });

  it("another failure says what the engine said", async () => {
    const r = results({ code: 2, stdout: "", stderr: "RTNETLINK answers: Operation not permitted\n" });
    await assert.rejects(dropDefaultRoute(engine([running]), "0123456789abcdef", r.exec), {
      message: "could not remove the default route of 0123456789ab (ip route del default: exit 2: RTNETLINK answers: Operation not permitted)",
    });
  });
});

describe("whether this process is in the engine's network namespace (where its iptables are the engine host's)", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-pid-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const pidFile = (pid: string) => {
    const file = path.join(dir, "docker.pid");
    writeFileSync(file, `${pid}\n`);
    return file;
  };

  it("a dockerd in this process's namespace (here: this process itself) is", async () => {
    assert.equal(await inEngineNetwork(pidFile(String(process.pid))), true);
  });

  it("no pid file, or a pid that is no process: not known, so not (the rules then go through the engine)", async () => {
    assert.equal(await inEngineNetwork(path.join(dir, "none.pid")), false);
    assert.equal(await inEngineNetwork(pidFile("999999999")), false);
    assert.equal(await inEngineNetwork(pidFile("not a pid")), false);
  });
});
