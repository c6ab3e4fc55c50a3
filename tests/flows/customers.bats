#!/usr/bin/env bats
# The customer models in the weekly flow: ltv_fit on the simulated
# advertiser's purchases and uplift_score on an experiment's exposures, then
# the media-mix model reading both (value per conversion from the LTV prior,
# uplift segments as covariates) and budget-propose capping CAC by LTV.

load ../helpers

export AELP2_SIM_ARGS="--users 15 --campaigns-per-channel 2 --ads-per-campaign 2"
export AELP2_SIM_SEED=11
DAY=2026-03-31

counts() {
  local q="" t
  for t in $(all_tables); do q="${q:+$q UNION ALL }SELECT '$t' AS t, COUNT(*) AS n FROM $t"; done
  bq-extract --query "$q" | jq -r '"\(.t) \(.n)"'
}

# Experiment exp-1 (control and price), 4,000 units exposed in the week before
# DAY, with exact conversion rates per cell (no randomness, so the uplift is
# known exactly): desktop 10% -> 16%, mobile 8% -> 8%.  Value 50 a conversion.
# One more unit saw both arms and must be left out.
experiment() {
  {
    echo '{"_table":"ab_experiments","experiment_id":"exp-1","control_arm":"control","arms":[{"arm_id":"control"},{"arm_id":"price"}],"status":"running","created_at":"2026-03-20T00:00:00Z"}'
    awk 'BEGIN {
      for (i = 0; i < 4000; i++) {
        arm = i % 2 ? "price" : "control"; dev = int(i / 2) % 2 ? "mobile" : "desktop"; k = int(i / 4) % 100
        rate = dev == "desktop" ? (arm == "price" ? 16 : 10) : 8
        conv = k < rate
        printf "{\"_table\":\"ab_exposures\",\"exposure_id\":\"x%d\",\"experiment_id\":\"exp-1\",\"arm\":\"%s\",\"unit_id\":\"u%05d\",\"exposed_at\":\"2026-03-%02dT12:00:00Z\",\"converted\":%s,\"conversion_value\":%s,\"context\":{\"device\":\"%s\"}}\n", i, arm, i, 24 + i % 7, conv ? "true" : "false", conv ? 50 : "null", dev
      }
      print "{\"_table\":\"ab_exposures\",\"exposure_id\":\"y1\",\"experiment_id\":\"exp-1\",\"arm\":\"control\",\"unit_id\":\"both\",\"exposed_at\":\"2026-03-25T00:00:00Z\",\"converted\":true,\"conversion_value\":50,\"context\":{\"device\":\"desktop\"}}"
      print "{\"_table\":\"ab_exposures\",\"exposure_id\":\"y2\",\"experiment_id\":\"exp-1\",\"arm\":\"price\",\"unit_id\":\"both\",\"exposed_at\":\"2026-03-26T00:00:00Z\",\"converted\":true,\"conversion_value\":50,\"context\":{\"device\":\"desktop\"}}"
    }'
  } | bq-load --upsert >/dev/null
}

