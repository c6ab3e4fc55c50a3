/*
 * BG/NBD and Gamma-Gamma: likelihoods with analytic gradients, the fits,
 * and the expectations.  See model.h for the contracts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_hyperg.h>
#include <gsl/gsl_sf_psi.h>

#include "die.h"
#include "model.h"

/* ---- data ---- */

struct bg_row { int x; double tx, T; };

static int bg_row_cmp(const void *pa, const void *pb)
{
	const struct bg_row *a = pa, *b = pb;
	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->T != b->T)
		return a->T < b->T ? -1 : 1;
	if (a->tx != b->tx)
		return a->tx < b->tx ? -1 : 1;
	return 0;
}

/* hash of one (x, t_x, T) */
static uint64_t row_hash(int x, double tx, double T)
{
	uint64_t a, b, h;
	memcpy(&a, &tx, sizeof a);
	memcpy(&b, &T, sizeof b);
	h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL) * 0xbf58476d1ce4e5b9ULL ^
	    (uint64_t)(unsigned)x * 0x94d049bb133111ebULL;
	h ^= h >> 31;
	h *= 0xd6e8feb86659fd93ULL;
	return h ^ (h >> 32);
}

/* qsort has no context argument: the rows an index sort compares */
static const struct bg_row *sort_rows_ctx;

static int idx_cmp(const void *pa, const void *pb)
{
	return bg_row_cmp(&sort_rows_ctx[*(const size_t *)pa], &sort_rows_ctx[*(const size_t *)pb]);
}

void bg_data_build(struct bg_data *d, const int *x, const double *tx, const double *T, size_t n)
{
	/* collapse identical rows through a hash table first (O(n)), then
	 * sort only the distinct ones (by x, T, t_x) */
	size_t nslot = 16, i, m = 0;
	size_t *slot;
	struct bg_row *r;
	double *w;

	while (nslot < 2 * n)
		nslot *= 2;
	slot = xcalloc(nslot, sizeof *slot);       /* row index + 1, 0 empty */
	r = xmalloc((n ? n : 1) * sizeof *r);
	w = xmalloc((n ? n : 1) * sizeof *w);
	memset(d, 0, sizeof *d);
	for (i = 0; i < n; i++) {
		struct bg_row k = { x[i], x[i] > 0 ? tx[i] : 0, T[i] };
		size_t h = (size_t)row_hash(k.x, k.tx, k.T) & (nslot - 1);
		d->nrepeat += x[i] > 0;
		for (;; h = (h + 1) & (nslot - 1)) {
			size_t e = slot[h];
			if (!e) {
				slot[h] = m + 1;
				r[m] = k;
				w[m++] = 1;
				break;
			}
			if (r[e - 1].x == k.x && r[e - 1].T == k.T && r[e - 1].tx == k.tx) {
				w[e - 1] += 1;
				break;
			}
		}
	}
	free(slot);
	/* sort the distinct rows by an index, so the weights follow */
	{
		size_t *idx = xmalloc((m ? m : 1) * sizeof *idx);
		for (i = 0; i < m; i++)
			idx[i] = i;
		sort_rows_ctx = r;
		qsort(idx, m, sizeof *idx, idx_cmp);
		d->x = xmalloc((m ? m : 1) * sizeof *d->x);
		d->tx = xmalloc((m ? m : 1) * sizeof *d->tx);
		d->T = xmalloc((m ? m : 1) * sizeof *d->T);
		d->w = xmalloc((m ? m : 1) * sizeof *d->w);
		for (i = 0; i < m; i++) {
			d->x[i] = r[idx[i]].x;
			d->tx[i] = r[idx[i]].tx;
			d->T[i] = r[idx[i]].T;
			d->w[i] = w[idx[i]];
		}
		free(idx);
	}
	/* the distinct times, numbered in order of appearance (a hash table) */
	{
		size_t ns = 16, k;
		size_t *ts;
		while (ns < 4 * m + 4)
			ns *= 2;
		ts = xcalloc(ns, sizeof *ts);          /* time index + 1, 0 empty */
		d->tv = xmalloc((2 * m + 1) * sizeof *d->tv);
		d->itx = xmalloc((m ? m : 1) * sizeof *d->itx);
		d->iT = xmalloc((m ? m : 1) * sizeof *d->iT);
		d->nt = 0;
		for (i = 0; i < 2 * m; i++) {
			double t = i < m ? d->tx[i] : d->T[i - m];
			uint64_t b;
			memcpy(&b, &t, sizeof b);
			for (k = (size_t)row_hash(0, t, 0) & (ns - 1); ts[k]; k = (k + 1) & (ns - 1)) {
				uint64_t o;
				memcpy(&o, &d->tv[ts[k] - 1], sizeof o);
				if (o == b)
					break;
			}
			if (!ts[k]) {
				d->tv[d->nt++] = t;
				ts[k] = d->nt;
			}
			if (i < m)
				d->itx[i] = (unsigned)(ts[k] - 1);
			else
				d->iT[i - m] = (unsigned)(ts[k] - 1);
		}
		free(ts);
	}
	d->n = m;
	d->nobs = (double)n;
	free(r);
	free(w);
}

