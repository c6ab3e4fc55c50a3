#!/usr/bin/env bash
# bench attribution: channel-attribute against ChannelAttribution (the Python
# package) on the same aggregated paths, and journey-summarize's sessions per
# second (run by tests/bench/run.sh).  The issue's bar: on 1,000,000 path rows,
# heuristics and order-1 and order-3 Markov at least 5x faster than
# ChannelAttribution with exact answers, peak memory reported.
#
#   BENCH_ROWS                path rows (default 1000000): the body of
#                             ../shared/data/attribution/channelattribution_paths.csv
#                             (10,000 rows) repeated, cut to BENCH_ROWS, header once
#   BENCH_ATTR_CSV            the CSV repeated (default that file; $AELP_SHARED/data/... if set)
#   BENCH_RUNS                timed channel-attribute runs per model (median kept; default 3)
#   BENCH_CA_RUNS             timed ChannelAttribution runs per model (default BENCH_RUNS)
#   BENCH_CA_TARGET           the ratio flagged when below it (default 5; a ratio never fails)
#   BENCH_CA_PEER             0: skip ChannelAttribution, report channel-attribute alone (default 1)
#   CHANNELATTRIBUTION_PY     a python that imports ChannelAttribution (default: the benchmark's
#                             own virtual environment, build/bench/venv-channelattribution, made
#                             once with python3 -m venv and pip install channelattribution)
#   BENCH_JOURNEY_USERS       sim-generate --users for the journey-summarize file (default 2000)
#   BENCH_JOURNEY_DAYS        its days, and journey-summarize --days (default 60)
# Quick: BENCH_ONLY=attribution BENCH_ROWS=20000 BENCH_RUNS=1 BENCH_JOURNEY_USERS=200 make bench
#
# Without python3 -m venv, pip or the network the ChannelAttribution figures are
# skipped, said so (build/bench/venv-channelattribution.log keeps pip's output),
# and channel-attribute's figures are reported alone (exit 0).
#
# ours:  bin/channel-attribute --format channelattribution -q FILE with
#          heuristics  --model first,last,linear
#          markov-1    --model markov --order 1
#          markov-3    --model markov --order 3
#        stdout to /dev/null, under tests/bench/peak_rss (getrusage of the child:
#        peak RSS); wall clock of the whole process (reading and parsing the CSV,
#        the model, writing the rows), BENCH_RUNS runs, the median kept.
# peer:  tests/bench/channelattribution_peer.py FILE (see its header for the exact
#        calls): pandas.read_csv, then heuristic_models(...) or markov_model(...,
#        order=K, nsim_start=1e5 and the package's other defaults, seed=0,
#        ncore=1, flg_pro=False), one Python process per model and run, under
#        peak_rss the same way.  Two figures: the wall clock of the process
#        (Python and pandas start-up and read_csv included, as ours includes
#        reading the file) and the model call alone (time.perf_counter around
#        heuristic_models / markov_model).  BENCH_CA_RUNS runs, medians kept.
#        ncore=1 on both sides: channel-attribute is single-threaded.
# ratio = peer median / ours median, wall against wall; "call only" = the
#        peer's model call alone against our whole process, the conservative
#        figure, and the one the target flag is for.
#
# Correctness, before the figures count (ours from an untimed run, the peer's
# from its first timed run); a failure fails the bench:
#   heuristics  first, last and linear conversions and value equal
#               ChannelAttribution's per channel to 1e-6 (relative, |ours - peer|
#               <= 1e-6 max(1, |ours|)): both are deterministic sums.
#   markov      channel-attribute solves the absorbing chain exactly;
#               ChannelAttribution estimates the same removal effects by
#               simulating paths (nsim_start = 1e5 and more until its conv_par
#               test passes).  Its Monte Carlo error is an absolute error in
#               each removal effect, so it does not shrink with the channel:
#               per channel |ours - peer| <= 1% of the total conversions, and
#               <= 2% of the total conversion value for value (value errors are
#               larger: one simulated conversion carries a whole path's value).
#               On the 10,000-row file at nsim_start 1e5, seeds 0 and 2, the
#               largest order-1 differences seen were 0.6% (conversions) and
#               0.8% (value) of the totals; at nsim_start 1e7 every channel was
#               within 0.1% of the totals (ChannelAttribution converges to the
#               exact answer).  The largest differences, absolute (as a share of
#               the total) and relative (per channel), are reported: how far
#               ChannelAttribution's estimate is from the exact answer is a
#               finding, not a failure (relative = |ours - peer| / max(1, |ours|):
#               a channel the simulation never credits shows as 100%).
#   Every channel on both sides, and the totals (sum over channels) equal to
#   1e-6 relative: every model credits all conversions and value.
#
# journey-summarize: a sim-generate journey_sessions file (--start 2025-01-01
# --days D --users U --seed 7), then bin/journey-summarize --stdin --date
# (the last day) --days D FILE (default lookback 30, --memory 256), stdout to
# /dev/null, BENCH_RUNS runs under peak_rss; sessions/s = the file's session
# rows / median wall clock.  No peer.  Checked first: its summary counts every
# session row, and the journey_paths_daily rows add up to the journeys and
# conversions it says.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rows=${BENCH_ROWS:-1000000}
peer_runs=${BENCH_CA_RUNS:-$runs}
target=${BENCH_CA_TARGET:-5}
j_users=${BENCH_JOURNEY_USERS:-2000}
j_days=${BENCH_JOURNEY_DAYS:-60}
csv=${BENCH_ATTR_CSV:-${AELP_SHARED:-$root/../shared}/data/attribution/channelattribution_paths.csv}
positive_int BENCH_ROWS "$rows"
positive_int BENCH_CA_RUNS "$peer_runs"
positive_int BENCH_JOURNEY_USERS "$j_users"
positive_int BENCH_JOURNEY_DAYS "$j_days"
[[ $target =~ ^[0-9]+([.][0-9]+)?$ ]] || { say "BENCH_CA_TARGET must be a number, not '$target'"; exit 2; }
[[ -r $csv ]] || { say "no $csv (BENCH_ATTR_CSV)"; exit 2; }
needs jq awk cc
programs channel-attribute journey-summarize sim-generate
cc -O2 -o "$tmp/peak_rss" tests/bench/peak_rss.c || fail "cc peak_rss.c"

