/*
 * budget-propose's decision (propose.c): the CAC band against Monte Carlo,
 * each rule at work, and a property test over random portfolios.
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "harness.h"
#include "../../cmd/budget-propose/propose.h"

static struct bp_options opts(double cap)
{
	struct bp_options o = { cap, 1.0, 2.0, 50.0 };
	return o;
}

/* A campaign spending about its budget every day. */
static struct bp_campaign camp(double budget, double spend, double conv)
{
	struct bp_campaign c = { "c1", budget, spend, conv, budget * 1.2, 14 };
	return c;
}

static long long micros(double x)
{
	return llround(x * 1e6);
}

/* CAC = 1/lambda, lambda ~ Gamma(a, rate b): each tail of the band holds 5%
 * of simulated draws, within 4 binomial standard errors. */
static void band_coverage(double spend, double conv, double prior, double pcac, unsigned long seed)
{
	struct bp_options o = { NAN, 1.0, prior, pcac };
	struct bp_band b = bp_history_band(spend, conv, &o);
	double a = prior + conv, rate = prior * pcac + spend, below = 0, above = 0, sum = 0;
	const int N = 200000;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int i;

	gsl_rng_set(r, seed);
	CHECK_STR(b.source, "gamma_poisson");
	if (a > 1)
		CHECK(fabs(b.mean - rate / (a - 1)) < 1e-9 * b.mean);
	else
		CHECK(isinf(b.mean));
	for (i = 0; i < N; i++) {
		double cac = 1 / gsl_ran_gamma(r, a, 1 / rate);
		below += cac < b.low;
		above += cac > b.high;
		sum += cac;
	}
	CHECK(fabs(below / N - 0.05) < 4 * sqrt(0.05 * 0.95 / N));
	CHECK(fabs(above / N - 0.05) < 4 * sqrt(0.05 * 0.95 / N));
	/* the mean: sd of an inverse gamma is mean / sqrt(a - 2) */
	if (a > 4)
		CHECK(fabs(sum / N - b.mean) < 4 * b.mean / sqrt(a - 2) / sqrt(N));
	gsl_rng_free(r);
}

static void test_band(void)
{
	struct bp_options o = opts(NAN);
	struct bp_band b;

	band_coverage(1000, 20, 2, 50, 7);
	band_coverage(300, 0, 0.7, 50, 8);       /* a small shape: the tails are far apart */
	band_coverage(5e6, 40000, 2, 120, 9);    /* a large one: a narrow band */
	band_coverage(80, 1, 0.5, 30, 10);

	/* no conversions: the prior keeps the mean finite, the band wide */
	b = bp_history_band(500, 0, &o);
	CHECK(isfinite(b.mean) && b.mean == 600);
	CHECK(b.low < b.mean && b.high > 2.5 * b.mean);
	/* no portfolio CAC: the prior is centred nowhere, spend alone speaks */
	o.portfolio_cac = NAN;
	b = bp_history_band(500, 4, &o);
	CHECK(fabs(b.mean - 100) < 1e-12);
}

