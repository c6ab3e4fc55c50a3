/* touch-attribute: the per-conversion credit rules (credit.h). */
#include <math.h>
#include <string.h>

#include "credit.h"

static const char *const names[TA_NMODELS] = {
	"last_click", "first_click", "linear", "position", "time_decay", "data_driven"
};

const char *ta_model_name(enum ta_model m)
{
	return (unsigned)m < TA_NMODELS ? names[m] : "?";
}

int ta_model_parse(const char *s)
{
	static const struct { const char *alias; enum ta_model m; } aliases[] = {
		{ "last", TA_LAST_CLICK }, { "first", TA_FIRST_CLICK },
		{ "position_based", TA_POSITION }, { "time-decay", TA_TIME_DECAY },
		{ "data-driven", TA_DATA_DRIVEN }, { "dda", TA_DATA_DRIVEN },
		{ "last-click", TA_LAST_CLICK }, { "first-click", TA_FIRST_CLICK },
	};
	size_t i;
	for (i = 0; i < TA_NMODELS; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcmp(s, aliases[i].alias) == 0)
			return (int)aliases[i].m;
	return -1;
}

int ta_model_is_click(enum ta_model m)
{
	return m == TA_LAST_CLICK || m == TA_FIRST_CLICK;
}

static int data_driven(const struct ta_ctouch *t, size_t n, double *credit)
{
	double sum = 0;
	size_t i, j;

	/* sum of RE over the distinct channels of the path */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && strcmp(t[j].channel, t[i].channel) != 0; j++)
			;
		if (j == i) {
			if (!isfinite(t[i].re) || t[i].re < 0)
				return -1;
			sum += t[i].re;
		}
	}
	if (!(sum > 0) || !isfinite(sum))
		return -1;
	for (i = 0; i < n; i++) {
		size_t count = 0;
		for (j = 0; j < n; j++)
			count += strcmp(t[j].channel, t[i].channel) == 0;
		credit[i] = t[i].re / sum / (double)count;
	}
	return 0;
}

int ta_credit(enum ta_model m, const struct ta_ctouch *t, size_t n, double conv_at,
	      double half_life_days, double *credit)
{
	size_t i;
	double sum;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		credit[i] = 0;
	switch (m) {
	case TA_LAST_CLICK:
		credit[n - 1] = 1;
		return 0;
	case TA_FIRST_CLICK:
		credit[0] = 1;
		return 0;
	case TA_LINEAR:
		for (i = 0; i < n; i++)
			credit[i] = 1.0 / (double)n;
		return 0;
	case TA_POSITION:
		if (n == 1) {
			credit[0] = 1;
		} else if (n == 2) {
			credit[0] = credit[1] = 0.5;
		} else {
			credit[0] = credit[n - 1] = 0.4;
			for (i = 1; i + 1 < n; i++)
				credit[i] = 0.2 / (double)(n - 2);
		}
		return 0;
	case TA_TIME_DECAY:
		/* Weights relative to the most recent touch, so that long gaps
		 * do not underflow: 2^(-(d_i - d_min)/h) = 2^(-d_i/h) / 2^(-d_min/h). */
		{
			double dmin = (conv_at - t[n - 1].at) / TA_SECONDS_PER_DAY;
			sum = 0;
			for (i = 0; i < n; i++) {
				double d = (conv_at - t[i].at) / TA_SECONDS_PER_DAY;
				credit[i] = exp2(-(d - dmin) / half_life_days);
				sum += credit[i];
			}
			for (i = 0; i < n; i++)
				credit[i] /= sum;
		}
		return 0;
	case TA_DATA_DRIVEN:
		return data_driven(t, n, credit);
	case TA_NMODELS:
		break;
	}
	return -1;
}
