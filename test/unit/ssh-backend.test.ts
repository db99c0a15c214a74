// The ssh backend's pure pieces: swarmlab:hosts and its checks, the host key pinned on first contact and refused when
// it changes, the swarm ports' probes judged, the doctor's findings, and the lab settled on the hosts.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError, labSpecFromConfig } from "../../lab/config";
import { clashingRoutes, sshHostFindings, SshHostFacts } from "../../lab/backends/ssh/doctor";
import { fingerprint, HostKeyChanged, KNOWN_HOSTS_FILE, knownHostName, pinHostKey, publicKeyOf } from "../../lab/backends/ssh/known-hosts";
import { keyLine, markOf } from "../../lab/backends/ssh/marks";
import { settleHosts } from "../../lab/backends/ssh/plugin";
import { judgeProbe, listenerCommand, OPEN_WORD, parseProbes, probeScript } from "../../lab/backends/ssh/ports";
import { parseHosts } from "../../lab/backends/ssh/settings";
import { accessOf } from "../../lab/parts/node";
import { ed25519Pair } from "../../lab/ssh-keys";
import { isLabSwarm, labSwarmLabels } from "../../lab/steps/swarm";

const host = (name: string, address: string, role = "worker", extra: Record<string, unknown> = {}) => ({ name, address, role, user: "pi", ...extra });
const THREE = [host("m1", "192.168.1.10", "manager"), host("w1", "192.168.1.11"), host("w2", "192.168.1.12")];
const problemOf = (value: unknown) => {
  const r = parseHosts(typeof value === "string" ? value : JSON.stringify(value));
  return "problem" in r ? r.problem : undefined;
};

