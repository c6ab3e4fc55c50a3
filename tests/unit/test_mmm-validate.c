/*
 * mmm-validate's math: Robyn's transforms, the glmnet-style ridge with lower
 * limits, the objectives, Pareto fronts, the optimiser, determinism, and
 * recovery of a known model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "../../cmd/mmm-validate/robyn.h"
#include "harness.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

static void test_transforms(void)
{
	double x[3] = { 1, 0, 2 }, out[3];
	double h[4] = { 0, 1, 2, 4 }, ho[4];
	double z[3] = { 0, 0, 0 }, zo[3] = { 9, 9, 9 };

	adstock_geometric(x, 3, 0.5, out);
	CHECK(NEAR(out[0], 1.0, 1e-15) && NEAR(out[1], 0.5, 1e-15) && NEAR(out[2], 2.25, 1e-15));
	adstock_geometric(x, 3, 0.0, out);
	CHECK(out[0] == 1 && out[1] == 0 && out[2] == 2);

	/* inflexion = 0 + 0.5 (4 - 0) = 2; x^2 / (x^2 + 4) */
	saturation_hill(h, 4, 2.0, 0.5, ho);
	CHECK(NEAR(ho[0], 0.0, 1e-15) && NEAR(ho[1], 0.2, 1e-15) && NEAR(ho[2], 0.5, 1e-15) &&
	      NEAR(ho[3], 0.8, 1e-15));
	/* the minimum moves the inflexion: x in [1, 3], gamma 0.5 -> 2; alpha 1 */
	{
		double a[2] = { 1, 3 }, ao[2];
		saturation_hill(a, 2, 1.0, 0.5, ao);
		CHECK(NEAR(ao[0], 1.0 / 3.0, 1e-15) && NEAR(ao[1], 0.6, 1e-15));
	}
	saturation_hill(z, 3, 1.5, 0.5, zo);
	CHECK(zo[0] == 0 && zo[1] == 0 && zo[2] == 0);
}

/* Standardise as glmnet does (with intercept); Z column-major, yz. */
static void standardise(int n, int p, const double *X, const double *y, double *Z, double *yz,
			double *m, double *s, double *ym, double *sy)
{
	int i, j;
	*ym = 0;
	for (i = 0; i < n; i++)
		*ym += y[i];
	*ym /= n;
	*sy = 0;
	for (i = 0; i < n; i++)
		*sy += (y[i] - *ym) * (y[i] - *ym);
	*sy = sqrt(*sy / n);
	for (i = 0; i < n; i++)
		yz[i] = (y[i] - *ym) / *sy;
	for (j = 0; j < p; j++) {
		double mm = 0, v = 0;
		for (i = 0; i < n; i++)
			mm += X[j * n + i];
		mm /= n;
		for (i = 0; i < n; i++)
			v += (X[j * n + i] - mm) * (X[j * n + i] - mm);
		m[j] = mm;
		s[j] = sqrt(v / n);
		for (i = 0; i < n; i++)
			Z[j * n + i] = (X[j * n + i] - mm) / s[j];
	}
}

/* Closed form on the columns in `use`: b = (Z'Z + n lam I)^-1 Z'y; others 0. */
static void closed_form(int n, int p, const double *Z, const double *yz, double lam,
			const int *use, double *b)
{
	int q = 0, i, j, k, idx[16];
	for (j = 0; j < p; j++) {
		b[j] = 0;
		if (use[j])
			idx[q++] = j;
	}
	if (q == 0)
		return;
	gsl_matrix *A = gsl_matrix_alloc((size_t)q, (size_t)q);
	gsl_vector *r = gsl_vector_alloc((size_t)q), *x = gsl_vector_alloc((size_t)q);
	for (j = 0; j < q; j++) {
		double v = 0;
		for (i = 0; i < n; i++)
			v += Z[idx[j] * n + i] * yz[i];
		gsl_vector_set(r, (size_t)j, v);
		for (k = 0; k < q; k++) {
			double g = 0;
			for (i = 0; i < n; i++)
				g += Z[idx[j] * n + i] * Z[idx[k] * n + i];
			gsl_matrix_set(A, (size_t)j, (size_t)k, g + (j == k ? n * lam : 0));
		}
	}
	gsl_linalg_cholesky_decomp1(A);
	gsl_linalg_cholesky_solve(A, r, x);
	for (j = 0; j < q; j++)
		b[idx[j]] = gsl_vector_get(x, (size_t)j);
	gsl_matrix_free(A);
	gsl_vector_free(r);
	gsl_vector_free(x);
}

