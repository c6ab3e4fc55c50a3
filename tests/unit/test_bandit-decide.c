/*
 * bandit-decide's models (mab.c, linear.c): the random numbers against their
 * distributions, the posteriors and p_best against closed forms, MABWiser's
 * UCB1 and epsilon-greedy by hand, the exploration rule and the CAC cap as a
 * property over random campaigns, the served slates, and LinTS/LinUCB
 * against independent linear algebra.  The long simulations (regret) are in
 * test_bandit-decide_regret.c.
 *
 * Every random test has a fixed seed and a tolerance taken from the
 * mathematics (stated where it is used): a correct implementation fails one
 * of them with a probability of about 1e-4 or less, and a given seed either
 * passes or fails forever.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sort.h>

#include "harness.h"
#include "cacband.h"
#include "../../cmd/bandit-decide/mab.h"
#include "../../cmd/bandit-decide/linear.h"

static int near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

/* ------------------------------------------------------------------------ */
/* the random numbers */

/*
 * The one-sample Kolmogorov-Smirnov statistic of x[0..n) (sorted here)
 * against the CDF F.  Under the null, P(sqrt(n) D > 1.63) = 0.01
 * (Kolmogorov's distribution, asymptotically; n >= 20000 is deep in the
 * asymptote), so 1.63 / sqrt(n) is the 1% critical value.
 */
static double ks_D(double *x, size_t n, double (*F)(double, const double *), const double *par)
{
	double D = 0;
	size_t i;

	gsl_sort(x, 1, n);
	for (i = 0; i < n; i++) {
		double f = F(x[i], par);
		double lo = f - (double)i / (double)n, hi = (double)(i + 1) / (double)n - f;
		if (lo > D)
			D = lo;
		if (hi > D)
			D = hi;
	}
	return D;
}

static double cdf_beta(double x, const double *p) { return gsl_cdf_beta_P(x, p[0], p[1]); }
static double cdf_gamma(double x, const double *p) { return gsl_cdf_gamma_P(x, p[0], 1); }
static double cdf_normal(double x, const double *p) { (void)p; return gsl_cdf_ugaussian_P(x); }

#define KS_N 20000

/*
 * Marsaglia and Tsang's method as their paper writes it (one squeeze, then
 * the logarithms), on the same normal and uniform stream: mab_gamma's extra
 * squeeze may only skip logarithms, never change a verdict, so the two
 * give the same numbers bit for bit.
 */
static double gamma_reference(struct mab_rng *r, double a)
{
	double a1 = a < 1 ? a + 1 : a, d = a1 - 1.0 / 3, c = 1 / sqrt(9 * d), x, v, u;

	for (;;) {
		do {
			x = mab_normal(r);
			v = 1 + c * x;
		} while (v <= 0);
		v = v * v * v;
		u = mab_uniform(r);
		if (u < 1 - 0.0331 * x * x * x * x)
			break;
		if (log(u) < 0.5 * x * x + d * (1 - v + log(v)))
			break;
	}
	return a < 1 ? d * v * pow(mab_uniform(r), 1 / a) : d * v;
}

static void test_gamma_reference(void)
{
	static const double shapes[] = { 0.3, 1, 1.5, 7.5, 50, 1e4, 3e6 };
	size_t q;
	long i;

	for (q = 0; q < sizeof shapes / sizeof *shapes; q++) {
		struct mab_rng r, r2;
		long differ = 0;
		mab_rng_seed(&r, 4242 + q);
		r2 = r;
		for (i = 0; i < 200000; i++)
			if (mab_gamma(&r, shapes[q]) != gamma_reference(&r2, shapes[q]))
				differ++;
		CHECK_INT(differ, 0);
		CHECK(memcmp(&r, &r2, sizeof r) == 0);
	}
}

static void test_rng(void)
{
	static double x[1000000];
	struct mab_rng r, s;
	double crit = 1.63 / sqrt(KS_N), lo = 1, hi = 0, sum = 0, D;
	static const double betas[][2] = {
		{ 1, 1 }, { 2, 5 }, { 0.5, 0.5 }, { 0.2, 3 }, { 3, 0.4 }, { 0.2, 0.2 }, { 0.05, 8 },
		{ 31, 1170 }, { 5000, 200000 }, { 1, 2000 },
	};
	/* (a Beta with both shapes far below 1, e.g. 0.05, puts 8% of its mass
	 * within 2^-53 of 1, where doubles round it to 1: not testable this
	 * way, and not a property of the sampler) */
	static const double gammas[] = { 0.3, 1, 7.5, 0.02, 1000 };
	size_t i, j, tail = 0, N;

	/* the same seed, the same stream; another seed, another */
	mab_rng_seed(&r, 123456);
	mab_rng_seed(&s, 123456);
	CHECK(mab_rng_next(&r) == mab_rng_next(&s));
	mab_rng_seed(&s, 123457);
	CHECK(mab_rng_next(&r) != mab_rng_next(&s));
	/* seeding: the state is splitmix64's first four outputs; for seed 0
	 * those are 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, ... (Vigna's
	 * reference implementation) */
	mab_rng_seed(&r, 0);
	CHECK(r.s[0] == 0xe220a8397b1dcdafULL && r.s[1] == 0x6e789e6aa1b965f4ULL);
	/* xoshiro256** from the state {1, 2, 3, 4}: 11520, 0, 1509978240,
	 * 1215971899390074240 (the reference C code) */
	r.s[0] = 1, r.s[1] = 2, r.s[2] = 3, r.s[3] = 4;
	CHECK(mab_rng_next(&r) == 11520ULL);
	CHECK(mab_rng_next(&r) == 0ULL);
	CHECK(mab_rng_next(&r) == 1509978240ULL);
	CHECK(mab_rng_next(&r) == 1215971899390074240ULL);

	/* uniforms: strictly inside (0, 1), on the 53-bit grid (k + 1/2) 2^-53 */
	mab_rng_seed(&r, 1);
	for (i = 0; i < 1000000; i++) {
		double u = mab_uniform(&r), k = u * 0x1p53 - 0.5;
		if (u < lo)
			lo = u;
		if (u > hi)
			hi = u;
		sum += u;
		if (k != floor(k))
			break;
	}
	CHECK_INT(i, 1000000);
	CHECK(lo > 0 && hi < 1);
	/* mean of 1e6 uniforms: sd = sqrt(1/12 / 1e6) = 2.9e-4; 4 sd */
	CHECK(near(sum / 1e6, 0.5, 4 * sqrt(1.0 / 12 / 1e6)));

	/* normals: KS on a million draws (critical value 0.00163), then the
	 * ziggurat's tail beyond R = 3.6541528853610088 (the base strip's
	 * exact tail algorithm): P(|Z| > R) = 2.5808e-4, within 4 binomial sd */
	mab_rng_seed(&r, 2);
	N = 1000000;
	for (i = 0; i < N; i++) {
		x[i] = mab_normal(&r);
		tail += fabs(x[i]) > 3.6541528853610088;
	}
	D = ks_D(x, N, cdf_normal, NULL);
	fprintf(stderr, "ks normal n=%zu: D = %.5f (critical %.5f)\n", N, D, 1.63 / sqrt((double)N));
	CHECK(D < 1.63 / sqrt((double)N));
	{
		double p = 2 * gsl_cdf_ugaussian_Q(3.6541528853610088);
		fprintf(stderr, "normal tail beyond R: %zu, expected %.1f\n", tail, p * (double)N);
		CHECK(fabs((double)tail - p * (double)N) < 4 * sqrt(p * (1 - p) * (double)N));
	}
	/* moments: mean 0 (sd 1e-3), E z^4 = 3 (sd of the mean sqrt(96)/1e3) */
	{
		double m1 = 0, m4 = 0;
		for (i = 0; i < N; i++)
			m1 += x[i], m4 += x[i] * x[i] * x[i] * x[i];
		CHECK(near(m1 / (double)N, 0, 4e-3));
		CHECK(near(m4 / (double)N, 3, 4 * sqrt(96.0) / 1e3));
	}

	/* Betas */
	for (j = 0; j < sizeof betas / sizeof *betas; j++) {
		mab_rng_seed(&r, 100 + j);
		for (i = 0; i < KS_N; i++)
			x[i] = mab_beta(&r, betas[j][0], betas[j][1]);
		D = ks_D(x, KS_N, cdf_beta, betas[j]);
		fprintf(stderr, "ks beta(%g, %g) n=%d: D = %.5f (critical %.5f)\n",
			betas[j][0], betas[j][1], KS_N, D, crit);
		CHECK(D < crit);
	}
	/* the test has power: Beta(2, 5) draws against Beta(2, 5.3) are rejected */
	{
		const double wrong[2] = { 2, 5.3 };
		mab_rng_seed(&r, 101);
		for (i = 0; i < KS_N; i++)
			x[i] = mab_beta(&r, 2, 5);
		D = ks_D(x, KS_N, cdf_beta, wrong);
		CHECK(D > crit);
	}
	/* Gammas */
	for (j = 0; j < sizeof gammas / sizeof *gammas; j++) {
		mab_rng_seed(&r, 200 + j);
		for (i = 0; i < KS_N; i++)
			x[i] = mab_gamma(&r, gammas[j]);
		D = ks_D(x, KS_N, cdf_gamma, &gammas[j]);
		fprintf(stderr, "ks gamma(%g) n=%d: D = %.5f (critical %.5f)\n", gammas[j], KS_N, D, crit);
		CHECK(D < crit);
	}
	/* a Beta of tiny shapes never comes out NaN (the log-space route) */
	mab_rng_seed(&r, 300);
	for (i = 0; i < 100000; i++) {
		double b = mab_beta(&r, 0.001, 0.002);
		if (!(b >= 0 && b <= 1))
			break;
	}
	CHECK_INT(i, 100000);
}

