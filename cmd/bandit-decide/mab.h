#ifndef BANDIT_MAB_H
#define BANDIT_MAB_H

#include <stddef.h>
#include <stdint.h>

/*
 * bandit-decide's context-free model: Beta-Bernoulli posteriors, the
 * probability each arm is best (Monte Carlo), MABWiser's UCB1 and
 * epsilon-greedy, the traffic shares under the exploration budget and the
 * CAC cap, and single sampled decisions for serving (available arms,
 * top-k slates).  Pure: no I/O, no globals; every random draw comes from a
 * struct mab_rng the caller seeds, so the same seed gives the same numbers
 * on every machine.
 */

/* xoshiro256** seeded by splitmix64 from one 64-bit seed. */
struct mab_rng { uint64_t s[4]; };
void mab_rng_seed(struct mab_rng *r, uint64_t seed);
uint64_t mab_rng_next(struct mab_rng *r);
double mab_uniform(struct mab_rng *r);              /* in (0, 1), 53 bits */
double mab_normal(struct mab_rng *r);               /* N(0, 1) */
double mab_gamma(struct mab_rng *r, double shape);  /* Gamma(shape, 1), shape > 0 */
double mab_beta(struct mab_rng *r, double a, double b); /* Beta(a, b), a, b > 0 */

enum mab_policy { MAB_THOMPSON, MAB_UCB1, MAB_EPSILON_GREEDY, MAB_LIN_TS, MAB_LIN_UCB };
const char *mab_policy_name(enum mab_policy p);     /* "thompson", "ucb1", "epsilon_greedy", "lin_ts", "lin_ucb" */
int mab_policy_parse(const char *s, enum mab_policy *p); /* 0, or -1 for another word */

/* One arm of one campaign, as read. */
struct mab_arm {
	double trials;      /* >= 0 (an integer count) */
	double successes;   /* 0 <= successes <= trials (may be fractional) */
	double spend;       /* >= 0, account currency; NaN unknown */
	double conversions; /* >= 0, for the CAC band; NaN unknown */
};

/* What the decision is asked for. */
struct mab_params {
	enum mab_policy policy;   /* MAB_THOMPSON, MAB_UCB1 or MAB_EPSILON_GREEDY here */
	double prior_a, prior_b;  /* Beta prior, default 1, 1 */
	double ucb_alpha;         /* UCB1's alpha, default 1 */
	double epsilon;           /* epsilon-greedy's epsilon, default 0.1 */
	double exploration;       /* exploration budget e in [0, 1], default 0.10 */
	double cac_cap;           /* NaN: no cap */
	double cac_prior_conv;    /* a0 of the CAC band, default 1 */
	int slate;                /* k >= 1, default 1 */
	long draws;               /* Monte Carlo draws for p_best, default 10000 */
};
void mab_params_default(struct mab_params *p);

/* One arm's result. */
struct mab_result {
	double alpha, beta;          /* prior + successes, prior + failures (trials - successes) */
	double mean, ci_low, ci_high;/* posterior mean and central 90% interval (Beta quantiles) */
	double p_best;               /* P(theta_i is the largest), Monte Carlo over eligible arms */
	double p_in_slate;           /* P(theta_i among the k largest); = p_best when k = 1 */
	double empirical_mean;       /* successes / trials, 0 without trials (MABWiser's mean) */
	double score;                /* UCB1: mean + alpha*sqrt(2 ln N / n), 0 without trials;
					epsilon-greedy: empirical mean; Thompson: posterior mean */
	double raw_share;            /* the policy's share before the exploration rule */
	double share;                /* the traffic share after the CAC cap and exploration rule */
	double cac_mean, cac_low, cac_high; /* 90% CAC band (cacband.h); NaN when spend or
					       conversions are unknown */
	int cac_capped;              /* cac_low > cap: share 0 */
	int leader;                  /* the eligible arm with the highest posterior mean */
	int exploration;             /* not the leader and share > 0 */
};

/*
 * Decide for the n arms of one campaign (n >= 1), in a given order (the
 * caller sorts by arm id; ties break toward the lower index).  CAC band:
 * cac_band(spend, conversions, cac_prior_conv, campaign CAC (sum spend /
 * sum conversions over the arms, NaN when that is not finite), 0.90).
 * Eligible arms are those not CAC-capped.  Raw shares over eligible arms:
 *   thompson        p_in_slate / k (probability matching; = p_best for k = 1)
 *   ucb1            1 to the argmax of the UCB1 score (first on ties)
 *   epsilon_greedy  (1 - eps) to the argmax empirical mean + eps / m to each of the m eligible
 * The exploration rule: L = leader; E = sum of raw shares of eligible arms
 * other than L; when E > e every such share is multiplied by e / E and L gets
 * 1 - e; otherwise the raw shares stand.  Capped arms get 0.  With no
 * eligible arm every share is 0 and no arm leads.
 * p_best and p_in_slate come from p->draws joint draws over the eligible
 * arms (capped arms get 0), drawn from rng in arm order, draw by draw.
 */
void mab_decide(const struct mab_arm *arms, size_t n, const struct mab_params *p,
		struct mab_rng *rng, struct mab_result *out);

/*
 * One served decision, as MABWiser's predict for Thompson sampling: draw
 * theta_i ~ Beta(alpha_i, beta_i) for each available arm (avail[i] != 0,
 * in index order), and write the indices of the k largest, best first, to
 * pick (k <= number of available arms; ties toward the lower index).
 * alpha/beta are the posterior parameters.  Returns the number written.
 * scratch holds n doubles.
 */
size_t mab_sample_slate(const double *alpha, const double *beta, const unsigned char *avail,
			size_t n, size_t k, struct mab_rng *rng, double *scratch, size_t *pick);

/*
 * Serving many decisions from fixed posteriors: each arm's Marsaglia-Tsang
 * constants computed once (mab_prepare), then mab_sample_prepared draws
 * exactly as mab_sample_slate does (the same numbers from the same rng),
 * without recomputing them per draw.  For k = 1 it keeps the running best
 * as a fraction X / (X + Y) and compares by cross-multiplication, with no
 * division and no scratch pass.
 */
struct mab_prep { double d[2], c[2], inv[2]; };   /* for alpha [0] and beta [1] */
void mab_prepare(const double *alpha, const double *beta, size_t n, struct mab_prep *out);
size_t mab_sample_prepared(const struct mab_prep *prep, const unsigned char *avail, size_t n,
			   size_t k, struct mab_rng *rng, double *scratch, size_t *pick);

/*
 * The same for UCB1 and epsilon-greedy (deterministic scores; epsilon-greedy
 * replaces every score by a uniform draw with probability eps, as MABWiser
 * does).  score[] is mab_result.score.
 */
size_t mab_pick_slate(const double *score, const unsigned char *avail, size_t n, size_t k,
		      double eps, struct mab_rng *rng, double *scratch, size_t *pick);

/* The exploration rule on shares in place (see mab_decide); leader index or
 * (size_t)-1 when every share is 0.  Exposed for the contextual policies. */
void mab_explore_cap(double *share, size_t n, size_t leader, double budget);

/* P(X > Y) for X ~ Beta(a1, b1), Y ~ Beta(a2, b2), exactly (for integer a1 by
 * Evan Miller's sum; else numerical integration to 1e-10): the two-arm
 * closed form the tests compare p_best against. */
double mab_beta_p_greater(double a1, double b1, double a2, double b2);

#endif
