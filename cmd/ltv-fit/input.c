/*
 * ltv-fit's readers.  Summary rows are the hot path of scoring (a million a
 * second), so transaction and summary lines go through the shared scanner
 * (common/jscan.h), which keeps only the members asked for, rather than
 * being built into jansson trees; the models file is small, its rows hold
 * nested objects (params, covariance), and it goes through jansson.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "die.h"
#include "input.h"
#include "jscan.h"
#include "ndjson.h"
#include "timefmt.h"

/* ---- shared ---- */

/* The customer id v (the member col): a non-empty string, or a number (its text). */
static int get_id(const struct jv *v, const char *col, const char **s, size_t *len, char *why,
		  size_t whysz)
{
	if (v->kind == JV_ABSENT || v->kind == JV_NULL) {
		snprintf(why, whysz, "no customer id '%s'", col);
		return -1;
	}
	if ((v->kind != JV_STRING && !jv_is_number(v)) || v->n == 0) {
		snprintf(why, whysz, "customer id '%s' is not a non-empty string or a number", col);
		return -1;
	}
	*s = v->s;
	*len = v->n;
	return 0;
}

/*
 * The segment v (the member col; -1 when there is no col): a string, a
 * number or a boolean by its text; missing or null is "(none)".  -2 with
 * why for an array or object.
 */
static int get_seg(struct customers *cs, const struct jv *v, const char *col, char *why,
		   size_t whysz)
{
	if (!col)
		return -1;
	if (v->kind == JV_ABSENT || v->kind == JV_NULL)
		return (int)intern_add(&cs->segs, "(none)", 6);
	if (v->kind == JV_STRING || jv_is_number(v) || v->kind == JV_BOOL)
		return (int)intern_add(&cs->segs, v->s, v->n);
	snprintf(why, whysz, "segment '%s' is not a string", col);
	return -2;
}

static struct cust *new_cust(struct customers *cs)
{
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? 2 * cs->cap : 1024;
		cs->c = xrealloc(cs->c, cs->cap * sizeof *cs->c);
	}
	return &cs->c[cs->n++];
}

/* Append an id's text to cs->idbuf; its offset. */
static size_t id_store(struct customers *cs, const char *s, size_t n)
{
	size_t off = cs->idn;
	if (cs->idn + n > cs->idcap) {
		cs->idcap = 2 * (cs->idn + n) + 4096;
		cs->idbuf = xrealloc(cs->idbuf, cs->idcap);
	}
	memcpy(cs->idbuf + off, s, n);
	cs->idn += n;
	return off;
}

void customers_free(struct customers *cs)
{
	free(cs->c);
	free(cs->idbuf);
	intern_free(&cs->ids);
	intern_free(&cs->segs);
	memset(cs, 0, sizeof *cs);
}

/* ---- transactions ---- */

struct txn {
	size_t cust;            /* id index */
	long long day;
	double value;
	int seg;
	size_t ord;             /* input order */
};

static int txn_cmp(const void *pa, const void *pb)
{
	const struct txn *a = pa, *b = pb;
	if (a->cust != b->cust)
		return a->cust < b->cust ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return a->ord < b->ord ? -1 : a->ord > b->ord;
}

/* A day: "YYYY-MM-DD", or an RFC 3339 timestamp (its UTC day). */
static int parse_day(const char *s, size_t n, long long *day)
{
	double ep;
	if (n == 10)
		return day_number(s, n, day);
	if (n > 10 && n < 64) {
		char buf[64];
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (timestamp_epoch(buf, &ep) == 0) {
			*day = (long long)floor(ep / 86400);
			return 0;
		}
	}
	return -1;
}

/* The members of a transaction row, in the order asked for. */
enum { T_ID, T_DATE, T_OCC, T_VALUE, T_SEG, T_N };