/* ------------------------------------------------------------------------ */
/* posteriors */

static struct mab_arm arm(double n, double s)
{
	struct mab_arm a = { n, s, NAN, NAN };
	return a;
}

static void test_posterior(void)
{
	struct mab_arm arms[3] = { arm(100, 7), arm(0, 0), arm(50, 12.5) };
	struct mab_result out[3];
	struct mab_params p;
	struct mab_rng r;
	static const double A[3] = { 8, 1, 13.5 }, B[3] = { 94, 1, 38.5 };
	size_t i;

	mab_params_default(&p);
	CHECK(p.prior_a == 1 && p.prior_b == 1 && p.ucb_alpha == 1 && p.epsilon == 0.1);
	CHECK(p.exploration == 0.10 && isnan(p.cac_cap) && p.cac_prior_conv == 1);
	CHECK(p.slate == 1 && p.draws == 10000 && p.policy == MAB_THOMPSON);
	mab_rng_seed(&r, 1);
	mab_decide(arms, 3, &p, &r, out);
	for (i = 0; i < 3; i++) {
		CHECK(out[i].alpha == A[i] && out[i].beta == B[i]);
		CHECK(near(out[i].mean, A[i] / (A[i] + B[i]), 1e-15));
		/* the interval is GSL's Beta quantiles, and they are quantiles */
		CHECK(near(out[i].ci_low, gsl_cdf_beta_Pinv(0.05, A[i], B[i]), 1e-14));
		CHECK(near(out[i].ci_high, gsl_cdf_beta_Pinv(0.95, A[i], B[i]), 1e-14));
		CHECK(near(gsl_cdf_beta_P(out[i].ci_low, A[i], B[i]), 0.05, 1e-10));
		CHECK(near(gsl_cdf_beta_P(out[i].ci_high, A[i], B[i]), 0.95, 1e-10));
		CHECK(out[i].score == out[i].mean);   /* Thompson's score */
		CHECK(isnan(out[i].cac_low) && !out[i].cac_capped);
	}
	CHECK(out[0].empirical_mean == 0.07 && out[1].empirical_mean == 0 && out[2].empirical_mean == 0.25);
	/* Beta(1, 1): the 90% interval is [0.05, 0.95] exactly */
	CHECK(near(out[1].ci_low, 0.05, 1e-12) && near(out[1].ci_high, 0.95, 1e-12));
	/* the leader: the arm without data (mean 1/2) */
	CHECK(out[1].leader && !out[0].leader && !out[2].leader);

	/* a custom prior */
	p.prior_a = 2;
	p.prior_b = 5;
	mab_decide(arms, 3, &p, &r, out);
	CHECK(out[0].alpha == 9 && out[0].beta == 98);
	CHECK(out[1].alpha == 2 && out[1].beta == 5);
	CHECK(out[2].alpha == 14.5 && out[2].beta == 42.5);
	CHECK(near(out[0].ci_low, gsl_cdf_beta_Pinv(0.05, 9, 98), 1e-14));
	CHECK(near(out[1].ci_high, gsl_cdf_beta_Pinv(0.95, 2, 5), 1e-14));

	/* huge counts: the quantiles still come out, inside the interval */
	{
		struct mab_arm big[2] = { arm(2e8, 1e6), arm(1e9, 3e7) };
		p.prior_a = p.prior_b = 1;
		p.draws = 100;
		mab_decide(big, 2, &p, &r, out);
		for (i = 0; i < 2; i++) {
			CHECK(out[i].ci_low < out[i].mean && out[i].mean < out[i].ci_high);
			CHECK(near(gsl_cdf_beta_P(out[i].ci_low, out[i].alpha, out[i].beta), 0.05, 1e-6));
		}
	}
}

/* ------------------------------------------------------------------------ */
/* P(X > Y) and p_best */

