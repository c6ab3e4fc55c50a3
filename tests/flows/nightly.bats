#!/usr/bin/env bats
# The nightly and weekly flows end to end on the embedded warehouse, with the
# simulated advertiser as the source: gates before loads, the warehouse gate
# before any model, a readable trail, idempotent re-runs.

load ../helpers

# A small advertiser keeps these tests quick; the flows are the same.
export AELP2_SIM_ARGS="--users 15 --campaigns-per-channel 2 --ads-per-campaign 2"
export AELP2_SIM_SEED=11
DAY=2026-03-31

# Row counts of every table, one "table n" line each.
counts() {
  local q="" t
  for t in $(all_tables); do q="${q:+$q UNION ALL }SELECT '$t' AS t, COUNT(*) AS n FROM $t"; done
  bq-extract --query "$q" | jq -r '"\(.t) \(.n)"'
}

backfill() { # DAYS ending at $DAY
  AELP2_BACKFILL_DAYS="$1" "$REPO/pipelines/nightly.sh" "$DAY"
}

@test "nightly: the ingest is gated and loaded, the warehouse passes its gate, each step is recorded" {
  run --separate-stderr backfill 45
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  run bq-extract --query "SELECT step, status, exit_code FROM ops_flow_runs WHERE run_id = 'nightly-$DAY' ORDER BY started_at"
  [ "${lines[0]}" = '{"step":"ingest","status":"ok","exit_code":0}' ]
  [ "${lines[1]}" = '{"step":"gx_gate","status":"ok","exit_code":0}' ]
  [ "${lines[2]}" = '{"step":"budget_propose","status":"ok","exit_code":0}' ]
  [ "${lines[3]}" = '{"step":"bandit_decide","status":"ok","exit_code":0}' ]
  [ "${lines[4]}" = '{"step":"bandit_propose","status":"ok","exit_code":0}' ]
  [ "${lines[5]}" = '{"step":"journey_summarize","status":"ok","exit_code":0}' ]
  [ "${lines[6]}" = '{"step":"touch_attribute","status":"ok","exit_code":0}' ]
  [ "${lines[7]}" = '{"step":"budget_apply","status":"ok","exit_code":0}' ]
  [ "${lines[8]}" = '{"step":"bandit_apply","status":"ok","exit_code":0}' ]
  [ "${#lines[@]}" -eq 9 ]
  # The ingest step's rows: what it loaded into the warehouse, table by table.
  loaded=$(bq-extract --query "SELECT rows_out FROM ops_flow_runs WHERE step = 'ingest'" | jq .rows_out)
  total=$(counts | grep -v -e '^ops_' -e '^gx_' -e '^canary_changes ' -e '^bandit_' -e '^ab_experiments ' -e '^journey_' -e '^attribution_touchpoints ' | awk '{ s += $2 } END { print s }')
  [ "$loaded" -eq "$total" ]
  for t in ads_campaign_performance ads_ad_performance ga4_aggregates canary_budgets_snapshot \
           gaelp_users.journey_sessions gaelp_users.persistent_touchpoints customer_transactions; do
    counts | grep -E "^$t [1-9][0-9]*$" || { echo "no rows in $t"; false; }
  done
  [ "$(bq-extract --query "SELECT COUNT(DISTINCT date) AS d FROM ads_campaign_performance")" = '{"d":45}' ]
  # The gate's results are in the warehouse: one row per suite, all passed.
  nsuites=$(ls "$AELP_SCHEMAS"/suites/*.json | wc -l)
  [ "$(bq-extract --query "SELECT COUNT(*) AS n, SUM(success) AS ok FROM gx_validation_results WHERE run_id = 'nightly-$DAY'")" = "{\"n\":$nsuites,\"ok\":$nsuites}" ]
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM ops_alerts")" = '{"n":0}' ]
}

@test "gx-check --all --dry-run on the flow's data prints success and writes nothing" {
  backfill 30 2>/dev/null
  before=$(counts)
  run --separate-stderr gx-check --all --dry-run
  [ "$status" -eq 0 ] || { echo "$output"; echo "$stderr"; false; }
  for s in "$AELP_SCHEMAS"/suites/*.json; do
    echo "$output" | grep -E "^ok +$(basename "$s" .json) " || { echo "no ok line for $s"; false; }
  done
  [ "$(counts)" = "$before" ]
}

@test "a re-run of the nightly flow for the same day leaves every row count unchanged" {
  backfill 20 2>/dev/null
  AELP2_BACKFILL_DAYS=1 "$REPO/pipelines/nightly.sh" "$DAY" 2>/dev/null
  before=$(counts)
  run --separate-stderr env AELP2_BACKFILL_DAYS=1 "$REPO/pipelines/nightly.sh" "$DAY"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(counts)" = "$before" ]
}

@test "negative clicks: the warehouse gate fails, names the suite, and the flow stops there" {
  backfill 20 2>/dev/null
  bq-extract --query "SELECT * FROM ads_campaign_performance ORDER BY date, campaign_id LIMIT 1" |
    jq -c '.clicks = -5' | bq-load --upsert ads_campaign_performance 2>/dev/null
  run --separate-stderr gx-check --all --dry-run
  [ "$status" -eq 1 ]
  echo "$output" | grep -E '^FAIL +ads_campaign_performance '
  [[ "$stderr" == *"ads_campaign_performance"*"expect_column_values_to_be_between"*"clicks"* ]]

  next=2026-04-01
  run --separate-stderr env AELP2_BACKFILL_DAYS=1 "$REPO/pipelines/nightly.sh" "$next"
  [ "$status" -eq 1 ]
  [[ "$stderr" != *"nightly: nightly-$next done"* ]]
  run bq-extract --query "SELECT step, status, exit_code FROM ops_flow_runs WHERE run_id = 'nightly-$next' ORDER BY started_at"
  [ "${lines[0]}" = '{"step":"ingest","status":"ok","exit_code":0}' ]
  [ "${lines[1]}" = '{"step":"gx_gate","status":"failed","exit_code":1}' ]
  [ "${#lines[@]}" -eq 2 ]   # no step after the gate ran
  run bq-extract --query "SELECT alert_type, step, message, details FROM ops_alerts WHERE run_id = 'nightly-$next'"
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq -e '.alert_type == "gate_failed" and .step == "gx_gate"'
  echo "$output" | jq -e '.message | contains("ads_campaign_performance") and contains("expect_column_values_to_be_between") and contains("clicks")'
  # The structured trail: which suite and expectation, with counts.
  run bq-extract --query "SELECT suite_name, expectation_type, column_name, unexpected_count FROM gx_expectation_failures WHERE run_id = 'nightly-$next'"
  [ "$output" = '{"suite_name":"ads_campaign_performance","expectation_type":"expect_column_values_to_be_between","column_name":"clicks","unexpected_count":1}' ]
  [ "$(bq-extract --query "SELECT success FROM gx_validation_results WHERE run_id = 'nightly-$next' AND suite_name = 'ads_campaign_performance'")" = '{"success":false}' ]

  # Fix the row, re-run the day: the run passes and keeps no stale failure.
  bq-extract --query "SELECT * FROM ads_campaign_performance WHERE clicks < 0" |
    jq -c '.clicks = 0' | bq-load --upsert ads_campaign_performance 2>/dev/null
  run --separate-stderr env AELP2_BACKFILL_DAYS=1 "$REPO/pipelines/nightly.sh" "$next"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(bq-extract --query "SELECT step, status FROM ops_flow_runs WHERE run_id = 'nightly-$next' AND step = 'gx_gate'")" = '{"step":"gx_gate","status":"ok"}' ]
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM gx_expectation_failures WHERE run_id = 'nightly-$next'")" = '{"n":0}' ]
  [ "$(bq-extract --query "SELECT success FROM gx_validation_results WHERE run_id = 'nightly-$next' AND suite_name = 'ads_campaign_performance'")" = '{"success":true}' ]
}

@test "the ingest gate: a bad incoming row stops the load and nothing lands" {
  bq-ensure -q >/dev/null
  run --separate-stderr bash -c "set -o pipefail
    sim-generate --start 2026-01-01 --days 3 --seed 5 $AELP2_SIM_ARGS |
      awk '/\"_table\":\"ads_ad_performance\"/ && !done { done = sub(/\"impressions\":[0-9]+/, \"\\\"impressions\\\":-1\") } { print }' |
      gx-check --pass --suites '$AELP_SCHEMAS/suites' | bq-load --upsert"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"expect_column_values_to_be_between(impressions)"* ]]
  [ "$(counts | awk '{ s += $2 } END { print s }')" -eq 0 ]
}

@test "a source that fails halfway loads nothing, even the rows it wrote before failing" {
  # The programs, with a sim-generate that writes a good day and then fails.
  mkdir "$BATS_TEST_TMPDIR/bin"
  for p in "${AELP_BIN:-$REPO/bin}"/*; do ln -s "$p" "$BATS_TEST_TMPDIR/bin/"; done
  rm "$BATS_TEST_TMPDIR/bin/sim-generate"
  real="$(command -v sim-generate)"
  printf '#!/bin/sh\n"%s" "$@" --days 1\necho "sim-generate: the source went away" >&2\nexit 69\n' "$real" \
    > "$BATS_TEST_TMPDIR/bin/sim-generate"
  chmod +x "$BATS_TEST_TMPDIR/bin/sim-generate"
  AELP_BIN="$BATS_TEST_TMPDIR/bin" run --separate-stderr "$REPO/pipelines/nightly.sh" "$DAY"
  [ "$status" -eq 69 ]
  [[ "$stderr" == *"the source went away"* ]]
  [ "$(counts | grep -v -e '^ops_' | awk '{ s += $2 } END { print s }')" -eq 0 ]
  [ "$(bq-extract --query "SELECT step, status, exit_code FROM ops_flow_runs")" = '{"step":"ingest","status":"failed","exit_code":69}' ]
}

@test "weekly: the gate, then mmm-fit and mmm-validate, each recorded; a re-run adds nothing" {
  export AELP2_MMM_ARGS="--grain week --chains 2 --warmup 300 --draws 300 -q"
  export AELP2_MMM_VALIDATE_ARGS="--iterations 300 --trials 2 -q" AELP2_MMM_DAYS=364
  backfill 364 2>/dev/null
  run --separate-stderr "$REPO/pipelines/weekly.sh" "$DAY"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  run bq-extract --query "SELECT step, status FROM ops_flow_runs WHERE run_id = 'weekly-$DAY' ORDER BY started_at"
  [ "${lines[0]}" = '{"step":"gx_gate","status":"ok"}' ]
  [ "${lines[1]}" = '{"step":"channel_attribute","status":"ok"}' ]
  [ "${lines[2]}" = '{"step":"ltv_fit","status":"ok"}' ]
  [ "${lines[3]}" = '{"step":"uplift_score","status":"ok"}' ]
  [ "${lines[4]}" = '{"step":"mmm_fit","status":"ok"}' ]
  [ "${lines[5]}" = '{"step":"mmm_validate","status":"ok"}' ]
  [ "${#lines[@]}" -eq 6 ]
  # The fit's rows: one ok run of 52 weeks to DAY, six channels; the check's rows for the week.
  [ "$(bq-extract --query "SELECT run_id, status, grain, start_date, end_date FROM mmm_runs")" = \
    '{"run_id":"mmm-weekly-2026-03-31","status":"ok","grain":"week","start_date":"2025-04-02","end_date":"2026-03-31"}' ]
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM mmm_allocations")" = '{"n":6}' ]
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM mmm_curves")" = '{"n":126}' ]
  [ "$(bq-extract --query "SELECT COUNT(*) AS n, MIN(week) AS w, MIN(mmm_run_id) AS r FROM robyn_comparison_weekly")" = \
    '{"n":6,"w":"2026-03-30","r":"mmm-weekly-2026-03-31"}' ]
  # The steps' row counts come from the programs' step reports.
  [ "$(bq-extract --query "SELECT rows_in, rows_out FROM ops_flow_runs WHERE step = 'mmm_fit'")" = '{"rows_in":133,"rows_out":133}' ]
  before=$(counts)
  run --separate-stderr "$REPO/pipelines/weekly.sh" "$DAY"
  [ "$status" -eq 0 ]
  [ "$(counts)" = "$before" ]
}

@test "weekly: failing diagnostics stop the flow; the run row with its diagnosis is kept" {
  export AELP2_MMM_ARGS="--grain week --chains 2 --warmup 100 --draws 100 -q --max-rhat 1.0"
  export AELP2_MMM_DAYS=364
  backfill 364 2>/dev/null
  run --separate-stderr "$REPO/pipelines/weekly.sh" "$DAY"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"mmm-fit: diagnostics failed: max R-hat"* ]]
  run bq-extract --query "SELECT step, status FROM ops_flow_runs WHERE run_id = 'weekly-$DAY' ORDER BY started_at"
  [ "${lines[4]}" = '{"step":"mmm_fit","status":"failed"}' ]
  [ "${#lines[@]}" -eq 5 ]
  bq-extract --query "SELECT status, diagnostics FROM mmm_runs" |
    jq -e '.status == "failed_diagnostics" and (.diagnostics.failing_parameters | length) > 0'
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM mmm_allocations")" = '{"n":0}' ]
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM robyn_comparison_weekly")" = '{"n":0}' ]
  [ "$(bq-extract --query "SELECT alert_type FROM ops_alerts")" = '{"alert_type":"step_failed"}' ]
}

@test "weekly: two weeks of history are too few for the model; the flow says so and stops" {
  backfill 14 2>/dev/null
  run --separate-stderr "$REPO/pipelines/weekly.sh" "$DAY"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"the model needs at least parameters + 10 periods"* ]]
  [ "$(bq-extract --query "SELECT step, status FROM ops_flow_runs WHERE run_id = 'weekly-$DAY' ORDER BY started_at" | jq -r .step | tr '\n' ' ')" = "gx_gate channel_attribute ltv_fit uplift_score mmm_fit " ]
}

@test "a flow refuses a day that is not a day" {
  run --separate-stderr "$REPO/pipelines/nightly.sh" 2026-02-30
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"'2026-02-30' is not a day (YYYY-MM-DD)"* ]]
  run --separate-stderr env AELP2_BACKFILL_DAYS=x "$REPO/pipelines/nightly.sh" 2026-02-03
  [ "$status" -eq 2 ]
  run --separate-stderr "$REPO/pipelines/weekly.sh" yesterday
  [ "$status" -eq 2 ]
}
