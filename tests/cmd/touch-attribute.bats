#!/usr/bin/env bats
# touch-attribute: per-conversion credit under six models within GA4's
# lookback windows, net_reward, late conversions re-attributed without
# duplicates, and the refusals.

load ../helpers

eval "helpers_$(declare -f setup)"
setup() {
  helpers_setup
  unset AELP2_RUN_ID AELP2_STEP_REPORT AELP2_ATTRIBUTION_WINDOW_ACQUISITION_DAYS \
    AELP2_ATTRIBUTION_WINDOW_OTHER_DAYS
}

# touch ID USER TIME TYPE CHANNEL COST [CONV_TYPE VALUE]: one persistent_touchpoints row
touch() {
  if [ "$4" = conversion ]; then
    printf '{"touchpoint_id":"%s","user_id":"%s","touched_at":"%s","touch_type":"conversion","channel":"%s","conversion_id":"%s","conversion_type":"%s","conversion_value":%s}\n' \
      "$1" "$2" "$3" "$5" "$1" "$7" "$8"
  else
    printf '{"touchpoint_id":"%s","user_id":"%s","touched_at":"%s","touch_type":"%s","channel":"%s","campaign_id":"c-%s","cost":%s}\n' \
      "$1" "$2" "$3" "$4" "$5" "$5" "$6"
  fi
}

# The seed's journey: impression 15 days, clicks 8 and 1 day before a purchase of 100.
journey() {
  touch t15 u1 2025-03-05T12:00:00Z impression meta 2.0
  touch t8 u1 2025-03-12T12:00:00Z click google_search 3.0
  touch t1 u1 2025-03-19T12:00:00Z click meta 0.5
  touch tout u1 2024-12-19T12:00:00Z click tiktok 10.0
  touch cv1 u1 2025-03-20T12:00:00Z conversion meta 0 purchase 100.0
}

@test "a journey with impressions and clicks: net_reward = value - spend, each model's credits exact" {
  journey > "$BATS_TEST_TMPDIR/j.ndjson"
  run --separate-stderr touch-attribute --stdin --run-id r1 "$BATS_TEST_TMPDIR/j.ndjson"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  # 6 models x (3 touches in the window + (direct)); the touch 91 days before has no row
  [ "${#lines[@]}" -eq 24 ]
  echo "$output" | jq -s -e 'all(._table == "attribution_touchpoints" and .run_id == "r1"
      and .net_reward == 94.5 and .conversion_value == 100 and .window_days == 90
      and .touchpoint_id != "tout" and .converted_at == "2025-03-20T12:00:00Z")' >/dev/null
  echo "$output" | jq -s -e '
    def c($m; $t): map(select(.model == $m and .touchpoint_id == $t))[0].credit;
    def near($a; $b): ($a - $b | fabs) < 1e-12;
    c("last_click"; "t1") == 1 and c("last_click"; "t8") == 0 and c("last_click"; "t15") == 0
    and c("first_click"; "t8") == 1 and c("first_click"; "t15") == 0
    and near(c("linear"; "t15"); 1/3) and near(c("linear"; "t1"); 1/3)
    and near(c("position"; "t15"); 0.4) and near(c("position"; "t8"); 0.2) and near(c("position"; "t1"); 0.4)
    and near(c("time_decay"; "t1"); 4/7) and near(c("time_decay"; "t8"); 2/7) and near(c("time_decay"; "t15"); 1/7)
    and near(c("data_driven"; "t15"); 1/3) and near(c("data_driven"; "t1"); 1/3) and near(c("data_driven"; "t8"); 1/3)
    and all(.[] | select(.touchpoint_id == "(direct)"); .credit == 0)
    and (map(select(.touchpoint_id == "t1" and .model == "last_click"))[0] | .value_credit == 100 and .cost == 0.5)' >/dev/null
  # data_driven's one path, meta > google_search > meta: meta -> google_search 1/2,
  # -> (conversion) 1/2, google_search -> meta 1.  Without meta nothing converts (RE 1);
  # without google_search P falls from 1 to 1/2 (RE 1/2).  meta's share 1 / 1.5 goes
  # half to each of its two touches, google_search gets 0.5 / 1.5: a third each.
  # --half-life 14: at 1, 8, 15 days the weights are 2^(-1/14), 2^(-8/14), 2^(-15/14)
  run --separate-stderr touch-attribute --stdin -m time_decay --half-life 14 "$BATS_TEST_TMPDIR/j.ndjson"
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e '(map(select(.touchpoint_id == "t1"))[0].credit) as $a
    | (map(select(.touchpoint_id == "t15"))[0].credit) as $b | ($a / $b - pow(2; 1)) | fabs < 1e-12' >/dev/null
}

