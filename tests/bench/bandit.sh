#!/usr/bin/env bash
# bench bandit: bandit-decide's serving mode against MABWiser's predict() on the
# same fitted posteriors (run by tests/bench/run.sh).  The figure is decisions
# per second; the issue's bar is 100x MABWiser for Thompson sampling, with p99
# latency reported.
#
#   BENCH_BANDIT_ARMS           Thompson sampling cases: arm counts (default "10 100 1000")
#   BENCH_BANDIT_FEATURES       LinTS cases, 10 arms: feature counts d (default "20 100")
#   BENCH_BANDIT_REQUESTS       requests per bandit-decide run (default BENCH_ROWS if set,
#                               else 1000000 at 10 arms, 300000 at 100, 100000 at 1000;
#                               LinTS 300000 at d = 20, 100000 at d = 100)
#   BENCH_BANDIT_FIT_ROWS       decisions the models are fitted on (default 100000)
#   BENCH_BANDIT_PEER_SECONDS   seconds of timed predict() calls per peer mode (default 5)
#   BENCH_BANDIT_TARGET         the ratio flagged when below it (default 100; a ratio never fails)
#   BENCH_BANDIT_PEER           0: skip MABWiser, report bandit-decide alone (default 1)
#   MABWISER_PY                 a python that imports mabwiser (default: the benchmark's own
#                               virtual environment, build/bench/venv-mabwiser, made once
#                               with python3 -m venv and pip install mabwiser, then reused)
# Quick: BENCH_ONLY=bandit BENCH_RUNS=1 BENCH_ROWS=20000 BENCH_BANDIT_PEER_SECONDS=1 make bench
#
# Without python3 -m venv, pip or the network the MABWiser figures are skipped,
# said so (build/bench/venv-mabwiser.log keeps pip's output), and bandit-decide's
# figures are reported alone (exit 0).
#
# A decision is one Thompson sampling choice of one arm over all of a campaign's
# arms, given the fitted posteriors; the same on both sides.
#
# Data (mawk/awk, fixed seeds): one campaign, c1.  Thompson: K arms with true
# rates uniform in [0.01, 0.05], FIT_ROWS / K trials each, successes = the
# rounded expectation; one aggregated row per arm ({"campaign_id", "arm_id",
# "trials", "successes", "spend"}).  LinTS: 10 arms x 100 feature vectors
# (d numbers uniform in [-1, 1], shared by the arms) x FIT_ROWS / 1000 trials,
# successes from a logistic rate in [0.01, 0.05] with a random weight vector per
# arm; one row per arm and vector with "features".  Requests: one line per
# decision, {"request_id", "campaign_id"} (all arms available, k = 1); LinTS
# requests carry a fresh random vector each, "features": [...] (bandit-decide
# takes a features campaign's request vector as "features" or "context" array).
#
# ours:  bin/bandit-decide --stdin --policy P --seed 123456 --requests REQ --stats ARMS
#        (LinTS: --policy lin_ts --alpha 1 --l2-lambda 1), stdout to /dev/null;
#        BENCH_RUNS runs, the median kept.  Decisions/s and p50/p99/max latency
#        are its --stats line: bandit-decide parses every request first, then
#        decides them in chunks of 1024 back to back (CLOCK_MONOTONIC around each
#        chunk, the answers written after): decisions/s = N / the deciding time,
#        as the peer's online figure is calls / their summed time (the Python
#        loop between calls not counted); every 8th decision is also timed alone
#        for the percentiles.
#        The wall clock of the whole run (reading the arms, parsing every
#        request, deciding, writing) is shown beside it as an end-to-end rate.
# peer:  tests/bench/mabwiser_peer.py (MABWiser, MAB(..., seed=123456)) fits
#        MAB.fit(decisions, rewards[, contexts]) on the same aggregates expanded
#        into single decisions (checked: Beta(1 + s, 1 + n - s) per arm), then
#          online  one predict() per decision (LinTS: one 1 x d context, the
#                  request file's vectors), each call timed with
#                  time.perf_counter_ns; decisions/s = calls / their summed
#                  time; p50/p99/max over the calls; PEER_SECONDS of calls.
#          batch   predict() over 1000 contexts per call (Thompson: a 1000 x 1
#                  array, MABWiser's context-free predict returns one arm per
#                  row); decisions/s = contexts / summed call time; PEER_SECONDS
#                  of calls; latency = call time / 1000 (amortized).
#        One peer run per case (BENCH_RUNS is not used: its figure is already an
#        average over thousands of calls).
# ratio = ours decisions/s / MABWiser's, against each peer mode.
#
# Correctness, before the figures count: every request gets one arm of the
# campaign, and the pick frequencies of both sides agree up to sampling error
# (total variation distance <= 0.02 + sqrt(K (1/n_ours + 1/n_peer)), K the arms
# either side picked); otherwise the bench fails.  Thompson: against MABWiser's
# batch picks.  LinTS: against picks drawn from MABWiser's fitted beta and A^-1
# with an independent normal vector per arm, because MABWiser 2.7.4's own LinTS
# draws are not independent across arms: fit deep-copies each arm's model with
# its RNG, so every arm replays the same normals (see mabwiser_peer.py).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
arm_cases=${BENCH_BANDIT_ARMS-10 100 1000}
feat_cases=${BENCH_BANDIT_FEATURES-20 100}
requests=${BENCH_BANDIT_REQUESTS:-${BENCH_ROWS:-}}
fit_rows=${BENCH_BANDIT_FIT_ROWS:-100000}
peer_seconds=${BENCH_BANDIT_PEER_SECONDS:-5}
target=${BENCH_BANDIT_TARGET:-100}
seed=123456
for k in $arm_cases; do positive_int BENCH_BANDIT_ARMS "$k"; done
for d in $feat_cases; do positive_int BENCH_BANDIT_FEATURES "$d"; done
[[ -z $requests ]] || positive_int BENCH_BANDIT_REQUESTS "$requests"
positive_int BENCH_BANDIT_FIT_ROWS "$fit_rows"
[[ $peer_seconds =~ ^[0-9]+([.][0-9]+)?$ ]] && awk -v s="$peer_seconds" 'BEGIN { exit !(s > 0) }' ||
	{ say "BENCH_BANDIT_PEER_SECONDS must be a positive number, not '$peer_seconds'"; exit 2; }
