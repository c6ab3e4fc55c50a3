/*
 * The expectations: one accumulator per expectation, fed row by row, and
 * the GX 1.x result object built at the end.  Semantics follow Great
 * Expectations 1.2.0 on the pandas engine (see tests/gx/DEVIATIONS.md for
 * where they differ and why).
 */
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "gx.h"
#include "ndjson.h"

enum ex_kind {
	X_COL_EXIST, X_TABLE_COLS, X_ROW_COUNT, X_NOT_NULL, X_NULL, X_BETWEEN, X_IN_SET,
	X_NOT_IN_SET, X_REGEX, X_UNIQUE, X_OF_TYPE, X_DATEUTIL, X_STRFTIME, X_COMPOUND_UNIQUE,
	X_PAIR_GT, X_MEAN, X_MIN, X_MAX, X_SUM
};

/* How an expectation reads rows. */
enum ex_class { K_TABLE, K_MAP, K_PAIR, K_MULTI, K_AGG };

static const struct {
	const char *name;
	enum ex_kind kind;
	enum ex_class cls;
} types[] = {
	{ "expect_column_to_exist", X_COL_EXIST, K_TABLE },
	{ "expect_table_columns_to_match_ordered_list", X_TABLE_COLS, K_TABLE },
	{ "expect_table_row_count_to_be_between", X_ROW_COUNT, K_TABLE },
	{ "expect_column_values_to_not_be_null", X_NOT_NULL, K_MAP },
	{ "expect_column_values_to_be_null", X_NULL, K_MAP },
	{ "expect_column_values_to_be_between", X_BETWEEN, K_MAP },
	{ "expect_column_values_to_be_in_set", X_IN_SET, K_MAP },
	{ "expect_column_values_to_not_be_in_set", X_NOT_IN_SET, K_MAP },
	{ "expect_column_values_to_match_regex", X_REGEX, K_MAP },
	{ "expect_column_values_to_be_unique", X_UNIQUE, K_MAP },
	{ "expect_column_values_to_be_of_type", X_OF_TYPE, K_MAP },
	{ "expect_column_values_to_be_dateutil_parseable", X_DATEUTIL, K_MAP },
	{ "expect_column_values_to_match_strftime_format", X_STRFTIME, K_MAP },
	{ "expect_compound_columns_to_be_unique", X_COMPOUND_UNIQUE, K_MULTI },
	{ "expect_column_pair_values_a_to_be_greater_than_b", X_PAIR_GT, K_PAIR },
	{ "expect_column_mean_to_be_between", X_MEAN, K_AGG },
	{ "expect_column_min_to_be_between", X_MIN, K_AGG },
	{ "expect_column_max_to_be_between", X_MAX, K_AGG },
	{ "expect_column_sum_to_be_between", X_SUM, K_AGG },
};
#define NTYPES (sizeof types / sizeof types[0])

const char *const gx_supported[] = {
	"expect_column_to_exist", "expect_table_columns_to_match_ordered_list",
	"expect_table_row_count_to_be_between", "expect_column_values_to_not_be_null",
	"expect_column_values_to_be_null", "expect_column_values_to_be_between",
	"expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set",
	"expect_column_values_to_match_regex", "expect_column_values_to_be_unique",
	"expect_column_values_to_be_of_type", "expect_column_values_to_be_dateutil_parseable",
	"expect_column_values_to_match_strftime_format", "expect_compound_columns_to_be_unique",
	"expect_column_pair_values_a_to_be_greater_than_b", "expect_column_mean_to_be_between",
	"expect_column_min_to_be_between", "expect_column_max_to_be_between",
	"expect_column_sum_to_be_between", NULL
};

/* ignore_row_if */
enum { IG_NEVER, IG_ALL, IG_ANY };

/* A bound: absent, a number, or a string (compared as Python compares str). */
struct bound {
	int kind;                /* 0 none, 1 number, 2 string */
	double d;
	const char *s;
};

/* A row_condition clause: COLUMN OP LITERAL. */
struct cond {
	long col;
	int op;                  /* '=' ==, '!' !=, '<', 'l' <=, '>', 'g' >= */
	struct gx_cell lit;
};

/* An unexpected value: its row and its JSON text. */
struct uval {
	unsigned long long row;
	char *json;
	size_t n;
};

struct ulist {
	struct uval *v;
	size_t n, cap;
};

struct gx_expect {
	enum ex_kind kind;
	enum ex_class cls;
	const char *type;
	json_t *kwargs, *meta;   /* borrowed from the suite document */
	char *exc_class, *exc_msg;   /* set when the expectation raised */
	int rf, partial;
	double mostly;
	long col, colb;
	long *cols;
	size_t ncols;
	struct bound min, max;
	int strict_min, strict_max, or_equal, ignore;
	/* value sets: sorted normalised keys */
	char **set;
	size_t *setn, nset;
	int set_none;
	regex_t re;
	int re_ok, re_all;
	const char *fmt, *type_;
	struct cond *cond;
	size_t ncond;
	/* accumulators */
	unsigned long long elements, nonnull, unexpected, missing;
	struct ulist part, all;
	/* regex on an inferred column: the verdicts if it ends float64, where
	 * pandas' str() of an int is "1.0" (forked at the first int) */
	int alt_on;
	unsigned long long alt_unexpected;
	struct ulist alt_part, alt_all;
	struct gx_uniq *u;
	/* aggregates */
	double sum;
	long long isum;
	int isum_ok, agg_str, agg_num, agg_bad;
	unsigned long long nvals;
	struct gx_cell best;     /* min or max so far (its text owned in bestbuf) */
	struct sbuf bestbuf;
	int has_best;
	struct sbuf tmp;
};

/* ---- small helpers ---- */

static void ex_raise(struct gx_expect *e, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void ex_raise(struct gx_expect *e, const char *cls, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	if (e->exc_msg)
		return;   /* the first exception wins, as in Python */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	e->exc_class = xstrdup(cls);
	e->exc_msg = xstrdup(buf);
}

static void ul_add(struct ulist *l, unsigned long long row, const char *json, size_t n)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n].row = row;
	l->v[l->n].json = xstrndup(json, n);
	l->v[l->n].n = n;
	l->n++;
}

static void ul_copy(struct ulist *to, const struct ulist *from)
{
	size_t i;
	memset(to, 0, sizeof *to);
	for (i = 0; i < from->n; i++)
		ul_add(to, from->v[i].row, from->v[i].json, from->v[i].n);
}

