#!/usr/bin/env bash
# bench warehouse: bq-load and bq-extract against their peers (run by tests/bench/run.sh;
# BENCH_ROWS rows, default 1000000; BENCH_RUNS and BENCH_OUT as in lib.sh).
#
# Input: tests/bench/gen_ads_campaign_performance.c, compiled here with cc -O2,
# writes N deterministic ads_campaign_performance rows (every column, some nulls).
#
# load:    bin/bq-load ads_campaign_performance FILE          into a fresh AELP_HOME
#   vs     jq -r '[.date, ...every column in schema order] | @csv' FILE |
#          sqlite3 DB '.mode csv' '.import /dev/stdin ads_campaign_performance'
#          where DB is another fresh AELP_HOME made by bin/bq-ensure, so column types,
#          NOT NULL and the unique key index are the same.  For fairness the sqlite3
#          side gets the PRAGMAs the warehouse sets on open: journal_mode=WAL (already
#          persistent in the file bq-ensure made; checked), synchronous=NORMAL,
#          cache_size=-65536, temp_store=MEMORY.  .import runs in one transaction,
#          as bq-load does.
#          Caveat: CSV has no NULL, so .import stores every null as '' (an empty
#          string, even in INTEGER/REAL columns); bq-load stores NULL.  The peer also
#          validates nothing (types, dates, timestamps).  A note line shows the count.
# extract: bin/bq-extract ads_campaign_performance > /dev/null
#   vs     sqlite3 -json DB 'SELECT * FROM ads_campaign_performance' > /dev/null
#          both on the database bq-load filled; row counts are checked in an untimed
#          run of each (which also warms the page cache) before the timed runs.
#
# Wall clock per run; the median of BENCH_RUNS runs of each contender; ratio =
# peer median / ours median (> 1: ours is faster).  The ratio never fails the
# bench (timed assertions do not belong in tests); a failing contender or a wrong
# row count does (exit 1).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rows=${BENCH_ROWS:-1000000}
table=ads_campaign_performance
target=2
positive_int BENCH_ROWS "$rows"
needs jq sqlite3 cc awk
programs bq-ensure bq-load bq-extract

# A fresh warehouse with every table of the contract.
fresh_home() {
	rm -rf "$1"
	mkdir -p "$1"
	AELP_HOME=$1 "$bin/bq-ensure" -q >/dev/null || fail "bq-ensure into $1"
}

count_rows() { sqlite3 "$1/warehouse.sqlite" "SELECT COUNT(*) FROM $table"; }

expect_rows() {   # WHAT GOT
	[[ $2 == "$rows" ]] || fail "$1: $2 rows, expected $rows"
}

# ---- the contenders -------------------------------------------------------
jq_prog="[$(jq -r '[.columns[].name | "." + .] | join(", ")' "schemas/tables/$table.json")] | @csv"

load_ours() { AELP_HOME=$1 "$bin/bq-load" "$table" "$file"; }
load_peer() {
	jq -r "$jq_prog" "$file" |
		sqlite3 -bail "$1/warehouse.sqlite" 'PRAGMA synchronous=NORMAL' 'PRAGMA cache_size=-65536' \
			'PRAGMA temp_store=MEMORY' '.mode csv' ".import /dev/stdin $table"
}
extract_ours() { AELP_HOME=$1 "$bin/bq-extract" "$table"; }
extract_peer() { sqlite3 -json "$1/warehouse.sqlite" "SELECT * FROM $table"; }

# ---- input ------------------------------------------------------------------
say "generating $rows rows"
file=$tmp/$table.ndjson
gen_campaign_file "$rows" "$file"
mb=$(( ($(stat -c %s "$file") + 500000) / 1000000 ))

# ---- load -----------------------------------------------------------------
ours_load=() peer_load=()
for ((r = 1; r <= runs; r++)); do
	say "load run $r/$runs"
	rm -rf "$tmp/peer"   # keep one database at a time on disk
	fresh_home "$tmp/ours"
	timed "$tmp/ours.log" load_ours "$tmp/ours"
	ours_load+=("$elapsed")
	expect_rows "bq-load" "$(count_rows "$tmp/ours")"

	fresh_home "$tmp/peer"
	[[ $(sqlite3 "$tmp/peer/warehouse.sqlite" 'PRAGMA journal_mode') == wal ]] ||
		fail "peer database not in WAL mode"
	timed "$tmp/peer.log" load_peer "$tmp/peer"
	# .import reports a bad line on stderr and goes on: the count is the check.
	peer_load+=("$elapsed")
	expect_rows "jq|sqlite3 .import" "$(count_rows "$tmp/peer")"
done
nulls_ours=$(sqlite3 "$tmp/ours/warehouse.sqlite" "SELECT COUNT(*) FROM $table WHERE video_views IS NULL")
empty_peer=$(sqlite3 "$tmp/peer/warehouse.sqlite" "SELECT COUNT(*) FROM $table WHERE video_views = ''")
rm -rf "$tmp/peer"

# ---- extract (both from the database bq-load filled) -----------------------
say "extract: checking row counts"
n=$(extract_ours "$tmp/ours" 2>"$tmp/ours.log" | wc -l) || { cat "$tmp/ours.log" >&2; fail "bq-extract failed"; }
expect_rows "bq-extract" "${n// /}"
# sqlite3 -json: one array, one object per line ('[{...},' ... '{...}]').
n=$(extract_peer "$tmp/ours" 2>"$tmp/peer.log" | grep -c '^\[\?{') || { cat "$tmp/peer.log" >&2; fail "sqlite3 -json failed"; }
expect_rows "sqlite3 -json" "$n"

ours_extract=() peer_extract=()
for ((r = 1; r <= runs; r++)); do
	say "extract run $r/$runs"
	timed "$tmp/ours.log" extract_ours "$tmp/ours"
	ours_extract+=("$elapsed")
	timed "$tmp/peer.log" extract_peer "$tmp/ours"
	peer_extract+=("$elapsed")
done

# ---- report -----------------------------------------------------------------
echo "bench: $table, $rows rows (file $mb MB), median of $runs runs; $(sqlite3 --version | cut -d' ' -f1 | sed 's/^/sqlite3 /'), $(jq --version)"
extra=$(jq -cn --arg t "$table" --argjson rows "$rows" '{table: $t, rows: $rows}')
report load bq-load "jq|sqlite3 .import" "${ours_load[*]}" "${peer_load[*]}" "$target" "$extra"
report extract bq-extract "sqlite3 -json" "${ours_extract[*]}" "${peer_extract[*]}" "" "$extra"
echo "note: .import stores NULL as '' (video_views: $empty_peer empty strings there, $nulls_ours NULLs via bq-load)"
