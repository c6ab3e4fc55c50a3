/*
 * channel-attribute's input: interning, aggregation, the two formats and
 * fractribution's transforms.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "die.h"
#include "ndjson.h"
#include "paths.h"

/* ---- paths ---- */

long ps_find(const struct pathset *s, const int *ch, int len)
{
	return intern_find(&s->key, ch, (size_t)len * sizeof *ch);
}

size_t ps_add(struct pathset *s, const int *ch, int len, double conv, double value, double nulls)
{
	size_t f = intern_add(&s->key, ch, (size_t)len * sizeof *ch);
	struct path *p;

	if (f == s->n) {
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 256;
			s->p = xrealloc(s->p, s->cap * sizeof *s->p);
		}
		p = &s->p[s->n++];
		p->ch = (const int *)(const void *)intern_str(&s->key, f);
		p->len = len;
		p->conv = p->value = p->nulls = 0;
	}
	p = &s->p[f];
	p->conv += conv;
	p->value += value;
	p->nulls += nulls;
	return f;
}

void ps_free(struct pathset *s)
{
	free(s->p);
	intern_free(&s->key);
	memset(s, 0, sizeof *s);
}

int split_path(struct intern *t, const char *text, size_t n, char sep, int **ids, size_t *cap)
{
	int k = 0;
	size_t i = 0;

	for (;;) {
		size_t b = i, e;
		while (i < n && text[i] != sep)
			i++;
		e = i;
		while (b < e && (text[b] == ' ' || text[b] == '\t'))
			b++;
		while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t'))
			e--;
		if ((size_t)k == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			*ids = xrealloc(*ids, *cap * sizeof **ids);
		}
		(*ids)[k++] = (int)intern_add(t, text + b, e - b);
		if (i >= n)
			break;
		i++;
	}
	return k;
}

/* ---- reading ---- */

/* raw path text -> index in the pathset: identical rows skip the split */
struct rawcache {
	struct intern text;
	size_t *idx;        /* by text index: the path's index */
	size_t cap;
};

static void rc_free(struct rawcache *c)
{
	intern_free(&c->text);
	free(c->idx);
}

/* A count or amount: a finite number >= 0 filling s[0..n). */
static int parse_amount(const char *s, size_t n, double *out)
{
	double v = 0;
	size_t i = 0;

	/* fast path: plain digits */
	while (i < n && s[i] >= '0' && s[i] <= '9' && i < 15)
		v = v * 10 + (s[i++] - '0');
	if (i == n && n > 0) {
		*out = v;
		return 0;
	}
	{
		char buf[64], *end;
		if (n == 0 || n >= sizeof buf)
			return -1;
		memcpy(buf, s, n);
		buf[n] = '\0';
		errno = 0;
		v = strtod(buf, &end);
		if (end != buf + n || !isfinite(v) || v < 0 || errno == ERANGE)
			return -1;
	}
	*out = v;
	return 0;
}

static int add_row(struct ca_input *in, struct rawcache *rc, const char *path, size_t plen,
		   char sep, double conv, double value, double nulls, int **ids, size_t *cap,
		   const char **why)
{
	long idx = intern_find(&rc->text, path, plen);

	if (idx < 0) {
		int k;
		size_t r;
		if (plen == 0) {
			*why = "empty path";
			return -1;
		}
		if (memchr(path, '\0', plen)) {   /* names are C strings to the models */
			*why = "NUL byte in the path";
			return -1;
		}
		k = split_path(&in->ch, path, plen, sep, ids, cap);
		for (int j = 0; j < k; j++)
			if (intern_len(&in->ch, (size_t)(*ids)[j]) == 0) {
				*why = "empty channel name in the path";
				return -1;
			}
		idx = (long)ps_add(&in->raw, *ids, k, 0, 0, 0);
		r = intern_add(&rc->text, path, plen);
		if (r == rc->cap) {
			rc->cap = rc->cap ? 2 * rc->cap : 256;
			rc->idx = xrealloc(rc->idx, rc->cap * sizeof *rc->idx);
		}
		rc->idx[r] = (size_t)idx;
	} else {
		idx = (long)rc->idx[idx];
	}
	in->raw.p[idx].conv += conv;
	in->raw.p[idx].value += value;
	in->raw.p[idx].nulls += nulls;
	in->conv += conv;
	in->value += value;
	in->nulls += nulls;
	in->rows++;
	return 0;
}

static int json_amount(json_t *o, const char *key, int required, double *out, const char **why)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v || json_is_null(v)) {
		if (required) {
			*why = key;
			return -2;
		}
		return 0;
	}
	if (!json_is_number(v)) {
		*why = key;
		return -1;
	}
	*out = json_number_value(v);
	if (!isfinite(*out) || *out < 0) {
		*why = key;
		return -1;
	}
	return 0;
}

