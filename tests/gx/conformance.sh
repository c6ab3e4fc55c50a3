#!/usr/bin/env bash
# Run the Great Expectations test_definitions fixtures of one file through
# gx-check, case by case, as GX's runner (test_expectations_v3_api.py with
# check_json_test_result) would on the pandas engine.
#
#   tests/gx/conformance.sh FIXTURE.json
#
# Prints "ok TITLE" or "FAIL TITLE: why" per case applying to pandas (a
# case applies unless only_for leaves pandas out or suppress_test_for
# names it), then "cases N".  Needs jq and gx-check on PATH; no Python.
#
# Each dataset becomes NDJSON rows (the columns in the fixture's order,
# every key on every row) and each case a one-expectation suite with the
# case's kwargs and result_format COMPLETE unless the case gives one.  When
# the dataset declares pandas dtypes (schemas.pandas), or has no rows, the
# columns are declared with --dtypes.
set -euo pipefail
fixture="$1"
[ -f "$fixture" ] || { echo "conformance: no fixture '$fixture'" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The comparison, in jq: $t is the case, . is gx-check's validation result
# (of the one expectation); prints nothing when they agree, else the reasons.
cat > "$work/check.jq" <<'JQ'
def absv: if . < 0 then -. else . end;
# floats as check_json_test_result compares them: RTOL 1e-7, ATOL 5e-2
def close($a; $b):
  if ($a|type) == "number" and ($b|type) == "number" then (($a - $b)|absv) <= (5e-2 + 1e-7 * ($b|absv))
  elif ($a|type) == "array" and ($b|type) == "array" then
    ($a|length) == ($b|length) and ([range(0; $a|length) as $i | close($a[$i]; $b[$i])] | all)
  elif ($a|type) == "object" and ($b|type) == "object" then
    ($a|keys) == ($b|keys) and ([$a|keys[] as $k | close($a[$k]; $b[$k])] | all)
  else $a == $b end;
def why($cond; $msg): if $cond then empty else $msg end;
.results[0] as $r | $t.out as $o |
($t.error.traceback_substring // $o.traceback_substring) as $tb |
if $tb then
  why($r.exception_info.raised_exception == true; "expected an exception containing \($tb|tojson), got success \($r.success)"),
  why(($r.exception_info.exception_traceback // "") | contains($tb); "traceback \($r.exception_info.exception_traceback|tojson) lacks \($tb|tojson)")
else
  why($r.exception_info.raised_exception != true; "raised \($r.exception_info.exception_message)"),
  (if $o | has("success") then why($r.success == $o.success; "success \($r.success), expected \($o.success)") else empty end),
  (if $o | has("observed_value") then
     why(close($r.result.observed_value; $o.observed_value); "observed_value \($r.result.observed_value|tojson), expected \($o.observed_value|tojson)")
   else empty end),
  (if $o | has("observed_value_list") then
     why([$o.observed_value_list[] | . == $r.result.observed_value] | any; "observed_value \($r.result.observed_value|tojson) not in \($o.observed_value_list|tojson)")
   else empty end),
  (if $o | has("unexpected_list") then
     why(close(($r.result.unexpected_list // []) | sort; $o.unexpected_list | sort); "unexpected_list \($r.result.unexpected_list|tojson), expected \($o.unexpected_list|tojson)")
   else empty end),
  (if $o | has("unexpected_index_list") then
     ($o.unexpected_index_list | map(if type == "object" then .pk_index else . end) | sort) as $want |
     why((($r.result.unexpected_index_list // []) | sort) == $want; "unexpected_index_list \($r.result.unexpected_index_list|tojson), expected \($want|tojson)")
   else empty end),
  (if $o.result then
     ($o.result | to_entries[] | . as $e |
       why(($r.result | has($e.key)) and close($r.result[$e.key]; $e.value); "result.\($e.key) \($r.result[$e.key]|tojson), expected \($e.value|tojson)"))
   else empty end)
end
JQ

# Cases that apply to pandas, one per line: dataset index, title, suite, case,
# separated by \x01 (compact JSON and the titles never hold control characters).
type=$(jq -r .expectation_type "$fixture")
jq -r --arg type "$type" '.datasets | to_entries[] | .key as $d | .value.tests[] |
  select(((.only_for // ["pandas"]) | index("pandas")) and (((.suppress_test_for // []) | index("pandas")) | not)) |
  [$d, .title,
   ({name: "conformance", expectations: [{type: $type,
     kwargs: (.in + (if .in.result_format then {} else {result_format: "COMPLETE"} end))}]} | tojson),
   tojson] | map(tostring) | join("\u0001")' "$fixture" > "$work/cases"
# Each dataset: NDJSON rows, and the --dtypes to give (empty for none).
jq -r '.datasets | length' "$fixture" > "$work/ndatasets"
for ((d = 0; d < $(cat "$work/ndatasets"); d++)); do
  jq -c --argjson d "$d" '.datasets[$d].data as $x | ($x | keys_unsorted) as $k |
    range(0; [$x[] | length] | max // 0) as $i | reduce $k[] as $c ({}; .[$c] = $x[$c][$i])' \
    "$fixture" > "$work/data$d.ndjson"
  jq -r --argjson d "$d" '.datasets[$d] as $s | ($s.schemas.pandas // null) as $p |
    if $p != null or ([$s.data[] | length] | max // 0) == 0 then
      [$s.data | keys_unsorted[] | if $p[.] then "\(.)=\($p[.])" else . end] | join(",")
    else "" end' "$fixture" > "$work/dtypes$d"
done
n=0
while IFS=$'\x01' read -r d title suite case; do
  printf '%s\n' "$suite" > "$work/suite.json"
  dt=$(cat "$work/dtypes$d")
  set +e
  gx-check --suite "$work/suite.json" ${dt:+--dtypes "$dt"} "$work/data$d.ndjson" > "$work/out" 2> "$work/err"
  rc=$?
  set -e
  n=$((n + 1))
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    echo "FAIL $title: exit $rc: $(head -c 300 "$work/err")"
    continue
  fi
  why=$(jq -r --argjson t "$case" -f "$work/check.jq" "$work/out" | head -3 | tr '\n' ';')
  if [ -z "$why" ]; then echo "ok $title"; else echo "FAIL $title: $why"; fi
done < "$work/cases"
echo "cases $n"
