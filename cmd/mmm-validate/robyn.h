#ifndef MMM_VALIDATE_ROBYN_H
#define MMM_VALIDATE_ROBYN_H

/*
 * Robyn's media-mix method (facebookexperimental/Robyn, R/R/transformation.R,
 * model.R, pareto.R), as an independent check of the Bayesian fit:
 *
 *   transforms   geometric adstock, then Hill saturation (transform.c)
 *   regression   glmnet-style ridge, lower limit 0 on media (ridge.c)
 *   objectives   NRMSE and DECOMP.RSSD of one candidate (robyn.c)
 *   search       a seeded two-points differential evolution (de.c)
 *   selection    Pareto fronts on (NRMSE, DECOMP.RSSD) (pareto.c)
 *
 * Everything here works on plain arrays; reading and writing rows is main.c's.
 */

#include <stddef.h>

/* ---- transforms (transform.c) ---- */

/* Robyn's adstock_geometric: out_t = x_t + theta * out_{t-1}, unnormalised. */
void adstock_geometric(const double *x, int T, double theta, double *out);

/*
 * Robyn's saturation_hill: out_t = x_t^alpha / (x_t^alpha + inflexion^alpha),
 * inflexion = min(x) + gamma * (max(x) - min(x)).  A series whose inflexion is
 * 0 (all zeros) gives zeros.
 */
void saturation_hill(const double *x, int T, double alpha, double gamma, double *out);

/* ---- ridge (ridge.c) ---- */

/*
 * Box-constrained ridge on a Gram matrix by cyclic coordinate descent:
 *   minimise 1/2 b'Gb - c'b + lam/2 |b|^2  subject to b_j >= lower_j
 * (lower_j = -INFINITY for a free coefficient).  G is p x p, row-major and
 * positive semi-definite.  b holds the start and gets the answer.  Once the
 * sweeps settle, the free set is solved exactly (Cholesky) and kept when it
 * satisfies the KKT conditions, so the answer does not depend on when the
 * sweeps stopped.  Returns the sweeps run.
 */
int ridge_cd(int p, const double *G, const double *c, double lam, const double *lower,
	     double *b, double tol, int max_sweeps);

/*
 * glmnet(x, y, alpha = 0, lambda = lambda, lower.limits = lower,
 *        standardize = TRUE, intercept = intercept) for the gaussian family:
 * columns x_j (X[j*n + i]) are standardised (mean and 1/n sd; without an
 * intercept, no centring and the root mean square), y likewise, and the
 * problem solved on that scale is
 *   (1/2n) |y~ - X~ b|^2 + (lambda / s_y)/2 |b|^2
 * which is glmnet's: it standardises y internally and divides lambda by
 * s_y, so a ridge lambda means the same for any unit of y.  A constant
 * column gets coefficient 0.  The answer is on the original scale:
 * y^ = b0 + sum_j coef_j x_j (b0 = 0 without an intercept).
 */
struct ridge_out {
	double b0;
	double *coef;        /* p, caller's array */
};
void ridge_glmnet(int n, int p, const double *X, const double *y, const double *lower,
		  double lambda, int intercept, struct ridge_out *out);

/*
 * Robyn's lambda_seq() upper end: max_j |sum_i x~_ij y_i| / (0.001 n), x~
 * the centred columns over their 1/n sd (a constant column counts 0).
 */
double ridge_lambda_max(int n, int p, const double *X, const double *y);

/* ---- Pareto fronts (pareto.c) ---- */

/*
 * Non-dominated sorting of n points (f1[i], f2[i]), both minimised: front[i]
 * is 1 for the points no other point dominates, 2 for those only front-1
 * points dominate, and so on.  Equal points share a front.  Returns the
 * number of fronts.
 */
int pareto_fronts(int n, const double *f1, const double *f2, int *front);

/*
 * Robyn's pareto_fronts = "auto": the smallest F such that fronts 1..F hold
 * at least min(min_candidates, n) points.
 */
int pareto_fronts_kept(int n, const int *front, int min_candidates);

/*
 * The chosen model: on front 1, the point nearest the origin after each
 * objective is min-max normalised over the points of fronts 1..kept (ties:
 * the lowest index).  Returns its index.
 */
int pareto_choose(int n, const double *f1, const double *f2, const int *front, int kept);

/* ---- differential evolution (de.c) ---- */

/* f(u) for u in [0,1]^d; writes nobj objectives to f (all minimised). */
typedef void (*de_objective)(const double *u, double *f, void *ctx);

struct de_opts {
	int d;               /* dimension */
	int nobj;            /* 1 or 2 */
	int budget;          /* evaluations */
	int popsize;         /* population (0: 30) */
	unsigned long seed;  /* the stream: gsl mt19937 seeded with this */
};

