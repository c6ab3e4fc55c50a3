#!/usr/bin/env bats
# mmm-validate: Robyn's method against the Bayesian media-mix fit.

load ../helpers

FAST=(--iterations 300 --trials 2 --seed 3)

# 104 weeks, 3 channels, a KPI made of a base, a season and saturating
# media effects, and a control; deterministic (no random numbers).
make_input() {
  awk 'BEGIN {
    split("tv search social", ch, " ")
    for (w = 0; w < 104; w++) {
      z = 20094 + 7 * w                      # 2025-01-06 and on, Mondays
      cmd = ""; d = strftime("%Y-%m-%d", z * 86400, 1)
      kpi = 5000 + 8 * w + 400 * sin(2 * 3.14159265 * w / 52.18)
      for (c = 1; c <= 3; c++) {
        s = (500 * c) * (1 + 0.8 * sin(w * (0.37 + 0.21 * c) + c)) * ((w + c) % 9 == 0 ? 0 : 1)
        ad[c] = s + 0.4 * ad[c]
        kpi += 3000 * c * ad[c] / (ad[c] + 400 * c)
        printf "{\"date\":\"%s\",\"channel\":\"%s\",\"spend\":%.2f}\n", d, ch[c], s
      }
      printf "{\"date\":\"%s\",\"control\":\"promo\",\"value\":%d}\n", d, (w % 13 == 0)
      printf "{\"date\":\"%s\",\"kpi\":%.3f}\n", d, kpi + 30 * sin(w * 7.3)
    }
  }' > "$BATS_TEST_TMPDIR/in.ndjson"
  IN="$BATS_TEST_TMPDIR/in.ndjson"
}

# make_fit STATUS P05 P95 [CHANNELS...]: a hand-written mmm-fit output.
make_fit() {
  local st=$1 lo=$2 hi=$3 chans=(tv search social); shift 3
  [ $# -eq 0 ] || chans=("$@")
  FIT="$BATS_TEST_TMPDIR/fit.ndjson"
  {
    printf '{"_table":"mmm_runs","run_id":"fit-1","status":"%s","kpi":"conversions","grain":"week","start_date":"2025-01-06","end_date":"2027-01-03","channels":["tv","search","social"],"created_at":"2027-01-01T00:00:00Z"}\n' "$st"
    for c in "${chans[@]}"; do
      printf '{"_table":"mmm_allocations","run_id":"fit-1","channel":"%s","current_daily_spend":100.0,"proposed_daily_spend":100.0,"contribution_mean":1000.0,"contribution_p05":500.0,"contribution_p95":1500.0,"roi_mean":%s,"roi_p05":%s,"roi_p95":%s,"created_at":"2027-01-01T00:00:00Z"}\n' "$c" "$lo" "$lo" "$hi"
    done
    echo '{"_table":"mmm_curves","run_id":"fit-1","channel":"tv","spend":1.0}'
  } > "$FIT"
}

@test "--help teaches the method, the objectives, the selection rule and the exit codes" {
  run mmm-validate --help
  [ "$status" -eq 0 ]
  for w in adstock Hill NRMSE DECOMP.RSSD Pareto "nearest the origin" TwoPointsDE --tolerance 0.25 \
           --iterations 2000 --trials --seed --hyper "theta 0-0.8" "Examples:" 65 70; do
    [[ "$output" == *"$w"* ]] || { echo "help lacks: $w"; return 1; }
  done
}

@test "bad input exits 65 naming FILE:LINE, nothing on stdout" {
  make_input
  make_fit ok 0.001 1000
  sed -i '7s/.*/{"date":"2025-01-13","kpi":/' "$IN"
  run --separate-stderr mmm-validate --fit "$FIT" "${FAST[@]}" "$IN"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"in.ndjson:7"* ]]
}

