#!/usr/bin/env bash
# bench uplift: uplift-score's T-learner against scikit-uplift's (TwoModels,
# method "vanilla", on scikit-learn's LogisticRegression) on the Hillstrom
# e-mail experiment (run by tests/bench/run.sh).  The issue's bar: the same
# estimates, and the speed ratio reported (no target).
#
#   BENCH_RUNS                timed runs of each contender (median kept; default 3)
#   BENCH_UPLIFT_PEER_RUNS    timed scikit-uplift runs (default BENCH_RUNS)
#   BENCH_UPLIFT_ARMS         arms against "No E-Mail" (default "Mens E-Mail,Womens E-Mail")
#   BENCH_UPLIFT_OUTCOMES     binary outcomes (default "visit,conversion"; scikit-uplift's
#                             Qini and AUUC take binary outcomes only)
#   BENCH_UPLIFT_COVARIATES   covariates (default recency,history,mens,womens,newbie,
#                             zip_code,channel,history_segment: every Hillstrom column but
#                             the arm and the outcomes)
#   BENCH_UPLIFT_CSV          the data (default ../shared/data/uplift/hillstrom.csv;
#                             $AELP_SHARED/... if set)
#   BENCH_UPLIFT_PEER         0: skip scikit-uplift, report uplift-score alone (default 1)
#   SKLIFT_PY                 a python that imports sklift (default: the benchmark's own
#                             virtual environment, build/bench/venv-sklift, made once with
#                             python3 -m venv and pip install of the pinned versions below)
# Quick: BENCH_ONLY=uplift BENCH_RUNS=1 make bench
#
# scikit-uplift's environment: pip install scikit-uplift==0.5.1 scikit-learn==1.9.1
# numpy==2.4.6 pandas==3.1.1 scipy==1.17.1 (scikit-learn pinned: scikit-uplift
# 0.5.1's metrics call sklearn.utils.extmath.stable_cumsum, deprecated in 1.8 and
# removed in 1.10).  A venv holding other versions is brought to these by pip.
# Without python3 -m venv, pip or the network the scikit-uplift figures are
# skipped, said so (build/bench/venv-sklift.log keeps pip's output), and
# uplift-score's figures are reported alone (exit 0).  Both sides single-threaded
# (OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1 for the peer).
#
# Data: hillstrom.csv (64,000 customers) converted to NDJSON by awk for
# uplift-score (id "h" and the row number; the quoted history_segment levels
# kept whole), the rows of the control arm and of the benchmarked arms only.
#
# ours:  bin/uplift-score -q --id id --treatment segment --control "No E-Mail"
#        --arms ARMS --outcome OUTCOMES -m t_learner --folds 1 --covariates COVS FILE,
#        stdout to /dev/null: the whole process (reading and checking the rows, the
#        one-hot design, per arm and outcome two logistic regressions by IRLS with
#        their covariances, the in-sample predictions, the delta-method interval,
#        Qini and AUUC, writing the rows); BENCH_RUNS runs, the median kept.
# peer:  tests/bench/sklift_peer.py (see its header): pandas.read_csv, the same
#        design with pandas.get_dummies, then per arm and outcome
#        TwoModels(LogisticRegression(C=inf, solver="newton-cholesky", tol=1e-10)
#        x 2, method="vanilla").fit(X, y, treatment).predict(X), and
#        qini_auc_score / uplift_auc_score.  Two figures: the wall clock of the
#        process (Python start-up and imports included, as ours includes reading
#        its file) and the fit and predict calls alone (time.perf_counter; the
#        metric calls apart).
# ratio = peer / ours: process against process, and "call only" (the peer's
#        fit + predict calls against our whole process), the conservative one.
#
# Same estimates, before the figures count (else the bench fails), per arm and
# outcome, from an untimed uplift-score run with --predictions:
#   features       the same names in the same order ("(intercept)", COLUMN=VALUE)
#   coefficients   of both base models within 1e-6 (1 + |peer|)
#   predictions    every unit's tau(x) within 1e-6 of scikit-uplift's
#   mean uplift    uplift-score's t_learner "all" row within 1e-6 of the mean of
#                  scikit-uplift's predictions; n_treated, n_control equal
#   Qini, AUUC     uplift-score's uplift_models qini and auuc within 1e-4 of
#                  scikit-uplift's qini_auc_score and uplift_auc_score of its own
#                  predictions, and within 1e-9 of the same functions applied to
#                  uplift-score's predictions (the metric itself)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
peer_runs=${BENCH_UPLIFT_PEER_RUNS:-$runs}
arms=${BENCH_UPLIFT_ARMS:-Mens E-Mail,Womens E-Mail}
outcomes=${BENCH_UPLIFT_OUTCOMES:-visit,conversion}
covs=${BENCH_UPLIFT_COVARIATES:-recency,history,mens,womens,newbie,zip_code,channel,history_segment}
csv=${BENCH_UPLIFT_CSV:-${AELP_SHARED:-$root/../shared}/data/uplift/hillstrom.csv}
control="No E-Mail"
pins="scikit-uplift==0.5.1 scikit-learn==1.9.1 numpy==2.4.6 pandas==3.1.1 scipy==1.17.1"
positive_int BENCH_UPLIFT_PEER_RUNS "$peer_runs"
[[ -r $csv ]] || { say "no $csv (BENCH_UPLIFT_CSV)"; exit 2; }
needs jq awk
programs uplift-score
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
peer_py=$root/tests/bench/sklift_peer.py

