/*
 * bandit-propose's decision (propose.c): the power calculation against hand
 * computed values, each rule at its thresholds, the experiment's design,
 * the checks of a campaign's rows, and a property test over random
 * decision runs.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "harness.h"
#include "../../cmd/bandit-propose/propose.h"

/* z quantiles, to 16 digits (any table): z(0.975), z(0.80), z(0.995), z(0.90) */
#define Z975 1.959963984540054
#define Z80 0.8416212335729143
#define Z995 2.575829303548901
#define Z90 1.281551565544601

static void test_power(void)
{
	struct bpr_power pw;

	/*
	 * p1 = 0.10, mde 0.20 -> p2 = 0.12, pbar = 0.11, alpha 0.05, power 0.80:
	 *   sqrt(2 x 0.11 x 0.89)       = sqrt(0.1958)          = 0.442493
	 *   sqrt(0.10 x 0.90 + 0.12 x 0.88) = sqrt(0.09 + 0.1056) = 0.442267
	 *   1.959964 x 0.442493 + 0.841621 x 0.442267 = 0.867270 + 0.372221 = 1.239491
	 *   1.239491^2 = 1.536339;  / (0.12 - 0.10)^2 = / 0.0004 -> 3840.85
	 *   n = ceil(3840.85) = 3841  (the standard table's 3,841 per arm)
	 */
	CHECK_INT(bpr_sample_size(0.10, 0.20, 0.05, 0.80, &pw), 0);
	CHECK_INT(pw.n, 3841);
	CHECK(fabs(pw.n_exact - 3840.847482436276) < 1e-6);
	CHECK(fabs(pw.p2 - 0.12) < 1e-15 && fabs(pw.pbar - 0.11) < 1e-15);
	CHECK(fabs(pw.z_alpha - Z975) < 1e-12);
	CHECK(fabs(pw.z_power - Z80) < 1e-12);
	{
		double num = Z975 * sqrt(2 * 0.11 * 0.89) + Z80 * sqrt(0.10 * 0.90 + 0.12 * 0.88);
		CHECK(fabs(pw.n_exact - num * num / (0.02 * 0.02)) < 1e-6);
	}

	/*
	 * p1 = 0.05, mde 0.20 -> p2 = 0.06, pbar = 0.055:
	 *   sqrt(2 x 0.055 x 0.945) = sqrt(0.10395) = 0.322413
	 *   sqrt(0.05 x 0.95 + 0.06 x 0.94) = sqrt(0.0475 + 0.0564) = sqrt(0.1039) = 0.322335
	 *   1.959964 x 0.322413 + 0.841621 x 0.322335 = 0.631918 + 0.271284 = 0.903202
	 *   0.903202^2 = 0.815774;  / 0.01^2 -> 8157.73;  n = 8158
	 */
	CHECK_INT(bpr_sample_size(0.05, 0.20, 0.05, 0.80, &pw), 0);
	CHECK_INT(pw.n, 8158);
	CHECK(fabs(pw.n_exact - 8157.731447849279) < 1e-6);

	/* alpha 0.01, power 0.90 on 0.10 -> 0.12:
	 *   (2.575829 x 0.442493 + 1.281552 x 0.442267)^2 / 0.0004
	 *   = (1.139794 + 0.566786)^2 / 0.0004 = 1.706580^2 / 0.0004 = 7280.99 -> 7281 */
	CHECK_INT(bpr_sample_size(0.10, 0.20, 0.01, 0.90, &pw), 0);
	CHECK_INT(pw.n, 7281);
	CHECK(fabs(pw.z_alpha - Z995) < 1e-12 && fabs(pw.z_power - Z90) < 1e-12);
	/* a rare rate and a small effect: 0.02 -> 0.022 needs 80682 */
	CHECK_INT(bpr_sample_size(0.02, 0.10, 0.05, 0.80, &pw), 0);
	CHECK_INT(pw.n, 80682);
	/* a common one: 0.5 -> 0.55 needs 1565 */
	CHECK_INT(bpr_sample_size(0.5, 0.10, 0.05, 0.80, &pw), 0);
	CHECK_INT(pw.n, 1565);

	/* monotone: a larger effect needs fewer, more power or a smaller alpha more */
	{
		struct bpr_power a, b;
		bpr_sample_size(0.08, 0.20, 0.05, 0.80, &a);
		bpr_sample_size(0.08, 0.30, 0.05, 0.80, &b);
		CHECK(b.n < a.n);
		bpr_sample_size(0.08, 0.20, 0.05, 0.90, &b);
		CHECK(b.n > a.n);
		bpr_sample_size(0.08, 0.20, 0.01, 0.80, &b);
		CHECK(b.n > a.n);
	}
	/* not computable */
	CHECK_INT(bpr_sample_size(0, 0.2, 0.05, 0.8, &pw), -1);
	CHECK_INT(bpr_sample_size(0.9, 0.2, 0.05, 0.8, &pw), -1);   /* p2 = 1.08 */
	CHECK_INT(bpr_sample_size(NAN, 0.2, 0.05, 0.8, &pw), -1);
	CHECK_INT(bpr_sample_size(0.1, 0, 0.05, 0.8, &pw), -1);
	CHECK_INT(bpr_sample_size(0.1, 0.2, 0, 0.8, &pw), -1);
	CHECK_INT(bpr_sample_size(0.1, 0.2, 0.05, 1, &pw), -1);
}