@test "lookback windows: one day outside gets nothing; the variables move the edge" {
  {
    touch a8 ua 2025-03-12T12:00:00Z click meta 1.0
    touch acv ua 2025-03-20T12:00:00Z conversion meta 0 first_visit 0.0
    touch b31 ub 2025-02-17T12:00:00Z click tiktok 4.0
    touch b30 ub 2025-02-18T12:00:00Z click meta 1.0
    touch bcv ub 2025-03-20T12:00:00Z conversion meta 0 purchase 50.0
  } > "$BATS_TEST_TMPDIR/w.ndjson"
  credit() { echo "$output" | jq -r --arg t "$1" 'select(.touchpoint_id == $t) | .credit'; }
  AELP2_ATTRIBUTION_WINDOW_ACQUISITION_DAYS=7 AELP2_ATTRIBUTION_WINDOW_OTHER_DAYS=30 \
    run --separate-stderr touch-attribute --stdin -m linear "$BATS_TEST_TMPDIR/w.ndjson"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(credit a8)" = "" ]          # 8 days before, 7-day window
  [ "$(credit b31)" = "" ]         # 30 days + 1 before, 30-day window
  [ "$(credit b30)" = "1" ]      # exactly 30 days before
  [ "$(echo "$output" | jq -r 'select(.conversion_id == "acv" and .touchpoint_id == "(direct)") | .credit')" = "1" ]
  [ "$(echo "$output" | jq -r 'select(.conversion_id == "bcv") | .net_reward' | sort -u)" = "49" ]
  run --separate-stderr touch-attribute --stdin -m linear "$BATS_TEST_TMPDIR/w.ndjson"   # defaults 30 / 90
  [ "$status" -eq 0 ]
  [ "$(credit a8)" = "1" ]
  [ "$(credit b31)" = "0.5" ]
  [ "$(echo "$output" | jq -r 'select(.conversion_id == "bcv") | .window_days' | sort -u)" = "90" ]
  [ "$(echo "$output" | jq -r 'select(.conversion_id == "bcv") | .net_reward' | sort -u)" = "45" ]
  AELP2_ATTRIBUTION_WINDOW_OTHER_DAYS=45 run --separate-stderr touch-attribute --stdin "$BATS_TEST_TMPDIR/w.ndjson"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"AELP2_ATTRIBUTION_WINDOW_OTHER_DAYS='45'"* ]]
  [ -z "$output" ]
  AELP2_ATTRIBUTION_WINDOW_ACQUISITION_DAYS=14 run --separate-stderr touch-attribute --stdin "$BATS_TEST_TMPDIR/w.ndjson"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *AELP2_ATTRIBUTION_WINDOW_ACQUISITION_DAYS* ]]
}

@test "late conversions: re-attributed on the next run, upserted without duplicates" {
  bq-ensure --quiet >/dev/null
  {
    touch p1 u1 2025-03-08T10:00:00Z click meta 1.0
    touch p2 u1 2025-03-09T10:00:00Z impression youtube 0.25
    touch cvA u1 2025-03-09T12:00:00Z conversion meta 0 purchase 40.0
    touch q1 u2 2025-03-07T09:00:00Z click google_search 2.0
  } | bq-load gaelp_users.persistent_touchpoints >/dev/null 2>&1
  touch-attribute --date 2025-03-10 -q | bq-load --upsert 2>/dev/null
  run bq-extract --query 'SELECT COUNT(*) AS n, COUNT(DISTINCT conversion_id) AS c FROM attribution_touchpoints'
  [ "$output" = '{"n":18,"c":1}' ]     # 6 models x (2 touches + (direct))
  # a conversion of 03-08 arrives late, and a click of u1 that had not arrived
  {
    touch cvB u2 2025-03-08T11:00:00Z conversion google_search 0 lead 25.0
    touch p0 u1 2025-03-01T10:00:00Z click tiktok 3.0
  } | bq-load gaelp_users.persistent_touchpoints >/dev/null 2>&1
  for i in 1 2; do
    touch-attribute --date 2025-03-10 -q | bq-load --upsert 2>/dev/null
    run bq-extract --query 'SELECT COUNT(*) AS n, COUNT(DISTINCT conversion_id) AS c,
      COUNT(DISTINCT conversion_id || touchpoint_id || model) AS k FROM attribution_touchpoints'
    [ "$output" = '{"n":36,"c":2,"k":36}' ]   # cvA 6 x (3 + 1), cvB 6 x (1 + 1)
  done
  # credits sum to 1 per conversion and model; cvA's first click is now the late tiktok click
  run bq-extract --query 'SELECT conversion_id, model, SUM(credit) AS s FROM attribution_touchpoints
    GROUP BY 1, 2 HAVING ABS(SUM(credit) - 1) > 1e-9'
  [ -z "$output" ]
  run bq-extract --query "SELECT touchpoint_id FROM attribution_touchpoints WHERE model = 'first_click' AND credit = 1 ORDER BY 1"
  [ "$output" = $'{"touchpoint_id":"p0"}\n{"touchpoint_id":"q1"}' ]
  run bq-extract --query "SELECT DISTINCT net_reward FROM attribution_touchpoints WHERE conversion_id = 'cvA'"
  [ "$output" = '{"net_reward":35.75}' ]
  # --trailing-days 1 (03-09..03-10) leaves 03-08 out: only cvA is attributed
  run --separate-stderr touch-attribute --date 2025-03-10 --trailing-days 1
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .conversion_id | sort -u)" = "cvA" ]
}

