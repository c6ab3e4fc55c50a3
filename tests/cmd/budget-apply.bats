#!/usr/bin/env bats
# budget-apply: approved proposals applied in shadow under the guardrails,
# every attempt in safety_events, refusals that change no budget.

load ../helpers

# A run must not straddle UTC midnight (the daily cap counts one UTC day):
# before each test, wait out the last seconds of a day.
eval "helpers_$(declare -f setup)"
setup() {
  helpers_setup
  local s
  s=$(( 86400 - $(date -u +%s) % 86400 ))
  [ "$s" -gt 30 ] || sleep "$((s + 1))"
  export GOOGLE_ADS_DEVELOPER_TOKEN=secret123 GOOGLE_ADS_REFRESH_TOKEN=refresh-secret-456
  unset AELP2_ALLOW_GOOGLE_MUTATIONS AELP2_RUN_ID
  bq-ensure -q >/dev/null
  NOW="$(date -u +%FT%TZ)"
  TODAY="$(date -u +%F)"
}

# snapshot CAMPAIGN BUDGET_MICROS [DATE [CAPTURED_AT]]
snapshot() {
  printf '{"_table":"canary_budgets_snapshot","snapshot_date":"%s","campaign_id":"%s","customer_id":"123-456-7890","budget_id":"b-%s","platform":"google_ads","daily_budget_micros":%s,"captured_at":"%s"}\n' \
    "${3:-$TODAY}" "$1" "$1" "$2" "${4:-$NOW}" | bq-load --upsert -q
}

# change ID CAMPAIGN CURRENT PROPOSED STATUS [CREATED_AT [EXTRA_JSON]]
change() {
  jq -cn --arg id "$1" --arg c "$2" --argjson cur "$3" --argjson prop "$4" --arg st "$5" \
    --arg at "${6:-$NOW}" --argjson x "${7:-{\}}" \
    '{_table: "canary_changes", change_id: $id, run_id: "prop-1", customer_id: "123-456-7890",
      campaign_id: $c, budget_id: ("b-" + $c), platform: "google_ads", channel: "search",
      current_daily_budget: $cur, proposed_daily_budget: $prop,
      change_pct: (($prop - $cur) / $cur * 100), direction: (if $prop >= $cur then "up" else "down" end),
      status: $st, shadow: true, created_at: $at} + $x' | bq-load --upsert -q
}

# decide ID DECISION [APPROVER]
decide() {
  printf '{"_table":"canary_change_approvals","approval_id":"ap-%s-%s","change_id":"%s","decision":"%s","approver":"%s","decided_at":"%s"}\n' \
    "$1" "$2" "$1" "$2" "${3:-alice}" "$NOW" | bq-load --upsert -q
}

status_of() { bq-extract --query "SELECT status FROM canary_changes WHERE change_id = @id" --param "id=$1" | jq -r .status; }
events() { bq-extract --query "SELECT * FROM safety_events ORDER BY occurred_at, event_id" | jq -c .; }
event_of() { bq-extract safety_events | jq -c --arg id "$1" 'select(.proposal_id == $id)'; }
nevents() { bq-extract --query "SELECT COUNT(*) AS n FROM safety_events" | jq -r .n; }

