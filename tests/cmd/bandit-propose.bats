#!/usr/bin/env bats
# bandit-propose: shadow proposals (shift_weights, pause_arm, promote_arm,
# seed_experiment) and ab_experiments rows from one bandit decision run.

load ../helpers

# One bandit_decisions row, tagged for bq-load, shaped as bandit-decide writes it:
# dec RUN CAMPAIGN ARM TRIALS SUCCESSES POSTERIOR_MEAN P_BEST SHARE LEADER CAPPED [DECIDED_AT [BUDGET]]
dec() {
  jq -cn --arg run "$1" --arg camp "$2" --arg arm "$3" --argjson t "$4" --argjson s "$5" \
    --argjson m "$6" --argjson pb "$7" --argjson sh "$8" --argjson lead "$9" --argjson cap "${10}" \
    --arg at "${11:-2025-03-15T02:00:00Z}" --argjson e "${12:-0.1}" '{
    _table: "bandit_decisions", run_id: $run, campaign_id: $camp, arm_id: $arm, policy: "thompson",
    alpha: (1 + $s), beta: (1 + $t - $s), posterior_mean: $m, ci_low: ($m * 0.8), ci_high: ($m * 1.2),
    p_best: $pb, share: $sh, exploration: (($lead | not) and ($sh > 0)), cac_capped: $cap, seed: 123456,
    decided_at: $at, metric: "cvr", trials: $t, successes: $s, spend: ($t * 0.5), conversions: $s,
    cac_low: (if $cap then 150 else 8 end), cac_high: (if $cap then 300 else 12 end),
    exploration_budget: $e, leader: $lead, slate_size: 1, p_in_slate: $pb, lookback_days: 30,
    window_end: "2025-03-14", customer_id: "1234567890", ad_group_id: "ag1", platform: "google_ads",
    channel: "google_search"}'
}

# Campaign c1 of run RUN: ad1 leads (6000 trials, p_best 0.97, share 0.9); ad2 has
# lost (3000 trials, p_best 0.01); ad3 (500) and ad5 (100) are fresh; ad4 is
# CAC-capped and fresh.  Trials 10100: ad1 delivered 59.4%.
c1_run() { # RUN [DECIDED_AT]
  dec "$1" c1 ad1 6000 300 0.05 0.97 0.9 true false "${2:-}"
  dec "$1" c1 ad2 3000 100 0.0337 0.01 0.02 false false "${2:-}"
  dec "$1" c1 ad3 500 20 0.04 0.02 0.04 false false "${2:-}"
  dec "$1" c1 ad4 500 2 0.006 0 0 false true "${2:-}"
  dec "$1" c1 ad5 100 3 0.03 0 0.04 false false "${2:-}"
}

# Campaign c2: ad1 leads, no arm fresh, nothing moves much: no proposal.
c2_run() { # RUN [DECIDED_AT]
  dec "$1" c2 ad1 5000 150 0.03 0.6 0.52 true false "${2:-}" 0.5
  dec "$1" c2 ad2 5000 140 0.028 0.4 0.48 false false "${2:-}" 0.5
}

propose_stdin() {
  run --separate-stderr bandit-propose --run-id r1 --stdin "$@"
}

count() { # SQL
  sqlite3 "$WH" "$1"
}