@test "no fit at all exits 1: no warehouse, an empty warehouse, a fit that is not ok" {
  make_input
  run --separate-stderr mmm-validate "${FAST[@]}" "$IN"
  [ "$status" -eq 1 ] && [ -z "$output" ] && [[ "$stderr" == *"nothing to compare"* || "$stderr" == *"no Bayesian fit"* ]]
  bq-ensure >/dev/null
  run --separate-stderr mmm-validate "${FAST[@]}" "$IN"
  [ "$status" -eq 1 ] && [ -z "$output" ] && [[ "$stderr" == *"nothing to compare"* ]]
  make_fit failed_diagnostics 0.001 1000
  run --separate-stderr mmm-validate --fit "$FIT" "${FAST[@]}" "$IN"
  [ "$status" -eq 1 ] && [ -z "$output" ] && [[ "$stderr" == *"failed_diagnostics"* ]]
  make_fit ok 0.001 1000
  run --separate-stderr mmm-validate --fit "$FIT" --mmm-run-id other "${FAST[@]}" "$IN"
  [ "$status" -eq 1 ] && [[ "$stderr" == *"'other'"* ]]
}

@test "one row per channel with exactly the schema's columns; a wide interval is ok" {
  make_input
  make_fit ok 0.0001 100000
  run --separate-stderr mmm-validate --fit "$FIT" --week 2026-12-31 "${FAST[@]}" "$IN"
  [ "$status" -eq 0 ]
  [ "$(wc -l <<<"$output")" -eq 3 ]
  want=$(jq -c '[.columns[].name] | sort' "$AELP_SCHEMAS/tables/robyn_comparison_weekly.json")
  while read -r row; do
    [ "$(jq -c 'del(._table) | keys' <<<"$row")" = "$want" ] || { echo "columns: $row"; return 1; }
    jq -e '._table == "robyn_comparison_weekly" and .week == "2026-12-28" and .status == "ok"
           and .run_id == "mmm-validate-2026-12-28" and .mmm_run_id == "fit-1"
           and .robyn_roi > 0 and .tolerance == 0.25 and (.hyperparameters | keys == ["alpha","gamma","lambda","theta"])
           and (.roi_diff - (.robyn_roi - .bayes_roi_mean) | fabs) < 1e-9' <<<"$row" >/dev/null || { echo "$row"; return 1; }
  done <<<"$output"
  [ "$(jq -r .channel <<<"$output" | paste -sd,)" = "search,social,tv" ]
  jq -s -e '(map(.robyn_share) | add - 1 | fabs) < 1e-9 and (map(.bayes_share) | add - 1 | fabs) < 1e-9' <<<"$output" >/dev/null
  [[ "$stderr" == *"3 channels ok, 0 warn"* ]]
}

@test "an interval far from the Robyn estimate warns, and the exit stays 0" {
  make_input
  make_fit ok 1000 2000
  run --separate-stderr mmm-validate --fit "$FIT" "${FAST[@]}" "$IN"
  [ "$status" -eq 0 ]
  [ "$(jq -r .status <<<"$output" | sort -u)" = warn ]
  [[ "$stderr" == *"0 channels ok, 3 warn"* ]]
  # the tolerance rule itself: p95 = roi/1.1 holds roi only with tolerance >= 0.1
  roi=$(jq -r 'select(.channel == "tv") | .robyn_roi' <<<"$output")
  p=$(awk -v r="$roi" 'BEGIN { printf "%.17g", r / 1.1 }')
  make_fit ok "$p" "$p"
  run --separate-stderr mmm-validate --fit "$FIT" --tolerance 0.05 "${FAST[@]}" "$IN"
  [ "$(jq -r 'select(.channel == "tv") | .status' <<<"$output")" = warn ]
  run --separate-stderr mmm-validate --fit "$FIT" --tolerance 0.15 "${FAST[@]}" "$IN"
  [ "$(jq -r 'select(.channel == "tv") | .status' <<<"$output")" = ok ]
}

@test "channels in only one side are named on stderr and left out" {
  make_input
  make_fit ok 0.0001 100000 tv search radio
  run --separate-stderr mmm-validate --fit "$FIT" "${FAST[@]}" "$IN"
  [ "$status" -eq 0 ]
  [ "$(jq -r .channel <<<"$output" | paste -sd,)" = "search,tv" ]
  [[ "$stderr" == *"'social' is in the input but not in fit"* ]]
  [[ "$stderr" == *"'radio' is in fit"* ]]
}

