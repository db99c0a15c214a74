// The registry of lab parts (lab/parts/index.ts) and how its dynamic providers diff (lab/parts/runner.ts): a change of
// an identity input replaces the part, a change of any other input updates it in place.
import assert from "node:assert/strict";
import { parts, PartKind } from "../../lab/parts";
import { diffInputs } from "../../lab/parts/runner";
import { inputKeys } from "./part-inputs";

type Props = Record<string, unknown>;

const KINDS = Object.keys(parts) as PartKind[];

const access = (name: string, address: string) => ({
  name,
  role: "worker",
  address,
  machine: `container-${name}`,
  sshHost: address,
  sshPort: 22,
  username: "vagrant",
  hostKey: `ssh-ed25519 AAAA${name}`,
});
/** Plausible values for inputs whose shape matters (objects, numbers, lists); any other input is a string. */
const SAMPLE: Props = {
  manager: { ...access("swarm-manager", "192.168.56.10"), role: "manager" },
  worker: access("swarm-worker1", "192.168.56.11"),
  upstream: { name: "upstream", address: "192.168.56.254" },
  replicas: 2,
  images: ["busybox:latest"],
};

/** Inputs of a part as its provider would get them: every declared input, and Pulumi's __provider. */
function sampleInputs(kind: PartKind): Props {
  return { __provider: "exports.handler = …", ...Object.fromEntries(inputKeys(kind).map((k) => [k, SAMPLE[k] ?? `${k}-1`])) };
}

/** Another value of the same shape. */
function another(v: unknown): unknown {
  if (typeof v === "number") return v + 1;
  if (Array.isArray(v)) return [...v, "another"];
  if (typeof v === "object" && v !== null) return { ...v, name: "another" };
  return `${v}-2`;
}

/** diffInputs for the part's sample inputs against the same inputs with these changed. */
function diffAfterChanging(kind: PartKind, ...keys: string[]) {
  const olds = sampleInputs(kind);
  const news = { ...olds, ...Object.fromEntries(keys.map((k) => [k, another(olds[k])])) };
  return diffInputs(parts[kind], olds, news);
}

describe("lab parts", () => {
  describe("the registry", () => {
    it("gives every part a distinct type token", () => {
      const types = KINDS.map((k) => parts[k].type);
      assert.equal(new Set(types).size, types.length, `types: ${types.join(", ")}`);
    });

    it("names in every part's identity only inputs the part declares", () => {
      for (const kind of KINDS) {
        const unknown = parts[kind].identity.filter((k) => !inputKeys(kind).includes(k));
        assert.deepEqual(unknown, [], `${kind}'s identity names inputs it does not have`);
      }
    });

    it("declares outputs that no input shadows, and keeps secret only declared outputs", () => {
      for (const kind of KINDS) {
        const { outputs, secrets = [] } = parts[kind];
        assert.deepEqual(
          outputs.filter((k) => inputKeys(kind).includes(k)),
          [],
          `${kind}'s outputs overlap its inputs`,
        );
        assert.deepEqual(
          secrets.filter((k) => !(outputs as readonly string[]).includes(k)),
          [],
          `${kind}'s secrets are outputs`,
        );
      }
    });
  });

  describe("diffInputs", () => {
    for (const kind of KINDS) {
      it(`${kind}: a change of an identity input (${parts[kind].identity.join(", ")}) replaces it, of any other input updates it in place`, () => {
        for (const key of inputKeys(kind)) {
          const replaces = (parts[kind].identity as readonly string[]).includes(key) ? [key] : [];
          assert.deepEqual(diffAfterChanging(kind, key), { changed: [key], replaces }, `a change of ${kind}.${key}`);
        }
      });
    }

    // The design, written out: what a change of these inputs does to the lab.
    const EXAMPLES: [PartKind, { updates: string[]; replaces: string[] }][] = [
      ["claim", { updates: ["subnet", "stack"], replaces: ["lab", "backend"] }],
      ["key", { updates: [], replaces: ["lab"] }],
      ["images", { updates: ["lab"], replaces: ["backend"] }],
      ["base", { updates: [], replaces: ["owner", "subnet", "egress", "upstream", "upstreamImage"] }],
      ["node", { updates: ["images", "privateKey"], replaces: ["owner", "name", "address", "egress", "authorizedKey", "nodeRecipe"] }],
      ["swarm", { updates: ["nodeSpec", "privateKey"], replaces: ["manager"] }],
      ["join", { updates: ["manager", "workerToken", "nodeSpec", "privateKey"], replaces: ["worker", "swarmId"] }],
      ["overlay", { updates: ["manager", "privateKey"], replaces: ["name", "encrypted", "swarmId"] }],
      [
        "service",
        {
          updates: ["replicas", "image", "pingTarget", "placement", "endpoint", "extras", "manager", "privateKey"],
          replaces: ["name", "network", "networkId", "mode"],
        },
      ],
    ];
    for (const [kind, { updates, replaces }] of EXAMPLES) {
      const what = [updates.length > 0 && `${updates.join("/")} update in place`, `${replaces.join("/")} replace`].filter(Boolean).join("; ");
      it(`${kind}: ${what}`, () => {
        for (const key of updates) assert.deepEqual(diffAfterChanging(kind, key), { changed: [key], replaces: [] }, `a change of ${kind}.${key}`);
        for (const key of replaces) assert.deepEqual(diffAfterChanging(kind, key), { changed: [key], replaces: [key] }, `a change of ${kind}.${key}`);
      });
    }

    it("finds no change in unchanged inputs, for every part, though the old state also holds its outputs", () => {
      for (const kind of KINDS) {
        const news = sampleInputs(kind);
        const olds = { ...news, ...Object.fromEntries(parts[kind].outputs.map((k) => [k, `${k}-out`])) };
        assert.deepEqual(diffInputs(parts[kind], olds, news), { changed: [], replaces: [] }, kind);
      }
    });

    it("ignores a change of Pulumi's __provider", () => {
      for (const kind of KINDS) {
        const olds = sampleInputs(kind);
        assert.deepEqual(
          diffInputs(parts[kind], olds, { ...olds, __provider: "exports.handler = (another) …" }),
          { changed: [], replaces: [] },
          kind,
        );
      }
    });

    it("sees a change deep inside an object input: a new manager machine replaces the swarm", () => {
      const olds = sampleInputs("swarm");
      const news = { ...olds, manager: { ...(olds.manager as Props), machine: "container-new" } };
      assert.deepEqual(diffInputs(parts.swarm, olds, news), { changed: ["manager"], replaces: ["manager"] });
    });

    it("lists every changed input, and replaces for the identity inputs among them", () => {
      assert.deepEqual(diffAfterChanging("service", "replicas", "networkId", "image"), {
        changed: ["image", "networkId", "replicas"],
        replaces: ["networkId"],
      });
    });
  });
});
