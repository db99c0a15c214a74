// lab/settings-text.ts: a setting's text in Pulumi.<stack>.yaml against what Pulumi handed the program (issue 15).
import assert from "node:assert/strict";
import { ConfigError } from "../../lab/config";
import { assertSettingsReadAlike, writtenSettings } from "../../lab/settings-text";

const FILE = (config: string) => ({ name: "Pulumi.dev.yaml", text: `encryptionsalt: v1:c2FsdA==\nconfig:\n${config}` });

/** The refusal for these file lines and Pulumi's reading, or undefined when the two agree. */
function refusal(config: string, read: Record<string, string>): ConfigError | undefined {
  try {
    assertSettingsReadAlike(FILE(config), read);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(!e.message.includes("\n"), "one line");
    return e;
  }
  return undefined;
}

describe("settings file text against Pulumi's reading", () => {
  it("writtenSettings: each swarmlab: scalar as written, unquoted; secrets, lists and other namespaces left out", () => {
    const text = [
      "config:",
      "  swarmlab:workers: 010",
      '  swarmlab:subnet: "192.168.57.0/24"',
      "  swarmlab:encrypted: True",
      "  swarmlab:name:",
      "    secure: v1:AAAA",
      "  swarmlab:nodes:",
      "    - m",
      "    - w1",
      "  aws:region: eu-west-1",
      "",
    ].join("\n");
    assert.deepEqual(writtenSettings(text), { workers: "010", subnet: "192.168.57.0/24", encrypted: "True" });
    assert.deepEqual(writtenSettings("config:\n  replicas: 02\n"), { replicas: "02" }, "no namespace: the project's");
  });

  it("writtenSettings: a file with no config, or none that is YAML, holds nothing to compare", () => {
    assert.deepEqual(writtenSettings("encryptionsalt: x\n"), {});
    assert.deepEqual(writtenSettings("config: [\n"), {});
    assert.deepEqual(writtenSettings("config: just text\n"), {});
    assert.deepEqual(writtenSettings(""), {});
  });

  it("what the CLI writes (quoted) and plain text every reader reads alike pass", () => {
    const config = ['  swarmlab:workers: "3"', "  swarmlab:replicas: 2", "  swarmlab:encrypted: true", "  swarmlab:image: busybox:latest", ""].join(
      "\n",
    );
    assert.equal(refusal(config, { workers: "3", replicas: "2", encrypted: "true", image: "busybox:latest" }), undefined);
  });

  it("a key the file does not hold (a default from Pulumi.yaml), or Pulumi did not hand over, is not compared", () => {
    assert.equal(refusal("  swarmlab:workers: 010\n", { name: "swarmlab" }), undefined);
    assert.equal(refusal("  swarmlab:colour: 010\n", { colour: "8" }), undefined, "an unknown key is refused as one, later");
  });

  it("issue 15: workers: 010, which Pulumi hands over as 8, is refused naming both readings; the fix writes 10", () => {
    const e = refusal("  swarmlab:workers: 010\n", { workers: "8" })!;
    assert.equal(
      e.message,
      'swarmlab:workers = "8": Pulumi.dev.yaml says 010, which Pulumi reads as 8 (octal, for its leading 0) ' +
        "and YAML 1.2 readers (the doctor's) as 10: a setting must mean the same to every reader. " +
        "Fix: pulumi config set swarmlab:workers 10",
    );
    assert.equal(e.key, "workers");
    assert.equal(e.value, "8");
  });

  it("the fix prefers what was meant, then Pulumi's reading, then rm, whichever the settings take", () => {
    assert.equal(refusal("  swarmlab:workers: 0x10\n", { workers: "16" })!.fix, "pulumi config set swarmlab:workers 16");
    assert.equal(refusal("  swarmlab:workers: 025\n", { workers: "21" })!.fix, "pulumi config rm swarmlab:workers", "neither 25 nor 21 workers");
    assert.equal(refusal("  swarmlab:service: 010\n", { service: "8" })!.fix, "pulumi config set swarmlab:service 010");
    assert.equal(refusal("  swarmlab:encrypted: True\n", { encrypted: "true" })!.fix, "pulumi config set swarmlab:encrypted true");
    assert.equal(
      refusal("  swarmlab:replicas: 03\n", { replicas: "3", workers: "2" })!.fix,
      "pulumi config rm swarmlab:replicas",
      "3 do not fit 2 workers",
    );
  });

  it("text with blanks or quotes is shown JSON-quoted, so the line stays one line", () => {
    const e = refusal("  swarmlab:overlay: 1e3\n", { overlay: "1000" })!;
    assert.match(e.message, /^swarmlab:overlay = "1000": Pulumi\.dev\.yaml says 1e3, which Pulumi reads as 1000 \(a number\)/);
    assert.match(
      refusal("  swarmlab:name: ~\n", { name: "" })!.message,
      /says "~", which Pulumi reads as "" \(nothing\) and YAML 1\.2 readers \(the doctor's\) as null/,
    );
  });
});
