#!/usr/bin/env bats
# bandit-decide: Beta posteriors, p_best and traffic shares per arm under the
# exploration budget and the CAC cap, from the warehouse or from rows;
# contextual LinTS/LinUCB; serving mode; regret on the simulator.

load ../helpers

eval "helpers_$(declare -f setup)"
setup() {
  helpers_setup
  unset AELP2_CAC_CAP AELP2_RUN_ID AELP2_STEP_REPORT
}

# arms "CAMPAIGN:ARM:TRIALS:SUCCESSES[:SPEND[:CONVERSIONS]]"... as stdin rows
arms() {
  printf '%s\n' "$@" | awk -F: '{
    printf "{\"campaign_id\":\"%s\",\"arm_id\":\"%s\",\"trials\":%s,\"successes\":%s", $1, $2, $3, $4
    if ($5 != "") printf ",\"spend\":%s", $5
    if ($6 != "") printf ",\"conversions\":%s", $6
    printf "}\n" }'
}

decide() { # ROWS_FILE ARGS...
  local f="$1"; shift
  run --separate-stderr bandit-decide --stdin --run-id r1 "$@" "$f"
}

# 40 days of a simulated advertiser (1 campaign per channel, 4 ads each) in the warehouse.
sim_warehouse() {
  bq-ensure --quiet >/dev/null
  sim-generate --start 2025-01-01 --days 40 --seed 7 --users 0 --tables ads_ad_performance \
    --campaigns-per-channel 1 --ads-per-campaign 4 --truth "$BATS_TEST_TMPDIR/truth.json" | bq-load >/dev/null
}

@test "stdin arms: exact posteriors, shares sum to 1 under the exploration budget, leader and flags" {
  arms c1:a:1200:31:412.5 c1:b:800:30:300 c1:c:400:9:100 c1:d:50:0:20 c2:x:10:1 > "$BATS_TEST_TMPDIR/a.ndjson"
  decide "$BATS_TEST_TMPDIR/a.ndjson" --prior 2,3
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "${#lines[@]}" -eq 5 ]
  echo "$output" | jq -s -e '
    map(._table == "bandit_decisions" and .run_id == "r1" and .policy == "thompson" and .seed == 123456
        and .metric == "cvr" and .exploration_budget == 0.1 and .slate_size == 1 and .window_end == null
        and .lookback_days == null) | all' >/dev/null
  echo "$output" | jq -s -e '
    (map({(.campaign_id + "/" + .arm_id): .}) | add) as $m
    | $m["c1/a"].alpha == 33 and $m["c1/a"].beta == 1172 and $m["c1/a"].posterior_mean == 33 / 1205
    and $m["c1/d"].alpha == 2 and $m["c1/d"].beta == 53 and $m["c1/d"].trials == 50 and $m["c1/d"].successes == 0
    and $m["c1/a"].spend == 412.5 and $m["c1/a"].conversions == 31
    and all(.[]; .ci_low < .posterior_mean and .posterior_mean < .ci_high and .p_in_slate == .p_best)'
  # per campaign: shares sum to 1, one leader (the highest posterior mean), the others within the budget
  echo "$output" | jq -s -e 'group_by(.campaign_id) | all(
      ((map(.share) | add) - 1 | fabs) < 1e-9
      and (map(select(.leader)) | length) == 1
      and (max_by(.posterior_mean) | .leader)
      and (map(select(.leader | not) | .share) | add // 0) <= 0.1 + 1e-12
      and all(.[]; .exploration == ((.leader | not) and .share > 0))
      and ((map(.p_best) | add) - 1 | fabs) < 1e-9)'
  echo "$output" | jq -s -e 'map(select(.arm_id == "b"))[0] | .leader and .share >= 0.9'
  # campaigns in byte order, arms in byte order
  [ "$(echo "$output" | jq -r '.campaign_id + "/" + .arm_id' | tr '\n' ' ')" = "c1/a c1/b c1/c c1/d c2/x " ]
  [[ "$stderr" == *"2 campaigns, 5 arms from rows"* ]]
}

@test "the same seed gives the same rows; another seed other p_best; a campaign's numbers do not depend on the others" {
  arms c1:a:120:5 c1:b:100:6 c1:c:90:3 > "$BATS_TEST_TMPDIR/a.ndjson"
  decide "$BATS_TEST_TMPDIR/a.ndjson" --seed 7
  first="$(echo "$output" | jq -c 'del(.decided_at)')"
  decide "$BATS_TEST_TMPDIR/a.ndjson" --seed 7
  [ "$(echo "$output" | jq -c 'del(.decided_at)')" = "$first" ]
  # one timestamp for the run
  [ "$(echo "$output" | jq -r .decided_at | sort -u | wc -l)" -eq 1 ]
  decide "$BATS_TEST_TMPDIR/a.ndjson" --seed 8
  [ "$(echo "$output" | jq -c 'del(.decided_at)')" != "$first" ]
  [ "$(echo "$output" | jq -c '[.arm_id, .p_best]')" != "$(echo "$first" | jq -c '[.arm_id, .p_best]')" ]
  echo "$output" | jq -s -e 'all(.seed == 8)'
  # another campaign alongside, in another order: c1's rows unchanged
  { arms c0:z:10:1 c9:y:5:0; tac "$BATS_TEST_TMPDIR/a.ndjson"; } > "$BATS_TEST_TMPDIR/b.ndjson"
  decide "$BATS_TEST_TMPDIR/b.ndjson" --seed 7
  [ "$(echo "$output" | jq -c 'select(.campaign_id == "c1") | del(.decided_at)')" = "$first" ]
}

