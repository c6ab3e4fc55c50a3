#!/usr/bin/env bats
# make demo end to end: two years of the simulated advertiser through the
# gates into the warehouse, the nightly and weekly flows, and the summary.

load ../helpers

DAY=2026-06-01

@test "the demo: two years through the gates, then the nightly and weekly flows; a re-run adds nothing" {
  export AELP2_DEMO_DAY=$DAY AELP2_SIM_ARGS="--users 10 --campaigns-per-channel 2 --ads-per-campaign 2"
  export AELP2_MMM_ARGS="--grain week --chains 2 --warmup 300 --draws 300 -q"
  export AELP2_MMM_VALIDATE_ARGS="--iterations 300 --trials 2 -q"
  run --separate-stderr "$REPO/pipelines/demo.sh"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  echo "$output"
  # What each step did: the backfill, the day's nightly run and the weekly run, all ok.
  echo "$output" | grep -E "^  nightly-2026-05-31 +ingest +ok +in +[0-9]+ +out +[0-9]+"
  echo "$output" | grep -E "^  nightly-2026-05-31 +gx_gate +ok "
  echo "$output" | grep -E "^  nightly-$DAY +ingest +ok "
  echo "$output" | grep -E "^  nightly-$DAY +gx_gate +ok "
  echo "$output" | grep -E "^  weekly-2026-05-31 +gx_gate +ok "
  echo "$output" | grep -E "^  weekly-2026-05-31 +mmm_fit +ok "
  echo "$output" | grep -E "^  weekly-2026-05-31 +mmm_validate +ok "
  echo "$output" | grep -E "^  weekly-2026-05-31 +ltv_fit +ok +in +[0-9]+ +out +[1-9][0-9]* "
  echo "$output" | grep -E "^  weekly-2026-05-31 +uplift_score +ok "
  echo "$output" | grep -E "^  nightly-$DAY +budget_propose +ok "
  echo "$output" | grep -E "^  nightly-$DAY +budget_apply +ok "
  echo "$output" | grep -E "^  nightly-$DAY +bandit_decide +ok +in +[0-9]+ +out +[1-9][0-9]* "
  echo "$output" | grep -E "^  nightly-$DAY +bandit_propose +ok "
  echo "$output" | grep -E "^  nightly-$DAY +bandit_apply +ok "
  [ "$(echo "$output" | grep -cE '^  (nightly|weekly)-[0-9-]+ +[a-z_]+ +(ok|failed) ')" -eq 24 ]
  # The night's creatives: one leader per campaign with an eligible arm, and
  # the clearest loser paused in shadow by the person the demo plays.
  echo "$output" | grep -E "^  [0-9]+ [0-9]+ +cvr [0-9.]+% \([0-9.]+ to [0-9.]+\)  trials +[0-9]+  P\(best\) [0-9.]+ +share [0-9.]+%  leader$"
  echo "$output" | grep -E "^  pause_arm +shadow_applied +1$"
  echo "$output" | grep -E "^  bp-nightly-$DAY:[0-9]+:pause_arm:[0-9]+ allowed=true shadow=true +shadow: pause arm "
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM safety_events WHERE event_type = 'bandit_apply'" | jq .n)" -eq 1 ]
  # The night's budget proposals, from the media-mix run, one approved and shadow-applied.
  echo "$output" | grep -E "^  [0-9]+ [a-z_]+ +[0-9.]+ -> [0-9.]+ \(-?[0-9.]+%\) (up|down|hold) +(proposed|shadow_applied) +CAC from (mmm|gamma_poisson)"
  [ "$(echo "$output" | grep -cE ' shadow_applied +CAC from ')" -eq 1 ]
  echo "$output" | grep -E "^  nightly-$DAY:[0-9]+ allowed=true shadow=true "
  # What each channel gets under each attribution model, from the weekly run.
  echo "$output" | grep -E "^  channel +last +first +linear +position +markov +shapley +fractribution$"
  echo "$output" | grep -E "^  google_search +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+$"
  # What a new customer from each channel is worth, and from all.
  echo "$output" | grep -E "^  all +[0-9.]+ \([0-9.]+ to [0-9.]+\)  customers [1-9][0-9]*  first purchase [0-9.]+  repeat purchases in 52 weeks [0-9.]+  segment fit$"
  [ "$(echo "$output" | grep -cE '^  [a-z_]+ +[0-9.]+ \([0-9.]+ to [0-9.]+\)  customers [1-9][0-9]*  first purchase [0-9.]+  repeat purchases in 52 weeks [0-9.]+  (segment|pooled) fit$')" -ge 2 ]
  # What each channel is worth, from the weekly run's fit.
  [ "$(echo "$output" | grep -cE '^  [a-z_]+ +conversions per 1000 spent [0-9.]+ \([0-9.]+ to [0-9.]+\)  daily [0-9]+ -> [0-9]+.*Robyn check: (ok|warn)$')" -eq 6 ]
  # Two years and a day of platform data: 6 channels x 2 campaigns x 731 days.
  echo "$output" | grep -E "^  ads_campaign_performance +8772$"
  echo "$output" | grep -E "^  gaelp_users.journey_sessions +[0-9]+$"
  # The gate passes on the demo's data, and a dry run writes nothing.
  run --separate-stderr gx-check --all --dry-run
  [ "$status" -eq 0 ] || { echo "$output $stderr"; false; }
  [ "$(echo "$output" | grep -c '^ok ')" -eq "$(ls "$AELP_SCHEMAS"/suites/*.json | wc -l)" ]
  run --separate-stderr "$REPO/pipelines/demo.sh"
  [ "$status" -eq 0 ]
  first=$(echo "$output" | sed -n '/^Rows per table:/,$p')
  run --separate-stderr "$REPO/pipelines/demo.sh"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | sed -n '/^Rows per table:/,$p')" = "$first" ]
}

@test "the demo stops at the first failing step" {
  cp -r "$REPO/schemas" "$BATS_TEST_TMPDIR/schemas"
  f="$BATS_TEST_TMPDIR/schemas/tables/ga4_aggregates.json"
  jq '.columns |= map(select(.name != "revenue"))' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
  AELP2_DEMO_DAY=$DAY AELP2_SIM_ARGS="--users 5" AELP_SCHEMAS="$BATS_TEST_TMPDIR/schemas" \
    run --separate-stderr "$REPO/pipelines/demo.sh"
  # The ingest gate reads rows by the contract, which no longer has the column.
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"suite ga4_aggregates failed: expect_column_values_to_not_be_null(revenue)"* ]]
  [[ "$stderr" == *"nightly/ingest: failed with exit 1"* ]]
  [ -z "$output" ]
  [ "$(bq-extract --query "SELECT step, status FROM ops_flow_runs")" = '{"step":"ingest","status":"failed"}' ]
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM ga4_aggregates")" = '{"n":0}' ]
}

@test "a fresh clone: make demo works from a clean tree" {
  command -v git >/dev/null || skip "git is not installed"
  git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"
  git clone -q "$REPO" "$BATS_TEST_TMPDIR/clone"
  cd "$BATS_TEST_TMPDIR/clone"
  # A clean environment, as a person has: nothing from the make or bats running this test.
  run --separate-stderr env -i PATH="$PATH" HOME="$HOME" make demo
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ -x bin/sim-generate ]
  [ -f var/warehouse.sqlite ]
  echo "$output" | grep -E "^  weekly-[0-9-]+ +gx_gate +ok "
  echo "$output" | grep -E "^  weekly-[0-9-]+ +mmm_fit +ok "
  echo "$output" | grep -E "^  ads_campaign_performance +13158$"
}
