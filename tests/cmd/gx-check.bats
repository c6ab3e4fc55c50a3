#!/usr/bin/env bats
# gx-check: Great Expectations suites on NDJSON rows and warehouse tables.

load ../helpers

GXDATA="$(shared_data)/gx"   # missing: the conformance tests fail, naming it

# suite TYPE KWARGS-JSON: a one-expectation 1.x suite; prints its path.
suite() {
  local f="$BATS_TEST_TMPDIR/suite-$RANDOM$RANDOM.json"
  jq -n --arg t "$1" --argjson k "$2" '{name: "t", expectations: [{type: $t, kwargs: $k}]}' > "$f"
  echo "$f"
}

# check TYPE KWARGS SUCCESS [UNEXPECTED_COUNT]: run on $DATA, compare.
check() {
  local s
  s=$(suite "$1" "$2")
  run --separate-stderr gx-check --suite "$s" ${DTYPES:+--dtypes "$DTYPES"} "$DATA"
  [ "$status" -le 1 ] || { echo "$1 $2: exit $status: $stderr"; return 1; }
  got=$(jq -c '.results[0] | [.success, .result.unexpected_count]' <<<"$output")
  if [ "$3" = true ]; then [ "$status" -eq 0 ]; else [ "$status" -eq 1 ]; fi || { echo "$1 $2: status $status"; return 1; }
  [ "$(jq '.results[0].success' <<<"$output")" = "$3" ] || { echo "$1 $2: got $got, expected $3 $4"; return 1; }
  if [ -n "${4:-}" ]; then
    [ "$(jq '.results[0].result.unexpected_count' <<<"$output")" = "$4" ] || { echo "$1 $2: got $got, expected $3 $4"; return 1; }
  fi
}

# observed TYPE KWARGS VALUE: the result's observed_value.
observed() {
  local s
  s=$(suite "$1" "$2")
  run --separate-stderr gx-check --suite "$s" ${DTYPES:+--dtypes "$DTYPES"} "$DATA"
  [ "$(jq -c '.results[0].result.observed_value' <<<"$output")" = "$3" ] || { echo "$1 $2: observed $(jq -c '.results[0].result.observed_value' <<<"$output"), expected $3"; return 1; }
}

# raises TYPE KWARGS SUBSTRING: exception_info names it, success false.
raises() {
  local s
  s=$(suite "$1" "$2")
  run --separate-stderr gx-check --suite "$s" "$DATA"
  [ "$status" -eq 1 ] || { echo "$1 $2: status $status"; return 1; }
  jq -e --arg s "$3" '.results[0] | .success == false and .exception_info.raised_exception and (.exception_info.exception_message | contains($s))' <<<"$output" >/dev/null ||
    { echo "$1 $2: $(jq -c '.results[0].exception_info' <<<"$output")"; return 1; }
}

setup_data() {
  DATA="$BATS_TEST_TMPDIR/data.ndjson"
  cat > "$DATA" <<'EOF'
{"id":1,"n":2.5,"s":"apple","d":"2025-01-31","z":null,"a":10,"b":3,"flag":true}
{"id":2,"n":-1.25,"s":"banana","d":"2025-02-30","z":null,"a":3,"b":3,"flag":false}
{"id":3,"n":7.0,"s":"cherry","d":"2025-03-01","z":null,"a":null,"b":null,"flag":true}
{"id":4,"n":null,"s":null,"d":"01/03/2025","z":5,"a":1,"b":2,"flag":true}
{"id":4,"n":3.5,"s":"apple","d":"2025-03-02","z":null,"a":8,"b":null,"flag":false}
EOF
}

@test "help teaches the options, the expectations, the exit codes and a pipe gate" {
  run gx-check --help
  [ "$status" -eq 0 ]
  for w in --suite --result --result-format --pass --table --dtypes --all --dry-run --run-id \
           expect_column_values_to_be_unique expect_column_sum_to_be_between AELP_HOME \
           "| bq-load ads_campaign_performance" "65" "70"; do
    [[ "$output" == *"$w"* ]] || { echo "help lacks $w"; false; }
  done
  run --separate-stderr bash -c 'gx-check --help > /dev/full'
  [ "$status" -eq 70 ]
}

@test "usage errors exit 2: no suite, an unknown option, an unknown type naming it and the file" {
  run --separate-stderr gx-check
  [ "$status" -eq 2 ]
  run --separate-stderr gx-check --suite x --bogus
  [ "$status" -eq 2 ]
  setup_data
  s=$(suite expect_column_values_to_be_purple '{"column":"id"}')
  run --separate-stderr gx-check --suite "$s" "$DATA"
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  [[ "$stderr" == *"$s"* && "$stderr" == *"unknown type 'expect_column_values_to_be_purple'"* ]]
  echo '{"name": "x", "expectations": [' > "$BATS_TEST_TMPDIR/bad.json"
  run --separate-stderr gx-check --suite "$BATS_TEST_TMPDIR/bad.json" "$DATA"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"bad.json"* ]]
}

@test "1.x and 0.18 suites give identical results" {
  setup_data
  new="$BATS_TEST_TMPDIR/new.json" old="$BATS_TEST_TMPDIR/old.json"
  cat > "$new" <<'EOF'
{"name": "fmt", "id": "abc", "notes": "x", "suite_parameters": {},
 "meta": {"great_expectations_version": "1.2.0"},
 "expectations": [
  {"type": "expect_column_values_to_be_between", "kwargs": {"column": "n", "min_value": 0}, "meta": {"k": 1}, "id": "e1", "rendered_content": []},
  {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["id", "s"]}, "meta": {}, "notes": "n"},
  {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "s", "value_set": ["apple", "cherry"], "mostly": 0.5}, "meta": {}}]}
EOF
  jq '{expectation_suite_name: .name, ge_cloud_id: null, data_asset_type: null, evaluation_parameters: {},
       meta: .meta, expectations: [.expectations[] | {expectation_type: .type, kwargs, meta}]}' "$new" > "$old"
  run --separate-stderr gx-check --suite "$new" "$DATA"
  [ "$status" -eq 1 ]
  a="$output"
  run --separate-stderr gx-check --suite "$old" "$DATA"
  [ "$status" -eq 1 ]
  [ "$a" = "$output" ]
  jq -e '.suite_name == "fmt" and (.results | length) == 3 and .results[0].expectation_config.meta.k == 1
         and .statistics.evaluated_expectations == 3 and .statistics.successful_expectations == 2' <<<"$output"
}

@test "not_null and be_null: all rows are the denominator; mostly" {
  setup_data
  check expect_column_values_to_not_be_null '{"column":"id"}' true 0
  check expect_column_values_to_not_be_null '{"column":"n"}' false 1
  check expect_column_values_to_not_be_null '{"column":"n","mostly":0.8}' true 1
  check expect_column_values_to_not_be_null '{"column":"z"}' false 4
  check expect_column_values_to_be_null '{"column":"z"}' false 1
  check expect_column_values_to_be_null '{"column":"z","mostly":0.8}' true 1
  check expect_column_values_to_be_null '{"column":"z","mostly":0.81}' false 1
  check expect_column_values_to_be_null '{"column":"id"}' false 5
  # a missing key is a null
  printf '{"q":1}\n{"p":2}\n' > "$BATS_TEST_TMPDIR/gap.ndjson"
  DATA="$BATS_TEST_TMPDIR/gap.ndjson" check expect_column_values_to_not_be_null '{"column":"q"}' false 1
}

