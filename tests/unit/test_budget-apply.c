/*
 * budget-apply's guardrails (cmd/budget-apply/guard.c): each rule at and
 * just past its boundary, the order of the checks, the helpers, and a
 * property test over random portfolios fed through guard_check() with the
 * running state kept by guard_day_add() as apply.c keeps it.
 */
#include <math.h>
#include <stdint.h>

#include "../../cmd/budget-apply/apply.h"
#include "../../cmd/budget-apply/guard.h"
#include "harness.h"
#include "xoshiro.h"

#define M 1000000LL    /* micros per currency unit */

/* An approved shadow proposal 100.00 -> proposed, nothing applied today. */
static struct guard_in base(long long proposed)
{
	struct guard_in in = { 0 };
	in.status = "approved";
	in.have_approval = 1;
	in.have_target = 1;
	in.current_micros = 100 * M;
	in.proposed_micros = proposed;
	in.latest_micros = 100 * M;
	in.applied_today_micros = 0;
	in.day_start_micros = 100 * M;
	in.floor_micros = 1 * M;
	return in;
}

static struct safety_verdict run(const struct guard_in *in)
{
	struct safety_verdict v;
	guard_check(in, &v);
	return v;
}

static const char *gr(const struct safety_verdict *v)
{
	return v->guardrail ? v->guardrail : "(null)";
}

static void test_max_change(void)
{
	struct guard_in in = base(105 * M);
	struct safety_verdict v = run(&in);
	CHECK(v.allowed);
	CHECK_INT(v.code, 0);
	CHECK(v.guardrail == NULL);
	CHECK_HAS(v.reason, "100.00 -> 105.00");

	in.proposed_micros = 105 * M + 1;        /* 5% + 1 micro */
	v = run(&in);
	CHECK(!v.allowed);
	CHECK_STR(gr(&v), "max_change_pct");
	CHECK_INT(v.code, 1);
	CHECK(v.mark_refused);
	CHECK_HAS(v.reason, "5.000001");

	in.proposed_micros = 95 * M;             /* down 5% */
	CHECK(run(&in).allowed);
	in.proposed_micros = 95 * M - 1;
	v = run(&in);
	CHECK_STR(gr(&v), "max_change_pct");

	/* 5% of 33.333333 is 1.66666665: half a micro of rounding allows 1.666667 */
	in = base(0);
	in.current_micros = in.latest_micros = in.day_start_micros = 33333333;
	in.proposed_micros = 33333333 + 1666667;
	CHECK(run(&in).allowed);
	in.proposed_micros = 33333333 + 1666668;
	v = run(&in);
	CHECK_STR(gr(&v), "max_change_pct");

	/* no change at all passes; a zero budget may not move */
	in = base(100 * M);
	CHECK(run(&in).allowed);
	in = base(1);
	in.current_micros = in.latest_micros = in.day_start_micros = 0;
	in.floor_micros = 0;
	v = run(&in);
	CHECK_STR(gr(&v), "max_change_pct");
}

static void test_floor(void)
{
	struct guard_in in = base(98 * M);
	struct safety_verdict v;
	in.floor_micros = 98 * M;                /* exactly at the floor */
	CHECK(run(&in).allowed);
	in.floor_micros = 98 * M + 1;
	v = run(&in);
	CHECK_STR(gr(&v), "min_daily_budget");
	CHECK_INT(v.code, 1);
	CHECK(v.mark_refused);
	CHECK_HAS(v.reason, "below the floor of 98.000001");
	/* a raise below the floor is still below it */
	in = base(101 * M);
	in.floor_micros = 200 * M;
	v = run(&in);
	CHECK_STR(gr(&v), "min_daily_budget");
}

