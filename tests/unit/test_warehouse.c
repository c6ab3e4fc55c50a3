#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "fixture_schema.h"
#include "harness.h"
#include "row.h"
#include "schema.h"
#include "warehouse.h"

static struct schema_set *set;
static struct wh_err err;

static struct wh *open_wh(enum wh_open_mode mode)
{
	struct wh *w = wh_open_env(set, mode, &err);
	if (!w)
		fprintf(stderr, "open: %s\n", err.msg);
	return w;
}

/* Load lines into the warehouse in one load; returns 0, or the error code of the first failure. */
static int load(struct wh *w, enum wh_load_mode mode, const struct table_schema *fixed,
		const char *const *lines, size_t *counts)
{
	struct row_parser *rp = row_parser_new(set, fixed, 0);
	char why[1200];
	struct row r;
	int code = 0;

	CHECK_INT(wh_load_begin(w, mode, fixed, &err), 0);
	for (; *lines && code == 0; lines++) {
		if (row_parse(rp, *lines, strlen(*lines), &r, why, sizeof why) != 0) {
			fprintf(stderr, "parse: %s\n", why);
			code = 65;
		} else if (wh_load_row(w, &r, &err) != 0) {
			code = err.code;
		}
	}
	row_parser_free(rp);
	wh_load_end(w, code == 0, counts, &(struct wh_err){ 0 });
	return code;
}

/* The query's rows as text "a|b|c;..." with types marked (i: s: r: b: j: n). */
static char *query(struct wh *w, const char *sql, const struct wh_param *p, size_t np)
{
	static char out[4096];
	struct wh_query *q = wh_query_open(w, sql, p, np, &err);
	const struct value *v;
	size_t len = 0, i;
	int rc;

	out[0] = '\0';
	if (!q) {
		snprintf(out, sizeof out, "error %d: %s", err.code, err.msg);
		return out;
	}
	while ((rc = wh_query_next(q, &v, &err)) == 1) {
		for (i = 0; i < wh_query_ncols(q); i++) {
			int t = wh_query_type(q, i);
			const char *sep = i ? "|" : "";
			if (v[i].kind == V_NULL)
				len += (size_t)snprintf(out + len, sizeof out - len, "%sn", sep);
			else if (v[i].kind == V_INT)
				len += (size_t)snprintf(out + len, sizeof out - len, "%s%s%lld", sep,
							t == T_BOOL ? "b:" : "i:", v[i].i);
			else if (v[i].kind == V_REAL)
				len += (size_t)snprintf(out + len, sizeof out - len, "%sr:%g", sep, v[i].d);
			else
				len += (size_t)snprintf(out + len, sizeof out - len, "%s%s%.*s", sep,
							t == T_JSON ? "j:" : "s:", (int)v[i].n, v[i].s);
		}
		len += (size_t)snprintf(out + len, sizeof out - len, ";");
	}
	if (rc < 0)
		snprintf(out + len, sizeof out - len, "error %d: %s", err.code, err.msg);
	wh_query_close(q);
	return out;
}

static int ensure_all(struct wh *w, int *changed)
{
	enum wh_action act;
	char detail[256];
	size_t i;

	*changed = 0;
	if (wh_ensure_begin(w, &err) != 0)
		return -1;
	for (i = 0; i < set->ntables; i++) {
		if (wh_ensure_table(w, &set->tables[i], &act, detail, sizeof detail, &err) != 0) {
			wh_ensure_end(w, 0, &(struct wh_err){ 0 });
			return -1;
		}
		*changed += act != WH_UNCHANGED;
	}
	for (i = 0; i < set->nviews; i++) {
		if (wh_ensure_view(w, &set->views[i], &act, detail, sizeof detail, &err) != 0) {
			wh_ensure_end(w, 0, &(struct wh_err){ 0 });
			return -1;
		}
		*changed += act != WH_UNCHANGED;
	}
	return wh_ensure_end(w, 1, &err);
}

