#ifndef LTV_INPUT_H
#define LTV_INPUT_H

/*
 * ltv-fit's input: transactions turned into per-customer summaries
 * (x, t_x, T, zbar, first value), summary rows read as they are, and the
 * ltv_models rows of an earlier run.  Every reader returns 0, or 65 with
 * err "FILE:LINE: reason" (nothing is kept from a failed read: the caller
 * exits).
 */
#include <stddef.h>

#include "intern.h"
#include "model.h"

/* One customer.  Times in periods. */
struct cust {
	size_t id;              /* transactions: index in customers.ids */
	size_t id_off, id_len;  /* the id's text: customers.idbuf[id_off..+id_len) */
	int seg;                /* index in customers.segs, -1 without --segment */
	int x;
	double tx, T, zbar;     /* zbar NaN when x = 0 (or not given) */
	double first_value;     /* NaN when unknown */
	int holdout_x;          /* repeat purchase days in (cal_end, holdout_end]; -1: not asked */
};

struct customers {
	struct cust *c;
	size_t n, cap;
	struct intern ids;       /* transactions: ids while aggregating */
	char *idbuf;             /* every customer's id text, back to back */
	size_t idn, idcap;
	struct intern segs;
	long long rows;          /* input rows read */
	long long after_cal;     /* transactions: rows after the calibration end (ignored) */
	long long late_customers;/* transactions: customers first seen after the calibration end */
	long long cal_start;     /* transactions: first purchase day (days since 1970), else LLONG_MIN */
};

/* Customer c's id text (not NUL-terminated) and its length. */
static inline const char *cust_id(const struct customers *cs, const struct cust *c, size_t *len)
{
	*len = c->id_len;
	return cs->idbuf + c->id_off;
}

struct read_opts {
	const char *id_col, *date_col, *value_col, *seg_col;  /* seg_col NULL: no segments */
	int period;              /* days per period: 7 or 1 */
	long long cal_end;       /* days since 1970 */
	long long holdout_end;   /* days since 1970, or LLONG_MIN when not asked */
};

/* Read transaction rows from every file (NULL-terminated list of paths;
 * "-" stdin) into cs (zeroed by the caller), summarising per customer. */
int read_transactions(const char *const *files, const struct read_opts *o, struct customers *cs,
		      char *err, size_t errsz);

/* Read summary rows (customer_id, x, t_x, T, zbar [, first_value, seg_col]). */
int read_summaries(const char *const *files, const struct read_opts *o, struct customers *cs,
		   char *err, size_t errsz);

void customers_free(struct customers *cs);

/* A fitted pair of models of one segment, as ltv_models rows hold it. */
struct model_pair {
	char *segment;
	int have_bg, have_gg;
	struct fit bg, gg;
	char period[8];          /* "" when the rows did not say */
};

/*
 * Read ltv_models rows from path (NDJSON; rows whose "_table" names another
 * table -- the rest of an earlier run's output -- are skipped; rows without
 * "_table" are taken as ltv_models rows).  *pairs gets one entry per
 * segment (caller frees with model_pairs_free).  Every segment needs a
 * bgnbd row; a missing gamma_gamma row leaves spend null.
 */
int read_models(const char *path, struct model_pair **pairs, size_t *n, char *err, size_t errsz);
void model_pairs_free(struct model_pair *pairs, size_t n);

#endif
