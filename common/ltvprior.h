/*
 * ltvprior: the expected value of a new customer, as ltv-fit leaves it in
 * ltv_priors, for the programs that turn conversions into value (mmm-fit's
 * --value-per-conversion ltv) and CAC caps from LTV (budget-propose's
 * --ltv-cac-ratio).
 *
 * Only the newest run counts: the run_id of the latest created_at.  Its rows
 * are kept whole; a segment without its own row falls back to "all".
 */
#ifndef AELP_LTVPRIOR_H
#define AELP_LTVPRIOR_H

#include <stddef.h>

struct wh;

struct ltv_prior {
	char *segment;           /* as stored ("all", a channel, ...) */
	double mean, low, high;  /* value_mean, value_low, value_high (NaN when null) */
	long long n_customers;   /* -1 when null */
	char *fit;               /* "segment", "pooled" or NULL */
};

struct ltv_priors {
	char *run_id;            /* NULL when ltv_priors has no row */
	char *created_at;
	char *period;
	long long horizon;       /* -1 when null */
	struct ltv_prior *p;
	size_t n;
};

/*
 * Read the newest run's priors.  Returns 0 (pr->run_id NULL when the table
 * is empty), or an exit code with err filled: 2 when the table is missing
 * (bq-ensure has not run), the warehouse's code otherwise.
 */
int ltv_priors_read(struct wh *w, struct ltv_priors *pr, char *err, size_t errsz);

/* The segment's prior, else the "all" row, else NULL. */
const struct ltv_prior *ltv_prior_for(const struct ltv_priors *pr, const char *segment);

void ltv_priors_free(struct ltv_priors *pr);

/*
 * The LTV:CAC ratio R of --ltv-cac-ratio (given, named optname in
 * messages), else of AELP2_LTV_CAC_RATIO; NaN when neither is set (or the
 * variable is empty).  Not a positive number: a usage error (exit 2).
 */
double ltv_cac_ratio(const char *optname, const char *given);

/*
 * A CAC cap from LTV: the lower of cap (NaN: none) and the segment's prior
 * (else all's) value_low / ratio.  *used gets the prior read, or NULL; with
 * no prior, or one without a positive value_low, the cap is cap.
 */
double ltv_cac_cap(const struct ltv_priors *pr, const char *segment, double ratio, double cap,
		   const struct ltv_prior **used);

#endif
