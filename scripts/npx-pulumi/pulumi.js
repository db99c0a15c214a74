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

const root = path.resolve(fs.realpathSync(__dirname), "..", "..");
const version = require(path.join(root, "package.json")).dependencies["@pulumi/pulumi"];
const home = process.env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
const cli = path.join(home, "versions", version, "bin", "pulumi");
const passphraseFile = path.join(root, ".swarmlab", "passphrase");

function fail(line) {
  process.stderr.write(`swarmlab: ${line}\n`);
  process.exit(1);
}

if (!fs.existsSync(cli)) {
  fail(`no Pulumi CLI v${version} at ${cli}: run 'npm run setup' first (it uses a pulumi v${version} on PATH, the official download, or a build from Go modules)`);
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
// The language host and pulumi-resource-pulumi-nodejs sit beside the CLI.
env.PATH = path.dirname(cli) + path.delimiter + (env.PATH || "");

const child = spawn(cli, process.argv.slice(2), { stdio: "inherit", env });
child.on("exit", (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 0)));
child.on("error", (err) => fail(`could not start ${cli}: ${err.message}`));
