/* bandit-propose's decision (propose.h): pure, no I/O. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "die.h"
#include "propose.h"

#define MOVE_TOL 1e-12             /* a move equal to the threshold counts as reaching it */

void bpr_options_default(struct bpr_options *o)
{
	o->min_trials = 1000;
	o->pause_below = 0.05;
	o->promote_above = 0.95;
	o->shift_threshold = 0.05;
	o->mde = 0.20;
	o->alpha = 0.05;
	o->power = 0.80;
	o->cac_cap = NAN;
}

double bpr_cac_cap(const struct bpr_campaign *c, const struct bpr_options *o)
{
	return isfinite(c->cac_cap) && c->cac_cap > 0 ? c->cac_cap : o->cac_cap;
}

const char *bpr_action_name(enum bpr_action a)
{
	static const char *const names[] = { "shift_weights", "pause_arm", "promote_arm",
					     "seed_experiment" };
	return names[a];
}

const char *bpr_direction_name(enum bpr_direction d)
{
	return d == BPR_UP ? "up" : d == BPR_DOWN ? "down" : d == BPR_HOLD ? "hold" : NULL;
}

char *bpr_proposal_id(const char *run, const char *campaign, enum bpr_action a, const char *arm)
{
	if (arm)
		return xasprintf("bp-%s:%s:%s:%s", run, campaign, bpr_action_name(a), arm);
	return xasprintf("bp-%s:%s:%s", run, campaign, bpr_action_name(a));
}

char *bpr_experiment_id(const char *run, const char *campaign)
{
	return xasprintf("exp-%s:%s", run, campaign);
}

int bpr_sample_size(double p1, double mde, double alpha, double power, struct bpr_power *out)
{
	double p2, pbar, za, zb, num, d;

	memset(out, 0, sizeof *out);
	if (!(p1 > 0 && p1 < 1) || !(mde > 0) || !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1))
		return -1;
	p2 = p1 * (1 + mde);
	if (!(p2 < 1))
		return -1;
	pbar = (p1 + p2) / 2;
	za = gsl_cdf_ugaussian_Pinv(1 - alpha / 2);
	zb = gsl_cdf_ugaussian_Pinv(power);
	num = za * sqrt(2 * pbar * (1 - pbar)) + zb * sqrt(p1 * (1 - p1) + p2 * (1 - p2));
	d = p2 - p1;
	out->p1 = p1;
	out->p2 = p2;
	out->pbar = pbar;
	out->z_alpha = za;
	out->z_power = zb;
	out->n_exact = num * num / (d * d);
	out->n = (long long)ceil(out->n_exact);
	return 0;
}

static double trials_of(const struct bpr_arm *a)
{
	return isfinite(a->trials) && a->trials > 0 ? a->trials : 0;
}

int bpr_check(const struct bpr_campaign *c, char *err, size_t errsz)
{
	double sum = 0;
	size_t i, leaders = 0, capped = 0;

	for (i = 0; i < c->n; i++) {
		const struct bpr_arm *a = &c->arms[i];
		if (!(a->share >= 0 && a->share <= 1))
			return errorf(err, errsz, -1, "arm %s: share %g is not in [0, 1]", a->arm_id,
				      a->share);
		if (!isnan(a->p_best) && !(a->p_best >= 0 && a->p_best <= 1))
			return errorf(err, errsz, -1, "arm %s: p_best %g is not in [0, 1]", a->arm_id,
				      a->p_best);
		if (!isnan(a->posterior_mean) && !(a->posterior_mean >= 0 && a->posterior_mean <= 1))
			return errorf(err, errsz, -1, "arm %s: posterior_mean %g is not in [0, 1]",
				      a->arm_id, a->posterior_mean);
		if (!isnan(a->trials) && !(a->trials >= 0))
			return errorf(err, errsz, -1, "arm %s: trials %g is negative", a->arm_id, a->trials);
		sum += a->share;
		leaders += a->leader == 1;
		capped += a->cac_capped != 0;
		if (a->leader == 1 && a->cac_capped)
			return errorf(err, errsz, -1, "arm %s: the leader is CAC-capped (a capped arm "
				      "cannot lead)", a->arm_id);
	}
	if (leaders > 1)
		return errorf(err, errsz, -1, "%zu arms marked leader (at most one leads)", leaders);
	if (!isnan(c->exploration_budget) && !(c->exploration_budget >= 0 && c->exploration_budget <= 1))
		return errorf(err, errsz, -1, "exploration_budget %g is not in [0, 1]",
			      c->exploration_budget);
	if (capped == c->n && sum == 0)
		return 0;                  /* no eligible arm: every share 0, as bandit-decide writes */
	if (!(fabs(sum - 1) <= BPR_SHARE_TOL))
		return errorf(err, errsz, -1, "shares sum to %.9g, not 1 (within %g)", sum,
			      BPR_SHARE_TOL);
	return 0;
}

