#ifndef TA_ATTRIB_H
#define TA_ATTRIB_H

#include <stddef.h>
#include <stdio.h>

#include "credit.h"
#include "row.h"

/*
 * touch-attribute's journeys: touches grouped by user, each conversion's
 * lookback window, the credit of every model, the data-driven model's
 * Markov fit, and the attribution_touchpoints rows.
 */

enum ta_type { TA_IMPRESSION, TA_CLICK, TA_CONVERSION };

struct ta_touch {
	char *id, *user, *channel, *campaign, *ts, *conv_id, *conv_type;
	double at;             /* seconds since 1970 */
	double cost;           /* NaN when null */
	double value;          /* conversion_value, NaN when null */
	enum ta_type type;
	const char *src;       /* file name (or table) and line, for messages */
	unsigned long line;
};

/* The fields a touch is read from, in this order (the warehouse query's
 * columns; --stdin maps the table's columns onto them). */
enum ta_field { F_ID, F_USER, F_AT, F_TYPE, F_CHANNEL, F_CAMPAIGN, F_COST, F_CONVID,
		F_CONVTYPE, F_VALUE, F_N };
extern const char *const ta_field_names[F_N];

struct ta_input {
	struct ta_touch *t;
	size_t n, cap;
};

/*
 * Add a touch from values v, field f at v[ix[f]].  Returns 0, or -1 with the
 * reason in err (no file or line: the caller adds them): an unknown
 * touch_type, a conversion without conversion_id, a negative cost or value.
 * src must outlive the input.
 */
int ta_input_add(struct ta_input *in, const struct value *v, const long ix[F_N], const char *src,
		 unsigned long line, char *err, size_t errsz);
void ta_input_free(struct ta_input *in);

enum ta_touches { TA_TOUCHES_DEFAULT, TA_TOUCHES_CLICKS, TA_TOUCHES_ALL };

struct ta_opts {
	int acq_days, other_days;         /* the GA4 lookback windows */
	enum ta_touches touches;
	double half_life;                 /* days */
	enum ta_model model[TA_NMODELS];
	size_t nmodels;
	int have_period;                  /* attribute only conversions of from_day..to_day */
	long long from_day, to_day;       /* days since 1970, inclusive */
};

/* Whether model m credits touches of type ty under o->touches: the click
 * models count clicks and the others every touch, unless --touches says. */
int ta_counts(const struct ta_opts *o, enum ta_model m, enum ta_type ty);

/* The lookback window of a conversion type: first_visit and first_open take
 * the acquisition window, everything else (a null type too) the other. */
int ta_window_days(const struct ta_opts *o, const char *conv_type);

struct ta_conv {
	const struct ta_touch *conv;
	size_t *touch;         /* indexes into the input of the window's touches, time order */
	size_t n;
	int window_days;
	double spend;          /* sum of the window touches' costs (null = 0) */
	double *credit;        /* nmodels x n: credit[k * n + i] */
	double *direct;        /* nmodels: the (direct) row's credit */
};

struct ta_result {
	struct ta_conv *c;
	size_t n;
	size_t direct[TA_NMODELS];     /* conversions a model had no touch to credit */
	/* data-driven fit */
	size_t dd_conv_paths, dd_null_paths, dd_nchannels;
	char **dd_channel;
	double *dd_re;
	double dd_p_conv;
};

/*
 * Sort the touches by user, time and id, refuse duplicate touchpoint_ids and
 * conversion_ids (65, naming both places), and attribute every conversion
 * (of the period, when o has one) under every model of o.  Returns 0, or an
 * exit code with err filled: 65 for duplicates, and for data_driven when it
 * cannot run (no conversion with a touch in its window: no fallback).
 */
int ta_attribute(struct ta_input *in, const struct ta_opts *o, struct ta_result *r, char *err,
		 size_t errsz);
void ta_result_free(struct ta_result *r);

/* The attribution_touchpoints rows, `_table`-tagged: per conversion, per
 * model, one row per touch of the window and one (direct) row.  Returns the
 * number of rows. */
size_t ta_write(FILE *f, const struct ta_input *in, const struct ta_result *r,
		const struct ta_opts *o, const char *run_id, const char *now);

/* Days since 1970 of the date that starts a timestamp or date text. */
long long ta_day(const char *ts);

#endif