static void test_ids(void)
{
	char *s = bpr_proposal_id("d1", "c1", BPR_PAUSE, "ad7");
	CHECK_STR(s, "bp-d1:c1:pause_arm:ad7");
	free(s);
	s = bpr_proposal_id("d1", "c1", BPR_SHIFT, "ad1");
	CHECK_STR(s, "bp-d1:c1:shift_weights:ad1");
	free(s);
	s = bpr_proposal_id("bandit-decide-2025-03-14", "c 9", BPR_SEED, NULL);
	CHECK_STR(s, "bp-bandit-decide-2025-03-14:c 9:seed_experiment");
	free(s);
	s = bpr_experiment_id("d1", "c1");
	CHECK_STR(s, "exp-d1:c1");
	free(s);
}

/* A campaign of up to 8 arms built by hand. */
struct camp {
	struct bpr_arm a[8];
	char names[8][24];
	struct bpr_campaign c;
};

static void camp_init(struct camp *k, size_t n, double budget)
{
	size_t i;
	memset(k, 0, sizeof *k);
	for (i = 0; i < n; i++) {
		snprintf(k->names[i], sizeof k->names[i], "ad%zu", i + 1);
		k->a[i].arm_id = k->names[i];
		k->a[i].trials = 2000;
		k->a[i].successes = 60;
		k->a[i].posterior_mean = 0.03;
		k->a[i].ci_low = 0.025;
		k->a[i].ci_high = 0.035;
		k->a[i].p_best = 0.5;
		k->a[i].cac_low = k->a[i].cac_high = NAN;
		k->a[i].leader = 0;
	}
	k->c.decision_run = "d1";
	k->c.campaign_id = "c1";
	k->c.policy = "thompson";
	k->c.metric = "cvr";
	k->c.arms = k->a;
	k->c.n = n;
	k->c.exploration_budget = budget;
	k->c.lookback_days = 30;
}

static const struct bpr_proposal *find(const struct bpr_plan *p, enum bpr_action a, size_t arm)
{
	size_t i;
	for (i = 0; i < p->nprops; i++)
		if (p->props[i].action == a && (arm == BPR_NONE || p->props[i].arm == arm))
			return &p->props[i];
	return NULL;
}

