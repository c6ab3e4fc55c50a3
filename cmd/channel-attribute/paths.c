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

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

/* ---- channels ---- */

int ch_find(const struct ch_table *t, const char *name, size_t len)
{
	if (!t->nslot)
		return -1;
	for (size_t i = (size_t)hash_bytes(name, len) & (t->nslot - 1);; i = (i + 1) & (t->nslot - 1)) {
		uint32_t v = t->slot[i];
		if (!v)
			return -1;
		if (strlen(t->name[v - 1]) == len && memcmp(t->name[v - 1], name, len) == 0)
			return (int)(v - 1);
	}
}

static void ch_place(struct ch_table *t, uint32_t *slot, size_t nslot, size_t id)
{
	size_t i = (size_t)hash_bytes(t->name[id], strlen(t->name[id])) & (nslot - 1);
	while (slot[i])
		i = (i + 1) & (nslot - 1);
	slot[i] = (uint32_t)id + 1;
}

int ch_intern(struct ch_table *t, const char *name, size_t len)
{
	int id = ch_find(t, name, len);

	if (id >= 0)
		return id;
	if (2 * (t->n + 1) > t->nslot) {
		size_t nslot = t->nslot ? t->nslot * 2 : 64;
		uint32_t *slot = xcalloc(nslot, sizeof *slot);
		for (size_t i = 0; i < t->n; i++)
			ch_place(t, slot, nslot, i);
		free(t->slot);
		t->slot = slot;
		t->nslot = nslot;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->name = xrealloc(t->name, t->cap * sizeof *t->name);
	}
	t->name[t->n] = xstrndup(name, len);
	ch_place(t, t->slot, t->nslot, t->n);
	return (int)t->n++;
}

void ch_free(struct ch_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->name[i]);
	free(t->name);
	free(t->slot);
	memset(t, 0, sizeof *t);
}

/* ---- paths ---- */

static uint64_t path_hash(const int *ch, int len)
{
	return hash_bytes(ch, (size_t)len * sizeof *ch) ^ (uint64_t)len;
}

long ps_find(const struct pathset *s, const int *ch, int len)
{
	if (!s->nslot)
		return -1;
	for (size_t i = (size_t)path_hash(ch, len) & (s->nslot - 1);; i = (i + 1) & (s->nslot - 1)) {
		uint32_t v = s->slot[i];
		const struct path *p;
		if (!v)
			return -1;
		p = &s->p[v - 1];
		if (p->len == len && memcmp(p->ch, ch, (size_t)len * sizeof *ch) == 0)
			return (long)(v - 1);
	}
}

static void ps_place(struct pathset *s, uint32_t *slot, size_t nslot, size_t id)
{
	size_t i = (size_t)path_hash(s->p[id].ch, s->p[id].len) & (nslot - 1);
	while (slot[i])
		i = (i + 1) & (nslot - 1);
	slot[i] = (uint32_t)id + 1;
}

size_t ps_add(struct pathset *s, const int *ch, int len, double conv, double value, double nulls)
{
	long f = ps_find(s, ch, len);
	struct path *p;

	if (f < 0) {
		if (2 * (s->n + 1) > s->nslot) {
			size_t nslot = s->nslot ? s->nslot * 2 : 1024;
			uint32_t *slot = xcalloc(nslot, sizeof *slot);
			for (size_t i = 0; i < s->n; i++)
				ps_place(s, slot, nslot, i);
			free(s->slot);
			s->slot = slot;
			s->nslot = nslot;
		}
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 256;
			s->p = xrealloc(s->p, s->cap * sizeof *s->p);
		}
		p = &s->p[s->n];
		p->ch = xmalloc(((size_t)len + 1) * sizeof *p->ch);
		memcpy(p->ch, ch, (size_t)len * sizeof *ch);
		p->len = len;
		p->conv = p->value = p->nulls = 0;
		ps_place(s, s->slot, s->nslot, s->n);
		f = (long)s->n++;
	}
	p = &s->p[f];
	p->conv += conv;
	p->value += value;
	p->nulls += nulls;
	return (size_t)f;
}

void ps_free(struct pathset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->p[i].ch);
	free(s->p);
	free(s->slot);
	memset(s, 0, sizeof *s);
}

int split_path(struct ch_table *t, const char *text, size_t n, char sep, int **ids, size_t *cap)
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
		(*ids)[k++] = ch_intern(t, text + b, e - b);
		if (i >= n)
			break;
		i++;
	}
	return k;
}

