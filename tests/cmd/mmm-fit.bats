#!/usr/bin/env bats
# mmm-fit: input checks, outputs, determinism, the diagnosis when the
# sampler's diagnostics fail, priors, budgets, and loading with bq-load.
# The statistical checks are elsewhere: the sampler in tests/unit/test_mmm-fit.c,
# the gradient and allocator in tests/unit/test_mmm-fit_model.c, recovery of
# the simulator's truth and the peers' data sets in tests/mmm/.

load ../helpers

# Quick settings for behaviour tests: weekly grain, 2 chains, short runs.
FAST=(--grain week --chains 2 --warmup 300 --draws 300 -q)

setup_file() {
  export PATH="${AELP_BIN:-$REPO/bin}:$PATH"
  mmm_sim_input 5 364 > "$BATS_FILE_TMPDIR/in.ndjson"
  mmm-fit "${FAST[@]}" --seed 3 "$BATS_FILE_TMPDIR/in.ndjson" > "$BATS_FILE_TMPDIR/fit.ndjson" \
    2> "$BATS_FILE_TMPDIR/fit.err"
}

IN() { echo "$BATS_FILE_TMPDIR/in.ndjson"; }
row() { jq -c --arg t "$1" 'select(._table == $t)'; } # TABLE: that table's rows of stdin
FIT() { echo "$BATS_FILE_TMPDIR/fit.ndjson"; }

@test "--help teaches the input, the model, the priors and the exit codes" {
  run mmm-fit --help
  [ "$status" -eq 0 ]
  [[ "$output" == *'{"date":"2025-01-06","channel":"meta","spend":123.4}'* ]]
  [[ "$output" == *"alpha ~ Beta(2,2)"* ]]
  [[ "$output" == *"rho ~ HalfNormal(0.5 x the channel's share of spend)"* ]]
  [[ "$output" == *"--priors FILE"* ]]
  [[ "$output" == *"1   the sampler's diagnostics failed"* ]]
  run mmm-fit --chains 0
  [ "$status" -eq 2 ]
  run mmm-fit --grain month
  [ "$status" -eq 2 ]
  [[ "$output" == *"--grain is day or week"* ]]
}

@test "a fit writes one run, an allocation per channel and curves, all loadable" {
  [ "$(jq -c 'select(._table == "mmm_runs") | .status' "$(FIT)")" = '"ok"' ]
  [ "$(jq -c 'select(._table == "mmm_allocations")' "$(FIT)" | wc -l)" -eq 6 ]
  [ "$(jq -c 'select(._table == "mmm_curves")' "$(FIT)" | wc -l)" -eq $((6 * 21)) ]
  # The run row: the columns other tools rely on, and a summary of every parameter.
  run jq -e -n '[inputs | select(._table == "mmm_runs")][0] | .run_id == "mmm-2024-12-29-s3" and .grain == "week"
    and .max_rhat <= 1.05 and .min_ess_bulk > 0 and .divergences >= 0 and .sampling_seconds > 0
    and (.posterior_summary | length) == (6 * 4 + 2 + 1)
    and (.posterior_summary["rho[meta]"] | .p05 <= .mean and .mean <= .p95 and .sd > 0)
    and (.diagnostics.failing_parameters == []) and .chains == 2 and .draws == 300' "$(FIT)"
  [ "$status" -eq 0 ]
  # Every number is finite: jq reads no NaN, and only documented columns are null.
  run jq -e -n '[inputs | select(._table != "mmm_runs") | [paths(. == null)] | map(.[0]) - ["at_bound"] | length] | add == 0' "$(FIT)"
  [ "$status" -eq 0 ]
  [ -z "$(grep -E 'NaN|Infinity|nan|inf[^o]' "$(FIT)")" ]
  # Loads into the warehouse as it is.
  bq-ensure --quiet > /dev/null
  run bq-load < "$(FIT)"
  [ "$status" -eq 0 ]
  [ "$(bq-extract --query 'SELECT COUNT(*) AS n FROM mmm_curves')" = '{"n":126}' ]
}

