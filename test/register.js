// Loads the project's TypeScript in mocha's process (.mocharc.json's require): each .ts module is transpiled by swc
// as it is required, with the options of scripts/compiled.js, so the tests run the code the commands run. It does
// what ts-node did here (transpile only: `npm run typecheck` checks the types) without loading the TypeScript
// compiler, half a second of every mocha run. Errors point into the .ts source (inline source maps).
const fs = require("node:fs");
const Module = require("node:module");
const { SWC_OPTIONS } = require("../scripts/compiled");

const swc = require("@swc/core");
const options = { ...SWC_OPTIONS, sourceMaps: "inline" };

process.setSourceMapsEnabled(true);
Module._extensions[".ts"] = function (module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, "utf8"), { ...options, filename });
  module._compile(code, filename);
};
