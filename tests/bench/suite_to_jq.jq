# The peer of gx-check in `make bench`: turn an expectation suite into one
# specialised jq filter that checks each row as it streams by and prints one
# tab-separated line per row: a 0/1 "unexpected" flag per row-level
# expectation, then the key of each uniqueness expectation.  tests/bench/gx.sh
# sums the flags and counts repeated keys with awk (jq 1.6 copies a growing
# object on every update inside `reduce`, so a pure-jq uniqueness check is
# quadratic; awk's hash is the fair tool for that part).
#
#   jq -r -f tests/bench/suite_to_jq.jq SUITE.json > check.jq
#   jq -r -f check.jq ROWS.ndjson | awk -f tests/bench/sum_flags.awk
#
# Only the expectation types the repository's suites use are translated; any
# other is an error, so the two sides never check different things.
def lit: tojson;
def col($c): "$r[\($c | lit)]";
def flag($cond): "(if \($cond) then 1 else 0 end)";
def test_of($e):
  $e.kwargs as $k | $e.type as $t |
  if $t == "expect_column_values_to_not_be_null" then flag("\(col($k.column)) == null")
  elif $t == "expect_column_values_to_be_between" then
    (col($k.column)) as $v |
    flag("\($v) != null and (false"
      + (if $k.min_value != null then " or \($v) \(if $k.strict_min then "<=" else "<" end) \($k.min_value | lit)" else "" end)
      + (if $k.max_value != null then " or \($v) \(if $k.strict_max then ">=" else ">" end) \($k.max_value | lit)" else "" end)
      + ")")
  elif $t == "expect_column_values_to_be_in_set" then
    flag("\(col($k.column)) != null and (\(col($k.column)) | IN(\($k.value_set | map(lit) | join(", "))) | not)")
  elif $t == "expect_column_values_to_match_regex" then
    flag("\(col($k.column)) != null and (\(col($k.column)) | tostring | test(\($k.regex | lit)) | not)")
  elif $t == "expect_column_values_to_match_strftime_format" then
    flag("\(col($k.column)) != null and ((try (\(col($k.column)) | strptime(\($k.strftime_format | lit)) | true) catch false) | not)")
  elif $t == "expect_column_pair_values_a_to_be_greater_than_b" then
    flag("\(col($k.column_A)) != null and \(col($k.column_B)) != null and (\(col($k.column_A)) \(if $k.or_equal then ">=" else ">" end) \(col($k.column_B)) | not)")
  elif $t == "expect_compound_columns_to_be_unique" then
    "(\"k\" + ([\($k.column_list | map(col(.)) | join(", "))] | tojson))"
  elif $t == "expect_column_values_to_be_unique" then "(\"k\" + (\(col($k.column)) | tojson))"
  elif $t == "expect_table_row_count_to_be_between" then empty
  else error("suite_to_jq: \($t) is not translated") end;

. as $r0 | .expectations
| "# generated from suite \($r0.name) by tests/bench/suite_to_jq.jq\n. as $r | ["
  + (map(test_of(.)) | join(",\n  ")) + "] | @tsv"
