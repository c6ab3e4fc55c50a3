#!/usr/bin/env bats
# journey-summarize: paths and transitions per day from journey sessions; the
# simulator's true chain recovered; counts that add up exactly; unsorted and
# spilled input; the warehouse; bad input and usage.

load ../helpers

eval "helpers_$(declare -f setup)"
setup() {
  helpers_setup
  unset AELP2_RUN_ID AELP2_STEP_REPORT
  D="$BATS_TEST_TMPDIR"
}

# 100 days from 2025-01-01 (days 0..99), ~1000 new journey users a day.
sim() { # USERS
  sim-generate --start 2025-01-01 --days 100 --seed 11 --users "$1" \
    --tables gaelp_users.journey_sessions --truth "$D/truth.json" > "$D/s.ndjson"
}

strip() { jq -c 'del(.created_at)'; }

# Pearson X^2 per row of the truth's matrix, on the transitions pooled over
# the days; cells expected below 5 merged into one; the critical value is
# gsl_cdf_chisq_Qinv(1e-4, df) (df = cells - 1), so the ten rows together
# reject a correct estimate with probability below 1e-3.  A transition the
# truth gives probability 0 rejects outright.
CHI='
def crit: [15.137,18.421,21.108,23.513,25.745,27.856,29.878,31.828,33.720,35.564][. - 1];
$t[0].journeys as $J | $J.states as $S
| [ .[] | select(._table == "journey_transitions_daily") ] as $rows
| range(0; ($S | length) - 2) as $i | $S[$i] as $from
| [ $rows[] | select(.from_state == $from) ] as $r
| ($r | map(.transitions) | add) as $n
| [ range(1; $S | length) as $j
    | { p: $J.transition_matrix[$i][$j],
        o: ([ $r[] | select(.to_state == $S[$j]) | .transitions ] | add // 0) } ] as $cells
| ($cells | map(select(.p * $n >= 5))) as $big | ($cells | map(select(.p * $n < 5))) as $small
| ($big + (if ($small | length) > 0 then [ { p: ($small | map(.p) | add), o: ($small | map(.o) | add) } ] else [] end)) as $c
| ($c | map(select(.p > 0)) | map((.o - $n * .p) * (.o - $n * .p) / ($n * .p)) | add) as $x2
| ($c | map(select(.p == 0)) | map(.o) | add // 0) as $impossible
| (($c | map(select(.p > 0)) | length) - 1) as $df
| "\($from) n=\($n) df=\($df) X2=\($x2 * 1000 | round / 1000) crit=\($df | crit) \(if $x2 < ($df | crit) and $impossible == 0 then "ok" else "REJECT" end)"'

@test "recovers sim-generate's true transition matrix within sampling error (chi-square per row)" {
  sim 1000
  # Journeys ending on days 46..68 are whole: their users arrived on day 0 or
  # later (a journey ends at most 30 + 14 days and a bit after its user's
  # arrival), the lookback of 60 days holds all their sessions, and --as-of the
  # data's last day (99 >= 68 + 30) sees every later session of their users.
  run --separate-stderr journey-summarize --stdin --date 2025-03-10 --days 23 --lookback 60 \
    --as-of 2025-04-10 "$D/s.ndjson"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  echo "$output" > "$D/out.ndjson"
  run -0 jq -rs --slurpfile t "$D/truth.json" "$CHI" "$D/out.ndjson"
  echo "$output"
  [ "${#lines[@]}" -eq 10 ]
  [ "$(grep -c ' ok$' <<<"$output")" -eq 10 ]
  # every row has at least 1000 transitions: the test has power
  [ "$(grep -c 'n=[0-9]\{4,\} ' <<<"$output")" -eq 10 ]
  # Power: collapsing repeats removes the chain's self-transitions, and the
  # same test must see it.
  journey-summarize --stdin -q --date 2025-03-10 --days 23 --lookback 60 --as-of 2025-04-10 \
    --collapse "$D/s.ndjson" > "$D/col.ndjson"
  run -0 jq -rs --slurpfile t "$D/truth.json" "$CHI" "$D/col.ndjson"
  echo "$output"
  [ "$(grep -c 'REJECT$' <<<"$output")" -ge 5 ]
  # probabilities are count / from_total, and sum to 1 per day and state
  jq -s -e '[ .[] | select(._table == "journey_transitions_daily") ]
    | all(.[]; (.probability - .transitions / .from_total | fabs) < 1e-15)
      and (group_by([.date, .from_state])
           | all(.[]; ((map(.probability) | add) - 1 | fabs) < 1e-12
                      and (map(.transitions) | add) == .[0].from_total))' "$D/out.ndjson"
}

@test "path counts add up: journeys = users (one journey each) less those converting after the window" {
  sim 100
  # every day of the data, lookback longer than any journey
  journey-summarize --stdin -q --date 2025-04-10 --days 100 --lookback 100 "$D/s.ndjson" > "$D/out.ndjson"
  users=$(jq -r .user_id "$D/s.ndjson" | sort -u | wc -l)
  late=$(jq -r 'select(.converted and .converted_at > "2025-04-11") | .user_id' "$D/s.ndjson" | sort -u | wc -l)
  conv=$(jq -r 'select(.converted and .converted_at < "2025-04-11") | .user_id' "$D/s.ndjson" | sort -u | wc -l)
  value=$(jq -n '[inputs | select(.converted and .converted_at < "2025-04-11") | .conversion_value] | add * 100 | round' "$D/s.ndjson")
  echo "users=$users late=$late conv=$conv"
  [ "$users" -gt 5000 ] && [ "$late" -gt 0 ]
  run -0 jq -s -c '[ .[] | select(._table == "journey_paths_daily") ]
    | [ (map(.journeys) | add), (map(.conversions) | add), (map(.conversion_value) | add * 100 | round),
        all(.[]; .journeys == .conversions + .non_conversions) ]' "$D/out.ndjson"
  echo "$output"
  [ "$output" = "[$((users - late)),$conv,$value,true]" ]
  # per day: the paths' journeys = the (start) transitions, and path_length = channels
  jq -s -e '(map(select(._table == "journey_paths_daily")) | group_by(.date)
             | map({key: .[0].date, value: (map(.journeys) | add)}) | from_entries) as $p
    | (map(select(._table == "journey_transitions_daily" and .from_state == "(start)")) | group_by(.date)
       | map({key: .[0].date, value: .[0].from_total}) | from_entries) == $p' "$D/out.ndjson"
  jq -s -e 'map(select(._table == "journey_paths_daily")) | all(.[]; (.path | split(" > ") | length) == .path_length)' "$D/out.ndjson"
}

@test "unsorted input, and input spilled to disk in sorted runs, give the same rows as sorted" {
  sim 100
  journey-summarize --stdin -q --date 2025-03-31 --days 30 --collapse --max-length 4 "$D/s.ndjson" | strip > "$D/a"
  jq -c . "$D/s.ndjson" | sort -t'"' -k8 > "$D/sorted.ndjson"   # by user_id
  shuf --random-source=<(yes) "$D/s.ndjson" > "$D/shuf.ndjson"
  ! cmp -s "$D/s.ndjson" "$D/shuf.ndjson"
  journey-summarize --stdin -q --date 2025-03-31 --days 30 --collapse --max-length 4 "$D/sorted.ndjson" | strip > "$D/b"
  run --separate-stderr journey-summarize --stdin --date 2025-03-31 --days 30 --collapse --max-length 4 --memory 1 "$D/shuf.ndjson"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"spilled to disk"* ]]
  echo "$output" | strip > "$D/c"
  [ "$(wc -l < "$D/a")" -gt 500 ]
  cmp "$D/a" "$D/b"
  cmp "$D/a" "$D/c"
  # trimming kept at most 4 and collapsing left no repeats
  jq -s -e 'map(select(._table == "journey_paths_daily")) | all(.[]; .path_length <= 4 and .collapsed
    and ((.path | split(" > ")) as $c | all(range(1; $c | length); $c[.] != $c[. - 1])))' "$D/a"
}