@test "stdin decision rows give the proposals and the ab_experiments row, with exact values" {
  c1_run d1 > "$BATS_TEST_TMPDIR/d1.ndjson"
  propose_stdin "$BATS_TEST_TMPDIR/d1.ndjson"
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map(.proposal_id // .experiment_id) == ["bp-d1:c1:shift_weights:ad1",
    "bp-d1:c1:promote_arm:ad1", "bp-d1:c1:pause_arm:ad2", "exp-d1:c1", "bp-d1:c1:seed_experiment"]'
  echo "$output" | jq -s -e 'map(select(._table == "bandit_change_proposals")) | all(
    .run_id == "r1" and .decision_run_id == "d1" and .status == "proposed" and .shadow == true
    and .campaign_id == "c1" and .customer_id == "1234567890" and .platform == "google_ads"
    and .channel == "google_search" and .ad_group_id == "ag1" and (.reason | length > 40))'
  echo "$output" | jq -s -e '.[0] | .action == "shift_weights" and .arm_id == "ad1" and .direction == "up"
    and .current_share == (6000 / 10100) and .proposed_share == 0.9 and .p_best == 0.97
    and .notes.leader == "ad1" and .notes.exploration_budget == 0.1 and .notes.policy == "thompson"
    and .notes.cac_cap == null and (.notes.weights | map(.arm_id) == ["ad1", "ad2", "ad3", "ad4", "ad5"])
    and (.notes.weights | map(.proposed_share) == [0.9, 0.02, 0.04, 0, 0.04])
    and .notes.weights[3].cac_capped == true and .notes.weights[1].exploration == true'
  echo "$output" | jq -s -e '.[0].notes.weights | map(.current_share) == ([6000, 3000, 500, 500, 100] | map(. / 10100))'
  echo "$output" | jq -s -e '.[1] | .action == "promote_arm" and .arm_id == "ad1" and .direction == "up"
    and .proposed_share == 0.9 and .notes.trials == 6000 and .notes.promote_above == 0.95 and .notes.min_trials == 1000'
  echo "$output" | jq -s -e '.[2] | .action == "pause_arm" and .arm_id == "ad2" and .direction == "down"
    and .current_share == (3000 / 10100) and .proposed_share == 0 and .p_best == 0.01
    and .notes.why == "lost" and .notes.trials == 3000 and .notes.successes == 100
    and .notes.pause_below == 0.05 and .notes.posterior_mean == 0.0337 and (.reason | test("p.*0.0100 < 0.05"))'
  # the experiment: control ad1 (p1 0.05), treatments ad5 (100 trials) then ad3 (500);
  # ad4 is capped.  n = 8158 per arm; 10100 / 30 = 336.67 trials a day, 5% each
  # treatment: ceil(8158 / 16.83) = 485 days
  echo "$output" | jq -s -e '.[3] | ._table == "ab_experiments" and .experiment_id == "exp-d1:c1"
    and .run_id == "r1" and .campaign_id == "c1" and .control_arm == "ad1" and .primary_metric == "cvr"
    and .arms == [{"arm_id": "ad1", "role": "control", "traffic_split": 0.9},
                  {"arm_id": "ad5", "role": "treatment", "traffic_split": 0.05},
                  {"arm_id": "ad3", "role": "treatment", "traffic_split": 0.05}]
    and .baseline_rate == 0.05 and .mde == 0.2 and .alpha == 0.05 and .power == 0.8
    and .min_sample_size == 8158 and .status == "proposed" and .start_date == "2025-03-15"
    and .notes.expected_days == 485 and .notes.exploration_budget == 0.1
    and (.notes.z_alpha * 1e6 | round) == 1959964 and (.notes.z_power * 1e6 | round) == 841621
    and .name == "c1: ad5, ad3 vs ad1 (cvr)" and (.hypothesis | test("8158 trials per arm"))
    and .platform == "google_ads" and .channel == "google_search"'
  echo "$output" | jq -s -e '.[4] | .action == "seed_experiment" and .experiment_id == "exp-d1:c1"
    and .arm_id == null and .notes.min_sample_size == 8158 and .notes.treatments == ["ad5", "ad3"]
    and .notes.expected_days == 485 and (.reason | test("8158 trials per arm"))'
  [[ "$stderr" == *"decision run d1 (1 campaigns, 5 arms): 4 proposals (1 shift_weights, 1 pause_arm, 1 promote_arm, 1 seed_experiment), 1 experiments"* ]]
  # the same rows on stdin, and the output loads
  run --separate-stderr bandit-propose --run-id r1 --stdin < "$BATS_TEST_TMPDIR/d1.ndjson"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | wc -l)" -eq 5 ]
  bq-ensure --quiet >/dev/null
  echo "$output" | bq-load -q
  [ "$(count "SELECT COUNT(*) FROM bandit_change_proposals")" -eq 4 ]
  [ "$(count "SELECT min_sample_size FROM ab_experiments")" -eq 8158 ]
}

