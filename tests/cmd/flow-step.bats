#!/usr/bin/env bats
# flow-step: one step of a flow, its trail in ops_flow_runs and ops_alerts,
# and its exit status passed on so the flow stops.

load ../helpers

runs() { bq-extract --query "SELECT step, status, exit_code, rows_in, rows_out, message FROM ops_flow_runs ORDER BY started_at" | jq -c .; }
alerts() { bq-extract --query "SELECT step, alert_type, severity, message, details FROM ops_alerts ORDER BY created_at" | jq -c .; }

@test "a step that succeeds: ok row with timing, rows from bq-load's report, stdout passed through" {
  bq-ensure -q >/dev/null
  run --separate-stderr flow-step --flow nightly --run-id n-1 --step load -- \
    bash -c "echo hello; bq-load --upsert ads_campaign_performance '$FIX/tables/ads_campaign_performance.ndjson'"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$output" = "hello" ]
  [[ "$stderr" == *"flow-step: nightly/load: ok in "*" s (rows in 4, out 4)"* ]]
  run runs
  [ "$output" = '{"step":"load","status":"ok","exit_code":0,"rows_in":4,"rows_out":4,"message":"bq-load: loaded 4 rows into ads_campaign_performance (upsert)"}' ]
  run bq-extract --query "SELECT run_id, flow, started_at <= finished_at AS ordered, duration_seconds >= 0 AS d, details FROM ops_flow_runs"
  echo "$output" | jq -e '.run_id == "n-1" and .flow == "nightly" and .ordered == 1 and .d == 1'
  echo "$output" | jq -e '.details.reports[0].details.tables.ads_campaign_performance == 4'
  echo "$output" | jq -e '.details.command[0] == "bash"'
  [ "$(alerts)" = "" ]
}

@test "while the step runs its row says running, and the step sees its run in the environment" {
  bq-ensure -q >/dev/null
  run --separate-stderr flow-step --flow weekly --run-id w-7 --step probe -- bash -c \
    'echo "$AELP2_RUN_ID $AELP2_FLOW $AELP2_STEP"; [ -n "$AELP2_STEP_REPORT" ] && bq-extract --query "SELECT status, finished_at FROM ops_flow_runs"'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "w-7 weekly probe" ]
  [ "${lines[1]}" = '{"status":"running","finished_at":null}' ]
  [ "$(runs | jq -r .status)" = "ok" ]
}

@test "a failing step: its exit code, a failed row, an alert with the reason" {
  bq-ensure -q >/dev/null
  run --separate-stderr flow-step -f nightly -r n-2 -s model -- bash -c 'echo "mmm: warming up" >&2; echo "mmm: R-hat 1.4 on beta_meta" >&2; exit 3'
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"nightly/model: failed with exit 3 in "*"; alert n-2/model/"* ]]
  run runs
  echo "$output" | jq -e '.status == "failed" and .exit_code == 3 and .rows_in == null'
  echo "$output" | jq -e '.message == "step model of flow nightly failed with exit 3: mmm: warming up | mmm: R-hat 1.4 on beta_meta"'
  run alerts
  echo "$output" | jq -e '.step == "model" and .alert_type == "step_failed" and .severity == "error"'
  echo "$output" | jq -e '.message | contains("R-hat 1.4 on beta_meta")'
  echo "$output" | jq -e '.details.stderr_tail == ["mmm: warming up", "mmm: R-hat 1.4 on beta_meta"]'
}

@test "--gate: exit 1 is a gate_failed alert; another exit is still step_failed" {
  bq-ensure -q >/dev/null
  run flow-step -f nightly -r n-3 -s gx_gate --gate -- bash -c 'echo "gx-check: suite s failed" >&2; exit 1'
  [ "$status" -eq 1 ]
  run flow-step -f nightly -r n-4 -s gx_gate --gate -- bash -c 'exit 65'
  [ "$status" -eq 65 ]
  run bq-extract --query "SELECT run_id, alert_type FROM ops_alerts ORDER BY run_id"
  [ "${lines[0]}" = '{"run_id":"n-3","alert_type":"gate_failed"}' ]
  [ "${lines[1]}" = '{"run_id":"n-4","alert_type":"step_failed"}' ]
}