@test "CAC cap: an arm whose CAC band's low end is above the cap gets share 0 and cac_capped" {
  # a: 30 conversions for 300 (CAC 10); b: 2 for 400 (CAC 200, low end far above 50)
  arms c1:a:1000:30:300 c1:b:1000:2:400 c1:c:500:20:250 > "$BATS_TEST_TMPDIR/a.ndjson"
  decide "$BATS_TEST_TMPDIR/a.ndjson"
  echo "$output" | jq -s -e 'all((.cac_capped | not) and .cac_cap == null)'
  AELP2_CAC_CAP=50 decide "$BATS_TEST_TMPDIR/a.ndjson"
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'all(.cac_cap == 50)'
  echo "$output" | jq -s -e '(map({(.arm_id): .}) | add) as $m
    | $m.b.cac_capped and $m.b.share == 0 and $m.b.p_best == 0 and ($m.b.leader | not) and ($m.b.exploration | not)
    and $m.b.cac_low > 50 and $m.b.cac_high > $m.b.cac_low
    and ($m.a.cac_capped | not) and $m.a.cac_low < 50 and ((($m.a.share + $m.c.share) - 1) | fabs) < 1e-9'
  [[ "$stderr" == *"1 CAC-capped"*"CAC cap 50.00"* ]]
  # --cac-cap wins over the environment; a cap above every band caps nothing
  AELP2_CAC_CAP=50 decide "$BATS_TEST_TMPDIR/a.ndjson" --cac-cap 100000
  echo "$output" | jq -s -e 'all(.cac_capped | not)'
  decide "$BATS_TEST_TMPDIR/a.ndjson" --cac-cap 50
  echo "$output" | jq -s -e 'map(select(.cac_capped)) | map(.arm_id) == ["b"]'
  # every arm capped: every share 0, no leader
  decide "$BATS_TEST_TMPDIR/a.ndjson" --cac-cap 0.5
  echo "$output" | jq -s -e 'all(.cac_capped and .share == 0 and (.leader | not))'
  # empty is unset
  AELP2_CAC_CAP= decide "$BATS_TEST_TMPDIR/a.ndjson"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"no CAC cap"* ]]
}

@test "--ltv-cac-ratio: each campaign's cap is its channel's LTV low end / R, the all row otherwise" {
  # c1 on meta, c2 on tiktok: arm b's CAC is about 200 (2 conversions for 400)
  arms c1:a:1000:30:300 c1:b:1000:2:400 c2:a:1000:30:300 c2:b:1000:2:400 |
    jq -c 'if .campaign_id == "c1" then .channel = "meta" else .channel = "tiktok" end' > "$BATS_TEST_TMPDIR/a.ndjson"
  decide "$BATS_TEST_TMPDIR/a.ndjson" --ltv-cac-ratio 3
  [ "$status" -eq 65 ]                              # no warehouse, no prior
  [ -z "$output" ]
  bq-ensure --quiet >/dev/null
  printf '%s\n' \
    '{"_table":"ltv_priors","run_id":"l1","segment":"all","value_mean":200,"value_low":150,"value_high":260,"created_at":"2025-02-01T00:00:00Z"}' \
    '{"_table":"ltv_priors","run_id":"l1","segment":"meta","value_mean":3000,"value_low":2400,"value_high":3600,"created_at":"2025-02-01T00:00:00Z"}' |
    bq-load --upsert >/dev/null
  # meta: 2400 / 3 = 800, nothing capped; tiktok (no row): all's 150 / 3 = 50, b capped
  decide "$BATS_TEST_TMPDIR/a.ndjson" --ltv-cac-ratio 3
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map({(.campaign_id + "/" + .arm_id): [.cac_cap, .cac_capped]}) | add ==
    {"c1/a": [800, false], "c1/b": [800, false], "c2/a": [50, false], "c2/b": [50, true]}'
  # the lower cap wins: AELP2_CAC_CAP below meta's LTV cap
  AELP2_CAC_CAP=40 AELP2_LTV_CAC_RATIO=3 decide "$BATS_TEST_TMPDIR/a.ndjson"
  echo "$output" | jq -s -e 'all(.cac_cap == 40) and (map(select(.cac_capped)) | length) == 2'
  decide "$BATS_TEST_TMPDIR/a.ndjson" --ltv-cac-ratio -1
  [ "$status" -eq 2 ]
}

@test "a CAC cap that is not a positive number is a usage error, nothing written" {
  arms c1:a:1000:30:300 > "$BATS_TEST_TMPDIR/a.ndjson"
  for bad in abc 0 -5 nan inf 12x; do
    AELP2_CAC_CAP="$bad" decide "$BATS_TEST_TMPDIR/a.ndjson"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"AELP2_CAC_CAP='$bad' is not a positive number"* ]]
    decide "$BATS_TEST_TMPDIR/a.ndjson" --cac-cap "$bad"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"--cac-cap='$bad' is not a positive number"* ]]
  done
}

