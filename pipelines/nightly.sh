#!/usr/bin/env bash
# nightly: yesterday's data through the quality gates into the warehouse,
# then every warehouse table through its suite before any model or decision
# step runs.  The first failing step stops the flow (non-zero exit) and
# leaves its trail: ops_flow_runs per step, ops_alerts for the failure.
#
#   pipelines/nightly.sh [DAY]     DAY (YYYY-MM-DD) defaults to yesterday, UTC
#
#   AELP2_BACKFILL_DAYS  ingest the N days ending at DAY (default 1)
#   AELP2_SIM_SEED       seed of the simulated advertiser (default 42)
#   AELP2_SIM_ARGS       more sim-generate options, e.g. "--users 20"
#
# The run id is nightly-DAY, so re-running a day replaces that run's rows
# (upserts on every table's key) and adds no duplicates.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

day="$(flow_day "${1:-}")"
days="${AELP2_BACKFILL_DAYS:-1}"
[[ "$days" =~ ^[1-9][0-9]*$ ]] || { echo "nightly: AELP2_BACKFILL_DAYS='$days' is not a positive number" >&2; exit 2; }
flow=nightly
export AELP2_RUN_ID="nightly-$day"
export SIM_START="$(date -u -d "$day - $((days - 1)) days" +%F)" SIM_DAYS="$days"
export SIM_SEED="${AELP2_SIM_SEED:-42}" SIM_ARGS="${AELP2_SIM_ARGS:-}"

bq-ensure --quiet > /dev/null   # the contract's tables exist (idempotent)

# 1. Ingest.  The simulated advertiser stands in for the platform extractors
#    until their credentials exist.  The source's rows are kept whole first
#    (a source that fails halfway loads nothing), then every row passes its
#    table's suite before anything loads; the load is one transaction,
#    upserted on the keys.
ingest() {
  ingest_rows="$(mktemp "${TMPDIR:-/tmp}/nightly-ingest.XXXXXX")"
  trap 'rm -f "$ingest_rows"' EXIT
  # shellcheck disable=SC2086
  sim-generate --start "$SIM_START" --days "$SIM_DAYS" --seed "$SIM_SEED" $SIM_ARGS > "$ingest_rows"
  gx-check --pass --suites "$AELP_SCHEMAS/suites" "$ingest_rows" | bq-load --upsert
}
export -f ingest
step ingest -- bash -c 'set -euo pipefail; ingest'

# 2. The gate: every suite of schemas/suites against its warehouse table.
step gx_gate --gate -- gx-check --all

# 3. Models and decisions run here, after the gate (each later capability
#    adds its step: budget-propose, bandit-decide, journey-summarize, ...).
echo "nightly: $AELP2_RUN_ID done" >&2