@test "warehouse input equals --stdin; loads and re-runs are idempotent; run_id from the flow" {
  sim 50
  bq-ensure --quiet >/dev/null
  bq-load --upsert < "$D/s.ndjson" >/dev/null
  journey-summarize --stdin -q --date 2025-03-20 --days 7 "$D/s.ndjson" | strip > "$D/a"
  AELP2_RUN_ID=flow-1 journey-summarize -q --date 2025-03-20 --days 7 > "$D/w.ndjson"
  strip < "$D/w.ndjson" | sed 's/"flow-1"/"journey-summarize-2025-03-20"/' > "$D/b"
  cmp "$D/a" "$D/b"
  jq -e -s 'all(.[]; .run_id == "flow-1")' "$D/w.ndjson"
  bq-load --upsert < "$D/w.ndjson" >/dev/null
  n1=$(bq-extract --query "SELECT COUNT(*) AS n FROM journey_paths_daily" | jq .n)
  t1=$(bq-extract --query "SELECT COUNT(*) AS n FROM journey_transitions_daily" | jq .n)
  AELP2_RUN_ID=flow-1 journey-summarize -q --date 2025-03-20 --days 7 | bq-load --upsert >/dev/null
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM journey_paths_daily" | jq .n)" -eq "$n1" ]
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM journey_transitions_daily" | jq .n)" -eq "$t1" ]
  [ "$n1" -eq "$(jq -s 'map(select(._table == "journey_paths_daily")) | length' "$D/w.ndjson")" ]
}

@test "bad input: FILE:LINE, exit 65, nothing written" {
  sim 20
  head -50 "$D/s.ndjson" > "$D/bad.ndjson"
  echo '{"session_id":"x","user_id":"u","channel":"meta","converted":false}' >> "$D/bad.ndjson"
  run --separate-stderr journey-summarize --stdin --date 2025-03-20 "$D/bad.ndjson"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"bad.ndjson:51:"*"session_start"* ]]
  head -3 "$D/s.ndjson" > "$D/bad2.ndjson"
  echo '{"session_id":"x","user_id":"u","session_start":"2025-01-02T00:00:00Z","channel":"a > b","converted":false}' >> "$D/bad2.ndjson"
  run --separate-stderr journey-summarize --stdin --date 2025-03-20 "$D/bad2.ndjson"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"bad2.ndjson:4: channel 'a > b'"* ]]
}

@test "usage errors exit 2; --help teaches and exits 0" {
  run -2 journey-summarize --days 0
  run -2 journey-summarize --date 2025-02-30
  run -2 journey-summarize --lookback -1
  run -2 journey-summarize somefile
  run -2 journey-summarize --memory 10
  run -2 journey-summarize --date 2025-03-10 --as-of 2025-03-09
  run -2 journey-summarize --stdin "$D/missing.ndjson"
  run -0 journey-summarize --help
  [[ "$output" == *"each conversion ends a"* ]]
  [[ "$output" == *"trimLongPath"* ]]
  [[ "$output" == *"external merge sort"* ]]
}
