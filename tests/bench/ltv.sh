#!/usr/bin/env bash
# bench ltv: ltv-fit against lifetimes (the Python package) on the CDNOW sample,
# and ltv-fit's scoring rate (run by tests/bench/run.sh).  The issue's bar:
# on CDNOW at least 20x faster than lifetimes with the same estimates, and
# scoring 1,000,000 customers per second or better.
#
#   BENCH_ROWS              customers scored (default 1000000)
#   BENCH_RUNS              timed runs of each contender (median kept; default 3)
#   BENCH_LTV_FIT_RUNS      timed ltv-fit runs on CDNOW (default 11: a run takes milliseconds)
#   BENCH_LTV_PEER_RUNS     timed lifetimes runs of each kind (default BENCH_RUNS)
#   BENCH_LTV_TARGET        the fit ratio flagged when below it (default 20; a ratio never fails)
#   BENCH_LTV_RATE_TARGET   the scoring rate, customers/s, flagged when below it (default 1000000)
#   BENCH_LTV_CSV           the CDNOW summary (default ../shared/data/clv/
#                           cdnow_customers_summary_with_transactions.csv; $AELP_SHARED/... if set)
#   BENCH_LTV_PEER          0: skip lifetimes, report ltv-fit alone (default 1)
#   LIFETIMES_PY            a python that imports lifetimes (default: the benchmark's own
#                           virtual environment, build/bench/venv-lifetimes, made once with
#                           python3 -m venv and pip install of the pinned versions below)
# Quick: BENCH_ONLY=ltv BENCH_ROWS=20000 BENCH_RUNS=1 make bench
#
# lifetimes' environment: pip install lifetimes==0.11.3 numpy==2.4.6 pandas==3.1.1
# scipy==1.17.1 autograd==1.9.1 (lifetimes 0.11.3, the last release, 2020, runs
# unchanged on these; Python 3.11).  A venv holding other versions is brought to
# these by pip.  Without python3 -m venv, pip or the network the lifetimes figures
# are skipped, said so (build/bench/venv-lifetimes.log keeps pip's output), and
# ltv-fit's figures are reported alone (exit 0).  Both sides single-threaded
# (OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1 for the peer).
#
# 1. fit, CDNOW (2,357 customers, the summary file's x, t_x, T, zbar):
#   ours:  bin/ltv-fit --summary --no-customers --quiet --run-id bench-ltv FILE.ndjson
#          (the CSV converted to NDJSON by awk; zbar null when x = 0), stdout to
#          /dev/null: the whole process (reading, the BG/NBD and Gamma-Gamma fits,
#          their Hessians, the ltv_priors rows with their 1000 parameter draws,
#          writing), BENCH_LTV_FIT_RUNS runs, the median kept.
#   peer:  tests/bench/lifetimes_peer.py fit FILE.csv: pandas.read_csv, then
#          BetaGeoFitter(penalizer_coef=0).fit(x, t_x, T) and
#          GammaGammaFitter(penalizer_coef=0).fit(x, zbar) on the x > 0 rows (their
#          Hessians included: lifetimes computes them in fit).  Two figures: the
#          wall clock of the process (Python start-up and imports included) and the
#          two fit calls alone (time.perf_counter).
#   ratio = peer / ours; "call only" (the peer's fit calls against our whole
#          process) is the conservative one, and the one the 20x flag is for.
#   Same estimates, before the figures count (else the bench fails): r, alpha,
#          a, b and p, q, gamma equal to 1e-3 relative, and each model's sum
#          log-likelihood (lifetimes' own likelihood function at its estimates,
#          unscaled data) equal to 1e-3 absolute.  The largest differences,
#          and those of the standard errors (reported, not gated), are printed.
#
# 2. scoring: BENCH_ROWS synthetic customers (awk, a MINSTD generator with a fixed
#    seed: first purchase on one of 84 days like CDNOW's cohort, calibration end
#    day 272, weekly t_x and T to 2 decimals, 60% without a repeat, x geometric,
#    zbar lognormal; about 97,000 distinct (x, t_x, T) of 1,000,000), scored with
#    the ltv_models rows of the CDNOW fit above:
#   ours:  bin/ltv-fit --model MODELS --summary --quiet --run-id bench-ltv
#          --horizon 52 --discount-rate 0.10 FILE.ndjson, stdout (1,000,000
#          ltv_customers rows) to /dev/null; customers/s = rows / the median wall
#          clock of the whole process (read, score, write).
#   peer:  tests/bench/lifetimes_peer.py score FILE.csv --model MODELS: the same
#          rows as CSV; lifetimes' conditional_probability_alive,
#          conditional_expected_number_of_purchases_up_to_time at k = 1..52 (the
#          CLV loop), GammaGammaFitter.conditional_expected_average_profit,
#          vectorised over all rows (see its header); customers/s = rows / the
#          time of those calls (read_csv and to_csv apart; the whole process is
#          shown too).
#   ratio = ours customers/s / the peer's (its calls alone).
#   Same answers, before the figures count: every customer scored with finite
#          p_alive, expected_purchases, expected_spend and clv on both sides; on
#          the first 10,000 customers each of the four equal to lifetimes' to
#          1e-6 relative (|ours - peer| <= 1e-6 max(1, |peer|)), and the four
#          sums over all customers to 1e-6 relative.  The per-period discount
#          rate given to the peer is ltv-fit's conversion of the annual 0.10:
#          d = (1.10)^(7/365.25) - 1 per week.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rows=${BENCH_ROWS:-1000000}
fit_runs=${BENCH_LTV_FIT_RUNS:-11}
peer_runs=${BENCH_LTV_PEER_RUNS:-$runs}
target=${BENCH_LTV_TARGET:-20}
rate_target=${BENCH_LTV_RATE_TARGET:-1000000}
csv=${BENCH_LTV_CSV:-${AELP_SHARED:-$root/../shared}/data/clv/cdnow_customers_summary_with_transactions.csv}
horizon=52 annual=0.10 sample=10000
pins="lifetimes==0.11.3 numpy==2.4.6 pandas==3.1.1 scipy==1.17.1 autograd==1.9.1"
positive_int BENCH_ROWS "$rows"
positive_int BENCH_LTV_FIT_RUNS "$fit_runs"
positive_int BENCH_LTV_PEER_RUNS "$peer_runs"
positive_int BENCH_LTV_RATE_TARGET "$rate_target"
[[ $target =~ ^[0-9]+([.][0-9]+)?$ ]] || { say "BENCH_LTV_TARGET must be a number, not '$target'"; exit 2; }
[[ -r $csv ]] || { say "no $csv (BENCH_LTV_CSV)"; exit 2; }
needs jq awk
programs ltv-fit
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
peer_py=$root/tests/bench/lifetimes_peer.py

