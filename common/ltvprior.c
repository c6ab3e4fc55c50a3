/* ltvprior: read the newest ltv-fit run's priors (see ltvprior.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "ltvprior.h"
#include "opts.h"
#include "row.h"
#include "warehouse.h"

static char *text_or_null(const struct value *v)
{
	return v->kind == V_TEXT ? value_str(v) : NULL;
}

static double num_or_nan(const struct value *v)
{
	return v->kind == V_NULL ? NAN : value_num(v);
}

static long long int_or_neg(const struct value *v)
{
	return v->kind == V_NULL ? -1 : (long long)value_num(v);
}

int ltv_priors_read(struct wh *w, struct ltv_priors *pr, char *err, size_t errsz)
{
	/* The newest run: its created_at, then its run_id (ties by run_id). */
	static const char sql[] =
		"SELECT run_id, created_at, segment, value_mean, value_low, value_high, n_customers, "
		"fit, period, horizon FROM ltv_priors WHERE run_id = (SELECT run_id FROM ltv_priors "
		"ORDER BY created_at DESC, run_id DESC LIMIT 1) ORDER BY segment";
	struct wh_err we = { 0 };
	struct wh_query *q;
	const struct value *v;
	size_t cap = 0;
	int got;

	memset(pr, 0, sizeof *pr);
	pr->horizon = -1;
	q = wh_query_open(w, sql, NULL, 0, &we);
	if (!q) {
		if (we.missing == WH_NO_TABLE)
			return errorf(err, errsz, AELP_EXIT_USAGE, "reading ltv_priors: %s (run bq-ensure: "
				      "the contract has it)", we.msg);
		return errorf(err, errsz, we.code, "reading ltv_priors: %s", we.msg);
	}
	while ((got = wh_query_next(q, &v, &we)) == 1) {
		struct ltv_prior *p;
		if (!pr->run_id) {
			pr->run_id = value_str(&v[0]);
			pr->created_at = value_str(&v[1]);
			pr->period = text_or_null(&v[8]);
			pr->horizon = int_or_neg(&v[9]);
		}
		if (pr->n == cap) {
			cap = cap ? 2 * cap : 16;
			pr->p = xrealloc(pr->p, cap * sizeof *pr->p);
		}
		p = &pr->p[pr->n++];
		p->segment = value_str(&v[2]);
		p->mean = num_or_nan(&v[3]);
		p->low = num_or_nan(&v[4]);
		p->high = num_or_nan(&v[5]);
		p->n_customers = int_or_neg(&v[6]);
		p->fit = text_or_null(&v[7]);
	}
	wh_query_close(q);
	if (got < 0) {
		ltv_priors_free(pr);
		return errorf(err, errsz, we.code, "reading ltv_priors: %s", we.msg);
	}
	return 0;
}

const struct ltv_prior *ltv_prior_for(const struct ltv_priors *pr, const char *segment)
{
	const struct ltv_prior *all = NULL;
	size_t i;

	for (i = 0; i < pr->n; i++) {
		if (segment && strcmp(pr->p[i].segment, segment) == 0)
			return &pr->p[i];
		if (strcmp(pr->p[i].segment, "all") == 0)
			all = &pr->p[i];
	}
	return all;
}

void ltv_priors_free(struct ltv_priors *pr)
{
	size_t i;

	for (i = 0; i < pr->n; i++) {
		free(pr->p[i].segment);
		free(pr->p[i].fit);
	}
	free(pr->p);
	free(pr->run_id);
	free(pr->created_at);
	free(pr->period);
	memset(pr, 0, sizeof *pr);
	pr->horizon = -1;
}

double ltv_cac_ratio(const char *optname, const char *given)
{
	const char *s = given ? given : getenv("AELP2_LTV_CAC_RATIO");

	if (!s || (!given && !*s))
		return NAN;
	return opt_double(given ? optname : "AELP2_LTV_CAC_RATIO", s, 1e-6, 1e6);
}

double ltv_cac_cap(const struct ltv_priors *pr, const char *segment, double ratio, double cap,
		   const struct ltv_prior **used)
{
	const struct ltv_prior *p = ltv_prior_for(pr, segment);

	*used = p;
	if (p && p->low > 0 && !(cap <= p->low / ratio))
		return p->low / ratio;
	return cap;
}
