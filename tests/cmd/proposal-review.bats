#!/usr/bin/env bats
# proposal-review: the human-in-the-loop gate.  Only a proposed, fresh
# proposal can be decided, once; every decision leaves an approval row.

load ../helpers

ago() { date -u -d "-$1 hour" +%FT%TZ; }

# A budget proposal ID created HOURS ago (status proposed unless STATUS).
budget() { # ID HOURS [STATUS]
  printf '{"_table":"canary_changes","change_id":"%s","run_id":"bp-run","campaign_id":"c-%s","channel":"meta","current_daily_budget":100,"proposed_daily_budget":105,"change_pct":5,"direction":"up","status":"%s","shadow":true,"reason":"CAC below cap","notes":{"cac_cap":50,"bound":"pct"},"created_at":"%s"}\n' \
    "$1" "$1" "${3:-proposed}" "$(ago "$2")"
}

bandit() { # ID HOURS [STATUS]
  printf '{"_table":"bandit_change_proposals","proposal_id":"%s","run_id":"bd-run","campaign_id":"c-%s","arm_id":"ad-7","action":"shift_weights","direction":"up","current_share":0.2,"proposed_share":0.3,"p_best":0.91,"status":"%s","shadow":true,"created_at":"%s"}\n' \
    "$1" "$1" "${3:-proposed}" "$(ago "$2")"
}

fixtures() { bq-ensure -q >/dev/null && bq-load >/dev/null 2>&1; }

status_of() { # ID
  bq-extract --query "SELECT status FROM canary_changes WHERE change_id = '$1'
                      UNION ALL SELECT status FROM bandit_change_proposals WHERE proposal_id = '$1'" | jq -r .status
}

approvals() { bq-extract canary_change_approvals | jq -c .; }
bandit_approvals() { bq-extract bandit_change_approvals | jq -c .; }

@test "approve a fresh budget proposal: status approved, one approval row with who, note, source, when" {
  budget r1:c1 1 | fixtures
  run --separate-stderr proposal-review approve r1:c1 --by alice --note "checked the CAC"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  echo "$output" | jq -e '.kind == "budget" and .id == "r1:c1" and .status == "approved" and .approver == "alice"'
  echo "$output" | jq -e '.approval_id | startswith("apr-")'
  [[ "$stderr" == *"approved budget proposal 'r1:c1'"*"by alice"* ]]
  [ "$(status_of r1:c1)" = approved ]
  run approvals
  [ "${#lines[@]}" -eq 1 ]
  echo "${lines[0]}" | jq -e '.change_id == "r1:c1" and .decision == "approved" and .approver == "alice"
    and .reason == "checked the CAC" and .source == "cli" and .run_id == null'
  a_id=$(echo "${lines[0]}" | jq -r .approval_id)
  [ "$(proposal-review list --status any | jq -r .id)" = r1:c1 ]
  # decided_at is now-ish, and the proposal's updated_at is the same instant
  bq-extract --query "SELECT a.decided_at, c.updated_at FROM canary_change_approvals a JOIN canary_changes c USING (change_id)" |
    jq -e '.decided_at == .updated_at and (.decided_at | sub("\\.[0-9]+Z$"; "Z") | fromdate) > (now - 120)'
  [ -n "$a_id" ]
}

@test "reject with a reason: status rejected and a rejected row" {
  budget r1:c1 1 | fixtures
  run proposal-review reject r1:c1 --by bob --reason "too close to the sale" -q
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.status == "rejected"'
  [ "$(status_of r1:c1)" = rejected ]
  approvals | jq -e '.decision == "rejected" and .approver == "bob" and .reason == "too close to the sale"'
}

@test "approve twice: the second is refused naming the first approver; still one row" {
  budget r1:c1 1 | fixtures
  proposal-review approve r1:c1 --by alice -q >/dev/null
  run --separate-stderr proposal-review approve r1:c1 --by bob
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"proposal 'r1:c1' is already approved (approved by alice at 20"* ]]
  [ "$(approvals | wc -l)" -eq 1 ]
}

@test "approve after a reject is refused; the rejection stands" {
  budget r1:c1 1 | fixtures
  proposal-review reject r1:c1 --by bob --reason no -q >/dev/null
  run proposal-review approve r1:c1 --by alice
  [ "$status" -eq 1 ]
  [[ "$output" == *"already rejected (rejected by bob at"* ]]
  [ "$(status_of r1:c1)" = rejected ]
  [ "$(approvals | wc -l)" -eq 1 ]
}