void bg_data_free(struct bg_data *d)
{
	free(d->x);
	free(d->tx);
	free(d->T);
	free(d->w);
	free(d->tv);
	free(d->itx);
	free(d->iT);
	memset(d, 0, sizeof *d);
}

struct gg_row { int x; double z; };

static int gg_row_cmp(const void *pa, const void *pb)
{
	const struct gg_row *a = pa, *b = pb;
	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	return a->z < b->z ? -1 : a->z > b->z;
}

void gg_data_build(struct gg_data *d, const int *x, const double *zbar, size_t n)
{
	struct gg_row *r = xmalloc((n ? n : 1) * sizeof *r);
	size_t i, m = 0;

	for (i = 0; i < n; i++)
		if (x[i] > 0 && zbar[i] > 0 && isfinite(zbar[i])) {
			r[m].x = x[i];
			r[m].z = zbar[i];
			m++;
		}
	/* grouped by x: a counting sort when the x's are small (the usual
	 * case: linear time), else qsort */
	{
		int xmax = 0;
		for (i = 0; i < m; i++)
			if (r[i].x > xmax)
				xmax = r[i].x;
		if (xmax <= 4096 && m > 0) {
			size_t *cnt = xcalloc((size_t)xmax + 2, sizeof *cnt), sum = 0;
			struct gg_row *o = xmalloc(m * sizeof *o);
			for (i = 0; i < m; i++)
				cnt[r[i].x + 1]++;
			for (i = 0; i <= (size_t)xmax + 1; i++) {
				sum += cnt[i];
				cnt[i] = sum;
			}
			for (i = 0; i < m; i++)
				o[cnt[r[i].x]++] = r[i];
			free(r);
			free(cnt);
			r = o;
		} else {
			qsort(r, m, sizeof *r, gg_row_cmp);
		}
	}
	d->n = m;
	d->x = xmalloc((m ? m : 1) * sizeof *d->x);
	d->z = xmalloc((m ? m : 1) * sizeof *d->z);
	d->lz = xmalloc((m ? m : 1) * sizeof *d->lz);
	for (i = 0; i < m; i++) {
		d->x[i] = r[i].x;
		d->z[i] = r[i].z;
		d->lz[i] = log(r[i].z);
	}
	free(r);
}

void gg_data_free(struct gg_data *d)
{
	free(d->x);
	free(d->z);
	free(d->lz);
	memset(d, 0, sizeof *d);
}

/* ---- likelihoods ---- */

