#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "rowfill.h"

struct rowfill rowfill_new(const struct schema_set *set, const char *table)
{
	struct rowfill f = { 0 };
	f.t = schema_table(set, table);
	if (!f.t)
		die(AELP_EXIT_SOFTWARE, "the contract has no table '%s'", table);
	f.v = xcalloc(f.t->ncols, sizeof *f.v);
	return f;
}

void rowfill_free(struct rowfill *f)
{
	size_t i;
	for (i = 0; i < f->nowned; i++)
		free(f->owned[i]);
	free(f->owned);
	free(f->v);
	memset(f, 0, sizeof *f);
}

static struct value *slot(struct rowfill *f, const char *col)
{
	long i = schema_column(f->t, col);
	if (i < 0)
		die(AELP_EXIT_SOFTWARE, "table '%s' has no column '%s'", f->t->qname, col);
	return &f->v[i];
}

static const char *own(struct rowfill *f, const char *s, size_t n)
{
	if (f->nowned == f->capowned) {
		f->capowned = f->capowned ? 2 * f->capowned : 16;
		f->owned = xrealloc(f->owned, f->capowned * sizeof *f->owned);
	}
	return f->owned[f->nowned++] = xstrndup(s, n);
}

void rowfill_text(struct rowfill *f, const char *col, const char *s)
{
	struct value *v = slot(f, col);
	memset(v, 0, sizeof *v);
	if (!s || !*s)
		return;
	v->kind = V_TEXT;
	v->n = strlen(s);
	v->s = own(f, s, v->n);
}

void rowfill_int(struct rowfill *f, const char *col, long long i)
{
	struct value *v = slot(f, col);
	memset(v, 0, sizeof *v);
	v->kind = V_INT;
	v->i = i;
}

void rowfill_real(struct rowfill *f, const char *col, double d)
{
	struct value *v = slot(f, col);
	memset(v, 0, sizeof *v);
	if (!isfinite(d))
		return;
	v->kind = V_REAL;
	v->d = d;
}

void rowfill_bool(struct rowfill *f, const char *col, int b)
{
	rowfill_int(f, col, b != 0);
}

void rowfill_null(struct rowfill *f, const char *col)
{
	memset(slot(f, col), 0, sizeof(struct value));
}

const struct value *rowfill_get(const struct rowfill *f, const char *col)
{
	return slot((struct rowfill *)f, col);
}

int rowfill_fetch(struct rowfill *f, struct wh *w, const char *keycol, const char *keyval,
		  struct wh_err *err)
{
	size_t i, len = 64 + strlen(f->t->qname) + strlen(keycol);
	char *sql, *p;
	struct wh_query *q;
	const struct value *vals;
	struct wh_param par = { "k", T_STRING, keyval };
	int rc;

	for (i = 0; i < f->t->ncols; i++)
		len += strlen(f->t->cols[i].name) + 2;
	sql = p = xmalloc(len);
	p += sprintf(p, "SELECT ");
	for (i = 0; i < f->t->ncols; i++)
		p += sprintf(p, "%s%s", i ? ", " : "", f->t->cols[i].name);
	sprintf(p, " FROM %s WHERE %s = @k", f->t->qname, keycol);
	q = wh_query_open(w, sql, &par, 1, err);
	free(sql);
	if (!q)
		return -1;
	rc = wh_query_next(q, &vals, err);
	if (rc == 1) {
		for (i = 0; i < f->t->ncols; i++) {
			f->v[i] = vals[i];
			if (vals[i].kind == V_TEXT)
				f->v[i].s = own(f, vals[i].s, vals[i].n);
		}
	}
	wh_query_close(q);
	return rc;
}

int rowfill_write(struct wh *w, const struct rowfill *f, struct wh_err *err)
{
	struct row r = { f->t, f->v };
	return wh_load_row(w, &r, err);
}
