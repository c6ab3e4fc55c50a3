/*
 * The NUTS sampler and the convergence diagnostics of mmm-fit.
 *
 * Every run has a fixed seed, so the test is deterministic; the tolerances
 * are still derived from Monte Carlo error so that they would hold for other
 * seeds with high probability: a posterior mean within 4 MCSE (sd / sqrt(ESS),
 * ESS of that coordinate), a variance within 4 MCSE of the variance (sd of
 * the squared deviations / sqrt(their ESS); about 4 sqrt(2/ESS) var for a
 * Gaussian).  With ~60 such checks at 4 sigma the chance that some seed
 * fails is below 1%.  R-hat < 1.01 is the conventional threshold rather
 * than an MC bound: with ~1000 ESS over 8 split chains, R-hat - 1 is about
 * 0.003 +- 0.002, and in a sweep of 40 seeds the diagonal-metric run of the
 * 10-d Gaussian crossed 1.01 on some coordinate for 3 of them (the moment
 * checks never failed).  The seeds here pass.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "../../cmd/mmm-fit/diag.h"
#include "harness.h"
#include "../../cmd/mmm-fit/nuts.h"

#define D10 10

/* ---- a Gaussian target N(mu, Sigma), given its precision ---- */

struct gauss {
	int d;
	double mu[16];
	double prec[16 * 16];
};

static double gauss_logp(const double *x, double *g, void *ctx)
{
	const struct gauss *G = ctx;
	int d = G->d;
	double r[16], lp = 0;
	for (int i = 0; i < d; i++)
		r[i] = x[i] - G->mu[i];
	for (int i = 0; i < d; i++) {
		double s = 0;
		for (int j = 0; j < d; j++)
			s += G->prec[i * d + j] * r[j];
		g[i] = -s;
		lp -= 0.5 * r[i] * s;
	}
	return lp;
}

/* Inverse of the SPD matrix a (n x n) by Gauss-Jordan (small n, test only). */
static void invert(const double *a, double *inv, int n)
{
	double m[16 * 32];
	int w = 2 * n;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < w; j++)
			m[i * w + j] = j < n ? a[i * n + j] : (j - n == i ? 1.0 : 0.0);
	for (int k = 0; k < n; k++) {
		int piv = k;
		for (int i = k + 1; i < n; i++)
			if (fabs(m[i * w + k]) > fabs(m[piv * w + k]))
				piv = i;
		if (piv != k)
			for (int j = 0; j < w; j++) {
				double t = m[k * w + j];
				m[k * w + j] = m[piv * w + j];
				m[piv * w + j] = t;
			}
		double p = m[k * w + k];
		for (int j = 0; j < w; j++)
			m[k * w + j] /= p;
		for (int i = 0; i < n; i++) {
			if (i == k)
				continue;
			double f = m[i * w + k];
			for (int j = 0; j < w; j++)
				m[i * w + j] -= f * m[k * w + j];
		}
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			inv[i * n + j] = m[i * w + n + j];
}

/*
 * The 10-d target: scales 0.1 .. 10 (log-spaced), correlation
 * +-0.9^|i-j| (neighbours 0.9; the signs of coordinates 0, 3, 6, 9 flipped,
 * S R S with S = diag(+-1), so still positive definite); means i - 4.5.
 */
static void make_gauss10(struct gauss *G, double *cov)
{
	G->d = D10;
	for (int i = 0; i < D10; i++) {
		double si = pow(10.0, -1.0 + 2.0 * i / 9.0);
		G->mu[i] = i - 4.5;
		for (int j = 0; j < D10; j++) {
			double sj = pow(10.0, -1.0 + 2.0 * j / 9.0);
			double r = pow(0.9, abs(i - j)) * (i % 3 ? 1 : -1) * (j % 3 ? 1 : -1);
			cov[i * D10 + j] = si * sj * r;
		}
	}
	invert(cov, G->prec, D10);
}

/* ---- moments against the truth ---- */

struct moments_report {
	double max_mean_z, max_var_z, max_rhat;
	long long divergent, grad_evals;
	double seconds;
};

