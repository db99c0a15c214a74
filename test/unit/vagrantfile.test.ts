// The top-level Vagrantfile and its settings (vagrant/settings.rb), without any VM: Ruby's syntax check, the settings
// helper under different SWARMLAB_* values and settings files (through `ruby -e`), and `vagrant validate` for each
// provider in a scratch copy of the project, with its own VAGRANT_HOME and box cache (never ~/.vagrant.d, nothing
// created in libvirt). Needs ruby, and vagrant with vagrant-libvirt: missing ones fail the test under CI=true and
// skip it elsewhere, naming the Debian packages to install.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import execa from "execa";
import { writeExecutable } from "./stub-commands";

const ROOT = path.join(__dirname, "..", "..");
const SETTINGS_RB = path.join(ROOT, "vagrant", "settings.rb");

/** An environment without the caller's SWARMLAB_* (a developer's own settings must not change the outcome). */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("SWARMLAB_") && !k.startsWith("VAGRANT_")) env[k] = v;
  return { ...env, VAGRANT_CHECKPOINT_DISABLE: "1", VAGRANT_BOX_UPDATE_CHECK_DISABLE: "1", ...extra };
}

async function has(program: string, args: string[]): Promise<boolean> {
  const res = await execa(program, args, { reject: false, env: cleanEnv() }).catch(() => undefined);
  return res !== undefined && res.exitCode === 0;
}

/** Fails under CI, else skips with what to install. */
function missing(ctx: Mocha.Context, what: string): void {
  const message = `${what}: install them with 'apt-get install --no-install-recommends ruby vagrant vagrant-libvirt' (or 'bash scripts/vm-host.sh')`;
  if (process.env.CI) throw new Error(message);
  console.log(`      ${message}`);
  ctx.skip();
}

interface Node {
  name: string;
  ip: string;
  role: string;
}
interface Loaded {
  box: string | null;
  cpus: number;
  memory: number;
  workers: number;
  subnet: string;
  libvirt_driver: string | null;
  libvirt_mgmt_subnet: string;
  nodes: Node[];
  libvirt_box: string;
  virtualbox_box: string;
  lab_network: string;
  mgmt_network: string;
}

/** SwarmLab.settings(env:, file:) in a fresh ruby: the settings as JSON, or the SettingsError's message. */
async function settings(env: Record<string, string>, file?: string): Promise<{ ok: true; value: Loaded } | { ok: false; error: string }> {
  const script = `
    require "json"
    require ${JSON.stringify(SETTINGS_RB)}
    begin
      s = SwarmLab.settings(env: ENV.to_h.select { |k, _| k.start_with?("SWARMLAB_") }, file: ARGV[0])
      puts JSON.generate(s.to_h.merge(nodes: s.nodes.map(&:to_h), libvirt_box: s.box_for(:libvirt),
                                      virtualbox_box: s.box_for(:virtualbox), lab_network: s.libvirt_lab_network,
                                      mgmt_network: s.libvirt_mgmt_network))
    rescue SwarmLab::SettingsError => e
      warn e.message
      exit 3
    end`;
  const res = await execa("ruby", ["-e", script, ...(file ? [file] : [])], { env: cleanEnv(env), extendEnv: false, reject: false });
  if (res.exitCode === 0) return { ok: true, value: JSON.parse(res.stdout) as Loaded };
  assert.equal(res.exitCode, 3, `ruby failed otherwise:\n${res.stderr}`);
  return { ok: false, error: res.stderr.trim() };
}

async function loads(env: Record<string, string>, file?: string): Promise<Loaded> {
  const res = await settings(env, file);
  if (!res.ok) assert.fail(`refused: ${res.error}`);
  return res.value;
}

async function refuses(env: Record<string, string>, message: string | RegExp, file?: string): Promise<void> {
  const res = await settings(env, file);
  assert.equal(res.ok, false, `accepted ${JSON.stringify(env)}`);
  if (!res.ok) {
    if (typeof message === "string") assert.equal(res.error, message);
    else assert.match(res.error, message);
  }
}

