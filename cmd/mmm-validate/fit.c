/* Reading the Bayesian fit: mmm-fit's NDJSON output, or the warehouse. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "die.h"
#include "fit.h"
#include "ndjson.h"
#include "schema.h"
#include "warehouse.h"

static void add_channel(struct bayes_fit *f, const char *name, double rm, double r5,
			double r95, double cm)
{
	struct bayes_channel *c;
	int i;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->ch[i].channel, name) == 0)
			break;
	if (i == f->n) {
		f->ch = xrealloc(f->ch, (size_t)(f->n + 1) * sizeof *f->ch);
		f->ch[f->n].channel = xstrdup(name);
		f->n++;
	}
	c = &f->ch[i];
	c->roi_mean = rm;
	c->roi_p05 = r5;
	c->roi_p95 = r95;
	c->contribution_mean = cm;
}

/* The run row's window, grain and value per conversion (from its options JSON). */
static void set_meta(struct bayes_fit *f, const char *start, const char *end, const char *grain,
		     json_t *options)
{
	json_t *v = json_is_object(options) ? json_object_get(options, "value_per_conversion") : NULL;

	snprintf(f->start, sizeof f->start, "%s", start && strlen(start) == 10 ? start : "");
	snprintf(f->end, sizeof f->end, "%s", end && strlen(end) == 10 ? end : "");
	snprintf(f->grain, sizeof f->grain, "%s", grain && strlen(grain) < sizeof f->grain ? grain : "");
	f->value = json_is_number(v) && json_number_value(v) > 0 ? json_number_value(v) : 0;
}

const struct bayes_channel *fit_channel(const struct bayes_fit *f, const char *name)
{
	int i;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->ch[i].channel, name) == 0)
			return &f->ch[i];
	return NULL;
}

void fit_free(struct bayes_fit *f)
{
	int i;
	for (i = 0; i < f->n; i++)
		free(f->ch[i].channel);
	free(f->ch);
	free(f->run_id);
	memset(f, 0, sizeof *f);
}

/* ---- from a file ---- */

static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

struct run { char *id, *status, *created; json_t *row; };

int fit_read_file(const char *path, const char *want_id, struct bayes_fit *f,
		  char *err, size_t errsz)
{
	struct nd_reader *r = nd_open(path);
	struct nd_line ln;
	struct run *runs = NULL;
	json_t **allocs = NULL;
	size_t nruns = 0, nalloc = 0, i;
	int rc = 0, pick = -1;

	memset(f, 0, sizeof *f);
	while (nd_next(r, &ln)) {
		json_error_t je;
		json_t *o = json_loadb(ln.text, ln.len, JSON_REJECT_DUPLICATES, &je);
		const char *tab;
		if (!o || !json_is_object(o)) {
			rc = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), ln.lineno,
				  o ? "not a JSON object" : je.text);
			json_decref(o);
			goto out;
		}
		tab = str(o, "_table");
		if (tab && strcmp(tab, "mmm_runs") == 0) {
			const char *id = str(o, "run_id"), *st = str(o, "status"), *ca = str(o, "created_at");
			if (!id || !st) {
				rc = errorf(err, errsz, 65, "%s:%lu: an mmm_runs row needs run_id and status "
					  "(strings)", nd_name(r), ln.lineno);
				json_decref(o);
				goto out;
			}
			runs = xrealloc(runs, (nruns + 1) * sizeof *runs);
			runs[nruns].id = xstrdup(id);
			runs[nruns].status = xstrdup(st);
			runs[nruns].created = xstrdup(ca ? ca : "");
			runs[nruns].row = json_incref(o);
			nruns++;
		} else if (tab && strcmp(tab, "mmm_allocations") == 0) {
			if (!str(o, "run_id") || !str(o, "channel")) {
				rc = errorf(err, errsz, 65, "%s:%lu: an mmm_allocations row needs run_id and "
					  "channel (strings)", nd_name(r), ln.lineno);
				json_decref(o);
				goto out;
			}
			allocs = xrealloc(allocs, (nalloc + 1) * sizeof *allocs);
			allocs[nalloc++] = o;
			continue;
		}
		json_decref(o);
	}
	for (i = 0; i < nruns; i++) {
		if (want_id) {
			if (strcmp(runs[i].id, want_id) == 0)
				pick = (int)i;
		} else if (strcmp(runs[i].status, "ok") == 0 &&
			   (pick < 0 || strcmp(runs[i].created, runs[pick].created) >= 0)) {
			pick = (int)i;
		}
	}
	if (pick < 0) {
		if (want_id)
			rc = errorf(err, errsz, 1, "%s: no mmm_runs row with run_id '%s': nothing to "
				  "compare with", nd_name(r), want_id);
		else if (nruns)
			rc = errorf(err, errsz, 1, "%s: no fit with status ok (the last, '%s', is %s): "
				  "nothing to compare with", nd_name(r), runs[nruns - 1].id,
				  runs[nruns - 1].status);
		else
			rc = errorf(err, errsz, 1, "%s: no mmm_runs row: nothing to compare with",
				  nd_name(r));
		goto out;
	}
	if (strcmp(runs[pick].status, "ok") != 0) {
		rc = errorf(err, errsz, 1, "fit '%s' has status %s, not ok: nothing to compare with",
			  runs[pick].id, runs[pick].status);
		goto out;
	}
	f->run_id = xstrdup(runs[pick].id);
	set_meta(f, str(runs[pick].row, "start_date"), str(runs[pick].row, "end_date"),
		 str(runs[pick].row, "grain"), json_object_get(runs[pick].row, "options"));
	for (i = 0; i < nalloc; i++)
		if (strcmp(str(allocs[i], "run_id"), f->run_id) == 0)
			add_channel(f, str(allocs[i], "channel"), num(allocs[i], "roi_mean"),
				    num(allocs[i], "roi_p05"), num(allocs[i], "roi_p95"),
				    num(allocs[i], "contribution_mean"));
	if (f->n == 0)
		rc = errorf(err, errsz, 1, "fit '%s' has no mmm_allocations rows: nothing to compare with",
			  f->run_id);
