/* Linear and logistic base models with covariances (glm.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "die.h"
#include "glm.h"

double glm_eta(const double *x, const double *beta, size_t p)
{
	double s = 0;
	for (size_t j = 0; j < p; j++)
		s += x[j] * beta[j];
	return s;
}

double glm_mean(enum glm_family fam, double eta)
{
	double e;
	if (fam == GLM_GAUSSIAN)
		return eta;
	e = exp(-fabs(eta));
	return eta >= 0 ? 1 / (1 + e) : e / (1 + e);
}

double glm_dmean(enum glm_family fam, double eta)
{
	double m;
	if (fam == GLM_GAUSSIAN)
		return 1;
	m = glm_mean(fam, eta);
	return m * (1 - m);
}

void glm_free(struct glm_fit *f)
{
	free(f->beta);
	free(f->cov);
	memset(f, 0, sizeof *f);
}

void glm_rows_init(struct glm_rows *R, const double *X, size_t p, const size_t *idx, size_t m)
{
	size_t nnz = 0;

	for (size_t k = 0; k < m; k++) {
		const double *x = X + (idx ? idx[k] : k) * p;
		for (size_t j = 0; j < p; j++)
			nnz += x[j] != 0;
	}
	R->n = m;
	R->p = p;
	R->start = xmalloc((m + 1) * sizeof *R->start);
	/* + p: a row's zeros are written (not kept) past its nonzeros */
	R->col = xmalloc((nnz + p) * sizeof *R->col);
	R->val = xmalloc((nnz + p) * sizeof *R->val);
	nnz = 0;
	for (size_t k = 0; k < m; k++) {
		const double *x = X + (idx ? idx[k] : k) * p;
		R->start[k] = nnz;
		/* branch-free: each entry written, kept when nonzero */
		for (size_t j = 0; j < p; j++) {
			R->col[nnz] = (unsigned)j;
			R->val[nnz] = x[j];
			nnz += x[j] != 0;
		}
	}
	R->start[m] = nnz;
}

void glm_rows_free(struct glm_rows *R)
{
	free(R->start);
	free(R->col);
	free(R->val);
	memset(R, 0, sizeof *R);
}

/* row i's x'beta */
static inline double rows_eta(const struct glm_rows *R, size_t i, const double *beta)
{
	double s = 0;
	for (size_t q = R->start[i]; q < R->start[i + 1]; q++)
		s += R->val[q] * beta[R->col[q]];
	return s;
}

/*
 * H = sum w c x x' + l2 I' and g = sum w r x - l2 beta' for the current
 * beta, with c = dmean and r = y - mean (logistic) or c = 1, r = y (OLS:
 * then g is X'Wy and the penalty term is left out).
 */
static void accumulate(enum glm_family fam, const struct glm_rows *R, const double *y,
		       const size_t *idx, size_t m, const double *w, double l2, const double *beta,
		       gsl_matrix *H, gsl_vector *g, double *obj, double *ll)
{
	double sll = 0, pen = 0, *h = H->data, *gd = g->data;
	size_t tda = H->tda, p = R->p;

	gsl_matrix_set_zero(H);
	gsl_vector_set_zero(g);
	for (size_t k = 0; k < m; k++) {
		size_t i = idx ? idx[k] : k;
		const unsigned *col = R->col + R->start[i];
		const double *val = R->val + R->start[i];
		size_t nz = R->start[i + 1] - R->start[i];
		double wi = w ? w[i] : 1, yi = y[i], c, r;
		if (wi == 0)
			continue;
		if (fam == GLM_LOGISTIC) {
			/* one exp for the mean and log(1 + exp(eta)), both without overflow */
			double eta = rows_eta(R, i, beta), e = exp(-fabs(eta));
			double mu = eta >= 0 ? 1 / (1 + e) : e / (1 + e);
			c = wi * mu * (1 - mu);
			r = wi * (yi - mu);
			sll += wi * (yi * eta - (eta > 0 ? eta + log1p(e) : log1p(e)));
		} else {
			c = wi;
			r = wi * yi;
		}
		/* the upper triangle, over the row's nonzeros */
		for (size_t a = 0; a < nz; a++) {
			double ca = c * val[a], *row = h + col[a] * tda;
			for (size_t b = a; b < nz; b++)
				row[col[b]] += ca * val[b];
			gd[col[a]] += r * val[a];
		}
	}
	for (size_t a = 0; a < p; a++)
		for (size_t b = 0; b < a; b++)
			h[a * tda + b] = h[b * tda + a];
	for (size_t a = 1; a < p; a++) {
		h[a * tda + a] += l2;
		if (fam == GLM_LOGISTIC)
			gd[a] -= l2 * beta[a];
		pen += beta[a] * beta[a];
	}
	if (obj)
		*obj = sll - 0.5 * l2 * pen;
	if (ll)
		*ll = sll;
}

