#!/usr/bin/env bats
# channel-attribute: heuristics, exact Markov, Shapley and fractribution on
# aggregated paths; ChannelAttribution's Data.csv and Snowplow's expected
# fractribution outputs from ../shared/data (missing data fails, naming it).

load ../helpers

eval "helpers_$(declare -f setup)"
setup() {
  helpers_setup
  unset AELP2_RUN_ID AELP2_STEP_REPORT
  DATA="$(shared_data)/attribution"
  CSV="$DATA/channelattribution_paths.csv"
  FX="$DATA/fractribution_expected"
}

need() { [ -f "$1" ] || { echo "missing shared data: $1" >&2; false; }; }

ca() { run --separate-stderr channel-attribute --run-id r1 "$@"; }

@test "heuristics on ChannelAttribution's Data.csv: 19,785 conversions and 74,802.971587 value per model" {
  need "$CSV"
  ca --format channelattribution -m first,last,linear,position "$CSV"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "${#lines[@]}" -eq 48 ]
  echo "$output" | jq -s -e '
    group_by(.model) | length == 4 and all(.[];
      (map(.conversions) | add) as $c | (map(.conversion_value) | add) as $v |
      (if .[0].model == "first" or .[0].model == "last" then $c == 19785 else ($c - 19785 | fabs) < 1e-7 end)
      and ($v - 74802.971587 | fabs) < 1e-5
      and ((map(.share) | add) - 1 | fabs) < 1e-12
      and all(.[]; .removal_effect == null and .week == null and has("_table") == false and .run_id == "r1"))'
  # channels in order of first appearance, 12 of them
  echo "$output" | jq -s -e '[.[] | select(.model == "first") | .channel] ==
    ["eta","iota","alpha","beta","theta","lambda","kappa","zeta","epsilon","gamma","delta","mi"]'
}

@test "linear splits per occurrence, first and last take the end tokens (paths checked by hand)" {
  printf 'path;total_conversions;total_conversion_value;total_null\n%s\n%s\n' \
    'alpha > iota > alpha > alpha > alpha > iota > alpha > alpha > alpha > alpha > alpha;2;6.754;6' \
    'eta > iota > alpha > eta;1;0.244;3' > "$BATS_TEST_TMPDIR/p.csv"
  ca --format channelattribution -m linear,first,last "$BATS_TEST_TMPDIR/p.csv"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  # alpha 9/11 of 2 + 1/4; iota 2/11 of 2 + 1/4; eta 2/4 of 1
  echo "$output" | jq -s -e '
    def near(a; b): (a - b | fabs) < 1e-12;
    def get(m; c): map(select(.model == m and .channel == c))[0];
    near(get("linear"; "alpha").conversions; 18/11 + 0.25) and
    near(get("linear"; "iota").conversions; 4/11 + 0.25) and
    near(get("linear"; "eta").conversions; 0.5) and
    near(get("linear"; "alpha").conversion_value; 6.754 * 9/11 + 0.244/4) and
    get("first"; "alpha").conversions == 2 and get("first"; "eta").conversions == 1 and
    get("last"; "alpha").conversions == 2 and get("last"; "eta").conversions == 1 and
    get("last"; "iota").conversions == 0'
}

@test "the vignette toy gives exactly A = 2, B = 1 under Markov order 1" {
  printf '%s\n' '{"path":"A>B>A>B>B>A","conversions":1}' '{"path":"A>B>B>A>A","conversions":1}' \
    '{"path":"A>A","conversions":1}' > "$BATS_TEST_TMPDIR/toy.ndjson"
  ca -m markov "$BATS_TEST_TMPDIR/toy.ndjson"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  echo "$output" | jq -s -e '
    def near(a; b): (a - b | fabs) < 1e-12;
    length == 2 and .[0].channel == "A" and near(.[0].conversions; 2) and near(.[0].removal_effect; 1)
    and .[1].channel == "B" and near(.[1].conversions; 1) and near(.[1].removal_effect; 0.5)
    and near(.[0].share; 2/3)'
}

