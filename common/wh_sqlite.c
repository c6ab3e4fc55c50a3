/*
 * The embedded warehouse: one SQLite file in WAL mode, one attached file
 * per extra dataset.  Contract types are stored under these declared
 * types, whose SQLite affinities keep every value as written and which
 * queries read back (sqlite3_column_decltype) to restore the contract type:
 *
 *   STRING TEXT   INT64 INTEGER   FLOAT64 REAL   BOOL BOOLEAN (0/1)
 *   DATE DATE     TIMESTAMP TIMESTAMP (canonical UTC text)   JSON JSON_TEXT
 *
 * REQUIRED is NOT NULL.  A table's key is a unique index "<table>__key",
 * its partition column an index "<table>__partition".
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "timefmt.h"
#include "warehouse.h"

/* How long a writer waits for another to finish (a large load takes minutes). */
#define BUSY_MS (10 * 60 * 1000)

struct load_table {
	sqlite3_stmt *insert;
	int replaced;
	size_t count;
};

struct wh_sqlite {
	struct wh base;
	sqlite3 *db;
	char *path;
	int in_tx;
	enum wh_load_mode mode;
	struct load_table *lt;   /* one per table of the schema set */
};

static const char *const decl_types[] = {
	"TEXT", "INTEGER", "REAL", "BOOLEAN", "DATE", "TIMESTAMP", "JSON_TEXT"
};

static int decl_to_type(const char *decl)
{
	size_t i;

	if (!decl)
		return -1;
	for (i = 0; i < sizeof decl_types / sizeof *decl_types; i++)
		if (strcasecmp(decl, decl_types[i]) == 0)
			return (int)i;
	return -1;
}