int glm_fit_rows(enum glm_family fam, const struct glm_rows *R, const double *y,
		 const size_t *idx, size_t m, const double *w, double l2, const double *start,
		 int with_cov, struct glm_fit *out, char *err, size_t errsz)
{
	size_t p = R->p;
	gsl_matrix *H = gsl_matrix_alloc(p, p);
	gsl_vector *g = gsl_vector_alloc(p), *d = gsl_vector_alloc(p);
	double *beta = xcalloc(p, sizeof *beta);
	double nw = 0, ll = 0;
	int rc = 0, it = 0, converged = 0;

	memset(out, 0, sizeof *out);
	for (size_t k = 0; k < m; k++)
		nw += w ? w[idx ? idx[k] : k] : 1;
	if (nw < (double)p + (fam == GLM_GAUSSIAN)) {
		rc = errorf(err, errsz, -1, "%.0f rows for %zu coefficients", nw, p);
		goto done;
	}
	if (start) {
		memcpy(beta, start, p * sizeof *beta);
	} else if (fam == GLM_LOGISTIC) {
		/* the intercept-only optimum, logit(mean y), is a closer start than 0 */
		double sy = 0;
		for (size_t k = 0; k < m; k++) {
			size_t i = idx ? idx[k] : k;
			sy += (w ? w[i] : 1) * y[i];
		}
		if (sy > 0 && sy < nw)
			beta[0] = log(sy / (nw - sy));
	}

	if (fam == GLM_GAUSSIAN) {
		accumulate(fam, R, y, idx, m, w, l2, beta, H, g, NULL, NULL);
		if (gsl_linalg_cholesky_decomp1(H) != 0) {
			rc = errorf(err, errsz, -1, "the design is singular (collinear or constant covariates)");
			goto done;
		}
		gsl_vector_view b = gsl_vector_view_array(beta, p);
		gsl_linalg_cholesky_solve(H, g, &b.vector);
		it = 1;
		converged = 1;
		ll = 0;
		for (size_t k = 0; k < m; k++) {
			size_t i = idx ? idx[k] : k;
			double e = y[i] - rows_eta(R, i, beta);
			ll -= 0.5 * (w ? w[i] : 1) * e * e;
		}
	} else {
		/*
		 * Newton with step halving, one pass over the data per step: the
		 * pass at a new point gives its objective, gradient and information;
		 * a point whose objective fell is replaced by the midpoint towards
		 * the previous one.
		 */
		double *prev = xcalloc(p, sizeof *prev), *dir = xcalloc(p, sizeof *dir);
		double prev_obj = -INFINITY, obj = 0, step = 1;
		int halvings = 0;
		for (it = 0; it < 100; it++) {
			double dec = 0;
			accumulate(fam, R, y, idx, m, w, l2, beta, H, g, &obj, &ll);
			if (obj < prev_obj - 1e-12 * fabs(prev_obj) && halvings < 40) {
				step *= 0.5;
				halvings++;
				for (size_t j = 0; j < p; j++)
					beta[j] = prev[j] + step * dir[j];
				continue;
			}
			halvings = 0;
			step = 1;
			if (gsl_linalg_cholesky_decomp1(H) != 0) {
				free(prev);
				free(dir);
				rc = errorf(err, errsz, -1, "the information matrix is singular "
					    "(collinear or constant covariates)");
				goto done;
			}
			gsl_linalg_cholesky_solve(H, g, d);
			for (size_t j = 0; j < p; j++)
				dec += g->data[j] * d->data[j];
			memcpy(prev, beta, p * sizeof *prev);
			memcpy(dir, d->data, p * sizeof *dir);
			prev_obj = obj;
			for (size_t j = 0; j < p; j++)
				beta[j] += d->data[j];
			/* the Newton decrement: once tiny, the step just taken reaches the
			 * optimum to rounding (quadratic convergence) */
			if (dec < 1e-12 * (1 + fabs(obj))) {
				converged = 1;
				it++;
				break;
			}
		}
		free(prev);
		free(dir);
		ll = NAN;   /* set from the covariance pass, at the optimum */
	}
	out->p = p;
	out->iterations = it;
	out->converged = converged;
	out->loglik = ll;
	if (with_cov) {
		out->cov = xcalloc(p * p, sizeof *out->cov);
		accumulate(fam, R, y, idx, m, w, l2, beta, H, g, NULL,
			   fam == GLM_LOGISTIC ? &out->loglik : NULL);
		if (gsl_linalg_cholesky_decomp1(H) != 0 || gsl_linalg_cholesky_invert(H) != 0) {
			rc = errorf(err, errsz, -1, "the information matrix is singular "
				    "(collinear or constant covariates)");
			goto done;
		}
		if (fam == GLM_LOGISTIC) {
			memcpy(out->cov, H->data, p * p * sizeof *out->cov);
		} else {
			/* HC1 sandwich: A^{-1} M A^{-1} n/(n-p) */
			double *M = xcalloc(p * p, sizeof *M), *T = xcalloc(p * p, sizeof *T);
			for (size_t k = 0; k < m; k++) {
				size_t i = idx ? idx[k] : k;
				const unsigned *col = R->col + R->start[i];
				const double *val = R->val + R->start[i];
				size_t nz = R->start[i + 1] - R->start[i];
				double e = y[i] - rows_eta(R, i, beta), c = (w ? w[i] : 1) * e * e;
				for (size_t a = 0; a < nz; a++)
					for (size_t b = 0; b < nz; b++)
						M[col[a] * p + col[b]] += c * val[a] * val[b];
			}
			for (size_t a = 0; a < p; a++)
				for (size_t b = 0; b < p; b++) {
					double s = 0;
					for (size_t c = 0; c < p; c++)
						s += gsl_matrix_get(H, a, c) * M[c * p + b];
					T[a * p + b] = s;
				}
			for (size_t a = 0; a < p; a++)
				for (size_t b = 0; b < p; b++) {
					double s = 0;
					for (size_t c = 0; c < p; c++)
						s += T[a * p + c] * gsl_matrix_get(H, c, b);
					out->cov[a * p + b] = s * nw / (nw - (double)p);
				}
			free(M);
			free(T);
		}
	}
	out->beta = beta;
	beta = NULL;
done:
	if (rc != 0) {
		free(out->cov);
		out->cov = NULL;
	}
	free(beta);
	gsl_matrix_free(H);
	gsl_vector_free(g);
	gsl_vector_free(d);
	return rc;
}

int glm_fit(enum glm_family fam, const double *X, size_t p, const double *y,
	    const size_t *idx, size_t m, const double *w, double l2, const double *start,
	    int with_cov, struct glm_fit *out, char *err, size_t errsz)
{
	/* the rows of idx, and their y and w, as rows 0..m-1 */
	struct glm_rows R;
	double *yk = xmalloc((m ? m : 1) * sizeof *yk), *wk = NULL;
	int rc;

	glm_rows_init(&R, X, p, idx, m);
	if (w)
		wk = xmalloc((m ? m : 1) * sizeof *wk);
	for (size_t k = 0; k < m; k++) {
		yk[k] = y[idx ? idx[k] : k];
		if (w)
			wk[k] = w[idx ? idx[k] : k];
	}
	rc = glm_fit_rows(fam, &R, yk, NULL, m, wk, l2, start, with_cov, out, err, errsz);
	glm_rows_free(&R);
	free(yk);
	free(wk);
	return rc;
}
