#!/usr/bin/env bats
# bandit-apply: approved bandit proposals applied in shadow under the
# guardrails, every attempt in safety_events, refusals that change nothing.

load ../helpers

eval "helpers_$(declare -f setup)"
setup() {
  helpers_setup
  export GOOGLE_ADS_DEVELOPER_TOKEN=secret-xyz GOOGLE_ADS_REFRESH_TOKEN=refresh-secret-456
  unset AELP2_ALLOW_BANDIT_MUTATIONS AELP2_RUN_ID
  bq-ensure -q >/dev/null
  NOW="$(date -u +%FT%TZ)"
}

# decision RUN CAMPAIGN ARM SHARE [EXTRA_JSON]: one bandit_decisions row
# (exploration budget 0.10, not the leader, not capped unless EXTRA says).
decision() {
  jq -cn --arg r "$1" --arg c "$2" --arg a "$3" --argjson s "$4" --arg at "$NOW" \
    --argjson x "${5:-{\}}" \
    '{_table: "bandit_decisions", run_id: $r, campaign_id: $c, arm_id: $a, policy: "thompson",
      share: $s, exploration: ($s < 0.5), cac_capped: false, decided_at: $at, seed: 123456,
      metric: "cvr", trials: 2000, successes: 40, exploration_budget: 0.10, leader: false,
      customer_id: "123-456-7890", ad_group_id: ("ag-" + $c), platform: "google_ads",
      channel: "google_search"} + $x' | bq-load --upsert -q
}

# The usual decision run r1 of campaign c1: ad1 leads with 0.90, ad2 0.06,
# ad3 0.04, ad4 CAC-capped at 0.
decisions_r1() {
  decision r1 c1 ad1 0.90 '{"leader":true}'
  decision r1 c1 ad2 0.06
  decision r1 c1 ad3 0.04
  decision r1 c1 ad4 0 '{"cac_capped":true}'
}

# proposal ID ACTION [ARM [EXTRA_JSON]]: a proposed bandit_change_proposals row of c1 from r1
proposal() {
  jq -cn --arg id "$1" --arg act "$2" --arg arm "${3:-}" --arg at "$NOW" --argjson x "${4:-{\}}" \
    '{_table: "bandit_change_proposals", proposal_id: $id, run_id: "prop-1", decision_run_id: "r1",
      customer_id: "123-456-7890", campaign_id: "c1", ad_group_id: "ag-c1",
      arm_id: (if $arm == "" then null else $arm end), platform: "google_ads",
      channel: "google_search", action: $act, status: "proposed", shadow: true,
      reason: "test", created_at: $at} + $x' | bq-load --upsert -q
}

# weights A1 S1 A2 S2 ...: the notes of a shift_weights proposal
weights() {
  local w='[]'
  while [ $# -gt 0 ]; do
    w="$(jq -cn --argjson w "$w" --arg a "$1" --argjson s "$2" '$w + [{arm_id: $a, current_share: 0.25, proposed_share: $s}]')"
    shift 2
  done
  jq -cn --argjson w "$w" '{notes: {weights: $w, exploration_budget: 0.10, leader: "ad1"}}'
}

approve() { proposal-review approve "$1" --by "${2:-alice}" --kind bandit >/dev/null; }

status_of() { bq-extract --query "SELECT status FROM bandit_change_proposals WHERE proposal_id = @id" --param "id=$1" | jq -r .status; }
events() { bq-extract --query "SELECT * FROM safety_events ORDER BY occurred_at, event_id" | jq -c .; }
event_of() { bq-extract safety_events | jq -c --arg id "$1" 'select(.proposal_id == $id)'; }
nevents() { bq-extract --query "SELECT COUNT(*) AS n FROM safety_events" | jq -r .n; }

@test "approved shift_weights: shadow_applied, one safety event with the rotation" {
  decisions_r1
  proposal sw shift_weights ad1 "$(weights ad1 0.92 ad2 0.05 ad3 0.03 ad4 0)"
  approve sw
  export AELP2_RUN_ID=nightly-1
  run --separate-stderr bandit-apply
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq -e '.proposal_id == "sw" and .campaign_id == "c1" and .action == "shift_weights"
    and .outcome == "shadow_applied" and .guardrail == null and .exit_code == 0
    and (.event_id | startswith("se-"))'
  [[ "$stderr" == *"sw: shadow-applied shift_weights ad1 on c1"* ]]
  bq-extract --query "SELECT status, applied_at, updated_at FROM bandit_change_proposals" |
    jq -e '.status == "shadow_applied" and .applied_at != null and .applied_at == .updated_at'
  run events
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq -e '.allowed == true and .shadow == true and .guardrail == null and .flag == null
    and .event_type == "bandit_apply" and .action == "shift_weights" and .actor == "bandit-apply"
    and .exit_code == 0 and .run_id == "nightly-1" and .proposal_id == "sw"
    and (.approval_id | startswith("apr-")) and .campaign_id == "c1" and .platform == "google_ads"
    and .details.approver == "alice" and .details.request == null and .details.experiment == null
    and (.details.request_note | contains("no per-ad traffic weights"))'
  echo "$output" | jq -e '.details.rotation == {"campaign_id": "c1",
    "weights": {"ad1": 0.92, "ad2": 0.05, "ad3": 0.03, "ad4": 0}}'
  echo "$output" | jq -e '.details.checks | .decision_run_id == "r1" and .latest_decision_run_id == "r1"
    and .leader == "ad1" and .exploration_budget == 0.1 and (.exploration_share - 0.08 | fabs) < 1e-12
    and .available_arms == 4 and (.arms | length) == 4'
}