# ---- the peer's python -----------------------------------------------------------
peer=1 why= py=
peer_check() { "$1" "$root/tests/bench/channelattribution_peer.py" --check 2>/dev/null; }
if [[ ${BENCH_CA_PEER:-1} == 0 ]]; then
	peer=0 why="BENCH_CA_PEER=0"
elif [[ -n ${CHANNELATTRIBUTION_PY:-} ]]; then
	py=$CHANNELATTRIBUTION_PY
	peer_check "$py" >/dev/null || peer=0 why="CHANNELATTRIBUTION_PY=$py cannot import ChannelAttribution"
else
	venv=$root/build/bench/venv-channelattribution
	py=$venv/bin/python
	if ! peer_check "$py" >/dev/null; then
		log=$root/build/bench/venv-channelattribution.log
		mkdir -p "$root/build/bench"
		say "making ChannelAttribution's virtual environment $venv (python3 -m venv; pip install channelattribution), once"
		if ! command -v python3 >/dev/null; then
			peer=0 why="no python3 to make $venv"
		elif ! { [[ -x $py ]] || python3 -m venv "$venv"; } >"$log" 2>&1; then
			peer=0 why="python3 -m venv $venv failed (see $log)"
		elif ! "$py" -m pip install --disable-pip-version-check channelattribution >>"$log" 2>&1 ||
			! peer_check "$py" >>"$log"; then
			peer=0 why="pip install channelattribution failed in $venv (see $log)"
		fi
	fi
fi
((peer)) || say "ChannelAttribution skipped: $why; channel-attribute's figures are reported alone"
versions=
((peer)) && versions=$(peer_check "$py")

# ---- helpers ------------------------------------------------------------------
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }

# ours_answer NDJSON: {"model": {channel: {conversions, value, removal_effect}}}
ours_answer() {
	jq -cs 'reduce .[] as $r ({}; .[$r.model][$r.channel] =
		{conversions: $r.conversions, value: $r.conversion_value, removal_effect: $r.removal_effect})' "$1"
}

