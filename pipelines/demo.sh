#!/usr/bin/env bash
# demo: the main job on the embedded warehouse.  Two years of a simulated
# advertiser flow through the quality gates into the warehouse (a nightly
# run that backfills 730 days), then the nightly flow for the next day and
# the weekly flow; the summary shows what each step did.  Re-running it
# creates no duplicates: every load is an upsert on the table's key.
#
#   AELP2_DEMO_DAY   the "today" of the demo's nightly run (default yesterday, UTC)
#   AELP_HOME        where the warehouse lives (default ./var)
#   AELP_BIN         the programs (default ./bin)
#   AELP2_MMM_ARGS   mmm-fit options for the weekly flow (see pipelines/weekly.sh)
#   AELP2_CAC_CAP    the CAC cap of the budget proposals and of the creatives
#                    (default 60 here; empty: none)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

day="$(flow_day "${AELP2_DEMO_DAY:-}")"
history_end="$(date -u -d "$day - 1 day" +%F)"
echo "demo: warehouse in ${AELP_HOME:-./var}; two years to $history_end, then the flows of $day" >&2

export AELP2_CAC_CAP="${AELP2_CAC_CAP-60}"
AELP2_BACKFILL_DAYS=730 "$here/pipelines/nightly.sh" "$history_end"
"$here/pipelines/weekly.sh" "$history_end"
AELP2_BACKFILL_DAYS=1 "$here/pipelines/nightly.sh" "$day"

# A person reviews the night's budget proposals and approves the one with the
# largest expected gain (the demo plays the person; in real use this is
# proposal-review or the dashboard).  budget-apply then shadow-applies it, as
# the next night's flow would.  A re-run finds it decided and changes nothing.
top="$(bq-extract --param "r=nightly-$day" --query "
  SELECT change_id FROM canary_changes WHERE run_id = @r AND direction <> 'hold'
  ORDER BY CAST(json_extract(notes, '$.expected_gain') AS REAL) DESC, change_id LIMIT 1" | jq -r '.change_id // empty')"
if [ -n "$top" ] && [ "$(bq-extract --param "i=$top" --query "SELECT status FROM canary_changes WHERE change_id = @i" | jq -r .status)" = proposed ]; then
  proposal-review approve "$top" --by demo --note "the demo approves the largest expected gain" --quiet > /dev/null
  budget-apply --quiet > /dev/null
fi
# The same person pauses the creative that lost most clearly: of the night's
# pause_arm proposals, the one with the most trials behind it.  bandit-apply
# shadow-applies it against the night's decisions.
pause="$(bq-extract --param "r=nightly-$day" --query "
  SELECT proposal_id FROM bandit_change_proposals WHERE decision_run_id = @r AND action = 'pause_arm'
  ORDER BY CAST(json_extract(notes, '$.trials') AS REAL) DESC, proposal_id LIMIT 1" | jq -r '.proposal_id // empty')"
if [ -n "$pause" ] && [ "$(bq-extract --param "i=$pause" --query "SELECT status FROM bandit_change_proposals WHERE proposal_id = @i" | jq -r .status)" = proposed ]; then
  proposal-review approve "$pause" --by demo --kind bandit --note "the demo pauses the clearest loser" --quiet > /dev/null
  bandit-apply --quiet > /dev/null
fi

echo
echo "What each step did:"
bq-extract --param "a=nightly-$history_end" --param "b=nightly-$day" --param "c=weekly-$history_end" --query "
  SELECT run_id, step, status, rows_in, rows_out, duration_seconds, message
  FROM ops_flow_runs WHERE run_id IN (@a, @b, @c) ORDER BY started_at" |
  jq -r '"  \(.run_id | .[0:22] | . + " " * (22 - length)) \(.step | . + " " * (14 - length)) \(.status | . + " " * (6 - length)) " +
         "in \(.rows_in // "-" | tostring | " " * (8 - length) + .)  out \(.rows_out // "-" | tostring | " " * (8 - length) + .)  " +
         "\(.duration_seconds * 100 | round / 100) s  \(.message // "")"'