static double ridge_obj(int n, int p, const double *Z, const double *yz, double lam,
			const double *b)
{
	double o = 0, pen = 0;
	int i, j;
	for (i = 0; i < n; i++) {
		double e = yz[i];
		for (j = 0; j < p; j++)
			e -= Z[j * n + i] * b[j];
		o += e * e;
	}
	for (j = 0; j < p; j++)
		pen += b[j] * b[j];
	return o / (2.0 * n) + lam / 2.0 * pen;
}

static void test_ridge(void)
{
	enum { N = 60, P = 4 };
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	double X[P * N], y[N], Z[P * N], yz[N], m[P], s[P], ym, sy, coef[P], b[P], bz[P];
	double lower[P] = { 0, 0, 0, -INFINITY };
	double truth[P] = { 2.0, 1.0, 0.5, -1.0 };
	int i, j, use[P] = { 1, 1, 1, 1 };
	struct ridge_out ro = { 0, coef };
	double lambda = 0.3, lam;

	gsl_rng_set(r, 11);
	for (j = 0; j < P; j++)
		for (i = 0; i < N; i++)
			X[j * N + i] = gsl_rng_uniform(r) * (j + 1) + (j == 1 ? 0.5 * X[i] : 0);
	for (i = 0; i < N; i++) {
		y[i] = 3.0 + gsl_ran_gaussian(r, 0.3);
		for (j = 0; j < P; j++)
			y[i] += truth[j] * X[j * N + i];
	}
	standardise(N, P, X, y, Z, yz, m, s, &ym, &sy);
	lam = lambda / sy;

	/* no bound active: the closed form */
	ridge_glmnet(N, P, X, y, lower, lambda, 1, &ro);
	closed_form(N, P, Z, yz, lam, use, b);
	for (j = 0; j < P; j++) {
		bz[j] = coef[j] * s[j] / sy;
		CHECK(NEAR(bz[j], b[j], 1e-10));
	}
	{
		double b0 = ym;
		for (j = 0; j < P; j++)
			b0 -= coef[j] * m[j];
		CHECK(NEAR(ro.b0, b0, 1e-9));
	}
	/* lambda ~ 0: close to least squares, which recovers the truth roughly */
	ridge_glmnet(N, P, X, y, NULL, 1e-12, 1, &ro);
	for (j = 0; j < P; j++)
		CHECK(NEAR(coef[j], truth[j], 0.35));

	/* the bound binds: channel 2's true effect is negative, its limit 0 */
	for (i = 0; i < N; i++)
		y[i] -= 2.0 * X[2 * N + i];     /* now truth[2] = -1.5 */
	standardise(N, P, X, y, Z, yz, m, s, &ym, &sy);
	lam = lambda / sy;
	ridge_glmnet(N, P, X, y, lower, lambda, 1, &ro);
	CHECK(coef[2] == 0.0);
	for (j = 0; j < P; j++)
		bz[j] = coef[j] * s[j] / sy;
	/* brute force: every set of bounded coefficients held at 0, the best feasible */
	{
		double best = INFINITY, bb[P];
		int mask, k;
		for (mask = 0; mask < 8; mask++) {
			int u2[P] = { !(mask & 1), !(mask & 2), !(mask & 4), 1 }, ok = 1;
			double o;
			closed_form(N, P, Z, yz, lam, u2, bb);
			for (k = 0; k < 3; k++)
				if (bb[k] < 0)
					ok = 0;
			o = ridge_obj(N, P, Z, yz, lam, bb);
			if (ok && o < best) {
				best = o;
				memcpy(b, bb, sizeof bb);
			}
		}
		for (j = 0; j < P; j++)
			CHECK(NEAR(bz[j], b[j], 1e-10));
		CHECK(NEAR(ridge_obj(N, P, Z, yz, lam, bz), best, 1e-12));
	}
	/* KKT at the bound: the gradient points outward (>= 0) */
	{
		double g = lam * bz[2];
		for (i = 0; i < N; i++) {
			double e = yz[i];
			for (j = 0; j < P; j++)
				e -= Z[j * N + i] * bz[j];
			g -= Z[2 * N + i] * e / N;
		}
		CHECK(g >= -1e-12);
	}
	/* ridge_cd alone on a 2x2 with a binding bound: min 1/2 b'Gb - c'b, b >= 0 */
	{
		double G[4] = { 1, 0.5, 0.5, 1 }, c[2] = { 1, -1 }, lo[2] = { 0, 0 }, x[2] = { 0, 0 };
		ridge_cd(2, G, c, 0.0, lo, x, 1e-30, 1000);
		CHECK(NEAR(x[0], 1.0, 1e-14) && x[1] == 0.0);
	}
	/* lambda_max: max |sum x~ y| / (0.001 n) */
	{
		double X2[6] = { 1, 2, 3, 5, 5, 5 }, y2[3] = { 1, 2, 4 };
		/* column 1: mean 2, sd sqrt(2/3); x~ = (-1, 0, 1)/sd; sum x~ y = 3/sd */
		double want = 3.0 / sqrt(2.0 / 3.0) / (0.001 * 3);
		CHECK(NEAR(ridge_lambda_max(3, 2, X2, y2), want, 1e-9 * want));
	}
	gsl_rng_free(r);
}

