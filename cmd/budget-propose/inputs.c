/* budget-propose's warehouse reads (inputs.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "die.h"
#include "inputs.h"
#include "timefmt.h"

/*
 * Run a query; for each row call fn.  A table that does not exist yet
 * (nothing was ever loaded) reads as no rows when absent_ok.  Returns 0 or
 * an exit code with err filled.
 */
typedef void (*row_fn)(const struct value *v, void *ctx);

static int each_row(struct wh *w, const char *what, const char *sql, const struct wh_param *p,
		    size_t np, int absent_ok, row_fn fn, void *ctx, char *err, size_t errsz)
{
	struct wh_err we = { 0 };
	struct wh_query *q = wh_query_open(w, sql, p, np, &we);
	const struct value *v;
	int got;

	if (!q) {
		if (absent_ok && we.missing == WH_NO_TABLE)
			return 0;
		if (we.missing == WH_NO_TABLE)
			return errorf(err, errsz, AELP_EXIT_USAGE, "reading %s: %s (run bq-ensure: the "
				    "contract has it)", what, we.msg);
		return errorf(err, errsz, we.code, "reading %s: %s", what, we.msg);
	}
	while ((got = wh_query_next(q, &v, &we)) == 1)
		fn(v, ctx);
	wh_query_close(q);
	if (got < 0)
		return errorf(err, errsz, we.code, "reading %s: %s", what, we.msg);
	return 0;
}

static char *opt_str(const struct value *v)
{
	return v->kind == V_TEXT ? value_str(v) : NULL;
}

static void got_text(const struct value *v, void *ctx)
{
	char **out = ctx;
	free(*out);
	*out = opt_str(&v[0]);
}

/* ---- performance ---- */

struct perf {
	char *id, *channel, *platform, *name;
	double spend, conv, max_cost;
	int days;
};

struct perf_list {
	struct perf *p;
	size_t n, cap;
};

static void got_perf(const struct value *v, void *ctx)
{
	struct perf_list *l = ctx;
	struct perf *p;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->p = xrealloc(l->p, l->cap * sizeof *l->p);
	}
	p = &l->p[l->n++];
	p->id = value_str(&v[0]);
	p->channel = opt_str(&v[1]);
	p->platform = opt_str(&v[2]);
	p->name = opt_str(&v[3]);
	p->spend = value_num(&v[4]);
	p->conv = value_num(&v[5]);
	p->max_cost = value_num(&v[6]);
	p->days = (int)value_num(&v[7]);
	if (!isfinite(p->spend))
		p->spend = 0;
	if (!isfinite(p->conv))
		p->conv = 0;
	if (!isfinite(p->max_cost))
		p->max_cost = 0;
}

/* ---- budgets, merged with performance (both sorted by campaign_id) ---- */

struct merge {
	struct bp_input *in;
	struct perf_list *perf;
	size_t at;                     /* next performance row */
	size_t cap;
	int days;
};

static void got_budget(const struct value *v, void *ctx)
{
	struct merge *m = ctx;
	struct bp_input *in = m->in;
	struct perf *p = NULL;
	struct bp_camp *c;
	char *id = value_str(&v[0]);

	while (m->at < m->perf->n && strcmp(m->perf->p[m->at].id, id) < 0)
		in->no_budget++, m->at++;
	if (m->at < m->perf->n && strcmp(m->perf->p[m->at].id, id) == 0)
		p = &m->perf->p[m->at++];
	if (v[5].kind == V_TEXT && !value_is(&v[5], "ENABLED")) {
		in->not_enabled++;
		free(id);
		return;
	}
	if (!p || !(p->spend > 0)) {
		in->no_spend++;
		free(id);
		return;
	}
	if (in->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 256;
		in->camps = xrealloc(in->camps, m->cap * sizeof *in->camps);
	}
	c = &in->camps[in->n++];
	memset(c, 0, sizeof *c);
	c->campaign_id = id;
	c->customer_id = opt_str(&v[1]);
	c->campaign_name = opt_str(&v[2]);
	if (!c->campaign_name && p->name)
		c->campaign_name = xstrdup(p->name);
	c->platform = opt_str(&v[3]);
	if (!c->platform && p->platform)
		c->platform = xstrdup(p->platform);
	c->channel = opt_str(&v[4]);
	if (!c->channel && p->channel)
		c->channel = xstrdup(p->channel);
	c->budget_id = opt_str(&v[6]);
	c->chan = -1;
	c->c.campaign_id = c->campaign_id;
	c->c.budget = value_num(&v[7]) / 1e6;
	c->c.spend = p->spend;
	c->c.conv = p->conv;
	c->c.max_daily_spend = p->max_cost;
	c->c.days = m->days;
	in->total_spend += p->spend;
	in->total_conv += p->conv;
}