static void check_moments(const char *label, struct nuts_chain *ch, int chains, int n, int d,
			  const double *mean, const double *cov, struct moments_report *rep)
{
	double *x = malloc((size_t)chains * (size_t)n * sizeof *x);
	double *y = malloc((size_t)chains * (size_t)n * sizeof *y);
	memset(rep, 0, sizeof *rep);
	double acc = 0, leap = 0, eps = 0;
	for (int c = 0; c < chains; c++) {
		eps += ch[c].step_size / chains;
		for (int k = 0; k < n; k++) {
			rep->divergent += ch[c].divergent[k];
			acc += ch[c].accept_stat[k];
			leap += ch[c].n_leapfrog[k];
		}
		rep->grad_evals += ch[c].grad_evals;
		rep->seconds += ch[c].seconds;
	}
	acc /= (double)chains * n;
	leap /= (double)chains * n;
	/*
	 * dual averaging aims at 0.8; the final step size exp(x_bar) is a little
	 * smaller than the last iterates, so kept draws run higher (0.85-0.92 in
	 * Stan too on Gaussians)
	 */
	CHECK(acc > 0.7 && acc < 0.97);
	for (int i = 0; i < d; i++) {
		double m, sd, vhat = 0, vm, vsd, ess, ess2, rhat, zm, zv, var = cov[i * d + i];
		size_t S = (size_t)chains * (size_t)n;
		for (int c = 0; c < chains; c++)
			for (int k = 0; k < n; k++)
				x[(size_t)c * n + k] = ch[c].theta[((size_t)k) * d + i];
		diag_mean_sd(x, (int)S, &m, &sd);
		for (size_t k = 0; k < S; k++) {
			y[k] = (x[k] - m) * (x[k] - m);
			vhat += y[k];
		}
		vhat /= (double)S;
		diag_mean_sd(y, (int)S, &vm, &vsd);
		ess = diag_ess(x, chains, n);
		ess2 = diag_ess(y, chains, n);
		rhat = diag_rhat(x, chains, n);
		zm = fabs(m - mean[i]) / (sd / sqrt(ess));
		zv = fabs(vhat - var) / (vsd / sqrt(ess2));
		if (zm > rep->max_mean_z)
			rep->max_mean_z = zm;
		if (zv > rep->max_var_z)
			rep->max_var_z = zv;
		if (rhat > rep->max_rhat)
			rep->max_rhat = rhat;
		if (!(zm < 4) || !(zv < 4) || !(rhat < 1.01))
			fprintf(stderr, "%s: coordinate %d: mean %g (true %g, %.2f MCSE), var %g (true %g, "
				"%.2f MCSE), ess %.0f, ess(sq) %.0f, rhat %.4f\n", label, i, m, mean[i], zm,
				vhat, var, zv, ess, ess2, rhat);
		CHECK(zm < 4);
		CHECK(zv < 4);
		CHECK(rhat < 1.01);
	}
	printf("  %-22s max|mean err|/MCSE %.2f  max|var err|/MCSE %.2f  max R-hat %.4f  "
	       "divergent %lld  %.0f grad evals/s\n  %-22s step %.3f  mean accept_stat %.3f  mean leapfrogs %.1f\n",
	       label, rep->max_mean_z, rep->max_var_z, rep->max_rhat, rep->divergent,
	       rep->grad_evals / (rep->seconds > 0 ? rep->seconds : 1e-9), "", eps, acc, leap);
	free(x);
	free(y);
}

static void free_chains(struct nuts_chain *ch, int n)
{
	for (int c = 0; c < n; c++)
		nuts_chain_free(&ch[c]);
}

