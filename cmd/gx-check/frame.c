/*
 * The frame: columns, the current row's cells, and the NDJSON line scanner
 * that fills them without building a tree (values are decoded on demand).
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "gx.h"
#include "ndjson.h"

struct gx_hash {
	long *slot;              /* column id + 1, 0 = empty */
	size_t cap;              /* a power of two */
};

static unsigned long long hash_bytes(const char *s, size_t n)
{
	unsigned long long h = 1469598103934665603ULL;
	while (n--)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

void sb_add(struct sbuf *b, const void *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void sb_addc(struct sbuf *b, char c)
{
	sb_add(b, &c, 1);
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (k >= 0 && (size_t)k < sizeof tmp) {
		sb_add(b, tmp, (size_t)k);
	} else if (k >= 0) {
		char *big = xmalloc((size_t)k + 1);
		va_start(ap, fmt);
		vsnprintf(big, (size_t)k + 1, fmt, ap);
		va_end(ap);
		sb_add(b, big, (size_t)k);
		free(big);
	}
}

const char *gx_dtype_name(enum gx_dtype t)
{
	switch (t) {
	case DT_INT64: return "int64";
	case DT_FLOAT64: return "float64";
	case DT_BOOL: return "bool";
	case DT_DATETIME: return "datetime64[ns]";
	case DT_DATETIMETZ: return "datetime64[ns, UTC]";
	default: return "object";
	}
}

int gx_dtype_parse(const char *s)
{
	static const struct { const char *name; enum gx_dtype t; } names[] = {
		{ "auto", DT_AUTO }, { "int", DT_INT64 }, { "int64", DT_INT64 }, { "Int64", DT_INT64 },
		{ "Int64Dtype", DT_INT64 }, { "integer", DT_INT64 }, { "INT64", DT_INT64 },
		{ "float", DT_FLOAT64 }, { "float64", DT_FLOAT64 }, { "Float64", DT_FLOAT64 },
		{ "FLOAT64", DT_FLOAT64 }, { "bool", DT_BOOL }, { "boolean", DT_BOOL }, { "BOOL", DT_BOOL },
		{ "object", DT_OBJECT }, { "str", DT_OBJECT }, { "string", DT_OBJECT }, { "STRING", DT_OBJECT },
		{ "datetime64", DT_DATETIME }, { "datetime64[ns]", DT_DATETIME },
		{ "timestamp", DT_DATETIMETZ }, { "datetime64[ns, UTC]", DT_DATETIMETZ },
	};
	size_t i;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0)
			return (int)names[i].t;
	return -1;
}

void gx_frame_init(struct gx_frame *f)
{
	memset(f, 0, sizeof *f);
	f->index = xcalloc(1, sizeof *f->index);
	f->index->cap = 64;
	f->index->slot = xcalloc(f->index->cap, sizeof *f->index->slot);
}

void gx_frame_release(struct gx_frame *f)
{
	size_t i;
	for (i = 0; i < f->ncols; i++)
		free(f->cols[i].name);
	free(f->cols);
	free(f->cells);
	free(f->stamp);
	free(f->poscache);
	free(f->routebuf);
	free(f->index->slot);
	free(f->index);
	memset(f, 0, sizeof *f);
}

static long hash_find(struct gx_frame *f, const char *name, size_t n, size_t *at)
{
	size_t mask = f->index->cap - 1, i = (size_t)hash_bytes(name, n) & mask;
	long s;
	while ((s = f->index->slot[i]) != 0) {
		const struct gx_col *c = &f->cols[s - 1];
		if (c->namelen == n && memcmp(c->name, name, n) == 0)
			return s - 1;
		i = (i + 1) & mask;
	}
	*at = i;
	return -1;
}

long gx_col_id(struct gx_frame *f, const char *name, size_t n)
{
	size_t at, i;
	long id = hash_find(f, name, n, &at);
	struct gx_col *c;

	if (id >= 0)
		return id;
	if (f->ncols == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 32;
		f->cols = xrealloc(f->cols, f->cap * sizeof *f->cols);
		f->cells = xrealloc(f->cells, f->cap * sizeof *f->cells);
		f->stamp = xrealloc(f->stamp, f->cap * sizeof *f->stamp);
	}
	id = (long)f->ncols++;
	c = &f->cols[id];
	memset(c, 0, sizeof *c);
	c->name = xstrndup(name, n);
	c->namelen = n;
	c->order = -1;
	f->stamp[id] = 0;
	memset(&f->cells[id], 0, sizeof f->cells[id]);
	f->index->slot[at] = id + 1;
	if (f->ncols * 2 > f->index->cap) {   /* grow and rehash */
		free(f->index->slot);
		f->index->cap *= 2;
		f->index->slot = xcalloc(f->index->cap, sizeof *f->index->slot);
		for (i = 0; i < f->ncols; i++) {
			hash_find(f, f->cols[i].name, f->cols[i].namelen, &at);
			f->index->slot[at] = (long)i + 1;
		}
	}
	return id;
}

void gx_col_exists(struct gx_frame *f, long id)
{
	if (f->cols[id].order < 0)
		f->cols[id].order = f->nexist++;
}

long gx_col_declare(struct gx_frame *f, const char *name, enum gx_dtype t)
{
	long id = gx_col_id(f, name, strlen(name));
	gx_col_exists(f, id);
	f->cols[id].declared = t;
	return id;
}

/*
 * How pandas types a column built from these Python values
 * (pd.DataFrame(list_of_dicts)): all ints -> int64; ints and floats, or
 * ints with a missing value -> float64; all bools -> bool; anything else
 * (strings, mixtures, bools with a missing value, all missing) -> object.
 */
enum gx_dtype gx_col_dtype(const struct gx_frame *f, long id)
{
	const struct gx_col *c = &f->cols[id];
	unsigned long long nnull = f->nrows - c->nkind[C_INT] - c->nkind[C_FLOAT] - c->nkind[C_BOOL] -
				   c->nkind[C_STR] - c->nkind[C_ARRAY] - c->nkind[C_OBJECT];
	unsigned long long other = c->nkind[C_STR] + c->nkind[C_ARRAY] + c->nkind[C_OBJECT];

	if (c->declared != DT_AUTO)
		return c->declared;
	if (f->nrows == 0 || nnull == f->nrows || other)
		return DT_OBJECT;
	if (c->nkind[C_BOOL])
		return c->nkind[C_INT] + c->nkind[C_FLOAT] + nnull ? DT_OBJECT : DT_BOOL;
	if (c->nkind[C_FLOAT] || nnull)
		return DT_FLOAT64;
	return DT_INT64;
}

const struct gx_cell *gx_cell(struct gx_frame *f, long id)
{
	static const struct gx_cell missing = { C_MISSING, 1, NULL, 0, 0, 0, NULL, 0 };
	if (id < 0 || f->stamp[id] != f->rowno + 1)
		return &missing;
	return &f->cells[id];
}

void gx_cell_put(struct gx_frame *f, long id, const struct gx_cell *c)
{
	f->cells[id] = *c;
	f->stamp[id] = f->rowno + 1;
	f->cols[id].nkind[c->kind]++;
}

double gx_cell_num(struct gx_cell *c)
{
	if (!c->decoded && (c->kind == C_INT || c->kind == C_FLOAT)) {
		char *end;
		c->decoded = 1;
		if (c->kind == C_INT) {
			long long v = 0;
			size_t k = 0;
			int neg = c->raw[0] == '-', ok = c->rawn <= 18 + (size_t)neg;
			for (k = (size_t)neg; ok && k < c->rawn; k++)
				v = v * 10 + (c->raw[k] - '0');
			if (ok) {
				c->i = neg ? -v : v;
				c->d = (double)c->i;
				return c->d;
			}
			errno = 0;
			c->i = strtoll(c->raw, &end, 10);
			if (errno) {   /* beyond 64 bits: Python keeps it exact; we go float */
				c->kind = C_FLOAT;
				c->d = strtod(c->raw, &end);
				return c->d;
			}
			c->d = (double)c->i;
			return c->d;
		}
		c->d = strtod(c->raw, &end);
	}
	return c->d;
}

static unsigned hexval(int ch)
{
	if (ch >= '0' && ch <= '9') return (unsigned)(ch - '0');
	if (ch >= 'a' && ch <= 'f') return (unsigned)(ch - 'a' + 10);
	return (unsigned)(ch - 'A' + 10);
}

void gx_cell_str(struct gx_frame *f, struct gx_cell *c)
{
	const char *p, *end;
	char *o, *out;

	(void)f;
	if (c->decoded || c->kind != C_STR)
		return;
	c->decoded = 1;
	p = c->raw + 1;
	end = c->raw + c->rawn - 1;
	if (!memchr(p, '\\', (size_t)(end - p))) {
		c->s = p;
		c->n = (size_t)(end - p);
		return;
	}
	/* Decode in place: the text never grows, and the line is ours until the
	 * next one.  The raw text is gone then; sb_cell_json() re-escapes. */
	out = o = (char *)(uintptr_t)p;
	c->raw = NULL;
	while (p < end) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		p++;
		switch (*p++) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp = hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]);
			p += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && p + 6 <= end && p[0] == '\\' && p[1] == 'u') {
				unsigned lo = hexval(p[2]) << 12 | hexval(p[3]) << 8 | hexval(p[4]) << 4 | hexval(p[5]);
				if (lo >= 0xDC00 && lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					p += 6;
				}
			}
			if (cp < 0x80) {
				*o++ = (char)cp;
			} else if (cp < 0x800) {
				*o++ = (char)(0xC0 | cp >> 6);
				*o++ = (char)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000) {
				*o++ = (char)(0xE0 | cp >> 12);
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*o++ = (char)(0x80 | (cp & 0x3F));
			} else {
				*o++ = (char)(0xF0 | cp >> 18);
				*o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*o++ = (char)(0x80 | (cp & 0x3F));
			}
			break;
		}
		default: *o++ = p[-1]; break;   /* \" \\ \/ */
		}
	}
	c->s = out;
	c->n = (size_t)(o - out);
}