static void test_p_greater(void)
{
	/* references: mpmath at 30 digits (tanh-sinh quadrature of
	 * f_X(x) F_Y(x), and Evan Miller's sum in exact arithmetic for the
	 * large case) */
	static const double ref[][5] = {
		{ 13, 109, 15, 87, 0.18029375367252667818 },
		{ 12.5, 108.5, 14.5, 86.5, 0.1799701769439845556 },
		{ 0.5, 0.5, 2.5, 3.5, 0.55764049558319659715 },
		{ 3.2, 7, 4, 2, 0.069994908817623317319 },
		{ 5000, 200000, 5100, 205000, 0.59585330274867345232 },
		{ 2, 1, 1, 1, 2.0 / 3 },
		{ 1, 1, 1, 1, 0.5 },
		{ 0.3, 2, 0.7, 0.4, 0.10316974877386091461 },
	};
	size_t i;

	for (i = 0; i < sizeof ref / sizeof *ref; i++) {
		const double *c = ref[i];
		double p = mab_beta_p_greater(c[0], c[1], c[2], c[3]);
		double q = mab_beta_p_greater(c[2], c[3], c[0], c[1]);
		/* 1e-10, the integration's target; the sums do better */
		if (!near(p, c[4], 1e-10))
			fprintf(stderr, "P(Beta(%g,%g) > Beta(%g,%g)) = %.17g, expected %.17g\n",
				c[0], c[1], c[2], c[3], p, c[4]);
		CHECK(near(p, c[4], 1e-10));
		CHECK(near(p + q, 1, 1e-10));           /* P(X > Y) + P(Y > X) = 1 */
	}
	/* non-integer large shapes (the integration route): symmetry, and
	 * stochastic order (Beta(a, b) grows with a and shrinks with b) puts it
	 * between two integer cases computed by the sum */
	{
		double p = mab_beta_p_greater(5000.5, 200000.5, 5100.5, 205000.5);
		double q = mab_beta_p_greater(5100.5, 205000.5, 5000.5, 200000.5);
		double lo = mab_beta_p_greater(5000, 200001, 5101, 205000);
		double hi = mab_beta_p_greater(5001, 200000, 5100, 205001);
		CHECK(near(p + q, 1, 1e-10));
		CHECK(lo < p && p < hi);
	}
	/* a direct numerical integral here, independent of mab.c: the midpoint
	 * rule on 200000 cells of f_X(x) F_Y(x), a smooth integrand for shapes
	 * >= 2 (error O(h^2 max|f''|) < 1e-8) */
	{
		static const double c[][4] = { { 13, 109, 15, 87 }, { 2.5, 3, 4, 2.2 }, { 40.5, 60, 30, 50.5 } };
		for (i = 0; i < 3; i++) {
			const int M = 200000;
			double s = 0;
			int j;
			for (j = 0; j < M; j++) {
				double xx = (j + 0.5) / M;
				s += gsl_ran_beta_pdf(xx, c[i][0], c[i][1]) * gsl_cdf_beta_P(xx, c[i][2], c[i][3]);
			}
			s /= M;
			CHECK(near(mab_beta_p_greater(c[i][0], c[i][1], c[i][2], c[i][3]), s, 1e-8));
		}
	}
}

/*
 * p_best of two arms is a Monte Carlo estimate of P(theta_0 > theta_1):
 * binomial, sd sqrt(p (1 - p) / draws); within 4 sd.
 */
static void test_p_best(void)
{
	struct mab_params p;
	struct mab_rng r;
	struct mab_result out[4];
	size_t i;

	mab_params_default(&p);
	p.draws = 100000;
	mab_rng_seed(&r, 42);
	{
		struct mab_arm a[2] = { arm(120, 12), arm(100, 14) };     /* Beta(13,109), Beta(15,87) */
		double pg = mab_beta_p_greater(13, 109, 15, 87), sd = sqrt(pg * (1 - pg) / p.draws);
		mab_decide(a, 2, &p, &r, out);
		fprintf(stderr, "p_best two arms: %.5f, exact %.5f (sd %.5f)\n", out[0].p_best, pg, sd);
		CHECK(near(out[0].p_best, pg, 4 * sd));
		CHECK(near(out[0].p_best + out[1].p_best, 1, 1e-12));
		CHECK(out[0].p_in_slate == out[0].p_best);
		/* Thompson's raw share is p_best; the leader is arm 1 (mean 0.147) */
		CHECK(out[1].leader && out[0].raw_share == out[0].p_best);
		/* the exploration rule: the loser's p_best (0.18) > 0.10, so it is
		 * scaled to exactly the budget */
		CHECK(near(out[0].share, 0.10, 1e-15) && near(out[1].share, 0.90, 1e-15));
		CHECK(out[0].exploration && !out[1].exploration);
	}
	{
		/* Jeffreys prior: fractional posteriors, the integration route */
		struct mab_arm a[2] = { arm(120, 12), arm(100, 14) };
		double pg, sd;
		p.prior_a = p.prior_b = 0.5;
		mab_decide(a, 2, &p, &r, out);
		pg = mab_beta_p_greater(12.5, 108.5, 14.5, 86.5);
		sd = sqrt(pg * (1 - pg) / p.draws);
		fprintf(stderr, "p_best Jeffreys: %.5f, exact %.5f (sd %.5f)\n", out[0].p_best, pg, sd);
		CHECK(near(out[0].p_best, pg, 4 * sd));
		p.prior_a = p.prior_b = 1;
	}
	{
		/* slates: with k = 2 of 3 arms, p_in_slate sums to 2, shares p_in_slate/2;
		 * with k = 3 every arm is always in */
		struct mab_arm a[3] = { arm(200, 20), arm(200, 24), arm(200, 16) };
		double s = 0, sb = 0;
		p.slate = 2;
		p.exploration = 1;    /* the raw shares stand */
		mab_decide(a, 3, &p, &r, out);
		for (i = 0; i < 3; i++) {
			s += out[i].p_in_slate;
			sb += out[i].p_best;
			CHECK(out[i].p_in_slate >= out[i].p_best);
			CHECK(near(out[i].share, out[i].p_in_slate / 2, 1e-15));
		}
		CHECK(near(s, 2, 1e-12) && near(sb, 1, 1e-12));
		p.slate = 3;
		mab_decide(a, 3, &p, &r, out);
		for (i = 0; i < 3; i++)
			CHECK(out[i].p_in_slate == 1 && near(out[i].share, 1.0 / 3, 1e-15));
		/* k above the number of arms: as k = m */
		p.slate = 9;
		mab_decide(a, 3, &p, &r, out);
		for (i = 0; i < 3; i++)
			CHECK(out[i].p_in_slate == 1 && near(out[i].share, 1.0 / 3, 1e-15));
	}
}

/* ------------------------------------------------------------------------ */
/* MABWiser's UCB1 and epsilon-greedy */

