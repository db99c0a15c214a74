// npm run doctor: every check's verdicts on fixture facts (kernel configs, /proc excerpts, iptables output, routes,
// engines, names), the report and its exit status, and the settings it reads from Pulumi.<stack>.yaml. No Docker,
// no /proc of this machine: lab/doctor/checks.ts and kernel.ts are pure.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { labSpecFromConfig, lineOf } from "../../lab/config";
import {
  cgroupFinding,
  checkAll,
  DoctorTarget,
  engineFinding,
  firewallFinding,
  forwardPolicy,
  freeLabName,
  imageFinding,
  labsFinding,
  nameFindings,
  nodeFinding,
  pulumiFinding,
  settingsFindings,
  subnetFinding,
} from "../../lab/doctor/checks";
import type { DoctorFacts, EngineFacts, KernelFacts, NamedObject } from "../../lab/doctor/facts";
import type { Finding } from "../../lab/doctor/finding";
import { groupsOf, kvmFinding } from "../../lab/doctor/kvm";
import { cryptoNames, filesystemNames, kernelFindings, parseKernelConfig } from "../../lab/doctor/kernel";
import { blocked, formatReport, summary } from "../../lab/doctor/report";
import { routesFromIpJson } from "../../lab/host-facts";
import { recordedOwner, stackTarget } from "../../scripts/doctor";
import { CLEAN_HOST, hostWith, labNetwork } from "./host-fixtures";

const FIXTURES = path.join(__dirname, "..", "fixtures", "doctor");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");

const HOME = "/home/student";
const SPEC = labSpecFromConfig({});
const TARGET: DoctorTarget = { stack: "dev", source: "no Pulumi.dev.yaml yet: the defaults of lab/config.ts", spec: SPEC };

/** Our development and CI machines: everything built in, no modules, no IPVS, no ESP/GCM. */
const FIRECRACKER: KernelFacts = {
  release: "6.18.44-fc-v782",
  config: { source: "/proc/config.gz", text: fixture("kernel-config-firecracker.txt") },
  modulesDir: false,
  sysModules: ["bridge", "ip_set", "nf_conntrack", "overlay", "vxlan"],
  filesystems: fixture("proc-filesystems.txt"),
  crypto: fixture("proc-crypto-firecracker.txt"),
  ipvs: false,
  bridgeNfCallIptables: "1",
};

/** Debian's cloud kernel, freshly booted: what the lab uses is built as modules, none loaded yet. */
const DEBIAN: KernelFacts = {
  release: "6.1.0-28-cloud-amd64",
  config: { source: "/boot/config-6.1.0-28-cloud-amd64", text: fixture("kernel-config-debian.txt") },
  modulesDir: true,
  sysModules: [],
  filesystems: "nodev\tsysfs\nnodev\tproc\n\text4\n",
  crypto: fixture("proc-crypto-firecracker.txt"),
  ipvs: false,
  bridgeNfCallIptables: undefined,
};

const ENGINE: EngineFacts = {
  endpoint: "unix:///var/run/docker.sock",
  dockerHost: false,
  answer: { version: "20.10.24+dfsg1", api: "1.41", os: "linux", arch: "amd64", kernel: "6.18.44-fc-v782", storageDriver: "overlay2" },
};

const DOCKER_DEFAULT_NETWORKS: NamedObject[] = ["bridge", "host", "none"].map((name) => ({ kind: "network", name, labels: {} }));

/** A machine like ours with no lab on it: what the doctor reads there, with some of it replaced. */
function facts(over: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    engine: ENGINE,
    kernel: FIRECRACKER,
    cgroupVersion: 1,
    firewall: { forwardRules: fixture("iptables-forward-docker.txt"), dockerUser: true },
    host: CLEAN_HOST,
    objects: DOCKER_DEFAULT_NETWORKS,
    labs: [],
    pulumi: { wanted: "3.259.0", bin: `${HOME}/.pulumi/versions/3.259.0/bin/pulumi`, binVersion: "v3.259.0" },
    node: { version: "v26.12.1", engines: "^22.9.0 || ^24.0.0 || ^26.0.0", chosenBy: `${HOME}/.cache/swarmlab/node-26.12.1/bin/node` },
    home: HOME,
    ...over,
  };
}

const byCheck = (findings: Finding[], check: string) => {
  const found = findings.find((f) => f.check === check);
  assert.ok(found, `no finding for ${check}: ${JSON.stringify(findings)}`);
  return found;
};

const USES = {
  VXLAN: "Swarm's overlay networks (mynet, ingress) are VXLAN tunnels between the nodes",
  bridge: "the lab network and the nodes' own Docker networks (docker0, docker_gwbridge) are Linux bridges",
  netfilter: "iptables sees the traffic inside bridges, so Docker's rules for its networks (isolation, Swarm's ingress) apply to it",
  overlay: "the Docker engines (this machine's and the nodes') store images and containers with the overlay2 driver",
  IPVS: "service VIPs and the ingress routing mesh (a published port answering on every node) are IPVS load balancers",
  ESP: "encrypted overlays (docker network create --opt encrypted) are IPsec ESP tunnels with AES-GCM",
};
const IN_VMS =
  "run the nodes as VMs with their own kernel (pulumi config set swarmlab:backend vagrant, after bash scripts/vm-host.sh and npm run box)";
const SHARED = "the lab's machines are containers and share this machine's kernel";

/** The kernel's findings as the report words them (what a feature lacks, kept as data too, is checked on its own). */
const said = (...a: Parameters<typeof kernelFindings>) => kernelFindings(...a).map(({ lacking: _, ...f }) => f);

