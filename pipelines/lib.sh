# Shared by the flows: where the programs and the contract are, and how a
# step runs.  Sourced, not run.
#
#   AELP_BIN      the programs (default ./bin beside pipelines/)
#   AELP_SCHEMAS  the contract (default ./schemas)
#   AELP_HOME     the embedded warehouse (default ./var)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="${AELP_BIN:-$here/bin}:$PATH"
export AELP_SCHEMAS="${AELP_SCHEMAS:-$here/schemas}"

# A day given on the command line, checked, or yesterday (UTC).
flow_day() {
  local day="${1:-$(date -u -d yesterday +%F)}"
  if ! [[ "$day" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || [ "$(date -u -d "$day" +%F 2>/dev/null)" != "$day" ]; then
    echo "${0##*/}: '$day' is not a day (YYYY-MM-DD)" >&2
    exit 2
  fi
  echo "$day"
}

# step NAME [--gate] -- COMMAND...: one recorded step of the current flow
# ($flow, $AELP2_RUN_ID).  A failure ends the flow through `set -e`.
step() {
  local name="$1"
  shift
  flow-step --flow "$flow" --run-id "$AELP2_RUN_ID" --step "$name" "$@"
}
