#ifndef AELP_NUTS_H
#define AELP_NUTS_H

#include <stddef.h>

/*
 * The No-U-Turn Sampler (Hoffman & Gelman 2014; the multinomial variant with
 * the generalised U-turn criterion that Stan uses, Betancourt 2017), with
 * Stan's windowed warm-up: dual-averaging step size and a diagonal or dense
 * metric estimated in doubling windows (75 / 25, 50, 100, ... / 50).
 *
 * The target is any log density on R^dim with its gradient, written by the
 * caller (analytic; the sampler never differentiates numerically).
 */

/*
 * Log density at theta; fills grad[dim].  Returns -INFINITY (or NaN) where
 * the density is zero or cannot be computed: the sampler treats that point
 * as a divergence.  ctx belongs to one chain, so it may hold work buffers.
 */
typedef double (*nuts_logp_fn)(const double *theta, double *grad, void *ctx);

struct nuts_config {
	int dim;
	int warmup;            /* warm-up iterations (adaptation); may be 0 */
	int draws;             /* kept iterations */
	unsigned long seed;    /* chain c uses its own stream derived from (seed, c) */
	double target_accept;  /* dual-averaging target, default 0.8 */
	int max_depth;         /* tree depth cap, default 10 */
	int dense;             /* 1: dense metric, 0: diagonal */
	double max_energy;     /* energy error that counts as divergent, default 1000 */
	const double *init;    /* initial point centre (dim), or NULL for 0 */
	double init_radius;    /* uniform jitter around init, default 2 (Stan's) */
	/* Called every so often from the chain's thread (may be NULL). */
	void (*progress)(int chain, int iter, int total, void *arg);
	void *progress_arg;
};

/* Fill a config with the defaults above for dim, warmup, draws, seed. */
void nuts_defaults(struct nuts_config *cfg, int dim, int warmup, int draws,
		   unsigned long seed);

/* One chain's results; arrays have `draws` entries (theta: draws x dim, row-major). */
struct nuts_chain {
	double *theta;
	double *logp;
	double *energy;        /* Hamiltonian at the kept point, for E-BFMI */
	double *accept_stat;
	int *depth;
	int *n_leapfrog;
	unsigned char *divergent;
	double step_size;      /* after adaptation */
	double *inv_metric;    /* dim (diagonal) or dim*dim (dense) */
	long long grad_evals;  /* warm-up and sampling */
	double seconds;        /* wall clock of this chain */
	int failed;            /* 1 when no finite starting point was found */
	char message[160];
};

/*
 * Run `chains` chains on `chains` threads (at most `threads` at once; 0 means
 * one per chain).  ctx[c] is chain c's context.  Chain c's stream depends only
 * on (cfg->seed, c), so results are the same whatever the thread timing.
 * Returns 0, or -1 when a chain failed (its message says why).  out[c] is
 * allocated by the sampler; free with nuts_chain_free().
 */
int nuts_run(const struct nuts_config *cfg, nuts_logp_fn f, void **ctx,
	     int chains, int threads, struct nuts_chain *out);
void nuts_chain_free(struct nuts_chain *ch);

#endif