static void test_rules(void)
{
	struct bpr_options o;
	struct bpr_plan p;
	struct camp k;
	const struct bpr_proposal *q;
	char err[256];

	bpr_options_default(&o);
	/* two arms, delivered 50/50, decided 92/8: ad1 leads */
	camp_init(&k, 2, 0.10);
	k.a[0].leader = 1, k.a[0].share = 0.92, k.a[0].p_best = 0.96, k.a[0].posterior_mean = 0.04;
	k.a[1].share = 0.08, k.a[1].p_best = 0.04, k.a[1].exploration = 1;
	CHECK_INT(bpr_check(&k.c, err, sizeof err), 0);
	bpr_plan(&k.c, &o, &p);
	CHECK_INT(p.leader, 0);
	CHECK(fabs(p.current[0] - 0.5) < 1e-15);
	q = find(&p, BPR_SHIFT, 0);
	CHECK(q != NULL);
	if (q) {
		CHECK_INT(q->direction, BPR_UP);
		CHECK(q->current_share == 0.5 && q->proposed_share == 0.92 && q->p_best == 0.96);
		CHECK_STR(q->id, "bp-d1:c1:shift_weights:ad1");
		CHECK_HAS(q->reason, "threshold 5.0");
	}
	q = find(&p, BPR_PAUSE, 1);
	CHECK(q != NULL);
	if (q) {
		CHECK_STR(q->why, "lost");
		CHECK_INT(q->direction, BPR_DOWN);
		CHECK(q->proposed_share == 0 && q->current_share == 0.5);
		CHECK_STR(q->id, "bp-d1:c1:pause_arm:ad2");
	}
	q = find(&p, BPR_PROMOTE, 0);
	CHECK(q != NULL && q->proposed_share == 0.92 && q->direction == BPR_UP);
	CHECK(find(&p, BPR_SEED, BPR_NONE) == NULL);      /* no fresh arm */
	CHECK_INT(p.nprops, 3);
	/* the order: shift, then per arm */
	CHECK(p.nprops == 3 && p.props[0].action == BPR_SHIFT && p.props[1].action == BPR_PROMOTE &&
	      p.props[2].action == BPR_PAUSE);
	bpr_plan_free(&p);

	/* --min-trials: 999 trials is not enough to pause, 1000 is */
	k.a[1].trials = 999;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_PAUSE, 1) == NULL);
	bpr_plan_free(&p);
	k.a[1].trials = 1000;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_PAUSE, 1) != NULL);
	bpr_plan_free(&p);
	/* ... nor to promote */
	k.a[0].trials = 999;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_PROMOTE, 0) == NULL);
	bpr_plan_free(&p);
	k.a[0].trials = 1000;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_PROMOTE, 0) != NULL);
	bpr_plan_free(&p);

	/* --pause-below: p_best 0.05 is not below 0.05; 0.0499 is */
	k.a[1].p_best = 0.05;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_PAUSE, 1) == NULL);
	bpr_plan_free(&p);
	k.a[1].p_best = 0.0499;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_PAUSE, 1) != NULL);
	bpr_plan_free(&p);
	/* p_best unknown: no pause for having lost */
	k.a[1].p_best = NAN;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_PAUSE, 1) == NULL);
	bpr_plan_free(&p);
	k.a[1].p_best = 0.04;

	/* --promote-above: 0.95 is promoted (>=), 0.9499 not */
	k.a[0].p_best = 0.95;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_PROMOTE, 0) != NULL);
	bpr_plan_free(&p);
	k.a[0].p_best = 0.9499;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_PROMOTE, 0) == NULL);
	bpr_plan_free(&p);

	/* the leader is never paused, whatever its p_best */
	k.a[0].p_best = 0.01;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_PAUSE, 0) == NULL);
	bpr_plan_free(&p);
	k.a[0].p_best = 0.96;

	/* --shift-threshold: delivered 50/50; a move of 0.049 is not enough, 0.05
	 * (exactly) and 0.051 are */
	k.a[0].share = 0.549, k.a[1].share = 0.451;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_SHIFT, BPR_NONE) == NULL);
	CHECK(fabs(p.max_move - 0.049) < 1e-12);
	bpr_plan_free(&p);
	k.a[0].share = 0.55, k.a[1].share = 0.45;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_SHIFT, BPR_NONE) == NULL);   /* 0.45 > budget 0.10: refused */
	CHECK_HAS(p.shift_refused, "above the exploration budget");
	bpr_plan_free(&p);
	k.c.exploration_budget = 0.5;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_SHIFT, BPR_NONE) != NULL);
	CHECK_STR(p.shift_refused, "");
	bpr_plan_free(&p);
	k.a[0].share = 0.551, k.a[1].share = 0.449;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_SHIFT, BPR_NONE) != NULL);
	bpr_plan_free(&p);
	/* a larger threshold: none */
	o.shift_threshold = 0.06;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_SHIFT, BPR_NONE) == NULL);
	bpr_plan_free(&p);
	o.shift_threshold = 0.05;

	/* the leader's direction: down when the decided share is below the delivered */
	k.a[0].trials = 9000, k.a[1].trials = 1000;      /* delivered 90/10 */
	k.a[0].share = 0.7, k.a[1].share = 0.3;
	bpr_plan(&k.c, &o, &p);
	q = find(&p, BPR_SHIFT, BPR_NONE);
	CHECK(q && q->direction == BPR_DOWN && fabs(q->current_share - 0.9) < 1e-15);
	bpr_plan_free(&p);
	/* hold: the leader keeps its share while the others swap */
	camp_init(&k, 3, 0.5);
	k.a[0].leader = 1;
	k.a[0].trials = 6000, k.a[1].trials = 3000, k.a[2].trials = 1000;   /* 0.6, 0.3, 0.1 */
	k.a[0].share = 0.6, k.a[1].share = 0.1, k.a[2].share = 0.3;
	bpr_plan(&k.c, &o, &p);
	q = find(&p, BPR_SHIFT, BPR_NONE);
	CHECK(q && q->direction == BPR_HOLD);
	bpr_plan_free(&p);

	/* a CAC-capped arm past the minimum sample is paused (why cac_above_cap),
	 * never promoted; with a share it makes the weights refused */
	camp_init(&k, 3, 0.10);
	k.a[0].leader = 1, k.a[0].share = 0.9, k.a[0].p_best = 0.5;
	k.a[1].share = 0.1, k.a[1].p_best = 0.5;
	k.a[2].cac_capped = 1, k.a[2].p_best = 0.99, k.a[2].cac_low = 120;
	o.cac_cap = 80;
	bpr_plan(&k.c, &o, &p);
	q = find(&p, BPR_PAUSE, 2);
	CHECK(q && strcmp(q->why, "cac_above_cap") == 0);
	CHECK(q && strstr(q->reason, "above the CAC cap 80.00"));
	CHECK(find(&p, BPR_PROMOTE, 2) == NULL);
	CHECK(find(&p, BPR_PAUSE, 1) == NULL);            /* p_best 0.5: not lost */
	CHECK(find(&p, BPR_SHIFT, BPR_NONE) != NULL);     /* 1/3 each -> 0.9, 0.1, 0 */
	bpr_plan_free(&p);
	k.a[2].trials = 999;                              /* capped but fresh: no pause, no experiment */
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_PAUSE, 2) == NULL);
	CHECK(find(&p, BPR_SEED, BPR_NONE) == NULL);
	bpr_plan_free(&p);
	k.a[2].trials = 2000;
	k.a[0].share = 0.85, k.a[2].share = 0.05;
	bpr_plan(&k.c, &o, &p);
	CHECK(find(&p, BPR_SHIFT, BPR_NONE) == NULL);
	CHECK_HAS(p.shift_refused, "CAC-capped arm ad3");
	CHECK(find(&p, BPR_PAUSE, 2) != NULL);            /* the pause still stands */
	bpr_plan_free(&p);
	o.cac_cap = NAN;

	/* every arm capped: no leader, nothing proposed */
	camp_init(&k, 2, 0.10);
	k.a[0].cac_capped = k.a[1].cac_capped = 1;
	k.a[0].p_best = k.a[1].p_best = 0;
	CHECK_INT(bpr_check(&k.c, err, sizeof err), 0);
	bpr_plan(&k.c, &o, &p);
	CHECK(p.leader == BPR_NONE && p.nprops == 0);
	bpr_plan_free(&p);

	/* no leader column: the uncapped arm with the highest posterior mean */
	camp_init(&k, 3, 0.10);
	k.a[0].leader = k.a[1].leader = k.a[2].leader = -1;
	k.a[0].posterior_mean = 0.05, k.a[1].posterior_mean = 0.07, k.a[2].posterior_mean = 0.09;
	k.a[2].cac_capped = 1;
	k.a[0].share = 0.1, k.a[1].share = 0.9;
	bpr_plan(&k.c, &o, &p);
	CHECK_INT(p.leader, 1);
	bpr_plan_free(&p);

	/* no trials at all: the delivered rotation is even */
	camp_init(&k, 4, 0.10);
	k.a[0].leader = 1, k.a[0].share = 0.91, k.a[1].share = k.a[2].share = k.a[3].share = 0.03;
	k.a[0].trials = k.a[1].trials = k.a[2].trials = k.a[3].trials = 0;
	bpr_plan(&k.c, &o, &p);
	CHECK(p.current[2] == 0.25);
	bpr_plan_free(&p);
}

