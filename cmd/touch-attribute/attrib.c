/* touch-attribute: journeys, windows, the models' credit and the rows (attrib.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "die.h"
#include "markov.h"
#include "ndjson.h"
#include "timefmt.h"

const char *const ta_field_names[F_N] = {
	"touchpoint_id", "user_id", "touched_at", "touch_type", "channel", "campaign_id", "cost",
	"conversion_id", "conversion_type", "conversion_value"
};

long long ta_day(const char *ts)
{
	unsigned y = 0, m = 0, d = 0;
	if (sscanf(ts, "%4u-%2u-%2u", &y, &m, &d) != 3)
		return 0;
	return days_from_civil(y, m, d);
}

static char *text_or_null(const struct value *v)
{
	return v->kind == V_TEXT ? value_str(v) : NULL;
}

int ta_input_add(struct ta_input *in, const struct value *v, const long ix[F_N], const char *src,
		 unsigned long line, char *err, size_t errsz)
{
	struct ta_touch t = { 0 };
	const struct value *ty = &v[ix[F_TYPE]];

	if (value_is(ty, "impression"))
		t.type = TA_IMPRESSION;
	else if (value_is(ty, "click"))
		t.type = TA_CLICK;
	else if (value_is(ty, "conversion"))
		t.type = TA_CONVERSION;
	else {
		char *s = value_str(ty);
		errorf(err, errsz, 65, "touch_type '%s' is not impression, click or conversion", s);
		free(s);
		return -1;
	}
	if (v[ix[F_ID]].kind != V_TEXT || v[ix[F_USER]].kind != V_TEXT ||
	    v[ix[F_AT]].kind != V_TEXT || v[ix[F_CHANNEL]].kind != V_TEXT)
		return errorf(err, errsz, -1, "touchpoint_id, user_id, touched_at and channel are required");
	t.cost = value_num(&v[ix[F_COST]]);
	t.value = value_num(&v[ix[F_VALUE]]);
	if (t.cost < 0)
		return errorf(err, errsz, -1, "cost %g is negative", t.cost);
	if (t.type == TA_CONVERSION) {
		if (v[ix[F_CONVID]].kind != V_TEXT || v[ix[F_CONVID]].n == 0)
			return errorf(err, errsz, -1, "a conversion without conversion_id");
		if (t.value < 0)
			return errorf(err, errsz, -1, "conversion_value %g is negative", t.value);
	}
	t.ts = value_str(&v[ix[F_AT]]);
	if (timestamp_epoch(t.ts, &t.at) != 0) {
		errorf(err, errsz, -1, "touched_at '%s' is not a timestamp", t.ts);
		free(t.ts);
		return -1;
	}
	t.id = value_str(&v[ix[F_ID]]);
	t.user = value_str(&v[ix[F_USER]]);
	t.channel = value_str(&v[ix[F_CHANNEL]]);
	t.campaign = text_or_null(&v[ix[F_CAMPAIGN]]);
	t.conv_id = t.type == TA_CONVERSION ? value_str(&v[ix[F_CONVID]]) : NULL;
	t.conv_type = t.type == TA_CONVERSION ? text_or_null(&v[ix[F_CONVTYPE]]) : NULL;
	t.src = src;
	t.line = line;
	if (in->n == in->cap) {
		in->cap = in->cap ? 2 * in->cap : 1024;
		in->t = xrealloc(in->t, in->cap * sizeof *in->t);
	}
	in->t[in->n++] = t;
	return 0;
}

void ta_input_free(struct ta_input *in)
{
	size_t i;
	for (i = 0; i < in->n; i++) {
		struct ta_touch *t = &in->t[i];
		free(t->id), free(t->user), free(t->channel), free(t->campaign), free(t->ts);
		free(t->conv_id), free(t->conv_type);
	}
	free(in->t);
	memset(in, 0, sizeof *in);
}

int ta_counts(const struct ta_opts *o, enum ta_model m, enum ta_type ty)
{
	if (ty == TA_CONVERSION)
		return 0;
	if (ty == TA_CLICK)
		return 1;
	switch (o->touches) {
	case TA_TOUCHES_CLICKS: return 0;
	case TA_TOUCHES_ALL: return 1;
	case TA_TOUCHES_DEFAULT: break;
	}
	return !ta_model_is_click(m);
}

int ta_window_days(const struct ta_opts *o, const char *conv_type)
{
	if (conv_type && (strcmp(conv_type, "first_visit") == 0 || strcmp(conv_type, "first_open") == 0))
		return o->acq_days;
	return o->other_days;
}

static int by_user_time(const void *x, const void *y)
{
	const struct ta_touch *a = x, *b = y;
	int c = strcmp(a->user, b->user);
	if (c)
		return c;
	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* Duplicate keys: sort pointers by a string field and compare neighbours. */
