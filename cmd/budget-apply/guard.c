/*
 * budget-apply's guardrails: pure functions of the figures apply.c reads.
 * Integer micros throughout; the percentage caps allow half a micro for the
 * rounding of currency to micros, no more.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "die.h"
#include "guard.h"
#include "timefmt.h"

static long long labs_ll(long long x)
{
	return x < 0 ? -x : x;
}

/* The most a change may move a budget of base micros by pct percent:
 * |d| <= pct/100 base + 1/2, i.e. 100 |d| <= pct base + 50. */
static long long cap_micros(long long base, int pct)
{
	long long num;
	if (base <= 0)
		return base == 0 ? 0 : -1;
	/* base <= 1e18 (guard_micros), pct <= 100: pct * base fits only when
	 * divided first; floor((pct base + 50) / 100) exactly, without overflow */
	num = (base / 100) * pct + ((base % 100) * pct + 50) / 100;
	return num;
}

static double pct_of(long long d, long long base)
{
	return base ? 100.0 * (double)d / (double)base : 0.0;
}

void guard_check(const struct guard_in *in, struct safety_verdict *v)
{
	char a[32], b[32], c[32], e[32], f[32];
	long long d = labs_ll(in->proposed_micros - in->current_micros), cap, room;

	memset(v, 0, sizeof *v);

	/* 2. the proposal's status and its approval */
	if (!safety_status_gate(in->status, in->have_approval, REVIEW_BUDGET, v))
		return;

	/* 3. live: the flag, then the platform */
	if (in->live) {
		if (!in->flag || strcmp(in->flag, "1")) {
			safety_refuse(v, NULL, AELP_EXIT_NOPERM, 0,
				      "live changes need " GUARD_FLAG "=1 (it is %s); nothing was "
				      "sent",
				      in->flag ? "not 1" : "unset");
			v->flag = GUARD_FLAG;
			return;
		}
		if (!in->platform || strcmp(in->platform, "google_ads")) {
			safety_refuse(v, "client", AELP_EXIT_NOPERM, 0,
				      "live budget changes on %s are not built; nothing was sent",
				      in->platform ? in->platform : "an unnamed platform");
			return;
		}
	}

	/* 4. the request can be built */
	if (!in->have_target) {
		safety_refuse(v, "target", AELP_EXIT_GATE, 1,
			      "no customer_id or budget_id on the proposal: the request cannot "
			      "name the budget");
		return;
	}

	/* 5. the budget it was made against is still the budget */
	if (in->latest_micros < 0) {
		safety_refuse(v, "stale_budget", AELP_EXIT_GATE, 1,
			      "no budget snapshot of the campaign: cannot tell whether current "
			      "%s is still the budget", guard_money(in->current_micros, a));
		return;
	}
	if (in->latest_micros != in->current_micros) {
		safety_refuse(v, "stale_budget", AELP_EXIT_GATE, 1,
			      "stale: proposed against a budget of %s, the latest budget is %s",
			      guard_money(in->current_micros, a),
			      guard_money(in->latest_micros, b));
		return;
	}

	/* 6. one change at most 5% */
	cap = cap_micros(in->current_micros, GUARD_MAX_CHANGE_PCT);
	if (d > cap) {
		safety_refuse(v, "max_change_pct", AELP_EXIT_GATE, 1,
			      "change of %s (%.4g%%) from %s is over the %d%% cap of one change "
			      "(%s)",
			      guard_money(d, a), pct_of(d, in->current_micros),
			      guard_money(in->current_micros, b), GUARD_MAX_CHANGE_PCT,
			      guard_money(cap < 0 ? 0 : cap, c));
		return;
	}

	/* 7. never below the floor */
	if (in->proposed_micros < in->floor_micros) {
		safety_refuse(v, "min_daily_budget", AELP_EXIT_GATE, 1,
			      "proposed %s is below the floor of %s (--min-daily-budget)",
			      guard_money(in->proposed_micros, a),
			      guard_money(in->floor_micros, b));
		return;
	}

	/* 8. the day's changes at most 10% of the day's start */
	cap = cap_micros(in->day_start_micros, GUARD_DAILY_CAP_PCT);
	room = cap < 0 ? -1 : cap - (in->applied_today_micros < 0 ? 0 : in->applied_today_micros);
	if (d > room) {
		safety_refuse(v, "daily_change_cap", AELP_EXIT_GATE, 1,
			      "today's changes would reach %s: %s applied already + %s, over the "
			      "%d%% cap of the day's start budget %s (%s)",
			      guard_money(in->applied_today_micros > LLONG_MAX - d
					  ? LLONG_MAX : in->applied_today_micros + d, a),
			      guard_money(in->applied_today_micros, b), guard_money(d, c),
			      GUARD_DAILY_CAP_PCT, guard_money(in->day_start_micros, e),
			      guard_money(cap < 0 ? 0 : cap, f));
		return;
	}

	/* 9. live: every check passed, but there is no client to send with */
	if (in->live) {
		safety_refuse(v, "client", AELP_EXIT_NOPERM, 0,
			      "the Google Ads client is not built yet (a later issue adds it); "
			      "nothing was sent");
		v->flag = GUARD_FLAG;
		return;
	}

	v->allowed = 1;
	v->code = 0;
	snprintf(v->reason, sizeof v->reason,
		 "shadow: %s -> %s (%+.4g%%) within %d%% a change, %s of %s applied today within "
		 "%d%% a day, above the floor %s",
		 guard_money(in->current_micros, a), guard_money(in->proposed_micros, b),
		 pct_of(in->proposed_micros - in->current_micros, in->current_micros),
		 GUARD_MAX_CHANGE_PCT, guard_money(in->applied_today_micros + d, c),
		 guard_money(in->day_start_micros, e), GUARD_DAILY_CAP_PCT,
		 guard_money(in->floor_micros, f));
}

void guard_day_init(struct guard_day *d)
{
	d->applied_micros = 0;
	d->start_micros = -1;
}

void guard_day_add(struct guard_day *d, long long current_micros, long long proposed_micros)
{
	long long x = labs_ll(proposed_micros - current_micros);
	if (d->start_micros < 0)
		d->start_micros = current_micros;
	d->applied_micros = d->applied_micros > LLONG_MAX / 2 - x ? LLONG_MAX / 2
								   : d->applied_micros + x;
}

void guard_day_fill(const struct guard_day *d, struct guard_in *in)
{
	in->applied_today_micros = d->applied_micros;
	in->day_start_micros = d->start_micros >= 0 ? d->start_micros : in->current_micros;
}

int guard_micros(double x, long long *micros)
{
	if (!isfinite(x) || fabs(x) > GUARD_MAX_BUDGET)
		return -1;
	*micros = llround(x * 1e6);
	return 0;
}

const char *guard_money(long long m, char *buf)
{
	unsigned long long u = m < 0 ? 0ULL - (unsigned long long)m : (unsigned long long)m;
	unsigned long long frac = u % 1000000;
	int n = snprintf(buf, 32, "%s%llu.%06llu", m < 0 ? "-" : "", u / 1000000, frac);
	/* keep at least two decimals */
	while (n > 0 && buf[n - 1] == '0' && buf[n - 3] != '.')
		buf[--n] = '\0';
	return buf;
}

int guard_day_key(const char *ts, char *out)
{
	if (!ts || strlen(ts) < 11 || ts[10] != 'T' || !date_valid(ts, 10))
		return -1;
	memcpy(out, ts, 10);
	out[10] = '\0';
	return 0;
}