static void test_experiment(void)
{
	struct bpr_options o;
	struct bpr_plan p;
	struct camp k;
	size_t i;
	const struct bpr_proposal *q;

	bpr_options_default(&o);
	/* leader ad1 (10000 trials, mean 0.05); six fresh arms, trials 900, 10, 500,
	 * 10, 999, 300; one capped; one established loser */
	camp_init(&k, 8, 0.10);
	k.a[0].leader = 1, k.a[0].trials = 10000, k.a[0].posterior_mean = 0.05, k.a[0].share = 0.9;
	{
		double t[] = { 0, 900, 10, 500, 10, 999, 300, 5000 };
		for (i = 1; i < 8; i++) {
			k.a[i].trials = t[i];
			k.a[i].share = 0.1 / 6;
			k.a[i].p_best = 0.01;
		}
		k.a[6].cac_capped = 1, k.a[6].share = 0;          /* ad7: capped, not a treatment */
		k.a[7].share = 0.1 - 5 * 0.1 / 6;                 /* ad8: established */
	}
	bpr_plan(&k.c, &o, &p);
	CHECK(p.has_experiment);
	CHECK_INT(p.exp.control, 0);
	/* fewest trials first, ties by arm_id: ad3 (10), ad5 (10), ad7 is capped, ad4 (500), ad2 (900) */
	CHECK_INT(p.exp.ntreat, 4);
	CHECK(p.exp.treat[0] == 2 && p.exp.treat[1] == 4 && p.exp.treat[2] == 3 && p.exp.treat[3] == 1);
	CHECK(fabs(p.exp.split_treatment - 0.025) < 1e-15);
	CHECK(fabs(p.exp.split_control - 0.9) < 1e-15);
	CHECK(p.exp.split_treatment * (double)p.exp.ntreat <= 0.10 + 1e-15);
	CHECK_INT(p.exp.pw.n, 8158);
	/* campaign trials 10000 + 900 + 10 + 500 + 10 + 999 + 300 + 5000 = 17719 over 30
	 * days: 590.633/day, 2.5% each: 14.766/day -> ceil(8158 / 14.7658) = 553 */
	CHECK(fabs(p.exp.daily_trials - 17719.0 / 30) < 1e-9);
	CHECK_INT(p.exp.expected_days, 553);
	CHECK_STR(p.exp.id, "exp-d1:c1");
	CHECK_STR(p.exp.name, "c1: ad3, ad5, ad4, ad2 vs ad1 (cvr)");
	CHECK_HAS(p.exp.hypothesis, "8158 trials per arm");
	q = find(&p, BPR_SEED, BPR_NONE);
	CHECK(q && strcmp(q->id, "bp-d1:c1:seed_experiment") == 0 && q->arm == BPR_NONE);
	CHECK(q && strstr(q->reason, "about 553 days"));
	/* seed is last */
	CHECK(p.nprops && p.props[p.nprops - 1].action == BPR_SEED);
	/* fresh arms are not paused however low their p_best */
	for (i = 1; i < 7; i++)
		CHECK(find(&p, BPR_PAUSE, i) == NULL);
	CHECK(find(&p, BPR_PAUSE, 7) != NULL);
	bpr_plan_free(&p);

	/* no lookback: no expected_days */
	k.c.lookback_days = NAN;
	bpr_plan(&k.c, &o, &p);
	CHECK(p.has_experiment && p.exp.expected_days == -1);
	bpr_plan_free(&p);
	k.c.lookback_days = 30;

	/* blocked by another run's experiment */
	k.c.experiment_blocked = 1;
	bpr_plan(&k.c, &o, &p);
	CHECK(!p.has_experiment && find(&p, BPR_SEED, BPR_NONE) == NULL);
	CHECK_HAS(p.no_experiment, "already proposed or running");
	bpr_plan_free(&p);
	k.c.experiment_blocked = 0;

	/* a fresh leader: no control yet */
	k.a[0].trials = 999;
	bpr_plan(&k.c, &o, &p);
	CHECK(!p.has_experiment);
	CHECK_HAS(p.no_experiment, "no established control");
	bpr_plan_free(&p);
	k.a[0].trials = 1000;
	bpr_plan(&k.c, &o, &p);
	CHECK(p.has_experiment);
	bpr_plan_free(&p);

	/* one treatment takes the whole budget; the mde changes n */
	camp_init(&k, 2, 0.2);
	k.a[0].leader = 1, k.a[0].share = 0.8, k.a[0].posterior_mean = 0.10, k.a[0].trials = 3000;
	k.a[1].share = 0.2, k.a[1].trials = 0;
	o.mde = 0.2;
	bpr_plan(&k.c, &o, &p);
	CHECK(p.has_experiment && p.exp.ntreat == 1 && p.exp.split_treatment == 0.2);
	CHECK_INT(p.exp.pw.n, 3841);
	/* 3000 trials / 30 days = 100/day, 20 a day to the treatment: 3841 / 20 -> 193 days */
	CHECK_INT(p.exp.expected_days, 193);
	bpr_plan_free(&p);

	/* zero exploration budget, or a baseline that cannot grow by the mde: none */
	k.c.exploration_budget = 0;
	k.a[0].share = 1, k.a[1].share = 0;
	bpr_plan(&k.c, &o, &p);
	CHECK(!p.has_experiment);
	bpr_plan_free(&p);
	k.c.exploration_budget = 0.2;
	k.a[0].share = 0.8, k.a[1].share = 0.2;
	k.a[0].posterior_mean = 0.9;
	bpr_plan(&k.c, &o, &p);
	CHECK(!p.has_experiment);
	CHECK_HAS(p.no_experiment, "no power calculation");
	bpr_plan_free(&p);
}

