// The vagrant backend without any VM: what it hands Vagrant (environment, command line), what it asks libvirt to
// make (network XML), how it reads libvirt back (virsh output captured from a real lab, test/fixtures/vagrant/), the
// host guards of its bridges, and the settings that choose it.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { dhcpBridgeRules, ruleLine } from "../../lab/backends/host/firewall";
import { settleSpec } from "../../lab/backends";
import { diskName, domainName, labNetworkName, mgmtNetworkName, upstreamVeth } from "../../lab/backends/vagrant/names";
import { subnetOf } from "../../lab/backends/vagrant/network";
import { dotfilePath, hostKeyOf, takeUpLock, vagrantEnv, VagrantMachine, CODE_ROOT } from "../../lab/backends/vagrant/vagrant";
import {
  labelsText,
  netmaskOf,
  networkXml,
  parseDomainXml,
  parseLabels,
  parseNetworkXml,
  parseVolList,
  prefixOf,
} from "../../lab/backends/vagrant/virsh";
import { VM_DIAGNOSTICS } from "../../lab/backends/vagrant/logs";
import { ConfigError, labSpecFromConfig } from "../../lab/config";
import { isVm } from "../../lab/sessions";

const FIXTURES = path.join(__dirname, "..", "fixtures", "vagrant");
const fixture = (f: string) => readFileSync(path.join(FIXTURES, f), "utf8");

const MACHINE: VagrantMachine = {
  lab: "vmlab",
  owner: "vm.01652a3b",
  name: "swarm-worker1",
  role: "worker",
  address: "192.168.157.11",
  subnet: "192.168.157.0/24",
  mgmtSubnet: "192.168.158.0/24",
  authorizedKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBsZ swarmlab-vmlab\n",
  provider: "libvirt",
};