void sb_json_str(struct sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	sb_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[6];
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		sb_add(b, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (ch) {
		case '"': esc[1] = '"'; sb_add(b, esc, 2); break;
		case '\\': esc[1] = '\\'; sb_add(b, esc, 2); break;
		case '\n': esc[1] = 'n'; sb_add(b, esc, 2); break;
		case '\t': esc[1] = 't'; sb_add(b, esc, 2); break;
		case '\r': esc[1] = 'r'; sb_add(b, esc, 2); break;
		default:
			esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[ch >> 4]; esc[5] = hex[ch & 15];
			sb_add(b, esc, 6);
		}
	}
	sb_add(b, s + run, n - run);
	sb_addc(b, '"');
}

void sb_cell_json(struct sbuf *b, struct gx_frame *f, struct gx_cell *c)
{
	char num[40];
	(void)f;
	if (c->raw) {
		sb_add(b, c->raw, c->rawn);
		return;
	}
	switch (c->kind) {
	case C_MISSING: case C_NULL: sb_add(b, "null", 4); break;
	case C_BOOL: c->i ? sb_add(b, "true", 4) : sb_add(b, "false", 5); break;
	case C_INT: sb_printf(b, "%lld", c->i); break;
	case C_FLOAT:
		if (isfinite(c->d))
			sb_add(b, num, fmt_real(num, c->d));
		else
			sb_add(b, "null", 4);
		break;
	case C_STR: sb_json_str(b, c->s, c->n); break;
	default: sb_add(b, c->s, c->n); break;
	}
}