static int dup_conv;

static const char *dup_key(const struct ta_touch *t)
{
	return dup_conv ? t->conv_id : t->id;
}

static int by_key(const void *x, const void *y)
{
	const struct ta_touch *a = *(const struct ta_touch *const *)x;
	const struct ta_touch *b = *(const struct ta_touch *const *)y;
	int c = strcmp(dup_key(a), dup_key(b));
	if (c)
		return c;
	c = strcmp(a->src, b->src);
	return c ? c : (a->line > b->line) - (a->line < b->line);
}

static int check_dups(const struct ta_input *in, int conv, char *err, size_t errsz)
{
	const struct ta_touch **p = xmalloc((in->n + 1) * sizeof *p);
	size_t i, n = 0;
	int rc = 0;

	for (i = 0; i < in->n; i++)
		if (!conv || in->t[i].type == TA_CONVERSION)
			p[n++] = &in->t[i];
	dup_conv = conv;
	qsort(p, n, sizeof *p, by_key);
	for (i = 1; i < n; i++)
		if (strcmp(dup_key(p[i - 1]), dup_key(p[i])) == 0) {
			rc = errorf(err, errsz, AELP_EXIT_DATAERR, "%s:%lu: %s '%s' again (first at %s:%lu)",
				    p[i]->src, p[i]->line, conv ? "conversion_id" : "touchpoint_id",
				    dup_key(p[i]), p[i - 1]->src, p[i - 1]->line);
			break;
		}
	free(p);
	return rc;
}

static void channels_of(const struct ta_input *in, const size_t *ix, size_t n, const struct ta_opts *o,
			const char **ch, size_t *nch)
{
	size_t i;
	*nch = 0;
	for (i = 0; i < n; i++)
		if (ta_counts(o, TA_DATA_DRIVEN, in->t[ix[i]].type))
			ch[(*nch)++] = in->t[ix[i]].channel;
}

static int model_index(const struct ta_opts *o, enum ta_model m)
{
	size_t k;
	for (k = 0; k < o->nmodels; k++)
		if (o->model[k] == m)
			return (int)k;
	return -1;
}