[[ $target =~ ^[0-9]+([.][0-9]+)?$ ]] || { say "BENCH_BANDIT_TARGET must be a number, not '$target'"; exit 2; }
needs jq awk
programs bandit-decide

# ---- the peer's python -----------------------------------------------------------
peer=1 why= py=
if [[ ${BENCH_BANDIT_PEER:-1} == 0 ]]; then
	peer=0 why="BENCH_BANDIT_PEER=0"
elif [[ -n ${MABWISER_PY:-} ]]; then
	py=$MABWISER_PY
	"$py" -c 'import mabwiser' >/dev/null 2>&1 || peer=0 why="MABWISER_PY=$py cannot import mabwiser"
else
	venv=$root/build/bench/venv-mabwiser
	py=$venv/bin/python
	if ! "$py" -c 'import mabwiser' >/dev/null 2>&1; then
		log=$root/build/bench/venv-mabwiser.log
		mkdir -p "$root/build/bench"
		say "making MABWiser's virtual environment $venv (python3 -m venv; pip install mabwiser), once"
		if ! command -v python3 >/dev/null; then
			peer=0 why="no python3 to make $venv"
		elif ! { [[ -x $py ]] || python3 -m venv "$venv"; } >"$log" 2>&1; then
			peer=0 why="python3 -m venv $venv failed (see $log)"
		elif ! "$py" -m pip install --disable-pip-version-check mabwiser >>"$log" 2>&1 ||
			! "$py" -c 'import mabwiser' >>"$log" 2>&1; then
			peer=0 why="pip install mabwiser failed in $venv (see $log)"
		fi
	fi