int ca_read(const char *file, enum ca_format fmt, char sep, struct ca_input *in, char *err,
	    size_t errsz)
{
	struct nd_reader *r = nd_open(file);
	struct nd_line l;
	struct rawcache rc = { 0 };
	int *ids = NULL, header = fmt == CA_CHANNELATTRIBUTION, rcode = 0;
	size_t cap = 0;
	const char *why = NULL;

	while (nd_next(r, &l)) {
		const char *path, *f[4];
		size_t flen[4], plen;
		double conv, value, nulls;

		if (fmt == CA_CHANNELATTRIBUTION) {
			const char *p = l.text, *end = l.text + l.len;
			int nf = 0;
			for (;;) {
				const char *q = memchr(p, ';', (size_t)(end - p));
				if (nf < 4) {
					f[nf] = p;
					flen[nf] = q ? (size_t)(q - p) : (size_t)(end - p);
				}
				nf++;
				if (!q)
					break;
				p = q + 1;
			}
			if (nf != 4) {
				rcode = errorf(err, errsz, 65, "%s:%lu: %d fields separated by ';', expected 4 "
					       "(path;total_conversions;total_conversion_value;total_null)",
					       nd_name(r), l.lineno, nf);
				goto out;
			}
			if (header) {
				header = 0;
				if (parse_amount(f[1], flen[1], &conv) == 0) {
					rcode = errorf(err, errsz, 65, "%s:%lu: expected the header line "
						       "path;total_conversions;total_conversion_value;total_null",
						       nd_name(r), l.lineno);
					goto out;
				}
				continue;
			}
			if (parse_amount(f[1], flen[1], &conv) != 0) {
				why = "total_conversions is not a number >= 0";
				goto bad;
			}
			if (parse_amount(f[2], flen[2], &value) != 0) {
				why = "total_conversion_value is not a number >= 0";
				goto bad;
			}
			if (parse_amount(f[3], flen[3], &nulls) != 0) {
				why = "total_null is not a number >= 0";
				goto bad;
			}
			path = f[0];
			plen = flen[0];
			if (add_row(in, &rc, path, plen, sep, conv, value, nulls, &ids, &cap, &why) != 0)
				goto bad;
		} else {
			json_error_t je;
			json_t *o = json_loadb(l.text, l.len, 0, &je), *jp;
			int e;
			if (!o || !json_is_object(o)) {
				json_decref(o);
				why = "not a JSON object";
				goto bad;
			}
			jp = json_object_get(o, "path");
			if (!json_is_string(jp)) {
				json_decref(o);
				why = "\"path\" missing or not a string";
				goto bad;
			}
			if ((e = json_amount(o, "conversions", 1, &conv, &why)) ||
			    (e = json_amount(o, "conversion_value", 0, &value, &why))) {
				json_decref(o);
				rcode = errorf(err, errsz, 65, "%s:%lu: \"%s\" %s", nd_name(r), l.lineno,
					       why, e == -2 ? "missing" : "is not a number >= 0");
				goto out;
			}
			e = json_amount(o, json_object_get(o, "nulls") ? "nulls" : "non_conversions", 0,
					&nulls, &why);
			if (e) {
				json_decref(o);
				rcode = errorf(err, errsz, 65, "%s:%lu: \"%s\" is not a number >= 0",
					       nd_name(r), l.lineno, why);
				goto out;
			}
			e = add_row(in, &rc, json_string_value(jp), json_string_length(jp), sep, conv,
				    value, nulls, &ids, &cap, &why);
			json_decref(o);
			if (e)
				goto bad;
		}
		continue;
bad:
		rcode = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), l.lineno, why);
		goto out;
	}
	if (header) {
		/* an empty file in the CSV format: no header, no rows */
	}
out:
	free(ids);
	rc_free(&rc);
	nd_close(r);
	return rcode;
}

void ca_input_free(struct ca_input *in)
{
	intern_free(&in->ch);
	ps_free(&in->raw);
}

/* ---- transforms ---- */