static void test_daily_cap(void)
{
	struct guard_in in = base(105 * M);
	struct safety_verdict v;

	/* 5.00 applied today from a start of 100.00, current now 100.00 again */
	in.applied_today_micros = 5 * M;
	CHECK(run(&in).allowed);                 /* 5 + 5 = 10%: at the cap */
	in.applied_today_micros = 5 * M + 1;
	v = run(&in);
	CHECK_STR(gr(&v), "daily_change_cap");
	CHECK_INT(v.code, 1);
	CHECK(v.mark_refused);
	CHECK_HAS(v.reason, "5.000001 applied already");

	/* the cap is of the day's start, not of the current budget */
	in = base(0);
	in.current_micros = in.latest_micros = 105 * M;
	in.day_start_micros = 100 * M;
	in.applied_today_micros = 5 * M;
	in.proposed_micros = 110 * M;            /* +4.76%: under 5%, but 10 of 100 is the cap */
	CHECK(run(&in).allowed);
	in.proposed_micros = 110 * M + 1;
	v = run(&in);
	CHECK_STR(gr(&v), "daily_change_cap");
	/* down then up counts both */
	in = base(0);
	in.current_micros = in.latest_micros = 95 * M;
	in.day_start_micros = 100 * M;
	in.applied_today_micros = 5 * M;
	in.proposed_micros = 99750000;           /* +4.75 (5% of 95), total 9.75 */
	CHECK(run(&in).allowed);
	in.applied_today_micros = 5250001;       /* total 10.000001 */
	v = run(&in);
	CHECK_STR(gr(&v), "daily_change_cap");
	/* rounding: 10% of 33.333333 is 3.3333333; half a micro allows 3.333333 only */
	in = base(0);
	in.current_micros = in.latest_micros = in.day_start_micros = 33333333;
	in.applied_today_micros = 1666666;
	in.proposed_micros = 33333333 + 1666667; /* total 3.333333 */
	CHECK(run(&in).allowed);
	in.applied_today_micros = 1666667;
	v = run(&in);
	CHECK_STR(gr(&v), "daily_change_cap");
}

static void test_stale_target(void)
{
	struct guard_in in = base(104 * M);
	struct safety_verdict v;
	in.latest_micros = 100 * M + 1;
	v = run(&in);
	CHECK_STR(gr(&v), "stale_budget");
	CHECK_INT(v.code, 1);
	CHECK(v.mark_refused);
	CHECK_HAS(v.reason, "budget of 100.00, the latest budget is 100.000001");
	in.latest_micros = -1;
	v = run(&in);
	CHECK_STR(gr(&v), "stale_budget");
	CHECK_HAS(v.reason, "no budget snapshot");
	/* target comes before stale */
	in.have_target = 0;
	v = run(&in);
	CHECK_STR(gr(&v), "target");
	CHECK_INT(v.code, 1);
	CHECK(v.mark_refused);
	/* stale comes before the size of the change */
	in = base(150 * M);
	in.latest_micros = 99 * M;
	v = run(&in);
	CHECK_STR(gr(&v), "stale_budget");
}

static void test_status(void)
{
	static const char *const no[] = { "proposed", "rejected", "expired" };
	struct guard_in in = base(200 * M);      /* would break every guardrail */
	struct safety_verdict v;
	size_t i;

	in.latest_micros = 1;
	in.have_target = 0;
	for (i = 0; i < 3; i++) {
		in.status = no[i];
		v = run(&in);
		CHECK_STR(gr(&v), "approval");
		CHECK_INT(v.code, 77);
		CHECK(!v.mark_refused);
		CHECK_HAS(v.reason, no[i]);
	}
	in.status = "proposed";
	CHECK_HAS(run(&in).reason, "proposal-review approve ID --by NAME");
	in.status = "shadow_applied";
	v = run(&in);
	CHECK_STR(gr(&v), "already_applied");
	CHECK_INT(v.code, 1);
	CHECK(!v.mark_refused);
	in.status = "applied";
	CHECK_STR(run(&in).guardrail, "already_applied");
	in.status = "refused";
	v = run(&in);
	CHECK_STR(gr(&v), "already_refused");
	CHECK_INT(v.code, 1);
	in.status = "weird";
	CHECK_INT(run(&in).code, 77);
	in.status = NULL;
	CHECK_INT(run(&in).code, 77);
	in.status = "approved";
	in.have_approval = 0;
	v = run(&in);
	CHECK_STR(gr(&v), "approval");
	CHECK_INT(v.code, 77);
	CHECK(!v.mark_refused);
}

static void test_live(void)
{
	struct guard_in in = base(105 * M);
	struct safety_verdict v;

	in.live = 1;
	in.platform = "google_ads";
	v = run(&in);                            /* flag unset */
	CHECK(!v.allowed);
	CHECK(v.guardrail == NULL);
	CHECK_STR(v.flag, GUARD_FLAG);
	CHECK_INT(v.code, 77);
	CHECK(!v.mark_refused);
	CHECK_HAS(v.reason, "AELP2_ALLOW_GOOGLE_MUTATIONS=1");
	in.flag = "true";                        /* exactly "1" */
	CHECK_STR(run(&in).flag, GUARD_FLAG);
	in.flag = "1";
	v = run(&in);                            /* everything passes: no client yet */
	CHECK_STR(gr(&v), "client");
	CHECK_INT(v.code, 77);
	CHECK(!v.mark_refused);
	CHECK_HAS(v.reason, "not built yet");
	CHECK_HAS(v.reason, "nothing was sent");
	in.platform = "meta";
	v = run(&in);
	CHECK_STR(gr(&v), "client");
	CHECK_HAS(v.reason, "on meta are not built");
	/* a guardrail still speaks before the missing client */
	in.platform = "google_ads";
	in.proposed_micros = 106 * M;
	v = run(&in);
	CHECK_STR(gr(&v), "max_change_pct");
	CHECK_INT(v.code, 1);
	/* approval before the flag */
	in.flag = NULL;
	in.status = "rejected";
	CHECK_STR(run(&in).guardrail, "approval");
}