/*
 * Run the optimiser; every evaluated point goes to u_all[k*d ..] and its
 * objectives to f_all[k*nobj ..] (k < budget, caller's arrays).
 *
 * Two-points DE in the spirit of Nevergrad's TwoPointsDE: the population
 * starts uniform; each member x_i gets a donor
 *   x_i + 0.8 (x_a - x_b) + 0.8 (best - x_i)
 * (a, b random other members; "best" by this generation's scalarisation),
 * then a two-points crossover: one random segment of coordinates from the
 * donor, the rest from x_i.  A coordinate out of [0,1] bounces back between
 * x_i and the bound.  The trial replaces x_i when it dominates x_i, or when
 * x_i does not dominate it and it is no worse under the generation's random
 * weighting of the min-max normalised objectives.
 */
void de_run(const struct de_opts *o, de_objective fn, void *ctx, double *u_all, double *f_all);

/* ---- the model (robyn.c) ---- */

struct hyper_range { double lo, hi; };

struct robyn_bounds {
	struct hyper_range *theta, *alpha, *gamma;   /* per channel */
	struct hyper_range lambda;                  /* lambda_hp in [0,1] */
};

struct robyn_model {
	int T;               /* periods */
	int C;               /* paid channels modelled */
	int F;               /* fixed regressors: trend, Fourier terms, controls */
	const double *spend; /* C x T: spend[c*T + t] */
	const double *fixed; /* F x T */
	const double *y;     /* T */
	double *spend_total; /* C */
	double lambda_max;   /* 0.1 * Robyn's lambda_max, from the untransformed design */
	struct robyn_bounds b;
};

/*
 * Fill spend_total (new memory) and lambda_max (0.1 x Robyn's lambda_max of
 * the design of raw spend and fixed regressors, as robyn_mmm() computes it
 * once before the search).  robyn_model_free() releases it.
 */
void robyn_model_prepare(struct robyn_model *m);
void robyn_model_free(struct robyn_model *m);

/* Dimension of the search: 3 per channel (theta, alpha, gamma) and lambda. */
int robyn_dim(const struct robyn_model *m);

/* The hyperparameters u in [0,1]^d stands for. */
struct robyn_hyper {
	double *theta, *alpha, *gamma;   /* C each, caller's arrays */
	double lambda_hp, lambda;
};
void robyn_decode(const struct robyn_model *m, const double *u, struct robyn_hyper *h);

/* One candidate's fit. */
struct robyn_eval {
	double nrmse, rssd;
	double b0;
	int intercept;       /* 1 when fitted with an intercept, 0 after the refit */
	double *coef;        /* C media coefficients (on transformed media), caller's */
	double *decomp;      /* C: sum_t coef_c * transformed_c(t), KPI units, caller's */
};

struct robyn_work;
struct robyn_work *robyn_work_new(const struct robyn_model *m);
void robyn_work_free(struct robyn_work *w);

/* Transform, fit and score one candidate u (ev's arrays may be NULL). */
void robyn_evaluate(const struct robyn_model *m, struct robyn_work *w, const double *u,
		    struct robyn_eval *ev);

/* NRMSE = sqrt(mean((y - yhat)^2)) / (max y - min y); 0 range gives the RMSE. */
double robyn_nrmse(int T, const double *y, const double *yhat);

/*
 * DECOMP.RSSD with rssd_zero_penalty: sqrt(sum_c (effect_share_c -
 * spend_share_c)^2) * (1 + (media with coefficient 0) / C).  With no media
 * effect at all the effect shares count as 0.
 */
double robyn_rssd(int C, const double *decomp, const double *coef, const double *spend);

/*
 * The fixed regressors of Robyn's model with Fourier terms in place of
 * Prophet: a linear trend, then (grain 1) weekly period 7 with 3 harmonics
 * and yearly 365.25 with 2 harmonics when the data span >= 730 days, else 1
 * when >= 365, else none; (grain 7) yearly with 2 harmonics when >= 364 days.
 * Then the K controls (ctrl[t*K + k]).  Phases follow the calendar (day
 * numbers from day0).  Returns F; *out (F x T) is new memory.
 */
int robyn_fixed_regressors(int T, int grain, long long day0, int K, const double *ctrl,
			   double **out);

/* The search over all trials; every candidate kept. */
struct robyn_search {
	int iterations, trials, threads, popsize;
	unsigned long seed;
	int progress;        /* a line per trial on stderr */
	/* results */
	int n;               /* iterations * trials */
	int d;
	double *u;           /* n x d */
	double *nrmse, *rssd;
	int *front;
	int fronts, kept, chosen;
};

/* The seed of trial k's stream, from (seed, k). */
unsigned long robyn_trial_seed(unsigned long seed, int trial);

void robyn_search_run(const struct robyn_model *m, struct robyn_search *s);
void robyn_search_free(struct robyn_search *s);

#endif