static void test_mabwiser(void)
{
	/* tests/test_ucb.py::test_alpha1: decisions [1,1,1,2,2,3,3,3,3,3],
	 * rewards [0,0,1,0,0,0,0,1,1,1] -> arm 1 */
	struct mab_arm a[3] = { arm(3, 1), arm(2, 0), arm(5, 3) };
	struct mab_result out[3];
	struct mab_params p;
	struct mab_rng r;
	double e[3];
	size_t pick[3];
	double scratch[3];
	int i;

	mab_params_default(&p);
	p.policy = MAB_UCB1;
	p.draws = 1000;
	mab_rng_seed(&r, 123456);
	mab_decide(a, 3, &p, &r, out);
	/* MABWiser: mean + alpha * sqrt(2 * log(total_count) / arm_count) */
	e[0] = 1.0 / 3 + sqrt(2 * log(10.0) / 3);
	e[1] = 0 + sqrt(2 * log(10.0) / 2);
	e[2] = 3.0 / 5 + sqrt(2 * log(10.0) / 5);
	for (i = 0; i < 3; i++)
		CHECK(near(out[i].score, e[i], 1e-12));
	CHECK(out[0].raw_share == 1 && out[1].raw_share == 0 && out[2].raw_share == 0);
	/* the leader by posterior mean is arm 3 (4/7), not UCB1's pick: the
	 * exploration rule gives the leader 1 - e and arm 1 the budget */
	CHECK(out[2].leader);
	CHECK(near(out[2].share, 0.9, 1e-15) && near(out[0].share, 0.1, 1e-15) && out[1].share == 0);
	CHECK(out[0].exploration && !out[1].exploration && !out[2].exploration);
	/* served: the argmax first */
	CHECK_INT(mab_pick_slate(e, NULL, 3, 3, 0, &r, scratch, pick), 3);
	CHECK(pick[0] == 0 && pick[1] == 2 && pick[2] == 1);
	/* alpha scales the bonus */
	p.ucb_alpha = 0.25;
	mab_decide(a, 3, &p, &r, out);
	CHECK(near(out[2].score, 0.6 + 0.25 * sqrt(2 * log(10.0) / 5), 1e-12));
	CHECK(out[2].raw_share == 1);

	/* an arm without data keeps expectation 0 (no forced pull) */
	{
		struct mab_arm b[3] = { arm(0, 0), arm(10, 0), arm(10, 1) };
		p.ucb_alpha = 1;
		mab_decide(b, 3, &p, &r, out);
		CHECK(out[0].score == 0);
		CHECK(near(out[1].score, sqrt(2 * log(20.0) / 10), 1e-12));
		CHECK(out[2].raw_share == 1);
	}
	/* ties go to the first arm */
	{
		struct mab_arm b[3] = { arm(10, 2), arm(10, 2), arm(10, 2) };
		mab_decide(b, 3, &p, &r, out);
		CHECK(out[0].raw_share == 1 && out[0].leader);
		p.policy = MAB_EPSILON_GREEDY;
		p.epsilon = 0;
		mab_decide(b, 3, &p, &r, out);
		CHECK(out[0].raw_share == 1 && out[1].raw_share == 0);
	}

	/* epsilon-greedy, eps = 0: the argmax empirical mean (arm 3, 0.6) */
	p.policy = MAB_EPSILON_GREEDY;
	p.epsilon = 0;
	mab_decide(a, 3, &p, &r, out);
	CHECK(out[2].raw_share == 1 && out[0].raw_share == 0 && out[1].raw_share == 0);
	for (i = 0; i < 3; i++)
		CHECK(out[i].score == out[i].empirical_mean);
	/* eps = 0.3: (1 - eps) + eps/m to the argmax, eps/m to the others */
	p.epsilon = 0.3;
	p.exploration = 1;
	mab_decide(a, 3, &p, &r, out);
	CHECK(near(out[2].raw_share, 0.7 + 0.1, 1e-15));
	CHECK(near(out[0].raw_share, 0.1, 1e-15) && near(out[1].raw_share, 0.1, 1e-15));
	CHECK(near(out[0].share, 0.1, 1e-15));      /* budget 1: raw shares stand */
	/* ... under the default budget 0.10 the two explorers share 0.10 */
	p.exploration = 0.10;
	mab_decide(a, 3, &p, &r, out);
	CHECK(near(out[0].share, 0.05, 1e-15) && near(out[1].share, 0.05, 1e-15));
	CHECK(near(out[2].share, 0.9, 1e-15));

	/* served epsilon-greedy: with probability eps every score is replaced by
	 * a uniform draw.  eps = 1: each of 3 arms first a third of the time
	 * (30000 decisions: sd sqrt(2/9/30000) = 0.0027; 4 sd) */
	{
		long cnt[3] = { 0, 0, 0 }, t;
		double em[3] = { 1.0 / 3, 0, 0.6 };
		for (t = 0; t < 30000; t++) {
			mab_pick_slate(em, NULL, 3, 1, 1.0, &r, scratch, pick);
			cnt[pick[0]]++;
		}
		for (i = 0; i < 3; i++)
			CHECK(near(cnt[i] / 30000.0, 1.0 / 3, 4 * sqrt(2.0 / 9 / 30000)));
		/* eps = 0.3: arm 3 is first 0.7 + 0.3/3 of the time */
		memset(cnt, 0, sizeof cnt);
		for (t = 0; t < 30000; t++) {
			mab_pick_slate(em, NULL, 3, 1, 0.3, &r, scratch, pick);
			cnt[pick[0]]++;
		}
		CHECK(near(cnt[2] / 30000.0, 0.8, 4 * sqrt(0.8 * 0.2 / 30000)));
	}
}

/* ------------------------------------------------------------------------ */
/* the exploration rule, the CAC cap: a property over random campaigns */

static void test_explore_cap(void)
{
	double s[4] = { 0.5, 0.2, 0.2, 0.1 };
	double z[3] = { 0.2, 0.3, 0.5 };

	/* leader 0 has 0.5; the others 0.5 > 0.2: scaled by 0.4 */
	mab_explore_cap(s, 4, 0, 0.2);
	CHECK(near(s[0], 0.8, 1e-15) && near(s[1], 0.08, 1e-15) && near(s[3], 0.04, 1e-15));
	/* under the budget: unchanged */
	mab_explore_cap(s, 4, 0, 0.5);
	CHECK(near(s[0], 0.8, 1e-15));
	/* no leader: every share 0 */
	mab_explore_cap(z, 3, (size_t)-1, 0.1);
	CHECK(z[0] == 0 && z[1] == 0 && z[2] == 0);
}

static double unif(struct mab_rng *r)
{
	return mab_uniform(r);
}