@test "the options move the thresholds; AELP2_CAC_CAP and --start-date reach the rows" {
  c1_run d1 > "$BATS_TEST_TMPDIR/d1.ndjson"
  # --min-trials 50: ad3, ad4 and ad5 are established now; ad4 (capped) is paused
  AELP2_CAC_CAP=80 propose_stdin --min-trials 50 "$BATS_TEST_TMPDIR/d1.ndjson"
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map(.proposal_id) == ["bp-d1:c1:shift_weights:ad1", "bp-d1:c1:promote_arm:ad1",
    "bp-d1:c1:pause_arm:ad2", "bp-d1:c1:pause_arm:ad3", "bp-d1:c1:pause_arm:ad4", "bp-d1:c1:pause_arm:ad5"]'
  echo "$output" | jq -s -e 'map(select(.arm_id == "ad4"))[0] | .notes.why == "cac_above_cap" and .notes.cac_low == 150
    and .notes.cac_cap == 80 and (.reason | test("above the CAC cap 80.00"))'
  echo "$output" | jq -s -e '.[0].notes.cac_cap == 80'
  # the cap the decision was made under, when its rows carry one, is the one reported
  jq -c '.cac_cap = 70' "$BATS_TEST_TMPDIR/d1.ndjson" > "$BATS_TEST_TMPDIR/d1cap.ndjson"
  AELP2_CAC_CAP=80 propose_stdin --min-trials 50 "$BATS_TEST_TMPDIR/d1cap.ndjson"
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map(select(.arm_id == "ad4"))[0] | .notes.cac_cap == 70 and (.reason | test("above the CAC cap 70.00"))'
  propose_stdin --min-trials 50 "$BATS_TEST_TMPDIR/d1cap.ndjson"
  echo "$output" | jq -s -e '.[0].notes.cac_cap == 70'
  # a higher bar: no promotion, no pause, no shift
  propose_stdin --promote-above 0.98 --pause-below 0.005 --shift-threshold 0.31 "$BATS_TEST_TMPDIR/d1.ndjson"
  echo "$output" | jq -s -e 'map(.action // ._table) == ["ab_experiments", "seed_experiment"]'
  # --mde 0.3, --power 0.9, --alpha 0.01, --start-date
  propose_stdin --mde 0.3 --alpha 0.01 --power 0.9 --start-date 2025-04-01 "$BATS_TEST_TMPDIR/d1.ndjson"
  echo "$output" | jq -s -e 'map(select(._table == "ab_experiments"))[0] | .mde == 0.3 and .alpha == 0.01
    and .power == 0.9 and .start_date == "2025-04-01" and .min_sample_size < 8158'
}

@test "weights over the exploration budget or giving a capped arm share are refused with a warning" {
  {
    dec d1 c1 ad1 5000 150 0.03 0.9 0.8 true false
    dec d1 c1 ad2 5000 100 0.02 0.1 0.2 false false      # 0.2 > budget 0.1
    dec d1 c3 ad1 5000 150 0.03 0.9 0.85 true false
    dec d1 c3 ad2 5000 100 0.02 0.1 0.05 false false
    dec d1 c3 ad3 5000 100 0.02 0 0.1 false true         # capped, with share
  } > "$BATS_TEST_TMPDIR/bad.ndjson"
  propose_stdin "$BATS_TEST_TMPDIR/bad.ndjson"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -s 'map(select(.action == "shift_weights")) | length')" -eq 0 ]
  [[ "$stderr" == *"campaign c1: weights refused, not proposed: the arms other than the leader get 0.2000, above the exploration budget 0.1000"* ]]
  [[ "$stderr" == *"campaign c3: weights refused, not proposed: the CAC-capped arm ad3 has share 0.1000"* ]]
  # the rest still stands: c3's capped ad3 is paused
  echo "$output" | jq -s -e 'map(select(.action == "pause_arm") | .proposal_id) | index("bp-d1:c3:pause_arm:ad3") != null'
}