static int sql_fail(struct wh_sqlite *s, struct wh_err *err, const char *what)
{
	return wh_fail(err, AELP_EXIT_SOFTWARE, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int exec(struct wh_sqlite *s, const char *sql, struct wh_err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if ((rc & 0xff) == SQLITE_BUSY) {
		wh_fail(err, AELP_EXIT_UNAVAILABLE, "%s: the warehouse stayed locked by another "
			"writer for %d minutes; try again when it is done", s->path, BUSY_MS / 60000);
		sqlite3_free(msg);
		return -1;
	}
	if (rc != SQLITE_OK) {
		wh_fail(err, AELP_EXIT_SOFTWARE, "%s: %s (in: %.200s)", s->path,
			msg ? msg : sqlite3_errmsg(s->db), sql);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* "\"ds\".\"name\"" or "\"name\"" in sqlite3_mprintf memory. */
static char *qualified(const struct table_schema *t, const char *suffix)
{
	if (t->dataset)
		return sqlite3_mprintf("\"%w\".\"%w%s\"", t->dataset, t->name, suffix);
	return sqlite3_mprintf("\"main\".\"%w%s\"", t->name, suffix);
}

static const char *schema_of(const struct table_schema *t)
{
	return t->dataset ? t->dataset : "main";
}

/* ---- ensure ---- */

static int sq_ensure_begin(struct wh *w, struct wh_err *err)
{
	struct wh_sqlite *s = (struct wh_sqlite *)w;
	if (exec(s, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	s->in_tx = 1;
	return 0;
}

static int sq_ensure_end(struct wh *w, int commit, struct wh_err *err)
{
	struct wh_sqlite *s = (struct wh_sqlite *)w;
	if (!s->in_tx)
		return 0;
	s->in_tx = 0;
	return exec(s, commit ? "COMMIT" : "ROLLBACK", err);
}

/* Columns of an index, comma-joined, in sqlite3_mprintf memory; NULL if there is no such index. */
static char *index_columns(struct wh_sqlite *s, const char *schema, const char *index)
{
	sqlite3_stmt *st;
	char *sql, *cols = NULL;
	int found = 0;

	sql = sqlite3_mprintf("PRAGMA \"%w\".index_info(\"%w\")", schema, index);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *c = (const char *)sqlite3_column_text(st, 2);
			char *next = cols ? sqlite3_mprintf("%s,%s", cols, c ? c : "")
					  : sqlite3_mprintf("%s", c ? c : "");
			sqlite3_free(cols);
			cols = next;
			found = 1;
		}
		sqlite3_finalize(st);
	}
	sqlite3_free(sql);
	if (!found)
		return NULL;
	return cols;
}

static char *wanted_columns(const struct table_schema *t, const size_t *idx, size_t n)
{
	char *cols = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		char *next = cols ? sqlite3_mprintf("%s,%s", cols, t->cols[idx[i]].name)
				  : sqlite3_mprintf("%s", t->cols[idx[i]].name);
		sqlite3_free(cols);
		cols = next;
	}
	return cols;
}

/* Make index "<table><suffix>" exist over idx; *changed set when it was built. */
static int ensure_index(struct wh_sqlite *s, const struct table_schema *t, const char *suffix,
			const size_t *idx, size_t n, int unique, int *changed, struct wh_err *err)
{
	char *want = wanted_columns(t, idx, n), *have, *name, *sql, *collist = NULL;
	char iname[300];
	int rc = 0;
	size_t i;

	snprintf(iname, sizeof iname, "%s%s", t->name, suffix);
	have = index_columns(s, schema_of(t), iname);
	if (have && strcmp(have, want) == 0)
		goto out;
	name = qualified(t, suffix);
	if (have) {
		sql = sqlite3_mprintf("DROP INDEX %s", name);
		rc = exec(s, sql, err);
		sqlite3_free(sql);
	}
	for (i = 0; i < n && rc == 0; i++) {
		char *next = sqlite3_mprintf("%s%s\"%w\"", collist ? collist : "", i ? ", " : "",
					     t->cols[idx[i]].name);
		sqlite3_free(collist);
		collist = next;
	}
	if (rc == 0) {
		sql = sqlite3_mprintf("CREATE %sINDEX %s ON \"%w\" (%s)", unique ? "UNIQUE " : "",
				      name, t->name, collist);
		if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			rc = wh_fail(err, unique ? AELP_EXIT_GATE : AELP_EXIT_SOFTWARE,
				     "table '%s': cannot build the %s index (%s): %s", t->qname,
				     unique ? "key" : "partition", want, sqlite3_errmsg(s->db));
		sqlite3_free(sql);
	}
	sqlite3_free(collist);
	sqlite3_free(name);
	*changed = 1;
out:
	sqlite3_free(have);
	sqlite3_free(want);
	return rc;
}

static int sq_ensure_table(struct wh *w, const struct table_schema *t, enum wh_action *action,
			   char *detail, size_t detailsz, struct wh_err *err)
{
	struct wh_sqlite *s = (struct wh_sqlite *)w;
	sqlite3_stmt *st;
	char *sql, *name = qualified(t, "");
	int *seen = xcalloc(t->ncols, sizeof *seen), exists = 0, changed = 0, rc = -1;
	size_t i, added = 0;

	sql = sqlite3_mprintf("PRAGMA \"%w\".table_info(\"%w\")", schema_of(t), t->name);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sql_fail(s, err, "reading table info");
		sqlite3_free(sql);
		goto out;
	}
	sqlite3_free(sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *cname = (const char *)sqlite3_column_text(st, 1);
		const char *decl = (const char *)sqlite3_column_text(st, 2);
		int notnull = sqlite3_column_int(st, 3);
		long ci = schema_column(t, cname);
		int ty = decl_to_type(decl);

		exists = 1;
		if (ci < 0) {
			wh_fail(err, AELP_EXIT_GATE, "table '%s': column '%s' is in the warehouse but not in "
				"%s (removing a column needs a migration)", t->qname, cname, t->file);
			sqlite3_finalize(st);
			goto out;
		}
		seen[ci] = 1;
		if (ty != (int)t->cols[ci].type) {
			wh_fail(err, AELP_EXIT_GATE, "table '%s': column '%s' is %s in the warehouse but %s "
				"in %s (a type change needs a migration)", t->qname, cname,
				ty < 0 ? (decl ? decl : "untyped") : col_type_name((enum col_type)ty),
				col_type_name(t->cols[ci].type), t->file);
			sqlite3_finalize(st);
			goto out;
		}
		if (notnull != t->cols[ci].required) {
			wh_fail(err, AELP_EXIT_GATE, "table '%s': column '%s' is %s in the warehouse but %s "
				"in %s (a mode change needs a migration)", t->qname, cname,
				notnull ? "REQUIRED" : "NULLABLE",
				t->cols[ci].required ? "REQUIRED" : "NULLABLE", t->file);
			sqlite3_finalize(st);
			goto out;
		}
	}
	sqlite3_finalize(st);

	if (!exists) {
		char *cols = NULL;
		for (i = 0; i < t->ncols; i++) {
			char *next = sqlite3_mprintf("%s%s\n  \"%w\" %s%s", cols ? cols : "", i ? "," : "",
						     t->cols[i].name, decl_types[t->cols[i].type],
						     t->cols[i].required ? " NOT NULL" : "");
			sqlite3_free(cols);
			cols = next;
		}
		sql = sqlite3_mprintf("CREATE TABLE %s (%s\n)", name, cols);
		sqlite3_free(cols);
		rc = exec(s, sql, err);
		sqlite3_free(sql);
		if (rc != 0)
			goto out;
		*action = WH_CREATED;
		snprintf(detail, detailsz, "%zu columns", t->ncols);
	} else {
		for (i = 0; i < t->ncols; i++) {
			if (seen[i])
				continue;
			if (t->cols[i].required) {
				wh_fail(err, AELP_EXIT_GATE, "table '%s': new column '%s' is REQUIRED; a column "
					"added to an existing table must be NULLABLE", t->qname, t->cols[i].name);
				goto out;
			}
			sql = sqlite3_mprintf("ALTER TABLE %s ADD COLUMN \"%w\" %s", name,
					      t->cols[i].name, decl_types[t->cols[i].type]);
			rc = exec(s, sql, err);
			sqlite3_free(sql);
			if (rc != 0)
				goto out;
			{
				size_t len = strlen(detail);
				snprintf(detail + len, detailsz - len, "%sadded column %s",
					 added ? ", " : "", t->cols[i].name);
			}
			added++;
		}
		*action = added ? WH_ALTERED : WH_UNCHANGED;
	}
	rc = ensure_index(s, t, "__key", t->key, t->nkey, 1, &changed, err);
	if (rc == 0 && t->partition >= 0) {
		size_t p = (size_t)t->partition;
		rc = ensure_index(s, t, "__partition", &p, 1, 0, &changed, err);
	}
	if (rc == 0 && changed && *action == WH_UNCHANGED) {
		*action = WH_ALTERED;
		snprintf(detail, detailsz, "rebuilt indexes");
	}
out:
	free(seen);
	sqlite3_free(name);
	return rc;
}

static int sq_ensure_view(struct wh *w, const struct view_def *v, enum wh_action *action,
			  char *detail, size_t detailsz, struct wh_err *err)
{
	struct wh_sqlite *s = (struct wh_sqlite *)w;
	sqlite3_stmt *st;
	char *want = sqlite3_mprintf("CREATE VIEW \"%w\" AS\n%s", v->name, v->sql_sqlite);
	char *sql;
	int rc = -1, exists = 0, same = 0;

	(void)detailsz;
	if (sqlite3_prepare_v2(s->db, "SELECT sql FROM main.sqlite_schema WHERE type = 'view' AND name = ?1",
			       -1, &st, NULL) != SQLITE_OK) {
		sql_fail(s, err, "reading the schema");
		goto out;
	}
	sqlite3_bind_text(st, 1, v->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *have = (const char *)sqlite3_column_text(st, 0);
		exists = 1;
		same = have && strcmp(have, want) == 0;
	}
	sqlite3_finalize(st);
	if (same) {
		*action = WH_UNCHANGED;
		rc = 0;
		goto out;
	}
	if (exists) {
		sql = sqlite3_mprintf("DROP VIEW main.\"%w\"", v->name);
		rc = exec(s, sql, err);
		sqlite3_free(sql);
		if (rc != 0)
			goto out;
	}
	if (sqlite3_exec(s->db, want, NULL, NULL, NULL) != SQLITE_OK) {
		wh_fail(err, AELP_EXIT_DATAERR, "%s: view '%s': %s", v->file, v->name, sqlite3_errmsg(s->db));
		rc = -1;
		goto out;
	}
	/* A view is only checked against its tables when it is used: use it once. */
	sql = sqlite3_mprintf("SELECT * FROM main.\"%w\" LIMIT 0", v->name);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		wh_fail(err, AELP_EXIT_DATAERR, "%s: view '%s': %s", v->file, v->name, sqlite3_errmsg(s->db));
		sqlite3_free(sql);
		rc = -1;
		goto out;
	}
	sqlite3_finalize(st);
	sqlite3_free(sql);
	*action = exists ? WH_REPLACED : WH_CREATED;
	if (exists)
		snprintf(detail, detailsz, "query changed");
	rc = 0;
out:
	sqlite3_free(want);
	return rc;
}

/* ---- load ---- */

static int sq_load_begin(struct wh *w, enum wh_load_mode mode, const struct table_schema *fixed,
			 struct wh_err *err)
{
	struct wh_sqlite *s = (struct wh_sqlite *)w;

	s->mode = mode;
	s->lt = xcalloc(w->set->ntables, sizeof *s->lt);
	if (exec(s, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	s->in_tx = 1;
	if (fixed && mode == WH_REPLACE) {
		char *name = qualified(fixed, ""), *sql = sqlite3_mprintf("DELETE FROM %s", name);
		int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
		sqlite3_free(name);
		if (rc != SQLITE_OK)
			return wh_fail(err, AELP_EXIT_USAGE, "%s: table '%s': %s (run bq-ensure first)",
				       s->path, fixed->qname, sqlite3_errmsg(s->db));
		s->lt[fixed - w->set->tables].replaced = 1;
	}
	return 0;
}

static int prepare_insert(struct wh_sqlite *s, const struct table_schema *t, struct load_table *lt,
			  struct wh_err *err)
{
	char *name = qualified(t, ""), *cols = NULL, *marks = NULL, *sets = NULL, *keys = NULL, *sql;
	size_t i, k;
	int rc;

	if (s->mode == WH_REPLACE && !lt->replaced) {
		sql = sqlite3_mprintf("DELETE FROM %s", name);
		rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
		if (rc != SQLITE_OK) {
			wh_fail(err, AELP_EXIT_USAGE, "%s: table '%s': %s (run bq-ensure first)",
				s->path, t->qname, sqlite3_errmsg(s->db));
			sqlite3_free(name);
			return -1;
		}
		lt->replaced = 1;
	}
	for (i = 0; i < t->ncols; i++) {
		int iskey = 0;
		char *next;
		for (k = 0; k < t->nkey; k++)
			iskey |= t->key[k] == i;
		next = sqlite3_mprintf("%s%s\"%w\"", cols ? cols : "", i ? ", " : "", t->cols[i].name);
		sqlite3_free(cols);
		cols = next;
		next = sqlite3_mprintf("%s%s?%d", marks ? marks : "", i ? ", " : "", (int)i + 1);
		sqlite3_free(marks);
		marks = next;
		if (!iskey) {
			next = sqlite3_mprintf("%s%s\"%w\" = excluded.\"%w\"", sets ? sets : "",
					       sets ? ", " : "", t->cols[i].name, t->cols[i].name);
			sqlite3_free(sets);
			sets = next;
		}
	}
	for (k = 0; k < t->nkey; k++) {
		char *next = sqlite3_mprintf("%s%s\"%w\"", keys ? keys : "", k ? ", " : "",
					     t->cols[t->key[k]].name);
		sqlite3_free(keys);
		keys = next;
	}
	if (s->mode == WH_UPSERT)
		sql = sqlite3_mprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO %s%s", name,
				      cols, marks, keys, sets ? "UPDATE SET " : "NOTHING", sets ? sets : "");
	else
		sql = sqlite3_mprintf("INSERT INTO %s (%s) VALUES (%s)", name, cols, marks);
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &lt->insert, NULL);
	if (rc != SQLITE_OK)
		wh_fail(err, AELP_EXIT_USAGE, "%s: cannot load table '%s': %s (run bq-ensure to bring "
			"the warehouse in line with %s)", s->path, t->qname, sqlite3_errmsg(s->db), t->file);
	sqlite3_free(sql);
	sqlite3_free(keys);
	sqlite3_free(sets);
	sqlite3_free(marks);
	sqlite3_free(cols);
	sqlite3_free(name);
	return rc == SQLITE_OK ? 0 : -1;
}

static void describe_key(const struct row *r, char *buf, size_t sz)
{
	const struct table_schema *t = r->table;
	size_t k, len = 0;

	buf[0] = '\0';
	for (k = 0; k < t->nkey && len < sz; k++) {
		const struct value *v = &r->v[t->key[k]];
		const char *cn = t->cols[t->key[k]].name;
		const char *sep = k ? ", " : "";
		if (v->kind == V_INT)
			len += (size_t)snprintf(buf + len, sz - len, "%s%s=%lld", sep, cn, v->i);
		else if (v->kind == V_REAL)
			len += (size_t)snprintf(buf + len, sz - len, "%s%s=%.17g", sep, cn, v->d);
		else if (v->kind == V_TEXT)
			len += (size_t)snprintf(buf + len, sz - len, "%s%s='%.*s'", sep, cn,
						(int)(v->n > 60 ? 60 : v->n), v->s);
	}
}

static int sq_load_row(struct wh *w, const struct row *r, struct wh_err *err)
{
	struct wh_sqlite *s = (struct wh_sqlite *)w;
	const struct table_schema *t = r->table;
	struct load_table *lt = &s->lt[t - w->set->tables];
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (!lt->insert && prepare_insert(s, t, lt, err) != 0)
		return -1;
	st = lt->insert;
	for (i = 0; i < t->ncols; i++) {
		const struct value *v = &r->v[i];
		int col = (int)i + 1;
		switch (v->kind) {
		case V_NULL: rc = sqlite3_bind_null(st, col); break;
		case V_INT: rc = sqlite3_bind_int64(st, col, v->i); break;
		case V_REAL: rc = sqlite3_bind_double(st, col, v->d); break;
		default: rc = sqlite3_bind_text64(st, col, v->s, v->n, SQLITE_STATIC, SQLITE_UTF8); break;
		}
		if (rc != SQLITE_OK) {
			sqlite3_reset(st);
			return sql_fail(s, err, "binding a value");
		}
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		lt->count++;
		return 0;
	}
	if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE) {
		char key[512];
		describe_key(r, key, sizeof key);
		return wh_fail(err, AELP_EXIT_DATAERR, "duplicate key (%s): a row with this key is already "
			       "in '%s' or earlier in this load (--upsert replaces it)", key, t->qname);
	}
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return wh_fail(err, AELP_EXIT_DATAERR, "table '%s' refused the row: %s", t->qname,
			       sqlite3_errmsg(s->db));
	return sql_fail(s, err, "writing a row");
}