@test "approved pause_arm on google_ads: exactly the adGroupAds:mutate request" {
  decisions_r1
  proposal pa pause_arm ad3
  approve pa
  run --separate-stderr bandit-apply pa
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(status_of pa)" = shadow_applied ]
  run events
  echo "$output" | jq -e '.allowed == true and .action == "pause_arm" and .ad_id == "ad3"
    and .ad_group_id == "ag-c1" and .customer_id == "123-456-7890" and .details.rotation == null'
  echo "$output" | jq -e '.details.request == {"method": "POST",
    "url": "https://googleads.googleapis.com/v25/customers/1234567890/adGroupAds:mutate",
    "body": {"operations": [{"updateMask": "status",
      "update": {"resourceName": "customers/1234567890/adGroupAds/ag-c1~ad3", "status": "PAUSED"}}],
      "partialFailure": false, "validateOnly": false}}'
}

@test "approved promote_arm: ENABLED request and the decision's rotation; other platforms get a note" {
  decisions_r1
  proposal pr promote_arm ad1
  approve pr
  proposal pm promote_arm ad1 '{"platform":"meta"}'
  approve pm
  run --separate-stderr bandit-apply pr pm
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  event_of pr | jq -e '.details.request.body.operations[0].update.status == "ENABLED"
    and .details.rotation.weights == {"ad1": 0.9, "ad2": 0.06, "ad3": 0.04, "ad4": 0}'
  event_of pm | jq -e '.details.request == null and .details.request_note == "no meta client yet"'
}

@test "an unapproved proposal is refused (77) approval, audited, nothing changed" {
  decisions_r1
  proposal pa pause_arm ad3
  before="$(table_digest bandit_change_proposals)"
  run --separate-stderr bandit-apply pa
  [ "$status" -eq 77 ]
  echo "$output" | jq -e '.outcome == "refused" and .guardrail == "approval" and .exit_code == 77'
  [[ "$stderr" == *"not approved: status proposed"*"--kind bandit"* ]]
  [ "$(status_of pa)" = proposed ]
  [ "$(table_digest bandit_change_proposals)" = "$before" ]
  run events
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq -e '.allowed == false and .guardrail == "approval" and .exit_code == 77
    and .approval_id == null and .proposal_id == "pa"'
  # without ids it is not even attempted
  run --separate-stderr bandit-apply
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$stderr" = "bandit-apply: nothing approved to apply" ]
  [ "$(nevents)" -eq 1 ]
}

@test "a rejected proposal, or approved without an approval row, is refused (77)" {
  decisions_r1
  proposal pr pause_arm ad3
  proposal-review reject pr --by bob --reason 'too early' --kind bandit >/dev/null
  proposal pn pause_arm ad2 '{"status":"approved"}'
  for id in pr pn; do
    run --separate-stderr bandit-apply "$id"
    [ "$status" -eq 77 ]
    echo "$output" | jq -e '.guardrail == "approval"'
  done
  [[ "$stderr" == *"no approval row in bandit_change_approvals"* ]]
  [ "$(status_of pr)" = rejected ]
  [ "$(status_of pn)" = approved ]
}

