#ifndef UPLIFT_SCORE_H
#define UPLIFT_SCORE_H

#include <stdint.h>
#include <stdio.h>

#include "input.h"
#include "learners.h"

/*
 * One uplift-score run: every estimator for every arm against control and
 * every outcome, as rows for segment_scores_daily and uplift_models.
 */

enum up_estimator { E_DIM, E_TL, E_XL, E_IPW, E_DR, E_COUNT };
extern const char *const up_estimator_name[E_COUNT];

struct up_opts {
	int want[E_COUNT];
	int propensity;          /* fit e(x) (implied by ipw, dr) */
	double trim;             /* overlap trimming: keep e in [trim, 1 - trim] */
	int quantiles;           /* K > 0: segments q1..qK by predicted uplift */
	int folds;               /* out-of-fold predictions (1: in-sample) */
	int boot_interval;       /* diff_in_means: bootstrap percentile interval */
	int boot_dim, boot_xl;   /* replicates */
	uint64_t seed;
	double l2;
};

/* A segment_scores_daily row (names borrowed from the data and the result). */
struct up_score_row {
	enum up_estimator est;
	size_t arm, outcome;
	const char *segment;
	struct up_est e;
};

/* An uplift_models row; JSON texts owned (NULL: null). */
struct up_model_row {
	enum up_estimator est;
	size_t arm, outcome;
	int with_features;
	char *coefficients, *details;
	long long training_rows;
	double qini, auuc;
};

struct up_result {
	struct up_score_row *score;
	size_t nscore, capscore;
	struct up_model_row *model;
	size_t nmodel, capmodel;
	char **qname;            /* "q1".."qK" */
	size_t nq;
	size_t trimmed;          /* units dropped by overlap trimming, over all arms */
};

/*
 * Run everything.  pred (NULL: none) gets one NDJSON line per unit, learner,
 * arm and outcome: {"id","model","arm","treated","outcome","y","uplift"}
 * (out-of-fold uplift when folds > 1).  Returns 0, or 65 with a reason in
 * err when a model cannot be fitted (singular design, a fold without one arm).
 */
int up_score(const struct up_data *d, const struct up_opts *o, struct up_result *r, FILE *pred,
	     char *err, size_t errsz);
void up_result_free(struct up_result *r);

#endif