/* ---- the scanner ---- */

struct scan {
	const char *p, *end;
	const char *why;
};

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

/* Four hex digits at p (before end) into *v; -1 when they are not. */
static int hex4(const unsigned char *p, const unsigned char *end, unsigned *v)
{
	int k;
	*v = 0;
	if (end - p < 4)
		return -1;
	for (k = 0; k < 4; k++) {
		if (!p[k] || !strchr("0123456789abcdefABCDEF", p[k]))
			return -1;
		*v = *v << 4 | hexval(p[k]);
	}
	return 0;
}

/* A string starting at '"'; p ends past the closing quote.  Escapes are
 * checked here (surrogates must pair), so decoding later cannot fail. */
static int scan_string(struct scan *s)
{
	const unsigned char *p = (const unsigned char *)s->p + 1, *end = (const unsigned char *)s->end;
	for (;;) {
		/* Fast path over plain bytes. */
		while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80)
			p++;
		if (p >= end) {
			s->why = "unterminated string";
			return -1;
		}
		if (*p == '"') {
			s->p = (const char *)p + 1;
			return 0;
		}
		if (*p == '\\') {
			p++;
			if (p >= end) { s->why = "unterminated string"; return -1; }
			if (*p == 'u') {
				unsigned cp;
				if (hex4(p + 1, end, &cp) != 0) {
					s->why = "bad \\u escape in a string";
					return -1;
				}
				p += 5;
				/* What bq-load refuses, the gate refuses too, in its words:
				 * U+0000 (no column can hold it), and lone surrogates (Python
				 * would make a str that is not UTF-8). */
				if (cp == 0) {
					s->why = "\\u0000 is not allowed in a string";
					return -1;
				}
				if (cp >= 0xDC00 && cp <= 0xDFFF) {
					s->why = "invalid Unicode escape (a lone low surrogate)";
					return -1;
				}
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					unsigned lo;
					if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) != 0 ||
					    lo < 0xDC00 || lo > 0xDFFF) {
						s->why = "invalid Unicode escape (an unpaired surrogate)";
						return -1;
					}
					p += 6;
				}
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				s->why = "bad escape in a string";
				return -1;
			}
		} else if (*p < 0x20) {
			s->why = *p ? "control character in a string" : "NUL byte in a string";
			return -1;
		} else {
			size_t k = utf8_len(p, end);
			if (!k) { s->why = "text that is not UTF-8"; return -1; }
			p += k;
		}
	}
}