describe("ssh backend: swarmlab:hosts", () => {
  it("takes a list of hosts, port 22 unless given, a key file or none (the agent)", () => {
    const r = parseHosts(JSON.stringify([...THREE.slice(0, 2), host("w2", "192.168.1.12", "worker", { port: 2222, key: "~/.ssh/id" })]));
    assert.ok("hosts" in r);
    assert.deepEqual(r.hosts[0], { name: "m1", address: "192.168.1.10", role: "manager", user: "pi", port: 22 });
    assert.deepEqual(r.hosts[2], { name: "w2", address: "192.168.1.12", role: "worker", user: "pi", port: 2222, key: "~/.ssh/id" });
  });

  it("refuses, saying what is wrong: not JSON, not a list, a bad field, a host twice, no manager, no worker", () => {
    assert.match(problemOf("[{")!, /^not JSON/);
    assert.match(problemOf({})!, /a JSON list of hosts/);
    assert.match(problemOf([])!, /a JSON list of hosts/);
    assert.match(problemOf([{ ...THREE[0], colour: "red" }, ...THREE.slice(1)])!, /unknown field colour/);
    assert.match(problemOf([{ ...THREE[0], name: "M1" }, ...THREE.slice(1)])!, /host 1's name/);
    assert.match(problemOf([{ ...THREE[0], address: "10.0.0.300" }, ...THREE.slice(1)])!, /host m1's address is an IPv4 address/);
    assert.match(problemOf([{ ...THREE[0], role: "leader" }, ...THREE.slice(1)])!, /role is manager or worker/);
    assert.match(problemOf([{ ...THREE[0], user: "" }, ...THREE.slice(1)])!, /user is a login name/);
    assert.match(problemOf([{ ...THREE[0], port: 0 }, ...THREE.slice(1)])!, /port is a number from 1 to 65535/);
    assert.match(problemOf([...THREE, host("w1", "192.168.1.13")])!, /host w1 is listed twice/);
    assert.match(problemOf([...THREE, host("w3", "192.168.1.12")])!, /192\.168\.1\.12:22 is listed twice/);
    assert.match(problemOf([...THREE, host("w3", "192.168.1.12", "worker", { port: 2222 })])!, /address 192\.168\.1\.12 is listed twice/);
    assert.match(problemOf(THREE.slice(1))!, /no host is a manager/);
    assert.match(problemOf(THREE.slice(0, 1))!, /no host is a worker/);
  });

  it("refuses addresses in Swarm's own ranges (its overlay pool 10/8, docker0's 172.17/16, docker_gwbridge's 172.18/16)", () => {
    for (const address of ["10.1.2.3", "172.17.0.5", "172.18.200.1"]) {
      assert.match(problemOf([{ ...THREE[0], address }, ...THREE.slice(1)])!, /which Swarm takes on every node/, address);
    }
    assert.equal(problemOf([{ ...THREE[0], address: "172.19.0.5" }, ...THREE.slice(1)]), undefined);
  });

  it("takes a jump host as user@host[:port] (port 22 unless given), and refuses any other form", () => {
    const r = parseHosts(JSON.stringify([THREE[0], { ...THREE[1], jump: "me@bastion.example" }, { ...THREE[2], jump: "me@192.168.1.1:2222" }]));
    assert.ok("hosts" in r);
    assert.equal(r.hosts[0].jump, undefined);
    assert.deepEqual(r.hosts[1].jump, { user: "me", address: "bastion.example", port: 22 });
    assert.deepEqual(r.hosts[2].jump, { user: "me", address: "192.168.1.1", port: 2222 });
    for (const jump of ["bastion", "me@", "me@bastion:0", "me@bastion:70000", "Me@bastion", 3]) {
      assert.match(
        problemOf([{ ...THREE[0], jump }, ...THREE.slice(1)])!,
        /host m1's jump is the jump host as user@host or user@host:port/,
        String(jump),
      );
    }
  });

  it("is a ConfigError of swarmlab:hosts with a fix, whichever backend is chosen", () => {
    assert.throws(
      () => labSpecFromConfig({ backend: "ssh", hosts: "[]" }),
      (e: ConfigError) => e.key === "hosts" && /Fix: pulumi config set swarmlab:hosts '\[/.test(e.message),
    );
    assert.throws(
      () => labSpecFromConfig({ hosts: "nope" }),
      (e: ConfigError) => e.key === "hosts",
    );
  });

  it("refuses egress internet: the tasks ping the founding manager", () => {
    assert.throws(
      () => labSpecFromConfig({ backend: "ssh", hosts: JSON.stringify(THREE), egress: "internet" }),
      (e: ConfigError) => e.key === "egress" && /founding manager/.test(e.message),
    );
  });
});

describe("ssh backend: the lab settled on the hosts", () => {
  const spec = (hosts: unknown[], more: Record<string, string> = {}) => labSpecFromConfig({ backend: "ssh", hosts: JSON.stringify(hosts), ...more });
  const agent = { SSH_AUTH_SOCK: "/tmp/agent.sock" };

  it("takes the hosts as the nodes, managers first, and pings the founding manager", () => {
    const s = settleHosts(spec([THREE[1], THREE[0], THREE[2]]), agent);
    assert.deepEqual(
      s.nodes.map((n) => [n.name, n.role, n.address]),
      [
        ["m1", "manager", "192.168.1.10"],
        ["w1", "worker", "192.168.1.11"],
        ["w2", "worker", "192.168.1.12"],
      ],
    );
    assert.deepEqual(s.nodes[0].login, { user: "pi", port: 22 });
    assert.equal(s.pingTarget, "192.168.1.10");
  });

  it("keeps a node's jump host, with its pinned key, in the node's access; a node without one says nothing of it", () => {
    const outs = { machine: "ssh://pi@192.168.1.12:22", sshHost: "192.168.1.12", sshPort: 22, username: "pi", hostKey: "ssh-ed25519 AAAA" };
    const jump = { address: "192.168.1.1", port: 22, user: "me", hostKey: "ssh-ed25519 BBBB" };
    const w2 = { name: "w2", role: "worker" as const, address: "192.168.1.12" };
    assert.deepEqual(accessOf(w2, { ...outs, jump }).jump, jump);
    assert.ok(!("jump" in accessOf(w2, outs)));
  });

  it("gives a host's jump host to its login, and none to a host without", () => {
    const s = settleHosts(spec([THREE[0], THREE[1], { ...THREE[2], jump: "me@192.168.1.1" }]), agent);
    assert.deepEqual(s.nodes[2].login, { user: "pi", port: 22, jump: { user: "me", address: "192.168.1.1", port: 22 } });
    assert.equal(s.nodes[1].login?.jump, undefined);
  });

  it("refuses: no hosts, a key file that does not exist, no key and no agent, more replicas than workers", () => {
    assert.throws(
      () => settleHosts(labSpecFromConfig({ backend: "ssh" }), agent),
      (e: ConfigError) => e.key === "hosts" && /list them/.test(e.message),
    );
    const missing = [{ ...THREE[0], key: "/nonexistent/id" }, ...THREE.slice(1)];
    assert.throws(() => settleHosts(spec(missing), agent), /key \/nonexistent\/id does not exist/);
    assert.throws(() => settleHosts(spec(THREE), {}), /no key file and no SSH agent runs/);
    assert.doesNotThrow(() => settleHosts(spec(THREE.slice(0, 2), { replicas: "1" }), agent));
    assert.throws(
      () => settleHosts(spec(THREE.slice(0, 2)), agent),
      (e: ConfigError) => e.key === "replicas" && /more replicas than the workers of swarmlab:hosts \(1\)/.test(e.message),
    );
  });
});

describe("ssh backend: host keys pinned on first contact", () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), "swarmlab-pin-"))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const key = () => ed25519Pair("h").public.trim().split(" ").slice(0, 2).join(" ");

  it("pins the first key in OpenSSH's known_hosts form, then trusts that one only", () => {
    const first = key();
    assert.deepEqual(pinHostKey(root, "192.168.1.10", 22, first), { key: first, pinned: true });
    assert.deepEqual(pinHostKey(root, "192.168.1.10", 22, first), { key: first, pinned: false });
    pinHostKey(root, "192.168.1.10", 2222, key());
    assert.deepEqual(
      readFileSync(path.join(root, KNOWN_HOSTS_FILE), "utf8")
        .split("\n")
        .map((l) => l.split(" ")[0]),
      ["192.168.1.10", "[192.168.1.10]:2222", ""],
    );
  });

  it("refuses a changed key, naming the recorded and the offered fingerprints and how to trust the new one", () => {
    const [first, second] = [key(), key()];
    pinHostKey(root, "192.168.1.10", 22, first);
    assert.throws(
      () => pinHostKey(root, "192.168.1.10", 22, second),
      (e: HostKeyChanged) =>
        e.message.includes(`recorded ${fingerprint(first)}, offered ${fingerprint(second)}`) &&
        e.fix.includes(`ssh-keygen -R '192.168.1.10' -f ${KNOWN_HOSTS_FILE}`),
    );
    // a key of another type from a pinned host is a changed key too
    writeFileSync(path.join(root, KNOWN_HOSTS_FILE), `192.168.1.11 ecdsa-sha2-nistp256 AAAA\n`);
    assert.throws(() => pinHostKey(root, "192.168.1.11", 22, first), HostKeyChanged);
  });

  it("fingerprints as OpenSSH does, and reads the key type from the handshake's blob", () => {
    const k = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPDW9JsW2P4QRUP0Jz+7/u00RX55U1AcueM3i9fM/vTG";
    assert.equal(fingerprint(k), "SHA256:Ta3pbzuuH/vXOPgOAF/0JaMfks9PDSNan0u5XNdp728");
    assert.equal(publicKeyOf(Buffer.from(k.split(" ")[1], "base64")), k);
    assert.equal(knownHostName("10.1.1.1", 22), "10.1.1.1");
    assert.equal(knownHostName("10.1.1.1", 2200), "[10.1.1.1]:2200");
  });

  it("marks the lab's key line with the lab and its owner, without the key's own comment", () => {
    assert.equal(keyLine("ssh-ed25519 AAAA swarmlab-lab", { lab: "lab", owner: "dev.1a2b" }), "ssh-ed25519 AAAA swarmlab:lab=lab:owner=dev.1a2b");
    assert.equal(markOf({ lab: "x", owner: "s.1" }), "swarmlab:lab=x:owner=s.1");
  });
});