@test "a second application is refused (1) already_applied; the same id twice in one run too" {
  decisions_r1
  proposal pa pause_arm ad3
  approve pa
  run --separate-stderr bandit-apply pa
  [ "$status" -eq 0 ]
  before="$(table_digest bandit_change_proposals)"
  run --separate-stderr bandit-apply pa
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "already_applied" and .exit_code == 1'
  [ "$(table_digest bandit_change_proposals)" = "$before" ]
  [ "$(nevents)" -eq 2 ]
  proposal pb pause_arm ad2
  approve pb
  run --separate-stderr bandit-apply pb pb
  [ "$status" -eq 1 ]
  [ "$(echo "$output" | jq -r '.outcome + "/" + (.guardrail // "")' | paste -sd' ')" = "shadow_applied/ refused/already_applied" ]
}

@test "a newer decision run is what the constraints are checked against: an arm gone from it is stale (1)" {
  decisions_r1
  NOW="$(date -u -d '+1 second' +%FT%TZ)" decision r2 c1 ad1 0.95 '{"leader":true}'
  proposal pa pause_arm ad3
  approve pa
  run --separate-stderr bandit-apply
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "stale_decision" and .exit_code == 1'
  [[ "$stderr" == *"arm ad3 is not in decision run r2"* ]]
  [ "$(status_of pa)" = refused ]
  bq-extract bandit_change_proposals | jq -e '.updated_at != null and .applied_at == null'
  event_of pa | jq -e '.details.checks.latest_decision_run_id == "r2" and .allowed == false'
  # refused once, it stays refused
  run --separate-stderr bandit-apply pa
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "already_refused"'
}

@test "a newer decision run that still has the arm lets the proposal apply; its leader and caps decide" {
  decisions_r1
  NOW="$(date -u -d '+1 second' +%FT%TZ)" decision r2 c1 ad1 0.95 '{"leader":true}'
  NOW="$(date -u -d '+1 second' +%FT%TZ)" decision r2 c1 ad3 0.05
  proposal pa pause_arm ad3
  approve pa
  run --separate-stderr bandit-apply
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(status_of pa)" = shadow_applied ]
  event_of pa | jq -e '.details.checks.latest_decision_run_id == "r2" and .allowed == true'
  # in r2 ad3 leads: pausing it now is refused, whatever r1 said
  NOW="$(date -u -d '+2 second' +%FT%TZ)" decision r3 c1 ad1 0.05
  NOW="$(date -u -d '+2 second' +%FT%TZ)" decision r3 c1 ad2 0.95 '{"leader":true}'
  proposal pb pause_arm ad2
  approve pb
  run --separate-stderr bandit-apply pb
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "last_arm"'
  [[ "$stderr" == *"leader of decision run r3"* ]]
}

@test "stale: a decision older than --max-age refuses (1)" {
  NOW="$(date -u -d '3 hours ago' +%FT%TZ)" decisions_r1
  proposal pa pause_arm ad3
  approve pa
  proposal pb pause_arm ad2
  approve pb
  run --separate-stderr bandit-apply --max-age 2h pa
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "stale_decision"'
  [[ "$stderr" == *"older than --max-age (2.0 h)"* ]]
  run --separate-stderr bandit-apply --max-age 4h pb
  [ "$status" -eq 0 ]
}

@test "exploration budget broken (1): non-leader weights over the budget, or not summing to 1" {
  decisions_r1
  proposal over shift_weights ad1 "$(weights ad1 0.89 ad2 0.06 ad3 0.05 ad4 0)"
  approve over
  proposal sum shift_weights ad1 "$(weights ad1 0.90 ad2 0.06 ad3 0.05 ad4 0)"
  approve sum
  proposal edge shift_weights ad1 "$(weights ad1 0.90 ad2 0.06 ad3 0.04 ad4 0)"
  approve edge
  run --separate-stderr bandit-apply over sum edge
  [ "$status" -eq 1 ]
  echo "${lines[0]}" | jq -e '.guardrail == "exploration_budget" and .exit_code == 1'
  echo "${lines[1]}" | jq -e '.guardrail == "exploration_budget"'
  echo "${lines[2]}" | jq -e '.outcome == "shadow_applied"'
  [[ "$stderr" == *"the arms other than the leader ad1 0.11, over the exploration budget 0.1"* ]]
  [[ "$stderr" == *"sum to 1.01, not 1"* ]]
  [ "$(status_of over)" = refused ]
  [ "$(status_of sum)" = refused ]
  event_of over | jq -e '.details.rotation.weights.ad3 == 0.05 and .details.checks.exploration_budget == 0.1'
}