# ---- the peer's python -----------------------------------------------------------
# shellcheck disable=SC2086
peer_python lifetimes lifetimes LIFETIMES_PY BENCH_LTV_PEER \
	'^lifetimes 0\.11\.3, numpy 2\.4\.6, pandas 3\.1\.1, scipy 1\.17\.1, autograd 1\.9\.1,' $pins
((peer)) || say "lifetimes skipped: $why; ltv-fit's figures are reported alone"

ratio() { awk -v o="$1" -v p="$2" 'BEGIN { printf "%.2f", (o > 0 ? p / o : 0) }'; }
flag() { awk -v r="$1" -v t="$2" 'BEGIN { printf "  (target >= %gx)%s", t, (r < t ? "  BELOW TARGET" : "") }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
jarr() { local IFS=,; echo "[$*]"; }


# ---- 1. fit on CDNOW -----------------------------------------------------------------
awk -F, '{ sub(/\r$/, "") } NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ id = ("ID" in c) ? $c["ID"] : $c["customer_id"]
	  printf "{\"customer_id\":\"%s\",\"x\":%s,\"t_x\":%s,\"T\":%s,\"zbar\":%s}\n", id, $c["x"], $c["t_x"], $c["T"],
		($c["x"] + 0 == 0 ? "null" : $c["zbar"]) }' "$csv" >"$tmp/cdnow.ndjson" || fail "awk $csv"
customers=$(wc -l <"$tmp/cdnow.ndjson" | tr -d ' ')
fargs=(--summary --no-customers --quiet --run-id bench-ltv "$tmp/cdnow.ndjson")
echo "bench: ltv-fit vs lifetimes on CDNOW ($customers customers, $(basename "$csv")); ours median of $fit_runs runs," \
	"peer of $peer_runs; ${versions:-lifetimes skipped ($why)}"