int read_transactions(const char *const *files, const struct read_opts *o, struct customers *cs,
		      char *err, size_t errsz)
{
	const char *keys[T_N] = { o->id_col, o->date_col, "occurred_at", o->value_col, o->seg_col };
	struct jscan js;
	struct jv v[T_N];
	struct txn *t = NULL;
	size_t nt = 0, capt = 0, i, j;
	int fi, rc = 0;

	jscan_init(&js, keys, o->seg_col ? T_N : T_N - 1);
	cs->cal_start = LLONG_MAX;
	for (fi = 0; files[fi] && !rc; fi++) {
		struct nd_reader *r = nd_open(files[fi]);
		struct nd_line l;
		while (nd_next(r, &l)) {
			const char *id;
			char whybuf[200];
			size_t idlen;
			const struct jv *dv = &v[T_DATE], *vv = &v[T_VALUE];
			long long day;
			int seg;

			if (jscan_line(&js, l.text, l.len, v) != 0) {
				rc = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), l.lineno, js.why);
				break;
			}
			cs->rows++;
			if (get_id(&v[T_ID], o->id_col, &id, &idlen, whybuf, sizeof whybuf) != 0) {
				rc = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), l.lineno, whybuf);
				break;
			}
			if (dv->kind == JV_ABSENT && strcmp(o->date_col, "date") == 0)
				dv = &v[T_OCC];
			if (dv->kind != JV_STRING || parse_day(dv->s, dv->n, &day) != 0) {
				rc = errorf(err, errsz, 65, "%s:%lu: %s '%s' is not a day (YYYY-MM-DD) "
					    "or an RFC 3339 timestamp", nd_name(r), l.lineno,
					    dv->kind != JV_ABSENT ? "date" : "no date", o->date_col);
				break;
			}
			if (!jv_is_number(vv) || !isfinite(vv->d)) {
				rc = errorf(err, errsz, 65, "%s:%lu: value '%s' is %s", nd_name(r),
					    l.lineno, o->value_col,
					    vv->kind != JV_ABSENT ? "not a finite number" : "missing");
				break;
			}
			seg = get_seg(cs, &v[T_SEG], o->seg_col, whybuf, sizeof whybuf);
			if (seg == -2) {
				rc = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), l.lineno, whybuf);
				break;
			}
			if (nt == capt) {
				capt = capt ? 2 * capt : 4096;
				t = xrealloc(t, capt * sizeof *t);
			}
			t[nt].cust = intern_add(&cs->ids, id, idlen);
			t[nt].day = day;
			t[nt].value = vv->d;
			t[nt].seg = seg;
			t[nt].ord = nt;
			nt++;
		}
		nd_close(r);
	}
	jscan_free(&js);
	if (rc) {
		free(t);
		return rc;
	}
	qsort(t, nt, sizeof *t, txn_cmp);
	for (i = 0; i < nt; i = j) {
		long long first = t[i].day, last = first;
		double fv = 0, rsum = 0;
		int x = 0, hx = 0;
		struct cust *c;
		for (j = i; j < nt && t[j].cust == t[i].cust; j++)
			;
		if (first > o->cal_end) {
			cs->late_customers++;
			cs->after_cal += (long long)(j - i);
			continue;
		}
		if (first < cs->cal_start)
			cs->cal_start = first;
		c = new_cust(cs);
		c->id = t[i].cust;
		c->id_len = intern_len(&cs->ids, c->id);
		c->id_off = id_store(cs, intern_str(&cs->ids, c->id), c->id_len);
		c->seg = t[i].seg;       /* the first row of the first day (input order) */
		{
			size_t k = i;
			long long prev = LLONG_MIN;
			for (; k < j; k++) {
				if (t[k].day > o->cal_end) {
					cs->after_cal++;
					if (o->holdout_end != LLONG_MIN && t[k].day <= o->holdout_end &&
					    t[k].day != prev)
						hx++;
					prev = t[k].day;
					continue;
				}
				if (t[k].day == first) {
					fv += t[k].value;
				} else {
					if (t[k].day != prev) {
						x++;
						last = t[k].day;
					}
					rsum += t[k].value;
				}
				prev = t[k].day;
			}
		}
		c->x = x;
		c->tx = x > 0 ? (double)(last - first) / o->period : 0;
		c->T = (double)(o->cal_end - first) / o->period;
		c->zbar = x > 0 ? rsum / x : NAN;
		c->first_value = fv;
		c->holdout_x = o->holdout_end != LLONG_MIN ? hx : -1;
	}
	free(t);
	/* customers in order of first appearance in the input (their id index) */
	{
		struct cust *sorted = xmalloc((cs->n ? cs->n : 1) * sizeof *sorted);
		size_t *pos = xmalloc((intern_count(&cs->ids) + 1) * sizeof *pos);
		size_t k;
		for (k = 0; k < intern_count(&cs->ids); k++)
			pos[k] = SIZE_MAX;
		for (k = 0; k < cs->n; k++)
			pos[cs->c[k].id] = k;
		j = 0;
		for (k = 0; k < intern_count(&cs->ids); k++)
			if (pos[k] != SIZE_MAX)
				sorted[j++] = cs->c[pos[k]];
		memcpy(cs->c, sorted, cs->n * sizeof *sorted);
		free(sorted);
		free(pos);
	}
	if (cs->cal_start == LLONG_MAX)
		cs->cal_start = LLONG_MIN;
	return 0;
}