/* A number; returns C_INT or C_FLOAT, or -1. */
static int scan_number(struct scan *s)
{
	const char *p = s->p;
	int kind = C_INT;
	if (p < s->end && *p == '-')
		p++;
	if (p >= s->end || *p < '0' || *p > '9')
		goto bad;
	if (*p == '0')
		p++;
	else
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	if (p < s->end && *p == '.') {
		kind = C_FLOAT;
		p++;
		if (p >= s->end || *p < '0' || *p > '9')
			goto bad;
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < s->end && (*p == 'e' || *p == 'E')) {
		kind = C_FLOAT;
		p++;
		if (p < s->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= s->end || *p < '0' || *p > '9')
			goto bad;
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = p;
	return kind;
bad:
	s->why = "malformed number";
	return -1;
}

static int scan_value(struct scan *s, int depth);

static int scan_nested(struct scan *s, int depth, char close)
{
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (s->p >= s->end || *s->p != '"') { s->why = "expected a key"; return -1; }
			if (scan_string(s)) return -1;
			ws(s);
			if (s->p >= s->end || *s->p != ':') { s->why = "expected ':'"; return -1; }
			s->p++;
			ws(s);
		}
		if (scan_value(s, depth + 1) < 0)
			return -1;
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == close) {
			s->p++;
			return 0;
		}
		s->why = close == '}' ? "expected ',' or '}'" : "expected ',' or ']'";
		return -1;
	}
}

static int lit(struct scan *s, const char *w, size_t n)
{
	if ((size_t)(s->end - s->p) >= n && memcmp(s->p, w, n) == 0) {
		s->p += n;
		return 0;
	}
	s->why = "invalid literal";
	return -1;
}

/* Returns the kind of the value, or -1. */
static int scan_value(struct scan *s, int depth)
{
	if (depth > 512) {
		s->why = "nested too deeply";
		return -1;
	}
	if (s->p >= s->end) {
		s->why = "unexpected end of line";
		return -1;
	}
	switch (*s->p) {
	case '"': return scan_string(s) ? -1 : C_STR;
	case '{': return scan_nested(s, depth, '}') ? -1 : C_OBJECT;
	case '[': return scan_nested(s, depth, ']') ? -1 : C_ARRAY;
	case 't': return lit(s, "true", 4) ? -1 : C_BOOL;
	case 'f': return lit(s, "false", 5) ? -1 : C_BOOL;
	case 'n': return lit(s, "null", 4) ? -1 : C_NULL;
	default: return scan_number(s);
	}
}