@test "between: open sides, strict bounds, strings, mostly over non-nulls, bad bounds raise" {
  setup_data
  check expect_column_values_to_be_between '{"column":"n","min_value":-2,"max_value":7}' true 0
  check expect_column_values_to_be_between '{"column":"n","min_value":0}' false 1
  check expect_column_values_to_be_between '{"column":"n","min_value":0,"mostly":0.75}' true 1
  check expect_column_values_to_be_between '{"column":"n","min_value":0,"mostly":0.76}' false 1
  check expect_column_values_to_be_between '{"column":"n","max_value":7,"strict_max":true}' false 1
  check expect_column_values_to_be_between '{"column":"n","min_value":-1.25,"strict_min":true}' false 1
  check expect_column_values_to_be_between '{"column":"s","min_value":"apple","max_value":"c"}' false 1
  raises expect_column_values_to_be_between '{"column":"n","min_value":null,"max_value":null}' "cannot both be None"
  raises expect_column_values_to_be_between '{"column":"n","min_value":5,"max_value":1}' "greater than max_value"
  raises expect_column_values_to_be_between '{"column":"s","min_value":0,"max_value":9}' "same type"
  raises expect_column_values_to_be_between '{"column":"nope","min_value":0}' "does not exist"
}

@test "in_set and not_in_set: numbers by value, strings exactly, None set vacuous" {
  setup_data
  check expect_column_values_to_be_in_set '{"column":"s","value_set":["apple","banana","cherry"]}' true 0
  check expect_column_values_to_be_in_set '{"column":"s","value_set":["apple"]}' false 2
  check expect_column_values_to_be_in_set '{"column":"s","value_set":["apple"],"mostly":0.5}' true 2
  check expect_column_values_to_be_in_set '{"column":"n","value_set":[2.5,-1.25,7,3.5]}' true 0
  check expect_column_values_to_be_in_set '{"column":"id","value_set":["1","2","3","4"]}' false 5
  check expect_column_values_to_be_in_set '{"column":"s","value_set":null}' true 0
  check expect_column_values_to_not_be_in_set '{"column":"s","value_set":["durian"]}' true 0
  check expect_column_values_to_not_be_in_set '{"column":"s","value_set":["apple"]}' false 2
  check expect_column_values_to_not_be_in_set '{"column":"s","value_set":["apple"],"mostly":0.5}' true 2
  check expect_column_values_to_not_be_in_set '{"column":"id","value_set":[4.0]}' false 2
}

@test "regex is a search; Python escapes translated; lookarounds raise" {
  setup_data
  check expect_column_values_to_match_regex '{"column":"s","regex":"an"}' false 3
  check expect_column_values_to_match_regex '{"column":"s","regex":"^[a-c]"}' true 0
  check expect_column_values_to_match_regex '{"column":"d","regex":"^\\d{4}-\\d\\d-\\d\\d$"}' false 1
  check expect_column_values_to_match_regex '{"column":"d","regex":"^(?:\\d{4})-","mostly":0.75}' true 1
  check expect_column_values_to_match_regex '{"column":"id","regex":"^[1-3]$"}' false 2
  check expect_column_values_to_match_regex '{"column":"s","regex":""}' true 0
  check expect_column_values_to_match_regex '{"column":"d","regex":"^[\\d\\-]+$"}' false 1
  check expect_column_values_to_match_regex '{"column":"s","regex":"^[a\\-c]"}' false 1
  raises expect_column_values_to_match_regex '{"column":"s","regex":"a(?=p)"}' "lookaround"
}

@test "unique: every copy of a duplicate is unexpected; nulls ignored; compound on tuples" {
  setup_data
  check expect_column_values_to_be_unique '{"column":"id"}' false 2
  check expect_column_values_to_be_unique '{"column":"s"}' false 2
  check expect_column_values_to_be_unique '{"column":"s","mostly":0.5}' true 2
  check expect_column_values_to_be_unique '{"column":"z"}' true 0
  check expect_column_values_to_be_unique '{"column":"d"}' true 0
  check expect_compound_columns_to_be_unique '{"column_list":["id","s"]}' true 0
  check expect_compound_columns_to_be_unique '{"column_list":["s","flag"]}' true 0
  check expect_compound_columns_to_be_unique '{"column_list":["z","s"]}' false 2
  check expect_compound_columns_to_be_unique '{"column_list":["z","s"],"mostly":0.6}' true 2
  check expect_compound_columns_to_be_unique '{"column_list":["a","b"],"ignore_row_if":"any_value_is_missing"}' true 0
  # 1 and 1.0 are the same value to pandas
  printf '{"v":1}\n{"v":1.0}\n{"v":"1"}\n' > "$BATS_TEST_TMPDIR/one.ndjson"
  DATA="$BATS_TEST_TMPDIR/one.ndjson" check expect_column_values_to_be_unique '{"column":"v"}' false 2
}

@test "uniqueness beyond the sort buffer: spilled runs merge to the same exact answer" {
  awk 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"k\":\"key-%05d\",\"j\":%d}\n", (i % 1000 == 7 ? 42 : i), i % 1000 }' > "$BATS_TEST_TMPDIR/big.ndjson"
  s=$(suite expect_column_values_to_be_unique '{"column":"k","result_format":"COMPLETE"}')
  c=$(suite expect_compound_columns_to_be_unique '{"column_list":["j","k"],"result_format":{"result_format":"SUMMARY","partial_unexpected_count":5}}')
  run --separate-stderr gx-check --suite "$s" "$BATS_TEST_TMPDIR/big.ndjson"
  [ "$status" -eq 1 ]
  mem="$output"
  jq -e '.results[0].result | .unexpected_count == 4 and .unexpected_index_list == [7,42,1007,2007]
         and .partial_unexpected_list == ["key-00042","key-00042","key-00042","key-00042"]' <<<"$mem"
  GX_CHECK_SORT_BUFFER=512 run --separate-stderr gx-check --suite "$s" "$BATS_TEST_TMPDIR/big.ndjson"
  [ "$status" -eq 1 ]
  [ "$output" = "$mem" ]
  run --separate-stderr gx-check --suite "$c" "$BATS_TEST_TMPDIR/big.ndjson"
  mem="$output"
  GX_CHECK_SORT_BUFFER=512 run --separate-stderr gx-check --suite "$c" "$BATS_TEST_TMPDIR/big.ndjson"
  [ "$output" = "$mem" ]
  # a dict is not hashable: GX reports that instead of the counts
  jq -e '.results[0].result | .unexpected_count == 3 and .partial_unexpected_index_list == [7, 1007, 2007]
         and .partial_unexpected_counts == [] and (.details.partial_unexpected_counts_error | contains("hashable"))' <<<"$output"
  # the spill really happened: a tiny buffer with no TMPDIR to write to fails loudly
  TMPDIR=/nonexistent GX_CHECK_SORT_BUFFER=512 run --separate-stderr gx-check --suite "$s" "$BATS_TEST_TMPDIR/big.ndjson"
  [ "$status" -eq 70 ]
  [[ "$stderr" == *"temporary file"* ]]
}