int main(void)
{
	const char *dir = fx_make();
	char path[300];
	const struct table_schema *ev;
	struct table_schema *evm;
	struct wh *w;
	size_t counts[2];
	int changed;
	struct wh_param p[2];
	static const char *const rows1[] = {
		"{\"event_id\":\"e1\",\"day\":\"2025-01-02\",\"n\":5,\"x\":0.25,\"ok\":false,"
		"\"at\":\"2025-01-02T03:04:05.5+00:00\",\"notes\":{\"k\":[true,null]}}",
		"{\"event_id\":\"e2\",\"day\":\"2025-01-03\",\"n\":7}",
		"{\"_table\":\"events\",\"event_id\":\"e3\",\"day\":\"2025-01-03\"}",
		NULL
	};
	static const char *const dup[] = {
		"{\"event_id\":\"e9\",\"day\":\"2025-01-09\"}",
		"{\"event_id\":\"e1\",\"day\":\"2025-01-09\"}",
		NULL
	};
	static const char *const ups[] = {
		"{\"event_id\":\"e1\",\"day\":\"2025-01-02\",\"n\":50}",
		"{\"event_id\":\"e4\",\"day\":\"2025-01-04\",\"n\":1}",
		NULL
	};
	static const char *const routed[] = {
		"{\"_table\":\"users.sessions\",\"user_id\":\"u1\",\"seq\":1}",
		"{\"_table\":\"events\",\"event_id\":\"e5\",\"day\":\"2025-01-05\"}",
		"{\"_table\":\"users.sessions\",\"user_id\":\"u1\",\"seq\":2}",
		NULL
	};
	static const char *const none[] = { NULL };

	set = schema_load(dir);
	ev = schema_table(set, "events");
	evm = (struct table_schema *)ev;

	/* Configuration. */
	setenv("AELP_WAREHOUSE", "postgres:x", 1);
	CHECK(wh_open_env(set, WH_OPEN_WRITE, &err) == NULL);
	CHECK_INT(err.code, 2);
	CHECK_HAS(err.msg, "AELP_WAREHOUSE='postgres:x'");
	setenv("AELP_WAREHOUSE", "bigquery:proj.ds", 1);
	CHECK(wh_open_env(set, WH_OPEN_WRITE, &err) == NULL);
	CHECK_INT(err.code, 2);
	CHECK_HAS(err.msg, "BigQuery backend is not built yet");
	unsetenv("AELP_WAREHOUSE");
	setenv("GOOGLE_CLOUD_PROJECT", "proj", 1);
	setenv("BIGQUERY_TRAINING_DATASET", "ds", 1);
	CHECK(wh_open_env(set, WH_OPEN_WRITE, &err) == NULL);
	CHECK_HAS(err.msg, "BigQuery backend is not built yet");
	unsetenv("GOOGLE_CLOUD_PROJECT");
	snprintf(path, sizeof path, "%s/wh/home", dir);
	setenv("AELP_HOME", path, 1);
	CHECK(wh_open_env(set, WH_OPEN_READ, &err) == NULL);
	CHECK_HAS(err.msg, "no warehouse at");
	CHECK_INT(err.missing, WH_NO_WAREHOUSE);
	unsetenv("BIGQUERY_TRAINING_DATASET");

	/* Ensure twice: the second run changes nothing. */
	w = open_wh(WH_OPEN_WRITE);
	CHECK(w != NULL);
	CHECK_HAS(wh_describe(w), "/wh/home/warehouse.sqlite");
	CHECK_INT(ensure_all(w, &changed), 0);
	CHECK_INT(changed, 3);
	CHECK_INT(ensure_all(w, &changed), 0);
	CHECK_INT(changed, 0);
	/* a table the warehouse does not have is said so, apart from other errors */
	CHECK(wh_query_open(w, "SELECT * FROM no_such_thing", NULL, 0, &err) == NULL);
	CHECK_INT(err.missing, WH_NO_TABLE);
	CHECK(wh_query_open(w, "SELEKT 1", NULL, 0, &err) == NULL);
	CHECK_INT(err.missing, WH_PRESENT);

	/* Load, then read back with types. */
	CHECK_INT(load(w, WH_APPEND, ev, rows1, counts), 0);
	CHECK_INT(counts[0], 3);
	CHECK_STR(query(w, "SELECT * FROM events ORDER BY event_id", NULL, 0),
		  "s:e1|s:2025-01-02|i:5|r:0.25|b:0|s:2025-01-02T03:04:05.5Z|j:{\"k\":[true,null]};"
		  "s:e2|s:2025-01-03|i:7|n|n|n|n;s:e3|s:2025-01-03|n|n|n|n|n;");
	CHECK_STR(query(w, "SELECT * FROM events_daily", NULL, 0),
		  "s:2025-01-02|i:1|i:5;s:2025-01-03|i:2|i:7;");

	/* Append of a key already present: refused, nothing of the load lands. */
	CHECK_INT(load(w, WH_APPEND, ev, dup, counts), 65);
	CHECK_HAS(err.msg, "duplicate key (event_id='e1')");
	CHECK_STR(query(w, "SELECT COUNT(*) FROM events", NULL, 0), "i:3;");

	/* Upsert replaces by key; twice leaves one copy. */
	CHECK_INT(load(w, WH_UPSERT, ev, ups, counts), 0);
	CHECK_INT(load(w, WH_UPSERT, ev, ups, counts), 0);
	CHECK_STR(query(w, "SELECT event_id, n, x FROM events ORDER BY event_id", NULL, 0),
		  "s:e1|i:50|n;s:e2|i:7|n;s:e3|n|n;s:e4|i:1|n;");

	/* Delete inside a load: the matching slice goes, in the load's transaction. */
	{
		const char *cols[] = { "event_id", "n" }, *vals[] = { "e1", "50" }, *bad[] = { "nope" };
		CHECK_INT(wh_load_begin(w, WH_UPSERT, NULL, &err), 0);
		CHECK_INT(wh_load_delete(w, ev, cols, vals, 2, &err), 1);
		CHECK_INT(wh_load_delete(w, ev, cols, vals, 2, &err), 0);
		CHECK_INT(wh_load_delete(w, ev, bad, vals, 1, &err), -1);
		CHECK_INT(err.code, 2);
		CHECK_INT(wh_load_end(w, 0, NULL, &err), 0);   /* rolled back: e1 is still there */
		CHECK_STR(query(w, "SELECT COUNT(*) FROM events WHERE event_id = 'e1'", NULL, 0), "i:1;");
		CHECK_INT(wh_load_begin(w, WH_UPSERT, NULL, &err), 0);
		CHECK_INT(wh_load_delete(w, ev, cols, vals, 1, &err), 1);
		CHECK_INT(wh_load_end(w, 1, NULL, &err), 0);
		CHECK_STR(query(w, "SELECT COUNT(*) FROM events WHERE event_id = 'e1'", NULL, 0), "i:0;");
		CHECK_INT(wh_load_delete(w, ev, cols, vals, 1, &err), -1);   /* outside a load */
		CHECK_INT(load(w, WH_UPSERT, ev, ups, counts), 0);
	}

	/* Routed load across datasets; replace with a fixed table and no rows empties it. */
	CHECK_INT(load(w, WH_APPEND, NULL, routed, counts), 0);
	CHECK_INT(counts[0], 1);
	CHECK_INT(counts[1], 2);
	CHECK_STR(query(w, "SELECT user_id, seq FROM users.sessions ORDER BY seq", NULL, 0),
		  "s:u1|i:1;s:u1|i:2;");
	CHECK_INT(load(w, WH_REPLACE, &set->tables[1], none, counts), 0);
	CHECK_STR(query(w, "SELECT COUNT(*) FROM users.sessions", NULL, 0), "i:0;");

	/* Named parameters: typed, every one used, every @name given. */
	p[0] = (struct wh_param){ "d", T_DATE, "2025-01-03" };
	p[1] = (struct wh_param){ "m", T_INT64, "6" };
	CHECK_STR(query(w, "SELECT event_id FROM events WHERE day >= @d AND n > @m ORDER BY 1", p, 2),
		  "s:e2;");
	CHECK_STR(query(w, "SELECT event_id FROM events WHERE day = @d", p, 2),
		  "error 2: parameter 'm' is not used by the query (no @m in it)");
	CHECK_STR(query(w, "SELECT event_id FROM events WHERE day = @x", p, 1),
		  "error 2: query parameter '@x' has no value (--param x=VALUE)");
	p[1] = (struct wh_param){ "m", T_INT64, "six" };
	CHECK_HAS(query(w, "SELECT @m", p + 1, 1), "error 2: parameter 'm' (INT64): 'six' is not an integer");
	p[1] = (struct wh_param){ "t", T_TIMESTAMP, "2025-01-02T05:04:05.5+02:00" };
	CHECK_STR(query(w, "SELECT @t", p + 1, 1), "s:2025-01-02T03:04:05.5Z;");
	CHECK_HAS(query(w, "SELECT nope FROM events", NULL, 0), "error 65: query: no such column: nope");
	CHECK_HAS(query(w, "SELECT 1; SELECT 2", NULL, 0), "only one statement");
	CHECK_HAS(query(w, "SELECT ?", NULL, 0), "use named parameters");
	wh_close(w);

	/* Read-only handles cannot write. */
	w = open_wh(WH_OPEN_READ);
	CHECK_HAS(query(w, "DELETE FROM events", NULL, 0), "error 2: query: only statements that read");
	CHECK_HAS(query(w, "PRAGMA main.journal_mode=DELETE", NULL, 0), "error 2: query: only statements that read");
	CHECK_STR(query(w, "SELECT COUNT(*) FROM events", NULL, 0), "i:5;");
	wh_close(w);

	/* Schema evolution: a new NULLABLE column is added; conflicts change nothing. */
	w = open_wh(WH_OPEN_WRITE);
	evm->cols = realloc(evm->cols, (evm->ncols + 1) * sizeof *evm->cols);
	evm->cols[evm->ncols++] = (struct column){ xstrdup("extra"), T_STRING, 0, xstrdup("new") };
	CHECK_INT(ensure_all(w, &changed), 0);
	CHECK_INT(changed, 1);
	CHECK_INT(ensure_all(w, &changed), 0);
	CHECK_INT(changed, 0);
	evm->cols[evm->ncols - 1].required = 1;
	CHECK_INT(ensure_all(w, &changed), -1);
	CHECK_INT(err.code, 1);
	CHECK_HAS(err.msg, "column 'extra' is NULLABLE in the warehouse but REQUIRED");
	evm->cols[evm->ncols - 1].required = 0;
	evm->cols[2].type = T_STRING;
	CHECK_INT(ensure_all(w, &changed), -1);
	CHECK_INT(err.code, 1);
	CHECK_HAS(err.msg, "column 'n' is INT64 in the warehouse but STRING");
	evm->cols[2].type = T_INT64;
	free(evm->cols[3].name);
	evm->cols[3].name = xstrdup("x_renamed");
	CHECK_INT(ensure_all(w, &changed), -1);
	CHECK_HAS(err.msg, "column 'x' is in the warehouse but not in");
	free(evm->cols[3].name);
	evm->cols[3].name = xstrdup("x");
	evm->cols = realloc(evm->cols, (evm->ncols + 1) * sizeof *evm->cols);
	evm->cols[evm->ncols++] = (struct column){ xstrdup("must"), T_INT64, 1, xstrdup("new") };
	CHECK_INT(ensure_all(w, &changed), -1);
	CHECK_HAS(err.msg, "new column 'must' is REQUIRED");
	CHECK_STR(query(w, "SELECT COUNT(*) FROM pragma_table_info('events')", NULL, 0), "i:8;");
	wh_close(w);

	schema_free(set);
	fx_remove();
	return h_done("warehouse");
}
