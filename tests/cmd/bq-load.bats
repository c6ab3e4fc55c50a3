#!/usr/bin/env bats
# bq-load: every row checked against the contract; all of a load or none of it.

load ../helpers

setup_file() {
  # One warehouse with every fixture loaded, copied by the tests that need it.
  export AELP_HOME="$BATS_FILE_TMPDIR/base"
  export PATH="${AELP_BIN:-$REPO/bin}:$PATH"
  unset AELP_WAREHOUSE GOOGLE_CLOUD_PROJECT BIGQUERY_TRAINING_DATASET
  bq-ensure >/dev/null 2>&1
  bq-load ads_campaign_performance "$FIX/tables/ads_campaign_performance.ndjson" 2>/dev/null
}

with_base() {
  mkdir -p "$AELP_HOME"
  cp "$BATS_FILE_TMPDIR/base/"*.sqlite "$AELP_HOME/"
}

@test "round trip: every table's fixture loads, extracts and compares equal" {
  bq-ensure >/dev/null 2>&1
  n=0
  for t in $(all_tables); do
    f="$FIX/tables/$t.ndjson"
    [ -f "$f" ] || { echo "no fixture for table $t"; false; }
    run --separate-stderr bq-load "$t" "$f"
    [ "$status" -eq 0 ] || { echo "$t: $stderr"; false; }
    [[ "$stderr" == "bq-load: loaded $(grep -c . "$f") rows into $t (append)" ]]
    diff <(normalize_fixture "$t" "$f") <(bq-extract "$t" | jq -cS .) || { echo "round trip of $t differs"; false; }
    n=$((n + 1))
  done
  [ "$n" -eq "$(ls "$AELP_SCHEMAS"/tables/*.json | wc -l)" ]
  # Integers beyond 2^53 and canonical texts survive byte for byte (jq would round them).
  bq-extract bandit_decisions | grep -F '"seed":9007199254740993'
  bq-extract ads_campaign_performance | grep -F '"cost_micros":123456789012'
}