@test "Markov orders 1 and 3 on Data.csv: conversions and value add up, removal effects in (0, 1]" {
  need "$CSV"
  for k in 1 3; do
    ca --format channelattribution -m markov --order "$k" "$CSV"
    [ "$status" -eq 0 ] || { echo "$stderr"; false; }
    echo "$output" | jq -s -e '
      length == 12 and ((map(.conversions) | add) - 19785 | fabs) < 1e-7
      and ((map(.conversion_value) | add) - 74802.971587 | fabs) < 1e-5
      and all(.[]; .removal_effect > 0 and .removal_effect <= 1 and .model == "markov")'
  done
  # order 1 and order 3 differ (the chain is not the same)
  ca --format channelattribution -m markov --order 1 "$CSV"; o1="$output"
  ca --format channelattribution -m markov --order 3 "$CSV"
  [ "$(echo "$o1" | jq -c '[.removal_effect]')" != "$(echo "$output" | jq -c '[.removal_effect]')" ]
}

# fractribution's customer paths as aggregated NDJSON rows (one per customer)
fract_input() {
  need "$FX/paths_to_conversion_expected.csv"
  need "$FX/paths_to_non_conversion_expected.csv"
  { tail -n +2 "$FX/paths_to_conversion_expected.csv" | awk -F, '{printf "{\"path\":\"%s\",\"conversions\":1,\"conversion_value\":%s}\n", $4, $3}'
    tail -n +2 "$FX/paths_to_non_conversion_expected.csv" | awk -F, 'NF {printf "{\"path\":\"%s\",\"conversions\":0,\"nulls\":1}\n", $2}'
  } > "$BATS_TEST_TMPDIR/f.ndjson"
}

@test "fractribution's expected channel attribution is reproduced (shapley and last touch)" {
  fract_input
  need "$FX/channel_attribution_expected.csv"
  for tr in "" "--transform exposure"; do
    # shellcheck disable=SC2086
    ca -m fractribution,last $tr "$BATS_TEST_TMPDIR/f.ndjson"
    [ "$status" -eq 0 ] || { echo "$stderr"; false; }
    echo "$output" > "$BATS_TEST_TMPDIR/out.ndjson"
    n=0
    while IFS=, read -r _ _ ch conv rev type; do
      m=fractribution; [ "$type" = last_touch ] && m=last
      jq -s -e --arg c "$ch" --arg m "$m" --argjson conv "$conv" --argjson rev "$rev" '
        map(select(.channel == $c and .model == $m)) | length == 1 and
        ((.[0].conversions - $conv) | fabs) < 1e-9 and ((.[0].conversion_value - $rev) | fabs) < 1e-9' \
        "$BATS_TEST_TMPDIR/out.ndjson" || { echo "$type $ch: expected $conv $rev"; false; }
      n=$((n + 1))
    done < <(tail -n +2 "$FX/channel_attribution_expected.csv"; echo)
    [ "$n" -ge 12 ]
  done
  # --transform unique changes the paths (Organic_Search > Organic_Search > Direct stays as is)
  ca -m fractribution --transform unique "$BATS_TEST_TMPDIR/f.ndjson"
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map(select(.channel == "Direct"))[0].conversions != 3.5409582690664606'
}

@test "--week makes channel_attribution_weekly rows; a day that is not a Monday is refused" {
  printf '%s\n' '{"path":"a > b","conversions":2,"conversion_value":10,"nulls":3}' > "$BATS_TEST_TMPDIR/p.ndjson"
  ca --week 2025-03-03 -m shapley,shapley-ordered "$BATS_TEST_TMPDIR/p.ndjson"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  echo "$output" | jq -s -e 'length == 4 and all(.[]; ._table == "channel_attribution_weekly"
    and .week == "2025-03-03" and .conversions == 1 and .conversion_value == 5 and .share == 0.5
    and (.created_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")))
    and (map(.model) | unique) == ["shapley", "shapley_ordered"]'
  ca --week 2025-03-04 "$BATS_TEST_TMPDIR/p.ndjson"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"not a Monday"* ]]
  [ -z "$output" ]
  AELP2_RUN_ID=flow7 run --separate-stderr channel-attribute -m last "$BATS_TEST_TMPDIR/p.ndjson"
  echo "$output" | jq -s -e 'all(.[]; .run_id == "flow7" and .week == null)'
}

