/* uplift-score's estimators (learners.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "learners.h"
#include "xoshiro.h"

double up_unif(uint64_t s[4])
{
	return (double)(xoshiro_next(s) >> 11) * 0x1.0p-53;
}

size_t up_below(uint64_t s[4], size_t k)
{
	size_t r = (size_t)(up_unif(s) * (double)k);
	return r < k ? r : k - 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y ? 1 : 0;
}

double quantile(double *v, size_t k, double q)
{
	double h, lo;
	size_t i;

	if (k == 0)
		return NAN;
	qsort(v, k, sizeof *v, cmp_double);
	h = q * (double)(k - 1);
	i = (size_t)floor(h);
	lo = v[i];
	if (i + 1 >= k)
		return lo;
	return lo + (h - (double)i) * (v[i + 1] - lo);
}

void dim_normal(const double *y, const unsigned char *t, const size_t *idx, size_t m,
		struct up_est *e)
{
	double s[2] = { 0, 0 }, n[2] = { 0, 0 }, mean[2], ss[2] = { 0, 0 }, se;

	for (size_t k = 0; k < m; k++) {
		size_t i = idx[k];
		s[t[i]] += y[i];
		n[t[i]] += 1;
	}
	e->nt = (long long)n[1];
	e->nc = (long long)n[0];
	if (n[0] == 0 || n[1] == 0) {
		e->uplift = e->low = e->high = NAN;
		return;
	}
	mean[0] = s[0] / n[0];
	mean[1] = s[1] / n[1];
	for (size_t k = 0; k < m; k++) {
		size_t i = idx[k];
		double dv = y[i] - mean[t[i]];
		ss[t[i]] += dv * dv;
	}
	e->uplift = mean[1] - mean[0];
	if (n[0] < 2 || n[1] < 2) {
		e->low = e->high = NAN;
		return;
	}
	se = sqrt(ss[1] / (n[1] - 1) / n[1] + ss[0] / (n[0] - 1) / n[0]);
	e->low = e->uplift - Z90 * se;
	e->high = e->uplift + Z90 * se;
}

void dim_bootstrap(const double *y, const unsigned char *t, const size_t *idx, size_t m,
		   int B, uint64_t seed, struct up_est *e)
{
	size_t *arm[2], na[2] = { 0, 0 };
	double *rep = xmalloc((size_t)(B > 0 ? B : 1) * sizeof *rep);
	uint64_t s[4];
	int nrep = 0;

	dim_normal(y, t, idx, m, e);
	e->low = e->high = NAN;
	if (e->nt == 0 || e->nc == 0) {
		free(rep);
		return;
	}
	arm[0] = xmalloc(m * sizeof *arm[0]);
	arm[1] = xmalloc(m * sizeof *arm[1]);
	for (size_t k = 0; k < m; k++)
		arm[t[idx[k]]][na[t[idx[k]]]++] = idx[k];
	xoshiro_seed(s, seed);
	for (int b = 0; b < B; b++) {
		double mean[2];
		for (int a = 0; a < 2; a++) {
			double sum = 0;
			for (size_t k = 0; k < na[a]; k++)
				sum += y[arm[a][up_below(s, na[a])]];
			mean[a] = sum / (double)na[a];
		}
		rep[nrep++] = mean[1] - mean[0];
	}
	e->low = quantile(rep, (size_t)nrep, 0.05);
	e->high = quantile(rep, (size_t)nrep, 0.95);
	free(arm[0]);
	free(arm[1]);
	free(rep);
}

/* ---- T-learner ---- */

/* the units of idx in arm a */
static size_t *arm_units(const unsigned char *t, const size_t *idx, size_t m, int a, size_t *k)
{
	size_t *u = xmalloc((m ? m : 1) * sizeof *u);
	*k = 0;
	for (size_t j = 0; j < m; j++)
		if (t[idx[j]] == a)
			u[(*k)++] = idx[j];
	return u;
}

/* a copy of f (its own beta and cov) */
static void fit_copy(struct glm_fit *dst, const struct glm_fit *f)
{
	*dst = *f;
	dst->beta = xmalloc(f->p * sizeof *dst->beta);
	memcpy(dst->beta, f->beta, f->p * sizeof *dst->beta);
	if (f->cov) {
		dst->cov = xmalloc(f->p * f->p * sizeof *dst->cov);
		memcpy(dst->cov, f->cov, f->p * f->p * sizeof *dst->cov);
	}
}

int tl_fit_ctl(const struct glm_rows *R, const double *y, enum glm_family fam,
	       const unsigned char *t, const size_t *idx, size_t m, const double *w, double l2,
	       const struct tl_model *start, int with_cov, struct glm_fit *ctl,
	       struct tl_model *out, char *err, size_t errsz)
{
	size_t kc, kt, *uc = arm_units(t, idx, m, 0, &kc), *ut = arm_units(t, idx, m, 1, &kt);
	char e2[256];
	int rc = 0;

