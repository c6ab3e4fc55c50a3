#ifndef AELP_WAREHOUSE_H
#define AELP_WAREHOUSE_H

#include <stddef.h>

#include "row.h"
#include "schema.h"

/*
 * The warehouse client.  Programs speak only this interface; a backend
 * (embedded SQLite today, BigQuery's REST API later) sits behind the
 * function table in struct wh, so adding one changes no program.
 *
 * Which warehouse: AELP_WAREHOUSE when set ("sqlite", "sqlite:PATH" or
 * "bigquery:PROJECT.DATASET"); else BigQuery when both GOOGLE_CLOUD_PROJECT
 * and BIGQUERY_TRAINING_DATASET are set; else SQLite at
 * $AELP_HOME/warehouse.sqlite (AELP_HOME defaults to ./var).  A dataset
 * such as gaelp_users is an attached database DATASET.sqlite beside it, so
 * "gaelp_users.journey_sessions" names the same table in both backends.
 *
 * Errors: every call that can fail fills a struct wh_err whose code is the
 * exit code the program should use (DESIGN.md) and whose msg says why.
 */

/* The environment every warehouse program reads, as --help prints it. */
#define WH_ENV_HELP \
	"Environment:\n" \
	"  AELP_HOME        folder of the embedded warehouse (default ./var)\n" \
	"  AELP_WAREHOUSE   sqlite | sqlite:PATH | bigquery:PROJECT.DATASET\n" \
	"  AELP_SCHEMAS     the contract folder (default: schemas/ beside bin/)\n"

/* What is missing, when an error is only that: a reader may take it as "nothing yet". */
enum wh_missing {
	WH_PRESENT = 0,        /* the error is something else */
	WH_NO_WAREHOUSE,       /* WH_OPEN_READ found no warehouse at all */
	WH_NO_TABLE            /* a query names a table (or view) the warehouse does not have yet */
};

struct wh_err {
	int code;
	enum wh_missing missing;
	char msg[1024];
};

struct wh;

enum wh_open_mode {
	WH_OPEN_WRITE,   /* create the warehouse (and its folder) when missing */
	WH_OPEN_READ     /* refuse when missing; queries may not write */
};

/*
 * Open the warehouse the environment names, attaching every dataset the
 * schema set declares.  set is borrowed and must outlive the handle.
 * Returns NULL with *err filled (2 for a bad AELP_WAREHOUSE or a backend
 * this build lacks, 70 when the file cannot be opened).
 */
struct wh *wh_open_env(const struct schema_set *set, enum wh_open_mode mode, struct wh_err *err);

/* "sqlite:/path/warehouse.sqlite" or "bigquery:project.dataset", for messages. */
const char *wh_describe(const struct wh *w);
void wh_close(struct wh *w);

/* ---- ensure ---- */

enum wh_action { WH_UNCHANGED, WH_CREATED, WH_ALTERED, WH_REPLACED };
const char *wh_action_name(enum wh_action a);

/*
 * Bring one table (or view) in line with its schema: create it, add new
 * NULLABLE columns, (re)build its key and partition indexes.  Returns 0
 * with *action and a human detail ("added column x") filled, or -1: code 1
 * when the existing object conflicts with the schema (type or mode
 * changed, column removed, new REQUIRED column), 65 when the view's SQL is
 * wrong, 70 for a warehouse failure.
 *
 * Call between wh_ensure_begin() and wh_ensure_end(); the SQLite backend
 * makes the whole run one transaction, so a conflict changes nothing.
 */
int wh_ensure_begin(struct wh *w, struct wh_err *err);
int wh_ensure_table(struct wh *w, const struct table_schema *t, enum wh_action *action,
		    char *detail, size_t detailsz, struct wh_err *err);
int wh_ensure_view(struct wh *w, const struct view_def *v, enum wh_action *action,
		   char *detail, size_t detailsz, struct wh_err *err);
int wh_ensure_end(struct wh *w, int commit, struct wh_err *err);

/* ---- load ---- */

enum wh_load_mode { WH_APPEND, WH_REPLACE, WH_UPSERT };

