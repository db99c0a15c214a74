// A lab of VMs on a machine where the VM tools are not (all) installed (issue 15: the doctor said "No blocker", then
// up failed with a raw "spawn virsh ENOENT"): the doctor's findings on fixture facts, what it reads through stub
// programs, and the backend's own calls of a program that is not there, each failing with one line and its fix.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { labSpecFromConfig } from "../../lab/config";
import { checkAll } from "../../lab/doctor/checks";
import type { DoctorFacts } from "../../lab/doctor/facts";
import { blocked, summary } from "../../lab/doctor/report";
import { BoxFacts, readVmHost, VmHostFacts, vmHostFindings } from "../../lab/backends/vagrant/doctor";
import { findProgram, MissingProgram, runProgram, VM_PROGRAMS } from "../../lab/backends/vagrant/programs";
import { vagrantUp, VagrantMachine } from "../../lab/backends/vagrant/vagrant";
import { libvirtAnswers, LIBVIRT_URI, virsh } from "../../lab/backends/vagrant/virsh";
import { writeExecutable } from "./stub-commands";

const HOME = "/home/student";
const FIX = "sudo bash scripts/vm-host.sh (installs QEMU, libvirt, Vagrant with vagrant-libvirt and dnsmasq, and starts libvirtd)";
const SYSTEM = "not on PATH, nor in /usr/sbin, /usr/bin, /sbin or /bin";
const MISSING = {
  vagrant:
    "vagrant is not installed (not on PATH; Debian package vagrant): the vagrant backend makes each VM with it (vagrant up of the Vagrantfile)",
  virsh:
    "virsh is not installed (not on PATH; Debian package libvirt-clients): the vagrant backend lists, starts and removes the lab's VMs, " +
    "disks and libvirt networks with it",
  qemu:
    `qemu-system-x86_64 is not installed (${SYSTEM}; Debian package qemu-system-x86): ` +
    "libvirtd runs the VMs in it (KVM where it can, else software emulation)",
  qemuImg: `qemu-img is not installed (${SYSTEM}; Debian package qemu-utils): vagrant-libvirt reads the box's disk image with it`,
  dnsmasq:
    `dnsmasq is not installed (${SYSTEM}; Debian package dnsmasq-base): ` + "libvirtd runs it for DHCP on Vagrant's management network to the VMs",
};

const NO_BOX: BoxFacts = {
  name: "swarmlab-debian13",
  registered: { path: `${HOME}/.vagrant.d/boxes/swarmlab-debian13`, present: false },
  cached: { path: `${HOME}/.cache/swarmlab/box/swarmlab-debian13.box`, present: false },
};

/** A fresh Debian machine: none of scripts/vm-host.sh's packages, only what every Debian has. */
const BARE: VmHostFacts = {
  found: {
    vagrant: undefined,
    virsh: undefined,
    "qemu-system-x86_64": undefined,
    "qemu-img": undefined,
    dnsmasq: undefined,
    flock: "/usr/bin/flock",
    ip: "/usr/bin/ip",
  },
  box: NO_BOX,
  home: HOME,
};

/** After sudo bash scripts/vm-host.sh and sudo npm run box, as root. */
const READY: VmHostFacts = {
  found: {
    vagrant: "/usr/bin/vagrant",
    virsh: "/usr/bin/virsh",
    "qemu-system-x86_64": "/usr/bin/qemu-system-x86_64",
    "qemu-img": "/usr/bin/qemu-img",
    dnsmasq: "/usr/sbin/dnsmasq",
    flock: "/usr/bin/flock",
    ip: "/usr/bin/ip",
  },
  vagrant: { version: "Vagrant 2.3.7" },
  plugins: { list: "vagrant-libvirt (0.11.2, system)" },
  libvirt: { uri: "qemu:///system", hypervisor: "QEMU 8.2.2" },
  box: { ...NO_BOX, registered: { ...NO_BOX.registered, present: true } },
  home: HOME,
};