@test "warehouse: bandit-propose | bq-load writes proposals and the experiment; the latest run by default, --decision-run another" {
  bq-ensure --quiet >/dev/null
  { c1_run d1 2025-03-15T02:00:00Z; c2_run d1 2025-03-15T02:00:00Z; } | bq-load -q
  # d2 decided a day later: c1's ad1 now at 0.92, ad2 0.0
  {
    dec d2 c1 ad1 7000 350 0.05 0.98 0.92 true false 2025-03-16T02:00:00Z
    dec d2 c1 ad2 3000 100 0.0337 0.0 0.0 false false 2025-03-16T02:00:00Z
    dec d2 c1 ad3 1500 60 0.04 0.02 0.08 false false 2025-03-16T02:00:00Z
  } | bq-load -q
  run --separate-stderr bash -c 'bandit-propose | bq-load'
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"decision run d2 (1 campaigns, 3 arms)"* ]]
  [ "$(count "SELECT proposal_id FROM bandit_change_proposals ORDER BY proposal_id" | tr '\n' ' ')" = \
    "bp-d2:c1:pause_arm:ad2 bp-d2:c1:pause_arm:ad3 bp-d2:c1:promote_arm:ad1 bp-d2:c1:shift_weights:ad1 " ]
  [ "$(count "SELECT DISTINCT run_id FROM bandit_change_proposals")" = "bandit-propose-d2" ]
  [ "$(count "SELECT COUNT(*) FROM ab_experiments")" -eq 0 ]       # no fresh arm in d2
  # --decision-run d1: c1 and c2; the experiment for c1
  run --separate-stderr bash -c 'bandit-propose --decision-run d1 | bq-load'
  [ "$status" -eq 0 ]
  [ "$(count "SELECT COUNT(*) FROM bandit_change_proposals WHERE decision_run_id = 'd1'")" -eq 4 ]
  [ "$(count "SELECT experiment_id || ' ' || status || ' ' || min_sample_size || ' ' || start_date FROM ab_experiments")" = \
    "exp-d1:c1 proposed 8158 2025-03-15" ]
  [ "$(count "SELECT json_extract(arms, '\$[1].arm_id') FROM ab_experiments")" = ad5 ]
  # --campaign-id: the latest run deciding c2 is d1
  run --separate-stderr bandit-propose --campaign-id c2
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"decision run d1 (1 campaigns, 2 arms): 0 proposals"* ]]
  # the proposals are reviewable
  run --separate-stderr proposal-review list --kind bandit
  [ "$(echo "$output" | jq -s 'length')" -eq 8 ]
}

@test "re-run: no duplicates, and an approved proposal is not overwritten back to proposed" {
  bq-ensure --quiet >/dev/null
  c1_run d1 | bq-load -q
  bandit-propose -q | bq-load -q
  [ "$(count "SELECT COUNT(*) FROM bandit_change_proposals")" -eq 4 ]
  run --separate-stderr proposal-review approve bp-d1:c1:pause_arm:ad2 --by alice --kind bandit
  [ "$status" -eq 0 ]
  # a plain re-load would collide on the keys: a re-run leaves the decided one out
  run --separate-stderr bandit-propose
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map(.proposal_id // .experiment_id) == ["bp-d1:c1:shift_weights:ad1",
    "bp-d1:c1:promote_arm:ad1", "exp-d1:c1", "bp-d1:c1:seed_experiment"]'
  [[ "$stderr" == *"1 already decided by a person"* ]]
  echo "$output" | bq-load -q --upsert
  [ "$(count "SELECT COUNT(*) FROM bandit_change_proposals")" -eq 4 ]
  [ "$(count "SELECT COUNT(*) FROM ab_experiments")" -eq 1 ]
  [ "$(count "SELECT status FROM bandit_change_proposals WHERE proposal_id = 'bp-d1:c1:pause_arm:ad2'")" = approved ]
  [ "$(count "SELECT COUNT(*) FROM bandit_change_approvals")" -eq 1 ]
  # the experiment started: not rewritten, nor its proposal
  sqlite3 "$WH" "UPDATE ab_experiments SET status = 'running'"
  run --separate-stderr bandit-propose
  echo "$output" | jq -s -e 'map(.proposal_id // .experiment_id) == ["bp-d1:c1:shift_weights:ad1", "bp-d1:c1:promote_arm:ad1"]'
  echo "$output" | bq-load -q --upsert
  [ "$(count "SELECT status FROM ab_experiments")" = running ]
}

