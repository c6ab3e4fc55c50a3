/*
 * Ridge regression as glmnet(alpha = 0) solves it, with lower limits:
 * cyclic coordinate descent on the standardised Gram matrix, then an exact
 * solve on the free set checked against the KKT conditions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "robyn.h"

/* Cholesky solve of the m x m system A x = r (A row-major, destroyed).  0, or -1 when
 * A is not positive definite. */
static int chol_solve(int m, double *A, double *r)
{
	int i, j, k;
	for (j = 0; j < m; j++) {
		double s = A[j * m + j];
		for (k = 0; k < j; k++)
			s -= A[j * m + k] * A[j * m + k];
		if (!(s > 1e-14))
			return -1;
		s = sqrt(s);
		A[j * m + j] = s;
		for (i = j + 1; i < m; i++) {
			double v = A[i * m + j];
			for (k = 0; k < j; k++)
				v -= A[i * m + k] * A[j * m + k];
			A[i * m + j] = v / s;
		}
	}
	for (i = 0; i < m; i++) {          /* L z = r */
		double v = r[i];
		for (k = 0; k < i; k++)
			v -= A[i * m + k] * r[k];
		r[i] = v / A[i * m + i];
	}
	for (i = m - 1; i >= 0; i--) {     /* L' x = z */
		double v = r[i];
		for (k = i + 1; k < m; k++)
			v -= A[k * m + i] * r[k];
		r[i] = v / A[i * m + i];
	}
	return 0;
}

/*
 * Active-set refinement from the bounds b sits on: solve the free set
 * exactly; a free coefficient that falls below its bound joins the bound, a
 * bound one whose gradient points inward is freed.  Returns 1 when b now
 * satisfies the KKT conditions (b updated), 0 when it gave up (b unchanged).
 */
static int active_set(int p, const double *G, const double *c, double lam,
		      const double *lower, double *b)
{
	int *atb = xcalloc((size_t)p, sizeof *atb), *idx = xmalloc((size_t)p * sizeof *idx);
	double *A = xmalloc((size_t)p * p * sizeof *A), *r = xmalloc((size_t)p * sizeof *r);
	double *x = xmalloc((size_t)p * sizeof *x);
	double cmax = 0.0;
	int j, k, it, ok = 0;

	for (j = 0; j < p; j++) {
		atb[j] = isfinite(lower[j]) && b[j] <= lower[j];
		if (fabs(c[j]) > cmax)
			cmax = fabs(c[j]);
	}
	for (it = 0; it < 4 * p + 10 && !ok; it++) {
		int m = 0, changed = 0;
		for (j = 0; j < p; j++) {
			x[j] = atb[j] ? lower[j] : 0.0;
			if (!atb[j])
				idx[m++] = j;
		}
		for (j = 0; j < m; j++) {
			double v = c[idx[j]];
			for (k = 0; k < p; k++)
				if (atb[k])
					v -= G[idx[j] * p + k] * lower[k];
			r[j] = v;
			for (k = 0; k < m; k++)
				A[j * m + k] = G[idx[j] * p + idx[k]] + (j == k ? lam : 0.0);
		}
		if (m > 0 && chol_solve(m, A, r) != 0)
			break;
		for (j = 0; j < m; j++)
			x[idx[j]] = r[j];
		/* free coefficients below their bound: the most violating one joins it */
		{
			int worst = -1;
			double wv = 0.0;
			for (j = 0; j < m; j++) {
				int q = idx[j];
				if (isfinite(lower[q]) && x[q] < lower[q] && lower[q] - x[q] > wv) {
					wv = lower[q] - x[q];
					worst = q;
				}
			}
			if (worst >= 0) {
				atb[worst] = 1;
				continue;
			}
		}
		/* bound coefficients whose gradient wants them up are freed */
		for (j = 0; j < p; j++) {
			double g;
			if (!atb[j])
				continue;
			g = lam * x[j] - c[j];
			for (k = 0; k < p; k++)
				g += G[j * p + k] * x[k];
			if (g < -1e-12 * (1.0 + cmax)) {
				atb[j] = 0;
				changed = 1;
				break;
			}
		}
		if (!changed)
			ok = 1;
	}
	if (ok)
		memcpy(b, x, (size_t)p * sizeof *b);
	free(atb);
	free(idx);
	free(A);
	free(r);
	free(x);
	return ok;
}

