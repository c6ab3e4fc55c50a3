/*
 * budget-apply: apply approved budget proposals (canary_changes) under the
 * guardrails, re-checked now against the latest budgets.  Shadow by default;
 * every attempt, allowed or refused, leaves a safety_events row.  The checks
 * are guard.c's, the warehouse side apply.c's; the run (one transaction,
 * output after the commit) is common/safety.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "die.h"
#include "ndjson.h"
#include "opts.h"
#include "report.h"
#include "safety.h"
#include "warehouse.h"

enum { O_LIVE = 1000, O_FLOOR, O_ACTOR, O_QUIET = 'q' };

static const struct opt options[] = {
	{ O_LIVE, "live", 0, NULL, "ask for the real change (refused until the Google Ads client is built)" },
	{ O_FLOOR, "min-daily-budget", 0, "X", "never set a daily budget below X, account currency (default 1.00)" },
	{ O_ACTOR, "actor", 0, "NAME", "who is applying: safety_events.actor (default budget-apply)" },
	{ O_QUIET, "quiet", 'q', NULL, "no line per attempt on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"budget-apply",
	"[options] [CHANGE_ID...]",
	"Apply approved budget proposals (canary_changes) under guardrails that are checked\n"
	"again now, against the latest budgets.  Without CHANGE_IDs: every proposal with\n"
	"status approved, oldest first (created_at, change_id).  With them: exactly those,\n"
	"whatever their status, so that an unapproved proposal or a second application is\n"
	"refused and recorded.\n"
	"\n"
	"Checks, in order; the first that fails decides (its name is safety_events.guardrail):\n"
	"  proposal          the CHANGE_ID names a proposal                              65\n"
	"  approval          status approved and an approving canary_change_approvals\n"
	"                    row; proposed, rejected or expired are not approved         77\n"
	"  already_applied   status shadow_applied or applied: a proposal applies once    1\n"
	"  already_refused   status refused                                               1\n"
	"  (flag)            --live only: AELP2_ALLOW_GOOGLE_MUTATIONS=1                 77\n"
	"  client            --live only: the platform is google_ads                     77\n"
	"  target            customer_id and budget_id present (the request names them)   1\n"
	"  stale_budget      the proposal's current budget is the latest budget: the\n"
	"                    newest canary_budgets_snapshot row (snapshot_date, then\n"
	"                    captured_at), or the budget a change applied after that\n"
	"                    snapshot was captured set; no snapshot is stale too           1\n"
	"  max_change_pct    |proposed - current| <= 5% of current                        1\n"
	"  min_daily_budget  proposed >= --min-daily-budget                               1\n"
	"  daily_change_cap  the campaign's changes applied this UTC day plus this one\n"
	"                    <= 10% of its budget at the start of the day (the current\n"
	"                    budget of the day's first change)                            1\n"
	"  client            --live: the Google Ads client is not built yet; nothing is\n"
	"                    sent                                                        77\n"
	"Amounts are compared in micros (10^6 a currency unit); a cap allows half a micro\n"
	"for rounding.  A guardrail's refusal (target to daily_change_cap) sets the\n"
	"proposal's status to refused; the other refusals leave the proposal as it was.  No\n"
	"refusal changes a budget.\n"
	"\n"
	"Shadow (the default): nothing is sent; the proposal becomes shadow_applied with\n"
	"applied_at set, and its safety_events row records exactly the request a live run\n"
	"would send:\n"
	"  POST https://googleads.googleapis.com/v25/customers/CID/campaignBudgets:mutate\n"
	"  {\"operations\":[{\"updateMask\":\"amountMicros\",\"update\":{\"resourceName\":\n"
	"   \"customers/CID/campaignBudgets/BID\",\"amountMicros\":\"25000000\"}}],\n"
	"   \"partialFailure\":false,\"validateOnly\":false}\n"
	"(CID without its dashes), with the figures of every check and the approver.  A shadow-\n"
	"applied change counts as applied for the guardrails of later changes.\n"
	"Live (--live) needs AELP2_ALLOW_GOOGLE_MUTATIONS=1, an approval, every guardrail and\n"
	"the Google Ads client, which a later issue adds: until then it refuses with 77.\n"
	"\n"
	"The whole run is one transaction: a concurrent run waits for it, and a warehouse\n"
	"error changes nothing.  Stdout: one JSON line per attempt (change_id, campaign_id,\n"
	"outcome shadow_applied or refused, guardrail, exit_code, event_id, reason).",
	options,
	"Examples:\n"
	"  proposal-review approve 'run-1:cmp-7' --by alice && budget-apply\n"
	"  budget-apply --min-daily-budget 5 'run-1:cmp-7' 'run-1:cmp-9'\n"
	"  AELP2_ALLOW_GOOGLE_MUTATIONS=1 budget-apply --live --actor alice\n"
	"\n"
	WH_ENV_HELP
	"  AELP2_ALLOW_GOOGLE_MUTATIONS  must be 1 for --live\n"
	"  AELP2_RUN_ID     the flow's run id, recorded in safety_events.run_id\n"
	"  AELP2_STEP_REPORT  inside flow-step: append what was applied there\n"
	"\n"
	"Here: 0 every attempt allowed (or nothing approved); 1 a guardrail refused one; 2\n"
	"usage; 65 a CHANGE_ID that names no proposal; 70 a warehouse error (nothing\n"
	"changed); 77 not permitted (not approved, flag off, live client not built).  With\n"
	"several refusals: 77 before 65 before 1.\n",
};

struct args {
	int live, quiet;
	double floor;
	const char *actor;
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_LIVE: a->live = 1; break;
	case O_FLOOR: a->floor = opt_double("min-daily-budget", arg, 0, GUARD_MAX_BUDGET); break;
	case O_ACTOR:
		if (!*arg)
			usage_error(&spec, "--actor needs a name");
		a->actor = arg;
		break;
	case O_QUIET: a->quiet = 1; break;
	}
}

static void print_attempt(FILE *out, FILE *err, const struct attempt *t, int quiet)
{
	fputs("{", out);
	jw_key(out, "change_id");
	jw_str(out, t->change_id, strlen(t->change_id));
	jw_kv_str(out, "campaign_id", t->campaign_id);
	jw_kv_str(out, "outcome", t->allowed ? "shadow_applied" : "refused");
	jw_kv_str(out, "guardrail", t->guardrail);
	jw_kv_int(out, "exit_code", t->code);
	jw_kv_str(out, "event_id", t->event_id);
	jw_kv_str(out, "reason", t->reason);
	fputs("}\n", out);
	if (quiet)
		return;
	if (t->allowed)
		fprintf(err, "budget-apply: %s: shadow-applied %s -> %s on %s (event %s)\n",
			t->change_id, t->from, t->to, t->campaign_id, t->event_id);
	else
		fprintf(err, "budget-apply: %s: refused (%s, exit %d): %s (event %s)\n", t->change_id,
			t->guardrail ? t->guardrail : GUARD_FLAG, t->code, t->reason, t->event_id);
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
	struct safety_run run = { "budget-apply", REVIEW_BUDGET, attempt, &c };
	int first, rc;

	a.floor = 1.0;
	a.actor = "budget-apply";
	first = opts_parse(&spec, argc, argv, on_opt, &a);
	out_init();
	c.quiet = a.quiet;
	c.o.live = a.live;
	c.o.actor = a.actor;
	c.o.run_id = flow_run_id();
	c.o.flag = getenv(GUARD_FLAG);
	if (guard_micros(a.floor, &c.o.floor_micros) != 0)
		usage_error(&spec, "--min-daily-budget: not an amount");
	rc = safety_run(&run, argv + first, (size_t)(argc - first));
	out_finish();
	return rc;
}