double bg_ll(const double th[BG_NP], const struct bg_data *d, double *grad)
{
	const double r = th[BG_R], al = th[BG_ALPHA], a = th[BG_A], b = th[BG_B];
	const double lal = log(al), la = log(a);
	const double lg_r = lgamma(r), lg_b = lgamma(b), lg_ab = lgamma(a + b);
	const double ps_r = gsl_sf_psi(r), ps_b = gsl_sf_psi(b), ps_ab = gsl_sf_psi(a + b);
	double ll = 0, gr = 0, gal = 0, ga = 0, gb = 0;
	/* lnG and psi at r+x, b+x, a+b+x for the current x, carried up from
	 * x = 0 by lnG(z+1) = lnG(z) + ln z and psi(z+1) = psi(z) + 1/z (a
	 * product and a sum over the gap, one log per gap) while the gaps
	 * between the x's are short; a long gap calls lgamma and psi afresh */
	double lgr = lg_r, lgb = lg_b, lgab = lg_ab, psr = ps_r, psb = ps_b, psab = ps_ab;
	int xc = 0;
	size_t i = 0;
	double tbuf[2 * 512], *lgt = d->nt <= 512 ? tbuf : xmalloc(2 * d->nt * sizeof *lgt);
	double *ivt = lgt + (d->nt <= 512 ? 512 : d->nt);

	for (i = 0; i < d->nt; i++) {             /* log(alpha + t) and 1/(alpha + t) per time */
		lgt[i] = log(al + d->tv[i]);
		ivt[i] = 1 / (al + d->tv[i]);
	}
	i = 0;
	while (i < d->n) {
		const int x = d->x[i];
		const double rx = r + x;
		double c12;
		if (x - xc <= 16) {
			double pr = 1, pb = 1, pab = 1;
			for (; xc < x; xc++) {
				double u = r + xc, v = b + xc, t = a + b + xc;
				pr *= u;
				pb *= v;
				pab *= t;
				psr += 1 / u;
				psb += 1 / v;
				psab += 1 / t;
			}
			lgr += log(pr);
			lgb += log(pb);
			lgab += log(pab);
		} else {
			xc = x;
			lgr = lgamma(rx);
			lgb = lgamma(b + x);
			lgab = lgamma(a + b + x);
			psr = gsl_sf_psi(rx);
			psb = gsl_sf_psi(b + x);
			psab = gsl_sf_psi(a + b + x);
		}
		/* the terms of one value of x: A1 + A2 of the log form, and ln a - ln(b+x-1) */
		c12 = lgr - lg_r + r * lal + lg_ab + lgb - lg_b - lgab;
		const double c4 = x > 0 ? la - log(b + x - 1) : 0;
		double sw = 0, s_lT = 0, s_iT = 0, s_w4 = 0;
		double Tprev = NAN, lT = 0, iT = 0;
		for (; i < d->n && d->x[i] == x; i++) {
			const double w = d->w[i];
			double A3, s, w3 = 1, w4 = 0, lt = 0;
			if (d->T[i] != Tprev) {      /* rows are sorted by T within x */
				Tprev = d->T[i];
				lT = lgt[d->iT[i]];
				iT = ivt[d->iT[i]];
			}
			A3 = -rx * lT;
			if (x > 0) {
				/* ln(e^A3 + e^A4) = max + ln(1 + e^-|A3-A4|), weights from the same
				 * e (log, not log1p: the absolute error is what matters, and log is
				 * the faster) */
				double A4, e;
				lt = lgt[d->itx[i]];
				A4 = c4 - rx * lt;
				if (A3 >= A4) {
					e = exp(A4 - A3);
					s = A3 + log(1 + e);
					w3 = 1 / (1 + e);
					w4 = e * w3;
				} else {
					e = exp(A3 - A4);
					s = A4 + log(1 + e);
					w4 = 1 / (1 + e);
					w3 = e * w4;
				}
				s_iT += w * (w3 * iT + w4 / (al + d->tx[i]));
			} else {
				s = A3;
				s_iT += w * iT;
			}
			ll += w * s;
			sw += w;
			s_lT += w * (w3 * lT + w4 * lt);
			s_w4 += w * w4;
		}
		ll += sw * c12;
		if (grad) {
			gr += sw * (psr - ps_r + lal) - s_lT;
			gal += sw * r / al - rx * s_iT;
			ga += sw * (ps_ab - psab) + (x > 0 ? s_w4 / a : 0);
			gb += sw * (ps_ab + psb - ps_b - psab) - (x > 0 ? s_w4 / (b + x - 1) : 0);
		}
	}
	if (lgt != tbuf)
		free(lgt);
	if (grad) {
		grad[BG_R] = gr * r;
		grad[BG_ALPHA] = gal * al;
		grad[BG_A] = ga * a;
		grad[BG_B] = gb * b;
	}
	return ll;
}

double gg_ll(const double th[GG_NP], const struct gg_data *d, double *grad)
{
	const double p = th[GG_P], q = th[GG_Q], g = th[GG_GAMMA], lg = log(g);
	const double lg_q = lgamma(q), ps_q = gsl_sf_psi(q);
	double ll = 0, gp = 0, gq = 0, gg = 0;
	size_t i = 0;

	while (i < d->n) {
		const int x = d->x[i];
		const double px = p * x, lx = log((double)x);
		const double c = lgamma(px + q) - lgamma(px) - lg_q + q * lg + px * lx;
		double sw = 0, s_lz = 0, s_L = 0, s_inv = 0;
		for (; i < d->n && d->x[i] == x; i++) {
			const double L = log(g + x * d->z[i]);
			ll += (px - 1) * d->lz[i] - (px + q) * L;
			sw += 1;
			s_lz += d->lz[i];
			s_L += L;
			s_inv += 1 / (g + x * d->z[i]);
		}
		ll += sw * c;
		if (grad) {
			const double pspq = gsl_sf_psi(px + q);
			gp += x * (sw * (pspq - gsl_sf_psi(px) + lx) + s_lz - s_L);
			gq += sw * (pspq - ps_q + lg) - s_L;
			gg += sw * q / g - (px + q) * s_inv;
		}
	}
	if (grad) {
		grad[GG_P] = gp * p;
		grad[GG_Q] = gq * q;
		grad[GG_GAMMA] = gg * g;
	}
	return ll;
}

