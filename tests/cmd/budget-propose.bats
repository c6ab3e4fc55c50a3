#!/usr/bin/env bats
# budget-propose: shadow budget proposals under the CAC cap, the historical
# daily cap and the 5% step, from history or from a media-mix run.

load ../helpers

# portfolio "ID:CHANNEL:BUDGET:DAILY_SPEND:DAILY_CONV[:STATUS]"...: 14 days
# (2025-03-01..14) of ads_campaign_performance with that spend (one day 10%
# higher, so the highest daily spend is 1.1 x DAILY_SPEND) and conversions,
# and a budget snapshot on the 14th; loaded into the warehouse.
portfolio() {
  bq-ensure --quiet >/dev/null
  printf '%s\n' "$@" | awk -F: '{
    for (d = 1; d <= 14; d++) {
      s = $4 * (d == 7 ? 1.1 : 1)
      printf "{\"_table\":\"ads_campaign_performance\",\"date\":\"2025-03-%02d\",\"campaign_id\":\"%s\",\"customer_id\":\"123-456-7890\",\"channel\":\"%s\",\"platform\":\"google_ads\",\"impressions\":1000,\"clicks\":100,\"cost_micros\":%d,\"conversions\":%s,\"conversion_value\":0}\n", d, $1, $2, s * 1e6, $5
    }
    printf "{\"_table\":\"canary_budgets_snapshot\",\"snapshot_date\":\"2025-03-14\",\"campaign_id\":\"%s\",\"customer_id\":\"1234567890\",\"campaign_name\":\"Campaign %s\",\"platform\":\"google_ads\",\"channel\":\"%s\",\"campaign_status\":\"%s\",\"budget_id\":\"b%s\",\"daily_budget_micros\":%d,\"captured_at\":\"2025-03-14T23:00:00Z\"}\n", $1, $1, $2, ($6 == "" ? "ENABLED" : $6), $1, $3 * 1e6
  }' | bq-load >/dev/null
}

# A media-mix run saying CHANNEL should go from CUR to PROP a day, with a
# CAC band and a marginal ROI band (conversions per currency) at current spend.
mmm_run() { # RUN CHANNEL CUR PROP CAC_MEAN CAC_LO CAC_HI MROI_MEAN MROI_P05 MROI_P95 [CREATED]
  local created="${11:-2025-03-15T01:00:00Z}"
  {
    printf '{"_table":"mmm_runs","run_id":"%s","status":"ok","kpi":"conversions","options":{"value_per_conversion":null},"created_at":"%s"}\n' "$1" "$created"
    printf '{"_table":"mmm_allocations","run_id":"%s","channel":"%s","current_daily_spend":%s,"proposed_daily_spend":%s,"cac_mean":%s,"cac_p05":%s,"cac_p95":%s}\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7"
    for p in 9 10 11; do
      printf '{"_table":"mmm_curves","run_id":"%s","channel":"%s","point":%d,"daily_spend":%s,"spend_multiple":%s,"marginal_roi_mean":%s,"marginal_roi_p05":%s,"marginal_roi_p95":%s}\n' \
        "$1" "$2" "$p" "$3" "$(echo "$p" | awk '{print $1 / 10}')" "$8" "$9" "${10}"
    done
  } | bq-load --upsert >/dev/null
}

propose() {
  run --separate-stderr budget-propose --run-id r1 "$@"
}

@test "CAC above the cap: down 5% with cap_reason, and bq-load takes the row" {
  portfolio "c1:google_search:100:100:1"          # CAC 100 over 14 conversions
  AELP2_CAC_CAP=40 propose
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  echo "$output" | jq -e '.direction == "down" and .proposed_daily_budget == 95.0 and .change_pct == -5.0
    and .status == "proposed" and .shadow == true and .change_id == "r1:c1" and .budget_id == "bc1"
    and .notes.cap_reason == "cac_above_cap" and .notes.cac_cap == 40.0 and .notes.cac_estimate.source == "gamma_poisson"
    and .notes.cac_estimate.low > 40 and .notes.cac_estimate.low < .notes.cac_estimate.mean
    and .notes.cac_estimate.mean < .notes.cac_estimate.high and .notes.cac_bound == "cac_low"
    and .notes.bound == "max_change_pct" and .notes.mmm_run_id == null and (.reason | test("above the cap 40.00"))'
  echo "$output" | bq-load --upsert
  bq-extract --query "SELECT direction, json_extract(notes, '$.cap_reason') AS cap FROM canary_changes ORDER BY created_at DESC LIMIT 1" |
    jq -e '.direction == "down" and .cap == "cac_above_cap"'
  [[ "$stderr" == *"1 campaigns over 2025-03-01..2025-03-14, CAC cap 40.00, history only: 1 proposals (0 up, 1 down"* ]]
}

