/*
 * bandit-apply's checks: pure functions of the figures apply.c reads.
 * Shares are doubles as bandit-decide writes them; the budget allows
 * GUARD_BUDGET_EPS for their rounding, a rotation's sum GUARD_SUM_EPS.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "die.h"
#include "guard.h"

static const char *const actions[] = {
	"shift_weights", "pause_arm", "promote_arm", "seed_experiment", NULL
};

int guard_action_known(const char *action)
{
	int i;
	for (i = 0; action && actions[i]; i++)
		if (!strcmp(action, actions[i]))
			return 1;
	return 0;
}

static int is(const char *s, const char *t)
{
	return s && !strcmp(s, t);
}

const struct guard_arm *guard_find(const struct guard_arm *arms, size_t n, const char *id)
{
	size_t i;
	for (i = 0; id && i < n; i++)
		if (arms[i].arm_id && !strcmp(arms[i].arm_id, id))
			return &arms[i];
	return NULL;
}

const struct guard_arm *guard_leader(const struct guard_arm *arms, size_t n)
{
	const struct guard_arm *best = NULL;
	size_t i;
	for (i = 0; i < n; i++)
		if (arms[i].leader && (!best || strcmp(arms[i].arm_id, best->arm_id) < 0))
			best = &arms[i];
	if (best)
		return best;
	for (i = 0; i < n; i++)
		if (!best || arms[i].share > best->share ||
		    (arms[i].share == best->share && strcmp(arms[i].arm_id, best->arm_id) < 0))
			best = &arms[i];
	return best;
}

void guard_figures(const struct guard_in *in, struct guard_figures *f)
{
	const struct guard_arm *lead = guard_leader(in->arms, in->narms);
	size_t i;

	memset(f, 0, sizeof *f);
	f->leader = lead ? lead->arm_id : NULL;
	f->weights_sum = f->exploration_share = NAN;
	if (is(in->action, "shift_weights") || is(in->action, "seed_experiment")) {
		f->weights_sum = f->exploration_share = 0;
		for (i = 0; i < in->nweights; i++) {
			f->weights_sum += in->weights[i].share;
			if (!is(f->leader, in->weights[i].arm_id))
				f->exploration_share += in->weights[i].share;
		}
	}
	for (i = 0; i < in->narms; i++) {
		if (!in->arms[i].paused)
			f->available++;
		if (in->arms[i].cac_capped)
			f->capped++;
	}
}

static const char *str(const char *s)
{
	return s ? s : "(null)";
}

/* The decision run whose arms the constraints are checked against: the
 * campaign's latest (apply.c reads its rows), else the proposal's own. */
static const char *checked_run(const struct guard_in *in)
{
	return str(in->latest_run_id ? in->latest_run_id : in->decision_run_id);
}

/* 1 when the rotation passes check 7, else refuses and returns 0. */
static int check_rotation(const struct guard_in *in, const struct guard_figures *f,
			  struct safety_verdict *v)
{
	const char *what = is(in->action, "seed_experiment") ? "the experiment's traffic splits"
							       : "the weights";
	size_t i, j;

	if (isnan(in->exploration_budget) || in->exploration_budget < 0) {
		safety_refuse(v, "exploration_budget", AELP_EXIT_GATE, 1,
			      "decision run %s records no exploration budget: %s cannot be checked",
			      checked_run(in), what);
		return 0;
	}
	if (in->nweights == 0) {
		safety_refuse(v, "exploration_budget", AELP_EXIT_GATE, 1, "%s are empty", what);
		return 0;
	}
	for (i = 0; i < in->nweights; i++) {
		const struct guard_weight *w = &in->weights[i];
		if (!isfinite(w->share) || w->share < 0 || w->share > 1 + GUARD_SUM_EPS) {
			safety_refuse(v, "exploration_budget", AELP_EXIT_GATE, 1,
				      "%s give arm %s %.17g, not a share between 0 and 1", what,
				      str(w->arm_id), w->share);
			return 0;
		}
		if (!guard_find(in->arms, in->narms, w->arm_id)) {
			safety_refuse(v, "exploration_budget", AELP_EXIT_GATE, 1,
				      "%s name arm %s, which decision run %s does not have", what,
				      str(w->arm_id), checked_run(in));
			return 0;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(in->weights[j].arm_id, w->arm_id)) {
				safety_refuse(v, "exploration_budget", AELP_EXIT_GATE, 1,
					      "%s name arm %s twice", what, w->arm_id);
				return 0;
			}
	}
	if (!(fabs(f->weights_sum - 1) <= GUARD_SUM_EPS)) {
		safety_refuse(v, "exploration_budget", AELP_EXIT_GATE, 1,
			      "%s sum to %.10g, not 1 (within %g)", what, f->weights_sum,
			      GUARD_SUM_EPS);
		return 0;
	}
	if (f->exploration_share > in->exploration_budget + GUARD_BUDGET_EPS) {
		safety_refuse(v, "exploration_budget", AELP_EXIT_GATE, 1,
			      "%s give the arms other than the leader %s %.10g, over the "
			      "exploration budget %.10g", what, str(f->leader),
			      f->exploration_share, in->exploration_budget);
		return 0;
	}
	return 1;
}

