/*
 * sim-generate: user journeys.  Each day's new users walk a Markov chain
 * over channels from (start) to (conversion) or (null); their sessions and
 * touches land in per-day buckets, written when the output reaches that
 * day.  A user is generated once, from the stream (seed, day, user), so a
 * day's rows do not depend on the window.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "die.h"
#include "sim.h"

#define NSTATES (SIM_NJCH + 3)
#define S_CONV (SIM_NJCH + 1)
#define S_NULL (SIM_NJCH + 2)
/* Rows of a user fall from the day before acquisition (an impression) to
 * horizon + lag cap days after it: the ring holds every day in flight. */
#define SPAN (SIM_J_HORIZON_DAYS + SIM_J_LAG_CAP_DAYS + 1)
#define RING (SPAN + 3)

struct bucket {
	long long day;
	FILE *f[2];
	char *buf[2];
	size_t len[2];
};

struct journey {
	struct sim *s;
	gsl_rng *r;
	long long next_a;
	struct bucket ring[RING];
};

struct sess {
	int ch, camp, ad, pageviews;
	long long start, dur;
	const char *landing;
};

static const char *const regions[] = { "US-CA", "US-TX", "US-NY", "US-FL", "US-IL", "US-WA",
				       "US-PA", "US-GA", "US-MA", "US-CO" };
static const char *const landings[] = { "/", "/pricing", "/product", "/blog/getting-started",
					"/demo", "/lp/offer" };

void journey_matrix(double m[SIM_NJCH + 3][SIM_NJCH + 3])
{
	/* (start) -> first channel */
	static const double first[SIM_NJCH] = { .18, .08, .07, .16, .10, .03, .20, .12, .06 };
	/* From a channel: P(conversion), P(null) = .45, the rest spread by pref. */
	static const double conv[SIM_NJCH] = { .08, .06, .03, .05, .04, .05, .06, .10, .07 };
	static const double pref[SIM_NJCH] = { .20, .06, .04, .10, .05, .02, .20, .25, .08 };
	int i, j;

	memset(m, 0, sizeof(double) * NSTATES * NSTATES);
	for (j = 0; j < SIM_NJCH; j++)
		m[0][1 + j] = first[j];
	for (i = 0; i < SIM_NJCH; i++) {
		double go = 1.0 - conv[i] - 0.45;
		double rest = 1.0 - conv[i];
		/* Rounded to 1e-6 so the truth file shows the decimals; (null)
		 * takes what is left, so each row sums to 1 (within 1e-15). */
		for (j = 0; j < SIM_NJCH; j++) {
			m[1 + i][1 + j] = round(go * pref[j] * 1e6) / 1e6;
			rest -= m[1 + i][1 + j];
		}
		m[1 + i][S_CONV] = conv[i];
		m[1 + i][S_NULL] = round(rest * 1e9) / 1e9;
	}
	m[S_CONV][S_CONV] = 1;
	m[S_NULL][S_NULL] = 1;
}

struct journey *journey_new(struct sim *s)
{
	struct journey *j = xcalloc(1, sizeof *j);
	int i;

	j->s = s;
	j->r = gsl_rng_alloc(sim_rng_type);
	if (!j->r)
		die(AELP_EXIT_SOFTWARE, "cannot allocate a random number generator");
	/* Customers keep buying after their journey: their first purchases
	 * are needed from the origin on. */
	j->next_a = s->cust ? 0 : s->cfg.start - SPAN;
	if (j->next_a < 0)
		j->next_a = 0;
	for (i = 0; i < RING; i++)
		j->ring[i].day = -1;
	return j;
}

void journey_free(struct journey *j)
{
	int i, k;

	if (!j)
		return;
	for (i = 0; i < RING; i++)
		for (k = 0; k < 2; k++)
			if (j->ring[i].f[k]) {
				fclose(j->ring[i].f[k]);
				free(j->ring[i].buf[k]);
			}
	gsl_rng_free(j->r);
	free(j);
}

/* The stream to append a row of table k (0 sessions, 1 touches) dated at
 * secs, or NULL when that day is outside the window. */
static FILE *bucket_for(struct journey *j, long long secs, int k)
{
	long long day = secs >= 0 ? secs / 86400 : -1;
	struct bucket *b;

	if (day < j->s->cfg.start || day > j->s->end)
		return NULL;
	b = &j->ring[day % RING];
	if (b->day != day) {
		if (b->day >= 0)
			die(AELP_EXIT_SOFTWARE, "journey ring overrun at day %lld", day);
		b->day = day;
	}
	if (!b->f[k]) {
		b->f[k] = open_memstream(&b->buf[k], &b->len[k]);
		if (!b->f[k])
			die(AELP_EXIT_SOFTWARE, "open_memstream: out of memory");
	}
	return b->f[k];
}

