/*
 * bandit-propose: shadow proposals from one bandit decision run -- new
 * traffic weights, pausing losers, promoting winners, seeding A/B
 * experiments for fresh arms -- as bandit_change_proposals and ab_experiments
 * rows on stdout for bq-load.  The decision is in propose.h, the reads in
 * inputs.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "inputs.h"
#include "ndjson.h"
#include "opts.h"
#include "propose.h"
#include "report.h"
#include "timefmt.h"
#include "warehouse.h"

enum { O_RUN = 1000, O_CAMP, O_MIN, O_PAUSE, O_PROMOTE, O_SHIFT, O_MDE, O_ALPHA, O_POWER,
       O_START, O_STDIN, O_RUNID, O_QUIET };

static const struct opt options[] = {
	{ O_RUN, "decision-run", 0, "ID", "the decision run to act on (default: the latest)" },
	{ O_CAMP, "campaign-id", 0, "ID", "one campaign (default: every campaign of the run)" },
	{ O_MIN, "min-trials", 0, "N", "the minimum sample before pausing or promoting (default 1000)" },
	{ O_PAUSE, "pause-below", 0, "P", "pause a non-leader with p_best < P (default 0.05)" },
	{ O_PROMOTE, "promote-above", 0, "P", "promote an arm with p_best >= P (default 0.95)" },
	{ O_SHIFT, "shift-threshold", 0, "D", "new weights when a share moves >= D (default 0.05)" },
	{ O_MDE, "mde", 0, "R", "experiments: relative min. detectable effect (default 0.20)" },
	{ O_ALPHA, "alpha", 0, "A", "experiments: two-sided significance (default 0.05)" },
	{ O_POWER, "power", 0, "P", "experiments: power, 0.5 to 0.999999 (default 0.80)" },
	{ O_START, "start-date", 0, "DAY", "experiments' start (default: the day after window_end)" },
	{ O_STDIN, "stdin", 0, NULL, "read decision rows from FILEs or stdin, not the warehouse" },
	{ O_RUNID, "run-id", 0, "ID", "rows' run_id (default $AELP2_RUN_ID, else bandit-propose-RUN)" },
	{ O_QUIET, "quiet", 'q', NULL, "no summary line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"bandit-propose",
	"[options] [--stdin [FILE...]]",
	"Turn one bandit decision run (bandit_decisions, as bandit-decide writes it) into\n"
	"shadow proposals: bandit_change_proposals rows (status proposed, shadow true) and,\n"
	"for fresh arms, an ab_experiments row (status proposed), `_table`-tagged on stdout\n"
	"for bq-load.  Nothing changes on any platform: a person approves (proposal-review\n"
	"approve ID --by NAME --kind bandit) and bandit-apply applies under its guardrails.\n"
	"\n"
	"Reads: the rows of the decision run (--decision-run, default the latest by\n"
	"decided_at then run_id; with --campaign-id the latest run deciding that campaign)\n"
	"from the warehouse, or with --stdin from FILEs or stdin (rows of other tables, such\n"
	"as bandit_context_decisions, are skipped; several runs in the input: the same choice).\n"
	"From the warehouse, when there is one, also the run's proposals a person already\n"
	"decided and the experiments proposed or running.\n"
	"\n"
	"Per campaign of the run (campaigns in byte order of campaign_id, arms of arm_id):\n"
	"  current share   an arm's trials / the campaign's trials: the delivered rotation\n"
	"                  (an even 1/n when the campaign has no trials)\n"
	"  leader          the row marked leader (else the uncapped arm with the highest\n"
	"                  posterior mean); a campaign whose arms are all CAC-capped has no\n"
	"                  leader and gets no proposal (a budget matter: budget-propose)\n"
	"  shift_weights   when max |share - current share| >= --shift-threshold (0.05):\n"
	"                  one per campaign, arm_id = the leader, current/proposed share and\n"
	"                  p_best the leader's, direction up/down/hold of the leader; notes\n"
	"                  {weights: [{arm_id, current_share, proposed_share, p_best,\n"
	"                  exploration, cac_capped}...], exploration_budget, leader, cac_cap,\n"
	"                  policy, ...}.  Exploration budget: the rows' exploration_budget\n"
	"                  (0.10 when they carry none).  Only under the budget and the CAC cap:\n"
	"                  weights whose non-leader shares sum above the budget (+1e-9), or\n"
	"                  that give a CAC-capped arm a share, are refused with a warning.\n"
	"  pause_arm       an arm not the leader, trials >= --min-trials (1000), and p_best <\n"
	"                  --pause-below (0.05) (notes.why lost) or CAC-capped (why\n"
	"                  cac_above_cap): direction down, proposed_share 0\n"
	"  promote_arm     trials >= --min-trials, p_best >= --promote-above (0.95), not\n"
	"                  capped: direction up, proposed_share = its share\n"
	"  seed_experiment fresh arms (trials < --min-trials, not capped, not the leader),\n"
	"                  a leader that is not fresh (the control), and no ab_experiments row\n"
	"                  of another run proposed or running in the campaign (one whose\n"
	"                  seed_experiment proposal was rejected, expired or refused does not\n"
	"                  count): one experiment, control = the leader, treatments = at most\n"
	"                  4 fresh arms (fewest trials first, then arm_id)\n"
	"\n"
	"Power calculation (two-sided two-proportion z test, trials per arm):\n"
	"  p1 = the control's posterior mean, p2 = p1 (1 + mde), pbar = (p1 + p2) / 2,\n"
	"  n = ceil((z(1-alpha/2) sqrt(2 pbar (1-pbar)) + z(power) sqrt(p1 q1 + p2 q2))^2\n"
	"           / (p2 - p1)^2)                                          (q = 1 - p)\n"
	"  e.g. p1 0.10, mde 0.20, alpha 0.05, power 0.80: n = 3841.\n"
	"  Traffic split: the treatments share the exploration budget e equally (e / k\n"
	"  each), the control gets 1 - e, so the experiment stays within the budget.\n"
	"  expected_days = ceil(n / (daily trials x e / k)), daily trials = the campaign's\n"
	"  trials / lookback_days (null when the rows give no lookback).  start_date =\n"
	"  --start-date, else the day after the rows' window_end, else after decided_at.\n"
	"\n"
	"Rows:\n"
	"  bandit_change_proposals: proposal_id bp-DECISION_RUN:CAMPAIGN:ACTION[:ARM] (the\n"
	"    arm for pause_arm and promote_arm), run_id, decision_run_id, status proposed,\n"
	"    shadow true, reason in words, notes (the evidence and thresholds), created_at,\n"
	"    customer_id, ad_group_id, platform, channel from the decision rows;\n"
	"    seed_experiment carries experiment_id.\n"
	"  ab_experiments: experiment_id exp-DECISION_RUN:CAMPAIGN, name, hypothesis, arms\n"
	"    [{arm_id, role control|treatment, traffic_split}], control_arm, primary_metric\n"
	"    (the decisions' metric), baseline_rate p1, mde, alpha, power, min_sample_size n,\n"
	"    status proposed, start_date, notes {expected_days, exploration_budget, z_alpha,\n"
	"    z_power, ...}.\n"
	"Re-runs: the ids depend only on the decision run, so a re-run writes the same ids\n"
	"(load with bq-load --upsert); a proposal a person already decided (status not\n"
	"proposed) and an experiment no longer proposed are left out, never overwritten.\n"
	"No decisions at all: exit 0, nothing written, a message on stderr; a\n"
	"--decision-run with no rows (for --campaign-id): exit 1.\n"
	"Bad rows (--stdin): exit 65, each named FILE:LINE with the reason (types, a\n"
	"duplicate arm, shares not summing to 1 +- 1e-6 per campaign, two leaders),\n"
	"nothing written.\n"
	"\n"
	"Example:\n"
	"  bandit-decide | bq-load && bandit-propose | bq-load\n"
	"  proposal-review list --kind bandit\n",
	options,
	WH_ENV_HELP
	"  AELP2_CAC_CAP    the CAC cap reported in notes.cac_cap when the decision rows carry\n"
	"                   no cac_cap of their own (unset or empty: none)\n"
	"  AELP2_RUN_ID     run_id of the rows when --run-id is not given\n"
};

struct args {
	struct bpr_options o;
	const char *decision_run, *campaign_id, *start_date, *run_id;
	int use_stdin, quiet;
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_RUN: a->decision_run = arg; break;
	case O_CAMP: a->campaign_id = arg; break;
	case O_MIN: a->o.min_trials = (double)opt_long("min-trials", arg, 0, 1000000000000LL); break;
	case O_PAUSE: a->o.pause_below = opt_double("pause-below", arg, 0, 1); break;
	case O_PROMOTE: a->o.promote_above = opt_double("promote-above", arg, 0, 1); break;
	case O_SHIFT: a->o.shift_threshold = opt_double("shift-threshold", arg, 0, 1); break;
	case O_MDE: a->o.mde = opt_double("mde", arg, 1e-6, 100); break;
	case O_ALPHA: a->o.alpha = opt_double("alpha", arg, 1e-9, 0.999999); break;
	case O_POWER: a->o.power = opt_double("power", arg, 0.5, 0.999999); break;
	case O_START:
		if (!date_valid(arg, strlen(arg)))
			usage_error(&spec, "--start-date: '%s' is not a day (YYYY-MM-DD)", arg);
		a->start_date = arg;
		break;
	case O_STDIN: a->use_stdin = 1; break;
	case O_RUNID:
		if (!*arg)
			usage_error(&spec, "--run-id: an empty run id");
		a->run_id = arg;
		break;
	case O_QUIET: a->quiet = 1; break;
	}
}

/* The day after a DATE or the UTC day of a TIMESTAMP, into out (11 bytes); "" when neither. */
static void day_after(const char *s, char *out)
{
	long long y;
	unsigned m, d;
	out[0] = '\0';
	if (!s || strlen(s) < 10 || !date_valid(s, 10) || sscanf(s, "%lld-%u-%u", &y, &m, &d) != 3)
		return;
	civil_from_days(days_from_civil(y, m, d) + 1, &y, &m, &d);
	snprintf(out, 11, "%04lld-%02u-%02u", y, m, d);
}