static void finalize_inserts(struct wh_sqlite *s)
{
	size_t i;

	if (!s->lt)
		return;
	for (i = 0; i < s->base.set->ntables; i++)
		sqlite3_finalize(s->lt[i].insert);
}

static long long sq_load_delete(struct wh *w, const struct table_schema *t, const char *const *cols,
				const char *const *vals, size_t n, struct wh_err *err)
{
	struct wh_sqlite *s = (struct wh_sqlite *)w;
	char *name = qualified(t, ""), *sql = sqlite3_mprintf("DELETE FROM %s", name);
	sqlite3_stmt *st = NULL;
	long long deleted = -1;
	size_t i;

	if (!s->in_tx) {
		sqlite3_free(name);
		sqlite3_free(sql);
		return wh_fail(err, AELP_EXIT_SOFTWARE, "a delete outside a load");
	}
	for (i = 0; i < n; i++) {
		char *next = sqlite3_mprintf("%s %s \"%w\" = ?%d", sql, i ? "AND" : "WHERE", cols[i], (int)i + 1);
		sqlite3_free(sql);
		sql = next;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		wh_fail(err, AELP_EXIT_USAGE, "%s: table '%s': %s (run bq-ensure first)", s->path,
			t->qname, sqlite3_errmsg(s->db));
		goto out;
	}
	for (i = 0; i < n; i++)
		sqlite3_bind_text(st, (int)i + 1, vals[i], -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		wh_fail(err, AELP_EXIT_SOFTWARE, "%s: deleting from '%s': %s", s->path, t->qname,
			sqlite3_errmsg(s->db));
		goto out;
	}
	deleted = sqlite3_changes(s->db);
out:
	sqlite3_finalize(st);
	sqlite3_free(sql);
	sqlite3_free(name);
	return deleted;
}