/* ---- the fit ---- */

typedef double (*ll_fn)(const double *th, const void *data, double *grad);

struct objective {
	ll_fn f;
	const void *data;
	int np;
	long evals;
	/* the last evaluation with a gradient: the fit asks for the same point
	 * again (the gradient norm and the value at the optimum) */
	int have_last;
	double last_u[FIT_MAXP], last_v, last_g[FIT_MAXP];
};

/* -LL at log-parameters u; a non-finite value becomes a large one so the
 * line search backs off instead of failing. */
static double neg_ll(const gsl_vector *u, struct objective *o, double *grad)
{
	double th[FIT_MAXP], v, uc[FIT_MAXP] = { 0 };
	int i;

	for (i = 0; i < o->np; i++)
		uc[i] = gsl_vector_get(u, (size_t)i);
	if (o->have_last && memcmp(uc, o->last_u, (size_t)o->np * sizeof *uc) == 0) {
		if (grad)
			memcpy(grad, o->last_g, (size_t)o->np * sizeof *grad);
		return o->last_v;
	}
	for (i = 0; i < o->np; i++) {
		double ui = uc[i];
		if (!(ui > -50 && ui < 50)) {
			if (grad)
				memset(grad, 0, (size_t)o->np * sizeof *grad);
			return 1e300;
		}
		th[i] = exp(ui);
	}
	o->evals++;
	v = -o->f(th, o->data, grad);
	if (grad)
		for (i = 0; i < o->np; i++)
			grad[i] = -grad[i];
	if (!isfinite(v) || (grad && !(isfinite(grad[0]) && isfinite(grad[1]) &&
				       isfinite(grad[2]) && isfinite(grad[o->np - 1])))) {
		if (grad)
			memset(grad, 0, (size_t)o->np * sizeof *grad);
		return 1e300;
	}
	if (grad) {
		o->have_last = 1;
		o->last_v = v;
		memcpy(o->last_u, uc, (size_t)o->np * sizeof *uc);
		memcpy(o->last_g, grad, (size_t)o->np * sizeof *grad);
	}
	return v;
}

static double mm_f(const gsl_vector *u, void *p)
{
	return neg_ll(u, p, NULL);
}

static void mm_df(const gsl_vector *u, void *p, gsl_vector *g)
{
	double gr[FIT_MAXP];
	struct objective *o = p;
	int i;
	neg_ll(u, o, gr);
	for (i = 0; i < o->np; i++)
		gsl_vector_set(g, (size_t)i, gr[i]);
}

static void mm_fdf(const gsl_vector *u, void *p, double *f, gsl_vector *g)
{
	double gr[FIT_MAXP];
	struct objective *o = p;
	int i;
	*f = neg_ll(u, o, gr);
	for (i = 0; i < o->np; i++)
		gsl_vector_set(g, (size_t)i, gr[i]);
}

static double grad_norm(struct objective *o, const double *u)
{
	double gr[FIT_MAXP], s = 0;
	gsl_vector_const_view uv = gsl_vector_const_view_array(u, (size_t)o->np);
	int i;
	neg_ll(&uv.vector, o, gr);
	for (i = 0; i < o->np; i++)
		s += gr[i] * gr[i];
	return sqrt(s);
}

/* BFGS2 from u (updated in place); returns iterations. */
static int run_bfgs(struct objective *o, double *u, double tol)
{
	gsl_multimin_function_fdf fn = { mm_f, mm_df, mm_fdf, (size_t)o->np, o };
	gsl_multimin_fdfminimizer *m =
		gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, (size_t)o->np);
	gsl_vector_view uv = gsl_vector_view_array(u, (size_t)o->np);
	int it = 0, st, i;

	if (!m)
		die(70, "out of memory (minimiser)");
	gsl_multimin_fdfminimizer_set(m, &fn, &uv.vector, 0.1, 0.1);
	do {
		it++;
		st = gsl_multimin_fdfminimizer_iterate(m);
		if (st)
			break;
		st = gsl_multimin_test_gradient(m->gradient, tol);
	} while (st == GSL_CONTINUE && it < 2000);
	if (m->f < 1e300)
		for (i = 0; i < o->np; i++)
			u[i] = gsl_vector_get(m->x, (size_t)i);
	gsl_multimin_fdfminimizer_free(m);
	return it;
}

