#ifndef GX_H
#define GX_H

/*
 * gx-check's engine: Great Expectations suites evaluated in one streaming
 * pass over rows, with GX 1.x's semantics on the pandas engine.
 *
 *   struct gx_frame   the columns seen so far (order of first appearance,
 *                     kinds of values, pandas dtype at the end) and the
 *                     cells of the current row.  Rows come from the NDJSON
 *                     scanner (gx_scan_line) or from the warehouse (the
 *                     caller fills cells with gx_cell_put) (frame.c).
 *   struct gx_suite   a suite file read into expectations (suite.c).
 *   gx_feed/gx_finish one call per row, then one at the end; gx_finish
 *                     builds the validation result (expect.c, with the
 *                     duplicate finder in uniq.c, Python's date parsing
 *                     in dtparse.c and JSON output in json.c).
 *
 * Ownership: a frame owns its columns and cells; a suite owns its
 * expectations and their accumulators; a result json_t returned by
 * gx_finish is new (the caller json_decref()s it).  Memory is flat in the
 * number of rows except for COMPLETE lists (they hold every unexpected
 * value) and the uniqueness runs, which spill to a temporary file.
 */

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

/* ---- values ---- */

enum gx_kind { C_MISSING, C_NULL, C_BOOL, C_INT, C_FLOAT, C_STR, C_ARRAY, C_OBJECT };

/*
 * One cell of the current row.  A cell from the scanner is decoded on
 * demand: gx_cell_num() and gx_cell_str() fill i/d and s/n from raw.
 * MISSING (the key is absent) is a null for every expectation.
 */
struct gx_cell {
	unsigned char kind;
	unsigned char decoded;
	const char *raw;         /* the value's JSON text (scanner cells), or NULL */
	size_t rawn;
	long long i;             /* C_INT, C_BOOL (0/1) */
	double d;                /* C_INT, C_FLOAT, C_BOOL as a number */
	const char *s;           /* C_STR contents (UTF-8, not NUL-terminated); C_ARRAY/C_OBJECT text */
	size_t n;
};

static inline int gx_is_null(const struct gx_cell *c) { return c->kind <= C_NULL; }
static inline int gx_is_num(const struct gx_cell *c)
{
	return c->kind == C_INT || c->kind == C_FLOAT || c->kind == C_BOOL;
}

/* pandas dtypes we model; DT_AUTO means "infer from the values". */
enum gx_dtype { DT_AUTO, DT_INT64, DT_FLOAT64, DT_BOOL, DT_OBJECT, DT_DATETIME, DT_DATETIMETZ };

/* "int64", "float64", "bool", "object", "datetime64[ns]", "datetime64[ns, UTC]". */
const char *gx_dtype_name(enum gx_dtype t);
/* Parse a dtype name as pandas and the GX fixtures write it ("int", "Int64Dtype",
 * "float", "str", "object", "bool", "datetime64[ns]", "timestamp"...); -1 if unknown. */
int gx_dtype_parse(const char *s);

struct gx_col {
	char *name;
	size_t namelen;
	long order;              /* position among existing columns, or -1: not (yet) seen */
	enum gx_dtype declared;  /* from --dtypes or the contract; DT_AUTO to infer */
	unsigned long long nkind[8];   /* values of each kind (MISSING unused) */
};

struct gx_frame {
	struct gx_col *cols;
	size_t ncols, cap;
	long nexist;             /* columns that exist (order assigned) */
	int fixed;               /* the column list is declared (--table): unknown keys are ignored */
	struct gx_cell *cells;   /* current row, by column id */
	unsigned long long *stamp;     /* stamp[c] == rowno+1 when cells[c] is set in this row */
	unsigned long long rowno;      /* 0-based index of the current row */
	unsigned long long nrows;
	/* scanner state */
	long *poscache;          /* column id of the key at each position of the last row */
	size_t nposcache;
	struct gx_hash *index;   /* name -> column id */
	const char *route;       /* the "_table" string of the last scanned row, decoded, or NULL */
	size_t routen;
	int tagged;              /* the last scanned row has a "_table" key (of any kind) */
	char *routebuf;          /* where route is decoded */
	size_t routecap;
};

void gx_frame_init(struct gx_frame *f);
void gx_frame_release(struct gx_frame *f);
/* The column id of name (created, not existing, when new). */
long gx_col_id(struct gx_frame *f, const char *name, size_t n);
/* Declare a column that exists from the start, in order, with a dtype. */
long gx_col_declare(struct gx_frame *f, const char *name, enum gx_dtype t);
/* Mark a column as existing (gives it the next position) if it is not yet. */
void gx_col_exists(struct gx_frame *f, long id);
/* The pandas dtype of a column after the last row. */
enum gx_dtype gx_col_dtype(const struct gx_frame *f, long id);

/* The cell of column id in the current row (MISSING when unset).  A row is
 * current until the caller increments rowno; cells set for another row read
 * MISSING. */
const struct gx_cell *gx_cell(struct gx_frame *f, long id);
/* Set a cell of the current row (warehouse rows); counts its kind. */
void gx_cell_put(struct gx_frame *f, long id, const struct gx_cell *c);
/* Decode a number (C_INT, C_FLOAT, C_BOOL) or a string; no-ops otherwise. */
double gx_cell_num(struct gx_cell *c);
void gx_cell_str(struct gx_frame *f, struct gx_cell *c);

