/*
 * uplift-score's estimators on simulated data with known effects: interval
 * coverage over replications (within 3 binomial standard errors of 90%),
 * heterogeneous effects found by the T- and X-learners, and IPW/AIPW
 * removing the confounding bias a difference in means keeps.  Fixed seeds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "../../cmd/uplift-score/glm.h"
#include "../../cmd/uplift-score/input.h"
#include "../../cmd/uplift-score/learners.h"
#include "../../cmd/uplift-score/metrics.h"
#include "../../cmd/uplift-score/score.h"
#include "harness.h"
#include "xoshiro.h"

static double normal(uint64_t s[4])
{
	double u = up_unif(s), v = up_unif(s);
	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

static double sigmoid(double x)
{
	return 1 / (1 + exp(-x));
}

/* |coverage - 0.90| within 3 binomial standard errors of R replications */
static int coverage_ok(int hits, int R)
{
	double c = (double)hits / R;
	return fabs(c - 0.90) <= 3 * sqrt(0.09 / R);
}

/*
 * Difference in means: two segments of equal size, control rate 0.30,
 * treated 0.34 (segment a) and 0.40 (b); ATE 0.07.  Welch intervals of the
 * ATE and of each segment's effect over 200 replications of 2,000 units;
 * bootstrap intervals over 100 replications of 1,000.
 */
static void test_dim_coverage(void)
{
	enum { N = 2000, R = 200 };
	static double y[N];
	static unsigned char t[N];
	static size_t all[N], seg[2][N / 2];
	int hit_all = 0, hit_seg[2] = { 0, 0 }, hit_boot = 0;
	const double pc = 0.30, pt[2] = { 0.34, 0.40 }, ate = 0.07;
	uint64_t s[4];

	xoshiro_seed(s, 20250303);
	for (int i = 0; i < N; i++) {
		all[i] = (size_t)i;
		seg[i % 2][i / 2] = (size_t)i;
	}
	for (int r = 0; r < R; r++) {
		struct up_est e;
		for (int i = 0; i < N; i++) {
			t[i] = up_unif(s) < 0.5;
			y[i] = up_unif(s) < (t[i] ? pt[i % 2] : pc);
		}
		dim_normal(y, t, all, N, &e);
		hit_all += e.low <= ate && ate <= e.high;
		for (int g = 0; g < 2; g++) {
			dim_normal(y, t, seg[g], N / 2, &e);
			hit_seg[g] += e.low <= pt[g] - pc && pt[g] - pc <= e.high;
		}
		if (r < 100) {
			dim_bootstrap(y, t, all, N / 2, 200, (uint64_t)r, &e);
			/* the first 1,000 units: half of each segment, ATE still 0.07 */
			hit_boot += e.low <= ate && ate <= e.high;
		}
	}
	CHECK(coverage_ok(hit_all, R));
	CHECK(coverage_ok(hit_seg[0], R));
	CHECK(coverage_ok(hit_seg[1], R));
	CHECK(coverage_ok(hit_boot, 100));
	printf("dim coverage: all %.3f, a %.3f, b %.3f, bootstrap %.3f\n", hit_all / (double)R,
	       hit_seg[0] / (double)R, hit_seg[1] / (double)R, hit_boot / 100.0);
}

/*
 * T-learner delta-method intervals: x ~ U(-1, 1), logit P(y | C) = -0.5 + x,
 * logit P(y | T) = -0.2 + 1.5 x.  The true ATE and the effect on x > 0 are
 * integrals over x (Simpson, 2,000 panels); 200 replications of 1,000 units.
 */
static double true_effect(double lo, double hi)
{
	int K = 2000;
	double h = (hi - lo) / K, s = 0;
	for (int k = 0; k <= K; k++) {
		double x = lo + k * h, f = sigmoid(-0.2 + 1.5 * x) - sigmoid(-0.5 + x);
		s += f * (k == 0 || k == K ? 1 : k % 2 ? 4 : 2);
	}
	return s * h / 3 / (hi - lo);
}

