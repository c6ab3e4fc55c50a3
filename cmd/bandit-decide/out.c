/* bandit-decide's decisions and rows (out.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cacband.h"
#include "die.h"
#include "ltvprior.h"
#include "ndjson.h"
#include "out.h"

uint64_t bd_campaign_seed(uint64_t seed, const char *campaign_id)
{
	return seed ^ bd_fnv1a64(campaign_id);
}

static void kv_bool(FILE *f, const char *k, int b)
{
	fputc(',', f);
	jw_key(f, k);
	fputs(b ? "true" : "false", f);
}

static void kv_int_or_null(FILE *f, const char *k, long long v, int null)
{
	if (null) {
		fputc(',', f);
		jw_key(f, k);
		fputs("null", f);
	} else {
		jw_kv_int(f, k, v);
	}
}

/* A count stored as INT64: trials are whole numbers (checked when read). */
static long long count(double v)
{
	return (long long)llround(v);
}

static void write_arm(FILE *f, const struct bd_input *in, const struct bd_campaign *c,
		      const struct bd_arm *a, const struct mab_result *m, const struct bd_run *r,
		      int slate)
{
	fputs("{\"_table\":\"bandit_decisions\"", f);
	jw_kv_str(f, "run_id", r->run_id);
	jw_kv_str(f, "campaign_id", c->campaign_id);
	jw_kv_str(f, "arm_id", a->arm_id);
	jw_kv_str(f, "policy", mab_policy_name(r->p.policy));
	jw_kv_real(f, "alpha", m->alpha);
	jw_kv_real(f, "beta", m->beta);
	jw_kv_real(f, "posterior_mean", m->mean);
	jw_kv_real(f, "ci_low", m->ci_low);
	jw_kv_real(f, "ci_high", m->ci_high);
	jw_kv_real(f, "p_best", m->p_best);
	jw_kv_real(f, "share", m->share);
	kv_bool(f, "exploration", m->exploration);
	kv_bool(f, "cac_capped", m->cac_capped);
	jw_kv_int(f, "seed", (long long)r->seed);
	jw_kv_str(f, "decided_at", r->decided_at);
	jw_kv_str(f, "metric", bd_metric_name(r->metric));
	jw_kv_int(f, "trials", count(a->m.trials));
	jw_kv_real(f, "successes", a->m.successes);
	jw_kv_real(f, "spend", a->m.spend);
	jw_kv_real(f, "conversions", a->m.conversions);
	jw_kv_real(f, "cac_low", m->cac_low);
	jw_kv_real(f, "cac_high", m->cac_high);
	jw_kv_real(f, "exploration_budget", r->p.exploration);
	jw_kv_real(f, "cac_cap", r->p.cac_cap);
	kv_bool(f, "leader", m->leader);
	jw_kv_int(f, "slate_size", slate);
	jw_kv_real(f, "p_in_slate", m->p_in_slate);
	kv_int_or_null(f, "lookback_days", in->lookback, !in->from_warehouse);
	jw_kv_str(f, "window_end", in->from_warehouse ? in->end : NULL);
	jw_kv_str(f, "customer_id", a->customer_id);
	jw_kv_str(f, "ad_group_id", a->ad_group_id);
	jw_kv_str(f, "platform", a->platform);
	jw_kv_str(f, "channel", a->channel);
	fputs("}\n", f);
}

static void decide_plain(FILE *out, const struct bd_input *in, const struct bd_campaign *c,
			 const struct bd_run *r, struct bd_tally *t)
{
	struct mab_arm *arms = xcalloc(c->narms, sizeof *arms);
	struct mab_result *res = xcalloc(c->narms, sizeof *res);
	struct mab_params p = r->p;
	struct mab_rng rng;
	size_t i;

	for (i = 0; i < c->narms; i++)
		arms[i] = c->arms[i].m;
	/* a slate cannot hold more arms than the campaign has */
	if ((size_t)p.slate > c->narms)
		p.slate = (int)c->narms;
	mab_rng_seed(&rng, bd_campaign_seed(r->seed, c->campaign_id));
	mab_decide(arms, c->narms, &p, &rng, res);
	for (i = 0; i < c->narms; i++) {
		write_arm(out, in, c, &c->arms[i], &res[i], r, p.slate);
		t->capped += res[i].cac_capped != 0;
	}
	t->rows += c->narms;
	free(arms);
	free(res);
}

void bd_linear_fit(const struct bd_campaign *c, const struct bd_run *r, struct bd_linear *m)
{
	double spend = 0, conv = 0, prior;
	size_t i;

	m->n = c->narms;
	m->arms = xcalloc(c->narms, sizeof *m->arms);
	m->ptr = xcalloc(c->narms, sizeof *m->ptr);
	m->capped = xcalloc(c->narms, 1);
	m->cac_low = xcalloc(c->narms, sizeof *m->cac_low);
	m->cac_high = xcalloc(c->narms, sizeof *m->cac_high);
	for (i = 0; i < c->narms; i++) {
		lin_init(&m->arms[i], c->d, r->l2_lambda);
		m->ptr[i] = &m->arms[i];
		spend += c->arms[i].m.spend;
		conv += c->arms[i].m.conversions;
	}
	for (i = 0; i < c->ncells; i++) {
		const struct bd_cell *cell = &c->cells[i];
		lin_add(&m->arms[cell->arm], c->ctxs[cell->ctx].x, cell->trials, cell->successes);
	}
	/* the CAC band as mab_decide draws it: the campaign's CAC is the prior */
	prior = spend / conv;
	if (!isfinite(prior))
		prior = NAN;
	for (i = 0; i < c->narms; i++) {
		const struct mab_arm *a = &c->arms[i].m;
		if (lin_finish(&m->arms[i]))
			die(AELP_EXIT_SOFTWARE, "campaign '%s', arm '%s': A is not positive definite "
			    "(--l2-lambda must be > 0)", c->campaign_id, c->arms[i].arm_id);
		m->cac_low[i] = m->cac_high[i] = NAN;
		if (!isnan(a->spend) && !isnan(a->conversions)) {
			struct cac_band b = cac_band(a->spend, a->conversions, r->p.cac_prior_conv, prior, 0.90);
			m->cac_low[i] = b.low;
			m->cac_high[i] = b.high;
		}
		m->capped[i] = !isnan(r->p.cac_cap) && m->cac_low[i] > r->p.cac_cap;
	}
}

