/* bandit-decide's serving mode (serve.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "die.h"
#include "ndjson.h"
#include "serve.h"

/* One campaign ready to serve: its posteriors or scores, what may be served. */
struct camp_state {
	int ready;
	double *score;
	struct mab_prep *prep;         /* Thompson: each arm's posterior, ready to draw from */
	unsigned char *servable;       /* not CAC-capped */
	size_t nservable;
	struct bd_linear lin;          /* contextual policies */
	struct mab_rng rng;
};

struct req {
	json_t *id;                    /* request_id: a string or an integer */
	size_t camp, k;
	size_t *list, nlist;           /* the request's available arms; NULL: every arm */
	double *x;                     /* contextual: the context's features */
};

static int contextual(const struct bd_run *r)
{
	return r->p.policy == MAB_LIN_TS || r->p.policy == MAB_LIN_UCB;
}

static void prepare(struct camp_state *s, const struct bd_campaign *c, const struct bd_run *r)
{
	size_t i, n = c->narms;

	s->ready = 1;
	s->servable = xcalloc(n, 1);
	if (contextual(r)) {
		bd_linear_fit(c, r, &s->lin);
		for (i = 0; i < n; i++)
			s->servable[i] = !s->lin.capped[i];
	} else {
		struct mab_arm *arms = xcalloc(n, sizeof *arms);
		struct mab_result *res = xcalloc(n, sizeof *res);
		struct mab_params p = r->p;
		p.draws = 1;           /* serving needs the posteriors, scores and caps, not p_best */
		p.slate = 1;
		for (i = 0; i < n; i++)
			arms[i] = c->arms[i].m;
		mab_rng_seed(&s->rng, bd_campaign_seed(r->seed, c->campaign_id));
		mab_decide(arms, n, &p, &s->rng, res);
		double *alpha = xcalloc(n, sizeof *alpha), *beta = xcalloc(n, sizeof *beta);
		s->score = xcalloc(n, sizeof *s->score);
		s->prep = xcalloc(n, sizeof *s->prep);
		for (i = 0; i < n; i++) {
			alpha[i] = res[i].alpha;
			beta[i] = res[i].beta;
			s->score[i] = res[i].score;
			s->servable[i] = !res[i].cac_capped;
		}
		mab_prepare(alpha, beta, n, s->prep);
		free(alpha);
		free(beta);
		free(arms);
		free(res);
	}
	for (i = 0; i < n; i++)
		s->nservable += s->servable[i];
	/* serving draws from a fresh stream of the campaign's seed */
	mab_rng_seed(&s->rng, bd_campaign_seed(r->seed, c->campaign_id));
}

static void state_free(struct camp_state *s)
{
	if (!s->ready)
		return;
	free(s->prep);
	free(s->score);
	free(s->servable);
	if (s->lin.n)
		bd_linear_free(&s->lin);
}