/* A count: an integer when it is one, else a float, null when unknown. */
static void kv_count(FILE *out, const char *k, double v)
{
	if (isfinite(v) && v == floor(v) && fabs(v) < 9e15)
		jw_kv_int(out, k, (long long)v);
	else
		jw_kv_real(out, k, v);
}

static void kv_bool(FILE *out, const char *k, int b)
{
	fputc(',', out);
	jw_key(out, k);
	fputs(b ? "true" : "false", out);
}

/* An arm's text attribute, else the campaign's first non-null one. */
static const char *attr(const struct bpr_camp *c, size_t arm, size_t field)
{
	size_t i;
	const char *v;
#define FIELD(f, x) ((x) == 0 ? (f)->customer_id : (x) == 1 ? (f)->platform : (f)->channel)
	if (arm != BPR_NONE && (v = FIELD(&c->info[arm], field)) != NULL)
		return v;
	for (i = 0; i < c->c.n; i++)
		if ((v = FIELD(&c->info[i], field)) != NULL)
			return v;
	return NULL;
#undef FIELD
}

/* The experiment's one ad group, when all its arms share it; else NULL. */
static const char *common_ad_group(const struct bpr_camp *c, const struct bpr_experiment *e)
{
	const char *g = c->info[e->control].ad_group_id;
	size_t i;
	for (i = 0; g && i < e->ntreat; i++)
		if (!c->info[e->treat[i]].ad_group_id || strcmp(c->info[e->treat[i]].ad_group_id, g) != 0)
			return NULL;
	return g;
}