void bd_linear_free(struct bd_linear *m)
{
	size_t i;
	for (i = 0; i < m->n; i++)
		lin_free(&m->arms[i]);
	free(m->arms);
	free(m->ptr);
	free(m->capped);
	free(m->cac_low);
	free(m->cac_high);
	memset(m, 0, sizeof *m);
}

static void write_ctx_arm(FILE *f, const struct bd_campaign *c, const struct bd_ctx *x, size_t ai,
			  const struct lin_result *lr, const struct bd_linear *m,
			  const struct bd_cell *cell, const struct bd_run *r)
{
	const struct bd_arm *a = &c->arms[ai];
	fputs("{\"_table\":\"bandit_context_decisions\"", f);
	jw_kv_str(f, "run_id", r->run_id);
	jw_kv_str(f, "campaign_id", c->campaign_id);
	jw_kv_str(f, "context_id", x->id);
	jw_kv_str(f, "arm_id", a->arm_id);
	fputs(",\"context\":", f);
	fputs(x->json, f);
	jw_kv_str(f, "policy", mab_policy_name(r->p.policy));
	jw_kv_real(f, "expected", lr->expected);
	jw_kv_real(f, "uncertainty", lr->uncertainty);
	jw_kv_real(f, "score", r->p.policy == MAB_LIN_UCB ? lr->score : NAN);
	jw_kv_real(f, "p_best", lr->p_best);
	jw_kv_real(f, "share", lr->share);
	kv_bool(f, "exploration", lr->exploration);
	kv_bool(f, "cac_capped", m->capped[ai]);
	kv_bool(f, "leader", lr->leader);
	jw_kv_int(f, "trials", cell ? count(cell->trials) : 0);
	jw_kv_real(f, "successes", cell ? cell->successes : 0.0);
	jw_kv_real(f, "spend", a->m.spend);
	jw_kv_real(f, "cac_low", m->cac_low[ai]);
	jw_kv_real(f, "alpha", r->lin_alpha);
	jw_kv_real(f, "l2_lambda", r->l2_lambda);
	jw_kv_int(f, "n_features", (long long)c->d);
	jw_kv_real(f, "exploration_budget", r->p.exploration);
	jw_kv_real(f, "cac_cap", r->p.cac_cap);
	jw_kv_int(f, "seed", (long long)r->seed);
	jw_kv_str(f, "decided_at", r->decided_at);
	fputs("}\n", f);
}

static void decide_linear(FILE *out, const struct bd_campaign *c, const struct bd_run *r,
			  struct bd_tally *t)
{
	struct bd_linear m;
	struct lin_result *res = xcalloc(c->narms, sizeof *res);
	const struct bd_cell **cell = xcalloc(c->narms, sizeof *cell);
	struct mab_rng rng;
	size_t i, k;

	bd_linear_fit(c, r, &m);
	mab_rng_seed(&rng, bd_campaign_seed(r->seed, c->campaign_id));
	for (k = 0; k < c->nctx; k++) {
		lin_decide(m.ptr, c->narms, c->ctxs[k].x, r->p.policy, r->lin_alpha, m.capped,
			   r->p.exploration, r->p.draws, &rng, res);
		memset(cell, 0, c->narms * sizeof *cell);
		for (i = 0; i < c->ncells; i++)
			if (c->cells[i].ctx == k)
				cell[c->cells[i].arm] = &c->cells[i];
		for (i = 0; i < c->narms; i++)
			write_ctx_arm(out, c, &c->ctxs[k], i, &res[i], &m, cell[i], r);
		t->rows += c->narms;
		out_check(out);
	}
	for (i = 0; i < c->narms; i++)
		t->capped += m.capped[i];
	t->contexts += c->nctx;
	free(cell);
	free(res);
	bd_linear_free(&m);
}

void bd_decide_all(FILE *out, const struct bd_input *in, const struct bd_run *r,
		   struct bd_tally *t)
{
	size_t i;
	int contextual = r->p.policy == MAB_LIN_TS || r->p.policy == MAB_LIN_UCB;

	memset(t, 0, sizeof *t);
	for (i = 0; i < in->n; i++) {
		const struct bd_campaign *c = &in->c[i];
		struct bd_run rc = *r;
		if (r->ltv) {
			const struct ltv_prior *used;
			const char *channel = NULL;
			size_t k;
			for (k = 0; k < c->narms && !channel; k++)
				channel = c->arms[k].channel;
			rc.p.cac_cap = ltv_cac_cap(r->ltv, channel, r->ltv_ratio, r->p.cac_cap, &used);
		}
		if (contextual)
			decide_linear(out, c, &rc, t);
		else
			decide_plain(out, in, c, &rc, t);
		t->campaigns++;
		t->arms += c->narms;
		out_check(out);
	}
}