describe("doctor: the VM host (labs of VMs)", () => {
  it("nothing of the VM host installed: a blocker for every tool, each with the command that installs it", () => {
    assert.deepEqual(vmHostFindings(BARE), [
      { check: "Vagrant", status: "blocker", says: MISSING.vagrant, fix: FIX },
      { check: "vagrant-libvirt", status: "blocker", says: "not installed: it is a plugin of Vagrant, which is missing (above)", fix: FIX },
      { check: "libvirt", status: "blocker", says: MISSING.virsh, fix: FIX },
      { check: "QEMU", status: "blocker", says: MISSING.qemu, fix: FIX },
      { check: "QEMU", status: "blocker", says: MISSING.qemuImg, fix: FIX },
      { check: "dnsmasq", status: "blocker", says: MISSING.dnsmasq, fix: FIX },
      {
        check: "box",
        status: "blocker",
        says:
          "swarmlab-debian13 is not built: neither registered with Vagrant (~/.vagrant.d/boxes/swarmlab-debian13) nor in scripts/box.sh's " +
          "cache (~/.cache/swarmlab/box/swarmlab-debian13.box), and vagrant up would refuse to start",
        fix: "sudo npm run box (scripts/box.sh builds it, after sudo bash scripts/vm-host.sh)",
      },
    ]);
  });

  it("everything installed, libvirtd answering, the box registered: ok, saying what was found where", () => {
    assert.deepEqual(vmHostFindings(READY), [
      { check: "Vagrant", status: "ok", says: "Vagrant 2.3.7 (/usr/bin/vagrant)" },
      { check: "vagrant-libvirt", status: "ok", says: "0.11.2 (system plugin): Vagrant can make libvirt machines" },
      { check: "libvirt", status: "ok", says: "libvirtd answers on qemu:///system: QEMU 8.2.2" },
      { check: "QEMU", status: "ok", says: "qemu-system-x86_64 (/usr/bin/qemu-system-x86_64), qemu-img (/usr/bin/qemu-img)" },
      { check: "dnsmasq", status: "ok", says: "/usr/sbin/dnsmasq: libvirtd's DHCP for Vagrant's management network" },
      { check: "box", status: "ok", says: "swarmlab-debian13 is registered with Vagrant (~/.vagrant.d/boxes/swarmlab-debian13)" },
    ]);
  });

  it("only some missing (qemu-img, dnsmasq, flock): one blocker each, the rest ok", () => {
    const found = { ...READY.found, "qemu-img": undefined, dnsmasq: undefined, flock: undefined };
    const findings = vmHostFindings({ ...READY, found });
    assert.deepEqual(
      findings.filter((f) => f.status === "blocker"),
      [
        { check: "QEMU", status: "blocker", says: MISSING.qemuImg, fix: FIX },
        { check: "dnsmasq", status: "blocker", says: MISSING.dnsmasq, fix: FIX },
        {
          check: "flock",
          status: "blocker",
          says: "flock is not installed (not on PATH; Debian package util-linux): the vagrant backend lets one vagrant up at a time copy the box with it",
          fix: "sudo apt-get install util-linux",
        },
      ],
    );
    assert.equal(findings.filter((f) => f.check === "QEMU").length, 1, "qemu-system-x86_64 alone is not called ok");
  });

  it("Vagrant without the vagrant-libvirt plugin, or whose plugins fail to load: a blocker", () => {
    const none = vmHostFindings({ ...READY, plugins: { list: "No plugins installed." } });
    assert.deepEqual(none[1], {
      check: "vagrant-libvirt",
      status: "blocker",
      says:
        "Vagrant has no vagrant-libvirt plugin (vagrant plugin list: No plugins installed.): " +
        "the lab's VMs are libvirt machines, which Vagrant makes through it",
      fix: FIX,
    });
    const early = "Vagrant failed to initialize at a very early stage: The plugins failed to initialize correctly.";
    const broken = vmHostFindings({ ...READY, plugins: { error: early } });
    assert.deepEqual(broken[1], {
      check: "vagrant-libvirt",
      status: "blocker",
      says: `not checked: vagrant plugin list failed (${early}), so vagrant up would too`,
      fix: "sudo apt-get install --reinstall vagrant vagrant-libvirt (a plugin installed with vagrant plugin install: vagrant plugin repair)",
    });
    const user = vmHostFindings({ ...READY, plugins: { list: "vagrant-libvirt (0.12.2, global)\n  - Version Constraint: > 0" } });
    assert.equal(user[1].says, "0.12.2 (global plugin): Vagrant can make libvirt machines");
  });

  it("a vagrant that does not run: a blocker with its error", () => {
    const [first] = vmHostFindings({ ...READY, vagrant: { error: "/usr/bin/vagrant: 3: exec: ruby: not found" }, plugins: undefined });
    assert.deepEqual(first, {
      check: "Vagrant",
      status: "blocker",
      says: "/usr/bin/vagrant does not run (vagrant --version: /usr/bin/vagrant: 3: exec: ruby: not found)",
      fix: "sudo apt-get install --reinstall vagrant vagrant-libvirt",
    });
  });

  it("libvirtd not running, or not letting this user in: a blocker with the fix for each", () => {
    const down = "failed to connect to the hypervisor; Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory";
    assert.deepEqual(vmHostFindings({ ...READY, libvirt: { uri: "qemu:///system", error: down } })[2], {
      check: "libvirt",
      status: "blocker",
      says: `libvirtd does not answer on qemu:///system (virsh version: ${down})`,
      fix: FIX,
    });
    const denied = "failed to connect to the hypervisor; Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied";
    assert.deepEqual(vmHostFindings({ ...READY, libvirt: { uri: "qemu:///system", error: denied } })[2], {
      check: "libvirt",
      status: "blocker",
      says: `libvirtd does not let this user in on qemu:///system (virsh version: ${denied})`,
      fix: 'sudo usermod -aG libvirt "$USER", then log in again (or run as root)',
    });
  });

  it("the box: built but not registered yet is fine; another box set in vagrant/settings.yml is not checked", () => {
    const cached = { ...NO_BOX, cached: { ...NO_BOX.cached, present: true } };
    assert.deepEqual(vmHostFindings({ ...READY, box: cached }).at(-1), {
      check: "box",
      status: "ok",
      says: "swarmlab-debian13 is built (~/.cache/swarmlab/box/swarmlab-debian13.box): the first vagrant up registers it",
    });
    assert.deepEqual(vmHostFindings({ ...READY, box: { ...NO_BOX, setting: "debian/trixie64" } }).at(-1), {
      check: "box",
      status: "info",
      says: "vagrant/settings.yml sets box debian/trixie64: the Vagrantfile uses that one (not checked)",
    });
  });

  it("facts not read for a lab of VMs: a warning, never silence", () => {
    assert.deepEqual(vmHostFindings(undefined), [
      { check: "VM host", status: "warn", says: "not read: Vagrant, libvirt and QEMU were not looked for", fix: "npm run doctor again" },
    ]);
  });

  describe("in the whole report", () => {
    const docker = labSpecFromConfig({});
    const vagrant = labSpecFromConfig({ backend: "vagrant", name: "vmlab", subnet: "192.168.157.0/24" });
    /** The rest of the machine is fine (an engine, no firewall read, a clean host) and does not matter here. */
    const facts = (vmHost?: VmHostFacts) =>
      ({
        engine: { endpoint: "unix:///var/run/docker.sock", dockerHost: false, error: { message: "not asked" } },
        kernel: { release: "6.1.0", modulesDir: true, sysModules: [], filesystems: "", crypto: "", ipvs: false },
        cgroupVersion: 2,
        firewall: { unreadable: "not asked" },
        backendHost: vmHost,
        pulumi: { wanted: "3.259.0", bin: "/p", binVersion: "v3.259.0" },
        node: { version: "v26.12.1", engines: "^26.0.0" },
        home: HOME,
      }) as DoctorFacts;
    const vmChecks = (spec: typeof docker, vmHost?: VmHostFacts) =>
      checkAll(facts(vmHost), { stack: "dev", source: "test", spec }).filter((f) =>
        ["Vagrant", "vagrant-libvirt", "libvirt", "QEMU", "dnsmasq", "box", "VM host"].includes(f.check),
      );

    it("swarmlab:backend vagrant on a machine without the VM tools: the doctor blocks up, naming each", () => {
      const found = checkAll(facts(BARE), { stack: "dev", source: "test", spec: vagrant });
      assert.equal(blocked(found), true);
      assert.deepEqual(
        vmChecks(vagrant, BARE).map((f) => `${f.status} ${f.check}`),
        ["blocker Vagrant", "blocker vagrant-libvirt", "blocker libvirt", "blocker QEMU", "blocker QEMU", "blocker dnsmasq", "blocker box"],
      );
      assert.doesNotMatch(summary(found), /^No blocker/);
      assert.deepEqual(
        vmChecks(vagrant, READY).filter((f) => f.status !== "ok"),
        [],
        "once vm-host.sh and npm run box ran",
      );
    });

    it("the docker backend needs none of them: not looked at", () => {
      assert.deepEqual(vmChecks(docker, BARE), []);
      assert.deepEqual(vmChecks(docker, undefined), []);
    });
  });
});

