#!/usr/bin/env bash
# weekly: the slower models, behind the same gate as the nightly flow.
#
#   pipelines/weekly.sh [DAY]      the week ending at DAY (default yesterday, UTC)
#
#   AELP2_MMM_DAYS       days of history the media-mix model reads (default 730)
#   AELP2_MMM_ARGS       mmm-fit options (default "--grain week": two years of
#                        daily rows modelled as 104 weeks); e.g. "--grain day"
#   AELP2_MMM_VALIDATE_ARGS  mmm-validate options (default none)
#   AELP2_MMM_USE_UPLIFT=1   uplift segments enter the model as covariates
#   AELP2_CHANNEL_ATTRIBUTE_ARGS  channel-attribute's models and options (default every
#                        model: first,last,linear,position,markov,shapley,shapley-ordered,fractribution)
#
# The run id is weekly-DAY; re-running it replaces that run's rows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

day="$(flow_day "${1:-}")"
flow=weekly
export AELP2_RUN_ID="weekly-$day"

bq-ensure --quiet > /dev/null

# 1. The gate: no model reads a table whose suite fails.
step gx_gate --gate -- gx-check --all

# 2. Channel attribution of the week (Monday to DAY): the week's paths from
#    journey_paths_daily, every model, into channel_attribution_weekly.  It is
#    quick and needs no media-mix run, so it goes first.
export ATTR_WEEK="$(date -u -d "$day - $(( $(date -u -d "$day" +%u) - 1 )) days" +%F)" ATTR_END="$day"
export ATTR_ARGS="${AELP2_CHANNEL_ATTRIBUTE_ARGS---model first,last,linear,position,markov,shapley,shapley-ordered,fractribution}"
channel_attribute() {
  bq-extract --param "a=$ATTR_WEEK" --param "b=$ATTR_END" --query "
    SELECT path, SUM(conversions) AS conversions, TOTAL(conversion_value) AS conversion_value,
           SUM(non_conversions) AS nulls
    FROM journey_paths_daily WHERE date BETWEEN @a AND @b GROUP BY path ORDER BY path" |
    # shellcheck disable=SC2086
    channel-attribute --week "$ATTR_WEEK" $ATTR_ARGS | bq-load --upsert
}
export -f channel_attribute
step channel_attribute -- bash -c 'set -euo pipefail; channel_attribute'

# 3. The media-mix model, then Robyn's method as its independent check.  The
#    input is kept whole in a file before the model reads it (a query that
#    fails halfway fits nothing).  When the sampler's diagnostics fail, mmm-fit's mmm_runs
#    row (with the diagnosis) still loads, and the flow stops there.
export MMM_END="$day" MMM_DAYS="${AELP2_MMM_DAYS:-730}" MMM_RUN="mmm-$AELP2_RUN_ID"
export MMM_ARGS="${AELP2_MMM_ARGS---grain week}" MMM_VALIDATE_ARGS="${AELP2_MMM_VALIDATE_ARGS:-}"
# The input is built once, by the fit's step, and the check reads the same rows.
MMM_ROWS="$(mktemp "${TMPDIR:-/tmp}/weekly-mmm.XXXXXX")"
trap 'rm -f "$MMM_ROWS"' EXIT
export MMM_ROWS
mmm_fit() {
  "$here/pipelines/mmm_input.sh" --end "$MMM_END" --days "$MMM_DAYS" > "$MMM_ROWS"
  # shellcheck disable=SC2086
  mmm-fit --run-id "$MMM_RUN" $MMM_ARGS "$MMM_ROWS" | bq-load --upsert
}
mmm_validate() {
  local grain
  grain="$(bq-extract --param "r=$MMM_RUN" --query "SELECT grain FROM mmm_runs WHERE run_id = @r" | jq -r .grain)"
  # shellcheck disable=SC2086
  mmm-validate --mmm-run-id "$MMM_RUN" --grain "$grain" --week "$MMM_END" $MMM_VALIDATE_ARGS "$MMM_ROWS" |
    bq-load --upsert
}
export -f mmm_fit mmm_validate
export here
step mmm_fit -- bash -c 'set -euo pipefail; mmm_fit'
step mmm_validate -- bash -c 'set -euo pipefail; mmm_validate'

# 4. More models run here (each later capability adds its step: ltv-fit, ...).
echo "weekly: $AELP2_RUN_ID done" >&2