static void ul_free(struct ulist *l)
{
	size_t i;
	for (i = 0; i < l->n; i++)
		free(l->v[i].json);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int uval_cmp_row(const void *a, const void *b)
{
	const struct uval *x = a, *y = b;
	return x->row < y->row ? -1 : x->row > y->row;
}

/*
 * The key under which two values are equal as Python compares them inside
 * pandas (isin, duplicated): numbers by value (1 == 1.0 == True), strings
 * by their bytes, None equal to None.
 */
static void cell_key(struct sbuf *b, struct gx_frame *f, struct gx_cell *c)
{
	switch (c->kind) {
	case C_MISSING: case C_NULL: sb_addc(b, 'n'); break;
	case C_BOOL: case C_INT: case C_FLOAT: {
		double d = gx_cell_num(c);
		if (c->kind != C_FLOAT)
			sb_printf(b, "i%lld", c->i);
		else if (d == floor(d) && fabs(d) < 9.2e18)
			sb_printf(b, "i%lld", (long long)d);
		else
			sb_printf(b, "f%.17g", d);
		break;
	}
	case C_STR:
		gx_cell_str(f, c);
		sb_addc(b, 's');
		sb_add(b, c->s, c->n);
		break;
	default:
		sb_addc(b, 'o');
		sb_add(b, c->s, c->n);
		break;
	}
}

static void cell_json(struct sbuf *b, struct gx_frame *f, struct gx_cell *c)
{
	if (c->kind == C_STR)
		gx_cell_str(f, c);
	sb_cell_json(b, f, c);
}

/* A cell of the current row that we may decode (the frame owns it). */
static struct gx_cell *cellw(struct gx_frame *f, long id)
{
	return (struct gx_cell *)(uintptr_t)gx_cell(f, id);
}

static int key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

static int set_has(const struct gx_expect *e, const char *k, size_t n)
{
	size_t lo = 0, hi = e->nset;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = key_cmp(e->set[mid], e->setn[mid], k, n);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Python str ordering is code point order, which is UTF-8 byte order. */
static int str_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	return key_cmp(a, an, b, bn);
}

/* ---- building from kwargs ---- */

static const char *kw_str(struct gx_expect *e, const char *key, int required)
{
	json_t *v = json_object_get(e->kwargs, key);
	if (!v || json_is_null(v)) {
		if (required)
			ex_raise(e, "InvalidExpectationConfigurationError",
				 "%s requires the kwarg '%s'", e->type, key);
		return NULL;
	}
	if (!json_is_string(v)) {
		ex_raise(e, "InvalidExpectationConfigurationError", "kwarg '%s' must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

static int kw_bool(struct gx_expect *e, const char *key)
{
	json_t *v = json_object_get(e->kwargs, key);
	return v && json_is_true(v);
}

static long kw_column(struct gx_expect *e, struct gx_frame *f, const char *key)
{
	const char *s = kw_str(e, key, 1);
	return s ? gx_col_id(f, s, strlen(s)) : -1;
}

static void kw_bound(struct gx_expect *e, const char *key, struct bound *b)
{
	json_t *v = json_object_get(e->kwargs, key);
	memset(b, 0, sizeof *b);
	if (!v || json_is_null(v))
		return;
	if (json_is_number(v)) {
		b->kind = 1;
		b->d = json_number_value(v);
	} else if (json_is_boolean(v)) {
		b->kind = 1;
		b->d = json_is_true(v);
	} else if (json_is_string(v)) {
		b->kind = 2;
		b->s = json_string_value(v);
	} else {
		ex_raise(e, "InvalidExpectationConfigurationError",
			 "%s must be a number, a string or null (suite parameters are not supported)", key);
	}
}

int gx_parse_rf(json_t *v, int *rf, int *partial)
{
	static const char *const names[] = { "BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE" };
	const char *s;
	int i;

	if (json_is_object(v)) {
		json_t *p = json_object_get(v, "partial_unexpected_count");
		if (p && !json_is_null(p)) {
			if (!json_is_integer(p) || json_integer_value(p) < 0 || json_integer_value(p) > 1000000)
				return -1;
			*partial = (int)json_integer_value(p);
		}
		v = json_object_get(v, "result_format");
		if (!v)
			return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*rf = i;
			return 0;
		}
	return -1;
}

/*
 * A Python regex as POSIX ERE: the common escapes \d \D (and inside
 * classes), \n \t; non-capturing groups (?:...) become plain groups.
 * Lookarounds, lazy quantifiers and other (? forms are refused: -1.
 */
static int py_to_ere(const char *py, struct sbuf *out)
{
	const char *p = py;
	int in_class = 0, dash = 0;
	size_t class_start = 0;   /* where the current class's members begin in out */

	sb_add(out, "", 0);
	while (*p) {
		if (*p == '\\' && p[1]) {
			char ch = p[1];
			p += 2;
			if (ch == 'd')
				sb_add(out, in_class ? "0-9" : "[0-9]", in_class ? 3 : 5);
			else if (ch == 'D' && !in_class)
				sb_add(out, "[^0-9]", 6);
			else if (ch == 'n')
				sb_addc(out, '\n');
			else if (ch == 't')
				sb_addc(out, '\t');
			else if (ch == 'A' && !in_class)
				sb_addc(out, '^');
			else if (ch == 'Z' && !in_class)
				sb_addc(out, '$');
			else if (in_class && (ch == ']' || ch == '\\' || ch == '-' || ch == '^')) {
				/* In a POSIX class a backslash is literal and there are no escapes:
				 * '-' goes last (kept for the close), '^' anywhere but first. */
				if (ch == '\\')
					sb_addc(out, '\\');
				else if (ch == '-')
					dash = 1;
				else if (ch == '^' && out->n > class_start)
					sb_addc(out, '^');
				else
					return -1;
			} else if (in_class && ch == 'w') {
				sb_add(out, "[:alnum:]_", 10);
			} else if (in_class && ch == 's') {
				sb_add(out, "[:space:]", 9);
			} else if (in_class && (ch == 'W' || ch == 'S' || ch == 'D')) {
				return -1;   /* a negated class inside a class has no ERE form */
			} else {
				sb_addc(out, '\\');
				sb_addc(out, ch);
			}
			continue;
		}
		if (!in_class && *p == '(' && p[1] == '?') {
			if (p[2] != ':')
				return -1;
			sb_addc(out, '(');
			p += 3;
			continue;
		}
		if (!in_class && (*p == '*' || *p == '+' || *p == '?' || *p == '}') && p[1] == '?')
			return -1;   /* lazy quantifier */
		if (!in_class && *p == '[') {
			in_class = 1;
			dash = 0;
			sb_addc(out, *p++);
			if (*p == '^')
				sb_addc(out, *p++);
			class_start = out->n;
			if (*p == ']')
				sb_addc(out, *p++);
			continue;
		}
		if (in_class && *p == ']') {
			in_class = 0;
			if (dash)
				sb_addc(out, '-');
		}
		sb_addc(out, *p++);
	}
	return 0;
}

static void build_set(struct gx_expect *e, struct gx_frame *f, const char *key)
{
	json_t *vs = json_object_get(e->kwargs, key), *v;
	size_t i, j;
	struct sbuf b = { 0 };
	char **keys;
	size_t *lens;

	if (!vs || json_is_null(vs)) {
		e->set_none = 1;
		return;
	}
	if (!json_is_array(vs)) {
		ex_raise(e, "InvalidExpectationConfigurationError", "value_set must be a list");
		return;
	}
	keys = xcalloc(json_array_size(vs) + 1, sizeof *keys);
	lens = xcalloc(json_array_size(vs) + 1, sizeof *lens);
	json_array_foreach(vs, i, v) {
		struct gx_cell c = { 0 };
		c.decoded = 1;
		b.n = 0;
		if (json_is_null(v)) {
			c.kind = C_NULL;
		} else if (json_is_boolean(v)) {
			c.kind = C_BOOL; c.i = json_is_true(v); c.d = (double)c.i;
		} else if (json_is_integer(v)) {
			c.kind = C_INT; c.i = json_integer_value(v); c.d = (double)c.i;
		} else if (json_is_real(v)) {
			c.kind = C_FLOAT; c.d = json_real_value(v);
		} else if (json_is_string(v)) {
			c.kind = C_STR; c.s = json_string_value(v); c.n = json_string_length(v);
		} else {
			char *t = gx_json_text(v);
			c.kind = C_OBJECT; c.s = t; c.n = strlen(t);
			cell_key(&b, f, &c);
			free(t);
			goto keep;
		}
		cell_key(&b, f, &c);
keep:
		/* Keys may hold NUL bytes: store length-prefixed, compare with key_cmp. */
		keys[i] = xmalloc(b.n + 1);
		memcpy(keys[i], b.p, b.n);
		keys[i][b.n] = '\0';
		lens[i] = b.n;
	}
	/* Sort key indexes by key_cmp (insertion sort: value sets are small). */
	for (i = 1; i < json_array_size(vs); i++)
		for (j = i; j > 0 && key_cmp(keys[j - 1], lens[j - 1], keys[j], lens[j]) > 0; j--) {
			char *tk = keys[j]; size_t tl = lens[j];
			keys[j] = keys[j - 1]; lens[j] = lens[j - 1];
			keys[j - 1] = tk; lens[j - 1] = tl;
		}
	e->set = keys;
	e->setn = lens;
	e->nset = json_array_size(vs);
	free(b.p);
}

/* row_condition in pandas query syntax, the subset: NAME OP LITERAL [& ...]. */
static int parse_cond(struct gx_expect *e, struct gx_frame *f, const char *s)
{
	const char *p = s;
	for (;;) {
		struct cond c = { 0 };
		const char *n0;
		size_t nn;

		while (*p == ' ' || *p == '(') p++;
		if (*p == '`') {
			n0 = ++p;
			while (*p && *p != '`') p++;
			if (!*p) return -1;
			nn = (size_t)(p++ - n0);
		} else {
			n0 = p;
			while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')
				p++;
			nn = (size_t)(p - n0);
		}
		if (!nn) return -1;
		c.col = gx_col_id(f, n0, nn);
		while (*p == ' ') p++;
		if (p[0] == '=' && p[1] == '=') { c.op = '='; p += 2; }
		else if (p[0] == '!' && p[1] == '=') { c.op = '!'; p += 2; }
		else if (p[0] == '<' && p[1] == '=') { c.op = 'l'; p += 2; }
		else if (p[0] == '>' && p[1] == '=') { c.op = 'g'; p += 2; }
		else if (*p == '<' || *p == '>') c.op = *p++;
		else return -1;
		while (*p == ' ') p++;
		c.lit.decoded = 1;
		if (*p == '"' || *p == '\'') {
			char q = *p++;
			const char *v0 = p;
			while (*p && *p != q) p++;
			if (!*p) return -1;
			c.lit.kind = C_STR;
			c.lit.s = xstrndup(v0, (size_t)(p - v0));
			c.lit.n = (size_t)(p - v0);
			p++;
		} else if (strncmp(p, "True", 4) == 0 || strncmp(p, "False", 5) == 0) {
			c.lit.kind = C_BOOL;
			c.lit.i = *p == 'T';
			c.lit.d = (double)c.lit.i;
			p += *p == 'T' ? 4 : 5;
		} else if (strncmp(p, "None", 4) == 0) {
			c.lit.kind = C_NULL;
			p += 4;
		} else {
			char *end;
			c.lit.d = strtod(p, &end);
			if (end == p) return -1;
			c.lit.kind = C_FLOAT;
			p = end;
		}
		while (*p == ' ' || *p == ')') p++;
		e->cond = xrealloc(e->cond, (e->ncond + 1) * sizeof *e->cond);
		e->cond[e->ncond++] = c;
		if (*p == '\0')
			return 0;
		if (*p == '&') p++;
		else if (strncmp(p, "and ", 4) == 0) p += 4;
		else return -1;
	}
}

static int cond_true(const struct cond *c, struct gx_frame *f)
{
	struct gx_cell *v = cellw(f, c->col);
	int cmp;

	if (gx_is_null(v) || c->lit.kind == C_NULL)
		return c->op == '!';   /* NaN compares false, != true */
	if (gx_is_num(v) && gx_is_num(&c->lit)) {
		double a = gx_cell_num(v), b = c->lit.d;
		cmp = a < b ? -1 : a > b;
	} else if (v->kind == C_STR && c->lit.kind == C_STR) {
		gx_cell_str(f, v);
		cmp = str_cmp(v->s, v->n, c->lit.s, c->lit.n);
	} else {
		return c->op == '!';   /* different types are never equal */
	}
	switch (c->op) {
	case '=': return cmp == 0;
	case '!': return cmp != 0;
	case '<': return cmp < 0;
	case 'l': return cmp <= 0;
	case '>': return cmp > 0;
	default: return cmp >= 0;
	}
}

struct gx_expect *gx_expect_new(const char *type, json_t *kwargs, json_t *meta,
				struct gx_frame *f, int rf_override, int partial_override)
{
	struct gx_expect *e;
	json_t *v;
	size_t t, i;
	const char *s;

	for (t = 0; t < NTYPES; t++)
		if (strcmp(types[t].name, type) == 0)
			break;
	if (t == NTYPES)
		return NULL;
	e = xcalloc(1, sizeof *e);
	e->kind = types[t].kind;
	e->cls = types[t].cls;
	e->type = types[t].name;
	e->kwargs = kwargs;
	e->meta = meta;
	e->col = e->colb = -1;
	e->rf = RF_BASIC;
	e->partial = 20;
	e->mostly = 1.0;
	e->isum_ok = 1;

	v = json_object_get(kwargs, "result_format");
	if (v && !json_is_null(v) && gx_parse_rf(v, &e->rf, &e->partial) != 0)
		ex_raise(e, "ValueError", "result_format must be one of BOOLEAN_ONLY, BASIC, SUMMARY, "
			 "COMPLETE, or an object with result_format and partial_unexpected_count");
	if (rf_override != RF_DEFAULT)
		e->rf = rf_override;
	if (partial_override >= 0)
		e->partial = partial_override;

	v = json_object_get(kwargs, "mostly");
	if (v && !json_is_null(v)) {
		if (!json_is_number(v))
			ex_raise(e, "ValueError", "mostly must be a number");
		else if (json_number_value(v) > 1)
			ex_raise(e, "ValidationError", "mostly: ensure this value is less than or equal to 1");
		else if (json_number_value(v) < 0)
			ex_raise(e, "ValidationError", "mostly: ensure this value is greater than or equal to 0");
		else
			e->mostly = json_number_value(v);
	}

	s = kw_str(e, "condition_parser", 0);
	if (s && strcmp(s, "pandas") != 0 && strcmp(s, "great_expectations") != 0 &&
	    strcmp(s, "spark") != 0)
		ex_raise(e, "ValueError", "'%s' is not a valid enumeration member of ConditionParser", s);
	v = json_object_get(kwargs, "row_condition");
	if (v && !json_is_null(v) && !e->exc_msg) {
		if (!json_is_string(v))
			ex_raise(e, "ValueError", "row_condition must be a string");
		else if (!s || strcmp(s, "pandas") != 0)
			ex_raise(e, "NotImplementedError", "row_condition is supported with condition_parser "
				 "\"pandas\" only");
		else if (parse_cond(e, f, json_string_value(v)) != 0)
			ex_raise(e, "NotImplementedError", "row_condition '%s': only COLUMN OP LITERAL "
				 "clauses joined by '&' are supported", json_string_value(v));
	}

	switch (e->cls) {
	case K_MAP:
	case K_AGG:
		e->col = kw_column(e, f, "column");
		break;
	case K_PAIR:
		e->col = kw_column(e, f, "column_A");
		e->colb = kw_column(e, f, "column_B");
		s = kw_str(e, "ignore_row_if", 0);
		e->ignore = IG_ALL;
		if (s && strcmp(s, "either_value_is_missing") == 0)
			e->ignore = IG_ANY;
		else if (s && strcmp(s, "neither") == 0)
			e->ignore = IG_NEVER;
		else if (s && strcmp(s, "both_values_are_missing") != 0)
			ex_raise(e, "ValueError", "unknown ignore_row_if '%s'", s);
		e->or_equal = kw_bool(e, "or_equal");
		break;
	case K_MULTI:
		v = json_object_get(kwargs, "column_list");
		if (!json_is_array(v) || json_array_size(v) == 0) {
			ex_raise(e, "InvalidExpectationConfigurationError", "column_list must be a non-empty list");
			break;
		}
		e->cols = xcalloc(json_array_size(v), sizeof *e->cols);
		for (i = 0; i < json_array_size(v); i++) {
			json_t *c = json_array_get(v, i);
			if (!json_is_string(c)) {
				ex_raise(e, "InvalidExpectationConfigurationError", "column_list must hold strings");
				break;
			}
			e->cols[e->ncols++] = gx_col_id(f, json_string_value(c), json_string_length(c));
		}
		s = kw_str(e, "ignore_row_if", 0);
		e->ignore = IG_ALL;
		if (s && strcmp(s, "any_value_is_missing") == 0)
			e->ignore = IG_ANY;
		else if (s && strcmp(s, "never") == 0)
			e->ignore = IG_NEVER;
		else if (s && strcmp(s, "all_values_are_missing") != 0)
			ex_raise(e, "ValueError", "unknown ignore_row_if '%s'", s);
		e->u = gx_uniq_new(gx_uniq_budget());
		break;
	case K_TABLE:
		break;
	}

	switch (e->kind) {
	case X_COL_EXIST:
		e->col = kw_column(e, f, "column");
		break;
	case X_ROW_COUNT:
		for (i = 0; i < 2; i++) {
			json_t *b = json_object_get(kwargs, i ? "max_value" : "min_value");
			if (b && !json_is_null(b) && !json_is_integer(b))
				ex_raise(e, "ValueError", "min_value and max_value must be integers");
		}
		kw_bound(e, "min_value", &e->min);
		kw_bound(e, "max_value", &e->max);
		if (e->min.kind && e->max.kind && e->min.d > e->max.d)
			ex_raise(e, "ValueError", "Minimum Threshold cannot be larger than Maximum Threshold");
		break;
	case X_BETWEEN:
	case X_MEAN: case X_MIN: case X_MAX: case X_SUM:
		kw_bound(e, "min_value", &e->min);
		kw_bound(e, "max_value", &e->max);
		e->strict_min = kw_bool(e, "strict_min");
		e->strict_max = kw_bool(e, "strict_max");
		if (e->kind == X_BETWEEN && !e->min.kind && !e->max.kind)
			ex_raise(e, "ValueError", "min_value and max_value cannot both be None");
		if (e->min.kind && e->min.kind == e->max.kind &&
		    (e->min.kind == 1 ? e->min.d > e->max.d : strcmp(e->min.s, e->max.s) > 0))
			ex_raise(e, "ValueError", "min_value cannot be greater than max_value");
		break;
	case X_IN_SET:
	case X_NOT_IN_SET:
		build_set(e, f, "value_set");
		break;
	case X_REGEX:
		s = kw_str(e, "regex", 1);
		if (s && !*s) {
			e->re_all = 1;
		} else if (s) {
			struct sbuf b = { 0 };
			int rc;
			if (py_to_ere(s, &b) != 0) {
				ex_raise(e, "NotImplementedError", "regex '%s' uses a Python feature that POSIX "
					 "ERE lacks (lookaround, lazy quantifier or (?...) group)", s);
			} else if ((rc = regcomp(&e->re, b.p, REG_EXTENDED | REG_NOSUB)) != 0) {
				char why[256];
				regerror(rc, &e->re, why, sizeof why);
				ex_raise(e, "re.error", "regex '%s': %s", s, why);
			} else {
				e->re_ok = 1;
			}
			free(b.p);
		}
		break;
	case X_OF_TYPE:
		e->type_ = kw_str(e, "type_", 0);
		break;
	case X_STRFTIME: {
		const char *bad = NULL;
		e->fmt = kw_str(e, "strftime_format", 1);
		if (e->fmt && !gx_strftime_ok(e->fmt, &bad))
			ex_raise(e, "ValueError", "Unable to use provided strftime_format. '%s' is a bad "
				 "directive in format '%s'", bad ? bad : "?", e->fmt);
		break;
	}
	default:
		break;
	}
	return e;
}

void gx_expect_free(struct gx_expect *e)
{
	size_t i;
	if (!e)
		return;
	free(e->exc_class);
	free(e->exc_msg);
	free(e->cols);
	for (i = 0; i < e->nset; i++)
		free(e->set[i]);
	free(e->set);
	free(e->setn);
	if (e->re_ok)
		regfree(&e->re);
	for (i = 0; i < e->ncond; i++)
		if (e->cond[i].lit.kind == C_STR)
			free((char *)(uintptr_t)e->cond[i].lit.s);
	free(e->cond);
	ul_free(&e->part);
	ul_free(&e->all);
	ul_free(&e->alt_part);
	ul_free(&e->alt_all);
	gx_uniq_free(e->u);
	free(e->bestbuf.p);
	free(e->tmp.p);
	free(e);
}

/* ---- per row ---- */

static void unexpected(struct gx_expect *e, unsigned long long row, const char *json, size_t n)
{
	e->unexpected++;
	if (e->part.n < (size_t)e->partial)
		ul_add(&e->part, row, json, n);
	if (e->rf == RF_COMPLETE)
		ul_add(&e->all, row, json, n);
}

static void unexpected_cell(struct gx_expect *e, struct gx_frame *f, struct gx_cell *c)
{
	e->unexpected++;
	if (e->part.n < (size_t)e->partial || e->rf == RF_COMPLETE) {
		e->tmp.n = 0;
		cell_json(&e->tmp, f, c);
		e->unexpected--;
		unexpected(e, f->rowno, e->tmp.p, e->tmp.n);
	}
}

/* The other verdict of a regex (see alt_on): recorded as unexpected_cell does. */
static void alt_swap(struct gx_expect *e)
{
	unsigned long long u = e->unexpected;
	struct ulist p = e->part, a = e->all;
	e->unexpected = e->alt_unexpected;
	e->part = e->alt_part;
	e->all = e->alt_all;
	e->alt_unexpected = u;
	e->alt_part = p;
	e->alt_all = a;
}

static void alt_unexpected_cell(struct gx_expect *e, struct gx_frame *f, struct gx_cell *c)
{
	alt_swap(e);
	unexpected_cell(e, f, c);
	alt_swap(e);
}

/* re.search(s): the regex matches somewhere in s[0..n). */
static int py_search(struct gx_expect *e, const char *s, size_t n)
{
	regmatch_t m[1];
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)n;
	return regexec(&e->re, s ? s : "", 1, m, REG_STARTEND) == 0;
}

/* Python's str() of a value, for regex on non-strings (astype(str)).  In a
 * float64 column (as_float) an int is a float: 1 is "1.0", 10**16 "1e+16". */
static void py_str(struct sbuf *b, struct gx_frame *f, struct gx_cell *c, int as_float)
{
	char num[40];
	switch (c->kind) {
	case C_BOOL: sb_add(b, c->i ? "True" : "False", c->i ? 4 : 5); break;
	case C_INT:
		gx_cell_num(c);
		if (as_float && c->kind == C_INT)
			sb_add(b, num, fmt_real(num, (double)c->i));
		else if (c->kind == C_INT)
			sb_printf(b, "%lld", c->i);
		else   /* beyond 64 bits: read as a float */
			sb_add(b, num, fmt_real(num, c->d));
		break;
	case C_FLOAT: {
		size_t k = fmt_real(num, gx_cell_num(c));
		sb_add(b, num, k);
		break;
	}
	case C_STR: gx_cell_str(f, c); sb_add(b, c->s, c->n); break;
	default: sb_add(b, c->s, c->n); break;
	}
}

/* 1 when the value's Python type is an instance of the type named t. */
static int value_is_type(const struct gx_cell *c, const char *t)
{
	if (!strcmp(t, "int") || !strcmp(t, "integer") || !strcmp(t, "int64") || !strcmp(t, "int32") ||
	    !strcmp(t, "Int64") || !strcmp(t, "long"))
		return c->kind == C_INT || c->kind == C_BOOL;   /* bool is an int in Python */
	if (!strcmp(t, "float") || !strcmp(t, "float64") || !strcmp(t, "double") || !strcmp(t, "float32"))
		return c->kind == C_FLOAT;
	if (!strcmp(t, "str") || !strcmp(t, "string") || !strcmp(t, "unicode") || !strcmp(t, "str_"))
		return c->kind == C_STR;
	if (!strcmp(t, "bool") || !strcmp(t, "boolean") || !strcmp(t, "bool_"))
		return c->kind == C_BOOL;
	if (!strcmp(t, "list"))
		return c->kind == C_ARRAY;
	if (!strcmp(t, "dict"))
		return c->kind == C_OBJECT;
	return 0;
}

static int is_object_type(const char *t)
{
	return t && (!strcmp(t, "object") || !strcmp(t, "object_") || !strcmp(t, "O"));
}

/* -1/0/1 comparing a value with a bound, or -2 when their types differ (TypeError). */
static int cmp_bound(struct gx_frame *f, struct gx_cell *c, const struct bound *b)
{
	if (gx_is_num(c) && b->kind == 1) {
		double d = gx_cell_num(c);
		return d < b->d ? -1 : d > b->d;
	}
	if (c->kind == C_STR && b->kind == 2) {
		gx_cell_str(f, c);
		return str_cmp(c->s, c->n, b->s, strlen(b->s));
	}
	return -2;
}

static int between_ok(struct gx_expect *e, struct gx_frame *f, struct gx_cell *c)
{
	int lo = 1, hi = 1, k;
	if (e->min.kind) {
		k = cmp_bound(f, c, &e->min);
		if (k == -2)
			goto type_error;
		lo = e->strict_min ? k > 0 : k >= 0;
	}
	if (e->max.kind) {
		k = cmp_bound(f, c, &e->max);
		if (k == -2)
			goto type_error;
		hi = e->strict_max ? k < 0 : k <= 0;
	}
	return lo && hi;
type_error:
	ex_raise(e, "TypeError", "Column values, min_value, and max_value must either be None or of the same type.");
	return 1;
}

static void feed_map(struct gx_expect *e, struct gx_frame *f)
{
	struct gx_cell *c = cellw(f, e->col);
	int bad = 0;

	if (e->kind == X_NOT_NULL || e->kind == X_NULL) {
		int isnull = gx_is_null(c);
		if (!isnull)
			e->nonnull++;
		if (isnull == (e->kind == X_NOT_NULL))
			unexpected_cell(e, f, c);
		return;
	}
	if (gx_is_null(c))
		return;
	e->nonnull++;
	switch (e->kind) {
	case X_BETWEEN:
		bad = !between_ok(e, f, c);
		break;
	case X_IN_SET:
	case X_NOT_IN_SET:
		if (e->set_none)
			break;
		e->tmp.n = 0;
		cell_key(&e->tmp, f, c);
		bad = set_has(e, e->tmp.p, e->tmp.n) == (e->kind == X_NOT_IN_SET);
		break;
	case X_REGEX:
		if (e->re_all || !e->re_ok)
			break;
		if (c->kind == C_STR) {
			gx_cell_str(f, c);
			bad = !py_search(e, c->s, c->n);
		} else {
			enum gx_dtype decl = f->cols[e->col].declared;
			e->tmp.n = 0;
			py_str(&e->tmp, f, c, decl == DT_FLOAT64);
			bad = !py_search(e, e->tmp.p, e->tmp.n);
			if (c->kind == C_INT && decl == DT_AUTO) {
				/* Whether pandas makes the column float64 shows only at the
				 * end: keep the verdicts of "1.0" too, from the first int on. */
				int bad_f;
				e->tmp.n = 0;
				py_str(&e->tmp, f, c, 1);
				bad_f = !py_search(e, e->tmp.p, e->tmp.n);
				if (!e->alt_on) {
					e->alt_on = 1;
					e->alt_unexpected = e->unexpected;
					ul_copy(&e->alt_part, &e->part);
					ul_copy(&e->alt_all, &e->all);
				}
				if (bad_f)
					alt_unexpected_cell(e, f, c);
				if (bad)
					unexpected_cell(e, f, c);
				return;
			}
		}
		if (bad && e->alt_on)
			alt_unexpected_cell(e, f, c);
		break;
	case X_UNIQUE:
		e->tmp.n = 0;
		cell_key(&e->tmp, f, c);
		{
			size_t kn = e->tmp.n;
			cell_json(&e->tmp, f, c);
			if (!e->u)
				e->u = gx_uniq_new(gx_uniq_budget());
			gx_uniq_add(e->u, e->tmp.p, kn, f->rowno, e->tmp.p + kn, e->tmp.n - kn);
		}
		break;
	case X_OF_TYPE:
		bad = e->type_ && !is_object_type(e->type_) && !value_is_type(c, e->type_);
		break;
	case X_DATEUTIL:
		if (c->kind != C_STR) {
			ex_raise(e, "TypeError", "Values passed to expect_column_values_to_be_dateutil_parseable "
				 "must be of type string.\nIf you want to validate a column of dates or "
				 "timestamps, please call the expectation before converting from string format.");
			break;
		}
		gx_cell_str(f, c);
		bad = !gx_dateutil_ok(c->s, c->n);
		break;
	case X_STRFTIME:
		if (c->kind != C_STR) {
			ex_raise(e, "TypeError", "Values passed to expect_column_values_to_match_strftime_format "
				 "must be of type string.\nIf you want to validate a column of dates or "
				 "timestamps, please call the expectation before converting from string format.");
			break;
		}
		gx_cell_str(f, c);
		bad = gx_strptime(c->s, c->n, e->fmt, NULL) != 1;
		break;
	default:
		break;
	}
	if (bad)
		unexpected_cell(e, f, c);
}

static void feed_pair(struct gx_expect *e, struct gx_frame *f)
{
	struct gx_cell *a = cellw(f, e->col), *b = cellw(f, e->colb);
	int na = gx_is_null(a), nb = gx_is_null(b), ok, k;

	if ((e->ignore == IG_ALL && na && nb) || (e->ignore == IG_ANY && (na || nb))) {
		e->missing++;
		return;
	}
	e->nonnull++;
	if (na || nb) {
		ok = 0;   /* a comparison with NaN is False */
	} else if (gx_is_num(a) && gx_is_num(b)) {
		double x = gx_cell_num(a), y = gx_cell_num(b);
		ok = e->or_equal ? x >= y : x > y;
	} else if (a->kind == C_STR && b->kind == C_STR) {
		gx_cell_str(f, a);
		gx_cell_str(f, b);
		k = str_cmp(a->s, a->n, b->s, b->n);
		ok = e->or_equal ? k >= 0 : k > 0;
	} else {
		ex_raise(e, "TypeError", "'>' not supported between the values of '%s' and '%s'",
			 f->cols[e->col].name, f->cols[e->colb].name);
		return;
	}
	if (!ok) {
		e->unexpected++;
		if (e->part.n < (size_t)e->partial || e->rf == RF_COMPLETE) {
			e->tmp.n = 0;
			sb_addc(&e->tmp, '[');
			cell_json(&e->tmp, f, a);
			sb_addc(&e->tmp, ',');
			cell_json(&e->tmp, f, b);
			sb_addc(&e->tmp, ']');
			e->unexpected--;
			unexpected(e, f->rowno, e->tmp.p, e->tmp.n);
		}
	}
}

static void feed_multi(struct gx_expect *e, struct gx_frame *f)
{
	size_t i, nnull = 0, kn;
	struct sbuf *b = &e->tmp;

	for (i = 0; i < e->ncols; i++)
		nnull += gx_is_null(gx_cell(f, e->cols[i]));
	if ((e->ignore == IG_ALL && nnull == e->ncols) || (e->ignore == IG_ANY && nnull)) {
		e->missing++;
		return;
	}
	e->nonnull++;
	b->n = 0;
	for (i = 0; i < e->ncols; i++) {
		size_t at = b->n;
		unsigned len;
		sb_add(b, "\0\0\0\0", 4);
		cell_key(b, f, cellw(f, e->cols[i]));
		len = (unsigned)(b->n - at - 4);
		memcpy(b->p + at, &len, 4);
	}
	kn = b->n;
	sb_addc(b, '{');
	for (i = 0; i < e->ncols; i++) {
		if (i)
			sb_addc(b, ',');
		sb_json_str(b, f->cols[e->cols[i]].name, f->cols[e->cols[i]].namelen);
		sb_addc(b, ':');
		cell_json(b, f, cellw(f, e->cols[i]));
	}
	sb_addc(b, '}');
	gx_uniq_add(e->u, b->p, kn, f->rowno, b->p + kn, b->n - kn);
}

static void feed_agg(struct gx_expect *e, struct gx_frame *f)
{
	struct gx_cell *c = cellw(f, e->col);
	int better;

	if (gx_is_null(c))
		return;
	e->nvals++;
	if (gx_is_num(c)) {
		double d = gx_cell_num(c);
		e->agg_num = 1;
		e->sum += d;
		if (c->kind == C_FLOAT || __builtin_add_overflow(e->isum, c->i, &e->isum))
			e->isum_ok = 0;
	} else if (c->kind == C_STR) {
		e->agg_str = 1;
		gx_cell_str(f, c);
	} else {
		e->agg_bad = 1;
		return;
	}
	if ((e->kind != X_MIN && e->kind != X_MAX) || (e->agg_str && e->agg_num))
		return;
	if (!e->has_best) {
		better = 1;
	} else if (c->kind == C_STR) {
		int k = str_cmp(c->s, c->n, e->best.s, e->best.n);
		better = e->kind == X_MIN ? k < 0 : k > 0;
	} else {
		double d = gx_cell_num(c);
		better = e->kind == X_MIN ? d < e->best.d : d > e->best.d;
	}
	if (better) {
		e->has_best = 1;
		e->bestbuf.n = 0;
		if (c->kind == C_STR)
			sb_add(&e->bestbuf, c->s, c->n);
		e->best = *c;
		e->best.raw = NULL;
		if (c->kind == C_STR)
			e->best.s = e->bestbuf.p;
	}
}

void gx_feed(struct gx_suite *s, struct gx_frame *f)
{
	size_t i, k;

	for (i = 0; i < s->nex; i++) {
		struct gx_expect *e = s->ex[i];
		if (e->exc_msg)
			continue;
		for (k = 0; k < e->ncond; k++)
			if (!cond_true(&e->cond[k], f))
				break;
		if (k < e->ncond)
			continue;
		e->elements++;
		switch (e->cls) {
		case K_MAP: feed_map(e, f); break;
		case K_PAIR: feed_pair(e, f); break;
		case K_MULTI: feed_multi(e, f); break;
		case K_AGG: feed_agg(e, f); break;
		case K_TABLE: break;
		}
	}
}

/* ---- results ---- */

static json_t *val_json(const char *s, size_t n)
{
	json_error_t je;
	json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	return v ? v : json_stringn(s, n);
}

static int col_float(const struct gx_frame *f, long id)
{
	return id >= 0 && gx_col_dtype(f, id) == DT_FLOAT64;
}

/* An int as the float pandas holds in a float64 column (steals v). */
static json_t *as_float(json_t *v)
{
	json_t *r;
	if (!json_is_integer(v))
		return v;
	r = json_real((double)json_integer_value(v));
	json_decref(v);
	return r;
}

/* A reported value as GX reports it: what a float64 column holds is a
 * float, so an int read into one is 1.0 (steals v, returns it or its
 * replacement). */
static json_t *report_value(const struct gx_expect *e, const struct gx_frame *f, json_t *v)
{
	size_t i;
	switch (e->cls) {
	case K_MAP:
		return col_float(f, e->col) ? as_float(v) : v;
	case K_PAIR:   /* [a, b] */
		for (i = 0; json_is_array(v) && i < json_array_size(v) && i < 2; i++)
			if (col_float(f, i ? e->colb : e->col))
				json_array_set_new(v, i, as_float(json_incref(json_array_get(v, i))));
		return v;
	case K_MULTI:  /* {column: value, ...} */
		for (i = 0; json_is_object(v) && i < e->ncols; i++) {
			const char *name = f->cols[e->cols[i]].name;
			json_t *x = json_object_get(v, name);
			if (x && col_float(f, e->cols[i]))
				json_object_set_new(v, name, as_float(json_incref(x)));
		}
		return v;
	default:
		return v;
	}
}

static json_t *list_json(const struct gx_expect *e, const struct gx_frame *f, const struct uval *v, size_t n)
{
	json_t *a = json_array();
	size_t i;
	for (i = 0; i < n; i++)
		json_array_append_new(a, report_value(e, f, val_json(v[i].json, v[i].n)));
	return a;
}

static json_t *index_json(const struct uval *v, size_t n)
{
	json_t *a = json_array();
	size_t i;
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i].row));
	return a;
}