@test "round trip: views return the expected rows for the fixtures" {
  bq-ensure >/dev/null 2>&1
  for t in $(all_tables); do bq-load "$t" "$FIX/tables/$t.ndjson" 2>/dev/null; done
  for e in "$FIX"/views/*.expected.ndjson; do
    v=$(basename "$e" .expected.ndjson)
    diff <(jq -cS . "$e") <(bq-extract --query "SELECT * FROM $v" | jq -cS .) || { echo "view $v differs"; false; }
  done
}

@test "rows routed by _table land in their tables in one load" {
  bq-ensure >/dev/null 2>&1
  for t in ads_campaign_performance gaelp_users.journey_sessions canary_changes; do
    jq -c --arg t "$t" '. + {_table: $t}' "$FIX/tables/$t.ndjson"
  done > "$BATS_TEST_TMPDIR/mixed.ndjson"
  run --separate-stderr bq-load < "$BATS_TEST_TMPDIR/mixed.ndjson"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"into canary_changes (append)"* ]]
  [[ "$stderr" == *"into gaelp_users.journey_sessions (append)"* ]]
  for t in ads_campaign_performance gaelp_users.journey_sessions canary_changes; do
    diff <(normalize_fixture "$t" "$FIX/tables/$t.ndjson") <(bq-extract "$t" | jq -cS .)
  done
}

# refuse TABLE FILE MESSAGE: exit 65, "FILE:LINE: MESSAGE" on stderr, the table unchanged.
refuse() {
  with_base
  before=$(table_digest "$1")
  run --separate-stderr bq-load "$1" "$2"
  [ "$status" -eq 65 ] || { echo "status $status: $stderr"; false; }
  [ -z "$output" ]
  [[ "$stderr" == *"bq-load: $2:$3"* ]] || { echo "stderr: ${stderr:0:600}"; false; }
  [[ "$stderr" == *"nothing was loaded"* ]]
  [ "$(table_digest "$1")" = "$before" ]
}

good_row='{"date":"2025-02-01","campaign_id":"c1","channel":"meta","platform":"meta","impressions":10,"clicks":1,"cost_micros":5000000,"conversions":0.5,"conversion_value":3.25}'

bad_file() { # one good row, then the bad line
  f="$BATS_TEST_TMPDIR/bad.ndjson"
  printf '%s\n' "$good_row" > "$f"
  printf '%s\n' "$1" >> "$f"
}

@test "bad input: malformed JSON" {
  bad_file '{"date":"2025-02-02","campaign_id":"c2",'
  refuse ads_campaign_performance "$f" "2: malformed JSON"
}

@test "bad input: a string where an integer belongs" {
  bad_file "${good_row/\"clicks\":1/\"clicks\":\"1\"}"
  refuse ads_campaign_performance "$f" "2: column 'clicks' (INT64): expected an integer, found a string"
}

@test "bad input: a fraction in an integer column" {
  bad_file "${good_row/\"clicks\":1/\"clicks\":1.5}"
  refuse ads_campaign_performance "$f" "2: column 'clicks' (INT64): 1.5 is not a whole number"
}

@test "bad input: an integer out of INT64 range" {
  bad_file "${good_row/\"cost_micros\":5000000/\"cost_micros\":9223372036854775808}"
  refuse ads_campaign_performance "$f" "2: column 'cost_micros' (INT64): integer out of INT64 range"
}

@test "bad input: NaN or Infinity" {
  bad_file "${good_row/\"conversions\":0.5/\"conversions\":NaN}"
  refuse ads_campaign_performance "$f" "2: malformed JSON"
  bad_file "${good_row/\"conversions\":0.5/\"conversions\":-Infinity}"
  refuse ads_campaign_performance "$f" "2: malformed JSON"
  bad_file "${good_row/\"conversions\":0.5/\"conversions\":\"NaN\"}"
  refuse ads_campaign_performance "$f" "2: column 'conversions' (FLOAT64): expected a number, found a string"
}

@test "bad input: a missing REQUIRED column" {
  bad_file "${good_row/\"campaign_id\":\"c1\",/}"
  refuse ads_campaign_performance "$f" "2: REQUIRED column 'campaign_id' is missing"
  bad_file "${good_row/\"campaign_id\":\"c1\"/\"campaign_id\":null}"
  refuse ads_campaign_performance "$f" "2: REQUIRED column 'campaign_id' is null"
}

@test "bad input: an unknown column (and --ignore-unknown drops it)" {
  bad_file "${good_row/\}/,\"cpc\":0.2\}}"
  refuse ads_campaign_performance "$f" "2: unknown column 'cpc': not in the schema of 'ads_campaign_performance'"
  sed -i '2s/"campaign_id":"c1"/"campaign_id":"c0"/' "$f"
  run --separate-stderr bq-load --ignore-unknown ads_campaign_performance "$f"
  [ "$status" -eq 0 ]
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM ads_campaign_performance WHERE campaign_id IN ('c0','c1')")" = '{"n":2}' ]
}

@test "bad input: a JSON array instead of an object" {
  bad_file '["2025-02-02","c2"]'
  refuse ads_campaign_performance "$f" "2: expected a JSON object, found an array"
}

@test "bad input: a megabyte of garbage on one line" {
  f="$BATS_TEST_TMPDIR/bad.ndjson"
  { printf '%s\n' "$good_row"; head -c 1048576 /dev/urandom | base64 -w0; echo; } > "$f"
  refuse ads_campaign_performance "$f" "2: malformed JSON"
  [ "${#stderr}" -lt 2000 ]
}

@test "bad input: a NUL byte" {
  f="$BATS_TEST_TMPDIR/bad.ndjson"
  { printf '%s\n' "$good_row"; printf '{"date":"2025-02-02","campaign_id":"c\0x"}\n'; } > "$f"
  refuse ads_campaign_performance "$f" "2: NUL byte at column 38"
}

@test "bad input: invalid UTF-8" {
  f="$BATS_TEST_TMPDIR/bad.ndjson"
  { printf '%s\n' "$good_row"; printf '%s\n' "${good_row/c1/c\\xff}" | sed 's/\\xff/\xff/'; } > "$f"
  grep -q $'\xff' "$f"
  refuse ads_campaign_performance "$f" "2: malformed JSON"
  [[ "$stderr" == *"invalid UTF-8"* ]]
}

@test "bad input: an impossible date" {
  bad_file "${good_row/2025-02-01/2025-02-30}"
  refuse ads_campaign_performance "$f" "2: column 'date' (DATE): '2025-02-30' is not a valid YYYY-MM-DD date"
}

@test "bad input: one bad row among 10,000 good ones" {
  f="$BATS_TEST_TMPDIR/bad.ndjson"
  gen_campaign_rows 10000 > "$f"
  sed -i '7777s/"clicks":[0-9]*/"clicks":true/' "$f"
  refuse ads_campaign_performance "$f" "7777: column 'clicks' (INT64): expected an integer, found a boolean"
  [ "$(echo "$stderr" | grep -c 'bq-load: ')" -eq 2 ]
}