@test "an experiment proposed or running for the campaign from another run prevents a second" {
  bq-ensure --quiet >/dev/null
  c1_run d1 2025-03-15T02:00:00Z | bq-load -q
  bandit-propose -q | bq-load -q
  c1_run d2 2025-03-16T02:00:00Z | bq-load -q
  run --separate-stderr bandit-propose
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map(.proposal_id // .experiment_id) == ["bp-d2:c1:shift_weights:ad1",
    "bp-d2:c1:promote_arm:ad1", "bp-d2:c1:pause_arm:ad2"]'
  [[ "$stderr" == *"campaign c1: no experiment: an experiment of another run is already proposed or running"* ]]
  sqlite3 "$WH" "UPDATE ab_experiments SET status = 'running'"
  run --separate-stderr bandit-propose
  [ "$(echo "$output" | jq -s 'map(select(._table == "ab_experiments")) | length')" -eq 0 ]
  # once concluded, the campaign may get another
  sqlite3 "$WH" "UPDATE ab_experiments SET status = 'concluded'"
  run --separate-stderr bandit-propose
  echo "$output" | jq -s -e 'map(select(._table == "ab_experiments") | .experiment_id) == ["exp-d2:c1"]'
  # an experiment still proposed whose seed proposal a person rejected blocks nothing
  sqlite3 "$WH" "UPDATE ab_experiments SET status = 'proposed'"
  run --separate-stderr bandit-propose
  [ "$(echo "$output" | jq -s 'map(select(._table == "ab_experiments")) | length')" -eq 0 ]
  proposal-review reject bp-d1:c1:seed_experiment --by bob --reason "not this quarter" --kind bandit
  run --separate-stderr bandit-propose
  echo "$output" | jq -s -e 'map(select(._table == "ab_experiments") | .experiment_id) == ["exp-d2:c1"]'
}

@test "bad stdin rows: 65 naming FILE:LINE, nothing written" {
  f="$BATS_TEST_TMPDIR/in.ndjson"
  c1_run d1 > "$f"
  echo '{"_table":"bandit_decisions","run_id":"d1","campaign_id":"c1","arm_id":"ad9","policy":"thompson","exploration":false,"cac_capped":false,"decided_at":"2025-03-15T02:00:00Z"}' >> "$f"
  propose_stdin "$f"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"$f:6: "*"share"* ]]
  [[ "$stderr" == *"nothing written"* ]]
  # not JSON
  { c1_run d1; echo '{"run_id": '; } > "$f"
  propose_stdin "$f"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"$f:6: "* ]]
  # shares not summing to 1 (ad2 0.02 -> 0.03): named at the campaign's first row
  c1_run d1 | sed '2s/"share":0.02/"share":0.03/' > "$f"
  propose_stdin "$f"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"$f:1: decision run 'd1', campaign 'c1': shares sum to 1.01, not 1 (within 1e-06)"* ]]
  # a duplicate arm
  { c1_run d1; dec d1 c1 ad3 500 20 0.04 0.02 0.04 false false; } > "$f"
  propose_stdin "$f"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"$f:6: arm 'ad3' of campaign 'c1' appears twice in decision run 'd1'"* ]]
  # two leaders
  c1_run d1 | sed '3s/"leader":false/"leader":true/' > "$f"
  propose_stdin "$f"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"2 arms marked leader"* ]]
  # negative trials, from stdin
  c1_run d1 | sed '5s/"trials":100/"trials":-100/' > "$f"
  run --separate-stderr bandit-propose --stdin < "$f"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"<stdin>:1: "*"trials -100 is negative"* ]]
  [ -z "$output" ]
  # rows of other tables are skipped, not refused
  { c1_run d1; echo '{"_table":"ab_experiments","experiment_id":"x","status":"proposed","created_at":"2025-03-15T00:00:00Z"}'; } > "$f"
  propose_stdin "$f"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"1 rows of other tables skipped"* ]]
}

