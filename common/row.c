#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "row.h"
#include "timefmt.h"

struct row_parser {
	const struct schema_set *set;
	const struct table_schema *fixed;
	unsigned flags;
	json_t *root;            /* the current line's document */
	struct value *vals;      /* sized for the widest table */
	char (*ts)[TS_CANON_MAX];/* canonical timestamps, one slot per column */
	char **owned;            /* JSON column texts to free on the next call */
	size_t nowned, maxcols;
};

struct row_parser *row_parser_new(const struct schema_set *set,
				  const struct table_schema *fixed, unsigned flags)
{
	struct row_parser *p = xcalloc(1, sizeof *p);
	size_t i;

	p->set = set;
	p->fixed = fixed;
	p->flags = flags;
	for (i = 0; i < set->ntables; i++)
		if (set->tables[i].ncols > p->maxcols)
			p->maxcols = set->tables[i].ncols;
	p->vals = xcalloc(p->maxcols, sizeof *p->vals);
	p->ts = xcalloc(p->maxcols, sizeof *p->ts);
	p->owned = xcalloc(p->maxcols, sizeof *p->owned);
	return p;
}

static void release(struct row_parser *p)
{
	size_t i;

	for (i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	p->nowned = 0;
	if (p->root) {
		json_decref(p->root);
		p->root = NULL;
	}
}

void row_parser_free(struct row_parser *p)
{
	if (!p)
		return;
	release(p);
	free(p->vals);
	free(p->ts);
	free(p->owned);
	free(p);
}

static const char *kind_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction or exponent";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

/* Quote at most 40 bytes of a string value for a message. */
static void excerpt(char *buf, size_t sz, const char *s, size_t n)
{
	if (n > 40)
		snprintf(buf, sz, "'%.40s...'", s);
	else
		snprintf(buf, sz, "'%.*s'", (int)n, s);
}

#define FAIL(...) do { snprintf(err, errsz, __VA_ARGS__); return -1; } while (0)

static int convert(struct row_parser *p, const struct column *c, size_t ci, json_t *j,
		   struct value *v, char *err, size_t errsz)
{
	const char *tn = col_type_name(c->type);
	char ex[64];

	if (!j || json_is_null(j)) {
		if (c->required)
			FAIL("%s column '%s' is %s", "REQUIRED", c->name, j ? "null" : "missing");
		v->kind = V_NULL;
		return 0;
	}
	switch (c->type) {
	case T_STRING:
		if (!json_is_string(j))
			FAIL("column '%s' (%s): expected a string, found %s", c->name, tn, kind_name(j));
		v->kind = V_TEXT;
		v->s = json_string_value(j);
		v->n = json_string_length(j);
		return 0;
	case T_INT64:
		if (json_is_integer(j)) {
			v->kind = V_INT;
			v->i = json_integer_value(j);
			return 0;
		}
		if (json_is_real(j)) {
			/* 3.0 is a whole number and is taken; 1.5 is not. Beyond 2^53 a
			 * double no longer says which integer was meant. */
			double d = json_real_value(j);
			if (d != floor(d))
				FAIL("column '%s' (%s): %.17g is not a whole number", c->name, tn, d);
			if (fabs(d) > 9007199254740992.0)
				FAIL("column '%s' (%s): %.17g is too large to be exact; write it "
				     "without a fraction or exponent", c->name, tn, d);
			v->kind = V_INT;
			v->i = (long long)d;
			return 0;
		}
		FAIL("column '%s' (%s): expected an integer, found %s", c->name, tn, kind_name(j));
	case T_FLOAT64:
		if (!json_is_number(j))
			FAIL("column '%s' (%s): expected a number, found %s", c->name, tn, kind_name(j));
		v->kind = V_REAL;
		v->d = json_number_value(j);
		if (!isfinite(v->d))
			FAIL("column '%s' (%s): not a finite number", c->name, tn);
		return 0;
	case T_BOOL:
		if (!json_is_boolean(j))
			FAIL("column '%s' (%s): expected true or false, found %s", c->name, tn, kind_name(j));
		v->kind = V_INT;
		v->i = json_is_true(j);
		return 0;
	case T_DATE:
		if (!json_is_string(j))
			FAIL("column '%s' (%s): expected a \"YYYY-MM-DD\" string, found %s",
			     c->name, tn, kind_name(j));
		v->s = json_string_value(j);
		v->n = json_string_length(j);
		if (!date_valid(v->s, v->n)) {
			excerpt(ex, sizeof ex, v->s, v->n);
			FAIL("column '%s' (%s): %s is not a valid YYYY-MM-DD date", c->name, tn, ex);
		}
		v->kind = V_TEXT;
		return 0;
	case T_TIMESTAMP: {
		const char *why;
		if (!json_is_string(j))
			FAIL("column '%s' (%s): expected an RFC 3339 string, found %s",
			     c->name, tn, kind_name(j));
		v->n = timestamp_canon(json_string_value(j), json_string_length(j), p->ts[ci], &why);
		if (v->n == 0) {
			excerpt(ex, sizeof ex, json_string_value(j), json_string_length(j));
			FAIL("column '%s' (%s): %s: %s", c->name, tn, ex, why);
		}
		v->kind = V_TEXT;
		v->s = p->ts[ci];
		return 0;
	}
	case T_JSON: {
		char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!text)
			die(AELP_EXIT_SOFTWARE, "out of memory encoding column '%s'", c->name);
		p->owned[p->nowned++] = text;
		v->kind = V_TEXT;
		v->s = text;
		v->n = strlen(text);
		return 0;
	}
	}
	FAIL("column '%s': unsupported type", c->name);
}

