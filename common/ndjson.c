#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "die.h"
#include "ndjson.h"

#define ND_INITIAL (256 * 1024)

struct nd_reader {
	FILE *f;
	char *name;
	char *buf;
	size_t cap;
	size_t start;        /* first unconsumed byte */
	size_t end;          /* one past the last byte read */
	size_t scan;         /* where the newline search resumes */
	unsigned long lineno;
	int eof;
	FILE *copy;          /* nd_tee() */
	int copy_last;       /* last byte copied, or -1 */
};

struct nd_reader *nd_open(const char *path)
{
	struct nd_reader *r = xcalloc(1, sizeof *r);

	if (!path || strcmp(path, "-") == 0) {
		r->f = stdin;
		r->name = xstrdup("<stdin>");
	} else {
		struct stat st;
		r->f = fopen(path, "rb");
		if (!r->f)
			die(AELP_EXIT_USAGE, "cannot open '%s': %s", path, strerror(errno));
		if (fstat(fileno(r->f), &st) == 0 && S_ISDIR(st.st_mode))
			die(AELP_EXIT_USAGE, "cannot read '%s': it is a folder", path);
		r->name = xstrdup(path);
	}
	r->cap = ND_INITIAL;
	r->buf = xmalloc(r->cap + 1);
	return r;
}

void nd_tee(struct nd_reader *r, FILE *copy)
{
	r->copy = copy;
	r->copy_last = -1;
}

const char *nd_name(const struct nd_reader *r)
{
	return r->name;
}

void nd_close(struct nd_reader *r)
{
	if (!r)
		return;
	if (r->f && r->f != stdin)
		fclose(r->f);
	free(r->buf);
	free(r->name);
	free(r);
}

/* Make room after end: slide the unconsumed tail to the front, or grow. */
static void make_room(struct nd_reader *r)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scan -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		if (r->cap > ((size_t)-1) / 4)
			die(AELP_EXIT_SOFTWARE, "%s: line %lu is too long to hold in memory",
			    r->name, r->lineno + 1);
		r->cap *= 2;
		r->buf = xrealloc(r->buf, r->cap + 1);
	}
}

static int is_blank(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int nd_next(struct nd_reader *r, struct nd_line *line)
{
	for (;;) {
		char *nl = NULL;
		size_t len;

		if (r->scan < r->end)
			nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		if (!nl) {
			r->scan = r->end;
			if (!r->eof) {
				size_t got;
				if (r->end == r->cap || r->start > 0)
					make_room(r);
				got = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
				if (r->copy && got) {
					if (fwrite(r->buf + r->end, 1, got, r->copy) != got)
						die(AELP_EXIT_SOFTWARE, "cannot copy '%s' to a temporary file: %s",
						    r->name, strerror(errno));
					r->copy_last = (unsigned char)r->buf[r->end + got - 1];
				}
				r->end += got;
				if (got == 0) {
					if (ferror(r->f))
						die(AELP_EXIT_SOFTWARE, "%s: read error: %s",
						    r->name, strerror(errno));
					r->eof = 1;
					/* The copy ends its last line, so files copied one after
					 * another never join two rows on one line. */
					if (r->copy && r->copy_last >= 0 && r->copy_last != '\n') {
						if (putc('\n', r->copy) == EOF)
							die(AELP_EXIT_SOFTWARE, "cannot copy '%s' to a temporary file: %s",
							    r->name, strerror(errno));
						r->copy_last = '\n';
					}
				}
				continue;
			}
			if (r->start == r->end)
				return 0;
			/* A final line without a newline. */
			nl = r->buf + r->end;
		}
		r->lineno++;
		line->text = r->buf + r->start;
		len = (size_t)(nl - line->text);
		r->start = r->scan = (size_t)(nl - r->buf) + (nl < r->buf + r->end);
		if (len > 0 && line->text[len - 1] == '\r')
			len--;
		line->text[len] = '\0';
		line->len = len;
		line->lineno = r->lineno;
		if (len == 0 || is_blank(line->text, len))
			continue;
		return 1;
	}
}

/* ---- output ---- */

static char *out_buf;

void out_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	out_buf = xmalloc(1 << 20);
	setvbuf(stdout, out_buf, _IOFBF, 1 << 20);
}

void out_check(FILE *f)
{
	if (ferror(f))
		die(AELP_EXIT_SOFTWARE, "write error on %s: %s",
		    f == stdout ? "standard output" : "output",
		    errno ? strerror(errno) : "unknown error");
}

void out_finish(void)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;

	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad)
		die(AELP_EXIT_SOFTWARE, "write error on standard output: %s",
		    e ? strerror(e) : "unknown error");
	free(out_buf);
	out_buf = NULL;
}

void jw_raw(FILE *f, const char *s, size_t n)
{
	fwrite_unlocked(s, 1, n, f);
}

