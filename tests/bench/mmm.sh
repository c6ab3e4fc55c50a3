#!/usr/bin/env bash
# bench mmm: mmm-fit's NUTS against rstan's NUTS on the same model and the same
# data (run by tests/bench/run.sh).  The figure is effective samples per second.
#
#   BENCH_MMM_WARMUP   warm-up iterations per chain (default 1000)
#   BENCH_MMM_DRAWS    kept draws per chain (default 1000)
#   BENCH_MMM_CHAINS   chains, run in parallel by both sides (default 2)
#   BENCH_MMM_CASES    "CxD ..." channels x days (default "5x730 10x1095")
#   BENCH_MMM_TARGET   ratio flagged when below it (default 10; a ratio never fails)
#   BENCH_MMM_STAN     0: skip the Stan side, report mmm-fit's figures alone (default 1)
#
# Needs r-cran-rstan and r-cran-jsonlite for the Stan side (Debian's rstan 2.21:
# apt-get install r-cran-rstan r-cran-jsonlite).  Without Rscript, rstan or
# jsonlite the Stan side is skipped, said so, and mmm-fit's figures are reported
# alone (exit 0).  The Stan model is compiled once and cached in
# build/bench/stan-cache (MMM_STAN_CACHE); compiling is reported, never timed.
#
# Data: tests/bench/gen_mmm.awk, daily spend for C channels over D days and a KPI
# drawn from the model family itself (geometric adstock, Hill, weekly and yearly
# seasons; its truth, ROI included, is kept beside the input in the temporary
# folder).  Case i uses generator seed i.
#
# ours:  bin/mmm-fit --seed 1 --chains N --warmup W --draws D --target-accept 0.8
#        --stan-data DATA.json (the same sampler settings as the peer: Stan's
#        adapt_delta 0.8; mmm-fit's own default is 0.9)
#        < input > fit.ndjson; its "mmm_runs" row gives sampling_seconds,
#        min_ess_bulk, max_rhat, divergences and posterior_summary.
#        DATA.json is the scaled data, priors and parameter names, written by
#        mmm-fit itself, so both sides fit exactly the same numbers.
# peer:  Rscript tests/bench/mmm_stan.R DATA.json stan.json 1 N W D: rstan
#        sampling() of tests/bench/mmm.stan (model.h in Stan, same priors, same
#        unconstrained coordinates), diag_e metric, adapt_delta 0.8, treedepth 10,
#        chains in parallel; seconds are the wall clock of sampling() (its
#        slowest chain's own time is shown too: the rest is rstan starting its
#        worker processes, some seconds).
# ESS/s = the smallest bulk ESS over the parameters (Vehtari et al. 2021, both
# sides) / sampling seconds (warm-up included); ratio = ours / Stan's.
#
# One run of each side per case (BENCH_RUNS is not used: a run takes minutes, and
# ESS/s is already an average over thousands of iterations).  Time at the
# defaults on 2 cores: Stan about 4 min on 5x730 and 13 min on 10x1095
# (compiling, once, about 1 min); mmm-fit about 1 min each.  For a smoke run:
# BENCH_MMM_WARMUP=200 BENCH_MMM_DRAWS=200 (about 10 min in all).
#
# Correctness: the posterior means must agree within Monte Carlo error: for each
# parameter z = |mean_ours - mean_stan| / sqrt(sd_ours^2/ess_ours + sd_stan^2/ess_stan),
# with the ESS of the mean on both sides (split chains, no rank normalisation:
# mmm-fit's posterior_summary ess_mean, rstan's monitor() n_eff).  The bulk ESS
# would understate the error of a mean whose draws have a heavy tail, as K's do;
# the bench fails when 1% of the parameters or more have z > 4 (fewer is reported).
# It also fails when mmm-fit fails, including its own exit 1 when its diagnostics
# fail (R-hat > 1.05 or more than 1% divergent transitions).  Stan's diagnostics
# are reported, never a failure of ours.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
warmup=${BENCH_MMM_WARMUP:-1000}
draws=${BENCH_MMM_DRAWS:-1000}
chains=${BENCH_MMM_CHAINS:-2}
cases=${BENCH_MMM_CASES:-5x730 10x1095}
target=${BENCH_MMM_TARGET:-10}
positive_int BENCH_MMM_WARMUP "$warmup"
positive_int BENCH_MMM_DRAWS "$draws"
positive_int BENCH_MMM_CHAINS "$chains"
for c in $cases; do
	[[ $c =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || { say "BENCH_MMM_CASES: '$c' is not CxD (channels x days)"; exit 2; }
done
[[ $target =~ ^[0-9]+([.][0-9]+)?$ ]] || { say "BENCH_MMM_TARGET must be a number, not '$target'"; exit 2; }
needs jq awk
programs mmm-fit

stan=1 why=
if [[ ${BENCH_MMM_STAN:-1} == 0 ]]; then
	stan=0 why="BENCH_MMM_STAN=0"
elif ! command -v Rscript >/dev/null ||
	! Rscript -e 'suppressPackageStartupMessages({library(rstan); library(jsonlite)})' >/dev/null 2>&1; then
	stan=0 why="rstan absent"
fi
stan_version=
if ((stan)); then
	stan_version=$(Rscript -e 'cat(as.character(packageVersion("rstan")))' 2>/dev/null)
elif [[ $why == "rstan absent" ]]; then
	echo "bench: mmm: Stan side skipped: rstan absent (apt-get install r-cran-rstan r-cran-jsonlite)"
else
	echo "bench: mmm: Stan side skipped ($why)"
fi

echo "bench: mmm-fit vs rstan${stan_version:+ $stan_version}, $chains chains x ($warmup warm-up + $draws draws), cases: $cases"
failed=0
case_no=0
for cs in $cases; do
	case_no=$((case_no + 1))
	C=${cs%x*} D=${cs#*x}
	input=$tmp/mmm-$cs.ndjson data=$tmp/mmm-$cs.json
	awk -v C="$C" -v D="$D" -v seed="$case_no" -v truth="$tmp/truth-$cs.ndjson" \
		-f tests/bench/gen_mmm.awk >"$input" || fail "gen_mmm.awk $cs"

	# ---- ours ------------------------------------------------------------------
	say "mmm-fit on $C channels x $D days"
	rc=0
	t0=$(now)
	"$bin/mmm-fit" --seed 1 --chains "$chains" --warmup "$warmup" --draws "$draws" --target-accept 0.8 --stan-data "$data" \
		<"$input" >"$tmp/fit.ndjson" 2>"$tmp/fit.err" || rc=$?
	t1=$(now)
	ours_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	if ((rc != 0 && rc != 1)); then
		cat "$tmp/fit.err" >&2
		fail "mmm-fit on $cs exited $rc"
	fi
	jq -c 'select(._table? == "mmm_runs")' "$tmp/fit.ndjson" 2>/dev/null | head -1 >"$tmp/run.json" || true
	if [[ ! -s $tmp/run.json ]]; then
		cat "$tmp/fit.err" >&2
		fail "mmm-fit on $cs wrote no mmm_runs row"
	fi
	jq -e '(.sampling_seconds | type) == "number" and (.min_ess_bulk | type) == "number"
	       and (.posterior_summary | type) == "object"' "$tmp/run.json" >/dev/null ||
		fail "mmm-fit on $cs: the mmm_runs row lacks sampling_seconds, min_ess_bulk or posterior_summary"
	[[ -s $data ]] || fail "mmm-fit on $cs wrote no --stan-data file"
	read -r o_s o_ess o_rhat o_div < <(jq -r '[.sampling_seconds, .min_ess_bulk,
		(.max_rhat | if type == "number" then . * 1000 | round / 1000 else . end), .divergences]
		| map(. // "null") | @tsv' "$tmp/run.json")
	o_rate=$(awk -v e="$o_ess" -v s="$o_s" 'BEGIN { printf "%.6g", (s > 0 ? e / s : 0) }')
	npar=$(jq '.names | length' "$data")
	diag_fail=
	if ((rc == 1)); then
		diag_fail="mmm-fit's diagnostics failed (exit 1): max R-hat $o_rhat, $o_div divergent"
		sed 's/^/  /' "$tmp/fit.err" | tail -5 >&2
		failed=1
	fi
	printf 'mmm       %-12s mmm-fit   %9.2f s   min bulk ESS %8.1f   %9.4g ESS/s   max R-hat %s, %s divergent\n' \
		"$cs" "$o_s" "$o_ess" "$o_rate" "$o_rhat" "$o_div"

	if ((!stan)); then
		record mmm-fit "$(jq -c --arg case "$cs" --argjson C "$C" --argjson D "$D" --argjson params "$npar" \
			--argjson wall "$ours_wall" --argjson rate "$o_rate" --argjson exit "$rc" --arg why "$why" \
			'{case: $case, channels: $C, days: $D, params: $params, sampling_seconds, min_ess_bulk,
			  max_rhat, divergences, ess_per_second: $rate, process_seconds: $wall, exit: $exit,
			  peer: ("skipped: " + $why)}' "$tmp/run.json")"
		[[ -z $diag_fail ]] || say "FAIL: $cs: $diag_fail"
		continue
	fi

	# ---- Stan ------------------------------------------------------------------
	say "rstan on $C channels x $D days (the first run compiles the model, once)"
	Rscript tests/bench/mmm_stan.R "$data" "$tmp/stan.json" 1 "$chains" "$warmup" "$draws" \
		>"$tmp/stan.log" 2>&1 || { cat "$tmp/stan.log" >&2; fail "rstan on $cs failed"; }
	read -r s_s s_ess s_rhat s_div s_comp s_td s_slow < <(jq -r '[.wall_seconds, .min_ess_bulk, .max_rhat,
		.divergences, .compile_seconds, .max_treedepth_hits, (.per_chain_seconds | max)] | @tsv' "$tmp/stan.json")
	s_rate=$(awk -v e="$s_ess" -v s="$s_s" 'BEGIN { printf "%.6g", (s > 0 ? e / s : 0) }')
	awk -v c="$s_comp" 'BEGIN { exit !(c > 0) }' && say "rstan compiled the model in ${s_comp} s (not timed)"
	printf 'mmm       %-12s rstan     %9.2f s   min bulk ESS %8.1f   %9.4g ESS/s   max R-hat %.5s, %s divergent, %s at max treedepth; slowest chain %.1f s\n' \
		"$cs" "$s_s" "$s_ess" "$s_rate" "$s_rhat" "$s_div" "$s_td" "$s_slow"

	# ---- the same posterior ----------------------------------------------------
	jq -n --slurpfile o "$tmp/run.json" --slurpfile s "$tmp/stan.json" --slurpfile d "$data" '
		def abs: if . < 0 then -. else . end;
		$o[0].posterior_summary as $po | $s[0].params as $ps
		| [$d[0].names[] as $n
		   | {name: $n, o: $po[$n], s: $ps[$n]}
		   | if .o == null then error("mmm-fit has no posterior_summary for \(.name)") else . end
		   | ((.o.sd * .o.sd / .o.ess_mean) + (.s.sd * .s.sd / .s.ess_mean)) as $v
		   | .z = (if $v > 0 then ((.o.mean - .s.mean) | abs) / ($v | sqrt)
			   elif .o.mean == .s.mean then 0 else 1e9 end)]
		| {n: length, over: (map(select(.z > 4)) | length), worst: max_by(.z)}
		| {n, over, worst: .worst.name, z: .worst.z, ours: .worst.o.mean, stan: .worst.s.mean}' \
		>"$tmp/cmp.json" 2>"$tmp/cmp.err" || { cat "$tmp/cmp.err" >&2; fail "comparing the posteriors of $cs"; }
	read -r n over worst z om sm < <(jq -r '[.n, .over, .worst, .z, .ours, .stan] | @tsv' "$tmp/cmp.json")
	agree=yes
	awk -v o="$over" -v n="$n" 'BEGIN { exit !(o > 0 && o >= 0.01 * n) }' && agree=no
	printf '          posterior means: worst %s z = %.2f (mmm-fit %.5g, Stan %.5g); %d of %d parameters with z > 4%s\n' \
		"$worst" "$z" "$om" "$sm" "$over" "$n" "$([[ $agree == no ]] && echo "  DISAGREE" || true)"

	ratio=$(awk -v o="$o_rate" -v p="$s_rate" 'BEGIN { printf "%.2f", (p > 0 ? o / p : 0) }')
	word=$(awk -v r="$ratio" 'BEGIN { print (r >= 1 ? "faster" : "slower") }')
	flag="  (target >= ${target}x)"
	awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r < t) }' && flag+="  BELOW TARGET"
	printf '%-9s %-12s %9.4g ESS/s   %-14s %9.4g ESS/s   ratio %5.2fx %s%s\n' \
		mmm "mmm-fit $cs" "$o_rate" "rstan" "$s_rate" "$ratio" "$word" "$flag"
	mkdir -p "$(dirname "$out")"
	jq -cn --arg case "$cs" --argjson C "$C" --argjson D "$D" --argjson params "$n" \
		--argjson chains "$chains" --argjson warmup "$warmup" --argjson draws "$draws" \
		--argjson o_s "$o_s" --argjson s_s "$s_s" --argjson ratio "$ratio" \
		--argjson o_rate "$o_rate" --argjson s_rate "$s_rate" --argjson wall "$ours_wall" --argjson exit "$rc" \
		--arg peer "rstan $stan_version" --argjson target "$target" --slurpfile r "$tmp/run.json" \
		--slurpfile st "$tmp/stan.json" --slurpfile cmp "$tmp/cmp.json" --arg agree "$agree" '
		{bench: "mmm-fit", ours: "mmm-fit", ours_s: $o_s, peer: $peer, peer_s: $s_s, ratio: $ratio,
		 ratio_of: "ESS per second", runs: 1, target: $target, case: $case, channels: $C, days: $D,
		 params: $params, chains: $chains, warmup: $warmup, draws: $draws,
		 ours_ess_per_second: $o_rate, peer_ess_per_second: $s_rate,
		 ours_min_ess_bulk: $r[0].min_ess_bulk, peer_min_ess_bulk: $st[0].min_ess_bulk,
		 ours_max_rhat: $r[0].max_rhat, peer_max_rhat: $st[0].max_rhat,
		 ours_divergences: $r[0].divergences, peer_divergences: $st[0].divergences,
		 peer_max_treedepth_hits: $st[0].max_treedepth_hits, peer_grad_evals: $st[0].grad_evals_total,
		 ours_grad_evals: $r[0].diagnostics.grad_evals?,
		 peer_chain_seconds: $st[0].chain_seconds, peer_per_chain_seconds: $st[0].per_chain_seconds,
		 peer_compile_seconds: $st[0].compile_seconds,
		 ours_process_seconds: $wall, ours_exit: $exit,
		 means_agree: ($agree == "yes"), worst_param: $cmp[0].worst, worst_z: $cmp[0].z,
		 params_over_z4: $cmp[0].over}' >>"$out"

	[[ -z $diag_fail ]] || say "FAIL: $cs: $diag_fail"
	if [[ $agree == no ]]; then
		say "FAIL: $cs: mmm-fit and Stan disagree: $over of $n posterior means differ by more than 4 Monte Carlo standard errors"
		failed=1
	fi
done
((failed == 0)) || exit 1