describe("Vagrantfile: ruby syntax and the settings helper (vagrant/settings.rb)", function () {
  this.timeout(30_000);
  let scratch: string;

  before(async function () {
    if (!(await has("ruby", ["--version"]))) missing(this, "ruby is missing");
    scratch = mkdtempSync(path.join(os.tmpdir(), "swarmlab-vagrantfile-"));
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("ruby -c accepts the Vagrantfile and vagrant/settings.rb", async () => {
    for (const file of ["Vagrantfile", "vagrant/settings.rb"]) {
      const res = await execa("ruby", ["-c", file], { cwd: ROOT, reject: false });
      assert.equal(res.exitCode, 0, `${file}: ${res.stderr}`);
      assert.match(res.stdout, /Syntax OK/);
    }
  });

  it("sh -n accepts the provisioners (vagrant/provision.sh, vagrant/lab-node.sh)", async () => {
    for (const file of ["vagrant/provision.sh", "vagrant/lab-node.sh"]) {
      const res = await execa("sh", ["-n", file], { cwd: ROOT, reject: false });
      assert.equal(res.exitCode, 0, `${file}: ${res.stderr}`);
    }
  });

  it("defaults follow the tutorial: 1 CPU, 1024 MB, swarm-manager .10 and two workers .11/.12 on 192.168.56.0/24", async () => {
    const s = await loads({});
    assert.deepEqual([s.cpus, s.memory, s.workers, s.subnet], [1, 1024, 2, "192.168.56.0/24"]);
    assert.deepEqual(s.nodes, [
      { name: "swarm-manager", ip: "192.168.56.10", role: "manager" },
      { name: "swarm-worker1", ip: "192.168.56.11", role: "worker" },
      { name: "swarm-worker2", ip: "192.168.56.12", role: "worker" },
    ]);
    assert.equal(s.box, null);
    assert.equal(s.libvirt_box, "swarmlab-debian13", "libvirt: the box npm run box builds");
    assert.equal(s.virtualbox_box, "bento/debian-12", "virtualbox: a public Debian LTS box");
    assert.equal(s.libvirt_driver, null, "no driver set: the Vagrantfile probes KVM");
    assert.equal(s.lab_network, "swarmlab-192.168.56");
    assert.equal(s.mgmt_network, "swarmlab-mgmt-192.168.55");
  });

  it("SWARMLAB_* variables set box, CPUs, memory, workers, subnet and the libvirt driver", async () => {
    const s = await loads({
      SWARMLAB_BOX: "generic/debian12",
      SWARMLAB_CPUS: "2",
      SWARMLAB_MEMORY: "2048",
      SWARMLAB_WORKERS: "3",
      SWARMLAB_SUBNET: "192.168.60.0/24",
      SWARMLAB_LIBVIRT_DRIVER: "qemu",
      SWARMLAB_LIBVIRT_MGMT_SUBNET: "192.168.61.0/24",
    });
    assert.deepEqual([s.cpus, s.memory, s.workers, s.libvirt_driver], [2, 2048, 3, "qemu"]);
    assert.deepEqual(
      s.nodes.map((n) => `${n.name} ${n.ip}`),
      ["swarm-manager 192.168.60.10", "swarm-worker1 192.168.60.11", "swarm-worker2 192.168.60.12", "swarm-worker3 192.168.60.13"],
    );
    assert.equal(s.libvirt_box, "generic/debian12");
    assert.equal(s.virtualbox_box, "generic/debian12");
    assert.equal(s.lab_network, "swarmlab-192.168.60");
    assert.equal(s.mgmt_network, "swarmlab-mgmt-192.168.61");
  });

  it("an empty variable counts as unset", async () => {
    const s = await loads({ SWARMLAB_WORKERS: "", SWARMLAB_BOX: " " });
    assert.equal(s.workers, 2);
    assert.equal(s.box, null);
  });

  it("a settings file is read, and a variable wins over it", async () => {
    const file = path.join(scratch, "settings.yml");
    writeFileSync(file, "workers: 4\nmemory: 1536\nsubnet: 192.168.70.0/24\n");
    const fromFile = await loads({}, file);
    assert.deepEqual([fromFile.workers, fromFile.memory, fromFile.subnet], [4, 1536, "192.168.70.0/24"]);
    const overridden = await loads({ SWARMLAB_WORKERS: "1" }, file);
    assert.deepEqual([overridden.workers, overridden.memory], [1, 1536]);
    assert.deepEqual(
      overridden.nodes.map((n) => n.name),
      ["swarm-manager", "swarm-worker1"],
    );
  });

  describe("refused values: one line naming the setting, the value and a fix", () => {
    it("workers=0", () => refuses({ SWARMLAB_WORKERS: "0" }, 'SWARMLAB_WORKERS = "0": must be a whole number from 1 to 20. Fix: SWARMLAB_WORKERS=2'));
    it("workers=21", () =>
      refuses({ SWARMLAB_WORKERS: "21" }, /^SWARMLAB_WORKERS = "21": must be a whole number from 1 to 20\. Fix: SWARMLAB_WORKERS=2$/));
    it("workers=two", () => refuses({ SWARMLAB_WORKERS: "two" }, /^SWARMLAB_WORKERS = "two": must be a whole number/));
    it("memory=abc", () =>
      refuses({ SWARMLAB_MEMORY: "abc" }, 'SWARMLAB_MEMORY = "abc": must be a whole number from 512 to 65536 (MB). Fix: SWARMLAB_MEMORY=1024'));
    it("memory=1.5G", () => refuses({ SWARMLAB_MEMORY: "1.5G" }, /^SWARMLAB_MEMORY = "1.5G": must be a whole number from 512/));
    it("cpus=0", () => refuses({ SWARMLAB_CPUS: "0" }, 'SWARMLAB_CPUS = "0": must be a whole number from 1 to 64. Fix: SWARMLAB_CPUS=1'));
    it("subnet outside 192.168.0.0/16 (Swarm's overlay pool)", () =>
      refuses(
        { SWARMLAB_SUBNET: "10.0.1.0/24" },
        'SWARMLAB_SUBNET = "10.0.1.0/24": must be a /24 of 192.168.0.0/16, written 192.168.N.0/24. Fix: SWARMLAB_SUBNET=192.168.56.0/24',
      ));
    it("subnet wider than a /24", () => refuses({ SWARMLAB_SUBNET: "192.168.0.0/16" }, /^SWARMLAB_SUBNET = "192\.168\.0\.0\/16": must be a \/24/));
    it("subnet with an octet over 255", () => refuses({ SWARMLAB_SUBNET: "192.168.300.0/24" }, /^SWARMLAB_SUBNET = "192\.168\.300\.0\/24"/));
    it("libvirt driver other than kvm or qemu", () =>
      refuses(
        { SWARMLAB_LIBVIRT_DRIVER: "xen" },
        'SWARMLAB_LIBVIRT_DRIVER = "xen": must be kvm or qemu (QEMU\'s software emulation). Fix: SWARMLAB_LIBVIRT_DRIVER=qemu',
      ));
    it("a box name with spaces", () => refuses({ SWARMLAB_BOX: "my box" }, /^SWARMLAB_BOX = "my box": not a box name/));
    it("the management network on the lab's subnet", () =>
      refuses(
        { SWARMLAB_LIBVIRT_MGMT_SUBNET: "192.168.56.0/24" },
        /^SWARMLAB_LIBVIRT_MGMT_SUBNET = "192\.168\.56\.0\/24": the same as the lab's subnet\. Fix: SWARMLAB_LIBVIRT_MGMT_SUBNET=192\.168\.55\.0\/24$/,
      ));
    it("a bad value in the settings file names the file and its key", async () => {
      const file = path.join(scratch, "bad.yml");
      writeFileSync(file, "workers: 0\n");
      await refuses({}, 'bad.yml workers = "0": must be a whole number from 1 to 20. Fix: workers: 2 in vagrant/settings.yml', file);
    });
    it("an unknown key in the settings file", async () => {
      const file = path.join(scratch, "typo.yml");
      writeFileSync(file, "worker: 3\n");
      await refuses({}, /typo\.yml: unknown setting worker\. Known: box, cpus, memory, workers, subnet/, file);
    });
  });
});

/** SwarmLab.backend_node(env:) in a fresh ruby: the backend's one machine as JSON, null, or the SettingsError's message. */
async function backendNode(env: Record<string, string>): Promise<{ ok: true; value: Record<string, string> | null } | { ok: false; error: string }> {
  const script = `
    require "json"
    require ${JSON.stringify(SETTINGS_RB)}
    begin
      b = SwarmLab.backend_node(env: ENV.to_h.select { |k, _| k.start_with?("SWARMLAB_") })
      puts JSON.generate(b && b.to_h.merge(description: b.description, domain_prefix: b.domain_prefix,
                                           lab_network: b.lab_network, mgmt_network: b.mgmt_network, lab_mac: b.lab_mac))
    rescue SwarmLab::SettingsError => e
      warn e.message
      exit 3
    end`;
  const res = await execa("ruby", ["-e", script], { env: cleanEnv(env), extendEnv: false, reject: false });
  if (res.exitCode === 0) return { ok: true, value: JSON.parse(res.stdout) };
  assert.equal(res.exitCode, 3, `ruby failed otherwise:\n${res.stderr}`);
  return { ok: false, error: res.stderr.trim() };
}

const BACKEND_ENV = {
  SWARMLAB_NODE: "swarm-worker1:worker:192.168.157.11",
  SWARMLAB_LAB: "vmlab",
  SWARMLAB_OWNER: "vm.01652a3b",
  SWARMLAB_AUTHORIZED_KEY: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBsZ swarmlab-vmlab",
  SWARMLAB_PRIVATE_KEY_FILE: "/p/.swarmlab/vmlab/id_ed25519",
};

describe("Vagrantfile: one machine of a lab, as swarmlab's vagrant backend describes it (SWARMLAB_NODE & co.)", function () {
  this.timeout(30_000);
  before(async function () {
    if (!(await has("ruby", ["--version"]))) missing(this, "ruby is missing");
  });

  it("without SWARMLAB_NODE there is no backend machine: plain vagrant up makes the tutorial's machines", async () => {
    assert.deepEqual(await backendNode({}), { ok: true, value: null });
  });

  it("the machine, named and described by its lab and owner, on networks named by the lab", async () => {
    const res = await backendNode(BACKEND_ENV);
    assert.ok(res.ok && res.value);
    assert.deepEqual(res.value, {
      lab: "vmlab",
      owner: "vm.01652a3b",
      name: "swarm-worker1",
      role: "worker",
      ip: "192.168.157.11",
      authorized_key: BACKEND_ENV.SWARMLAB_AUTHORIZED_KEY,
      private_key_file: "/p/.swarmlab/vmlab/id_ed25519",
      description: "swarmlab.lab=vmlab,swarmlab.owner=vm.01652a3b,swarmlab.node=swarm-worker1,swarmlab.role=worker",
      domain_prefix: "vmlab-",
      lab_network: "vmlab-lab",
      mgmt_network: "vmlab-mgmt",
      lab_mac: "52:54:00:a8:9d:0b", // QEMU's prefix, then 168.157.11: unique while the lab's subnet is
    });
  });

  it("refused: a malformed SWARMLAB_NODE, or one without its lab, owner, key or private key file", async () => {
    const refused = async (env: Record<string, string>, message: RegExp) => {
      const res = await backendNode({ ...BACKEND_ENV, ...env });
      assert.equal(res.ok, false, JSON.stringify(env));
      if (!res.ok) assert.match(res.error, message);
    };
    await refused(
      { SWARMLAB_NODE: "swarm-worker1:boss:192.168.157.11" },
      /^SWARMLAB_NODE = "swarm-worker1:boss:192\.168\.157\.11": must be name:role:ip/,
    );
    await refused({ SWARMLAB_NODE: "swarm-worker1:worker:10.0.0.1" }, /must be name:role:ip/);
    await refused({ SWARMLAB_LAB: "" }, /^SWARMLAB_LAB = "": a lab name is needed/);
    await refused({ SWARMLAB_OWNER: "" }, /^SWARMLAB_OWNER = "": an owner id is needed/);
    await refused({ SWARMLAB_AUTHORIZED_KEY: "not a key" }, /^SWARMLAB_AUTHORIZED_KEY: an OpenSSH public key is needed/);
    await refused({ SWARMLAB_PRIVATE_KEY_FILE: "" }, /^SWARMLAB_PRIVATE_KEY_FILE = "": the path of the lab's private key is needed/);
  });
});

describe("Vagrantfile: vagrant validate, per provider", function () {
  this.timeout(120_000);
  let project: string;

  /** `vagrant <args>` in the scratch copy of the project, with its own VAGRANT_HOME and box cache. */
  const vagrant = (args: string[], env: Record<string, string> = {}) =>
    execa("vagrant", args, {
      cwd: project,
      reject: false,
      extendEnv: false,
      all: true,
      env: cleanEnv({
        VAGRANT_HOME: path.join(project, ".home"),
        XDG_CACHE_HOME: path.join(project, ".cache"),
        SWARMLAB_LIBVIRT_DRIVER: "qemu", // no KVM probe in a unit test
        ...env,
      }),
    });

  before(async function () {
    if (!(await has("ruby", ["--version"]))) missing(this, "ruby is missing");
    if (!(await has("vagrant", ["--version"]))) missing(this, "vagrant is missing");
    project = mkdtempSync(path.join(os.tmpdir(), "swarmlab-vagrant-"));
    const plugins = await vagrant(["plugin", "list"]);
    if (!/vagrant-libvirt/.test(plugins.all ?? "")) missing(this, "vagrant-libvirt is missing");
    mkdirSync(path.join(project, "vagrant"));
    copyFileSync(path.join(ROOT, "Vagrantfile"), path.join(project, "Vagrantfile"));
    for (const f of ["settings.rb", "provision.sh", "lab-node.sh"]) copyFileSync(path.join(ROOT, "vagrant", f), path.join(project, "vagrant", f));
    // A built box, as scripts/box.sh leaves it in the cache (only its presence matters to the Vagrantfile).
    mkdirSync(path.join(project, ".cache", "swarmlab", "box"), { recursive: true });
    writeFileSync(path.join(project, ".cache", "swarmlab", "box", "swarmlab-debian13.box"), "");
    // VirtualBox cannot be installed on our machines: a VBoxManage that reports a version makes the provider usable
    // for validation (which runs no other VBoxManage command).
    writeExecutable(path.join(project, ".stub", "VBoxManage"), "#!/bin/sh\necho 7.0.14r161095\n");
  });
  after(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it("libvirt: the three machines validate", async () => {
    const res = await vagrant(["validate"], { VAGRANT_DEFAULT_PROVIDER: "libvirt" });
    assert.equal(res.exitCode, 0, res.all);
    assert.match(res.all ?? "", /Vagrantfile validated successfully/);
  });

  it("virtualbox: the three machines validate", async () => {
    const res = await vagrant(["validate"], { VAGRANT_DEFAULT_PROVIDER: "virtualbox", PATH: `${path.join(project, ".stub")}:${process.env.PATH}` });
    assert.equal(res.exitCode, 0, res.all);
    assert.match(res.all ?? "", /Vagrantfile validated successfully/);
  });

  it("libvirt: the backend's one machine validates (SWARMLAB_NODE & co.), and is the only machine", async () => {
    // Vagrant checks that the lab's private key file exists.
    const keyFile = path.join(project, "id_ed25519");
    writeFileSync(keyFile, "", { mode: 0o600 });
    const env = { VAGRANT_DEFAULT_PROVIDER: "libvirt", ...BACKEND_ENV, SWARMLAB_PRIVATE_KEY_FILE: keyFile, SWARMLAB_SUBNET: "192.168.157.0/24" };
    const res = await vagrant(["validate"], env);
    assert.equal(res.exitCode, 0, res.all);
    const status = await vagrant(["status", "--machine-readable"], env);
    const machines = [...new Set([...(status.stdout ?? "").matchAll(/^\d+,([^,]+),state,/gm)].map((m) => m[1]))];
    assert.deepEqual(machines, ["swarm-worker1"], status.all);
  });

  it("five machines with SWARMLAB_WORKERS=4", async () => {
    const res = await vagrant(["validate"], { VAGRANT_DEFAULT_PROVIDER: "libvirt", SWARMLAB_WORKERS: "4" });
    assert.equal(res.exitCode, 0, res.all);
  });

  it("a bad setting stops vagrant before anything, with the helper's line", async () => {
    const res = await vagrant(["validate"], { VAGRANT_DEFAULT_PROVIDER: "libvirt", SWARMLAB_WORKERS: "0" });
    assert.notEqual(res.exitCode, 0);
    assert.match(res.all ?? "", /swarmlab: SWARMLAB_WORKERS = "0": must be a whole number from 1 to 20\. Fix: SWARMLAB_WORKERS=2/);
    const mem = await vagrant(["validate"], { VAGRANT_DEFAULT_PROVIDER: "libvirt", SWARMLAB_MEMORY: "abc" });
    assert.notEqual(mem.exitCode, 0);
    assert.match(mem.all ?? "", /swarmlab: SWARMLAB_MEMORY = "abc": must be a whole number from 512 to 65536 \(MB\)\. Fix: SWARMLAB_MEMORY=1024/);
  });

  it("libvirt without a built box: `vagrant up` says to run npm run box, and makes nothing", async () => {
    const res = await vagrant(["up", "swarm-worker1"], {
      VAGRANT_DEFAULT_PROVIDER: "libvirt",
      XDG_CACHE_HOME: path.join(project, ".empty-cache"),
    });
    assert.notEqual(res.exitCode, 0, res.all);
    assert.match(res.all ?? "", /swarmlab: the box swarmlab-debian13 is not built: run `npm run box` first/);
    assert.doesNotMatch(res.all ?? "", /Creating domain|Uploading base box/);
  });
});
