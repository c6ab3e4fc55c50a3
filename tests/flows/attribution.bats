#!/usr/bin/env bats
# Journeys and attribution in the flows, end to end on the simulated
# advertiser: journey-summarize and touch-attribute nightly, channel-attribute
# weekly from the week's paths.

load ../helpers

D1=2026-05-31    # a Sunday: its week is 2026-05-25..2026-05-31

q() { bq-extract --query "$1"; }

@test "nightly: paths, transitions and touch credits; weekly: every channel model; re-runs add nothing" {
  export AELP2_SIM_ARGS="--users 20"
  AELP2_BACKFILL_DAYS=30 run --separate-stderr "$REPO/pipelines/nightly.sh" $D1
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  q "SELECT step, status FROM ops_flow_runs WHERE run_id = 'nightly-$D1' AND step IN ('journey_summarize', 'touch_attribute') ORDER BY started_at" |
    jq -s -e 'map(.step) == ["journey_summarize", "touch_attribute"] and all(.status == "ok")'

  # Paths of every backfilled day; each day's journeys are its (start)'s transitions,
  # and each state's probabilities sum to 1.
  [ "$(q "SELECT COUNT(DISTINCT date) AS n FROM journey_paths_daily" | jq .n)" -eq 30 ]
  q "SELECT p.date, p.j, t.s FROM (SELECT date, SUM(journeys) AS j FROM journey_paths_daily GROUP BY date) p
       JOIN (SELECT DISTINCT date, from_total AS s FROM journey_transitions_daily WHERE from_state = '(start)') t
       ON t.date = p.date" | jq -s -e 'length == 30 and all(.j == .s)'
  q "SELECT date, from_state, TOTAL(probability) AS p FROM journey_transitions_daily GROUP BY date, from_state" |
    jq -s -e 'length > 30 and all((.p - 1 | fabs) < 1e-9)'
  [ "$(q "SELECT TOTAL(conversions) AS c FROM journey_paths_daily" | jq .c)" = \
    "$(q "SELECT COUNT(*) AS c FROM gaelp_users.journey_sessions WHERE converted AND substr(converted_at, 1, 10) BETWEEN '2026-05-02' AND '$D1'" | jq .c)" ]

  # Touch credits: every model, each conversion's credits summing to 1, and
  # net_reward = conversion value - the spend of its touches, the same on each row.
  q "SELECT DISTINCT model FROM attribution_touchpoints ORDER BY model" | jq -s -e 'map(.model) ==
    ["data_driven", "first_click", "last_click", "linear", "position", "time_decay"]'
  q "SELECT conversion_id, model, TOTAL(credit) AS c, COUNT(DISTINCT net_reward) AS nr FROM attribution_touchpoints
       GROUP BY conversion_id, model" | jq -s -e 'length > 0 and all((.c - 1 | fabs) < 1e-9 and .nr == 1)'

  # The weekly flow attributes the week's paths under every model before the
  # media-mix model (which has too little history here and stops the flow).
  run --separate-stderr "$REPO/pipelines/weekly.sh" $D1
  q "SELECT step, status FROM ops_flow_runs WHERE run_id = 'weekly-$D1' ORDER BY started_at" |
    jq -s -e '.[0:2] == [{"step": "gx_gate", "status": "ok"}, {"step": "channel_attribute", "status": "ok"}]'
  week_conv=$(q "SELECT TOTAL(conversions) AS c FROM journey_paths_daily WHERE date BETWEEN '2026-05-25' AND '$D1'" | jq .c)
  q "SELECT * FROM channel_attribution_weekly" > "$BATS_TEST_TMPDIR/cw"
  jq -s -e --argjson c "$week_conv" '$c > 0 and all(.week == "2026-05-25" and .run_id == "weekly-'$D1'")
    and (map(.model) | unique) == ["first", "fractribution", "last", "linear", "markov", "position", "shapley", "shapley_ordered"]
    and (group_by(.model) | all((map(.conversions) | add) - $c | fabs < 1e-6))
    and all(if .model == "markov" then .removal_effect >= 0 else .removal_effect == null end)' "$BATS_TEST_TMPDIR/cw"

  # Re-running the night and the week changes no row.
  before=$(for t in journey_paths_daily journey_transitions_daily attribution_touchpoints channel_attribution_weekly; do
    bq-extract "$t" | jq -c 'del(.created_at)' | sort; done | sha256sum)
  AELP2_BACKFILL_DAYS=30 run --separate-stderr "$REPO/pipelines/nightly.sh" $D1
  [ "$status" -eq 0 ]
  run --separate-stderr "$REPO/pipelines/weekly.sh" $D1
  [ "$(for t in journey_paths_daily journey_transitions_daily attribution_touchpoints channel_attribution_weekly; do
    bq-extract "$t" | jq -c 'del(.created_at)' | sort; done | sha256sum)" = "$before" ]
}
