// Each part reads everything it declared (issue 16, point 2), against engine answers recorded from a lab
// (test/fixtures/service, test/fixtures/swarm; Docker 26.1.5 in the nodes): what swarmlab made reads back as no
// drift, and what a student changed with docker service update / docker node update / docker swarm leave is seen.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { notInSwarm, unlessGone } from "../../lab/engine-api";
import { overlayDrift } from "../../lab/steps/overlay";
import {
  extraFields,
  observedService,
  RawServiceSpec,
  serviceDrift,
  serviceSpec,
  ServiceArgs,
  TUTORIAL_ENDPOINT,
  TUTORIAL_PLACEMENT,
} from "../../lab/steps/service";
import { nodeSpecDrift, nodeSpecOf, TUTORIAL_NODE } from "../../lab/steps/swarm";

const fixture = (...p: string[]) => JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", ...p), "utf8"));

/** The recorded lab's service as swarmlab declares it. */
const ARGS: ServiceArgs = {
  lab: "swarmlab-explore-8380",
  name: "test",
  image: "busybox:latest",
  replicas: 2,
  network: "mynet",
  pingTarget: "192.168.157.254",
  placement: TUTORIAL_PLACEMENT,
  mode: "replicated",
  endpoint: TUTORIAL_ENDPOINT,
};
const MYNET = "iith06rt3qdtb3pndahp5vl8b";