@test "shadow apply of an approved proposal: shadow_applied, the request recorded, one stdout line" {
  snapshot c1 100000000
  change 'p:c1' c1 100 105 approved
  decide 'p:c1' approved alice
  export AELP2_RUN_ID=nightly-2026-11-30
  run --separate-stderr budget-apply
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq -e '.change_id == "p:c1" and .campaign_id == "c1" and .outcome == "shadow_applied"
    and .guardrail == null and .exit_code == 0 and (.event_id | startswith("se-"))'
  [[ "$stderr" == *"p:c1: shadow-applied 100.00 -> 105.00 on c1"* ]]
  run bq-extract --query "SELECT status, applied_at, updated_at, shadow, current_daily_budget, run_id FROM canary_changes"
  echo "$output" | jq -e '.status == "shadow_applied" and .applied_at != null and .applied_at == .updated_at
    and .shadow == true and .current_daily_budget == 100 and .run_id == "prop-1"'
  run events
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq -e '.allowed == true and .shadow == true and .guardrail == null and .flag == null
    and .exit_code == 0 and .event_type == "budget_apply" and .action == "update_budget"
    and .actor == "budget-apply" and .run_id == "nightly-2026-11-30" and .proposal_id == "p:c1"
    and .approval_id == "ap-p:c1-approved" and .campaign_id == "c1" and .customer_id == "123-456-7890"
    and .budget_id == "b-c1" and .platform == "google_ads" and .details.approver == "alice"'
  echo "$output" | jq -e '.details.request == {"method": "POST",
    "url": "https://googleads.googleapis.com/v25/customers/1234567890/campaignBudgets:mutate",
    "body": {"operations": [{"updateMask": "amountMicros",
      "update": {"resourceName": "customers/1234567890/campaignBudgets/b-c1", "amountMicros": "105000000"}}],
      "partialFailure": false, "validateOnly": false}}'
  echo "$output" | jq -e '.details.checks | .current_daily_budget == 100 and .latest_daily_budget == 100
    and .proposed_daily_budget == 105 and .change_pct == 5 and .max_change_pct == 5
    and .applied_today == 0 and .day_start_budget == 100 and .daily_cap_pct == 10 and .min_daily_budget == 1'
  # the snapshot is the platform's reading: budget-apply never writes it
  [ "$(bq-extract canary_budgets_snapshot | jq -r .daily_budget_micros)" = 100000000 ]
  # no credential from the environment lands anywhere
  ! bq-extract safety_events | grep -q -e secret123 -e refresh-secret-456
  ! bq-extract canary_changes | grep -q -e secret123 -e refresh-secret-456
}

@test "without ids: every approved proposal, oldest first; others are left alone" {
  snapshot c1 100000000
  snapshot c2 50000000
  snapshot c3 20000000
  change 'p:c2' c2 50 52.5 approved 2026-11-29T10:00:00Z
  change 'p:c1' c1 100 95 approved 2026-11-29T09:00:00Z
  change 'p:c3' c3 20 21 proposed 2026-11-29T08:00:00Z
  decide 'p:c1' approved
  decide 'p:c2' approved
  run --separate-stderr budget-apply -q
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "$(echo "$output" | jq -r .change_id | paste -sd' ')" = "p:c1 p:c2" ]
  [ "$(status_of p:c1)" = shadow_applied ]
  [ "$(status_of p:c2)" = shadow_applied ]
  [ "$(status_of p:c3)" = proposed ]
  [ "$(nevents)" -eq 2 ]
  event_of 'p:c1' | jq -e '.details.request.body.operations[0].update.amountMicros == "95000000"'
}

@test "an unapproved proposal is refused (77): the event says approval, nothing changes" {
  snapshot c1 100000000
  change 'p:c1' c1 100 104 proposed
  before="$(table_digest canary_budgets_snapshot)"
  cbefore="$(table_digest canary_changes)"
  run --separate-stderr budget-apply 'p:c1'
  [ "$status" -eq 77 ]
  echo "$output" | jq -e '.outcome == "refused" and .guardrail == "approval" and .exit_code == 77'
  [[ "$stderr" == *"not approved: status proposed"*"proposal-review approve ID --by NAME"* ]]
  [ "$(status_of p:c1)" = proposed ]
  [ "$(table_digest canary_changes)" = "$cbefore" ]
  [ "$(table_digest canary_budgets_snapshot)" = "$before" ]
  run events
  echo "$output" | jq -e '.allowed == false and .guardrail == "approval" and .exit_code == 77
    and .approval_id == null and .proposal_id == "p:c1" and .shadow == true'
  # without ids it is not even attempted
  run --separate-stderr budget-apply
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$stderr" = "budget-apply: nothing approved to apply" ]
  [ "$(nevents)" -eq 1 ]
}

