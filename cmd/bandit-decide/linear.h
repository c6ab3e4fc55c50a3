#ifndef BANDIT_LINEAR_H
#define BANDIT_LINEAR_H

#include <stddef.h>

#include "mab.h"

/*
 * Linear Thompson sampling and LinUCB with MABWiser's formulas, per arm:
 *   A = X'X + lambda I,  b = X'y,  beta = A^-1 b
 *   LinUCB: score = x.beta + alpha * sqrt(x A^-1 x)
 *   LinTS:  beta~ ~ N(beta, alpha^2 A^-1), drawn as beta + alpha * L z with
 *           L the lower Cholesky factor of A^-1 and z ~ N(0, I) from
 *           mab_normal, so a seed gives the same draw on every machine.
 * Aggregated rows count as repeated rows: a (x, trials n, successes s) row
 * adds n x x' to A and s x to b, exactly as n single rows with rewards
 * summing to s would in MABWiser.
 */

struct lin_arm {
	size_t d;
	double *A;       /* d x d, row-major: lambda I + sum n x x' */
	double *b;       /* d */
	double *beta;    /* d: A^-1 b, after lin_finish */
	double *Ainv;    /* d x d, after lin_finish */
	double *L;       /* d x d lower Cholesky factor of Ainv, after lin_finish */
	double trials, successes;
};

/* An arm with A = lambda I, b = 0; lin_free releases it. */
void lin_init(struct lin_arm *a, size_t d, double lambda);
void lin_free(struct lin_arm *a);
/* Add one aggregated row. */
void lin_add(struct lin_arm *a, const double *x, double trials, double successes);
/* Solve for beta, A^-1 and its Cholesky factor (GSL); 0, or -1 when A is
 * not positive definite (lambda > 0 makes it so). */
int lin_finish(struct lin_arm *a);

/* x.beta and sqrt(x A^-1 x). */
double lin_expected(const struct lin_arm *a, const double *x);
double lin_uncertainty(const struct lin_arm *a, const double *x);

/* One LinTS draw of x.beta~ through the Cholesky factor (work: d doubles). */
double lin_ts_sample(const struct lin_arm *a, const double *x, double alpha,
		     struct mab_rng *rng, double *work);

/* One context's decision over n arms (cac_capped[i] set by the caller):
 * expected, uncertainty and (LinUCB) score per arm; p_best by draws joint
 * Monte Carlo draws of x.beta~ (each arm's is N(x.beta, alpha^2 x A^-1 x),
 * drawn as expected + alpha * uncertainty * z, which has exactly the law of
 * x.beta~); raw shares p_best (LinTS) or 1 to the argmax score (LinUCB);
 * then mab_explore_cap with the leader = argmax expected over eligible
 * arms.  Outputs are arrays of n. */
struct lin_result {
	double expected, uncertainty, score, p_best, share;
	int leader, exploration;
};
void lin_decide(struct lin_arm *const *arms, size_t n, const double *x, enum mab_policy policy,
		double alpha, const unsigned char *cac_capped, double exploration, long draws,
		struct mab_rng *rng, struct lin_result *out);

/* One served decision: the k best arms of the available ones by LinTS draw
 * (through lin_ts_sample) or LinUCB score, best first.  Returns how many.
 * scratch holds n + d doubles. */
size_t lin_pick_slate(struct lin_arm *const *arms, size_t n, const double *x,
		      enum mab_policy policy, double alpha, const unsigned char *avail, size_t k,
		      struct mab_rng *rng, double *scratch, size_t *pick);

#endif