@test "MABWiser parity: UCB1 (alpha 1) picks arm 1 on the issue's case; epsilon-greedy with eps 0 the best mean" {
  # decisions [1,1,1,2,2,3,3,3,3,3], rewards [0,0,1,0,0,0,0,1,1,1]
  arms c:1:3:1 c:2:2:0 c:3:5:3 > "$BATS_TEST_TMPDIR/a.ndjson"
  decide "$BATS_TEST_TMPDIR/a.ndjson" --policy ucb1 --exploration 1
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map({(.arm_id): .share}) | add == {"1": 1.0, "2": 0.0, "3": 0.0}'
  echo "$output" | jq -s -e 'all(.policy == "ucb1")'
  # UCB1 scores by hand: 1/3 + sqrt(2 ln 10 / 3) = 1.572 > 3/5 + sqrt(2 ln 10 / 5) = 1.560 > sqrt(ln 10) = 1.517
  awk 'BEGIN { a = 1/3 + sqrt(2*log(10)/3); b = sqrt(2*log(10)/2); c = 3/5 + sqrt(2*log(10)/5); exit !(a > c && c > b) }'
  # the budget still binds ucb1: arm 3 leads by posterior mean, arm 1 is held to 0.1
  decide "$BATS_TEST_TMPDIR/a.ndjson" --policy ucb1
  echo "$output" | jq -s -e 'map({(.arm_id): .}) | add | .["3"].leader and .["3"].share == 0.9 and .["1"].share == 0.1 and .["1"].exploration'
  decide "$BATS_TEST_TMPDIR/a.ndjson" --policy epsilon_greedy --epsilon 0 --exploration 1
  echo "$output" | jq -s -e 'map({(.arm_id): .share}) | add == {"1": 0.0, "2": 0.0, "3": 1.0}'
  # eps 0.3 over 3 arms: 0.7 + 0.1 to the best mean, 0.1 to the others
  decide "$BATS_TEST_TMPDIR/a.ndjson" --policy epsilon_greedy --epsilon 0.3 --exploration 1
  echo "$output" | jq -s -e 'map({(.arm_id): .share}) | add | (.["3"] - 0.8 | fabs) < 1e-12 and (.["1"] - 0.1 | fabs) < 1e-12 and (.["2"] - 0.1 | fabs) < 1e-12'
}

@test "warehouse: --lookback 30 --campaign-id CID | bq-load writes one bandit_decisions row per available ad" {
  sim_warehouse
  cid=10100001
  run --separate-stderr bandit-decide --lookback 30 --campaign-id "$cid"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  echo "$output" > "$BATS_TEST_TMPDIR/d.ndjson"
  # the window ends at the latest day (2025-02-09): 2025-01-11..2025-02-09
  [[ "$stderr" == *"over 2025-01-11..2025-02-09"* ]]
  echo "$output" | jq -s -e 'all(.run_id == "bandit-decide-2025-02-09" and .window_end == "2025-02-09"
    and .lookback_days == 30 and .campaign_id == "10100001" and .platform == "google_ads"
    and .channel == "google_search" and .customer_id != null and .ad_group_id != null)'
  # trials = clicks, successes = conversions, spend = cost_micros / 1e6, summed in the window;
  # ads whose latest status is PAUSED have no row
  sqlite3 "$WH" "SELECT ad_id, SUM(clicks), SUM(conversions), SUM(cost_micros) FROM ads_ad_performance
    WHERE campaign_id = '$cid' AND date > '2025-01-10' AND date <= '2025-02-09' AND ad_id NOT IN
      (SELECT ad_id FROM ads_ad_performance WHERE campaign_id = '$cid' AND date = '2025-02-09' AND ad_status = 'PAUSED')
    GROUP BY ad_id ORDER BY ad_id" | awk -F'|' '{ printf "%s %d %.1f %.6f\n", $1, $2, $3, $4 / 1e6 }' > "$BATS_TEST_TMPDIR/want"
  jq -r '"\(.arm_id) \(.trials) \(.successes | . * 10 | round / 10 | tostring | if test("\\.") then . else . + ".0" end) \(.spend * 1e6 | round / 1e6 | tostring)"' \
    "$BATS_TEST_TMPDIR/d.ndjson" | awk '{ printf "%s %d %s %.6f\n", $1, $2, $3, $4 }' > "$BATS_TEST_TMPDIR/got"
  diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
  [ "$(wc -l < "$BATS_TEST_TMPDIR/got")" -ge 2 ]
  run -0 bq-load < "$BATS_TEST_TMPDIR/d.ndjson"
  [ "$(sqlite3 "$WH" "SELECT COUNT(*) FROM bandit_decisions WHERE campaign_id = '$cid'")" -eq "$(wc -l < "$BATS_TEST_TMPDIR/got")" ]
  [ "$(sqlite3 "$WH" "SELECT ROUND(SUM(share), 9) FROM bandit_decisions")" = "1.0" ]

  # pause one available ad on its latest day: it disappears
  ad="$(head -n 1 "$BATS_TEST_TMPDIR/got" | cut -d' ' -f1)"
  sqlite3 "$WH" "UPDATE ads_ad_performance SET ad_status = 'PAUSED' WHERE ad_id = '$ad' AND date = '2025-02-09'"
  run --separate-stderr bandit-decide --campaign-id "$cid"
  ! echo "$output" | jq -e --arg ad "$ad" 'select(.arm_id == $ad)'
  [ "${#lines[@]}" -eq "$(( $(wc -l < "$BATS_TEST_TMPDIR/got") - 1 ))" ]
  # a window that ends before the pause sees it again
  run --separate-stderr bandit-decide --campaign-id "$cid" --date 2025-02-08 --lookback 10
  echo "$output" | jq -s -e --arg ad "$ad" 'map(select(.arm_id == $ad)) | length == 1'
  echo "$output" | jq -s -e 'all(.window_end == "2025-02-08" and .lookback_days == 10 and .run_id == "bandit-decide-2025-02-08")'
}