echo
echo "Rows per table:"
query=""
for f in "$AELP_SCHEMAS"/tables/*.json; do
  t="$(basename "$f" .json)"
  query="${query:+$query UNION ALL }SELECT '$t' AS table_name, COUNT(*) AS row_count FROM $t"
done
bq-extract --query "$query" |
  jq -r 'select(.row_count > 0) | "\(.table_name) \(.row_count)"' |
  awk '{ printf "  %-36s %9d\n", $1, $2; total += $2 } END { printf "  %-36s %9d\n", "total", total }'

echo
echo "What each channel is worth (mmm-fit, run mmm-weekly-$history_end; 90% intervals):"
bq-extract --param "r=mmm-weekly-$history_end" --query "
  SELECT a.channel, a.roi_mean, a.roi_p05, a.roi_p95, a.current_daily_spend, a.proposed_daily_spend,
         a.at_bound, c.status AS robyn
  FROM mmm_allocations a LEFT JOIN robyn_comparison_weekly c
    ON c.mmm_run_id = a.run_id AND c.channel = a.channel
  WHERE a.run_id = @r ORDER BY a.channel" |
  jq -r '"  \(.channel | . + " " * (14 - length)) conversions per 1000 spent \(.roi_mean * 1000 | . * 100 | round / 100)" +
         " (\(.roi_p05 * 1000 | . * 100 | round / 100) to \(.roi_p95 * 1000 | . * 100 | round / 100))" +
         "  daily \(.current_daily_spend | round) -> \(.proposed_daily_spend | round)\(if .at_bound then " (" + .at_bound + " bound)" else "" end)" +
         "  Robyn check: \(.robyn // "-")"'

echo
echo "What a new customer is worth, by acquisition channel (ltv-fit, run ltv-weekly-$history_end; 90% intervals):"
bq-extract --param "r=ltv-weekly-$history_end" --query "
  SELECT segment, n_customers, fit, first_value_mean, repeat_purchases, value_mean, value_low, value_high, horizon, period
  FROM ltv_priors WHERE run_id = @r ORDER BY segment = 'all', segment" |
  jq -r '"  \(.segment | . + " " * (14 - length)) \(.value_mean * 100 | round / 100) (\(.value_low * 100 | round / 100) to \(.value_high * 100 | round / 100))" +
         "  customers \(.n_customers)  first purchase \((.first_value_mean // 0) * 100 | round / 100)" +
         "  repeat purchases in \(.horizon) \(.period)s \(.repeat_purchases * 100 | round / 100)  \(.fit) fit"'

echo
echo "Conversions each channel gets, by attribution model (channel-attribute, run weekly-$history_end):"
bq-extract --param "r=weekly-$history_end" --query "
  SELECT channel, model, conversions FROM channel_attribution_weekly WHERE run_id = @r ORDER BY channel, model" |
  jq -rs 'if length == 0 then "  (no conversions in the week)" else
    (["last", "first", "linear", "position", "markov", "shapley", "fractribution"]) as $m |
    "  " + ("channel" + " " * 14 | .[0:14]) + ($m | map(. + " " * 14 | .[0:14]) | join("") | sub(" +$"; "")),
    (group_by(.channel)[] | (map({(.model): .conversions}) | add) as $c |
      "  " + (.[0].channel + " " * 14 | .[0:14]) +
      ($m | map(($c[.] // 0) * 100 | round / 100 | tostring | . + " " * 14 | .[0:14]) | join("") | sub(" +$"; ""))) end'

echo
echo "Budget proposals of nightly-$day (shadow; CAC cap ${AELP2_CAC_CAP:-none}):"
bq-extract --param "r=nightly-$day" --query "
  SELECT campaign_id, channel, current_daily_budget, proposed_daily_budget, change_pct, direction, status,
         json_extract(notes, '$.cap_reason') AS cap_reason, json_extract(notes, '$.cac_estimate.source') AS source
  FROM canary_changes WHERE run_id = @r ORDER BY change_id" |
  jq -r '"  \(.campaign_id) \(.channel | . + " " * (14 - length)) \(.current_daily_budget) -> \(.proposed_daily_budget)" +
         " (\(.change_pct * 100 | round / 100)%) \(.direction | . + " " * (5 - length)) \(.status | . + " " * (15 - length))" +
         " CAC from \(.source)\(if .cap_reason then ", " + .cap_reason else "" end)"'
echo
echo "Creatives of nightly-$day (bandit-decide: Thompson sampling, exploration budget 10%; share of traffic, P(best)):"
bq-extract --param "r=nightly-$day" --query "
  SELECT campaign_id, arm_id, trials, posterior_mean, ci_low, ci_high, p_best, share, leader, cac_capped
  FROM bandit_decisions WHERE run_id = @r ORDER BY campaign_id, arm_id" |
  jq -r '"  \(.campaign_id) \(.arm_id | . + " " * (12 - length)) cvr \(.posterior_mean * 10000 | round / 100)%" +
         " (\(.ci_low * 10000 | round / 100) to \(.ci_high * 10000 | round / 100))  trials \(.trials | tostring | " " * (6 - length) + .)" +
         "  P(best) \(.p_best * 1000 | round / 1000 | tostring | . + " " * (5 - length))  share \(.share * 1000 | round / 10)%" +
         "\(if .leader then "  leader" else "" end)\(if .cac_capped then "  CAC-capped" else "" end)"'
echo
echo "Creative proposals of nightly-$day (shadow until a person approves):"
bq-extract --param "r=nightly-$day" --query "
  SELECT action, status, COUNT(*) AS n FROM bandit_change_proposals WHERE decision_run_id = @r
  GROUP BY action, status ORDER BY action, status" |
  jq -r '"  \(.action | . + " " * (16 - length)) \(.status | . + " " * (15 - length)) \(.n)"'
bq-extract --param "r=nightly-$day" --query "
  SELECT experiment_id, control_arm, baseline_rate, min_sample_size, json_extract(notes, '$.expected_days') AS days
  FROM ab_experiments WHERE experiment_id LIKE 'exp-' || @r || ':%' ORDER BY experiment_id" |
  jq -r '"  experiment \(.experiment_id): control \(.control_arm) at \(.baseline_rate * 10000 | round / 100)%, \(.min_sample_size) trials per arm, about \(.days) days"'

echo
echo "Safety events (every attempt to apply a change):"
bq-extract --query "SELECT occurred_at, proposal_id, allowed, shadow, guardrail, reason FROM safety_events ORDER BY occurred_at" |
  jq -r '"  \(.proposal_id) allowed=\(.allowed) shadow=\(.shadow) \(.guardrail // "") \(.reason)"'
