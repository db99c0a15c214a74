import assert from "node:assert/strict";
import {
  assertEncryptionFits,
  booleanReading,
  CONFIG_KEYS,
  ConfigError,
  INTERNET_PING_TARGET,
  labSpecFromConfig,
  plainSettings,
  lineOf,
  REDACTED,
  settingsWarnings,
  wholeNumberReading,
} from "../../lab/config";
import { LabSpec } from "../../lab/types";

/** Asserts that the settings are refused with a ConfigError on `key` whose one-line message shows `value` and a fix. */
function rejects(raw: Record<string, string>, key: string, value: string, mentions?: RegExp): ConfigError {
  let caught: unknown;
  try {
    labSpecFromConfig(raw);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  const err = caught as ConfigError;
  assert.equal(err.key, key);
  assert.equal(err.value, value);
  assert.ok(err.message.startsWith(`swarmlab:${key} = ${JSON.stringify(value)}: `), err.message);
  assert.ok(err.message.includes("Fix: "), err.message);
  assert.ok(!err.message.includes("\n"), "message is one line");
  assert.ok(err.fix.length > 0);
  assert.equal(err.message, `${err.says}. Fix: ${err.fix}`, "the message is what it says and its fix, kept apart as well");
  if (mentions) assert.match(err.message, mentions);
  return err;
}

describe("labSpecFromConfig", () => {
  describe("defaults and valid settings", () => {
    it("no settings give exactly the tutorial's lab", () => {
      const expected: LabSpec = {
        name: "swarmlab",
        backend: "docker",
        subnet: "192.168.56.0/24",
        gateway: "192.168.56.1",
        nodes: [
          { name: "swarm-manager", role: "manager", address: "192.168.56.10" },
          { name: "swarm-worker1", role: "worker", address: "192.168.56.11" },
          { name: "swarm-worker2", role: "worker", address: "192.168.56.12" },
        ],
        upstream: { name: "upstream", address: "192.168.56.254" },
        egress: "none",
        pingTarget: "192.168.56.254",
        overlay: { name: "mynet", encrypted: false },
        service: { name: "test", image: "busybox:latest", replicas: 2 },
      };
      assert.deepEqual(labSpecFromConfig({}), expected);
    });

    it("explicitly setting every default gives the same lab as no settings", () => {
      const all = {
        name: "swarmlab",
        backend: "docker",
        workers: "2",
        subnet: "192.168.56.0/24",
        egress: "none",
        replicas: "2",
        overlay: "mynet",
        service: "test",
        image: "busybox:latest",
        encrypted: "false",
        nodes: '["swarm-manager","swarm-worker1","swarm-worker2"]',
      };
      assert.deepEqual(labSpecFromConfig(all), labSpecFromConfig({}));
    });

    it("workers=3 adds swarm-worker3 at .13 and keeps 2 replicas", () => {
      const spec = labSpecFromConfig({ workers: "3" });
      assert.equal(spec.nodes.length, 4);
      assert.deepEqual(spec.nodes[3], { name: "swarm-worker3", role: "worker", address: "192.168.56.13" });
      assert.equal(spec.service.replicas, 2);
    });

    it("workers=1 defaults replicas to 1 (min(2, workers))", () => {
      assert.equal(labSpecFromConfig({ workers: "1" }).service.replicas, 1);
    });

    it("egress internet makes the tasks ping 8.8.8.8", () => {
      const spec = labSpecFromConfig({ egress: "internet" });
      assert.equal(spec.egress, "internet");
      assert.equal(spec.pingTarget, INTERNET_PING_TARGET);
      assert.equal(INTERNET_PING_TARGET, "8.8.8.8"); // the tutorial's internet address: config only, nothing is pinged here
    });

    it("nodes names the hosts: first is the manager, the rest workers, addresses from .10", () => {
      const spec = labSpecFromConfig({ nodes: '["boss","a","b","c"]', subnet: "192.168.100.0/24" });
      assert.deepEqual(spec.nodes, [
        { name: "boss", role: "manager", address: "192.168.100.10" },
        { name: "a", role: "worker", address: "192.168.100.11" },
        { name: "b", role: "worker", address: "192.168.100.12" },
        { name: "c", role: "worker", address: "192.168.100.13" },
      ]);
      assert.equal(spec.upstream.address, "192.168.100.254");
      assert.equal(spec.gateway, "192.168.100.1");
    });

    it("managers 3: swarm-manager1..3 at .10-.12 (the first founds the swarm), then the workers; replicas stay 2", () => {
      const spec = labSpecFromConfig({ managers: "3", workers: "3" });
      assert.deepEqual(
        spec.nodes.map((n) => [n.name, n.role, n.address]),
        [
          ["swarm-manager1", "manager", "192.168.56.10"],
          ["swarm-manager2", "manager", "192.168.56.11"],
          ["swarm-manager3", "manager", "192.168.56.12"],
          ["swarm-worker1", "worker", "192.168.56.13"],
          ["swarm-worker2", "worker", "192.168.56.14"],
          ["swarm-worker3", "worker", "192.168.56.15"],
        ],
      );
      assert.equal(spec.service.replicas, 2);
      assert.deepEqual(labSpecFromConfig({ managers: "1" }), labSpecFromConfig({}), "1 manager is the tutorial's lab");
    });

    it("managers with nodes: the first that many hostnames are the managers, at least one worker stays", () => {
      const spec = labSpecFromConfig({ managers: "3", nodes: '["a","b","c","d"]' });
      assert.deepEqual(
        spec.nodes.map((n) => n.role),
        ["manager", "manager", "manager", "worker"],
      );
      assert.equal(labSpecFromConfig({ managers: "5", workers: "20" }).nodes.length, 25, "5 managers and 20 workers fit a /24");
    });

    it("nodes and workers may both be set when they agree", () => {
      assert.equal(labSpecFromConfig({ nodes: '["m","w1","w2","w3"]', workers: "3" }).nodes.length, 4);
    });

    it("a /28 holds 3 nodes below the upstream at its last usable address", () => {
      const spec = labSpecFromConfig({ subnet: "192.168.56.16/28" });
      assert.equal(spec.gateway, "192.168.56.17");
      assert.deepEqual(
        spec.nodes.map((n) => n.address),
        ["192.168.56.26", "192.168.56.27", "192.168.56.28"],
      );
      assert.equal(spec.upstream.address, "192.168.56.30");
      assert.equal(spec.pingTarget, "192.168.56.30");
    });

    it("vagrant and ssh backends are accepted here (availability is the backend registry's call)", () => {
      assert.equal(labSpecFromConfig({ backend: "vagrant" }).backend, "vagrant");
      assert.equal(labSpecFromConfig({ backend: "ssh" }).backend, "ssh");
    });

    it("custom name, overlay, service, image and replicas are carried through", () => {
      const spec = labSpecFromConfig({
        name: "lab-2",
        overlay: "Over_lay-1",
        service: "pinger",
        image: "registry.local:5000/tools/busybox:1.36",
        replicas: "1",
      });
      assert.equal(spec.name, "lab-2");
      assert.deepEqual(spec.overlay, { name: "Over_lay-1", encrypted: false });
      assert.deepEqual(spec.service, { name: "pinger", image: "registry.local:5000/tools/busybox:1.36", replicas: 1 });
    });

    it("CONFIG_KEYS lists every supported key without the namespace", () => {
      assert.deepEqual([...CONFIG_KEYS].sort(), [
        "backend",
        "egress",
        "encrypted",
        "hosts",
        "image",
        "managers",
        "name",
        "nodes",
        "overlay",
        "replicas",
        "service",
        "subnet",
        "vagrantProvider",
        "workers",
      ]);
    });
  });

  describe("ConfigError", () => {
    it("formats one line: key, quoted value, problem, fix", () => {
      const e = new ConfigError("workers", "0", "pulumi config set swarmlab:workers 2", "a lab needs at least one worker");
      assert.equal(e.message, 'swarmlab:workers = "0": a lab needs at least one worker. Fix: pulumi config set swarmlab:workers 2');
      assert.equal(e.name, "ConfigError");
      assert.ok(e instanceof Error);
    });

    it("workers=0 gives the documented example message exactly", () => {
      const e = rejects({ workers: "0" }, "workers", "0");
      assert.equal(e.message, 'swarmlab:workers = "0": a lab needs at least one worker. Fix: pulumi config set swarmlab:workers 2');
    });
  });

  describe("bad input", () => {
    it("name: an uppercase name is refused", () => {
      rejects({ name: "MyLab" }, "name", "MyLab", /letter/);
    });
    it("name: a name starting with a digit is refused", () => {
      rejects({ name: "1lab" }, "name", "1lab");
    });
    it("name: an empty name is refused", () => {
      rejects({ name: "" }, "name", "");
    });
    it("name: a 41-character name is refused (40 is fine)", () => {
      assert.equal(labSpecFromConfig({ name: "a".repeat(40) }).name.length, 40);
      rejects({ name: "a".repeat(41) }, "name", "a".repeat(41), /1-40/);
    });

    it("backend: an unknown backend lists the valid ones", () => {
      rejects({ backend: "podman" }, "backend", "podman", /docker, vagrant, ssh/);
    });

    it("workers: 0 is refused (a lab needs a worker)", () => {
      rejects({ workers: "0" }, "workers", "0", /at least one worker/);
    });
    it("workers: a negative count is refused", () => {
      rejects({ workers: "-1" }, "workers", "-1", /at least one worker/);
    });
    it("workers: 21 is absurdly many for a 2-core machine", () => {
      rejects({ workers: "21" }, "workers", "21", /absurdly many.*2-core/);
    });
    it("workers: 20 is still accepted", () => {
      assert.equal(labSpecFromConfig({ workers: "20" }).nodes.length, 21);
    });
    it("workers: a fraction like 2.5 is refused", () => {
      rejects({ workers: "2.5" }, "workers", "2.5", /whole number/);
    });
    it("workers: a word like two is refused", () => {
      rejects({ workers: "two" }, "workers", "two", /whole number/);
    });
    it("workers: only plain decimal; the fix writes the number meant there", () => {
      const meanings = [
        ["010", "10"],
        ["0x10", "16"],
        ["+3", "3"],
        ["1e1", "10"],
        ["3.0", "3"],
        [" 3", "3"],
        ["0b11", "3"],
      ];
      for (const [text, meant] of [...meanings, ["1_0", "10"]]) {
        const e = rejects({ workers: text }, "workers", text, /^swarmlab:workers = "[^"]*": not plain decimal \(/);
        assert.equal(e.fix, `pulumi config set swarmlab:workers ${meant}`, text);
      }
    });
    it("workers: a count meant beyond the limit (021) is fixed to the default", () => {
      const e = rejects({ workers: "021" }, "workers", "021", /not plain decimal/);
      assert.equal(e.fix, "pulumi config set swarmlab:workers 2");
    });
    it("workers: with nodes set, a fix that would disagree with nodes is rm", () => {
      const e = rejects({ workers: "0", nodes: '["m","a","b","c"]' }, "workers", "0");
      assert.equal(e.fix, "pulumi config rm swarmlab:workers");
    });
    it("workers: beside replicas 3, the fix gives as many workers as replicas", () => {
      assert.equal(rejects({ workers: "0", replicas: "3" }, "workers", "0").fix, "pulumi config set swarmlab:workers 3");
    });

    it("nodes: text that is not JSON is refused", () => {
      rejects({ nodes: "swarm-manager,swarm-worker1" }, "nodes", "swarm-manager,swarm-worker1", /JSON/);
    });
    it("nodes: JSON that is not a list of strings is refused", () => {
      rejects({ nodes: '{"manager":"m"}' }, "nodes", '{"manager":"m"}', /list/);
    });
    it("nodes: a single node (no worker) is refused", () => {
      rejects({ nodes: '["m"]' }, "nodes", '["m"]', /at least 2 nodes/);
    });
    it("nodes: an uppercase hostname is refused", () => {
      rejects({ nodes: '["Manager","w1"]' }, "nodes", '["Manager","w1"]', /"Manager".*RFC 1123/);
    });
    it("nodes: a hostname starting with '-' is refused", () => {
      rejects({ nodes: '["-m","w1"]' }, "nodes", '["-m","w1"]', /RFC 1123/);
    });
    it("nodes: a hostname ending with '-' is refused", () => {
      rejects({ nodes: '["m-","w1"]' }, "nodes", '["m-","w1"]', /RFC 1123/);
    });
    it("nodes: a hostname of 64 characters is refused (63 is fine)", () => {
      const ok = JSON.stringify(["m".repeat(63), "w1"]);
      assert.equal(labSpecFromConfig({ nodes: ok }).nodes[0].name.length, 63);
      const bad = JSON.stringify(["m".repeat(64), "w1"]);
      rejects({ nodes: bad }, "nodes", bad, /RFC 1123/);
    });
    it("nodes: an empty hostname is refused", () => {
      rejects({ nodes: '["","w1"]' }, "nodes", '["","w1"]', /RFC 1123/);
    });
    it("nodes: a duplicate hostname is named", () => {
      rejects({ nodes: '["m","w1","w1"]' }, "nodes", '["m","w1","w1"]', /duplicate hostname "w1"/);
    });
    it("nodes: a node called upstream duplicates the upstream's name", () => {
      rejects({ nodes: '["m","upstream"]' }, "nodes", '["m","upstream"]', /duplicate hostname "upstream".*upstream host/);
    });
    it("nodes: more than 21 nodes are absurdly many", () => {
      const many = JSON.stringify(Array.from({ length: 22 }, (_, i) => `n${i}`));
      rejects({ nodes: many }, "nodes", many, /absurdly many/);
    });
    it("nodes+workers: disagreement is refused on workers, stating the count nodes implies", () => {
      rejects({ nodes: '["m","w1","w2","w3"]', workers: "2" }, "workers", "2", /3 workers.*Fix: pulumi config set swarmlab:workers 3/);
    });

    it("subnet: an address without a prefix is refused", () => {
      rejects({ subnet: "192.168.56.0" }, "subnet", "192.168.56.0", /CIDR/);
    });
    it("subnet: an octet over 255 is refused", () => {
      rejects({ subnet: "300.1.1.0/24" }, "subnet", "300.1.1.0/24", /CIDR/);
    });
    it("subnet: a prefix over 32 is refused", () => {
      rejects({ subnet: "192.168.56.0/33" }, "subnet", "192.168.56.0/33", /CIDR/);
    });
    it("subnet: host bits set is refused and the fix gives the network address", () => {
      const e = rejects({ subnet: "192.168.56.1/24" }, "subnet", "192.168.56.1/24", /network address/);
      assert.equal(e.fix, "pulumi config set swarmlab:subnet 192.168.56.0/24");
    });
    it("subnet: 10.0.0.0/8 overlap is refused as Swarm's overlay address pool", () => {
      rejects({ subnet: "10.0.1.0/24" }, "subnet", "10.0.1.0/24", /10\.0\.0\.0\/8.*Swarm.*overlay/);
    });
    it("subnet: 172.16.0.0/12 overlap is refused as Docker's bridge/docker_gwbridge pool", () => {
      rejects({ subnet: "172.18.0.0/16" }, "subnet", "172.18.0.0/16", /172\.16\.0\.0\/12.*docker_gwbridge/);
    });
    it("subnet: a block containing 172.16.0.0/12 is refused too", () => {
      rejects({ subnet: "172.0.0.0/8" }, "subnet", "172.0.0.0/8", /172\.16\.0\.0\/12/);
    });
    it("subnet: loopback 127.0.0.0/8 is refused", () => {
      rejects({ subnet: "127.0.0.0/24" }, "subnet", "127.0.0.0/24", /loopback/);
    });
    it("subnet: link-local 169.254.0.0/16 is refused", () => {
      rejects({ subnet: "169.254.1.0/24" }, "subnet", "169.254.1.0/24", /link-local/);
    });
    it("subnet: multicast 224.0.0.0/4 is refused", () => {
      rejects({ subnet: "239.1.1.0/24" }, "subnet", "239.1.1.0/24", /multicast/);
    });
    it("subnet: 0.0.0.0/8 is refused", () => {
      rejects({ subnet: "0.0.0.0/24" }, "subnet", "0.0.0.0/24", /0\.0\.0\.0\/8/);
    });
    it("subnet: reserved 240.0.0.0/4 is refused (it would also overflow the node addresses)", () => {
      rejects({ subnet: "255.255.255.250/32" }, "subnet", "255.255.255.250/32", /240\.0\.0\.0\/4/);
    });
    it("subnet: a /29 is too small for 3 nodes and the fix suggests the smallest block that holds them, a /28", () => {
      const why = /too small for 3 nodes: a \/29 holds 8 addresses, and the lab needs 15/;
      const e = rejects({ subnet: "192.168.56.0/29" }, "subnet", "192.168.56.0/29", why);
      assert.equal(e.fix, "pulumi config set swarmlab:subnet 192.168.56.0/28");
    });
    it("subnet: too small, the fix is a network holding the nodes (192.168.57.16/28 for 5 nodes: 192.168.57.0/27)", () => {
      const e = rejects({ subnet: "192.168.57.16/28", workers: "4" }, "subnet", "192.168.57.16/28", /too small for 5 nodes/);
      assert.equal(e.fix, "pulumi config set swarmlab:subnet 192.168.57.0/27");
      const fixed = labSpecFromConfig({ subnet: "192.168.57.0/27", workers: "4" });
      assert.deepEqual([fixed.nodes[4].address, fixed.upstream.address], ["192.168.57.14", "192.168.57.30"]);
    });
    it("subnet: a /31 and a /32 are counted, not given addresses outside them", () => {
      for (const [subnet, holds] of [
        ["192.168.56.4/31", "2 addresses"],
        ["192.168.56.10/32", "1 address"],
      ]) {
        const why = new RegExp(`too small for 3 nodes: a /3[12] holds ${holds}, and the lab needs 15 \\(`);
        const e = rejects({ subnet }, "subnet", subnet, why);
        assert.equal(e.fix, "pulumi config set swarmlab:subnet 192.168.56.0/28");
        assert.ok(!/192\.168\.56\.(?!0\/28)/.test(e.message.replace(subnet, "")), `no address named but the fix's: ${e.message}`);
      }
    });
    it("subnet: the vagrant backend's fixes are /24 networks (192.168.57.16/28 gives 192.168.57.0/24, not .16/24)", () => {
      const vm = { backend: "vagrant" };
      const fix = "pulumi config set swarmlab:subnet 192.168.57.0/24";
      const small = "192.168.57.16/28";
      assert.equal(rejects({ ...vm, subnet: small, workers: "4" }, "subnet", small, /too small/).fix, fix);
      assert.equal(rejects({ ...vm, subnet: small }, "subnet", small, /a \/24/).fix, fix);
      const hostBits = "192.168.57.17/28";
      assert.equal(rejects({ ...vm, subnet: hostBits }, "subnet", hostBits, /the network is 192\.168\.57\.16\/28/).fix, fix);
    });
    it("subnet: a /28 is too small for 5 nodes (the last would be the upstream)", () => {
      rejects({ subnet: "192.168.56.0/28", workers: "4" }, "subnet", "192.168.56.0/28", /too small for 5 nodes/);
      assert.equal(labSpecFromConfig({ subnet: "192.168.56.0/28", workers: "3" }).nodes[3].address, "192.168.56.13");
    });

    it("egress: anything but none or internet is refused", () => {
      rejects({ egress: "nat" }, "egress", "nat", /none, internet/);
    });

    it("replicas: 0 is refused", () => {
      rejects({ replicas: "0" }, "replicas", "0", /at least one replica/);
    });
    it("replicas: more than the workers is refused (one task per worker)", () => {
      rejects({ replicas: "3" }, "replicas", "3", /one task per worker/);
    });
    it("replicas: a non-integer is refused", () => {
      rejects({ replicas: "1.5" }, "replicas", "1.5", /whole number/);
    });
    it("replicas: 02 is not plain decimal; the fix is 2", () => {
      const e = rejects({ replicas: "02" }, "replicas", "02", /not plain decimal/);
      assert.equal(e.fix, "pulumi config set swarmlab:replicas 2");
    });
    it("replicas: raising workers is offered only when the settings then pass (not in a /28 too small)", () => {
      assert.match(rejects({ replicas: "5" }, "replicas", "5").fix, /\(or pulumi config set swarmlab:workers 5\)$/);
      const inA28 = rejects({ replicas: "5", subnet: "192.168.56.0/28" }, "replicas", "5");
      assert.equal(inA28.fix, "pulumi config set swarmlab:replicas 2");
    });

    it("overlay: a name with a space is refused", () => {
      rejects({ overlay: "my net" }, "overlay", "my net", /Swarm network name/);
    });
    it("overlay: dots are refused (Swarm's rule has none)", () => {
      rejects({ overlay: "Over_lay.1" }, "overlay", "Over_lay.1", /Swarm network name.*Fix: pulumi config set swarmlab:overlay Over_lay-1$/);
    });
    it("overlay: a name starting with '-' is refused", () => {
      rejects({ overlay: "-net" }, "overlay", "-net");
    });
    it("overlay: a 64-character name is refused", () => {
      rejects({ overlay: "n".repeat(64) }, "overlay", "n".repeat(64));
    });
    it("overlay: Docker's own network names (ingress) are refused", () => {
      rejects({ overlay: "ingress" }, "overlay", "ingress", /already has or reserves a network/);
    });
    it("service: an invalid Swarm name is refused", () => {
      rejects({ service: "te/st" }, "service", "te/st", /Swarm service name/);
    });
    it("service: an empty name is refused", () => {
      rejects({ service: "" }, "service", "");
    });

    it("image: something that is not an image reference is refused", () => {
      rejects({ image: "Busy Box" }, "image", "Busy Box", /image reference/);
    });

    it("unknown key: a near miss suggests the closest known key", () => {
      const e = rejects(
        { worker: "3" },
        "worker",
        "3",
        /unknown key \(did you mean swarmlab:workers\?\); known keys are swarmlab:name, .*swarmlab:workers/,
      );
      assert.equal(e.fix, "pulumi config rm swarmlab:worker && pulumi config set swarmlab:workers 3");
    });
    it("unknown key: a far-off key only gets the list and the rm fix", () => {
      const e = rejects({ colour: "blue" }, "colour", "blue", /unknown key/);
      assert.equal(e.fix, "pulumi config rm swarmlab:colour");
    });
  });
});

describe("swarmlab:encrypted (an overlay made with --opt encrypted)", () => {
  // What this machine's kernel says (the doctor's ESP/GCM check on the firecracker kernel of test/fixtures/doctor).
  const NO_ESP = { available: false, detail: "Linux 6.18.44-fc-v782: CONFIG_INET_ESP is not set, CONFIG_CRYPTO_GCM is not set in /proc/config.gz" };
  const HAS_ESP = { available: true, detail: "Linux 6.1.0-cloud-amd64: CONFIG_INET_ESP=m, CONFIG_CRYPTO_GCM=y" };
  const refusal = (settings: Record<string, string>) => {
    try {
      assertEncryptionFits(labSpecFromConfig(settings), NO_ESP);
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it("is off unless set; true and false are read as Pulumi hands booleans to the program", () => {
    assert.equal(labSpecFromConfig({}).overlay.encrypted, false);
    assert.equal(labSpecFromConfig({ encrypted: "true" }).overlay.encrypted, true);
    assert.equal(labSpecFromConfig({ encrypted: "false" }).overlay.encrypted, false);
  });

  it("anything but true or false is refused with the key, the value and a fix keeping the yes or no meant", () => {
    const fixes = (to: string) => new RegExp(`true or false\\. Fix: pulumi config set swarmlab:encrypted ${to}$`);
    rejects({ encrypted: "yes" }, "encrypted", "yes", fixes("true"));
    rejects({ encrypted: "OFF" }, "encrypted", "OFF", fixes("false"));
    rejects({ encrypted: "maybe" }, "encrypted", "maybe", fixes("false"));
  });

  it("on container nodes, a kernel without ESP and AES-GCM refuses it in one line: not available on this kernel, naming key, value, kernel and fix", () => {
    const e = refusal({ encrypted: "true" });
    assert.ok(e instanceof ConfigError, `a ConfigError, got ${String(e)}`);
    assert.equal(e.key, "encrypted");
    assert.equal(e.value, "true");
    assert.equal(e.fix, "pulumi config set swarmlab:encrypted false");
    assert.ok(!e.message.includes("\n"), "one line");
    assert.match(e.message, /^swarmlab:encrypted = "true": not available on this kernel \(Linux 6\.18\.44-fc-v782: CONFIG_INET_ESP is not set/);
    assert.match(e.message, /IPsec ESP with AES-GCM.*container nodes share this machine's kernel.*Fix: pulumi config set swarmlab:encrypted false$/);
    // the fix passes
    assert.equal(refusal({ encrypted: "false" }), undefined);
  });

  it("is not refused where the kernel has them, nor when it is off", () => {
    assert.doesNotThrow(() => assertEncryptionFits(labSpecFromConfig({ encrypted: "true" }), HAS_ESP));
    assert.doesNotThrow(() => assertEncryptionFits(labSpecFromConfig({}), NO_ESP));
  });
});

describe("reading what was meant: numbers and booleans written another way", () => {
  it("wholeNumberReading: the whole number a person reads in other notations; none for the rest", () => {
    const cases: [string, number | undefined][] = [
      ["3", 3],
      [" 3 ", 3],
      ["+3", 3],
      ["-3", -3],
      ["-0", 0],
      ["010", 10],
      ["0x10", 16],
      ["0X1f", 31],
      ["0o17", 15],
      ["0b101", 5],
      ["1_000", 1000],
      ["1e1", 10],
      ["3.0", 3],
      ["10e-1", 1],
      [".5e1", 5],
      ["2.5", undefined],
      ["1e400", undefined],
      ["two", undefined],
      ["", undefined],
      ["0x", undefined],
      ["３", undefined],
      ["Infinity", undefined],
      ["99999999999999999999", undefined],
    ];
    for (const [text, n] of cases) assert.equal(wholeNumberReading(text), n, JSON.stringify(text));
  });

  it("booleanReading: yes/no in the spellings people use, in any case; none for the rest", () => {
    for (const t of ["true", "True", "YES", "y", "on", "1", " true "]) assert.equal(booleanReading(t), "true", t);
    for (const t of ["false", "No", "n", "OFF", "0"]) assert.equal(booleanReading(t), "false", t);
    for (const t of ["", "maybe", "tru", "2"]) assert.equal(booleanReading(t), undefined, t);
  });
});

describe("secret settings: refused in one line that never shows the value", () => {
  const refusal = (settings: Record<string, { value: string; secret?: boolean } | string>) => {
    try {
      plainSettings(settings);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e;
    }
    return undefined;
  };

  it("plain settings (text, or {value} with secret false or unset) come back as text", () => {
    const settings = { workers: "3", name: { value: "lab" }, subnet: { value: "192.168.57.0/24", secret: false } };
    assert.deepEqual(plainSettings(settings), { workers: "3", name: "lab", subnet: "192.168.57.0/24" });
  });

  it("a secret is refused: the key, [secret], why, and a fix that sets the same value in plain text", () => {
    const e = refusal({ name: { value: "hush-lab", secret: true } })!;
    assert.equal(e.key, "name");
    assert.equal(e.value, REDACTED);
    assert.equal(e.fix, 'pulumi config set swarmlab:name "$(pulumi config get swarmlab:name)"');
    assert.match(e.message, /^swarmlab:name = \[secret\]: kept as a secret, but no swarmlab setting can stay one: /);
    assert.ok(!e.message.includes("hush-lab") && !JSON.stringify(e).includes("hush-lab"), "the value is nowhere in the error");
  });

  it("a secret that would be refused anyway is removed, and every secret is covered by one fix", () => {
    assert.equal(refusal({ workers: { value: "lots", secret: true } })!.fix, "pulumi config rm swarmlab:workers");
    const both = refusal({
      subnet: { value: "192.168.57.0/24", secret: true },
      image: { value: "busybox:latest", secret: true },
    })!;
    assert.match(both.message, /^swarmlab:subnet = \[secret\]: kept as a secret \(so is swarmlab:image\), /);
    assert.equal(
      both.fix,
      'pulumi config set swarmlab:subnet "$(pulumi config get swarmlab:subnet)" && ' +
        'pulumi config set swarmlab:image "$(pulumi config get swarmlab:image)"',
    );
  });

  it("near-miss namespaces: a secret is shown as [secret] and moved by pulumi config get, before the rm", () => {
    assert.deepEqual(settingsWarnings({ "swarmLab:subnet": { value: "192.168.57.0/24", secret: true } }).map(lineOf), [
      "swarmLab:subnet = [secret]: ignored: the namespace is swarmlab, not swarmLab, " +
        "so the lab goes without swarmlab:subnet. " +
        'Fix: pulumi config set swarmlab:subnet "$(pulumi config get swarmLab:subnet)" && pulumi config rm swarmLab:subnet',
    ]);
    assert.deepEqual(
      settingsWarnings({ "swarmLab:workers": "3", "swarmlab:workers": { value: "2", secret: true } }),
      [
        {
          says: 'swarmLab:workers = "3": ignored: the namespace is swarmlab, not swarmLab; swarmlab:workers is set as well, to [secret]',
          fix: "pulumi config rm swarmLab:workers",
        },
      ],
      "what it says and its fix, apart",
    );
    assert.deepEqual(settingsWarnings({ "swarmLab:workers": "3", "swarmlab:workers": { value: "2", secret: true } }).map(lineOf), [
      'swarmLab:workers = "3": ignored: the namespace is swarmlab, not swarmLab; swarmlab:workers is set as well, ' +
        "to [secret]. Fix: pulumi config rm swarmLab:workers",
    ]);
  });
});