@test "the allocation sums to the budget and keeps each channel within its own bounds" {
  run jq -s -e '[.[] | select(._table == "mmm_allocations")] as $a
    | ($a | map(.current_daily_spend) | add) as $b
    | ($a | map(.proposed_daily_spend) | add) as $p
    | (($p - $b) | fabs) <= 1e-9 * $b
      and all($a[]; .lower_bound <= .proposed_daily_spend + 1e-9 and .proposed_daily_spend <= .upper_bound + 1e-9)
      and all($a[]; (.lower_bound - 0.7 * .current_daily_spend | fabs) < 1e-9 * .current_daily_spend)
      and all($a[]; (.upper_bound - 1.3 * .current_daily_spend | fabs) < 1e-9 * .current_daily_spend)
      and all($a[]; .roi_p05 <= .roi_mean and .roi_mean <= .roi_p95)
      and all($a[]; (.uncertainty_pct - (.roi_p95 - .roi_p05) / (2 * .roi_mean) | fabs) < 1e-12)
      and all($a[]; .cac_p05 <= .cac_mean and .cac_mean <= .cac_p95)
      # CAC = spend / contribution = 1 / ROI draw by draw, so its 5% quantile is 1 over the ROI 95% quantile
      # but for the interpolation between neighbouring draws (well under 1% at 600 draws)
      and all($a[]; (.cac_p05 * .roi_p95 - 1 | fabs) < 0.01)' "$(FIT)"
  [ "$status" -eq 0 ]
  # A budget 10% above the current total, and one the bounds cannot meet (refused before sampling).
  total=$(jq -s '[.[] | select(._table == "mmm_allocations") | .current_daily_spend] | add' "$(FIT)")
  up=$(jq -n "$total * 1.1")
  run --separate-stderr mmm-fit "${FAST[@]}" --seed 3 --budget "$up" "$(IN)"
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e --argjson b "$up" '[.[] | select(._table == "mmm_allocations") | .proposed_daily_spend] | add | (. - $b) | fabs <= 1e-9 * $b'
  run --separate-stderr mmm-fit "${FAST[@]}" --budget "$(jq -n "$total * 2")" "$(IN)"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"cannot be met within 30% of the current daily spend"* ]]
  [ -z "$output" ]
}

@test "curves run from zero to twice the current spend, rising, with marginal ROI" {
  run jq -s -e '[.[] | select(._table == "mmm_curves" and .channel == "meta")] | sort_by(.point)
    | .[0].daily_spend == 0 and .[0].response_mean == 0 and (.[20].spend_multiple - 2 | fabs) < 1e-12
      and ([.[].response_mean] | . == sort) and all(.[]; .marginal_roi_mean >= 0)
      and all(.[]; .response_p05 <= .response_mean and .response_mean <= .response_p95)' "$(FIT)"
  [ "$status" -eq 0 ]
}

@test "same seed, same rows; any number of threads; another seed differs" {
  strip() { jq -c 'del(.created_at, .sampling_seconds)' "$@"; }
  run mmm-fit "${FAST[@]}" --seed 3 --threads 1 "$(IN)"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | strip)" = "$(strip "$(FIT)")" ]
  run mmm-fit "${FAST[@]}" --seed 4 "$(IN)"
  [ "$(echo "$output" | strip)" != "$(strip "$(FIT)")" ]
}

@test "failing diagnostics: the diagnosis on stderr and in mmm_runs, no curves, exit 1" {
  run --separate-stderr mmm-fit "${FAST[@]}" --seed 3 --max-rhat 1.0 "$(IN)"
  [ "$status" -eq 1 ]
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  echo "$output" | jq -e '._table == "mmm_runs" and .status == "failed_diagnostics"
    and (.diagnostics.failing_parameters | length) > 0 and (.diagnostics.advice | length) > 0
    and .diagnostics.status == "failed"'
  [[ "$stderr" == *"diagnostics failed: max R-hat"* ]]
  [[ "$stderr" == *": R-hat above the limit"* ]]
  [[ "$stderr" == *"try: chains disagree"* ]]
  [[ "$stderr" == *"no curves or allocations are published"* ]]
  # The same with too many divergences allowed: none.
  run --separate-stderr mmm-fit "${FAST[@]}" --seed 3 --max-divergences 0 --max-depth 1 --warmup 20 "$(IN)"
  [ "$status" -eq 1 ]
  # The run row still loads (a flow records the failure, then stops).
  bq-ensure --quiet > /dev/null
  echo "$output" | bq-load
  [ "$(bq-extract --query "SELECT status FROM mmm_runs")" = '{"status":"failed_diagnostics"}' ]
}

