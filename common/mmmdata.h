#ifndef AELP_MMMDATA_H
#define AELP_MMMDATA_H

#include <stdio.h>

/*
 * The media-mix input that mmm-fit and mmm-validate read: NDJSON rows of three
 * shapes, in any order,
 *
 *   {"date":"2025-01-06","channel":"meta","spend":123.4}      (optional "impressions")
 *   {"date":"2025-01-06","kpi":456.0}
 *   {"date":"2025-01-06","control":"promo","value":1}
 *
 * A key whose value is null counts as absent (bq-extract writes nulls).
 * Treatments (README "mmm-fit input"):
 *   - spend rows for the same date and channel are summed (campaign rows are fine);
 *   - a channel with no row on a date spent 0 that day; a control with no row is 0;
 *   - the periods are the KPI's dates: one KPI per date, a second is an error, and a
 *     period between the first and the last with no KPI is an error naming it;
 *   - spend or a control on a date outside the KPI's dates is an error;
 *   - negative or non-finite spend, a non-finite KPI or value is an error;
 *   - the grain is detected from the KPI's dates (1 day apart: day; 7: week) or
 *     given; --grain week on daily rows sums them into 7-day periods starting
 *     at the first date (a trailing partial period is dropped, with a note);
 *   - a channel whose spend is 0 over the whole window is kept in the data with
 *     `dead` set: the model leaves it out and says so.
 * Every error names FILE:LINE (or the date) and the reason; nothing is kept.
 */

enum mmm_grain { MMM_GRAIN_AUTO = 0, MMM_GRAIN_DAY = 1, MMM_GRAIN_WEEK = 7 };

struct mmm_data {
	int grain;              /* MMM_GRAIN_DAY or MMM_GRAIN_WEEK */
	int T;                  /* periods */
	int C;                  /* channels, sorted by name */
	int K;                  /* controls, sorted by name */
	long long day0;         /* days_from_civil() of the first period's date */
	char **channel;         /* C names */
	char **control;         /* K names */
	double *spend;          /* T x C, spend[t*C + c] */
	double *impressions;    /* T x C, or NULL when no row had impressions */
	double *kpi;            /* T */
	double *ctrl;           /* T x K, ctrl[t*K + k] */
	unsigned char *dead;    /* C: 1 when the channel spent nothing in the window */
	int dropped_days;       /* daily rows left out of a trailing partial week */
};

/*
 * Read all of path ("-" or NULL: standard input; a file that cannot be opened
 * exits 2 as nd_open does).  grain: MMM_GRAIN_AUTO to detect.
 * Returns 0, or 65 with err set ("FILE:LINE: reason" or "FILE: reason") and d
 * left empty.
 */
int mmm_read(const char *path, int grain, struct mmm_data *d, char *err, size_t errsz);

/* Keep only the last `periods` periods (0: all).  Returns 0 or 65 with err. */
int mmm_window(struct mmm_data *d, int periods, char *err, size_t errsz);

void mmm_free(struct mmm_data *d);

/* The date of period t as "YYYY-MM-DD" into out[11]. */
void mmm_date(const struct mmm_data *d, int t, char out[11]);

/* The last day the window covers (the last period's date, + 6 for weeks) into out[11]. */
void mmm_end_date(const struct mmm_data *d, char out[11]);

#endif
