# Shared by the benchmarks (sourced): timing, medians and the report lines.
#
#   BENCH_RUNS  timed runs of each contender, alternating (default 3; median kept)
#   BENCH_OUT   NDJSON results, one line per measurement (default build/bench/results.ndjson;
#               tests/bench/run.sh empties it at the start of a run)
#
# Wall clock per run; ratio = peer median / ours median (> 1: ours is faster).
# A ratio never fails a bench (timed assertions do not belong in tests); a
# failing contender or a wrong count does (exit 1).

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bin=${AELP_BIN:-$root/bin}
runs=${BENCH_RUNS:-3}
out=${BENCH_OUT:-$root/build/bench/results.ndjson}
export AELP_SCHEMAS=$root/schemas
unset AELP_WAREHOUSE AELP_HOME GOOGLE_CLOUD_PROJECT BIGQUERY_TRAINING_DATASET

say() { printf 'bench: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

[[ $runs =~ ^[1-9][0-9]*$ ]] || { say "BENCH_RUNS must be a positive integer, not '$runs'"; exit 2; }

# positive_int NAME VALUE: exit 2 unless VALUE is a positive integer.
positive_int() {
	[[ $2 =~ ^[1-9][0-9]*$ ]] || { say "$1 must be a positive integer, not '$2'"; exit 2; }
}

# needs TOOL... and programs PROG...: exit 2 when one is missing.
needs() {
	local t
	for t in "$@"; do command -v "$t" >/dev/null || { say "needs $t"; exit 2; }; done
}
programs() {
	local p
	for p in "$@"; do [[ -x $bin/$p ]] || { say "no $bin/$p (run make)"; exit 2; }; done
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aelp-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

now() {
	if [[ -n ${EPOCHREALTIME:-} ]]; then printf '%s\n' "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi
}

# timed LOG CMD...: run CMD (stdout to /dev/null, stderr to LOG), set $elapsed in seconds
# (to the millisecond; $TIMED_DIGITS digits when set, 6 for runs of milliseconds).
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
	elapsed=$(awk -v a="$t0" -v b="$t1" -v d="${TIMED_DIGITS:-3}" 'BEGIN { printf "%.*f", d, b - a }')
}
utimed() { TIMED_DIGITS=6 timed "$@"; }

# peer_python NAME LABEL PY_VAR SKIP_VAR PINNED_RE PINS...: the python that runs
# $peer_py (which prints its versions with --check), in py; peer=0 and why when
# there is none.  SKIP_VAR=0 skips the peer; PY_VAR names a python to use as is;
# otherwise the bench's own virtual environment build/bench/venv-NAME, made once
# (python3 -m venv, pip install PINS, log in build/bench/venv-NAME.log) and
# brought to the pins when its --check line does not match PINNED_RE.
peer=1 why= py= versions=
peer_python() {
	local name=$1 label=$2 pyvar=$3 skipvar=$4 re=$5 venv log
	shift 5
	peer=1 why= py=
	if [[ ${!skipvar:-1} == 0 ]]; then
		peer=0 why="$skipvar=0"
	elif [[ -n ${!pyvar:-} ]]; then
		py=${!pyvar}
		"$py" "$peer_py" --check >/dev/null 2>&1 || peer=0 why="$pyvar=$py cannot import $label"
	else
		venv=$root/build/bench/venv-$name
		py=$venv/bin/python
		if ! "$py" "$peer_py" --check 2>/dev/null | grep -q "$re"; then
			log=$root/build/bench/venv-$name.log
			mkdir -p "$root/build/bench"
			say "making $label's virtual environment $venv (python3 -m venv; pip install $*), once"
			if ! command -v python3 >/dev/null; then
				peer=0 why="no python3 to make $venv"
			elif ! { [[ -x $py ]] || python3 -m venv "$venv"; } >"$log" 2>&1; then
				peer=0 why="python3 -m venv $venv failed (see $log)"
			elif ! "$py" -m pip install --disable-pip-version-check "$@" >>"$log" 2>&1 ||
				! "$py" "$peer_py" --check >>"$log" 2>&1; then
				peer=0 why="pip install $label failed in $venv (see $log)"
			fi
		fi
	fi
	versions=
	if ((peer)); then versions=$("$py" "$peer_py" --check 2>/dev/null); fi
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The generator of ads_campaign_performance rows (every column, some nulls).
gen_campaign_file() { # ROWS FILE
	[[ -x $tmp/gen ]] || cc -O2 -Icommon -o "$tmp/gen" tests/bench/gen_ads_campaign_performance.c \
		common/timefmt.c || fail "cc gen_ads_campaign_performance.c"
	"$tmp/gen" "$1" >"$2" || fail "generator"
	[[ $(wc -l <"$2" | tr -d ' ') == "$1" ]] || fail "generator wrote the wrong number of rows"
}

# report BENCH OURS PEER "ours runs" "peer runs" [TARGET [EXTRA_JSON]]
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
	printf '%-9s %-12s %7.2f s   %-22s %7.2f s   ratio %5.2fx %s%s\n' \
		"$bench" "$ours" "$o" "$peer" "$p" "$ratio" "$word" "$flag"
	printf '          runs (s): %s: %s   %s: %s\n' "$ours" "$4" "$peer" "$5"
	mkdir -p "$(dirname "$out")"
	jq -cn --arg bench "$bench" --arg ours "$ours" --arg peer "$peer" \
		--argjson ours_s "$o" --argjson peer_s "$p" --argjson ratio "$ratio" --argjson runs "$runs" \
		--argjson ours_runs "[$(echo "$4" | tr ' ' ,)]" \
		--argjson peer_runs "[$(echo "$5" | tr ' ' ,)]" --argjson extra "${7:-{\}}" \
		'{bench: $bench, ours: $ours, ours_s: $ours_s, peer: $peer, peer_s: $peer_s,
		  ratio: $ratio, runs: $runs, ours_runs_s: $ours_runs, peer_runs_s: $peer_runs} + $extra' >>"$out"
}

# record BENCH JSON: a figure that has no peer (rows per second, peak memory).
record() {
	mkdir -p "$(dirname "$out")"
	jq -cn --arg bench "$1" --argjson v "$2" '{bench: $bench} + $v' >>"$out"
}