static size_t find_leader(const struct bpr_campaign *c)
{
	size_t i, best = BPR_NONE;

	for (i = 0; i < c->n; i++)
		if (c->arms[i].leader == 1)
			return i;
	/* the rows do not say: the eligible arm with the highest posterior mean
	 * (else share), ties toward the lower arm_id */
	for (i = 0; i < c->n; i++) {
		const struct bpr_arm *a = &c->arms[i], *b;
		double ka, kb;
		if (a->cac_capped)
			continue;
		if (best == BPR_NONE) {
			best = i;
			continue;
		}
		b = &c->arms[best];
		ka = isnan(a->posterior_mean) ? a->share : a->posterior_mean;
		kb = isnan(b->posterior_mean) ? b->share : b->posterior_mean;
		if (ka > kb)
			best = i;
	}
	return best;
}

static struct bpr_proposal *add(struct bpr_plan *p, const struct bpr_campaign *c, enum bpr_action a,
				size_t arm)
{
	struct bpr_proposal *q;
	p->props = xrealloc(p->props, (p->nprops + 1) * sizeof *p->props);
	q = &p->props[p->nprops++];
	memset(q, 0, sizeof *q);
	q->action = a;
	q->arm = arm;
	q->current_share = q->proposed_share = q->p_best = NAN;
	q->id = bpr_proposal_id(c->decision_run, c->campaign_id, a, arm == BPR_NONE ? NULL :
				c->arms[arm].arm_id);
	return q;
}

static int by_trials(const void *x, const void *y, void *arms)
{
	const struct bpr_arm *A = arms;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	double a = trials_of(&A[i]), b = trials_of(&A[j]);
	if (a != b)
		return a < b ? -1 : 1;
	return i < j ? -1 : i > j;         /* arms come in arm_id order */
}

static void design_experiment(const struct bpr_campaign *c, const struct bpr_options *o,
			      struct bpr_plan *p)
{
	struct bpr_experiment *e = &p->exp;
	size_t *fresh = xmalloc((c->n + 1) * sizeof *fresh), nf = 0, i;
	const struct bpr_arm *L;
	double p1;
	int len;

	for (i = 0; i < c->n; i++) {
		const struct bpr_arm *a = &c->arms[i];
		if (i != p->leader && !a->cac_capped && trials_of(a) < o->min_trials)
			fresh[nf++] = i;
	}
	if (!nf || p->leader == BPR_NONE)
		goto out;
	L = &c->arms[p->leader];
	if (trials_of(L) < o->min_trials) {
		snprintf(p->no_experiment, sizeof p->no_experiment, "the leader %s has %.0f trials "
			 "(< %.0f): no established control yet", L->arm_id, trials_of(L), o->min_trials);
		goto out;
	}
	if (c->experiment_blocked) {
		snprintf(p->no_experiment, sizeof p->no_experiment, "an experiment of another run is "
			 "already proposed or running in the campaign");
		goto out;
	}
	if (!(p->budget > 0)) {
		snprintf(p->no_experiment, sizeof p->no_experiment, "exploration budget 0: no traffic "
			 "for treatments");
		goto out;
	}
	p1 = L->posterior_mean;
	if (bpr_sample_size(p1, o->mde, o->alpha, o->power, &e->pw) != 0) {
		snprintf(p->no_experiment, sizeof p->no_experiment, "no power calculation for baseline "
			 "rate %g and mde %g (the rates must stay within (0, 1))", p1, o->mde);
		goto out;
	}
	/* fewest trials first, then arm_id (a stable order by index) */
	for (i = 1; i < nf; i++) {
		size_t k = fresh[i], j = i;
		while (j > 0 && by_trials(&fresh[j - 1], &k, c->arms) > 0) {
			fresh[j] = fresh[j - 1];
			j--;
		}
		fresh[j] = k;
	}
	e->ntreat = nf < BPR_MAX_TREATMENTS ? nf : BPR_MAX_TREATMENTS;
	memcpy(e->treat, fresh, e->ntreat * sizeof *fresh);
	e->control = p->leader;
	e->split_treatment = p->budget / (double)e->ntreat;
	e->split_control = 1 - p->budget;
	e->daily_trials = isfinite(c->lookback_days) && c->lookback_days > 0 ?
		p->trials / c->lookback_days : NAN;
	e->expected_days = e->daily_trials > 0 ?
		(long long)ceil((double)e->pw.n / (e->daily_trials * e->split_treatment)) : -1;
	e->id = bpr_experiment_id(c->decision_run, c->campaign_id);
	len = snprintf(e->name, sizeof e->name, "%s: ", c->campaign_id);
	for (i = 0; i < e->ntreat && len < (int)sizeof e->name; i++)
		len += snprintf(e->name + len, sizeof e->name - (size_t)len, "%s%s", i ? ", " : "",
				c->arms[e->treat[i]].arm_id);
	if (len < (int)sizeof e->name)
		snprintf(e->name + len, sizeof e->name - (size_t)len, " vs %s (%s)", L->arm_id,
			 c->metric ? c->metric : "rate");
	snprintf(e->hypothesis, sizeof e->hypothesis, "A new arm (%zu treatment%s) beats the leader "
		 "%s's %s of %.4f by at least %.0f%% (to %.4f); %lld trials per arm detect it in a "
		 "two-sided two-proportion z test at alpha %.2f with power %.2f, the treatments "
		 "sharing the exploration budget %.2f (%.4f each)", e->ntreat, e->ntreat == 1 ? "" : "s",
		 L->arm_id, c->metric ? c->metric : "rate", e->pw.p1, o->mde * 100, e->pw.p2, e->pw.n,
		 o->alpha, o->power, p->budget, e->split_treatment);
	p->has_experiment = 1;
out:
	free(fresh);
}

