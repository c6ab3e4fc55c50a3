#!/usr/bin/env bash
# bench budget: budget-propose over BENCH_CAMPAIGNS campaigns (default 10000) in
# well under a second (run by tests/bench/run.sh).  The issue names no peer, so
# the figure stands against its target; beside it, for scale, the time sqlite3
# alone takes to run the three reads budget-propose makes (the rest of
# budget-propose's time is the decisions and the output).
#
# Input: 14 days of ads_campaign_performance for each campaign over 6 channels,
# one budget snapshot each, and a media-mix run (mmm_runs, mmm_allocations and
# three mmm_curves points per channel) that calls half the channels
# under-funded; loaded with bq-load, untimed.  budget-propose runs with
# AELP2_CAC_CAP=60, output to /dev/null after an untimed run that counts rows
# and checks every proposal moves at most 5%.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${BENCH_CAMPAIGNS:-10000}
positive_int BENCH_CAMPAIGNS "$n"
needs jq sqlite3 awk
programs bq-ensure bq-load budget-propose

export AELP_HOME=$tmp/budget
"$bin/bq-ensure" --quiet >/dev/null
awk -v n="$n" 'BEGIN {
  split("google_search google_pmax youtube meta tiktok linkedin", ch, " ")
  srand(11)
  for (i = 0; i < n; i++) {
    c = ch[i % 6 + 1]; b = int(50 + 950 * rand()); cac = 20 + 80 * rand()
    for (d = 1; d <= 14; d++) {
      s = b * (0.7 + 0.4 * rand()); k = int(s / cac + rand())
      printf "{\"_table\":\"ads_campaign_performance\",\"date\":\"2025-03-%02d\",\"campaign_id\":\"c%06d\",\"channel\":\"%s\",\"platform\":\"google_ads\",\"impressions\":1000,\"clicks\":100,\"cost_micros\":%d,\"conversions\":%d,\"conversion_value\":0}\n", d, i, c, s * 1e6, k
    }
    printf "{\"_table\":\"canary_budgets_snapshot\",\"snapshot_date\":\"2025-03-14\",\"campaign_id\":\"c%06d\",\"customer_id\":\"1234567890\",\"channel\":\"%s\",\"platform\":\"google_ads\",\"campaign_status\":\"ENABLED\",\"budget_id\":\"b%06d\",\"daily_budget_micros\":%d,\"captured_at\":\"2025-03-14T23:00:00Z\"}\n", i, c, i, b * 1e6
  }
  print "{\"_table\":\"mmm_runs\",\"run_id\":\"m1\",\"status\":\"ok\",\"kpi\":\"conversions\",\"created_at\":\"2025-03-15T00:00:00Z\"}"
  for (j = 1; j <= 6; j++) {
    cur = 500 * n / 6; prop = cur * (j % 2 ? 1.2 : 0.85)
    printf "{\"_table\":\"mmm_allocations\",\"run_id\":\"m1\",\"channel\":\"%s\",\"current_daily_spend\":%f,\"proposed_daily_spend\":%f,\"cac_mean\":40,\"cac_p05\":30,\"cac_p95\":52}\n", ch[j], cur, prop
    for (p = 9; p <= 11; p++)
      printf "{\"_table\":\"mmm_curves\",\"run_id\":\"m1\",\"channel\":\"%s\",\"point\":%d,\"daily_spend\":%f,\"spend_multiple\":%f,\"marginal_roi_mean\":0.03,\"marginal_roi_p05\":0.02,\"marginal_roi_p95\":0.04}\n", ch[j], p, cur * p / 10, p / 10
  }
}' | "$bin/bq-load" >/dev/null 2>&1 || fail "loading the portfolio"

propose() { AELP2_CAC_CAP=60 "$bin/budget-propose" --run-id bench "$@"; }
rows=$(propose 2>/dev/null | jq -s 'if all(.change_pct | fabs <= 5) then length else error("a proposal moves more than 5%") end') ||
	fail "budget-propose's output"
reads() {
	sqlite3 "$AELP_HOME/warehouse.sqlite" \
		"SELECT MAX(date) FROM ads_campaign_performance;" \
		"SELECT campaign_id, MAX(channel), MAX(platform), MAX(campaign_name), COALESCE(SUM(cost_micros), 0) / 1e6, COALESCE(SUM(conversions), 0), COALESCE(MAX(cost_micros), 0) / 1e6, COUNT(*) FROM ads_campaign_performance WHERE date >= '2025-03-01' AND date <= '2025-03-14' GROUP BY campaign_id ORDER BY campaign_id;" \
		"SELECT campaign_id, customer_id, campaign_name, platform, channel, campaign_status, budget_id, daily_budget_micros FROM canary_budgets_latest ORDER BY campaign_id;"
}
t=()
q=()
for ((r = 1; r <= runs; r++)); do
	timed "$tmp/bp.log" propose
	t+=("$elapsed")
	timed "$tmp/reads.log" reads
	q+=("$elapsed")
done
s=$(median "${t[@]}")
sq=$(median "${q[@]}")
echo "bench: budget-propose over $n campaigns x 14 days (6 channels, a media-mix run, CAC cap 60), median of $runs runs"
printf 'budget    budget-propose   %7.3f s  (target < 1 s%s)  %d proposals;  sqlite3 running its reads alone %7.3f s\n' \
	"$s" "$(awk -v s="$s" 'BEGIN { print (s < 1 ? "" : ": MISSED") }')" "$rows" "$sq"
printf '          runs (s): budget-propose: %s   sqlite3 reads: %s\n' "${t[*]}" "${q[*]}"
record budget-propose "$(jq -cn --argjson n "$n" --argjson s "$s" --argjson sq "$sq" --argjson rows "$rows" \
	'{campaigns: $n, seconds: $s, target_seconds: 1, proposals: $rows, sqlite3_reads_seconds: $sq}')"