@test "a CAC-capped arm given weight is refused (1) cac_cap; promoting it too" {
  decisions_r1
  proposal cw shift_weights ad1 "$(weights ad1 0.90 ad2 0.06 ad3 0.03 ad4 0.01)"
  approve cw
  proposal cp promote_arm ad4
  approve cp
  run --separate-stderr bandit-apply cw cp
  [ "$status" -eq 1 ]
  echo "${lines[0]}" | jq -e '.guardrail == "cac_cap" and .exit_code == 1'
  echo "${lines[1]}" | jq -e '.guardrail == "cac_cap"'
  [[ "$stderr" == *"arm ad4 is CAC-capped in decision run r1 but would get 0.01"* ]]
  [ "$(status_of cw)" = refused ]
  [ "$(status_of cp)" = refused ]
}

@test "pausing the leader, or the last available arm, is refused (1) last_arm" {
  decisions_r1
  proposal pl pause_arm ad1
  approve pl
  run --separate-stderr bandit-apply pl
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "last_arm" and .exit_code == 1'
  [[ "$stderr" == *"arm ad1 is the leader of decision run r1"* ]]
  [ "$(status_of pl)" = refused ]
  # a campaign without a marked leader (the largest share leads): pause one, then the last
  decision r1 c2 x1 0.5
  decision r1 c2 x2 0.5
  proposal q1 pause_arm x1 '{"campaign_id":"c2"}'
  approve q1
  proposal q2 pause_arm x2 '{"campaign_id":"c2"}'
  approve q2
  run --separate-stderr bandit-apply q2 q1
  [ "$status" -eq 1 ]
  echo "${lines[0]}" | jq -e '.outcome == "shadow_applied"'
  echo "${lines[1]}" | jq -e '.guardrail == "last_arm"'
  [[ "$stderr" == *"arm x1 is the leader"* ]]
  # the leader y1 was paused already (a shadow-applied pause from before): y2 is the last arm
  decision r1 c3 y1 0.9 '{"leader":true}'
  decision r1 c3 y2 0.1
  proposal old pause_arm y1 '{"campaign_id":"c3","decision_run_id":"r0","status":"shadow_applied"}'
  proposal y pause_arm y2 '{"campaign_id":"c3"}'
  approve y
  run --separate-stderr bandit-apply y
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "last_arm"'
  [[ "$stderr" == *"arm y2 is the campaign's last available arm"* ]]
  event_of y | jq -e '.details.checks.available_arms == 1 and ([.details.checks.arms[] | select(.paused)] | length) == 1'
}

@test "--live without AELP2_ALLOW_BANDIT_MUTATIONS=1 is refused (77): the flag named, still approved" {
  decisions_r1
  proposal pa pause_arm ad3
  approve pa
  before="$(table_digest bandit_change_proposals)"
  AELP2_ALLOW_BANDIT_MUTATIONS=yes run --separate-stderr bandit-apply --live --actor alice
  [ "$status" -eq 77 ]
  echo "$output" | jq -e '.outcome == "refused" and .guardrail == "flag" and .exit_code == 77'
  [[ "$stderr" == *"AELP2_ALLOW_BANDIT_MUTATIONS=1"* ]]
  [ "$(status_of pa)" = approved ]
  [ "$(table_digest bandit_change_proposals)" = "$before" ]
  events | jq -e '.allowed == false and .shadow == false and .flag == "AELP2_ALLOW_BANDIT_MUTATIONS"
    and .guardrail == "flag" and .actor == "alice" and .exit_code == 77'
}