@test "re-running a step of the same run replaces its row; each failure keeps its own alert" {
  bq-ensure -q >/dev/null
  flow-step -f nightly -r n-5 -s ingest -- false 2>/dev/null || true
  sleep 0.01
  flow-step -f nightly -r n-5 -s ingest -- false 2>/dev/null || true
  flow-step -f nightly -r n-5 -s ingest -- true 2>/dev/null
  [ "$(bq-extract --query "SELECT COUNT(*) AS n, MAX(status) AS s FROM ops_flow_runs")" = '{"n":1,"s":"ok"}' ]
  [ "$(bq-extract --query "SELECT COUNT(DISTINCT alert_id) AS n FROM ops_alerts")" = '{"n":2}' ]
}

@test "a command that cannot run, or that a signal kills, is a recorded failure" {
  bq-ensure -q >/dev/null
  run -127 --separate-stderr flow-step -f f -r r1 -s missing -- no-such-program-here
  [ "$status" -eq 127 ]
  [[ "$stderr" == *"cannot run 'no-such-program-here'"* ]]
  run --separate-stderr flow-step -f f -r r1 -s killed -- bash -c 'kill -KILL $$'
  [ "$status" -eq 137 ]
  run bq-extract --query "SELECT step, exit_code FROM ops_flow_runs ORDER BY step"
  [ "${lines[0]}" = '{"step":"killed","exit_code":137}' ]
  [ "${lines[1]}" = '{"step":"missing","exit_code":127}' ]
}

@test "SIGTERM to flow-step reaches the step, and the end is still recorded" {
  bq-ensure -q >/dev/null
  flow-step -f f -r r2 -s slow -- sleep 30 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do
    [ "$(bq-extract --query "SELECT status FROM ops_flow_runs" 2>/dev/null)" = '{"status":"running"}' ] && break
    sleep 0.1
  done
  sleep 0.2
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 143 ]
  [ "$(bq-extract --query "SELECT status, exit_code FROM ops_flow_runs")" = '{"status":"failed","exit_code":143}' ]
}

@test "a signal reaches every program of the step's pipe, not only its shell" {
  bq-ensure -q >/dev/null
  for sig in TERM INT HUP; do
    rm -f "$BATS_TEST_TMPDIR/landed"
    flow-step -f f -r "r-$sig" -s pipe -- bash -c "sleep 5 | { sleep 2; touch '$BATS_TEST_TMPDIR/landed'; }" 2>/dev/null &
    pid=$!
    for _ in $(seq 100); do
      [ "$(bq-extract --query "SELECT status FROM ops_flow_runs WHERE run_id = 'r-$sig'" 2>/dev/null)" = '{"status":"running"}' ] && break
      sleep 0.1
    done
    sleep 0.3
    kill -"$sig" "$pid"
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -ge 129 ]
    sleep 2.5
    [ ! -e "$BATS_TEST_TMPDIR/landed" ] || { echo "the pipe outlived SIG$sig"; false; }
    [ "$(bq-extract --query "SELECT status FROM ops_flow_runs WHERE run_id = 'r-$sig'")" = '{"status":"failed"}' ]
  done
}

@test "stderr that is not UTF-8 reaches the tables as valid text" {
  bq-ensure -q >/dev/null
  run flow-step -f f -r r3 -s bytes -- bash -c 'printf "bad \377 byte\n" >&2; exit 4'
  [ "$status" -eq 4 ]
  [ "$(bq-extract --query "SELECT message FROM ops_alerts")" = '{"message":"step bytes of flow f failed with exit 4: bad ? byte"}' ]
}

@test "usage errors exit 2 and record nothing; without the tables the step does not run" {
  bq-ensure -q >/dev/null
  run --separate-stderr flow-step --flow f --run-id r -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--step is required"* ]]
  run --separate-stderr flow-step --flow f --run-id r --step 'a b' -- true
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--step 'a b' may hold only letters, digits and . _ - :"* ]]
  run --separate-stderr flow-step --flow f --run-id r --step s
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"no command to run"* ]]
  AELP2_RUN_ID= run --separate-stderr flow-step --flow f --step s -- true
  [ "$status" -eq 2 ]
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM ops_flow_runs")" = '{"n":0}' ]

  export AELP_HOME="$BATS_TEST_TMPDIR/empty"
  run --separate-stderr flow-step -f f -r r -s s -- touch "$BATS_TEST_TMPDIR/ran"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"cannot record the start of step 's'"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}
