/* The shared flat JSON object scanner (jscan.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "jscan.h"
#include "ndjson.h"

/* A byte that stands for itself in a JSON string: ASCII, not a control, a quote or a backslash. */
static int plain_byte(char ch)
{
	unsigned char u = (unsigned char)ch;
	return u >= 0x20 && u < 0x80 && u != '"' && u != '\\';
}

void jscan_init(struct jscan *s, const char *const *key, size_t nkey)
{
	memset(s, 0, sizeof *s);
	s->key = key;
	s->nkey = nkey;
	s->klen = xmalloc((nkey ? nkey : 1) * sizeof *s->klen);
	s->same = xmalloc((nkey ? nkey : 1) * sizeof *s->same);
	s->plain = xmalloc(nkey ? nkey : 1);
	for (size_t k = 0; k < nkey; k++) {
		s->klen[k] = strlen(key[k]);
		s->plain[k] = 1;
		for (size_t j = 0; j < s->klen[k]; j++)
			if (!plain_byte(key[k][j]))
				s->plain[k] = 0;
	}
	for (size_t k = 0; k < nkey; k++) {
		s->same[k] = nkey;
		for (size_t j = k + 1; j < nkey; j++)
			if (s->klen[j] == s->klen[k] && memcmp(key[j], key[k], s->klen[k]) == 0) {
				s->same[k] = j;
				break;
			}
	}
}

void jscan_free(struct jscan *s)
{
	free(s->klen);
	free(s->same);
	free(s->plain);
	free(s->buf);
	free(s->hint);
	memset(s, 0, sizeof *s);
}

struct cur {
	const char *p, *end;
	char *out;          /* next free byte of the string buffer */
	const char *why;
};

static int fail(struct cur *c, const char *why)
{
	c->why = why;
	return -1;
}

static void ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Key k is the n bytes at b (keys are short: a loop beats a call to memcmp). */
static int is_key(const struct jscan *s, size_t k, const char *b, size_t n)
{
	const char *a = s->key[k];
	if (s->klen[k] != n)
		return 0;
	for (size_t j = 0; j < n; j++)
		if (a[j] != b[j])
			return 0;
	return 1;
}