static void test_check(void)
{
	struct camp k;
	char err[256];

	camp_init(&k, 3, 0.1);
	k.a[0].leader = 1, k.a[0].share = 0.9, k.a[1].share = 0.05, k.a[2].share = 0.05;
	CHECK_INT(bpr_check(&k.c, err, sizeof err), 0);
	k.a[2].share = 0.05 + 2e-6;
	CHECK_INT(bpr_check(&k.c, err, sizeof err), -1);
	CHECK_HAS(err, "shares sum to 1.000002");
	k.a[2].share = 0.05 + 5e-7;                   /* within 1e-6 */
	CHECK_INT(bpr_check(&k.c, err, sizeof err), 0);
	k.a[2].share = 0.05;
	k.a[1].leader = 1;
	CHECK_INT(bpr_check(&k.c, err, sizeof err), -1);
	CHECK_HAS(err, "2 arms marked leader");
	k.a[1].leader = 0;
	k.a[0].cac_capped = 1;
	CHECK_INT(bpr_check(&k.c, err, sizeof err), -1);
	CHECK_HAS(err, "leader is CAC-capped");
	k.a[0].cac_capped = 0;
	k.a[1].share = -0.05, k.a[2].share = 0.15;
	CHECK_INT(bpr_check(&k.c, err, sizeof err), -1);
	CHECK_HAS(err, "not in [0, 1]");
	k.a[1].share = 0.05, k.a[2].share = 0.05;
	k.a[2].p_best = 1.5;
	CHECK_INT(bpr_check(&k.c, err, sizeof err), -1);
	k.a[2].p_best = 0.5;
	k.c.exploration_budget = 1.2;
	CHECK_INT(bpr_check(&k.c, err, sizeof err), -1);
	k.c.exploration_budget = 0.1;
	/* all shares 0: fine only when every arm is capped */
	k.a[0].share = 0, k.a[1].share = 0, k.a[2].share = 0, k.a[0].leader = 0;
	CHECK_INT(bpr_check(&k.c, err, sizeof err), -1);
	k.a[0].cac_capped = k.a[1].cac_capped = k.a[2].cac_capped = 1;
	CHECK_INT(bpr_check(&k.c, err, sizeof err), 0);
}

