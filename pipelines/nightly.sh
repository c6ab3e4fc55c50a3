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
#   AELP2_BUDGET_DAYS    budget-propose's lookback in days (default 14)
#   AELP2_BUDGET_ARGS    more budget-propose options, e.g. "--top-n 5"
#   AELP2_CAC_CAP        the CAC cap budget-propose holds campaigns to (unset: none)
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

# 3. Budgets.  budget-propose writes shadow proposals (status proposed) from
#    the day's window and the latest media-mix run; a person decides on them
#    with proposal-review.  budget-apply then shadow-applies what was
#    approved since the last run, re-checking every guardrail; it runs last,
#    so a refusal (exit 1 or 77) stops nothing else and leaves its alert.
export BUDGET_DAY="$day" BUDGET_DAYS="${AELP2_BUDGET_DAYS:-14}" BUDGET_ARGS="${AELP2_BUDGET_ARGS:-}"
budget_propose() {
  # shellcheck disable=SC2086
  budget-propose --date "$BUDGET_DAY" --days "$BUDGET_DAYS" $BUDGET_ARGS | bq-load --upsert
}
export -f budget_propose
step budget_propose -- bash -c 'set -euo pipefail; budget_propose'

# 4. More models and decisions run here (each later capability adds its
#    step: bandit-decide, journey-summarize, ...).
step budget_apply -- budget-apply
echo "nightly: $AELP2_RUN_ID done" >&2
