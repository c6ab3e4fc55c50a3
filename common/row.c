/*
 * The row path.  A line is scanned once, left to right, by a small JSON
 * tokenizer that knows rows are flat objects: it validates the whole line
 * (grammar, UTF-8, escapes) and records each member's key and value span;
 * the values are then converted straight into their columns' storage form.
 * Only JSON-typed columns go through jansson, to store a compact canonical
 * text.  This replaced a per-line jansson parse, which spent most of a
 * load's time building and freeing a tree that was thrown away at once.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "ndjson.h"
#include "row.h"
#include "timefmt.h"

/* JSON nesting a value in a JSON column (or a skipped field) may have. */
#define MAX_DEPTH 512

enum tok { TK_STRING, TK_INT, TK_REAL, TK_TRUE, TK_FALSE, TK_NULL, TK_OBJECT, TK_ARRAY };

struct member {
	const char *key;         /* decoded key (in the line or the arena) */
	size_t keylen;
	enum tok kind;
	const char *val;         /* strings: decoded text; others: the raw span */
	size_t vallen;
	const char *raw;         /* the value's text as written */
	size_t rawlen;
	size_t col;              /* 1-based column offset of the value, for messages */
};

struct colmap {                  /* open addressing: column name -> index */
	size_t mask;
	long *slot;              /* -1 empty */
};

struct row_parser {
	const struct schema_set *set;
	const struct table_schema *fixed;
	const struct table_schema *last;   /* routed: the table the previous row named */
	unsigned flags;
	struct colmap *maps;     /* one per table of set */
	struct member *mem;
	size_t nmem, capmem;
	char *arena;             /* decoded strings that had escapes */
	size_t arenalen, arenacap;
	long *seen;              /* per column: member index + 1, or 0 */
	struct value *vals;
	char (*ts)[TS_CANON_MAX];
	char **owned;            /* JSON column texts to free on the next call */
	size_t nowned, maxcols;
};

static uint32_t hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void map_build(struct colmap *m, const struct table_schema *t)
{
	size_t size = 8, i;

	while (size < t->ncols * 2)
		size *= 2;
	m->mask = size - 1;
	m->slot = xmalloc(size * sizeof *m->slot);
	for (i = 0; i < size; i++)
		m->slot[i] = -1;
	for (i = 0; i < t->ncols; i++) {
		size_t h = hash(t->cols[i].name, strlen(t->cols[i].name)) & m->mask;
		while (m->slot[h] >= 0)
			h = (h + 1) & m->mask;
		m->slot[h] = (long)i;
	}
}

static long map_find(const struct colmap *m, const struct table_schema *t, const char *k, size_t n)
{
	size_t h = hash(k, n) & m->mask;

	while (m->slot[h] >= 0) {
		const char *name = t->cols[m->slot[h]].name;
		if (strncmp(name, k, n) == 0 && name[n] == '\0')
			return m->slot[h];
		h = (h + 1) & m->mask;
	}
	return -1;
}

struct row_parser *row_parser_new(const struct schema_set *set,
				  const struct table_schema *fixed, unsigned flags)
{
	struct row_parser *p = xcalloc(1, sizeof *p);
	size_t i;

	p->set = set;
	p->fixed = fixed;
	p->flags = flags;
	p->maps = xcalloc(set->ntables, sizeof *p->maps);
	for (i = 0; i < set->ntables; i++) {
		map_build(&p->maps[i], &set->tables[i]);
		if (set->tables[i].ncols > p->maxcols)
			p->maxcols = set->tables[i].ncols;
	}
	p->vals = xcalloc(p->maxcols, sizeof *p->vals);
	p->ts = xcalloc(p->maxcols, sizeof *p->ts);
	p->owned = xcalloc(p->maxcols, sizeof *p->owned);
	p->seen = xcalloc(p->maxcols, sizeof *p->seen);
	p->capmem = 64;
	p->mem = xcalloc(p->capmem, sizeof *p->mem);
	return p;
}