static void test_tl_coverage(void)
{
	enum { N = 1000, R = 200 };
	static double X[N * 2], y[N];
	static unsigned char t[N];
	static size_t all[N], pos[N];
	double ate = true_effect(-1, 1), ate_pos = true_effect(0, 1);
	int hit = 0, hit_pos = 0, fails = 0;
	uint64_t s[4];
	char err[256];

	xoshiro_seed(s, 77);
	for (int r = 0; r < R; r++) {
		struct tl_model f;
		struct up_est e;
		size_t np = 0;
		for (int i = 0; i < N; i++) {
			double x = 2 * up_unif(s) - 1;
			X[2 * i] = 1;
			X[2 * i + 1] = x;
			t[i] = up_unif(s) < 0.5;
			y[i] = up_unif(s) < sigmoid(t[i] ? -0.2 + 1.5 * x : -0.5 + x);
			all[i] = (size_t)i;
			if (x > 0)
				pos[np++] = (size_t)i;
		}
		if (tl_fit(X, 2, y, GLM_LOGISTIC, t, all, N, NULL, 0, NULL, 1, &f, err, sizeof err)) {
			fails++;
			continue;
		}
		tl_segment(&f, X, t, all, N, &e);
		hit += e.low <= ate && ate <= e.high;
		tl_segment(&f, X, t, pos, np, &e);
		hit_pos += e.low <= ate_pos && ate_pos <= e.high;
		tl_free(&f);
	}
	CHECK_INT(fails, 0);
	CHECK(coverage_ok(hit, R));
	CHECK(coverage_ok(hit_pos, R));
	printf("t_learner delta coverage: ATE %.4f %.3f, x>0 %.4f %.3f\n", ate, hit / (double)R,
	       ate_pos, hit_pos / (double)R);
}

/*
 * Continuous outcome y = 1 + x1 - 0.5 x2 + t (0.5 + x1) + N(0, 1): the
 * T-learner's coefficient differences recover (0.5, 1, 0) within 4 standard
 * errors; with linear base models the X-learner's tau_T and tau_C are the
 * same differences exactly (D_T regressed on X is beta_T - beta_C).
 */
static void test_heterogeneous_linear(void)
{
	enum { N = 4000, P = 3 };
	static double X[N * P], y[N];
	static unsigned char t[N];
	static size_t all[N];
	const double truth[P] = { 0.5, 1, 0 };
	struct tl_model f;
	struct xl_model xf;
	uint64_t s[4];
	char err[256];

	xoshiro_seed(s, 4242);
	for (int i = 0; i < N; i++) {
		double x1 = normal(s), x2 = normal(s);
		X[i * P] = 1;
		X[i * P + 1] = x1;
		X[i * P + 2] = x2;
		t[i] = up_unif(s) < 0.4;
		y[i] = 1 + x1 - 0.5 * x2 + (t[i] ? 0.5 + x1 : 0) + normal(s);
		all[i] = (size_t)i;
	}
	CHECK_INT(tl_fit(X, P, y, GLM_GAUSSIAN, t, all, N, NULL, 0, NULL, 1, &f, err, sizeof err), 0);
	CHECK_INT(xl_fit(X, P, y, GLM_GAUSSIAN, t, all, N, NULL, 0, NULL, &xf, err, sizeof err), 0);
	for (int j = 0; j < P; j++) {
		double d = f.t.beta[j] - f.c.beta[j];
		double se = sqrt(f.t.cov[j * P + j] + f.c.cov[j * P + j]);
		CHECK(fabs(d - truth[j]) < 4 * se);
		CHECK(fabs(xf.tt.beta[j] - d) < 1e-9);
		CHECK(fabs(xf.tc.beta[j] - d) < 1e-9);
	}
	CHECK(fabs(xl_predict(&xf, X + 7 * P, 0.3) - tl_predict(&f, X + 7 * P)) < 1e-9);
	tl_free(&f);
	xl_free(&xf);
}

/*
 * Binary heterogeneity: logit P(y | C) = -1, logit P(y | T) = -1 + 2 x,
 * x ~ U(-1, 1) (the effect changes sign).  Fit on one half, rank the other:
 * the Qini of the T- and X-learners' predictions and of the true effect
 * all beat every one of 50 random rankings; the predictions correlate with
 * the true effect.
 */
static double corr(const double *a, const double *b, size_t n)
{
	double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
	for (size_t i = 0; i < n; i++) {
		ma += a[i] / n;
		mb += b[i] / n;
	}
	for (size_t i = 0; i < n; i++) {
		sab += (a[i] - ma) * (b[i] - mb);
		saa += (a[i] - ma) * (a[i] - ma);
		sbb += (b[i] - mb) * (b[i] - mb);
	}
	return sab / sqrt(saa * sbb);
}