/* ---- the media-mix run ---- */

struct run_row {
	char *id, *kpi, *options, *created, *status;
	int found;
};

static void got_run(const struct value *v, void *ctx)
{
	struct run_row *r = ctx;
	r->found = 1;
	r->id = value_str(&v[0]);
	r->kpi = opt_str(&v[1]);
	r->options = opt_str(&v[2]);
	r->created = opt_str(&v[3]);
	r->status = value_str(&v[4]);
}

static void got_alloc(const struct value *v, void *ctx)
{
	struct bp_input *in = ctx;
	struct bp_channel *ch;
	in->chans = xrealloc(in->chans, (in->nchans + 1) * sizeof *in->chans);
	ch = &in->chans[in->nchans++];
	memset(ch, 0, sizeof *ch);
	ch->name = value_str(&v[0]);
	ch->current = value_num(&v[1]);
	ch->proposed = value_num(&v[2]);
	ch->cac_mean = value_num(&v[3]);
	ch->cac_low = value_num(&v[4]);
	ch->cac_high = value_num(&v[5]);
	ch->mcac_mean = ch->mcac_low = ch->mcac_high = NAN;
}

struct curve_pick {
	struct bp_input *in;
	double *dist;                  /* per channel: |spend_multiple - 1| of the point kept */
};

static void got_curve(const struct value *v, void *ctx)
{
	struct curve_pick *cp = ctx;
	struct bp_input *in = cp->in;
	double mult = value_num(&v[1]), V = in->value_per_conversion, d;
	size_t i;

	for (i = 0; i < in->nchans; i++)
		if (value_is(&v[0], in->chans[i].name))
			break;
	if (i == in->nchans || !isfinite(mult))
		return;
	d = fabs(mult - 1);
	if (d >= cp->dist[i])
		return;
	cp->dist[i] = d;
	{
		double m = value_num(&v[2]), lo = value_num(&v[3]), hi = value_num(&v[4]);
		struct bp_channel *ch = &in->chans[i];
		ch->mcac_mean = m > 0 ? V / m : INFINITY;
		ch->mcac_low = hi > 0 ? V / hi : INFINITY;
		ch->mcac_high = lo > 0 ? V / lo : INFINITY;
	}
}