static int sq_load_end(struct wh *w, int commit, size_t *counts, struct wh_err *err)
{
	struct wh_sqlite *s = (struct wh_sqlite *)w;
	size_t i;
	int rc = 0;

	finalize_inserts(s);
	if (s->in_tx) {
		s->in_tx = 0;
		rc = exec(s, commit ? "COMMIT" : "ROLLBACK", err);
	}
	for (i = 0; counts && i < w->set->ntables; i++)
		counts[i] = s->lt ? s->lt[i].count : 0;
	free(s->lt);
	s->lt = NULL;
	return rc;
}

/* ---- query ---- */

struct sq_query {
	struct wh_sqlite *s;
	sqlite3_stmt *st;
};

static int sq_next(struct wh_query *q, struct wh_err *err)
{
	struct sq_query *sq = q->impl;
	size_t i;
	int rc = sqlite3_step(sq->st);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return wh_fail(err, AELP_EXIT_DATAERR, "query failed: %s", sqlite3_errmsg(sq->s->db));
	for (i = 0; i < q->ncols; i++) {
		struct value *v = &q->vals[i];
		switch (sqlite3_column_type(sq->st, (int)i)) {
		case SQLITE_NULL:
			v->kind = V_NULL;
			break;
		case SQLITE_INTEGER:
			v->kind = V_INT;
			v->i = sqlite3_column_int64(sq->st, (int)i);
			break;
		case SQLITE_FLOAT:
			v->kind = V_REAL;
			v->d = sqlite3_column_double(sq->st, (int)i);
			break;
		case SQLITE_TEXT:
			v->kind = V_TEXT;
			v->s = (const char *)sqlite3_column_text(sq->st, (int)i);
			v->n = (size_t)sqlite3_column_bytes(sq->st, (int)i);
			break;
		default:
			return wh_fail(err, AELP_EXIT_DATAERR, "column '%s' holds a BLOB, which has no "
				       "JSON form (cast it, e.g. hex(...))", q->names[i]);
		}
	}
	return 1;
}