static json_t *pct(unsigned long long a, unsigned long long b)
{
	return b ? json_real((double)a / (double)b * 100.0) : json_null();
}

/* Order of values for partial_unexpected_counts: -1/0/1, or 2 when Python
 * could not compare them (a TypeError there). */
static int py_cmp(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		double x = json_number_value(a), y = json_number_value(b);
		return x < y ? -1 : x > y;
	}
	if (json_is_string(a) && json_is_string(b))
		return str_cmp(json_string_value(a), json_string_length(a), json_string_value(b),
			       json_string_length(b));
	if (json_is_null(a) && json_is_null(b))
		return 0;
	if (json_is_array(a) && json_is_array(b)) {
		size_t i;
		for (i = 0; i < json_array_size(a) && i < json_array_size(b); i++) {
			int k = py_cmp(json_array_get(a, i), json_array_get(b, i));
			if (k)
				return k;
		}
		return json_array_size(a) < json_array_size(b) ? -1 : json_array_size(a) > json_array_size(b);
	}
	return 2;
}

/* SUMMARY's partial_unexpected_counts: value and count, by -count then value. */
static void add_counts(const struct gx_expect *e, const struct gx_frame *f, json_t *res,
		       const struct ulist *l)
{
	json_t *vals = list_json(e, f, l->v, l->n), *out = json_array();
	size_t *cnt = xcalloc(l->n + 1, sizeof *cnt), *ord = xcalloc(l->n + 1, sizeof *ord);
	size_t i, j, nd = 0;
	int err = 0;

	for (i = 0; i < l->n && !err; i++) {
		json_t *v = json_array_get(vals, i);
		if (json_is_object(v) || json_is_null(v)) {
			/* A dict is not hashable; None sorts with nothing. */
			err = json_is_object(v);
		}
		for (j = 0; j < nd; j++)
			if (json_equal(json_array_get(vals, ord[j]), v))
				break;
		if (j == nd)
			ord[nd++] = i;
		cnt[j]++;
	}
	for (i = 1; i < nd && !err; i++)
		for (j = i; j > 0; j--) {
			int k = cnt[j - 1] != cnt[j] ? (cnt[j - 1] < cnt[j] ? 1 : -1)
						    : py_cmp(json_array_get(vals, ord[j - 1]), json_array_get(vals, ord[j]));
			size_t t;
			if (k == 2 && cnt[j - 1] == cnt[j]) {
				err = 1;
				break;
			}
			if (k <= 0)
				break;
			t = ord[j]; ord[j] = ord[j - 1]; ord[j - 1] = t;
			t = cnt[j]; cnt[j] = cnt[j - 1]; cnt[j - 1] = t;
		}
	if (err) {
		json_object_set_new(res, "details", json_pack("{s:s}", "partial_unexpected_counts_error",
			"partial_unexpected_counts requested, but requires a hashable type"));
	} else {
		for (i = 0; i < nd; i++)
			json_array_append_new(out, json_pack("{s:O,s:I}", "value", json_array_get(vals, ord[i]),
							     "count", (json_int_t)cnt[i]));
	}
	json_object_set_new(res, "partial_unexpected_counts", out);
	json_decref(vals);
	free(cnt);
	free(ord);
}