fi
((peer)) || say "MABWiser skipped: $why; bandit-decide's figures are reported alone"
versions=
if ((peer)); then
	versions=$("$py" -c 'import platform, numpy; from mabwiser._version import __version__ as v
print("MABWiser %s, numpy %s, Python %s" % (v, numpy.__version__, platform.python_version()))')
fi

# ---- helpers ------------------------------------------------------------------
# si X: 1234567 -> 1.23M, 2100 -> 2.10k.
si() { awk -v x="$1" 'BEGIN { if (x >= 1e6) printf "%.2fM", x / 1e6; else if (x >= 1e3) printf "%.1fk", x / 1e3; else printf "%.0f", x }'; }
us() { awk -v x="$1" 'BEGIN { printf (x < 10 ? "%.2f" : (x < 1000 ? "%.1f" : "%.0f")), x }'; }
ratio() { awk -v o="$1" -v p="$2" 'BEGIN { printf "%.1f", (p > 0 ? o / p : 0) }'; }
flag() { [[ $policy != thompson ]] || awk -v r="$1" -v t="$target" 'BEGIN { if (r < t) printf "  BELOW TARGET (%gx)", t }'; }

# stats LOG: "N S R P50 P99 MAX" from bandit-decide's --stats line.
stats() {
	awk '/^bandit-decide: [0-9]+ decisions in / {
		n = $2; s = $5
		for (i = 1; i <= NF; i++) {
			if ($i == "alone:") r = $(i + 1)
			if ($i == "p50") p50 = $(i + 1)
			if ($i == "p99") p99 = $(i + 1)
			if ($i == "max") mx = $(i + 1)
		}
		gsub(/[^0-9.eE+-]/, "", r); gsub(/[^0-9.eE+-]/, "", p50)
		gsub(/[^0-9.eE+-]/, "", p99); gsub(/[^0-9.eE+-]/, "", mx)
		if (r == "" && s > 0) r = n / s
		line = n " " s " " r " " p50 " " p99 " " mx
	} END { if (line == "") exit 1; print line }' "$1"
}

# picks_ours OUT: "arm count" per arm picked, from bandit-decide's answers; checks
# one answer per request, one arm each, an arm of the campaign.
picks_ours() {
	awk -v want="$2" -v arms="$3" '
		BEGIN { while ((getline a < arms) > 0) ok[a] = 1 }
		{ if (!match($0, /"arms"[ \t]*:[ \t]*\[[^]]*\]/)) { print "no arms in answer " NR > "/dev/stderr"; bad = 1; exit 1 }
		  s = substr($0, RSTART, RLENGTH); sub(/^[^[]*\[[ \t]*/, "", s); sub(/[ \t]*\]$/, "", s)
		  if (s !~ /^"[^"]*"$/) { print "answer " NR " is not one arm: " s > "/dev/stderr"; bad = 1; exit 1 }
		  s = substr(s, 2, length(s) - 2)
		  if (!(s in ok)) { print "answer " NR ": " s " is not an arm" > "/dev/stderr"; bad = 1; exit 1 }
		  c[s]++ }
		END { if (bad) exit 1
		      if (NR != want) { print NR " answers to " want " requests" > "/dev/stderr"; exit 1 }
		      for (a in c) print a, c[a] }' "$1"
}

# tvd OURS PEER: "tvd tolerance support" of two "arm count" lists.
tvd() {
	awk 'FNR == 1 { f++ } { c[f, $1] = $2; n[f] += $2; arm[$1] = 1 }
		END { for (a in arm) { k++; d = c[1, a] / n[1] - c[2, a] / n[2]; t += (d < 0 ? -d : d) }
		      printf "%.4f %.4f %d\n", t / 2, 0.02 + sqrt(k * (1 / n[1] + 1 / n[2])), k }' "$1" "$2"
}

gen_thompson() { # K FILE
	awk -v k="$1" -v rows="$fit_rows" 'BEGIN {
		srand(7); t = int(rows / k); if (t < 1) t = 1
		for (i = 0; i < k; i++) {
			p = 0.01 + 0.04 * rand(); s = int(t * p + 0.5)
			printf "{\"campaign_id\":\"c1\",\"arm_id\":\"ad%05d\",\"trials\":%d,\"successes\":%d,\"spend\":%.2f}\n", i, t, s, t * 0.8
		}
	}' >"$2"
}
gen_lints() { # D FILE
	awk -v d="$1" -v rows="$fit_rows" 'BEGIN {
		srand(11); k = 10; nx = 100; t = int(rows / (k * nx)); if (t < 1) t = 1
		for (j = 0; j < nx; j++) for (f = 0; f < d; f++) x[j, f] = sprintf("%.4f", 2 * rand() - 1)
		for (i = 0; i < k; i++) {
			for (f = 0; f < d; f++) w[f] = 2 * rand() - 1
			for (j = 0; j < nx; j++) {
				z = 0; fs = ""
				for (f = 0; f < d; f++) { z += w[f] * x[j, f]; fs = fs (f ? "," : "") x[j, f] }
				p = 0.01 + 0.04 / (1 + exp(-z * 2 / sqrt(d))); s = int(t * p + 0.5)
				printf "{\"campaign_id\":\"c1\",\"arm_id\":\"aud%02d\",\"features\":[%s],\"trials\":%d,\"successes\":%d,\"spend\":%.2f}\n", i, fs, t, s, t * 0.8
			}
		}
	}' >"$2"
}
gen_requests() { # N D FILE  (D = 0: context-free)
	awk -v n="$1" -v d="$2" 'BEGIN {
		srand(13)
		for (r = 1; r <= n; r++) {
			if (d == 0) { printf "{\"request_id\":\"r%d\",\"campaign_id\":\"c1\"}\n", r; continue }
			printf "{\"request_id\":\"r%d\",\"campaign_id\":\"c1\",\"features\":[", r
			for (f = 0; f < d; f++) printf (f ? ",%.4f" : "%.4f"), 2 * rand() - 1
			printf "]}\n"
		}
	}' >"$3"
}