struct ctx {
	FILE *out;
	const char *run_id, *now;
	const struct args *a;
	const struct bpr_input *in;
};

static void write_proposal(const struct ctx *x, const struct bpr_camp *c, const struct bpr_plan *p,
			   const struct bpr_proposal *q)
{
	FILE *out = x->out;
	const struct bpr_options *o = &x->a->o;
	const struct bpr_arm *a = q->arm != BPR_NONE ? &c->c.arms[q->arm] : NULL;
	size_t i;

	fputs("{\"_table\":\"bandit_change_proposals\"", out);
	jw_kv_str(out, "proposal_id", q->id);
	jw_kv_str(out, "run_id", x->run_id);
	jw_kv_str(out, "decision_run_id", x->in->decision_run);
	jw_kv_str(out, "customer_id", attr(c, q->arm != BPR_NONE ? q->arm : p->leader, 0));
	jw_kv_str(out, "campaign_id", c->campaign_id);
	jw_kv_str(out, "ad_group_id", q->action == BPR_SEED ? common_ad_group(c, &p->exp) :
		  c->info[q->arm].ad_group_id);
	jw_kv_str(out, "arm_id", a ? a->arm_id : NULL);
	jw_kv_str(out, "platform", attr(c, q->arm != BPR_NONE ? q->arm : p->leader, 1));
	jw_kv_str(out, "channel", attr(c, q->arm != BPR_NONE ? q->arm : p->leader, 2));
	jw_kv_str(out, "action", bpr_action_name(q->action));
	jw_kv_str(out, "direction", bpr_direction_name(q->direction));
	jw_kv_real(out, "current_share", q->current_share);
	jw_kv_real(out, "proposed_share", q->proposed_share);
	jw_kv_real(out, "p_best", q->p_best);
	jw_kv_str(out, "experiment_id", q->action == BPR_SEED ? p->exp.id : NULL);
	jw_kv_str(out, "status", "proposed");
	kv_bool(out, "shadow", 1);
	jw_kv_str(out, "reason", q->reason);
	fputs(",\"notes\":{", out);
	switch (q->action) {
	case BPR_SHIFT:
		jw_key(out, "weights");
		fputc('[', out);
		for (i = 0; i < c->c.n; i++) {
			const struct bpr_arm *w = &c->c.arms[i];
			fputs(i ? ",{\"arm_id\":" : "{\"arm_id\":", out);
			jw_str(out, w->arm_id, strlen(w->arm_id));
			jw_kv_real(out, "current_share", p->current[i]);
			jw_kv_real(out, "proposed_share", w->share);
			jw_kv_real(out, "p_best", w->p_best);
			kv_bool(out, "exploration", w->exploration);
			kv_bool(out, "cac_capped", w->cac_capped);
			fputc('}', out);
		}
		fputc(']', out);
		jw_kv_real(out, "exploration_budget", p->budget);
		jw_kv_str(out, "leader", a->arm_id);
		jw_kv_real(out, "cac_cap", bpr_cac_cap(&c->c, o));
		jw_kv_str(out, "policy", c->policy);
		jw_kv_real(out, "shift_threshold", o->shift_threshold);
		jw_kv_real(out, "max_move", p->max_move);
		jw_kv_str(out, "max_move_arm", c->c.arms[p->max_move_arm].arm_id);
		jw_kv_real(out, "non_leader_share", p->nonleader_share);
		kv_count(out, "campaign_trials", p->trials);
		break;
	case BPR_PAUSE:
	case BPR_PROMOTE:
		jw_key(out, "trials");
		jw_int(out, (long long)(isfinite(a->trials) ? a->trials : 0));
		kv_count(out, "successes", a->successes);
		jw_kv_real(out, "posterior_mean", a->posterior_mean);
		jw_kv_real(out, "ci_low", a->ci_low);
		jw_kv_real(out, "ci_high", a->ci_high);
		jw_kv_real(out, "p_best", a->p_best);
		if (q->action == BPR_PAUSE)
			jw_kv_real(out, "pause_below", o->pause_below);
		else
			jw_kv_real(out, "promote_above", o->promote_above);
		kv_count(out, "min_trials", o->min_trials);
		jw_kv_real(out, "cac_low", a->cac_low);
		jw_kv_real(out, "cac_high", a->cac_high);
		jw_kv_real(out, "cac_cap", bpr_cac_cap(&c->c, o));
		jw_kv_real(out, "share", a->share);
		jw_kv_str(out, "leader", c->c.arms[p->leader].arm_id);
		if (q->action == BPR_PAUSE)
			jw_kv_str(out, "why", q->why);
		break;
	case BPR_SEED: {
		const struct bpr_experiment *e = &p->exp;
		jw_key(out, "experiment_id");
		jw_str(out, e->id, strlen(e->id));
		jw_kv_str(out, "control", c->c.arms[e->control].arm_id);
		fputs(",\"treatments\":[", out);
		for (i = 0; i < e->ntreat; i++) {
			const char *t = c->c.arms[e->treat[i]].arm_id;
			if (i)
				fputc(',', out);
			jw_str(out, t, strlen(t));
		}
		fputc(']', out);
		jw_kv_real(out, "control_split", e->split_control);
		jw_kv_real(out, "treatment_split", e->split_treatment);
		jw_kv_int(out, "min_sample_size", e->pw.n);
		jw_kv_real(out, "baseline_rate", e->pw.p1);
		jw_kv_real(out, "mde", o->mde);
		jw_kv_real(out, "alpha", o->alpha);
		jw_kv_real(out, "power", o->power);
		if (e->expected_days >= 0)
			jw_kv_int(out, "expected_days", e->expected_days);
		else
			jw_kv_str(out, "expected_days", NULL);
		kv_count(out, "min_trials", o->min_trials);
		break;
	}
	}
	fputc('}', out);
	jw_kv_str(out, "created_at", x->now);
	fputs("}\n", out);
}