@test "a rejected or expired proposal, or approved without an approval row, is refused (77)" {
  snapshot c1 100000000
  change 'p:r' c1 100 104 rejected
  decide 'p:r' rejected bob
  change 'p:e' c1 100 104 expired
  change 'p:n' c1 100 104 approved
  before="$(table_digest canary_budgets_snapshot)"
  for id in p:r p:e p:n; do
    run --separate-stderr budget-apply "$id"
    [ "$status" -eq 77 ]
    echo "$output" | jq -e '.guardrail == "approval"'
  done
  [[ "$stderr" == *"no approval row"* ]]
  [ "$(status_of p:r)" = rejected ]
  [ "$(status_of p:e)" = expired ]
  [ "$(status_of p:n)" = approved ]
  [ "$(table_digest canary_budgets_snapshot)" = "$before" ]
  [ "$(bq-extract safety_events | jq -r 'select(.allowed == false and .guardrail == "approval") | .proposal_id' | sort | paste -sd' ')" = "p:e p:n p:r" ]
}

@test "a stale proposal (the budget moved since it was made) is refused (1) and marked refused" {
  snapshot c1 100000000 "$(date -u -d "30 days ago" +%F)" 2026-01-01T06:00:00Z
  snapshot c1 120000000            # the newest snapshot: the budget is 120.00 now
  change 'p:c1' c1 100 104 approved
  decide 'p:c1' approved
  before="$(table_digest canary_budgets_snapshot)"
  run --separate-stderr budget-apply
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.outcome == "refused" and .guardrail == "stale_budget" and .exit_code == 1'
  [[ "$stderr" == *"budget of 100.00, the latest budget is 120.00"* ]]
  [ "$(status_of p:c1)" = refused ]
  bq-extract --query "SELECT updated_at, applied_at FROM canary_changes" | jq -e '.updated_at != null and .applied_at == null'
  [ "$(table_digest canary_budgets_snapshot)" = "$before" ]
  run events
  echo "$output" | jq -e '.allowed == false and .guardrail == "stale_budget" and .exit_code == 1
    and .details.checks.latest_daily_budget == 120 and .approval_id == "ap-p:c1-approved"'
  # refused once, it stays refused
  run --separate-stderr budget-apply 'p:c1'
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "already_refused"'
}

@test "no snapshot of the campaign is stale too" {
  change 'p:c1' c1 100 104 approved
  decide 'p:c1' approved
  run --separate-stderr budget-apply
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "stale_budget"'
  [[ "$stderr" == *"no budget snapshot"* ]]
  bq-extract safety_events | jq -e '.details.checks.latest_daily_budget == null'
}

@test "a second application of the same proposal is refused (1) and audited" {
  snapshot c1 100000000
  change 'p:c1' c1 100 105 approved
  decide 'p:c1' approved
  run --separate-stderr budget-apply 'p:c1'
  [ "$status" -eq 0 ]
  applied_at="$(bq-extract canary_changes | jq -r .applied_at)"
  before="$(table_digest canary_budgets_snapshot)"
  cbefore="$(table_digest canary_changes)"
  run --separate-stderr budget-apply 'p:c1'
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "already_applied" and .exit_code == 1'
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM canary_changes WHERE status = 'shadow_applied'" | jq -r .n)" -eq 1 ]
  [ "$(bq-extract canary_changes | jq -r .applied_at)" = "$applied_at" ]
  [ "$(table_digest canary_changes)" = "$cbefore" ]
  [ "$(table_digest canary_budgets_snapshot)" = "$before" ]
  [ "$(nevents)" -eq 2 ]
  events | tail -n 1 | jq -e '.allowed == false and .guardrail == "already_applied"'
  # the same id twice in one run: the second sees the first
  change 'p:c2' c2 50 51 approved
  decide 'p:c2' approved
  snapshot c2 50000000
  run --separate-stderr budget-apply 'p:c2' 'p:c2'
  [ "$status" -eq 1 ]
  [ "$(echo "$output" | jq -r '.outcome' | paste -sd' ')" = "shadow_applied refused" ]
}