@test "every bad row is reported with its line, up to --max-errors" {
  f="$BATS_TEST_TMPDIR/bad.ndjson"
  gen_campaign_rows 100 | sed '10s/"clicks":[0-9]*/"clicks":"x"/; 20s/"date":"[^"]*"/"date":"2025-13-01"/; 30s/.*/[]/' > "$f"
  refuse ads_campaign_performance "$f" "10: column 'clicks'"
  [[ "$stderr" == *"$f:20: column 'date' (DATE)"* ]]
  [[ "$stderr" == *"$f:30: expected a JSON object"* ]]
  [[ "$stderr" == *"3 bad rows; nothing was loaded"* ]]
  run --separate-stderr bq-load --max-errors 1 ads_campaign_performance "$f"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"... and 2 more bad rows"* ]]
  [[ "$stderr" != *"$f:20:"* ]]
}

@test "a valid row carrying a 1 MB string loads fine" {
  with_base
  f="$BATS_TEST_TMPDIR/big.ndjson"
  long=$(head -c 1048576 /dev/zero | tr '\0' 'x')
  printf '%s\n' "${good_row/\"c1\"/\"$long\"}" > "$f"
  run --separate-stderr bq-load ads_campaign_performance "$f"
  [ "$status" -eq 0 ]
  [ "$(bq-extract --query "SELECT length(campaign_id) AS n FROM ads_campaign_performance WHERE length(campaign_id) > 1000")" = '{"n":1048576}' ]
}

@test "NDJSON framing: CRLF, blank lines, a final line without newline; line numbers stay physical" {
  with_base
  f="$BATS_TEST_TMPDIR/framing.ndjson"
  gen_campaign_rows 3 100 | sed 's/$/\r/' > "$f"
  printf '\n  \r\n' >> "$f"
  gen_campaign_rows 1 200 | tr -d '\n' >> "$f"
  run --separate-stderr bq-load ads_campaign_performance "$f"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"loaded 4 rows"* ]]
  printf '\n\n{"date":"bad"}' >> "$f"
  refuse ads_campaign_performance "$f" "8: column 'date' (DATE): 'bad'"
}

@test "append refuses a key already present; upsert twice leaves one copy" {
  with_base
  f="$FIX/tables/ads_campaign_performance.ndjson"
  n=$(grep -c . "$f")
  before=$(table_digest ads_campaign_performance)
  run --separate-stderr bq-load ads_campaign_performance "$f"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"$f:1: duplicate key (date='"*"--upsert replaces it"* ]]
  [ "$(table_digest ads_campaign_performance)" = "$before" ]

  bq-load --upsert ads_campaign_performance "$f" 2>/dev/null
  bq-load --upsert ads_campaign_performance "$f" 2>/dev/null
  [ "$(bq-extract ads_campaign_performance | wc -l)" -eq "$n" ]
  diff <(normalize_fixture ads_campaign_performance "$f") <(bq-extract ads_campaign_performance | jq -cS .)

  # Upsert replaces the row's values.
  jq -c 'select(.campaign_id == "20123456789") | .clicks = 999' "$f" | bq-load --upsert ads_campaign_performance 2>/dev/null
  [ "$(bq-extract --query "SELECT clicks FROM ads_campaign_performance WHERE campaign_id = '20123456789'")" = '{"clicks":999}' ]
  [ "$(bq-extract ads_campaign_performance | wc -l)" -eq "$n" ]
}

@test "--replace swaps the contents atomically" {
  with_base
  gen_campaign_rows 5 > "$BATS_TEST_TMPDIR/new.ndjson"
  run --separate-stderr bq-load --replace ads_campaign_performance "$BATS_TEST_TMPDIR/new.ndjson"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"loaded 5 rows into ads_campaign_performance (replace)"* ]]
  diff <(normalize_fixture ads_campaign_performance "$BATS_TEST_TMPDIR/new.ndjson") <(bq-extract ads_campaign_performance | jq -cS .)
  # A bad replace leaves the previous contents.
  before=$(table_digest ads_campaign_performance)
  { gen_campaign_rows 3 50; echo '{"date":"2025-01-01"}'; } > "$BATS_TEST_TMPDIR/bad.ndjson"
  run --separate-stderr bq-load --replace ads_campaign_performance "$BATS_TEST_TMPDIR/bad.ndjson"
  [ "$status" -eq 65 ]
  [ "$(table_digest ads_campaign_performance)" = "$before" ]
  # A reader during a replace sees the old rows or the new, never a mix.
  gen_campaign_rows 20000 1000 > "$BATS_TEST_TMPDIR/big.ndjson"
  bq-load --replace ads_campaign_performance "$BATS_TEST_TMPDIR/big.ndjson" 2>/dev/null &
  seen=""
  while kill -0 $! 2>/dev/null; do
    seen="$seen $(bq-extract --query 'SELECT COUNT(*) AS n FROM ads_campaign_performance' | jq .n)"
  done
  wait $!
  for c in $seen; do [ "$c" -eq 5 ] || [ "$c" -eq 20000 ] || { echo "saw $c rows"; false; }; done
  [ "$(bq-extract --query 'SELECT COUNT(*) AS n FROM ads_campaign_performance')" = '{"n":20000}' ]
  # --replace with no rows empties the named table.
  bq-load --replace ads_campaign_performance < /dev/null 2>/dev/null
  [ "$(bq-extract --query 'SELECT COUNT(*) AS n FROM ads_campaign_performance')" = '{"n":0}' ]
}

