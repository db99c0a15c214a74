#!/usr/bin/env bash
# Everything `npm run up` and the tests need before Pulumi runs; each step does nothing when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
# npm ci and the rest under a Node that package.json engines allows (scripts/node.sh; it says nothing more when an
# npm script chose that Node already).
. scripts/node.sh

# --quick (npm run up): each step only when it has something to do, silently otherwise; the environment and the
# passphrase are left to scripts/lab.ts, which checks and makes them itself. Everything else runs it all.
quick=false
if [ "${1:-}" = --quick ]; then quick=true; fi
step() { if ! $quick; then printf '\n== %s\n' "$1"; fi; }

step "npm packages"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
  mkdir -p -m 700 "${SWC_NATIVE_BINDING_CACHE:-node_modules/.cache/swc-native}" # npm ci removed it (scripts/node.sh)
elif ! $quick; then
  echo "npm: node_modules up to date (nothing to do)"
fi
if $quick; then
  # the Pulumi CLI is checked by scripts/up.ts, only when it runs the engine (a healthy lab's up does not)
  bash scripts/docker-engine.sh --quick
  exit 0
fi

step "environment"
# Every variable the scripts read that has a bad value, one line each (lab/env.ts): nothing below runs then.
node_modules/.bin/ts-node -T -e 'const bad = require("./scripts/doctor").environmentProblems();
for (const e of bad) console.error(`swarmlab: ${e.message}`);
if (bad.length > 0) process.exit(1);
console.log("environment: no variable to fix")'

step "Docker engine"
bash scripts/docker-engine.sh

step "Pulumi CLI"
bash scripts/pulumi-cli.sh

step "Pulumi passphrase"
# The stacks' secrets are encrypted with it; `npm run up`, the tests and `npx pulumi` (scripts/npx-pulumi) use it.
node_modules/.bin/ts-node -T -e 'const { ensurePassphraseFile } = require("./infra/passphrase"); const f = require("node:path").relative(process.cwd(), ensurePassphraseFile()); console.log(`passphrase: ${f} (random, mode 600, gitignored; a PULUMI_CONFIG_PASSPHRASE you set wins)`)'