static int read_mmm(struct wh *w, const struct bp_read_opts *o, struct bp_input *in, char *err,
		    size_t errsz)
{
	struct run_row r = { 0 };
	struct wh_param p = { "r", T_STRING, o->mmm_run_id };
	const char *cols = "SELECT run_id, kpi, options, created_at, status FROM mmm_runs ";
	char sql[256];
	int rc;

	if (o->mmm_run_id) {
		snprintf(sql, sizeof sql, "%sWHERE run_id = @r", cols);
		rc = each_row(w, "mmm_runs", sql, &p, 1, 1, got_run, &r, err, errsz);
	} else {
		snprintf(sql, sizeof sql, "%sWHERE status = 'ok' ORDER BY created_at DESC, run_id DESC LIMIT 1",
			 cols);
		rc = each_row(w, "mmm_runs", sql, NULL, 0, 1, got_run, &r, err, errsz);
	}
	if (rc)
		goto out;
	if (!r.found) {
		if (o->mmm_run_id)
			rc = errorf(err, errsz, 1, "no mmm_runs row with run_id '%s' (--mmm-run-id)", o->mmm_run_id);
		goto out;
	}
	if (strcmp(r.status, "ok") != 0) {
		rc = errorf(err, errsz, 1, "media-mix run '%s' has status %s, not ok (--mmm-run-id)", r.id,
			  r.status);
		goto out;
	}
	in->mmm_run_id = r.id;
	in->mmm_created_at = r.created;
	in->mmm_kpi = r.kpi;
	r.id = r.created = r.kpi = NULL;
	in->value_per_conversion = 1;
	if (r.options) {
		json_t *oj = json_loads(r.options, 0, NULL);
		json_t *vp = json_object_get(oj, "value_per_conversion");
		if (json_is_number(vp) && json_number_value(vp) > 0)
			in->value_per_conversion = json_number_value(vp);
		json_decref(oj);
	}
	p.value = in->mmm_run_id;
	rc = each_row(w, "mmm_allocations", "SELECT channel, current_daily_spend, proposed_daily_spend, "
		      "cac_mean, cac_p05, cac_p95 FROM mmm_allocations WHERE run_id = @r ORDER BY channel",
		      &p, 1, 1, got_alloc, in, err, errsz);
	if (rc)
		goto out;
	if (!(in->mmm_kpi && strcmp(in->mmm_kpi, "revenue") == 0)) {
		struct curve_pick cp = { in, xmalloc((in->nchans + 1) * sizeof(double)) };
		size_t i;
		for (i = 0; i < in->nchans; i++)
			cp.dist[i] = INFINITY;
		rc = each_row(w, "mmm_curves", "SELECT channel, spend_multiple, marginal_roi_mean, "
			      "marginal_roi_p05, marginal_roi_p95 FROM mmm_curves WHERE run_id = @r "
			      "ORDER BY channel, point", &p, 1, 1, got_curve, &cp, err, errsz);
		free(cp.dist);
	} else {
		size_t i;
		/* a revenue KPI gives no CAC: the campaigns' own history does */
		for (i = 0; i < in->nchans; i++)
			in->chans[i].cac_mean = in->chans[i].cac_low = in->chans[i].cac_high = NAN;
	}
out:
	free(r.id);
	free(r.kpi);
	free(r.options);
	free(r.created);
	free(r.status);
	return rc;
}

/* ---- this run's proposals a person already decided ---- */

struct decided {
	char **ids;
	size_t n;
};

static void got_decided(const struct value *v, void *ctx)
{
	struct decided *d = ctx;
	d->ids = xrealloc(d->ids, (d->n + 1) * sizeof *d->ids);
	d->ids[d->n++] = value_str(&v[0]);
}

