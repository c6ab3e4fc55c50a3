#!/usr/bin/env bats
# bq-extract: rows as NDJSON with the contract's types preserved.

load ../helpers

@test "types are preserved: INT64, FLOAT64, BOOL, DATE, TIMESTAMP, JSON, NULL" {
  bq-ensure >/dev/null 2>&1
  printf '%s\n' '{"event_id":"b1","ts":"2025-03-04T05:06:07.25+01:00","campaign_id":"c1","bid_micros":1500000,"won":true,"price_paid_micros":1200000}' \
    > "$BATS_TEST_TMPDIR/b.ndjson"
  jq -c 'del(.price_paid_micros) | .won = false | .event_id = "b2" | .bid_micros = 7' "$BATS_TEST_TMPDIR/b.ndjson" >> "$BATS_TEST_TMPDIR/b.ndjson"
  run --separate-stderr bq-load bidding_events "$BATS_TEST_TMPDIR/b.ndjson"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  run --separate-stderr bq-extract --query "SELECT event_id, ts, bid_micros, won, price_paid_micros FROM bidding_events ORDER BY event_id"
  [ "${lines[0]}" = '{"event_id":"b1","ts":"2025-03-04T04:06:07.25Z","bid_micros":1500000,"won":true,"price_paid_micros":1200000}' ]
  [ "${lines[1]}" = '{"event_id":"b2","ts":"2025-03-04T04:06:07.25Z","bid_micros":7,"won":false,"price_paid_micros":null}' ]
  bq-load ads_campaign_performance "$FIX/tables/ads_campaign_performance.ndjson" 2>/dev/null
  run bq-extract --query "SELECT date, cost_micros, conversions, conversion_value FROM ads_campaign_performance WHERE channel = 'youtube'"
  [ "$output" = '{"date":"2025-03-03","cost_micros":2048000000,"conversions":12.25,"conversion_value":980.5}' ]
  # A whole FLOAT64 stays a float; expressions take their value's type.
  run bq-extract --query "SELECT CAST(2 AS REAL) AS x, 2 AS i, 'a' AS s, NULL AS z"
  [ "$output" = '{"x":2.0,"i":2,"s":"a","z":null}' ]
  bq-load canary_changes "$FIX/tables/canary_changes.ndjson" 2>/dev/null
  run bq-extract --query "SELECT notes FROM canary_changes WHERE notes IS NOT NULL LIMIT 1"
  echo "$output" | jq -e '.notes | type == "object"'
}

@test "--param binds typed named parameters" {
  bq-ensure >/dev/null 2>&1
  bq-load ads_campaign_performance "$FIX/tables/ads_campaign_performance.ndjson" 2>/dev/null
  run --separate-stderr bq-extract --query 'SELECT campaign_id FROM ads_campaign_daily WHERE date >= @start AND clicks > @min ORDER BY campaign_id' \
    --param start:DATE=2025-03-03 --param min:INT64=700
  [ "$status" -eq 0 ]
  [ "$output" = '{"campaign_id":"20987654321"}' ]
  run --separate-stderr bq-extract --query 'SELECT @who AS who' --param 'who=O'"'"'Brien; DROP TABLE x'
  [ "$output" = "{\"who\":\"O'Brien; DROP TABLE x\"}" ]
  run --separate-stderr bq-extract --query 'SELECT @d AS d' --param d:DATE=2025-02-30
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"parameter 'd' (DATE): '2025-02-30' is not a valid YYYY-MM-DD date"* ]]
  run --separate-stderr bq-extract --query 'SELECT @a AS a'
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"query parameter '@a' has no value"* ]]
  run --separate-stderr bq-extract --query 'SELECT 1 AS a' --param b=1
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"parameter 'b' is not used by the query"* ]]
  run --separate-stderr bq-extract --query 'SELECT 1' --param b:NUMERIC=1
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"unknown type 'NUMERIC'"* ]]
  run --separate-stderr bq-extract --query 'SELECT @Start_2 AS s' --param Start_2:INT64=5
  [ "$output" = '{"s":5}' ]
  run --separate-stderr bq-extract --query 'SELECT 1' --param 2x=1
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"'2x' is not a parameter name"* ]]
}