/*
 * Scan one NDJSON line (an object) into the current row: every key becomes
 * a cell of its column (created on first sight, unless the frame is
 * fixed).  Returns 0, or -1 with a reason in err for text that is not one
 * JSON object (a lone UTF-16 surrogate escape, or two "_table" keys, count
 * as such).  Nested values are checked and kept as text.  A "_table"
 * string (the routing tag of rows for several tables) is also left in
 * f->route, decoded into a buffer of the frame (text is not touched).
 * Decoding a string later may rewrite the bytes of text in place (never
 * longer).
 */
int gx_scan_line(struct gx_frame *f, const char *text, size_t len, char *err, size_t errsz);

/* ---- a growing byte buffer ---- */
struct sbuf { char *p; size_t n, cap; };
void sb_add(struct sbuf *b, const void *s, size_t n);
void sb_addc(struct sbuf *b, char c);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s[0..n) (UTF-8) as a JSON string. */
void sb_json_str(struct sbuf *b, const char *s, size_t n);
/* The cell as JSON text (its raw text when it has one; a string decoded). */
void sb_cell_json(struct sbuf *b, struct gx_frame *f, struct gx_cell *c);

/* ---- suites ---- */

enum gx_rf { RF_DEFAULT = -1, RF_BOOLEAN_ONLY, RF_BASIC, RF_SUMMARY, RF_COMPLETE };

struct gx_expect;   /* expect.c */

struct gx_suite {
	char *file;
	char *name;
	json_t *doc;             /* the whole suite file */
	json_t *suite_parameters;
	const char *table;       /* meta.table, or NULL (borrowed from doc) */
	struct gx_expect **ex;
	size_t nex;
};

/*
 * Read a suite file (1.x or 0.18 format).  An unreadable file, malformed
 * JSON or an unknown expectation type is a usage error (exit 2) naming
 * the file and the expectation.  Columns the expectations name are
 * registered in f.  rf_override (RF_DEFAULT for none) replaces every
 * expectation's result_format; partial_override > 0 its partial count.
 */
struct gx_suite *gx_suite_load(const char *path, struct gx_frame *f, int rf_override,
			       int partial_override);
void gx_suite_free(struct gx_suite *s);

/* Parse a result_format: a string, or {"result_format":..., "partial_unexpected_count":N}.
 * Returns 0, or -1 when it is not one. */
int gx_parse_rf(json_t *v, int *rf, int *partial);

/* The supported expectation types, NULL-terminated (for --help). */
extern const char *const gx_supported[];

/* ---- evaluation (expect.c) ---- */

/* Build the expectation of type with its kwargs (borrowed; kept).  NULL when
 * the type is unknown.  Bad kwargs make an expectation that reports
 * exception_info, not a NULL. */
struct gx_expect *gx_expect_new(const char *type, json_t *kwargs, json_t *meta,
				struct gx_frame *f, int rf_override, int partial_override);
void gx_expect_free(struct gx_expect *e);

/* Evaluate every expectation of s on the current row of f. */
void gx_feed(struct gx_suite *s, struct gx_frame *f);

/*
 * After the last row: the validation result of the suite in GX 1.x JSON
 * (new reference).  batch_meta (stolen, may be NULL) goes under meta.
 */
json_t *gx_finish(struct gx_suite *s, struct gx_frame *f, json_t *batch_meta);

/*
 * The stderr line of one failed result (an element of results[]):
 * "TYPE(COLUMN): what failed".  Returns new memory.
 */
char *gx_failure_line(const json_t *result);

/* The column name(s) an expectation is about, "a,b" for several; NULL for
 * table expectations.  Returns new memory. */
char *gx_kwargs_columns(const char *type, const json_t *kwargs);

/* ---- uniqueness with bounded memory (uniq.c) ---- */

struct gx_uniq;
/* budget: bytes of RAM for the sort buffer before a run spills to a temporary
 * file (at least 4 KiB: less is taken as 4 KiB). */
struct gx_uniq *gx_uniq_new(size_t budget);
/* The sorted runs spilled so far (for tests). */
size_t gx_uniq_runs(const struct gx_uniq *u);
/* Add one value: key (normalised bytes compared for equality), its row,
 * and its JSON text for the report. */
void gx_uniq_add(struct gx_uniq *u, const char *key, size_t keyn, unsigned long long row,
		 const char *json, size_t jsonn);
/* Every member of a group of equal keys with two or more rows, in no
 * particular order. */
typedef void (*gx_uniq_fn)(void *ctx, unsigned long long row, const char *json, size_t jsonn);
void gx_uniq_finish(struct gx_uniq *u, gx_uniq_fn fn, void *ctx);
void gx_uniq_free(struct gx_uniq *u);
/* The default budget: $GX_CHECK_SORT_BUFFER (bytes, at least 4 KiB) or 32 MiB. */
size_t gx_uniq_budget(void);

/* An unlinked temporary file in $TMPDIR (default /tmp), open for reading
 * and writing; failure dies with exit 70. */
FILE *gx_tmpfile(void);

/* ---- dates (dtparse.c) ---- */

/*
 * Python's datetime.strptime(s, fmt): 1 when s matches fmt exactly and is
 * a real date/time, 0 when not.  -1 when fmt has a directive we do not
 * support (then *bad names it).
 */
int gx_strptime(const char *s, size_t n, const char *fmt, const char **bad);
/* Whether fmt is usable (every directive known). */
int gx_strftime_ok(const char *fmt, const char **bad);
/* An approximation of dateutil.parser.parse(s) succeeding (see DEVIATIONS). */
int gx_dateutil_ok(const char *s, size_t n);

/* ---- output (json.c) ---- */

/* Write v as JSON (floats short and round-trip exact, as Python's json does). */
void gx_json_write(FILE *out, const json_t *v, int indent);
/* The same into new memory. */
char *gx_json_text(const json_t *v);

#endif
