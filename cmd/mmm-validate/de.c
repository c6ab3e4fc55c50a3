/*
 * A seeded two-points differential evolution over [0,1]^d, after
 * Nevergrad's TwoPointsDE (curr-to-best donor, two-points crossover), with
 * a multi-objective selection: Pareto dominance first, then a weighting of
 * the normalised objectives drawn afresh each generation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "die.h"
#include "robyn.h"

#define DE_F1 0.8
#define DE_F2 0.8

/* a dominates b: no worse in every objective, better in one. */
static int dominates(const double *a, const double *b, int nobj)
{
	int k, better = 0;
	for (k = 0; k < nobj; k++) {
		if (a[k] > b[k])
			return 0;
		if (a[k] < b[k])
			better = 1;
	}
	return better;
}

static double scalar(const double *f, int nobj, const double *w, const double *lo,
		     const double *hi)
{
	double s = 0.0;
	int k;
	for (k = 0; k < nobj; k++) {
		double r = hi[k] - lo[k];
		s += w[k] * (r > 0.0 ? (f[k] - lo[k]) / r : 0.0);
	}
	return s;
}

void de_run(const struct de_opts *o, de_objective fn, void *ctx, double *u_all, double *f_all)
{
	int d = o->d, nobj = o->nobj, P = o->popsize > 0 ? o->popsize : 30;
	int evals = 0, i, j, k;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	double *pop, *pf, *trial, *tf, *donor, w[2], lo[2], hi[2];

	if (!rng)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	gsl_rng_set(rng, o->seed);
	if (P > o->budget)
		P = o->budget;
	if (P < 1 || nobj < 1 || nobj > 2) {
		gsl_rng_free(rng);
		return;
	}
	pop = xmalloc((size_t)P * d * sizeof *pop);
	pf = xmalloc((size_t)P * nobj * sizeof *pf);
	trial = xmalloc((size_t)d * sizeof *trial);
	donor = xmalloc((size_t)d * sizeof *donor);
	tf = xmalloc((size_t)nobj * sizeof *tf);

	for (i = 0; i < P; i++) {
		for (j = 0; j < d; j++)
			pop[i * d + j] = gsl_rng_uniform(rng);
		fn(pop + (size_t)i * d, pf + (size_t)i * nobj, ctx);
		memcpy(u_all + (size_t)evals * d, pop + (size_t)i * d, (size_t)d * sizeof *pop);
		memcpy(f_all + (size_t)evals * nobj, pf + (size_t)i * nobj, (size_t)nobj * sizeof *pf);
		evals++;
	}
	while (evals < o->budget) {
		int best = 0;
		double bs = INFINITY;
		/* this generation's weighting and normalisation */
		if (nobj == 2) {
			w[0] = gsl_rng_uniform(rng);
			w[1] = 1.0 - w[0];
		} else {
			w[0] = 1.0;
		}
		for (k = 0; k < nobj; k++) {
			lo[k] = INFINITY;
			hi[k] = -INFINITY;
			for (i = 0; i < P; i++) {
				double v = pf[i * nobj + k];
				if (v < lo[k]) lo[k] = v;
				if (v > hi[k]) hi[k] = v;
			}
		}
		for (i = 0; i < P; i++) {
			double s = scalar(pf + (size_t)i * nobj, nobj, w, lo, hi);
			if (s < bs) {
				bs = s;
				best = i;
			}
		}
		for (i = 0; i < P && evals < o->budget; i++) {
			const double *x = pop + (size_t)i * d, *xb = pop + (size_t)best * d;
			int a = i, b = i, c1, c2;
			if (P >= 3) {
				while (a == i)
					a = (int)gsl_rng_uniform_int(rng, (unsigned long)P);
				while (b == i || b == a)
					b = (int)gsl_rng_uniform_int(rng, (unsigned long)P);
			}
			for (j = 0; j < d; j++)
				donor[j] = x[j] + DE_F1 * (pop[a * d + j] - pop[b * d + j]) +
					   DE_F2 * (xb[j] - x[j]);
			/* two-points crossover: the segment [c1, c2) comes from the donor */
			c1 = (int)gsl_rng_uniform_int(rng, (unsigned long)d);
			c2 = c1 + 1 + (int)gsl_rng_uniform_int(rng, (unsigned long)d);
			for (j = 0; j < d; j++) {
				int in = (c2 <= d) ? (j >= c1 && j < c2) : (j >= c1 || j < c2 - d);
				double v = in ? donor[j] : x[j];
				if (v < 0.0)
					v = x[j] * gsl_rng_uniform(rng);
				else if (v > 1.0)
					v = x[j] + (1.0 - x[j]) * gsl_rng_uniform(rng);
				trial[j] = v;
			}
			fn(trial, tf, ctx);
			memcpy(u_all + (size_t)evals * d, trial, (size_t)d * sizeof *trial);
			memcpy(f_all + (size_t)evals * nobj, tf, (size_t)nobj * sizeof *tf);
			evals++;
			if (dominates(tf, pf + (size_t)i * nobj, nobj) ||
			    (!dominates(pf + (size_t)i * nobj, tf, nobj) &&
			     scalar(tf, nobj, w, lo, hi) <= scalar(pf + (size_t)i * nobj, nobj, w, lo, hi))) {
				memcpy(pop + (size_t)i * d, trial, (size_t)d * sizeof *trial);
				memcpy(pf + (size_t)i * nobj, tf, (size_t)nobj * sizeof *tf);
			}
		}
	}
	free(pop);
	free(pf);
	free(trial);
	free(donor);
	free(tf);
	gsl_rng_free(rng);
}