# ---- the peer's python -----------------------------------------------------------
# shellcheck disable=SC2086
peer_python sklift scikit-uplift SKLIFT_PY BENCH_UPLIFT_PEER \
	'^scikit-uplift 0\.5\.1, scikit-learn 1\.9\.1, numpy 2\.4\.6, pandas 3\.1\.1,' $pins
((peer)) || say "scikit-uplift skipped: $why; uplift-score's figures are reported alone"
ratio() { awk -v o="$1" -v p="$2" 'BEGIN { printf "%.2f", (o > 0 ? p / o : 0) }'; }
jarr() { local IFS=,; echo "[$*]"; }

# ---- the data: hillstrom.csv as NDJSON, the control and the benchmarked arms -------------
awk -F, -v arms="$control,$arms" '
	BEGIN { n = split(arms, a, ","); for (i = 1; i <= n; i++) keep[a[i]] = 1 }
	{ sub(/\r$/, "") }
	NR == 1 {
		if ($0 != "recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,conversion,spend") {
			print "unexpected header: " $0 > "/dev/stderr"; exit 1
		}
		next
	}
	{
		if (index($0, "\"")) {          # one quoted field: history_segment "6) $750 - $1,000"
			split($0, q, "\""); n1 = split(q[1], l, ","); n3 = split(q[3], r, ",")
			m = 0; for (i = 1; i < n1; i++) f[++m] = l[i]; f[++m] = q[2]; for (i = 2; i <= n3; i++) f[++m] = r[i]
		} else { m = NF; for (i = 1; i <= NF; i++) f[i] = $i }
		if (m != 12) { print "line " NR ": " m " fields" > "/dev/stderr"; exit 1 }
		if (!(f[9] in keep)) next
		printf "{\"id\":\"h%d\",\"recency\":%s,\"history_segment\":\"%s\",\"history\":%s,\"mens\":%s,\"womens\":%s,\"zip_code\":\"%s\",\"newbie\":%s,\"channel\":\"%s\",\"segment\":\"%s\",\"visit\":%s,\"conversion\":%s,\"spend\":%s}\n",
			NR - 1, f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12]
	}' "$csv" >"$tmp/hillstrom.ndjson" || fail "awk: converting $csv"
units=$(wc -l <"$tmp/hillstrom.ndjson" | tr -d ' ')
oargs=(-q --id id --treatment segment --control "$control" --arms "$arms" --outcome "$outcomes"
	-m t_learner --folds 1 --covariates "$covs" --run-id bench-uplift --date 2025-01-01 "$tmp/hillstrom.ndjson")