@test "a change over 5% is refused (1) max_change_pct; exactly 5% down passes" {
  snapshot c1 100000000
  snapshot c2 100000000
  change 'p:c1' c1 100 105.01 approved
  change 'p:c2' c2 100 95 approved
  decide 'p:c1' approved
  decide 'p:c2' approved
  before="$(table_digest canary_budgets_snapshot)"
  run --separate-stderr budget-apply 'p:c1' 'p:c2'
  [ "$status" -eq 1 ]
  echo "${lines[0]}" | jq -e '.guardrail == "max_change_pct" and .exit_code == 1'
  echo "${lines[1]}" | jq -e '.outcome == "shadow_applied"'
  [[ "$stderr" == *"change of 5.01 (5.01%) from 100.00 is over the 5% cap"* ]]
  [ "$(status_of p:c1)" = refused ]
  [ "$(status_of p:c2)" = shadow_applied ]
  [ "$(table_digest canary_budgets_snapshot)" = "$before" ]
  event_of 'p:c1' | jq -e '.guardrail == "max_change_pct" and .details.checks.change_pct == 5.01'
}

@test "two +5% changes of one campaign the same day: the second hits the daily cap (1)" {
  snapshot c1 100000000
  change 'p:1' c1 100 105 approved 2026-11-29T09:00:00Z
  change 'p:2' c1 105 110.25 approved 2026-11-29T10:00:00Z
  decide 'p:1' approved
  decide 'p:2' approved
  before="$(table_digest canary_budgets_snapshot)"
  run --separate-stderr budget-apply
  [ "$status" -eq 1 ]
  echo "${lines[0]}" | jq -e '.change_id == "p:1" and .outcome == "shadow_applied"'
  echo "${lines[1]}" | jq -e '.change_id == "p:2" and .guardrail == "daily_change_cap" and .exit_code == 1'
  [[ "$stderr" == *"today's changes would reach 10.25: 5.00 applied already + 5.25, over the 10% cap of the day's start budget 100.00"* ]]
  [ "$(status_of p:1)" = shadow_applied ]
  [ "$(status_of p:2)" = refused ]
  [ "$(table_digest canary_budgets_snapshot)" = "$before" ]
  event_of 'p:2' | jq -e '.details.checks
    | .applied_today == 5 and .day_start_budget == 100 and .latest_daily_budget == 105 and .current_daily_budget == 105'
  # a later run sees the same day: a small step that fits is still allowed
  change 'p:3' c1 105 109.99 approved
  decide 'p:3' approved
  run --separate-stderr budget-apply 'p:3'
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.outcome == "shadow_applied"'
}

@test "the floor: below --min-daily-budget is refused (1)" {
  snapshot c1 1020000
  change 'p:c1' c1 1.02 0.99 approved
  decide 'p:c1' approved
  snapshot c2 10000000
  change 'p:c2' c2 10 9.6 approved
  decide 'p:c2' approved
  before="$(table_digest canary_budgets_snapshot)"
  run --separate-stderr budget-apply 'p:c1'
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "min_daily_budget"'
  [[ "$stderr" == *"proposed 0.99 is below the floor of 1.00"* ]]
  run --separate-stderr budget-apply --min-daily-budget 9.75 'p:c2'
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "min_daily_budget"'
  [ "$(status_of p:c1)" = refused ]
  [ "$(status_of p:c2)" = refused ]
  [ "$(table_digest canary_budgets_snapshot)" = "$before" ]
  event_of 'p:c2' | jq -e '.details.checks.min_daily_budget == 9.75'
}

