// Runs swarmlab's TypeScript as JavaScript compiled ahead, into dist/ (gitignored): each command would otherwise load
// the TypeScript compiler and transpile every module again (ts-node: ~1 s a process, for the npm commands and for the
// Pulumi provider process of every up and down). A source newer than its output is compiled again before anything
// loads, with the options ts-node gives swc for tsconfig.json, so both run the same code. Plain JavaScript: it must
// run before anything is compiled.
//
//   node scripts/compiled.js scripts/lab.ts up      runs scripts/lab.ts (as dist/scripts/lab.js) with argument "up"
//   require("<root>/scripts/compiled.js").load(root, "lab/parts/runner")   the same from code
const fs = require("node:fs");
const path = require("node:path");

/** The folders whose TypeScript the commands run (test/ stays with ts-node: mocha loads it). */
const SOURCES = ["lab", "infra", "scripts"];
const OUT = "dist";

// As ts-node/transpilers/swc builds them from tsconfig.json (target ES2022, module commonjs, esModuleInterop, strict):
// class fields are defined (ES2022), default imports interoperate, every module is strict.
const SWC_OPTIONS = {
  swcrc: false,
  sourceMaps: false,
  module: { type: "commonjs", noInterop: false, strictMode: true, ignoreDynamic: false },
  jsc: {
    parser: { syntax: "typescript", tsx: false, dynamicImport: true },
    target: "es2022",
    transform: { legacyDecorator: true, useDefineForClassFields: true },
    keepClassNames: true,
  },
};

/** Every .ts source (not .d.ts) under the folders, relative to root. */
function sources(root) {
  const found = [];
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = path.join(rel, e.name);
      if (e.isDirectory()) walk(child);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) found.push(child);
    }
  };
  for (const dir of SOURCES) if (fs.existsSync(path.join(root, dir))) walk(dir);
  return found;
}

const mtime = (file) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;

/** Compiles every source newer than its output (all of them the first time); returns how many it compiled. */
function ensureBuilt(root) {
  // an output older than this file (its options) or than the installed packages (swc's version) is stale too
  const tools = Math.max(mtime(__filename) ?? 0, mtime(path.join(root, "package-lock.json")) ?? 0);
  const stale = sources(root).filter((rel) => {
    const built = mtime(path.join(root, OUT, rel.replace(/\.ts$/, ".js")));
    return built === undefined || built < Math.max(mtime(path.join(root, rel)), tools);
  });
  if (stale.length === 0) return 0;
  const swc = require("@swc/core"); // only when something is to compile: it loads a native module
  for (const rel of stale) {
    const src = path.join(root, rel);
    const out = path.join(root, OUT, rel.replace(/\.ts$/, ".js"));
    const { code } = swc.transformFileSync(src, { ...SWC_OPTIONS, filename: src });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // whole or not at all: another command may be loading it, or compiling it too
    const partial = `${out}.${process.pid}`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, out);
  }
  return stale.length;
}

const checked = new Set(); // roots brought up to date by this process: the sources do not change under a command

/** The compiled module of a source (a path relative to root, with or without .ts), compiled first if stale. */
function load(root, modulePath) {
  if (!checked.has(root)) {
    ensureBuilt(root);
    checked.add(root);
  }
  return require(path.join(root, OUT, modulePath.replace(/\.ts$/, "")));
}

module.exports = { ensureBuilt, load, SWC_OPTIONS };

if (require.main === module) {
  const root = path.resolve(__dirname, "..");
  const [script, ...args] = process.argv.slice(2);
  if (!script) {
    console.error("usage: node scripts/compiled.js <script.ts> [argument...]");
    process.exit(2);
  }
  // The script reads its arguments as if it had been started itself: argv[2] is its first.
  process.argv = [process.argv[0], path.join(root, OUT, script.replace(/\.ts$/, ".js")), ...args];
  ensureBuilt(root);
  require("node:module").runMain(); // as the main module: its `require.main === module` holds
}