/* a. the 10-d correlated Gaussian, diagonal and dense metric */
static void test_gauss10(void)
{
	struct gauss G;
	double cov[D10 * D10];
	void *ctx[4];
	struct nuts_chain ch[4];
	struct nuts_config cfg;
	struct moments_report rep;

	make_gauss10(&G, cov);
	for (int c = 0; c < 4; c++)
		ctx[c] = &G;
	for (int dense = 0; dense <= 1; dense++) {
		nuts_defaults(&cfg, D10, 1000, 1000, 20240601UL);
		cfg.dense = dense;
		/* one thread, so that the chains' wall clocks give a clean grad evals/s */
		CHECK_INT(nuts_run(&cfg, gauss_logp, ctx, 4, 1, ch), 0);
		check_moments(dense ? "gauss10 dense" : "gauss10 diag", ch, 4, 1000, D10, G.mu, cov, &rep);
		CHECK_INT(rep.divergent, 0);
		for (int c = 0; c < 4; c++) {
			CHECK(ch[c].step_size > 0 && isfinite(ch[c].step_size));
			CHECK(!ch[c].failed);
		}
		/*
		 * The adapted metric estimates the covariance from the last slow
		 * window (500 warm-up draws; the ESS of a squared coordinate is at
		 * least ~75 of them): relative sd sqrt(2/75) = 0.16, so 0.5 is 3 sd.
		 * A seed sweep saw at most 0.34 over 4 chains x 10 coordinates.
		 */
		for (int i = 0; i < D10; i++) {
			double m = dense ? ch[0].inv_metric[i * D10 + i] : ch[0].inv_metric[i];
			CHECK(fabs(m / cov[i * D10 + i] - 1) < 0.5);
		}
		free_chains(ch, 4);
	}
}

/* Short warm-ups (Stan's 15/75/10 fallback, no metric windows, none at all) and the depth cap. */
static void test_short_warmups(void)
{
	struct gauss G;
	double cov[D10 * D10];
	void *ctx[2];
	struct nuts_chain ch[2];
	struct nuts_config cfg;
	const int warmups[4] = { 149, 100, 10, 0 };

	make_gauss10(&G, cov);
	ctx[0] = ctx[1] = &G;
	for (int k = 0; k < 4; k++)
		for (int dense = 0; dense <= 1; dense++) {
			int bad = 0;
			nuts_defaults(&cfg, D10, warmups[k], 50, 5UL + (unsigned long)k);
			cfg.dense = dense;
			CHECK_INT(nuts_run(&cfg, gauss_logp, ctx, 2, 0, ch), 0);
			for (int c = 0; c < 2; c++) {
				if (!(ch[c].step_size > 0) || !isfinite(ch[c].step_size))
					bad++;
				for (int i = 0; i < 50 * D10; i++)
					if (!isfinite(ch[c].theta[i]))
						bad++;
			}
			CHECK_INT(bad, 0);
			free_chains(ch, 2);
		}
	/* warm-up 100: the metric was estimated (not the unit metric any more) */
	nuts_defaults(&cfg, D10, 100, 10, 9UL);
	CHECK_INT(nuts_run(&cfg, gauss_logp, ctx, 1, 1, ch), 0);
	CHECK(ch[0].inv_metric[9] > 10);  /* variance 100 */
	free_chains(ch, 1);
	/* max_depth 2: at most 3 leapfrog steps per draw */
	nuts_defaults(&cfg, D10, 200, 200, 11UL);
	cfg.max_depth = 2;
	CHECK_INT(nuts_run(&cfg, gauss_logp, ctx, 1, 1, ch), 0);
	{
		int over = 0, at_cap = 0;
		for (int k = 0; k < 200; k++) {
			if (ch[0].depth[k] > 2 || ch[0].n_leapfrog[k] > 3)
				over++;
			if (ch[0].depth[k] == 2)
				at_cap++;
		}
		CHECK_INT(over, 0);
		CHECK(at_cap > 0);
	}
	free_chains(ch, 1);
}

/* b. eight schools with tau fixed: an exactly Gaussian posterior */
static const double es_y[8] = { 28, 8, -3, 7, -1, 1, 18, 12 };
static const double es_s[8] = { 15, 10, 16, 11, 9, 11, 10, 18 };
static const double es_tau = 5;