	memset(out, 0, sizeof *out);
	out->fam = fam;
	if (ctl && ctl->beta) {
		fit_copy(&out->c, ctl);
	} else if (glm_fit_rows(fam, R, y, uc, kc, w, l2, start ? start->c.beta : NULL, with_cov,
				&out->c, e2, sizeof e2) != 0) {
		rc = errorf(err, errsz, -1, "control model: %s", e2);
	} else if (ctl) {
		fit_copy(ctl, &out->c);
	}
	if (rc == 0 && glm_fit_rows(fam, R, y, ut, kt, w, l2, start ? start->t.beta : NULL,
				    with_cov, &out->t, e2, sizeof e2) != 0)
		rc = errorf(err, errsz, -1, "treated model: %s", e2);
	if (rc)
		tl_free(out);
	free(uc);
	free(ut);
	return rc;
}

int tl_fit(const double *X, size_t p, const double *y, enum glm_family fam,
	   const unsigned char *t, const size_t *idx, size_t m, const double *w, double l2,
	   const struct tl_model *start, int with_cov, struct tl_model *out, char *err, size_t errsz)
{
	/* the design's rows as far as the last unit used */
	struct glm_rows R;
	size_t n = 0;
	int rc;

	for (size_t k = 0; k < m; k++)
		n = idx[k] + 1 > n ? idx[k] + 1 : n;
	glm_rows_init(&R, X, p, NULL, n);
	rc = tl_fit_ctl(&R, y, fam, t, idx, m, w, l2, start, with_cov, NULL, out, err, errsz);
	glm_rows_free(&R);
	return rc;
}

double tl_predict(const struct tl_model *f, const double *x)
{
	size_t p = f->c.p;
	return glm_mean(f->fam, glm_eta(x, f->t.beta, p)) - glm_mean(f->fam, glm_eta(x, f->c.beta, p));
}

void tl_free(struct tl_model *f)
{
	glm_free(&f->c);
	glm_free(&f->t);
}

static double quad(const double *a, const double *V, size_t p)
{
	double s = 0;
	for (size_t i = 0; i < p; i++)
		for (size_t j = 0; j < p; j++)
			s += a[i] * V[i * p + j] * a[j];
	return s;
}

void tl_segment(const struct tl_model *f, const double *X, const unsigned char *t,
		const size_t *idx, size_t m, struct up_est *e)
{
	size_t p = f->c.p;
	double *at = xcalloc(p, sizeof *at), *ac = xcalloc(p, sizeof *ac);
	double *tau = xmalloc((m ? m : 1) * sizeof *tau);
	double sum = 0, ss = 0, mean, var;

	e->nt = e->nc = 0;
	for (size_t k = 0; k < m; k++) {
		const double *x = X + idx[k] * p;
		double et = glm_eta(x, f->t.beta, p), ec = glm_eta(x, f->c.beta, p);
		double mt = glm_mean(f->fam, et), mc = glm_mean(f->fam, ec);
		/* glm_dmean's p(1-p), from the means just computed */
		double dt = f->fam == GLM_GAUSSIAN ? 1 : mt * (1 - mt);
		double dc = f->fam == GLM_GAUSSIAN ? 1 : mc * (1 - mc);
		tau[k] = mt - mc;   /* tl_predict's value */
		sum += tau[k];
		for (size_t j = 0; j < p; j++) {
			at[j] += dt * x[j];
			ac[j] += dc * x[j];
		}
		e->nt += t[idx[k]];
		e->nc += !t[idx[k]];
	}
	if (m == 0) {
		e->uplift = e->low = e->high = NAN;
		goto out;
	}
	mean = sum / (double)m;
	for (size_t k = 0; k < m; k++) {
		double d = tau[k] - mean;
		ss += d * d;
	}
	for (size_t j = 0; j < p; j++) {
		at[j] /= (double)m;
		ac[j] /= (double)m;
	}
	var = quad(at, f->t.cov, p) + quad(ac, f->c.cov, p) + (m > 1 ? ss / (double)(m - 1) / (double)m : 0);
	e->uplift = mean;
	e->low = mean - Z90 * sqrt(var);
	e->high = mean + Z90 * sqrt(var);
out:
	free(at);
	free(ac);
	free(tau);
}

/* ---- X-learner ---- */