static void release(struct row_parser *p)
{
	size_t i;

	for (i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	p->nowned = 0;
	p->nmem = 0;
	p->arenalen = 0;
}

void row_parser_free(struct row_parser *p)
{
	size_t i;

	if (!p)
		return;
	release(p);
	for (i = 0; i < p->set->ntables; i++)
		free(p->maps[i].slot);
	free(p->maps);
	free(p->mem);
	free(p->arena);
	free(p->seen);
	free(p->vals);
	free(p->ts);
	free(p->owned);
	free(p);
}

/* ---- the tokenizer ---- */

struct scan {
	const char *start, *p, *end;
	char *err;
	size_t errsz;
	struct row_parser *rp;
};

#define FAIL(...) do { snprintf(err, errsz, __VA_ARGS__); return -1; } while (0)

static int bad(struct scan *s, const char *at, const char *why)
{
	snprintf(s->err, s->errsz, "malformed JSON at column %zu: %s", (size_t)(at - s->start) + 1, why);
	return -1;
}

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hex4(const char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];
		*v <<= 4;
		if (c >= '0' && c <= '9') *v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') *v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') *v |= (unsigned)(c - 'A' + 10);
		else return -1;
	}
	return 0;
}

static char *arena_reserve(struct row_parser *p, size_t n)
{
	if (p->arenacap - p->arenalen < n) {
		/* Spans already handed out point into the arena: never move it
		 * under them.  Size it for the whole line up front instead. */
		die(AELP_EXIT_SOFTWARE, "row arena too small (internal error)");
	}
	return p->arena + p->arenalen;
}

/*
 * Scan a string at s->p (on the opening quote).  Sets *out and *outlen to its
 * decoded text: a span of the line when it has no escapes, else a copy in
 * the arena.  When decode is 0 the text is only validated.
 */