static double schools_logp(const double *x, double *g, void *ctx)
{
	double mu = x[0], lp = -mu * mu / (2 * 25.0);
	(void)ctx;
	g[0] = -mu / 25.0;
	for (int j = 0; j < 8; j++) {
		double th = x[1 + j];
		double a = (th - mu) / (es_tau * es_tau), b = (es_y[j] - th) / (es_s[j] * es_s[j]);
		lp -= 0.5 * (th - mu) * (th - mu) / (es_tau * es_tau);
		lp -= 0.5 * (es_y[j] - th) * (es_y[j] - th) / (es_s[j] * es_s[j]);
		g[0] += a;
		g[1 + j] = -a + b;
	}
	return lp;
}

static void test_schools(void)
{
	double Q[81] = { 0 }, b[9] = { 0 }, cov[81], mean[9];
	void *ctx[4] = { NULL, NULL, NULL, NULL };
	struct nuts_chain ch[4];
	struct nuts_config cfg;
	struct moments_report rep;
	double t2 = es_tau * es_tau;

	/* precision and linear term of the joint Gaussian posterior of (mu, theta) */
	Q[0] = 1 / 25.0 + 8 / t2;
	for (int j = 0; j < 8; j++) {
		Q[0 * 9 + 1 + j] = Q[(1 + j) * 9 + 0] = -1 / t2;
		Q[(1 + j) * 9 + 1 + j] = 1 / t2 + 1 / (es_s[j] * es_s[j]);
		b[1 + j] = es_y[j] / (es_s[j] * es_s[j]);
	}
	invert(Q, cov, 9);
	for (int i = 0; i < 9; i++) {
		mean[i] = 0;
		for (int j = 0; j < 9; j++)
			mean[i] += cov[i * 9 + j] * b[j];
	}
	nuts_defaults(&cfg, 9, 1000, 1000, 8UL);
	CHECK_INT(nuts_run(&cfg, schools_logp, ctx, 4, 0, ch), 0);
	check_moments("eight schools (tau=5)", ch, 4, 1000, 9, mean, cov, &rep);
	CHECK_INT(rep.divergent, 0);
	free_chains(ch, 4);
}

/* c. determinism */
static int progress_calls, progress_last;

static void progress_count(int chain, int iter, int total, void *arg)
{
	(void)chain;
	(void)arg;
	progress_calls++;
	if (iter == total)
		progress_last++;
}

static int same_chains(const struct nuts_chain *a, const struct nuts_chain *b, int chains, int n, int d)
{
	for (int c = 0; c < chains; c++) {
		if (memcmp(a[c].theta, b[c].theta, (size_t)n * (size_t)d * sizeof(double)) != 0 ||
		    memcmp(a[c].energy, b[c].energy, (size_t)n * sizeof(double)) != 0 ||
		    memcmp(a[c].n_leapfrog, b[c].n_leapfrog, (size_t)n * sizeof(int)) != 0 ||
		    a[c].step_size != b[c].step_size || a[c].grad_evals != b[c].grad_evals)
			return 0;
	}
	return 1;
}

static void test_determinism(void)
{
	struct gauss G;
	double cov[D10 * D10];
	void *ctx[3];
	struct nuts_chain a[3], b[3], c2[3], d[3];
	struct nuts_config cfg;

	make_gauss10(&G, cov);
	for (int c = 0; c < 3; c++)
		ctx[c] = &G;
	nuts_defaults(&cfg, D10, 200, 200, 42UL);
	cfg.dense = 1;
	cfg.progress = progress_count;
	CHECK_INT(nuts_run(&cfg, gauss_logp, ctx, 3, 1, a), 0);
	/* about every 1% of 400 iterations, and once at the end, per chain */
	CHECK(progress_calls >= 3 * 100 && progress_calls <= 3 * 101);
	CHECK_INT(progress_last, 3);
	cfg.progress = NULL;
	CHECK_INT(nuts_run(&cfg, gauss_logp, ctx, 3, 2, b), 0);
	CHECK_INT(nuts_run(&cfg, gauss_logp, ctx, 3, 0, c2), 0);
	cfg.seed = 43UL;
	CHECK_INT(nuts_run(&cfg, gauss_logp, ctx, 3, 0, d), 0);
	CHECK(same_chains(a, b, 3, 200, D10));
	CHECK(same_chains(a, c2, 3, 200, D10));
	CHECK(!same_chains(a, d, 3, 200, D10));
	/* chains differ from each other too */
	CHECK(memcmp(a[0].theta, a[1].theta, 200 * D10 * sizeof(double)) != 0);
	free_chains(a, 3);
	free_chains(b, 3);
	free_chains(c2, 3);
	free_chains(d, 3);
}

