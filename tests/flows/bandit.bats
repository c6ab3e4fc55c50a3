#!/usr/bin/env bats
# The creative bandits in the nightly flow, end to end on the simulated
# advertiser: bandit-decide -> bq-load -> bandit-propose -> bq-load ->
# proposal-review approve -> bandit-apply (shadow), with the exploration
# budget, the CAC cap and the audit rows.

load ../helpers

D1=2026-05-31
D2=2026-06-01

q() { bq-extract --query "$1"; }

@test "nightly: decisions, proposals and an experiment; a person approves; the next night shadow-applies" {
  export AELP2_SIM_ARGS="--users 5" AELP2_CAC_CAP=60
  AELP2_BACKFILL_DAYS=30 run --separate-stderr "$REPO/pipelines/nightly.sh" $D1
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  q "SELECT step, status FROM ops_flow_runs WHERE run_id = 'nightly-$D1' ORDER BY started_at" |
    jq -s -e 'map(.step) == ["ingest", "gx_gate", "budget_propose", "bandit_decide", "bandit_propose",
                             "journey_summarize", "touch_attribute", "budget_apply", "bandit_apply"] and all(.status == "ok")'

  # Decisions: one row per available ad of every campaign; per campaign the
  # shares sum to 1, one leader, the other arms within the 10% budget, and
  # a CAC-capped arm gets nothing.
  q "SELECT * FROM bandit_decisions" > "$BATS_TEST_TMPDIR/dec"
  [ "$(jq -s 'length' "$BATS_TEST_TMPDIR/dec")" -eq \
    "$(q "SELECT COUNT(DISTINCT ad_id) AS n FROM ads_ad_performance WHERE ad_id NOT IN
          (SELECT p.ad_id FROM ads_ad_performance p WHERE p.date = (SELECT MAX(date) FROM ads_ad_performance a
             WHERE a.ad_id = p.ad_id) AND p.ad_status IN ('PAUSED', 'REMOVED'))" | jq .n)" ]
  jq -s -e 'all(.run_id == "nightly-'$D1'" and .policy == "thompson" and .metric == "cvr"
             and .exploration_budget == 0.1 and .window_end == "'$D1'" and .lookback_days == 30)
    and (group_by(.campaign_id) | all(
      if all(.cac_capped) then all(.share == 0 and (.leader | not)) else
        ((map(.share) | add) - 1 | fabs) < 1e-9
        and (map(select(.leader)) | length) == 1
        and (map(select(.leader | not) | .share) | add // 0) <= 0.1 + 1e-12
        and all((.cac_capped | not) or .share == 0) end))
    and any(.cac_capped)' "$BATS_TEST_TMPDIR/dec"

  # Proposals from this run's decisions, all shadow and proposed, of the four kinds.
  q "SELECT * FROM bandit_change_proposals" > "$BATS_TEST_TMPDIR/props"
  jq -s -e 'all(.decision_run_id == "nightly-'$D1'" and .status == "proposed" and .shadow == true)
    and (map(.action) | unique) == ["pause_arm", "promote_arm", "seed_experiment", "shift_weights"]
    and any(.action == "pause_arm" and .notes.why == "cac_above_cap")' "$BATS_TEST_TMPDIR/props"
  q "SELECT * FROM ab_experiments" | jq -s -e 'length >= 1 and all(.status == "proposed" and .min_sample_size > 0
      and ((.arms | map(select(.role == "treatment") | .traffic_split) | add) <= 0.1 + 1e-12))'

  # A person approves a rotation, a pause (a google_ads ad) and the
  # experiment, and rejects a promotion.
  sw=$(jq -r 'select(.action == "shift_weights") | .proposal_id' "$BATS_TEST_TMPDIR/props" | head -1)
  pa=$(jq -r 'select(.action == "pause_arm" and .platform == "google_ads") | .proposal_id' "$BATS_TEST_TMPDIR/props" | head -1)
  se=$(jq -r 'select(.action == "seed_experiment") | .proposal_id' "$BATS_TEST_TMPDIR/props" | head -1)
  pr=$(jq -r 'select(.action == "promote_arm") | .proposal_id' "$BATS_TEST_TMPDIR/props" | head -1)
  [ -n "$sw" ] && [ -n "$pa" ] && [ -n "$se" ] && [ -n "$pr" ]
  for id in "$sw" "$pa" "$se"; do
    run --separate-stderr proposal-review approve "$id" --by alice --kind bandit
    [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  done
  run --separate-stderr proposal-review reject "$pr" --by bob --reason "brand review first" --kind bandit
  [ "$status" -eq 0 ]
  [ "$(q "SELECT COUNT(*) AS n FROM bandit_change_approvals" | jq .n)" -eq 4 ]

  # The next night decides again, then shadow-applies the three approved
  # proposals against that night's decisions: exactly what would be sent, audited.
  run --separate-stderr "$REPO/pipelines/nightly.sh" $D2
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  for id in "$sw" "$pa" "$se"; do
    q "SELECT status, applied_at FROM bandit_change_proposals WHERE proposal_id = '$id'" |
      jq -e '.status == "shadow_applied" and .applied_at != null'
  done
  q "SELECT status FROM bandit_change_proposals WHERE proposal_id = '$pr'" | jq -e '.status == "rejected"'
  q "SELECT * FROM safety_events WHERE event_type = 'bandit_apply'" > "$BATS_TEST_TMPDIR/events"
  jq -s -e 'length == 3 and all(.allowed == true and .shadow == true and .run_id == "nightly-'$D2'"
    and .actor == "bandit-apply" and .approval_id != null and .details.checks.latest_decision_run_id == "nightly-'$D2'")' \
    "$BATS_TEST_TMPDIR/events"
  jq -s -e --arg i "$pa" 'map(select(.proposal_id == $i))[0]
    | .action == "pause_arm" and .platform == "google_ads"
      and .details.request.method == "POST"
      and (.details.request.url | test("^https://googleads.googleapis.com/v25/customers/[0-9]+/adGroupAds:mutate$"))
      and .details.request.body.operations[0].updateMask == "status"
      and .details.request.body.operations[0].update.status == "PAUSED"
      and (.details.request.body.operations[0].update.resourceName | test("^customers/[0-9]+/adGroupAds/[0-9]+~[0-9]+$"))' \
    "$BATS_TEST_TMPDIR/events"
  jq -s -e --arg i "$sw" 'map(select(.proposal_id == $i))[0]
    | .action == "shift_weights" and (.details.rotation.weights | length) >= 2
      and ((.details.rotation.weights | [.[]] | add) - 1 | fabs) < 1e-6' "$BATS_TEST_TMPDIR/events"
  jq -s -e --arg i "$se" 'map(select(.proposal_id == $i))[0]
    | .action == "seed_experiment" and .details.experiment.experiment_id != null' "$BATS_TEST_TMPDIR/events"
  # A shadow apply changes nothing in the world: the experiment is still proposed.
  q "SELECT COUNT(*) AS n FROM ab_experiments WHERE status != 'proposed'" | jq -e '.n == 0'

  # A re-run of the night applies nothing again and adds no rows.
  before=$(for t in bandit_decisions bandit_change_approvals safety_events ab_experiments; do
    bq-extract "$t" | jq -c 'del(.decided_at, .created_at, .updated_at)' | sort; done | sha256sum)
  n=$(q "SELECT COUNT(*) AS n FROM bandit_change_proposals" | jq .n)
  run --separate-stderr "$REPO/pipelines/nightly.sh" $D2
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(for t in bandit_decisions bandit_change_approvals safety_events ab_experiments; do
    bq-extract "$t" | jq -c 'del(.decided_at, .created_at, .updated_at)' | sort; done | sha256sum)" = "$before" ]
  [ "$(q "SELECT COUNT(*) AS n FROM bandit_change_proposals" | jq .n)" -eq "$n" ]
}

@test "a night with no arm to decide on: the bandit steps run, decide nothing and propose nothing" {
  # (the warehouse gate already stops a night without any ad rows; here the
  # campaign asked for has none)
  export AELP2_SIM_ARGS="--users 5" AELP2_BANDIT_ARGS="--campaign-id no-such-campaign"
  run --separate-stderr "$REPO/pipelines/nightly.sh" $D1
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  q "SELECT step, status FROM ops_flow_runs WHERE run_id = 'nightly-$D1' ORDER BY started_at" |
    jq -s -e 'map(.step) == ["ingest", "gx_gate", "budget_propose", "bandit_decide", "bandit_propose",
                             "journey_summarize", "touch_attribute", "budget_apply", "bandit_apply"] and all(.status == "ok")'
  [[ "$stderr" == *"bandit_propose: no decisions in nightly-$D1, nothing to propose"* ]]
  for t in bandit_decisions bandit_change_proposals ab_experiments safety_events; do
    [ "$(q "SELECT COUNT(*) AS n FROM $t")" = '{"n":0}' ]
  done
}