@test "--live without AELP2_ALLOW_GOOGLE_MUTATIONS=1 is not permitted (77): the flag named, still approved" {
  snapshot c1 100000000
  change 'p:c1' c1 100 104 approved
  decide 'p:c1' approved
  before="$(table_digest canary_budgets_snapshot)"
  cbefore="$(table_digest canary_changes)"
  AELP2_ALLOW_GOOGLE_MUTATIONS=true run --separate-stderr budget-apply --live --actor alice
  [ "$status" -eq 77 ]
  echo "$output" | jq -e '.outcome == "refused" and .guardrail == null and .exit_code == 77'
  [[ "$stderr" == *"AELP2_ALLOW_GOOGLE_MUTATIONS=1"* ]]
  [ "$(status_of p:c1)" = approved ]
  [ "$(table_digest canary_changes)" = "$cbefore" ]
  [ "$(table_digest canary_budgets_snapshot)" = "$before" ]
  events | jq -e '.allowed == false and .shadow == false and .flag == "AELP2_ALLOW_GOOGLE_MUTATIONS"
    and .guardrail == null and .actor == "alice" and .exit_code == 77'
}

@test "--live with the flag: every guardrail passes, but the client is not built (77); nothing applied" {
  snapshot c1 100000000
  change 'p:c1' c1 100 104 approved
  decide 'p:c1' approved
  change 'p:m' c9 100 104 approved '' '{"platform":"meta"}'
  decide 'p:m' approved
  snapshot c9 100000000
  before="$(table_digest canary_budgets_snapshot)"
  cbefore="$(table_digest canary_changes)"
  AELP2_ALLOW_GOOGLE_MUTATIONS=1 run --separate-stderr budget-apply --live 'p:c1' 'p:m'
  [ "$status" -eq 77 ]
  echo "${lines[0]}" | jq -e '.guardrail == "client" and .exit_code == 77'
  [[ "$stderr" == *"the Google Ads client is not built yet (a later issue adds it); nothing was sent"* ]]
  [[ "$stderr" == *"live budget changes on meta are not built"* ]]
  [ "$(status_of p:c1)" = approved ]
  [ "$(table_digest canary_changes)" = "$cbefore" ]
  [ "$(table_digest canary_budgets_snapshot)" = "$before" ]
  event_of 'p:c1' | jq -e '.flag == "AELP2_ALLOW_GOOGLE_MUTATIONS"
    and .shadow == false and .allowed == false and .details.request.body.operations[0].update.amountMicros == "104000000"'
  # a guardrail still refuses first, and marks the proposal
  change 'p:big' c1 100 110 approved
  decide 'p:big' approved
  AELP2_ALLOW_GOOGLE_MUTATIONS=1 run --separate-stderr budget-apply --live 'p:big'
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "max_change_pct"'
  ! bq-extract safety_events | grep -q secret123
}

@test "an unknown id is bad input (65), audited without a campaign" {
  run --separate-stderr budget-apply 'no:such'
  [ "$status" -eq 65 ]
  echo "$output" | jq -e '.change_id == "no:such" and .campaign_id == null and .guardrail == "proposal" and .exit_code == 65'
  events | jq -e '.allowed == false and .guardrail == "proposal" and .campaign_id == null
    and .proposal_id == "no:such" and .exit_code == 65 and .details.request == null'
}

@test "exit codes of a mixed run: 77 before 65 before 1; every attempt is recorded" {
  snapshot c1 100000000
  change 'p:big' c1 100 120 approved
  decide 'p:big' approved
  change 'p:prop' c1 100 101 proposed
  run --separate-stderr budget-apply 'p:big' 'no:such'
  [ "$status" -eq 65 ]
  change 'p:big2' c1 100 120 approved
  decide 'p:big2' approved
  run --separate-stderr budget-apply 'p:big2' 'no:such' 'p:prop'
  [ "$status" -eq 77 ]
  [ "${#lines[@]}" -eq 3 ]
  [ "$(nevents)" -eq 5 ]
}