/* ---- reading ---- */

/* raw path text -> index in the pathset: identical rows skip the split */
struct rawcache {
	char **text;
	size_t *len;
	size_t *idx;
	size_t n, cap;
	uint32_t *slot;
	size_t nslot;
};

static long rc_find(const struct rawcache *c, const char *s, size_t n, uint64_t h)
{
	if (!c->nslot)
		return -1;
	for (size_t i = (size_t)h & (c->nslot - 1);; i = (i + 1) & (c->nslot - 1)) {
		uint32_t v = c->slot[i];
		if (!v)
			return -1;
		if (c->len[v - 1] == n && memcmp(c->text[v - 1], s, n) == 0)
			return (long)c->idx[v - 1];
	}
}

static void rc_add(struct rawcache *c, const char *s, size_t n, size_t idx)
{
	if (2 * (c->n + 1) > c->nslot) {
		size_t nslot = c->nslot ? c->nslot * 2 : 1024;
		uint32_t *slot = xcalloc(nslot, sizeof *slot);
		for (size_t j = 0; j < c->n; j++) {
			size_t i = (size_t)hash_bytes(c->text[j], c->len[j]) & (nslot - 1);
			while (slot[i])
				i = (i + 1) & (nslot - 1);
			slot[i] = (uint32_t)j + 1;
		}
		free(c->slot);
		c->slot = slot;
		c->nslot = nslot;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->text = xrealloc(c->text, c->cap * sizeof *c->text);
		c->len = xrealloc(c->len, c->cap * sizeof *c->len);
		c->idx = xrealloc(c->idx, c->cap * sizeof *c->idx);
	}
	c->text[c->n] = xstrndup(s, n);
	c->len[c->n] = n;
	c->idx[c->n] = idx;
	{
		size_t i = (size_t)hash_bytes(s, n) & (c->nslot - 1);
		while (c->slot[i])
			i = (i + 1) & (c->nslot - 1);
		c->slot[i] = (uint32_t)c->n + 1;
	}
	c->n++;
}

static void rc_free(struct rawcache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->text[i]);
	free(c->text);
	free(c->len);
	free(c->idx);
	free(c->slot);
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
	uint64_t h = hash_bytes(path, plen);
	long idx = rc_find(rc, path, plen, h);

	if (idx < 0) {
		int k;
		if (plen == 0) {
			*why = "empty path";
			return -1;
		}
		k = split_path(&in->ch, path, plen, sep, ids, cap);
		for (int j = 0; j < k; j++)
			if (in->ch.name[(*ids)[j]][0] == '\0') {
				*why = "empty channel name in the path";
				return -1;
			}
		idx = (long)ps_add(&in->raw, *ids, k, 0, 0, 0);
		rc_add(rc, path, plen, (size_t)idx);
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
	ch_free(&in->ch);
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

int ptrans_parse(const char *s, struct ch_table *ch, struct ptrans *t)
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
		t->ch = ch_intern(ch, arg, an);
	} else
		return -1;
#undef IS
	return 0;
}

char *ptrans_string(const char *spec, const char *path)
{
	struct ch_table ch = { 0 };
	struct ptrans t;
	int *ids = NULL, *out, *cnt, k, n;
	size_t cap = 0, len = 0;
	char *s;

	if (ptrans_parse(spec, &ch, &t) != 0) {
		ch_free(&ch);
		return NULL;
	}
	n = split_path(&ch, path, strlen(path), '>', &ids, &cap);
	out = xmalloc((size_t)n * sizeof *out);
	cnt = xmalloc((size_t)n * sizeof *cnt);
	k = ptrans_apply(&t, ids, n, out, cnt);
	for (int i = 0; i < k; i++)
		len += strlen(ch.name[out[i]]) + 16;
	s = xmalloc(len + 1);
	len = 0;
	for (int i = 0; i < k; i++) {
		if (i)
			len += (size_t)sprintf(s + len, " > ");
		len += (size_t)sprintf(s + len, "%s", ch.name[out[i]]);
		if (t.kind == PT_FREQUENCY)
			len += (size_t)sprintf(s + len, "(%d)", cnt[i]);
	}
	s[len] = '\0';
	free(ids);
	free(out);
	free(cnt);
	ch_free(&ch);
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
