/*
 * mmm-fit's model and allocator: the analytic gradient against central
 * finite differences, the O(T) adstock against the direct convolution, the
 * steady-state response, and the allocator against a brute-force grid.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>

#include "../../cmd/mmm-fit/alloc.h"
#include "../../cmd/mmm-fit/model.h"
#include "die.h"
#include "harness.h"
#include "timefmt.h"

/* Synthetic data: T periods, C channels (the last one dead when dead), K controls. */
static void make_data(struct mmm_data *d, int T, int C, int K, int grain, int dead, unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int t, c, k;
	char nm[32];

	gsl_rng_set(r, seed);
	memset(d, 0, sizeof *d);
	d->T = T;
	d->C = C;
	d->K = K;
	d->grain = grain;
	d->day0 = days_from_civil(2024, 1, 1);
	d->channel = xmalloc((size_t)C * sizeof *d->channel);
	d->control = xmalloc((size_t)(K ? K : 1) * sizeof *d->control);
	d->spend = xcalloc((size_t)T * C, sizeof *d->spend);
	d->kpi = xcalloc((size_t)T, sizeof *d->kpi);
	d->ctrl = xcalloc((size_t)T * (K ? K : 1), sizeof *d->ctrl);
	d->dead = xcalloc((size_t)C, 1);
	for (c = 0; c < C; c++) {
		snprintf(nm, sizeof nm, "ch%d", c);
		d->channel[c] = xstrdup(nm);
	}
	for (k = 0; k < K; k++) {
		snprintf(nm, sizeof nm, "ctl%d", k);
		d->control[k] = xstrdup(nm);
	}
	for (t = 0; t < T; t++) {
		for (c = 0; c < C; c++) {
			double on = gsl_rng_uniform(r) < 0.15 ? 0 : 1;   /* some dark days */
			d->spend[(size_t)t * C + c] = (dead && c == C - 1) ? 0 :
				on * (100.0 * (c + 1)) * exp(0.4 * gsl_ran_ugaussian(r));
		}
		for (k = 0; k < K; k++)
			d->ctrl[(size_t)t * K + k] = gsl_rng_uniform(r) < 0.1 ? 1 : 0;
		d->kpi[t] = 200 + 20 * gsl_ran_ugaussian(r);
	}
	for (c = 0; c < C; c++)
		d->dead[c] = dead && c == C - 1;
	gsl_rng_free(r);
}

/* Worst error of the gradient against central differences at n random points, in
 * units of the allowance (below 1 passes). */
static double grad_check(struct mmm_model *m, int n, unsigned long seed, int *bad_coord)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct mmm_ctx cx = { m, mmm_work_new(m) };
	double *th = xmalloc((size_t)m->dim * sizeof *th), *g = xmalloc((size_t)m->dim * sizeof *g);
	double *g2 = xmalloc((size_t)m->dim * sizeof *g2), worst = 0;
	int i, j;

	gsl_rng_set(r, seed);
	mmm_init_point(m, th);
	for (i = 0; i < n; i++) {
		double lp;
		double *c0 = xmalloc((size_t)m->dim * sizeof *c0);
		mmm_init_point(m, c0);
		for (j = 0; j < m->dim; j++)
			th[j] = c0[j] + gsl_ran_flat(r, -1.5, 1.5);
		free(c0);
		lp = mmm_logp(th, g, &cx);
		CHECK(isfinite(lp));
		for (j = 0; j < m->dim; j++) {
			double h = 1e-5 * (1 + fabs(th[j])), keep = th[j], up, dn, fd, err;
			th[j] = keep + h;
			up = mmm_logp(th, g2, &cx);
			th[j] = keep - h;
			dn = mmm_logp(th, g2, &cx);
			th[j] = keep;
			fd = (up - dn) / (2 * h);
			/*
			 * Central differences carry truncation O(h^2 f''') and rounding:
			 * log p sums T terms, each rounded, so its error is about
			 * eps * (|log p| + T), and the quotient's about that over h.  The
			 * error is measured in units of that allowance plus 1e-6 |g|.
			 */
			err = fabs(fd - g[j]) /
			      (1e-6 * (1 + fabs(g[j])) + 1e3 * DBL_EPSILON * (fabs(lp) + m->T) / h);
			if (getenv("GDEBUG") && err > 0.1)
				fprintf(stderr, "%s fd %.10g g %.10g lp %.6g h %g\n", m->name[j], fd, g[j], lp, h);
			if (err > worst) {
				worst = err;
				*bad_coord = j;
			}
		}
	}
	free(th);
	free(g);
	free(g2);
	mmm_work_free(cx.w);
	gsl_rng_free(r);
	return worst;
}