@test "bad input: the file, the line and the reason, exit 65, nothing written" {
  f="$BATS_TEST_TMPDIR/bad.ndjson"
  check() { # EXPECTED-STDERR
    run --separate-stderr mmm-fit "${FAST[@]}" "$f"
    [ "$status" -eq 65 ] || { echo "status $status: $stderr"; false; }
    [ -z "$output" ]
    [[ "$stderr" == *"$1"* ]] || { echo "$stderr"; false; }
  }
  head -50 "$(IN)" > "$f"; echo '{"date":"2024-01-03","channel":"meta","spend":-1}' >> "$f"
  check "bad.ndjson:51: spend and impressions must be finite and not negative"
  head -50 "$(IN)" > "$f"; echo '{"date":"2024-01-03","channel":"meta","spend":"12"}' >> "$f"
  check "bad.ndjson:51: kpi, spend, impressions and value must be numbers"
  head -50 "$(IN)" > "$f"; echo '{"date":"2024-01-03","channel":"meta","spnd":1}' >> "$f"
  check 'bad.ndjson:51: unknown key "spnd"'
  head -50 "$(IN)" > "$f"; echo '{"date":"2024-02-30","kpi":1}' >> "$f"
  check 'bad.ndjson:51: "date" must be a valid YYYY-MM-DD date'
  head -50 "$(IN)" > "$f"; echo '{"date":"2024-01-03","kpi":1' >> "$f"
  check "bad.ndjson:51: not valid JSON"
  head -50 "$(IN)" > "$f"; echo '{"date":"2024-01-03","kpi":1,"channel":"x","spend":1}' >> "$f"
  check "bad.ndjson:51: a row is one of"
  grep -v '"date":"2024-03-05","kpi"' "$(IN)" > "$f"
  check "no KPI for the day of 2024-03-05 (the one before is on 2024-03-04)"
  # the line named is the KPI after the gap
  line=$(grep -n '"date":"2024-03-06","kpi"' "$f" | cut -d: -f1)
  check "bad.ndjson:$line: no KPI for the day of 2024-03-05"
  cat "$(IN)" > "$f"; echo '{"date":"2024-03-05","kpi":1}' >> "$f"
  check "a second KPI for 2024-03-05"
  cat "$(IN)" > "$f"; echo '{"date":"2023-12-31","channel":"meta","spend":1}' >> "$f"
  check "2023-12-31 is not one of the KPI's days"
  jq -c 'select(.kpi)' "$(IN)" > "$f"
  check "no channel rows"
  printf '{"date":"2024-01-01","kpi":1}\n{"date":"2024-01-04","kpi":1}\n{"date":"2024-01-07","kpi":1}\n{"date":"2024-01-01","channel":"a","spend":1}\n' > "$f"
  check "bad.ndjson:2: this KPI is 3 days after the one on 2024-01-01"
  printf '{"date":"2024-01-01","kpi":1}\n{"date":"2024-01-08","kpi":1}\n{"date":"2024-01-16","kpi":1}\n{"date":"2024-01-01","channel":"a","spend":1}\n' > "$f"
  check "bad.ndjson:3: this KPI's date is not a week after the one on 2024-01-08"
  jq -c 'if .kpi and .date == "2024-05-01" then .kpi = 1e308 elif .kpi and .date == "2024-05-02" then .kpi = 1e308 else . end' "$(IN)" > "$f"
  check "bad.ndjson: the KPI's values are too large"
  { cat "$(IN)"; echo '{"date":"2024-01-02","control":"promo","value":1}'; echo '{"date":"2024-01-02","control":"promo","value":0}'; } > "$f"
  n=$(wc -l < "$f")
  check "bad.ndjson:$n: a second value of control \"promo\" for 2024-01-02 (the first is on line $((n - 1)))"
  jq -c 'if .kpi then .kpi = 0 else . end' "$(IN)" > "$f"
  check "the model needs a positive KPI"
  jq -c 'select(.date < "2024-02-01")' "$(IN)" > "$f"
  check "bad.ndjson: 4 periods for 27 parameters"
  run mmm-fit "${FAST[@]}" "$BATS_TEST_TMPDIR/none.ndjson"
  [ "$status" -eq 2 ]
}