@test "same seed twice gives the same rows (created_at aside), whatever the threads" {
  make_input
  make_fit ok 0.0001 100000
  a=$(mmm-validate --fit "$FIT" "${FAST[@]}" "$IN" 2>/dev/null | jq -c 'del(.created_at)')
  b=$(mmm-validate --fit "$FIT" "${FAST[@]}" --threads 1 "$IN" 2>/dev/null | jq -c 'del(.created_at)')
  c=$(mmm-validate --fit "$FIT" --iterations 300 --trials 2 --seed 4 "$IN" 2>/dev/null | jq -c 'del(.created_at)')
  [ -n "$a" ] && [ "$a" = "$b" ]
  [ "$a" != "$c" ]
}

@test "the rows load with bq-load; the fit is read from the warehouse without --fit" {
  make_input
  make_fit ok 0.0001 100000
  bq-ensure >/dev/null
  grep -v mmm_curves "$FIT" | bq-load --upsert 2>/dev/null
  run --separate-stderr mmm-validate "${FAST[@]}" "$IN"
  [ "$status" -eq 0 ]
  [ "$(jq -r .mmm_run_id <<<"$output" | sort -u)" = fit-1 ]
  bq-load <<<"$output"
  [ "$(bq-extract robyn_comparison_weekly | wc -l)" -eq 3 ]
}

@test "usage errors exit 2" {
  run mmm-validate --iterations 0
  [ "$status" -eq 2 ]
  run mmm-validate --theta 0.5,0.2
  [ "$status" -eq 2 ]
  run mmm-validate --week 2026-02-30
  [ "$status" -eq 2 ]
  echo '{"theta":[0,1.5]}' > "$BATS_TEST_TMPDIR/h.json"
  make_input
  run mmm-validate --hyper "$BATS_TEST_TMPDIR/h.json" --fit /dev/null "$IN"
  [ "$status" -eq 2 ]
  echo '{"channels":{"tv":{"gamma":[0,1]}}}' > "$BATS_TEST_TMPDIR/h.json"
  run mmm-validate --hyper "$BATS_TEST_TMPDIR/h.json" --fit /dev/null "$IN"
  [ "$status" -eq 2 ]
  # a good file takes effect: theta fixed at 0.5 for tv
  make_fit ok 0.0001 100000
  echo '{"alpha":[1,1],"channels":{"tv":{"theta":[0.5,0.5]}}}' > "$BATS_TEST_TMPDIR/h.json"
  run --separate-stderr mmm-validate --hyper "$BATS_TEST_TMPDIR/h.json" --fit "$FIT" "${FAST[@]}" "$IN"
  [ "$status" -eq 0 ]
  jq -s -e 'map(select(.channel == "tv"))[0].hyperparameters | .theta == 0.5 and .alpha == 1' <<<"$output" >/dev/null
  jq -s -e 'map(select(.channel == "search"))[0].hyperparameters | .theta != 0.5 and .alpha == 1' <<<"$output" >/dev/null
}

@test "a fit of another window or grain is refused; a value ROI is turned back into KPI per currency" {
  make_input
  make_fit ok 0.0001 100000
  jq -c 'if ._table == "mmm_runs" then .start_date = "2025-02-03" else . end' "$FIT" > "$FIT.2"
  run --separate-stderr mmm-validate --fit "$FIT.2" "${FAST[@]}" "$IN"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"fit 'fit-1' covers 2025-02-03 to 2027-01-03 by week, the input 2025-01-06 to 2027-01-03 by week"* ]]
  [ -z "$output" ]
  jq -c 'if ._table == "mmm_runs" then .grain = "day" else . end' "$FIT" > "$FIT.2"
  run --separate-stderr mmm-validate --fit "$FIT.2" "${FAST[@]}" "$IN"
  [ "$status" -eq 1 ]
  # mmm-fit --value-per-conversion 100 multiplied its ROIs by 100: divided back here.
  jq -c 'if ._table == "mmm_runs" then .options = {"value_per_conversion": 100}
         elif ._table == "mmm_allocations" then .roi_mean = 250 | .roi_p05 = 200 | .roi_p95 = 300 else . end' \
    "$FIT" > "$FIT.2"
  run --separate-stderr mmm-validate --fit "$FIT.2" "${FAST[@]}" "$IN"
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'length == 3 and all(.[]; .bayes_roi_mean == 2.5 and .bayes_roi_p05 == 2 and .bayes_roi_p95 == 3)'
}
