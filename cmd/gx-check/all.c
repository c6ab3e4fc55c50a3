/*
 * gx-check --all: every suite of the contract's suites folder against its
 * warehouse table; the verdicts and failures loaded back in one transaction.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "die.h"
#include "ndjson.h"
#include "report.h"
#include "row.h"
#include "run.h"
#include "timefmt.h"
#include "warehouse.h"

/*
 * Validate one table with suite s (loaded into f, which gets the table's
 * columns here).  Returns the result (new), or NULL with why filled when
 * the table cannot be read.
 */
static json_t *validate_table(struct wh *w, const struct table_schema *t, struct gx_suite *s,
			      char *why, size_t whysz, struct gx_frame *f)
{
	struct wh_err err = { 0 };
	struct wh_query *q;
	const struct value *vals;
	long *ids;
	size_t i, nc;
	int rc;
	json_t *batch;

	gx_declare_table(f, t);
	q = wh_query_table(w, t, &err);
	if (!q) {
		snprintf(why, whysz, "cannot read table '%s': %s", t->qname, err.msg);
		return NULL;
	}
	nc = wh_query_ncols(q);
	ids = xcalloc(nc + 1, sizeof *ids);
	for (i = 0; i < nc; i++)
		ids[i] = gx_col_id(f, wh_query_name(q, i), strlen(wh_query_name(q, i)));
	while ((rc = wh_query_next(q, &vals, &err)) == 1) {
		for (i = 0; i < nc; i++) {
			struct gx_cell c = { C_NULL, 1, NULL, 0, 0, 0, NULL, 0 };
			int type = wh_query_type(q, i);
			switch (vals[i].kind) {
			case V_NULL: break;
			case V_INT:
				c.kind = type == T_BOOL ? C_BOOL : type == T_FLOAT64 ? C_FLOAT : C_INT;
				c.i = vals[i].i;
				c.d = (double)vals[i].i;
				break;
			case V_REAL: c.kind = C_FLOAT; c.d = vals[i].d; break;
			case V_TEXT: c.kind = C_STR; c.s = vals[i].s; c.n = vals[i].n; break;
			}
			gx_cell_put(f, ids[i], &c);
		}
		gx_feed(s, f);
		f->rowno++;
		f->nrows = f->rowno;
	}
	free(ids);
	wh_query_close(q);
	if (rc < 0) {
		snprintf(why, whysz, "reading table '%s': %s", t->qname, err.msg);
		return NULL;
	}
	batch = json_object();
	json_object_set_new(batch, "table", json_string(t->qname));
	json_object_set_new(batch, "row_count", json_integer((json_int_t)f->nrows));
	json_object_set_new(batch, "warehouse", json_string(wh_describe(w)));
	return gx_finish(s, f, batch);
}

static void add_row(struct sbuf *rows, json_t *row)
{
	char *t = gx_json_text(row);
	sb_add(rows, t, strlen(t));
	sb_addc(rows, '\n');
	free(t);
	json_decref(row);
}