@test "a load killed with SIGKILL halfway leaves the table as it was" {
  with_base
  before=$(table_digest ads_campaign_performance)
  fifo="$BATS_TEST_TMPDIR/rows.fifo"
  mkfifo "$fifo"
  # Enough data (about 110 MB) that SQLite spills the open transaction into
  # the WAL file (its page cache is 64 MB): the kill lands with uncommitted
  # pages on disk.
  gen_campaign_rows 100000 0 1000 > "$BATS_TEST_TMPDIR/half.ndjson"
  bq-load ads_campaign_performance < "$fifo" 2>/dev/null &
  loader=$!
  # Keep the writer end open after the rows: the loader then waits mid-load for more.
  exec 7> "$fifo"
  cat "$BATS_TEST_TMPDIR/half.ndjson" >&7
  wal="$AELP_HOME/warehouse.sqlite-wal"
  for i in $(seq 1 600); do
    [ -s "$wal" ] && [ "$(stat -c %s "$wal")" -gt 4000000 ] && break
    sleep 0.1
  done
  [ "$(stat -c %s "$wal")" -gt 4000000 ] || { echo "the load never reached the WAL"; false; }
  kill -0 "$loader"
  kill -KILL "$loader"
  exec 7>&-
  wait "$loader" || true
  [ "$(table_digest ads_campaign_performance)" = "$before" ]
  [ "$(sqlite3 "$AELP_HOME/warehouse.sqlite" 'PRAGMA integrity_check')" = "ok" ]
  # The warehouse is usable at once: no stale lock, and the same rows load.
  head -n 30000 "$BATS_TEST_TMPDIR/half.ndjson" > "$BATS_TEST_TMPDIR/part.ndjson"
  run --separate-stderr bq-load ads_campaign_performance "$BATS_TEST_TMPDIR/part.ndjson"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"loaded 30000 rows"* ]]
}

@test "usage: unknown table, exclusive modes, missing file, table not ensured" {
  run --separate-stderr bq-load no_such_table
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"'no_such_table' is neither a table of the contract nor a file"* ]]
  run --separate-stderr bq-load --append --upsert ads_campaign_performance
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"exclude each other"* ]]
  run --separate-stderr bq-load ads_campaign_performance /nonexistent.ndjson
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"cannot open '/nonexistent.ndjson'"* ]]
  run --separate-stderr bq-load ads_campaign_performance "$FIX/tables/ads_campaign_performance.ndjson"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"no such table"*"run bq-ensure"* ]]
  run --separate-stderr bq-load --max-errors -1
  [ "$status" -eq 2 ]
  run --separate-stderr bq-load --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--upsert"* ]]
  [[ "$output" == *"Exit status:"* ]]
}

@test "routing errors: no _table, an unknown table, a mismatched tag" {
  with_base
  printf '%s\n' "$good_row" > "$BATS_TEST_TMPDIR/x.ndjson"
  run --separate-stderr bq-load "$BATS_TEST_TMPDIR/x.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"x.ndjson:1: no '_table' field"* ]]
  printf '%s\n' "${good_row/\{/\{\"_table\":\"nope\",}" > "$BATS_TEST_TMPDIR/x.ndjson"
  run --separate-stderr bq-load < "$BATS_TEST_TMPDIR/x.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"<stdin>:1: '_table' names 'nope'"* ]]
  printf '%s\n' "${good_row/\{/\{\"_table\":\"ga4_aggregates\",}" > "$BATS_TEST_TMPDIR/x.ndjson"
  run --separate-stderr bq-load ads_campaign_performance "$BATS_TEST_TMPDIR/x.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"tagged '_table': 'ga4_aggregates' but is being loaded into 'ads_campaign_performance'"* ]]
}

