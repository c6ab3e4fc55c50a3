/*
 * LinTS and LinUCB (linear.h) with MABWiser's formulas, per arm: A = X'X +
 * lambda I, b = X'y, beta = A^-1 b; the inverse and the Cholesky factors by
 * GSL.  Draws go through the lower Cholesky factor of A^-1 and mab_normal,
 * so one seed gives one answer everywhere.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "die.h"
#include "linear.h"

void lin_init(struct lin_arm *a, size_t d, double lambda)
{
	size_t i;

	a->d = d;
	a->A = xcalloc(d * d, sizeof *a->A);
	a->b = xcalloc(d, sizeof *a->b);
	a->beta = xcalloc(d, sizeof *a->beta);
	a->Ainv = xcalloc(d * d, sizeof *a->Ainv);
	a->L = xcalloc(d * d, sizeof *a->L);
	for (i = 0; i < d; i++)
		a->A[i * d + i] = lambda;
	a->trials = a->successes = 0;
}

void lin_free(struct lin_arm *a)
{
	free(a->A);
	free(a->b);
	free(a->beta);
	free(a->Ainv);
	free(a->L);
	memset(a, 0, sizeof *a);
}

void lin_add(struct lin_arm *a, const double *x, double trials, double successes)
{
	size_t i, j, d = a->d;

	for (i = 0; i < d; i++) {
		double nx = trials * x[i];
		for (j = 0; j < d; j++)
			a->A[i * d + j] += nx * x[j];
		a->b[i] += successes * x[i];
	}
	a->trials += trials;
	a->successes += successes;
}

int lin_finish(struct lin_arm *a)
{
	size_t i, j, d = a->d;
	gsl_error_handler_t *old;
	gsl_matrix_view C = gsl_matrix_view_array(a->Ainv, d, d);
	gsl_matrix_view L = gsl_matrix_view_array(a->L, d, d);
	int rc = 0;

	if (d == 0)
		return 0;
	/* GSL's default handler aborts on a matrix that is not positive
	 * definite; the caller is told instead */
	old = gsl_set_error_handler_off();
	memcpy(a->Ainv, a->A, d * d * sizeof *a->A);
	if (gsl_linalg_cholesky_decomp1(&C.matrix) != 0 || gsl_linalg_cholesky_invert(&C.matrix) != 0) {
		rc = -1;
		goto out;
	}
	/* beta = A^-1 b */
	for (i = 0; i < d; i++) {
		double s = 0;
		for (j = 0; j < d; j++)
			s += a->Ainv[i * d + j] * a->b[j];
		a->beta[i] = s;
	}
	/* L L' = A^-1: GSL leaves the factor in the lower triangle and L' in
	 * the upper; keep the lower */
	memcpy(a->L, a->Ainv, d * d * sizeof *a->L);
	if (gsl_linalg_cholesky_decomp1(&L.matrix) != 0) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < d; i++)
		for (j = i + 1; j < d; j++)
			a->L[i * d + j] = 0;
out:
	gsl_set_error_handler(old);
	return rc;
}

double lin_expected(const struct lin_arm *a, const double *x)
{
	double s = 0;
	size_t i;

	for (i = 0; i < a->d; i++)
		s += x[i] * a->beta[i];
	return s;
}

double lin_uncertainty(const struct lin_arm *a, const double *x)
{
	double s = 0;
	size_t i, j, d = a->d;

	for (i = 0; i < d; i++) {
		double r = 0;
		for (j = 0; j < d; j++)
			r += a->Ainv[i * d + j] * x[j];
		s += x[i] * r;
	}
	return s > 0 ? sqrt(s) : 0;
}

double lin_ts_sample(const struct lin_arm *a, const double *x, double alpha,
		     struct mab_rng *rng, double *work)
{
	size_t i, j, d = a->d;
	double s = 0;

	for (j = 0; j < d; j++)
		work[j] = mab_normal(rng);
	/* x . (beta + alpha L z); each row's dot product in four independent
	 * sums, so that the multiply-adds of a row overlap */
	for (i = 0; i < d; i++) {
		const double *row = a->L + i * d;
		double l0 = 0, l1 = 0, l2 = 0, l3 = 0;
		for (j = 0; j + 4 <= i + 1; j += 4) {
			l0 += row[j] * work[j];
			l1 += row[j + 1] * work[j + 1];
			l2 += row[j + 2] * work[j + 2];
			l3 += row[j + 3] * work[j + 3];
		}
		for (; j <= i; j++)
			l0 += row[j] * work[j];
		s += x[i] * (a->beta[i] + alpha * ((l0 + l1) + (l2 + l3)));
	}
	return s;
}

void lin_decide(struct lin_arm *const *arms, size_t n, const double *x, enum mab_policy policy,
		double alpha, const unsigned char *cac_capped, double exploration, long draws,
		struct mab_rng *rng, struct lin_result *out)
{
	size_t i, m = 0, leader = (size_t)-1, arg = (size_t)-1;
	double *share = xmalloc((n ? n : 1) * sizeof *share);

	memset(out, 0, n * sizeof *out);
	for (i = 0; i < n; i++) {
		struct lin_result *r = &out[i];
		int elig = !(cac_capped && cac_capped[i]);

		r->expected = lin_expected(arms[i], x);
		r->uncertainty = lin_uncertainty(arms[i], x);
		r->score = policy == MAB_LIN_UCB ? r->expected + alpha * r->uncertainty : r->expected;
		if (!elig)
			continue;
		m++;
		if (leader == (size_t)-1 || r->expected > out[leader].expected)
			leader = i;
		if (arg == (size_t)-1 || r->score > out[arg].score)
			arg = i;
	}
	if (m == 1) {
		out[leader].p_best = 1;
	} else if (m > 1) {
		long t, *best = xcalloc(n, sizeof *best), nd = draws > 0 ? draws : 1;

		for (t = 0; t < nd; t++) {
			size_t b = (size_t)-1;
			double bv = 0;
			for (i = 0; i < n; i++) {
				double v;
				if (cac_capped && cac_capped[i])
					continue;
				v = out[i].expected + alpha * out[i].uncertainty * mab_normal(rng);
				if (b == (size_t)-1 || v > bv)
					b = i, bv = v;
			}
			best[b]++;
		}
		for (i = 0; i < n; i++)
			out[i].p_best = (double)best[i] / (double)nd;
		free(best);
	}
	for (i = 0; i < n; i++)
		share[i] = (cac_capped && cac_capped[i]) ? 0 :
			   policy == MAB_LIN_UCB ? (double)(i == arg) : out[i].p_best;
	mab_explore_cap(share, n, leader, exploration);
	for (i = 0; i < n; i++) {
		out[i].share = share[i];
		out[i].leader = i == leader;
		out[i].exploration = i != leader && share[i] > 0;
	}
	free(share);
}

size_t lin_pick_slate(struct lin_arm *const *arms, size_t n, const double *x,
		      enum mab_policy policy, double alpha, const unsigned char *avail, size_t k,
		      struct mab_rng *rng, double *scratch, size_t *pick)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (avail && !avail[i])
			continue;
		scratch[i] = policy == MAB_LIN_UCB ?
			lin_expected(arms[i], x) + alpha * lin_uncertainty(arms[i], x) :
			lin_ts_sample(arms[i], x, alpha, rng, scratch + n);
	}
	/* with eps 0, mab_pick_slate ranks scratch in place (no rng, no scratch) */
	return mab_pick_slate(scratch, avail, n, k, 0, rng, NULL, pick);
}