@test "weekly: ltv_fit and uplift_score feed the media-mix model; budget-propose caps CAC by LTV" {
  export AELP2_MMM_ARGS="--grain week --chains 2 --warmup 300 --draws 300 -q"
  export AELP2_MMM_VALIDATE_ARGS="--iterations 300 --trials 2 -q" AELP2_MMM_DAYS=364
  export AELP2_MMM_USE_UPLIFT=1 AELP2_MMM_VALUE=ltv
  AELP2_BACKFILL_DAYS=364 "$REPO/pipelines/nightly.sh" "$DAY" 2>/dev/null
  experiment
  run --separate-stderr "$REPO/pipelines/weekly.sh" "$DAY"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(bq-extract --query "SELECT step, status FROM ops_flow_runs WHERE run_id = 'weekly-$DAY' ORDER BY started_at" |
       jq -r '"\(.step):\(.status)"' | tr '\n' ' ')" = \
    "gx_gate:ok channel_attribute:ok ltv_fit:ok uplift_score:ok mmm_fit:ok mmm_validate:ok " ]
  # LTV: both models for all, a prior for all and for each acquisition channel
  bq-extract --query "SELECT model, segment, n_customers, n_repeat FROM ltv_models WHERE segment = 'all' ORDER BY model" |
    jq -s -e 'length == 2 and .[0].model == "bgnbd" and .[1].model == "gamma_gamma" and .[0].n_repeat > 0'
  bq-extract --query "SELECT segment, value_mean, value_low, value_high, run_id FROM ltv_priors ORDER BY segment" |
    jq -s -e --arg r "ltv-weekly-$DAY" 'length >= 2 and any(.[]; .segment == "all")
      and all(.[]; .run_id == $r and .value_low < .value_mean and .value_mean < .value_high)'
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM ltv_customers")" = \
    "$(bq-extract --query "SELECT COUNT(DISTINCT customer_id) AS n FROM customer_transactions WHERE substr(occurred_at, 1, 10) <= '$DAY'")" ]
  # uplift: the exact differences in means, the unit that saw both arms left out
  bq-extract --query "SELECT segment, n_treated, n_control, uplift FROM segment_scores_daily
                      WHERE arm = 'exp-1/price' AND outcome = 'conversion' ORDER BY segment" |
    jq -s -e '. == [{"segment":"all","n_treated":2000,"n_control":2000,"uplift":0.03},
                    {"segment":"desktop","n_treated":1000,"n_control":1000,"uplift":0.06},
                    {"segment":"mobile","n_treated":1000,"n_control":1000,"uplift":0}]
              or ([.[].uplift] | (.[0] - 0.03 | fabs) < 1e-12 and (.[1] - 0.06 | fabs) < 1e-12 and (.[2] | fabs) < 1e-12)'
  bq-extract --query "SELECT uplift_low, uplift_high FROM segment_scores_daily
                      WHERE arm = 'exp-1/price' AND outcome = 'conversion' AND segment = 'desktop'" |
    jq -e '.uplift_low < 0.06 and 0.06 < .uplift_high and .uplift_low > 0'
  # the media-mix model read both
  bq-extract --query "SELECT options, diagnostics FROM mmm_runs" |
    jq -e --arg r "ltv-weekly-$DAY" '.options.value_source.run_id == $r and .options.value_per_conversion > 0
      and (.diagnostics.covariates.uplift | map(.control) | index("uplift:exp-1/price/desktop")) != null'
  # a re-run changes no count
  before=$(counts)
  run --separate-stderr "$REPO/pipelines/weekly.sh" "$DAY"
  [ "$status" -eq 0 ]
  [ "$(counts)" = "$before" ]
  # the next night, budgets are capped by the LTV prior
  AELP2_LTV_CAC_RATIO=3 "$REPO/pipelines/nightly.sh" 2026-04-01 2>/dev/null
  bq-extract --query "SELECT notes FROM canary_changes WHERE run_id = 'nightly-2026-04-01'" |
    jq -s -e --arg r "ltv-weekly-$DAY" 'length > 0 and all(.[]; .notes.ltv_prior.run_id == $r and .notes.ltv_prior.ratio == 3)'
}

@test "weekly: no purchases and no experiments: both steps say so and write nothing" {
  export AELP2_SIM_ARGS="$AELP2_SIM_ARGS --tables ads_campaign_performance,ads_ad_performance,ga4_aggregates,gaelp_users.journey_sessions,gaelp_users.persistent_touchpoints,canary_budgets_snapshot"
  AELP2_BACKFILL_DAYS=14 "$REPO/pipelines/nightly.sh" "$DAY" 2>/dev/null
  run --separate-stderr "$REPO/pipelines/weekly.sh" "$DAY"
  [ "$status" -eq 65 ]                              # two weeks are too few for the media-mix model
  [[ "$stderr" == *"ltv_fit: customer_transactions has no purchase up to $DAY: nothing to fit"* ]]
  [[ "$stderr" == *"uplift_score: no experiment with a control arm has exposures up to $DAY: nothing to score"* ]]
  [ "$(bq-extract --query "SELECT step, status FROM ops_flow_runs WHERE run_id = 'weekly-$DAY' ORDER BY started_at" |
       jq -r '"\(.step):\(.status)"' | tr '\n' ' ')" = "gx_gate:ok channel_attribute:ok ltv_fit:ok uplift_score:ok mmm_fit:failed " ]
  for t in ltv_models ltv_customers ltv_priors segment_scores_daily uplift_models; do
    [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM $t")" = '{"n":0}' ] || { echo "rows in $t"; false; }
  done
}