static void write_experiment(const struct ctx *x, const struct bpr_camp *c, const struct bpr_plan *p)
{
	FILE *out = x->out;
	const struct bpr_options *o = &x->a->o;
	const struct bpr_experiment *e = &p->exp;
	char start[11];
	size_t i;

	if (x->a->start_date)
		snprintf(start, sizeof start, "%s", x->a->start_date);
	else if (c->window_end)
		day_after(c->window_end, start);
	else
		day_after(c->decided_at, start);
	fputs("{\"_table\":\"ab_experiments\"", out);
	jw_kv_str(out, "experiment_id", e->id);
	jw_kv_str(out, "run_id", x->run_id);
	jw_kv_str(out, "name", e->name);
	jw_kv_str(out, "hypothesis", e->hypothesis);
	jw_kv_str(out, "platform", attr(c, e->control, 1));
	jw_kv_str(out, "channel", attr(c, e->control, 2));
	jw_kv_str(out, "campaign_id", c->campaign_id);
	fputs(",\"arms\":[{\"arm_id\":", out);
	jw_str(out, c->c.arms[e->control].arm_id, strlen(c->c.arms[e->control].arm_id));
	fputs(",\"role\":\"control\"", out);
	jw_kv_real(out, "traffic_split", e->split_control);
	fputc('}', out);
	for (i = 0; i < e->ntreat; i++) {
		const char *t = c->c.arms[e->treat[i]].arm_id;
		fputs(",{\"arm_id\":", out);
		jw_str(out, t, strlen(t));
		fputs(",\"role\":\"treatment\"", out);
		jw_kv_real(out, "traffic_split", e->split_treatment);
		fputc('}', out);
	}
	fputc(']', out);
	jw_kv_str(out, "control_arm", c->c.arms[e->control].arm_id);
	jw_kv_str(out, "primary_metric", c->metric);
	jw_kv_real(out, "baseline_rate", e->pw.p1);
	jw_kv_real(out, "mde", o->mde);
	jw_kv_real(out, "alpha", o->alpha);
	jw_kv_real(out, "power", o->power);
	jw_kv_int(out, "min_sample_size", e->pw.n);
	jw_kv_str(out, "status", "proposed");
	jw_kv_str(out, "start_date", start[0] ? start : NULL);
	jw_kv_str(out, "created_at", x->now);
	fputs(",\"notes\":{\"expected_days\":", out);
	if (e->expected_days >= 0)
		jw_int(out, e->expected_days);
	else
		fputs("null", out);
	jw_kv_real(out, "exploration_budget", p->budget);
	jw_kv_real(out, "z_alpha", e->pw.z_alpha);
	jw_kv_real(out, "z_power", e->pw.z_power);
	jw_kv_real(out, "treatment_rate", e->pw.p2);
	jw_kv_real(out, "n_exact", e->pw.n_exact);
	jw_kv_real(out, "daily_trials", e->daily_trials);
	jw_kv_real(out, "lookback_days", c->c.lookback_days);
	jw_kv_str(out, "decision_run_id", x->in->decision_run);
	jw_kv_str(out, "seeded_by", "bandit-propose");
	fputs("}}\n", out);
}

