# shellcheck shell=bash
# Timing helpers for the set-up scripts (sourced by scripts/node.sh and scripts/pulumi-cli.sh).

# Milliseconds since the epoch (bash 5's clock: no process per call).
now_ms() {
  if [ -n "${EPOCHREALTIME:-}" ]; then
    local us=${EPOCHREALTIME//[.,]/}
    echo $(( 10#$us / 1000 ))
  else
    echo $(( $(date +%s) * 1000 ))
  fi
}

# duration MS: "0.4s", "7.3s", "8m34s".
duration() {
  local s=$(( $1 / 1000 ))
  if (( s < 60 )); then printf '%d.%ds' "$s" $(( $1 % 1000 / 100 )); else printf '%dm%02ds' $(( s / 60 )) $(( s % 60 )); fi
}