/* Nelder-Mead (nmsimplex2) from u, to get out of a region where BFGS stalls. */
static int run_simplex(struct objective *o, double *u)
{
	gsl_multimin_function fn = { mm_f, (size_t)o->np, o };
	gsl_multimin_fminimizer *m =
		gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, (size_t)o->np);
	gsl_vector_view uv = gsl_vector_view_array(u, (size_t)o->np);
	gsl_vector *step = gsl_vector_alloc((size_t)o->np);
	int it = 0, i;

	if (!m || !step)
		die(70, "out of memory (minimiser)");
	gsl_vector_set_all(step, 0.5);
	gsl_multimin_fminimizer_set(m, &fn, &uv.vector, step);
	while (it < 5000) {
		it++;
		if (gsl_multimin_fminimizer_iterate(m))
			break;
		if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), 1e-8) == GSL_SUCCESS)
			break;
	}
	for (i = 0; i < o->np; i++)
		u[i] = gsl_vector_get(m->x, (size_t)i);
	gsl_vector_free(step);
	gsl_multimin_fminimizer_free(m);
	return it;
}

/* Hessian of -LL in log-parameters at u: central differences of the
 * analytic gradient (for the standard errors), or forward differences from
 * the gradient g0 at u (g0 not NULL: half the cost, enough for a Newton
 * direction), symmetrised. */
static void hessian_g(struct objective *o, const double *u, const double *g0, double *h)
{
	int np = o->np, i, j;

	for (j = 0; j < np; j++) {
		double up[FIT_MAXP], gp[FIT_MAXP], gm[FIT_MAXP], step = g0 ? 1e-6 : 1e-5;
		gsl_vector_view uv = gsl_vector_view_array(up, (size_t)np);
		memcpy(up, u, (size_t)np * sizeof *up);
		up[j] = u[j] + step;
		neg_ll(&uv.vector, o, gp);
		if (g0) {
			for (i = 0; i < np; i++)
				h[i * np + j] = (gp[i] - g0[i]) / step;
			continue;
		}
		up[j] = u[j] - step;
		neg_ll(&uv.vector, o, gm);
		for (i = 0; i < np; i++)
			h[i * np + j] = (gp[i] - gm[i]) / (2 * step);
	}
	for (i = 0; i < np; i++)
		for (j = 0; j < i; j++)
			h[i * np + j] = h[j * np + i] = (h[i * np + j] + h[j * np + i]) / 2;
}

/* Cholesky factor of h in place, then h^-1 g into step.  0, or -1 when h is
 * not positive definite. */
static int newton_step(double *h, int np, const double *g, double *step)
{
	gsl_matrix_view hv = gsl_matrix_view_array(h, (size_t)np, (size_t)np);
	gsl_vector_const_view gv = gsl_vector_const_view_array(g, (size_t)np);
	gsl_vector_view sv = gsl_vector_view_array(step, (size_t)np);
	int i;
	for (i = 0; i < np * np; i++)
		if (!isfinite(h[i]))
			return -1;
	if (gsl_linalg_cholesky_decomp1(&hv.matrix) != GSL_SUCCESS)
		return -1;
	return gsl_linalg_cholesky_solve(&hv.matrix, &gv.vector, &sv.vector) == GSL_SUCCESS ? 0 : -1;
}

/* A modified Newton step: (h + mu I)^-1 g with the smallest mu >= 0 of a
 * doubling sequence that makes the matrix positive definite (mu = 0 when h
 * is), so that far from the optimum, where the Hessian is indefinite, the
 * step bends towards steepest descent with a sensible length.  h is kept. */
static int modified_step(const double *h, int np, const double *g, double *step)
{
	double w[FIT_MAXP * FIT_MAXP], scale = 0, mu = 0;
	int i, k;
	for (i = 0; i < np; i++)
		scale = fmax(scale, fabs(h[i * np + i]));
	if (!(scale > 0) || !isfinite(scale))
		return -1;
	for (k = 0; k < 60; k++) {
		memcpy(w, h, (size_t)(np * np) * sizeof *w);
		for (i = 0; i < np; i++)
			w[i * np + i] += mu;
		if (newton_step(w, np, g, step) == 0)
			return 0;
		mu = mu ? 2 * mu : 1e-6 * scale;
	}
	return -1;
}

/*
 * Newton polish from u with the Hessian above: BFGS's line search stalls on
 * the flat ridges of these likelihoods (Gamma-Gamma's p, q, gamma move
 * together) before the gradient is small; a few Newton steps finish the job.
 * A step is taken only when it lowers the gradient norm.  Returns the steps.
 */
