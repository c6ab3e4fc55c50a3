#!/usr/bin/env bats
# mmm-fit on each peer's example data (../shared/data/mmm/): PyMC-Marketing's
# example, Robyn's simulated weekly demo data, and Meridian's three national
# sets.  Each fit must pass its diagnostics and write complete outputs: a run
# row, an allocation per channel (summing to the budget), and the curves.
# Then mmm-validate checks the fit by Robyn's method and its rows load.

load ../helpers

fit_peer() { # SET CSV
  local data
  data="$(shared_data)"
  [ -n "$data" ] || { echo "no ../shared/data beside the checkout (or AELP2_SHARED_DATA)"; false; }
  "$REPO/tests/mmm/peer_input.sh" "$1" "$data/mmm/$2" > "$BATS_TEST_TMPDIR/in.ndjson"
  run --separate-stderr mmm-fit -q --seed 1 --chains 2 --warmup 500 --draws 500 "$BATS_TEST_TMPDIR/in.ndjson"
  echo "$stderr"
  [ "$status" -eq 0 ]
  echo "$output" > "$BATS_TEST_TMPDIR/fit.ndjson"
  f="$BATS_TEST_TMPDIR/fit.ndjson"
  jq -c 'select(._table == "mmm_runs") | {max_rhat, min_ess_bulk, divergences, r2: .diagnostics.r2}' "$f"
  nch=$(jq 'select(._table == "mmm_runs") | .channels | length' "$f")
  [ "$nch" -eq "$3" ]
  jq -c 'select(._table == "mmm_runs")' "$f" | jq -e '.status == "ok" and .max_rhat <= 1.05
    and .divergences <= 0.01 * 1000 and .grain == "week"' > /dev/null
  [ "$(jq -c 'select(._table == "mmm_allocations")' "$f" | wc -l)" -eq "$nch" ]
  [ "$(jq -c 'select(._table == "mmm_curves")' "$f" | wc -l)" -eq $((nch * 21)) ]
  jq -s -e '[.[] | select(._table == "mmm_allocations")]
    | ((map(.proposed_daily_spend) | add) - (map(.current_daily_spend) | add) | fabs)
      <= 1e-9 * (map(.current_daily_spend) | add)' "$f" > /dev/null
  [ -z "$(grep -E 'NaN|Infinity' "$f")" ]
  bq-ensure --quiet > /dev/null
  bq-load < "$f"
  run --separate-stderr mmm-validate -q --iterations 400 --trials 2 "$BATS_TEST_TMPDIR/in.ndjson"
  echo "$stderr"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | wc -l)" -eq "$nch" ]
  echo "$output" | bq-load
}

@test "PyMC-Marketing's example (179 weeks, 2 channels, 2 events)" {
  fit_peer pymc pymc_marketing_mmm_example.csv 2
}

@test "Robyn's simulated weekly data (208 weeks, 5 channels, 4 controls)" {
  fit_peer robyn robyn_dt_simulated_weekly.csv 5
}

@test "Meridian's national media set (156 weeks, 4 channels)" {
  fit_peer meridian meridian_national_media.csv 4
}

@test "Meridian's national set with all channels (156 weeks, 5 channels, organic and promo)" {
  fit_peer meridian meridian_national_all_channels.csv 5
}

@test "Meridian's national reach-and-frequency set (156 weeks, 4 channels by spend)" {
  fit_peer meridian meridian_national_media_rf.csv 4
}