static void sq_qclose(struct wh_query *q)
{
	struct sq_query *sq = q->impl;
	sqlite3_finalize(sq->st);
	free(sq);
}

static int bind_param(sqlite3_stmt *st, int idx, const struct wh_param *p, struct wh_err *err)
{
	char canon[TS_CANON_MAX], *end;
	const char *why;
	long long iv;
	double dv;
	size_t n;

	switch (p->type) {
	case T_INT64:
		errno = 0;
		iv = strtoll(p->value, &end, 10);
		if (!*p->value || *end || errno)
			return wh_fail(err, AELP_EXIT_USAGE, "parameter '%s' (INT64): '%s' is not an integer",
				       p->name, p->value);
		return sqlite3_bind_int64(st, idx, iv);
	case T_FLOAT64:
		errno = 0;
		dv = strtod(p->value, &end);
		if (!*p->value || *end || errno)
			return wh_fail(err, AELP_EXIT_USAGE, "parameter '%s' (FLOAT64): '%s' is not a number",
				       p->name, p->value);
		return sqlite3_bind_double(st, idx, dv);
	case T_BOOL:
		if (strcmp(p->value, "true") && strcmp(p->value, "false"))
			return wh_fail(err, AELP_EXIT_USAGE, "parameter '%s' (BOOL): '%s' is not true or false",
				       p->name, p->value);
		return sqlite3_bind_int(st, idx, p->value[0] == 't');
	case T_DATE:
		if (!date_valid(p->value, strlen(p->value)))
			return wh_fail(err, AELP_EXIT_USAGE, "parameter '%s' (DATE): '%s' is not a valid "
				       "YYYY-MM-DD date", p->name, p->value);
		break;
	case T_TIMESTAMP:
		n = timestamp_canon(p->value, strlen(p->value), canon, &why);
		if (!n)
			return wh_fail(err, AELP_EXIT_USAGE, "parameter '%s' (TIMESTAMP): '%s': %s",
				       p->name, p->value, why);
		return sqlite3_bind_text(st, idx, canon, (int)n, SQLITE_TRANSIENT);
	default:
		break;
	}
	return sqlite3_bind_text(st, idx, p->value, -1, SQLITE_STATIC);
}