static void test_heterogeneous_qini(void)
{
	enum { N = 6000, H = N / 2 };
	static double X[N * 2], y[N], tau[N], tl_hat[H], xl_hat[H], truth[H], yh[H], rnd[H];
	static unsigned char t[N], th[H];
	static size_t train[H];
	struct tl_model f;
	struct xl_model xf;
	double q_tl, q_xl, q_true, q_rand_max = -1e9;
	uint64_t s[4];
	char err[256];

	xoshiro_seed(s, 99);
	for (int i = 0; i < N; i++) {
		double x = 2 * up_unif(s) - 1;
		X[2 * i] = 1;
		X[2 * i + 1] = x;
		t[i] = up_unif(s) < 0.5;
		tau[i] = sigmoid(-1 + 2 * x) - sigmoid(-1);
		y[i] = up_unif(s) < sigmoid(t[i] ? -1 + 2 * x : -1);
		if (i < H)
			train[i] = (size_t)i;
	}
	CHECK_INT(tl_fit(X, 2, y, GLM_LOGISTIC, t, train, H, NULL, 0, NULL, 0, &f, err, sizeof err), 0);
	CHECK_INT(xl_fit(X, 2, y, GLM_LOGISTIC, t, train, H, NULL, 0, NULL, &xf, err, sizeof err), 0);
	for (int k = 0; k < H; k++) {
		size_t i = (size_t)(H + k);
		tl_hat[k] = tl_predict(&f, X + 2 * i);
		xl_hat[k] = xl_predict(&xf, X + 2 * i, 0.5);
		truth[k] = tau[i];
		yh[k] = y[i];
		th[k] = t[i];
	}
	q_tl = qini_auc_score(yh, th, tl_hat, H);
	q_xl = qini_auc_score(yh, th, xl_hat, H);
	q_true = qini_auc_score(yh, th, truth, H);
	for (int r = 0; r < 50; r++) {
		double q;
		for (int k = 0; k < H; k++)
			rnd[k] = up_unif(s);
		q = qini_auc_score(yh, th, rnd, H);
		if (q > q_rand_max)
			q_rand_max = q;
	}
	printf("qini: t_learner %.4f, x_learner %.4f, true effect %.4f, best of 50 random %.4f\n",
	       q_tl, q_xl, q_true, q_rand_max);
	CHECK(q_true > q_rand_max);
	CHECK(q_tl > q_rand_max);
	CHECK(q_xl > q_rand_max);
	CHECK(corr(tl_hat, truth, H) > 0.95);
	CHECK(corr(xl_hat, truth, H) > 0.95);
	tl_free(&f);
	xl_free(&xf);
}

/*
 * Confounding: x ~ N(0, 1), P(t | x) = sigmoid(0.8 x), y = 1 + 2 x + t +
 * N(0, 1), effect 1.  A difference in means is biased by 2 (E[x | t=1] -
 * E[x | t=0]) (about 1.4); IPW (Hajek) and AIPW with estimated propensities
 * recover 1: AIPW's coverage within 3 binomial standard errors of 90% over
 * 100 replications of 2,000 units; IPW's influence-function interval
 * ignores the propensity's estimation, which makes it conservative, so
 * only its lower side is checked; the mean estimates lie within 4 standard
 * errors of the replications' spread from 1.
 */
static void test_confounded(void)
{
	enum { N = 2000, R = 100 };
	static double X[N * 2], y[N], tv[N], e[N], m1[N], m0[N];
	static unsigned char t[N];
	static size_t all[N];
	int hit_ipw = 0, hit_dr = 0, hit_dim = 0;
	double sum_ipw = 0, ss_ipw = 0, sum_dr = 0, ss_dr = 0, sum_dim = 0;
	uint64_t s[4];
	char err[256];

	xoshiro_seed(s, 31337);
	for (int r = 0; r < R; r++) {
		struct glm_fit pf;
		struct tl_model f;
		struct up_est ei, ed, em;
		for (int i = 0; i < N; i++) {
			double x = normal(s);
			X[2 * i] = 1;
			X[2 * i + 1] = x;
			t[i] = up_unif(s) < sigmoid(0.8 * x);
			tv[i] = t[i];
			y[i] = 1 + 2 * x + t[i] + normal(s);
			all[i] = (size_t)i;
		}
		CHECK_INT(glm_fit(GLM_LOGISTIC, X, 2, tv, all, N, NULL, 0, NULL, 0, &pf, err, sizeof err), 0);
		for (int i = 0; i < N; i++)
			e[i] = sigmoid(glm_eta(X + 2 * i, pf.beta, 2));
		glm_free(&pf);
		CHECK_INT(tl_fit(X, 2, y, GLM_GAUSSIAN, t, all, N, NULL, 0, NULL, 0, &f, err, sizeof err), 0);
		for (int i = 0; i < N; i++) {
			m1[i] = glm_eta(X + 2 * i, f.t.beta, 2);
			m0[i] = glm_eta(X + 2 * i, f.c.beta, 2);
		}
		tl_free(&f);
		ipw_estimate(y, t, e, all, N, &ei);
		dr_estimate(y, t, e, m1, m0, all, N, &ed);
		dim_normal(y, t, all, N, &em);
		hit_ipw += ei.low <= 1 && 1 <= ei.high;
		hit_dr += ed.low <= 1 && 1 <= ed.high;
		hit_dim += em.low <= 1 && 1 <= em.high;
		sum_ipw += ei.uplift;
		ss_ipw += ei.uplift * ei.uplift;
		sum_dr += ed.uplift;
		ss_dr += ed.uplift * ed.uplift;
		sum_dim += em.uplift;
	}
	{
		double mi = sum_ipw / R, md = sum_dr / R;
		double sdi = sqrt(ss_ipw / R - mi * mi), sdd = sqrt(ss_dr / R - md * md);
		printf("confounded: dim %.3f (coverage %.2f), ipw %.4f (%.2f), dr %.4f (%.2f)\n",
		       sum_dim / R, hit_dim / (double)R, mi, hit_ipw / (double)R, md, hit_dr / (double)R);
		CHECK(fabs(mi - 1) < 4 * sdi / sqrt(R));
		CHECK(fabs(md - 1) < 4 * sdd / sqrt(R));
		CHECK(sum_dim / R - 1 > 0.8);
	}
	CHECK_INT(hit_dim, 0);
	CHECK(coverage_ok(hit_dr, R));
	CHECK((double)hit_ipw / R >= 0.90 - 3 * sqrt(0.09 / R));
}