static int hex4(const char *p, unsigned *u)
{
	*u = 0;
	for (int k = 0; k < 4; k++) {
		char ch = p[k];
		*u <<= 4;
		if (ch >= '0' && ch <= '9')
			*u |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			*u |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			*u |= (unsigned)(ch - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/*
 * A string at c->p (the opening quote), decoded to c->out when keep (never
 * longer than its text: the buffer of len + 1 bytes holds every string of
 * a line, each with its NUL).
 */
static int string(struct cur *c, int keep, const char **s, size_t *n)
{
	const char *p = c->p + 1, *e = c->end;
	char *o = c->out;

	for (;;) {
		const char *run = p;
		/* the plain ASCII between escapes, copied as a block */
		while (p < e && plain_byte(*p))
			p++;
		if (keep) {
			memcpy(o, run, (size_t)(p - run));
			o += p - run;
		}
		if (p >= e)
			return fail(c, "unterminated string");
		if (*p == '"')
			break;
		if ((unsigned char)*p < 0x20)
			return fail(c, "control character in a string");
		if ((unsigned char)*p >= 0x80) {
			/* UTF-8 checked, as jansson does */
			size_t u = utf8_len((const unsigned char *)p, (const unsigned char *)e);
			if (u == 0)
				return fail(c, "string is not UTF-8");
			if (keep) {
				memcpy(o, p, u);
				o += u;
			}
			p += u;
			continue;
		}
		/* a backslash */
		if (e - p < 2)
			return fail(c, "unterminated string");
		p++;
		switch (*p) {
		case '"': case '\\': case '/':
			if (keep)
				*o++ = *p;
			p++;
			break;
		case 'b': if (keep) *o++ = '\b'; p++; break;
		case 'f': if (keep) *o++ = '\f'; p++; break;
		case 'n': if (keep) *o++ = '\n'; p++; break;
		case 'r': if (keep) *o++ = '\r'; p++; break;
		case 't': if (keep) *o++ = '\t'; p++; break;
		case 'u': {
			unsigned u, lo;
			if (e - p < 5 || hex4(p + 1, &u) != 0)
				return fail(c, "bad \\u escape");
			p += 5;
			if (u >= 0xd800 && u < 0xdc00) {
				if (e - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) != 0 ||
				    lo < 0xdc00 || lo >= 0xe000)
					return fail(c, "unpaired surrogate in a \\u escape");
				p += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u < 0xe000) {
				return fail(c, "unpaired surrogate in a \\u escape");
			}
			if (keep) {
				/* never longer than the 6 or 12 escape bytes it replaces */
				if (u < 0x80) {
					*o++ = (char)u;
				} else if (u < 0x800) {
					*o++ = (char)(0xc0 | (u >> 6));
					*o++ = (char)(0x80 | (u & 0x3f));
				} else if (u < 0x10000) {
					*o++ = (char)(0xe0 | (u >> 12));
					*o++ = (char)(0x80 | ((u >> 6) & 0x3f));
					*o++ = (char)(0x80 | (u & 0x3f));
				} else {
					*o++ = (char)(0xf0 | (u >> 18));
					*o++ = (char)(0x80 | ((u >> 12) & 0x3f));
					*o++ = (char)(0x80 | ((u >> 6) & 0x3f));
					*o++ = (char)(0x80 | (u & 0x3f));
				}
			}
			break;
		}
		default:
			return fail(c, "bad escape in a string");
		}
	}
	c->p = p + 1;
	if (keep) {
		*s = c->out;
		*n = (size_t)(o - c->out);
		*o++ = '\0';
		c->out = o;
	}
	return 0;
}

/* The powers of ten a double holds exactly. */
static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
			      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

/*
 * A number by JSON's grammar, checked and converted in one pass.  The
 * digits go into m (19 significant digits at most); an integer of at most
 * 18 digits is exact in a long long, and a number whose m is below 2^53
 * and whose power of ten is within 1e+-22 is one correctly rounded
 * multiplication or division of two exact doubles, as strtod rounds
 * (Clinger's fast path).  The rest go through strtoll and strtod.
 */
static int number(struct cur *c, struct jv *v)
{
	const char *b = c->p, *q = c->p, *e = c->end;
	unsigned long long m = 0;
	int neg = 0, nd = 0, frac = 0, exact = 1, integer = 1;
	long ex = 0;

	if (q < e && *q == '-') {
		neg = 1;
		q++;
	}
	if (q >= e || !is_digit(*q))
		return fail(c, "bad number");
	if (*q == '0') {
		q++;
	} else {
		for (; q < e && is_digit(*q); q++) {
			if (nd < 19) {
				m = 10 * m + (unsigned)(*q - '0');
				nd++;
			} else {
				exact = 0;
			}
		}
	}
	if (q < e && *q == '.') {
		integer = 0;
		q++;
		if (q >= e || !is_digit(*q))
			return fail(c, "bad number");
		for (; q < e && is_digit(*q); q++) {
			if (nd < 19) {
				m = 10 * m + (unsigned)(*q - '0');
				nd += m != 0;   /* leading zeros are not significant */
				frac++;
			} else {
				exact = 0;
			}
		}
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		int eneg = 0;
		integer = 0;
		q++;
		if (q < e && (*q == '+' || *q == '-'))
			eneg = *q++ == '-';
		if (q >= e || !is_digit(*q))
			return fail(c, "bad number");
		for (; q < e && is_digit(*q); q++)
			if (ex < 100000)
				ex = 10 * ex + (*q - '0');
		if (eneg)
			ex = -ex;
	}
	c->p = q;
	v->s = b;
	v->n = (size_t)(q - b);
	if (integer && exact && nd <= 18) {
		v->kind = JV_INT;
		v->i = neg ? -(long long)m : (long long)m;
		v->d = neg && m == 0 ? -0.0 : (double)v->i;
		return 0;
	}
	ex -= frac;
	if (exact && m < (1ULL << 53) && ex >= -22 && ex <= 22) {
		double d = ex < 0 ? (double)m / p10[-ex] : (double)m * p10[ex];
		v->kind = JV_REAL;
		v->d = neg ? -d : d;
		return 0;
	}
	{
		char tmp[64], *big = NULL, *t = tmp;
		if (v->n >= sizeof tmp)
			t = big = xmalloc(v->n + 1);
		memcpy(t, b, v->n);
		t[v->n] = '\0';
		if (integer) {
			errno = 0;
			v->i = strtoll(t, NULL, 10);
			if (errno == 0) {
				v->kind = JV_INT;
				v->d = (double)v->i;
				free(big);
				return 0;
			}
		}
		errno = 0;
		v->kind = JV_REAL;
		v->d = strtod(t, NULL);
		free(big);
		/* overflow (jansson refuses it too); an underflow is read as strtod reads it */
		if (errno == ERANGE && (v->d > 1 || v->d < -1))
			return fail(c, "number out of range");
	}
	return 0;
}

static int literal(struct cur *c, const char *word, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return fail(c, "bad value");
	c->p += n;
	return 0;
}

static int value(struct cur *c, struct jv *v, int depth);

/* An object or array at c->p, checked and skipped. */
static int container(struct cur *c, int depth)
{
	char close = *c->p == '{' ? '}' : ']';
	int obj = close == '}';

	if (depth > 64)
		return fail(c, "nested more than 64 deep");
	c->p++;
	ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		ws(c);
		if (obj) {
			if (!(c->p < c->end && *c->p == '"'))
				return fail(c, "expected a member name");
			if (string(c, 0, NULL, NULL) != 0)
				return -1;
			ws(c);
			if (!(c->p < c->end && *c->p == ':'))
				return fail(c, "expected ':'");
			c->p++;
			ws(c);
		}
		if (value(c, NULL, depth + 1) != 0)
			return -1;
		ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return 0;
		}
		return fail(c, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

/* A value at c->p into v (NULL: checked and skipped). */
static int value(struct cur *c, struct jv *v, int depth)
{
	struct jv unwanted;             /* where a skipped value is parsed to */
	const char *b = c->p;
	int keep = v != NULL, rc;

	if (!keep)
		v = &unwanted;
	if (c->p >= c->end)
		return fail(c, "missing value");
	switch (*c->p) {
	case '"':
		v->kind = JV_STRING;
		return string(c, keep, &v->s, &v->n);
	case '{': case '[':
		v->kind = JV_OTHER;
		rc = container(c, depth);
		break;
	case 't':
		v->kind = JV_BOOL;
		v->d = 1;
		rc = literal(c, "true", 4);
		break;
	case 'f':
		v->kind = JV_BOOL;
		v->d = 0;
		rc = literal(c, "false", 5);
		break;
	case 'n':
		v->kind = JV_NULL;
		rc = literal(c, "null", 4);
		break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return number(c, v);
	default:
		return fail(c, "bad value");
	}
	v->s = b;
	v->n = (size_t)(c->p - b);
	return rc;
}

int jscan_line(struct jscan *s, const char *text, size_t len, struct jv *v)
{
	struct cur c = { text, text + len, NULL, NULL };
	size_t pos = 0;   /* the member's place on the line */

	if (s->cap < len + 1) {
		s->cap = len + 1;
		s->buf = xrealloc(s->buf, s->cap);
	}
	c.out = s->buf;
	s->why = NULL;
	for (size_t k = 0; k < s->nkey; k++)
		v[k].kind = JV_ABSENT;
	ws(&c);
	if (!(c.p < c.end && *c.p == '{')) {
		s->why = "not a JSON object";
		return -1;
	}
	c.p++;
	ws(&c);
	if (c.p < c.end && *c.p == '}') {
		c.p++;
	} else {
		for (;;) {
			const char *kb, *q;
			size_t kl, want = s->nkey, h;
			ws(&c);
			if (!(c.p < c.end && *c.p == '"')) {
				fail(&c, "expected a member name");
				goto bad;
			}
			kb = c.p + 1;
			/*
			 * Rows of a file mostly share their key order: the key that was at
			 * this place on the last line is tried first, on the text itself
			 * when it is plain (no byte JSON escapes, so its text on the line
			 * is its bytes and a quote).
			 */
			h = pos < s->nhint ? s->hint[pos] : s->nkey;
			if (h < s->nkey && s->plain[h] && (size_t)(c.end - kb) > s->klen[h] &&
			    kb[s->klen[h]] == '"' && is_key(s, h, kb, s->klen[h])) {
				want = h;
				c.p = kb + s->klen[h] + 1;
			} else {
				/* keys without escapes compare in place; others are decoded */
				q = kb;
				while (q < c.end && plain_byte(*q))
					q++;
				if (q < c.end && *q == '"') {
					kl = (size_t)(q - kb);
					c.p = q + 1;
				} else if (string(&c, 1, &kb, &kl) != 0) {
					goto bad;
				}
				for (size_t k = 0; k < s->nkey; k++)
					if (is_key(s, k, kb, kl)) {
						want = k;
						break;
					}
			}
			if (pos == s->nhint) {
				s->hint = xrealloc(s->hint, (2 * pos + 8) * sizeof *s->hint);
				s->nhint = 2 * pos + 8;
				for (size_t k = pos; k < s->nhint; k++)
					s->hint[k] = s->nkey;
			}
			s->hint[pos++] = want;
			ws(&c);
			if (!(c.p < c.end && *c.p == ':')) {
				fail(&c, "expected ':'");
				goto bad;
			}
			c.p++;
			ws(&c);
			/* the flat members' kinds first, without value()'s dispatch */
			if (c.p < c.end && *c.p == '"') {
				if (want < s->nkey) {
					v[want].kind = JV_STRING;
					if (string(&c, 1, &v[want].s, &v[want].n) != 0)
						goto bad;
				} else if (string(&c, 0, NULL, NULL) != 0) {
					goto bad;
				}
			} else if (c.p < c.end && (*c.p == '-' || is_digit(*c.p))) {
				struct jv unwanted;     /* a member not asked for: checked, dropped */
				if (number(&c, want < s->nkey ? &v[want] : &unwanted) != 0)
					goto bad;
			} else if (value(&c, want < s->nkey ? &v[want] : NULL, 1) != 0) {
				goto bad;
			}
			/* a key asked for twice (e.g. the id also a covariate) */
			if (want < s->nkey)
				for (size_t k = s->same[want]; k < s->nkey; k = s->same[k])
					v[k] = v[want];
			ws(&c);
			if (c.p < c.end && *c.p == ',') {
				c.p++;
				continue;
			}
			if (c.p < c.end && *c.p == '}') {
				c.p++;
				break;
			}
			fail(&c, "expected ',' or '}'");
			goto bad;
		}
	}
	ws(&c);
	if (c.p == c.end)
		return 0;
	fail(&c, "text after the JSON object");
bad:
	s->why = c.why;
	return -1;
}