# compare KIND OURS_JSON PEER_JSON: the largest differences per model as JSON;
# .ok false when one is beyond the tolerance (KIND heuristics: 1e-6 relative;
# markov: 1% of total conversions, 2% of total value).
compare() {
	jq -cn --arg kind "$1" --argjson o "$2" --argjson p "$3" '
		# relative to ours (the exact answer), the error of the peer: |ours - peer| / max(1, |ours|)
		def rel(a; b): (a - b | fabs) / ([1, (a | fabs)] | max);
		def tot(m; f): [m[] | .[f]] | add;
		[$o | keys[] as $m | $o[$m] as $om | $p[$m] as $pm
		 | (tot($om; "conversions")) as $tc | (tot($om; "value")) as $tv
		 | ([$om, $pm | keys[]] | unique) as $chs
		 | {model: $m,
		    missing: [$chs[] | select(($om[.] == null) or ($pm[.] == null))],
		    totals_rel: ([rel($tc; tot($pm; "conversions")), rel($tv; tot($pm; "value"))] | max),
		    diffs: [$chs[] | select($om[.] != null and $pm[.] != null) as $c
		            | {channel: $c,
		               conv_rel: rel($om[$c].conversions; $pm[$c].conversions),
		               conv_of_total: (($om[$c].conversions - $pm[$c].conversions | fabs) / $tc),
		               value_rel: rel($om[$c].value; $pm[$c].value),
		               value_of_total: (($om[$c].value - $pm[$c].value | fabs) / $tv)}]}
		 | . + {max_conv_rel: (.diffs | max_by(.conv_rel)),
		        max_conv_of_total: (.diffs | max_by(.conv_of_total)),
		        max_value_rel: (.diffs | max_by(.value_rel)),
		        max_value_of_total: (.diffs | max_by(.value_of_total))}
		 | .ok = ((.missing | length) == 0 and .totals_rel <= 1e-6 and
		          (if $kind == "heuristics" then
		             ([.diffs[] | .conv_rel, .value_rel] | max) <= 1e-6
		           else
		             .max_conv_of_total.conv_of_total <= 0.01 and .max_value_of_total.value_of_total <= 0.02
		           end))
		 | del(.diffs)]'
}

# ---- the path file ------------------------------------------------------------
say "making $rows path rows from $csv"
awk -v n="$rows" 'NR == 1 { print; next } { body[++k] = $0 }
	END { if (k == 0) exit 1; for (i = 0; i < n; i++) print body[i % k + 1] }' "$csv" >"$tmp/paths.csv" ||
	fail "no path rows in $csv"
[[ $(($(wc -l <"$tmp/paths.csv") - 1)) == "$rows" ]] || fail "the path file has the wrong number of rows"

echo "bench: channel-attribute vs ChannelAttribution on $rows path rows ($(basename "$csv") repeated), ncore=1;" \
	"ours median of $runs runs, peer of $peer_runs; ${versions:-ChannelAttribution skipped ($why)}"

