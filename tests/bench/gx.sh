#!/usr/bin/env bash
# bench gx: gx-check against jq doing the same checks (run by tests/bench/run.sh).
#
#   BENCH_ROWS       rows of the timed file (default 1000000)
#   BENCH_RSS_ROWS   row counts for the memory figure (default "1000000 4000000")
#
# Input: tests/bench/gen_ads_campaign_performance.c rows, with faults planted so
# that several expectations find something: every 997th row has negative clicks,
# every 1999th row repeats the key of the row before it.  The suite is the real
# schemas/suites/ads_campaign_performance.json.
#
# ours:  bin/gx-check --suite SUITE FILE > result.json     (exit 1: the suite fails)
# peer:  jq -r -f CHECK FILE | awk -f sum_flags.awk, where CHECK is the jq filter
#        tests/bench/suite_to_jq.jq writes from the same suite (one 0/1 flag per
#        row-level expectation and the key of each uniqueness one, per row; awk
#        sums the flags and counts repeated keys).
# Both sides' unexpected counts are compared, expectation by expectation, before
# anything is timed: a difference fails the bench.
#
# Memory: peak RSS of gx-check (tests/bench/peak_rss.c, getrusage) on files of
# BENCH_RSS_ROWS rows; flat means the figures do not grow with the rows.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rows=${BENCH_ROWS:-1000000}
rss_rows=${BENCH_RSS_ROWS:-1000000 4000000}
suite=$root/schemas/suites/ads_campaign_performance.json
target=3
positive_int BENCH_ROWS "$rows"
for n in $rss_rows; do positive_int BENCH_RSS_ROWS "$n"; done
needs jq awk cc
programs gx-check

cc -O2 -o "$tmp/peak_rss" tests/bench/peak_rss.c || fail "cc peak_rss.c"

# plant_faults < rows > rows: negative clicks every 997th row, a repeated key every 1999th.
plant_faults() {
	awk '{ if (NR % 997 == 0) sub(/"clicks":[0-9]+/, "\"clicks\":-3")
	       if (NR % 1999 == 0) { line = $0; sub(/"campaign_id":"[^"]*"/, prev_id, line); $0 = line }
	       match($0, /"campaign_id":"[^"]*"/); prev_id = substr($0, RSTART, RLENGTH)
	       print }'
}
make_file() { # ROWS FILE
	gen_campaign_file "$1" "$tmp/clean.ndjson"
	plant_faults <"$tmp/clean.ndjson" >"$2"
	rm -f "$tmp/clean.ndjson"
}

# The suite fails on the planted faults (exit 1), as it should; its stderr is kept in a log.
ours() { "$bin/gx-check" --suite "$suite" "$1" >"$tmp/result.json" 2>"$tmp/gx.err" || [[ $? == 1 ]]; }
peer() { jq -r -f "$tmp/check.jq" "$1" | awk -f tests/bench/sum_flags.awk >"$tmp/peer.txt"; }

say "generating $rows rows"
file=$tmp/rows.ndjson
make_file "$rows" "$file"
mb=$(( ($(stat -c %s "$file") + 500000) / 1000000 ))
jq -r -f tests/bench/suite_to_jq.jq "$suite" >"$tmp/check.jq" || fail "suite_to_jq"

# ---- the same answer first ---------------------------------------------------
say "checking that both sides find the same"
ours "$file" || fail "gx-check failed"
peer "$file" || fail "jq failed"
jq -r '.results[] | select(.expectation_config.type != "expect_table_row_count_to_be_between")
       | .result.unexpected_count' "$tmp/result.json" >"$tmp/ours.counts"
awk '$1 == "field" { print $4 }' "$tmp/peer.txt" >"$tmp/peer.counts"
diff "$tmp/ours.counts" "$tmp/peer.counts" >&2 || fail "gx-check and jq disagree on the unexpected counts"
[[ $(jq '.results[0].result.observed_value' "$tmp/result.json") == "$rows" ]] || fail "gx-check row count"
[[ $(awk '$1 == "rows" { print $2 }' "$tmp/peer.txt") == "$rows" ]] || fail "jq row count"
found=$(awk '{ s += $1 } END { print s + 0 }' "$tmp/ours.counts")
[[ $found -gt 0 ]] || fail "the planted faults were not found"

# ---- timed -------------------------------------------------------------------
ours_t=() peer_t=()
for ((r = 1; r <= runs; r++)); do
	say "gx run $r/$runs"
	timed "$tmp/ours.log" ours "$file"
	ours_t+=("$elapsed")
	timed "$tmp/peer.log" peer "$file"
	peer_t+=("$elapsed")
done
rm -f "$file"

# ---- memory ------------------------------------------------------------------
rss=()
for n in $rss_rows; do
	say "peak memory at $n rows"
	make_file "$n" "$tmp/rss.ndjson"
	"$tmp/peak_rss" "$tmp/rss.kb" "$bin/gx-check" --suite "$suite" "$tmp/rss.ndjson" >/dev/null 2>"$tmp/gx.err" || [[ $? == 1 ]] ||
		fail "gx-check on $n rows"
	rss+=("$n:$(cat "$tmp/rss.kb")")
	"$tmp/peak_rss" "$tmp/rss.kb" "$bin/gx-check" --suite "$suite" --pass "$tmp/rss.ndjson" >/dev/null 2>"$tmp/gx.err" || [[ $? == 1 ]] ||
		fail "gx-check --pass on $n rows"
	rss+=("pass-$n:$(cat "$tmp/rss.kb")")
	rm -f "$tmp/rss.ndjson"
done

# ---- report -----------------------------------------------------------------
nexp=$(jq '.expectations | length' "$suite")
echo "bench: gx-check, suite ads_campaign_performance ($nexp expectations), $rows rows (file $mb MB, $found unexpected values planted and found by both), median of $runs runs; $(jq --version)"
extra=$(jq -cn --argjson rows "$rows" --argjson n "$nexp" '{suite: "ads_campaign_performance", expectations: $n, rows: $rows}')
report gx-check gx-check "jq + awk" "${ours_t[*]}" "${peer_t[*]}" "$target" "$extra"
line="peak RSS of gx-check:"
json="{}"
for kv in "${rss[@]}"; do
	k=${kv%%:*} v=${kv#*:}
	line+="  $k rows $((v / 1024)) MiB;"
	json=$(jq -c --arg k "$k" --argjson v "$v" '. + {($k): $v}' <<<"$json")
done
echo "$line"
record gx-check-peak-rss-kib "$json"