echo "bench: uplift-score vs scikit-uplift, T-learner on Hillstrom ($units units: $control, $arms; outcomes $outcomes)," \
	"ours median of $runs runs, peer of $peer_runs; ${versions:-scikit-uplift skipped ($why)}"

"$bin/uplift-score" "${oargs[@]}" --predictions "$tmp/pred.ndjson" >"$tmp/ours.ndjson" 2>"$tmp/ours.log" ||
	{ cat "$tmp/ours.log" >&2; fail "uplift-score ${oargs[*]}"; }
o_json=$(jq -cs '
	(map(select(._table == "segment_scores_daily" and .model == "t_learner" and .segment == "all")
	     | {key: "\(.arm)\t\(.outcome)", value: {uplift, uplift_low, uplift_high, n_treated, n_control}}) | from_entries) as $s
	| map(select(._table == "uplift_models" and .estimator == "t_learner")
	      | {key: "\(.arm)\t\(.outcome)", value: ({features, coefficients, qini, auuc, training_rows} + $s["\(.arm)\t\(.outcome)"])})
	| from_entries' "$tmp/ours.ndjson")
want=$(awk -v a="$arms" -v o="$outcomes" 'BEGIN { print split(a, x, ",") * split(o, y, ",") }')
[[ $(jq length <<<"$o_json") == "$want" ]] || fail "uplift-score wrote $(jq length <<<"$o_json") t_learner models, not $want"

o_t=()
for ((r = 1; r <= runs; r++)); do
	say "uplift-score run $r/$runs"
	utimed "$tmp/ours.log" "$bin/uplift-score" "${oargs[@]}"
	o_t+=("$elapsed")
done
o_s=$(median "${o_t[@]}")

if ! ((peer)); then
	printf 'uplift    t_learner    uplift-score %.3f s  (no scikit-uplift figure: %s)\n' "$o_s" "$why"
	printf '          runs (s): %s\n' "${o_t[*]}"
	record uplift "$(jq -cn --argjson n "$units" --argjson o "$o_s" --argjson ot "$(jarr "${o_t[@]}")" \
		--arg why "$why" --argjson est "$o_json" \
		'{ours: "uplift-score -m t_learner", units: $n, ours_s: $o, ours_runs_s: $ot, peer_skipped: $why, estimates: $est}')"
	exit 0
fi

p_t=() p_call=() p_met=()
pargs=("$csv" --treatment segment --control "$control" --arms "$arms" --outcomes "$outcomes" --covariates "$covs")
say "scikit-uplift, untimed, with uplift-score's predictions"
"$py" "$peer_py" "${pargs[@]}" --ours "$tmp/pred.ndjson" --out "$tmp/peer-check.json" 2>"$tmp/peer.log" ||
	{ cat "$tmp/peer.log" >&2; fail "sklift_peer.py --ours"; }
for ((r = 1; r <= peer_runs; r++)); do
	say "scikit-uplift run $r/$peer_runs"
	utimed "$tmp/peer.log" "$py" "$peer_py" "${pargs[@]}" --out "$tmp/peer-$r.json"
	p_t+=("$elapsed") p_call+=("$(jq .call_s "$tmp/peer-$r.json")") p_met+=("$(jq .metrics_s "$tmp/peer-$r.json")")
done
cmp=$(jq -cn --argjson o "$o_json" --slurpfile p "$tmp/peer-check.json" '
	[$p[0].models[] as $m | $o["\($m.arm)\t\($m.outcome)"] as $u
	 | {arm: $m.arm, outcome: $m.outcome, found: ($u != null)}
	 | if .found | not then .ok = false else
	   . + {features_equal: ($u.features == $m.features),
	        coef_max: ([("control", "treated") as $k | range(0; $m.coefficients[$k] | length) as $i
	                    | ($u.coefficients[$k][$i] - $m.coefficients[$k][$i] | fabs) / (1 + ($m.coefficients[$k][$i] | fabs))] | max),
	        pred_max: $m.max_abs_diff,
	        mean_ours: $u.uplift, mean_peer: $m.mean_uplift, mean_diff: ($u.uplift - $m.mean_uplift | fabs),
	        counts_equal: ($u.n_treated == $m.n_treated and $u.n_control == $m.n_control),
	        qini_ours: $u.qini, qini_peer: $m.qini, qini_diff: ($u.qini - $m.qini | fabs),
	        auuc_ours: $u.auuc, auuc_peer: $m.auuc, auuc_diff: ($u.auuc - $m.auuc | fabs),
	        metric_diff: ([($u.qini - $m.ours_qini), ($u.auuc - $m.ours_auuc)] | map(fabs) | max)}
	   | .ok = (.features_equal and .coef_max <= 1e-6 and .pred_max <= 1e-6 and .mean_diff <= 1e-6 and .counts_equal
	            and .qini_diff <= 1e-4 and .auuc_diff <= 1e-4 and .metric_diff <= 1e-9)
	   end]') || fail "comparing uplift-score's estimates with scikit-uplift's"
if [[ $(jq 'all(.ok)' <<<"$cmp") != true ]]; then
	jq . <<<"$cmp" >&2
	fail "uplift-score's and scikit-uplift's T-learners differ beyond the tolerances (see above)"
fi
p_s=$(median "${p_t[@]}") p_cs=$(median "${p_call[@]}") p_ms=$(median "${p_met[@]}")
rw=$(ratio "$o_s" "$p_s") rc=$(ratio "$o_s" "$p_cs")
rcm=$(ratio "$o_s" "$(awk -v a="$p_cs" -v b="$p_ms" 'BEGIN { printf "%.6f", a + b }')")
printf 'uplift    t_learner    uplift-score %.3f s   scikit-uplift process %.3f s, fit+predict calls %.3f s (metrics %.3f s apart)\n' \
	"$o_s" "$p_s" "$p_cs" "$p_ms"
printf '          ratio: process %sx, call only %sx, calls + metrics %sx  (%s %s)\n' "$rw" "$rc" "$rcm" "$want" \
	"$( ((want == 1)) && echo model || echo "models: 2 logistic fits each")"
printf '          runs (s): uplift-score: %s   scikit-uplift: %s   calls: %s\n' "${o_t[*]}" "${p_t[*]}" "${p_call[*]}"
jq -r '.[] | [.arm, .outcome, .mean_ours, .mean_peer, .qini_ours, .qini_peer, .auuc_ours, .auuc_peer, .coef_max, .pred_max, .metric_diff] | @tsv' <<<"$cmp" |
	awk -F'\t' '{ printf "          same estimates: %s / %s: mean uplift %.6f / %.6f, Qini %.6f / %.6f, AUUC %.6f / %.6f; coefficients within %.1e, predictions within %.1e, metric on our predictions within %.1e\n",
		$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }'
record uplift "$(jq -cn --argjson n "$units" --argjson o "$o_s" --argjson p "$p_s" --argjson pc "$p_cs" --argjson pm "$p_ms" \
	--argjson rw "$rw" --argjson rc "$rc" --argjson rcm "$rcm" --argjson cmp "$cmp" --argjson models "$want" \
	--argjson ot "$(jarr "${o_t[@]}")" --argjson pt "$(jarr "${p_t[@]}")" --argjson pct "$(jarr "${p_call[@]}")" \
	'{ours: "uplift-score -m t_learner --folds 1", peer: "scikit-uplift TwoModels", units: $n, models: $models,
	  ours_s: $o, peer_s: $p, peer_call_s: $pc, peer_metrics_s: $pm, ratio: $rw, ratio_call_only: $rc,
	  ratio_calls_metrics: $rcm, ours_runs_s: $ot, peer_runs_s: $pt, peer_call_runs_s: $pct, agreement: $cmp}')"