static void test_objectives(void)
{
	double y[4] = { 1, 2, 3, 4 }, yhat[4] = { 1, 2, 3, 5 };
	double d1[2] = { 3, 1 }, c1[2] = { 1, 1 }, s1[2] = { 10, 10 };
	double d2[2] = { 4, 0 }, c2[2] = { 1, 0 };
	CHECK(NEAR(robyn_nrmse(4, y, yhat), 0.5 / 3.0, 1e-15));
	CHECK(NEAR(robyn_rssd(2, d1, c1, s1), sqrt(0.125), 1e-15));
	/* one of two media at zero: the penalty multiplies by 1 + 1/2 */
	CHECK(NEAR(robyn_rssd(2, d2, c2, s1), sqrt(0.5) * 1.5, 1e-15));
}

static void test_pareto(void)
{
	double f1[8] = { 1, 2, 3, 2, 3, 4, 2, 5 }, f2[8] = { 5, 3, 1, 4, 3, 4, 3, 5 };
	int front[8], want[8] = { 1, 1, 1, 2, 2, 3, 1, 4 }, i;
	CHECK_INT(pareto_fronts(8, f1, f2, front), 4);
	for (i = 0; i < 8; i++)
		CHECK_INT(front[i], want[i]);
	CHECK_INT(pareto_fronts_kept(8, front, 5), 2);
	CHECK_INT(pareto_fronts_kept(8, front, 4), 1);
	CHECK_INT(pareto_fronts_kept(8, front, 100), 4);
	/* over fronts 1-2: f1 in [1,3], f2 in [1,5]; (2,3) -> (0.5,0.5) is nearest */
	CHECK_INT(pareto_choose(8, f1, f2, front, 2), 1);
}

static void sphere(const double *u, double *f, void *ctx)
{
	int j, d = *(int *)ctx;
	f[0] = 0;
	for (j = 0; j < d; j++)
		f[0] += (u[j] - 0.3 - 0.1 * j) * (u[j] - 0.3 - 0.1 * j);
}

static void rosen(const double *u, double *f, void *ctx)
{
	double a = 4 * u[0] - 2, b = 4 * u[1] - 2;   /* minimum at u = (0.75, 0.75) */
	(void)ctx;
	f[0] = 100 * (b - a * a) * (b - a * a) + (1 - a) * (1 - a);
}

static void test_de(void)
{
	int d = 5, k, bi = 0;
	double *u = malloc(3000 * 5 * sizeof *u), *f = malloc(3000 * sizeof *f);
	double *u2 = malloc(3000 * 5 * sizeof *u2), *f2 = malloc(3000 * sizeof *f2);
	struct de_opts o = { 5, 1, 3000, 0, 42 };

	de_run(&o, sphere, &d, u, f);
	for (k = 1; k < 3000; k++)
		if (f[k] < f[bi])
			bi = k;
	CHECK(f[bi] < 1e-6);
	for (k = 0; k < d; k++)
		CHECK(NEAR(u[bi * d + k], 0.3 + 0.1 * k, 2e-3));
	de_run(&o, sphere, &d, u2, f2);
	CHECK(memcmp(u, u2, 3000 * 5 * sizeof *u) == 0);
	o.seed = 43;
	de_run(&o, sphere, &d, u2, f2);
	CHECK(memcmp(u, u2, 3000 * 5 * sizeof *u) != 0);

	{
		struct de_opts r = { 2, 1, 3000, 0, 7 };
		de_run(&r, rosen, NULL, u, f);
		bi = 0;
		for (k = 1; k < 3000; k++)
			if (f[k] < f[bi])
				bi = k;
		CHECK(f[bi] < 1e-4);
		CHECK(NEAR(u[bi * 2], 0.75, 0.01) && NEAR(u[bi * 2 + 1], 0.75, 0.01));
	}
	free(u);
	free(f);
	free(u2);
	free(f2);
}

/* ---- a synthetic data set from Robyn's own model ---- */