int ridge_cd(int p, const double *G, const double *c, double lam, const double *lower,
	     double *b, double tol, int max_sweeps)
{
	double *r = xmalloc((size_t)p * sizeof *r);   /* c - G b */
	int j, k, sweep;

	for (j = 0; j < p; j++) {
		if (isfinite(lower[j]) && b[j] < lower[j])
			b[j] = lower[j];
	}
	for (j = 0; j < p; j++) {
		double v = c[j];
		for (k = 0; k < p; k++)
			v -= G[j * p + k] * b[k];
		r[j] = v;
	}
	for (sweep = 1; sweep <= max_sweeps; sweep++) {
		double maxd = 0.0;
		for (j = 0; j < p; j++) {
			double den = G[j * p + j] + lam, nb, d;
			if (!(den > 0.0))
				continue;
			nb = (r[j] + G[j * p + j] * b[j]) / den;
			if (isfinite(lower[j]) && nb < lower[j])
				nb = lower[j];
			d = nb - b[j];
			if (d != 0.0) {
				for (k = 0; k < p; k++)
					r[k] -= G[k * p + j] * d;
				b[j] = nb;
				if (den * d * d > maxd)
					maxd = den * d * d;
			}
		}
		if (maxd < tol)
			break;
	}
	free(r);
	active_set(p, G, c, lam, lower, b);
	return sweep > max_sweeps ? max_sweeps : sweep;
}

/* Column scale: constant when its spread is nothing beside its size. */
static int is_constant(double s, double m)
{
	return !(s > 1e-12 * (fabs(m) > 1.0 ? fabs(m) : 1.0));
}

void ridge_glmnet(int n, int p, const double *X, const double *y, const double *lower,
		  double lambda, int intercept, struct ridge_out *out)
{
	double *m = xcalloc((size_t)p, sizeof *m), *s = xcalloc((size_t)p, sizeof *s);
	double *G = xcalloc((size_t)p * p, sizeof *G), *c = xcalloc((size_t)p, sizeof *c);
	double *lo = xmalloc((size_t)p * sizeof *lo), *b = xcalloc((size_t)p, sizeof *b);
	double *Z = xmalloc((size_t)n * p * sizeof *Z), *yz = xmalloc((size_t)n * sizeof *yz);
	double ym = 0.0, sy = 0.0;
	int i, j, k, *use = xcalloc((size_t)p, sizeof *use);

	if (intercept) {
		for (i = 0; i < n; i++)
			ym += y[i];
		ym /= n;
	}
	for (i = 0; i < n; i++)
		sy += (y[i] - ym) * (y[i] - ym);
	sy = sqrt(sy / n);
	for (j = 0; j < p; j++) {
		const double *x = X + (size_t)j * n;
		double mj = 0.0, v = 0.0;
		if (intercept) {
			for (i = 0; i < n; i++)
				mj += x[i];
			mj /= n;
		}
		for (i = 0; i < n; i++)
			v += (x[i] - mj) * (x[i] - mj);
		m[j] = mj;
		s[j] = sqrt(v / n);
		use[j] = !is_constant(s[j], mj);
	}
	out->b0 = intercept ? ym : 0.0;
	for (j = 0; j < p; j++)
		out->coef[j] = 0.0;
	if (!(sy > 0.0))
		goto done;

	for (i = 0; i < n; i++)
		yz[i] = (y[i] - ym) / sy;
	for (j = 0; j < p; j++)
		for (i = 0; i < n; i++)
			Z[(size_t)j * n + i] = use[j] ? (X[(size_t)j * n + i] - m[j]) / s[j] : 0.0;
	for (j = 0; j < p; j++) {
		const double *zj = Z + (size_t)j * n;
		double v = 0.0;
		for (i = 0; i < n; i++)
			v += zj[i] * yz[i];
		c[j] = v / n;
		for (k = j; k < p; k++) {
			const double *zk = Z + (size_t)k * n;
			double g = 0.0;
			for (i = 0; i < n; i++)
				g += zj[i] * zk[i];
			G[j * p + k] = G[k * p + j] = g / n;
		}
		if (!use[j])
			G[j * p + j] = 1.0;     /* c_j = 0: the coefficient stays 0 */
		lo[j] = lower ? lower[j] : -INFINITY;
	}
	ridge_cd(p, G, c, lambda / sy, lo, b, 1e-16, 2000);
	for (j = 0; j < p; j++) {
		out->coef[j] = use[j] ? b[j] * sy / s[j] : 0.0;
		if (intercept)
			out->b0 -= out->coef[j] * m[j];
	}
done:
	free(m);
	free(s);
	free(G);
	free(c);
	free(lo);
	free(b);
	free(Z);
	free(yz);
	free(use);
}

double ridge_lambda_max(int n, int p, const double *X, const double *y)
{
	double best = 0.0;
	int i, j;
	for (j = 0; j < p; j++) {
		const double *x = X + (size_t)j * n;
		double m = 0.0, v = 0.0, s, sum = 0.0;
		for (i = 0; i < n; i++)
			m += x[i];
		m /= n;
		for (i = 0; i < n; i++)
			v += (x[i] - m) * (x[i] - m);
		s = sqrt(v / n);
		if (is_constant(s, m))
			continue;
		for (i = 0; i < n; i++)
			sum += (x[i] - m) / s * y[i];
		if (fabs(sum) > best)
			best = fabs(sum);
	}
	return best / (0.001 * n);
}