static int newton_polish(struct objective *o, double *u, double tol)
{
	int np = o->np, it, i;
	double g = grad_norm(o, u);

	for (it = 0; it < 20 && !(g < tol); it++) {
		double h[FIT_MAXP * FIT_MAXP], gr[FIT_MAXP], st[FIT_MAXP], un[FIT_MAXP], gn;
		gsl_vector_const_view uv = gsl_vector_const_view_array(u, (size_t)np);
		neg_ll(&uv.vector, o, gr);
		hessian_g(o, u, gr, h);
		if (newton_step(h, np, gr, st) != 0)
			break;
		for (i = 0; i < np; i++)
			un[i] = u[i] - st[i];
		gn = grad_norm(o, un);
		if (!(gn < g))
			break;
		memcpy(u, un, (size_t)np * sizeof *u);
		g = gn;
	}
	return it;
}

/*
 * Damped quasi-Newton from u.  The first Hessian is forward differences of
 * the analytic gradient (np gradients); later ones are BFGS updates of it,
 * and a fresh one is taken after a step that had to be shortened.  The
 * direction is the modified Newton step (H + mu I)^-1 g (mu = 0 when H is
 * positive definite); the step is halved until -LL decreases (Armijo).  On
 * these ridged likelihoods (Gamma-Gamma's p, q, gamma move together) it
 * needs a few dozen likelihood evaluations where GSL's BFGS2 line search
 * stalls after hundreds.  Returns the iterations; u is updated.
 */
static int newton_fit(struct objective *o, double *u, double tol)
{
	int np = o->np, it, i, j, fresh = 0;
	double gr[FIT_MAXP], f, hk[FIT_MAXP * FIT_MAXP];
	gsl_vector_view uv = gsl_vector_view_array(u, (size_t)np);

	f = neg_ll(&uv.vector, o, gr);
	for (it = 0; it < 200; it++) {
		double h[FIT_MAXP * FIT_MAXP], d[FIT_MAXP], un[FIT_MAXP], gn[FIT_MAXP], slope = 0;
		double g2 = 0, step = 1, fn = 0, sv[FIT_MAXP], yv[FIT_MAXP], ys = 0, sHs = 0;
		double Hs[FIT_MAXP];
		gsl_vector_view nv = gsl_vector_view_array(un, (size_t)np);
		int k;
		for (i = 0; i < np; i++)
			g2 += gr[i] * gr[i];
		if (sqrt(g2) < tol || !(f < 1e300))
			break;
		if (!fresh) {
			hessian_g(o, u, gr, hk);
			fresh = 1;
		}
		memcpy(h, hk, sizeof h);
		if (modified_step(h, np, gr, d) != 0) {
			for (i = 0; i < np; i++)
				d[i] = gr[i] / sqrt(g2);     /* a unit steepest-descent step */
		}
		for (i = 0; i < np; i++) {
			if (fabs(d[i]) > 2)              /* at most a factor e^2 a step */
				step = fmin(step, 2 / fabs(d[i]));
			slope += gr[i] * d[i];
		}
		if (!(slope > 0)) {                   /* not a descent direction */
			for (i = 0; i < np; i++)
				d[i] = gr[i] / sqrt(g2);
			slope = sqrt(g2);
			step = 1;
		}
		for (k = 0; k < 40; k++, step /= 2) {
			for (i = 0; i < np; i++)
				un[i] = u[i] - step * d[i];
			fn = neg_ll(&nv.vector, o, gn);
			if (fn <= f - 1e-4 * step * slope)
				break;
		}
		if (k == 40) {
			/* no decrease: at the optimum to machine precision, or stuck;
			 * with a quasi-Newton Hessian, try once more with a fresh one */
			if (fresh == 2) {
				fresh = 0;
				continue;
			}
			break;
		}
		/* BFGS update of the Hessian (not its inverse): the next direction
		 * costs no gradients; a fresh finite-difference Hessian when the
		 * curvature condition fails */
		for (i = 0; i < np; i++) {
			sv[i] = un[i] - u[i];
			yv[i] = gn[i] - gr[i];
			ys += yv[i] * sv[i];
		}
		for (i = 0; i < np; i++) {
			Hs[i] = 0;
			for (j = 0; j < np; j++)
				Hs[i] += hk[i * np + j] * sv[j];
			sHs += sv[i] * Hs[i];
		}
		/* a fresh Hessian after a backtracked step: there the quadratic
		 * model was poor */
		if (ys > 1e-12 * sqrt(g2) && sHs > 0 && k == 0) {
			for (i = 0; i < np; i++)
				for (j = 0; j < np; j++)
					hk[i * np + j] += yv[i] * yv[j] / ys - Hs[i] * Hs[j] / sHs;
			fresh = 2;
		} else {
			fresh = 0;
		}
		memcpy(u, un, (size_t)np * sizeof *u);
		memcpy(gr, gn, (size_t)np * sizeof *gr);
		f = fn;
	}
	return it;
}