@test "of_type: pandas dtypes inferred from the values, per value for object columns" {
  printf '{"i":1,"f":1.5,"m":1,"b":true,"s":"x","o":1}\n{"i":2,"f":2,"m":null,"b":false,"s":"y","o":"two"}\n' > "$BATS_TEST_TMPDIR/t.ndjson"
  DATA="$BATS_TEST_TMPDIR/t.ndjson"
  check expect_column_values_to_be_of_type '{"column":"i","type_":"int64"}' true
  observed expect_column_values_to_be_of_type '{"column":"i","type_":"int"}' '"int64"'
  check expect_column_values_to_be_of_type '{"column":"i","type_":"float"}' false
  observed expect_column_values_to_be_of_type '{"column":"f","type_":"float"}' '"float64"'
  observed expect_column_values_to_be_of_type '{"column":"m","type_":"float64"}' '"float64"'
  observed expect_column_values_to_be_of_type '{"column":"b","type_":"bool"}' '"bool_"'
  check expect_column_values_to_be_of_type '{"column":"s","type_":"str"}' true 0
  check expect_column_values_to_be_of_type '{"column":"o","type_":"int"}' false 1
  observed expect_column_values_to_be_of_type '{"column":"o","type_":"object"}' '"object_"'
  DTYPES="i=float64" observed expect_column_values_to_be_of_type '{"column":"i","type_":"float"}' '"float64"'
}

@test "dateutil and strftime: Python's parsing rules; non-strings raise" {
  setup_data
  check expect_column_values_to_be_dateutil_parseable '{"column":"d"}' false 1
  check expect_column_values_to_be_dateutil_parseable '{"column":"s"}' false 4
  check expect_column_values_to_match_strftime_format '{"column":"d","strftime_format":"%Y-%m-%d"}' false 2
  check expect_column_values_to_match_strftime_format '{"column":"d","strftime_format":"%Y-%m-%d","mostly":0.6}' true 2
  check expect_column_values_to_match_strftime_format '{"column":"d","strftime_format":"%d/%m/%Y"}' false 4
  raises expect_column_values_to_match_strftime_format '{"column":"id","strftime_format":"%Y"}' "must be of type string"
  raises expect_column_values_to_match_strftime_format '{"column":"d","strftime_format":"%Q"}' "Unable to use provided strftime_format"
  raises expect_column_values_to_be_dateutil_parseable '{"column":"id"}' "must be of type string"
}

@test "pair A > B: or_equal, ignore_row_if, mostly" {
  setup_data
  check expect_column_pair_values_a_to_be_greater_than_b '{"column_A":"a","column_B":"b"}' false 3
  check expect_column_pair_values_a_to_be_greater_than_b '{"column_A":"a","column_B":"b","or_equal":true}' false 2
  check expect_column_pair_values_a_to_be_greater_than_b '{"column_A":"a","column_B":"b","or_equal":true,"ignore_row_if":"either_value_is_missing"}' false 1
  check expect_column_pair_values_a_to_be_greater_than_b '{"column_A":"a","column_B":"b","or_equal":true,"ignore_row_if":"either_value_is_missing","mostly":0.6}' true 1
  s=$(suite expect_column_pair_values_a_to_be_greater_than_b '{"column_A":"a","column_B":"b","result_format":"COMPLETE"}')
  run --separate-stderr gx-check --suite "$s" "$DATA"
  jq -e '.results[0].result | .unexpected_list == [[3,3],[1,2],[8,null]] and .unexpected_index_list == [1,3,4]
         and .missing_count == 1 and .element_count == 5' <<<"$output"
}

@test "mean, min, max, sum: observed values and bounds (the three without GX fixtures too)" {
  setup_data
  observed expect_column_mean_to_be_between '{"column":"n","min_value":0}' 2.9375
  check expect_column_mean_to_be_between '{"column":"n","min_value":3}' false
  observed expect_column_min_to_be_between '{"column":"n","min_value":-2}' -1.25
  check expect_column_min_to_be_between '{"column":"n","min_value":-2}' true
  check expect_column_min_to_be_between '{"column":"n","min_value":-1.25,"strict_min":true}' false
  observed expect_column_max_to_be_between '{"column":"id","max_value":4}' 4
  check expect_column_max_to_be_between '{"column":"id","max_value":4}' true
  check expect_column_max_to_be_between '{"column":"id","max_value":3}' false
  observed expect_column_max_to_be_between '{"column":"s","max_value":"d"}' '"cherry"'
  observed expect_column_sum_to_be_between '{"column":"id","min_value":14,"max_value":14}' 14
  check expect_column_sum_to_be_between '{"column":"id","min_value":14,"max_value":14}' true
  check expect_column_sum_to_be_between '{"column":"id","min_value":15}' false
  check expect_column_sum_to_be_between '{"column":"n","min_value":11.75,"max_value":11.75}' true
  observed expect_column_sum_to_be_between '{"column":"z","max_value":0}' 5
  check expect_column_max_to_be_between '{"column":"id"}' true
  # all null: no observed value, so it fails (a sum of nothing is 0, as pandas says)
  printf '{"v":null}\n' > "$BATS_TEST_TMPDIR/null.ndjson"
  DATA="$BATS_TEST_TMPDIR/null.ndjson" check expect_column_mean_to_be_between '{"column":"v","min_value":0}' false
  DATA="$BATS_TEST_TMPDIR/null.ndjson" check expect_column_min_to_be_between '{"column":"v","min_value":0}' false
  DATA="$BATS_TEST_TMPDIR/null.ndjson" observed expect_column_sum_to_be_between '{"column":"v","min_value":0}' 0
  raises expect_column_mean_to_be_between '{"column":"s","min_value":0}' "numeric"
}

@test "table expectations: columns in order of first appearance, row count, column_to_exist" {
  setup_data
  check expect_table_columns_to_match_ordered_list '{"column_list":["id","n","s","d","z","a","b","flag"]}' true
  check expect_table_columns_to_match_ordered_list '{"column_list":["id","s","n","d","z","a","b","flag"]}' false
  check expect_table_row_count_to_be_between '{"min_value":5,"max_value":5}' true
  check expect_table_row_count_to_be_between '{"max_value":4}' false
  check expect_table_row_count_to_be_between '{"max_value":3,"row_condition":"flag == True","condition_parser":"pandas"}' true
  check expect_column_values_to_be_unique '{"column":"s","row_condition":"id != 1","condition_parser":"pandas"}' true 0
  check expect_column_values_to_be_unique '{"column":"s","row_condition":"id >= 1 & n > 0","condition_parser":"pandas"}' false 2
  raises expect_column_values_to_be_unique '{"column":"s","row_condition":"id.isin([1])","condition_parser":"pandas"}' "row_condition"
  raises expect_table_row_count_to_be_between '{"min_value":2.5}' "must be integers"
  check expect_column_to_exist '{"column":"flag"}' true
  check expect_column_to_exist '{"column":"flag","column_index":7}' true
  check expect_column_to_exist '{"column":"flag","column_index":6}' false
  check expect_column_to_exist '{"column":"nope"}' false
  printf '{"b":1}\n{"a":2,"b":3}\n' > "$BATS_TEST_TMPDIR/late.ndjson"
  DATA="$BATS_TEST_TMPDIR/late.ndjson" check expect_table_columns_to_match_ordered_list '{"column_list":["b","a"]}' true
  DATA="$BATS_TEST_TMPDIR/late.ndjson" DTYPES="a,b" check expect_table_columns_to_match_ordered_list '{"column_list":["a","b"]}' true
}