@test "simulated journeys: every conversion's credits sum to 1 under every model" {
  bq-ensure --quiet >/dev/null
  sim-generate --start 2025-01-01 --days 60 --seed 7 --users 40 --tables gaelp_users.persistent_touchpoints |
    bq-load >/dev/null 2>&1
  run --separate-stderr touch-attribute --date 2025-03-01 --trailing-days 10
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "${#lines[@]}" -gt 100 ]
  echo "$output" | jq -s -e 'group_by(.conversion_id) | length > 20' >/dev/null
  echo "$output" | jq -s -e 'group_by(.conversion_id + "/" + .model)
    | all(((map(.credit) | add) - 1 | fabs) < 1e-9 and (map(.net_reward) | unique | length) == 1)
    and (map(.[0].model) | unique) == ["data_driven","first_click","last_click","linear","position","time_decay"]' >/dev/null
  # the simulator's stream piped straight in gives the same credits
  sim-generate --start 2025-01-01 --days 60 --seed 7 --users 40 |
    touch-attribute --stdin --date 2025-03-01 --trailing-days 10 -q > "$BATS_TEST_TMPDIR/s.ndjson"
  [ "$(jq -c '[.conversion_id, .touchpoint_id, .model, .credit]' "$BATS_TEST_TMPDIR/s.ndjson" | sort | sha256sum)" = \
    "$(echo "$output" | jq -c '[.conversion_id, .touchpoint_id, .model, .credit]' | sort | sha256sum)" ]
  echo "$output" | bq-load --upsert 2>/dev/null
}

@test "data-driven with no converting path is an error, never another model" {
  {
    touch old u1 2024-01-01T00:00:00Z click meta 1.0
    touch cv1 u1 2025-03-20T12:00:00Z conversion meta 0 purchase 10.0
  } > "$BATS_TEST_TMPDIR/d.ndjson"
  run --separate-stderr touch-attribute --stdin -m last_click,data_driven "$BATS_TEST_TMPDIR/d.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"data_driven cannot run"*"no fallback"* ]]
  [ -z "$output" ]
  run --separate-stderr touch-attribute --stdin -m last_click "$BATS_TEST_TMPDIR/d.ndjson"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r '.touchpoint_id + " " + (.credit | tostring)')" = "(direct) 1" ]
}

@test "bad input: FILE:LINE and exit 65, nothing written" {
  { journey; echo '{"touchpoint_id":"x","user_id":"u","touched_at":"2025-03-01T00:00:00Z","touch_type":"view","channel":"meta"}'; } \
    > "$BATS_TEST_TMPDIR/b.ndjson"
  run --separate-stderr touch-attribute --stdin "$BATS_TEST_TMPDIR/b.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"b.ndjson:6: touch_type 'view' is not impression, click or conversion"* ]]
  [ -z "$output" ]
  { journey; echo '{"touchpoint_id":"x","user_id":"u","touched_at":"yesterday","touch_type":"click","channel":"meta"}'; } \
    > "$BATS_TEST_TMPDIR/b.ndjson"
  run --separate-stderr touch-attribute --stdin "$BATS_TEST_TMPDIR/b.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"b.ndjson:6: "*touched_at* ]]
  [ -z "$output" ]
  { journey; touch t8 u9 2025-03-12T12:00:00Z click meta 1.0; } > "$BATS_TEST_TMPDIR/b.ndjson"
  run --separate-stderr touch-attribute --stdin "$BATS_TEST_TMPDIR/b.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"b.ndjson:6: touchpoint_id 't8' again (first at "*"b.ndjson:2)"* ]]
  [ -z "$output" ]
  { journey; echo '{"touchpoint_id":"c","user_id":"u","touched_at":"2025-03-01T00:00:00Z","touch_type":"conversion","channel":"meta"}'; } \
    > "$BATS_TEST_TMPDIR/b.ndjson"
  run --separate-stderr touch-attribute --stdin "$BATS_TEST_TMPDIR/b.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"b.ndjson:6: a conversion without conversion_id"* ]]
}

@test "usage: exit 2 for bad options, --help teaches the rules" {
  run touch-attribute --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"2^(-d/H)"* && "$output" == *"net_reward"* && "$output" == *"DAY-3..DAY"* ]]
  [[ "$output" == *AELP2_ATTRIBUTION_WINDOW_OTHER_DAYS* ]]
  run --separate-stderr touch-attribute --model u_shaped --stdin /dev/null
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"unknown model 'u_shaped'"* ]]
  run --separate-stderr touch-attribute --touches views --stdin /dev/null
  [ "$status" -eq 2 ]
  run --separate-stderr touch-attribute --date 2025-02-30
  [ "$status" -eq 2 ]
  run --separate-stderr touch-attribute --half-life 0 --stdin /dev/null
  [ "$status" -eq 2 ]
  run --separate-stderr touch-attribute some-file
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"FILEs go with --stdin"* ]]
  run --separate-stderr touch-attribute --bogus
  [ "$status" -eq 2 ]
}
