/*
 * sim-generate: repeat customers.  A journey's purchase conversion is a
 * customer's first purchase; after it the customer buys again as a Poisson
 * process of rate lambda while active and drops out after each repeat
 * purchase with probability p (BG/NBD, Fader, Hardie & Lee 2005), each
 * repeat worth Gamma(p, nu) (Gamma-Gamma).  Every draw comes from a stream
 * keyed by the customer (its traits) or by the customer and the purchase
 * number (each repeat's gap, value and dropout), so a customer's purchases
 * do not depend on the window.  The customers wait in a heap ordered by
 * their next purchase time; a day pops the purchases that fall in it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "die.h"
#include "sim.h"

/*
 * Per acquisition channel (the order of sim_chan): BG/NBD r, alpha (weeks),
 * a, b; Gamma-Gamma p, q, gamma.  Mean repeat value p*gamma/(q-1); mean
 * rate r/alpha purchases a week; mean dropout a/(a+b).
 */
const struct ltv_params sim_ltv[SIM_NJCH] = {
	{ 0.50, 1.6, 0.80, 2.6, 6, 4, 45.0 },    /* google_search: 90 USD */
	{ 0.40, 1.5, 0.85, 2.4, 6, 4, 42.5 },    /* google_pmax: 85 */
	{ 0.30, 1.8, 0.75, 2.0, 6, 4, 40.0 },    /* youtube: 80 */
	{ 0.35, 1.3, 0.85, 1.9, 6, 4, 37.5 },    /* meta: 75 */
	{ 0.25, 1.1, 0.90, 1.6, 6, 4, 32.5 },    /* tiktok: 65 */
	{ 0.45, 2.1, 0.70, 2.8, 6, 4, 60.0 },    /* linkedin: 120 */
	{ 0.55, 1.6, 0.75, 2.8, 6, 4, 42.5 },    /* organic: 85 */
	{ 0.60, 1.4, 0.70, 3.0, 6, 4, 47.5 },    /* direct: 95 */
	{ 0.60, 1.2, 0.60, 3.4, 6, 4, 40.0 },    /* email: 80 */
};

/* One stream per (customer, purchase): users of a day number < 2^22 (the
 * Poisson mean is at most 10^6). */
#define CUST_KEY(a, i) ((a) * (1LL << 22) + (i))

void sim_cust_latent(gsl_rng *r, uint64_t seed, long long a, long long i, int ch,
		     struct cust_latent *l)
{
	const struct ltv_params *m = &sim_ltv[ch];

	sim_stream(r, seed, K_CUST, a, i);
	l->lambda = gsl_ran_gamma(r, m->r, 1.0 / m->alpha);
	l->p = gsl_ran_beta(r, m->a, m->b);
	l->nu = gsl_ran_gamma(r, m->q, 1.0 / m->gamma);
}

void sim_cust_repeat(gsl_rng *r, uint64_t seed, long long a, long long i, long long j, int ch,
		     const struct cust_latent *l, struct cust_repeat *x)
{
	double e;

	sim_stream(r, seed, K_CUSTTX, CUST_KEY(a, i), j);
	e = gsl_ran_exponential(r, 1.0);
	x->gap = l->lambda > 0 ? e / l->lambda * SIM_LTV_UNIT : INFINITY;
	x->value = round(gsl_ran_gamma(r, sim_ltv[ch].p, 1.0 / l->nu) * 100) / 100;
	x->drop = gsl_rng_uniform(r) < l->p;
}

/* 2F1(a, b; c; z) for 0 <= z < 1 by its power series, summed until a term
 * no longer moves the sum (the terms end up decreasing like n^(a+b-c-1) z^n). */
static double hyp2f1(double a, double b, double c, double z)
{
	double term = 1, sum = 1;
	long n;

	for (n = 0; n < 10000000; n++) {
		term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z;
		sum += term;
		if (fabs(term) < 1e-17 * fabs(sum) && (a + n) * (b + n) / ((c + n) * (n + 1)) * z < 1)
			break;
	}
	return sum;
}

double sim_bgnbd_expected(const struct ltv_params *m, double t)
{
	double z = t / (m->alpha + t);

	return (m->a + m->b - 1) / (m->a - 1) *
	       (1 - pow(m->alpha / (m->alpha + t), m->r) * hyp2f1(m->r, m->b, m->a + m->b - 1, z));
}