@test "a proposal without a budget id cannot name its target (1): request null" {
  snapshot c1 100000000
  change 'p:c1' c1 100 104 approved '' '{"budget_id":null}'
  decide 'p:c1' approved
  run --separate-stderr budget-apply
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "target"'
  [ "$(status_of p:c1)" = refused ]
  events | jq -e '.details.request == null and .guardrail == "target"'
}

@test "a change applied after the snapshot is the latest budget" {
  snapshot c1 100000000 "$TODAY" 2026-01-01T00:00:00Z
  change 'p:old' c1 100 97 shadow_applied 2026-01-01T01:00:00Z '{"applied_at":"2026-01-01T02:00:00Z"}'
  # against the snapshot's 100.00: stale, 97.00 was applied since
  change 'p:s' c1 100 101 approved
  decide 'p:s' approved
  run --separate-stderr budget-apply 'p:s'
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "stale_budget"'
  [[ "$stderr" == *"budget of 100.00, the latest budget is 97.00"* ]]
  change 'p:new' c1 97 100 approved
  decide 'p:new' approved
  run --separate-stderr budget-apply
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.change_id == "p:new" and .outcome == "shadow_applied"'
  # the earlier change was on another day: today's cap starts from 97.00
  event_of 'p:new' | jq -e '.details.checks.applied_today == 0 and .details.checks.day_start_budget == 97'
  # and now 100.00 is the latest
  change 'p:x' c1 97 98 approved
  decide 'p:x' approved
  run --separate-stderr budget-apply 'p:x'
  [ "$status" -eq 1 ]
  echo "$output" | jq -e '.guardrail == "stale_budget"'
  # a snapshot captured after that (someone set 120.00 by hand) is the latest again
  snapshot c1 120000000 "$TODAY" "$(date -u +%FT%T.%6NZ)"
  change 'p:y' c1 100 102 approved
  decide 'p:y' approved
  run --separate-stderr budget-apply 'p:y'
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"budget of 100.00, the latest budget is 120.00"* ]]
}

@test "usage errors (2) and --help" {
  run --separate-stderr budget-apply --min-daily-budget -1
  [ "$status" -eq 2 ]
  run --separate-stderr budget-apply --min-daily-budget abc
  [ "$status" -eq 2 ]
  run --separate-stderr budget-apply --actor ''
  [ "$status" -eq 2 ]
  run --separate-stderr budget-apply --help
  [ "$status" -eq 0 ]
  for w in stale_budget max_change_pct min_daily_budget daily_change_cap already_applied \
           AELP2_ALLOW_GOOGLE_MUTATIONS AELP2_RUN_ID campaignBudgets:mutate "proposal-review approve" "Exit status"; do
    [[ "$output" == *"$w"* ]] || { echo "missing $w"; false; }
  done
}

@test "inside a flow: the step report counts attempts, rows and outcomes" {
  snapshot c1 100000000
  change 'p:1' c1 100 104 approved
  change 'p:2' c1 104 120 approved '' '{"created_at":"2099-01-01T00:00:00Z"}'
  decide 'p:1' approved
  decide 'p:2' approved
  export AELP2_STEP_REPORT="$BATS_TEST_TMPDIR/report"
  run --separate-stderr budget-apply -q
  [ "$status" -eq 1 ]
  jq -e '.program == "budget-apply" and .rows_in == 2 and .rows_out == 4
    and .details == {"applied": 1, "refused": 1}' "$AELP2_STEP_REPORT"
}

@test "two runs at once: the proposal is applied once, the other run refuses it" {
  snapshot c1 100000000
  change 'p:c1' c1 100 104 approved
  decide 'p:c1' approved
  budget-apply -q 'p:c1' > "$BATS_TEST_TMPDIR/a" & a=$!
  budget-apply -q 'p:c1' > "$BATS_TEST_TMPDIR/b" & b=$!
  wait "$a" || true
  wait "$b" || true
  [ "$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | jq -r '.outcome + "/" + (.guardrail // "")' | sort | paste -sd' ')" = "refused/already_applied shadow_applied/" ]
  [ "$(nevents)" -eq 2 ]
}