/* Parse one request line into q; 0, or -1 with why. */
static int parse_req(const char *text, size_t len, const struct bd_input *in, const struct bd_run *r,
		     struct camp_state *st, struct req *q, char *why, size_t whysz)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *v, *av;
	const struct bd_campaign *c;
	size_t i;
	int rc = -1;

	memset(q, 0, sizeof *q);
	if (!j || !json_is_object(j)) {
		snprintf(why, whysz, "%s", j ? "not a JSON object" : je.text);
		goto out;
	}
	v = json_object_get(j, "request_id");
	if (!json_is_string(v) && !json_is_integer(v)) {
		snprintf(why, whysz, "%s \"request_id\" (a string or an integer)", v ? "bad" : "missing");
		goto out;
	}
	q->id = json_incref(v);
	v = json_object_get(j, "campaign_id");
	if (!json_is_string(v)) {
		snprintf(why, whysz, "%s \"campaign_id\" (a string)", v ? "bad" : "missing");
		goto out;
	}
	c = bd_find_campaign(in, json_string_value(v));
	if (!c) {
		snprintf(why, whysz, "unknown campaign '%.200s' (no available arms read for it)",
			 json_string_value(v));
		goto out;
	}
	q->camp = (size_t)(c - in->c);
	q->k = (size_t)r->p.slate;
	v = json_object_get(j, "k");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			snprintf(why, whysz, "\"k\" must be a whole number >= 1");
			goto out;
		}
		q->k = (size_t)json_integer_value(v);
	}
	av = json_object_get(j, "available");
	if (av && !json_is_null(av)) {
		if (!json_is_array(av)) {
			snprintf(why, whysz, "\"available\" must be an array of arm ids");
			goto out;
		}
		q->list = xcalloc(json_array_size(av) + 1, sizeof *q->list);
		json_array_foreach(av, i, v) {
			long a = json_is_string(v) ? bd_find_arm(c, json_string_value(v)) : -1;
			if (!json_is_string(v)) {
				snprintf(why, whysz, "\"available\" must be an array of arm ids (strings)");
				goto out;
			}
			if (a < 0) {
				snprintf(why, whysz, "unknown arm '%.200s' of campaign '%.200s' (not among its "
					 "available arms)", json_string_value(v), c->campaign_id);
				goto out;
			}
			q->list[q->nlist++] = (size_t)a;
		}
	}
	if (contextual(r)) {
		json_t *cx = json_object_get(j, "context");
		if (!cx || json_is_null(cx))
			cx = json_object_get(j, "features");
		if (!cx || json_is_null(cx)) {
			snprintf(why, whysz, "missing \"context\": policy %s decides per context",
				 mab_policy_name(r->p.policy));
			goto out;
		}
		q->x = xcalloc(c->d, sizeof *q->x);
		if (bd_context_x(c, cx, q->x, why, whysz))
			goto out;
	}
	if (!st[q->camp].ready)
		prepare(&st[q->camp], c, r);
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static void req_free(struct req *q)
{
	json_decref(q->id);
	free(q->list);
	free(q->x);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct(const double *v, size_t n, double p)
{
	size_t i = (size_t)ceil(p / 100 * (double)n);
	return n ? v[i ? i - 1 : 0] : 0;
}

#define CHUNK 1024        /* requests decided back to back before their answers are written */
#define LAT_EVERY 8       /* every 8th decision is timed alone */

/* One request's decision: the indexes of its arms, best first, in pick;
 * returns how many. */
static size_t decide_one(const struct req *x, const struct bd_input *in, const struct bd_run *r,
			 struct camp_state *st, unsigned char *avail, double *scratch, size_t *pick)
{
	const struct bd_campaign *c = &in->c[x->camp];
	struct camp_state *s = &st[x->camp];
	const unsigned char *av = s->servable;
	size_t n = c->narms, m = 0, k, j;

	if (!x->list) {
		m = s->nservable;
	} else {
		memset(avail, 0, n);
		for (j = 0; j < x->nlist; j++)
			avail[x->list[j]] = s->servable[x->list[j]];
		for (j = 0; j < n; j++)
			m += avail[j];
		av = avail;
	}
	k = x->k < m ? x->k : m;
	if (k == 0)
		return 0;
	if (contextual(r))
		return lin_pick_slate(s->lin.ptr, n, x->x, r->p.policy, r->lin_alpha, av, k, &s->rng,
				      scratch, pick);
	if (r->p.policy == MAB_THOMPSON)
		return mab_sample_prepared(s->prep, av, n, k, &s->rng, scratch, pick);
	return mab_pick_slate(s->score, av, n, k,
			      r->p.policy == MAB_EPSILON_GREEDY ? r->p.epsilon : 0.0, &s->rng,
			      scratch, pick);
}

int bd_serve(const char *path, const struct bd_input *in, const struct bd_run *r, FILE *out,
	     struct bd_serve_stats *stats, char *err, size_t errsz)
{
	struct nd_reader *rd = nd_open(path);
	struct nd_line ln;
	struct camp_state *st = xcalloc(in->n + 1, sizeof *st);
	struct req *q = NULL;
	size_t nq = 0, cap = 0, i, j, maxn = 1, maxd = 1;
	unsigned char *avail;
	double *scratch, *lat, t0, busy = 0;
	size_t *picks, *got, nlat = 0;
	char why[600];
	int rc = 0;

	while (nd_next(rd, &ln)) {
		if (nq == cap) {
			cap = cap ? 2 * cap : 256;
			q = xrealloc(q, cap * sizeof *q);
		}
		if (parse_req(ln.text, ln.len, in, r, st, &q[nq], why, sizeof why)) {
			req_free(&q[nq]);
			rc = errorf(err, errsz, AELP_EXIT_DATAERR, "%s:%lu: %s", nd_name(rd), ln.lineno, why);
			break;
		}
		nq++;
	}
	nd_close(rd);
	for (i = 0; i < in->n; i++) {
		if (in->c[i].narms > maxn)
			maxn = in->c[i].narms;
		if (in->c[i].d > maxd)
			maxd = in->c[i].d;
	}
	avail = xcalloc(maxn, 1);
	scratch = xcalloc(maxn + maxd, sizeof *scratch);
	picks = xcalloc(CHUNK * maxn, sizeof *picks);
	got = xcalloc(CHUNK, sizeof *got);
	lat = xcalloc(nq / LAT_EVERY + 1, sizeof *lat);

	/*
	 * Decide a chunk of requests back to back, then write its answers:
	 * the decisions' throughput is N over the chunks' deciding time, and
	 * every LAT_EVERY-th decision is also timed alone for the latencies
	 * (a clock read costs a tenth of a 10-arm decision).
	 */
	t0 = now_s();
	for (i = 0; !rc && i < nq; i += CHUNK) {
		size_t end = i + CHUNK < nq ? i + CHUNK : nq, h;
		double c0 = now_s();

		for (h = i; h < end; h++) {
			if (h % LAT_EVERY == 0) {
				double a = now_s();
				got[h - i] = decide_one(&q[h], in, r, st, avail, scratch, picks + (h - i) * maxn);
				lat[nlat++] = (now_s() - a) * 1e6;
			} else {
				got[h - i] = decide_one(&q[h], in, r, st, avail, scratch, picks + (h - i) * maxn);
			}
		}
		busy += now_s() - c0;
		for (h = i; h < end; h++) {
			const struct req *x = &q[h];
			const struct bd_campaign *c = &in->c[x->camp];
			const size_t *pick = picks + (h - i) * maxn;

			fputs("{\"request_id\":", out);
			if (json_is_string(x->id))
				jw_str(out, json_string_value(x->id), json_string_length(x->id));
			else
				jw_int(out, (long long)json_integer_value(x->id));
			jw_kv_str(out, "campaign_id", c->campaign_id);
			fputs(",\"arms\":[", out);
			for (j = 0; j < got[h - i]; j++) {
				if (j)
					fputc(',', out);
				jw_str(out, c->arms[pick[j]].arm_id, strlen(c->arms[pick[j]].arm_id));
			}
			fputs("]}\n", out);
		}
		out_check(out);
	}
	if (stats && !rc) {
		stats->seconds = now_s() - t0;
		stats->decide_seconds = busy;
		stats->n = nq;
		stats->timed = nlat;
		qsort(lat, nlat, sizeof *lat, dbl_cmp);
		stats->p50_us = pct(lat, nlat, 50);
		stats->p99_us = pct(lat, nlat, 99);
		stats->max_us = nlat ? lat[nlat - 1] : 0;
	}
	for (i = 0; i < nq; i++)
		req_free(&q[i]);
	free(q);
	for (i = 0; i < in->n; i++)
		state_free(&st[i]);
	free(st);
	free(avail);
	free(scratch);
	free(picks);
	free(got);
	free(lat);
	return rc;
}