@test "a CAC band straddling the cap holds, not down; no cap gives no cap reason" {
  portfolio "c1:google_search:100:100:1"
  AELP2_CAC_CAP=100 propose
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.direction == "hold" and .proposed_daily_budget == 100.0 and .change_pct == 0.0
    and .notes.cap_reason == "cac_band_straddles_cap"
    and .notes.cac_estimate.low < 100 and .notes.cac_estimate.high > 100'
  propose
  [ "$status" -eq 0 ]
  [ -z "$output" ]                                  # no cap, no run: nothing to move
  AELP2_CAC_CAP= propose                            # empty is unset
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"no CAC cap"* ]]
}

@test "AELP2_CAC_CAP that is not a positive number is a usage error, nothing written" {
  portfolio "c1:google_search:100:100:1"
  for bad in abc 0 -5 nan inf 12x; do
    AELP2_CAC_CAP="$bad" propose
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"AELP2_CAC_CAP='$bad' is not a positive number"* ]]
  done
}

@test "the historical daily cap binds and is reported" {
  # spends 60 a day (66 at most) on a budget of 100: down toward 66, 5% a step
  portfolio "c1:meta:100:60:3" "c2:meta:67:60:3"
  propose
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map({(.campaign_id): .}) | add |
    .c1.direction == "down" and .c1.proposed_daily_budget == 95.0 and .c1.notes.cap_reason == "hist_daily_cap"
    and .c1.notes.bound == "max_change_pct" and .c1.notes.hist_daily_cap == 66.0 and .c1.notes.max_daily_spend == 66.0
    and .c2.proposed_daily_budget == 66.0 and .c2.notes.bound == "hist_daily_cap"
    and (.c2.reason | test("above the historical daily cap 66.00"))'
  # a multiplier of 2 lifts the cap above both budgets: nothing to do
  propose --hist-cap-multiplier 2
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "with a media-mix run: under-funded channel goes up, held to the historical cap" {
  portfolio "c1:meta:100:100:5" "c2:meta:100:100:5" "s1:google_search:100:100:5"
  # meta: 200 -> 260 a day, marginal CAC 1/0.04 = 25 (high end 1/0.02 = 50)
  mmm_run m1 meta 200 260 18 15 22 0.04 0.02 0.06
  AELP2_CAC_CAP=60 propose --hist-cap-multiplier 0.95   # cap 0.95 x 110 = 104.50
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'length == 2 and all(.campaign_id != "s1") and all(
    .direction == "up" and .proposed_daily_budget == 104.5 and .notes.cap_reason == "hist_daily_cap"
    and .notes.bound == "hist_daily_cap" and .notes.mmm_run_id == "m1" and .notes.mmm_funding == "under_funded"
    and .notes.cac_estimate.source == "mmm" and .notes.cac_estimate.mean == 18.0
    and .notes.marginal_cac.high == 50.0 and .notes.cac_bound == "marginal_cac_high")'
  # with room: 5%, the step
  AELP2_CAC_CAP=60 propose --hist-cap-multiplier 2
  echo "$output" | jq -s -e 'length == 2 and all(.proposed_daily_budget == 105.0 and .notes.bound == "max_change_pct" and .notes.cap_reason == null)'
  # the marginal CAC's high end (50) above the cap: hold, said so
  AELP2_CAC_CAP=45 propose --hist-cap-multiplier 2
  echo "$output" | jq -s -e 'length == 2 and all(.direction == "hold" and .notes.cap_reason == "marginal_cac_above_cap")'
  # --no-mmm: history only, nothing goes up
  AELP2_CAC_CAP=60 propose --hist-cap-multiplier 2 --no-mmm
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "--top-n keeps the largest expected gains; proposals are deterministic" {
  portfolio "a:meta:100:100:0.2" "b:meta:100:100:1" "c:meta:100:100:0.5" "d:meta:100:100:8"
  AELP2_CAC_CAP=30 propose
  [ "$status" -eq 0 ]
  first="$(echo "$output" | jq -c 'del(.created_at)')"
  echo "$output" | jq -s -e 'map(.campaign_id) == ["a", "c", "b"] and (map(.notes.expected_gain) | . == (sort | reverse))'
  AELP2_CAC_CAP=30 propose
  [ "$(echo "$output" | jq -c 'del(.created_at)')" = "$first" ]
  AELP2_CAC_CAP=30 propose --top-n 1
  echo "$output" | jq -s -e 'length == 1 and .[0].campaign_id == "a"'
  [[ "$stderr" == *"(--top-n)"* ]]
}

@test "paused campaigns, campaigns without a budget and without spend are left alone and counted" {
  portfolio "c1:meta:100:100:0.2" "c2:meta:100:100:0.2:PAUSED"
  printf '{"_table":"canary_budgets_snapshot","snapshot_date":"2025-03-14","campaign_id":"c3","daily_budget_micros":50000000,"captured_at":"2025-03-14T23:00:00Z"}\n' | bq-load
  printf '{"_table":"ads_campaign_performance","date":"2025-03-14","campaign_id":"c4","channel":"meta","platform":"meta","impressions":1,"clicks":1,"cost_micros":9000000,"conversions":0,"conversion_value":0}\n' | bq-load
  AELP2_CAC_CAP=30 propose
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map(.campaign_id) == ["c1"]'
  [[ "$stderr" == *"left alone: 1 without a budget snapshot, 1 not enabled, 1 without spend in the window"* ]]
}

@test "a re-run of the same run id never overwrites a decided proposal" {
  portfolio "c1:meta:100:100:0.2" "c2:meta:100:100:0.2"
  AELP2_CAC_CAP=30 propose
  echo "$output" | bq-load --upsert
  sqlite3 "$WH" "UPDATE canary_changes SET status = 'approved' WHERE change_id = 'r1:c1'"
  AELP2_CAC_CAP=30 propose
  echo "$output" | jq -s -e 'map(.change_id) == ["r1:c2"]'
  echo "$output" | bq-load --upsert
  [ "$(sqlite3 "$WH" "SELECT status FROM canary_changes ORDER BY change_id" | tr '\n' ' ')" = "approved proposed " ]
}

@test "the latest budget counts a change applied after the snapshot" {
  portfolio "c1:meta:100:100:0.2"
  printf '{"_table":"canary_changes","change_id":"old:c1","run_id":"old","campaign_id":"c1","current_daily_budget":100,"proposed_daily_budget":95,"change_pct":-5,"direction":"down","status":"shadow_applied","shadow":true,"created_at":"2025-03-15T00:00:00Z","applied_at":"2025-03-15T01:00:00Z"}\n' | bq-load
  AELP2_CAC_CAP=30 propose
  echo "$output" | jq -e '.current_daily_budget == 95.0 and .proposed_daily_budget == 90.25'
}

@test "--date and --days set the window; the default run id names its end" {
  portfolio "c1:meta:100:100:0.2"
  run --separate-stderr env AELP2_CAC_CAP=30 budget-propose --date 2025-03-10 --days 3
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.run_id == "budget-propose-2025-03-10" and .notes.window == {"start": "2025-03-08", "end": "2025-03-10"}
    and .notes.spend == 300.0'
  AELP2_RUN_ID=nightly-x run --separate-stderr env AELP2_CAC_CAP=30 budget-propose
  echo "$output" | jq -e '.run_id == "nightly-x" and .change_id == "nightly-x:c1"'
}

@test "usage errors and an empty warehouse" {
  run --separate-stderr budget-propose
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"nothing to propose from"* ]]
  bq-ensure --quiet >/dev/null
  run --separate-stderr budget-propose
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"no rows in ads_campaign_performance"* ]]
  for args in "--days 0" "--top-n 0" "--hist-cap-multiplier 0" "--date 2025-02-30" "--no-mmm --mmm-run-id x" "extra"; do
    run --separate-stderr budget-propose $args
    [ "$status" -eq 2 ]
  done
  portfolio "c1:meta:100:100:0.2"
  run --separate-stderr budget-propose --mmm-run-id nope
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"no mmm_runs row with run_id 'nope'"* ]]
}