describe("vagrant backend: what Vagrant is given for one machine", () => {
  it("the environment describes that one machine to the Vagrantfile, in its own Vagrant folder under .swarmlab/<lab>/", () => {
    const env = vagrantEnv(MACHINE, "/p", { PATH: "/bin", HOME: "/root" });
    assert.equal(env.SWARMLAB_NODE, "swarm-worker1:worker:192.168.157.11");
    assert.equal(env.SWARMLAB_LAB, "vmlab");
    assert.equal(env.SWARMLAB_OWNER, "vm.01652a3b");
    assert.equal(env.SWARMLAB_AUTHORIZED_KEY, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBsZ swarmlab-vmlab");
    assert.equal(env.SWARMLAB_PRIVATE_KEY_FILE, "/p/.swarmlab/vmlab/id_ed25519", "Vagrant logs in with the lab's key once the machine has it");
    assert.equal(env.SWARMLAB_SUBNET, "192.168.157.0/24");
    assert.equal(env.SWARMLAB_LIBVIRT_MGMT_SUBNET, "192.168.158.0/24");
    assert.equal(env.VAGRANT_DOTFILE_PATH, "/p/.swarmlab/vmlab/vagrant/swarm-worker1");
    assert.equal(env.VAGRANT_DOTFILE_PATH, dotfilePath("/p", "vmlab", "swarm-worker1"));
    assert.equal(env.VAGRANT_CWD, CODE_ROOT);
    assert.equal(env.VAGRANT_DEFAULT_PROVIDER, "libvirt");
    assert.equal(env.VAGRANT_CHECKPOINT_DISABLE, "1");
    assert.equal(env.PATH, "/bin");
  });

  it("the caller's own SWARMLAB_* and Vagrant folder settings do not leak in (another machine count, another folder)", () => {
    const env = vagrantEnv(MACHINE, "/p", {
      SWARMLAB_WORKERS: "7",
      SWARMLAB_BOX: "x/y",
      VAGRANT_CWD: "/elsewhere",
      VAGRANT_DOTFILE_PATH: "/tmp/d",
      VAGRANT_HOME: "/vh",
    });
    assert.equal(env.SWARMLAB_WORKERS, undefined);
    assert.equal(env.SWARMLAB_BOX, undefined);
    assert.equal(env.VAGRANT_CWD, CODE_ROOT);
    assert.equal(env.VAGRANT_DOTFILE_PATH, "/p/.swarmlab/vmlab/vagrant/swarm-worker1");
    assert.equal(env.VAGRANT_HOME, "/vh", "Vagrant's home (its boxes) is the user's");
  });

  it("the machine's host key comes from its provisioner's line in vagrant up's output", () => {
    const transcript =
      "==> swarm-worker1: Running provisioner: swarmlab (shell)...\n    swarm-worker1: Running: /tmp/vagrant-shell\n    swarm-worker1: swarmlab-host-key ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFo+x/y=\n";
    assert.equal(hostKeyOf(transcript), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFo+x/y=");
    assert.equal(hostKeyOf("==> swarm-worker1: Machine booted and ready!\n"), undefined);
  });

  it("the host-wide vagrant up lock: a second taker waits until the first releases (or its holder dies)", async function () {
    this.timeout(10_000);
    const lock = path.join(mkdtempSync(path.join(os.tmpdir(), "swarmlab-lock-")), "up.lock");
    const release = await takeUpLock(lock);
    let second = false;
    const waiting = takeUpLock(lock).then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(second, false, "the second took the lock while the first held it");
    release();
    (await waiting)();
    assert.equal(second, true);
  });

  it("names: domains and disks prefixed by the lab, networks named by it, the upstream's veth a valid interface name", () => {
    assert.equal(domainName("vmlab", "swarm-manager"), "vmlab-swarm-manager");
    assert.equal(diskName("vmlab", "swarm-manager"), "vmlab-swarm-manager.img");
    assert.equal(labNetworkName("vmlab"), "vmlab-lab");
    assert.equal(mgmtNetworkName("vmlab"), "vmlab-mgmt");
    assert.match(upstreamVeth("a-lab-name-of-forty-characters-at-most-x"), /^swu[0-9a-f]{8}$/);
    assert.notEqual(upstreamVeth("lab-a"), upstreamVeth("lab-b"));
  });

  it("a VM's diagnostics: Docker's journal instead of /var/log/dockerd.log, root-only commands through sudo", () => {
    const byFile = Object.fromEntries(VM_DIAGNOSTICS);
    assert.match(byFile["dockerd.log"], /^sudo journalctl -u docker\.service/);
    assert.match(byFile["iptables.txt"], /^sudo iptables-save/);
    assert.match(byFile["docker-info.json"], /^sudo docker info/);
  });
});

describe("vagrant backend: libvirt as virsh shows it (fixtures from a real lab)", () => {
  it("a domain: its name, uuid, the lab's labels from its description, its disks", () => {
    const d = parseDomainXml(fixture("domain.xml"));
    assert.equal(d.name, "vmlab-swarm-manager");
    assert.equal(d.uuid, "ebc70f21-9e6c-4bf8-81ba-48199020c04f");
    assert.deepEqual(d.labels, {
      "swarmlab.lab": "vmlab",
      "swarmlab.owner": "vm.01652a3b",
      "swarmlab.node": "swarm-manager",
      "swarmlab.role": "manager",
    });
    assert.deepEqual(d.disks, [
      "/var/lib/libvirt/images/vmlab-swarm-manager.img",
      "/var/lib/libvirt/images/swarmlab-debian13_vagrant_box_image_0_1795796785_box.img",
    ]);
  });

  it("a domain not made by a lab has no labels (vagrant-libvirt's default description)", () => {
    const d = parseDomainXml(
      "<domain type='qemu'><name>other_default</name><uuid>u</uuid><description>Source: /home/x/Vagrantfile</description></domain>",
    );
    assert.deepEqual(d.labels, {});
  });

  it("the lab network: isolated (no forward), no DHCP, the host at the gateway, the lab's metadata", () => {
    const n = parseNetworkXml(fixture("network-lab.xml"));
    assert.deepEqual(n, {
      name: "vmlab-lab",
      bridge: "virbr1",
      address: "192.168.157.1",
      prefix: 24,
      dhcp: false,
      forward: undefined,
      labels: { "swarmlab.lab": "vmlab", "swarmlab.owner": "vm.01652a3b", "swarmlab.network": "lab" },
    });
    assert.equal(subnetOf(n), "192.168.157.0/24");
  });

  it("the management network: DHCP, isolated, the lab's metadata", () => {
    const n = parseNetworkXml(fixture("network-mgmt.xml"));
    assert.equal(n.dhcp, true);
    assert.equal(n.forward, undefined);
    assert.equal(n.labels["swarmlab.network"], "mgmt");
    assert.equal(subnetOf(n), "192.168.158.0/24");
  });

  it("a NAT network without metadata (libvirt's default) is nobody's lab and says it forwards", () => {
    const n = parseNetworkXml(
      "<network><name>default</name><forward mode='nat'/><bridge name='virbr0' stp='on' delay='0'/><ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip></network>",
    );
    assert.deepEqual(n.labels, {});
    assert.equal(n.forward, "nat");
    assert.equal(subnetOf(n), "192.168.122.0/24");
  });

  it("what network.ts defines reads back as the same network", () => {
    const xml = networkXml({
      name: "vmlab-mgmt",
      lab: "vmlab",
      owner: "vm.1",
      role: "mgmt",
      address: "192.168.158.1",
      prefix: 24,
      dhcp: { start: "192.168.158.2", end: "192.168.158.254" },
    });
    assert.doesNotMatch(xml, /<forward/, "a lab's network never forwards");
    assert.match(xml, /<dns enable="no"\/>/);
    const n = parseNetworkXml(xml);
    assert.deepEqual(n.labels, { "swarmlab.lab": "vmlab", "swarmlab.owner": "vm.1", "swarmlab.network": "mgmt" });
    assert.equal(n.dhcp, true);
    assert.equal(subnetOf(n), "192.168.158.0/24");
  });

  it("vol-list: the volumes' names (the box's copy and the machines' disks)", () => {
    assert.deepEqual(parseVolList(fixture("vol-list.txt")), ["swarmlab-debian13_vagrant_box_image_0_1795796785_box.img", "vmlab-swarm-manager.img"]);
  });

  it("labels text both ways; netmasks and prefixes", () => {
    const labels = { "swarmlab.lab": "a", "swarmlab.owner": "s.1" };
    assert.deepEqual(parseLabels(labelsText(labels)), labels);
    assert.deepEqual(parseLabels("Source: /x/Vagrantfile"), {});
    assert.equal(netmaskOf(24), "255.255.255.0");
    assert.equal(netmaskOf(26), "255.255.255.192");
    assert.equal(prefixOf("255.255.255.192"), 26);
  });
});

describe("vagrant backend: the host's guard of the management bridge", () => {
  it("replies and DHCP come in to the host, nothing else from the VMs does; the lab's comment marks every rule", () => {
    const TAG = "-m comment --comment swarmlab.lab=vmlab,swarmlab.owner=vm.1";
    assert.deepEqual(dhcpBridgeRules({ lab: "vmlab", owner: "vm.1" }, "virbr2").map(ruleLine), [
      `-A INPUT -i virbr2 -m conntrack --ctstate RELATED,ESTABLISHED ${TAG} -j ACCEPT`,
      `-A INPUT -i virbr2 -p udp -m udp --dport 67 ${TAG} -j ACCEPT`,
      `-A INPUT -i virbr2 ${TAG} -j DROP`,
    ]);
  });
});

describe("vagrant backend: settings", () => {
  const vm = (extra: Record<string, string> = {}) => labSpecFromConfig({ backend: "vagrant", name: "vmlab", subnet: "192.168.157.0/24", ...extra });

  it("backend vagrant is available; its provider is libvirt, virtualbox, or unset (the one installed)", () => {
    assert.deepEqual(vm().backendSettings, {}, "unset: settle decides, by what is installed");
    assert.deepEqual(vm({ vagrantProvider: "libvirt" }).backendSettings, { vagrantProvider: "libvirt" });
    assert.equal(settleSpec(vm({ vagrantProvider: "libvirt" })).backendSettings?.vagrantProvider, "libvirt");
    assert.equal(labSpecFromConfig({}).backendSettings, undefined, "a docker lab has no Vagrant provider");
    assert.throws(() => labSpecFromConfig({ vagrantProvider: "kvm" }), /vagrantProvider/, "checked whichever backend is chosen");
  });

  it("refused, naming the key and a fix: an unknown provider, virtualbox (not driven yet), egress internet, a subnet other than a /24", () => {
    assert.throws(
      () => vm({ vagrantProvider: "hyperv" }),
      (e: ConfigError) => e.key === "vagrantProvider" && /Fix: pulumi config set swarmlab:vagrantProvider libvirt/.test(e.message),
    );
    assert.throws(() => settleSpec(vm({ vagrantProvider: "virtualbox" })), /swarmlab:vagrantProvider = "virtualbox".*libvirt only/);
    assert.throws(
      () => vm({ egress: "internet" }),
      /swarmlab:egress = "internet": the vagrant backend's VMs sit on isolated libvirt networks only.*Fix: pulumi config set swarmlab:egress none/,
    );
    assert.throws(
      () => vm({ subnet: "192.168.157.0/25" }),
      /swarmlab:subnet = "192.168.157.0\/25".*a \/24.*Fix: pulumi config set swarmlab:subnet 192.168.157.0\/24/,
    );
  });
});

describe("vagrant backend: looking at a VM", () => {
  it("a VM is told from a container by its machine id (libvirt's UUID, not a container's 64 hex digits): it gets a longer SSH wait", () => {
    assert.equal(isVm({ machine: "ebc70f21-9e6c-4bf8-81ba-48199020c04f" }), true);
    assert.equal(isVm({ machine: "e69e8bdacac68f26335a4c1acd478a041b3cb7761754efc45bf5cbb7cda77935" }), false);
    assert.equal(isVm({ machine: "container-swarm-worker1" }), false);
  });
});

describe("SSH handshakes to one node are limited (an emulated VM's sshd drops the excess: MaxStartups)", () => {
  it("at most the limit at once; the rest wait their turn and all get one", async () => {
    const { handshakeSlot } = await import("../../lab/remote");
    let active = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 7 }, async () => {
        const release = await handshakeSlot("192.0.2.10:22", 2);
        active += 1;
        most = Math.max(most, active);
        await new Promise((r) => setTimeout(r, 5));
        active -= 1;
        release();
      }),
    );
    assert.equal(most, 2);
    assert.equal(active, 0);
  });
});

describe("the doctor on a lab of VMs", () => {
  it("this host's kernel lacking IPVS or ESP/GCM is a fact, not a warning: the VMs run their own kernel", async () => {
    const { forBackend } = await import("../../lab/doctor/checks");
    const warned = [
      {
        check: "IPVS",
        status: "warn" as const,
        says: "not in this kernel (CONFIG_IP_VS is not set in /proc/config.gz): service VIPs … will not work",
        fix: "x",
        lacking: "not in this kernel (CONFIG_IP_VS is not set in /proc/config.gz)",
      },
      { check: "VXLAN", status: "ok" as const, says: "built in" },
    ];
    const [ipvs, vxlan] = forBackend(warned, "vagrant");
    assert.equal(ipvs.status, "info");
    assert.match(
      ipvs.says,
      /^not in this kernel \(CONFIG_IP_VS is not set in \/proc\/config\.gz\) \(this host's kernel\); the lab's VMs run the box's own Debian kernel/,
    );
    assert.deepEqual(vxlan, warned[1]);
    assert.deepEqual(forBackend(warned, "docker"), warned);
  });
});
