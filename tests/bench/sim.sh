#!/usr/bin/env bash
# bench sim: sim-generate's speed in rows per second (run by tests/bench/run.sh).
# There is no peer for a simulator of this business, so the figure stands alone.
#
#   BENCH_SIM_DAYS   days generated (default 730: two years)
#   BENCH_SIM_USERS  new users per day of the scaled-up run (default 2000)
#
# Two runs, each timed BENCH_RUNS times (median): the default advertiser, and
# the same with BENCH_SIM_USERS users a day (millions of journey rows).
# Output goes to /dev/null after an untimed run that counts the rows.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
days=${BENCH_SIM_DAYS:-730}
users=${BENCH_SIM_USERS:-2000}
positive_int BENCH_SIM_DAYS "$days"
positive_int BENCH_SIM_USERS "$users"
programs sim-generate
start=2024-12-01

sim() { "$bin/sim-generate" --start "$start" --days "$days" --seed 7 "$@"; }

echo "bench: sim-generate, $days days from $start, median of $runs runs"
for variant in default "users $users"; do
	args=()
	[[ $variant == default ]] || args=(--users "$users")
	n=$(sim "${args[@]}" | wc -l) || fail "sim-generate ${args[*]}"
	t=()
	for ((r = 1; r <= runs; r++)); do
		timed "$tmp/sim.log" sim "${args[@]}"
		t+=("$elapsed")
	done
	s=$(median "${t[@]}")
	rate=$(awk -v n="$n" -v s="$s" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	printf 'sim       %-22s %10d rows  %7.2f s  %12s rows/s\n' "$variant" "$n" "$s" "$rate"
	record sim-generate "$(jq -cn --arg v "$variant" --argjson days "$days" --argjson rows "$n" \
		--argjson s "$s" --argjson rate "$rate" \
		'{variant: $v, days: $days, rows: $rows, seconds: $s, rows_per_second: $rate}')"
done