static void test_helpers(void)
{
	char b[32], d[11];
	long long m = 0;
	struct guard_day day;
	struct guard_in in = base(0);

	CHECK_STR(guard_money(25 * M, b), "25.00");
	CHECK_STR(guard_money(1, b), "0.000001");
	CHECK_STR(guard_money(-500000, b), "-0.50");
	CHECK_STR(guard_money(0, b), "0.00");
	CHECK_STR(guard_money(123456789, b), "123.456789");
	CHECK_STR(guard_money(1230000, b), "1.23");

	CHECK_INT(guard_micros(105.0, &m), 0);
	CHECK_INT(m, 105 * M);
	CHECK_INT(guard_micros(19.99, &m), 0);
	CHECK_INT(m, 19990000);
	CHECK_INT(guard_micros(0.1, &m), 0);
	CHECK_INT(m, 100000);
	CHECK_INT(guard_micros(NAN, &m), -1);
	CHECK_INT(guard_micros(INFINITY, &m), -1);
	CHECK_INT(guard_micros(1e13, &m), -1);

	CHECK_INT(guard_day_key("2026-11-30T23:59:59.999999Z", d), 0);
	CHECK_STR(d, "2026-11-30");
	CHECK_INT(guard_day_key("2026-11-31T00:00:00Z", d), -1);
	CHECK_INT(guard_day_key("2026-11-30", d), -1);
	CHECK_INT(guard_day_key(NULL, d), -1);

	guard_day_init(&day);
	in.current_micros = 80 * M;
	guard_day_fill(&day, &in);
	CHECK_INT(in.applied_today_micros, 0);
	CHECK_INT(in.day_start_micros, 80 * M);  /* nothing applied: the proposal's own */
	guard_day_add(&day, 100 * M, 105 * M);
	guard_day_add(&day, 105 * M, 102 * M);
	guard_day_fill(&day, &in);
	CHECK_INT(in.applied_today_micros, 8 * M);
	CHECK_INT(in.day_start_micros, 100 * M);
}

static void test_details(void)
{
	struct guard_in in = base(25 * M);
	char *s;
	in.current_micros = in.latest_micros = in.day_start_micros = 24 * M;
	in.applied_today_micros = 0;
	s = apply_details("123-456-7890", "555", &in, 1, "alice");
	CHECK_HAS(s, "\"url\":\"https://googleads.googleapis.com/v25/customers/1234567890/"
		  "campaignBudgets:mutate\"");
	CHECK_HAS(s, "\"resourceName\":\"customers/1234567890/campaignBudgets/555\"");
	CHECK_HAS(s, "\"amountMicros\":\"25000000\"");
	CHECK_HAS(s, "\"updateMask\":\"amountMicros\"");
	CHECK_HAS(s, "\"partialFailure\":false,\"validateOnly\":false");
	CHECK_HAS(s, "\"max_change_pct\":5");
	CHECK_HAS(s, "\"daily_cap_pct\":10");
	CHECK_HAS(s, "\"approver\":\"alice\"");
	CHECK(json_text_valid(s, strlen(s)));
	free(s);
	s = apply_details("123", NULL, &in, 1, NULL);
	CHECK_HAS(s, "{\"request\":null,");
	CHECK_HAS(s, "\"approver\":null");
	CHECK(json_text_valid(s, strlen(s)));
	free(s);
	s = apply_details(NULL, NULL, &in, 0, NULL);
	CHECK_STR(s, "{\"request\":null,\"checks\":null,\"approver\":null}");
	free(s);
}

/* ---- property: random portfolios ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)     /* splitmix64: fixed seed, same draws everywhere */
{
	return splitmix64(&rng);
}

static double unif(void)
{
	return (double)(next() >> 11) / 9007199254740992.0;
}

static long long labs_ll(long long x)
{
	return x < 0 ? -x : x;
}