@test "a proposal not proposed and never approved here says only its status" {
  budget r1:c9 1 applied | fixtures
  run proposal-review reject r1:c9 --by bob --reason late
  [ "$status" -eq 1 ]
  [[ "$output" == *"budget proposal 'r1:c9' is already applied" ]]
}

@test "an unknown id: exit 65 naming the warehouse; nothing written" {
  { budget r1:c1 1; bandit bp-1 1; } | fixtures
  d1=$(table_digest canary_changes); d2=$(table_digest canary_change_approvals)
  d3=$(table_digest bandit_change_proposals); d4=$(table_digest bandit_change_approvals)
  run proposal-review approve r1:nope --by alice
  [ "$status" -eq 65 ]
  [[ "$output" == *"no budget or bandit proposal has id 'r1:nope' in sqlite:$WH"* ]]
  run proposal-review reject r1:nope --by alice --reason x
  [ "$status" -eq 65 ]
  [ "$d1" = "$(table_digest canary_changes)" ]
  [ "$d2" = "$(table_digest canary_change_approvals)" ]
  [ "$d3" = "$(table_digest bandit_change_proposals)" ]
  [ "$d4" = "$(table_digest bandit_change_approvals)" ]
}

@test "no warehouse at all: an unknown id, and none is created" {
  run proposal-review approve r1:c1 --by alice
  [ "$status" -eq 65 ]
  [[ "$output" == *"no budget or bandit proposal has id 'r1:c1'"* ]]
  [ ! -e "$WH" ]
}

@test "expired: created 49 h ago is refused and marked expired, no approval row" {
  budget old:c1 49 | fixtures
  run proposal-review approve old:c1 --by alice
  [ "$status" -eq 1 ]
  [[ "$output" == *"budget proposal 'old:c1' expired: created 20"*", older than 48h (--max-age)"* ]]
  [ "$(status_of old:c1)" = expired ]
  bq-extract --query "SELECT updated_at FROM canary_changes" | jq -e '.updated_at != null'
  [ -z "$(approvals)" ]
  # and stays refused, now as already expired, even with a longer --max-age
  run proposal-review approve old:c1 --by alice --max-age 72h
  [ "$status" -eq 1 ]
  [[ "$output" == *"already expired"* ]]
}

@test "--max-age 72h lets the 49 h one through; 2d and bare hours read as ages" {
  { budget old:c1 49; budget old:c2 49; budget old:c3 49; } | fixtures
  run proposal-review approve old:c1 --by alice --max-age 72h -q
  [ "$status" -eq 0 ]
  [ "$(status_of old:c1)" = approved ]
  run proposal-review approve old:c2 --by alice --max-age 2d -q
  [ "$status" -eq 1 ]
  run proposal-review approve old:c3 --by alice --max-age 50 -q
  [ "$status" -eq 0 ]
  [ "$(approvals | wc -l)" -eq 2 ]
}

@test "--max-age in minutes and seconds" {
  { budget m:c1 1; budget m:c2 1; } | fixtures
  run proposal-review approve m:c1 --by alice --max-age 30m
  [ "$status" -eq 1 ]
  [[ "$output" == *"older than 30m"* ]]
  run proposal-review approve m:c2 --by alice --max-age 7200s -q
  [ "$status" -eq 0 ]
}

@test "a bad --max-age is a usage error" {
  budget r1:c1 1 | fixtures
  for bad in 0 -5h 5x h "" 1hh 0s; do
    run proposal-review approve r1:c1 --by alice --max-age "$bad"
    [ "$status" -eq 2 ] || { echo "--max-age '$bad' gave $status"; false; }
  done
  run proposal-review list --max-age nope
  [ "$status" -eq 2 ]
  [ "$(status_of r1:c1)" = proposed ]
}

@test "--by is required, and not empty" {
  budget r1:c1 1 | fixtures
  run proposal-review approve r1:c1
  [ "$status" -eq 2 ]
  [[ "$output" == *"approve needs --by NAME"* ]]
  run proposal-review approve r1:c1 --by ""
  [ "$status" -eq 2 ]
  run proposal-review reject r1:c1 --reason x
  [ "$status" -eq 2 ]
  [ -z "$(approvals)" ]
}