/*
 * Minimise -LL from start u0; fill out.  The gradient tolerance is on the
 * sum LL in log-parameters, relative to the number of observations: 1e-7
 * per customer moves the estimates by far less than their standard errors.
 */
static int fit_ml(struct objective *o, const double *u0, double nobs, struct fit *out,
		  char *err, size_t errsz)
{
	double u[FIT_MAXP], tol = 1e-7 * (nobs > 1 ? nobs : 1), g, h[FIT_MAXP * FIT_MAXP];
	int np = o->np, i, round;
	gsl_error_handler_t *old = gsl_set_error_handler_off();

	memset(out, 0, sizeof *out);
	out->np = np;
	memcpy(u, u0, (size_t)np * sizeof *u);
	/* quasi-Newton; GSL's BFGS2 and the simplex only when it does not get there */
	out->iterations = newton_fit(o, u, tol);
	g = grad_norm(o, u);
	if (!(g < tol)) {
		memcpy(u, u0, (size_t)np * sizeof *u);
		out->iterations += run_bfgs(o, u, 1e3 * tol);
		out->iterations += newton_polish(o, u, tol);
		g = grad_norm(o, u);
	}
	for (round = 0; round < 3 && !(g < tol); round++) {
		out->iterations += run_simplex(o, u);
		out->iterations += run_bfgs(o, u, tol);
		out->iterations += newton_polish(o, u, tol);
		g = grad_norm(o, u);
	}
	out->converged = g < tol;
	{
		gsl_vector_const_view uv = gsl_vector_const_view_array(u, (size_t)np);
		double v = neg_ll(&uv.vector, o, NULL);
		if (!(v < 1e300)) {
			gsl_set_error_handler(old);
			return errorf(err, errsz, 70, "the likelihood is not finite at the optimum");
		}
		out->ll = -v;
	}
	for (i = 0; i < np; i++)
		out->th[i] = exp(u[i]);
	hessian_g(o, u, NULL, h);
	{
		gsl_matrix_view hv = gsl_matrix_view_array(h, (size_t)np, (size_t)np);
		int ok = 1;
		for (i = 0; i < np * np; i++)
			ok &= isfinite(h[i]);
		if (ok && gsl_linalg_cholesky_decomp1(&hv.matrix) == GSL_SUCCESS &&
		    gsl_linalg_cholesky_invert(&hv.matrix) == GSL_SUCCESS) {
			out->cov_ok = 1;
			memcpy(out->cov, h, (size_t)(np * np) * sizeof *h);
			for (i = 0; i < np; i++)
				out->se[i] = out->th[i] * sqrt(h[i * np + i]);
		} else {
			for (i = 0; i < np * np; i++)
				out->cov[i] = NAN;
			for (i = 0; i < np; i++)
				out->se[i] = NAN;
		}
	}
	gsl_set_error_handler(old);
	return 0;
}

static double bg_obj(const double *th, const void *data, double *grad)
{
	return bg_ll(th, data, grad);
}

static double gg_obj(const double *th, const void *data, double *grad)
{
	return gg_ll(th, data, grad);
}

int bg_fit(const struct bg_data *d, struct fit *out, char *err, size_t errsz)
{
	struct objective o = { bg_obj, d, BG_NP, 0, 0, { 0 }, 0, { 0 } };
	double u0[BG_NP], tsum = 0;
	size_t i;

	memset(out, 0, sizeof *out);
	if (d->nobs < 2)
		return errorf(err, errsz, 65, "BG/NBD: %g customer%s: at least 2 are needed",
			      d->nobs, d->nobs == 1 ? "" : "s");
	if (d->nrepeat < 1)
		return errorf(err, errsz, 65, "BG/NBD: no customer made a repeat purchase: "
			      "the purchase rate and dropout are not identifiable");
	for (i = 0; i < d->n; i++)
		tsum += d->w[i] * d->T[i];
	/* start: r = 1, alpha = the mean age (rate about one purchase per age), a = 1, b = 1 */
	u0[BG_R] = 0;
	u0[BG_ALPHA] = log(tsum / d->nobs > 1e-3 ? tsum / d->nobs : 1);
	u0[BG_A] = 0;
	u0[BG_B] = 0;
	return fit_ml(&o, u0, d->nobs, out, err, errsz);
}