int gx_scan_line(struct gx_frame *f, const char *text, size_t len, char *err, size_t errsz)
{
	struct scan s = { text, text + len, NULL };
	size_t pos = 0;

	f->route = NULL;
	f->routen = 0;
	f->tagged = 0;
	ws(&s);
	if (s.p >= s.end || *s.p != '{') {
		snprintf(err, errsz, "not a JSON object");
		return -1;
	}
	s.p++;
	ws(&s);
	if (s.p < s.end && *s.p == '}') {
		s.p++;
		goto done;
	}
	for (;;) {
		const char *k0, *v0;
		long id;
		int kind;

		if (s.p >= s.end || *s.p != '"') { s.why = "expected a key"; goto bad; }
		k0 = s.p;
		if (scan_string(&s)) goto bad;
		/* The key's column: the same as at this position last row, usually.
		 * Raw bytes equal the (decoded) name only for a key without escapes:
		 * the raw "x\u0062" is the key "xb", not a column named "x\u0062". */
		if (pos < f->nposcache && f->poscache[pos] >= 0 &&
		    f->cols[f->poscache[pos]].namelen == (size_t)(s.p - k0 - 2) &&
		    memcmp(f->cols[f->poscache[pos]].name, k0 + 1, (size_t)(s.p - k0 - 2)) == 0 &&
		    !memchr(k0 + 1, '\\', (size_t)(s.p - k0 - 2))) {
			id = f->poscache[pos];
		} else {
			/* Decode a copy: the line itself stays as written for a second scan. */
			char *copy = xstrndup(k0, (size_t)(s.p - k0));
			struct gx_cell kc = { C_STR, 0, copy, (size_t)(s.p - k0), 0, 0, NULL, 0 };
			gx_cell_str(f, &kc);
			id = gx_col_id(f, kc.s, kc.n);
			free(copy);
			if (pos >= f->nposcache) {
				f->poscache = xrealloc(f->poscache, (pos + 1) * sizeof *f->poscache);
				f->nposcache = pos + 1;
			}
			f->poscache[pos] = id;
		}
		pos++;
		ws(&s);
		if (s.p >= s.end || *s.p != ':') { s.why = "expected ':'"; goto bad; }
		s.p++;
		ws(&s);
		v0 = s.p;
		kind = scan_value(&s, 1);
		if (kind < 0)
			goto bad;
		if (f->cols[id].namelen == 6 && memcmp(f->cols[id].name, "_table", 6) == 0) {
			if (f->route || f->tagged) {
				/* bq-load refuses a second tag; routing by either would be a guess */
				snprintf(err, errsz, "duplicate key '_table'");
				return -1;
			}
			f->tagged = 1;
			if (kind == C_STR) {
				/* Decoded (into a copy: the line stays as written), as bq-load
				 * decodes it: "ads\u005fx" names the table ads_x. */
				struct gx_cell rc = { C_STR, 0, NULL, (size_t)(s.p - v0), 0, 0, NULL, 0 };
				if (rc.rawn > f->routecap) {
					f->routecap = rc.rawn * 2;
					f->routebuf = xrealloc(f->routebuf, f->routecap);
				}
				memcpy(f->routebuf, v0, rc.rawn);
				rc.raw = f->routebuf;
				gx_cell_str(f, &rc);
				f->route = rc.s;
				f->routen = rc.n;
			}
		}
		if (f->fixed && f->cols[id].order < 0)
			goto next;   /* not a column of the declared table: ignored */
		if (f->stamp[id] == f->rowno + 1) {
			s.why = "duplicate key";
			snprintf(err, errsz, "duplicate key '%s'", f->cols[id].name);
			return -1;
		} else {
			struct gx_cell *c = &f->cells[id];
			gx_col_exists(f, id);
			f->stamp[id] = f->rowno + 1;
			c->kind = (unsigned char)kind;
			c->raw = v0;
			c->rawn = (size_t)(s.p - v0);
			c->decoded = 0;
			if (kind == C_BOOL) {
				c->decoded = 1;
				c->i = *v0 == 't';
				c->d = (double)c->i;
			} else if (kind == C_ARRAY || kind == C_OBJECT) {
				c->decoded = 1;
				c->s = v0;
				c->n = c->rawn;
			} else if (kind == C_NULL) {
				c->decoded = 1;
			}
			f->cols[id].nkind[kind]++;
		}
next:
		ws(&s);
		if (s.p < s.end && *s.p == ',') {
			s.p++;
			ws(&s);
			continue;
		}
		if (s.p < s.end && *s.p == '}') {
			s.p++;
			break;
		}
		s.why = "expected ',' or '}'";
		goto bad;
	}
done:
	ws(&s);
	if (s.p != s.end) {
		snprintf(err, errsz, "text after the JSON object");
		return -1;
	}
	return 0;
bad:
	snprintf(err, errsz, "malformed JSON at byte %zu: %s", (size_t)(s.p - text) + 1, s.why);
	return -1;
}