@test "warehouse: --metric ctr uses impressions and clicks; every campaign without --campaign-id" {
  sim_warehouse
  run --separate-stderr bandit-decide --metric ctr --lookback 7
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'all(.metric == "ctr") and (map(.campaign_id) | unique | length) == 6'
  sqlite3 "$WH" "SELECT campaign_id || '/' || ad_id, SUM(impressions), SUM(clicks) FROM ads_ad_performance
    WHERE date > '2025-02-02' GROUP BY campaign_id, ad_id
    HAVING MAX(CASE WHEN date = '2025-02-09' AND ad_status = 'ENABLED' THEN 1 ELSE 0 END) = 1
    ORDER BY campaign_id, ad_id" | tr '|' ' ' > "$BATS_TEST_TMPDIR/want"
  echo "$output" | jq -r '"\(.campaign_id)/\(.arm_id) \(.trials) \(.successes | floor)"' > "$BATS_TEST_TMPDIR/got"
  diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
  # conversions still feed the CAC band under ctr
  echo "$output" | jq -s -e 'all(.conversions != null and .spend != null)'
}

@test "warehouse: conversions above clicks are clamped with one warning naming how many arms" {
  sim_warehouse
  sqlite3 "$WH" "UPDATE ads_ad_performance SET conversions = 1e6 WHERE ad_id IN ('10100001001', '10100001003') AND date = '2025-02-01'"
  run --separate-stderr bandit-decide --campaign-id 10100001
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"2 arms have more conversions than clicks in the window: successes clamped to trials"* ]]
  echo "$output" | jq -s -e 'map(select(.arm_id == "10100001001" or .arm_id == "10100001003"))
    | length == 2 and all(.successes == .trials and .conversions > .trials)'
}

@test "regret on the simulator: Thompson sampling beats uniform and epsilon-greedy and grows sublinearly" {
  # A google_pmax campaign of the simulator with 6 ads; its first ad is the worst, so
  # ties at the start do not favour anyone.  45 rounds of 2000 clicks each, shared by
  # the policy's shares, conversions drawn at the true CVR; regret = clicks x (best CVR - CVR).
  sim-generate --start 2025-01-01 --days 1 --seed 7 --users 0 --tables ads_ad_performance \
    --ads-per-campaign 6 --truth "$BATS_TEST_TMPDIR/t.json" >/dev/null
  cid=10200001
  jq -r --arg c "$cid" '.ads[] | select(.campaign_id == $c) | "\(.ad_id) \(.cvr)"' "$BATS_TEST_TMPDIR/t.json" > "$BATS_TEST_TMPDIR/cvr"
  [ "$(wc -l < "$BATS_TEST_TMPDIR/cvr")" -eq 6 ]
  best="$(sort -k2 -g "$BATS_TEST_TMPDIR/cvr" | tail -n 1 | cut -d' ' -f2)"
  [ "$(sort -k2 -g "$BATS_TEST_TMPDIR/cvr" | head -n 1 | cut -d' ' -f1)" = "$(head -n 1 "$BATS_TEST_TMPDIR/cvr" | cut -d' ' -f1)" ]

  play() { # NAME [bandit-decide args | uniform] -> regret per round in $D/NAME.regret
    local name="$1" round; shift
    local D="$BATS_TEST_TMPDIR"
    awk '{ print $1, 0, 0 }' "$D/cvr" > "$D/$name.state"
    : > "$D/$name.regret"
    for round in $(seq 1 45); do
      if [ "$1" = uniform ]; then
        awk '{ print $1, 1 / 6 }' "$D/cvr" > "$D/$name.shares"
      else
        awk -v c="$cid" '{ printf "{\"campaign_id\":\"%s\",\"arm_id\":\"%s\",\"trials\":%d,\"successes\":%d}\n", c, $1, $2, $3 }' \
          "$D/$name.state" | bandit-decide --stdin -q --seed "$round" "$@" | jq -r '"\(.arm_id) \(.share)"' > "$D/$name.shares"
      fi
      awk -v seed="$round" -v best="$best" -v out="$D/$name.regret" '
        BEGIN { srand(seed) }
        FILENAME == ARGV[1] { cvr[$1] = $2; next }
        FILENAME == ARGV[2] { share[$1] = $2; next }
        { n = int(2000 * share[$1] + 0.5); s = 0
          for (i = 0; i < n; i++) if (rand() < cvr[$1]) s++
          print $1, $2 + n, $3 + s; r += n * (best - cvr[$1]) }
        END { print r >> out }' "$D/cvr" "$D/$name.shares" "$D/$name.state" > "$D/$name.next"
      mv "$D/$name.next" "$D/$name.state"
    done
  }
  play ts --policy thompson
  play uniform uniform
  play eg --policy epsilon_greedy --epsilon 0.1 --exploration 1
  total() { awk '{ s += $1 } END { printf "%.3f", s }' "$BATS_TEST_TMPDIR/$1.regret"; }
  third() { sed -n "$2p" "$BATS_TEST_TMPDIR/$1.regret" | awk '{ s += $1 } END { printf "%.3f", s }'; }
  echo "regret: thompson $(total ts), uniform $(total uniform), epsilon-greedy $(total eg)"
  [ -z "${SHOW_REGRET:-}" ] || { echo "# regret: thompson $(total ts), uniform $(total uniform), epsilon-greedy $(total eg); thompson by thirds $(third ts 1,15) $(third ts 16,30) $(third ts 31,45)" >&3; }
  echo "thompson by thirds: $(third ts 1,15) $(third ts 16,30) $(third ts 31,45)"
  [ "$(wc -l < "$BATS_TEST_TMPDIR/ts.regret")" -eq 45 ]
  awk -v t="$(total ts)" -v u="$(total uniform)" -v e="$(total eg)" 'BEGIN { exit !(t < u && t < e) }'
  awk -v a="$(third ts 1,15)" -v c="$(third ts 31,45)" 'BEGIN { exit !(c < a) }'
  # the arms' trials add up: the simulation really ran
  [ "$(awk '{ s += $2 } END { print s }' "$BATS_TEST_TMPDIR/ts.state")" -gt 85000 ]
}

