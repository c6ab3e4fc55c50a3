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
#   AELP2_MMM_VALUE=ltv  the model's value per conversion is the LTV prior
#                        (mmm-fit --value-per-conversion ltv: ltv_priors, segment all)
#   AELP2_LTV_ARGS       ltv-fit options (default "--period week --horizon 52")
#   AELP2_UPLIFT_ARGS    uplift-score options (default "--model diff_in_means")
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

# 3. Customer models, before the media-mix model that can read them.
#    ltv_fit: every purchase in customer_transactions up to DAY, the customer's
#    acquisition channel as the segment, into ltv_models, ltv_customers and
#    ltv_priors (what a new customer from each channel is worth; budget-propose
#    reads it with AELP2_LTV_CAC_RATIO).  No purchase yet: nothing to fit.
export LTV_END="$day" LTV_RUN="ltv-$AELP2_RUN_ID" LTV_ARGS="${AELP2_LTV_ARGS---period week --horizon 52}"
ltv_fit() {
  local tx
  tx="$(mktemp "${TMPDIR:-/tmp}/weekly-ltv.XXXXXX")"
  bq-extract --param "d=$LTV_END" --query "
    SELECT customer_id, substr(occurred_at, 1, 10) AS date, value, channel
    FROM customer_transactions WHERE substr(occurred_at, 1, 10) <= @d
    ORDER BY customer_id, occurred_at, transaction_id" > "$tx"
  if [ ! -s "$tx" ]; then
    echo "ltv_fit: customer_transactions has no purchase up to $LTV_END: nothing to fit" >&2
    rm -f "$tx"
    return 0
  fi
  # shellcheck disable=SC2086
  ltv-fit --calibration-end "$LTV_END" --segment channel --run-id "$LTV_RUN" $LTV_ARGS "$tx" |
    bq-load --upsert
  rm -f "$tx"
}
#    uplift_score: each experiment of ab_experiments with a control arm, its
#    exposures up to DAY (a unit that saw two arms is left out), every arm
#    against control, by device, on conversion and value, into
#    segment_scores_daily (arms named EXPERIMENT/ARM) and uplift_models; the
#    media-mix model reads the top segments with AELP2_MMM_USE_UPLIFT=1.
export UPLIFT_ARGS="${AELP2_UPLIFT_ARGS---model diff_in_means}"
uplift_score() {
  local out exps exp control n=0
  out="$(mktemp "${TMPDIR:-/tmp}/weekly-uplift.XXXXXX")"
  exps="$(bq-extract --param "d=$LTV_END" --query "
      SELECT DISTINCT x.experiment_id, x.control_arm FROM ab_experiments x
      JOIN ab_exposures e USING (experiment_id)
      WHERE x.control_arm IS NOT NULL AND substr(e.exposed_at, 1, 10) <= @d
      ORDER BY x.experiment_id" | jq -r '[.experiment_id, .control_arm] | @tsv')"
  while IFS=$'\t' read -r exp control; do
    [ -n "$exp" ] || continue
    bq-extract --param "x=$exp" --param "d=$LTV_END" --query "
      SELECT unit_id AS unit, experiment_id || '/' || MIN(arm) AS arm,
             MAX(CASE WHEN converted THEN 1 ELSE 0 END) AS conversion,
             TOTAL(conversion_value) AS value,
             COALESCE(MIN(json_extract(context, '$.device')), 'unknown') AS device
      FROM ab_exposures WHERE experiment_id = @x AND substr(exposed_at, 1, 10) <= @d
      GROUP BY unit_id HAVING COUNT(DISTINCT arm) = 1 ORDER BY unit_id" |
      # shellcheck disable=SC2086
      uplift-score --id unit --treatment arm --control "$exp/$control" --outcome conversion,value \
        --segment device --date "$LTV_END" --run-id "uplift-$AELP2_RUN_ID-$exp" $UPLIFT_ARGS >> "$out"
    n=$((n + 1))
  done <<< "$exps"
  if [ "$n" -eq 0 ]; then
    echo "uplift_score: no experiment with a control arm has exposures up to $LTV_END: nothing to score" >&2
  else
    bq-load --upsert < "$out"
  fi
  rm -f "$out"
}
export -f ltv_fit uplift_score
step ltv_fit -- bash -c 'set -euo pipefail; ltv_fit'
step uplift_score -- bash -c 'set -euo pipefail; uplift_score'

# 4. The media-mix model, then Robyn's method as its independent check.  The
#    input is kept whole in a file before the model reads it (a query that
#    fails halfway fits nothing).  When the sampler's diagnostics fail, mmm-fit's mmm_runs
#    row (with the diagnosis) still loads, and the flow stops there.
export MMM_END="$day" MMM_DAYS="${AELP2_MMM_DAYS:-730}" MMM_RUN="mmm-$AELP2_RUN_ID"
export MMM_ARGS="${AELP2_MMM_ARGS---grain week}${AELP2_MMM_VALUE:+ --value-per-conversion $AELP2_MMM_VALUE}" MMM_VALIDATE_ARGS="${AELP2_MMM_VALIDATE_ARGS:-}"
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

# 5. More models run here (each later capability adds its step).
echo "weekly: $AELP2_RUN_ID done" >&2