int ta_attribute(struct ta_input *in, const struct ta_opts *o, struct ta_result *r, char *err,
		 size_t errsz)
{
	struct mk_model *mk = NULL;
	struct mk_result mr;
	size_t i, j, cap = 0, maxn = 0;
	double end = -INFINITY;
	int rc, dd = model_index(o, TA_DATA_DRIVEN);
	size_t *scratch = xmalloc((in->n + 1) * sizeof *scratch);
	const char **chs = xmalloc((in->n + 1) * sizeof *chs);

	memset(r, 0, sizeof *r);
	if ((rc = check_dups(in, 0, err, errsz)) || (rc = check_dups(in, 1, err, errsz)))
		goto out;
	if (in->n > 1)
		qsort(in->t, in->n, sizeof *in->t, by_user_time);

	/* The period's end: the day after to_day, else the end of the latest
	 * conversion's day.  Paths that did not convert are read up to it. */
	if (o->have_period)
		end = (double)(o->to_day + 1) * TA_SECONDS_PER_DAY;
	else
		for (i = 0; i < in->n; i++)
			if (in->t[i].type == TA_CONVERSION) {
				double e = (double)(ta_day(in->t[i].ts) + 1) * TA_SECONDS_PER_DAY;
				if (e > end)
					end = e;
			}
	if (dd >= 0)
		mk = mk_new(1);

	for (i = 0; i < in->n;) {
		size_t u0 = i, u1, last_conv = (size_t)-1;
		while (i < in->n && strcmp(in->t[i].user, in->t[u0].user) == 0)
			i++;
		u1 = i;
		for (j = u0; j < u1; j++) {
			const struct ta_touch *cv = &in->t[j];
			struct ta_conv *c;
			size_t k, ns = 0;
			long long day;
			if (cv->type != TA_CONVERSION)
				continue;
			last_conv = j;
			day = ta_day(cv->ts);
			if (o->have_period && (day < o->from_day || day > o->to_day))
				continue;
			if (r->n == cap) {
				cap = cap ? 2 * cap : 256;
				r->c = xrealloc(r->c, cap * sizeof *r->c);
			}
			c = &r->c[r->n++];
			memset(c, 0, sizeof *c);
			c->conv = cv;
			c->window_days = ta_window_days(o, cv->conv_type);
			/* touches in [converted_at - window, converted_at] */
			for (k = u0; k < u1; k++) {
				const struct ta_touch *t = &in->t[k];
				if (t->type == TA_CONVERSION || t->at > cv->at ||
				    t->at < cv->at - c->window_days * TA_SECONDS_PER_DAY)
					continue;
				scratch[ns++] = k;
				c->spend += isfinite(t->cost) ? t->cost : 0;
			}
			c->n = ns;
			c->touch = xmalloc((ns + 1) * sizeof *c->touch);
			memcpy(c->touch, scratch, ns * sizeof *scratch);
			if (ns > maxn)
				maxn = ns;
			if (mk) {
				size_t nch;
				channels_of(in, c->touch, ns, o, chs, &nch);
				if (nch) {
					mk_add(mk, chs, nch, 1, isfinite(cv->value) ? cv->value : 0, 0);
					r->dd_conv_paths++;
				}
			}
		}
		/* The user's touches after the last conversion, within the other
		 * window before the period's end: a path that has not converted. */
		if (mk) {
			size_t ns = 0, nch;
			for (j = (last_conv == (size_t)-1 ? u0 : last_conv + 1); j < u1; j++) {
				const struct ta_touch *t = &in->t[j];
				if (t->type != TA_CONVERSION && t->at < end &&
				    t->at >= end - o->other_days * TA_SECONDS_PER_DAY)
					scratch[ns++] = j;
			}
			channels_of(in, scratch, ns, o, chs, &nch);
			if (nch) {
				mk_add(mk, chs, nch, 0, 0, 1);
				r->dd_null_paths++;
			}
		}
	}

	if (mk && r->n > 0) {
		char why[512];
		if (r->dd_conv_paths == 0 || mk_solve(mk, &mr, why, sizeof why) != 0) {
			rc = errorf(err, errsz, AELP_EXIT_DATAERR, "data_driven cannot run: %s (%zu "
				    "conversions, none with a touch in its window; no fallback to another "
				    "model: leave data_driven out of --model)",
				    r->dd_conv_paths == 0 ? "no converting path" : why, r->n);
			goto out;
		}
		r->dd_nchannels = mr.nchannels;
		r->dd_channel = xcalloc(mr.nchannels + 1, sizeof *r->dd_channel);
		r->dd_re = xcalloc(mr.nchannels + 1, sizeof *r->dd_re);
		for (j = 0; j < mr.nchannels; j++) {
			r->dd_channel[j] = xstrdup(mr.channel[j]);
			r->dd_re[j] = mr.removal_effect[j];
		}
		r->dd_p_conv = mr.p_conv;
		mk_result_free(&mr);
	}

	/* credits */
	{
		struct ta_ctouch *ct = xmalloc((maxn + 1) * sizeof *ct);
		size_t *pos = xmalloc((maxn + 1) * sizeof *pos);
		double *cr = xmalloc((maxn + 1) * sizeof *cr);
		for (i = 0; i < r->n && !rc; i++) {
			struct ta_conv *c = &r->c[i];
			size_t k;
			c->credit = xcalloc(o->nmodels * c->n + 1, sizeof *c->credit);
			c->direct = xcalloc(o->nmodels + 1, sizeof *c->direct);
			for (k = 0; k < o->nmodels; k++) {
				enum ta_model m = o->model[k];
				size_t ne = 0, q;
				for (j = 0; j < c->n; j++) {
					const struct ta_touch *t = &in->t[c->touch[j]];
					if (!ta_counts(o, m, t->type))
						continue;
					ct[ne].at = t->at;
					ct[ne].channel = t->channel;
					ct[ne].re = NAN;
					if (m == TA_DATA_DRIVEN)
						for (q = 0; q < r->dd_nchannels; q++)
							if (strcmp(r->dd_channel[q], t->channel) == 0)
								ct[ne].re = r->dd_re[q];
					pos[ne++] = j;
				}
				if (ne == 0) {
					c->direct[k] = 1;
					r->direct[m]++;
					continue;
				}
				if (ta_credit(m, ct, ne, c->conv->at, o->half_life, cr) != 0) {
					rc = errorf(err, errsz, AELP_EXIT_DATAERR, "%s: conversion %s: the removal "
						    "effects of its channels sum to 0; nothing to split",
						    ta_model_name(m), c->conv->conv_id);
					break;
				}
				for (q = 0; q < ne; q++)
					c->credit[k * c->n + pos[q]] = cr[q];
			}
		}
		free(ct), free(pos), free(cr);
	}
out:
	if (mk)
		mk_free(mk);
	free(scratch);
	free(chs);
	return rc;
}