ctx_rows() {
  cat <<'EOF'
{"campaign_id":"c1","arm_id":"aud1","context":{"device":"mobile","region":"US","hour":13},"trials":800,"successes":80,"spend":40}
{"campaign_id":"c1","arm_id":"aud2","context":{"device":"mobile","region":"US","hour":13},"trials":800,"successes":16,"spend":40}
{"campaign_id":"c1","arm_id":"aud1","context":{"device":"desktop","region":"DE","hour":9},"trials":800,"successes":8,"spend":40}
{"campaign_id":"c1","arm_id":"aud2","context":{"device":"desktop","region":"DE","hour":9},"trials":800,"successes":96,"spend":40}
EOF
}

@test "contextual: one row per context and arm, context stored, the leader per context is its best arm" {
  ctx_rows > "$BATS_TEST_TMPDIR/c.ndjson"
  decide "$BATS_TEST_TMPDIR/c.ndjson" --policy lin_ucb --alpha 0.5
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "${#lines[@]}" -eq 4 ]
  echo "$output" | jq -s -e 'all(._table == "bandit_context_decisions" and .policy == "lin_ucb"
    and (.context_id | test("^ctx-[0-9a-f]{16}$")) and .alpha == 0.5 and .l2_lambda == 1
    and .n_features == 6 and .trials == 800 and .spend == 80 and .seed == 123456)'
  # the context id is the SHA-256 of the compact sorted-key JSON
  id="ctx-$(printf '%s' '{"device":"desktop","hour":9,"region":"DE"}' | sha256sum | cut -c1-16)"
  echo "$output" | jq -s -e --arg id "$id" 'map(select(.context_id == $id)) | length == 2
    and all(.context == {"device": "desktop", "hour": 9, "region": "DE"})'
  # the leader per context is that context's best arm; lin_ucb score = expected + alpha * uncertainty
  echo "$output" | jq -s -e 'map(select(.leader)) | map({(.context.device): .arm_id}) | add == {"mobile": "aud1", "desktop": "aud2"}'
  echo "$output" | jq -s -e 'all(((.score - (.expected + 0.5 * .uncertainty)) | fabs) < 1e-12 and .uncertainty > 0)'
  echo "$output" | jq -s -e 'group_by(.context_id) | all((map(.share) | add) == 1 and (map(select(.leader) | .share)[0]) >= 0.9)'
  # rows in context_id order then arm_id
  [ "$(echo "$output" | jq -r '.context_id + "/" + .arm_id' | tr '\n' ' ')" = "$(echo "$output" | jq -r '.context_id + "/" + .arm_id' | sort | tr '\n' ' ')" ]
  bq-ensure --quiet >/dev/null
  echo "$output" | bq-load
  [ "$(sqlite3 "$WH" "SELECT COUNT(*) FROM bandit_context_decisions WHERE json_extract(context, '$.region') = 'US'")" -eq 2 ]
  # lin_ts: score null, shares are the p_best under the budget, the same leaders, reproducible
  decide "$BATS_TEST_TMPDIR/c.ndjson" --policy lin_ts --seed 3
  echo "$output" | jq -s -e 'all(.score == null and .policy == "lin_ts") and
    (map(select(.leader)) | map({(.context.device): .arm_id}) | add == {"mobile": "aud1", "desktop": "aud2"}) and
    (group_by(.context_id) | all(((map(.share) | add) - 1 | fabs) < 1e-9 and (map(select(.leader | not) | .share) | add) <= 0.1 + 1e-12))'
  first="$(echo "$output" | jq -c 'del(.decided_at)')"
  decide "$BATS_TEST_TMPDIR/c.ndjson" --policy lin_ts --seed 3
  [ "$(echo "$output" | jq -c 'del(.decided_at)')" = "$first" ]
}