static void test_gradients(void)
{
	struct mmm_data d;
	struct mmm_model m;
	char err[256];
	int bad = -1, kinds[2] = { MMM_GEOMETRIC, MMM_DELAYED }, i;

	for (i = 0; i < 2; i++) {
		make_data(&d, 400, 3, 2, MMM_GRAIN_DAY, 0, 11 + i);
		CHECK_INT(mmm_model_init(&m, &d, kinds[i], 0, err, sizeof err), 0);
		CHECK_INT(m.dim, 3 * (i ? 5 : 4) + 2 + 6 + 2 + 2 + 1);
		{
			double w = grad_check(&m, 20, 5 + i, &bad);
			if (!(w < 1))
				fprintf(stderr, "gradient %s: worst error %.3g allowances at %s\n",
					i ? "delayed" : "geometric", w, bad >= 0 ? m.name[bad] : "?");
			CHECK(w < 1);
		}
		mmm_model_free(&m);
		mmm_free(&d);
	}
	/* weekly grain, a dead channel left out, no controls */
	make_data(&d, 156, 4, 0, MMM_GRAIN_WEEK, 1, 3);
	CHECK_INT(mmm_model_init(&m, &d, MMM_GEOMETRIC, 0, err, sizeof err), 0);
	CHECK_INT(m.C, 3);
	CHECK_INT(m.L, 13);
	CHECK_INT(m.F, 4);
	CHECK(grad_check(&m, 20, 9, &bad) < 1);
	mmm_model_free(&m);
	mmm_free(&d);
}

/* The O(T) geometric adstock and the delayed one against the definition. */
static void test_adstock(void)
{
	struct mmm_data d;
	struct mmm_model m;
	char err[256];
	double *p, *out, worst = 0;
	int t, l, kind;

	make_data(&d, 300, 2, 0, MMM_GRAIN_DAY, 0, 21);
	for (kind = 0; kind < 2; kind++) {
		CHECK_INT(mmm_model_init(&m, &d, kind ? MMM_DELAYED : MMM_GEOMETRIC, 0, err, sizeof err), 0);
		p = xcalloc((size_t)m.dim, sizeof *p);
		out = xmalloc((size_t)m.T * sizeof *out);
		p[0] = 0.65;            /* alpha */
		p[1] = 0.8;             /* K */
		p[2] = 1.7;             /* S */
		p[3] = 0.3;             /* rho: beta = rho (1 + K^S) */
		if (kind)
			p[4] = 3.5;     /* theta */
		mmm_contribution(&m, p, 0, out);
		for (t = 0; t < m.T; t++) {
			double num = 0, den = 0, a, want;
			for (l = 0; l < m.L; l++) {
				double w = kind ? pow(0.65, (l - 3.5) * (l - 3.5)) : pow(0.65, l);
				den += w;
				if (t - l >= 0)
					num += w * m.x[t - l];
			}
			a = num / den;
			want = a > 0 ? 0.3 * (1 + pow(0.8, 1.7)) * pow(a, 1.7) / (pow(a, 1.7) + pow(0.8, 1.7)) : 0;
			if (fabs(out[t] - want) > worst)
				worst = fabs(out[t] - want);
		}
		CHECK(worst < 1e-12);
		/* steady state: constant spend s gives adstock s / mean */
		{
			double ds, s = 1.3 * m.x_mean[0], a = 1.3, h = pow(a, 1.7) / (pow(a, 1.7) + pow(0.8, 1.7));
			double r = mmm_response(&m, p, 0, s, &ds), e = 1e-6 * s, fd;
			CHECK(fabs(r - 0.3 * (1 + pow(0.8, 1.7)) * h * m.y_mean) < 1e-9 * r);
			fd = (mmm_response(&m, p, 0, s + e, NULL) - mmm_response(&m, p, 0, s - e, NULL)) / (2 * e);
			CHECK(fabs(fd - ds) < 1e-6 * fabs(ds));
			CHECK(mmm_response(&m, p, 0, 0, &ds) == 0 && ds == 0);
		}
		free(p);
		free(out);
		mmm_model_free(&m);
	}
	mmm_free(&d);
}

