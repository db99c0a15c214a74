#!/usr/bin/env bash
# Puts the Pulumi CLI at the version package.json pins for @pulumi/pulumi (so CLI and SDK match) into
# $PULUMI_HOME/versions/<ver>/bin: the folder this project's `npx pulumi` (scripts/npx-pulumi) runs from, and the one
# infra/stack.ts gives the Automation API. Beside it go the Node.js language host `pulumi-language-nodejs`
# (`npx pulumi up`/`preview` of Pulumi.yaml's program need it; `npm run up`'s inline program does not) and
# `pulumi-resource-pulumi-nodejs` (dynamic providers need it).
#
# Sources, best first; each is tried only when the ones before it gave nothing:
#   1. the folder already holds a CLI that reports <ver>   nothing to do (a fraction of a second)
#   2. a `pulumi` on PATH that reports <ver>                linked into the folder, with the plugins beside it
#   3. the official download, through the npm wrapper       the CLI and its matching plugins; offline it fails in ~1 s
#   4. a build from Go modules                              needs Go; minutes cold, seconds warm; prints a progress
#                                                           line every $SWARMLAB_PROGRESS_SECONDS (default 20) s
# test/unit/pulumi-cli.test.ts runs this script with stub `npx`, `go` and `pulumi` commands on PATH.
set -euo pipefail

# shellcheck source=scripts/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# A bad variable stops this before anything is fetched, linked or built (lab/env.ts has PULUMI_HOME's rule too).
env_folder pulumi PULUMI_HOME "Pulumi's folder" "~/.pulumi"
case "${SWARMLAB_PROGRESS_SECONDS:-20}" in
  [1-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9]) ;;
  *) env_refuse pulumi SWARMLAB_PROGRESS_SECONDS "not a whole number of seconds from 1 to 9999" \
       "export SWARMLAB_PROGRESS_SECONDS=20, or unset it" ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(node -p "require('$root/package.json').dependencies['@pulumi/pulumi']")
