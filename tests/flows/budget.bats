#!/usr/bin/env bats
# The budget loop in the nightly flow, end to end on the simulated
# advertiser: budget-propose -> bq-load -> proposal-review approve ->
# budget-apply (shadow), with the caps in the notes and the audit rows.

load ../helpers

D1=2026-05-31
D2=2026-06-01

@test "nightly: proposals with their caps, a person approves one, the next night shadow-applies it" {
  export AELP2_SIM_ARGS="--users 5" AELP2_CAC_CAP=60
  AELP2_BACKFILL_DAYS=30 run --separate-stderr "$REPO/pipelines/nightly.sh" $D1
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  bq-extract --query "SELECT step, status FROM ops_flow_runs WHERE run_id = 'nightly-$D1' ORDER BY started_at" |
    jq -s -e 'map(.step) == ["ingest", "gx_gate", "budget_propose", "bandit_decide", "bandit_propose",
                             "journey_summarize", "touch_attribute", "budget_apply", "bandit_apply"] and all(.status == "ok")'
  # Shadow proposals, each with the caps in its notes.
  bq-extract --query "SELECT * FROM canary_changes" > "$BATS_TEST_TMPDIR/changes"
  jq -s -e 'length > 0 and all(.run_id == "nightly-'$D1'" and .status == "proposed" and .shadow == true
    and .notes.cac_cap == 60.0 and .notes.hist_daily_cap > 0 and (.notes | has("cap_reason"))
    and (.notes.cac_estimate | .low <= .mean and .mean <= .high and .source == "gamma_poisson")
    and (.change_pct | fabs) <= 5.0)' "$BATS_TEST_TMPDIR/changes"
  jq -s -e 'any(.notes.cap_reason == "cac_above_cap" and .direction == "down")' "$BATS_TEST_TMPDIR/changes"

  # A person approves one whose budget the platform keeps the next day (the
  # simulator's own snapshot of D2 says which) and rejects another.
  sim-generate --start $D2 --days 1 --seed 42 --users 5 |
    jq -c 'select(._table == "canary_budgets_snapshot") | {campaign_id, b: (.daily_budget_micros / 1e6)}' > "$BATS_TEST_TMPDIR/next"
  ids=$(jq -r --slurpfile n "$BATS_TEST_TMPDIR/next" '. as $c | select(any($n[]; .campaign_id == $c.campaign_id and .b == $c.current_daily_budget)) | .change_id' "$BATS_TEST_TMPDIR/changes")
  ok_id=$(echo "$ids" | sed -n 1p)
  no_id=$(echo "$ids" | sed -n 2p)
  [ -n "$ok_id" ] && [ -n "$no_id" ]
  run --separate-stderr proposal-review approve "$ok_id" --by alice --note "CAC is too high"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  run --separate-stderr proposal-review reject "$no_id" --by alice --reason "seasonal campaign"
  [ "$status" -eq 0 ]

  # The next night applies it in shadow: exactly what would be sent, audited.
  run --separate-stderr "$REPO/pipelines/nightly.sh" $D2
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  bq-extract --param "i=$ok_id" --query "SELECT status, applied_at, proposed_daily_budget FROM canary_changes WHERE change_id = @i" |
    jq -e '.status == "shadow_applied" and .applied_at != null'
  bq-extract --param "i=$no_id" --query "SELECT status FROM canary_changes WHERE change_id = @i" | jq -e '.status == "rejected"'
  bq-extract --query "SELECT * FROM safety_events" > "$BATS_TEST_TMPDIR/events"
  jq -s -e --arg i "$ok_id" 'length == 1 and .[0].proposal_id == $i and .[0].allowed == true and .[0].shadow == true
    and .[0].run_id == "nightly-'$D2'" and .[0].event_type == "budget_apply" and .[0].approval_id != null
    and (.[0].details.request.body.operations[0].update.amountMicros | test("^[0-9]+$"))
    and .[0].details.checks.max_change_pct == 5 and .[0].details.checks.daily_cap_pct == 10' "$BATS_TEST_TMPDIR/events"
  bq-extract --query "SELECT step, status FROM ops_flow_runs WHERE run_id = 'nightly-$D2' AND step = 'budget_apply'" |
    jq -e '.status == "ok"'
  # The budget snapshot itself is what the platform said: a shadow apply changes nothing there.
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM canary_budgets_snapshot WHERE snapshot_date = '$D2'" | jq .n)" -gt 0 ]

  # A re-run of the night applies nothing again and adds no proposals (the
  # re-proposal of a campaign whose budget just moved starts from the new budget).
  before=$(for t in canary_change_approvals safety_events; do bq-extract "$t"; done | sha256sum)
  n=$(bq-extract --query "SELECT COUNT(*) AS n FROM canary_changes" | jq .n)
  run --separate-stderr "$REPO/pipelines/nightly.sh" $D2
  [ "$status" -eq 0 ]
  [ "$(for t in canary_change_approvals safety_events; do bq-extract "$t"; done | sha256sum)" = "$before" ]
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM canary_changes" | jq .n)" -eq "$n" ]
  bq-extract --param "i=$ok_id" --query "SELECT status FROM canary_changes WHERE change_id = @i" | jq -e '.status == "shadow_applied"'
}