/* _format_map_output: nonnull < 0 means "missing values are not tracked". */
static json_t *map_result(struct gx_expect *e, const struct gx_frame *f, unsigned long long element,
			  long long nonnull)
{
	json_t *r = json_object();
	unsigned long long u = e->unexpected;

	if (e->rf == RF_BOOLEAN_ONLY)
		return r;
	json_object_set_new(r, "element_count", json_integer((json_int_t)element));
	json_object_set_new(r, "unexpected_count", json_integer((json_int_t)u));
	if (nonnull < 0)
		json_object_set_new(r, "unexpected_percent", element ? pct(u, element) : json_null());
	else
		json_object_set_new(r, "unexpected_percent", element ? pct(u, (unsigned long long)nonnull) : json_null());
	json_object_set_new(r, "partial_unexpected_list", list_json(e, f, e->part.v, e->part.n));
	if (nonnull >= 0) {
		unsigned long long missing = element - (unsigned long long)nonnull;
		json_object_set_new(r, "missing_count", json_integer((json_int_t)missing));
		json_object_set_new(r, "missing_percent", element ? pct(missing, element) : json_null());
		json_object_set_new(r, "unexpected_percent_total", element ? pct(u, element) : json_null());
		json_object_set_new(r, "unexpected_percent_nonmissing",
				    element ? pct(u, (unsigned long long)nonnull) : json_null());
	}
	if (e->rf == RF_BASIC)
		return r;
	json_object_set_new(r, "partial_unexpected_index_list", index_json(e->part.v, e->part.n));
	add_counts(e, f, r, &e->part);
	if (e->rf == RF_SUMMARY)
		return r;
	json_object_set_new(r, "unexpected_list", list_json(e, f, e->all.v, e->all.n));
	json_object_set_new(r, "unexpected_index_list", index_json(e->all.v, e->all.n));
	return r;
}