@test "--table takes the columns from the contract" {
  s=$(suite expect_table_columns_to_match_ordered_list "$(jq -c '{column_list: [.columns[].name]}' "$AELP_SCHEMAS/tables/ads_campaign_performance.json")")
  run --separate-stderr gx-check --suite "$s" --table ads_campaign_performance "$FIX/tables/ads_campaign_performance.ndjson"
  [ "$status" -eq 0 ]
  s=$(suite expect_column_values_to_be_of_type '{"column":"video_views","type_":"int64"}')
  run --separate-stderr gx-check --suite "$s" --table ads_campaign_performance "$FIX/tables/ads_campaign_performance.ndjson"
  [ "$status" -eq 0 ]
  run --separate-stderr gx-check --suite "$s" --table no_such_table "$FIX/tables/ads_campaign_performance.ndjson"
  [ "$status" -eq 2 ]
}

@test "result formats: BOOLEAN_ONLY, BASIC, SUMMARY, COMPLETE and the partial count" {
  setup_data
  s=$(suite expect_column_values_to_be_in_set '{"column":"s","value_set":["cherry"]}')
  run --separate-stderr gx-check --suite "$s" --result-format BOOLEAN_ONLY "$DATA"
  jq -e '.results[0].result == {} and .results[0].success == false' <<<"$output"
  m=$(suite expect_column_max_to_be_between '{"column":"id","max_value":9,"result_format":"BOOLEAN_ONLY"}')
  run --separate-stderr gx-check --suite "$m" "$DATA"
  jq -e '.results[0].result == {} and .results[0].success' <<<"$output"
  run --separate-stderr gx-check --suite "$s" "$DATA"
  jq -e '.results[0].result | keys == ["element_count","missing_count","missing_percent","partial_unexpected_list",
         "unexpected_count","unexpected_percent","unexpected_percent_nonmissing","unexpected_percent_total"]
         and .partial_unexpected_list == ["apple","banana","apple"] and .unexpected_percent == 75.0' <<<"$output"
  run --separate-stderr gx-check --suite "$s" --result-format SUMMARY "$DATA"
  jq -e '.results[0].result | .partial_unexpected_counts == [{"value":"apple","count":2},{"value":"banana","count":1}]
         and .partial_unexpected_index_list == [0,1,4] and (has("unexpected_list") | not)' <<<"$output"
  run --separate-stderr gx-check --suite "$s" --result-format COMPLETE --partial-count 1 "$DATA"
  jq -e '.results[0].result | .unexpected_list == ["apple","banana","apple"] and .unexpected_index_list == [0,1,4]
         and .partial_unexpected_list == ["apple"]' <<<"$output"
  s=$(suite expect_column_values_to_be_in_set '{"column":"s","value_set":["cherry"],"result_format":{"result_format":"SUMMARY","partial_unexpected_count":2}}')
  run --separate-stderr gx-check --suite "$s" "$DATA"
  jq -e '.results[0].result.partial_unexpected_list == ["apple","banana"] and (.results[0].result | has("partial_unexpected_counts"))' <<<"$output"
  run --separate-stderr gx-check --suite "$s" --result-format LOUD "$DATA"
  [ "$status" -eq 2 ]
}

@test "a failing suite names each failing expectation with its column and counts; --result FILE" {
  setup_data
  f="$BATS_TEST_TMPDIR/s.json"
  jq -n '{name: "shop", expectations: [
    {type: "expect_column_values_to_be_between", kwargs: {column: "n", min_value: 0}},
    {type: "expect_column_values_to_not_be_null", kwargs: {column: "id"}},
    {type: "expect_column_mean_to_be_between", kwargs: {column: "id", max_value: 1}}]}' > "$f"
  run --separate-stderr gx-check --suite "$f" --result "$BATS_TEST_TMPDIR/r.json" "$DATA"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"gx-check: suite shop failed: expect_column_values_to_be_between(n): 1 of 4 values unexpected (25.00%)"* ]]
  [[ "$stderr" == *"suite shop failed: expect_column_mean_to_be_between(id): observed 2.8"* ]]
  [[ "$stderr" != *"to_not_be_null"* ]]
  jq -e '.success == false and .statistics.unsuccessful_expectations == 2' "$BATS_TEST_TMPDIR/r.json"
}

@test "bad NDJSON exits 65 naming FILE:LINE; nothing on stdout" {
  setup_data
  s=$(suite expect_column_values_to_not_be_null '{"column":"id"}')
  f="$BATS_TEST_TMPDIR/bad.ndjson"
  { head -2 "$DATA"; echo; echo '{"id": 3,'; echo '[1]'; echo '{"id":"a\q"}'; } > "$f"
  run --separate-stderr gx-check --suite "$s" "$f"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"gx-check: $f:4: "* ]]
  [[ "$stderr" == *"$f:5: not a JSON object"* ]]
  [[ "$stderr" == *"$f:6: "*"escape"* ]]
  [[ "$stderr" == *"3 bad rows"* ]]
  run --separate-stderr gx-check --suite "$s" --pass "$f"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
}

@test "--pass: rows byte for byte on success (a last line gets its newline), nothing on failure" {
  f="$BATS_TEST_TMPDIR/in.ndjson"
  printf '{"id": 1, "s": "caf\\u00e9 \xc3\xa9"}\r\n\n{"id":2,"s":"x"}\n  \n{"id":3}' > "$f"
  ok=$(suite expect_column_values_to_be_between '{"column":"id","min_value":1}')
  no=$(suite expect_column_values_to_be_between '{"column":"id","min_value":2}')
  gx-check --suite "$ok" --pass < "$f" > "$BATS_TEST_TMPDIR/out"
  cmp <(cat "$f"; echo) "$BATS_TEST_TMPDIR/out"
  # two files never join two rows on one line
  gx-check --suite "$ok" --pass "$f" "$f" > "$BATS_TEST_TMPDIR/out2"
  cmp <(cat "$f"; echo; cat "$f"; echo) "$BATS_TEST_TMPDIR/out2"
  printf '{"id":1}\n' > "$BATS_TEST_TMPDIR/nl.ndjson"
  gx-check --suite "$ok" --pass "$BATS_TEST_TMPDIR/nl.ndjson" > "$BATS_TEST_TMPDIR/out3"
  cmp "$BATS_TEST_TMPDIR/nl.ndjson" "$BATS_TEST_TMPDIR/out3"
  run --separate-stderr gx-check --suite "$no" --pass --result "$BATS_TEST_TMPDIR/r.json" "$f"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"1 of 3 values unexpected"* ]]
  jq -e '.success == false' "$BATS_TEST_TMPDIR/r.json"
  # the suite result never mixes into the rows
  run --separate-stderr bash -c "gx-check --suite '$ok' --pass '$f' | wc -c"
  [ "$output" -eq "$(($(wc -c < "$f") + 1))" ]
}