@test "reject needs --reason; approve takes --note, reject does not" {
  budget r1:c1 1 | fixtures
  run proposal-review reject r1:c1 --by bob
  [ "$status" -eq 2 ]
  [[ "$output" == *"reject needs --reason"* ]]
  run proposal-review reject r1:c1 --by bob --reason ""
  [ "$status" -eq 2 ]
  run proposal-review reject r1:c1 --by bob --reason x --note y
  [ "$status" -eq 2 ]
  run proposal-review approve r1:c1 --by bob --reason x
  [ "$status" -eq 2 ]
  [ "$(status_of r1:c1)" = proposed ]
}

@test "usage: no command, an unknown one, a missing or extra ID, options out of place" {
  run proposal-review
  [ "$status" -eq 2 ]
  run proposal-review publish x --by a
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown command 'publish'"* ]]
  run proposal-review approve --by a
  [ "$status" -eq 2 ]
  run proposal-review approve x y --by a
  [ "$status" -eq 2 ]
  run proposal-review list x
  [ "$status" -eq 2 ]
  run proposal-review list --by a
  [ "$status" -eq 2 ]
  run proposal-review approve x --by a --status proposed
  [ "$status" -eq 2 ]
  run proposal-review --by a approve x
  [ "$status" -eq 2 ]
  run proposal-review list --kind both
  [ "$status" -eq 2 ]
}

@test "a bandit proposal approved: bandit_change_approvals row and status" {
  { budget r1:c1 1; bandit bp-1 1; } | fixtures
  run proposal-review approve bp-1 --by carol -q
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.kind == "bandit" and .id == "bp-1" and .status == "approved"'
  [ "$(status_of bp-1)" = approved ]
  [ "$(status_of r1:c1)" = proposed ]
  bandit_approvals | jq -e '.proposal_id == "bp-1" and .decision == "approved" and .approver == "carol" and .source == "cli"'
  [ -z "$(approvals)" ]
}

@test "--kind budget with a bandit id is unknown (65); --kind bandit finds it" {
  bandit bp-1 1 | fixtures
  run proposal-review approve bp-1 --by carol --kind budget
  [ "$status" -eq 65 ]
  [[ "$output" == *"no budget proposal has id 'bp-1'"* ]]
  [ -z "$(bandit_approvals)" ]
  run proposal-review reject --kind bandit bp-1 --by carol --reason "arm too new" -q
  [ "$status" -eq 0 ]
  [ "$(status_of bp-1)" = rejected ]
}

@test "the same id in both tables: budget first unless --kind bandit" {
  { budget same 1; bandit same 1; } | fixtures
  run proposal-review approve same --by a -q
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.kind == "budget"'
  run proposal-review approve same --by a -q --kind bandit
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.kind == "bandit"'
}

@test "list: only proposed by default, both kinds, oldest first, expired flag and expires_at" {
  { budget b:new 1; budget b:old 49; bandit k:mid 5; budget b:done 10 approved; bandit k:rej 20 rejected; } | fixtures
  run proposal-review list
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
  [ "$(echo "$output" | jq -r .id | paste -sd,)" = "b:old,k:mid,b:new" ]
  echo "${lines[0]}" | jq -e '.kind == "budget" and .expired == true and .status == "proposed"'
  echo "${lines[1]}" | jq -e '.kind == "bandit" and .expired == false and .arm_id == "ad-7" and .action == "shift_weights"
    and .current_share == 0.2 and .proposed_share == 0.3 and .p_best == 0.91 and .campaign_id == "c-k:mid"'
  echo "${lines[2]}" | jq -e '.expired == false and .channel == "meta" and .current_daily_budget == 100
    and .proposed_daily_budget == 105 and .change_pct == 5 and .direction == "up" and .reason == "CAC below cap"'
  echo "${lines[2]}" | jq -e '.notes == {"cac_cap":50,"bound":"pct"}'
  echo "${lines[2]}" | jq -e '((.expires_at | fromdate) - (.created_at | fromdate)) == 172800'
  run proposal-review list --max-age 72h
  echo "${lines[0]}" | jq -e '.id == "b:old" and .expired == false'
  run proposal-review list --kind bandit
  [ "$output" = "$(proposal-review list | jq -c 'select(.kind == "bandit")')" ]
  [ "${#lines[@]}" -eq 1 ]
}