int bp_read(struct wh *w, const struct bp_read_opts *o, struct bp_input *in, char *err, size_t errsz)
{
	struct perf_list perf = { 0 };
	struct merge m = { 0 };
	char *end = o->end ? xstrdup(o->end) : NULL;
	struct wh_param pp[2];
	size_t i, j;
	int rc;
	long long y, z;
	unsigned mo, d;

	memset(in, 0, sizeof *in);
	if (!end) {
		rc = each_row(w, "ads_campaign_performance", "SELECT MAX(date) AS d FROM ads_campaign_performance",
			      NULL, 0, 1, got_text, &end, err, errsz);
		if (rc)
			return rc;
		if (!end)
			return errorf(err, errsz, 1, "no rows in ads_campaign_performance (%s): nothing to "
				    "propose from", wh_describe(w));
	}
	snprintf(in->end, sizeof in->end, "%s", end);
	free(end);
	sscanf(in->end, "%lld-%u-%u", &y, &mo, &d);
	z = days_from_civil(y, mo, d) - (o->days - 1);
	civil_from_days(z, &y, &mo, &d);
	snprintf(in->start, sizeof in->start, "%04lld-%02u-%02u", y, mo, d);

	pp[0] = (struct wh_param){ "a", T_DATE, in->start };
	pp[1] = (struct wh_param){ "b", T_DATE, in->end };
	/*
	 * The view ads_campaign_daily's sums, taken from its table directly:
	 * the table's key (date, campaign_id) makes each row one campaign-day
	 * already, so MAX(cost_micros) is the highest daily spend, and the
	 * date index serves the window without rolling up every day first.
	 */
	rc = each_row(w, "ads_campaign_performance", "SELECT campaign_id, MAX(channel) AS channel, "
		      "MAX(platform) AS platform, MAX(campaign_name) AS campaign_name, "
		      "COALESCE(SUM(cost_micros), 0) / 1e6 AS spend, "
		      "COALESCE(SUM(conversions), 0) AS conversions, "
		      "COALESCE(MAX(cost_micros), 0) / 1e6 AS max_cost, COUNT(*) AS days "
		      "FROM ads_campaign_performance "
		      "WHERE date >= @a AND date <= @b GROUP BY campaign_id ORDER BY campaign_id",
		      pp, 2, 1, got_perf, &perf, err, errsz);
	if (rc)
		goto out;
	m.in = in;
	m.perf = &perf;
	m.days = o->days;
	rc = each_row(w, "canary_budgets_latest", "SELECT campaign_id, customer_id, campaign_name, "
		      "platform, channel, campaign_status, budget_id, daily_budget_micros "
		      "FROM canary_budgets_latest ORDER BY campaign_id", NULL, 0, 0, got_budget, &m,
		      err, errsz);
	if (rc)
		goto out;
	in->no_budget += perf.n - m.at;

	if (o->use_mmm && (rc = read_mmm(w, o, in, err, errsz)) != 0)
		goto out;
	for (i = 0; i < in->n; i++) {
		struct bp_camp *c = &in->camps[i];
		for (j = 0; c->channel && j < in->nchans; j++)
			if (strcmp(in->chans[j].name, c->channel) == 0)
				c->chan = (int)j;
		if (c->chan >= 0) {
			in->chans[c->chan].spend += c->c.spend;
			in->chans[c->chan].conv += c->c.conv;
		}
	}

out:
	for (i = 0; i < perf.n; i++) {
		free(perf.p[i].id);
		free(perf.p[i].channel);
		free(perf.p[i].platform);
		free(perf.p[i].name);
	}
	free(perf.p);
	return rc;
}

static int camp_id_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct bp_camp *)elem)->campaign_id);
}

int bp_mark_decided(struct wh *w, const char *run_id, struct bp_input *in, char *err, size_t errsz)
{
	struct decided dec = { 0 };
	struct wh_param pr = { "r", T_STRING, run_id };
	size_t j;
	int rc = each_row(w, "canary_changes", "SELECT campaign_id FROM canary_changes "
			  "WHERE run_id = @r AND status <> 'proposed'", &pr, 1, 1, got_decided, &dec,
			  err, errsz);
	for (j = 0; j < dec.n; j++) {
		/* the campaigns are in campaign_id order (the merge with the budgets needs it) */
		struct bp_camp *c = in->n ? bsearch(dec.ids[j], in->camps, in->n, sizeof *in->camps,
						    camp_id_cmp) : NULL;
		if (c)
			c->decided = 1;
		free(dec.ids[j]);
	}
	free(dec.ids);
	return rc;
}

void bp_input_free(struct bp_input *in)
{
	size_t i;
	for (i = 0; i < in->n; i++) {
		struct bp_camp *c = &in->camps[i];
		free(c->campaign_id);
		free(c->campaign_name);
		free(c->customer_id);
		free(c->budget_id);
		free(c->platform);
		free(c->channel);
	}
	free(in->camps);
	for (i = 0; i < in->nchans; i++)
		free((char *)in->chans[i].name);
	free(in->chans);
	free(in->mmm_run_id);
	free(in->mmm_created_at);
	free(in->mmm_kpi);
	memset(in, 0, sizeof *in);
}