"$bin/ltv-fit" "${fargs[@]}" >"$tmp/fit.ndjson" 2>"$tmp/ours.log" || { cat "$tmp/ours.log" >&2; fail "ltv-fit ${fargs[*]}"; }
jq -c 'select(._table == "ltv_models" and .segment == "all")' "$tmp/fit.ndjson" >"$tmp/models.ndjson"
o_fit=$(jq -cs 'map({key: .model, value: {params, std_errors, log_likelihood, n_customers}}) | from_entries' "$tmp/models.ndjson")
[[ $(jq -r '[.bgnbd.n_customers, .gamma_gamma.n_customers] | @tsv' <<<"$o_fit") == "$customers"$'\t'* ]] ||
	fail "ltv-fit's ltv_models rows do not say $customers customers: $o_fit"
o_t=()
for ((r = 1; r <= fit_runs; r++)); do
	utimed "$tmp/ours.log" "$bin/ltv-fit" "${fargs[@]}"
	o_t+=("$elapsed")
done
o_s=$(median "${o_t[@]}")

if ((peer)); then
	p_t=() p_call=()
	for ((r = 1; r <= peer_runs; r++)); do
		say "fit: lifetimes run $r/$peer_runs"
		utimed "$tmp/peer.log" "$py" "$peer_py" fit "$csv" --out "$tmp/peer-fit-$r.json"
		p_t+=("$elapsed") p_call+=("$(jq .call_s "$tmp/peer-fit-$r.json")")
	done
	p_fit=$(jq -c .fit "$tmp/peer-fit-1.json")
	cmp=$(jq -cn --argjson o "$o_fit" --argjson p "$p_fit" '
		def rel(a; b): (a - b | fabs) / (b | fabs);
		[("bgnbd", "gamma_gamma") as $m
		 | {model: $m,
		    params: [$p[$m].params | keys_unsorted[] as $k | {param: $k, ours: $o[$m].params[$k], peer: $p[$m].params[$k],
		              rel: rel($o[$m].params[$k]; $p[$m].params[$k])}],
		    se: [$p[$m].std_errors | keys_unsorted[] as $k | {param: $k, ours: $o[$m].std_errors[$k], peer: $p[$m].std_errors[$k],
		              rel: (if $o[$m].std_errors[$k] == null then null else rel($o[$m].std_errors[$k]; $p[$m].std_errors[$k]) end)}],
		    ll_ours: $o[$m].log_likelihood, ll_peer: $p[$m].log_likelihood,
		    ll_diff: ($o[$m].log_likelihood - $p[$m].log_likelihood)}
		 | .max_param = (.params | max_by(.rel)) | .max_se = (.se | map(select(.rel != null)) | max_by(.rel))
		 | .ok = (.max_param.rel <= 1e-3 and (.ll_diff | fabs) <= 1e-3)]') ||
		fail "comparing ltv-fit's estimates with lifetimes': ours $o_fit"
	if [[ $(jq 'all(.ok)' <<<"$cmp") != true ]]; then
		jq . <<<"$cmp" >&2
		fail "fit: ltv-fit's and lifetimes' estimates differ beyond 1e-3 (see above)"
	fi
	p_s=$(median "${p_t[@]}") p_cs=$(median "${p_call[@]}")
	rw=$(ratio "$o_s" "$p_s") rc=$(ratio "$o_s" "$p_cs")
	printf 'ltv       fit (CDNOW)  ltv-fit %s   lifetimes process %s, fit calls %s\n' "$(ms "$o_s")" "$(ms "$p_s")" "$(ms "$p_cs")"
	printf '          ratio: process %sx, call only %sx%s\n' "$rw" "$rc" "$(flag "$rc" "$target")"
	printf '          runs (s): ltv-fit: %s   lifetimes: %s   fit calls: %s\n' "${o_t[*]}" "${p_t[*]}" "${p_call[*]}"
	jq -r '.[] | [.model, (.params | map("\(.param) \(.ours) \(.peer)") | join(" ")), .max_param.rel, .max_param.param,
		.ll_ours, .ll_peer, .ll_diff, .max_se.rel, .max_se.param] | @tsv' <<<"$cmp" |
		awk -F'\t' '{ n = split($2, p, " "); s = ""
			for (i = 1; i <= n; i += 3) s = s sprintf("%s%s %.6g / %.6g", (i > 1 ? ", " : ""), p[i], p[i + 1], p[i + 2])
			printf "          same estimates: %s %s; largest difference %.2g relative (%s); LL %.4f / %.4f (difference %.2g); standard errors within %.2g relative (%s)\n",
				$1, s, $3, $4, $5, $6, $7, $8, $9 }'
	record ltv-fit "$(jq -cn --argjson n "$customers" --argjson o "$o_s" --argjson p "$p_s" --argjson pc "$p_cs" \
		--argjson rw "$rw" --argjson rc "$rc" --argjson tgt "$target" --argjson cmp "$cmp" \
		--argjson ot "$(jarr "${o_t[@]}")" --argjson pt "$(jarr "${p_t[@]}")" --argjson pct "$(jarr "${p_call[@]}")" \
		'{ours: "ltv-fit --summary", peer: "lifetimes", customers: $n, ours_s: $o, peer_s: $p, peer_call_s: $pc,
		  ratio: $rw, ratio_call_only: $rc, target: $tgt, ours_runs_s: $ot, peer_runs_s: $pt, peer_call_runs_s: $pct,
		  agreement: $cmp}')"