struct synth {
	int T, C, F;
	double *spend, *fixed, *y, roi[3];
	struct hyper_range th[3], al[3], ga[3];
	struct robyn_model m;
};

static void synth_make(struct synth *S, unsigned long seed, double noise_sd, const double *mult)
{
	const double theta[3] = { 0.6, 0.3, 0.1 }, alpha[3] = { 2.0, 1.2, 2.5 },
		     gamma[3] = { 0.5, 0.7, 0.4 }, mean_spend[3] = { 1000, 600, 300 };
	double *ad, *z, eff[3], stot[3], base_share = 0.5;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int T = 104, C = 3, t, c;

	gsl_rng_set(r, seed);
	S->T = T;
	S->C = C;
	S->spend = calloc((size_t)C * T, sizeof *S->spend);
	S->y = calloc((size_t)T, sizeof *S->y);
	ad = calloc((size_t)T, sizeof *ad);
	z = calloc((size_t)C * T, sizeof *z);
	for (c = 0; c < C; c++) {
		stot[c] = 0;
		for (t = 0; t < T; t++) {
			double v = gsl_rng_uniform(r) < 0.15 ? 0.0 : gsl_ran_gamma(r, 2.0, mean_spend[c] / 2.0);
			S->spend[c * T + t] = v;
			stot[c] += v;
		}
		adstock_geometric(S->spend + c * T, T, theta[c], ad);
		saturation_hill(ad, T, alpha[c], gamma[c], z + c * T);
		eff[c] = 0;
		for (t = 0; t < T; t++)
			eff[c] += z[c * T + t];
	}
	/* coefficients such that the effect share equals the spend share and the
	 * media make half the KPI: ROI is then the same known number for all */
	{
		double total_spend = stot[0] + stot[1] + stot[2], kpi_media = 2.0 * total_spend;
		for (t = 0; t < T; t++) {
			double day = 20000.0 + 7.0 * t;
			S->y[t] = kpi_media / T * base_share / (1 - base_share) +
				  2.0 * t + 150.0 * sin(2 * M_PI * fmod(day, 365.25) / 365.25);
		}
		for (c = 0; c < C; c++) {
			double beta = kpi_media * stot[c] / total_spend / eff[c] * (mult ? mult[c] : 1.0);
			for (t = 0; t < T; t++)
				S->y[t] += beta * z[c * T + t];
			S->roi[c] = beta * eff[c] / stot[c];
		}
	}
	for (t = 0; t < T; t++)
		S->y[t] += gsl_ran_gaussian(r, noise_sd);
	S->F = robyn_fixed_regressors(T, 7, 20000, 0, NULL, &S->fixed);
	for (c = 0; c < C; c++) {
		S->th[c] = (struct hyper_range){ 0, 0.8 };
		S->al[c] = (struct hyper_range){ 0.5, 3 };
		S->ga[c] = (struct hyper_range){ 0.3, 1 };
	}
	memset(&S->m, 0, sizeof S->m);
	S->m.T = T;
	S->m.C = C;
	S->m.F = S->F;
	S->m.spend = S->spend;
	S->m.fixed = S->fixed;
	S->m.y = S->y;
	S->m.b.theta = S->th;
	S->m.b.alpha = S->al;
	S->m.b.gamma = S->ga;
	S->m.b.lambda = (struct hyper_range){ 0, 1 };
	robyn_model_prepare(&S->m);
	free(ad);
	free(z);
	gsl_rng_free(r);
}

static void synth_free(struct synth *S)
{
	robyn_model_free(&S->m);
	free(S->spend);
	free(S->fixed);
	free(S->y);
}

static void test_fixed_regressors(void)
{
	double *F;
	/* daily, 800 days: trend + 3 weekly + 2 yearly harmonics */
	CHECK_INT(robyn_fixed_regressors(800, 1, 0, 0, NULL, &F), 1 + 6 + 4);
	free(F);
	CHECK_INT(robyn_fixed_regressors(400, 1, 0, 0, NULL, &F), 1 + 6 + 2);
	free(F);
	CHECK_INT(robyn_fixed_regressors(100, 1, 0, 0, NULL, &F), 1 + 6);
	free(F);
	{
		double ctrl[2 * 52];
		int t;
		for (t = 0; t < 104; t++)
			ctrl[t] = t;
		CHECK_INT(robyn_fixed_regressors(52, 7, 0, 2, ctrl, &F), 1 + 4 + 2);
		CHECK(F[0] == 1 && F[51] == 52);
		CHECK(F[5 * 52 + 3] == 6 && F[6 * 52 + 3] == 7);
		free(F);
	}
	CHECK_INT(robyn_fixed_regressors(51, 7, 0, 0, NULL, &F), 1);
	free(F);
}