describe("ssh backend: the swarm ports between the hosts", () => {
  it("probes each target's four ports at once and parses the answers", () => {
    const script = probeScript(["192.168.1.11"]);
    assert.match(script, /\/dev\/tcp\/192\.168\.1\.11\/2377/);
    assert.match(script, /\/dev\/udp\/192\.168\.1\.11\/4789/);
    assert.match(script, /wait$/);
    assert.deepEqual(listenerCommand(5), ["sh", "-c", `nc -ll -p 2377 -e echo ${OPEN_WORD} & nc -ll -p 7946 -e echo ${OPEN_WORD} & sleep 5`]);
    assert.deepEqual(parseProbes(`noise\nprobe 192.168.1.11 4789/udp 1 bash: line 1: printf: write error: Connection refused\n`), [
      { target: "192.168.1.11", port: 4789, proto: "udp", exit: 1, output: "bash: line 1: printf: write error: Connection refused" },
    ]);
  });

  it("judges TCP open only when the listener's word comes back; refused and silent are blocked", () => {
    assert.equal(judgeProbe({ proto: "tcp", exit: 0, output: OPEN_WORD }).verdict, "open");
    assert.equal(judgeProbe({ proto: "tcp", exit: 1, output: "bash: connect: Connection refused" }).verdict, "refused");
    assert.equal(judgeProbe({ proto: "tcp", exit: 124, output: "" }).verdict, "silent");
  });

  it("judges UDP open when the target's 'port unreachable' comes back (Connection refused), blocked when nothing does", () => {
    assert.equal(judgeProbe({ proto: "udp", exit: 1, output: "printf: write error: Connection refused" }).verdict, "open");
    assert.equal(judgeProbe({ proto: "udp", exit: 0, output: "" }).verdict, "silent");
    assert.equal(judgeProbe({ proto: "udp", exit: 124, output: "" }).verdict, "silent");
  });
});

