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
#   AELP2_CAC_CAP        the CAC cap budget-propose holds campaigns to, and
#                        bandit-decide holds arms to (unset: none)
#   AELP2_BANDIT_LOOKBACK  bandit-decide's window in days (default 30)
#   AELP2_BANDIT_ARGS    more bandit-decide options, e.g. "--exploration 0.2"
#   AELP2_BANDIT_PROPOSE_ARGS  more bandit-propose options, e.g. "--min-trials 500"
#   AELP2_JOURNEY_ARGS   more journey-summarize options, e.g. "--lookback 60 --collapse"
#   AELP2_TOUCH_ARGS     more touch-attribute options, e.g. "--model last_click,data_driven"
#   AELP2_ATTRIBUTION_WINDOW_ACQUISITION_DAYS, AELP2_ATTRIBUTION_WINDOW_OTHER_DAYS
#                        touch-attribute's GA4 lookback windows (30 and 90)
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

# 4. Creatives.  bandit-decide turns each campaign's ads over the last
#    AELP2_BANDIT_LOOKBACK days into Thompson-sampling traffic shares under
#    the exploration budget and the CAC cap; bandit-propose turns this run's
#    decisions into proposals (weights, pauses, promotions, experiments),
#    which wait for a person like the budgets do.
export BANDIT_DAY="$day" BANDIT_LOOKBACK="${AELP2_BANDIT_LOOKBACK:-30}"
export BANDIT_ARGS="${AELP2_BANDIT_ARGS:-}" BANDIT_PROPOSE_ARGS="${AELP2_BANDIT_PROPOSE_ARGS:-}"
bandit_decide() {
  # shellcheck disable=SC2086
  bandit-decide --date "$BANDIT_DAY" --lookback "$BANDIT_LOOKBACK" $BANDIT_ARGS | bq-load --upsert
}
bandit_propose() {
  # A night without ad rows decides nothing (bandit-decide says so and exits 0);
  # then there is nothing to propose either.
  if [ "$(bq-extract --param "r=$AELP2_RUN_ID" --query \
        "SELECT COUNT(*) AS n FROM bandit_decisions WHERE run_id = @r")" = '{"n":0}' ]; then
    echo "bandit_propose: no decisions in $AELP2_RUN_ID, nothing to propose" >&2
    return 0
  fi
  # shellcheck disable=SC2086
  bandit-propose --decision-run "$AELP2_RUN_ID" $BANDIT_PROPOSE_ARGS | bq-load --upsert
}
export -f bandit_decide bandit_propose
step bandit_decide -- bash -c 'set -euo pipefail; bandit_decide'
step bandit_propose -- bash -c 'set -euo pipefail; bandit_propose'

# 5. Journeys and attribution.  journey-summarize writes the day's paths and
#    transitions (journey_paths_daily, journey_transitions_daily), the input
#    of the weekly channel attribution; touch-attribute credits the
#    conversions of the last days to their touches (attribution_touchpoints),
#    re-attributing the trailing days for conversions that arrive late.
#    A backfill summarizes and attributes every day it ingested.
export JOURNEY_ARGS="${AELP2_JOURNEY_ARGS:-}" TOUCH_ARGS="${AELP2_TOUCH_ARGS:-}" FLOW_DAYS="$days"
journey_summarize() {
  # shellcheck disable=SC2086
  journey-summarize --date "$BANDIT_DAY" --days "$FLOW_DAYS" $JOURNEY_ARGS | bq-load --upsert
}
touch_attribute() {
  # shellcheck disable=SC2086
  touch-attribute --date "$BANDIT_DAY" --trailing-days "$(( FLOW_DAYS > 4 ? FLOW_DAYS - 1 : 3 ))" $TOUCH_ARGS |
    bq-load --upsert
}
export -f journey_summarize touch_attribute
step journey_summarize -- bash -c 'set -euo pipefail; journey_summarize'
step touch_attribute -- bash -c 'set -euo pipefail; touch_attribute'

# 6. More models and decisions run here as their issues land.

# 7. Actions, last: what a person approved since the last run is shadow-
#    applied with every guardrail checked again.  A refusal (exit 1 or 77)
#    leaves its alert and stops the flow here; nothing before it is undone.
step budget_apply -- budget-apply
step bandit_apply -- bandit-apply
echo "nightly: $AELP2_RUN_ID done" >&2
