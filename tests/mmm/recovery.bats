#!/usr/bin/env bats
# mmm-fit recovers the simulator's truth: five seeds of two years of daily data
# from sim-generate, whose KPI follows the model's own form (geometric adstock
# over 28 days, Hill saturation, trend, weekly and yearly seasonality, Normal
# noise).  A 90% interval should hold the true ROI about 90% of the time; the
# test asks for 80% of the 30 channel-runs.  With p = 0.9, 24 or more of 30 has
# probability 0.93, and the seeds are fixed, so the outcome is deterministic.
# Every run's diagnostics must pass: max R-hat <= 1.05, divergences <= 1%.

load ../helpers

@test "five seeds: the true ROI lies in the 90% interval for at least 80% of channels; R-hat <= 1.05" {
  inside=0 total=0
  for seed in 11 12 13 14 15; do
    mmm_sim_input "$seed" 730 "$BATS_TEST_TMPDIR/truth$seed.json" > "$BATS_TEST_TMPDIR/in$seed.ndjson"
    run --separate-stderr mmm-fit -q --seed "$seed" --chains 2 --warmup 300 --draws 300 "$BATS_TEST_TMPDIR/in$seed.ndjson"
    [ "$status" -eq 0 ] || { echo "seed $seed: exit $status: $stderr"; false; }
    echo "$output" > "$BATS_TEST_TMPDIR/fit$seed.ndjson"
    jq -c 'select(._table == "mmm_runs") | {max_rhat, divergences, min_ess_bulk}' "$BATS_TEST_TMPDIR/fit$seed.ndjson"
    jq -c 'select(._table == "mmm_runs")' "$BATS_TEST_TMPDIR/fit$seed.ndjson" |
      jq -e '.status == "ok" and .max_rhat <= 1.05' > /dev/null
    # per channel: the truth, and whether the interval holds it
    jq -n -c --slurpfile t "$BATS_TEST_TMPDIR/truth$seed.json" '
      [inputs | select(._table == "mmm_allocations")][]
      | .channel as $c | ($t[0].channels[$c].roi_conversions_per_usd) as $r
      | {seed: '"$seed"', channel: $c, truth: $r, p05: .roi_p05, mean: .roi_mean, p95: .roi_p95,
         inside: ($r >= .roi_p05 and $r <= .roi_p95)}' "$BATS_TEST_TMPDIR/fit$seed.ndjson" \
      > "$BATS_TEST_TMPDIR/cover$seed.ndjson"
    cat "$BATS_TEST_TMPDIR/cover$seed.ndjson"
    [ "$(wc -l < "$BATS_TEST_TMPDIR/cover$seed.ndjson")" -eq 6 ]
    inside=$((inside + $(jq -s 'map(select(.inside)) | length' "$BATS_TEST_TMPDIR/cover$seed.ndjson")))
    total=$((total + 6))
  done
  echo "inside: $inside of $total"
  [ $((inside * 10)) -ge $((total * 8)) ]
}