static int next_state(gsl_rng *r, const double *row)
{
	double u = gsl_rng_uniform(r), acc = 0;
	int i;

	for (i = 0; i < NSTATES - 1; i++) {
		acc += row[i];
		if (u < acc)
			return i;
	}
	return NSTATES - 1;
}

static void paid_fields(FILE *f, const struct sim *s, const struct sess *x)
{
	const struct campaign *cp = &s->camps[x->camp];
	const struct ad *ad = &s->ads[cp->first_ad + x->ad];

	row_str(f, "platform", sim_chan[x->ch].platform);
	row_str(f, "campaign_id", cp->id);
	row_str(f, "ad_group_id", ad->group_id);
	row_str(f, "ad_id", ad->id);
}

/* Walk user i of day a; rows says whether its sessions and touches are
 * wanted (no row of a user acquired SPAN days before the window lands in
 * it).  A purchase conversion adds a customer. */
static void user(struct journey *j, long long a, long long i, int rows)
{
	struct sim *s = j->s;
	const struct sim_config *c = &s->cfg;
	gsl_rng *r = j->r;
	struct sess x[SIM_J_MAX_SESSIONS];
	int n = 0, state = 0, converted = 0, k;
	long long t, conv_at = 0, horizon = (a + SIM_J_HORIZON_DAYS) * 86400;
	double u, value = 0;
	const char *device, *region, *ctype = NULL;
	char uid[48], sid[64], tid[80], cid[56];
	FILE *f;

	sim_stream(r, c->seed, K_USER, a, i);
	t = a * 86400 + (long long)gsl_rng_uniform_int(r, 86400);
	u = gsl_rng_uniform(r);
	device = u < 0.60 ? "mobile" : u < 0.95 ? "desktop" : "tablet";
	region = regions[gsl_rng_uniform_int(r, 10)];
	for (;;) {
		int nx = next_state(r, s->jmatrix[state]);
		if (nx == S_CONV) {
			converted = 1;
			break;
		}
		if (nx == S_NULL || n == SIM_J_MAX_SESSIONS)
			break;
		if (n > 0)
			t = x[n - 1].start + x[n - 1].dur + 60 +
			    llround(gsl_ran_exponential(r, 1.5 * 86400));
		if (t >= horizon)
			break;
		x[n].ch = nx - 1;
		x[n].start = t;
		x[n].dur = 10 + llround(fmin(gsl_ran_exponential(r, 240), 3600));
		x[n].pageviews = 1 + (int)gsl_ran_poisson(r, 2.0);
		x[n].landing = landings[gsl_rng_uniform_int(r, 6)];
		x[n].camp = x[n].ad = 0;
		if (x[n].ch < SIM_NPAID) {
			x[n].camp = x[n].ch * c->campaigns + (int)gsl_rng_uniform_int(r, (unsigned long)c->campaigns);
			x[n].ad = (int)gsl_rng_uniform_int(r, (unsigned long)c->ads);
		}
		n++;
		state = nx;
	}
	if (converted) {
		const struct sess *l = &x[n - 1];
		if (gsl_rng_uniform(r) < 0.6)
			conv_at = l->start + (long long)gsl_rng_uniform_int(r, (unsigned long)l->dur + 1);
		else
			conv_at = l->start + l->dur +
				  llround(fmin(gsl_ran_lognormal(r, log(21600.0), 1.2),
					       SIM_J_LAG_CAP_DAYS * 86400.0));
		u = gsl_rng_uniform(r);
		if (u < 0.2) {
			ctype = strcmp(device, "mobile") == 0 && gsl_rng_uniform(r) < 0.5 ?
				"first_open" : "first_visit";
			value = 0;
		} else if (u < 0.72) {
			ctype = "purchase";
			value = round(gsl_ran_lognormal(r, log(sim_kpi.value) - 0.08, 0.4) * 100) / 100;
			if (s->cust)   /* the customer's first purchase (own streams) */
				customers_add(s->cust, a, i, l->ch, conv_at, value);
		} else {
			ctype = "lead";
			value = 25.0;
		}
	}
	if (!rows)
		return;

	snprintf(uid, sizeof uid, "u-%lld-%lld", a, i);
	snprintf(cid, sizeof cid, "cv-%lld-%lld", a, i);
	for (k = 0; k < n; k++) {
		const struct sess *e = &x[k];
		const struct chan *ch = &sim_chan[e->ch];
		int conv_here = converted && k == n - 1;
		snprintf(sid, sizeof sid, "%s-s%d", uid, k + 1);
		if ((f = bucket_for(j, e->start, 0))) {
			row_begin(f, sim_table_names[T_SESSIONS]);
			row_str(f, "session_id", sid);
			row_str(f, "user_id", uid);
			row_ts(f, "session_start", c->origin, e->start);
			row_ts(f, "session_end", c->origin, e->start + e->dur);
			row_str(f, "channel", ch->name);
			row_str(f, "source", ch->source);
			row_str(f, "medium", ch->medium);
			if (e->ch < SIM_NPAID)
				row_str(f, "campaign_id", s->camps[e->camp].id);
			row_str(f, "device", device);
			row_str(f, "region", region);
			row_str(f, "landing_page", e->landing);
			row_int(f, "pageviews", e->pageviews);
			row_bool(f, "engaged", e->dur >= 60 || e->pageviews >= 2 || conv_here);
			row_bool(f, "converted", conv_here);
			if (conv_here) {
				row_str(f, "conversion_type", ctype);
				row_real(f, "conversion_value", value);
				row_ts(f, "converted_at", c->origin, conv_at);
			}
			row_end(f);
		}
		/* Touches before the session: for a paid channel an impression and
		 * the click; for email the click.  Draws happen whether or not the
		 * touch lands in the window, so the stream stays aligned. */
		if (e->ch < SIM_NPAID || e->ch == SIM_NJCH - 1) {
			const struct ad *ad = &s->ads[s->camps[e->camp].first_ad + e->ad];
			long long clk = e->start - 1 - (long long)gsl_rng_uniform_int(r, 5);
			long long imp = clk - 5 - (long long)gsl_rng_uniform_int(r, 7200);
			int cpc = e->ch == 0 || e->ch == 5;   /* search and LinkedIn bill clicks */
			if (e->ch < SIM_NPAID && (f = bucket_for(j, imp, 1))) {
				snprintf(tid, sizeof tid, "%s-imp", sid);
				row_begin(f, sim_table_names[T_TOUCHES]);
				row_str(f, "touchpoint_id", tid);
				row_str(f, "user_id", uid);
				row_ts(f, "touched_at", c->origin, imp);
				row_str(f, "touch_type", "impression");
				row_str(f, "channel", ch->name);
				paid_fields(f, s, e);
				row_str(f, "session_id", sid);
				row_real(f, "cost", cpc ? 0.0 : round(ad->cpm * 1000) / 1e6);
				row_end(f);
			}
			if ((f = bucket_for(j, clk, 1))) {
				snprintf(tid, sizeof tid, "%s-clk", sid);
				row_begin(f, sim_table_names[T_TOUCHES]);
				row_str(f, "touchpoint_id", tid);
				row_str(f, "user_id", uid);
				row_ts(f, "touched_at", c->origin, clk);
				row_str(f, "touch_type", "click");
				row_str(f, "channel", ch->name);
				if (e->ch < SIM_NPAID)
					paid_fields(f, s, e);
				row_str(f, "session_id", sid);
				row_real(f, "cost", e->ch < SIM_NPAID && cpc ?
					 round(ad->cpm / (1000 * ad->ctr) * 100) / 100 : 0.0);
				row_end(f);
			}
		}
		if (conv_here && (f = bucket_for(j, conv_at, 1))) {
			row_begin(f, sim_table_names[T_TOUCHES]);
			row_str(f, "touchpoint_id", cid);
			row_str(f, "user_id", uid);
			row_ts(f, "touched_at", c->origin, conv_at);
			row_str(f, "touch_type", "conversion");
			row_str(f, "channel", ch->name);
			if (e->ch < SIM_NPAID)
				paid_fields(f, s, e);
			row_str(f, "session_id", sid);
			row_str(f, "conversion_id", cid);
			row_str(f, "conversion_type", ctype);
			row_real(f, "conversion_value", value);
			row_end(f);
		}
	}
}

