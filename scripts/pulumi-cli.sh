#!/usr/bin/env bash
# Builds the Pulumi CLI from Go modules when no usable one is installed, into
# $PULUMI_HOME/versions/<ver>/bin — the folder the npm `pulumi` wrapper runs from.
# The version is the one package.json pins for @pulumi/pulumi, so CLI and SDK match.
# Why build at all: on machines without internet (ours, offline classrooms) nothing can download the CLI.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(node -p "require('$root/package.json').dependencies['@pulumi/pulumi']")
pulumi_home=${PULUMI_HOME:-$HOME/.pulumi}
bin="$pulumi_home/versions/$version/bin"
marker="$bin/.swarmlab-built"
cache=${SWARMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swarmlab}

dynamic_provider_script() {
  # Dynamic providers run through this script, shipped inside @pulumi/pulumi; the engine looks for it
  # beside the CLI or on PATH.
  local src="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [ -f "$src" ] && ! cmp -s "$src" "$bin/pulumi-resource-pulumi-nodejs"; then
    install -m 0755 "$src" "$bin/pulumi-resource-pulumi-nodejs"
  fi
}

if [ -x "$bin/pulumi" ] && [ -f "$marker" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "v$version" ]; then
  dynamic_provider_script
  echo "pulumi: CLI v$version already installed at $bin (nothing to do)"
  exit 0
fi
# An official install (the npm wrapper's download or get.pulumi.com) has no marker but reports the version.
if [ -x "$bin/pulumi" ] && [ ! -e "$bin/.swarmlab-building" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "v$version" ]; then
  dynamic_provider_script
  echo "pulumi: official CLI v$version found at $bin (nothing to do)"
  exit 0
fi

fail() {
  echo "pulumi: $1" >&2
  echo "pulumi: to use the official CLI instead: curl -fsSL https://get.pulumi.com | sh -s -- --version $version" >&2
  echo "pulumi:   (or run 'npx pulumi version' on a machine with internet: the npm wrapper downloads it)" >&2
  exit 1
}

command -v go >/dev/null || fail "no Go toolchain on PATH: install Go >= 1.25 (https://go.dev/dl or 'apt-get install golang-go' on a recent distribution) to build the CLI from Go modules"

start=$(date +%s)
work="$cache/pulumi-cli-$version"
mkdir -p "$work"
cat > "$work/go.mod" <<MOD
module swarmlab.local/pulumi-cli

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 v$version
	github.com/pulumi/pulumi/sdk/v3 v$version
)

// pkg/v3 replaces atotto/clipboard with this fork; replace directives of dependencies do not apply here.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO

echo "pulumi: building CLI v$version from Go modules in $work (first build: many minutes; later builds use Go's caches)"
cd "$work"
log="$work/build.log"
if ! { go mod tidy && go build -trimpath -o "$work/pulumi.new" \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi; } >"$log" 2>&1; then
  tail -20 "$log" >&2
  rm -f "$work/pulumi.new"
  fail "building the CLI from Go modules failed (log: $log); is the Go module proxy reachable ('go env GOPROXY')?"
fi

# Install so that an interrupted run never leaves a CLI that looks complete: the marker comes last.
mkdir -p "$bin"
touch "$bin/.swarmlab-building"
rm -f "$marker"
install -m 0755 "$work/pulumi.new" "$bin/pulumi"
rm -f "$work/pulumi.new"
dynamic_provider_script
[ "$("$bin/pulumi" version)" = "v$version" ] || fail "the built CLI does not report v$version"
touch "$marker"
rm -f "$bin/.swarmlab-building"
echo "pulumi: built CLI v$version into $bin in $(( $(date +%s) - start ))s"