describe("ssh backend: the doctor's findings", () => {
  const good: SshHostFacts = {
    name: "m1",
    address: "192.168.1.10",
    user: "pi",
    port: 22,
    hostKey: { fingerprint: "SHA256:x", pinnedNow: false },
    hostname: "m1",
    docker: { version: "26.1.5", api: "1.45", installed: true },
    kernel: { release: "6.1.0", features: [{ check: "VXLAN", state: "present", shownBy: "CONFIG_VXLAN=m" }] },
    swarm: { state: "inactive", managers: [], lab: false },
    skewMs: 120,
    clashingRoutes: [],
    sudo: true,
    bash: true,
  };
  const findings = (
    h: Partial<SshHostFacts>,
    probes: { from: string; to: string; port: number; proto: "tcp" | "udp"; exit: number; output: string }[] = [],
  ) => sshHostFindings({ hosts: [{ ...good, ...h }], ports: { probes } });
  const blockers = (h: Partial<SshHostFacts>, probes?: Parameters<typeof findings>[1]) => findings(h, probes).filter((f) => f.status === "blocker");

  it("a good host has no blocker, and says its Docker version", () => {
    assert.deepEqual(blockers({}), []);
    assert.ok(findings({}).some((f) => f.check === "Docker m1" && f.says === "26.1.5 (API 1.45)"));
  });

  it("refuses a host in a swarm swarmlab did not make, naming its cluster, node and managers; the lab's own passes", () => {
    const swarm = { state: "active", nodeId: "n1", clusterId: "c1", managers: ["192.168.1.50:2377"], lab: false };
    const [b] = blockers({ swarm });
    assert.equal(b.check, "swarm m1");
    assert.match(b.says, /swarm swarmlab did not make: swarm c1 as node n1, managers 192\.168\.1\.50:2377/);
    assert.deepEqual(blockers({ swarm: { ...swarm, lab: true } }), []);
    const [other] = blockers({ swarm: { ...swarm, otherLab: { lab: "lab-b", owner: "teacher.1a2b" } } });
    assert.match(other.says, /^in the swarm of lab lab-b of stack teacher \(swarm c1/);
    assert.equal(other.fix, "take another host, or give this one back: SWARMLAB_STACK=teacher npm run down");
  });

  it("refuses no Docker, an old Docker, a wrong hostname, a changed key, an unreachable host, skew, clashing routes", () => {
    assert.match(blockers({ docker: { installed: false } })[0].says, /not installed/);
    assert.match(blockers({ docker: { installed: true, error: "EACCES" } })[0].fix!, /usermod -aG docker pi/);
    assert.match(blockers({ docker: { version: "19.03.2", api: "1.40", installed: true } })[0].says, /older than 20\.10/);
    assert.match(blockers({ hostname: "raspberrypi" })[0].fix!, /"raspberrypi"/);
    assert.match(blockers({ changedKey: { says: "recorded A, offered B", fix: "f" } })[0].says, /recorded A, offered B/);
    assert.match(blockers({ unreached: "ECONNREFUSED" })[0].says, /does not let pi in with the SSH agent's keys: ECONNREFUSED/);
    assert.match(blockers({ skewMs: -45_000 })[0].says, /45\.0 s from this machine's clock/);
    assert.equal(findings({ skewMs: 5_000 }).find((f) => f.check === "clock m1")!.status, "warn");
    assert.match(blockers({ clashingRoutes: ["10.0.0.0/8 dev eth1"] })[0].says, /10\.0\.0\.0\/8 dev eth1/);
  });

  it("reads routes into Swarm's ranges, but not Docker's own bridges nor the default route", () => {
    const routes = [
      "default via 192.168.1.1 dev eth0",
      "10.8.0.0/24 dev tun0 scope link",
      "172.17.0.0/16 dev docker0",
      "172.18.0.0/16 dev docker_gwbridge",
      "192.168.1.0/24 dev eth0",
    ];
    assert.deepEqual(clashingRoutes(routes.join("\n")), ["10.8.0.0/24 dev tun0 scope link"]);
  });

  it("names each blocked port with its source and target; all open is one line", () => {
    const open = { from: "a", to: "b", port: 2377, proto: "tcp" as const, exit: 0, output: OPEN_WORD };
    assert.deepEqual(
      findings({}, [open])
        .filter((f) => f.check === "swarm ports")
        .map((f) => f.status),
      ["ok"],
    );
    const [b] = blockers({}, [open, { from: "a", to: "b", port: 4789, proto: "udp", exit: 0, output: "" }]);
    assert.equal(b.check, "swarm port 4789/udp");
    assert.match(b.says, /^a → b: no word back/);
  });
});

describe("ssh backend: which swarm is the lab's", () => {
  const id = { lab: "swarmlab-ssh", owner: "ssh.1a2b3c4d" };
  it("a swarm whose spec carries the lab's name and owner is the lab's; another lab's, another owner's or an unlabelled one is not", () => {
    assert.equal(isLabSwarm(labSwarmLabels(id), id), true);
    assert.equal(isLabSwarm(labSwarmLabels({ ...id, owner: "other.00000000" }), id), false);
    assert.equal(isLabSwarm(labSwarmLabels({ ...id, lab: "swarmlab-other" }), id), false);
    assert.equal(isLabSwarm({}, id), false);
    assert.equal(isLabSwarm(undefined, id), false);
  });
});