void bpr_plan(const struct bpr_campaign *c, const struct bpr_options *o, struct bpr_plan *p)
{
	size_t i;

	memset(p, 0, sizeof *p);
	p->current = xcalloc(c->n + 1, sizeof *p->current);
	p->leader = find_leader(c);
	p->budget = isnan(c->exploration_budget) ? BPR_DEFAULT_BUDGET : c->exploration_budget;
	p->max_move_arm = BPR_NONE;
	for (i = 0; i < c->n; i++)
		p->trials += trials_of(&c->arms[i]);
	for (i = 0; i < c->n; i++) {
		double cur = p->trials > 0 ? trials_of(&c->arms[i]) / p->trials : 1.0 / (double)c->n;
		double mv = fabs(c->arms[i].share - cur);
		p->current[i] = cur;
		if (i != p->leader)
			p->nonleader_share += c->arms[i].share;
		if (p->max_move_arm == BPR_NONE || mv > p->max_move) {
			p->max_move = mv;
			p->max_move_arm = i;
		}
	}
	if (p->leader == BPR_NONE)
		return;                    /* every arm capped: nothing for a bandit to do */

	/* shift_weights */
	if (p->max_move >= o->shift_threshold - MOVE_TOL) {
		size_t capped = BPR_NONE;
		for (i = 0; i < c->n; i++)
			if (c->arms[i].cac_capped && c->arms[i].share > 0)
				capped = i;
		if (capped != BPR_NONE)
			snprintf(p->shift_refused, sizeof p->shift_refused, "the CAC-capped arm %s has "
				 "share %.4f (a capped arm gets none)", c->arms[capped].arm_id,
				 c->arms[capped].share);
		else if (p->nonleader_share > p->budget + BPR_BUDGET_TOL)
			snprintf(p->shift_refused, sizeof p->shift_refused, "the arms other than the "
				 "leader get %.4f, above the exploration budget %.4f",
				 p->nonleader_share, p->budget);
		else {
			const struct bpr_arm *L = &c->arms[p->leader], *M = &c->arms[p->max_move_arm];
			struct bpr_proposal *q = add(p, c, BPR_SHIFT, p->leader);
			double d = L->share - p->current[p->leader];
			q->direction = d > MOVE_TOL ? BPR_UP : d < -MOVE_TOL ? BPR_DOWN : BPR_HOLD;
			q->current_share = p->current[p->leader];
			q->proposed_share = L->share;
			q->p_best = L->p_best;
			snprintf(q->reason, sizeof q->reason, "the bandit's shares move %s from %.1f%% to "
				 "%.1f%% of the traffic (%.1f points, threshold %.1f): set the rotation to "
				 "the decision's weights, leader %s %.1f%% -> %.1f%%, the other arms %.1f%% "
				 "within the exploration budget %.1f%%", M->arm_id,
				 100 * p->current[p->max_move_arm], 100 * M->share, 100 * p->max_move,
				 100 * o->shift_threshold, L->arm_id, 100 * q->current_share,
				 100 * q->proposed_share, 100 * p->nonleader_share, 100 * p->budget);
		}
	}

	/* pause_arm / promote_arm, in arm order */
	for (i = 0; i < c->n; i++) {
		const struct bpr_arm *a = &c->arms[i];
		double t = trials_of(a);
		struct bpr_proposal *q;
		if (t < o->min_trials)
			continue;
		if (i != p->leader && (a->cac_capped || a->p_best < o->pause_below)) {
			q = add(p, c, BPR_PAUSE, i);
			q->direction = BPR_DOWN;
			q->current_share = p->current[i];
			q->proposed_share = 0;
			q->p_best = a->p_best;
			if (a->cac_capped) {
				q->why = "cac_above_cap";
				if (isfinite(bpr_cac_cap(c, o)))
					snprintf(q->reason, sizeof q->reason, "%s's CAC band starts at %.2f, "
						 "above the CAC cap %.2f, after %.0f trials (>= %.0f): pause it "
						 "(now %.1f%% of the traffic)", a->arm_id, a->cac_low, bpr_cac_cap(c, o),
						 t, o->min_trials, 100 * p->current[i]);
				else
					snprintf(q->reason, sizeof q->reason, "%s's CAC band starts at %.2f, "
						 "above the decision's CAC cap, after %.0f trials (>= %.0f): pause "
						 "it (now %.1f%% of the traffic)", a->arm_id, a->cac_low, t,
						 o->min_trials, 100 * p->current[i]);
			} else {
				q->why = "lost";
				snprintf(q->reason, sizeof q->reason, "%s has lost: probability best %.4f < "
					 "%.2f after %.0f trials (>= %.0f), posterior mean %.4f against the "
					 "leader %s's %.4f: pause it (now %.1f%% of the traffic)", a->arm_id,
					 a->p_best, o->pause_below, t, o->min_trials, a->posterior_mean,
					 c->arms[p->leader].arm_id, c->arms[p->leader].posterior_mean,
					 100 * p->current[i]);
			}
		} else if (!a->cac_capped && a->p_best >= o->promote_above) {
			q = add(p, c, BPR_PROMOTE, i);
			q->direction = BPR_UP;
			q->current_share = p->current[i];
			q->proposed_share = a->share;
			q->p_best = a->p_best;
			snprintf(q->reason, sizeof q->reason, "%s is the winner: probability best %.4f >= "
				 "%.2f after %.0f trials (>= %.0f), posterior mean %.4f (90%% %.4f..%.4f): "
				 "promote it to %.1f%% of the traffic (now %.1f%%)", a->arm_id, a->p_best,
				 o->promote_above, t, o->min_trials, a->posterior_mean, a->ci_low,
				 a->ci_high, 100 * a->share, 100 * p->current[i]);
		}
	}

	/* seed_experiment */
	design_experiment(c, o, p);
	if (p->has_experiment) {
		struct bpr_experiment *e = &p->exp;
		struct bpr_proposal *q = add(p, c, BPR_SEED, BPR_NONE);
		char days[64];
		if (e->expected_days >= 0)
			snprintf(days, sizeof days, "about %lld days", e->expected_days);
		else
			snprintf(days, sizeof days, "an unknown number of days (no lookback)");
		snprintf(q->reason, sizeof q->reason, "%zu fresh arm%s (under %.0f trials) against the "
			 "leader %s: an A/B experiment needing %lld trials per arm (baseline %.4f, "
			 "mde %.0f%%, alpha %.2f, power %.2f), the treatments sharing the exploration "
			 "budget %.1f%%: %s", e->ntreat, e->ntreat == 1 ? "" : "s", o->min_trials,
			 c->arms[e->control].arm_id, e->pw.n, e->pw.p1, 100 * o->mde, o->alpha, o->power,
			 100 * p->budget, days);
	}
}

void bpr_plan_free(struct bpr_plan *p)
{
	size_t i;
	for (i = 0; i < p->nprops; i++)
		free(p->props[i].id);
	free(p->props);
	free(p->current);
	free(p->exp.id);
	memset(p, 0, sizeof *p);
}