@test "a channel that spent nothing is left out, named, and gets zeros, not NaN" {
  f="$BATS_TEST_TMPDIR/dead.ndjson"
  jq -c 'if .channel == "linkedin" then .spend = 0 else . end' "$(IN)" > "$f"
  run --separate-stderr mmm-fit "${FAST[@]}" --seed 3 "$f"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"channel linkedin spent nothing in the window; it is left out"* ]]
  echo "$output" | row mmm_runs | jq -e '.diagnostics.dropped_channels == ["linkedin"]
    and (.posterior_summary | has("rho[linkedin]") | not)'
  echo "$output" | row mmm_allocations | jq -c 'select(.channel == "linkedin")' |
    jq -e '.proposed_daily_spend == 0 and .contribution_mean == 0 and .roi_mean == null'
  [ "$(echo "$output" | jq -c 'select(._table == "mmm_curves" and .channel == "linkedin")' | wc -l)" -eq 0 ]
  [ -z "$(echo "$output" | grep -E 'NaN|Infinity')" ]
}

@test "--priors: numbers change, per channel too; a typo is refused" {
  p="$BATS_TEST_TMPDIR/priors.json"
  echo '{"K":{"mu":0.2,"sd":0.5},"sigma":{"sd":0.3},"channels":{"meta":{"rho":{"sd":0.1}}}}' > "$p"
  run --separate-stderr mmm-fit "${FAST[@]}" --priors "$p" "$(IN)"
  [ "$status" -eq 0 ]
  # The defaults: rho's scale is half the channel's share of spend; they sum to 0.5.
  row mmm_runs < "$(FIT)" | jq -e '.options.priors.channels | map(.rho.halfnormal)
    | (add - 0.5 | fabs) < 1e-12 and min > 0.01 and (unique | length) == 6'
  tiktok=$(row mmm_runs < "$(FIT)" | jq '.options.priors.channels.tiktok.rho.halfnormal')
  # A global K and sigma change those numbers only; meta's own rho is its own.
  echo "$output" | row mmm_runs | jq -e --argjson tt "$tiktok" '.options.priors
    | .channels.meta.rho.halfnormal == 0.1 and .channels.tiktok.rho.halfnormal == $tt
      and .channels.tiktok.K.lognormal == [0.2, 0.5] and .channels.tiktok.S.gamma == [2, 1]
      and .sigma.halfnormal == 0.3'
  echo '{"K":{"mean":0}}' > "$p"
  run --separate-stderr mmm-fit "${FAST[@]}" --priors "$p" "$(IN)"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *'priors.json: unknown key "mean" in K'* ]]
  echo '{"channels":{"radio":{"rho":{"sd":1}}}}' > "$p"
  run --separate-stderr mmm-fit "${FAST[@]}" --priors "$p" "$(IN)"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"channels.radio is not a channel the model fits"* ]]
  echo '{"rho":{"sd":-1}}' > "$p"
  run --separate-stderr mmm-fit "${FAST[@]}" --priors "$p" "$(IN)"
  [ "$status" -eq 2 ]
}