describe("doctor: reading the VM host (stub vagrant and virsh on PATH)", () => {
  it("vagrant's version and plugins, virsh's refusal, the box in Vagrant's home; what is not on PATH is not found", async function () {
    this.timeout(20_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-vmhost-"));
    const bin = path.join(dir, "bin");
    writeExecutable(
      path.join(bin, "vagrant"),
      '#!/bin/sh\ncase "$1" in\n  --version) echo "Vagrant 2.4.1" ;;\n' +
        '  plugin) echo "vagrant-libvirt (0.11.2, system)" ;;\n  *) exit 1 ;;\nesac\n',
    );
    writeExecutable(
      path.join(bin, "virsh"),
      "#!/bin/sh\necho 'error: failed to connect to the hypervisor' >&2\n" +
        "echo \"error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied\" >&2\nexit 1\n",
    );
    mkdirSync(path.join(dir, "vagrant.d", "boxes", "swarmlab-debian13"), { recursive: true });
    const facts = await readVmHost({ PATH: bin, VAGRANT_HOME: path.join(dir, "vagrant.d"), XDG_CACHE_HOME: path.join(dir, "cache") });
    assert.equal(facts.found.vagrant, path.join(bin, "vagrant"));
    assert.equal(facts.found.virsh, path.join(bin, "virsh"));
    assert.equal(facts.found.flock, undefined, "only PATH is searched for what the backend runs");
    assert.deepEqual(facts.vagrant, { version: "Vagrant 2.4.1", error: undefined });
    assert.deepEqual(facts.plugins, { list: "vagrant-libvirt (0.11.2, system)", error: undefined });
    assert.deepEqual(facts.libvirt, {
      uri: LIBVIRT_URI,
      hypervisor: undefined,
      error: "failed to connect to the hypervisor; Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied",
    });
    assert.equal(facts.box.registered.present, true);
    assert.equal(facts.box.cached.present, false);
    const libvirt = vmHostFindings(facts).find((f) => f.check === "libvirt");
    assert.equal(libvirt?.fix, 'sudo usermod -aG libvirt "$USER", then log in again (or run as root)');
  });

  it("a program is found only where it is executable", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-which-"));
    writeExecutable(path.join(dir, "virsh"), "#!/bin/sh\n");
    writeFileSync(path.join(dir, "vagrant"), "not executable");
    assert.equal(findProgram({ name: "virsh", lookIn: "path" }, dir), path.join(dir, "virsh"));
    assert.equal(findProgram({ name: "vagrant", lookIn: "path" }, dir), undefined);
  });
});

