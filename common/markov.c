/*
 * Exact Markov attribution: an absorbing chain pooled from paths with
 * ChannelAttribution's state semantics, removal effects solved rather than
 * simulated.  See markov.h for the contract.
 *
 * Layout: channels are interned (intern.h) by name; states are tuples of up
 * to k channel ids, interned likewise as the tuples' bytes (state 0 is
 * (start), the empty tuple); transition weights live in a hash keyed by (from, to), the
 * conversion, null and value weights of each state in per-state arrays.  A
 * solve builds the CSR rows of Q once, then for the base chain and for each
 * removed channel solves (I - Q) h = r on the states that survive, for the
 * conversion column and the value column at once.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_permutation.h>
#include <gsl/gsl_vector.h>

#include "die.h"
#include "intern.h"
#include "markov.h"

/* Chains of at most this many transient states are solved by dense LU. */
#define MK_DENSE_MAX 64
#define MK_TOL 1e-13
#define MK_MAX_SWEEPS 200000

struct mk_edge {
	uint64_t key;     /* from << 32 | to, to a transient state; 0 = empty slot */
	double w;
};

struct mk_model {
	int order;
	struct intern ch;     /* channel names */
	struct intern st;     /* states: tuples of channel ids, as bytes */
	double *wout, *wconv, *wnull, *wvalue;  /* per state */
	size_t nst, capst;
	/* edges */
	struct mk_edge *edge;
	size_t nedge, ecap;
	double total_conv, total_value;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

struct mk_model *mk_new(int order)
{
	struct mk_model *m;

