#!/usr/bin/env bats
# make demo's flow end to end: ensure, load the sample fixtures, count rows.

load ../helpers

@test "the demo flow loads every fixture and counts rows per table; a re-run adds nothing" {
  run --separate-stderr "$REPO/pipelines/demo.sh"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  first="$output"
  total=0
  for t in $(all_tables); do
    n=$(grep -c . "$FIX/tables/$t.ndjson")
    echo "$output" | grep -E "^$t +$n\$" || { echo "no count $n for $t"; false; }
    total=$((total + n))
  done
  echo "$output" | grep -E "^total +$total\$"
  [ "$(echo "$output" | wc -l)" -eq $(( $(all_tables | wc -l) + 1 )) ]
  run --separate-stderr "$REPO/pipelines/demo.sh"
  [ "$status" -eq 0 ]
  [ "$output" = "$first" ]
}

@test "the demo flow stops at the first failing step" {
  cp -r "$REPO/schemas" "$BATS_TEST_TMPDIR/schemas"
  f="$BATS_TEST_TMPDIR/schemas/tables/canary_changes.json"
  jq '.columns |= map(select(.name != "notes"))' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
  AELP_SCHEMAS="$BATS_TEST_TMPDIR/schemas" run --separate-stderr "$REPO/pipelines/demo.sh"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"unknown column 'notes'"* ]]
  [ -z "$output" ]
}

@test "a fresh clone: make demo works from a clean tree" {
  command -v git >/dev/null || skip "git is not installed"
  git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"
  git clone -q "$REPO" "$BATS_TEST_TMPDIR/clone"
  cd "$BATS_TEST_TMPDIR/clone"
  # A clean environment, as a person has: nothing from the make or bats running this test.
  run --separate-stderr env -i PATH="$PATH" HOME="$HOME" make demo
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ -x bin/bq-load ]
  [ -f var/warehouse.sqlite ]
  total=0
  for t in $(all_tables); do total=$((total + $(grep -c . "tests/fixtures/tables/$t.ndjson"))); done
  echo "$output" | grep -E "^total +$total\$"
}