describe("vagrant backend: a program that is not installed fails the call in one line, with the fix", () => {
  const EMPTY = mkdtempSync(path.join(os.tmpdir(), "swarmlab-nopath-"));
  const withPath = async <T>(dir: string, fn: () => Promise<T>): Promise<T> => {
    const saved = process.env.PATH;
    process.env.PATH = dir;
    try {
      return await fn();
    } finally {
      process.env.PATH = saved;
    }
  };

  it("every program the backend or libvirt runs has a package, a reason and a fix", () => {
    assert.deepEqual(
      VM_PROGRAMS.map((p) => p.name),
      ["vagrant", "virsh", "qemu-system-x86_64", "qemu-img", "dnsmasq", "flock", "ip"],
    );
    for (const p of VM_PROGRAMS) assert.equal(new MissingProgram(p).message.split("\n").length, 1, p.name);
  });

  it("virsh (rejecting or not): MissingProgram, not spawn's ENOENT; libvirtAnswers says no", async () => {
    const message = `${MISSING.virsh}. Fix: ${FIX}`;
    await withPath(EMPTY, async () => {
      await assert.rejects(virsh(["list", "--all", "--name"]), (e: Error) => e instanceof MissingProgram && e.message === message);
      await assert.rejects(virsh(["version"], false), (e: Error) => e instanceof MissingProgram && e.message === message);
      assert.equal(await libvirtAnswers(), false);
    });
  });

  it("vagrant up of a node: refused before its Vagrant folder is replaced or the host-wide lock taken", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "swarmlab-root-"));
    const machine: VagrantMachine = {
      lab: "vmlab",
      owner: "vm.1",
      name: "swarm-worker1",
      role: "worker",
      address: "192.168.157.11",
      subnet: "192.168.157.0/24",
      mgmtSubnet: "192.168.158.0/24",
      authorizedKey: "ssh-ed25519 AAAA",
      provider: "libvirt",
    };
    const lines: string[] = [];
    await withPath(EMPTY, () =>
      assert.rejects(
        vagrantUp(machine, root, (l) => lines.push(l), true),
        {
          name: "MissingProgram",
          message: `${MISSING.vagrant}. Fix: ${FIX}`,
        },
      ),
    );
    assert.equal(existsSync(path.join(root, ".swarmlab")), false, "nothing was made");
    assert.deepEqual(lines, []);
  });

  it("a program that is there runs as with execa; its own failures stay its own", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-stub-"));
    writeExecutable(path.join(dir, "virsh"), "#!/bin/sh\necho \"$@\"\necho 'error: no domain' >&2\nexit 3\n");
    const r = await runProgram("virsh", ["-q", "list"], { reject: false, env: { PATH: dir }, extendEnv: false });
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout, "-q list");
    await assert.rejects(
      runProgram("virsh", ["x"], { env: { PATH: dir }, extendEnv: false }),
      (e: Error) => !(e instanceof MissingProgram) && /no domain/.test(e.message),
    );
  });
});