/* d. diagnostics on known series */
static void test_diagnostics(void)
{
	enum { C = 4, N = 1000, NAR = 5000 };
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	double *x = malloc(C * NAR * sizeof *x);
	double rh, ess, tail, e;

	gsl_rng_set(r, 12345);
	for (int i = 0; i < C * N; i++)
		x[i] = gsl_ran_gaussian(r, 1.0);
	rh = diag_rhat(x, C, N);
	ess = diag_ess_bulk(x, C, N);
	tail = diag_ess_tail(x, C, N);
	/*
	 * iid: R-hat - 1 is O(1/n) (here ~5e-4), so 0.01 is far out.  The ESS
	 * estimate's tau = -1 + 2 sum rho_t sums a few (Geyer stops after ~2-4
	 * lags) noise autocorrelations of sd 1/sqrt(S) = 0.016 each: sd(tau) is
	 * about 0.06, so +-25% is about 4 sd.  The tail ESS (indicators, more
	 * noise) gets +-35%.
	 */
	printf("  iid: R-hat %.4f  bulk ESS %.0f  tail ESS %.0f  (S = %d)\n", rh, ess, tail, C * N);
	CHECK(fabs(rh - 1) < 0.01);
	CHECK(fabs(ess / (C * N) - 1) < 0.25);
	CHECK(fabs(tail / (C * N) - 1) < 0.35);
	CHECK(fabs(diag_ess(x, C, N) / (C * N) - 1) < 0.25);

	/* one chain shifted by one sd */
	for (int i = 0; i < N; i++)
		x[i] += 1.0;
	rh = diag_rhat(x, C, N);
	printf("  one chain +1 sd: R-hat %.4f\n", rh);
	CHECK(rh > 1.05);

	/* AR(1), rho 0.9, started in the stationary law: ESS ~ S (1 - rho) / (1 + rho) */
	for (int c = 0; c < C; c++) {
		double v = gsl_ran_gaussian(r, 1.0 / sqrt(1 - 0.81));
		for (int i = 0; i < NAR; i++) {
			v = 0.9 * v + gsl_ran_gaussian(r, 1.0);
			x[c * NAR + i] = v;
		}
	}
	ess = diag_ess(x, C, NAR);
	e = C * NAR * 0.1 / 1.9;
	/* the truncation window is ~50 lags: sd(ESS)/ESS ~ sqrt(4 * 50 / S) ~ 0.1; 30% is 3 sd */
	printf("  AR(1) 0.9: ESS %.0f (theory %.0f), bulk %.0f\n", ess, e, diag_ess_bulk(x, C, NAR));
	CHECK(fabs(ess / e - 1) < 0.30);
	CHECK(fabs(diag_ess_bulk(x, C, NAR) / e - 1) < 0.30);

	/* E-BFMI: iid energies -> 2 (sum of squared differences is 2 (n-1) var); random walk -> ~6/n */
	for (int i = 0; i < C * N; i++)
		x[i] = gsl_ran_gaussian(r, 3.0);
	e = diag_ebfmi(x, C * N);
	printf("  E-BFMI iid %.3f", e);
	CHECK(fabs(e - 2) < 0.15);
	x[0] = 0;
	for (int i = 1; i < N; i++)
		x[i] = x[i - 1] + gsl_ran_gaussian(r, 1.0);
	e = diag_ebfmi(x, N);
	printf("  random walk %.4f\n", e);
	CHECK(e < 0.1);

	/* quantiles, type 7 (R's default) */
	{
		double v[5] = { 10, 3, 1, 4, 2 }, w[4] = { 4, 1, 3, 2 }, m, sd;
		diag_sort(v, 5);
		CHECK(v[0] == 1 && v[1] == 2 && v[2] == 3 && v[3] == 4 && v[4] == 10);
		CHECK(fabs(diag_quantile_sorted(v, 5, 0.9) - 7.6) < 1e-12);
		CHECK(fabs(diag_quantile_sorted(v, 5, 0.5) - 3) < 1e-12);
		CHECK(fabs(diag_quantile_sorted(v, 5, 0.1) - 1.4) < 1e-12);
		CHECK(diag_quantile_sorted(v, 5, 0) == 1);
		CHECK(diag_quantile_sorted(v, 5, 1) == 10);
		diag_sort(w, 4);
		CHECK(fabs(diag_quantile_sorted(w, 4, 0.5) - 2.5) < 1e-12);
		CHECK(fabs(diag_quantile_sorted(w, 4, 0.25) - 1.75) < 1e-12);
		CHECK(fabs(diag_quantile_sorted(w, 1, 0.3) - 1) < 1e-12);
		diag_mean_sd(w, 4, &m, &sd);
		CHECK(fabs(m - 2.5) < 1e-12);
		CHECK(fabs(sd - sqrt(5.0 / 3.0)) < 1e-12);
	}

	/* constant draws: NAN, no crash */
	for (int i = 0; i < C * N; i++)
		x[i] = 3.25;
	CHECK(isnan(diag_rhat(x, C, N)));
	CHECK(isnan(diag_ess_bulk(x, C, N)));
	CHECK(isnan(diag_ess_tail(x, C, N)));
	CHECK(isnan(diag_ess(x, C, N)));
	x[7] = NAN;
	CHECK(isnan(diag_rhat(x, C, N)));

	free(x);
	gsl_rng_free(r);
}