# ---- one model ------------------------------------------------------------------
# run_model NAME KIND "OURS ARGS" "PEER ARGS"
run_model() {
	local name=$1 kind=$2 r o_json p_json cmp ok
	local -a oargs pargs
	read -r -a oargs <<<"$3"
	read -r -a pargs <<<"$4"
	oargs=(-q --format channelattribution "${oargs[@]}" "$tmp/paths.csv")

	say "$name: channel-attribute ${oargs[*]}"
	"$bin/channel-attribute" "${oargs[@]}" >"$tmp/ours.ndjson" 2>"$tmp/ours.log" ||
		{ cat "$tmp/ours.log" >&2; fail "channel-attribute ${oargs[*]}"; }
	o_json=$(ours_answer "$tmp/ours.ndjson")
	local -a o_t=() o_kb=()
	for ((r = 1; r <= runs; r++)); do
		timed "$tmp/ours.log" "$tmp/peak_rss" "$tmp/ours.kb" "$bin/channel-attribute" "${oargs[@]}"
		o_t+=("$elapsed") o_kb+=("$(cat "$tmp/ours.kb")")
	done
	local o_s o_rss
	o_s=$(median "${o_t[@]}") o_rss=$(maxof "${o_kb[@]}")

	if ! ((peer)); then
		printf '%-11s channel-attribute %7.3f s  peak %s  (no ChannelAttribution figure: %s)\n' \
			"$name" "$o_s" "$(mib "$o_rss")" "$why"
		printf '            runs (s): %s\n' "${o_t[*]}"
		record "attribution-$name" "$(jq -cn --argjson rows "$rows" --argjson s "$o_s" --argjson kb "$o_rss" \
			--argjson t "[$(IFS=,; echo "${o_t[*]}")]" --arg why "$why" --argjson a "$o_json" \
			'{rows: $rows, ours_s: $s, ours_runs_s: $t, ours_peak_rss_kb: $kb, peer_skipped: $why}')"
		return
	fi

	local -a p_t=() p_call=() p_read=() p_kb=()
	for ((r = 1; r <= peer_runs; r++)); do
		say "$name: ChannelAttribution run $r/$peer_runs"
		timed "$tmp/peer.log" "$tmp/peak_rss" "$tmp/peer.kb" "$py" "$root/tests/bench/channelattribution_peer.py" \
			"$tmp/paths.csv" "${pargs[@]}" --out "$tmp/peer-$r.json"
		p_t+=("$elapsed") p_kb+=("$(cat "$tmp/peer.kb")")
		p_call+=("$(jq .call_s "$tmp/peer-$r.json")") p_read+=("$(jq .read_s "$tmp/peer-$r.json")")
		[[ $(jq .rows "$tmp/peer-$r.json") == "$rows" ]] || fail "$name: ChannelAttribution read $(jq .rows "$tmp/peer-$r.json") rows, not $rows"
	done
	p_json=$(jq -c .answer "$tmp/peer-1.json")
	cmp=$(compare "$kind" "$o_json" "$p_json")
	ok=$(jq 'all(.ok)' <<<"$cmp")
	if [[ $ok != true ]]; then
		jq . <<<"$cmp" >&2
		fail "$name: channel-attribute and ChannelAttribution disagree beyond the tolerance (see above)"
	fi
	local p_s p_cs p_rs p_rss rc
	p_s=$(median "${p_t[@]}") p_cs=$(median "${p_call[@]}") p_rs=$(median "${p_read[@]}") p_rss=$(maxof "${p_kb[@]}")
	rc=$(awk -v o="$o_s" -v p="$p_cs" 'BEGIN { printf "%.2f", (o > 0 ? p / o : 0) }')

	report "attr" "$name" "ChannelAttribution" "${o_t[*]}" "${p_t[*]}" "" \
		"$(jq -cn --argjson rows "$rows" --argjson okb "$o_rss" --argjson pkb "$p_rss" --argjson pcs "$p_cs" \
			--argjson prs "$p_rs" --argjson rc "$rc" --argjson tgt "$target" --argjson cmp "$cmp" \
			--argjson calls "[$(IFS=,; echo "${p_call[*]}")]" --argjson pruns "$peer_runs" \
			--arg kind "$kind" --argjson nsim "$(jq '.nsim_start' "$tmp/peer-1.json")" --arg b "attribution-$name" \
			'{bench: $b, rows: $rows, kind: $kind, peer_runs: $pruns,
			  ours_peak_rss_kb: $okb, peer_peak_rss_kb: $pkb, peer_call_s: $pcs, peer_call_runs_s: $calls,
			  peer_read_csv_s: $prs, ratio_call_only: $rc, target: $tgt, peer_nsim_start: $nsim,
			  agreement: $cmp}')"
	printf '            call only: ChannelAttribution %s %.3f s (read_csv %.3f s apart) vs channel-attribute %.3f s = %sx%s\n' \
		"$([[ $kind == heuristics ]] && echo heuristic_models || echo markov_model)" "$p_cs" "$p_rs" "$o_s" "$rc" \
		"$(awk -v r="$rc" -v t="$target" 'BEGIN { printf "  (target >= %gx)%s", t, (r < t ? "  BELOW TARGET" : "") }')"
	printf '            peak memory: channel-attribute %s, ChannelAttribution %s (%.0fx)\n' \
		"$(mib "$o_rss")" "$(mib "$p_rss")" "$(awk -v o="$o_rss" -v p="$p_rss" 'BEGIN { print (o > 0 ? p / o : 0) }')"
	if [[ $kind == heuristics ]]; then
		jq -r '.[] | "            same answers: \(.model) equal to ChannelAttribution'"'"'s within \([.max_conv_rel.conv_rel, .max_value_rel.value_rel] | max) relative (tolerance 1e-6)"' <<<"$cmp"
	else
		jq -r --argjson nsim "$(jq '.nsim_start' "$tmp/peer-1.json")" '.[] |
			def pct: (. * 10000 | round / 100 | tostring) + "%";
			"            agreement (exact vs simulated, nsim_start \($nsim)): largest difference \(.max_conv_of_total.conv_of_total | pct) of total conversions (\(.max_conv_of_total.channel)), \(.max_value_of_total.value_of_total | pct) of total value (\(.max_value_of_total.channel)) (tolerance 1%, 2%)",
			"            per channel, largest relative: conversions \(.max_conv_rel.conv_rel | pct) (\(.max_conv_rel.channel)), value \(.max_value_rel.value_rel | pct) (\(.max_value_rel.channel)): ChannelAttribution'"'"'s Monte Carlo error"' <<<"$cmp"
	fi
}

