#!/usr/bin/env bash
# make bench: every benchmark, each figure a ratio against its peer measured
# in the same run (machines are noisy; ratios are not).
#
#   AELP_BIN=$PWD/bin tests/bench/run.sh             (what `make bench` runs)
#   BENCH_ONLY=gx make bench                          one of: warehouse gx sim budget mmm bandit attribution ltv uplift
#   BENCH_ROWS=20000 BENCH_RUNS=1 make bench          quick smoke run
#
# Each benchmark is a script here; its header says what is compared and how.
#   warehouse.sh  bq-load and bq-extract vs jq|sqlite3 .import and sqlite3 -json
#   gx.sh         gx-check vs jq (+awk) doing the same checks; peak memory at 1M and 4M rows
#   sim.sh        sim-generate rows per second
#   budget.sh     budget-propose over 10,000 campaigns against its 1 s target
#   mmm.sh        mmm-fit's NUTS vs rstan's on the same media-mix model and data: ESS per second
#                 (needs r-cran-rstan and r-cran-jsonlite for the Stan side; long: see its header)
#   bandit.sh     bandit-decide --requests vs MABWiser's predict(): decisions per second and
#                 latency, Thompson sampling at 10, 100, 1000 arms, LinTS at d = 20, 100
#                 (MABWiser in a virtual environment of its own, build/bench/venv-mabwiser)
#   attribution.sh  channel-attribute (heuristics, order-1 and order-3 Markov) vs ChannelAttribution
#                 on 1M path rows, same answers checked first, peak memory of both; journey-summarize
#                 sessions per second (ChannelAttribution in build/bench/venv-channelattribution)
#   ltv.sh        ltv-fit vs lifetimes: BG/NBD + Gamma-Gamma fit on CDNOW (same estimates checked first)
#                 and scoring 1M customers per second (lifetimes in build/bench/venv-lifetimes)
#   uplift.sh     uplift-score's T-learner vs scikit-uplift's TwoModels on Hillstrom, same estimates,
#                 Qini and AUUC checked first (scikit-uplift in build/bench/venv-sklift)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BENCH_OUT=${BENCH_OUT:-$root/build/bench/results.ndjson}
mkdir -p "$(dirname "$BENCH_OUT")"
: >"$BENCH_OUT"
for b in ${BENCH_ONLY:-warehouse gx sim budget mmm bandit attribution ltv uplift}; do
	[[ -x $root/tests/bench/$b.sh ]] || { echo "bench: no benchmark '$b' (warehouse, gx, sim, budget, mmm, bandit, attribution, ltv, uplift)" >&2; exit 2; }
	"$root/tests/bench/$b.sh"
	echo
done
echo "results: $BENCH_OUT"