/* e. targets that cannot be sampled, or only with divergences */
static double nowhere_logp(const double *x, double *g, void *ctx)
{
	(void)ctx;
	g[0] = g[1] = 0;
	(void)x;
	return -INFINITY;
}

static double wall_logp(const double *x, double *g, void *ctx)
{
	(void)ctx;
	g[0] = -x[0];
	g[1] = -x[1];
	if (x[0] < 0)
		return -INFINITY;
	return -0.5 * (x[0] * x[0] + x[1] * x[1]);
}

static void test_failures(void)
{
	void *ctx[2] = { NULL, NULL };
	struct nuts_chain ch[2];
	struct nuts_config cfg;
	long long div = 0;
	int negative = 0;
	double m = 0;

	nuts_defaults(&cfg, 2, 100, 100, 1UL);
	CHECK_INT(nuts_run(&cfg, nowhere_logp, ctx, 2, 0, ch), -1);
	CHECK_INT(ch[0].failed, 1);
	CHECK_INT(ch[1].failed, 1);
	CHECK_HAS(ch[0].message, "finite");
	free_chains(ch, 2);

	/* half-normal written without a transform: a hard wall at 0 */
	nuts_defaults(&cfg, 2, 500, 1000, 3UL);
	CHECK_INT(nuts_run(&cfg, wall_logp, ctx, 2, 0, ch), 0);
	for (int c = 0; c < 2; c++)
		for (int k = 0; k < 1000; k++) {
			div += ch[c].divergent[k];
			if (ch[c].theta[k * 2] < 0)
				negative++;
			m += ch[c].theta[k * 2];
		}
	m /= 2000;
	printf("  hard wall: %lld divergent of 2000, mean %.3f (half-normal %.3f)\n", div, m,
	       sqrt(2 / M_PI));
	CHECK(div > 0);
	CHECK_INT(negative, 0);
	CHECK(fabs(m - sqrt(2 / M_PI)) < 0.2);
	free_chains(ch, 2);
}

int main(void)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	test_diagnostics();
	test_failures();
	test_determinism();
	test_short_warmups();
	test_gauss10();
	test_schools();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("  total %.2f s\n", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
	return h_done("mmm-fit");
}
