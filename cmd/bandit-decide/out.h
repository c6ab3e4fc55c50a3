#ifndef BANDIT_OUT_H
#define BANDIT_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "arms.h"
#include "linear.h"
#include "mab.h"
#include "timefmt.h"

struct ltv_priors;

/*
 * bandit-decide's decisions and their rows: per campaign, mab_decide (the
 * context-free policies) or, per context, lin_decide (LinTS, LinUCB), and
 * one `_table`-tagged row per arm (bandit_decisions) or per context and arm
 * (bandit_context_decisions).
 */

/* What one run decides with. */
struct bd_run {
	struct mab_params p;         /* policy, prior, UCB alpha, epsilon, budget, cap, a0, slate, draws */
	enum bd_metric metric;
	double lin_alpha, l2_lambda; /* LinTS / LinUCB */
	uint64_t seed;
	const char *run_id;
	char decided_at[TS_CANON_MAX];
	const struct ltv_priors *ltv; /* --ltv-cac-ratio: each campaign's cap from LTV, or NULL */
	double ltv_ratio;
};

/* What a run wrote, for the summary line and the step report. */
struct bd_tally {
	size_t campaigns, arms, rows, capped, contexts;
};

/* A campaign's random stream seed: seed ^ FNV-1a 64 of its id. */
uint64_t bd_campaign_seed(uint64_t seed, const char *campaign_id);

/* Decide every campaign of in and write the rows to out; counts in *t. */
void bd_decide_all(FILE *out, const struct bd_input *in, const struct bd_run *r,
		   struct bd_tally *t);

/*
 * A campaign's contextual model: each available arm fit on its rows
 * (A = lambda I + sum n x x', b = sum s x), and the arm's CAC band over all
 * its rows with its cap flag.  bd_linear_free releases it.
 */
struct bd_linear {
	size_t n;
	struct lin_arm *arms;
	struct lin_arm **ptr;        /* &arms[i], as lin_decide takes them */
	unsigned char *capped;
	double *cac_low, *cac_high;
};
void bd_linear_fit(const struct bd_campaign *c, const struct bd_run *r, struct bd_linear *m);
void bd_linear_free(struct bd_linear *m);

#endif
