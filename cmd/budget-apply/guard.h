#ifndef BUDGET_APPLY_GUARD_H
#define BUDGET_APPLY_GUARD_H

/*
 * budget-apply's guardrails as pure functions: the figures in, the verdict
 * out, no warehouse and no clock.  Money is in micros (10^6 per currency
 * unit) so that every comparison is exact.  apply.c gathers the figures;
 * the unit tests feed random portfolios through the same functions.
 */

#include "safety.h"

#define GUARD_MAX_CHANGE_PCT 5     /* one change: at most 5% of the current budget */
#define GUARD_DAILY_CAP_PCT 10     /* one campaign, one UTC day: at most 10% of the day's start */
#define GUARD_MAX_BUDGET 1e12      /* a budget beyond this (currency) is not a budget */
#define GUARD_FLAG "AELP2_ALLOW_GOOGLE_MUTATIONS"

struct guard_in {
	const char *status;          /* canary_changes.status */
	int have_approval;           /* a canary_change_approvals row with decision approved */
	int live;                    /* --live */
	const char *flag;            /* $AELP2_ALLOW_GOOGLE_MUTATIONS, NULL when unset */
	const char *platform;        /* canary_changes.platform, NULL when null */
	int have_target;             /* customer_id and budget_id both present */
	long long current_micros;    /* the proposal's current_daily_budget */
	long long proposed_micros;   /* its proposed_daily_budget */
	long long latest_micros;     /* the campaign's latest budget; -1 when there is none */
	long long applied_today_micros; /* sum of |change| applied to the campaign today */
	long long day_start_micros;  /* the campaign's budget at the start of today */
	long long floor_micros;      /* --min-daily-budget */
};

/*
 * Every check in order; the first that fails decides (v: guardrail NULL
 * and flag GUARD_FLAG when the flag refused; flag GUARD_FLAG too when the
 * missing client refused; code 0, 1 or 77; mark_refused for checks 4 to 8):
 *   approval / already_applied / already_refused   (safety_status_gate)
 *   the flag and the platform                       (--live only)
 *   target, stale_budget, max_change_pct, min_daily_budget, daily_change_cap
 *   client                                          (--live: not built yet)
 */
void guard_check(const struct guard_in *in, struct safety_verdict *v);

/* The running state of one campaign's UTC day, folded over the changes
 * applied (or shadow-applied) that day in the order they were applied. */
struct guard_day {
	long long applied_micros;    /* sum of |proposed - current| */
	long long start_micros;      /* current of the day's first change; -1 before any */
};

void guard_day_init(struct guard_day *d);
void guard_day_add(struct guard_day *d, long long current_micros, long long proposed_micros);
/* Fill in's applied_today_micros and day_start_micros from d (the start is
 * in->current_micros when nothing was applied yet today). */
void guard_day_fill(const struct guard_day *d, struct guard_in *in);

/* Currency to micros, llround(x * 1e6): 0, or -1 when x is not finite or
 * beyond GUARD_MAX_BUDGET. */
int guard_micros(double x, long long *micros);

/* Micros as currency text: "25.00", "25.000001", "-0.50" (buf >= 32 bytes). */
const char *guard_money(long long micros, char *buf);

/* The UTC day "YYYY-MM-DD" of a canonical timestamp, in out (11 bytes):
 * 0, or -1 when ts is not one. */
int guard_day_key(const char *ts, char *out);

#endif