static void test_property(void)
{
	struct mab_rng g, r1, r2;
	struct mab_arm a[50];
	struct mab_result o1[50], o2[50];
	int c, bad = 0, capped = 0, noelig = 0, explored = 0, differs = 0, same = 0, pol[3] = { 0, 0, 0 };
	long ncamp = 20000;

	mab_rng_seed(&g, 20261201);
	for (c = 0; c < ncamp; c++) {
		struct mab_params p;
		size_t n = 1 + (size_t)(unif(&g) * 50), i, leader = (size_t)-1, m = 0, k;
		double sum = 0, nonlead = 0, pb = 0, pis = 0;
		double cac_scale = 5 + 200 * unif(&g);
		uint64_t seed = mab_rng_next(&g);

		mab_params_default(&p);
		p.policy = (enum mab_policy)(int)(unif(&g) * 3);
		p.exploration = unif(&g) < 0.1 ? (unif(&g) < 0.5 ? 0 : 1) : unif(&g);
		p.slate = 1 + (int)(unif(&g) * 3);
		p.draws = 20 + (long)(unif(&g) * 100);
		p.epsilon = unif(&g);
		p.ucb_alpha = 2 * unif(&g);
		p.prior_a = unif(&g) < 0.8 ? 1 : 0.1 + 3 * unif(&g);
		p.prior_b = unif(&g) < 0.8 ? 1 : 0.1 + 3 * unif(&g);
		p.cac_cap = unif(&g) < 0.3 ? NAN : cac_scale * (0.3 + 2 * unif(&g));
		pol[p.policy]++;
		for (i = 0; i < n; i++) {
			double t = unif(&g) < 0.1 ? 0 : floor(exp(unif(&g) * 9));
			double rate = 0.002 + 0.2 * unif(&g) * unif(&g);
			double succ = floor(t * rate * 2 * unif(&g));
			if (succ > t)
				succ = t;
			if (unif(&g) < 0.1)
				succ = t * unif(&g);           /* fractional */
			a[i].trials = t;
			a[i].successes = succ;
			a[i].conversions = unif(&g) < 0.1 ? NAN : succ;
			a[i].spend = unif(&g) < 0.05 ? NAN : (succ + 1) * cac_scale * (0.2 + 2 * unif(&g));
		}
		mab_rng_seed(&r1, seed);
		mab_decide(a, n, &p, &r1, o1);
		/* the same seed, the same bytes (every 10th campaign: each decision
		 * costs ~10 us an arm, mostly GSL's Beta quantiles) */
		if (c % 10 == 0) {
			mab_rng_seed(&r2, seed);
			mab_decide(a, n, &p, &r2, o2);
			if (memcmp(o1, o2, n * sizeof *o1) != 0 || memcmp(&r1, &r2, sizeof r1) != 0)
				bad++, fprintf(stderr, "campaign %d: not deterministic\n", c);
			same++;
		}
		for (i = 0; i < n; i++) {
			const struct mab_result *o = &o1[i];
			int cap = isfinite(p.cac_cap) && o->cac_low > p.cac_cap;
			if (o->cac_capped != cap)
				bad++, fprintf(stderr, "campaign %d arm %zu: capped flag wrong\n", c, i);
			if (o->cac_capped && (o->share != 0 || o->p_best != 0 || o->raw_share != 0 || o->leader))
				bad++, fprintf(stderr, "campaign %d arm %zu: capped arm has share\n", c, i);
			if (o->exploration != (!o->leader && o->share > 0))
				bad++, fprintf(stderr, "campaign %d arm %zu: exploration flag wrong\n", c, i);
			if (!(o->share >= 0 && o->share <= 1 + 1e-15))
				bad++, fprintf(stderr, "campaign %d arm %zu: share %g\n", c, i, o->share);
			capped += o->cac_capped;
			explored += o->exploration;
			if (!o->cac_capped) {
				m++;
				if (leader == (size_t)-1 || o->mean > o1[leader].mean)
					leader = i;
			}
			sum += o->share;
			pb += o->p_best;
			pis += o->p_in_slate;
			if (!o->leader)
				nonlead += o->share;
		}
		k = (size_t)p.slate < m ? (size_t)p.slate : m;
		if (m == 0) {
			noelig++;
			if (sum != 0 || pb != 0)
				bad++, fprintf(stderr, "campaign %d: no eligible arm, shares %g\n", c, sum);
			for (i = 0; i < n; i++)
				if (o1[i].leader)
					bad++, fprintf(stderr, "campaign %d: a leader without eligible arms\n", c);
		} else {
			if (!o1[leader].leader)
				bad++, fprintf(stderr, "campaign %d: leader is not the best posterior mean\n", c);
			if (fabs(sum - 1) > 1e-12)
				bad++, fprintf(stderr, "campaign %d: shares sum to %.17g\n", c, sum);
			if (nonlead > p.exploration + 1e-12)
				bad++, fprintf(stderr, "campaign %d: exploration %.17g above budget %g\n",
					       c, nonlead, p.exploration);
			if (fabs(pb - 1) > 1e-12 || fabs(pis - (double)k) > 1e-9)
				bad++, fprintf(stderr, "campaign %d: p_best sums to %.17g, p_in_slate to %g\n", c, pb, pis);
		}
		/* another seed: p_best moves somewhere (once enough campaigns are seen) */
		if (m >= 2 && c % 50 == 0) {
			mab_rng_seed(&r2, seed + 1);
			mab_decide(a, n, &p, &r2, o2);
			for (i = 0; i < n; i++)
				if (o2[i].p_best != o1[i].p_best) {
					differs++;
					break;
				}
		}
		if (bad > 20)
			break;
	}
	CHECK_INT(bad, 0);
	/* not vacuous */
	CHECK(capped > 1000 && noelig > 10 && explored > 10000 && differs > 50 && same == 2000);
	CHECK(pol[0] > 5000 && pol[1] > 5000 && pol[2] > 5000);
	fprintf(stderr, "property: %ld campaigns, %d capped arms, %d campaigns all capped, %d exploring arms, "
		"%d of the reseeded campaigns moved, %d rerun identical\n", ncamp, capped, noelig, explored,
		differs, same);
}

