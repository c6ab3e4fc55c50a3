/*
 * ltv-fit's fits recover known parameters: customers simulated from the
 * BG/NBD and Gamma-Gamma processes (fixed seed), fitted, and the 90% Wald
 * intervals of the log-parameters (from the inverse Hessian) checked for
 * coverage over R replications; plus one large fit where every truth lies
 * inside its 99.9% interval.
 *
 * Tolerance: the coverage of each parameter over R independent fits is
 * Binomial(R, 0.90)/R when the intervals are right, so it is held to
 * 0.90 +- 3 sqrt(0.09/R) (a 3-sigma band; 7 parameters, so a false alarm has
 * probability about 7 x 0.0027 at worst -- and the seed is fixed).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "harness.h"
#include "../../cmd/ltv-fit/model.h"

static const double truth_bg[BG_NP] = { 0.55, 6.5, 0.85, 2.75 };
static const double truth_gg[GG_NP] = { 4.5, 3.5, 12.0 };

/* One customer of the BG/NBD process observed for T periods after the
 * first purchase, and the mean of its repeat values. */
static void simulate(gsl_rng *g, int n, int *x, double *tx, double *T, double *zbar)
{
	int i;
	for (i = 0; i < n; i++) {
		double lam = gsl_ran_gamma(g, truth_bg[BG_R], 1 / truth_bg[BG_ALPHA]);
		double p = gsl_ran_beta(g, truth_bg[BG_A], truth_bg[BG_B]);
		double nu = gsl_ran_gamma(g, truth_gg[GG_Q], 1 / truth_gg[GG_GAMMA]);
		double t = 0, sum = 0;
		int k = 0;
		/* ages spread over a year and a half of weekly cohorts */
		T[i] = 13 + floor(gsl_rng_uniform(g) * 66);
		tx[i] = 0;
		for (;;) {
			t += gsl_ran_exponential(g, 1 / lam);
			if (t > T[i])
				break;
			k++;
			tx[i] = t;
			sum += gsl_ran_gamma(g, truth_gg[GG_P], 1 / nu);
			if (gsl_rng_uniform(g) < p)   /* drops out after this purchase */
				break;
		}
		x[i] = k;
		zbar[i] = k > 0 ? sum / k : NAN;
	}
}

static int fit_both(int n, const int *x, const double *tx, const double *T, const double *z,
		    struct fit *bf, struct fit *gf)
{
	struct bg_data bd;
	struct gg_data gd;
	char err[256];
	int rc;

	bg_data_build(&bd, x, tx, T, (size_t)n);
	gg_data_build(&gd, x, z, (size_t)n);
	rc = bg_fit(&bd, bf, err, sizeof err) || gg_fit(&gd, gf, err, sizeof err);
	bg_data_free(&bd);
	gg_data_free(&gd);
	return rc;
}

/* |log th - log truth| / se(log th) */
static double zscore(const struct fit *f, int i, double truth)
{
	return fabs(log(f->th[i]) - log(truth)) / sqrt(f->cov[i * f->np + i]);
}

int main(void)
{
	enum { R = 200, N = 2000, BIG = 40000 };
	static int x[BIG];
	static double tx[BIG], T[BIG], z[BIG];
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
	int cover_bg[BG_NP] = { 0 }, cover_gg[GG_NP] = { 0 }, rep, i, ok = 0;
	const double zc = 1.6448536269514722, band = 3 * sqrt(0.09 / R);
	struct fit bf, gf;

	gsl_rng_set(g, 20250611);
	for (rep = 0; rep < R; rep++) {
		simulate(g, N, x, tx, T, z);
		if (fit_both(N, x, tx, T, z, &bf, &gf) != 0 || !bf.cov_ok || !gf.cov_ok ||
		    !bf.converged || !gf.converged)
			continue;
		ok++;
		for (i = 0; i < BG_NP; i++)
			cover_bg[i] += zscore(&bf, i, truth_bg[i]) <= zc;
		for (i = 0; i < GG_NP; i++)
			cover_gg[i] += zscore(&gf, i, truth_gg[i]) <= zc;
	}
	CHECK_INT(ok, R);     /* every fit converged with a positive definite Hessian */
	for (i = 0; i < BG_NP; i++) {
		double c = (double)cover_bg[i] / R;
		printf("BG/NBD parameter %d: 90%% coverage %.3f over %d fits\n", i, c, R);
		CHECK(fabs(c - 0.90) <= band);
	}
	for (i = 0; i < GG_NP; i++) {
		double c = (double)cover_gg[i] / R;
		printf("Gamma-Gamma parameter %d: 90%% coverage %.3f over %d fits\n", i, c, R);
		CHECK(fabs(c - 0.90) <= band);
	}

	/* one large fit: every truth inside its 99.9% interval (|z| < 3.29) */
	simulate(g, BIG, x, tx, T, z);
	CHECK_INT(fit_both(BIG, x, tx, T, z, &bf, &gf), 0);
	for (i = 0; i < BG_NP; i++) {
		printf("large fit: BG/NBD %d: %.4f (truth %.4f, z %.2f)\n", i, bf.th[i], truth_bg[i],
		       zscore(&bf, i, truth_bg[i]));
		CHECK(zscore(&bf, i, truth_bg[i]) < 3.2905);
	}
	for (i = 0; i < GG_NP; i++) {
		printf("large fit: Gamma-Gamma %d: %.4f (truth %.4f, z %.2f)\n", i, gf.th[i],
		       truth_gg[i], zscore(&gf, i, truth_gg[i]));
		CHECK(zscore(&gf, i, truth_gg[i]) < 3.2905);
	}
	gsl_rng_free(g);
	return h_done("ltv-fit_recovery");
}