@test "--dry-run checks and writes every row, then rolls back; -t names the table" {
  with_base
  before=$(table_digest ads_campaign_performance)
  gen_campaign_rows 50 > "$BATS_TEST_TMPDIR/rows.ndjson"
  run --separate-stderr bq-load --dry-run -t ads_campaign_performance "$BATS_TEST_TMPDIR/rows.ndjson"
  [ "$status" -eq 0 ]
  [ "$stderr" = "bq-load: dry run, would load 50 rows into ads_campaign_performance (append)" ]
  [ "$(table_digest ads_campaign_performance)" = "$before" ]
  # A dry run still finds keys that clash with the table.
  run --separate-stderr bq-load -n ads_campaign_performance "$FIX/tables/ads_campaign_performance.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"duplicate key"* ]]
}

@test "several FILEs and '-' make one load; a bad row in the last file keeps all out" {
  with_base
  gen_campaign_rows 10 100 > "$BATS_TEST_TMPDIR/a.ndjson"
  gen_campaign_rows 10 200 > "$BATS_TEST_TMPDIR/c.ndjson"
  run --separate-stderr bash -c "cat '$BATS_TEST_TMPDIR/c.ndjson' | bq-load ads_campaign_performance '$BATS_TEST_TMPDIR/a.ndjson' -"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"loaded 20 rows"* ]]
  before=$(table_digest ads_campaign_performance)
  gen_campaign_rows 5 300 > "$BATS_TEST_TMPDIR/d.ndjson"
  printf '{"date":"2025-01-01"}\n' > "$BATS_TEST_TMPDIR/e.ndjson"
  run --separate-stderr bq-load ads_campaign_performance "$BATS_TEST_TMPDIR/d.ndjson" "$BATS_TEST_TMPDIR/e.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"e.ndjson:1: REQUIRED column 'campaign_id' is missing"* ]]
  [ "$(table_digest ads_campaign_performance)" = "$before" ]
}

@test "two loads at once: the second waits for the first, both land" {
  with_base
  gen_campaign_rows 20000 1000 > "$BATS_TEST_TMPDIR/a.ndjson"
  gen_campaign_rows 20000 50000 > "$BATS_TEST_TMPDIR/b.ndjson"
  bq-load ads_campaign_performance "$BATS_TEST_TMPDIR/a.ndjson" 2>/dev/null &
  p1=$!
  bq-load ads_campaign_performance "$BATS_TEST_TMPDIR/b.ndjson" 2>/dev/null &
  p2=$!
  wait "$p1"
  wait "$p2"
  n=$(grep -c . "$FIX/tables/ads_campaign_performance.ndjson")
  [ "$(bq-extract --query 'SELECT COUNT(*) AS n FROM ads_campaign_performance')" = "{\"n\":$((n + 40000))}" ]
}

@test "a routed load across datasets with a bad row at the end leaves every table as it was" {
  with_base
  bq-load gaelp_users.journey_sessions "$FIX/tables/gaelp_users.journey_sessions.ndjson" 2>/dev/null
  b1=$(table_digest ads_campaign_performance)
  b2=$(table_digest gaelp_users.journey_sessions)
  b3=$(table_digest canary_changes)
  {
    gen_campaign_rows 500 7000 | jq -c '. + {_table: "ads_campaign_performance"}'
    jq -c '.session_id |= . + "-new" | . + {_table: "gaelp_users.journey_sessions"}' "$FIX/tables/gaelp_users.journey_sessions.ndjson"
    jq -c '. + {_table: "canary_changes"}' "$FIX/tables/canary_changes.ndjson"
    echo '{"_table":"canary_changes","change_id":"late"}'
  } > "$BATS_TEST_TMPDIR/routed.ndjson"
  n=$(wc -l < "$BATS_TEST_TMPDIR/routed.ndjson")
  run --separate-stderr bq-load --replace < "$BATS_TEST_TMPDIR/routed.ndjson"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"<stdin>:$n: REQUIRED column"* ]]
  [ "$(table_digest ads_campaign_performance)" = "$b1" ]
  [ "$(table_digest gaelp_users.journey_sessions)" = "$b2" ]
  [ "$(table_digest canary_changes)" = "$b3" ]
}

@test "a folder as input is a usage error" {
  with_base
  run --separate-stderr bq-load ads_campaign_performance "$BATS_TEST_TMPDIR"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"cannot read '$BATS_TEST_TMPDIR': it is a folder"* ]]
}