else
	printf 'ltv       fit (CDNOW)  ltv-fit %s  (no lifetimes figure: %s)\n' "$(ms "$o_s")" "$why"
	printf '          runs (s): %s\n' "${o_t[*]}"
	record ltv-fit "$(jq -cn --argjson n "$customers" --argjson o "$o_s" --argjson ot "$(jarr "${o_t[@]}")" \
		--arg why "$why" --argjson fit "$o_fit" \
		'{ours: "ltv-fit --summary", customers: $n, ours_s: $o, ours_runs_s: $ot, peer_skipped: $why, estimates: $fit}')"
fi

# ---- 2. scoring ------------------------------------------------------------------------
say "scoring: making $rows synthetic customers"
awk -v n="$rows" -v out="$tmp/score.ndjson" -v csv="$tmp/score.csv" '
	function u() { s = (s * 48271) % 2147483647; return s / 2147483647 }
	BEGIN {
		s = 20260901; end = 272
		print "customer_id,x,t_x,T,zbar" >csv
		for (i = 1; i <= n; i++) {
			f = int(u() * 84); T = (end - f) / 7
			if (u() < 0.6) { x = 0; tx = 0; z = 0 }
			else {
				x = 1 + int(-log(1 - u()) * 1.6); if (x > end - f) x = end - f
				L = f + x + int(u() * (end - f - x + 1)); tx = (L - f) / 7
				z = exp(3.3 + 0.8 * sqrt(-2 * log(1 - u())) * cos(6.283185307179586 * u()))
			}
			id = sprintf("c%07d", i)
			if (x == 0) printf "{\"customer_id\":\"%s\",\"x\":0,\"t_x\":0,\"T\":%.2f,\"zbar\":null}\n", id, T >out
			else printf "{\"customer_id\":\"%s\",\"x\":%d,\"t_x\":%.2f,\"T\":%.2f,\"zbar\":%.2f}\n", id, x, tx, T, z >out
			printf "%s,%d,%.2f,%.2f,%.2f\n", id, x, tx, T, (x == 0 ? 0 : z) >csv
		}
	}' || fail "awk: the synthetic customers"
[[ $(wc -l <"$tmp/score.ndjson" | tr -d ' ') == "$rows" ]] || fail "the synthetic file has the wrong number of rows"
distinct=$(cut -d, -f2-4 "$tmp/score.csv" | sort -u | wc -l | tr -d ' ')
distinct=$((distinct - 1))
sargs=(--model "$tmp/models.ndjson" --summary --quiet --run-id bench-ltv --horizon "$horizon"
	--discount-rate "$annual" "$tmp/score.ndjson")
echo "bench: ltv-fit scoring $rows customers ($distinct distinct (x, t_x, T)), H = $horizon weeks, annual discount $annual;" \
	"ours median of $runs runs, peer of $peer_runs"