static int mostly_ok(const struct gx_expect *e, unsigned long long considered)
{
	if (considered == 0)
		return 1;   /* vacuously true */
	return ((double)considered - (double)e->unexpected) / (double)considered >= e->mostly;
}

/* Uniqueness: every member of a duplicated group is unexpected, reported in row order. */
static void on_dup(void *ctx, unsigned long long row, const char *json, size_t n)
{
	struct gx_expect *e = ctx;
	size_t i;

	e->unexpected++;
	if (e->rf == RF_COMPLETE)
		ul_add(&e->all, row, json, n);
	if (e->partial <= 0)
		return;
	/* Keep the `partial` smallest rows, sorted. */
	if (e->part.n == (size_t)e->partial) {
		if (row > e->part.v[e->part.n - 1].row)
			return;
		free(e->part.v[--e->part.n].json);
	}
	ul_add(&e->part, row, json, n);
	for (i = e->part.n - 1; i > 0 && e->part.v[i - 1].row > e->part.v[i].row; i--) {
		struct uval t = e->part.v[i];
		e->part.v[i] = e->part.v[i - 1];
		e->part.v[i - 1] = t;
	}
}

static json_t *bound_obs(const struct gx_cell *c)
{
	if (c->kind == C_INT)
		return json_integer(c->i);
	if (c->kind == C_BOOL)
		return json_boolean(c->i);
	if (c->kind == C_STR)
		return json_stringn(c->s, c->n);
	return isfinite(c->d) ? json_real(c->d) : json_null();
}