void guard_check(const struct guard_in *in, struct safety_verdict *v)
{
	const char *act = in->action;
	const struct guard_arm *arm = NULL;
	struct guard_figures f;
	size_t i;
	int rotation = is(act, "shift_weights") || is(act, "seed_experiment");

	memset(v, 0, sizeof *v);
	guard_figures(in, &f);

	/* 1. the proposal */
	if (!in->found) {
		safety_refuse(v, "proposal", AELP_EXIT_DATAERR, 0,
			      "no proposal '%s' in bandit_change_proposals", str(in->proposal_id));
		return;
	}
	if (!guard_action_known(act)) {
		safety_refuse(v, "proposal", AELP_EXIT_DATAERR, 0,
			      "unknown action '%s': shift_weights, pause_arm, promote_arm or "
			      "seed_experiment", str(act));
		return;
	}
	if ((is(act, "pause_arm") || is(act, "promote_arm")) && !(in->arm_id && *in->arm_id)) {
		safety_refuse(v, "proposal", AELP_EXIT_DATAERR, 0, "%s without an arm_id", act);
		return;
	}
	if (in->bad) {
		safety_refuse(v, "proposal", AELP_EXIT_DATAERR, 0, "%s", in->bad);
		return;
	}

	/* 2-4. its status and its approval */
	if (!safety_status_gate(in->status, in->have_approval, REVIEW_BANDIT, v))
		return;

	/* 5. live: the flag */
	if (in->live) {
		v->flag = GUARD_FLAG;
		if (!in->flag || strcmp(in->flag, "1")) {
			safety_refuse(v, "flag", AELP_EXIT_NOPERM, 0,
				      "live changes need " GUARD_FLAG "=1 (it is %s); nothing was "
				      "sent",
				      in->flag ? "not 1" : "unset");
			return;
		}
	}

	/* 6. the decision it was made from is young enough, and the campaign's
	 *    latest decision (arms) still has what it acts on */
	if (!in->decision_run_id || !*in->decision_run_id) {
		safety_refuse(v, "stale_decision", AELP_EXIT_GATE, 1,
			      "the proposal names no decision run: its constraints cannot be "
			      "checked again");
		return;
	}
	if (in->narms == 0) {
		safety_refuse(v, "stale_decision", AELP_EXIT_GATE, 1,
			      "decision run %s has no bandit_decisions rows for the campaign",
			      checked_run(in));
		return;
	}
	if (!isnan(in->decision_age) && in->decision_age > in->max_age) {
		safety_refuse(v, "stale_decision", AELP_EXIT_GATE, 1,
			      "stale: decision run %s is %.1f h old, older than --max-age (%.1f h)",
			      in->decision_run_id, in->decision_age / 3600, in->max_age / 3600);
		return;
	}
	if (is(act, "pause_arm") || is(act, "promote_arm")) {
		arm = guard_find(in->arms, in->narms, in->arm_id);
		if (!arm) {
			safety_refuse(v, "stale_decision", AELP_EXIT_GATE, 1,
				      "arm %s is not in decision run %s: it is no longer available",
				      in->arm_id, checked_run(in));
			return;
		}
	}

	/* 7. the rotation stays within the exploration budget */
	if (rotation && !check_rotation(in, &f, v))
		return;

	/* 8. no traffic for a CAC-capped arm */
	if (rotation)
		for (i = 0; i < in->nweights; i++) {
			const struct guard_arm *a = guard_find(in->arms, in->narms, in->weights[i].arm_id);
			if (a && a->cac_capped && in->weights[i].share > 0) {
				safety_refuse(v, "cac_cap", AELP_EXIT_GATE, 1,
					      "arm %s is CAC-capped in decision run %s but would "
					      "get %.10g of the traffic", a->arm_id,
					      checked_run(in), in->weights[i].share);
				return;
			}
		}
	if (is(act, "promote_arm") && arm->cac_capped) {
		safety_refuse(v, "cac_cap", AELP_EXIT_GATE, 1,
			      "arm %s is CAC-capped in decision run %s: it cannot be promoted",
			      arm->arm_id, checked_run(in));
		return;
	}

	/* 9. a pause leaves the campaign an arm to serve, and not without its leader */
	if (is(act, "pause_arm")) {
		size_t left = 0;
		if (is(f.leader, arm->arm_id)) {
			safety_refuse(v, "last_arm", AELP_EXIT_GATE, 1,
				      "arm %s is the leader of decision run %s: the leader is not "
				      "paused",
				      arm->arm_id, checked_run(in));
			return;
		}
		for (i = 0; i < in->narms; i++)
			if (!in->arms[i].paused && &in->arms[i] != arm)
				left++;
		if (left == 0) {
			safety_refuse(v, "last_arm", AELP_EXIT_GATE, 1,
				      "arm %s is the campaign's last available arm", arm->arm_id);
			return;
		}
	}

	/* 10. live: every check passed, but there is no client to send with */
	if (in->live) {
		safety_refuse(v, "client", AELP_EXIT_NOPERM, 0,
			      "the ad-platform clients are not built yet (a later issue adds "
			      "them); nothing was sent");
		return;
	}

	v->allowed = 1;
	v->code = 0;
	if (rotation)
		snprintf(v->reason, sizeof v->reason,
			 "shadow: %s %s; arms other than the leader %s get %.6g, within the "
			 "exploration budget %.6g; no CAC-capped arm gets traffic",
			 act, is(act, "seed_experiment") ? "seeds the experiment" : "publishes the rotation",
			 str(f.leader), f.exploration_share, in->exploration_budget);
	else if (is(act, "pause_arm"))
		snprintf(v->reason, sizeof v->reason,
			 "shadow: pause arm %s (not the leader %s; %zu arm(s) stay available)",
			 arm->arm_id, str(f.leader), f.available - (arm->paused ? 0 : 1));
	else
		snprintf(v->reason, sizeof v->reason,
			 "shadow: promote arm %s (not CAC-capped) in decision run %s", arm->arm_id,
			 checked_run(in));
}