void ta_result_free(struct ta_result *r)
{
	size_t i;
	for (i = 0; i < r->n; i++) {
		free(r->c[i].touch);
		free(r->c[i].credit);
		free(r->c[i].direct);
	}
	free(r->c);
	for (i = 0; i < r->dd_nchannels; i++)
		free(r->dd_channel[i]);
	free(r->dd_channel);
	free(r->dd_re);
	memset(r, 0, sizeof *r);
}

static void write_row(FILE *f, const struct ta_conv *c, const struct ta_touch *t, enum ta_model m,
		      double credit, const char *run_id, const char *now)
{
	const struct ta_touch *cv = c->conv;
	double value = cv->value;
	fputs("{\"_table\":\"attribution_touchpoints\"", f);
	jw_kv_str(f, "conversion_id", cv->conv_id);
	jw_kv_str(f, "touchpoint_id", t ? t->id : "(direct)");
	jw_kv_str(f, "model", ta_model_name(m));
	jw_kv_str(f, "user_id", cv->user);
	jw_kv_str(f, "channel", t ? t->channel : "direct");
	jw_kv_str(f, "campaign_id", t ? t->campaign : NULL);
	jw_kv_str(f, "touched_at", t ? t->ts : NULL);
	jw_kv_str(f, "converted_at", cv->ts);
	jw_kv_str(f, "conversion_type", cv->conv_type);
	jw_kv_int(f, "window_days", c->window_days);
	jw_kv_real(f, "credit", credit);
	jw_kv_real(f, "value_credit", isfinite(value) ? credit * value : NAN);
	jw_kv_real(f, "cost", t ? t->cost : 0.0);
	jw_kv_real(f, "conversion_value", value);
	jw_kv_real(f, "net_reward", (isfinite(value) ? value : 0) - c->spend);
	jw_kv_str(f, "run_id", run_id);
	jw_kv_str(f, "created_at", now);
	fputs("}\n", f);
}

size_t ta_write(FILE *f, const struct ta_input *in, const struct ta_result *r,
		const struct ta_opts *o, const char *run_id, const char *now)
{
	size_t i, j, k, rows = 0;
	for (i = 0; i < r->n; i++) {
		const struct ta_conv *c = &r->c[i];
		for (k = 0; k < o->nmodels; k++) {
			for (j = 0; j < c->n; j++, rows++)
				write_row(f, c, &in->t[c->touch[j]], o->model[k], c->credit[k * c->n + j],
					  run_id, now);
			write_row(f, c, NULL, o->model[k], c->direct[k], run_id, now);
			rows++;
		}
		if (i % 4096 == 0)
			out_check(f);
	}
	return rows;
}