@test "queries cannot change the warehouse; SQL errors exit 65" {
  bq-ensure >/dev/null 2>&1
  bq-load ads_campaign_performance "$FIX/tables/ads_campaign_performance.ndjson" 2>/dev/null
  for q in 'DELETE FROM ads_campaign_performance' 'PRAGMA main.journal_mode=DELETE' \
      "VACUUM INTO '$BATS_TEST_TMPDIR/copy.sqlite'" 'CREATE TABLE t (x)'; do
    run --separate-stderr bq-extract --query "$q"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"only statements that read (SELECT, WITH) may be run"* ]]
  done
  [ ! -e "$BATS_TEST_TMPDIR/copy.sqlite" ]
  [ "$(sqlite3 "$WH" 'PRAGMA journal_mode')" = "wal" ]
  [ "$(bq-extract ads_campaign_performance | wc -l)" -eq "$(grep -c . "$FIX/tables/ads_campaign_performance.ndjson")" ]
  run --separate-stderr bq-extract --query 'SELEC 1'
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"syntax error"* ]]
  run --separate-stderr bq-extract --query 'SELECT 1 AS a, 2 AS a'
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"two columns named 'a'"* ]]
}

@test "output is always valid NDJSON: text in a JSON column, text that is not UTF-8" {
  bq-ensure >/dev/null 2>&1
  bq-load canary_changes "$FIX/tables/canary_changes.ndjson" 2>/dev/null
  run --separate-stderr bq-extract --query "SELECT notes FROM canary_changes WHERE notes IS NOT NULL UNION ALL SELECT 'not json'"
  [ "$status" -eq 0 ]
  echo "$output" | jq -c . > /dev/null
  [ "${lines[${#lines[@]}-1]}" = '{"notes":"not json"}' ]
  run --separate-stderr bq-extract --query "SELECT 'ok' AS a UNION ALL SELECT CAST(x'ff' AS TEXT)"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"row 2: column 'a' holds text that is not UTF-8"* ]]
}

@test "usage: no warehouse yet, no table, unknown table, table and query both" {
  run --separate-stderr bq-extract ads_campaign_performance
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"no warehouse at '$AELP_HOME/warehouse.sqlite' (run bq-ensure first"* ]]
  [ ! -e "$AELP_HOME/warehouse.sqlite" ]
  bq-ensure >/dev/null 2>&1
  run --separate-stderr bq-extract
  [ "$status" -eq 2 ]
  run --separate-stderr bq-extract nope
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"'nope' is not a table of the contract"* ]]
  run --separate-stderr bq-extract --query 'SELECT 1' ads_campaign_performance
  [ "$status" -eq 2 ]
  run bq-extract --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--param NAME[:TYPE]=VALUE"* ]]
}

@test "a closed stdout is a clear error, not silence" {
  bq-ensure >/dev/null 2>&1
  gen_campaign_rows 20000 | bq-load ads_campaign_performance 2>/dev/null
  run --separate-stderr bash -c 'set -o pipefail; bq-extract ads_campaign_performance | head -1'
  [ "$status" -eq 70 ]
  [ "$(echo "$output" | jq -r .campaign_id)" = "c0000000" ]
  [[ "$stderr" == *"bq-extract: write error on standard output: Broken pipe"* ]]
}

@test "a full disk is a clear error, not silence" {
  bq-ensure >/dev/null 2>&1
  bq-load ads_campaign_performance "$FIX/tables/ads_campaign_performance.ndjson" 2>/dev/null
  run --separate-stderr bash -c 'bq-extract ads_campaign_performance > /dev/full'
  [ "$status" -eq 70 ]
  [[ "$stderr" == *"bq-extract: write error on standard output: No space left on device"* ]]
  run --separate-stderr bash -c 'bq-extract --help > /dev/full'
  [ "$status" -eq 70 ]
}
