import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";

// scripts/compiled.js is plain JavaScript (it runs before anything is compiled)
const compiled = require("../../scripts/compiled.js") as {
  ensureBuilt(root: string): number;
  load(root: string, modulePath: string): Record<string, unknown>;
  SWC_OPTIONS: { module: Record<string, unknown>; jsc: Record<string, unknown> };
};

describe("scripts/compiled.js: the lab's code compiled ahead into dist/", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "swarmlab-compiled-"));
  writeFileSync(path.join(root, "package.json"), "{}");
  mkdirSync(path.join(root, "lab"));
  const source = (rel: string, text: string, secondsAgo = 10) => {
    const file = path.join(root, rel);
    writeFileSync(file, text);
    const when = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(file, when, when);
  };
  source("lab/count.ts", "export default function count(xs: number[]): number { return xs.length; }\n");
  source(
    "lab/main.ts",
    'import count from "./count";\nexport class Box { readonly items: number[] = [1, 2]; constructor(readonly name: string) {} size() { return count(this.items); } }\n',
  );
  source("lab/types.d.ts", "export type X = number;\n");

  it("compiles every source once (declarations aside), then nothing until a source is newer than its output", () => {
    assert.equal(compiled.ensureBuilt(root), 2);
    assert.equal(compiled.ensureBuilt(root), 0);
    source("lab/count.ts", "export default function count(xs: number[]): number { return xs.length * 10; }\n", -5);
    assert.equal(compiled.ensureBuilt(root), 1);
  });

  it("the compiled modules run as ts-node runs them: default imports, parameter properties, class fields", () => {
    const { Box } = compiled.load(root, "lab/main.ts") as { Box: new (n: string) => { name: string; size(): number } };
    const box = new Box("b");
    assert.equal(box.name, "b");
    assert.equal(box.size(), 20);
  });

  it("uses the swc options ts-node derives from tsconfig.json", () => {
    const { config } = ts.readConfigFile(path.join(__dirname, "../../tsconfig.json"), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, path.join(__dirname, "../.."));
    const { createSwcOptions } = require("ts-node/transpilers/swc") as {
      createSwcOptions(o: ts.CompilerOptions, kind: undefined, swc: unknown, name: string): { nonTsxOptions: typeof compiled.SWC_OPTIONS };
    };
    const theirs = createSwcOptions(options, undefined, require("@swc/core"), "@swc/core").nonTsxOptions;
    assert.deepEqual(compiled.SWC_OPTIONS.module, { ...theirs.module, ignoreDynamic: false });
    const jsc = theirs.jsc as { target: string; keepClassNames: boolean; transform: { useDefineForClassFields: boolean } };
    assert.equal(compiled.SWC_OPTIONS.jsc.target, jsc.target);
    assert.equal(compiled.SWC_OPTIONS.jsc.keepClassNames, jsc.keepClassNames);
    assert.equal(
      (compiled.SWC_OPTIONS.jsc.transform as { useDefineForClassFields: boolean }).useDefineForClassFields,
      jsc.transform.useDefineForClassFields,
    );
  });
});