describe("doctor", () => {
  describe("kernel", () => {
    it("reads a kernel config: built in, module, not set, values", () => {
      const ours = parseKernelConfig(fixture("kernel-config-firecracker.txt"));
      assert.equal(ours.get("VXLAN"), "y");
      assert.equal(ours.get("IP_VS"), "n");
      assert.equal(ours.get("MODULES"), "n");
      assert.equal(ours.get("LOCALVERSION"), '"-fc-v782"');
      assert.equal(ours.get("NO_SUCH_OPTION"), undefined);
      assert.equal(parseKernelConfig(fixture("kernel-config-debian.txt")).get("IP_VS"), "m");
    });

    it("reads /proc/crypto and /proc/filesystems", () => {
      assert.deepEqual(cryptoNames(fixture("proc-crypto-gcm.txt")), [
        "rfc4106(gcm(aes))",
        "rfc4106(gcm_base(ctr(aes-aesni),ghash-generic))",
        "gcm(aes)",
        "gcm_base(ctr(aes-aesni),ghash-generic)",
        "aes",
        "aes-aesni",
      ]);
      assert.ok(!cryptoNames(fixture("proc-crypto-firecracker.txt")).includes("gcm(aes)"));
      const fs = filesystemNames(fixture("proc-filesystems.txt"));
      for (const name of ["sysfs", "ext4", "overlay", "cgroup2"]) assert.ok(fs.includes(name), name);
    });

    it("what a missing feature lacks is kept as data, for a backend with its own kernel to restate (never parsed back)", () => {
      const found = kernelFindings(FIRECRACKER);
      assert.deepEqual(
        found.filter((f) => f.lacking).map((f) => [f.check, f.lacking]),
        [
          ["IPVS", "not in this kernel (CONFIG_IP_VS is not set in /proc/config.gz)"],
          ["ESP/GCM", "not in this kernel (CONFIG_INET_ESP is not set, CONFIG_CRYPTO_GCM is not set in /proc/config.gz)"],
        ],
      );
    });

    it("our machines: what the lab needs is built in; IPVS and ESP/GCM are missing, with what that costs", () => {
      assert.deepEqual(said(FIRECRACKER, "6.18.44-fc-v782"), [
        { check: "kernel", status: "info", says: "Linux 6.18.44-fc-v782, options read from /proc/config.gz" },
        { check: "VXLAN", status: "ok", says: `present (CONFIG_VXLAN=y): ${USES.VXLAN}` },
        { check: "bridge", status: "ok", says: `present (CONFIG_BRIDGE=y): ${USES.bridge}` },
        { check: "bridge netfilter", status: "ok", says: `present (CONFIG_BRIDGE_NETFILTER=y): ${USES.netfilter}` },
        { check: "overlay filesystem", status: "ok", says: `present (CONFIG_OVERLAY_FS=y): ${USES.overlay}` },
        {
          check: "IPVS",
          status: "warn",
          says:
            "not in this kernel (CONFIG_IP_VS is not set in /proc/config.gz): service VIPs and the ingress routing mesh will not work; " +
            "tasks, mynet and pings between tasks still do",
          fix: `boot a kernel built with CONFIG_IP_VS (=y or =m, as distribution kernels are: Debian's linux-image-amd64), or ${IN_VMS}: ${SHARED}`,
        },
        {
          check: "ESP/GCM",
          status: "warn",
          says:
            "not in this kernel (CONFIG_INET_ESP is not set, CONFIG_CRYPTO_GCM is not set in /proc/config.gz): encrypted overlays " +
            "(docker network create --opt encrypted) cannot work on container nodes; the lab's mynet is not encrypted and works",
          fix:
            "boot a kernel built with CONFIG_INET_ESP and CONFIG_CRYPTO_GCM (=y or =m, as distribution kernels are: Debian's linux-image-amd64), " +
            `or ${IN_VMS}: ${SHARED}`,
        },
      ]);
    });

    it("Debian's kernel: every feature is a module that loads when needed", () => {
      const found = said(DEBIAN);
      assert.deepEqual(found[0], {
        check: "kernel",
        status: "info",
        says: "Linux 6.1.0-28-cloud-amd64, options read from /boot/config-6.1.0-28-cloud-amd64",
      });
      assert.deepEqual(
        found.slice(1).map((f) => [f.check, f.status]),
        ["VXLAN", "bridge", "bridge netfilter", "overlay filesystem", "IPVS", "ESP/GCM"].map((c) => [c, "ok"]),
      );
      assert.equal(byCheck(found, "IPVS").says, `present (CONFIG_IP_VS=m, loaded when needed): ${USES.IPVS}`);
      assert.equal(
        byCheck(found, "ESP/GCM").says,
        `present (CONFIG_INET_ESP=m, loaded when needed; CONFIG_CRYPTO_GCM=m, loaded when needed): ${USES.ESP}`,
      );
    });

    it("what is loaded counts as present: ip_vs, esp4, and gcm(aes) in /proc/crypto", () => {
      const loaded = { ...DEBIAN, ipvs: true, sysModules: ["esp4", "vxlan"], crypto: fixture("proc-crypto-gcm.txt") };
      const found = said(loaded);
      assert.equal(byCheck(found, "IPVS").says, `present (ip_vs loaded): ${USES.IPVS}`);
      assert.equal(byCheck(found, "ESP/GCM").says, `present (esp4 loaded; gcm loaded): ${USES.ESP}`);
      assert.equal(byCheck(found, "VXLAN").says, `present (vxlan loaded): ${USES.VXLAN}`);
    });

    it("a module with no /lib/modules to load it from: a blocker for what the lab needs, a warning for the rest", () => {
      const found = said({ ...DEBIAN, modulesDir: false });
      assert.deepEqual(byCheck(found, "VXLAN"), {
        check: "VXLAN",
        status: "blocker",
        says:
          "built as a module (CONFIG_VXLAN=m) that is not loaded, and there is no /lib/modules/6.1.0-28-cloud-amd64 to load it from: " +
          "Swarm cannot make its overlay networks (mynet, ingress): they are VXLAN tunnels between the nodes",
        fix: "install the running kernel's modules into /lib/modules/6.1.0-28-cloud-amd64 (Debian: apt-get install linux-image-6.1.0-28-cloud-amd64), then modprobe vxlan",
      });
      assert.equal(byCheck(found, "IPVS").status, "warn");
      assert.equal(byCheck(found, "ESP/GCM").fix?.endsWith("then modprobe esp4 gcm"), true);
    });

    it("a kernel without VXLAN or bridge netfilter is a blocker (without overlayfs, a warning), with the kernel to boot instead", () => {
      const text = fixture("kernel-config-firecracker.txt")
        .replace("CONFIG_VXLAN=y", "# CONFIG_VXLAN is not set")
        .replace("CONFIG_BRIDGE_NETFILTER=y", "# CONFIG_BRIDGE_NETFILTER is not set")
        .replace("CONFIG_OVERLAY_FS=y\n", ""); // an option Kconfig could not offer is not even listed
      const kernel: KernelFacts = {
        ...FIRECRACKER,
        config: { source: "/proc/config.gz", text },
        sysModules: ["bridge"],
        filesystems: "nodev\tsysfs\n\text4\n",
        bridgeNfCallIptables: undefined,
      };
      const found = said(kernel);
      assert.deepEqual(byCheck(found, "VXLAN"), {
        check: "VXLAN",
        status: "blocker",
        says:
          "not in this kernel (CONFIG_VXLAN is not set in /proc/config.gz): Swarm cannot make its overlay networks (mynet, ingress): " +
          "they are VXLAN tunnels between the nodes",
        fix: `boot a kernel built with CONFIG_VXLAN (=y or =m, as distribution kernels are: Debian's linux-image-amd64): ${SHARED}`,
      });
      assert.deepEqual(byCheck(found, "bridge netfilter"), {
        check: "bridge netfilter",
        status: "blocker",
        says:
          "not in this kernel (CONFIG_BRIDGE_NETFILTER is not set in /proc/config.gz): iptables does not see the traffic inside bridges, " +
          "so Docker's rules for its networks (isolation, Swarm's ingress) do not apply to it",
        fix: `boot a kernel built with CONFIG_BRIDGE_NETFILTER (=y or =m, as distribution kernels are: Debian's linux-image-amd64): ${SHARED}`,
      });
      assert.equal(
        byCheck(found, "overlay filesystem").says,
        "not in this kernel (CONFIG_OVERLAY_FS is not set in /proc/config.gz): the Docker engines (this machine's and the nodes') have no " +
          "overlay2 storage driver and fall back to vfs, which copies every image layer in full",
      );
      assert.equal(byCheck(found, "overlay filesystem").status, "warn", "vfs is slow, but the lab works");
      assert.equal(byCheck(found, "bridge").status, "ok");
      assert.equal(blocked(found), true);
    });

    it("without a kernel config, what is loaded decides, and what is not is a question with a way to answer it", () => {
      const found = said({ ...FIRECRACKER, config: undefined });
      assert.equal(
        byCheck(found, "kernel").says,
        "Linux 6.18.44-fc-v782, no kernel config to read (/proc/config.gz, /boot/config-6.18.44-fc-v782): judged by what is loaded",
      );
      assert.equal(byCheck(found, "VXLAN").says, `present (vxlan loaded): ${USES.VXLAN}`);
      assert.equal(byCheck(found, "bridge netfilter").says, `present (br_netfilter loaded): ${USES.netfilter}`);
      assert.equal(byCheck(found, "overlay filesystem").says, `present (overlay loaded): ${USES.overlay}`);
      assert.deepEqual(byCheck(found, "IPVS"), {
        check: "IPVS",
        status: "warn",
        says:
          "cannot tell whether this kernel has it (no kernel config to read, and ip_vs not loaded); without it service VIPs and the " +
          "ingress routing mesh will not work; tasks, mynet and pings between tasks still do",
        fix: "modprobe ip_vs, then npm run doctor again (if modprobe fails, this kernel has none)",
      });
      assert.equal(byCheck(found, "ESP/GCM").fix, "modprobe esp4 gcm, then npm run doctor again (if modprobe fails, this kernel has none)");
      const unknownVxlan = byCheck(said({ ...FIRECRACKER, config: undefined, sysModules: [] }), "VXLAN");
      assert.equal(unknownVxlan.status, "warn", "a needed feature that cannot be told is a warning, not a blocker");
    });

    it("says so when the Docker engine runs on another kernel", () => {
      assert.equal(
        said(FIRECRACKER, "5.15.153.1-microsoft-standard-WSL2")[0].says,
        "Linux 6.18.44-fc-v782, options read from /proc/config.gz; the Docker engine runs on another kernel (5.15.153.1-microsoft-standard-WSL2), " +
          "and these checks read this machine's: run npm run doctor where the engine runs",
      );
    });
  });

  describe("Docker engine", () => {
    const DOWN =
      "no Docker engine answers at unix:///var/run/docker.sock (connect ENOENT /var/run/docker.sock): the lab's machines are containers of that engine";

    it("an engine that answers: its version, API, platform and storage driver", () => {
      assert.deepEqual(engineFinding(ENGINE), {
        check: "Docker engine",
        status: "ok",
        says: "Docker 20.10.24+dfsg1 (API 1.41) answers at unix:///var/run/docker.sock: linux/amd64, storage driver overlay2",
      });
    });

    it("no engine: a blocker, and the script that starts one", () => {
      const down: EngineFacts = {
        endpoint: "unix:///var/run/docker.sock",
        dockerHost: false,
        error: { message: "connect ENOENT /var/run/docker.sock", code: "ENOENT" },
      };
      assert.deepEqual(engineFinding(down), {
        check: "Docker engine",
        status: "blocker",
        says: DOWN,
        fix: "bash scripts/docker-engine.sh (it starts dockerd, installing Debian's docker.io first if needed; npm run up runs it too)",
      });
    });

    it("an engine this user may not use, and one DOCKER_HOST names", () => {
      const denied: EngineFacts = {
        endpoint: "unix:///var/run/docker.sock",
        dockerHost: false,
        error: { message: "connect EACCES /var/run/docker.sock", code: "EACCES" },
      };
      assert.equal(engineFinding(denied).fix, 'let this user use the engine: sudo usermod -aG docker "$USER", then log in again (or run as root)');
      const remote: EngineFacts = {
        endpoint: "tcp://10.1.2.3:2375",
        dockerHost: true,
        error: { message: "connect ECONNREFUSED 10.1.2.3:2375", code: "ECONNREFUSED" },
      };
      assert.deepEqual(engineFinding(remote), {
        check: "Docker engine",
        status: "blocker",
        says: "no Docker engine answers at tcp://10.1.2.3:2375 (connect ECONNREFUSED 10.1.2.3:2375): the lab's machines are containers of that engine",
        fix: "start the engine at tcp://10.1.2.3:2375, or unset DOCKER_HOST to use this machine's (bash scripts/docker-engine.sh starts it)",
      });
    });
  });

  describe("cgroup", () => {
    const where = "each node gets a cgroup namespace of its own, where its Docker engine makes its tasks' cgroups";
    it("says which version, as information", () => {
      assert.deepEqual(cgroupFinding(1), { check: "cgroup", status: "info", says: `v1 (one hierarchy per controller): ${where}` });
      assert.deepEqual(cgroupFinding(2), {
        check: "cgroup",
        status: "info",
        says: `v2 (one unified hierarchy): ${where}; the lab is measured on cgroup v1 machines`,
      });
      assert.equal(cgroupFinding(undefined).says, "no /sys/fs/cgroup on this machine: the nodes' Docker engines need it to run their tasks");
    });
  });

  describe("host firewall", () => {
    it("reads the FORWARD policy from iptables -S", () => {
      assert.equal(forwardPolicy(fixture("iptables-forward-docker.txt")), "DROP");
      assert.equal(forwardPolicy(fixture("iptables-forward-accept.txt")), "ACCEPT");
      assert.equal(forwardPolicy(""), undefined);
    });

    it("DROP as a running dockerd sets it, with DOCKER-USER: fine", () => {
      assert.deepEqual(firewallFinding({ forwardRules: fixture("iptables-forward-docker.txt"), dockerUser: true }, "1", "192.168.56.0/24"), {
        check: "host firewall",
        status: "ok",
        says:
          "FORWARD policy DROP with Docker's chain DOCKER-USER: Docker lets the traffic of its networks through, the lab's included, " +
          "and the lab's egress rule goes into DOCKER-USER",
      });
    });

    it("ACCEPT: fine", () => {
      assert.deepEqual(firewallFinding({ forwardRules: fixture("iptables-forward-accept.txt"), dockerUser: false }, "1"), {
        check: "host firewall",
        status: "ok",
        says: "FORWARD policy ACCEPT: nothing drops the traffic between the lab's machines",
      });
    });

    it("DROP without DOCKER-USER while bridged traffic goes through iptables: a warning, with the rule that lets the lab through", () => {
      assert.deepEqual(firewallFinding({ forwardRules: fixture("iptables-forward-drop.txt"), dockerUser: false }, "1", "192.168.56.0/24"), {
        check: "host firewall",
        status: "warn",
        says:
          "FORWARD policy DROP, and bridged traffic goes through iptables (bridge-nf-call-iptables=1), but Docker's chain DOCKER-USER is missing: " +
          'Docker does not manage this firewall ("iptables": false in /etc/docker/daemon.json, or a firewall reload removed its chains), ' +
          "so the traffic between the lab's machines may be dropped",
        fix:
          'restart dockerd so that it puts its chains back (remove "iptables": false from /etc/docker/daemon.json first, if it is there), ' +
          "or let the lab's traffic through: iptables -I FORWARD -s 192.168.56.0/24 -d 192.168.56.0/24 -j ACCEPT",
      });
    });

    it("DROP without DOCKER-USER, but bridged traffic skips iptables: fine", () => {
      assert.deepEqual(firewallFinding({ forwardRules: fixture("iptables-forward-drop.txt"), dockerUser: false }, "0"), {
        check: "host firewall",
        status: "ok",
        says: "FORWARD policy DROP, but bridged traffic skips iptables (bridge-nf-call-iptables=0): the lab's machines reach each other",
      });
    });

    it("unreadable (not root): information, with what up then leaves out", () => {
      assert.deepEqual(firewallFinding({ unreadable: "iptables needs root or passwordless sudo" }, "1"), {
        check: "host firewall",
        status: "info",
        says:
          "not read (iptables needs root or passwordless sudo); run npm run doctor as root to check it. Without iptables, up adds no firewall " +
          "rules for the lab: it still has no route off this machine, but its nodes can reach this host",
      });
    });
  });

  describe("subnet", () => {
    it("clear of everything on a clean machine", () => {
      assert.deepEqual(subnetFinding(SPEC, facts(), "dev"), {
        check: "subnet",
        status: "ok",
        says: "192.168.56.0/24 overlaps no route, address, Docker network, address pool or other lab of this machine",
      });
    });

    it("a host route on the subnet (VirtualBox's host-only network): a blocker naming the route, and a free subnet", () => {
      const host = hostWith({
        routes: routesFromIpJson(fixture("ip-route-vboxnet.json")),
        addAddresses: [{ dev: "vboxnet0", address: "192.168.56.1", prefix: 24 }],
      });
      assert.deepEqual(subnetFinding(SPEC, facts({ host }), "dev"), {
        check: "subnet",
        status: "blocker",
        says:
          'swarmlab:subnet = "192.168.56.0/24": overlaps the host\'s route 192.168.56.0/24 dev vboxnet0: the lab network would hide it on ' +
          "this host, and the lab's egress rule drops what is forwarded to it",
        fix: "pulumi config set swarmlab:subnet 192.168.57.0/24",
      });
    });

    it("another stack's lab on the subnet: a blocker naming that lab and stack", () => {
      const host = hostWith({ addNetworks: [labNetwork("other", "192.168.56.0/24", "ci.0badcafe")] });
      assert.deepEqual(subnetFinding(SPEC, facts({ host }), "dev"), {
        check: "subnet",
        status: "blocker",
        says: 'swarmlab:subnet = "192.168.56.0/24": this subnet is used by lab other of stack ci (network other-net, 192.168.56.0/24, owner ci.0badcafe)',
        fix: "pulumi config set swarmlab:subnet 192.168.57.0/24",
      });
    });

    it("this stack's own running lab (by the owner id its state records) is not a collision", () => {
      const host = hostWith({ addNetworks: [labNetwork("swarmlab", "192.168.56.0/24", "dev.1a2b3c4d")] });
      assert.equal(subnetFinding(SPEC, facts({ host }), "dev", "dev.1a2b3c4d").status, "ok");
    });

    it("a lab of the same name and stack name but another owner (another checkout's stack dev): a blocker", () => {
      const host = hostWith({ addNetworks: [labNetwork("swarmlab", "192.168.56.0/24", "dev.1a2b3c4d")] });
      const says =
        'swarmlab:subnet = "192.168.56.0/24": this subnet is used by lab swarmlab of stack dev (network swarmlab-net, 192.168.56.0/24, owner dev.1a2b3c4d)';
      for (const owner of [undefined, "dev.99999999"]) {
        assert.deepEqual(subnetFinding(SPEC, facts({ host }), "dev", owner), {
          check: "subnet",
          status: "blocker",
          says,
          fix: "pulumi config set swarmlab:subnet 192.168.57.0/24",
        });
      }
    });

    it("host facts that could not be read: a warning that says why", () => {
      const hostError = "cannot read this host's routes to check swarmlab:subnet against them (no ip, and EACCES): install iproute2 and run again";
      assert.deepEqual(subnetFinding(SPEC, facts({ host: undefined, hostError }), "dev"), {
        check: "subnet",
        status: "warn",
        says: `192.168.56.0/24 not checked: ${hostError}`,
        fix: "the step the message names, then npm run doctor again",
      });
    });
  });

  describe("names", () => {
    const OURS = { "swarmlab.lab": "swarmlab", "swarmlab.owner": "dev.1a2b3c4d" };
    const RENAME = "pulumi config set swarmlab:name swarmlab-2 -s dev";

    it("free names", () => {
      assert.deepEqual(nameFindings(SPEC, TARGET, DOCKER_DEFAULT_NETWORKS, []), [
        {
          check: "names",
          status: "ok",
          says: "free: no container, network or volume uses the lab's names (swarmlab-net, swarmlab-<node>, swarmlab-<node>-docker)",
        },
      ]);
    });

    it("this stack's lab already up: fine (by the owner id its state records, never by the stack's name alone)", () => {
      const objects: NamedObject[] = [
        ...DOCKER_DEFAULT_NETWORKS,
        { kind: "network", name: "swarmlab-net", labels: OURS },
        { kind: "container", name: "swarmlab-upstream", labels: OURS },
      ];
      const labs = [{ name: "swarmlab", owners: ["dev.1a2b3c4d"], subnets: ["192.168.56.0/24"] }];
      const expected = [
        {
          check: "names",
          status: "ok",
          says: "lab swarmlab is already here, made by stack dev (owner dev.1a2b3c4d): up keeps what is whole and makes the rest again",
        },
      ];
      assert.deepEqual(nameFindings(SPEC, { ...TARGET, owner: "dev.1a2b3c4d" }, objects, labs), expected);
      // A stack dev that records no lab (another user's clone, a fresh checkout): the running lab is another's.
      assert.equal(nameFindings(SPEC, TARGET, objects, labs)[0].status, "blocker");
    });

    it("a lab of this name owned by another stack: a blocker, with a free name, never a command that removes that lab", () => {
      const labs = [{ name: "swarmlab", owners: ["ci.0badcafe"], subnets: ["192.168.56.0/24"] }];
      const objects: NamedObject[] = [
        { kind: "network", name: "swarmlab-net", labels: { "swarmlab.lab": "swarmlab", "swarmlab.owner": "ci.0badcafe" } },
      ];
      assert.deepEqual(nameFindings(SPEC, TARGET, objects, labs), [
        {
          check: "names",
          status: "blocker",
          says: "lab swarmlab on this machine belongs to stack ci (owner ci.0badcafe): up of stack dev would be refused before it makes anything",
          fix: `${RENAME} (if that lab is yours and its state is lost, npm run clean swarmlab removes it)`,
        },
      ]);
    });

    it("a lab of this stack that its state does not know (a lost state): only clean removes it", () => {
      const labs = [{ name: "swarmlab", owners: ["dev.1a2b3c4d"], subnets: ["192.168.56.0/24"] }];
      assert.deepEqual(nameFindings(SPEC, { ...TARGET, owner: "dev.99999999" }, [], labs), [
        {
          check: "names",
          status: "blocker",
          says:
            "lab swarmlab on this machine belongs to owner dev.1a2b3c4d: a stack dev of another checkout, or an earlier state of this one " +
            "(which now records dev.99999999): up of stack dev would be refused before it makes anything",
          fix: `${RENAME} (if that lab is yours and its state is lost, npm run clean swarmlab removes it)`,
        },
      ]);
    });

    it("a lab of this name made without owner labels: a blocker", () => {
      const labs = [{ name: "swarmlab", owners: [""], subnets: [] }];
      assert.deepEqual(nameFindings(SPEC, TARGET, [], labs), [
        {
          check: "names",
          status: "blocker",
          says: "lab swarmlab on this machine was made without an owner label (by an older swarmlab or by hand): up of stack dev would be refused",
          fix: `${RENAME} (if that lab is yours, npm run clean swarmlab removes it)`,
        },
      ]);
    });

    it("a container, network or volume of the lab's names that is not the lab's: one blocker each", () => {
      const objects: NamedObject[] = [
        ...DOCKER_DEFAULT_NETWORKS,
        { kind: "container", name: "swarmlab-upstream", labels: {} },
        { kind: "volume", name: "swarmlab-swarm-worker1-docker", labels: { "swarmlab.lab": "swarmlab-swarm", "swarmlab.owner": "x.1" } },
        { kind: "container", name: "unrelated", labels: {} },
      ];
      assert.deepEqual(nameFindings(SPEC, TARGET, objects, [{ name: "swarmlab-swarm", owners: ["x.1"], subnets: [] }]), [
        {
          check: "names",
          status: "blocker",
          says: "container swarmlab-upstream already exists and is not part of lab swarmlab (swarmlab did not make it): up cannot make the lab's container of that name",
          fix: RENAME,
        },
        {
          check: "names",
          status: "blocker",
          says:
            "volume swarmlab-swarm-worker1-docker already exists and is not part of lab swarmlab (it is lab swarmlab-swarm's): " +
            "up cannot make the lab's volume of that name",
          fix: RENAME,
        },
      ]);
    });

    it("the free name it proposes is free: no lab of that name, none of its names taken, at most 40 characters", () => {
      const objects: NamedObject[] = [{ kind: "volume", name: "swarmlab-2-swarm-manager-docker", labels: {} }];
      assert.equal(freeLabName(SPEC, objects, [{ name: "swarmlab-3", owners: ["a.1"], subnets: [] }]), "swarmlab-4");
      const long = labSpecFromConfig({ name: "a".repeat(40) });
      assert.equal(freeLabName(long, [], []), `${"a".repeat(38)}-2`);
    });
  });

  describe("other labs", () => {
    it("lists the other labs with their stacks and subnets", () => {
      const labs = [
        { name: "swarmlab", owners: ["dev.1a2b3c4d"], subnets: ["192.168.56.0/24"] },
        { name: "swarmlab-e2e-41", owners: ["e2e-41.0f0f0f0f"], subnets: ["192.168.57.0/24"] },
        { name: "old", owners: [""], subnets: [] },
      ];
      assert.deepEqual(labsFinding(labs, "swarmlab"), {
        check: "other labs",
        status: "info",
        says: "swarmlab-e2e-41 (stack e2e-41; 192.168.57.0/24); old (no owner; no network)",
      });
      assert.equal(labsFinding(labs.slice(0, 1), "swarmlab").says, "none on this machine");
    });
  });

  describe("image", () => {
    it("busybox not there yet: up makes it", () => {
      assert.deepEqual(imageFinding(SPEC, facts()), { check: "image", status: "ok", says: "busybox:latest is not on this machine yet: up makes it" });
    });

    it("an image that is not on this machine: a blocker, as up refuses it", () => {
      const spec = labSpecFromConfig({ image: "alpine:3.20" });
      assert.deepEqual(imageFinding(spec, facts()), {
        check: "image",
        status: "blocker",
        says:
          "swarmlab:image = \"alpine:3.20\": not on this machine: the nodes take the service's image from this host's Docker engine " +
          "(they have no registry), and the lab makes only busybox:latest",
        fix: "pulumi config set swarmlab:image busybox:latest (or docker pull alpine:3.20 first)",
      });
    });

    it("an image that is there, looked into", () => {
      const host = hostWith({ image: { id: "sha256:1", os: "linux", architecture: "amd64", labels: {}, programs: ["ping", "nc", "nslookup"] } });
      assert.equal(imageFinding(SPEC, facts({ host })).says, "busybox:latest is on this machine (linux/amd64, with ping, nc and nslookup)");
    });
  });

  describe("Pulumi CLI", () => {
    const SET_UP =
      "npm run up sets it up (scripts/setup.sh runs scripts/pulumi-cli.sh, which links a pulumi v3.259.0 from PATH, downloads it, " +
      "or builds it with Go >= 1.25)";
    const bin = `${HOME}/.pulumi/versions/3.259.0/bin/pulumi`;

    it("the pinned version where up runs it", () => {
      assert.deepEqual(pulumiFinding({ wanted: "3.259.0", bin, binVersion: "v3.259.0" }, HOME), {
        check: "Pulumi CLI",
        status: "ok",
        says: "v3.259.0 at ~/.pulumi/versions/3.259.0/bin/pulumi, the version of @pulumi/pulumi",
      });
    });

    it("missing, or another version: a warning, since up sets it up", () => {
      assert.deepEqual(pulumiFinding({ wanted: "3.259.0", bin }, HOME), {
        check: "Pulumi CLI",
        status: "warn",
        says: "none at ~/.pulumi/versions/3.259.0/bin/pulumi yet",
        fix: SET_UP,
      });
      assert.equal(
        pulumiFinding({ wanted: "3.259.0", bin, onPath: { path: "/usr/local/bin/pulumi", version: "v3.200.0" } }, HOME).says,
        "none at ~/.pulumi/versions/3.259.0/bin/pulumi yet; /usr/local/bin/pulumi on PATH reports v3.200.0",
      );
      assert.deepEqual(pulumiFinding({ wanted: "3.259.0", bin, binVersion: "v3.250.0" }, HOME), {
        check: "Pulumi CLI",
        status: "warn",
        says: "~/.pulumi/versions/3.259.0/bin/pulumi reports v3.250.0, not v3.259.0 (the version of @pulumi/pulumi)",
        fix: SET_UP,
      });
    });
  });

  describe("Node.js", () => {
    const engines = "^22.9.0 || ^24.0.0 || ^26.0.0";
    it("a Node engines allows", () => {
      assert.deepEqual(nodeFinding({ version: "v26.12.1", engines, chosenBy: `${HOME}/.cache/swarmlab/node-26.12.1/bin/node` }, HOME), {
        check: "Node.js",
        status: "ok",
        says: "v26.12.1, chosen by scripts/node.sh (~/.cache/swarmlab/node-26.12.1/bin/node): package.json engines allows it (^22.9.0 || ^24.0.0 || ^26.0.0)",
      });
      assert.equal(nodeFinding({ version: "v22.9.0", engines }, HOME).status, "ok");
    });

    it("an older one: a warning, with what scripts/node.sh does about it", () => {
      for (const version of ["v20.20.2", "v22.8.0", "v23.1.0"]) {
        assert.deepEqual(nodeFinding({ version, engines }, HOME), {
          check: "Node.js",
          status: "warn",
          says: `${version} is not one package.json engines allows (^22.9.0 || ^24.0.0 || ^26.0.0)`,
          fix:
            "run swarmlab's commands through npm (npm run doctor, npm run up): scripts/node.sh then uses this machine's node if engines allows it, " +
            "else a Node 26 it fetches once from the npm registry into ~/.cache/swarmlab; for other commands: bash scripts/node.sh <command>",
        });
      }
    });
  });

  describe("settings", () => {
    let root: string;
    before(() => {
      root = mkdtempSync(path.join(os.tmpdir(), "swarmlab-doctor-"));
      for (const name of ["custom", "badsubnet", "typo", "secret"]) {
        writeFileSync(path.join(root, `Pulumi.${name}.yaml`), fixture(`settings-${name}.yaml`));
      }
      writeFileSync(path.join(root, "Pulumi.broken.yaml"), "config: [\n");
    });
    after(() => rmSync(root, { recursive: true, force: true }));

    it("the stack's settings file, on the defaults", () => {
      const target = stackTarget("custom", root);
      assert.equal(
        target.source,
        "Pulumi.custom.yaml sets swarmlab:name, swarmlab:subnet, swarmlab:workers; the rest are the defaults of lab/config.ts",
      );
      assert.equal(target.spec?.name, "lab2");
      assert.equal(target.spec?.subnet, "192.168.57.0/24");
      assert.equal(target.spec?.nodes.length, 4);
      assert.deepEqual(target.settingsWarnings, []);
    });

    it("numbers as written, not as a YAML 1.2 reader takes them: workers: 010 is refused as Pulumi's program refuses it", () => {
      for (const [text, fix] of [
        ["010", "10"],
        ["0x10", "16"],
        ["1e1", "10"],
      ]) {
        writeFileSync(path.join(root, "Pulumi.octal.yaml"), `config:\n  swarmlab:workers: ${text}\n`);
        const target = stackTarget("octal", root);
        assert.equal(target.spec, undefined, `workers ${text} was taken as ${target.spec?.nodes.length} nodes`);
        assert.match(
          lineOf(target.settingsError!),
          new RegExp(`^swarmlab:workers = "${text}": not plain decimal .*Fix: pulumi config set swarmlab:workers ${fix}$`),
        );
      }
    });

    it("the owner this checkout's state records, read from the state file without the CLI; none without a claim", () => {
      const dir = path.join(root, "state", ".pulumi", "stacks", "swarmlab");
      mkdirSync(dir, { recursive: true });
      const claim = { type: "pulumi-nodejs:dynamic/swarmlab:Claim", outputs: { lab: "swarmlab", owner: "dev.1a2b3c4d" } };
      writeFileSync(path.join(dir, "dev.json"), JSON.stringify({ version: 3, checkpoint: { latest: { resources: [claim] } } }));
      writeFileSync(path.join(dir, "empty.json"), JSON.stringify({ version: 3, checkpoint: { latest: {} } }));
      assert.equal(recordedOwner("dev", path.join(root, "state")), "dev.1a2b3c4d");
      assert.equal(recordedOwner("empty", path.join(root, "state")), undefined);
      assert.equal(recordedOwner("none", path.join(root, "state")), undefined);
    });

    it("no settings file: the defaults", () => {
      const target = stackTarget("none", root);
      assert.equal(target.source, "no Pulumi.none.yaml yet: the defaults of lab/config.ts");
      assert.deepEqual(target.spec, SPEC);
    });

    it("invalid settings: a blocker with up's own message and fix, and the host checks that need them are skipped", () => {
      const target = stackTarget("badsubnet", root);
      assert.equal(target.spec, undefined);
      const found = checkAll(facts(), target);
      assert.deepEqual(found[0], {
        check: "settings",
        status: "blocker",
        says:
          'swarmlab:subnet = "10.0.5.0/24": overlaps 10.0.0.0/8, Docker Swarm\'s default overlay address pool (ingress 10.0.0.0/24, mynet ' +
          "10.0.1.0/24), so node addresses would collide with overlay addresses",
        fix: "pulumi config set swarmlab:subnet 192.168.56.0/24",
      });
      assert.deepEqual(byCheck(found, "lab"), {
        check: "lab",
        status: "info",
        says: "subnet, names and image not checked: the settings are invalid (above)",
      });
      assert.equal(blocked(found), true);
    });

    it("a near miss of the namespace: a warning with the commands that move it", () => {
      const target = stackTarget("typo", root);
      assert.equal(target.spec?.nodes.length, 3);
      assert.deepEqual(settingsFindings(target), [
        {
          check: "settings",
          status: "warn",
          says: 'swarmLab:workers = "3": ignored: the namespace is swarmlab, not swarmLab, so the lab goes without swarmlab:workers',
          fix: "pulumi config rm swarmLab:workers && pulumi config set swarmlab:workers 3",
        },
      ]);
    });

    it("a secret setting is not read, and the report says so", () => {
      assert.equal(
        stackTarget("secret", root).source,
        "Pulumi.secret.yaml sets no swarmlab: key: the defaults of lab/config.ts; swarmlab:image is a secret and was not read",
      );
    });

    it("a settings file that is not YAML: a blocker", () => {
      const target = stackTarget("broken", root);
      assert.equal(target.spec, undefined);
      assert.match(
        lineOf(target.settingsError!),
        /^Pulumi\.broken\.yaml: cannot be read \(.+\)\. Fix: correct it, or move it away to start from the defaults$/,
      );
    });
  });

  describe("report and exit status", () => {
    it("a machine like ours: every check in order, no blocker (exit 0)", () => {
      const found = checkAll(facts(), TARGET);
      assert.deepEqual(
        found.map((f) => `${f.status} ${f.check}`),
        [
          "ok Docker engine",
          "info kernel",
          "ok VXLAN",
          "ok bridge",
          "ok bridge netfilter",
          "ok overlay filesystem",
          "warn IPVS",
          "warn ESP/GCM",
          "info cgroup",
          "ok host firewall",
          "ok subnet",
          "ok names",
          "info other labs",
          "ok image",
          "ok Pulumi CLI",
          "ok Node.js",
        ],
      );
      assert.equal(blocked(found), false);
      assert.equal(summary(found), "No blocker, 2 warnings: npm run up can go ahead (the warnings say what will not work or may get in the way).");
    });

    it("no Docker engine: a blocker (exit 1), and what needs the engine is not checked", () => {
      const engine: EngineFacts = {
        endpoint: "unix:///var/run/docker.sock",
        dockerHost: false,
        error: { message: "connect ENOENT /var/run/docker.sock", code: "ENOENT" },
      };
      const found = checkAll(facts({ engine, host: undefined, objects: undefined, labs: undefined }), TARGET);
      assert.equal(blocked(found), true);
      assert.deepEqual(byCheck(found, "lab"), {
        check: "lab",
        status: "info",
        says: "subnet, names and image not checked: they need the Docker engine (above)",
      });
      assert.equal(
        found.some((f) => f.check === "subnet" || f.check === "names"),
        false,
      );
      assert.equal(summary(found), "1 blocker and 2 warnings: npm run up would fail. Fix it, then run npm run doctor again.");
    });

    it("an engine that does not list its objects: the names are a warning, not silently skipped", () => {
      const found = checkAll(facts({ objects: undefined }), TARGET);
      assert.deepEqual(byCheck(found, "names"), {
        check: "names",
        status: "warn",
        says: "not checked: the Docker engine did not list its containers, networks and volumes",
        fix: "npm run doctor again once docker ps answers",
      });
    });

    it("one line per finding, its fix under it, the settings checked at the top and the verdict at the bottom", () => {
      const findings: Finding[] = [
        { check: "VXLAN", status: "ok", says: "present" },
        { check: "subnet", status: "blocker", says: "taken", fix: "pulumi config set swarmlab:subnet 192.168.57.0/24" },
        { check: "IPVS", status: "warn", says: "missing", fix: "another kernel" },
        { check: "cgroup", status: "info", says: "v1" },
      ];
      assert.deepEqual(formatReport(TARGET, findings), [
        "swarmlab doctor: stack dev, lab swarmlab (docker backend, 3 machines and an upstream on 192.168.56.0/24)",
        "  settings checked: no Pulumi.dev.yaml yet: the defaults of lab/config.ts",
        "",
        "  ok      VXLAN   present",
        "  BLOCKER subnet  taken",
        "                  fix: pulumi config set swarmlab:subnet 192.168.57.0/24",
        "  WARN    IPVS    missing",
        "                  fix: another kernel",
        "  info    cgroup  v1",
        "",
        "1 blocker and 1 warning: npm run up would fail. Fix it, then run npm run doctor again.",
      ]);
      assert.equal(summary(findings.filter((f) => f.status === "ok")), "No blocker, 0 warnings: npm run up can go ahead.");
      assert.equal(summary([...findings, findings[1]]), "2 blockers and 1 warning: npm run up would fail. Fix them, then run npm run doctor again.");
    });
  });
});

