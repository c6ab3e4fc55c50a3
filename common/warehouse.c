#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "die.h"
#include "warehouse.h"

int wh_fail(struct wh_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	err->missing = WH_PRESENT;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

const char *wh_action_name(enum wh_action a)
{
	static const char *const names[] = { "unchanged", "created", "altered", "replaced" };
	return names[a];
}

static int mkdirs(const char *dir)
{
	char *p = xstrdup(dir), *s;
	int rc = 0;

	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
				rc = -1;
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return rc;
}

struct wh *wh_open_env(const struct schema_set *set, enum wh_open_mode mode, struct wh_err *err)
{
	const char *spec = getenv("AELP_WAREHOUSE");
	const char *gcp = getenv("GOOGLE_CLOUD_PROJECT");
	const char *bqds = getenv("BIGQUERY_TRAINING_DATASET");
	const char *home;
	char *path;
	struct wh *w;

	if (spec && *spec) {
		if (strncmp(spec, "bigquery:", 9) == 0)
			goto bigquery;
		if (strcmp(spec, "sqlite") != 0 && strncmp(spec, "sqlite:", 7) != 0) {
			wh_fail(err, AELP_EXIT_USAGE, "AELP_WAREHOUSE='%s': expected 'sqlite', "
				"'sqlite:PATH' or 'bigquery:PROJECT.DATASET'", spec);
			return NULL;
		}
		if (spec[6] == ':' && spec[7]) {
			path = xstrdup(spec + 7);
			goto sqlite;
		}
	} else if (gcp && *gcp && bqds && *bqds) {
		goto bigquery;
	}
	home = getenv("AELP_HOME");
	if (!home || !*home)
		home = "./var";
	if (mode == WH_OPEN_WRITE && mkdirs(home) != 0) {
		wh_fail(err, AELP_EXIT_SOFTWARE, "cannot create AELP_HOME '%s': %s", home, strerror(errno));
		return NULL;
	}
	path = xasprintf("%s/warehouse.sqlite", home);
sqlite:
	w = wh_sqlite_open(path, set, mode, err);
	free(path);
	return w;
bigquery:
	wh_fail(err, AELP_EXIT_USAGE, "the BigQuery backend is not built yet "
		"(AELP_WAREHOUSE or GOOGLE_CLOUD_PROJECT with BIGQUERY_TRAINING_DATASET ask for it); "
		"set AELP_WAREHOUSE=sqlite to use the embedded warehouse");
	return NULL;
}

const char *wh_describe(const struct wh *w)
{
	return w->desc;
}

void wh_close(struct wh *w)
{
	if (w)
		w->ops->close(w);
}

int wh_ensure_begin(struct wh *w, struct wh_err *err)
{
	return w->ops->ensure_begin(w, err);
}

int wh_ensure_table(struct wh *w, const struct table_schema *t, enum wh_action *action,
		    char *detail, size_t detailsz, struct wh_err *err)
{
	*detail = '\0';
	return w->ops->ensure_table(w, t, action, detail, detailsz, err);
}

int wh_ensure_view(struct wh *w, const struct view_def *v, enum wh_action *action,
		   char *detail, size_t detailsz, struct wh_err *err)
{
	*detail = '\0';
	return w->ops->ensure_view(w, v, action, detail, detailsz, err);
}

int wh_ensure_end(struct wh *w, int commit, struct wh_err *err)
{
	return w->ops->ensure_end(w, commit, err);
}

int wh_load_begin(struct wh *w, enum wh_load_mode mode, const struct table_schema *fixed,
		  struct wh_err *err)
{
	return w->ops->load_begin(w, mode, fixed, err);
}

int wh_load_row(struct wh *w, const struct row *row, struct wh_err *err)
{
	return w->ops->load_row(w, row, err);
}

long long wh_load_delete(struct wh *w, const struct table_schema *t, const char *const *cols,
			 const char *const *vals, size_t n, struct wh_err *err)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (schema_column(t, cols[i]) < 0)
			return wh_fail(err, AELP_EXIT_USAGE, "table '%s' has no column '%s'", t->qname, cols[i]);
	return w->ops->load_delete(w, t, cols, vals, n, err);
}

int wh_load_end(struct wh *w, int commit, size_t *counts, struct wh_err *err)
{
	return w->ops->load_end(w, commit, counts, err);
}

struct wh_query *wh_query_open(struct wh *w, const char *sql, const struct wh_param *params,
			       size_t nparams, struct wh_err *err)
{
	return w->ops->query_open(w, sql, params, nparams, err);
}

struct wh_query *wh_query_table(struct wh *w, const struct table_schema *t, struct wh_err *err)
{
	return w->ops->query_table(w, t, err);
}

size_t wh_query_ncols(const struct wh_query *q)
{
	return q->ncols;
}

const char *wh_query_name(const struct wh_query *q, size_t i)
{
	return q->names[i];
}

int wh_query_type(const struct wh_query *q, size_t i)
{
	return q->types[i];
}

int wh_query_next(struct wh_query *q, const struct value **vals, struct wh_err *err)
{
	int rc = q->next(q, err);
	if (rc == 1)
		*vals = q->vals;
	return rc;
}

void wh_query_close(struct wh_query *q)
{
	size_t i;

	if (!q)
		return;
	q->close(q);
	for (i = 0; i < q->ncols; i++)
		free(q->names[i]);
	free(q->names);
	free(q->types);
	free(q->vals);
	free(q);
}
