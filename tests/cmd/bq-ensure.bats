#!/usr/bin/env bats
# bq-ensure: every table and view of the contract, idempotently.

load ../helpers

@test "bq-ensure creates every table and view, and a second run creates nothing" {
  run --separate-stderr bq-ensure
  [ "$status" -eq 0 ]
  ntables=$(ls "$AELP_SCHEMAS"/tables/*.json | wc -l)
  nviews=$(ls "$AELP_SCHEMAS"/views/*.sqlite.sql | wc -l)
  [ "$(echo "$output" | jq -r 'select(.action=="created") | .name' | wc -l)" -eq $((ntables + nviews)) ]
  [[ "$stderr" == *"$((ntables + nviews)) created, 0 altered, 0 replaced, 0 unchanged"* ]]

  run --separate-stderr bq-ensure
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r 'select(.action != "unchanged")' | wc -l)" -eq 0 ]
  [ "$(echo "$output" | wc -l)" -eq $((ntables + nviews)) ]
  [[ "$stderr" == *"nothing to do: $((ntables + nviews)) objects up to date"* ]]
}

@test "every table and view the issue lists exists after bq-ensure" {
  bq-ensure >/dev/null 2>&1
  for t in training_episodes safety_events ab_experiments ab_exposures fidelity_evaluations \
      canary_changes canary_budgets_snapshot bandit_decisions bandit_context_decisions bandit_change_proposals \
      bandit_change_approvals platform_skeletons journey_paths_daily journey_transitions_daily segment_scores_daily \
      segment_audience_map value_uploads_log ops_flow_runs ops_alerts channel_attribution_weekly \
      youtube_reach_estimates ads_campaign_performance ads_ad_performance ga4_aggregates \
      gaelp_users.journey_sessions gaelp_users.persistent_touchpoints mmm_runs mmm_curves \
      mmm_allocations robyn_comparison_weekly attribution_touchpoints canary_change_approvals \
      customer_transactions ltv_models ltv_customers ltv_priors uplift_models; do
    run bq-extract --query "SELECT COUNT(*) AS n FROM $t"
    [ "$status" -eq 0 ] || { echo "missing table $t: $output"; false; }
    [ "$output" = '{"n":0}' ]
  done
  for v in training_episodes_daily ads_campaign_daily ab_experiments_daily ab_exposures_daily \
      bidding_events_per_minute; do
    run bq-extract --query "SELECT type FROM sqlite_schema WHERE name = '$v'"
    [ "$output" = '{"type":"view"}' ] || { echo "missing view $v: $output"; false; }
  done
}

@test "a schema that gained a NULLABLE column: bq-ensure adds it, keeps the rows" {
  cp -r "$AELP_SCHEMAS" "$BATS_TEST_TMPDIR/schemas"
  export AELP_SCHEMAS="$BATS_TEST_TMPDIR/schemas"
  bq-ensure >/dev/null 2>&1
  bq-load ads_campaign_performance "$FIX/tables/ads_campaign_performance.ndjson" 2>/dev/null
  f="$AELP_SCHEMAS/tables/ads_campaign_performance.json"
  jq '.columns += [{"name":"new_metric","type":"FLOAT64","mode":"NULLABLE","description":"added later"}]' \
    "$f" > "$f.tmp" && mv "$f.tmp" "$f"
  run --separate-stderr bq-ensure
  [ "$status" -eq 0 ]
  echo "$output" | grep -F '{"object":"table","name":"ads_campaign_performance","action":"altered","detail":"added column new_metric"}'
  [ "$(bq-extract ads_campaign_performance | jq -c '.new_metric' | sort -u)" = "null" ]
  [ "$(bq-extract ads_campaign_performance | wc -l)" -eq "$(grep -c . "$FIX/tables/ads_campaign_performance.ndjson")" ]
  run --separate-stderr bq-ensure
  [ "$(echo "$output" | grep -c '"unchanged"')" -eq "$(echo "$output" | wc -l)" ]
}

conflict() { # JQ-EDIT MESSAGE
  cp -r "$REPO/schemas" "$BATS_TEST_TMPDIR/schemas"
  export AELP_SCHEMAS="$BATS_TEST_TMPDIR/schemas"
  bq-ensure >/dev/null 2>&1
  f="$AELP_SCHEMAS/tables/canary_changes.json"
  jq "$1" "$f" > "$f.tmp" && mv "$f.tmp" "$f"
  # A change bq-ensure would make to an earlier table must not land either.
  g="$AELP_SCHEMAS/tables/ab_experiments.json"
  jq '.columns += [{"name":"added_later","type":"STRING","mode":"NULLABLE","description":"x"}]' "$g" > "$g.tmp" && mv "$g.tmp" "$g"
  before=$(sqlite3 "$WH" .schema | sha256sum)
  run --separate-stderr bq-ensure
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"$2"* ]]
  [[ "$stderr" == *"nothing was changed"* ]]
  [ "$(sqlite3 "$WH" .schema | sha256sum)" = "$before" ]
  ! sqlite3 "$WH" .schema | grep -q added_later
}

@test "bq-ensure refuses a type change and changes nothing" {
  conflict '(.columns[] | select(.name=="change_pct") | .type) = "STRING"' \
    "table 'canary_changes': column 'change_pct' is FLOAT64 in the warehouse but STRING"
}

@test "bq-ensure refuses a removed column" {
  conflict 'del(.columns[] | select(.name=="notes"))' \
    "column 'notes' is in the warehouse but not in"
}

@test "bq-ensure refuses a new REQUIRED column" {
  conflict '.columns += [{"name":"must","type":"STRING","mode":"REQUIRED","description":"x"}]' \
    "new column 'must' is REQUIRED"
}

@test "bq-ensure refuses a mode change" {
  conflict '(.columns[] | select(.name=="notes") | .mode) = "REQUIRED"' \
    "column 'notes' is NULLABLE in the warehouse but REQUIRED"
}

@test "bq-ensure names a malformed schema file and exits 65" {
  cp -r "$REPO/schemas" "$BATS_TEST_TMPDIR/schemas"
  printf '{"name": "x",\n  "columns": [}\n' > "$BATS_TEST_TMPDIR/schemas/tables/x.json"
  run --separate-stderr bq-ensure --schemas "$BATS_TEST_TMPDIR/schemas"
  [ "$status" -eq 65 ]
  [[ "$stderr" == "bq-ensure: $BATS_TEST_TMPDIR/schemas/tables/x.json:2: malformed JSON"* ]]
  [ ! -e "$WH" ]
}

@test "bq-ensure TABLE ensures only that table; an unknown name is a usage error" {
  run --separate-stderr bq-ensure gaelp_users.journey_sessions
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '%s' '{"object":"table","name":"gaelp_users.journey_sessions","action":"created"' && jq -r '",\"detail\":\"\(.columns|length) columns\"}"' "$AELP_SCHEMAS/tables/gaelp_users.journey_sessions.json")" ]
  [ -f "$AELP_HOME/gaelp_users.sqlite" ]
  run --separate-stderr bq-ensure no_such_table
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"'no_such_table' is neither a table nor a view"* ]]
}

@test "bq-ensure --dry-run reports and rolls back" {
  run --separate-stderr bq-ensure --dry-run
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"dry run, rolled back"* ]]
  run --separate-stderr bq-ensure
  [ "$(echo "$output" | grep -c '"created"')" -eq "$(echo "$output" | wc -l)" ]
}

@test "bq-ensure --help teaches and exits 0; a bad option exits 2" {
  run --separate-stderr bq-ensure --help
  [ "$status" -eq 0 ]
  [[ "$output" == "usage: bq-ensure"* ]]
  [[ "$output" == *"AELP_HOME"* ]]
  [[ "$output" == *"65  bad input data"* ]]
  run --separate-stderr bq-ensure --frobnicate
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"unknown option '--frobnicate'"* ]]
  run --separate-stderr bq-ensure --version
  [[ "$output" == "bq-ensure (AELP2) "* ]]
}

@test "the BigQuery backend is refused clearly until it is built" {
  AELP_WAREHOUSE=bigquery:proj.ds run --separate-stderr bq-ensure
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"BigQuery backend is not built yet"* ]]
  GOOGLE_CLOUD_PROJECT=p BIGQUERY_TRAINING_DATASET=d run --separate-stderr bq-ensure
  [ "$status" -eq 2 ]
  AELP_WAREHOUSE=mysql run --separate-stderr bq-ensure
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"AELP_WAREHOUSE='mysql'"* ]]
}

@test "bq-ensure writing to a full disk fails loudly" {
  run --separate-stderr bash -c 'bq-ensure > /dev/full'
  [ "$status" -eq 70 ]
  [[ "$stderr" == *"write error on standard output: No space left on device"* ]]
}
