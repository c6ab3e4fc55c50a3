/*
 * bandit-apply: apply approved bandit proposals (bandit_change_proposals)
 * under the guardrails, re-checked now against the latest decisions.
 * Shadow by default; every attempt, allowed or refused, leaves a
 * safety_events row.  The checks are guard.c's, the warehouse side
 * apply.c's; the run (one transaction, output after the commit) is
 * common/safety.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "die.h"
#include "ndjson.h"
#include "opts.h"
#include "report.h"
#include "review.h"
#include "safety.h"
#include "warehouse.h"

enum { O_LIVE = 1000, O_ACTOR, O_MAXAGE, O_QUIET = 'q' };

static const struct opt options[] = {
	{ O_LIVE, "live", 0, NULL, "ask for the real change (refused until the ad-platform clients are built)" },
	{ O_ACTOR, "actor", 0, "NAME", "who is applying: safety_events.actor (default bandit-apply)" },
	{ O_MAXAGE, "max-age", 0, "AGE", "a decision run older than AGE is stale (default 48h; 2d, 90m, 3600s)" },
	{ O_QUIET, "quiet", 'q', NULL, "no line per attempt on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"bandit-apply",
	"[options] [PROPOSAL_ID...]",
	"Apply approved bandit proposals (bandit_change_proposals: shift_weights, pause_arm,\n"
	"promote_arm, seed_experiment) under guardrails that are checked again now, against\n"
	"the latest bandit_decisions.  Without PROPOSAL_IDs: every proposal with status\n"
	"approved, oldest first (created_at, proposal_id).  With them: exactly those,\n"
	"whatever their status, so that an unapproved proposal or a second application is\n"
	"refused and recorded.\n"
	"\n"
	"Checks, in order; the first that fails decides (its name is safety_events.guardrail):\n"
	"  proposal            the PROPOSAL_ID names a proposal with a known action; a\n"
	"                      pause/promote names its arm; shift_weights has notes.weights\n"
	"                      [{arm_id, proposed_share}]; seed_experiment names an\n"
	"                      ab_experiments row whose arms have traffic_split              65\n"
	"  approval            status approved and an approving bandit_change_approvals\n"
	"                      row; proposed, rejected or expired are not approved           77\n"
	"  already_applied     status shadow_applied or applied: a proposal applies once      1\n"
	"  already_refused     status refused                                                 1\n"
	"  flag                --live only: AELP2_ALLOW_BANDIT_MUTATIONS=1                    77\n"
	"  stale_decision      the proposal's decision_run_id was decided at most --max-age\n"
	"                      ago (default 48h); the campaign's latest bandit_decisions run\n"
	"                      (decided_at, then run_id: the proposal's own, or a newer\n"
	"                      night's) has rows, and a pause/promote's arm is among them.\n"
	"                      The checks below read that latest run: the constraints are\n"
	"                      checked again against what is known now                        1\n"
	"  exploration_budget  shift_weights (and an experiment's traffic splits): every\n"
	"                      weight in [0, 1] for an arm of the decision, once; the\n"
	"                      weights sum to 1 within 1e-6; the arms other than the\n"
	"                      decision's leader get at most its exploration_budget + 1e-9    1\n"
	"  cac_cap             no weight > 0 for an arm the decision marks cac_capped, and\n"
	"                      no promote_arm of such an arm                                  1\n"
	"  last_arm            pause_arm: never the decision's leader, nor the campaign's\n"
	"                      last available arm (arms of the decision less those a\n"
	"                      pause_arm was applied or shadow-applied to)                    1\n"
	"  client              --live: the ad-platform clients are not built yet; nothing\n"
	"                      is sent                                                       77\n"
	"The leader is the arm bandit_decisions marks leader (else the largest share).  A\n"
	"guardrail's refusal (stale_decision to last_arm) sets the proposal's status to\n"
	"refused; the other refusals (proposal, approval, flag, client) leave it as it was.\n"
	"\n"
	"Shadow (the default): nothing is sent; the proposal becomes shadow_applied with\n"
	"applied_at and updated_at set, and its safety_events row (event_type bandit_apply,\n"
	"action = the proposal's action, shadow true) records in details:\n"
	"  request     what a live pause_arm / promote_arm would send on google_ads:\n"
	"    POST https://googleads.googleapis.com/v25/customers/CID/adGroupAds:mutate\n"
	"    {\"operations\":[{\"updateMask\":\"status\",\"update\":{\"resourceName\":\n"
	"     \"customers/CID/adGroupAds/AGID~ADID\",\"status\":\"PAUSED\"}}],\n"
	"     \"partialFailure\":false,\"validateOnly\":false}\n"
	"              (ENABLED to promote; CID without its dashes, AGID the ad group, ADID\n"
	"              the arm).  Otherwise null, with request_note saying why (\"no meta\n"
	"              client yet\"; ad platforms take no per-ad traffic weights).\n"
	"  rotation    shift_weights and promote_arm: {\"campaign_id\", \"weights\":{arm: share}},\n"
	"              what AELP2 publishes to its serving layer.\n"
	"  experiment  seed_experiment: the ab_experiments row's design (the row itself is\n"
	"              untouched in shadow).\n"
	"  checks      the decision runs, the leader, the exploration budget and share, the\n"
	"              arms (share, cac_capped, paused); approver: who approved.\n"
	"A shadow-applied pause counts as applied for the last_arm check of later pauses.\n"
	"Live (--live) needs AELP2_ALLOW_BANDIT_MUTATIONS=1, an approval, every guardrail and\n"
	"the ad-platform clients, which a later issue adds: until then it refuses with 77\n"
	"and the proposal stays approved.  No credential is read or recorded.\n"
	"\n"
	"The whole run is one transaction: a concurrent run waits for it, and a warehouse\n"
	"error changes nothing.  Stdout: one JSON line per attempt (proposal_id,\n"
	"campaign_id, action, outcome shadow_applied or refused, guardrail, exit_code,\n"
	"event_id, reason).",
	options,
	"Examples:\n"
	"  proposal-review approve 'bp-r1:c1:pause_arm:ad7' --by alice --kind bandit && bandit-apply\n"
	"  bandit-apply --max-age 24h 'bp-r1:c1:shift_weights'\n"
	"  bandit-apply -q | jq -c 'select(.outcome == \"refused\")'\n"
	"  AELP2_ALLOW_BANDIT_MUTATIONS=1 bandit-apply --live --actor alice\n"
	"\n"
	WH_ENV_HELP
	"  AELP2_ALLOW_BANDIT_MUTATIONS  must be 1 for --live\n"
	"  AELP2_RUN_ID     the flow's run id, recorded in safety_events.run_id\n"
	"  AELP2_STEP_REPORT  inside flow-step: append what was applied there\n"
	"\n"
	"Here: 0 every attempt allowed (or nothing approved); 1 a guardrail refused one; 2\n"
	"usage; 65 a PROPOSAL_ID that names no proposal, or a malformed proposal; 70 a\n"
	"warehouse error (nothing changed); 77 not permitted (not approved, flag off, live\n"
	"client not built).  With several refusals: 77 before 65 before 1.\n",
};

struct args {
	int live, quiet;
	double max_age;
	const char *actor;
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_LIVE: a->live = 1; break;
	case O_ACTOR:
		if (!*arg)
			usage_error(&spec, "--actor needs a name");
		a->actor = arg;
		break;
	case O_MAXAGE:
		if (review_parse_age(arg, &a->max_age) != 0)
			usage_error(&spec, "--max-age '%s': give an age above zero such as 48h, 2d, "
				    "90m or 3600s", arg);
		break;
	case O_QUIET: a->quiet = 1; break;
	}
}

static void print_attempt(FILE *out, FILE *err, const struct attempt *t, int quiet)
{
	fputs("{", out);
	jw_key(out, "proposal_id");
	jw_str(out, t->proposal_id, strlen(t->proposal_id));
	jw_kv_str(out, "campaign_id", t->campaign_id);
	jw_kv_str(out, "action", t->action);
	jw_kv_str(out, "outcome", t->allowed ? "shadow_applied" : "refused");
	jw_kv_str(out, "guardrail", t->guardrail);
	jw_kv_int(out, "exit_code", t->code);
	jw_kv_str(out, "event_id", t->event_id);
	jw_kv_str(out, "reason", t->reason);
	fputs("}\n", out);
	if (quiet)
		return;
	if (t->allowed)
		fprintf(err, "bandit-apply: %s: shadow-applied %s%s%s on %s (event %s)\n",
			t->proposal_id, t->action, t->arm_id ? " " : "", t->arm_id ? t->arm_id : "",
			t->campaign_id, t->event_id);
	else
		fprintf(err, "bandit-apply: %s: refused (%s, exit %d): %s (event %s)\n",
			t->proposal_id, t->guardrail, t->code, t->reason, t->event_id);
}

struct ctx {
	struct apply_opts o;
	int quiet;
};

static int attempt(struct wh *w, const char *id, void *ctx, FILE *out, FILE *msg,
		   struct safety_attempt *r, struct wh_err *err)
{
	const struct ctx *c = ctx;
	struct attempt t;

	if (apply_attempt(w, w->set, &c->o, id, &t, err) != 0) {
		attempt_free(&t);
		return -1;
	}
	print_attempt(out, msg, &t, c->quiet);
	r->allowed = t.allowed;
	r->code = t.code;
	r->rows = t.rows;
	attempt_free(&t);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct ctx c = { 0 };
	struct safety_run run = { "bandit-apply", REVIEW_BANDIT, attempt, &c };
	int first, rc;

	a.actor = "bandit-apply";
	a.max_age = GUARD_MAX_AGE_DEFAULT;
	first = opts_parse(&spec, argc, argv, on_opt, &a);
	out_init();
	c.quiet = a.quiet;
	c.o.live = a.live;
	c.o.actor = a.actor;
	c.o.max_age = a.max_age;
	c.o.run_id = flow_run_id();
	c.o.flag = getenv(GUARD_FLAG);
	rc = safety_run(&run, argv + first, (size_t)(argc - first));
	out_finish();
	return rc;
}
