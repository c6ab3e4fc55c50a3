#ifndef TA_CREDIT_H
#define TA_CREDIT_H

#include <stddef.h>

/*
 * touch-attribute's credit rules: how one conversion's credit is split
 * over the touches a model may credit.  Pure functions, no I/O.
 *
 * The touches given are the conversion's eligible touches (inside its
 * lookback window, not after it, of the types the model counts), in time
 * order (ties by touchpoint_id).  credit[i] gets touch i's share; the
 * shares sum to 1.
 */

enum ta_model {
	TA_LAST_CLICK,
	TA_FIRST_CLICK,
	TA_LINEAR,
	TA_POSITION,
	TA_TIME_DECAY,
	TA_DATA_DRIVEN,
	TA_NMODELS
};

/* "last_click", ... as the model column holds them. */
const char *ta_model_name(enum ta_model m);
/* The model of a name (also "last", "first", "position_based", "time-decay",
 * "data-driven", "dda"), or -1. */
int ta_model_parse(const char *s);
/* 1 for the click models (last_click, first_click). */
int ta_model_is_click(enum ta_model m);

struct ta_ctouch {
	double at;             /* seconds since 1970 */
	const char *channel;
	double re;             /* data_driven: the channel's removal effect */
};

#define TA_SECONDS_PER_DAY 86400.0

/*
 * Fill credit[0..n):
 *   last_click   1 to the last touch
 *   first_click  1 to the first touch
 *   linear       1/n each (each occurrence of a channel counts)
 *   position     n = 1: 1; n = 2: 0.5 each; n >= 3: 0.4 first, 0.4 last,
 *                0.2/(n-2) to each middle touch
 *   time_decay   w_i = 2^(-d_i / half_life), d_i = (conv_at - at_i) / 86400
 *                (days, fractional), credit w_i / sum w
 *   data_driven  per distinct channel c of the touches, share
 *                RE_c / sum over the path's distinct channels of RE;
 *                a channel's share is split equally over its touches
 * Returns 0, or -1 when n == 0, or (data_driven) when the removal effects
 * of the path's channels sum to 0 or are not finite.
 */
int ta_credit(enum ta_model m, const struct ta_ctouch *t, size_t n, double conv_at,
	      double half_life_days, double *credit);

#endif
