// The registry of backends (lab/backends/index.ts): each line's plugin is the backend it names, a name the settings
// accept but no line runs is refused in one line, and what callers ask of a backend is answered by it.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { backendFor, pluginOf, registered, RUNNABLE, settleSpec, sshPacingOf } from "../../lab/backends";
import { BACKEND_NAMES, BACKEND_SETTINGS } from "../../lab/backends/names";
import { LIBVIRT_BOX } from "../../lab/backends/vagrant/names";
import { CONFIG_KEYS, ConfigError, labSpecFromConfig } from "../../lab/config";
import { forBackend } from "../../lab/doctor/checks";
import { info, warn } from "../../lab/doctor/finding";

describe("backends: one registry, plug-ins", () => {
  it("runs docker, vagrant and ssh, in that order; every one is a name the settings accept, and every name runs", () => {
    assert.deepEqual(RUNNABLE, ["docker", "vagrant", "ssh"]);
    assert.deepEqual([...BACKEND_NAMES].sort(), [...RUNNABLE].sort());
    for (const name of RUNNABLE) assert.ok((BACKEND_NAMES as readonly string[]).includes(name));
  });

  it("each line's plugin and the backend it loads carry the line's name", async () => {
    for (const name of RUNNABLE) {
      assert.equal(pluginOf(name).name, name);
      assert.equal((await backendFor(name)).name, name);
    }
  });

  it("a name without a line in the registry is refused naming the key, the runnable ones and a fix", async () => {
    assert.equal(registered(undefined), undefined);
    assert.equal(registered("podman"), undefined);
    const refused = (e: unknown) =>
      e instanceof ConfigError &&
      e.key === "backend" &&
      /not available yet; "docker" and "vagrant" and "ssh" are.*Fix: pulumi config set swarmlab:backend docker/.test(e.message);
    assert.throws(() => pluginOf("podman" as never), refused);
    await assert.rejects(backendFor("podman" as never), refused);
  });

  it("ssh: the user's own hosts, whose doctor refuses the program too (preview as up); a lab without hosts is refused", () => {
    assert.ok(pluginOf("ssh").usersHosts);
    assert.equal(pluginOf("ssh").doctor?.gatesProgram, true);
    assert.throws(
      () => settleSpec(labSpecFromConfig({ backend: "ssh" })),
      (e: ConfigError) => e.key === "hosts",
    );
  });

  it("a docker lab is settled as written; its nodes run this host's kernel, and its doctor has nothing of its own", () => {
    const spec = labSpecFromConfig({});
    assert.deepEqual(settleSpec(structuredClone(spec)), spec);
    assert.equal(pluginOf("docker").ownKernel, undefined);
    assert.equal(pluginOf("docker").doctor, undefined);
    assert.doesNotThrow(() => pluginOf("docker").assertTools());
  });

  it("a backend's own settings are its own: its keys are known keys, checked whichever backend is chosen; its rules apply to its labs", () => {
    for (const own of Object.values(BACKEND_SETTINGS)) for (const key of Object.keys(own.keys ?? {})) assert.ok(CONFIG_KEYS.includes(key), key);
    assert.throws(
      () => labSpecFromConfig({ vagrantProvider: "kvm" }),
      (e: ConfigError) => e.key === "vagrantProvider",
    );
    // a subnet fix on a vagrant lab is a /24 (its fixedPrefix), one on a docker lab keeps the size written
    assert.throws(
      () => labSpecFromConfig({ backend: "vagrant", subnet: "192.168.56.1/24" }),
      /Fix: pulumi config set swarmlab:subnet 192\.168\.56\.0\/24$/,
    );
    assert.throws(
      () => labSpecFromConfig({ backend: "vagrant", subnet: "192.168.56.0/26" }),
      /Fix: pulumi config set swarmlab:subnet 192\.168\.56\.0\/24$/,
    );
    assert.doesNotThrow(() => labSpecFromConfig({ subnet: "192.168.56.0/26", egress: "internet" }));
    assert.throws(
      () => labSpecFromConfig({ backend: "vagrant", egress: "internet" }),
      (e: ConfigError) => e.key === "egress",
    );
  });

  it("a vagrant lab's VMs run their own kernel: the host kernel's IPVS warning becomes a fact about the host", () => {
    const ipvs = { ...warn("IPVS", "not loaded: the routing mesh needs it", "sudo modprobe ip_vs"), lacking: "not loaded" };
    assert.deepEqual(forBackend([ipvs], "docker"), [ipvs]);
    assert.deepEqual(forBackend([ipvs], "ssh"), [
      info("IPVS", "not loaded (this host's kernel); the lab's hosts do not share it (each host's kernel is judged below)"),
    ]);
    assert.deepEqual(forBackend([ipvs], "vagrant"), [
      info("IPVS", "not loaded (this host's kernel); the lab's VMs run the box's own Debian kernel, which has it"),
    ]);
  });

  it("the images a lab needs are its backend's: docker's node image and busybox in the engine; vagrant's busybox, the box's recipe", async () => {
    const made = { node: "the-machines", busybox: "busybox:latest", nodeRecipe: "box:abc123" };
    assert.deepEqual((await backendFor("docker")).imagesInEngine(made), ["the-machines", "busybox:latest"]);
    const vagrant = await backendFor("vagrant");
    assert.deepEqual(vagrant.imagesInEngine(made), ["busybox:latest"]);
    const home = mkdtempSync(path.join(os.tmpdir(), "swarmlab-box-"));
    const before = process.env.VAGRANT_HOME;
    try {
      process.env.VAGRANT_HOME = home;
      assert.equal(await vagrant.recipeCurrent(made), false, "no box registered");
      const box = path.join(home, "boxes", LIBVIRT_BOX, "0", "libvirt");
      mkdirSync(box, { recursive: true });
      writeFileSync(path.join(box, "swarmlab-recipe"), "abc123\n");
      assert.equal(await vagrant.recipeCurrent(made), true);
      assert.equal(await vagrant.recipeCurrent({ ...made, nodeRecipe: "box:older" }), false, "a new box recipe remakes the machines");
    } finally {
      if (before === undefined) delete process.env.VAGRANT_HOME;
      else process.env.VAGRANT_HOME = before;
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("SSH to a VM (libvirt's UUID for a machine id) is paced by its backend; to a container, as its caller asks", () => {
    const vm = sshPacingOf("ebc70f21-9e6c-4bf8-81ba-48199020c04f");
    assert.deepEqual(vm && { min: vm.minTimeoutMs, attempt: vm.attemptMs }, { min: 60_000, attempt: 30_000 });
    assert.equal(sshPacingOf("e69e8bdacac68f26335a4c1acd478a041b3cb7761754efc45bf5cbb7cda77935"), undefined);
    assert.equal(sshPacingOf(""), undefined);
  });
});