static void test_rules(void)
{
	struct bp_options o = opts(40);
	struct bp_campaign c = camp(100, 1400, 10);   /* CAC about 140 */
	struct bp_channel ch;
	struct bp_proposal p;

	/* even the optimistic CAC is above the cap: down 5% */
	bp_decide(&c, NULL, &o, &p);
	CHECK_INT(p.direction, BP_DOWN);
	CHECK_STR(bp_cap_name(p.cap), "cac_above_cap");
	CHECK_INT(micros(p.proposed), 95000000);
	CHECK(fabs(p.change_pct + 5) < 1e-9);
	CHECK_STR(p.cac_bound, "cac_low");
	CHECK_STR(p.bound, "max_change_pct");
	CHECK(p.record);
	CHECK_HAS(p.reason, "above the cap 40.00");

	/* the band straddles the cap: hold, not down, and recorded */
	o.cac_cap = 140;
	bp_decide(&c, NULL, &o, &p);
	CHECK(p.cac.low < 140 && p.cac.high > 140);
	CHECK_INT(p.direction, BP_HOLD);
	CHECK_STR(bp_cap_name(p.cap), "cac_band_straddles_cap");
	CHECK(p.record);
	CHECK_INT(micros(p.proposed), 100000000);

	/* no cap, no media-mix run: nothing to say, nothing written */
	o.cac_cap = NAN;
	bp_decide(&c, NULL, &o, &p);
	CHECK_INT(p.direction, BP_HOLD);
	CHECK(bp_cap_name(p.cap) == NULL);
	CHECK(!p.record);

	/* the MMM says under-funded, marginal CAC well below the cap: up */
	memset(&ch, 0, sizeof ch);
	ch.name = "meta";
	ch.current = 1000;
	ch.proposed = 1300;
	ch.cac_mean = 20, ch.cac_low = 15, ch.cac_high = 26;
	ch.mcac_mean = 30, ch.mcac_low = 22, ch.mcac_high = 41;
	ch.spend = 1400, ch.conv = 10;              /* the campaign is the whole channel */
	o.cac_cap = 50;
	bp_decide(&c, &ch, &o, &p);
	CHECK_STR(p.cac.source, "mmm");
	CHECK(fabs(p.cac.mean - 20) < 1e-9);        /* the factor is 1 for the whole channel */
	CHECK_INT(p.direction, BP_UP);
	CHECK_INT(micros(p.proposed), 105000000);   /* the gap (300) is larger than 5% */
	CHECK_STR(p.bound, "max_change_pct");
	CHECK_STR(p.cac_bound, "marginal_cac_high");
	CHECK_STR(p.funding, "under_funded");
	CHECK(p.gain > 0);

	/* ... but the marginal CAC's upper bound is above the cap: hold */
	o.cac_cap = 35;
	bp_decide(&c, &ch, &o, &p);
	CHECK_INT(p.direction, BP_HOLD);
	CHECK_STR(bp_cap_name(p.cap), "marginal_cac_above_cap");
	CHECK(p.record);

	/* a small gap, apportioned by spend share, sets the move */
	o.cac_cap = NAN;
	ch.proposed = 1010;
	ch.spend = 2800;                            /* the campaign is half the channel */
	bp_decide(&c, &ch, &o, &p);
	CHECK_INT(p.direction, BP_UP);
	CHECK_INT(micros(p.proposed), 105000000);   /* 10 x 1/2 = 5: exactly 5% */
	ch.proposed = 1006;
	bp_decide(&c, &ch, &o, &p);
	CHECK_INT(micros(p.proposed), 103000000);
	CHECK_STR(p.bound, "mmm_gap");

	/* over-funded: down by the gap */
	ch.proposed = 990;
	bp_decide(&c, &ch, &o, &p);
	CHECK_INT(p.direction, BP_DOWN);
	CHECK_INT(micros(p.proposed), 95000000);
	CHECK(bp_cap_name(p.cap) == NULL);
	CHECK_STR(p.funding, "over_funded");

	/* within 0.5%: balanced, hold, not written */
	ch.proposed = 1004;
	bp_decide(&c, &ch, &o, &p);
	CHECK_INT(p.direction, BP_HOLD);
	CHECK_STR(p.funding, "balanced");
	CHECK(!p.record);

	/* the historical daily cap binds an increase */
	ch.proposed = 1300;
	c.max_daily_spend = 102.5;
	bp_decide(&c, &ch, &o, &p);
	CHECK_INT(p.direction, BP_UP);
	CHECK_INT(micros(p.proposed), 102500000);
	CHECK_STR(bp_cap_name(p.cap), "hist_daily_cap");
	CHECK_STR(p.bound, "hist_daily_cap");
	CHECK(fabs(p.hist_cap - 102.5) < 1e-12);
	/* ... and with --hist-cap-multiplier 1.5 it does not */
	o.hist_mult = 1.5;
	bp_decide(&c, &ch, &o, &p);
	CHECK_INT(micros(p.proposed), 105000000);
	CHECK(bp_cap_name(p.cap) == NULL);
	o.hist_mult = 1.0;

	/* a budget above the cap comes down toward it, 5% at most */
	c.max_daily_spend = 98;
	bp_decide(&c, NULL, &o, &p);
	CHECK_INT(p.direction, BP_DOWN);
	CHECK_INT(micros(p.proposed), 98000000);
	CHECK_STR(bp_cap_name(p.cap), "hist_daily_cap");
	c.max_daily_spend = 50;
	bp_decide(&c, NULL, &o, &p);
	CHECK_INT(micros(p.proposed), 95000000);
	CHECK_STR(p.bound, "max_change_pct");

	/* no spend in the window: left alone */
	c = camp(100, 0, 0);
	bp_decide(&c, NULL, &o, &p);
	CHECK(!p.record);
	CHECK_INT(p.direction, BP_HOLD);
}

