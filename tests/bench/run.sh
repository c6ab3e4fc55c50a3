#!/usr/bin/env bash
# make bench: bq-load and bq-extract against their peers, as ratios from one run.
#
#   AELP_BIN=$PWD/bin tests/bench/run.sh        (what `make bench` runs)
#   BENCH_ROWS=20000 make bench                 quick smoke run
#
# Knobs:  BENCH_ROWS  rows to generate (default 1000000)
#         BENCH_RUNS  timed runs of each contender, alternating (default 3; median kept)
#         BENCH_OUT   NDJSON results, one line per measurement, rewritten each run
#                     (default build/bench/results.ndjson)
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

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bin=${AELP_BIN:-$root/bin}
rows=${BENCH_ROWS:-1000000}
runs=${BENCH_RUNS:-3}
out=${BENCH_OUT:-build/bench/results.ndjson}
table=ads_campaign_performance
target=2
export AELP_SCHEMAS=$root/schemas
unset AELP_WAREHOUSE AELP_HOME

say() { printf 'bench: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

[[ $rows =~ ^[1-9][0-9]*$ ]] || { say "BENCH_ROWS must be a positive integer, not '$rows'"; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { say "BENCH_RUNS must be a positive integer, not '$runs'"; exit 2; }
for tool in jq sqlite3 cc awk; do
	command -v "$tool" >/dev/null || { say "needs $tool"; exit 2; }
done
for p in bq-ensure bq-load bq-extract; do
	[[ -x $bin/$p ]] || { say "no $bin/$p (run make)"; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aelp-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

now() {
	if [[ -n ${EPOCHREALTIME:-} ]]; then printf '%s\n' "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi
}

# timed LOG CMD...: run CMD (stdout to /dev/null, stderr to LOG), set $elapsed in seconds.
elapsed=
timed() {
	local log=$1 t0 t1
	shift
	t0=$(now)
	if ! "$@" >/dev/null 2>"$log"; then
		cat "$log" >&2
		fail "$* failed"
	fi
	t1=$(now)
	elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

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
cc -O2 -Icommon -o "$tmp/gen" tests/bench/gen_ads_campaign_performance.c common/timefmt.c || fail "cc gen_ads_campaign_performance.c"
file=$tmp/$table.ndjson
"$tmp/gen" "$rows" >"$file" || fail "generator"
expect_rows "generated file" "$(wc -l <"$file" | tr -d ' ')"
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
mkdir -p "$(dirname "$out")"
: >"$out"

# report BENCH OURS PEER "ours runs" "peer runs" [TARGET]
report() {
	local bench=$1 ours=$2 peer=$3 o p ratio word flag=""
	o=$(median $4)
	p=$(median $5)
	ratio=$(awk -v o="$o" -v p="$p" 'BEGIN { printf "%.2f", (o > 0 ? p / o : 0) }')
	word=$(awk -v r="$ratio" 'BEGIN { print (r >= 1 ? "faster" : "slower") }')
	if [[ -n ${6:-} ]]; then
		flag="  (target >= ${6}x)"
		awk -v r="$ratio" -v t="$6" 'BEGIN { exit !(r < t) }' && flag+="  BELOW TARGET"
	fi
	printf '%-8s %-10s %7.2f s   %-20s %7.2f s   ratio %5.2fx %s%s\n' \
		"$bench" "$ours" "$o" "$peer" "$p" "$ratio" "$word" "$flag"
	printf '         runs (s): %s: %s   %s: %s\n' "$ours" "$4" "$peer" "$5"
	jq -cn --arg bench "$bench" --arg table "$table" --arg ours "$ours" --arg peer "$peer" \
		--argjson ours_s "$o" --argjson peer_s "$p" --argjson ratio "$ratio" \
		--argjson rows "$rows" --argjson runs "$runs" \
		--argjson ours_runs "[$(echo "$4" | tr ' ' ,)]" \
		--argjson peer_runs "[$(echo "$5" | tr ' ' ,)]" \
		'{bench: $bench, table: $table, ours: $ours, ours_s: $ours_s, peer: $peer,
		  peer_s: $peer_s, ratio: $ratio, rows: $rows, runs: $runs,
		  ours_runs_s: $ours_runs, peer_runs_s: $peer_runs}' >>"$out"
}

echo "bench: $table, $rows rows (file $mb MB), median of $runs runs; $(sqlite3 --version | cut -d' ' -f1 | sed 's/^/sqlite3 /'), $(jq --version)"
report load bq-load "jq|sqlite3 .import" "${ours_load[*]}" "${peer_load[*]}" "$target"
report extract bq-extract "sqlite3 -json" "${ours_extract[*]}" "${peer_extract[*]}"
echo "note: .import stores NULL as '' (video_views: $empty_peer empty strings there, $nulls_ours NULLs via bq-load)"
echo "results: $out"