/* The CAC band is cacband.h's with the campaign's CAC as prior. */
static void test_cac(void)
{
	struct mab_arm a[3] = { { 1000, 20, 1000, 20 }, { 1000, 5, 1500, 5 }, { 100, 0, 50, 0 } };
	struct mab_result out[3];
	struct mab_params p;
	struct mab_rng r;
	struct cac_band b;
	double camp = 2550.0 / 25;
	int i;

	mab_params_default(&p);
	p.draws = 1000;
	mab_rng_seed(&r, 5);
	mab_decide(a, 3, &p, &r, out);
	for (i = 0; i < 3; i++) {
		b = cac_band(a[i].spend, a[i].conversions, 1, camp, 0.90);
		CHECK(out[i].cac_mean == b.mean && out[i].cac_low == b.low && out[i].cac_high == b.high);
		CHECK(!out[i].cac_capped);
	}
	/* cap between arm 0's and arm 1's optimistic CAC: arm 1 is capped */
	p.cac_cap = (out[0].cac_low + out[1].cac_low) / 2;
	CHECK(out[1].cac_low > out[0].cac_low);
	mab_decide(a, 3, &p, &r, out);
	CHECK(out[1].cac_capped && out[1].share == 0 && out[1].p_best == 0);
	CHECK(!out[0].cac_capped);
	CHECK(near(out[0].share + out[2].share, 1, 1e-15));
	/* unknown conversions: no band, never capped */
	a[1].conversions = NAN;
	mab_decide(a, 3, &p, &r, out);
	CHECK(isnan(out[1].cac_low) && !out[1].cac_capped);
	/* every arm capped: all shares 0, no leader */
	a[1].conversions = 5;
	p.cac_cap = 1e-9;
	mab_decide(a, 3, &p, &r, out);
	for (i = 0; i < 3; i++)
		CHECK(out[i].cac_capped && out[i].share == 0 && !out[i].leader && !out[i].exploration);
}

/* ------------------------------------------------------------------------ */
/* served slates */

static void test_slates(void)
{
	enum { N = 100 };
	double al[N], be[N], scratch[N], copy[N];
	unsigned char avail[N];
	size_t pick[N], pick2[N], i, j, got;
	struct mab_rng r, r2;
	int ok = 1;

	mab_rng_seed(&r, 9);
	for (i = 0; i < N; i++) {
		al[i] = 1 + floor(mab_uniform(&r) * 30);
		be[i] = 1 + floor(mab_uniform(&r) * 300);
		avail[i] = mab_uniform(&r) < 0.6;
	}
	avail[0] = 0;
	/* k = 1, 3, 16 (insertion) and 17, 40 (heap): available arms only,
	 * distinct, best first, and the k largest draws (compared with a full
	 * sort of the draws left in scratch) */
	{
		static const size_t ks[] = { 1, 3, 16, 17, 40 };
		size_t q, navail = 0;
		for (i = 0; i < N; i++)
			navail += avail[i];
		for (q = 0; q < sizeof ks / sizeof *ks; q++) {
			size_t k = ks[q], idx[N], cnt = 0;
			got = mab_sample_slate(al, be, avail, N, k, &r, scratch, pick);
			if (got != k)
				ok = 0;
			for (i = 0; i < got; i++) {
				if (!avail[pick[i]])
					ok = 0;
				for (j = 0; j < i; j++)
					if (pick[j] == pick[i])
						ok = 0;
				if (i > 0 && !(scratch[pick[i - 1]] >= scratch[pick[i]]))
					ok = 0;
			}
			for (i = 0; i < N; i++)
				if (avail[i])
					copy[cnt] = scratch[i], idx[cnt] = i, cnt++;
			gsl_sort_index(idx, copy, 1, cnt);   /* ascending */
			for (i = 0; i < k; i++)
				if (copy[idx[cnt - 1 - i]] != scratch[pick[i]])
					ok = 0;
			/* mab_pick_slate on the same numbers, eps 0: the same slate */
			memcpy(copy, scratch, sizeof copy);
			if (mab_pick_slate(copy, avail, N, k, 0, &r, scratch, pick2) != k ||
			    memcmp(pick, pick2, k * sizeof *pick) != 0)
				ok = 0;
		}
		CHECK(ok);
		/* k above the available count: all of them */
		CHECK_INT(mab_sample_slate(al, be, avail, N, N, &r, scratch, pick), navail);
		CHECK_INT(mab_pick_slate(al, avail, N, N, 0.5, &r, scratch, pick), navail);
		/* NULL avail: every arm */
		CHECK_INT(mab_sample_slate(al, be, NULL, N, 5, &r, scratch, pick), 5);
	}
	/* ties: equal scores go to the lower index, for both selection paths */
	{
		double sc[30];
		for (i = 0; i < 30; i++)
			sc[i] = i % 3 == 0 ? 1 : 0.5;
		mab_pick_slate(sc, NULL, 30, 3, 0, &r, scratch, pick);
		CHECK(pick[0] == 0 && pick[1] == 3 && pick[2] == 6);
		mab_pick_slate(sc, NULL, 30, 20, 0, &r, scratch, pick);
		for (i = 0; i < 10; i++)
			CHECK_INT(pick[i], 3 * i);
		CHECK_INT(pick[10], 1);
		CHECK_INT(pick[11], 2);
		CHECK_INT(pick[19], 14);
	}
	/* determinism */
	mab_rng_seed(&r, 77);
	mab_rng_seed(&r2, 77);
	mab_sample_slate(al, be, avail, N, 5, &r, scratch, pick);
	mab_sample_slate(al, be, avail, N, 5, &r2, copy, pick2);
	CHECK(memcmp(pick, pick2, 5 * sizeof *pick) == 0);

	/*
	 * The prepared sampler draws the same numbers as mab_sample_slate: with
	 * the same seed, the same slates for k = 1 (its cross-multiplied running
	 * best), 3 and 40, over the available arms and over all of them,
	 * including shapes below 1 (the log route); and the rng ends in the
	 * same state.
	 */
	{
		struct mab_prep prep[N];
		double a2[N], b2[N];
		static const size_t ks[] = { 1, 3, 40 };
		size_t q, t;
		int same = 1;
		memcpy(a2, al, sizeof al);
		memcpy(b2, be, sizeof be);
		a2[7] = 0.4, b2[9] = 0.3;
		mab_prepare(a2, b2, N, prep);
		for (q = 0; q < sizeof ks / sizeof *ks; q++)
			for (t = 0; t < 200; t++) {
				const unsigned char *av = t % 2 ? avail : NULL;
				size_t g1, g2;
				mab_rng_seed(&r, 1000 + t);
				mab_rng_seed(&r2, 1000 + t);
				g1 = mab_sample_slate(a2, b2, av, N, ks[q], &r, scratch, pick);
				g2 = mab_sample_prepared(prep, av, N, ks[q], &r2, copy, pick2);
				if (g1 != g2 || memcmp(pick, pick2, g1 * sizeof *pick) != 0 ||
				    memcmp(&r, &r2, sizeof r) != 0)
					same = 0;
			}
		CHECK(same);
		memset(avail + 1, 0, N - 1);   /* avail[0] is 0 too: nothing to serve */
		CHECK_INT(mab_sample_prepared(prep, avail, N, 1, &r, scratch, pick), 0);
	}

	/*
	 * The served decision is Thompson sampling: arm i comes first with
	 * probability P(theta_i is the largest), which mab_decide estimates.
	 * 40000 decisions against 200000 joint draws: each frequency has sd
	 * sqrt(p (1 - p) (1/40000 + 1/200000)); 4 sd.
	 */
	{
		struct mab_arm a[4] = { arm(100, 10), arm(80, 9), arm(120, 11), arm(30, 4) };
		struct mab_result out[4];
		struct mab_params p;
		double A[4], B[4];
		long cnt[4] = { 0, 0, 0, 0 }, t, T = 40000;
		mab_params_default(&p);
		p.draws = 200000;
		mab_rng_seed(&r, 31);
		mab_decide(a, 4, &p, &r, out);
		for (i = 0; i < 4; i++)
			A[i] = out[i].alpha, B[i] = out[i].beta;
		for (t = 0; t < T; t++) {
			mab_sample_slate(A, B, NULL, 4, 1, &r, scratch, pick);
			cnt[pick[0]]++;
		}
		for (i = 0; i < 4; i++) {
			double q = out[i].p_best, f = (double)cnt[i] / (double)T;
			CHECK(near(f, q, 4 * sqrt(q * (1 - q) * (1.0 / (double)T + 1.0 / (double)p.draws))));
		}
	}
}