@test "contextual: features arrays, their lengths checked; context rows need a contextual policy" {
  printf '%s\n' '{"campaign_id":"c1","arm_id":"a","features":[1,0.5],"trials":100,"successes":10}' \
    '{"campaign_id":"c1","arm_id":"b","features":[1,0.25],"trials":100,"successes":20}' > "$BATS_TEST_TMPDIR/f.ndjson"
  decide "$BATS_TEST_TMPDIR/f.ndjson" --policy lin_ucb
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'length == 4 and all(.n_features == 2) and (map(.context) | unique == [[1, 0.25], [1, 0.5]])'
  printf '%s\n' '{"campaign_id":"c1","arm_id":"c","features":[1,0.5,3],"trials":100,"successes":10}' >> "$BATS_TEST_TMPDIR/f.ndjson"
  decide "$BATS_TEST_TMPDIR/f.ndjson" --policy lin_ts
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"f.ndjson:3: \"features\" arrays of unequal length"* ]]
  ctx_rows > "$BATS_TEST_TMPDIR/c.ndjson"
  decide "$BATS_TEST_TMPDIR/c.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"c.ndjson:1: a row with \"context\" needs a contextual policy"* ]]
  arms c1:a:10:1 > "$BATS_TEST_TMPDIR/a.ndjson"
  decide "$BATS_TEST_TMPDIR/a.ndjson" --policy lin_ucb
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"a.ndjson:1: missing \"context\""* ]]
  # a key with numbers in one row and strings in another
  printf '%s\n' '{"campaign_id":"c1","arm_id":"a","context":{"hour":9},"trials":10,"successes":1}' \
    '{"campaign_id":"c1","arm_id":"b","context":{"hour":"nine"},"trials":10,"successes":1}' > "$BATS_TEST_TMPDIR/m.ndjson"
  decide "$BATS_TEST_TMPDIR/m.ndjson" --policy lin_ucb
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"m.ndjson:2: context key 'hour' has numbers in some rows and strings in others"* ]]
  # the warehouse has no contexts
  run --separate-stderr bandit-decide --policy lin_ts
  [ "$status" -eq 2 ]
}

@test "requests: available subsets respected, distinct k-slates, capped arms never served, --stats" {
  arms c1:a:1000:50:100 c1:b:1000:40:100 c1:c:1000:45:100 c1:d:1000:1:900 c2:x:10:1:1 > "$BATS_TEST_TMPDIR/a.ndjson"
  awk 'BEGIN { for (i = 1; i <= 300; i++) {
      if (i % 3 == 0) printf "{\"request_id\":\"r%d\",\"campaign_id\":\"c1\",\"available\":[\"b\",\"c\"]}\n", i
      else if (i % 3 == 1) printf "{\"request_id\":\"r%d\",\"campaign_id\":\"c1\",\"k\":3}\n", i
      else printf "{\"request_id\":%d,\"campaign_id\":\"c1\",\"k\":4,\"available\":[\"a\",\"d\",\"b\"]}\n", i } }' > "$BATS_TEST_TMPDIR/req.ndjson"
  run --separate-stderr bandit-decide --stdin --cac-cap 50 --requests "$BATS_TEST_TMPDIR/req.ndjson" --stats "$BATS_TEST_TMPDIR/a.ndjson"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "${#lines[@]}" -eq 300 ]
  # no _table: these are answers, not rows
  echo "$output" | jq -s -e 'all(has("_table") | not) and all(.campaign_id == "c1")'
  # request ids echoed, in order, with their type
  echo "$output" | jq -s -e '.[0].request_id == "r1" and .[1].request_id == 2 and .[2].request_id == "r3"'
  # subsets respected
  echo "$output" | jq -s -e 'map(select(.request_id | type == "string" and (ltrimstr("r") | tonumber) % 3 == 0))
    | length == 100 and all(.arms | length == 1 and (.[0] == "b" or .[0] == "c"))'
  # k-slates distinct; the capped arm d (CAC 900) never served, so k = 3 of {a, b, c}
  echo "$output" | jq -s -e 'all(.arms | length == (unique | length)) and all(.arms | index("d") == null)'
  echo "$output" | jq -s -e 'map(select(.request_id | type == "string" and (ltrimstr("r") | tonumber) % 3 == 1))
    | all(.arms | sort == ["a", "b", "c"])'
  echo "$output" | jq -s -e 'map(select(.request_id | type == "number")) | length == 100 and all(.arms | sort == ["a", "b"])'
  # Thompson draws: the best arm (a) most often first, but not always
  first_a="$(echo "$output" | jq -s '[.[] | select(.request_id | type == "string" and (ltrimstr("r") | tonumber) % 3 == 1) | select(.arms[0] == "a")] | length')"
  [ "$first_a" -gt 50 ] && [ "$first_a" -lt 100 ]
  [[ "$stderr" =~ bandit-decide:\ 300\ decisions\ in\ [0-9.]+\ s\ \([0-9]+\ answered/s,\ answers\ written\)\;\ deciding\ alone:\ [0-9]+\ decisions/s\;\ latency\ p50\ [0-9.]+\ us,\ p99\ [0-9.]+\ us,\ max\ [0-9.]+\ us ]]
  # the same seed serves the same arms
  run --separate-stderr bandit-decide --stdin --cac-cap 50 --requests "$BATS_TEST_TMPDIR/req.ndjson" "$BATS_TEST_TMPDIR/a.ndjson"
  again="$output"
  run --separate-stderr bandit-decide --stdin --cac-cap 50 --requests "$BATS_TEST_TMPDIR/req.ndjson" "$BATS_TEST_TMPDIR/a.ndjson"
  [ "$output" = "$again" ]
  [ -z "$stderr" ]
}