"$bin/ltv-fit" "${sargs[@]}" >"$tmp/scores.ndjson" 2>"$tmp/ours.log" || { cat "$tmp/ours.log" >&2; fail "ltv-fit ${sargs[*]}"; }
# ours: count, non-finite (null) fields, sums, and the first $sample customers as JSON
awk -v k="$sample" -v sums="$tmp/ours-sums.json" '
	function get(name,   v) {
		if (!match($0, "\"" name "\":[^,}]*")) return "null"
		v = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3); gsub(/ /, "", v); return v
	}
	BEGIN { split("p_alive expected_purchases expected_spend clv", col, " "); print "{" }
	/"_table": *"ltv_customers"/ {
		n++; line = ""
		for (j = 1; j <= 4; j++) { v = get(col[j]); if (v == "null") bad[j]++; else sum[j] += v; line = line (j > 1 ? "," : "") v }
		if (n <= k) { id = get("customer_id"); printf "%s%s:[%s]\n", (n > 1 ? "," : ""), id, line }
	}
	END {
		print "}"
		printf "{\"rows\":%d,\"sums\":{", n >sums
		for (j = 1; j <= 4; j++) printf "%s\"%s\":%.17g", (j > 1 ? "," : ""), col[j], sum[j] >sums
		printf "},\"nonfinite\":{" >sums
		for (j = 1; j <= 4; j++) printf "%s\"%s\":%d", (j > 1 ? "," : ""), col[j], bad[j] + 0 >sums
		print "}}" >sums
	}' "$tmp/scores.ndjson" >"$tmp/ours-sample.json" || fail "awk: ltv-fit's ltv_customers rows"
rm -f "$tmp/scores.ndjson"
[[ $(jq .rows "$tmp/ours-sums.json") == "$rows" ]] || fail "ltv-fit wrote $(jq .rows "$tmp/ours-sums.json") ltv_customers rows, not $rows"
[[ $(jq '[.nonfinite[]] | add' "$tmp/ours-sums.json") == 0 ]] ||
	fail "ltv-fit wrote null scores: $(jq -c .nonfinite "$tmp/ours-sums.json")"
s_t=()
for ((r = 1; r <= runs; r++)); do
	say "scoring: ltv-fit run $r/$runs"
	utimed "$tmp/ours.log" "$bin/ltv-fit" "${sargs[@]}"
	s_t+=("$elapsed")