# ---- one case ----------------------------------------------------------------
# run_case NAME LABEL POLICY N_REQUESTS ARMS_FILE REQ_FILE FEATURES
run_case() {
	local name=$1 label=$2 policy=$3 n=$4 arms=$5 req=$6 d=$7 r a b c e
	local -a args=(--stdin --policy "$policy" --seed "$seed" --requests "$req" --stats)
	[[ $policy == lin_ts ]] && args+=(--alpha 1 --l2-lambda 1)
	args+=("$arms")
	jq -r .arm_id "$arms" | sort -u >"$tmp/arm_ids"

	say "$label: bandit-decide, checking its answers"
	"$bin/bandit-decide" "${args[@]}" >"$tmp/answers.ndjson" 2>"$tmp/ours.log" ||
		{ cat "$tmp/ours.log" >&2; fail "bandit-decide ${args[*]}"; }
	picks_ours "$tmp/answers.ndjson" "$n" "$tmp/arm_ids" >"$tmp/ours.picks" || fail "$label: bandit-decide's answers"
	stats "$tmp/ours.log" >/dev/null || { cat "$tmp/ours.log" >&2; fail "$label: no --stats line on stderr"; }
	rm -f "$tmp/answers.ndjson"

	local -a rate=() p50=() p99=() mx=() walls=()
	for ((r = 1; r <= runs; r++)); do
		say "$label: bandit-decide run $r/$runs ($n requests)"
		timed "$tmp/ours.log" "$bin/bandit-decide" "${args[@]}"
		read -r _ _ a b c e < <(stats "$tmp/ours.log") || fail "$label: no --stats line"
		rate+=("$a") p50+=("$b") p99+=("$c") mx+=("$e") walls+=("$elapsed")
	done
	local o_rate o_p50 o_p99 o_max o_wall o_wall_rate
	o_rate=$(median "${rate[@]}") o_p50=$(median "${p50[@]}") o_p99=$(median "${p99[@]}")
	o_max=$(median "${mx[@]}") o_wall=$(median "${walls[@]}")
	o_wall_rate=$(awk -v n="$n" -v s="$o_wall" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')

	local ours_json peer_json=null line ro="" rb="" rw="" tv="" tol="" k=""
	ours_json=$(jq -cn --argjson n "$n" --argjson r "$o_rate" --argjson p50 "$o_p50" --argjson p99 "$o_p99" \
		--argjson mx "$o_max" --argjson w "$o_wall" --argjson wr "$o_wall_rate" \
		--argjson runs "[$(IFS=,; echo "${rate[*]}")]" --argjson wruns "[$(IFS=,; echo "${walls[*]}")]" \
		'{requests: $n, per_s: $r, p50_us: $p50, p99_us: $p99, max_us: $mx, wall_s: $w,
		  wall_per_s: $wr, runs_per_s: $runs, runs_wall_s: $wruns}')
	line=$(printf '%-9s %s: bandit-decide %s decisions/s (p50 %s us, p99 %s us)' bandit "$label" \
		"$(si "$o_rate")" "$(us "$o_p50")" "$(us "$o_p99")")

	if ((peer)); then
		say "$label: MABWiser, ${peer_seconds} s online + ${peer_seconds} s batch"
		local -a pargs=("$policy" "$arms")
		[[ $policy == lin_ts ]] && pargs+=("$req" --alpha 1 --l2-lambda 1)
		"$py" "$root/tests/bench/mabwiser_peer.py" "${pargs[@]}" --seed "$seed" --seconds "$peer_seconds" \
			--batch-seconds "$peer_seconds" --batch 1000 >"$tmp/peer.json" 2>"$tmp/peer.log" ||
			{ cat "$tmp/peer.log" >&2; fail "$label: mabwiser_peer.py"; }
		jq -r '.arms as $a | (.reference_picks // .batch.picks) | to_entries[] | select(.value > 0) | "\($a[.key]) \(.value)"' \
			"$tmp/peer.json" >"$tmp/peer.picks"
		read -r tv tol k < <(tvd "$tmp/ours.picks" "$tmp/peer.picks")
		awk -v t="$tv" -v l="$tol" 'BEGIN { exit !(t <= l) }' ||
			fail "$label: pick frequencies differ: total variation $tv > $tol over $k arms (bandit-decide vs MABWiser)"
		local q_rate q_p50 q_p99 b_rate b_us
		q_rate=$(jq .online.per_s "$tmp/peer.json") q_p50=$(jq .online.p50_us "$tmp/peer.json")
		q_p99=$(jq .online.p99_us "$tmp/peer.json")
		b_rate=$(jq .batch.per_s "$tmp/peer.json") b_us=$(jq .batch.amortized_us "$tmp/peer.json")
		ro=$(ratio "$o_rate" "$q_rate") rb=$(ratio "$o_rate" "$b_rate") rw=$(ratio "$o_wall_rate" "$q_rate")
		line+=$(printf ' vs MABWiser online %s/s (p50 %s us, p99 %s us) = %sx%s; batch %s/s (%s us each) = %sx%s' \
			"$(si "$q_rate")" "$(us "$q_p50")" "$(us "$q_p99")" "$ro" "$(flag "$ro")" \
			"$(si "$b_rate")" "$(us "$b_us")" "$rb" "$(flag "$rb")")
		peer_json=$(jq -c --argjson tv "$tv" --argjson tol "$tol" \
			'{mabwiser, numpy, python, fit_rows, fit_seconds,
			  online: (.online | del(.picks)), batch: (.batch | del(.picks)),
			  pick_tvd: $tv, pick_tvd_tolerance: $tol}' "$tmp/peer.json")
	fi
	((peer)) || line+=" (no MABWiser figure: $why)"
	echo "$line"
	printf '          end to end (reading arms, parsing %s requests, writing answers): %.3f s = %s requests/s%s;  runs (decisions/s): %s\n' \
		"$n" "$o_wall" "$(si "$o_wall_rate")" "${rw:+ = ${rw}x MABWiser online}" "${rate[*]}"
	[[ -z $tv ]] || printf '          same answers: pick frequencies within total variation %s of MABWiser'"'"'s (tolerance %s, %s arms)\n' "$tv" "$tol" "$k"
	record "$name" "$(jq -cn --arg policy "$policy" --argjson arms "$(wc -l <"$tmp/arm_ids")" --argjson d "$d" \
		--argjson ours "$ours_json" --argjson peer "$peer_json" --arg ro "$ro" --arg rb "$rb" --arg rw "$rw" \
		--argjson target "$target" --arg why "$why" \
		'{policy: $policy, arms: $arms, features: (if $d > 0 then $d else null end), ours: $ours, mabwiser: $peer,
		  ratio_online: ($ro | tonumber? // null), ratio_batch: ($rb | tonumber? // null),
		  ratio_end_to_end_online: ($rw | tonumber? // null),
		  target: (if $policy == "thompson" then $target else null end)}
		 + (if $why != "" then {peer_skipped: $why} else {} end)')"
}

# ---- the cases ------------------------------------------------------------------
echo "bench: bandit-decide --requests vs MABWiser predict(), one campaign, a model fitted on $fit_rows decisions; ours median of $runs runs;" \
	"${versions:-MABWiser skipped ($why)}"
for k in $arm_cases; do
	n=${requests:-$(awk -v k="$k" 'BEGIN { n = 3e7 / k; if (n > 1e6) n = 1e6; if (n < 1e5) n = 1e5; printf "%d", n }')}
	gen_thompson "$k" "$tmp/arms.ndjson"
	gen_requests "$n" 0 "$tmp/req.ndjson"
	run_case "bandit-thompson-$k" "thompson $k arms" thompson "$n" "$tmp/arms.ndjson" "$tmp/req.ndjson" 0
done
for d in $feat_cases; do
	n=${requests:-$(awk -v d="$d" 'BEGIN { n = 6e6 / d; if (n > 1e6) n = 1e6; if (n < 1e5) n = 1e5; printf "%d", n }')}
	gen_lints "$d" "$tmp/arms.ndjson"
	gen_requests "$n" "$d" "$tmp/req.ndjson"
	run_case "bandit-lin_ts-d$d" "lin_ts d=$d, 10 arms" lin_ts "$n" "$tmp/arms.ndjson" "$tmp/req.ndjson" "$d"
done
rm -f "$tmp/arms.ndjson" "$tmp/req.ndjson"