/*
 * The whole run on a small randomised file: the rows per estimator, arm,
 * segment and outcome, quantile segments, and the IPW/DR rows with the
 * propensity.
 */
static void test_run(void)
{
	enum { N = 800 };
	char path[256], *files[1], err[512];
	char *outs[2] = { (char *)"buy", (char *)"spend" }, *covs[2] = { (char *)"x", (char *)"tier" };
	struct up_config c = { .id = "id", .treatment = "arm", .control = "none", .outcomes = outs,
			       .nout = 2, .covariates = covs, .ncov = 2, .segment = "tier" };
	struct up_opts o = { .want = { 1, 1, 1, 1, 1 }, .propensity = 1, .trim = 0.05, .quantiles = 3,
			     .folds = 2, .boot_dim = 100, .boot_xl = 20, .seed = 5 };
	struct up_data d;
	struct up_result r;
	uint64_t s[4];
	FILE *f;
	size_t counts[E_COUNT] = { 0 };

	snprintf(path, sizeof path, "%s/uprun.%d.ndjson", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 (int)getpid());
	f = fopen(path, "w");
	xoshiro_seed(s, 8);
	for (int i = 0; i < N; i++) {
		double x = normal(s), u = up_unif(s);
		const char *arm = u < 1.0 / 3 ? "none" : u < 2.0 / 3 ? "A" : "B";
		double eta = -0.5 + x + (arm[0] == 'A' ? 0.5 : arm[0] == 'B' ? 0.2 * x : 0);
		int buy = up_unif(s) < sigmoid(eta);
		fprintf(f, "{\"id\":\"u%d\",\"arm\":\"%s\",\"buy\":%s,\"spend\":%.2f,\"x\":%.6f,"
			"\"tier\":\"%s\"}\n", i, arm, buy ? "true" : "false", buy * (20 + 5 * x), x,
			i % 3 ? "gold" : "basic");
	}
	fclose(f);
	files[0] = path;
	CHECK_INT(up_read(files, 1, &c, &d, err, sizeof err), 0);
	unlink(path);
	CHECK_INT(d.narm, 2);
	CHECK_INT(d.p, 3);
	CHECK_INT(up_score(&d, &o, &r, NULL, err, sizeof err), 0);
	/* per arm and outcome: dim 3 segments; t and x learners 3 + 3 quantiles; ipw, dr 3 */
	CHECK_INT(r.nscore, 2 * 2 * (3 + 6 + 6 + 3 + 3));
	CHECK_INT(r.nmodel, 2 * 2 * 5);
	for (size_t i = 0; i < r.nmodel; i++) {
		const struct up_model_row *m = &r.model[i];
		counts[m->est]++;
		if ((m->est == E_TL || m->est == E_XL) && d.binary[m->outcome])
			CHECK(isfinite(m->qini) && isfinite(m->auuc));
		else
			CHECK(isnan(m->qini));
		if (m->est != E_DIM)
			CHECK_HAS(m->coefficients, "\"propensity\":[");
	}
	for (int k = 0; k < E_COUNT; k++)
		CHECK_INT(counts[k], 4);
	for (size_t i = 0; i < r.nscore; i++)
		CHECK(r.score[i].e.low <= r.score[i].e.uplift && r.score[i].e.uplift <= r.score[i].e.high);
	up_result_free(&r);
	up_data_free(&d);
}

int main(void)
{
	gsl_set_error_handler_off();
	test_dim_coverage();
	test_tl_coverage();
	test_heterogeneous_linear();
	test_heterogeneous_qini();
	test_confounded();
	test_run();
	return h_done("uplift-score_stats");
}