int gx_run_all(const struct gx_args *a)
{
	struct schema_set *set = schema_load(a->schemas);
	struct wh_err err = { 0 };
	struct wh *w;
	struct dirent **ents;
	struct sbuf rows = { 0 };
	char *dir = xasprintf("%s/suites", set->dir), *runid, stamp[TS_CANON_MAX];
	json_t *verdicts = json_object();
	unsigned long long total = 0;
	long long written = 0;
	int n, i, failed = 0;

	n = scandir(dir, &ents, gx_is_suite_file, alphasort);
	if (n < 0)
		usage_error(a->spec, "cannot read the suites folder '%s': %s", dir, strerror(errno));
	if (n == 0)
		usage_error(a->spec, "no suites (*.json) in '%s'", dir);
	timestamp_now(stamp, NULL);
	if (a->runid)
		runid = xstrdup(a->runid);
	else if (flow_run_id())
		runid = xstrdup(flow_run_id());
	else {
		char b[TS_CANON_MAX];   /* 20261130T071501Z: the stamp's digits and the T, to the second */
		size_t k, m = 0;
		for (k = 0; stamp[k] && stamp[k] != '.' && stamp[k] != 'Z'; k++)
			if (stamp[k] != '-' && stamp[k] != ':')
				b[m++] = stamp[k];
		memcpy(b + m, "Z", 2);
		runid = xasprintf("gx-%s-%ld", b, (long)getpid());
	}
	w = wh_open_env(set, WH_OPEN_READ, &err);
	if (!w)
		die(err.code, "%s", err.msg);

	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, ents[i]->d_name), *tname, why[1200] = "";
		struct gx_frame f;
		struct gx_suite *s;
		const struct table_schema *t;
		json_t *res = NULL, *one;
		size_t k, nex, nok = 0;
		int ok;

		gx_frame_init(&f);
		s = gx_suite_load(path, &f, a->rf, a->partial);
		/* The table: meta.table, else the file name without .json. */
		tname = s->table ? xstrdup(s->table) : xstrndup(ents[i]->d_name, strlen(ents[i]->d_name) - 5);
		t = schema_table(set, tname);
		if (!t)
			snprintf(why, sizeof why, "table '%s' is not in the contract", tname);
		else
			res = validate_table(w, t, s, why, sizeof why, &f);
		nex = s->nex;
		if (res) {
			ok = json_is_true(json_object_get(res, "success"));
			nok = (size_t)json_integer_value(json_object_get(json_object_get(res, "statistics"),
									   "successful_expectations"));
		} else {
			ok = 0;
		}
		printf("%-5s %s  %llu rows  %zu/%zu expectations%s%s\n", ok ? "ok" : "FAIL", s->name,
		       res ? f.nrows : 0ULL, nok, nex, res ? "" : "  ", res ? "" : why);
		if (!res)
			warn("suite %s failed: %s", s->name, why);
		else if (!ok)
			gx_report_failures(s->name, res);
		failed |= !ok;
		total += res ? f.nrows : 0;
		json_object_set_new(verdicts, s->name, res ? gx_suite_verdict(res, f.nrows)
			: json_pack("{s:b,s:s}", "success", 0, "error", why));

		add_row(&rows, json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:I,s:o,s:I,s:O,s:s}",
			"_table", "gx_validation_results", "run_id", runid, "suite_name", s->name,
			"table_name", t ? t->qname : tname, "success", ok, "evaluated_expectations", (json_int_t)nex,
			"successful_expectations", (json_int_t)nok, "unsuccessful_expectations", (json_int_t)(nex - nok),
			"success_percent", nex ? json_real(100.0 * (double)nok / (double)nex) : json_null(),
			"row_count", (json_int_t)(res ? f.nrows : 0), "result", res ? res : json_null(),
			"validated_at", stamp));
		for (k = 0; k < nex; k++) {
			/* The expectation as written (0.18 or 1.x), and its result when there is one. */
			json_t *x = json_array_get(json_object_get(s->doc, "expectations"), k);
			json_t *ty = json_object_get(x, "type"), *kw = json_object_get(x, "kwargs");
			json_t *r = NULL, *exc = NULL, *row;
			char *cols;

			one = res ? json_array_get(json_object_get(res, "results"), k) : NULL;
			if (one && json_is_true(json_object_get(one, "success")))
				continue;
			if (!json_is_string(ty))
				ty = json_object_get(x, "expectation_type");
			if (one) {
				r = json_object_get(one, "result");
				exc = json_object_get(one, "exception_info");
			}
			cols = gx_kwargs_columns(json_string_value(ty), kw);
			row = json_pack("{s:s,s:s,s:s,s:I,s:O,s:s,s:O,s:s}", "_table", "gx_expectation_failures",
					"run_id", runid, "suite_name", s->name, "expectation_index", (json_int_t)k,
					"expectation_type", ty, "table_name", t ? t->qname : tname,
					"kwargs", kw ? kw : json_null(), "validated_at", stamp);
			if (!one)
				json_object_set_new(row, "exception_message", json_string(why));
			if (cols)
				json_object_set_new(row, "column_name", json_string(cols));
			if (r) {
				const char *keys[] = { "element_count", "unexpected_count", "unexpected_percent",
						       "observed_value", "partial_unexpected_list" };
				size_t j;
				for (j = 0; j < 5; j++) {
					json_t *v = json_object_get(r, keys[j]);
					if (v && !json_is_null(v))
						json_object_set(row, keys[j], v);
				}
			}
			if (exc && json_is_string(json_object_get(exc, "exception_message")))
				json_object_set(row, "exception_message", json_object_get(exc, "exception_message"));
			add_row(&rows, row);
			free(cols);
		}
		json_decref(res);
		gx_suite_free(s);
		gx_frame_release(&f);
		free(tname);
		free(path);
		free(ents[i]);
	}
	free(ents);
	out_check(stdout);
	wh_close(w);

	if (!a->dry) {
		struct row_parser *rp = row_parser_new(set, NULL, 0);
		size_t *counts = xcalloc(set->ntables, sizeof *counts);
		char *p = rows.p, *nl;
		char why2[1100];
		const char *sname;
		json_t *v;

		w = wh_open_env(set, WH_OPEN_WRITE, &err);
		if (!w)
			die(err.code, "%s", err.msg);
		if (wh_load_begin(w, WH_UPSERT, NULL, &err) != 0)
			die(err.code, "%s", err.msg);
		/* A run validated again (a re-run of the day) keeps only its new failures. */
		json_object_foreach(verdicts, sname, v) {
			const char *cols[] = { "run_id", "suite_name" }, *vals[] = { runid, sname };
			if (wh_load_delete(w, schema_table(set, "gx_expectation_failures"), cols, vals, 2,
					   &err) < 0)
				die(err.code, "%s", err.msg);
		}
		while (p && (nl = strchr(p, '\n')) != NULL) {
			struct row row;
			if (row_parse(rp, p, (size_t)(nl - p), &row, why2, sizeof why2) != 0)
				die(AELP_EXIT_SOFTWARE, "a result row does not fit the contract: %s", why2);
			if (wh_load_row(w, &row, &err) != 0)
				die(err.code, "%s", err.msg);
			written++;
			p = nl + 1;
		}
		if (wh_load_end(w, 1, counts, &err) != 0)
			die(err.code, "%s", err.msg);
		free(counts);
		row_parser_free(rp);
		wh_close(w);
	}
	gx_report_step(total, a->dry ? 0 : written, verdicts);
	free(rows.p);
	free(runid);
	free(dir);
	schema_free(set);
	return failed ? AELP_EXIT_GATE : 0;
}
