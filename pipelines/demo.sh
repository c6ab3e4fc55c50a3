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
set -euo pipefail
. "$(dirname "$0")/lib.sh"

day="$(flow_day "${AELP2_DEMO_DAY:-}")"
history_end="$(date -u -d "$day - 1 day" +%F)"
echo "demo: warehouse in ${AELP_HOME:-./var}; two years to $history_end, then the flows of $day" >&2

AELP2_BACKFILL_DAYS=730 "$here/pipelines/nightly.sh" "$history_end"
AELP2_BACKFILL_DAYS=1 "$here/pipelines/nightly.sh" "$day"
"$here/pipelines/weekly.sh" "$day"

echo
echo "What each step did:"
bq-extract --param "a=nightly-$history_end" --param "b=nightly-$day" --param "c=weekly-$day" --query "
  SELECT run_id, step, status, rows_in, rows_out, duration_seconds, message
  FROM ops_flow_runs WHERE run_id IN (@a, @b, @c) ORDER BY started_at" |
  jq -r '"  \(.run_id | .[0:22] | . + " " * (22 - length)) \(.step | . + " " * (8 - length)) \(.status | . + " " * (6 - length)) " +
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
echo "What each channel is worth (mmm-fit, run mmm-weekly-$day; 90% intervals):"
bq-extract --param "r=mmm-weekly-$day" --query "
  SELECT a.channel, a.roi_mean, a.roi_p05, a.roi_p95, a.current_daily_spend, a.proposed_daily_spend,
         a.at_bound, c.status AS robyn
  FROM mmm_allocations a LEFT JOIN robyn_comparison_weekly c
    ON c.mmm_run_id = a.run_id AND c.channel = a.channel
  WHERE a.run_id = @r ORDER BY a.channel" |
  jq -r '"  \(.channel | . + " " * (14 - length)) conversions per 1000 spent \(.roi_mean * 1000 | . * 100 | round / 100)" +
         " (\(.roi_p05 * 1000 | . * 100 | round / 100) to \(.roi_p95 * 1000 | . * 100 | round / 100))" +
         "  daily \(.current_daily_spend | round) -> \(.proposed_daily_spend | round)\(if .at_bound then " (" + .at_bound + " bound)" else "" end)" +
         "  Robyn check: \(.robyn // "-")"'
