#!/usr/bin/env bash
# Builds the Pulumi CLI from Go modules when no usable one is installed, into
# $PULUMI_HOME/versions/<ver>/bin — the folder the npm `pulumi` wrapper runs from.
# The version is the one package.json pins for @pulumi/pulumi, so CLI and SDK match.
# Why build at all: on machines without internet (ours, offline classrooms) nothing can download the CLI.
# Beside it goes the Node.js language host `pulumi-language-nodejs`, which `pulumi up`/`preview` of the
# Pulumi.yaml program need (Automation API inline programs do not); see ensure_language_host for its version.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(node -p "require('$root/package.json').dependencies['@pulumi/pulumi']")
pulumi_home=${PULUMI_HOME:-$HOME/.pulumi}
bin="$pulumi_home/versions/$version/bin"
marker="$bin/.swarmlab-built"
cache=${SWARMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swarmlab}

# The language host is built from github.com/pulumi/pulumi/sdk/v3 at this release, not at $version: since
# v3.69.0 the host is its own module (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3),
# which the Go module proxy we can reach does not serve (403 for every version), and v3.68.0 is the newest
# release whose sdk module still contains it (nodejs/cmd/pulumi-language-nodejs). It works with the CLI and
# @pulumi/pulumi at $version (up, preview, destroy, config and secrets, dynamic providers: tested with
# 3.259.0); the newer gRPC calls it lacks (GetRequiredPackages, Cancel, ...) have fallbacks in the CLI.
# Known differences from the matching host: Pulumi.yaml runtime options other than `typescript` (tsconfig,
# nodeargs, packagemanager) are ignored, and pulumi.runtime.getRootDirectory() is not set.
language_host_version=3.68.0
language_host_marker="$bin/.swarmlab-language-nodejs-built"

dynamic_provider_script() {
  # Dynamic providers run through this script, shipped inside @pulumi/pulumi; the engine looks for it
  # beside the CLI or on PATH.
  local src="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [ -f "$src" ] && ! cmp -s "$src" "$bin/pulumi-resource-pulumi-nodejs"; then
    install -m 0755 "$src" "$bin/pulumi-resource-pulumi-nodejs"
  fi
}

fail() {
  echo "pulumi: $1" >&2
  echo "pulumi: to use the official CLI instead: curl -fsSL https://get.pulumi.com | sh -s -- --version $version" >&2
  echo "pulumi:   (or run 'npx pulumi version' on a machine with internet: the npm wrapper downloads it)" >&2
  exit 1
}

need_go() {
  command -v go >/dev/null || fail "no Go toolchain on PATH: install Go >= 1.25 (https://go.dev/dl or 'apt-get install golang-go' on a recent distribution) to build $1 from Go modules"
}

# go_build NAME VERSION PACKAGE REQUIREMENTS [HINT]: builds PACKAGE in a small wrapper module (whose go.mod holds
# REQUIREMENTS) under $cache/NAME-VERSION, with the version stamped in; prints the built file's path.
go_build() {
  local name=$1 ver=$2 pkg=$3 requirements=$4 hint=${5:-}
  local work="$cache/$name-$ver"
  mkdir -p "$work"
  printf 'module swarmlab.local/%s\n\ngo 1.25\n\n%s\n' "$name" "$requirements" > "$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > "$work/tools.go"
  echo "pulumi: building $name v$ver from Go modules in $work (first build: minutes; later builds use Go's caches)" >&2
  if ! ( cd "$work" && go mod tidy && go build -trimpath -o "$work/$name.new" \
          -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$ver" "$pkg" ) >"$work/build.log" 2>&1; then
    tail -20 "$work/build.log" >&2
    rm -f "$work/$name.new"
    fail "building $name ($pkg@v$ver) from Go modules failed (log: $work/build.log); is the Go module proxy reachable ('go env GOPROXY')?$hint"
  fi
  echo "$work/$name.new"
}

ensure_cli() {
  if [ -x "$bin/pulumi" ] && [ -f "$marker" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "v$version" ]; then
    dynamic_provider_script
    echo "pulumi: CLI v$version already installed at $bin (nothing to do)"
    return 0
  fi
  # An official install (the npm wrapper's download or get.pulumi.com) has no marker but reports the version.
  if [ -x "$bin/pulumi" ] && [ ! -e "$bin/.swarmlab-building" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "v$version" ]; then
    dynamic_provider_script
    echo "pulumi: official CLI v$version found at $bin (nothing to do)"
    return 0
  fi

  need_go "the CLI"
  local start new
  start=$(date +%s)
  new=$(go_build pulumi-cli "$version" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$(cat <<MOD
require (
	github.com/pulumi/pulumi/pkg/v3 v$version
	github.com/pulumi/pulumi/sdk/v3 v$version
)

// pkg/v3 replaces atotto/clipboard with this fork; replace directives of dependencies do not apply here.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
)")

  # Install so that an interrupted run never leaves a CLI that looks complete: the marker comes last.
  mkdir -p "$bin"
  touch "$bin/.swarmlab-building"
  rm -f "$marker"
  install -m 0755 "$new" "$bin/pulumi"
  rm -f "$new"
  dynamic_provider_script
  [ "$("$bin/pulumi" version)" = "v$version" ] || fail "the built CLI does not report v$version"
  touch "$marker"
  rm -f "$bin/.swarmlab-building"
  echo "pulumi: built CLI v$version into $bin in $(( $(date +%s) - start ))s"
}

ensure_language_host() {
  local host="$bin/pulumi-language-nodejs"
  if [ -x "$host" ] && [ "$(cat "$language_host_marker" 2>/dev/null)" = "v$language_host_version" ]; then
    echo "pulumi: language host pulumi-language-nodejs v$language_host_version already installed at $bin (nothing to do)"
    return 0
  fi
  # An official install ships its own host beside the CLI: it has no marker of ours; keep it.
  if [ -x "$host" ] && [ ! -e "$language_host_marker" ] && [ ! -e "$bin/.swarmlab-building-language-nodejs" ]; then
    echo "pulumi: language host pulumi-language-nodejs found at $bin, not built here (nothing to do)"
    return 0
  fi

  need_go "the Node.js language host"
  local start new
  start=$(date +%s)
  new=$(go_build pulumi-language-nodejs "$language_host_version" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
    "require github.com/pulumi/pulumi/sdk/v3 v$language_host_version" \
    " Without it 'pulumi up' of Pulumi.yaml's program fails with \"no language plugin 'pulumi-language-nodejs' found\"; 'npm run up' (Automation API, inline program) does not need it")

  # As for the CLI: the marker (holding the version) comes last.
  mkdir -p "$bin"
  touch "$bin/.swarmlab-building-language-nodejs"
  rm -f "$language_host_marker"
  install -m 0755 "$new" "$host"
  rm -f "$new"
  echo "v$language_host_version" > "$language_host_marker"
  rm -f "$bin/.swarmlab-building-language-nodejs"
  echo "pulumi: built language host pulumi-language-nodejs v$language_host_version into $bin in $(( $(date +%s) - start ))s"
}

ensure_cli
ensure_language_host