/* Aggregate bounds: min <= v <= max (strict with strict_min/_max); a string
 * bound against a number is parsed as a date by GX and fails there. */
static int agg_in_bounds(struct gx_expect *e, const struct gx_cell *v)
{
	int ok = 1, i;
	for (i = 0; i < 2; i++) {
		const struct bound *b = i ? &e->max : &e->min;
		int k;
		if (!b->kind)
			continue;
		if (b->kind == 2 && v->kind != C_STR) {
			ex_raise(e, "ValueError", "%s '%s': invalid datetime format", i ? "max_value" : "min_value", b->s);
			return 0;
		}
		if (b->kind == 1 && v->kind == C_STR) {
			ex_raise(e, "TypeError", "'<=' not supported between instances of 'str' and a number");
			return 0;
		}
		if (v->kind == C_STR)
			k = str_cmp(v->s, v->n, b->s, strlen(b->s));
		else
			k = v->d < b->d ? -1 : v->d > b->d;
		if (i == 0)
			ok = ok && (e->strict_min ? k > 0 : k >= 0);
		else
			ok = ok && (e->strict_max ? k < 0 : k <= 0);
	}
	return ok;
}

static const char *dtype_obs(enum gx_dtype t)
{
	switch (t) {
	case DT_INT64: return "int64";
	case DT_FLOAT64: return "float64";
	case DT_BOOL: return "bool_";
	case DT_DATETIME: return "datetime64";
	case DT_DATETIMETZ: return "DatetimeTZDtypeType";
	default: return "object_";
	}
}