/* ---- summaries ---- */

/* A number member v named key, checked >= lo; absent or null is NaN. */
static int get_num(const struct jv *v, const char *key, int required, double lo, double *out,
		   char *why, size_t whysz)
{
	if (v->kind == JV_ABSENT || v->kind == JV_NULL) {
		*out = NAN;
		if (required) {
			snprintf(why, whysz, "'%s' is missing", key);
			return -1;
		}
		return 0;
	}
	if (!jv_is_number(v) || !isfinite(v->d) || !(v->d >= lo)) {
		snprintf(why, whysz, "'%s' is not a finite number >= %g", key, lo);
		return -1;
	}
	*out = v->d;
	return 0;
}

/*
 * The ids of summary rows, to refuse a customer given twice.  A hash table
 * over a million ids costs a cache miss a row; instead each id's 64-bit
 * hash is kept, the (hash, row) pairs are radix-sorted once at the end (a
 * few sequential passes), and only ids whose hashes agree are compared.
 */
struct idh {
	uint64_t h;
	size_t cust;
};

static uint64_t id_hash(const char *p, size_t n)
{
	uint64_t h = fnv1a64(p, n);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static int idh_cmp(const void *pa, const void *pb)
{
	const struct idh *a = pa, *b = pb;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return a->cust < b->cust ? -1 : a->cust > b->cust;
}

/* LSD radix sort by h, 16 bits a pass; stable, so equal hashes stay in row
 * order.  Small inputs go to qsort (by hash, then row): the counting arrays
 * would cost more than the sort. */
static void idh_sort(struct idh *a, size_t n)
{
	struct idh *tmp, *src = a, *dst, *sw;
	size_t *cnt, i;
	int pass;

	if (n < 100000) {
		qsort(a, n, sizeof *a, idh_cmp);
		return;
	}
	tmp = xmalloc(n * sizeof *tmp);
	dst = tmp;
	cnt = xmalloc(65536 * sizeof *cnt);

	for (pass = 0; pass < 4; pass++) {
		int sh = 16 * pass;
		size_t sum = 0;
		memset(cnt, 0, 65536 * sizeof *cnt);
		for (i = 0; i < n; i++)
			cnt[(src[i].h >> sh) & 0xFFFF]++;
		for (i = 0; i < 65536; i++) {
			size_t c = cnt[i];
			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[(src[i].h >> sh) & 0xFFFF]++] = src[i];
		sw = src;
		src = dst;
		dst = sw;
	}
	/* four passes: the sorted data is back in a */
	free(tmp);
	free(cnt);
}

/* The first row (in input order) whose id an earlier row has: 0 and its
 * index in *dup and the earlier one in *orig, or -1 when all differ. */
static int find_duplicate(const struct customers *cs, struct idh *h, size_t *dup, size_t *orig)
{
	size_t i, j, best = SIZE_MAX, bo = 0;

	if (cs->n < 100000) {
		/* few ids: a hash table in cache, rows in input order, so the first
		 * id seen again is the first duplicate (no sort) */
		size_t cap = 16, mask;
		uint32_t *slot;
		while (cap < 2 * cs->n)
			cap *= 2;
		mask = cap - 1;
		slot = xcalloc(cap, sizeof *slot);        /* row + 1, 0 empty */
		for (i = 0; i < cs->n && best == SIZE_MAX; i++) {
			const struct cust *a = &cs->c[h[i].cust];
			for (j = (size_t)h[i].h & mask; slot[j]; j = (j + 1) & mask) {
				const struct idh *o = &h[slot[j] - 1];
				const struct cust *b = &cs->c[o->cust];
				if (o->h == h[i].h && a->id_len == b->id_len &&
				    memcmp(cs->idbuf + a->id_off, cs->idbuf + b->id_off, a->id_len) == 0) {
					best = h[i].cust;
					bo = o->cust;
					break;
				}
			}
			if (best == SIZE_MAX)
				slot[j] = (uint32_t)i + 1;
		}
		free(slot);
		if (best == SIZE_MAX)
			return -1;
		*dup = best;
		*orig = bo;
		return 0;
	}
	idh_sort(h, cs->n);
	for (i = 0; i < cs->n; i = j) {
		for (j = i + 1; j < cs->n && h[j].h == h[i].h; j++)
			;
		if (j - i > 1) {
			size_t k, m;
			for (k = i + 1; k < j; k++)
				for (m = i; m < k; m++) {
					const struct cust *a = &cs->c[h[k].cust], *b = &cs->c[h[m].cust];
					if (a->id_len == b->id_len &&
					    memcmp(cs->idbuf + a->id_off, cs->idbuf + b->id_off,
						   a->id_len) == 0 && h[k].cust < best) {
						best = h[k].cust;
						bo = h[m].cust;
						break;
					}
				}
		}
	}
	if (best == SIZE_MAX)
		return -1;
	*dup = best;
	*orig = bo;
	return 0;
}

/* The members of a summary row, in the order asked for. */
enum { S_ID, S_X, S_TX, S_T, S_ZBAR, S_FV, S_SEG, S_N };

int read_summaries(const char *const *files, const struct read_opts *o, struct customers *cs,
		   char *err, size_t errsz)
{
	const char *keys[S_N] = { o->id_col, "x", "t_x", "T", "zbar", "first_value", o->seg_col };
	struct jscan js;
	struct jv v[S_N];
	unsigned long *line_of = NULL;   /* by customer: its line, for duplicate messages */
	int *file_of = NULL;
	size_t lcap = 0;
	struct idh *hashes = NULL;
	int fi, rc = 0;

	jscan_init(&js, keys, o->seg_col ? S_N : S_N - 1);
	cs->cal_start = LLONG_MIN;
	for (fi = 0; files[fi] && !rc; fi++) {
		struct nd_reader *r = nd_open(files[fi]);
		struct nd_line l;
		while (nd_next(r, &l)) {
			const char *id;
			char wb[200];
			size_t idlen, idx;
			double x, tx, T, zbar, fv;
			int seg;
			struct cust *c;

			if (jscan_line(&js, l.text, l.len, v) != 0) {
				rc = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), l.lineno, js.why);
				break;
			}
			cs->rows++;
			if (get_id(&v[S_ID], o->id_col, &id, &idlen, wb, sizeof wb) != 0 ||
			    get_num(&v[S_X], "x", 1, 0, &x, wb, sizeof wb) != 0 ||
			    get_num(&v[S_TX], "t_x", 1, 0, &tx, wb, sizeof wb) != 0 ||
			    get_num(&v[S_T], "T", 1, 0, &T, wb, sizeof wb) != 0 ||
			    get_num(&v[S_ZBAR], "zbar", 0, -INFINITY, &zbar, wb, sizeof wb) != 0 ||
			    get_num(&v[S_FV], "first_value", 0, -INFINITY, &fv, wb, sizeof wb) != 0) {
				rc = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), l.lineno, wb);
				break;
			}
			if (x != floor(x) || x > 1e9) {
				rc = errorf(err, errsz, 65, "%s:%lu: 'x' is not a whole number of purchases",
					    nd_name(r), l.lineno);
				break;
			}
			if (tx > T) {
				rc = errorf(err, errsz, 65, "%s:%lu: 't_x' %g is after 'T' %g",
					    nd_name(r), l.lineno, tx, T);
				break;
			}
			if (x > 0 && !(tx > 0)) {
				rc = errorf(err, errsz, 65, "%s:%lu: x = %g repeat purchases but t_x = 0",
					    nd_name(r), l.lineno, x);
				break;
			}
			seg = get_seg(cs, &v[S_SEG], o->seg_col, wb, sizeof wb);
			if (seg == -2) {
				rc = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), l.lineno, wb);
				break;
			}
			idx = cs->n;
			if (idx >= lcap) {
				lcap = lcap ? 2 * lcap : 4096;
				line_of = xrealloc(line_of, lcap * sizeof *line_of);
				file_of = xrealloc(file_of, lcap * sizeof *file_of);
				hashes = xrealloc(hashes, lcap * sizeof *hashes);
			}
			hashes[idx].h = id_hash(id, idlen);
			hashes[idx].cust = idx;
			line_of[idx] = l.lineno;
			file_of[idx] = fi;
			c = new_cust(cs);
			c->id = idx;
			c->id_len = idlen;
			c->id_off = id_store(cs, id, idlen);
			c->seg = seg;
			c->x = (int)x;
			c->tx = x > 0 ? tx : 0;
			c->T = T;
			c->zbar = x > 0 ? zbar : NAN;
			c->first_value = fv;
			c->holdout_x = -1;
		}
		nd_close(r);
	}
	jscan_free(&js);
	if (!rc && cs->n > 1) {
		size_t d, o0;
		if (find_duplicate(cs, hashes, &d, &o0) == 0) {
			const struct cust *c = &cs->c[d];
			const char *fd = files[file_of[d]], *fo = files[file_of[o0]];
			rc = errorf(err, errsz, 65, "%s:%lu: customer '%.*s' again (first at %s:%lu)",
				    strcmp(fd, "-") == 0 ? "<stdin>" : fd, line_of[d],
				    (int)(c->id_len > 100 ? 100 : c->id_len), cs->idbuf + c->id_off,
				    strcmp(fo, "-") == 0 ? "<stdin>" : fo, line_of[o0]);
		}
	}
	free(hashes);
	free(line_of);
	free(file_of);
	return rc;
}

