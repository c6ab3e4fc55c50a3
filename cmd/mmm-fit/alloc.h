#ifndef AELP_MMM_ALLOC_H
#define AELP_MMM_ALLOC_H

#include <stddef.h>

/*
 * The budget allocator: maximise sum_c f(c, s_c) subject to sum_c s_c = budget
 * and lo_c <= s_c <= hi_c.  f need not be concave (Hill curves are S-shaped),
 * so the solver is global on a grid, then local off it:
 *   1. dynamic programming over the budget above the lower bounds, cut into
 *      `grid` equal units (exact optimum among grid points, every channel
 *      bounded by its own lo and hi — there is no other index to get wrong);
 *   2. pairwise exchanges between channels, each a golden-section search
 *      within two grid units, until no exchange gains;
 *   3. the last free channel takes budget - sum(others), so the sum is the
 *      budget to the last bit the arithmetic allows.
 */

typedef double (*alloc_fn)(int c, double s, void *arg);

struct alloc_problem {
	int n;                 /* channels */
	const double *lo, *hi; /* n bounds, lo <= hi */
	double budget;
	int grid;              /* units of the budget above sum(lo); 0: 2000 */
	alloc_fn f;
	void *arg;
};

/*
 * Solve into s[n]; *value gets the objective.  Returns 0, or 2 with err when
 * the bounds cannot meet the budget (sum lo > budget or sum hi < budget).
 */
int alloc_solve(const struct alloc_problem *p, double *s, double *value, char *err, size_t errsz);

#endif