static int scan_string(struct scan *s, const char **out, size_t *outlen, int decode)
{
	const char *q = ++s->p, *run;
	char *dst = NULL, *d0 = NULL;

	for (;;) {
		run = s->p;
		while (s->p < s->end) {
			unsigned char c = (unsigned char)*s->p;
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			s->p++;
		}
		if (dst) {
			memcpy(dst, run, (size_t)(s->p - run));
			dst += s->p - run;
		}
		if (s->p >= s->end)
			return bad(s, q - 1, "unterminated string");
		{
			unsigned char c = (unsigned char)*s->p;
			if (c == '"') {
				if (dst) {
					*out = d0;
					*outlen = (size_t)(dst - d0);
					s->rp->arenalen += *outlen;
				} else {
					*out = q;
					*outlen = (size_t)(s->p - q);
				}
				s->p++;
				return 0;
			}
			if (c < 0x20)
				return bad(s, s->p, "control character in a string (escape it)");
			if (c >= 0x80) {
				size_t n = utf8_len((const unsigned char *)s->p, (const unsigned char *)s->end);
				if (!n) {
					char why[64];
					snprintf(why, sizeof why, "invalid UTF-8 (byte 0x%02x)", c);
					return bad(s, s->p, why);
				}
				if (dst) {
					memcpy(dst, s->p, n);
					dst += n;
				}
				s->p += n;
				continue;
			}
		}
		/* A backslash: from here on, decode into the arena. */
		if (!dst && decode) {
			d0 = dst = arena_reserve(s->rp, (size_t)(s->end - q));
			memcpy(dst, q, (size_t)(s->p - q));
			dst += s->p - q;
		}
		if (s->end - s->p < 2)
			return bad(s, s->p, "unterminated escape");
		switch (s->p[1]) {
		case '"': case '\\': case '/':
			if (dst) *dst++ = s->p[1];
			s->p += 2;
			break;
		case 'b': if (dst) *dst++ = '\b'; s->p += 2; break;
		case 'f': if (dst) *dst++ = '\f'; s->p += 2; break;
		case 'n': if (dst) *dst++ = '\n'; s->p += 2; break;
		case 'r': if (dst) *dst++ = '\r'; s->p += 2; break;
		case 't': if (dst) *dst++ = '\t'; s->p += 2; break;
		case 'u': {
			unsigned cp, lo;
			const char *at = s->p;
			if (s->end - s->p < 6 || hex4(s->p + 2, &cp) != 0)
				return bad(s, at, "invalid \\u escape");
			s->p += 6;
			if (cp == 0)
				return bad(s, at, "\\u0000 is not allowed in a string");
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return bad(s, at, "invalid Unicode escape (a lone low surrogate)");
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
				    hex4(s->p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
					return bad(s, at, "invalid Unicode escape (an unpaired surrogate)");
				s->p += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			if (dst) {
				if (cp < 0x80) {
					*dst++ = (char)cp;
				} else if (cp < 0x800) {
					*dst++ = (char)(0xC0 | cp >> 6);
					*dst++ = (char)(0x80 | (cp & 0x3F));
				} else if (cp < 0x10000) {
					*dst++ = (char)(0xE0 | cp >> 12);
					*dst++ = (char)(0x80 | ((cp >> 6) & 0x3F));
					*dst++ = (char)(0x80 | (cp & 0x3F));
				} else {
					*dst++ = (char)(0xF0 | cp >> 18);
					*dst++ = (char)(0x80 | ((cp >> 12) & 0x3F));
					*dst++ = (char)(0x80 | ((cp >> 6) & 0x3F));
					*dst++ = (char)(0x80 | (cp & 0x3F));
				}
			}
			break;
		}
		default:
			return bad(s, s->p, "invalid escape");
		}
	}
}

/* A number per JSON's grammar; *kind is TK_INT when it has no fraction or exponent. */
static int scan_number(struct scan *s, enum tok *kind)
{
	const char *at = s->p;

	*kind = TK_INT;
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return bad(s, at, "invalid number");
	if (*s->p == '0') {
		s->p++;
	} else {
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		*kind = TK_REAL;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return bad(s, at, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		*kind = TK_REAL;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return bad(s, at, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	return 0;
}

static int scan_value(struct scan *s, enum tok *kind, const char **val, size_t *len, int depth,
		      int decode);

/* An object or array at s->p, validated and skipped; its span is the raw text. */
static int scan_nested(struct scan *s, int depth)
{
	char close = *s->p == '{' ? '}' : ']';
	int is_obj = close == '}';
	enum tok k;
	const char *v;
	size_t n;

	if (depth > MAX_DEPTH)
		return bad(s, s->p, "nested too deeply");
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (is_obj) {
			if (s->p >= s->end || *s->p != '"')
				return bad(s, s->p, "expected a string key");
			if (scan_string(s, &v, &n, 0) != 0)
				return -1;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return bad(s, s->p, "expected ':'");
			s->p++;
			skip_ws(s);
		}
		if (scan_value(s, &k, &v, &n, depth + 1, 0) != 0)
			return -1;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			skip_ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == close) {
			s->p++;
			return 0;
		}
		return bad(s, s->p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int scan_value(struct scan *s, enum tok *kind, const char **val, size_t *len, int depth,
		      int decode)
{
	const char *at = s->p;

	if (s->p >= s->end)
		return bad(s, s->p, "unexpected end of line");
	switch (*s->p) {
	case '"':
		*kind = TK_STRING;
		return scan_string(s, val, len, decode);
	case '{': case '[':
		*kind = *s->p == '{' ? TK_OBJECT : TK_ARRAY;
		if (scan_nested(s, depth) != 0)
			return -1;
		break;
	case 't': case 'f': case 'n': {
		static const struct { char c; const char *word; enum tok kind; } lits[] = {
			{ 't', "true", TK_TRUE }, { 'f', "false", TK_FALSE }, { 'n', "null", TK_NULL }
		};
		size_t i = 0, n;
		while (lits[i].c != *s->p)
			i++;
		n = strlen(lits[i].word);
		if ((size_t)(s->end - s->p) < n || memcmp(s->p, lits[i].word, n) != 0)
			return bad(s, s->p, "invalid token");
		s->p += n;
		*kind = lits[i].kind;
		break;
	}
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) {
			if (scan_number(s, kind) != 0)
				return -1;
			break;
		}
		return bad(s, s->p, "invalid token");
	}
	*val = at;
	*len = (size_t)(s->p - at);
	return 0;
}

static const char *tok_name(enum tok k)
{
	static const char *const names[] = {
		"a string", "an integer", "a number with a fraction or exponent", "a boolean",
		"a boolean", "null", "an object", "an array"
	};
	return names[k];
}

/* Tokenize the line into p->mem; the line must be one object and nothing else. */
static int scan_line(struct row_parser *p, const char *text, size_t len, char *err, size_t errsz)
{
	struct scan s = { text, text, text + len, err, errsz, p };
	struct member *m;
	enum tok kind;
	const char *v;
	size_t n;

	if (p->arenacap < len) {
		free(p->arena);
		p->arenacap = len < 4096 ? 4096 : len;
		p->arena = xmalloc(p->arenacap);
	}
	skip_ws(&s);
	if (s.p < s.end && *s.p != '{') {
		if (scan_value(&s, &kind, &v, &n, 0, 0) != 0)
			return -1;
		skip_ws(&s);
		if (s.p < s.end)
			return bad(&s, s.p, "extra text after the value");
		FAIL("expected a JSON object, found %s", tok_name(kind));
	}
	if (s.p >= s.end)
		return bad(&s, s.p, "empty line");
	s.p++;
	skip_ws(&s);
	if (s.p < s.end && *s.p == '}') {
		s.p++;
	} else {
		for (;;) {
			if (p->nmem == p->capmem) {
				p->capmem *= 2;
				p->mem = xrealloc(p->mem, p->capmem * sizeof *p->mem);
			}
			m = &p->mem[p->nmem];
			if (s.p >= s.end || *s.p != '"')
				return bad(&s, s.p, "expected a string key");
			if (scan_string(&s, &m->key, &m->keylen, 1) != 0)
				return -1;
			skip_ws(&s);
			if (s.p >= s.end || *s.p != ':')
				return bad(&s, s.p, "expected ':'");
			s.p++;
			skip_ws(&s);
			m->col = (size_t)(s.p - text) + 1;
			m->raw = s.p;
			if (scan_value(&s, &m->kind, &m->val, &m->vallen, 1, 1) != 0)
				return -1;
			m->rawlen = (size_t)(s.p - m->raw);
			p->nmem++;
			skip_ws(&s);
			if (s.p < s.end && *s.p == ',') {
				s.p++;
				skip_ws(&s);
				continue;
			}
			if (s.p < s.end && *s.p == '}') {
				s.p++;
				break;
			}
			return bad(&s, s.p, "expected ',' or '}'");
		}
	}
	skip_ws(&s);
	if (s.p < s.end)
		return bad(&s, s.p, "extra text after the object");
	return 0;
}

/* ---- conversion into columns ---- */

/* Quote at most 40 bytes of a text for a message: control characters
 * become '?', and a UTF-8 sequence is never cut in two. */
static void excerpt(char *buf, size_t sz, const char *s, size_t n)
{
	size_t k = 0, i = 0, cut = n > 40 ? 40 : n;

	while (cut > 0 && cut < n && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	if (sz < 48)
		return;
	buf[k++] = '\'';
	for (i = 0; i < cut; i++)
		buf[k++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	if (cut < n) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k++] = '\'';
	buf[k] = '\0';
}

/* A JSON integer's text to int64: 0, or -1 when out of range. */
static int parse_int64(const char *s, size_t n, long long *out)
{
	unsigned long long v = 0, limit = 9223372036854775807ULL;
	int neg = n > 0 && s[0] == '-';
	size_t i = (size_t)neg;

	if (neg)
		limit++;
	for (; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

static int parse_double(const char *s, size_t n, double *out)
{
	char buf[64], *copy = NULL, *end;
	const char *z = s;

	/* strtod needs a terminated string; numbers are short. */
	if (n < sizeof buf) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		z = buf;
	} else {
		z = copy = xstrndup(s, n);
	}
	errno = 0;
	*out = strtod(z, &end);
	free(copy);
	/* Out of range both ways: infinity, or a non-zero number read as 0. */
	if (!isfinite(*out) || (*out == 0 && errno == ERANGE))
		return -1;
	return 0;
}

static int convert(struct row_parser *p, const struct column *c, size_t ci, const struct member *m,
		   struct value *v, char *err, size_t errsz)
{
	const char *tn = col_type_name(c->type);
	char ex[64];

	if (!m || m->kind == TK_NULL) {
		if (c->required)
			FAIL("REQUIRED column '%s' is %s", c->name, m ? "null" : "missing");
		v->kind = V_NULL;
		return 0;
	}
	switch (c->type) {
	case T_STRING:
		if (m->kind != TK_STRING)
			FAIL("column '%s' (%s): expected a string, found %s", c->name, tn, tok_name(m->kind));
		v->kind = V_TEXT;
		v->s = m->val;
		v->n = m->vallen;
		return 0;
	case T_INT64:
		if (m->kind == TK_INT) {
			if (parse_int64(m->val, m->vallen, &v->i) != 0)
				FAIL("column '%s' (%s): integer out of INT64 range at column %zu",
				     c->name, tn, m->col);
			v->kind = V_INT;
			return 0;
		}
		if (m->kind == TK_REAL) {
			/* "3.0" and "3.00" are whole numbers and are taken, judged on
			 * the text (a double would round 9007199254740993.0); "1.5"
			 * and exponents are not. */
			const char *dot = memchr(m->val, '.', m->vallen);
			size_t k, ilen = dot ? (size_t)(dot - m->val) : m->vallen;
			int whole = dot != NULL && memchr(m->val, 'e', m->vallen) == NULL &&
				    memchr(m->val, 'E', m->vallen) == NULL;
			for (k = ilen + 1; whole && k < m->vallen; k++)
				whole = m->val[k] == '0';
			if (!whole)
				FAIL("column '%s' (%s): %.*s is not a whole number written without an "
				     "exponent", c->name, tn, (int)(m->vallen > 40 ? 40 : m->vallen), m->val);
			if (parse_int64(m->val, ilen, &v->i) != 0)
				FAIL("column '%s' (%s): integer out of INT64 range at column %zu",
				     c->name, tn, m->col);
			v->kind = V_INT;
			return 0;
		}
		FAIL("column '%s' (%s): expected an integer, found %s", c->name, tn, tok_name(m->kind));
	case T_FLOAT64:
		if (m->kind != TK_INT && m->kind != TK_REAL)
			FAIL("column '%s' (%s): expected a number, found %s", c->name, tn, tok_name(m->kind));
		if (parse_double(m->val, m->vallen, &v->d) != 0)
			FAIL("column '%s' (%s): %.*s is out of the range of a 64-bit float", c->name, tn,
			     (int)(m->vallen > 40 ? 40 : m->vallen), m->val);
		v->kind = V_REAL;
		return 0;
	case T_BOOL:
		if (m->kind != TK_TRUE && m->kind != TK_FALSE)
			FAIL("column '%s' (%s): expected true or false, found %s", c->name, tn,
			     tok_name(m->kind));
		v->kind = V_INT;
		v->i = m->kind == TK_TRUE;
		return 0;
	case T_DATE:
		if (m->kind != TK_STRING)
			FAIL("column '%s' (%s): expected a \"YYYY-MM-DD\" string, found %s",
			     c->name, tn, tok_name(m->kind));
		if (!date_valid(m->val, m->vallen)) {
			excerpt(ex, sizeof ex, m->val, m->vallen);
			FAIL("column '%s' (%s): %s is not a valid YYYY-MM-DD date", c->name, tn, ex);
		}
		v->kind = V_TEXT;
		v->s = m->val;
		v->n = m->vallen;
		return 0;
	case T_TIMESTAMP: {
		const char *why;
		if (m->kind != TK_STRING)
			FAIL("column '%s' (%s): expected an RFC 3339 string, found %s",
			     c->name, tn, tok_name(m->kind));
		v->n = timestamp_canon(m->val, m->vallen, p->ts[ci], &why);
		if (v->n == 0) {
			excerpt(ex, sizeof ex, m->val, m->vallen);
			FAIL("column '%s' (%s): %s: %s", c->name, tn, ex, why);
		}
		v->kind = V_TEXT;
		v->s = p->ts[ci];
		return 0;
	}
	case T_JSON: {
		/* Stored as written (numbers and escapes kept exactly), minus the
		 * white space outside strings; the scanner has validated it. */
		char *text = xmalloc(m->rawlen + 1), *d = text;
		size_t k;
		int in_str = 0;
		for (k = 0; k < m->rawlen; k++) {
			char ch = m->raw[k];
			if (in_str) {
				*d++ = ch;
				if (ch == '\\')
					*d++ = m->raw[++k];
				else if (ch == '"')
					in_str = 0;
			} else if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
				*d++ = ch;
				in_str = ch == '"';
			}
		}
		*d = '\0';
		p->owned[p->nowned++] = text;
		v->kind = V_TEXT;
		v->s = text;
		v->n = (size_t)(d - text);
		return 0;
	}
	}
	FAIL("column '%s': unsupported type", c->name);
}

static int key_is(const struct member *m, const char *k)
{
	size_t n = strlen(k);
	return m->keylen == n && memcmp(m->key, k, n) == 0;
}

int row_parse(struct row_parser *p, const char *text, size_t len,
	      struct row *out, char *err, size_t errsz)
{
	const struct table_schema *t = p->fixed;
	const struct member *tag = NULL;
	const struct colmap *map;
	const char *nul;
	size_t i;

	release(p);
	nul = memchr(text, '\0', len);
	if (nul)
		FAIL("NUL byte at column %zu", (size_t)(nul - text) + 1);
	if (scan_line(p, text, len, err, errsz) != 0)
		return -1;

	for (i = 0; i < p->nmem; i++) {
		if (!key_is(&p->mem[i], "_table"))
			continue;
		if (tag)
			FAIL("duplicate key '_table' in the object");
		tag = &p->mem[i];
		if (tag->kind != TK_STRING)
			FAIL("'_table' must be a string naming a table");
	}
	if (!t) {
		if (!tag)
			FAIL("no '_table' field to route the row (or name the table as an argument)");
		/* Routed rows come in runs of one table: look a name up only when it changes. */
		t = p->last;
		if (!t || strlen(t->qname) != tag->vallen || memcmp(t->qname, tag->val, tag->vallen) != 0) {
			char *name = xstrndup(tag->val, tag->vallen);
			t = p->last = schema_table(p->set, name);
			free(name);
		}
		if (!t) {
			char ex[64];
			excerpt(ex, sizeof ex, tag->val, tag->vallen);
			FAIL("'_table' names %s, which is not a table of the contract", ex);
		}
	} else if (tag && !(tag->vallen == strlen(t->qname) &&
			    memcmp(tag->val, t->qname, tag->vallen) == 0)) {
		char ex[64];
		excerpt(ex, sizeof ex, tag->val, tag->vallen);
		FAIL("row is tagged '_table': %s but is being loaded into '%s'", ex, t->qname);
	}

	map = &p->maps[t - p->set->tables];
	memset(p->seen, 0, t->ncols * sizeof *p->seen);
	for (i = 0; i < p->nmem; i++) {
		const struct member *m = &p->mem[i];
		long ci;
		if (m == tag)
			continue;
		ci = map_find(map, t, m->key, m->keylen);
		if (ci < 0) {
			char ex[64];
			if (p->flags & ROW_IGNORE_UNKNOWN)
				continue;
			excerpt(ex, sizeof ex, m->key, m->keylen);
			FAIL("unknown column %s: not in the schema of '%s' "
			     "(--ignore-unknown drops such fields)", ex, t->qname);
		}
		if (p->seen[ci])
			FAIL("duplicate key '%s' in the object", t->cols[ci].name);
		p->seen[ci] = (long)i + 1;
	}
	for (i = 0; i < t->ncols; i++) {
		const struct member *m = p->seen[i] ? &p->mem[p->seen[i] - 1] : NULL;
		if (convert(p, &t->cols[i], i, m, &p->vals[i], err, errsz) != 0)
			return -1;
	}
	out->table = t;
	out->v = p->vals;
	return 0;
}

int json_text_valid(const char *text, size_t len)
{
	char err[160];
	struct scan s = { text, text, text + len, err, sizeof err, NULL };
	enum tok kind;
	const char *v;
	size_t n;

	if (memchr(text, '\0', len))
		return 0;
	skip_ws(&s);
	if (scan_value(&s, &kind, &v, &n, 0, 0) != 0)
		return 0;
	skip_ws(&s);
	return s.p == s.end;
}

double value_num(const struct value *v)
{
	return v->kind == V_REAL ? v->d : v->kind == V_INT ? (double)v->i : NAN;
}

char *value_str(const struct value *v)
{
	return v->kind == V_TEXT ? xstrndup(v->s, v->n) : xstrdup("");
}

int value_is(const struct value *v, const char *s)
{
	return v->kind == V_TEXT && v->n == strlen(s) && memcmp(v->s, s, v->n) == 0;
}

int jw_value(FILE *f, const struct value *v, int type)
{
	switch (v->kind) {
	case V_NULL:
		fputs_unlocked("null", f);
		break;
	case V_INT:
		if (type == T_BOOL)
			fputs_unlocked(v->i ? "true" : "false", f);
		else if (type == T_FLOAT64)
			jw_real(f, (double)v->i);
		else
			jw_int(f, v->i);
		break;
	case V_REAL:
		jw_real(f, v->d);
		break;
	case V_TEXT:
		if (type == T_JSON && json_text_valid(v->s, v->n))
			jw_raw(f, v->s, v->n);
		else
			return jw_str(f, v->s, v->n);
		break;
	}
	return 0;
}