static void acquire(struct journey *j, long long a)
{
	const struct sim_config *c = &j->s->cfg;
	unsigned n, i;
	int rows = a >= c->start - SPAN && (c->tables & (1u << T_SESSIONS | 1u << T_TOUCHES));

	if (c->users == 0)
		return;
	sim_stream(j->r, c->seed, K_NUSERS, a, 0);
	n = gsl_ran_poisson(j->r, (double)c->users);
	for (i = 0; i < n; i++)
		user(j, a, i, rows);
}

void journey_day(struct journey *j, long long t, FILE *out)
{
	struct bucket *b = &j->ring[t % RING];
	unsigned tables = j->s->cfg.tables;
	int k;

	/* Users acquired tomorrow may have an impression today. */
	while (j->next_a <= t + 1)
		acquire(j, j->next_a++);
	if (b->day != t)
		return;
	for (k = 0; k < 2; k++) {
		if (!b->f[k])
			continue;
		if (fclose(b->f[k]) != 0)
			die(AELP_EXIT_SOFTWARE, "journey buffer: out of memory");
		if (tables & 1u << (k ? T_TOUCHES : T_SESSIONS))
			fwrite(b->buf[k], 1, b->len[k], out);
		free(b->buf[k]);
		b->f[k] = NULL;
		b->buf[k] = NULL;
		b->len[k] = 0;
	}
	b->day = -1;
}