static void test_determinism(void)
{
	struct synth S;
	struct robyn_search a = { 0 }, b = { 0 };
	synth_make(&S, 5, 20.0, NULL);
	a.iterations = b.iterations = 200;
	a.trials = b.trials = 3;
	a.seed = b.seed = 9;
	a.threads = 1;
	b.threads = 2;
	robyn_search_run(&S.m, &a);
	robyn_search_run(&S.m, &b);
	CHECK(memcmp(a.u, b.u, (size_t)a.n * a.d * sizeof *a.u) == 0);
	CHECK(memcmp(a.nrmse, b.nrmse, (size_t)a.n * sizeof *a.nrmse) == 0);
	CHECK(memcmp(a.rssd, b.rssd, (size_t)a.n * sizeof *a.rssd) == 0);
	CHECK_INT(a.chosen, b.chosen);
	CHECK(robyn_trial_seed(9, 0) != robyn_trial_seed(9, 1));
	CHECK(robyn_trial_seed(9, 0) != robyn_trial_seed(10, 0));
	/* the trials are different streams */
	CHECK(memcmp(a.u, a.u + (size_t)200 * a.d, (size_t)200 * a.d * sizeof *a.u) != 0);
	robyn_search_free(&a);
	robyn_search_free(&b);
	synth_free(&S);
}

/*
 * Recovery: data made by Robyn's own model (geometric adstock, Hill on the
 * adstocked series, a linear trend and a yearly season, noise sd 20 on a KPI
 * of a few thousand a week), 104 weeks, 3 channels.  The true effect shares
 * equal the spend shares, so DECOMP.RSSD does not pull the chosen model away
 * from the truth; what is left is the ridge shrinkage and the
 * adstock/saturation/baseline trade-off that 104 noisy points cannot settle
 * exactly.  15% allows for that (the observed errors are printed); a wrong
 * transform, a wrong unscaling of the coefficients or a broken search misses
 * it by far more (a factor, not percent).
 *
 * With true effect shares away from the spend shares (ROI 3, 2, 1.2) the
 * rule picks a model whose shares lean to the spend shares, as Robyn's
 * DECOMP.RSSD is meant to (ROI errors then reach a factor 2 for the small
 * channel); that case checks the lean, not the ROI.
 */
static void recover(const double *mult, double tol)
{
	struct synth S;
	struct robyn_search s = { 0 };
	double coef[3], decomp[3];
	struct robyn_eval ev = { 0 };
	struct robyn_work *w;
	int c;

	synth_make(&S, 2024, 20.0, mult);
	s.iterations = 1500;
	s.trials = 3;
	s.seed = 1;
	s.threads = 2;
	robyn_search_run(&S.m, &s);
	CHECK(s.chosen >= 0);
	w = robyn_work_new(&S.m);
	ev.coef = coef;
	ev.decomp = decomp;
	robyn_evaluate(&S.m, w, s.u + (size_t)s.chosen * s.d, &ev);
	CHECK(ev.nrmse == s.nrmse[s.chosen] && ev.rssd == s.rssd[s.chosen]);
	for (c = 0; c < 3; c++) {
		double roi = decomp[c] / S.m.spend_total[c];
		fprintf(stderr, "recovery: channel %d roi %.4f truth %.4f (%+.1f%%)\n", c, roi,
			S.roi[c], 100 * (roi / S.roi[c] - 1));
		if (tol > 0)
			CHECK(fabs(roi / S.roi[c] - 1) < tol);
	}
	fprintf(stderr, "recovery: nrmse %.4f rssd %.4f fronts kept %d\n", ev.nrmse, ev.rssd, s.kept);
	if (tol < 0) {
		/* Robyn's selection leans to the spend shares: the chosen model's
		 * DECOMP.RSSD is below the truth's own */
		double td[3], one[3] = { 1, 1, 1 };
		for (c = 0; c < 3; c++)
			td[c] = S.roi[c] * S.m.spend_total[c];
		CHECK(ev.rssd < robyn_rssd(3, td, one, S.m.spend_total));
	}
	robyn_work_free(w);
	robyn_search_free(&s);
	synth_free(&S);
}

int main(void)
{
	test_transforms();
	test_ridge();
	test_objectives();
	test_pareto();
	test_de();
	test_fixed_regressors();
	test_determinism();
	recover(NULL, 0.15);
	{
		const double mult[3] = { 1.5, 1.0, 0.6 };
		recover(mult, -1);
	}
	return h_done("mmm-validate");
}