/*
 * One load is one transaction.  With fixed non-NULL, WH_REPLACE empties
 * that table even when no row follows; otherwise each table is emptied
 * when its first row arrives.  WH_APPEND refuses a row whose key is
 * already there (code 65: re-runs create no duplicates); WH_UPSERT
 * replaces it.
 */
int wh_load_begin(struct wh *w, enum wh_load_mode mode, const struct table_schema *fixed,
		  struct wh_err *err);
/* -1 with code 65 when the warehouse refuses the row (a duplicate key). */
int wh_load_row(struct wh *w, const struct row *row, struct wh_err *err);
/*
 * Inside a load: delete the rows of t whose columns cols[0..n) hold the
 * text values vals[0..n), in the load's transaction.  For a slice a load
 * writes again whole (one run's failures, say), so that rows the new load
 * no longer has do not linger.  Returns the rows deleted, or -1 with err
 * filled (2 for a column t does not have).
 */
long long wh_load_delete(struct wh *w, const struct table_schema *t, const char *const *cols,
			 const char *const *vals, size_t n, struct wh_err *err);
/* Commit (commit != 0) or roll back.  Rows written per table so far, in
 * schema order, are in counts (the caller's array of set->ntables, or NULL). */
int wh_load_end(struct wh *w, int commit, size_t *counts, struct wh_err *err);

/* ---- query ---- */

struct wh_param {
	const char *name;        /* without the '@' */
	enum col_type type;
	const char *value;       /* text form, as BigQuery's parameterValue.value */
};

struct wh_query;

/*
 * Run a query with named parameters (@name in the SQL).  Every parameter
 * must be used and every @name given (code 2 otherwise); SQL errors are
 * code 65 with the backend's message.
 */
struct wh_query *wh_query_open(struct wh *w, const char *sql, const struct wh_param *params,
			       size_t nparams, struct wh_err *err);
/* Every row of a table, columns in schema order, in load order. */
struct wh_query *wh_query_table(struct wh *w, const struct table_schema *t, struct wh_err *err);
size_t wh_query_ncols(const struct wh_query *q);
const char *wh_query_name(const struct wh_query *q, size_t i);
/* The column's contract type, or -1 when the backend only knows the value
 * (an expression): then the value's kind decides. */
int wh_query_type(const struct wh_query *q, size_t i);
/* Next row: 1 and *vals (ncols values, valid until the next call), 0 at
 * the end, -1 on error. */
int wh_query_next(struct wh_query *q, const struct value **vals, struct wh_err *err);
void wh_query_close(struct wh_query *q);

/* ---- for backends ---- */

struct wh_ops {
	const char *name;
	int (*ensure_begin)(struct wh *, struct wh_err *);
	int (*ensure_table)(struct wh *, const struct table_schema *, enum wh_action *,
			    char *, size_t, struct wh_err *);
	int (*ensure_view)(struct wh *, const struct view_def *, enum wh_action *,
			   char *, size_t, struct wh_err *);
	int (*ensure_end)(struct wh *, int, struct wh_err *);
	int (*load_begin)(struct wh *, enum wh_load_mode, const struct table_schema *,
			  struct wh_err *);
	int (*load_row)(struct wh *, const struct row *, struct wh_err *);
	long long (*load_delete)(struct wh *, const struct table_schema *, const char *const *,
				 const char *const *, size_t, struct wh_err *);
	int (*load_end)(struct wh *, int, size_t *, struct wh_err *);
	struct wh_query *(*query_open)(struct wh *, const char *, const struct wh_param *,
				       size_t, struct wh_err *);
	struct wh_query *(*query_table)(struct wh *, const struct table_schema *, struct wh_err *);
	void (*close)(struct wh *);
};

struct wh {
	const struct wh_ops *ops;
	const struct schema_set *set;
	char *desc;
};

struct wh_query {
	struct wh *w;
	size_t ncols;
	char **names;
	int *types;
	struct value *vals;
	int (*next)(struct wh_query *, struct wh_err *);
	void (*close)(struct wh_query *);
	void *impl;
};

/* printf into err and set its code; returns -1 for "return wh_fail(...)". */
int wh_fail(struct wh_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The SQLite backend (wh_sqlite.c). */
struct wh *wh_sqlite_open(const char *path, const struct schema_set *set,
			  enum wh_open_mode mode, struct wh_err *err);

#endif