/*
 * Thousands of random decision runs, shaped like bandit-decide's (the
 * exploration rule, capped arms at 0) but about one in six broken (a capped
 * arm with a share, non-leader shares above the budget): every proposed
 * weight set gives no capped arm a share, sums to 1, keeps the non-leader
 * shares within the budget; no pause of the leader; the experiment's
 * treatments share at most the budget; and the same input gives the same
 * ids and plan.
 */
static void test_property(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int it, bad = 0, shifts = 0, refused = 0, pauses = 0, promotes = 0, seeds = 0;
	struct bpr_options o;

	gsl_rng_set(r, 20261130);
	for (it = 0; it < 20000 && bad < 20; it++) {
		struct camp k;
		struct bpr_plan p, p2;
		size_t n = 1 + gsl_rng_uniform_int(r, 8), i, L = BPR_NONE, j;
		double budget = gsl_rng_uniform(r) < 0.1 ? 0 : 0.02 + 0.3 * gsl_rng_uniform(r);
		double raw[8], E = 0, sum = 0;
		int broken = gsl_rng_uniform(r) < 1.0 / 6;
		char err[256];

		bpr_options_default(&o);
		o.min_trials = gsl_rng_uniform(r) < 0.5 ? 1000 : 50 + gsl_rng_uniform_int(r, 3000);
		o.shift_threshold = 0.01 + 0.1 * gsl_rng_uniform(r);
		o.mde = 0.05 + 0.5 * gsl_rng_uniform(r);
		camp_init(&k, n, budget);
		for (i = 0; i < n; i++) {
			struct bpr_arm *a = &k.a[i];
			a->trials = gsl_rng_uniform(r) < 0.3 ? gsl_rng_uniform_int(r, 1000) :
				gsl_rng_uniform_int(r, 50000);
			a->posterior_mean = 0.001 + 0.2 * gsl_rng_uniform(r);
			a->successes = floor(a->trials * a->posterior_mean);
			a->cac_capped = gsl_rng_uniform(r) < 0.15;
			a->p_best = gsl_rng_uniform(r);
			raw[i] = a->cac_capped ? 0 : gsl_rng_uniform(r);
			if (!a->cac_capped && (L == BPR_NONE || a->posterior_mean > k.a[L].posterior_mean))
				L = i;
		}
		if (L == BPR_NONE) {                 /* all capped: shares all 0 */
			for (i = 0; i < n; i++)
				k.a[i].share = 0, k.a[i].p_best = 0;
		} else {
			for (i = 0; i < n; i++)
				sum += raw[i];
			for (i = 0; i < n; i++) {
				raw[i] /= sum;
				if (i != L)
					E += raw[i];
			}
			for (i = 0; i < n; i++) {
				k.a[i].share = i == L ? (E > budget ? 1 - budget : raw[i]) :
					(E > budget ? raw[i] * budget / E : raw[i]);
				k.a[i].leader = i == L;
				k.a[i].exploration = i != L && k.a[i].share > 0;
			}
			if (broken && n > 1) {
				/* move share from the leader to another arm: over budget or capped */
				j = (L + 1 + gsl_rng_uniform_int(r, n - 1)) % n;
				k.a[j].share += 0.5 * k.a[L].share;
				k.a[L].share *= 0.5;
			}
		}
		if (bpr_check(&k.c, err, sizeof err) != 0) {
			bad++, fprintf(stderr, "run %d: generated rows fail the check: %s\n", it, err);
			continue;
		}
		bpr_plan(&k.c, &o, &p);
		bpr_plan(&k.c, &o, &p2);
		if (p.nprops != p2.nprops || p.has_experiment != p2.has_experiment)
			bad++, fprintf(stderr, "run %d: not deterministic\n", it);
		refused += p.shift_refused[0] != 0;
		for (i = 0; i < p.nprops; i++) {
			const struct bpr_proposal *q = &p.props[i];
			char *id;
			if (i < p2.nprops && (strcmp(q->id, p2.props[i].id) != 0 ||
					      q->action != p2.props[i].action))
				bad++, fprintf(stderr, "run %d: ids not deterministic\n", it);
			id = bpr_proposal_id("d1", "c1", q->action, q->arm == BPR_NONE ? NULL :
					     k.a[q->arm].arm_id);
			if (strcmp(id, q->id) != 0)
				bad++, fprintf(stderr, "run %d: id %s, expected %s\n", it, q->id, id);
			free(id);
			for (j = 0; j < i; j++)
				if (strcmp(p.props[j].id, q->id) == 0)
					bad++, fprintf(stderr, "run %d: id %s twice\n", it, q->id);
			switch (q->action) {
			case BPR_SHIFT: {
				double s = 0, nl = 0;
				shifts++;
				for (j = 0; j < n; j++) {
					s += k.a[j].share;
					if (j != p.leader)
						nl += k.a[j].share;
					if (k.a[j].cac_capped && k.a[j].share > 0)
						bad++, fprintf(stderr, "run %d: weights give capped %s a share\n",
							       it, k.a[j].arm_id);
				}
				if (fabs(s - 1) > 1e-6)
					bad++, fprintf(stderr, "run %d: weights sum to %.9g\n", it, s);
				if (nl > p.budget + 1e-9)
					bad++, fprintf(stderr, "run %d: non-leader weights %.9g above budget %.9g\n",
						       it, nl, p.budget);
				if (q->arm != p.leader || !(p.max_move >= o.shift_threshold - 1e-12))
					bad++, fprintf(stderr, "run %d: shift on the wrong arm or below the threshold\n", it);
				break;
			}
			case BPR_PAUSE:
				pauses++;
				if (q->arm == p.leader || k.a[q->arm].trials < o.min_trials ||
				    !(k.a[q->arm].cac_capped || k.a[q->arm].p_best < o.pause_below))
					bad++, fprintf(stderr, "run %d: a pause against the rule\n", it);
				break;
			case BPR_PROMOTE:
				promotes++;
				if (k.a[q->arm].cac_capped || k.a[q->arm].trials < o.min_trials ||
				    !(k.a[q->arm].p_best >= o.promote_above))
					bad++, fprintf(stderr, "run %d: a promotion against the rule\n", it);
				break;
			case BPR_SEED: {
				const struct bpr_experiment *e = &p.exp;
				seeds++;
				if (!p.has_experiment || e->ntreat == 0 || e->ntreat > BPR_MAX_TREATMENTS ||
				    e->split_treatment * (double)e->ntreat > p.budget + 1e-12 ||
				    fabs(e->split_control + e->split_treatment * (double)e->ntreat - 1) > 1e-12 ||
				    e->control != p.leader || k.a[e->control].trials < o.min_trials)
					bad++, fprintf(stderr, "run %d: a bad experiment design\n", it);
				for (j = 0; j < e->ntreat; j++) {
					const struct bpr_arm *t = &k.a[e->treat[j]];
					if (t->cac_capped || t->trials >= o.min_trials || e->treat[j] == p.leader)
						bad++, fprintf(stderr, "run %d: treatment %s is not fresh\n", it,
							       t->arm_id);
					if (j && k.a[e->treat[j - 1]].trials > t->trials)
						bad++, fprintf(stderr, "run %d: treatments out of order\n", it);
				}
				break;
			}
			}
		}
		if (L == BPR_NONE && p.nprops)
			bad++, fprintf(stderr, "run %d: proposals without a leader\n", it);
		bpr_plan_free(&p);
		bpr_plan_free(&p2);
	}
	CHECK_INT(bad, 0);
	/* not vacuous */
	CHECK(shifts > 1000 && refused > 300 && pauses > 1000 && promotes > 500 && seeds > 500);
	fprintf(stderr, "decision runs: %d shift_weights (%d refused), %d pause_arm, %d promote_arm, "
		"%d seed_experiment\n", shifts, refused, pauses, promotes, seeds);
	gsl_rng_free(r);
}

int main(void)
{
	test_power();
	test_ids();
	test_rules();
	test_experiment();
	test_check();
	test_property();
	return h_done("bandit-propose");
}