run_model heuristics heuristics "--model first,last,linear" "--model heuristics"
run_model markov-1 markov "--model markov --order 1" "--model markov --order 1"
run_model markov-3 markov "--model markov --order 3" "--model markov --order 3"
rm -f "$tmp/paths.csv"

# ---- journey-summarize ---------------------------------------------------------------
start=2025-01-01
last=$(date -u -d "$start + $((j_days - 1)) days" +%F 2>/dev/null) || fail "date -d"
say "journey-summarize: sim-generate --start $start --days $j_days --users $j_users journey_sessions"
"$bin/sim-generate" --start "$start" --days "$j_days" --users "$j_users" --seed 7 \
	--tables gaelp_users.journey_sessions >"$tmp/sessions.ndjson" || fail "sim-generate"
sessions=$(wc -l <"$tmp/sessions.ndjson" | tr -d ' ')
jargs=(--stdin --date "$last" --days "$j_days" "$tmp/sessions.ndjson")
"$bin/journey-summarize" "${jargs[@]}" >"$tmp/summary.ndjson" 2>"$tmp/js.log" ||
	{ cat "$tmp/js.log" >&2; fail "journey-summarize ${jargs[*]}"; }
read -r s_said journeys converted < <(awk '/^journey-summarize: / {
	for (i = 1; i <= NF; i++) { if ($(i + 1) == "sessions") s = $i; if ($(i + 1) == "journeys" && $(i + 2) == "ending") j = $i
	                            if ($i == "converted),") { c = $(i - 1); sub(/^\(/, "", c) } }
	print s, j, c }' "$tmp/js.log")
[[ ${s_said:-} == "$sessions" ]] || { cat "$tmp/js.log" >&2; fail "journey-summarize counted ${s_said:-no} sessions of $sessions"; }
read -r pj pc < <(jq -rs '[.[] | select(._table == "journey_paths_daily")] | "\(map(.journeys) | add) \(map(.conversions) | add)"' \
	"$tmp/summary.ndjson")
[[ $pj == "$journeys" && $pc == "$converted" ]] ||
	fail "journey_paths_daily adds up to $pj journeys, $pc conversions; journey-summarize said $journeys, $converted"
rm -f "$tmp/summary.ndjson"
j_t=() j_kb=()
for ((r = 1; r <= runs; r++)); do
	say "journey-summarize run $r/$runs ($sessions sessions)"
	timed "$tmp/js.log" "$tmp/peak_rss" "$tmp/js.kb" "$bin/journey-summarize" "${jargs[@]}"
	j_t+=("$elapsed") j_kb+=("$(cat "$tmp/js.kb")")
done
j_s=$(median "${j_t[@]}") j_rss=$(maxof "${j_kb[@]}")
j_rate=$(awk -v n="$sessions" -v s="$j_s" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
printf 'journey-summarize %d sessions (%d days, %d users/day), %d journeys: %7.3f s = %s sessions/s, peak %s; runs (s): %s\n' \
	"$sessions" "$j_days" "$j_users" "$journeys" "$j_s" "$j_rate" "$(mib "$j_rss")" "${j_t[*]}"
record journey-summarize "$(jq -cn --argjson n "$sessions" --argjson d "$j_days" --argjson u "$j_users" \
	--argjson j "$journeys" --argjson s "$j_s" --argjson rate "$j_rate" --argjson kb "$j_rss" \
	--argjson t "[$(IFS=,; echo "${j_t[*]}")]" \
	'{sessions: $n, days: $d, users_per_day: $u, journeys: $j, seconds: $s, sessions_per_second: $rate,
	  peak_rss_kb: $kb, runs_s: $t}')"
rm -f "$tmp/sessions.ndjson"