/* ---- models ---- */

static const char *const bg_names[BG_NP] = { "r", "alpha", "a", "b" };
static const char *const gg_names[GG_NP] = { "p", "q", "gamma" };

static int model_row(json_t *o, struct model_pair **pairs, size_t *n, const char **why)
{
	json_t *mv = json_object_get(o, "model"), *sv = json_object_get(o, "segment");
	json_t *pv = json_object_get(o, "params"), *cv = json_object_get(o, "covariance");
	json_t *tv = json_object_get(o, "_table"), *per = json_object_get(o, "period");
	json_t *llv = json_object_get(o, "log_likelihood");
	const char *const *names;
	struct model_pair *mp = NULL;
	struct fit *f;
	int np, isbg, i, j;
	size_t k;

	if (tv && !json_is_string(tv)) {
		*why = "_table is not a string";
		return -1;
	}
	if (tv && strcmp(json_string_value(tv), "ltv_models") != 0)
		return 1;        /* another table's row of the same run: skipped */
	if (!json_is_string(mv) || !json_is_string(sv)) {
		*why = "model and segment must be strings";
		return -1;
	}
	if (strcmp(json_string_value(mv), "bgnbd") == 0)
		isbg = 1;
	else if (strcmp(json_string_value(mv), "gamma_gamma") == 0)
		isbg = 0;
	else {
		*why = "model is not bgnbd or gamma_gamma";
		return -1;
	}
	names = isbg ? bg_names : gg_names;
	np = isbg ? BG_NP : GG_NP;
	for (k = 0; k < *n; k++)
		if (strcmp((*pairs)[k].segment, json_string_value(sv)) == 0)
			mp = &(*pairs)[k];
	if (!mp) {
		*pairs = xrealloc(*pairs, (*n + 1) * sizeof **pairs);
		mp = &(*pairs)[(*n)++];
		memset(mp, 0, sizeof *mp);
		mp->segment = xstrdup(json_string_value(sv));
	}
	if (isbg ? mp->have_bg : mp->have_gg) {
		*why = "a second row for this model and segment";
		return -1;
	}
	f = isbg ? &mp->bg : &mp->gg;
	memset(f, 0, sizeof *f);
	f->np = np;
	if (!json_is_object(pv)) {
		*why = "params is not an object";
		return -1;
	}
	for (i = 0; i < np; i++) {
		json_t *v = json_object_get(pv, names[i]);
		if (!json_is_number(v) || !(json_number_value(v) > 0) ||
		    !isfinite(json_number_value(v))) {
			*why = isbg ? "params needs r, alpha, a, b > 0" : "params needs p, q, gamma > 0";
			return -1;
		}
		f->th[i] = json_number_value(v);
		f->se[i] = NAN;
	}
	f->cov_ok = 0;
	if (json_is_array(cv) && json_array_size(cv) == (size_t)np) {
		f->cov_ok = 1;
		for (i = 0; i < np; i++) {
			json_t *row = json_array_get(cv, (size_t)i);
			if (!json_is_array(row) || json_array_size(row) != (size_t)np) {
				f->cov_ok = 0;
				break;
			}
			for (j = 0; j < np; j++) {
				json_t *e = json_array_get(row, (size_t)j);
				f->cov[i * np + j] = json_is_number(e) ? json_number_value(e) : NAN;
				f->cov_ok &= json_is_number(e) != 0;
			}
		}
	}
	f->ll = json_is_number(llv) ? json_number_value(llv) : NAN;
	f->converged = 1;
	if (json_is_string(per)) {
		snprintf(mp->period, sizeof mp->period, "%s", json_string_value(per));
		if (strcmp(mp->period, "day") != 0 && strcmp(mp->period, "week") != 0) {
			*why = "period is not day or week";
			return -1;
		}
	}
	if (isbg)
		mp->have_bg = 1;
	else
		mp->have_gg = 1;
	return 0;
}

