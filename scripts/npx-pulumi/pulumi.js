#!/usr/bin/env node
// `npx pulumi …` in this project, from its folder or any subfolder: runs the CLI that scripts/pulumi-cli.sh put in
// $PULUMI_HOME/versions/<v>/bin (<v>: the @pulumi/pulumi version package.json pins), on the project's own state
// folder and with the project's passphrase file, the same stacks `npm run up` uses. Pulumi.yaml's relative state
// URL alone would be resolved against the current folder; an absolute PULUMI_BACKEND_URL is not.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn } = require("child_process");
const { pathToFileURL } = require("url");

function fail(line) {
  process.stderr.write(`swarmlab: ${line}\n`);
  process.exit(1);
}

/** lab/env.ts's EnvError line: `NAME = "value": problem. Fix: fix`. */
function envLine(variable, value, problem, fix) {
  return `${variable} = ${JSON.stringify(value)}: ${problem}. Fix: ${fix}`;
}

/**
 * The variables this shim reads, refused as lab/env.ts refuses them (checkPulumiHome, checkBackendUrl's empty value,
 * checkPassphraseFile), in the same words: test/unit/env.test.ts holds the two to the same lines. A PULUMI_BACKEND_URL
 * elsewhere is not refused here: this shim honours it (npm run up, which does not, refuses it in its set-up).
 */
function environmentProblems(env) {
  const problems = [];
  const home = env.PULUMI_HOME;
  if (home !== undefined) {
    const unset = "unset PULUMI_HOME (Pulumi's folder is then ~/.pulumi)";
    const bad = (problem, fix) => problems.push(envLine("PULUMI_HOME", home, problem, fix));
    if (home === "") bad("empty, which some tools take as unset and others as the current folder", unset);
    else if (home === "~" || home.startsWith("~/")) {
      bad("'~' is not expanded inside quotes: a relative path", `export PULUMI_HOME="$HOME${home.slice(1)}"`);
    } else if (!path.isAbsolute(home)) {
      const fix = `${unset}, or set it to an absolute path`;
      bad("a relative path: each command would resolve it from its own folder", fix);
    }
  }
  if (env.PULUMI_BACKEND_URL === "") {
    const problem = "empty: npx pulumi would pass it on, and Pulumi would take Pulumi.yaml's relative URL";
    problems.push(envLine("PULUMI_BACKEND_URL", "", problem, "unset PULUMI_BACKEND_URL"));
  }
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (file !== undefined) {
    const unset = "unset PULUMI_CONFIG_PASSPHRASE_FILE (the project's .swarmlab/passphrase is used then)";
    const bad = (problem, fix) => problems.push(envLine("PULUMI_CONFIG_PASSPHRASE_FILE", file, problem, fix));
    if (file === "") bad("empty: npx pulumi would pass it on, and Pulumi would find no passphrase", unset);
    else if (!path.isAbsolute(file)) {
      const fix = `${unset}, or set it to an absolute path`;
      bad("a relative path: Pulumi reads it from the project's folder, npx pulumi from yours", fix);
    } else if (!(fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false)) {
      const fix = `${unset}, or set it to the file that holds your passphrase`;
      bad("no such file: Pulumi could not open the stacks' secrets", fix);
    }
  }
  return problems;
}

// Before anything is made or run: one line for each variable with a bad value.
const problems = environmentProblems(process.env);
if (problems.length > 0) {
  for (const line of problems) process.stderr.write(`swarmlab: ${line}\n`);
  process.exit(1);
}

const root = path.resolve(fs.realpathSync(__dirname), "..", "..");
const version = require(path.join(root, "package.json")).dependencies["@pulumi/pulumi"];
const home = process.env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
const cli = path.join(home, "versions", version, "bin", "pulumi");
const passphraseFile = path.join(root, ".swarmlab", "passphrase");

if (!fs.existsSync(cli)) {
  fail(
    `no Pulumi CLI v${version} at ${cli}: run 'npm run setup' first (it uses a pulumi v${version} on PATH, the official download, or a build from Go modules)`,
  );
}
const env = { ...process.env };
// A state URL the user set wins (as it does over Pulumi.yaml). The project's state folder is made on first use (only
// its owner may enter: it holds the stacks' encrypted secrets), as npm run up makes it: on a fresh clone
// `npx pulumi stack init` or `config set` may come first.
if (env.PULUMI_BACKEND_URL === undefined) {
  const state = path.join(root, ".pulumi-state");
  fs.mkdirSync(state, { recursive: true, mode: 0o700 });
  env.PULUMI_BACKEND_URL = pathToFileURL(state).href;
}
// A passphrase the user set wins; `npm run setup` makes the file.
const ownPassphrase = env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE !== undefined;
if (!ownPassphrase && fs.existsSync(passphraseFile)) env.PULUMI_CONFIG_PASSPHRASE_FILE = passphraseFile;
env.PULUMI_SKIP_UPDATE_CHECK ??= "true";
// The program loads through the project's ts-node and swc (tsconfig.json), transpiling only: the language host would
// otherwise type-check the whole program at every run (npm run typecheck does that once).
env.PULUMI_NODEJS_TRANSPILE_ONLY ??= "true";
// The language host and pulumi-resource-pulumi-nodejs sit beside the CLI.
env.PATH = path.dirname(cli) + path.delimiter + (env.PATH || "");

const child = spawn(cli, process.argv.slice(2), { stdio: "inherit", env });
child.on("exit", (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 0)));
child.on("error", (err) => fail(`could not start ${cli}: ${err.message}`));