size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];

	if (c >= 0xC2 && c <= 0xDF)
		return end - p >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
		return end - p >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
		return end - p >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 &&
		       (p[3] & 0xC0) == 0x80 ? 4 : 0;
	}
	return 0;
}

int jw_str(FILE *f, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int rc = 0;

	putc_unlocked('"', f);
	while (i < n) {
		unsigned char c = u[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t k = utf8_len(u + i, u + n);
			if (k) {
				i += k;
				continue;
			}
		}
		if (i > run)
			fwrite_unlocked(s + run, 1, i - run, f);
		run = ++i;
		if (c >= 0x80) {
			fputs_unlocked("\xef\xbf\xbd", f);   /* U+FFFD for a byte that is not UTF-8 */
			rc = -1;
			continue;
		}
		putc_unlocked('\\', f);
		switch (c) {
		case '"': putc_unlocked('"', f); break;
		case '\\': putc_unlocked('\\', f); break;
		case '\n': putc_unlocked('n', f); break;
		case '\r': putc_unlocked('r', f); break;
		case '\t': putc_unlocked('t', f); break;
		case '\b': putc_unlocked('b', f); break;
		case '\f': putc_unlocked('f', f); break;
		default:
			fputs_unlocked("u00", f);
			putc_unlocked(hex[c >> 4], f);
			putc_unlocked(hex[c & 15], f);
		}
	}
	if (n > run)
		fwrite_unlocked(s + run, 1, n - run, f);
	putc_unlocked('"', f);
	return rc;
}

void jw_key(FILE *f, const char *key)
{
	jw_str(f, key, strlen(key));
	putc_unlocked(':', f);
}

void jw_int(FILE *f, long long v)
{
	char buf[24], *p = buf + sizeof buf;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	fwrite_unlocked(p, 1, (size_t)(buf + sizeof buf - p), f);
}

size_t fmt_real(char *buf, double v)
{
	int len, prec;

	if (v != v || v - v != 0) {
		memcpy(buf, "null", 5);
		return 4;
	}
	/* Whole numbers below 2^53 print exactly as integers; add ".0".  (The
	 * range test comes first: casting a larger double is undefined.) */
	if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v) {
		len = snprintf(buf, 32, "%lld.0", (long long)v);
		if (v == 0 && 1 / v < 0) {     /* keep the sign of -0.0 */
			memcpy(buf, "-0.0", 5);
			len = 4;
		}
		return (size_t)len;
	}
	/* Money and rates usually have few decimals: find the fewest k with
	 * v == m / 10^k for an integer m.  IEEE division is correctly rounded,
	 * so the text "m with k decimals" then reads back to exactly v. */
	if (fabs(v) >= 1e-4 && fabs(v) < 1e15) {
		static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8 };
		int k;
		for (k = 1; k <= 8; k++) {
			double m = nearbyint(v * p10[k]);
			if (fabs(m) < 9007199254740992.0 && m / p10[k] == v) {
				long long im = (long long)m;
				unsigned long long u = im < 0 ? 0ULL - (unsigned long long)im : (unsigned long long)im;
				char digits[24], *d = digits + sizeof digits;
				int nd = 0, i = 0;
				do {
					*--d = (char)('0' + u % 10);
					u /= 10;
					nd++;
				} while (u);
				len = 0;
				if (im < 0)
					buf[len++] = '-';
				if (nd <= k) {
					buf[len++] = '0';
					buf[len++] = '.';
					for (i = 0; i < k - nd; i++)
						buf[len++] = '0';
					memcpy(buf + len, d, (size_t)nd);
					len += nd;
				} else {
					memcpy(buf + len, d, (size_t)(nd - k));
					len += nd - k;
					buf[len++] = '.';
					memcpy(buf + len, d + nd - k, (size_t)k);
					len += k;
				}
				buf[len] = '\0';
				return (size_t)len;
			}
		}
	}
	/* Shortest of 15, 16, 17 significant digits that reads back exactly. */
	for (prec = 15; prec < 17; prec++) {
		len = snprintf(buf, 32, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (prec == 17)
		len = snprintf(buf, 32, "%.17g", v);
	if (!strpbrk(buf, ".eEn")) {           /* e.g. 1e+20 has 'e'; 123 would not */
		memcpy(buf + len, ".0", 3);
		len += 2;
	}
	return (size_t)len;
}

void jw_real(FILE *f, double v)
{
	char buf[40];
	size_t n = fmt_real(buf, v);
	fwrite_unlocked(buf, 1, n, f);
}

void jw_kv_str(FILE *f, const char *k, const char *v)
{
	fputc(',', f);
	jw_key(f, k);
	if (v)
		jw_str(f, v, strlen(v));
	else
		fputs("null", f);
}

void jw_kv_real(FILE *f, const char *k, double v)
{
	fputc(',', f);
	jw_key(f, k);
	jw_real(f, v);
}

void jw_kv_int(FILE *f, const char *k, long long v)
{
	fputc(',', f);
	jw_key(f, k);
	jw_int(f, v);
}
