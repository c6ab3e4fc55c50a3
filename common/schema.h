#ifndef AELP_SCHEMA_H
#define AELP_SCHEMA_H

#include <stddef.h>

/*
 * The table and view contract, read from schemas/ (see schemas/README.md):
 *   schemas/tables/<[dataset.]name>.json   one table each
 *   schemas/views/<name>.sqlite.sql         a view for the embedded warehouse
 *   schemas/views/<name>.bigquery.sql       the same view in BigQuery SQL
 * A schema_set owns everything it points to; schema_free() releases it.
 */

enum col_type { T_STRING, T_INT64, T_FLOAT64, T_BOOL, T_DATE, T_TIMESTAMP, T_JSON };

struct column {
	char *name;
	enum col_type type;
	int required;            /* mode REQUIRED */
	char *description;
};

struct table_schema {
	char *dataset;           /* NULL for the default dataset */
	char *name;
	char *qname;             /* "dataset.name", or "name" in the default dataset */
	char *description;
	char *file;              /* where it was read from, for messages */
	struct column *cols;
	size_t ncols;
	size_t *key;             /* column indexes of the key, in order */
	size_t nkey;
	long partition;          /* column index of the partition date, or -1 */
};

struct view_def {
	char *name;
	char *description;       /* the first line's "-- " comment */
	char *sql_sqlite;        /* the SELECT, for the embedded warehouse */
	char *sql_bigquery;      /* the SELECT, with ${project} and ${dataset} */
	char *file;
};

struct schema_set {
	char *dir;
	struct table_schema *tables;   /* sorted by qname */
	size_t ntables;
	struct view_def *views;        /* sorted by name */
	size_t nviews;
};

/*
 * The schemas folder to use: $AELP_SCHEMAS, else ../schemas beside the
 * running program (bin/../schemas in a checkout), else ./schemas.
 * Returns new memory.
 */
char *schema_dir_default(void);

/*
 * Read every table and view under dir (NULL: schema_dir_default()).  A
 * missing folder dies with exit 2;
 * a malformed file dies with exit 65 naming the file and what is wrong.
 */
struct schema_set *schema_load(const char *dir);
void schema_free(struct schema_set *set);

/* Find a table by qualified name ("gaelp_users.journey_sessions" or
 * "ads_campaign_performance"); NULL when there is none. */
const struct table_schema *schema_table(const struct schema_set *set, const char *qname);

/* Column index by name, or -1. */
long schema_column(const struct table_schema *t, const char *name);

const char *col_type_name(enum col_type t);
/* 0 and *t set when s names a type (STRING, INT64, FLOAT64, BOOL, DATE,
 * TIMESTAMP, JSON; INTEGER, FLOAT, BOOLEAN accepted as BigQuery's aliases). */
int col_type_parse(const char *s, enum col_type *t);

/* 1 if s is a lowercase identifier [a-z_][a-z0-9_]* of at most 128 bytes. */
int ident_valid(const char *s);

#endif