@test "bad options are usage errors (2)" {
  for args in "--min-trials -1" "--min-trials x" "--pause-below 2" "--promote-above -0.1" "--shift-threshold 1.5" \
              "--mde 0" "--alpha 0" "--alpha 1" "--power 0.3" "--power 1" "--start-date 2025-02-30" \
              "--pause-below 0.9 --promote-above 0.5" "--run-id=" "--nope" "somefile"; do
    run --separate-stderr bandit-propose $args
    [ "$status" -eq 2 ] || { echo "args: $args -> $status"; false; }
    [ -z "$output" ]
  done
  AELP2_CAC_CAP=abc run --separate-stderr bandit-propose
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"AELP2_CAC_CAP='abc' is not a positive number"* ]]
}

@test "no decisions: exit 0 with a message, nothing written; an unknown --decision-run is 1" {
  run --separate-stderr bandit-propose                       # no warehouse at all
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"no bandit decisions"* ]]
  bq-ensure --quiet >/dev/null
  run --separate-stderr bandit-propose                       # the table is empty
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"no bandit decisions in sqlite:"*"nothing to propose"* ]]
  run --separate-stderr bandit-propose --stdin < /dev/null   # empty input
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"no bandit decisions in <stdin>: nothing to propose"* ]]
  c1_run d1 | bq-load -q
  run --separate-stderr bandit-propose --decision-run nope
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"no bandit_decisions rows with run_id 'nope'"* ]]
  run --separate-stderr bandit-propose --campaign-id c9
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"no bandit decisions for campaign c9"* ]]
}

@test "every arm CAC-capped: no leader, nothing proposed" {
  { dec d1 c1 ad1 5000 10 0.002 0 0 false true; dec d1 c1 ad2 5000 10 0.002 0 0 false true; } > "$BATS_TEST_TMPDIR/f"
  propose_stdin "$BATS_TEST_TMPDIR/f"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"campaign c1: every arm is CAC-capped, no leader: nothing proposed"* ]]
}

@test "run_id: --run-id, else AELP2_RUN_ID, else bandit-propose-DECISION_RUN; ids do not depend on it" {
  c1_run d1 > "$BATS_TEST_TMPDIR/f"
  run --separate-stderr bandit-propose --stdin "$BATS_TEST_TMPDIR/f"
  echo "$output" | jq -s -e 'all(.run_id == "bandit-propose-d1") and .[0].proposal_id == "bp-d1:c1:shift_weights:ad1"'
  first="$(echo "$output" | jq -c 'del(.created_at, .run_id)')"
  AELP2_RUN_ID=nightly-x run --separate-stderr bandit-propose --stdin "$BATS_TEST_TMPDIR/f"
  echo "$output" | jq -s -e 'all(.run_id == "nightly-x")'
  [ "$(echo "$output" | jq -c 'del(.created_at, .run_id)')" = "$first" ]
}

@test "--help teaches the rules, the power formula, ids, re-runs and the pipeline" {
  run bandit-propose --help
  [ "$status" -eq 0 ]
  for s in "shift_weights" "pause_arm" "promote_arm" "seed_experiment" "(1000)" "(0.05)" "(0.95)" \
           "z(1-alpha/2) sqrt(2 pbar (1-pbar))" "n = 3841" "bp-DECISION_RUN:CAMPAIGN:ACTION[:ARM]" \
           "exp-DECISION_RUN:CAMPAIGN" "never overwritten" "bandit-decide | bq-load && bandit-propose | bq-load" \
           "Exit status" "AELP2_CAC_CAP" "65"; do
    [[ "$output" == *"$s"* ]] || { echo "missing: $s"; false; }
  done
}