describe("doctor: /dev/kvm as libvirt sees it (labs of VMs)", function () {
  const PASSWD = "root:x:0:0:root:/root:/bin/bash\nlibvirt-qemu:x:64055:108:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin\n";
  const GROUP = "root:x:0:\nkvm:x:108:\nlibvirt-qemu:x:64055:libvirt-qemu\n";

  it("reads libvirt-qemu's groups from /etc/passwd and /etc/group (its own and those it is a member of)", function () {
    assert.deepEqual(groupsOf("libvirt-qemu", PASSWD, GROUP), [108, 64055]);
    assert.equal(groupsOf("libvirt-qemu", "root:x:0:0::/root:/bin/sh\n", GROUP), undefined);
  });

  it("group kvm 0660 with libvirt-qemu in kvm: ok; another group (a chroot's kvm, 993): a warning with vm-host.sh as the fix", function () {
    const groups = groupsOf("libvirt-qemu", PASSWD, GROUP);
    assert.equal(kvmFinding({ gid: 108, mode: 0o660, qemuGroups: groups }).status, "ok");
    const bad = kvmFinding({ gid: 993, mode: 0o660, qemuGroups: groups });
    assert.equal(bad.status, "warn");
    assert.match(bad.says, /group 993, mode 660: libvirt's QEMU user \(libvirt-qemu\) may not open it, so libvirtd probes QEMU again on every call/);
    assert.match(bad.fix ?? "", /sudo bash scripts\/vm-host\.sh/);
    assert.equal(kvmFinding({ gid: 0, mode: 0o666, qemuGroups: groups }).status, "ok", "open to all");
    assert.equal(kvmFinding(undefined).status, "info", "no /dev/kvm: software emulation, nothing to cache wrongly");
  });

  it("is checked for the vagrant backend only", function () {
    const bad = { gid: 993, mode: 0o660, qemuGroups: [108] };
    const vagrant = labSpecFromConfig({ backend: "vagrant" });
    assert.ok(
      checkAll(facts({ kvm: bad }), { stack: "vm", source: "test", spec: vagrant }).some((f) => f.check === "/dev/kvm" && f.status === "warn"),
    );
    assert.ok(!checkAll(facts({ kvm: bad }), TARGET).some((f) => f.check === "/dev/kvm"));
  });
});