out:
	for (i = 0; i < nruns; i++) {
		free(runs[i].id);
		free(runs[i].status);
		free(runs[i].created);
		json_decref(runs[i].row);
	}
	free(runs);
	for (i = 0; i < nalloc; i++)
		json_decref(allocs[i]);
	free(allocs);
	nd_close(r);
	if (rc)
		fit_free(f);
	return rc;
}

/* ---- from the warehouse ---- */

/* A missing table means no fit has been loaded yet. */
static int wh_code(const struct wh_err *e)
{
	return e->missing == WH_NO_TABLE ? 1 : e->code;
}

int fit_read_warehouse(const char *want_id, struct bayes_fit *f, char *err, size_t errsz)
{
	struct schema_set *set = schema_load(NULL);
	struct wh_err we = { 0 };
	struct wh *w;
	struct wh_query *q = NULL;
	const struct value *v;
	struct wh_param p = { "id", T_STRING, want_id };
	char *id = NULL, *status = NULL;
	int rc = 0, got;

	memset(f, 0, sizeof *f);
	w = wh_open_env(set, WH_OPEN_READ, &we);
	if (!w) {
		rc = errorf(err, errsz, we.missing == WH_NO_WAREHOUSE ? 1 : we.code,
			  "no Bayesian fit to compare with: %s", we.msg);
		schema_free(set);
		return rc;
	}
	if (want_id)
		q = wh_query_open(w, "SELECT run_id, status, start_date, end_date, grain, options "
				  "FROM mmm_runs WHERE run_id = @id", &p, 1, &we);
	else
		q = wh_query_open(w, "SELECT run_id, status, start_date, end_date, grain, options "
				  "FROM mmm_runs ORDER BY "
				  "(status = 'ok') DESC, created_at DESC, run_id DESC LIMIT 1", NULL, 0, &we);
	if (!q) {
		rc = errorf(err, errsz, wh_code(&we), "reading mmm_runs: %s", we.msg);
		goto out;
	}
	got = wh_query_next(q, &v, &we);
	if (got < 0) {
		rc = errorf(err, errsz, wh_code(&we), "reading mmm_runs: %s", we.msg);
		goto out;
	}
	if (got == 0) {
		rc = want_id ? errorf(err, errsz, 1, "no mmm_runs row with run_id '%s' in %s: nothing "
				    "to compare with", want_id, wh_describe(w))
			     : errorf(err, errsz, 1, "no mmm_runs row in %s: nothing to compare with "
				    "(run mmm-fit first, or give --fit FILE)", wh_describe(w));
		goto out;
	}
	id = value_str(&v[0]);
	status = value_str(&v[1]);
	{
		char *st = value_str(&v[2]), *en = value_str(&v[3]), *gr = value_str(&v[4]), *op = value_str(&v[5]);
		json_t *oj = json_loads(op, 0, NULL);
		set_meta(f, st, en, gr, oj);
		json_decref(oj);
		free(st);
		free(en);
		free(gr);
		free(op);
	}
	wh_query_close(q);
	q = NULL;
	if (strcmp(status, "ok") != 0) {
		rc = want_id ? errorf(err, errsz, 1, "fit '%s' has status %s, not ok: nothing to "
				    "compare with", id, status)
			     : errorf(err, errsz, 1, "no fit with status ok (the latest, '%s', is %s): "
				    "nothing to compare with", id, status);
		goto out;
	}
	f->run_id = xstrdup(id);
	p.value = f->run_id;
	q = wh_query_open(w, "SELECT channel, roi_mean, roi_p05, roi_p95, contribution_mean "
			  "FROM mmm_allocations WHERE run_id = @id ORDER BY channel", &p, 1, &we);
	if (!q) {
		rc = errorf(err, errsz, wh_code(&we), "reading mmm_allocations: %s", we.msg);
		goto out;
	}
	while ((got = wh_query_next(q, &v, &we)) == 1) {
		char *ch = value_str(&v[0]);
		add_channel(f, ch, value_num(&v[1]), value_num(&v[2]), value_num(&v[3]), value_num(&v[4]));
		free(ch);
	}
	if (got < 0)
		rc = errorf(err, errsz, wh_code(&we), "reading mmm_allocations: %s", we.msg);
	else if (f->n == 0)
		rc = errorf(err, errsz, 1, "fit '%s' has no mmm_allocations rows: nothing to compare with",
			  f->run_id);
out:
	if (q)
		wh_query_close(q);
	free(id);
	free(status);
	wh_close(w);
	schema_free(set);
	if (rc)
		fit_free(f);
	return rc;
}