@test "requests: ucb1 and lin_ucb serve their argmax; unknown campaign or arm is 65 naming the line" {
  arms c:1:3:1 c:2:2:0 c:3:5:3 > "$BATS_TEST_TMPDIR/a.ndjson"
  printf '%s\n' '{"request_id":"q1","campaign_id":"c","k":3}' '{"request_id":"q2","campaign_id":"c","available":["2","3"]}' > "$BATS_TEST_TMPDIR/req.ndjson"
  run --separate-stderr bandit-decide --stdin --policy ucb1 --requests "$BATS_TEST_TMPDIR/req.ndjson" "$BATS_TEST_TMPDIR/a.ndjson"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = '{"request_id":"q1","campaign_id":"c","arms":["1","3","2"]}' ]
  [ "${lines[1]}" = '{"request_id":"q2","campaign_id":"c","arms":["3"]}' ]
  ctx_rows > "$BATS_TEST_TMPDIR/c.ndjson"
  printf '%s\n' '{"request_id":"m","campaign_id":"c1","context":{"device":"mobile","region":"US","hour":13}}' \
    '{"request_id":"d","campaign_id":"c1","context":{"device":"desktop","region":"DE","hour":9}}' > "$BATS_TEST_TMPDIR/creq.ndjson"
  run --separate-stderr bandit-decide --stdin --policy lin_ucb --requests "$BATS_TEST_TMPDIR/creq.ndjson" "$BATS_TEST_TMPDIR/c.ndjson"
  [ "$status" -eq 0 ]
  [ "$output" = '{"request_id":"m","campaign_id":"c1","arms":["aud1"]}
{"request_id":"d","campaign_id":"c1","arms":["aud2"]}' ]
  printf '%s\n' '{"request_id":"x","campaign_id":"c1"}' > "$BATS_TEST_TMPDIR/nocontext.ndjson"
  run --separate-stderr bandit-decide --stdin --policy lin_ucb --requests "$BATS_TEST_TMPDIR/nocontext.ndjson" "$BATS_TEST_TMPDIR/c.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"nocontext.ndjson:1: missing \"context\""* ]]
  # an unknown arm on line 2, an unknown campaign on line 2: 65, nothing written
  printf '%s\n' '{"request_id":"q1","campaign_id":"c"}' '{"request_id":"q2","campaign_id":"c","available":["1","nope"]}' > "$BATS_TEST_TMPDIR/bad.ndjson"
  run --separate-stderr bandit-decide --stdin --requests "$BATS_TEST_TMPDIR/bad.ndjson" "$BATS_TEST_TMPDIR/a.ndjson"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"bad.ndjson:2: unknown arm 'nope' of campaign 'c'"* ]]
  printf '%s\n' '{"request_id":"q1","campaign_id":"c"}' '{"request_id":"q2","campaign_id":"zz"}' > "$BATS_TEST_TMPDIR/bad.ndjson"
  run --separate-stderr bandit-decide --stdin --requests "$BATS_TEST_TMPDIR/bad.ndjson" "$BATS_TEST_TMPDIR/a.ndjson"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"bad.ndjson:2: unknown campaign 'zz'"* ]]
  # --stats without --requests is a usage error
  run --separate-stderr bandit-decide --stdin --stats "$BATS_TEST_TMPDIR/a.ndjson"
  [ "$status" -eq 2 ]
}

@test "bad rows: 65 naming FILE:LINE and the reason, nothing on stdout" {
  good='{"campaign_id":"c1","arm_id":"a","trials":10,"successes":1}'
  check() { # ROW REASON
    printf '%s\n%s\n' "$good" "$1" > "$BATS_TEST_TMPDIR/bad.ndjson"
    run --separate-stderr bandit-decide --stdin "$BATS_TEST_TMPDIR/bad.ndjson"
    [ "$status" -eq 65 ] || { echo "status $status for $1"; false; }
    [ -z "$output" ]
    [[ "$stderr" == *"bandit-decide: $BATS_TEST_TMPDIR/bad.ndjson:2: $2"* ]] || { echo "stderr: $stderr"; false; }
  }
  check '{"campaign_id":"c1","arm_id":"b","successes":1}' 'missing "trials"'
  check '{"campaign_id":"c1","trials":10,"successes":1}' 'missing "arm_id"'
  check '{"arm_id":"b","trials":10,"successes":1}' 'missing "campaign_id"'
  check '{"campaign_id":"c1","arm_id":"b","trials":10}' 'missing "successes"'
  check '{"campaign_id":"c1","arm_id":"b","trials":10,"successes":11}' '"successes" (11) above "trials" (10)'
  check '{"campaign_id":"c1","arm_id":"b","trials":-3,"successes":0}' 'negative "trials" (-3)'
  check '{"campaign_id":"c1","arm_id":"b","trials":10.5,"successes":1}' '"trials" must be a whole number'
  check '{"campaign_id":"c1","arm_id":"b","trials":"10","successes":1}' '"trials" must be a whole number'
  check '{"campaign_id":"c1","arm_id":"b","trials":10,"successes":1,"spend":-1}' '"spend" must be a number >= 0'
  check '{"campaign_id":"c1","arm_id":"b","trials":10,"successes":1,"available":"yes"}' '"available" must be true or false'
  check '{"campaign_id":"c1","arm_id":"a","trials":20,"successes":2}' "duplicate arm 'a' of the campaign (first at $BATS_TEST_TMPDIR/bad.ndjson:1)"
  check '{"campaign_id":"c1","arm_id":"b","trials":10' ''
  check '[1,2]' 'not a JSON object'
  # standard input is named <stdin>
  run --separate-stderr bash -c "printf '%s\n\n%s\n' '$good' '{\"campaign_id\":\"c1\"}' | bandit-decide --stdin"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"bandit-decide: <stdin>:3: missing \"arm_id\""* ]]
  # trials 0 and a whole-valued float are fine; a fractional success is fine
  printf '%s\n' '{"campaign_id":"c1","arm_id":"a","trials":0,"successes":0}' '{"campaign_id":"c1","arm_id":"b","trials":10.0,"successes":2.5}' |
    bandit-decide --stdin -q | jq -s -e 'length == 2 and .[0].alpha == 1 and .[0].beta == 1 and .[1].alpha == 3.5 and .[1].beta == 8.5'
}

