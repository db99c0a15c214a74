// How the client reaches the nodes (lab/reach.ts, lab/engine-relay.ts): the choice per lab, the frames of a docker
// exec taken apart, and what OpenSSH users are given for a lab reached through the engine (ssh_config, ssh command).
import assert from "node:assert/strict";
import type os from "node:os";
import { sshCommandOf, sshConfigOf } from "../../infra/swarmlab";
import { Demuxer, relayCommand } from "../../lab/engine-relay";
import { checkReach, EnvError } from "../../lab/env";
import { outputsOf } from "../../lab/outputs";
import { decideReach, onLocalNetwork, ReachFacts, reachOf } from "../../lab/reach";
import { NodeAccess, relayContainerOf } from "../../lab/sessions";

const HERE = { name: "vm", kernel: "6.18.44" };
const LOCAL: ReachFacts = { engine: HERE, here: HERE, bridgeHere: true };

describe("the way to a lab's nodes", () => {
  it("is direct when the engine and the lab's bridge are this machine's", () => {
    assert.equal(decideReach(LOCAL).reach, "direct");
    assert.equal(decideReach({ ...LOCAL, dockerHost: "unix:///var/run/docker.sock" }).reach, "direct");
  });

  it("goes through the engine for a remote DOCKER_HOST, another machine's engine, or a bridge not here", () => {
    const cases: [ReachFacts, RegExp][] = [
      [{ ...LOCAL, dockerHost: "tcp://10.0.0.5:2375" }, /the engine is at tcp:\/\/10.0.0.5:2375/],
      [{ ...LOCAL, dockerHost: "ssh://teacher@lab-host" }, /ssh:\/\/teacher@lab-host/],
      // Docker Desktop on Linux: a socket here, the engine in a VM of another name and kernel
      [
        { ...LOCAL, dockerHost: "unix:///home/u/.docker/desktop/docker.sock", engine: { name: "docker-desktop", kernel: "6.10.14-linuxkit" } },
        /docker-desktop/,
      ],
      [{ ...LOCAL, engine: { name: "vm", kernel: "6.1.0" } }, /kernel 6.1.0/],
      // rootless Docker: the same machine, its bridges in a namespace of their own
      [{ ...LOCAL, bridgeHere: false }, /bridge is not on this machine/],
    ];
    for (const [facts, why] of cases) {
      const choice = decideReach(facts);
      assert.equal(choice.reach, "engine", JSON.stringify(facts));
      assert.match(choice.why, why);
    }
  });

  it("is what SWARMLAB_REACH forces, whatever the facts", () => {
    assert.deepEqual(decideReach({ ...LOCAL, forced: "engine" }), { reach: "engine", why: "SWARMLAB_REACH=engine" });
    assert.equal(decideReach({ ...LOCAL, dockerHost: "tcp://10.0.0.5:2375", forced: "direct" }).reach, "direct");
  });

  it("is read by every reader from the node's record, SWARMLAB_REACH overriding it", () => {
    assert.equal(reachOf(undefined, {}), "direct"); // a node made before the choice existed
    assert.equal(reachOf("engine", {}), "engine");
    assert.equal(reachOf(undefined, { SWARMLAB_REACH: "engine" }), "engine");
    assert.equal(reachOf("engine", { SWARMLAB_REACH: "direct" }), "direct");
    assert.equal(reachOf("engine", { SWARMLAB_REACH: "" }), "engine");
  });

  it("refuses an unknown SWARMLAB_REACH in one line with the fix", () => {
    assert.equal(checkReach(undefined), undefined);
    assert.equal(checkReach("engine"), "engine");
    assert.throws(
      () => checkReach("tunnel"),
      (err: unknown) =>
        err instanceof EnvError && /^SWARMLAB_REACH = "tunnel": not one of direct, engine\. Fix: export SWARMLAB_REACH=engine/.test(err.message),
    );
  });

  it("finds the lab's bridge on this machine by the node's address", () => {
    const iface = (address: string, cidr: string, internal = false): os.NetworkInterfaceInfo => ({
      address,
      cidr,
      internal,
      family: "IPv4",
      netmask: "255.255.255.0",
      mac: "00:00:00:00:00:00",
    });
    const interfaces = { lo: [iface("127.0.0.1", "127.0.0.1/8", true)], "br-1": [iface("192.168.56.1", "192.168.56.1/24")] };
    assert.equal(onLocalNetwork("192.168.56.11", interfaces), true);
    assert.equal(onLocalNetwork("192.168.57.11", interfaces), false);
    assert.equal(onLocalNetwork("127.0.0.2", interfaces), false); // loopback is no route to a lab
  });
});

describe("docker exec's stream taken apart", () => {
  const frame = (type: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = type;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };

  it("passes stdout on and keeps stderr apart, however the frames are cut", () => {
    const whole = Buffer.concat([frame(1, "SSH-2.0-OpenSSH_9.6\r\n"), frame(2, "no hostkeys available"), frame(1, "more")]);
    for (const cut of [1, 3, 8, 9, 20, 29, whole.length]) {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const demux = new Demuxer(
        (b) => out.push(Buffer.from(b)),
        (b) => err.push(Buffer.from(b)),
      );
      for (let at = 0; at < whole.length; at += cut) demux.push(whole.subarray(at, at + cut));
      assert.equal(Buffer.concat(out).toString(), "SSH-2.0-OpenSSH_9.6\r\nmore", `cut every ${cut} bytes`);
      assert.equal(Buffer.concat(err).toString(), "no hostkeys available");
      assert.equal(demux.leftover, 0);
    }
  });

  it("holds a frame not yet whole", () => {
    const out: string[] = [];
    const demux = new Demuxer(
      (b) => out.push(b.toString()),
      () => undefined,
    );
    demux.push(frame(1, "abcdef").subarray(0, 10));
    assert.deepEqual(out, []);
    assert.equal(demux.leftover, 10);
  });
});