@test "list --status any shows every status; --status approved only those; a bad status is 2" {
  { budget b:new 1; bandit k:mid 5; budget b:done 10 approved; bandit k:rej 20 rejected; } | fixtures
  run proposal-review list --status any
  [ "$(echo "$output" | jq -r '"\(.id)=\(.status)"' | paste -sd,)" = "k:rej=rejected,b:done=approved,k:mid=proposed,b:new=proposed" ]
  echo "$output" | jq -s -e 'map(select(.status != "proposed") | .expired) | all(. == false)'
  run proposal-review list --status approved
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq -e '.id == "b:done" and .status == "approved"'
  run proposal-review list --status pending
  [ "$status" -eq 2 ]
  [[ "$output" == *"proposed, approved, rejected, expired, shadow_applied, applied, refused"* ]]
}

@test "list on an empty warehouse, on one without the tables, and with none at all: nothing, exit 0" {
  run --separate-stderr proposal-review list
  [ "$status" -eq 0 ]
  [ -z "$output" ] && [ -z "$stderr" ]
  [ ! -e "$WH" ]
  : >"$BATS_TEST_TMPDIR/bare.sqlite"                   # a warehouse without tables
  AELP_WAREHOUSE="sqlite:$BATS_TEST_TMPDIR/bare.sqlite" run --separate-stderr proposal-review list --status any
  [ "$status" -eq 0 ]
  [ -z "$output" ] && [ -z "$stderr" ]
  bq-ensure -q >/dev/null
  run --separate-stderr proposal-review list
  [ "$status" -eq 0 ]
  [ -z "$output" ] && [ -z "$stderr" ]
}

@test "AELP2_RUN_ID lands in the approval row's run_id" {
  { budget r1:c1 1; bandit bp-1 1; } | fixtures
  AELP2_RUN_ID=nightly-42 proposal-review approve r1:c1 --by alice -q >/dev/null
  AELP2_RUN_ID=nightly-43 proposal-review reject bp-1 --by alice --reason no -q >/dev/null
  approvals | jq -e '.run_id == "nightly-42"'
  bandit_approvals | jq -e '.run_id == "nightly-43"'
}

@test "inside a flow the step report counts the rows written" {
  budget r1:c1 1 | fixtures
  export AELP2_STEP_REPORT="$BATS_TEST_TMPDIR/report"
  proposal-review approve r1:c1 --by alice -q >/dev/null
  jq -e '.program == "proposal-review" and .rows_out == 2' "$AELP2_STEP_REPORT"
}

@test "--help teaches the lifecycle, the commands, --max-age, the environment and exit codes" {
  run proposal-review --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--max-age"* ]]
  [[ "$output" == *"proposed --approve--> approved"* ]]
  [[ "$output" == *"budget-apply"* ]]
  [[ "$output" == *"AELP2_RUN_ID"* ]]
  [[ "$output" == *"AELP_HOME"* ]]
  [[ "$output" == *"65 no proposal has"* ]]
  run proposal-review approve --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"reject ID --by NAME --reason TEXT"* ]]
}

@test "two concurrent approvals of one id: exactly one succeeds, one approval row" {
  budget r1:c1 1 | fixtures
  for i in 1 2 3 4; do
    proposal-review approve r1:c1 --by "person$i" -q >"$BATS_TEST_TMPDIR/out$i" 2>"$BATS_TEST_TMPDIR/err$i" &
    pids="$pids $!"
  done
  ok=0; refused=0
  for p in $pids; do
    if wait "$p"; then ok=$((ok + 1)); else rc=$?; [ "$rc" -eq 1 ] && refused=$((refused + 1)); fi
  done
  [ "$ok" -eq 1 ] && [ "$refused" -eq 3 ] || { cat "$BATS_TEST_TMPDIR"/err*; false; }
  [ "$(approvals | wc -l)" -eq 1 ]
  winner=$(approvals | jq -r .approver)
  cat "$BATS_TEST_TMPDIR"/out* | jq -e --arg w "$winner" '.approver == $w'
  grep -l "already approved (approved by $winner at" "$BATS_TEST_TMPDIR"/err* | wc -l | grep -qx 3
}