@test "--live with the flag: the checks pass, the client is not built (77); status stays approved" {
  decisions_r1
  proposal pa pause_arm ad3
  approve pa
  before="$(table_digest bandit_change_proposals)"
  AELP2_ALLOW_BANDIT_MUTATIONS=1 run --separate-stderr bandit-apply --live pa
  [ "$status" -eq 77 ]
  echo "$output" | jq -e '.guardrail == "client" and .exit_code == 77'
  [[ "$stderr" == *"the ad-platform clients are not built yet"*"nothing was sent"* ]]
  [ "$(status_of pa)" = approved ]
  [ "$(table_digest bandit_change_proposals)" = "$before" ]
  event_of pa | jq -e '.flag == "AELP2_ALLOW_BANDIT_MUTATIONS" and .shadow == false and .allowed == false
    and .details.request.body.operations[0].update.status == "PAUSED"'
  # a guardrail still refuses first, and marks the proposal
  proposal pl pause_arm ad1
  approve pl
  AELP2_ALLOW_BANDIT_MUTATIONS=1 run --separate-stderr bandit-apply --live pl
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "last_arm"'
}

@test "an unknown id is bad input (65), audited without a campaign; 77 outranks it" {
  run --separate-stderr bandit-apply no:such
  [ "$status" -eq 65 ]
  echo "$output" | jq -e '.proposal_id == "no:such" and .campaign_id == null and .action == null
    and .guardrail == "proposal" and .exit_code == 65'
  events | jq -e '.allowed == false and .guardrail == "proposal" and .proposal_id == "no:such"
    and .exit_code == 65 and .details.request == null and .details.checks == null'
  decisions_r1
  proposal pl pause_arm ad1
  approve pl
  proposal pu pause_arm ad3
  run --separate-stderr bandit-apply pl no:such
  [ "$status" -eq 65 ]
  run --separate-stderr bandit-apply no:such pu
  [ "$status" -eq 77 ]
  [ "$(nevents)" -eq 5 ]
}

@test "a malformed proposal is bad input (65): weights that are not an array, unknown action" {
  decisions_r1
  proposal bw shift_weights ad1 '{"notes":{"weights":"lots"},"status":"approved"}'
  proposal ba frobnicate ad1 '{"status":"approved"}'
  run --separate-stderr bandit-apply bw ba
  [ "$status" -eq 65 ]
  echo "${lines[0]}" | jq -e '.guardrail == "proposal"'
  [[ "$stderr" == *"notes.weights is not an array of weights"* ]]
  [[ "$stderr" == *"unknown action 'frobnicate'"* ]]
  [ "$(status_of bw)" = approved ]
}

@test "seed_experiment: shadow_applied with details.experiment; ab_experiments untouched" {
  decisions_r1
  jq -cn --arg at "$NOW" '{_table: "ab_experiments", experiment_id: "exp-r1:c1", run_id: "prop-1",
    name: "c1: ad2, ad3 vs ad1", hypothesis: "fresh creatives beat the leader by 20%",
    platform: "google_ads", channel: "google_search", campaign_id: "c1",
    arms: [{arm_id: "ad1", role: "control", traffic_split: 0.9},
           {arm_id: "ad2", role: "treatment", traffic_split: 0.05},
           {arm_id: "ad3", role: "treatment", traffic_split: 0.05}],
    control_arm: "ad1", primary_metric: "cvr", baseline_rate: 0.02, mde: 0.2, alpha: 0.05,
    power: 0.8, min_sample_size: 21000, status: "proposed", start_date: "2026-12-01",
    created_at: $at, notes: {expected_days: 12}}' | bq-load --upsert -q
  proposal se seed_experiment ad1 '{"experiment_id":"exp-r1:c1"}'
  approve se
  before="$(table_digest ab_experiments)"
  run --separate-stderr bandit-apply se
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(status_of se)" = shadow_applied ]
  [ "$(table_digest ab_experiments)" = "$before" ]
  event_of se | jq -e '.allowed == true and .action == "seed_experiment" and .details.request == null
    and .details.experiment.experiment_id == "exp-r1:c1" and .details.experiment.control_arm == "ad1"
    and .details.experiment.min_sample_size == 21000 and .details.experiment.status == "proposed"
    and (.details.experiment.arms | length) == 3 and .details.rotation == null'
}