/* ------------------------------------------------------------------------ */
/* policy names */

static void test_names(void)
{
	static const char *const names[] = { "thompson", "ucb1", "epsilon_greedy", "lin_ts", "lin_ucb" };
	enum mab_policy p;
	int i;

	for (i = 0; i < 5; i++) {
		CHECK_STR(mab_policy_name((enum mab_policy)i), names[i]);
		CHECK(mab_policy_parse(names[i], &p) == 0 && (int)p == i);
	}
	CHECK(mab_policy_parse("ts", &p) == -1);
	CHECK(mab_policy_parse("", &p) == -1);
}

/* ------------------------------------------------------------------------ */
/* LinTS and LinUCB */

static void test_linear(void)
{
	struct lin_arm a, b, c;
	struct mab_rng r, r2;
	double x[3] = { 1, 0.5, -2 };
	size_t i, j;

	/* an aggregated row (n = 7, s = 3) is 7 rows, 3 of them rewarded */
	lin_init(&a, 3, 1.5);
	lin_init(&b, 3, 1.5);
	lin_add(&a, x, 7, 3);
	for (i = 0; i < 7; i++)
		lin_add(&b, x, 1, i < 3);
	for (i = 0; i < 9; i++)
		CHECK(near(a.A[i], b.A[i], 1e-12));
	for (i = 0; i < 3; i++)
		CHECK(near(a.b[i], b.b[i], 1e-12));
	CHECK(a.A[0] == 1.5 + 7 && a.A[1] == 3.5 && a.A[8] == 1.5 + 28);
	CHECK(a.trials == 7 && a.successes == 3);
	lin_free(&a);
	lin_free(&b);

	/* a 2 x 2 hand case: lambda 1, one row x = (1, 1) with reward 1:
	 * A = [[2,1],[1,2]], b = (1,1), A^-1 = [[2,-1],[-1,2]]/3, beta = (1/3, 1/3) */
	{
		double x11[2] = { 1, 1 }, e1[2] = { 1, 0 };
		struct lin_arm *arms[2];
		struct lin_result out[2];
		lin_init(&a, 2, 1);
		lin_add(&a, x11, 1, 1);
		CHECK_INT(lin_finish(&a), 0);
		CHECK(near(a.beta[0], 1.0 / 3, 1e-15) && near(a.beta[1], 1.0 / 3, 1e-15));
		CHECK(near(a.Ainv[0], 2.0 / 3, 1e-15) && near(a.Ainv[1], -1.0 / 3, 1e-15));
		/* L: lower Cholesky factor of A^-1: L00 = sqrt(2/3), L10 = -1/3 / L00,
		 * L11 = sqrt(2/3 - L10^2) = sqrt(1/2) */
		CHECK(near(a.L[0], sqrt(2.0 / 3), 1e-15) && a.L[1] == 0);
		CHECK(near(a.L[2], -1.0 / 3 / sqrt(2.0 / 3), 1e-15) && near(a.L[3], sqrt(0.5), 1e-15));
		CHECK(near(lin_expected(&a, e1), 1.0 / 3, 1e-15));
		CHECK(near(lin_uncertainty(&a, e1), sqrt(2.0 / 3), 1e-15));
		/* LinUCB, alpha 2, against an arm with no data (beta 0, A^-1 = I):
		 * scores 1/3 + 2 sqrt(2/3) = 1.966 and 0 + 2 * 1 = 2 */
		lin_init(&b, 2, 1);
		CHECK_INT(lin_finish(&b), 0);
		arms[0] = &a, arms[1] = &b;
		mab_rng_seed(&r, 3);
		lin_decide(arms, 2, e1, MAB_LIN_UCB, 2, NULL, 0.1, 1000, &r, out);
		CHECK(near(out[0].score, 1.0 / 3 + 2 * sqrt(2.0 / 3), 1e-15));
		CHECK(near(out[1].score, 2, 1e-15));
		/* the argmax score is arm 1; the leader (argmax expected) arm 0:
		 * the budget goes to arm 1 */
		CHECK(out[0].leader && near(out[0].share, 0.9, 1e-15) && near(out[1].share, 0.1, 1e-15));
		CHECK(out[1].exploration);
		/* LinTS p_best: P(N(1/3, 4 * 2/3) > N(0, 4)) = Phi((1/3) / sqrt(8/3 + 4)),
		 * Monte Carlo with 100000 draws: 4 binomial sd */
		lin_decide(arms, 2, e1, MAB_LIN_TS, 2, NULL, 1, 100000, &r, out);
		{
			double q = gsl_cdf_ugaussian_P((1.0 / 3) / sqrt(8.0 / 3 + 4));
			CHECK(near(out[0].p_best, q, 4 * sqrt(q * (1 - q) / 100000)));
			CHECK(near(out[0].p_best + out[1].p_best, 1, 1e-12));
			CHECK(out[0].share == out[0].p_best);          /* budget 1 */
		}
		/* a capped arm is out: p_best 0, share 0; the other takes all */
		{
			unsigned char cap[2] = { 0, 1 };
			lin_decide(arms, 2, e1, MAB_LIN_TS, 2, cap, 0.1, 1000, &r, out);
			CHECK(out[1].share == 0 && out[1].p_best == 0 && out[0].share == 1 && out[0].p_best == 1);
		}
		lin_free(&a);
		lin_free(&b);
	}

	/*
	 * beta against the ridge solution by another solver: 60 random rows in
	 * d = 4, normal equations (X'X + lambda I) beta = X'y solved by LU
	 * (GSL), with the rows expanded one by one (aggregated rows as n
	 * single rows).  Agreement to 1e-10 relative: both are backward stable
	 * on a matrix with condition number < 1e3.
	 */
	{
		enum { D = 4 };
		gsl_matrix *M = gsl_matrix_calloc(D, D), *P = gsl_matrix_alloc(D, D);
		gsl_vector *v = gsl_vector_calloc(D), *sol = gsl_vector_alloc(D);
		gsl_permutation *perm = gsl_permutation_alloc(D);
		double xr[D];
		int sgn, k, ok = 1;

		mab_rng_seed(&r, 11);
		lin_init(&a, D, 0.7);
		for (i = 0; i < D; i++)
			gsl_matrix_set(M, i, i, 0.7);
		for (k = 0; k < 60; k++) {
			double n = 1 + floor(mab_uniform(&r) * 5), s = floor(mab_uniform(&r) * (n + 1));
			for (i = 0; i < D; i++)
				xr[i] = mab_normal(&r);
			lin_add(&a, xr, n, s);
			for (; n > 0; n--, s--) {
				double y = s > 0;
				for (i = 0; i < D; i++) {
					for (j = 0; j < D; j++)
						gsl_matrix_set(M, i, j, gsl_matrix_get(M, i, j) + xr[i] * xr[j]);
					gsl_vector_set(v, i, gsl_vector_get(v, i) + y * xr[i]);
				}
			}
		}
		CHECK_INT(lin_finish(&a), 0);
		gsl_matrix_memcpy(P, M);
		gsl_linalg_LU_decomp(P, perm, &sgn);
		gsl_linalg_LU_solve(P, perm, v, sol);
		for (i = 0; i < D; i++)
			if (!near(a.beta[i], gsl_vector_get(sol, i), 1e-10 * (1 + fabs(a.beta[i]))))
				ok = 0;
		CHECK(ok);
		/* A^-1 A = I, L L' = A^-1, L lower */
		for (i = 0; i < D; i++)
			for (j = 0; j < D; j++) {
				double s = 0, t = 0;
				size_t q;
				for (q = 0; q < D; q++) {
					s += a.Ainv[i * D + q] * a.A[q * D + j];
					t += a.L[i * D + q] * a.L[j * D + q];
				}
				if (!near(s, i == j, 1e-12) || !near(t, a.Ainv[i * D + j], 1e-14) ||
				    (j > i && a.L[i * D + j] != 0))
					ok = 0;
			}
		CHECK(ok);

		/*
		 * LinTS draws x.beta~ for beta~ ~ N(beta, alpha^2 A^-1): for x = e_i
		 * and x = e_i + e_j (the covariance by polarisation), 20000 draws
		 * each; the mean is within 4 sd / sqrt(n) of x.beta and the
		 * variance within 4 sigma^2 sqrt(2 / n) of alpha^2 x'A^-1 x (the
		 * sample variance of normals has sd sigma^2 sqrt(2/(n-1))).
		 */
		{
			const double alpha = 1.7;
			const long n = 20000;
			double work[D], xe[D];
			size_t i2;
			int fails = 0, tests = 0;
			for (i = 0; i < D; i++)
				for (i2 = i; i2 < D; i2++) {
					double m = 0, m2 = 0, mu, var, sig2;
					long t;
					memset(xe, 0, sizeof xe);
					xe[i] += 1;
					xe[i2] += 1;
					mu = lin_expected(&a, xe);
					sig2 = alpha * alpha * lin_uncertainty(&a, xe) * lin_uncertainty(&a, xe);
					for (t = 0; t < n; t++) {
						double y = lin_ts_sample(&a, xe, alpha, &r, work);
						m += y;
						m2 += (y - mu) * (y - mu);
					}
					m /= (double)n;
					var = m2 / (double)n;
					tests++;
					if (!near(m, mu, 4 * sqrt(sig2 / (double)n)) ||
					    !near(var, sig2, 4 * sig2 * sqrt(2.0 / (double)n))) {
						fails++;
						fprintf(stderr, "lints x=e%zu+e%zu: mean %g (%g), var %g (%g)\n",
							i, i2, m, mu, var, sig2);
					}
				}
			CHECK_INT(fails, 0);
			CHECK_INT(tests, D * (D + 1) / 2);
			/* determinism */
			mab_rng_seed(&r, 5);
			mab_rng_seed(&r2, 5);
			CHECK(lin_ts_sample(&a, xr, alpha, &r, work) == lin_ts_sample(&a, xr, alpha, &r2, work));
		}
		lin_free(&a);
		gsl_matrix_free(M);
		gsl_matrix_free(P);
		gsl_vector_free(v);
		gsl_vector_free(sol);
		gsl_permutation_free(perm);
	}

	/* not positive definite: -1, not an abort */
	lin_init(&c, 2, 0);
	CHECK_INT(lin_finish(&c), -1);
	lin_free(&c);

	/* lin_pick_slate: available arms only, best first, k respected */
	{
		struct lin_arm arm3[3], *arms[3];
		double xx[2] = { 1, 0.3 }, sc[5];
		unsigned char av[3] = { 1, 0, 1 };
		size_t pick[3];
		for (i = 0; i < 3; i++) {
			double row[2] = { 1, (double)i };
			lin_init(&arm3[i], 2, 1);
			lin_add(&arm3[i], row, 100, 10.0 * (double)(i + 1));
			CHECK_INT(lin_finish(&arm3[i]), 0);
			arms[i] = &arm3[i];
		}
		mab_rng_seed(&r, 8);
		CHECK_INT(lin_pick_slate(arms, 3, xx, MAB_LIN_UCB, 1, av, 3, &r, sc, pick), 2);
		CHECK(pick[0] == 2 && pick[1] == 0);
		CHECK_INT(lin_pick_slate(arms, 3, xx, MAB_LIN_TS, 1, NULL, 2, &r, sc, pick), 2);
		CHECK(pick[0] != pick[1] && pick[0] < 3 && pick[1] < 3);
		mab_rng_seed(&r, 8);
		mab_rng_seed(&r2, 8);
		{
			size_t p1[3], p2[3];
			lin_pick_slate(arms, 3, xx, MAB_LIN_TS, 1, NULL, 3, &r, sc, p1);
			lin_pick_slate(arms, 3, xx, MAB_LIN_TS, 1, NULL, 3, &r2, sc, p2);
			CHECK(memcmp(p1, p2, sizeof p1) == 0);
		}
		for (i = 0; i < 3; i++)
			lin_free(&arm3[i]);
	}
}

/* Each part's CPU time on stderr, so that a slow change shows. */
static void timed(const char *name, void (*fn)(void))
{
	clock_t t0 = clock();

	fn();
	fprintf(stderr, "%s: %.2f s\n", name, (double)(clock() - t0) / CLOCKS_PER_SEC);
}

int main(void)
{
	timed("rng", test_rng);
	timed("gamma_reference", test_gamma_reference);
	timed("posterior", test_posterior);
	timed("p_greater", test_p_greater);
	timed("p_best", test_p_best);
	timed("mabwiser", test_mabwiser);
	timed("explore_cap", test_explore_cap);
	timed("cac", test_cac);
	timed("property", test_property);
	timed("slates", test_slates);
	timed("names", test_names);
	timed("linear", test_linear);
	return h_done("bandit-decide");
}