@test "--pass on 200,000 rows gates a pipe into bq-load" {
  bq-ensure >/dev/null 2>&1
  gen_campaign_rows 200000 > "$BATS_TEST_TMPDIR/rows.ndjson"
  s="$AELP_SCHEMAS/suites/ads_campaign_performance.json"
  [ -f "$s" ] || s=$(suite expect_compound_columns_to_be_unique '{"column_list":["date","campaign_id"]}')
  run --separate-stderr bash -c "set -o pipefail; gx-check --suite '$s' --table ads_campaign_performance --pass '$BATS_TEST_TMPDIR/rows.ndjson' | bq-load ads_campaign_performance"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(bq-extract --query 'SELECT COUNT(*) AS n FROM ads_campaign_performance' | jq .n)" -eq 200000 ]
}

@test "a write error on stdout exits 70" {
  setup_data
  s=$(suite expect_column_values_to_not_be_null '{"column":"id"}')
  run --separate-stderr bash -c "gx-check --suite '$s' '$DATA' > /dev/full"
  [ "$status" -eq 70 ]
  [[ "$stderr" == *"write error on standard output"* ]]
  run --separate-stderr bash -c "gx-check --suite '$s' --pass '$DATA' > /dev/full"
  [ "$status" -eq 70 ]
}

@test "--suites: tagged rows routed to each table's suite; --pass gates them all" {
  d="$BATS_TEST_TMPDIR/suites"
  mkdir -p "$d"
  jq -n '{name: "ads", meta: {table: "ads_campaign_performance"}, expectations: [
    {type: "expect_column_values_to_be_between", kwargs: {column: "clicks", min_value: 0}},
    {type: "expect_column_values_to_be_null", kwargs: {column: "video_views", mostly: 0.1}}]}' > "$d/a.json"
  jq -n '{name: "sessions", expectations: [
    {type: "expect_column_values_to_not_be_null", kwargs: {column: "session_id"}}]}' > "$d/gaelp_users.journey_sessions.json"
  f="$BATS_TEST_TMPDIR/mixed.ndjson"
  for t in ads_campaign_performance gaelp_users.journey_sessions canary_changes; do
    jq -c --arg t "$t" '. + {_table: $t}' "$FIX/tables/$t.ndjson"
  done > "$f"
  run --separate-stderr gx-check --suites "$d" --pass "$f"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$output" = "$(cat "$f")" ]
  run --separate-stderr gx-check --suites "$d" "$f"
  [ "$status" -eq 0 ]
  [ "$(jq -s 'map(.suite_name)' <<<"$output" | jq -c .)" = '["ads","sessions"]' ]
  jq -se '.[0].meta.batch.row_count == 4 and .[0].results[1].result.element_count == 4' <<<"$output"
  # one bad value in one table stops every row
  sed '0,/"clicks": *[0-9]*/s//"clicks": -1/' "$f" > "$BATS_TEST_TMPDIR/bad.ndjson"
  AELP2_STEP_REPORT="$BATS_TEST_TMPDIR/report" run --separate-stderr gx-check --suites "$d" --pass "$BATS_TEST_TMPDIR/bad.ndjson"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"suite ads failed: expect_column_values_to_be_between(clicks): 1 of 4 values unexpected (25.00%)"* ]]
  jq -e '.program == "gx-check" and .rows_in == 12 and .details.suites.ads.success == false
         and .details.suites.sessions.success and .details.suites["(no suite)"].rows == 4' "$BATS_TEST_TMPDIR/report"
  # a row without a tag cannot be routed
  echo '{"clicks": 1}' >> "$f"
  run --separate-stderr gx-check --suites "$d" --pass "$f"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"mixed.ndjson:13: no \"_table\" field"* ]]
}

# A contract copy whose suites/ holds only our test suites.
all_setup() {
  export AELP_SCHEMAS="$BATS_TEST_TMPDIR/schemas"
  mkdir -p "$AELP_SCHEMAS/suites"
  cp -r "$REPO/schemas/tables" "$REPO/schemas/views" "$AELP_SCHEMAS/"
  bq-ensure >/dev/null 2>&1
  bq-load ads_campaign_performance "$FIX/tables/ads_campaign_performance.ndjson" 2>/dev/null
  bq-load gaelp_users.journey_sessions "$FIX/tables/gaelp_users.journey_sessions.ndjson" 2>/dev/null
  jq -n '{name: "ads_campaign_performance", meta: {table: "ads_campaign_performance"}, expectations: [
    {type: "expect_table_row_count_to_be_between", kwargs: {min_value: 1}},
    {type: "expect_column_values_to_not_be_null", kwargs: {column: "campaign_id"}},
    {type: "expect_compound_columns_to_be_unique", kwargs: {column_list: ["date", "campaign_id"]}},
    {type: "expect_column_values_to_match_strftime_format", kwargs: {column: "date", strftime_format: "%Y-%m-%d"}},
    {type: "expect_column_values_to_be_of_type", kwargs: {column: "clicks", type_: "int64"}}]}' \
    > "$AELP_SCHEMAS/suites/ads_campaign_performance.json"
  jq -n '{expectation_suite_name: "sessions", expectations: [
    {expectation_type: "expect_column_values_to_be_in_set", kwargs: {column: "channel", value_set: ["google_search"]}},
    {expectation_type: "expect_column_values_to_not_be_null", kwargs: {column: "session_id"}}]}' \
    > "$AELP_SCHEMAS/suites/gaelp_users.journey_sessions.json"
}

count_rows() { bq-extract --query "SELECT COUNT(*) AS n FROM $1" | jq .n; }

