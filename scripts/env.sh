# shellcheck shell=bash
# env_refuse PREFIX NAME PROBLEM FIX: one line on stderr for an environment variable with a bad value, in the shape
# of lab/env.ts's EnvError (PREFIX: NAME = "value": problem. Fix: fix), then exit 1. The shell scripts check with it
# what only they read; test/unit/env.test.ts holds both to the same lines.
env_refuse() {
  local value=${!2-}
  value=${value//\\/\\\\}
  value=${value//\"/\\\"}
  value=${value//$'\n'/\\n}
  value=${value//$'\t'/\\t}
  printf '%s: %s = "%s": %s. Fix: %s\n' "$1" "$2" "$value" "${3%.}" "$4" >&2
  exit 1
}

# env_folder PREFIX NAME HOLDS DEFAULT: NAME, when set, is an absolute folder (lab/env.ts's checkFolder).
env_folder() {
  local name=$2 value unset
  [ "${!name+set}" = set ] || return 0
  value=${!name}
  unset="unset $name ($3 is then $4)"
  case "$value" in
    "") env_refuse "$1" "$name" "empty, which some tools take as unset and others as the current folder" "$unset" ;;
    "~" | "~/"*)
      env_refuse "$1" "$name" "'~' is not expanded inside quotes: a relative path" "export $name=\"\$HOME${value:1}\"" ;;
    /*) ;;
    *)
      env_refuse "$1" "$name" "a relative path: each command would resolve it from its own folder" \
        "$unset, or set it to an absolute path" ;;
  esac
}