	if (order < 1)
		return NULL;
	m = xcalloc(1, sizeof *m);
	m->order = order;
	m->ecap = 1024;
	m->edge = xcalloc(m->ecap, sizeof *m->edge);
	/* state 0: (start) */
	intern_add(&m->st, "", 0);
	m->capst = 64;
	m->wout = xcalloc(m->capst, sizeof(double));
	m->wconv = xcalloc(m->capst, sizeof(double));
	m->wnull = xcalloc(m->capst, sizeof(double));
	m->wvalue = xcalloc(m->capst, sizeof(double));
	m->nst = 1;
	return m;
}

void mk_free(struct mk_model *m)
{
	if (!m)
		return;
	intern_free(&m->ch);
	intern_free(&m->st);
	free(m->wout);
	free(m->wconv);
	free(m->wnull);
	free(m->wvalue);
	free(m->edge);
	free(m);
}

/* State s's tuple of channel ids, and its length. */
static const int *tup(const struct mk_model *m, size_t s)
{
	return (const int *)(const void *)intern_str(&m->st, s);
}

static int tup_len(const struct mk_model *m, size_t s)
{
	return (int)(intern_len(&m->st, s) / sizeof(int));
}

static int state_intern(struct mk_model *m, const int *t, int n)
{
	size_t s = intern_add(&m->st, t, (size_t)n * sizeof *t);

	if (s < m->nst)
		return (int)s;
	if (m->nst == m->capst) {
		size_t cap = m->capst * 2;
		m->wout = xrealloc(m->wout, cap * sizeof(double));
		m->wconv = xrealloc(m->wconv, cap * sizeof(double));
		m->wnull = xrealloc(m->wnull, cap * sizeof(double));
		m->wvalue = xrealloc(m->wvalue, cap * sizeof(double));
		m->capst = cap;
	}
	m->nst++;
	m->wout[s] = m->wconv[s] = m->wnull[s] = m->wvalue[s] = 0;
	return (int)s;
}

static void edge_add(struct mk_model *m, int from, int to, double w)
{
	uint64_t key = ((uint64_t)(uint32_t)from << 32) | (uint32_t)to;
	size_t i;

	key += 1; /* never 0: (start)->(start) does not occur, but keep 0 free */
	if (2 * (m->nedge + 1) > m->ecap) {
		size_t cap = m->ecap * 2;
		struct mk_edge *e = xcalloc(cap, sizeof *e);
		for (size_t j = 0; j < m->ecap; j++) {
			if (!m->edge[j].key)
				continue;
			i = (size_t)mix(m->edge[j].key) & (cap - 1);
			while (e[i].key)
				i = (i + 1) & (cap - 1);
			e[i] = m->edge[j];
		}
		free(m->edge);
		m->edge = e;
		m->ecap = cap;
	}
	i = (size_t)mix(key) & (m->ecap - 1);
	for (;; i = (i + 1) & (m->ecap - 1)) {
		if (m->edge[i].key == key) {
			m->edge[i].w += w;
			return;
		}
		if (!m->edge[i].key) {
			m->edge[i].key = key;
			m->edge[i].w = w;
			m->nedge++;
			return;
		}
	}
}

int mk_add(struct mk_model *m, const char *const *channels, size_t n, double conv,
	   double value, double nulls)
{
	int k = m->order, *ids, *win, nw = 0, prev, cur;
	size_t nc = 0;
	double w = conv + nulls;

	if (n == 0 || !isfinite(conv) || !isfinite(value) || !isfinite(nulls) || conv < 0 ||
	    value < 0 || nulls < 0)
		return -1;
	ids = xmalloc(n * sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		int c = (int)intern_add(&m->ch, channels[i], strlen(channels[i]));
		if (nc == 0 || ids[nc - 1] != c)  /* collapse consecutive repeats */
			ids[nc++] = c;
	}
	if (w <= 0) {   /* no weight: the channels are known, the chain unchanged */
		free(ids);
		return 0;
	}
	win = xmalloc((size_t)k * sizeof *win);
	prev = 0;
	for (size_t i = 0; i < nc; i++) {
		if (nw < k) {
			win[nw++] = ids[i];
		} else {
			memmove(win, win + 1, (size_t)(k - 1) * sizeof *win);
			win[k - 1] = ids[i];
		}
		cur = state_intern(m, win, nw);
		edge_add(m, prev, cur, w);
		m->wout[prev] += w;
		prev = cur;
	}
	m->wconv[prev] += conv;
	m->wnull[prev] += nulls;
	m->wvalue[prev] += value;
	m->wout[prev] += w;
	m->total_conv += conv;
	m->total_value += value;
	free(win);
	free(ids);
	return 0;
}

/* ---- solving ---- */

struct csr {
	size_t n;
	size_t *rowp;
	int *col;
	double *p;
	double *r, *rv;  /* conversion and value columns */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void csr_build(const struct mk_model *m, struct csr *q)
{
	size_t n = m->nst, k = 0;
	uint64_t *keys = xmalloc((m->nedge + 1) * sizeof *keys);
	double *w = NULL;

	for (size_t i = 0; i < m->ecap; i++)
		if (m->edge[i].key)
			keys[k++] = m->edge[i].key;
	qsort(keys, k, sizeof *keys, cmp_u64);
	q->n = n;
	q->rowp = xcalloc(n + 1, sizeof *q->rowp);
	q->col = xmalloc((k + 1) * sizeof *q->col);
	q->p = xmalloc((k + 1) * sizeof *q->p);
	q->r = xcalloc(n, sizeof *q->r);
	q->rv = xcalloc(n, sizeof *q->rv);
	(void)w;
	for (size_t e = 0; e < k; e++) {
		uint64_t key = keys[e] - 1;
		size_t from = (size_t)(key >> 32), i;
		int to = (int)(uint32_t)key;
		/* look the weight up again */
		uint64_t kk = keys[e];
		i = (size_t)mix(kk) & (m->ecap - 1);
		while (m->edge[i].key != kk)
			i = (i + 1) & (m->ecap - 1);
		q->col[e] = to;
		q->p[e] = m->edge[i].w / m->wout[from];
		q->rowp[from + 1]++;
	}
	for (size_t s = 0; s < n; s++) {
		q->rowp[s + 1] += q->rowp[s];
		if (m->wout[s] > 0) {
			q->r[s] = m->wconv[s] / m->wout[s];
			q->rv[s] = m->wvalue[s] / m->wout[s];
		}
	}
	free(keys);
}

static void csr_free(struct csr *q)
{
	free(q->rowp);
	free(q->col);
	free(q->p);
	free(q->r);
	free(q->rv);
}

/* Solve (I - Q) h = r on the states with !dead[s] (dead states: h = 0),
 * for r and rv at once; h[0], hv[0] out.  0, or -1 (no convergence). */
static int solve(const struct csr *q, const unsigned char *dead, double *h, double *hv,
		 double *h0, double *hv0)
{
	size_t n = q->n;

	if (n <= MK_DENSE_MAX) {
		size_t *idx = xmalloc(n * sizeof *idx), *pos = xmalloc(n * sizeof *pos), nn = 0;
		for (size_t s = 0; s < n; s++) {
			pos[s] = (size_t)-1;
			if (!dead[s]) {
				pos[s] = nn;
				idx[nn++] = s;
			}
		}
		gsl_matrix *a = gsl_matrix_calloc(nn, nn);
		gsl_matrix *b = gsl_matrix_alloc(nn, 2);
		gsl_permutation *perm = gsl_permutation_alloc(nn);
		gsl_vector *x = gsl_vector_alloc(nn);
		int sg;
		for (size_t i = 0; i < nn; i++) {
			size_t s = idx[i];
			gsl_matrix_set(a, i, i, 1.0);
			for (size_t e = q->rowp[s]; e < q->rowp[s + 1]; e++) {
				size_t t = (size_t)q->col[e];
				if (pos[t] != (size_t)-1)
					*gsl_matrix_ptr(a, i, pos[t]) -= q->p[e];
			}
			gsl_matrix_set(b, i, 0, q->r[s]);
			gsl_matrix_set(b, i, 1, q->rv[s]);
		}
		gsl_linalg_LU_decomp(a, perm, &sg);
		for (int c = 0; c < 2; c++) {
			gsl_vector_view col = gsl_matrix_column(b, (size_t)c);
			gsl_linalg_LU_solve(a, perm, &col.vector, x);
			double *out = c ? hv : h;
			for (size_t s = 0; s < n; s++)
				out[s] = pos[s] == (size_t)-1 ? 0 : gsl_vector_get(x, pos[s]);
		}
		*h0 = h[0];
		*hv0 = hv[0];
		gsl_vector_free(x);
		gsl_permutation_free(perm);
		gsl_matrix_free(b);
		gsl_matrix_free(a);
		free(idx);
		free(pos);
		return 0;
	}
	for (size_t s = 0; s < n; s++)
		h[s] = hv[s] = 0;
	for (int sweep = 0; sweep < MK_MAX_SWEEPS; sweep++) {
		double dmax = 0, dvmax = 0, hmax = 0, hvmax = 0;
		/* backwards: states are created along the paths, so successors
		 * tend to have higher numbers and (start) is state 0 */
		for (size_t s = n; s-- > 0;) {
			double a, av;
			if (dead[s])
				continue;
			a = q->r[s];
			av = q->rv[s];
			for (size_t e = q->rowp[s]; e < q->rowp[s + 1]; e++) {
				a += q->p[e] * h[q->col[e]];
				av += q->p[e] * hv[q->col[e]];
			}
			if (fabs(a - h[s]) > dmax)
				dmax = fabs(a - h[s]);
			if (fabs(av - hv[s]) > dvmax)
				dvmax = fabs(av - hv[s]);
			h[s] = a;
			hv[s] = av;
			if (a > hmax)
				hmax = a;
			if (av > hvmax)
				hvmax = av;
		}
		if (dmax <= MK_TOL * hmax && dvmax <= MK_TOL * hvmax) {
			*h0 = h[0];
			*hv0 = hv[0];
			return 0;
		}
	}
	return -1;
}

int mk_solve(struct mk_model *m, struct mk_result *r, char *err, size_t errsz)
{
	struct csr q;
	unsigned char *dead;
	double *h, *hv, p, pv, sre = 0, srev = 0;
	size_t n = m->nst, nc = intern_count(&m->ch);

	memset(r, 0, sizeof *r);
	if (!(m->total_conv > 0))
		return errorf(err, errsz, -1, "no conversions: nothing to attribute");
	csr_build(m, &q);
	dead = xcalloc(n, 1);
	h = xmalloc(n * sizeof *h);
	hv = xmalloc(n * sizeof *hv);
	if (solve(&q, dead, h, hv, &p, &pv) != 0)
		goto noconv;
	r->nchannels = nc;
	r->channel = xcalloc(nc ? nc : 1, sizeof *r->channel);
	r->removal_effect = xcalloc(nc ? nc : 1, sizeof(double));
	r->removal_effect_value = xcalloc(nc ? nc : 1, sizeof(double));
	r->conversions = xcalloc(nc ? nc : 1, sizeof(double));
	r->conversion_value = xcalloc(nc ? nc : 1, sizeof(double));
	r->p_conv = p;
	r->total_conversions = m->total_conv;
	r->total_value = m->total_value;
	r->nstates = n;
	for (size_t c = 0; c < nc; c++) {
		double pc, pvc;
		int any = 0;
		r->channel[c] = xstrdup(intern_str(&m->ch, c));
		for (size_t s = 0; s < n; s++) {
			const int *t = tup(m, s);
			dead[s] = 0;
			for (int j = 0; j < tup_len(m, s); j++)
				if ((size_t)t[j] == c)
					dead[s] = 1;
			any |= dead[s];
		}
		if (!any)   /* a channel only on paths without weight */
			continue;
		if (solve(&q, dead, h, hv, &pc, &pvc) != 0) {
			mk_result_free(r);
			goto noconv;
		}
		r->removal_effect[c] = p > 0 ? fmax(0.0, 1.0 - pc / p) : 0;
		r->removal_effect_value[c] = pv > 0 ? fmax(0.0, 1.0 - pvc / pv) : 0;
		sre += r->removal_effect[c];
		srev += r->removal_effect_value[c];
	}
	for (size_t c = 0; c < nc; c++) {
		r->conversions[c] = sre > 0 ? r->removal_effect[c] / sre * m->total_conv : 0;
		r->conversion_value[c] =
			srev > 0 ? r->removal_effect_value[c] / srev * m->total_value : 0;
	}
	free(dead);
	free(h);
	free(hv);
	csr_free(&q);
	return 0;
noconv:
	free(dead);
	free(h);
	free(hv);
	csr_free(&q);
	return errorf(err, errsz, -1, "the chain's solve did not converge in %d sweeps",
		      MK_MAX_SWEEPS);
}

void mk_result_free(struct mk_result *r)
{
	if (!r)
		return;
	if (r->channel)
		for (size_t c = 0; c < r->nchannels; c++)
			free((char *)r->channel[c]);
	free(r->channel);
	free(r->removal_effect);
	free(r->removal_effect_value);
	free(r->conversions);
	free(r->conversion_value);
	memset(r, 0, sizeof *r);
}

/* ---- transitions ---- */

static void state_name(const struct mk_model *m, int s, char **buf, size_t *cap)
{
	size_t n = 0;
	if (s == 0) {
		free(*buf);
		*buf = xstrdup("(start)");
		*cap = 8;
		return;
	}
	for (int j = 0; j < tup_len(m, (size_t)s); j++) {
		int id = tup(m, (size_t)s)[j];
		const char *c = intern_str(&m->ch, (size_t)id);
		size_t l = intern_len(&m->ch, (size_t)id);
		if (n + l + 2 > *cap) {
			*cap = (n + l + 2) * 2;
			*buf = xrealloc(*buf, *cap);
		}
		if (j)
			(*buf)[n++] = ',';
		memcpy(*buf + n, c, l);
		n += l;
	}
	(*buf)[n] = '\0';
}

long mk_transitions(const struct mk_model *m, const char *from,
		    void (*f)(const char *to, double p, void *ctx), void *ctx)
{
	int t[64], nt = 0;
	long s;
	long count = 0;
	char *buf = NULL;
	size_t cap = 0;

	if (strcmp(from, "(start)") == 0) {
		s = 0;
	} else {
		const char *p = from;
		for (;;) {
			const char *e = strchr(p, ',');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			long c = intern_find(&m->ch, p, l);
			if (c < 0 || nt >= m->order)
				return -1;
			t[nt++] = (int)c;
			if (!e)
				break;
			p = e + 1;
		}
		s = intern_find(&m->st, t, (size_t)nt * sizeof *t);
		if (s < 0)
			return -1;
	}
	if (!(m->wout[s] > 0))
		return 0;
	/* successors in state order, then (conversion), (null) */
	{
		uint64_t *keys = xmalloc((m->nedge + 1) * sizeof *keys);
		double *ws = xmalloc((m->nedge + 1) * sizeof *ws);
		size_t k = 0;
		for (size_t i = 0; i < m->ecap; i++) {
			uint64_t key = m->edge[i].key;
			if (key && (int)((key - 1) >> 32) == s) {
				keys[k] = key;
				k++;
			}
		}
		qsort(keys, k, sizeof *keys, cmp_u64);
		for (size_t e = 0; e < k; e++) {
			size_t i = (size_t)mix(keys[e]) & (m->ecap - 1);
			while (m->edge[i].key != keys[e])
				i = (i + 1) & (m->ecap - 1);
			ws[e] = m->edge[i].w;
			state_name(m, (int)(uint32_t)(keys[e] - 1), &buf, &cap);
			f(buf, ws[e] / m->wout[s], ctx);
			count++;
		}
		free(keys);
		free(ws);
	}
	if (m->wconv[s] > 0) {
		f("(conversion)", m->wconv[s] / m->wout[s], ctx);
		count++;
	}
	if (m->wnull[s] > 0) {
		f("(null)", m->wnull[s] / m->wout[s], ctx);
		count++;
	}
	free(buf);
	return count;
}
