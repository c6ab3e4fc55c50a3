#ifndef LTV_SCORE_H
#define LTV_SCORE_H

/*
 * Per-customer scores (ltv_customers) and per-segment priors (ltv_priors)
 * from fitted models, and the text of the output rows.
 */
#include <stdint.h>
#include <stdio.h>

#include "input.h"
#include "model.h"

/*
 * The discounted increments of E[Y(k) | x, T] over k = 1..H, without the
 * customer's 1/D and (a+b+x-1)/(a-1) factors:
 *   S = sum_{k=1..H} (G(k-1) - G(k)) v^k,  v = 1/(1+d),
 * with G = bg_G (G(0) = 1); *GH gets G(H).  Then for a customer
 *   E[Y(H)] = K (1 - G(H)) / D,   clv = spend K S / D,   K = (a+b+x-1)/(a-1).
 * x = 0, T = 0 gives E[X(k)] of a new customer.
 */
double bg_disc_sum(const double th[BG_NP], int x, double T, int H, double v, double *GH);
/* The same along s = log(1 - z) with the series cut at eps relative (the
 * priors screen their parameter draws with it, eps 1e-8); NaN when a series
 * does not settle. */
double bg_disc_sum_s(const double th[BG_NP], int x, double T, int H, double v, double *GH,
		     double eps);

struct score_opts {
	int horizon;
	double v;                /* discount factor per period, 1/(1+d) */
	const char *run_id, *created_at;
	const char *seg_col;     /* NULL: segment null in the rows */
};

/* One customer's scores. */
struct scores {
	double p_alive, expected_purchases, expected_spend, clv;
};

/* A cache of (model, x, T) -> (S, G(H)), so customers with the same history
 * shape cost one evaluation. */
struct score_cache;
struct score_cache *score_cache_new(void);
void score_cache_free(struct score_cache *c);

/* Score one customer under models mp (mp->have_gg 0: spend and clv NaN). */
void score_one(struct score_cache *cache, const struct model_pair *mp, const struct score_opts *o,
	       const struct cust *c, struct scores *s);

/*
 * Write the ltv_customers rows of every customer of cs to f: customer i
 * uses models[seg of i] (models[0] when cs has no segments).  Returns the
 * rows written; a customer id that is not UTF-8 cannot happen (the reader
 * checks it).
 */
long long write_customers(FILE *f, const struct customers *cs,
			  const struct model_pair *const *models, const struct score_opts *o);

/*
 * A double as short JSON text: 12 significant digits (trailing zeros
 * dropped, always a '.' or exponent), null for NaN/Inf.  Returns the length
 * (buf at least 32 bytes).
 */
size_t fmt_g12(char *buf, double v);

/* The value of a new customer (ltv_priors). */
struct prior {
	double first_value_mean;  /* NaN when unknown */
	double repeat_purchases;  /* E[X(H)] */
	double spend_per_purchase;
	double value_mean, value_low, value_high;
};

/*
 * value = first_value_mean + spend_per_purchase * sum_{k=1..H} (E[X(k)] -
 * E[X(k-1)]) v^k (first_value_mean counted as 0 when NaN); the 90%
 * interval from `draws` draws (seed) of the log-parameters from N(log th,
 * cov) of each model and of first_value_mean from N(mean, fv_se): the 5%
 * and 95% quantiles (type 7) of the drawn values.  The interval is NaN
 * when a covariance is missing or fewer than 90% of the draws give a
 * finite value (q <= 1 in a draw leaves the spend undefined).
 */
void prior_compute(const struct model_pair *mp, double fv_mean, double fv_se, int H, double v,
		   int draws, uint64_t seed, struct prior *out);

#endif
