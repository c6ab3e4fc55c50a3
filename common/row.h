#ifndef AELP_ROW_H
#define AELP_ROW_H

#include <stddef.h>
#include <stdio.h>

#include "schema.h"

/*
 * The row path: one NDJSON line in, one typed row out, checked against its
 * table's schema.  Programs see only struct row; how the text is scanned
 * (a one-pass validating scanner, row.c) is private, so another scanner can
 * replace it without touching a program.
 *
 * Values are in their storage form: BOOL is V_INT 0/1; DATE, TIMESTAMP
 * (canonical UTC text, see timefmt.h), STRING and JSON (the value as
 * written, without white space outside strings) are V_TEXT.  A missing or null NULLABLE column is V_NULL.
 */

enum value_kind { V_NULL, V_INT, V_REAL, V_TEXT };

struct value {
	enum value_kind kind;
	long long i;
	double d;
	const char *s;           /* V_TEXT: UTF-8, not NUL-terminated in general */
	size_t n;
};

struct row {
	const struct table_schema *table;
	struct value *v;         /* table->ncols values, in schema order */
};

enum row_flags {
	ROW_IGNORE_UNKNOWN = 1   /* drop fields that are not columns instead of refusing */
};

struct row_parser;

/*
 * A parser for rows of `fixed`, or, when fixed is NULL, for rows routed by
 * their "_table" field to a table of set.  With a fixed table a "_table"
 * field, if present, must name that table.
 */
struct row_parser *row_parser_new(const struct schema_set *set,
				  const struct table_schema *fixed, unsigned flags);
void row_parser_free(struct row_parser *p);

/*
 * Parse and check one line.  On success returns 0 and fills *out, whose
 * values stay valid until the next call.  On failure returns -1 and writes
 * the reason (no file or line: the caller adds them) to err.
 */
int row_parse(struct row_parser *p, const char *text, size_t len,
	      struct row *out, char *err, size_t errsz);

/* A value as a number: V_REAL or V_INT, else NaN (null, text). */
double value_num(const struct value *v);
/* A value's text as a new string ("" for a non-text value); free it. */
char *value_str(const struct value *v);
/*
 * Write a stored value as JSON by its column's contract type (type < 0: by
 * the value alone): BOOL as true/false, FLOAT64 always a float, JSON text as
 * itself when it is one JSON value (else as a string).  Returns 0, or -1
 * when the text is not UTF-8 (then written with U+FFFD; the caller decides).
 */
int jw_value(FILE *f, const struct value *v, int type);

/* 1 when the value is text equal to s. */
int value_is(const struct value *v, const char *s);

/* 1 if s[0..n) is one well-formed JSON value (white space around allowed). */
int json_text_valid(const char *s, size_t n);

#endif