describe("OpenSSH's way to a node reached through the engine", () => {
  const node = (via?: "engine", machine = "c0ffee"): NodeAccess => ({
    name: "swarm-worker1",
    role: "worker",
    address: "192.168.56.11",
    machine,
    sshHost: "192.168.56.11",
    sshPort: 22,
    username: "vagrant",
    hostKey: "ssh-ed25519 AAAA",
    ...(via ? { via } : {}),
  });
  const dir = ".swarmlab/swarmlab";
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.SWARMLAB_REACH;
    delete process.env.SWARMLAB_REACH;
  });
  afterEach(() => (saved === undefined ? delete process.env.SWARMLAB_REACH : (process.env.SWARMLAB_REACH = saved)));

  it("is a ProxyCommand running the node's sshd through docker exec, the host name (and its pinned key) kept", () => {
    assert.equal(relayCommand("c0ffee"), "docker exec -i c0ffee /usr/sbin/sshd -i");
    const config = sshConfigOf([node("engine")], dir);
    assert.match(config, /\n {2}HostName 192\.168\.56\.11\n/);
    assert.match(config, /\n {2}StrictHostKeyChecking yes\n {2}ProxyCommand docker exec -i c0ffee \/usr\/sbin\/sshd -i\n/);
    assert.equal(
      sshCommandOf(node("engine"), dir),
      `ssh -i ${dir}/id_ed25519 -o UserKnownHostsFile=${dir}/known_hosts -o 'ProxyCommand=docker exec -i c0ffee /usr/sbin/sshd -i' vagrant@192.168.56.11`,
    );
  });

  it("is not there for a lab reached at its addresses", () => {
    assert.doesNotMatch(sshConfigOf([node()], dir), /ProxyCommand/);
    assert.equal(sshCommandOf(node(), dir), `ssh -i ${dir}/id_ed25519 -o UserKnownHostsFile=${dir}/known_hosts vagrant@192.168.56.11`);
  });

  it("is ProxyJump through an entry of the jump host's own (the lab's key, its pinned key) for a node behind one; the printed command's jump leg takes the lab's key too", () => {
    const jumped = { ...node(), jump: { address: "192.168.56.2", port: 2222, user: "pi", hostKey: "ssh-ed25519 BBBB" } };
    const config = sshConfigOf([jumped], dir);
    assert.match(
      config,
      new RegExp(
        `^Host swarm-worker1-jump\n {2}HostName 192\\.168\\.56\\.2\n {2}Port 2222\n {2}User pi\n {2}IdentityFile ${dir}/id_ed25519\n` +
          ` {2}IdentitiesOnly yes\n {2}UserKnownHostsFile ${dir}/known_hosts\n {2}StrictHostKeyChecking yes\n\nHost swarm-worker1\n`,
      ),
    );
    assert.match(config, /\n {2}StrictHostKeyChecking yes\n {2}ProxyJump swarm-worker1-jump\n$/);
    assert.doesNotMatch(sshConfigOf([node()], dir), /ProxyJump|-jump/);
    assert.equal(
      sshCommandOf(jumped, dir),
      `ssh -i ${dir}/id_ed25519 -o UserKnownHostsFile=${dir}/known_hosts -o 'ProxyCommand=ssh -i ${dir}/id_ed25519 -o UserKnownHostsFile=${dir}/known_hosts ` +
        `-o StrictHostKeyChecking=yes -p 2222 -W %h:%p pi@192.168.56.2' vagrant@192.168.56.11`,
    );
  });

  it("follows SWARMLAB_REACH, but never for a VM (no container of the engine's)", () => {
    process.env.SWARMLAB_REACH = "engine";
    assert.equal(relayContainerOf(node()), "c0ffee");
    assert.equal(relayContainerOf(node(undefined, "0b1d6b3e-5c43-4a3e-9f4e-2a8f3c1d7e21")), undefined);
    process.env.SWARMLAB_REACH = "direct";
    assert.equal(relayContainerOf(node("engine")), undefined);
  });

  it("is recorded in the outputs, which a lab made before it (no via) still passes", () => {
    const raw = (via?: unknown) => ({
      nodeAccess: { value: [{ ...node(), ...(via === undefined ? {} : { via }) }] },
    });
    const read = (via?: unknown) => {
      try {
        outputsOf(raw(via));
        return "";
      } catch (err) {
        return String(err);
      }
    };
    // every other output is missing here: only nodeAccess's own shape is judged
    assert.doesNotMatch(read(), /nodeAccess is not/);
    assert.doesNotMatch(read("engine"), /nodeAccess is not/);
    assert.match(read("tunnel"), /nodeAccess is not a list of .*via/);
  });
});