static void test_property(void)
{
	enum { PORTFOLIOS = 20000 };
	long long n_allowed = 0, n_stale = 0, n_max = 0, n_floor = 0, n_day = 0, n_other = 0;
	long long mismatches = 0, violations = 0, full_days = 0;
	int p;

	for (p = 0; p < PORTFOLIOS; p++) {
		/* a campaign: its budget at the start of the day (the snapshot), a floor */
		double start = floor(exp(log(0.5) + unif() * log(20000.0)) * 100) / 100;
		double floorv = unif() < 0.5 ? 1.0 : floor(unif() * start * 100) / 100;
		long long start_m, floor_m, latest, sum = 0;
		int napplied = 0, k, steps = 1 + (int)(next() % 20);
		struct guard_day day;

		guard_micros(start, &start_m);
		guard_micros(floorv, &floor_m);
		latest = start_m;                /* the snapshot */
		guard_day_init(&day);
		for (k = 0; k < steps; k++) {
			struct guard_in in = { 0 };
			struct safety_verdict v;
			double cur, prop, u = unif(), r = unif();
			long long d, oracle_start;
			int oracle;

			/* the budget the proposal was made against: mostly the latest */
			cur = (double)latest / 1e6;
			if (r < 0.1)
				cur = round(start * (1 + (unif() - 0.5) * 0.1) * 100) / 100; /* stale */
			else if (r < 0.15)
				cur = cur + 0.01;                          /* stale by a cent */
			/* the change: up to +-15%, sometimes exactly 5% or 5% and a cent */
			if (u < 0.1)
				prop = cur * (unif() < 0.5 ? 1.05 : 0.95);
			else if (u < 0.15)
				prop = cur * 1.05 + 0.01;
			else
				prop = cur * (1 + (unif() - 0.5) * 0.3);
			if (unif() < 0.7)
				prop = round(prop * 100) / 100;         /* cents, as budget-propose writes */
			/* stored as FLOAT64 currency, read as apply.c reads them */
			in.status = "approved";
			in.have_approval = 1;
			in.have_target = 1;
			guard_micros(cur, &in.current_micros);
			guard_micros(prop, &in.proposed_micros);
			in.latest_micros = latest;
			in.floor_micros = floor_m;
			guard_day_fill(&day, &in);
			guard_check(&in, &v);

			/* an independent oracle in long double */
			d = labs_ll(in.proposed_micros - in.current_micros);
			oracle_start = napplied ? start_m : in.current_micros;
			oracle = in.current_micros == latest &&
				 (long double)d <= 0.05L * in.current_micros + 0.5L &&
				 in.proposed_micros >= floor_m &&
				 (long double)(sum + d) <= 0.10L * oracle_start + 0.5L;
			if (oracle != v.allowed)
				mismatches++;

			if (v.allowed) {
				n_allowed++;
				/* the invariants of an applied change */
				if (in.current_micros != latest ||
				    100 * d > GUARD_MAX_CHANGE_PCT * in.current_micros + 50 ||
				    in.proposed_micros < floor_m)
					violations++;
				guard_day_add(&day, in.current_micros, in.proposed_micros);
				sum += d;
				latest = in.proposed_micros;
				napplied++;
				/* the day's changes against the budget at the day's start */
				if (100 * sum > GUARD_DAILY_CAP_PCT * start_m + 50)
					violations++;
				if (day.start_micros != start_m)
					violations++;
			} else {
				const char *g = v.guardrail ? v.guardrail : "";
				if (!v.mark_refused || v.code != 1)
					violations++;
				if (!strcmp(g, "stale_budget"))
					n_stale++;
				else if (!strcmp(g, "max_change_pct"))
					n_max++;
				else if (!strcmp(g, "min_daily_budget"))
					n_floor++;
				else if (!strcmp(g, "daily_change_cap"))
					n_day++;
				else
					n_other++;
			}
		}
		if (10 * sum >= 9 * start_m / 10)   /* the day came near its cap */
			full_days++;
	}
	CHECK_INT(violations, 0);
	CHECK_INT(mismatches, 0);
	CHECK_INT(n_other, 0);
	/* not vacuous: every rule both let changes through and stopped some */
	CHECK(n_allowed > 10000);
	CHECK(n_stale > 1000);
	CHECK(n_max > 1000);
	CHECK(n_floor > 100);
	CHECK(n_day > 1000);
	CHECK(full_days > 1000);
	printf("property: %d portfolios, %lld allowed; refused %lld stale, %lld max_change_pct, "
	       "%lld min_daily_budget, %lld daily_change_cap; %lld days near the cap\n",
	       PORTFOLIOS, n_allowed, n_stale, n_max, n_floor, n_day, full_days);
}

int main(void)
{
	test_max_change();
	test_floor();
	test_daily_cap();
	test_stale_target();
	test_status();
	test_live();
	test_helpers();
	test_details();
	test_property();
	return h_done("budget-apply");
}