static int dtype_is(enum gx_dtype d, const char *t)
{
	switch (d) {
	case DT_INT64:
		return !strcmp(t, "int") || !strcmp(t, "int64") || !strcmp(t, "integer") || !strcmp(t, "long") ||
		       !strcmp(t, "Int64") || !strcmp(t, "int_") || !strcmp(t, "i8");
	case DT_FLOAT64:
		return !strcmp(t, "float") || !strcmp(t, "float64") || !strcmp(t, "double") ||
		       !strcmp(t, "float_") || !strcmp(t, "f8") || !strcmp(t, "Float64");
	case DT_BOOL:
		return !strcmp(t, "bool") || !strcmp(t, "boolean") || !strcmp(t, "bool_") || !strcmp(t, "?");
	case DT_DATETIME:
		return !strcmp(t, "datetime64") || !strcmp(t, "datetime64[ns]") || !strcmp(t, "M8[ns]") ||
		       !strcmp(t, "<M8[ns]");
	case DT_DATETIMETZ:
		return !strcmp(t, "DatetimeTZDtype");
	default:
		return is_object_type(t);
	}
}

static int column_missing(struct gx_expect *e, struct gx_frame *f, long id)
{
	if (id >= 0 && f->cols[id].order < 0) {
		ex_raise(e, "MetricResolutionError", "The column \"%s\" in BatchData does not exist.",
			 f->cols[id].name);
		return 1;
	}
	return 0;
}

/* The "result" of one expectation; sets *success. */
static json_t *finish_one(struct gx_expect *e, struct gx_frame *f, int *success)
{
	json_t *r = NULL, *cols;
	size_t i;
	long k;

	*success = 0;
	if (e->alt_on && col_float(f, e->col))
		alt_swap(e);   /* the column is float64: its ints read "1.0" */
	if (!e->exc_msg) {
		if (e->cls != K_TABLE || e->kind != X_COL_EXIST) {
			column_missing(e, f, e->col);
			column_missing(e, f, e->colb);
			for (i = 0; i < e->ncols; i++)
				column_missing(e, f, e->cols[i]);
		}
	}
	if (e->u && !e->exc_msg) {
		gx_uniq_finish(e->u, on_dup, e);
		if (e->rf == RF_COMPLETE && e->all.n > 1)   /* v is NULL when there are none */
			qsort(e->all.v, e->all.n, sizeof *e->all.v, uval_cmp_row);
	}
	if (e->cls == K_AGG && !e->exc_msg && (e->agg_bad || (e->agg_str && e->agg_num)))
		ex_raise(e, "TypeError", "column '%s' holds values that are not comparable", f->cols[e->col].name);
	if (e->kind == X_MEAN && !e->exc_msg && e->agg_str)
		ex_raise(e, "TypeError", "Could not convert the values of column '%s' to numeric",
			 f->cols[e->col].name);
	if (e->kind == X_SUM && !e->exc_msg && e->agg_str)
		ex_raise(e, "TypeError", "the sum of column '%s' needs numeric values", f->cols[e->col].name);
	if (e->exc_msg)
		return json_object();

	switch (e->kind) {
	case X_COL_EXIST:
		k = f->cols[e->col].order;
		*success = k >= 0;
		{
			json_t *ci = json_object_get(e->kwargs, "column_index");
			/* column_index is checked only when truthy, as GX does (0 is "not given"). */
			if (*success && ci && json_is_integer(ci) && json_integer_value(ci) != 0)
				*success = json_integer_value(ci) == k;
		}
		return json_object();
	case X_TABLE_COLS: {
		json_t *want = json_object_get(e->kwargs, "column_list"), *mism = json_array();
		size_t n = (size_t)f->nexist, wn;
		const char **names = xcalloc(n + 1, sizeof *names);
		cols = json_array();
		for (i = 0; i < f->ncols; i++)
			if (f->cols[i].order >= 0)
				names[f->cols[i].order] = f->cols[i].name;
		for (i = 0; i < n; i++)
			json_array_append_new(cols, json_string(names[i]));
		r = json_object();
		json_object_set_new(r, "observed_value", cols);
		if (!want || json_is_null(want)) {
			*success = 1;
		} else if (!json_is_array(want)) {
			ex_raise(e, "InvalidExpectationConfigurationError", "column_list must be a list");
		} else {
			wn = json_array_size(want);
			for (i = 0; i < (wn > n ? wn : n); i++) {
				json_t *w = i < wn ? json_array_get(want, i) : NULL;
				const char *got = i < n ? names[i] : NULL;
				if (w && got && json_is_string(w) && !strcmp(json_string_value(w), got))
					continue;
				json_array_append_new(mism, json_pack("{s:I,s:O,s:o}", "Expected Column Position",
					(json_int_t)i, "Expected", w ? w : json_null(), "Found",
					got ? json_string(got) : json_null()));
			}
			*success = json_array_size(mism) == 0;
			if (!*success)
				json_object_set_new(r, "details", json_pack("{s:O}", "mismatched", mism));
		}
		json_decref(mism);
		free(names);
		return r;
	}
	case X_ROW_COUNT:
		r = json_object();
		/* the rows fed: all of them, or those a row_condition kept */
		json_object_set_new(r, "observed_value", json_integer((json_int_t)e->elements));
		*success = (!e->min.kind || (double)e->elements >= e->min.d) &&
			   (!e->max.kind || (double)e->elements <= e->max.d);
		return r;
	case X_NOT_NULL:
	case X_NULL:
		*success = mostly_ok(e, e->elements);
		return map_result(e, f, e->elements, -1);
	case X_OF_TYPE: {
		enum gx_dtype d = gx_col_dtype(f, e->col);
		if (d == DT_OBJECT && e->type_ && !is_object_type(e->type_)) {
			*success = mostly_ok(e, e->nonnull);
			return map_result(e, f, e->elements, (long long)e->nonnull);
		}
		*success = !e->type_ || dtype_is(d, e->type_);
		r = json_object();
		json_object_set_new(r, "observed_value", json_string(dtype_obs(d)));
		return r;
	}
	case X_PAIR_GT:
	case X_COMPOUND_UNIQUE:
		*success = mostly_ok(e, e->elements - e->missing);
		return map_result(e, f, e->elements, (long long)(e->elements - e->missing));
	case X_MEAN: case X_MIN: case X_MAX: case X_SUM: {
		struct gx_cell obs = { C_FLOAT, 1, NULL, 0, 0, NAN, NULL, 0 };
		int have = e->nvals > 0;
		if (e->kind == X_MEAN && have)
			obs.d = e->sum / (double)e->nvals;
		else if (e->kind == X_SUM) {
			have = 1;   /* pandas' sum of nothing is 0 */
			if (e->isum_ok && (gx_col_dtype(f, e->col) == DT_INT64 || gx_col_dtype(f, e->col) == DT_BOOL ||
					   gx_col_dtype(f, e->col) == DT_OBJECT)) {
				obs.kind = C_INT;
				obs.i = e->isum;
				obs.d = (double)e->isum;
			} else {
				obs.d = e->sum;
			}
		} else if (have) {
			obs = e->best;
			if (obs.kind == C_BOOL) {
				obs.kind = C_INT;
			}
			if (obs.kind == C_INT && col_float(f, e->col))
				obs.kind = C_FLOAT;   /* pandas' min of a float64 column is a float */
		}
		r = json_object();
		json_object_set_new(r, "observed_value", have ? bound_obs(&obs) : json_null());
		if (!e->min.kind && !e->max.kind)
			*success = 1;
		else if (!have || (obs.kind != C_STR && !isfinite(obs.d)))
			*success = 0;
		else
			*success = agg_in_bounds(e, &obs);
		return r;
	}
	default:
		*success = mostly_ok(e, e->nonnull);
		return map_result(e, f, e->elements, (long long)e->nonnull);
	}
}