int xl_fit(const double *X, size_t p, const double *y, enum glm_family fam,
	   const unsigned char *t, const size_t *idx, size_t m, const double *w, double l2,
	   const struct xl_model *start, struct xl_model *out, char *err, size_t errsz)
{
	size_t kc, kt, *uc, *ut;
	double *D;
	size_t nmax = 0;
	char e2[256];
	int rc;

	memset(out, 0, sizeof *out);
	rc = tl_fit(X, p, y, fam, t, idx, m, w, l2, start ? &start->base : NULL, 0, &out->base, err,
		    errsz);
	if (rc)
		return rc;
	for (size_t k = 0; k < m; k++)
		nmax = idx[k] + 1 > nmax ? idx[k] + 1 : nmax;
	/* imputed effects, stored by unit so the design's row numbers stay valid */
	D = xcalloc(nmax ? nmax : 1, sizeof *D);
	uc = arm_units(t, idx, m, 0, &kc);
	ut = arm_units(t, idx, m, 1, &kt);
	for (size_t k = 0; k < kt; k++) {
		size_t i = ut[k];
		D[i] = y[i] - glm_mean(fam, glm_eta(X + i * p, out->base.c.beta, p));
	}
	for (size_t k = 0; k < kc; k++) {
		size_t i = uc[k];
		D[i] = glm_mean(fam, glm_eta(X + i * p, out->base.t.beta, p)) - y[i];
	}
	if (glm_fit(GLM_GAUSSIAN, X, p, D, uc, kc, w, l2, NULL, 0, &out->tc, e2, sizeof e2) != 0)
		rc = errorf(err, errsz, -1, "tau_control model: %s", e2);
	else if (glm_fit(GLM_GAUSSIAN, X, p, D, ut, kt, w, l2, NULL, 0, &out->tt, e2, sizeof e2) != 0)
		rc = errorf(err, errsz, -1, "tau_treated model: %s", e2);
	if (rc)
		xl_free(out);
	free(D);
	free(uc);
	free(ut);
	return rc;
}

double xl_predict(const struct xl_model *f, const double *x, double g)
{
	size_t p = f->tc.p;
	return g * glm_eta(x, f->tc.beta, p) + (1 - g) * glm_eta(x, f->tt.beta, p);
}

void xl_free(struct xl_model *f)
{
	tl_free(&f->base);
	glm_free(&f->tc);
	glm_free(&f->tt);
}

/* ---- IPW and AIPW ---- */

void ipw_estimate(const double *y, const unsigned char *t, const double *e, const size_t *idx,
		  size_t m, struct up_est *est)
{
	double sw[2] = { 0, 0 }, swy[2] = { 0, 0 }, mu[2], wbar[2], v = 0;

	est->nt = est->nc = 0;
	for (size_t k = 0; k < m; k++) {
		size_t i = idx[k];
		double w = t[i] ? 1 / e[i] : 1 / (1 - e[i]);
		sw[t[i]] += w;
		swy[t[i]] += w * y[i];
		est->nt += t[i];
		est->nc += !t[i];
	}
	if (est->nt == 0 || est->nc == 0) {
		est->uplift = est->low = est->high = NAN;
		return;
	}
	for (int a = 0; a < 2; a++) {
		mu[a] = swy[a] / sw[a];
		wbar[a] = sw[a] / (double)m;
	}
	for (size_t k = 0; k < m; k++) {
		size_t i = idx[k];
		double phi = t[i] ? (y[i] - mu[1]) / e[i] / wbar[1]
				  : -(y[i] - mu[0]) / (1 - e[i]) / wbar[0];
		v += phi * phi;
	}
	v /= (double)m * (double)m;
	est->uplift = mu[1] - mu[0];
	est->low = est->uplift - Z90 * sqrt(v);
	est->high = est->uplift + Z90 * sqrt(v);
}

void dr_estimate(const double *y, const unsigned char *t, const double *e, const double *m1,
		 const double *m0, const size_t *idx, size_t m, struct up_est *est)
{
	double s = 0, ss = 0, mean, v;

	est->nt = est->nc = 0;
	for (size_t k = 0; k < m; k++) {
		size_t i = idx[k];
		s += m1[i] - m0[i] + (t[i] ? (y[i] - m1[i]) / e[i] : -(y[i] - m0[i]) / (1 - e[i]));
		est->nt += t[i];
		est->nc += !t[i];
	}
	if (est->nt == 0 || est->nc == 0 || m < 2) {
		est->uplift = est->low = est->high = NAN;
		return;
	}
	mean = s / (double)m;
	for (size_t k = 0; k < m; k++) {
		size_t i = idx[k];
		double psi = m1[i] - m0[i] + (t[i] ? (y[i] - m1[i]) / e[i] : -(y[i] - m0[i]) / (1 - e[i]));
		ss += (psi - mean) * (psi - mean);
	}
	v = ss / (double)(m - 1) / (double)m;
	est->uplift = mean;
	est->low = mean - Z90 * sqrt(v);
	est->high = mean + Z90 * sqrt(v);
}