describe("drift: every declared field is read", () => {
  describe("a service", () => {
    it("as swarmlab made it reads back as its inputs, with no extras and no drift (the engine's defaults are no drift)", () => {
      const seen = observedService(fixture("service", "created.json").Spec, ARGS);
      assert.deepEqual(seen, {
        image: "busybox:latest",
        replicas: 2,
        pingTarget: "192.168.157.254",
        placement: { constraints: ["node.role==worker"], preferences: [], maxPerNode: 1 },
        mode: "replicated",
        endpoint: { mode: "vip", ports: [] },
        networks: [MYNET],
        extras: [],
      });
      assert.deepEqual(serviceDrift(ARGS, seen, MYNET), []);
    });

    it("after docker service update --constraint-add --placement-pref-add --replicas-max-per-node --publish-add --env-add --label-add, field by field", () => {
      const seen = observedService(fixture("service", "updated.json").Spec, ARGS);
      assert.deepEqual(seen.placement, {
        constraints: ["node.hostname==nowhere", "node.role==worker"],
        preferences: ["spread=node.labels.zone"],
        maxPerNode: 2,
      });
      assert.deepEqual(seen.endpoint, { mode: "vip", ports: ["8080:80/tcp"] });
      assert.deepEqual(seen.extras, ["Labels.x", "TaskTemplate.ContainerSpec.Env"]);
      assert.deepEqual(
        serviceDrift(ARGS, seen, MYNET).map((d) => d.split(" ")[0]),
        ["placement", "endpoint", "Labels.x,"],
        "each drifted field said once",
      );
    });

    it("sees a new image, command, replica count, mode and network", () => {
      const spec: RawServiceSpec = fixture("service", "created.json").Spec;
      const changed: RawServiceSpec = {
        ...spec,
        TaskTemplate: {
          ...spec.TaskTemplate,
          ContainerSpec: { ...spec.TaskTemplate!.ContainerSpec, Image: "alpine:3@sha256:abc0", Command: ["sleep", "600"] },
          Networks: [{ Target: MYNET }, { Target: "other" }],
        },
        Mode: { Global: {} },
      };
      const seen = observedService(changed, ARGS);
      assert.equal(seen.image, "alpine:3");
      assert.equal(seen.pingTarget, "sleep 600");
      assert.equal(seen.mode, "global");
      assert.deepEqual(seen.networks, [MYNET, "other"]);
      assert.deepEqual(
        serviceDrift(ARGS, seen, MYNET).map((d) => d.split(" ")[0]),
        ["image", "replicas", "pingTarget", "mode", "networks"],
      );
      assert.deepEqual(serviceDrift({ ...ARGS, replicas: 3 }, observedService(spec, ARGS), MYNET), ["replicas 2 → 3"]);
    });

    it("what swarmlab sends on an update undoes every field the student set, and reads back as no drift", () => {
      const sent = serviceSpec(ARGS, MYNET);
      const seen = observedService(sent, ARGS);
      assert.deepEqual(serviceDrift(ARGS, seen, MYNET), []);
      assert.deepEqual(sent.EndpointSpec, { Mode: "vip", Ports: [] }, "given whole: published ports are removed");
    });

    it("placement preferences, max per node and published ports round-trip through the spec swarmlab sends", () => {
      const args: ServiceArgs = {
        ...ARGS,
        placement: { constraints: ["node.role==worker", "node.labels.zone==a"], preferences: ["spread=node.labels.zone"], maxPerNode: 0 },
        endpoint: { mode: "dnsrr", ports: ["8080:80/tcp", ":53/udp host"] },
      };
      const sent = serviceSpec(args, MYNET);
      assert.deepEqual(
        sent.TaskTemplate?.Placement,
        {
          Constraints: ["node.role==worker", "node.labels.zone==a"],
          Preferences: [{ Spread: { SpreadDescriptor: "node.labels.zone" } }],
        },
        "no MaxReplicas: no limit",
      );
      assert.deepEqual(serviceDrift(args, observedService(sent, args), MYNET), []);
      assert.throws(() => serviceSpec({ ...args, endpoint: { mode: "vip", ports: ["8080"] } }), /published:target\/protocol/);
      assert.throws(() => serviceSpec({ ...args, placement: { ...args.placement, preferences: ["node.labels.zone"] } }), /spread=/);
    });

    it("extras: a field set beyond the declared ones and Swarm's defaults, by its dotted path", () => {
      const wanted = { TaskTemplate: { ContainerSpec: { Init: true }, Resources: {} } };
      assert.deepEqual(
        extraFields(wanted, { TaskTemplate: { ContainerSpec: { Init: true, StopGracePeriod: 10_000_000_000 }, Resources: { Limits: {} } } }),
        [],
      );
      assert.deepEqual(extraFields(wanted, { TaskTemplate: { ContainerSpec: { Init: false, ReadOnly: true } } }), [
        "TaskTemplate.ContainerSpec.Init",
        "TaskTemplate.ContainerSpec.ReadOnly",
      ]);
      assert.deepEqual(
        extraFields(wanted, { TaskTemplate: { ContainerSpec: { Init: true, StopGracePeriod: 1 }, ForceUpdate: 3 } }),
        ["TaskTemplate.ContainerSpec.StopGracePeriod"],
        "a forced update is no drift; another grace period is",
      );
    });
  });

  describe("a node", () => {
    it("drained and labelled (docker node update --availability drain --label-add zone=a) drifts in both", () => {
      const seen = nodeSpecOf(fixture("swarm", "node-drained.json").Spec);
      assert.deepEqual(seen, { role: "worker", availability: "drain", labels: { zone: "a" } });
      assert.deepEqual(nodeSpecDrift(seen, TUTORIAL_NODE("worker")), ["availability drain → active", 'labels {"zone":"a"} → {}']);
    });

    it("promoted (docker node promote) drifts in its role; as declared, not at all", () => {
      assert.deepEqual(nodeSpecDrift({ ...TUTORIAL_NODE("worker"), role: "manager" }, TUTORIAL_NODE("worker")), ["role manager → worker"]);
      assert.deepEqual(nodeSpecDrift(nodeSpecOf({ Role: "worker", Availability: "active" }), TUTORIAL_NODE("worker")), []);
    });
  });

  describe("a manager that left its swarm (docker swarm leave --force)", () => {
    const left = Object.assign(new Error(fixture("swarm", "error-not-a-manager.json").message), fixture("swarm", "error-not-a-manager.json"));

    it("answers 503 'not a swarm manager': what lived in the swarm is gone, never an engine error in a refresh", async () => {
      assert.equal(notInSwarm(left), true);
      assert.equal(await unlessGone(Promise.reject(left)), undefined);
      assert.equal(await unlessGone(Promise.reject(Object.assign(new Error("no such node"), { statusCode: 404 }))), undefined);
    });

    it("other engine errors still fail", async () => {
      const busy = Object.assign(new Error("(HTTP code 503) unexpected - rpc error: code = Unavailable"), { statusCode: 503 });
      assert.equal(notInSwarm(busy), false);
      await assert.rejects(unlessGone(Promise.reject(busy)), /Unavailable/);
    });
  });

  describe("an overlay", () => {
    const mynet = {
      Driver: "overlay",
      Scope: "swarm",
      Options: { "com.docker.network.driver.overlay.vxlanid_list": "4097" },
      Internal: false,
      Attachable: false,
    };

    it("as swarmlab made it: no drift (Docker's VXLAN ids are no option of ours)", () => {
      assert.equal(overlayDrift(mynet, false), "");
      assert.equal(overlayDrift({ ...mynet, Options: { ...mynet.Options, encrypted: "" } }, true), "");
    });

    it("made again by hand otherwise: driver, scope, encryption, options, attachable", () => {
      assert.match(overlayDrift({ ...mynet, Driver: "bridge", Scope: "local" }, false), /is a bridge network/);
      assert.match(overlayDrift({ ...mynet, Scope: "local" }, false), /scope local/);
      assert.match(overlayDrift(mynet, true), /is not encrypted/);
      assert.match(overlayDrift({ ...mynet, Options: { "com.docker.network.driver.mtu": "1400" } }, false), /driver\.mtu=1400/);
      assert.match(overlayDrift({ ...mynet, Attachable: true }, false), /attachable/);
    });
  });
});