int main(int argc, char **argv)
{
	struct args a = { .quiet = 0 };
	struct bpr_read_opts ro;
	struct bpr_input in;
	struct schema_set *set;
	struct wh_err we = { 0 };
	struct wh *w = NULL;
	struct ctx x;
	char err[1600], now[TS_CANON_MAX], *details = NULL, *run_id;
	size_t i, k, counts[4] = { 0 }, nexp = 0, skipped = 0, refused = 0;
	int rc, argi;

	bpr_options_default(&a.o);
	argi = opts_parse(&spec, argc, argv, on_opt, &a);
	if (argi < argc && !a.use_stdin)
		usage_error(&spec, "unexpected operand '%s' (files are read with --stdin; without it "
			    "bandit-propose reads the warehouse)", argv[argi]);
	if (!(a.o.pause_below < a.o.promote_above))
		usage_error(&spec, "--pause-below %g must be below --promote-above %g", a.o.pause_below,
			    a.o.promote_above);
	a.o.cac_cap = opt_cac_cap(&spec, NULL);

	set = schema_load(NULL);
	w = wh_open_env(set, WH_OPEN_READ, &we);
	if (!w && we.missing != WH_NO_WAREHOUSE)
		die(we.code, "%s", we.msg);
	ro = (struct bpr_read_opts){ a.decision_run, a.campaign_id };
	if (a.use_stdin)
		rc = bpr_read_files(set, argv + argi, argc - argi, &ro, &in, err, sizeof err);
	else if (w)
		rc = bpr_read_warehouse(w, set, &ro, &in, err, sizeof err);
	else {
		if (a.decision_run)
			die(AELP_EXIT_GATE, "%s: no decision run '%s' to propose from", we.msg, a.decision_run);
		warn("%s: no bandit decisions, nothing to propose", we.msg);
		step_report("bandit-propose", 0, -1, "{\"decision_run\":null}");
		schema_free(set);
		return 0;
	}
	if (!rc)
		rc = bpr_read_statuses(w, &in, err, sizeof err);
	if (rc)
		die(rc, "%s", err);
	if (w)
		wh_close(w);
	if (!in.decision_run) {
		warn("no bandit decisions%s%s in %s: nothing to propose", a.campaign_id ? " for campaign " : "",
		     a.campaign_id ? a.campaign_id : "", in.source);
		step_report("bandit-propose", 0, -1, "{\"decision_run\":null}");
		bpr_input_free(&in);
		schema_free(set);
		return 0;
	}
	if (a.run_id)
		run_id = xstrdup(a.run_id);
	else if (flow_run_id())
		run_id = xstrdup(flow_run_id());
	else
		run_id = xasprintf("bandit-propose-%s", in.decision_run);

	out_init();
	timestamp_now(now, NULL);
	x = (struct ctx){ stdout, run_id, now, &a, &in };
	for (i = 0; i < in.n; i++) {
		struct bpr_camp *c = &in.camps[i];
		struct bpr_plan p;
		bpr_plan(&c->c, &a.o, &p);
		if (p.leader == BPR_NONE && !a.quiet)
			warn("campaign %s: every arm is CAC-capped, no leader: nothing proposed (a budget "
			     "matter)", c->campaign_id);
		if (p.shift_refused[0]) {
			warn("campaign %s: weights refused, not proposed: %s", c->campaign_id, p.shift_refused);
			refused++;
		}
		if (p.no_experiment[0] && !a.quiet)
			warn("campaign %s: no experiment: %s", c->campaign_id, p.no_experiment);
		for (k = 0; k < p.nprops; k++) {
			const struct bpr_proposal *q = &p.props[k];
			if (q->action == BPR_SEED) {
				if (c->experiment_done) {
					skipped++;
					continue;
				}
				if (!bpr_is_decided(&in, q->id)) {
					write_experiment(&x, c, &p);
					nexp++;
				}
			}
			if (bpr_is_decided(&in, q->id)) {
				skipped++;
				continue;
			}
			write_proposal(&x, c, &p, q);
			counts[q->action]++;
		}
		bpr_plan_free(&p);
		out_check(stdout);
	}
	out_finish();

	{
		size_t dn = 0;
		FILE *d = open_memstream(&details, &dn);
		if (!d)
			die(AELP_EXIT_SOFTWARE, "out of memory");
		fputs("{\"decision_run\":", d);
		jw_str(d, in.decision_run, strlen(in.decision_run));
		fprintf(d, ",\"campaigns\":%zu,\"shift_weights\":%zu,\"pause_arm\":%zu,\"promote_arm\":%zu,"
			"\"seed_experiment\":%zu,\"experiments\":%zu,\"already_decided\":%zu,\"refused\":%zu}",
			in.n, counts[0], counts[1], counts[2], counts[3], nexp, skipped, refused);
		fclose(d);
	}
	step_report("bandit-propose", (long long)in.rows, -1, details);
	free(details);
	if (!a.quiet) {
		warn("decision run %s (%zu campaigns, %zu arms): %zu proposals (%zu shift_weights, "
		     "%zu pause_arm, %zu promote_arm, %zu seed_experiment), %zu experiments",
		     in.decision_run, in.n, in.rows, counts[0] + counts[1] + counts[2] + counts[3],
		     counts[0], counts[1], counts[2], counts[3], nexp);
		if (skipped)
			warn("%zu already decided by a person (or an experiment under way): left out, "
			     "not overwritten", skipped);
		if (in.other_tables)
			warn("%zu rows of other tables skipped", in.other_tables);
	}
	bpr_input_free(&in);
	free(run_id);
	schema_free(set);
	return 0;
}