static struct wh_query *sq_query_open(struct wh *w, const char *sql, const struct wh_param *params,
				      size_t nparams, struct wh_err *err)
{
	struct wh_sqlite *s = (struct wh_sqlite *)w;
	struct wh_query *q;
	struct sq_query *sq;
	sqlite3_stmt *st;
	const char *tail;
	size_t i;
	int nb, b;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, &tail) != SQLITE_OK) {
		wh_fail(err, AELP_EXIT_DATAERR, "query: %s", sqlite3_errmsg(s->db));
		if (strncmp(sqlite3_errmsg(s->db), "no such table", 13) == 0)
			err->missing = WH_NO_TABLE;
		return NULL;
	}
	if (!st) {
		wh_fail(err, AELP_EXIT_USAGE, "query is empty");
		return NULL;
	}
	while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';' || *tail == '\r'))
		tail++;
	if (tail && *tail) {
		sqlite3_finalize(st);
		wh_fail(err, AELP_EXIT_USAGE, "query: only one statement may be given (extra text: '%.40s')", tail);
		return NULL;
	}
	if (!sqlite3_stmt_readonly(st)) {
		sqlite3_finalize(st);
		wh_fail(err, AELP_EXIT_USAGE, "query: only statements that read (SELECT, WITH) may be "
			"run here; the warehouse changes through bq-load and bq-ensure");
		return NULL;
	}
	nb = sqlite3_bind_parameter_count(st);
	for (b = 1; b <= nb; b++) {
		const char *pn = sqlite3_bind_parameter_name(st, b);
		if (!pn || pn[0] != '@') {
			wh_fail(err, AELP_EXIT_USAGE, "query: use named parameters such as @start (found '%s')",
				pn ? pn : "?");
			sqlite3_finalize(st);     /* pn belongs to st: report first */
			return NULL;
		}
		for (i = 0; i < nparams; i++)
			if (strcmp(pn + 1, params[i].name) == 0)
				break;
		if (i == nparams) {
			wh_fail(err, AELP_EXIT_USAGE, "query parameter '%s' has no value (--param %s=VALUE)",
				pn, pn + 1);
			sqlite3_finalize(st);
			return NULL;
		}
	}
	for (i = 0; i < nparams; i++) {
		char *at = sqlite3_mprintf("@%s", params[i].name);
		int idx = sqlite3_bind_parameter_index(st, at);
		sqlite3_free(at);
		if (idx == 0) {
			sqlite3_finalize(st);
			wh_fail(err, AELP_EXIT_USAGE, "parameter '%s' is not used by the query (no @%s in it)",
				params[i].name, params[i].name);
			return NULL;
		}
		err->code = 0;
		if (bind_param(st, idx, &params[i], err) != SQLITE_OK || err->code) {
			sqlite3_finalize(st);
			if (!err->code)
				sql_fail(s, err, "binding a parameter");
			return NULL;
		}
	}
	q = xcalloc(1, sizeof *q);
	sq = xcalloc(1, sizeof *sq);
	sq->s = s;
	sq->st = st;
	q->w = w;
	q->impl = sq;
	q->next = sq_next;
	q->close = sq_qclose;
	q->ncols = (size_t)sqlite3_column_count(st);
	q->names = xcalloc(q->ncols, sizeof *q->names);
	q->types = xcalloc(q->ncols, sizeof *q->types);
	q->vals = xcalloc(q->ncols, sizeof *q->vals);
	for (i = 0; i < q->ncols; i++) {
		q->names[i] = xstrdup(sqlite3_column_name(st, (int)i));
		q->types[i] = decl_to_type(sqlite3_column_decltype(st, (int)i));
	}
	return q;
}

