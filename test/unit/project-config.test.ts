// Pulumi.yaml declares the swarmlab: settings (types, descriptions, defaults) so that `pulumi config` shows them
// and Pulumi refuses a wrong type before the program runs. The declaration must not drift from lab/config.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../infra/provider";
import * as config from "../../lab/config";

/** The `config:` block of Pulumi.yaml: key → its type and default (a deliberately small reader for this block). */
function declared(): Map<string, { type?: string; default?: string }> {
  const text = readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8");
  const block = text.slice(text.indexOf("\nconfig:\n"));
  const keys = new Map<string, { type?: string; default?: string }>();
  let current: { type?: string; default?: string } | undefined;
  for (const line of block.split("\n")) {
    const key = /^ {2}swarmlab:(\w+):$/.exec(line);
    if (key) keys.set(key[1], (current = {}));
    const field = /^ {4}(type|default): (.*)$/.exec(line);
    if (field && current) current[field[1] as "type" | "default"] = field[2];
  }
  return keys;
}

describe("Pulumi.yaml declares the swarmlab: settings", function () {
  /**
   * Pulumi takes a declared key without a default as required: these defaults depend on each other (or, for
   * vagrantProvider, on what this machine has installed; managers' check, on nodes), so the program keeps them.
   * hosts (the ssh backend's) has no default: only a lab of that backend needs it, and says so.
   */
  const UNDECLARED = ["workers", "managers", "nodes", "replicas", "vagrantProvider", "hosts"];

  it("every setting the program knows, but those whose defaults depend on each other (workers, nodes, replicas)", function () {
    assert.deepEqual([...declared().keys()].sort(), config.CONFIG_KEYS.filter((k) => !UNDECLARED.includes(k)).sort());
  });

  it("each a string, but encrypted, a boolean (Pulumi refuses anything but true or false before the program runs)", function () {
    for (const [key, d] of declared()) assert.equal(d.type, key === "encrypted" ? "boolean" : "string", key);
  });

  it("each with the program's own default", function () {
    const expected: Record<string, string | undefined> = {
      name: config.DEFAULT_NAME,
      backend: "docker",
      subnet: config.DEFAULT_SUBNET,
      egress: "none",
      overlay: config.DEFAULT_OVERLAY,
      service: config.DEFAULT_SERVICE,
      image: config.DEFAULT_IMAGE,
      encrypted: "false",
    };
    for (const [key, d] of declared()) assert.equal(d.default, expected[key], key);
    // and the program reads those defaults the same way as an unset value
    const spec = config.labSpecFromConfig({});
    assert.deepEqual(
      {
        name: spec.name,
        backend: spec.backend,
        subnet: spec.subnet,
        egress: spec.egress,
        overlay: spec.overlay.name,
        service: spec.service.name,
        image: spec.service.image,
        encrypted: String(spec.overlay.encrypted),
      },
      Object.fromEntries(Object.entries(expected)),
    );
  });
});