done
s_s=$(median "${s_t[@]}")
s_rate=$(awk -v n="$rows" -v s="$s_s" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
rate_flag=$(awk -v r="$s_rate" -v t="$rate_target" 'BEGIN { printf "  (target >= %d/s)%s", t, (r < t ? "  BELOW TARGET" : "") }')

if ((peer)); then
	d=$(awk -v a="$annual" 'BEGIN { printf "%.17g", exp(log(1 + a) * 7 / 365.25) - 1 }')
	q_t=() q_call=()
	for ((r = 1; r <= peer_runs; r++)); do
		say "scoring: lifetimes run $r/$peer_runs"
		utimed "$tmp/peer.log" "$py" "$peer_py" score "$tmp/score.csv" --model "$tmp/models.ndjson" \
			--horizon "$horizon" --discount "$d" --sample "$sample" --out "$tmp/peer-score-$r.json"
		q_t+=("$elapsed") q_call+=("$(jq .score_s "$tmp/peer-score-$r.json")")
		[[ $(jq .rows "$tmp/peer-score-$r.json") == "$rows" ]] || fail "lifetimes scored $(jq .rows "$tmp/peer-score-$r.json") rows, not $rows"
	done
	scmp=$(jq -cn --slurpfile o "$tmp/ours-sample.json" --slurpfile os "$tmp/ours-sums.json" \
		--slurpfile p "$tmp/peer-score-1.json" '
		["p_alive", "expected_purchases", "expected_spend", "clv"] as $cols
		| $o[0] as $om | $os[0] as $osum | $p[0] as $pr
		| def rel(a; b): (a - b | fabs) / ([1, (b | fabs)] | max);
		  [range(0; $cols | length) as $j | $cols[$j] as $c
		   | {column: $c,
		      missing: ([range(0; $pr.sample.customer_id | length) | select($om[$pr.sample.customer_id[.]] == null)] | length),
		      max_rel: ([range(0; $pr.sample.customer_id | length) as $i
		                 | $om[$pr.sample.customer_id[$i]] as $v | select($v != null)
		                 | rel($v[$j]; $pr.sample[$c][$i])] | max),
		      sum_ours: $osum.sums[$c], sum_peer: $pr.sums[$c],
		      sum_rel: (($osum.sums[$c] - $pr.sums[$c] | fabs) / ($pr.sums[$c] | fabs)),
		      peer_nonfinite: $pr.nonfinite[$c]}
		   | .ok = (.missing == 0 and .max_rel <= 1e-6 and .sum_rel <= 1e-6 and .peer_nonfinite == 0)]') ||
		fail "comparing ltv-fit's scores with lifetimes'"
	if [[ $(jq 'all(.ok)' <<<"$scmp") != true ]]; then
		jq . <<<"$scmp" >&2
		fail "scoring: ltv-fit's and lifetimes' scores differ beyond 1e-6 (see above)"
	fi
	q_s=$(median "${q_t[@]}") q_cs=$(median "${q_call[@]}")
	q_rate=$(awk -v n="$rows" -v s="$q_cs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	qr=$(ratio "$s_s" "$q_cs") qw=$(ratio "$s_s" "$q_s")
	printf 'ltv       scoring      ltv-fit %.3f s = %s customers/s%s\n' "$s_s" "$s_rate" "$rate_flag"
	printf '          lifetimes    calls %.3f s = %s customers/s (process %.3f s: read_csv %.2f s, to_csv %.2f s)\n' \
		"$q_cs" "$q_rate" "$q_s" "$(jq .read_s "$tmp/peer-score-1.json")" "$(jq .write_s "$tmp/peer-score-1.json")"
	printf '          ratio: call only %sx, process %sx\n' "$qr" "$qw"
	printf '          runs (s): ltv-fit: %s   lifetimes: %s   calls: %s\n' "${s_t[*]}" "${q_t[*]}" "${q_call[*]}"
	jq -r '[.[] | "\(.column)\t\(.max_rel)\t\(.sum_rel)"] | .[]' <<<"$scmp" |
		awk -F'\t' -v k="$sample" '{ s = s sprintf("%s%s %.2g", (NR > 1 ? ", " : ""), $1, $2); if ($3 > m) m = $3 }
			END { printf "          same scores: first %d customers within %s relative; sums over all within %.2g (tolerance 1e-6)\n", k, s, m }'
	record ltv-score "$(jq -cn --argjson n "$rows" --argjson dn "$distinct" --argjson o "$s_s" --argjson rate "$s_rate" \
		--argjson tgt "$rate_target" --argjson p "$q_s" --argjson pc "$q_cs" --argjson prate "$q_rate" \
		--argjson qr "$qr" --argjson qw "$qw" --argjson cmp "$scmp" --argjson h "$horizon" \
		--argjson ot "$(jarr "${s_t[@]}")" --argjson pt "$(jarr "${q_t[@]}")" --argjson pct "$(jarr "${q_call[@]}")" \
		'{ours: "ltv-fit --model --summary", peer: "lifetimes", customers: $n, distinct_histories: $dn, horizon: $h,
		  ours_s: $o, customers_per_second: $rate, target_per_second: $tgt, peer_s: $p, peer_call_s: $pc,
		  peer_customers_per_second: $prate, ratio_call_only: $qr, ratio: $qw,
		  ours_runs_s: $ot, peer_runs_s: $pt, peer_call_runs_s: $pct, agreement: $cmp}')"
else
	printf 'ltv       scoring      ltv-fit %.3f s = %s customers/s%s  (no lifetimes figure: %s)\n' \
		"$s_s" "$s_rate" "$rate_flag" "$why"
	printf '          runs (s): %s\n' "${s_t[*]}"
	record ltv-score "$(jq -cn --argjson n "$rows" --argjson dn "$distinct" --argjson o "$s_s" --argjson rate "$s_rate" \
		--argjson tgt "$rate_target" --argjson ot "$(jarr "${s_t[@]}")" --arg why "$why" --argjson h "$horizon" \
		'{ours: "ltv-fit --model --summary", customers: $n, distinct_histories: $dn, horizon: $h, ours_s: $o,
		  customers_per_second: $rate, target_per_second: $tgt, ours_runs_s: $ot, peer_skipped: $why}')"
fi
rm -f "$tmp/score.ndjson" "$tmp/score.csv"