static struct wh_query *sq_query_table(struct wh *w, const struct table_schema *t,
				       struct wh_err *err)
{
	char *name = qualified(t, ""), *cols = NULL, *sql;
	struct wh_query *q;
	size_t i;

	for (i = 0; i < t->ncols; i++) {
		char *next = sqlite3_mprintf("%s%s\"%w\"", cols ? cols : "", i ? ", " : "", t->cols[i].name);
		sqlite3_free(cols);
		cols = next;
	}
	sql = sqlite3_mprintf("SELECT %s FROM %s ORDER BY rowid", cols, name);
	q = sq_query_open(w, sql, NULL, 0, err);
	if (!q && err->code == AELP_EXIT_DATAERR) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		wh_fail(err, AELP_EXIT_USAGE, "table '%s': %s (run bq-ensure first)", t->qname, msg);
	}
	sqlite3_free(sql);
	sqlite3_free(cols);
	sqlite3_free(name);
	return q;
}

static void sq_close(struct wh *w)
{
	struct wh_sqlite *s = (struct wh_sqlite *)w;

	finalize_inserts(s);
	free(s->lt);
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	free(s->path);
	free(s->base.desc);
	free(s);
}

static const struct wh_ops sqlite_ops = {
	"sqlite",
	sq_ensure_begin, sq_ensure_table, sq_ensure_view, sq_ensure_end,
	sq_load_begin, sq_load_row, sq_load_delete, sq_load_end,
	sq_query_open,
	sq_query_table,
	sq_close,
};