@test "--help teaches the rules" {
  run budget-propose --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"AELP2_CAC_CAP"* ]]
  [[ "$output" == *"cac_band_straddles_cap"* ]]
  [[ "$output" == *"Historical daily cap"* ]]
  [[ "$output" == *"gamma_poisson"* ]]
}

@test "a warehouse without the view canary_budgets_latest is told to run bq-ensure, nothing written" {
  portfolio "c1:meta:100:100:0.2"
  sqlite3 "$WH" "DROP VIEW canary_budgets_latest"
  AELP2_CAC_CAP=30 propose
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  [[ "$stderr" == *"reading canary_budgets_latest"*"run bq-ensure"* ]]
}

# ltv_priors rows of one ltv-fit run: "SEGMENT:VALUE_LOW"...
ltv_priors() { # RUN CREATED SEGMENT:LOW...
  local run=$1 created=$2; shift 2
  printf '%s\n' "$@" | awk -F: -v run="$run" -v created="$created" '{
    printf "{\"_table\":\"ltv_priors\",\"run_id\":\"%s\",\"segment\":\"%s\",\"value_mean\":%s,\"value_low\":%s,\"value_high\":%s,\"created_at\":\"%s\"}\n",
      run, $1, $2 * 1.2, $2, $2 * 1.5, created }' | bq-load --upsert >/dev/null
}