@test "uplift covariates: controls named uplift: get a section in the diagnostics" {
  f="$BATS_TEST_TMPDIR/up.ndjson"
  { cat "$(IN)"; jq -c 'select(.kpi) | {date, control: "uplift:email/loyal", value: ((.date[8:10] | tonumber) % 3)}' "$(IN)"; } > "$f"
  AELP2_MMM_USE_UPLIFT=1 run --separate-stderr mmm-fit "${FAST[@]}" "$f"
  [ "$status" -eq 0 ]
  echo "$output" | row mmm_runs | jq -e '.diagnostics.covariates
    | .requested == true and (.uplift | length) == 1 and .uplift[0].control == "uplift:email/loyal"
      and .uplift[0].kpi_per_sd_p05 <= .uplift[0].kpi_per_sd_p95'
  AELP2_MMM_USE_UPLIFT=1 run --separate-stderr mmm-fit "${FAST[@]}" "$(IN)"
  echo "$output" | row mmm_runs | jq -e '.diagnostics.covariates.note | contains("no uplift")'
  run --separate-stderr mmm-fit "${FAST[@]}" "$(IN)"
  echo "$output" | row mmm_runs | jq -e '.diagnostics | has("covariates") | not'
}

@test "--value-per-conversion ltv: the newest ltv_priors row for all, named in options" {
  run --separate-stderr mmm-fit "${FAST[@]}" --value-per-conversion ltv "$(IN)"
  [ "$status" -eq 65 ]                                # no warehouse yet
  [ -z "$output" ]
  bq-ensure --quiet >/dev/null
  run --separate-stderr mmm-fit "${FAST[@]}" --value-per-conversion ltv "$(IN)"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"ltv_priors has no row (run ltv-fit"* ]]
  printf '%s\n' \
    '{"_table":"ltv_priors","run_id":"old","segment":"all","value_mean":10,"value_low":9,"value_high":11,"created_at":"2025-01-01T00:00:00Z"}' \
    '{"_table":"ltv_priors","run_id":"new","segment":"all","value_mean":70.5,"value_low":66,"value_high":75.25,"created_at":"2025-02-01T00:00:00Z"}' \
    '{"_table":"ltv_priors","run_id":"new","segment":"meta","value_mean":40,"value_low":30,"value_high":50,"created_at":"2025-02-01T00:00:00Z"}' |
    bq-load --upsert >/dev/null
  run --separate-stderr mmm-fit "${FAST[@]}" --seed 3 --value-per-conversion ltv "$(IN)"
  [ "$status" -eq 0 ]
  echo "$output" | row mmm_runs | jq -e '.options.value_per_conversion == 70.5
    and .options.value_source == {"table":"ltv_priors","segment":"all","run_id":"new","value_low":66,"value_high":75.25}'
  # the same ROIs as the number given by hand
  mmm-fit "${FAST[@]}" --seed 3 --value-per-conversion 70.5 "$(IN)" 2>/dev/null | row mmm_allocations |
    jq -c 'del(.created_at)' > "$BATS_TEST_TMPDIR/byhand"
  echo "$output" | row mmm_allocations | jq -c 'del(.created_at)' | diff - "$BATS_TEST_TMPDIR/byhand"
  run --separate-stderr mmm-fit "${FAST[@]}" --kpi revenue --value-per-conversion ltv "$(IN)"
  [ "$status" -eq 2 ]
}

@test "--stan-data writes the model's data and parameter names for Stan" {
  s="$BATS_TEST_TMPDIR/stan.json"
  run mmm-fit "${FAST[@]}" --stan-data "$s" "$(IN)"
  [ "$status" -eq 0 ]
  jq -e '.T == 52 and .C == 6 and .L == 13 and (.x | length) == 6 and (.x[0] | length) == 52
    and (.names | length) == 27 and .names[3] == "rho[google_pmax]" and ((.rho_sd | add) - 0.5 | fabs) < 1e-12
    and ((.y | add) / 52 - 1 | fabs) < 1e-12' "$s"
}

@test "daily rows summed into weeks; delayed adstock; a window" {
  run --separate-stderr mmm-fit "${FAST[@]}" --adstock delayed --periods 48 "$(IN)"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  echo "$output" | row mmm_runs | jq -e '.start_date == "2024-01-29" and .end_date == "2024-12-29"
    and .options.adstock == "delayed" and (.posterior_summary | has("theta[meta]"))'
}