json_t *gx_finish(struct gx_suite *s, struct gx_frame *f, json_t *batch_meta)
{
	json_t *top = json_object(), *results = json_array(), *stats, *meta;
	size_t i, ok = 0;

	for (i = 0; i < s->nex; i++) {
		struct gx_expect *e = s->ex[i];
		json_t *one = json_object(), *cfg, *res, *exc;
		int success;

		res = finish_one(e, f, &success);
		if (e->exc_msg || e->rf == RF_BOOLEAN_ONLY) {
			/* BOOLEAN_ONLY: the verdict alone, for every kind of expectation */
			success = success && !e->exc_msg;
			json_decref(res);
			res = json_object();
		}
		cfg = json_object();
		json_object_set_new(cfg, "type", json_string(e->type));
		json_object_set(cfg, "kwargs", e->kwargs);
		json_object_set_new(cfg, "meta", e->meta ? json_incref(e->meta) : json_object());
		exc = json_object();
		json_object_set_new(exc, "raised_exception", json_boolean(e->exc_msg != NULL));
		if (e->exc_msg) {
			char *tb = xasprintf("Traceback (gx-check):\n  %s: %s", e->exc_class, e->exc_msg);
			json_object_set_new(exc, "exception_traceback", json_string(tb));
			json_object_set_new(exc, "exception_message", json_string(e->exc_msg));
			free(tb);
		} else {
			json_object_set_new(exc, "exception_traceback", json_null());
			json_object_set_new(exc, "exception_message", json_null());
		}
		json_object_set_new(one, "success", json_boolean(success));
		json_object_set_new(one, "expectation_config", cfg);
		json_object_set_new(one, "result", res);
		json_object_set_new(one, "meta", json_object());
		json_object_set_new(one, "exception_info", exc);
		json_array_append_new(results, one);
		ok += success != 0;
	}
	stats = json_object();
	json_object_set_new(stats, "evaluated_expectations", json_integer((json_int_t)s->nex));
	json_object_set_new(stats, "successful_expectations", json_integer((json_int_t)ok));
	json_object_set_new(stats, "unsuccessful_expectations", json_integer((json_int_t)(s->nex - ok)));
	json_object_set_new(stats, "success_percent", pct(ok, s->nex));
	meta = json_object();
	json_object_set_new(meta, "validator", json_string("gx-check"));
	json_object_set_new(meta, "gx_check_version", json_string(AELP_VERSION));
	json_object_set_new(meta, "great_expectations_semantics", json_string("1.2.0 (pandas engine)"));
	if (batch_meta)
		json_object_set_new(meta, "batch", batch_meta);
	json_object_set_new(top, "success", json_boolean(ok == s->nex));
	json_object_set_new(top, "results", results);
	json_object_set_new(top, "suite_name", json_string(s->name));
	json_object_set(top, "suite_parameters", s->suite_parameters);
	json_object_set_new(top, "statistics", stats);
	json_object_set_new(top, "meta", meta);
	return top;
}

char *gx_kwargs_columns(const char *type, const json_t *kwargs)
{
	const char *keys[] = { "column", "column_A", "column_B" };
	struct sbuf b = { 0 };
	json_t *v;
	size_t i;

	if (!type || strncmp(type, "expect_table_", 13) == 0)
		return NULL;
	for (i = 0; i < 3; i++) {
		v = json_object_get(kwargs, keys[i]);
		if (json_is_string(v)) {
			if (b.n)
				sb_addc(&b, ',');
			sb_add(&b, json_string_value(v), json_string_length(v));
		}
	}
	v = json_object_get(kwargs, "column_list");
	if (json_is_array(v) && !json_object_get(kwargs, "column")) {
		json_t *c;
		json_array_foreach(v, i, c) {
			if (!json_is_string(c))
				continue;
			if (b.n)
				sb_addc(&b, ',');
			sb_add(&b, json_string_value(c), json_string_length(c));
		}
	}
	return b.p;
}

char *gx_failure_line(const json_t *one)
{
	const json_t *cfg = json_object_get(one, "expectation_config");
	const json_t *res = json_object_get(one, "result");
	const json_t *exc = json_object_get(one, "exception_info");
	const char *type = json_string_value(json_object_get(cfg, "type"));
	char *cols = gx_kwargs_columns(type, json_object_get(cfg, "kwargs")), *line, *obs = NULL;
	const json_t *u = json_object_get(res, "unexpected_count");

	if (json_is_true(json_object_get(exc, "raised_exception"))) {
		line = xasprintf("%s(%s): raised %s", type, cols ? cols : "",
				 json_string_value(json_object_get(exc, "exception_message")));
	} else if (json_is_integer(u)) {
		long long n = json_integer_value(u);
		long long el = json_integer_value(json_object_get(res, "element_count"));
		long long miss = json_integer_value(json_object_get(res, "missing_count"));
		double p = json_number_value(json_object_get(res, "unexpected_percent"));
		line = xasprintf("%s(%s): %lld of %lld values unexpected (%.2f%%)", type, cols ? cols : "",
				 n, el - miss, p);
	} else if (json_object_get(res, "observed_value")) {
		obs = gx_json_text(json_object_get(res, "observed_value"));
		line = xasprintf("%s(%s): observed %s", type, cols ? cols : "", obs);
	} else {
		line = xasprintf("%s(%s): failed", type, cols ? cols : "");
	}
	free(cols);
	free(obs);
	return line;
}