struct wh *wh_sqlite_open(const char *path, const struct schema_set *set,
			  enum wh_open_mode mode, struct wh_err *err)
{
	struct wh_sqlite *s;
	char *dir, *slash;
	size_t i, j;
	int flags = mode == WH_OPEN_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
					  : SQLITE_OPEN_READWRITE;

	if (mode == WH_OPEN_READ && access(path, F_OK) != 0) {
		wh_fail(err, AELP_EXIT_USAGE, "no warehouse at '%s' (run bq-ensure first, or set "
			"AELP_HOME / AELP_WAREHOUSE)", path);
		err->missing = WH_NO_WAREHOUSE;
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->base.ops = &sqlite_ops;
	s->base.set = set;
	s->path = xstrdup(path);
	s->base.desc = xasprintf("sqlite:%s", path);
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		wh_fail(err, AELP_EXIT_SOFTWARE, "cannot open warehouse '%s': %s", path,
			s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sq_close(&s->base);
		return NULL;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* Another writer holds the lock for at most a load; wait for it. */
	sqlite3_busy_timeout(s->db, BUSY_MS);
	if (exec(s, "PRAGMA main.journal_mode=WAL; PRAGMA main.synchronous=NORMAL; "
		    "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY", err) != 0) {
		sq_close(&s->base);
		return NULL;
	}

	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	for (i = 0; set && i < set->ntables; i++) {
		const char *ds = set->tables[i].dataset;
		char *file, *sql;
		if (!ds)
			continue;
		for (j = 0; j < i; j++)
			if (set->tables[j].dataset && strcmp(set->tables[j].dataset, ds) == 0)
				break;
		if (j < i)
			continue;            /* attached already */
		file = xasprintf("%s%s.sqlite", dir, ds);
		if (mode == WH_OPEN_READ && access(file, F_OK) != 0) {
			free(file);
			continue;            /* queries naming it will say "no such table" */
		}
		sql = sqlite3_mprintf("ATTACH DATABASE %Q AS \"%w\"; PRAGMA \"%w\".journal_mode=WAL; "
				      "PRAGMA \"%w\".synchronous=NORMAL", file, ds, ds, ds);
		free(file);
		if (exec(s, sql, err) != 0) {
			sqlite3_free(sql);
			free(dir);
			sq_close(&s->base);
			return NULL;
		}
		sqlite3_free(sql);
	}
	free(dir);
	if (mode == WH_OPEN_READ && exec(s, "PRAGMA query_only=ON", err) != 0) {
		sq_close(&s->base);
		return NULL;
	}
	return &s->base;
}