/* A customer waiting for its next purchase. */
struct cust {
	long long next;           /* seconds since origin of the pending purchase */
	long long a, i;           /* acquisition day and user index */
	struct cust_latent l;
	double value;             /* of the pending purchase */
	int ch, j, drop;          /* j: 0 the first purchase, else the repeat's number */
};

struct customers {
	struct sim *s;
	gsl_rng *r;
	long long stop;           /* first second after the window */
	struct cust *h;
	size_t n, cap;
};

struct customers *customers_new(struct sim *s)
{
	struct customers *cs = xcalloc(1, sizeof *cs);

	cs->s = s;
	cs->r = gsl_rng_alloc(sim_rng_type);
	if (!cs->r)
		die(AELP_EXIT_SOFTWARE, "cannot allocate a random number generator");
	cs->stop = (s->end + 1) * 86400;
	return cs;
}

void customers_free(struct customers *cs)
{
	if (!cs)
		return;
	gsl_rng_free(cs->r);
	free(cs->h);
	free(cs);
}

static int before(const struct cust *x, const struct cust *y)
{
	if (x->next != y->next)
		return x->next < y->next;
	if (x->a != y->a)
		return x->a < y->a;
	return x->i < y->i;
}

static void sift_down(struct customers *cs, size_t k)
{
	struct cust *h = cs->h, tmp;

	for (;;) {
		size_t m = k, l = 2 * k + 1, r = l + 1;
		if (l < cs->n && before(&h[l], &h[m]))
			m = l;
		if (r < cs->n && before(&h[r], &h[m]))
			m = r;
		if (m == k)
			return;
		tmp = h[k];
		h[k] = h[m];
		h[m] = tmp;
		k = m;
	}
}

static void push(struct customers *cs, const struct cust *c)
{
	size_t k;

	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? 2 * cs->cap : 1024;
		cs->h = xrealloc(cs->h, cs->cap * sizeof *cs->h);
	}
	k = cs->n++;
	while (k > 0 && before(c, &cs->h[(k - 1) / 2])) {
		cs->h[k] = cs->h[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	cs->h[k] = *c;
}

void customers_add(struct customers *cs, long long a, long long i, int ch, long long secs,
		   double value)
{
	struct cust c;

	if (secs >= cs->stop)
		return;
	memset(&c, 0, sizeof c);
	c.next = secs;
	c.a = a;
	c.i = i;
	c.ch = ch;
	c.value = value;
	sim_cust_latent(cs->r, cs->s->cfg.seed, a, i, ch, &c.l);
	push(cs, &c);
}

/* The customer's next repeat into c; 0 when it falls after the window. */
static int schedule(struct customers *cs, struct cust *c)
{
	struct cust_repeat x;
	double at;

	c->j++;
	sim_cust_repeat(cs->r, cs->s->cfg.seed, c->a, c->i, c->j, c->ch, &c->l, &x);
	at = (double)c->next + x.gap;
	if (!(at < (double)cs->stop))
		return 0;
	c->next = llround(at);
	if (c->next >= cs->stop)
		return 0;
	c->value = x.value;
	c->drop = x.drop;
	return 1;
}

static void write_tx(struct customers *cs, const struct cust *c, FILE *out)
{
	char uid[48], tid[72];

	snprintf(uid, sizeof uid, "u-%lld-%lld", c->a, c->i);
	snprintf(tid, sizeof tid, "tx-%s-%d", uid, c->j + 1);
	row_begin(out, sim_table_names[T_CUSTTX]);
	row_str(out, "transaction_id", tid);
	row_str(out, "customer_id", uid);
	row_ts(out, "occurred_at", cs->s->cfg.origin, c->next);
	row_real(out, "value", c->value);
	row_str(out, "channel", sim_chan[c->ch].name);
	row_bool(out, "first_purchase", c->j == 0);
	row_end(out);
}

void customers_day(struct customers *cs, long long t, FILE *out)
{
	long long from = cs->s->cfg.start * 86400, limit = (t + 1) * 86400;

	while (cs->n > 0 && cs->h[0].next < limit) {
		struct cust *c = &cs->h[0];
		if (c->next >= from) {
			double *w = cs->s->w_cust[c->ch];
			write_tx(cs, c, out);
			w[c->j ? 2 : 0] += 1;
			w[c->j ? 3 : 1] += c->value;
		}
		if ((c->j > 0 && c->drop) || !schedule(cs, c))
			*c = cs->h[--cs->n];
		sift_down(cs, 0);
	}
}