static void test_model_refusals(void)
{
	struct mmm_data d;
	struct mmm_model m;
	char err[256];
	int t;

	make_data(&d, 30, 3, 0, MMM_GRAIN_DAY, 0, 1);
	CHECK_INT(mmm_model_init(&m, &d, MMM_GEOMETRIC, 0, err, sizeof err), 65);
	CHECK_HAS(err, "parameters + 10");
	mmm_free(&d);
	make_data(&d, 200, 2, 0, MMM_GRAIN_DAY, 0, 1);
	for (t = 0; t < d.T; t++)
		d.kpi[t] = 0;
	CHECK_INT(mmm_model_init(&m, &d, MMM_GEOMETRIC, 0, err, sizeof err), 65);
	CHECK_HAS(err, "positive KPI");
	d.dead[0] = d.dead[1] = 1;
	CHECK_INT(mmm_model_init(&m, &d, MMM_GEOMETRIC, 0, err, sizeof err), 65);
	CHECK_HAS(err, "no channel spent");
	mmm_free(&d);
}

/* Allocation test curves: Hill-shaped (S-shaped for some) with different scales. */
struct curves {
	double b[4], k[4], s[4];
};

static double curve(int c, double x, void *arg)
{
	const struct curves *cv = arg;

	return x > 0 ? cv->b[c] / (1 + pow(cv->k[c] / x, cv->s[c])) : 0;
}

static void test_alloc(void)
{
	struct curves cv = { { 50, 80, 30, 10 }, { 300, 900, 150, 40 }, { 1.0, 2.2, 0.7, 3.0 } };
	double lo[4] = { 200, 500, 50, 0 }, hi[4] = { 600, 1300, 400, 0 }, s[4], v, best = -1;
	struct alloc_problem p = { 4, lo, hi, 1500, 0, curve, &cv };
	char err[256];
	int i, j, G = 400;
	double bs[4] = { 0 };

	CHECK_INT(alloc_solve(&p, s, &v, err, sizeof err), 0);
	CHECK(fabs(s[0] + s[1] + s[2] + s[3] - 1500) <= 1e-9 * 1500);
	for (i = 0; i < 4; i++)
		CHECK(s[i] >= lo[i] - 1e-12 && s[i] <= hi[i] + 1e-12);
	CHECK(isfinite(v) && s[3] == 0);   /* the zero-spend channel: bounds 0..0, no NaN */
	/* brute force on a G x G grid over channels 0 and 1 (channel 2 takes the rest) */
	for (i = 0; i <= G; i++)
		for (j = 0; j <= G; j++) {
			double a = lo[0] + (hi[0] - lo[0]) * i / G, b = lo[1] + (hi[1] - lo[1]) * j / G;
			double c = 1500 - a - b, val;
			if (c < lo[2] || c > hi[2])
				continue;
			val = curve(0, a, &cv) + curve(1, b, &cv) + curve(2, c, &cv);
			if (val > best) {
				best = val;
				bs[0] = a;
				bs[1] = b;
				bs[2] = c;
			}
		}
	/* ours is at least as good as the grid's best, and within a grid cell of it */
	CHECK(v >= best - 1e-9 * best);
	CHECK(fabs(s[0] - bs[0]) <= 2 * (hi[0] - lo[0]) / G);
	CHECK(fabs(s[1] - bs[1]) <= 2 * (hi[1] - lo[1]) / G);
	/* infeasible bounds are refused */
	p.budget = 5000;
	CHECK_INT(alloc_solve(&p, s, &v, err, sizeof err), 2);
	CHECK_HAS(err, "cannot meet the budget");
	/* a bound that binds is respected on its own channel, whatever the order */
	{
		double lo2[3] = { 0, 0, 0 }, hi2[3] = { 100, 5000, 5000 };
		struct curves c2 = { { 1000, 10, 10 }, { 10, 1000, 1000 }, { 1, 1, 1 } };
		struct alloc_problem q = { 3, lo2, hi2, 3000, 0, curve, &c2 };
		CHECK_INT(alloc_solve(&q, s, &v, err, sizeof err), 0);
		CHECK(fabs(s[0] - 100) < 1e-9);
		CHECK(fabs(s[0] + s[1] + s[2] - 3000) <= 1e-9 * 3000);
		CHECK(fabs(s[1] - s[2]) < 1e-3);   /* symmetric channels split evenly */
	}
}

int main(void)
{
	test_gradients();
	test_adstock();
	test_model_refusals();
	test_alloc();
	printf("unit mmm-fit_model: %d passed, %d failed\n", h_pass, h_fail);
	return h_fail != 0;
}