int ptrans_apply(const struct ptrans *t, const int *in, int n, int *out, int *count)
{
	int k = 0, all;

	switch (t->kind) {
	case PT_UNIQUE:
		memmove(out, in, (size_t)n * sizeof *in);
		k = n;
		break;
	case PT_EXPOSURE:
		for (int i = 0; i < n; i++)
			if (k == 0 || out[k - 1] != in[i])
				out[k++] = in[i];
		break;
	case PT_FIRST:
	case PT_FREQUENCY:
		for (int i = 0; i < n; i++) {
			int j;
			for (j = 0; j < k; j++)
				if (out[j] == in[i])
					break;
			if (j == k) {
				out[k] = in[i];
				if (count)
					count[k] = 0;
				k++;
			}
			if (count)
				count[j]++;
		}
		break;
	case PT_TRIM:
		k = n > t->n ? t->n : n;
		memmove(out, in + (n - k), (size_t)k * sizeof *in);
		break;
	case PT_REMOVE_IF_NOT_ALL:
	case PT_REMOVE_IF_LAST_AND_NOT_ALL:
		all = 1;
		for (int i = 0; i < n; i++)
			if (in[i] != t->ch)
				all = 0;
		memmove(out, in, (size_t)n * sizeof *in);
		k = n;
		if (all)
			break;
		if (t->kind == PT_REMOVE_IF_LAST_AND_NOT_ALL) {
			while (k > 0 && out[k - 1] == t->ch)
				k--;
		} else {
			k = 0;
			for (int i = 0; i < n; i++)
				if (out[i] != t->ch)
					out[k++] = out[i];
		}
		break;
	}
	return k;
}

int ptrans_parse(const char *s, struct intern *ch, struct ptrans *t)
{
	size_t n = strlen(s);
	const char *arg = strchr(s, '(');
	size_t an = 0;

	memset(t, 0, sizeof *t);
	t->ch = -1;
	if (arg) {
		if (n < 2 || s[n - 1] != ')')
			return -1;
		an = (size_t)(s + n - 1 - (arg + 1));
		n = (size_t)(arg - s);
		arg++;
	}
#define IS(w) (n == strlen(w) && strncmp(s, w, n) == 0)
	if (!arg && IS("unique"))
		t->kind = PT_UNIQUE;
	else if (!arg && IS("exposure"))
		t->kind = PT_EXPOSURE;
	else if (!arg && IS("first"))
		t->kind = PT_FIRST;
	else if (!arg && IS("frequency"))
		t->kind = PT_FREQUENCY;
	else if (arg && IS("trimLongPath")) {
		char buf[16], *end;
		long v;
		if (an == 0 || an >= sizeof buf)
			return -1;
		memcpy(buf, arg, an);
		buf[an] = '\0';
		v = strtol(buf, &end, 10);
		if (*end || v < 1 || v > 1000000)
			return -1;
		t->kind = PT_TRIM;
		t->n = (int)v;
	} else if (arg && (IS("removeIfNotAll") || IS("removeIfLastAndNotAll"))) {
		if (an == 0)
			return -1;
		t->kind = IS("removeIfNotAll") ? PT_REMOVE_IF_NOT_ALL : PT_REMOVE_IF_LAST_AND_NOT_ALL;
		t->ch = (int)intern_add(ch, arg, an);
	} else
		return -1;
#undef IS
	return 0;
}

char *ptrans_string(const char *spec, const char *path)
{
	struct intern ch = { 0 };
	struct ptrans t;
	int *ids = NULL, *out, *cnt, k, n;
	size_t cap = 0, len = 0;
	char *s;

	if (ptrans_parse(spec, &ch, &t) != 0) {
		intern_free(&ch);
		return NULL;
	}
	n = split_path(&ch, path, strlen(path), '>', &ids, &cap);
	out = xmalloc((size_t)n * sizeof *out);
	cnt = xmalloc((size_t)n * sizeof *cnt);
	k = ptrans_apply(&t, ids, n, out, cnt);
	for (int i = 0; i < k; i++)
		len += intern_len(&ch, (size_t)out[i]) + 16;
	s = xmalloc(len + 1);
	len = 0;
	for (int i = 0; i < k; i++) {
		if (i)
			len += (size_t)sprintf(s + len, " > ");
		len += (size_t)sprintf(s + len, "%s", intern_str(&ch, (size_t)out[i]));
		if (t.kind == PT_FREQUENCY)
			len += (size_t)sprintf(s + len, "(%d)", cnt[i]);
	}
	s[len] = '\0';
	free(ids);
	free(out);
	free(cnt);
	intern_free(&ch);
	return s;
}

void ps_transform(const struct pathset *in, const struct ptrans *t, int nt, struct pathset *out)
{
	int *a = NULL, *b = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < in->n; i++) {
		const struct path *p = &in->p[i];
		int k = p->len;
		if ((size_t)k > cap) {
			cap = (size_t)k;
			a = xrealloc(a, cap * sizeof *a);
			b = xrealloc(b, cap * sizeof *b);
		}
		memcpy(a, p->ch, (size_t)k * sizeof *a);
		for (int j = 0; j < nt; j++) {
			k = ptrans_apply(&t[j], a, k, b, NULL);
			memcpy(a, b, (size_t)k * sizeof *a);
		}
		ps_add(out, a, k, p->conv, p->value, p->nulls);
	}
	free(a);
	free(b);
}
