#ifndef BANDIT_PROPOSE_H
#define BANDIT_PROPOSE_H

#include <stddef.h>

/*
 * bandit-propose's decision for one campaign of one bandit decision run:
 * pure arithmetic, no I/O, so the same rows always give the same proposals
 * and the property tests can drive it over thousands of random decisions.
 *
 * Rules (the thresholds are struct bpr_options):
 *   current share    trials / the campaign's trials (the delivered rotation;
 *                    an even 1/n when the campaign has no trials)
 *   shift_weights    max |share - current| >= shift_threshold: one per campaign,
 *                    on the leader; refused (not proposed, why said) when the
 *                    non-leader shares sum above the exploration budget or a
 *                    CAC-capped arm has a share
 *   pause_arm        not the leader, trials >= min_trials, and p_best <
 *                    pause_below ("lost") or CAC-capped ("cac_above_cap")
 *   promote_arm      trials >= min_trials, p_best >= promote_above, not capped
 *   seed_experiment  fresh arms (trials < min_trials, not capped, not the
 *                    leader) and a leader that is not fresh: control = leader,
 *                    treatments = up to 4 fresh arms, fewest trials first
 * A campaign without a leader (every arm CAC-capped) gets no proposal.
 */

#define BPR_NONE ((size_t)-1)
#define BPR_MAX_TREATMENTS 4
#define BPR_SHARE_TOL 1e-6         /* shares must sum to 1 within this */
#define BPR_BUDGET_TOL 1e-9        /* non-leader shares may exceed the budget by this */
#define BPR_DEFAULT_BUDGET 0.10    /* a decision row without exploration_budget */

/* One bandit_decisions row (NaN for a null number). */
struct bpr_arm {
	const char *arm_id;
	double trials;              /* NaN read as 0 */
	double successes;
	double posterior_mean, ci_low, ci_high;
	double p_best;              /* NaN: unknown (no pause or promote on it) */
	double share;
	double cac_low, cac_high;
	int exploration;
	int cac_capped;
	int leader;                 /* 1, 0, or -1 when the row does not say */
};

/* One campaign of the decision run, arms in byte order of arm_id. */
struct bpr_campaign {
	const char *decision_run;
	const char *campaign_id;
	const char *policy, *metric; /* metric may be NULL */
	struct bpr_arm *arms;
	size_t n;
	double exploration_budget;  /* NaN: the rows do not say (BPR_DEFAULT_BUDGET) */
	double lookback_days;       /* NaN: unknown (no expected_days) */
	double cac_cap;             /* the cap the decision held arms to; NaN: the rows do not
				       say (then bpr_options.cac_cap, from AELP2_CAC_CAP) */
	int experiment_blocked;     /* an experiment of another run is proposed or running */
};

struct bpr_options {
	double min_trials;          /* default 1000 */
	double pause_below;         /* default 0.05 */
	double promote_above;       /* default 0.95 */
	double shift_threshold;     /* default 0.05 */
	double mde;                 /* relative, default 0.20 */
	double alpha;               /* default 0.05 */
	double power;               /* default 0.80 */
	double cac_cap;             /* NaN: none; reported in notes when the decision rows
				       carry no cac_cap of their own */
};
void bpr_options_default(struct bpr_options *o);

/* The CAC cap of a campaign's decision: its rows' cac_cap when positive, else o->cac_cap. */
double bpr_cac_cap(const struct bpr_campaign *c, const struct bpr_options *o);

enum bpr_action { BPR_SHIFT, BPR_PAUSE, BPR_PROMOTE, BPR_SEED };
const char *bpr_action_name(enum bpr_action a);   /* "shift_weights", ... */

enum bpr_direction { BPR_DIR_NONE, BPR_UP, BPR_DOWN, BPR_HOLD };
const char *bpr_direction_name(enum bpr_direction d); /* NULL for NONE */

struct bpr_proposal {
	enum bpr_action action;
	size_t arm;                 /* index into the campaign's arms, or BPR_NONE (seed) */
	enum bpr_direction direction;
	double current_share, proposed_share, p_best;   /* NaN when not said */
	const char *why;            /* pause: "lost" or "cac_above_cap"; else NULL */
	char *id;                   /* bp-RUN:CAMPAIGN:ACTION[:ARM] (owned) */
	char reason[480];
};

/* The two-sided two-proportion z test's sample size per arm. */
struct bpr_power {
	double p1, p2, pbar;
	double z_alpha, z_power;    /* z_{1-alpha/2}, z_{power} */
	double n_exact;             /* before the ceiling */
	long long n;                /* ceil(n_exact) */
};

/*
 * p2 = p1 (1 + mde), pbar = (p1 + p2) / 2,
 * n = ceil((z_{1-a/2} sqrt(2 pbar (1 - pbar)) + z_power sqrt(p1 q1 + p2 q2))^2 / (p2 - p1)^2).
 * Returns 0, or -1 when it cannot be computed (p1 not in (0, 1), p2 >= 1,
 * mde <= 0, alpha or power not in (0, 1)).
 */
int bpr_sample_size(double p1, double mde, double alpha, double power, struct bpr_power *out);

struct bpr_experiment {
	char *id;                   /* exp-RUN:CAMPAIGN (owned) */
	size_t control;
	size_t treat[BPR_MAX_TREATMENTS];
	size_t ntreat;
	double split_control, split_treatment;   /* 1 - e, and e / ntreat each */
	struct bpr_power pw;
	double daily_trials;        /* campaign trials / lookback_days; NaN unknown */
	long long expected_days;    /* ceil(n / (daily x split_treatment)); -1 unknown */
	char name[256];
	char hypothesis[640];
};

/* The whole plan for one campaign. */
struct bpr_plan {
	double *current;            /* per arm (owned) */
	double trials;              /* the campaign's */
	size_t leader;              /* BPR_NONE: every arm capped */
	double budget;              /* the exploration budget used */
	double nonleader_share;     /* sum of the non-leader shares */
	double max_move;            /* max |share - current| */
	size_t max_move_arm;
	char shift_refused[320];    /* "" or why the weights were not proposed */
	struct bpr_proposal *props; /* shift, then per arm pause/promote, then seed */
	size_t nprops;
	int has_experiment;
	struct bpr_experiment exp;
	char no_experiment[240];    /* "" or why fresh arms got no experiment */
};

/*
 * Check a campaign's rows as a whole: shares in [0, 1] summing to 1 within
 * BPR_SHARE_TOL (or all 0 when every arm is capped), at most one leader,
 * the leader not capped.  Returns 0, or -1 with the reason in err.
 */
int bpr_check(const struct bpr_campaign *c, char *err, size_t errsz);

/* Plan (after bpr_check).  Free with bpr_plan_free. */
void bpr_plan(const struct bpr_campaign *c, const struct bpr_options *o, struct bpr_plan *p);
void bpr_plan_free(struct bpr_plan *p);

/* The ids (new memory). */
char *bpr_proposal_id(const char *run, const char *campaign, enum bpr_action a, const char *arm);
char *bpr_experiment_id(const char *run, const char *campaign);

#endif