pulumi_home=${PULUMI_HOME:-$HOME/.pulumi}
bin="$pulumi_home/versions/$version/bin"
marker="$bin/.swarmlab-built"          # our Go build of the CLI is installed completely
building="$bin/.swarmlab-building"     # our Go build of the CLI is being installed (if it stays: interrupted)
cache=${SWARMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swarmlab}
case "$cache" in /*) ;; *) cache="$PWD/$cache" ;; esac # as scripts/node.sh takes it; the build cds into it
progress_every=${SWARMLAB_PROGRESS_SECONDS:-20}
download_failure=""                    # why the official download failed (step 3), for step 4's messages

# The language host is built from github.com/pulumi/pulumi/sdk/v3 at this release, not at $version: since
# v3.69.0 the host is its own module (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3),
# which the Go module proxy we can reach does not serve (403 for every version), and v3.68.0 is the newest
# release whose sdk module still contains it (nodejs/cmd/pulumi-language-nodejs). It works with the CLI and
# @pulumi/pulumi at $version (up, preview, destroy, config and secrets, dynamic providers: tested with
# 3.259.0); the newer gRPC calls it lacks (GetRequiredPackages, Cancel, ...) have fallbacks in the CLI.
# Known differences from the matching host: Pulumi.yaml runtime options other than `typescript` (tsconfig,
# nodeargs, packagemanager) are ignored, and pulumi.runtime.getRootDirectory() is not set.
# It is built only when neither the official download nor a linked CLI brought the matching host.
language_host_version=3.68.0
language_host_marker="$bin/.swarmlab-language-nodejs-built"
language_host_building="$bin/.swarmlab-building-language-nodejs"

say() { echo "pulumi: $*"; }

# One line on stderr, then stop: each failure says what to install or do.
fail() {
  echo "pulumi: $*" >&2
  exit 1
}

# shellcheck source=scripts/clock.sh
. "$(dirname "${BASH_SOURCE[0]}")/clock.sh"

# What a CLI says its version is ("v3.259.0"), or nothing if it does not run.
cli_version() { PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null || true; }

## 1. Already installed

# The folder's CLI counts if it reports the pinned version, unless our own install of it was interrupted (the
# building marker is still there): such a CLI may answer and yet be incomplete. An official install (the npm
# wrapper's download or get.pulumi.com) and a linked PATH CLI have no marker of ours and count too.
installed() {
  [ -x "$bin/pulumi" ] && [ ! -e "$building" ] && [ "$(cli_version "$bin/pulumi")" = "v$version" ]
}

origin() {
  if [ -L "$bin/pulumi" ]; then echo "linked to $(readlink "$bin/pulumi")"
  elif [ -e "$marker" ]; then echo "built here from Go modules"
  else echo "official"
  fi
}

## 2. A CLI on PATH

# Sets path_cli to the first `pulumi` on PATH that reports exactly the pinned version (else to "").
# Why exactly, not "same major.minor": the folder is named after the version, and nothing checks what runs from
# it: the npm wrapper runs whatever is there, and so does the Automation API (PulumiCommand.get only refuses a CLI
# older than v3.2 or of another major version). So any other version linked there would silently stand in for
# <ver> for both. An exact match also keeps step 1 a yes/no question (a v3.259.1 under 3.259.0 would never count
# as installed and would be linked again on every run). A CLI of another version is only ignored, never removed.
# (infra/stack.ts falls back to PATH's CLI, of any v3, only when the folder is empty, which it is after this
# script only if the script failed.)
find_path_cli() {
  path_cli=""
  local candidate real reported bin_real
  bin_real=$(readlink -m "$bin")
  while IFS= read -r candidate; do
    real=$(readlink -f "$candidate") || continue
    case "$real" in
      # The folder itself (on PATH inside `npx pulumi`): step 1 already judged it.
      "$bin_real"/*) continue ;;
      # An npm wrapper (npm puts node_modules/.bin on PATH), or this project's `npx pulumi`: not a CLI.
      */node_modules/* | "$root"/scripts/npx-pulumi/*) continue ;;
    esac
    reported=$(cli_version "$real")
    if [ "$reported" = "v$version" ]; then
      path_cli=$real
      return 0
    fi
    say "ignoring $candidate on PATH: it reports '${reported:-nothing}', not v$version (the version of @pulumi/pulumi)"
  done < <(type -ap pulumi || true)
}

# Links the PATH CLI into the folder, so that `npx pulumi` and the Automation API both run it. Its siblings
# (pulumi-language-*, pulumi-resource-pulumi-nodejs, ...) are the plugins released with it: link them too, so
# that the matching language host is used, as with an official install. Links, not copies: the CLI is ~115 MB,
# and if it is upgraded in place, step 1 notices the new version on the next run.
link_path_cli() {
  local dir file
  dir=$(dirname "$path_cli")
  mkdir -p "$bin"
  rm -f "$bin/pulumi" "$marker" "$building"
  for file in "$dir"/pulumi-*; do
    if [ -f "$file" ] && [ -x "$file" ]; then ln -sfn "$file" "$bin/$(basename "$file")"; fi
  done
  # A host of ours that the link replaced is no longer ours.
  if [ -e "$dir/pulumi-language-nodejs" ]; then rm -f "$language_host_marker" "$language_host_building"; fi
  # The CLI's link comes last: the wrapper takes the folder for installed as soon as bin/pulumi exists.
  ln -sfn "$path_cli" "$bin/pulumi"
  say "linked CLI v$version from $path_cli (and the plugins beside it) into $bin"
}

## Progress of long steps (3 and 4)

# start_task: the clock that progress lines report (a task may run several commands).
start_task() {
  task_start=$(now_ms)
  next_report=$(( task_start + progress_every * 1000 ))
}

# run_with_progress TITLE DESCRIBE LOG COMMAND...: runs COMMAND with its output appended to LOG and, every
# $progress_every seconds of the task, prints the elapsed time and what DESCRIBE makes of LOG, so that a step of
# several minutes never looks stuck. Returns COMMAND's status.
run_with_progress() {
  local title=$1 describe=$2 log=$3 pid
  shift 3
  "$@" >>"$log" 2>&1 &
  pid=$!
  # If this script is stopped, stop COMMAND too rather than leave it running unseen.
  trap 'kill '"$pid"' 2>/dev/null || true' EXIT
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
    if (( $(now_ms) >= next_report )); then
      say "$title: $(duration $(( $(now_ms) - task_start ))) elapsed, $("$describe" "$log")"
      next_report=$(( next_report + progress_every * 1000 ))
    fi
  done
  trap - EXIT
  wait "$pid"
}

# The last line a command wrote (curl's progress meter rewrites its line with carriage returns).
last_line() {
  local line
  line=$(tail -c 2000 "$1" 2>/dev/null | tr '\r' '\n' | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-160) || true
  echo "${line:-no output}"
}

## 3. The official download

# A CLI in the folder that step 1 did not accept (interrupted build, other version, dangling link) is stale:
# remove it, or the npm wrapper would run it instead of downloading. Remove our links as well: the official
# installer copies its files over them, which would write through a link into the linked installation.
clear_stale_cli() {
  [ -d "$bin" ] || return 0
  rm -f "$bin/pulumi" "$marker" "$building"
  find "$bin" -maxdepth 1 -type l -delete
}

# The official npm wrapper (package `pulumi`, 3 KB, fetched by npx into npm's cache) runs
# $PULUMI_HOME/versions/<v>/bin/pulumi, and when that is missing first installs the official release there with
# get.pulumi.com's install.sh: the CLI, its language hosts (the matching pulumi-language-nodejs) and
# pulumi-resource-pulumi-nodejs. PULUMI_VERSION makes it fetch the pinned version whatever the wrapper's own.
# It runs from the cache folder: in the project, `pulumi` is this project's own `npx pulumi`. Without the Pulumi
# download site it fails fast ("pulumi: fetch failed", ~1 s), so trying it before a Go build of minutes costs little.
official_download() {
  local log="$cache/official-download.log"
  mkdir -p "$cache"
  : >"$log"
  say "trying the official download (npx pulumi@$version version; log: $log)"
  start_task
  # (npm's update notifier would add a registry request and its notice to the log.)
  if ( cd "$cache" && export PULUMI_HOME="$pulumi_home" PULUMI_VERSION="$version" PULUMI_SKIP_UPDATE_CHECK=true \
         npm_config_update_notifier=false &&
       run_with_progress "official download" last_line "$log" npx --yes "pulumi@$version" version ) && installed; then
    # The installer replaced every pulumi* file, the language host included: our markers no longer apply.
    rm -f "$language_host_marker" "$language_host_building"
    say "downloaded the official CLI v$version (with its language hosts) into $bin in $(duration $(( $(now_ms) - task_start )))"
    return 0
  fi
  # The wrapper's own error line ("pulumi: fetch failed") says most; else whatever came last.
  download_failure=$(grep '^pulumi: ' "$log" | tail -n 1 | cut -c1-160) || true
  [ -n "$download_failure" ] || download_failure=$(last_line "$log")
  say "the official download failed after $(duration $(( $(now_ms) - task_start ))) ($download_failure)"
  return 1
}

## 4. A build from Go modules

# What `go ... -x` is doing, from its log: fetching modules, compiling which package, or linking.
describe_go() {
  local log=$1 last compiled
  last=$(grep -E '^# get |^### go build$|/compile -o |/link -o ' "$log" | tail -n 1) || true
  compiled=$(grep -c '/compile -o ' "$log") || true
  case "$last" in
    "# get "*)
      echo "downloading modules ($(grep -c '^# get .*: 200' "$log" || true) fetched so far; now $(module_of "$last"))" ;;
    "### go build") echo "go build: checking which packages need compiling" ;;
    *"/link -o "*)
      if (( compiled > 0 )); then echo "linking the binary ($compiled packages compiled)"
      else echo "linking the binary (every package came from Go's build cache)"; fi ;;
    *"/compile -o "*) echo "compiling ($compiled packages so far; now $(sed -E 's/.* -p ([^ ]+).*/\1/' <<<"$last"))" ;;
    *) echo "resolving the module graph (go mod tidy)" ;;
  esac
}