int gg_fit(const struct gg_data *d, struct fit *out, char *err, size_t errsz)
{
	struct objective o = { gg_obj, d, GG_NP, 0, 0, { 0 }, 0, { 0 } };
	double u0[GG_NP], zs = 0;
	size_t i;

	memset(out, 0, sizeof *out);
	if (d->n < 2)
		return errorf(err, errsz, 65, "Gamma-Gamma: %zu repeat customer%s with a positive "
			      "mean value: at least 2 are needed", d->n, d->n == 1 ? "" : "s");
	for (i = 0; i < d->n; i++)
		zs += d->z[i];
	/* start: p = 1, q = 2, gamma = mean zbar (population mean p gamma/(q-1) = mean) */
	u0[GG_P] = 0;
	u0[GG_Q] = log(2.0);
	u0[GG_GAMMA] = log(zs / (double)d->n);
	return fit_ml(&o, u0, (double)d->n, out, err, errsz);
}

/* ---- expectations ---- */

double hyp2f1(double a, double b, double c, double z)
{
	double sum = 1, term = 1;
	long k;

	if (z == 0)
		return 1;
	for (k = 0; k < 200000; k++) {
		double ratio = (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		term *= ratio;
		sum += term;
		if (fabs(term) <= 1e-16 * fabs(sum) && fabs(ratio) < 1)
			return sum;
		if (term == 0)
			return sum;
	}
	{
		gsl_sf_result res;
		gsl_error_handler_t *old = gsl_set_error_handler_off();
		int st = gsl_sf_hyperg_2F1_e(a, b, c, z, &res);
		gsl_set_error_handler(old);
		return st == GSL_SUCCESS ? res.val : NAN;
	}
}

double bg_G(const double th[BG_NP], int x, double T, double t)
{
	const double r = th[BG_R], al = th[BG_ALPHA], a = th[BG_A], b = th[BG_B];
	double z, l1z;

	if (t <= 0)
		return 1;
	z = t / (al + T + t);
	l1z = log(al + T) - log(al + T + t);
	if (bg_G_direct(th, x))
		return exp((r + x) * l1z) * hyp2f1(r + x, b + x, a + b + x - 1, z);
	return exp((a - 1) * l1z) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z);
}

/*
 * G = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z) = (1-z)^(r+x) 2F1(r+x, b+x; c; z)
 * (Euler's transformation, c = a+b+x-1).  The first form keeps its
 * parameters small for any x, but a large a (a fit where dropout hardly
 * varies across customers: a and b grow together, to millions) makes its
 * series run to about a z terms; the second then converges like a binomial
 * series.  Past a = 64, the form whose numerator parameters have the
 * smaller product (fewer terms); below, always the first (score.c's fast
 * paths are built on it).
 */
int bg_G_direct(const double th[BG_NP], int x)
{
	const double r = th[BG_R], a = th[BG_A], b = th[BG_B];
	return a > 64 && (r + x) * (b + x) < (a + b - 1 - r) * (a - 1);
}

double bg_D(const double th[BG_NP], int x, double tx, double T)
{
	const double r = th[BG_R], al = th[BG_ALPHA], a = th[BG_A], b = th[BG_B];

	if (x <= 0)
		return 1;
	return 1 + a / (b + x - 1) * exp((r + x) * (log(al + T) - log(al + tx)));
}

double bg_p_alive(const double th[BG_NP], int x, double tx, double T)
{
	return 1 / bg_D(th, x, tx, T);
}

double bg_cond_exp(const double th[BG_NP], int x, double tx, double T, double t)
{
	const double a = th[BG_A], b = th[BG_B];
	return (a + b + x - 1) / (a - 1) * (1 - bg_G(th, x, T, t)) / bg_D(th, x, tx, T);
}

double bg_uncond_exp(const double th[BG_NP], double t)
{
	return bg_cond_exp(th, 0, 0, 0, t);
}

double gg_pop_mean(const double th[GG_NP])
{
	return th[GG_Q] > 1 ? th[GG_P] * th[GG_GAMMA] / (th[GG_Q] - 1) : NAN;
}

double gg_cond_mean(const double th[GG_NP], int x, double zbar)
{
	const double p = th[GG_P], q = th[GG_Q];
	double pop = gg_pop_mean(th), w;

	if (!(q > 1))
		return NAN;
	if (x <= 0 || !isfinite(zbar))
		return pop;
	w = (q - 1) / (p * x + q - 1);
	return w * pop + (1 - w) * zbar;
}