@test "--all: one line per suite, failures on stderr and in the warehouse, idempotent" {
  all_setup
  n=$(grep -c . "$FIX/tables/ads_campaign_performance.ndjson")
  run --separate-stderr gx-check --all --run-id r1
  [ "$status" -eq 1 ]
  [[ "${lines[0]}" == "ok    ads_campaign_performance  $n rows  5/5 expectations" ]]
  [[ "${lines[1]}" == "FAIL  sessions  "*" rows  1/2 expectations" ]]
  [[ "$stderr" == *"suite sessions failed: expect_column_values_to_be_in_set(channel): "* ]]
  [ "$(count_rows gx_validation_results)" -eq 2 ]
  [ "$(count_rows gx_expectation_failures)" -eq 1 ]
  bq-extract gx_expectation_failures | jq -se '.[0] | .run_id == "r1" and .suite_name == "sessions" and .expectation_index == 0
     and .column_name == "channel" and .table_name == "gaelp_users.journey_sessions" and .unexpected_count == 3'
  bq-extract gx_validation_results | jq -se 'map(select(.suite_name == "ads_campaign_performance"))[0]
     | .success and .result.success and .row_count > 0 and .table_name == "ads_campaign_performance"'
  # the same run id again: upserted, no duplicates; AELP2_RUN_ID names the next run
  gx-check --all --run-id r1 >/dev/null 2>&1 || true
  [ "$(count_rows gx_validation_results)" -eq 2 ]
  AELP2_RUN_ID=r2 gx-check --all >/dev/null 2>&1 || true
  [ "$(bq-extract --query "SELECT COUNT(*) AS n FROM gx_validation_results WHERE run_id = 'r2'" | jq .n)" -eq 2 ]
}

@test "--all --dry-run writes nothing; all passing exits 0" {
  all_setup
  rm "$AELP_SCHEMAS/suites/gaelp_users.journey_sessions.json"
  run --separate-stderr gx-check --all --dry-run
  [ "$status" -eq 0 ]
  [[ "$output" == "ok    ads_campaign_performance"* ]]
  [ "$(count_rows gx_validation_results)" -eq 0 ]
  run --separate-stderr gx-check --all
  [ "$status" -eq 0 ]
  [ "$(count_rows gx_validation_results)" -eq 1 ]
  [ "$(count_rows gx_expectation_failures)" -eq 0 ]
}

@test "--all: a missing table fails its suite clearly; no suites is a usage error" {
  all_setup
  echo '{"name": "ghost", "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "x"}}]}' \
    > "$AELP_SCHEMAS/suites/no_such_table.json"
  run --separate-stderr gx-check --all --run-id r3
  [ "$status" -eq 1 ]
  [[ "$output" == *"FAIL  ghost  0 rows  0/1 expectations  table 'no_such_table' is not in the contract"* ]]
  [[ "$stderr" == *"suite ghost failed: table 'no_such_table' is not in the contract"* ]]
  bq-extract gx_expectation_failures | jq -se 'map(select(.suite_name == "ghost"))[0] | .exception_message | contains("no_such_table")'
  rm "$AELP_SCHEMAS"/suites/*.json
  run --separate-stderr gx-check --all
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"no suites"* ]]
}

# ---- conformance: GX's own test definitions, one test per fixture file ----

# conform FILE: every pandas case passes, except those tests/gx/DEVIATIONS.md lists.
conform() {
  [ -d "$GXDATA" ] || { echo "the GX fixtures are missing: $GXDATA"; return 1; }
  [ -f "$GXDATA/$1" ] || { echo "the GX fixture $1 is missing in $GXDATA"; return 1; }
  run "$REPO/tests/gx/conformance.sh" "$GXDATA/$1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  failing=$(grep '^FAIL ' <<<"$output" | sed -E 's/^FAIL ([^:]*):.*/\1/' | sort || true)
  allowed=$(sed -nE "s/^- \`$1\` :: \`([^\`]*)\`.*/\1/p" "$REPO/tests/gx/DEVIATIONS.md" | sort)
  [ "$failing" = "$allowed" ] || { echo "$output"; echo "deviations listed: ${allowed:-none}"; return 1; }
  n=$(sed -n 's/^cases //p' <<<"$output")
  [ "$n" -gt 0 ]
  echo "$n" > "$BATS_TEST_TMPDIR/count"
}