int read_models(const char *path, struct model_pair **pairs, size_t *n, char *err, size_t errsz)
{
	struct nd_reader *r = nd_open(path);
	struct nd_line l;
	int rc = 0;
	size_t k;

	*pairs = NULL;
	*n = 0;
	while (nd_next(r, &l)) {
		json_error_t je;
		json_t *o = json_loadb(l.text, l.len, 0, &je);
		const char *why = NULL;
		if (!o || !json_is_object(o)) {
			rc = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), l.lineno,
				    o ? "not a JSON object" : je.text);
			json_decref(o);
			break;
		}
		if (model_row(o, pairs, n, &why) < 0) {
			rc = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), l.lineno, why);
			json_decref(o);
			break;
		}
		json_decref(o);
	}
	if (!rc && *n == 0)
		rc = errorf(err, errsz, 65, "%s: no ltv_models rows", nd_name(r));
	for (k = 0; !rc && k < *n; k++)
		if (!(*pairs)[k].have_bg)
			rc = errorf(err, errsz, 65, "%s: segment '%s' has no bgnbd row", nd_name(r),
				    (*pairs)[k].segment);
	nd_close(r);
	if (rc) {
		model_pairs_free(*pairs, *n);
		*pairs = NULL;
		*n = 0;
	}
	return rc;
}

void model_pairs_free(struct model_pair *pairs, size_t n)
{
	size_t k;
	for (k = 0; k < n; k++)
		free(pairs[k].segment);
	free(pairs);
}