@test "usage: unknown option, bad values are 2; --help teaches; --version" {
  arms c1:a:10:1 > "$BATS_TEST_TMPDIR/a.ndjson"
  for args in "--nope" "--policy softmax" "--exploration 1.5" "--exploration -0.1" "--epsilon 2" \
              "--prior 0,1" "--prior 1" "--prior a,b" "--metric cpa" "--slate 0" "--draws 0" "--seed -1" \
              "--lookback 0" "--l2-lambda 0" "--run-id="; do
    run --separate-stderr bandit-decide --stdin $args "$BATS_TEST_TMPDIR/a.ndjson"
    [ "$status" -eq 2 ] || { echo "status $status for $args"; false; }
    [ -z "$output" ]
  done
  run --separate-stderr bandit-decide --date 2025-02-30
  [ "$status" -eq 2 ]
  run -0 bandit-decide --help
  for w in "thompson" "ucb1" "epsilon_greedy" "lin_ts" "lin_ucb" "alpha * sqrt(2 ln N / n_i)" \
           "Beta(a + s_i, b + n_i - s_i)" "multiplied by e / E and L gets 1 - e" "AELP2_CAC_CAP" \
           "cac_low" "ads_ad_performance" "PAUSED or REMOVED" '"features"' "ctx-" "--requests" \
           "decisions/s" "bandit-decide --lookback 30 --campaign-id CID | bq-load" "Exit status:" \
           "65  bad input" "nothing written, exit 0" "p_in_slate" "window_end" "FNV-1a"; do
    [[ "$output" == *"$w"* ]] || { echo "help lacks: $w"; false; }
  done
  run -0 bandit-decide --version
  [[ "$output" == "bandit-decide (AELP2) "* ]]
}

@test "nothing to decide on: exit 0, a message, nothing written" {
  run --separate-stderr bandit-decide
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"no arms to decide on"* ]]
  bq-ensure --quiet >/dev/null
  run --separate-stderr bandit-decide
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"no rows in ads_ad_performance"* ]]
  run --separate-stderr bandit-decide --stdin < /dev/null
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"no arm rows in <stdin>: nothing to decide on"* ]]
  # every arm unavailable
  printf '%s\n' '{"campaign_id":"c1","arm_id":"a","trials":10,"successes":1,"available":false}' > "$BATS_TEST_TMPDIR/off.ndjson"
  run --separate-stderr bandit-decide --stdin "$BATS_TEST_TMPDIR/off.ndjson"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"no available arms in the rows"* ]]
  # an unknown campaign in the warehouse
  sim_warehouse
  run --separate-stderr bandit-decide --campaign-id nope
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"no available arms of campaign 'nope'"* ]]
  [ "$(sqlite3 "$WH" "SELECT COUNT(*) FROM bandit_decisions")" -eq 0 ]
}

@test "available false leaves an arm out; --slate k gives p_in_slate and shares summing to 1" {
  printf '%s\n' '{"campaign_id":"c1","arm_id":"a","trials":1000,"successes":50}' \
    '{"campaign_id":"c1","arm_id":"b","trials":1000,"successes":45,"available":false}' \
    '{"campaign_id":"c1","arm_id":"c","trials":1000,"successes":40}' \
    '{"campaign_id":"c1","arm_id":"d","trials":1000,"successes":30}' > "$BATS_TEST_TMPDIR/a.ndjson"
  decide "$BATS_TEST_TMPDIR/a.ndjson" --slate 2 --exploration 1
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map(.arm_id) == ["a", "c", "d"] and all(.slate_size == 2 and .p_in_slate >= .p_best)
    and (((map(.p_in_slate) | add) - 2) | fabs) < 1e-9 and (((map(.share) | add) - 1) | fabs) < 1e-9
    and all(((.share - .p_in_slate / 2) | fabs) < 1e-12)'
  [[ "$stderr" == *"1 not available"* ]]
}

@test "run ids: --run-id, AELP2_RUN_ID, else bandit-decide and the day; a step report in a flow" {
  arms c1:a:10:1 c1:b:10:2 > "$BATS_TEST_TMPDIR/a.ndjson"
  run --separate-stderr bandit-decide --stdin "$BATS_TEST_TMPDIR/a.ndjson"
  echo "$output" | jq -s -e --arg d "$(date -u +%F)" 'all(.run_id == "bandit-decide-" + $d and (.decided_at | startswith($d)))'
  AELP2_RUN_ID=nightly-x AELP2_STEP_REPORT="$BATS_TEST_TMPDIR/report" run --separate-stderr bandit-decide --stdin "$BATS_TEST_TMPDIR/a.ndjson"
  echo "$output" | jq -s -e 'all(.run_id == "nightly-x")'
  jq -e '.program == "bandit-decide" and .rows_in == 2 and .details.campaigns == 1 and .details.arms == 2
    and .details.policy == "thompson"' "$BATS_TEST_TMPDIR/report"
  run --separate-stderr bandit-decide --stdin --run-id mine "$BATS_TEST_TMPDIR/a.ndjson"
  echo "$output" | jq -s -e 'all(.run_id == "mine")'
}

@test "a failed write to stdout is exit 70" {
  arms c1:a:10:1 > "$BATS_TEST_TMPDIR/a.ndjson"
  run -70 bash -c "bandit-decide --stdin '$BATS_TEST_TMPDIR/a.ndjson' > /dev/full"
}