static void test_share_factor(void)
{
	struct bp_channel ch = { 0 };
	struct bp_campaign a = camp(100, 300, 30), b = camp(100, 700, 20);
	ch.spend = 1000;
	ch.conv = 50;
	/* a campaign converting at the channel's rate has factor 1 */
	struct bp_campaign even = camp(100, 400, 20);
	CHECK(fabs(bp_share_factor(&even, &ch, 2) - 1) < 1e-12);
	/* the cheaper campaign gets the smaller CAC */
	CHECK(bp_share_factor(&a, &ch, 2) < 1);
	CHECK(bp_share_factor(&b, &ch, 2) > 1);
	/* factor = spend share / smoothed conversion share */
	CHECK(fabs(bp_share_factor(&a, &ch, 2) - 0.3 / ((30 + 2 * 0.3) / 52)) < 1e-12);
}

/*
 * Thousands of random portfolios: every proposal moves at most 5%, in whole
 * cents, never above the historical cap unless 5% cannot reach it, never up
 * without an under-funded channel and a marginal CAC below the cap, always
 * down when the optimistic CAC is above the cap, never down on a straddle
 * (unless the historical cap), and the same inputs give the same proposal.
 */
static void test_property(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int i, seen[5] = { 0 }, dirs[3] = { 0 }, bad = 0;

	gsl_rng_set(r, 20261130);
	for (i = 0; i < 20000; i++) {
		double B = round(exp(gsl_rng_uniform(r) * 11) * 100) / 100 + 1;
		double spend = B * 14 * (0.6 + 0.5 * gsl_rng_uniform(r));
		double conv = floor(spend / (5 + 200 * gsl_rng_uniform(r)) * gsl_rng_uniform(r) * 2);
		struct bp_campaign c = { "c", B, spend, conv, spend / 14 * (1 + 0.5 * gsl_rng_uniform(r)), 14 };
		struct bp_options o = { gsl_rng_uniform(r) < 0.3 ? NAN : 5 + 150 * gsl_rng_uniform(r),
					0.5 + gsl_rng_uniform(r), 0.5 + 3 * gsl_rng_uniform(r),
					10 + 100 * gsl_rng_uniform(r) };
		struct bp_channel ch = { 0 };
		struct bp_proposal p, q;
		int mmm = gsl_rng_uniform(r) < 0.6;
		long long Bm = llround(B * 1e6), Pm;
		double H;

		if (mmm) {
			ch.name = "ch";
			ch.current = B * (1 + 5 * gsl_rng_uniform(r));
			ch.proposed = ch.current * (0.7 + 0.6 * gsl_rng_uniform(r));
			ch.cac_mean = 10 + 100 * gsl_rng_uniform(r);
			ch.cac_low = ch.cac_mean * (0.5 + 0.5 * gsl_rng_uniform(r));
			ch.cac_high = ch.cac_mean * (1 + gsl_rng_uniform(r));
			ch.mcac_mean = ch.cac_mean * (1 + gsl_rng_uniform(r));
			ch.mcac_low = ch.mcac_mean * 0.7;
			ch.mcac_high = gsl_rng_uniform(r) < 0.1 ? INFINITY : ch.mcac_mean * 1.6;
			ch.spend = spend * (1 + 3 * gsl_rng_uniform(r));
			ch.conv = conv * (1 + 3 * gsl_rng_uniform(r));
		}
		bp_decide(&c, mmm ? &ch : NULL, &o, &p);
		bp_decide(&c, mmm ? &ch : NULL, &o, &q);
		Pm = llround(p.proposed * 1e6);
		H = p.hist_cap;
		seen[p.cap]++;
		dirs[p.direction]++;
		if (llabs(Pm - Bm) * 20 > Bm)
			bad++, fprintf(stderr, "portfolio %d: moves more than 5%%\n", i);
		if ((Bm - Pm) % 10000 != 0)
			bad++, fprintf(stderr, "portfolio %d: not whole cents\n", i);
		if ((p.direction == BP_UP) != (Pm > Bm) || (p.direction == BP_DOWN) != (Pm < Bm))
			bad++, fprintf(stderr, "portfolio %d: direction and amount disagree\n", i);
		if (p.direction == BP_UP && (p.proposed > H + 1e-9 || !mmm ||
					     strcmp(p.funding, "under_funded") != 0 ||
					     (isfinite(o.cac_cap) && !(p.mcac.high < o.cac_cap))))
			bad++, fprintf(stderr, "portfolio %d: an unwarranted increase\n", i);
		if (p.proposed > H + 1e-9 && p.direction != BP_HOLD && Pm != Bm - (Bm / 20) / 10000 * 10000)
			bad++, fprintf(stderr, "portfolio %d: above the historical cap\n", i);
		if (p.proposed > H + 1e-9 && p.direction == BP_HOLD)
			bad++, fprintf(stderr, "portfolio %d: held above the historical cap (B %.2f H %.6f spend %g: %s)\n", i, B, H, spend, p.reason);
		if (isfinite(o.cac_cap) && p.cac.low > o.cac_cap && p.direction != BP_DOWN)
			bad++, fprintf(stderr, "portfolio %d: CAC above the cap not down\n", i);
		if (isfinite(o.cac_cap) && p.cac.low <= o.cac_cap && !(p.cac.high <= o.cac_cap) &&
		    (p.direction == BP_UP || (p.direction == BP_DOWN && p.cap != BP_CAP_HIST)))
			bad++, fprintf(stderr, "portfolio %d: a straddle moved\n", i);
		if (!isfinite(o.cac_cap) && (p.cap == BP_CAP_CAC_ABOVE || p.cap == BP_CAP_CAC_STRADDLES ||
					     p.cap == BP_CAP_MARGINAL_ABOVE))
			bad++, fprintf(stderr, "portfolio %d: a cap reason without a cap\n", i);
		if (memcmp(&p, &q, sizeof p) != 0)
			bad++, fprintf(stderr, "portfolio %d: not deterministic\n", i);
		if (bad > 20)
			break;
	}
	CHECK_INT(bad, 0);
	/* not vacuous: every rule and direction happened */
	for (i = 0; i < 5; i++)
		CHECK(seen[i] > 100);
	for (i = 0; i < 3; i++)
		CHECK(dirs[i] > 500);
	fprintf(stderr, "portfolios: %d hold, %d up, %d down; caps %d none, %d above, %d straddle, %d marginal, %d hist\n",
		dirs[0], dirs[1], dirs[2], seen[0], seen[1], seen[2], seen[3], seen[4]);
	gsl_rng_free(r);
}

int main(void)
{
	test_band();
	test_rules();
	test_share_factor();
	test_property();
	return h_done("budget-propose");
}