@test "--ltv-cac-ratio caps each campaign at its channel's LTV low end / R, the all row otherwise" {
  portfolio "c1:google_search:100:100:1" "c2:meta:100:100:1"   # CAC 100 each
  ltv_priors old 2025-03-01T00:00:00Z "all:1000" "meta:1000"
  ltv_priors new 2025-03-10T00:00:00Z "all:240" "google_search:1200"
  # google_search: 1200 / 2 = 600 (or / 4 = 300) above the CAC band: nothing to move; meta: no row, all: 240 / 2 = 120 straddles
  propose --ltv-cac-ratio 2
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  echo "$output" | jq -e '.campaign_id == "c2" and .direction == "hold" and .notes.cap_reason == "cac_band_straddles_cap"
    and .notes.cac_cap == 120 and .notes.ltv_prior == {"run_id":"new","segment":"all","value_low":240,"ratio":2,"cap":120}'
  # ratio 4 from the environment: meta's cap 60 is below the whole band: down
  AELP2_LTV_CAC_RATIO=4 propose
  [ "$status" -eq 0 ]
  echo "$output" | jq -se 'length == 1 and .[0].campaign_id == "c2" and .[0].direction == "down"
    and .[0].notes.cap_reason == "cac_above_cap" and .[0].notes.cac_cap == 60'
  # AELP2_CAC_CAP lower than the LTV cap wins, and notes still name the prior
  AELP2_CAC_CAP=50 propose --ltv-cac-ratio 2
  echo "$output" | jq -se 'length == 2 and all(.[]; .notes.cac_cap == 50 and .notes.ltv_prior.run_id == "new")'
  # without the option nothing says ltv
  propose
  [ -z "$output" ]
}

@test "--ltv-cac-ratio without ltv_priors rows is bad input; a bad ratio is usage" {
  portfolio "c1:google_search:100:100:1"
  propose --ltv-cac-ratio 3
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"ltv_priors has no row (run ltv-fit"* ]]
  propose --ltv-cac-ratio 0
  [ "$status" -eq 2 ]
  AELP2_LTV_CAC_RATIO=abc propose
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"AELP2_LTV_CAC_RATIO"* ]]
}