@test "an experiment whose treatments break the exploration budget is refused (1)" {
  decisions_r1
  jq -cn --arg at "$NOW" '{_table: "ab_experiments", experiment_id: "exp-big", campaign_id: "c1",
    arms: [{arm_id: "ad1", role: "control", traffic_split: 0.8},
           {arm_id: "ad2", role: "treatment", traffic_split: 0.2}],
    control_arm: "ad1", status: "proposed", created_at: $at}' | bq-load --upsert -q
  proposal se seed_experiment ad1 '{"experiment_id":"exp-big"}'
  approve se
  run --separate-stderr bandit-apply se
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "exploration_budget"'
  [[ "$stderr" == *"the experiment's traffic splits give the arms other than the leader ad1 0.2"* ]]
}

@test "a credential-looking environment value never reaches safety_events" {
  decisions_r1
  proposal pa pause_arm ad3
  approve pa
  proposal pn pause_arm ad2
  AELP2_ALLOW_BANDIT_MUTATIONS=1 run --separate-stderr bandit-apply --live pa pn
  run --separate-stderr bandit-apply pa no:such
  [ "$(nevents)" -eq 4 ]
  ! bq-extract safety_events | grep -q -e secret-xyz -e refresh-secret-456
  ! bq-extract bandit_change_proposals | grep -q -e secret-xyz -e refresh-secret-456
}

@test "two runs at once: the proposal is applied once, the other run refuses it" {
  decisions_r1
  proposal pa pause_arm ad3
  approve pa
  bandit-apply -q pa > "$BATS_TEST_TMPDIR/a" & a=$!
  bandit-apply -q pa > "$BATS_TEST_TMPDIR/b" & b=$!
  wait "$a" || true
  wait "$b" || true
  [ "$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | jq -r '.outcome + "/" + (.guardrail // "")' | sort | paste -sd' ')" = "refused/already_applied shadow_applied/" ]
  [ "$(nevents)" -eq 2 ]
}

@test "re-run with nothing approved: 0, nothing written; oldest approved first" {
  decisions_r1
  # approving needs a young proposal: approve, then age them
  proposal p2 pause_arm ad2; approve p2
  proposal p1 pause_arm ad3; approve p1
  for p in p1:2020-01-01 p2:2020-01-02; do
    bq-extract --query "SELECT * FROM bandit_change_proposals WHERE proposal_id = @id" --param "id=${p%%:*}" |
      jq -c --arg d "${p#*:}T00:00:00Z" '. + {_table: "bandit_change_proposals", created_at: $d}' | bq-load --upsert -q
  done
  run --separate-stderr bandit-apply -q
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .proposal_id | paste -sd' ')" = "p1 p2" ]
  before="$(table_digest safety_events)"
  run --separate-stderr bandit-apply
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$stderr" = "bandit-apply: nothing approved to apply" ]
  [ "$(table_digest safety_events)" = "$before" ]
}

@test "inside a flow: the step report counts attempts, rows and outcomes" {
  decisions_r1
  proposal pa pause_arm ad3
  approve pa
  proposal pl pause_arm ad1
  approve pl
  export AELP2_STEP_REPORT="$BATS_TEST_TMPDIR/report"
  run --separate-stderr bandit-apply -q
  [ "$status" -eq 1 ]
  jq -e '.program == "bandit-apply" and .rows_in == 2 and .rows_out == 4
    and .details == {"applied": 1, "refused": 1}' "$AELP2_STEP_REPORT"
}

@test "usage errors (2) and --help teaches every check" {
  run --separate-stderr bandit-apply --max-age 0
  [ "$status" -eq 2 ]
  run --separate-stderr bandit-apply --max-age soon
  [ "$status" -eq 2 ]
  run --separate-stderr bandit-apply --actor ''
  [ "$status" -eq 2 ]
  run --separate-stderr bandit-apply --help
  [ "$status" -eq 0 ]
  for w in proposal approval already_applied already_refused flag stale_decision exploration_budget \
           cac_cap last_arm client AELP2_ALLOW_BANDIT_MUTATIONS AELP2_RUN_ID adGroupAds:mutate \
           rotation "proposal-review approve" "Exit status"; do
    [[ "$output" == *"$w"* ]] || { echo "missing $w"; false; }
  done
}