int row_parse(struct row_parser *p, const char *text, size_t len,
	      struct row *out, char *err, size_t errsz)
{
	const struct table_schema *t = p->fixed;
	json_error_t jerr;
	json_t *tag;
	const char *nul;
	size_t i, known = 0;

	release(p);
	nul = memchr(text, '\0', len);
	if (nul)
		FAIL("NUL byte at column %zu", (size_t)(nul - text) + 1);
	p->root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!p->root) {
		if (strstr(jerr.text, "too big integer"))
			FAIL("integer out of INT64 range at column %d", jerr.column);
		if (strstr(jerr.text, "unable to decode byte") || strstr(jerr.text, "UTF-8"))
			FAIL("malformed JSON at column %d: invalid UTF-8 (%s)", jerr.column, jerr.text);
		FAIL("malformed JSON at column %d: %s", jerr.column, jerr.text);
	}
	if (!json_is_object(p->root))
		FAIL("expected a JSON object, found %s", kind_name(p->root));

	tag = json_object_get(p->root, "_table");
	if (tag) {
		if (!json_is_string(tag))
			FAIL("'_table' must be a string naming a table");
		known = 1;
	}
	if (!t) {
		if (!tag)
			FAIL("no '_table' field to route the row (or name the table as an argument)");
		t = schema_table(p->set, json_string_value(tag));
		if (!t) {
			char ex[64];
			excerpt(ex, sizeof ex, json_string_value(tag), json_string_length(tag));
			FAIL("'_table' names %s, which is not a table of the contract", ex);
		}
	} else if (tag && strcmp(json_string_value(tag), t->qname) != 0) {
		char ex[64];
		excerpt(ex, sizeof ex, json_string_value(tag), json_string_length(tag));
		FAIL("row is tagged '_table': %s but is being loaded into '%s'", ex, t->qname);
	}

	for (i = 0; i < t->ncols; i++) {
		json_t *j = json_object_get(p->root, t->cols[i].name);
		if (j)
			known++;
		if (convert(p, &t->cols[i], i, j, &p->vals[i], err, errsz) != 0)
			return -1;
	}
	if (known < json_object_size(p->root) && !(p->flags & ROW_IGNORE_UNKNOWN)) {
		const char *k;
		json_t *v;
		json_object_foreach(p->root, k, v) {
			if (strcmp(k, "_table") != 0 && schema_column(t, k) < 0) {
				char ex[64];
				excerpt(ex, sizeof ex, k, strlen(k));
				FAIL("unknown column %s: not in the schema of '%s' "
				     "(--ignore-unknown drops such fields)", ex, t->qname);
			}
		}
	}
	out->table = t;
	out->v = p->vals;
	return 0;
}