# "# get https://proxy.golang.org/github.com/a/b/@v/v1.2.3.zip: 200 OK (0.1s)" -> "github.com/a/b@v1.2.3"
module_of() {
  sed -E 's%^# get [a-z]+://[^/]+/%%; s%: .*$%%; s%/@v/(v[^/]*)\.(zip|mod|info)$%@\1%; s%/@v/list$%%' <<<"$1"
}

# The lines of a failed build's log that are not `go -x`'s command echo: the errors.
build_errors() {
  grep -vE '^(WORK=|mkdir |cat >|packagefile |importmap |modinfo |EOF$|cd |cp |mv |rm |touch |# get |# import config|/[^ ]*/(compile|link|asm|buildid|cgo|pack) |[^ ]*(gcc|g\+\+|clang) )' "$1" | tail -n 20 || true
}

# go_build NAME VERSION PACKAGE REQUIREMENTS [HINT]: builds PACKAGE in a small wrapper module (whose go.mod holds
# REQUIREMENTS) under $cache/NAME-VERSION, with the version stamped in, into $built. The wrapper module stays:
# with Go's module and build caches warm, a rebuild takes seconds.
go_build() {
  local name=$1 ver=$2 pkg=$3 requirements=$4 hint=${5:-}
  local work="$cache/$name-$ver"
  local log="$work/build.log"
  mkdir -p "$work"
  printf 'module swarmlab.local/%s\n\ngo 1.25\n\n%s\n' "$name" "$requirements" > "$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > "$work/tools.go"
  : >"$log"
  say "building $name v$ver from Go modules in $work (first build: minutes, a progress line every ${progress_every}s; later builds use Go's caches)"
  # -x: go prints each download, compile and link as it starts, which is what the progress lines report.
  if ! ( cd "$work" &&
         run_with_progress "building $name" describe_go "$log" go mod tidy -x &&
         echo "### go build" >>"$log" &&
         run_with_progress "building $name" describe_go "$log" go build -x -trimpath -o "$work/$name.new" \
           -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$ver" "$pkg" ); then
    build_errors "$log" >&2
    rm -f "$work/$name.new"
    fail "building $name ($pkg@v$ver) from Go modules failed (log: $log); is the Go module proxy reachable ('go env GOPROXY')?$hint"
  fi
  built="$work/$name.new"
}

build_cli() {
  # Nothing left to try: say in one line what to install.
  command -v go >/dev/null ||
    fail "cannot get the Pulumi CLI v$version: the official download failed ($download_failure) and there is no Go toolchain on PATH to build it: install Go >= 1.25 (https://go.dev/dl, or 'apt-get install golang-go' on a recent distribution), or rerun where get.pulumi.com is reachable"
  start_task
  go_build pulumi-cli "$version" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$(cat <<MOD
require (
	github.com/pulumi/pulumi/pkg/v3 v$version
	github.com/pulumi/pulumi/sdk/v3 v$version
)

// pkg/v3 replaces atotto/clipboard with this fork; replace directives of dependencies do not apply here.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
)"

  # Install so that an interrupted run never leaves a CLI that looks complete: the marker comes last.
  mkdir -p "$bin"
  touch "$building"
  rm -f "$marker"
  install -m 0755 "$built" "$bin/pulumi"
  rm -f "$built"
  [ "$(cli_version "$bin/pulumi")" = "v$version" ] || fail "the CLI built from Go modules does not report v$version"
  touch "$marker"
  rm -f "$building"
  say "built CLI v$version into $bin in $(duration $(( $(now_ms) - task_start )))"
}

## The CLI, then what goes beside it

ensure_cli() {
  if installed; then
    say "CLI v$version already installed at $bin ($(origin); nothing to do)"
    return 0
  fi
  find_path_cli
  if [ -n "$path_cli" ]; then
    link_path_cli
    return 0
  fi
  clear_stale_cli
  official_download || build_cli
}

dynamic_provider_script() {
  # Dynamic providers run through this script, shipped inside @pulumi/pulumi; the engine looks for it
  # beside the CLI or on PATH. (`install` replaces a link to another installation's copy; it never writes
  # through it.)
  local src="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [ -f "$src" ] && ! cmp -s "$src" "$bin/pulumi-resource-pulumi-nodejs"; then
    install -m 0755 "$src" "$bin/pulumi-resource-pulumi-nodejs"
  fi
}

ensure_language_host() {
  local host="$bin/pulumi-language-nodejs"
  if [ -x "$host" ] && [ "$(cat "$language_host_marker" 2>/dev/null)" = "v$language_host_version" ]; then
    say "language host pulumi-language-nodejs v$language_host_version already installed at $bin (nothing to do)"
    return 0
  fi
  # The official download and a linked CLI bring the matching host: it has no marker of ours; keep it.
  if [ -x "$host" ] && [ ! -e "$language_host_marker" ] && [ ! -e "$language_host_building" ]; then
    local linked=""
    if [ -L "$host" ]; then linked=" (linked to $(readlink "$host"))"; fi
    say "language host pulumi-language-nodejs found at $bin$linked, not built here (nothing to do)"
    return 0
  fi
  # Without Go, warn but succeed: the CLI is there, and `npm run up` (Automation API, inline program) does not
  # need the host; only `npx pulumi up`/`preview` of Pulumi.yaml's program do.
  if ! command -v go >/dev/null; then
    echo "pulumi: warning: no Node.js language host beside the CLI and no Go toolchain on PATH to build it: 'npm run up' works, 'npx pulumi up'/'preview' will not; install Go >= 1.25 and run this script again" >&2
    return 0
  fi

  start_task
  go_build pulumi-language-nodejs "$language_host_version" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
    "require github.com/pulumi/pulumi/sdk/v3 v$language_host_version" \
    " Without it 'pulumi up' of Pulumi.yaml's program fails with \"no language plugin 'pulumi-language-nodejs' found\"; 'npm run up' (Automation API, inline program) does not need it"

  # As for the CLI: the marker (holding the version) comes last.
  mkdir -p "$bin"
  touch "$language_host_building"
  rm -f "$language_host_marker"
  install -m 0755 "$built" "$host"
  rm -f "$built"
  echo "v$language_host_version" > "$language_host_marker"
  rm -f "$language_host_building"
  say "built language host pulumi-language-nodejs v$language_host_version into $bin in $(duration $(( $(now_ms) - task_start )))"
}

# --quick (npm run up, before every run): the folder named after the pinned version holds a complete install, with
# nothing asked of the CLI itself (its `pulumi version` costs half a second); `npm run setup` and the tests check fully.
if [ "${1:-}" = --quick ] && [ -x "$bin/pulumi" ] && [ ! -e "$building" ] && [ -x "$bin/pulumi-language-nodejs" ] &&
  [ ! -e "$language_host_building" ] && cmp -s "$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" "$bin/pulumi-resource-pulumi-nodejs"; then
  exit 0
fi
ensure_cli
dynamic_provider_script
ensure_language_host