@test "conformance: the fixture files and the number of pandas cases" {
  [ -d "$GXDATA" ] || { echo "the GX fixtures are missing: $GXDATA"; false; }
  [ "$(ls "$GXDATA"/*.json | wc -l)" -eq 14 ]
  total=0
  for f in "$GXDATA"/*.json; do
    total=$((total + $(jq '[.datasets[].tests[] | select(((.only_for // ["pandas"]) | index("pandas"))
      and (((.suppress_test_for // []) | index("pandas")) | not))] | length' "$f")))
  done
  [ "$total" -eq 148 ]
}

@test "conformance: expect_column_mean_to_be_between" { conform expect_column_mean_to_be_between.json; }
@test "conformance: expect_column_pair_values_a_to_be_greater_than_b" { conform expect_column_pair_values_a_to_be_greater_than_b.json; }
@test "conformance: expect_column_to_exist" { conform expect_column_to_exist.json; }
@test "conformance: expect_column_values_to_be_between" { conform expect_column_values_to_be_between.json; }
@test "conformance: expect_column_values_to_be_dateutil_parseable" { conform expect_column_values_to_be_dateutil_parseable.json; }
@test "conformance: expect_column_values_to_be_in_set" { conform expect_column_values_to_be_in_set.json; }
@test "conformance: expect_column_values_to_be_of_type" { conform expect_column_values_to_be_of_type.json; }
@test "conformance: expect_column_values_to_be_unique" { conform expect_column_values_to_be_unique.json; }
@test "conformance: expect_column_values_to_match_regex" { conform expect_column_values_to_match_regex.json; }
@test "conformance: expect_column_values_to_match_strftime_format" { conform expect_column_values_to_match_strftime_format.json; }
@test "conformance: expect_column_values_to_not_be_null" { conform expect_column_values_to_not_be_null.json; }
@test "conformance: expect_compound_columns_to_be_unique" { conform expect_compound_columns_to_be_unique.json; }
@test "conformance: expect_table_columns_to_match_ordered_list" { conform expect_table_columns_to_match_ordered_list.json; }
@test "conformance: expect_table_row_count_to_be_between" { conform expect_table_row_count_to_be_between.json; }

# ---- review fixes: each of these failed before its fix ----

# ads_suites DIR: an ads suite (clicks >= 0) in DIR.
ads_suites() {
  mkdir -p "$1"
  jq -n '{name: "ads", meta: {table: "ads_campaign_performance"}, expectations: [
    {type: "expect_column_values_to_be_between", kwargs: {column: "clicks", min_value: 0}}]}' > "$1/a.json"
}

@test "--suites: an escaped _table tag is decoded before routing; a table not in the contract is a bad row" {
  d="$BATS_TEST_TMPDIR/suites"
  ads_suites "$d"
  f="$BATS_TEST_TMPDIR/esc.ndjson"
  head -1 "$FIX/tables/ads_campaign_performance.ndjson" | jq -c '. + {clicks: -5, _table: "TAG"}' |
    sed 's/"_table":"TAG"/"_table":"ads_campaign\\u005fperformance"/' > "$f"
  grep -q 'campaign\\u005fperformance' "$f"
  run --separate-stderr gx-check --suites "$d" --pass "$f"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"suite ads failed: expect_column_values_to_be_between(clicks): 1 of 1 values unexpected"* ]]
  # what bq-load would refuse, the gate refuses too: a table the contract lacks
  head -1 "$FIX/tables/ads_campaign_performance.ndjson" | jq -c '. + {_table: "ads_campaign_performanc"}' > "$f"
  run --separate-stderr gx-check --suites "$d" --pass "$f"
  [ "$status" -eq 65 ]
  [ -z "$output" ]
  [[ "$stderr" == *"esc.ndjson:1: unknown table 'ads_campaign_performanc'"* ]]
  # a table of the contract without a suite still passes unchecked
  head -1 "$FIX/tables/canary_changes.ndjson" | jq -c '. + {_table: "canary\u005fchanges"}' > "$f"
  run --separate-stderr gx-check --suites "$d" --pass "$f"
  [ "$status" -eq 0 ]
  [ "$output" = "$(cat "$f")" ]
  # two tags in one row are refused, as bq-load refuses them
  printf '{"_table":"canary_changes","_table":"ads_campaign_performance","clicks":-5}\n' > "$f"
  run --separate-stderr gx-check --suites "$d" --pass "$f"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"duplicate key '_table'"* ]]
}

@test "--suites: two suites of the same table are refused at start, naming both files" {
  d="$BATS_TEST_TMPDIR/suites"
  ads_suites "$d"
  jq -n '{name: "ads2", expectations: [
    {type: "expect_column_values_to_not_be_null", kwargs: {column: "clicks"}}]}' > "$d/ads_campaign_performance.json"
  jq -c '. + {_table: "ads_campaign_performance"}' "$FIX/tables/ads_campaign_performance.ndjson" > "$BATS_TEST_TMPDIR/in.ndjson"
  run --separate-stderr gx-check --suites "$d" --pass "$BATS_TEST_TMPDIR/in.ndjson"
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  [[ "$stderr" == *"$d/a.json"* && "$stderr" == *"$d/ads_campaign_performance.json"* && "$stderr" == *"ads_campaign_performance"* ]]
  run gx-check --help
  [[ "$output" == *"two suites of one table"* ]]
}

@test "lone UTF-16 surrogates in strings are bad input, worded as bq-load words them" {
  s=$(suite expect_column_values_to_be_unique '{"column":"s","result_format":"COMPLETE"}')
  f="$BATS_TEST_TMPDIR/sur.ndjson"
  for v in '\ud800' 'y\ud800z' '\ud800\u0041' '\ud800\ud800' '\ud800\' ; do
    printf '{"s":"%s"}\n' "$v" > "$f"
    run --separate-stderr gx-check --suite "$s" "$f"
    [ "$status" -eq 65 ] || { echo "$v: $status $stderr"; false; }
    [[ "$stderr" == *"sur.ndjson:1: "*"invalid Unicode escape (an unpaired surrogate)"* ]] || [[ "$v" == '\ud800\' ]] || { echo "$v: $stderr"; false; }
  done
  for v in '\udc00' 'x\udfff'; do
    printf '{"s":"%s"}\n' "$v" > "$f"
    run --separate-stderr gx-check --suite "$s" "$f"
    [ "$status" -eq 65 ]
    [[ "$stderr" == *"sur.ndjson:1: "*"invalid Unicode escape (a lone low surrogate)"* ]]
  done
  # in a key too, and a proper pair is fine
  printf '{"\\udc00":1}\n' > "$f"
  run --separate-stderr gx-check --suite "$s" "$f"
  [ "$status" -eq 65 ]
  printf '{"s":"\\ud83d\\ude00"}\n{"s":"\\ud83d\\ude00"}\n{"s":"b"}\n' > "$f"
  run --separate-stderr gx-check --suite "$s" "$f"
  [ "$status" -eq 1 ]
  jq -e '.results[0].result.unexpected_list == ["😀","😀"]' <<<"$output"
}

@test "\\u0000 in a string is bad input, as bq-load refuses it; the gate lets nothing through" {
  s=$(suite expect_column_values_to_not_be_null '{"column":"s"}')
  f="$BATS_TEST_TMPDIR/nul.ndjson"
  printf '{"s":"a"}\n{"s":"x\\u0000y"}\n' > "$f"
  run --separate-stderr gx-check --suite "$s" --pass "$f"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"nul.ndjson:2: "*"\\u0000 is not allowed in a string"* ]]
  [ -z "$output" ]
  # bq-load says the same of the same text.
  printf '{"_table":"ops_alerts","alert_id":"a\\u0000","severity":"x","alert_type":"x","message":"m","created_at":"2025-01-01T00:00:00Z"}\n' > "$f"
  bq-ensure -q >/dev/null
  run --separate-stderr bq-load --dry-run "$f"
  [ "$status" -eq 65 ]
  [[ "$stderr" == *"\\u0000 is not allowed in a string"* ]]
}

@test "an escaped key never takes the column of the raw key before it" {
  f="$BATS_TEST_TMPDIR/keys.ndjson"
  printf '{"x\\\\u0062":1}\n{"x\\u0062":2}\n' > "$f"
  grep -q 'x\\\\u0062' "$f"
  s=$(suite expect_table_columns_to_match_ordered_list '{"column_list":null}')
  run --separate-stderr gx-check --suite "$s" "$f"
  [ "$status" -eq 0 ]
  jq -e '.results[0].result.observed_value == ["x\\u0062", "xb"]' <<<"$output"
  s=$(suite expect_column_values_to_be_in_set '{"column":"xb","value_set":[2]}')
  run --separate-stderr gx-check --suite "$s" "$f"
  [ "$status" -eq 0 ]
  jq -e '.results[0].result.element_count == 2 and .results[0].result.missing_count == 1' <<<"$output"
}

@test "an int in a float64 column reads as a float: str() gives 1.0, lists report 1.0" {
  f="$BATS_TEST_TMPDIR/f.ndjson"
  printf '{"v":1}\n{"v":null}\n{"v":10000000000000000}\n' > "$f"
  DATA="$f" check expect_column_values_to_match_regex '{"column":"v","regex":"^(1\\.0|1e\\+16)$"}' true 0
  DATA="$f" check expect_column_values_to_match_regex '{"column":"v","regex":"^1$"}' false 2
  s=$(suite expect_column_values_to_match_regex '{"column":"v","regex":"^1$","result_format":"COMPLETE"}')
  run --separate-stderr gx-check --suite "$s" "$f"
  [[ "$output" == *'"unexpected_list":[1.0,1e+16]'* ]] || { echo "$output"; false; }
  [[ "$output" == *'"partial_unexpected_counts":[{"value":1.0,"count":1},{"value":1e+16,"count":1}]'* ]] || { echo "$output"; false; }
  # values before the first int, and a float among them
  printf '{"v":2.5}\n{"v":1}\n{"v":null}\n{"v":3}\n' > "$f"
  DATA="$f" check expect_column_values_to_match_regex '{"column":"v","regex":"^[0-9]\\.[0-9]$"}' true 0
  DATA="$f" check expect_column_values_to_match_regex '{"column":"v","regex":"^2"}' false 2
  # declared float64
  printf '{"v":1}\n{"v":2}\n' > "$f"
  DATA="$f" DTYPES="v=float64" check expect_column_values_to_match_regex '{"column":"v","regex":"\\.0$"}' true 0
  s=$(suite expect_column_values_to_be_between '{"column":"v","max_value":1,"result_format":"COMPLETE"}')
  run --separate-stderr gx-check --suite "$s" --dtypes v=float64 "$f"
  [[ "$output" == *'"unexpected_list":[2.0]'* ]] || { echo "$output"; false; }
  s=$(suite expect_column_max_to_be_between '{"column":"v","max_value":5}')
  run --separate-stderr gx-check --suite "$s" --dtypes v=float64 "$f"
  [[ "$output" == *'"observed_value":2.0'* ]] || { echo "$output"; false; }
  # int64 and object columns keep ints as ints
  DATA="$f" check expect_column_values_to_match_regex '{"column":"v","regex":"^[12]$"}' true 0
  printf '{"v":1}\n{"v":"a"}\n{"v":null}\n' > "$f"
  DATA="$f" check expect_column_values_to_match_regex '{"column":"v","regex":"^(1|a)$"}' true 0
  s=$(suite expect_column_values_to_be_in_set '{"column":"v","value_set":[],"result_format":"COMPLETE"}')
  run --separate-stderr gx-check --suite "$s" "$f"
  [[ "$output" == *'"unexpected_list":[1,"a"]'* ]] || { echo "$output"; false; }
  # a pair and a compound key report the float too
  printf '{"a":1,"b":2}\n{"a":null,"b":3}\n' > "$f"
  s=$(suite expect_column_pair_values_a_to_be_greater_than_b '{"column_A":"a","column_B":"b","result_format":"COMPLETE"}')
  run --separate-stderr gx-check --suite "$s" "$f"
  [[ "$output" == *'"unexpected_list":[[1.0,2],[null,3]]'* ]] || { echo "$output"; false; }
  printf '{"a":1,"b":2}\n{"a":1,"b":2}\n{"a":null,"b":3}\n' > "$f"
  s=$(suite expect_compound_columns_to_be_unique '{"column_list":["a","b"],"result_format":"COMPLETE"}')
  run --separate-stderr gx-check --suite "$s" "$f"
  [[ "$output" == *'"unexpected_list":[{"a":1.0,"b":2},{"a":1.0,"b":2}]'* ]] || { echo "$output"; false; }
}

@test "year 0 is out of range for strftime formats and dateutil; long clock fields are not parsed" {
  f="$BATS_TEST_TMPDIR/y.ndjson"
  printf '{"d":"0000-01-01"}\n{"d":"0001-01-01"}\n{"t":"1:99999999999999999999999"}\n' > "$f"
  DATA="$f" check expect_column_values_to_match_strftime_format '{"column":"d","strftime_format":"%Y-%m-%d"}' false 1
  DATA="$f" check expect_column_values_to_be_dateutil_parseable '{"column":"d"}' false 1
  DATA="$f" check expect_column_values_to_be_dateutil_parseable '{"column":"t"}' false 1
}

@test "COMPLETE uniqueness with no duplicates" {
  setup_data
  check expect_column_values_to_be_unique '{"column":"d","result_format":"COMPLETE"}' true 0
  jq -e '.results[0].result.unexpected_list == [] and .results[0].result.unexpected_index_list == []' <<<"$output"
  check expect_compound_columns_to_be_unique '{"column_list":["id","s"],"result_format":"COMPLETE"}' true 0
}

@test "--result FILE: opened before the input is read (exit 2), a failed write is 70, bad input leaves it alone" {
  setup_data
  s=$(suite expect_column_values_to_not_be_null '{"column":"id"}')
  # a bad path is found at once, even while the input is still coming
  run --separate-stderr bash -c "timeout 5 gx-check --suite '$s' --result /nonexistent/dir/r.json < <(cat '$DATA'; exec sleep 20 2>/dev/null 3>&-)"
  [ "$status" -eq 2 ] || { echo "$status $stderr"; false; }
  [[ "$stderr" == *"cannot write '/nonexistent/dir/r.json'"* ]]
  d="$BATS_TEST_TMPDIR/suites"
  ads_suites "$d"
  run --separate-stderr bash -c "timeout 5 gx-check --suites '$d' --result /nonexistent/dir/r.json < <(exec sleep 20 2>/dev/null 3>&-)"
  [ "$status" -eq 2 ]
  # a write that fails is 70
  run --separate-stderr gx-check --suite "$s" --result /dev/full "$DATA"
  [ "$status" -eq 70 ]
  # bad input: a new result file is not left behind, an old one is not truncated
  printf '{"id":\n' > "$BATS_TEST_TMPDIR/bad.ndjson"
  run --separate-stderr gx-check --suite "$s" --result "$BATS_TEST_TMPDIR/new.json" "$BATS_TEST_TMPDIR/bad.ndjson"
  [ "$status" -eq 65 ]
  [ ! -e "$BATS_TEST_TMPDIR/new.json" ]
  echo old > "$BATS_TEST_TMPDIR/old.json"
  run --separate-stderr gx-check --suite "$s" --result "$BATS_TEST_TMPDIR/old.json" "$BATS_TEST_TMPDIR/bad.ndjson"
  [ "$status" -eq 65 ]
  [ "$(cat "$BATS_TEST_TMPDIR/old.json")" = old ]
  # a good run replaces it whole
  gx-check --suite "$s" --result "$BATS_TEST_TMPDIR/old.json" "$DATA"
  jq -e '.success' "$BATS_TEST_TMPDIR/old.json"
  run gx-check --help
  [[ "$output" == *"a --result FILE that cannot be opened"* ]]
}

@test "a tiny sort buffer stays fast and small: runs are merged through a heap" {
  awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"k\":\"key-%06d\"}\n", (i % 5000 == 3 ? 7 : i) }' > "$BATS_TEST_TMPDIR/many.ndjson"
  s=$(suite expect_column_values_to_be_unique '{"column":"k","result_format":"COMPLETE"}')
  run --separate-stderr gx-check --suite "$s" "$BATS_TEST_TMPDIR/many.ndjson"
  [ "$status" -eq 1 ]
  mem="$output"
  jq -e '.results[0].result.unexpected_index_list == [3,7,5003,10003,15003]' <<<"$mem"
  GX_CHECK_SORT_BUFFER=64 /usr/bin/time -f '%M' -o "$BATS_TEST_TMPDIR/rss" gx-check --suite "$s" "$BATS_TEST_TMPDIR/many.ndjson" > "$BATS_TEST_TMPDIR/out" 2>/dev/null || true
  [ "$(cat "$BATS_TEST_TMPDIR/out")" = "$mem" ]
  rss=$(tail -1 "$BATS_TEST_TMPDIR/rss")
  [ "$rss" -lt 50000 ] || { echo "peak RSS ${rss} KiB"; false; }
}

@test "--help: the --suite examples take the contract's columns, and says why" {
  run gx-check --help
  [[ "$output" == *"gx-check --suite schemas/suites/ads_campaign_performance.json --table ads_campaign_performance day.ndjson"* ]]
  [[ "$output" != *"ads_campaign_performance.json day.ndjson"* ]]
  [[ "$output" == *"--pass --table ads_campaign_performance"* ]]
  [[ "$output" == *"Without --table, a column the rows never carry does not exist"* ]]
}