@test "bad input: exit 65 naming FILE:LINE, nothing written" {
  f="$BATS_TEST_TMPDIR/bad.csv"
  printf 'path;total_conversions;total_conversion_value;total_null\na > b;1;2;0\na > b;-1;2;0\n' > "$f"
  ca --format channelattribution "$f"
  [ "$status" -eq 65 ]; [ -z "$output" ]
  [[ "$stderr" == *"bad.csv:3: total_conversions"* ]]
  printf 'a > b;1;2;0\n' > "$f"
  ca --format channelattribution "$f"
  [ "$status" -eq 65 ]; [[ "$stderr" == *"bad.csv:1: expected the header"* ]]
  printf 'path;a;b;c\na > > b;1;2;0\n' > "$f"
  ca --format channelattribution "$f"
  [ "$status" -eq 65 ]; [[ "$stderr" == *"bad.csv:2: empty channel name"* ]]
  printf 'path;a;b;c\na > b;1;2\n' > "$f"
  ca --format channelattribution "$f"
  [ "$status" -eq 65 ]; [[ "$stderr" == *"bad.csv:2: 3 fields"* ]]
  g="$BATS_TEST_TMPDIR/bad.ndjson"
  printf '{"path":"a","conversions":1}\n\n{"path":"a"}\n' > "$g"
  ca "$g"
  [ "$status" -eq 65 ]; [ -z "$output" ]; [[ "$stderr" == *"bad.ndjson:3: \"conversions\" missing"* ]]
  printf '{"path":"a","conversions":1,"nulls":"x"}\n' > "$g"
  ca "$g"
  [ "$status" -eq 65 ]; [[ "$stderr" == *"bad.ndjson:1: \"nulls\""* ]]
  printf 'not json\n' > "$g"
  ca "$g"
  [ "$status" -eq 65 ]; [[ "$stderr" == *"bad.ndjson:1: not a JSON object"* ]]
}

@test "usage errors exit 2; time-decay is refused with the reason; --help teaches" {
  printf '%s\n' '{"path":"a","conversions":1}' > "$BATS_TEST_TMPDIR/p.ndjson"
  ca -m nosuch "$BATS_TEST_TMPDIR/p.ndjson"; [ "$status" -eq 2 ]; [[ "$stderr" == *"'nosuch'"* ]]
  ca -m time-decay "$BATS_TEST_TMPDIR/p.ndjson"; [ "$status" -eq 2 ]
  [[ "$stderr" == *"no touch times"* ]]; [ -z "$output" ]
  ca --order 0 "$BATS_TEST_TMPDIR/p.ndjson"; [ "$status" -eq 2 ]
  ca --sep ab "$BATS_TEST_TMPDIR/p.ndjson"; [ "$status" -eq 2 ]
  ca --transform bogus "$BATS_TEST_TMPDIR/p.ndjson"; [ "$status" -eq 2 ]
  ca --format csv "$BATS_TEST_TMPDIR/p.ndjson"; [ "$status" -eq 2 ]
  run channel-attribute --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"time-decay"*"refused (exit 2)"* ]]
  [[ "$output" == *"removeIfLastAndNotAll"* ]]
}

@test "--sep, non_conversions, several files add up; no conversions writes nothing" {
  printf '%s\n' '{"path":"a|b","conversions":1,"non_conversions":1}' > "$BATS_TEST_TMPDIR/1.ndjson"
  printf '%s\n' '{"path":"a | b","conversions":1,"conversion_value":4}' > "$BATS_TEST_TMPDIR/2.ndjson"
  ca --sep '|' -m linear "$BATS_TEST_TMPDIR/1.ndjson" "$BATS_TEST_TMPDIR/2.ndjson"
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'length == 2 and all(.[]; .conversions == 1 and .conversion_value == 2)'
  [[ "$stderr" == *"2 path rows, 1 distinct paths"* ]]
  printf '%s\n' '{"path":"a","conversions":0,"nulls":4}' > "$BATS_TEST_TMPDIR/0.ndjson"
  ca -m markov "$BATS_TEST_TMPDIR/0.ndjson"
  [ "$status" -eq 0 ]; [ -z "$output" ]; [[ "$stderr" == *"no conversions"* ]]
}
