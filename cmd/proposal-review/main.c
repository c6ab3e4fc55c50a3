/*
 * proposal-review: the human-in-the-loop gate.  A person lists the proposed
 * budget and bandit changes and approves or rejects them; budget-apply and
 * bandit-apply act only on an approved one.  The logic is common/review.c,
 * which the dashboard calls too; this file is options, I/O and exit codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "ndjson.h"
#include "opts.h"
#include "report.h"
#include "review.h"
#include "schema.h"
#include "warehouse.h"

enum { O_KIND = 'k', O_STATUS = 's', O_BY = 'b', O_NOTE = 'n', O_REASON = 'r',
       O_MAXAGE = 1000, O_QUIET };

static const struct opt options[] = {
	{ O_KIND, "kind", 0, "budget|bandit", "only this kind (default: both; approve/reject look in budget first)" },
	{ O_STATUS, "status", 0, "STATUS", "list: proposals with this status, or any (default proposed)" },
	{ O_BY, "by", 0, "NAME", "approve/reject: who decides (required)" },
	{ O_NOTE, "note", 0, "TEXT", "approve: a note kept with the approval" },
	{ O_REASON, "reason", 0, "TEXT", "reject: why (required)" },
	{ O_MAXAGE, "max-age", 0, "AGE", "a proposal older than AGE can no longer be decided (default 48h)" },
	{ O_QUIET, "quiet", 'q', NULL, "approve/reject: no confirmation line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"proposal-review",
	"COMMAND [options] [ID]",
	"The human-in-the-loop gate: list proposed changes, approve or reject one.\n"
	"Budget proposals are canary_changes rows (budget-propose), decided in\n"
	"canary_change_approvals; bandit proposals are bandit_change_proposals rows\n"
	"(bandit-propose), decided in bandit_change_approvals.  Nothing changes on an ad\n"
	"platform without an approval row written here or by the dashboard (same code).\n"
	"\n"
	"Lifecycle of a proposal (both kinds):\n"
	"  proposed --approve--> approved --budget-apply--> shadow_applied | applied | refused\n"
	"  proposed --reject---> rejected\n"
	"  proposed --approve or reject after --max-age--> expired (the refusal marks it)\n"
	"\n"
	"Commands:\n"
	"  list [--kind K] [--status S]   the proposals as NDJSON, oldest first: kind, id,\n"
	"                                 status, created_at, expires_at (created_at +\n"
	"                                 --max-age), expired (proposed and past it),\n"
	"                                 campaign_id, then budget: channel,\n"
	"                                 current_daily_budget, proposed_daily_budget,\n"
	"                                 change_pct, direction, reason, notes; bandit:\n"
	"                                 arm_id, action, direction, current_share,\n"
	"                                 proposed_share, p_best, reason, notes.  Default:\n"
	"                                 both kinds, status proposed; --status any lists\n"
	"                                 every status.  No warehouse yet lists nothing.\n"
	"  approve ID --by NAME [--note TEXT]\n"
	"  reject ID --by NAME --reason TEXT\n"
	"                                 decide on the proposal ID (a change_id or a\n"
	"                                 proposal_id; looked up among budget proposals\n"
	"                                 first, then bandit, unless --kind says which).\n"
	"                                 On success one NDJSON line on stdout: kind, id,\n"
	"                                 status, approval_id, approver, decided_at.\n"
	"\n"
	"Rules of a decision (all in one warehouse transaction, so of two people\n"
	"deciding the same proposal at once exactly one succeeds):\n"
	"  - only a proposal with status proposed can be decided; one already approved,\n"
	"    rejected, expired or applied is refused, naming who decided it and when;\n"
	"  - a proposal created more than --max-age ago is refused and marked expired\n"
	"    (that status change is written; no approval row is);\n"
	"  - the approval row holds approval_id (apr-...), the id, decision approved or\n"
	"    rejected, approver (--by), reason (--note or --reason), decided_at, source\n"
	"    cli, and run_id ($AELP2_RUN_ID when set); the proposal's status and\n"
	"    updated_at change with it.\n"
	"AGE is 48h, 2d, 90m, 3600s or a bare number of hours, above zero.",
	options,
	WH_ENV_HELP
	"  AELP2_RUN_ID     run_id of the approval row, when deciding inside a flow\n"
	"  AELP2_STEP_REPORT  inside flow-step: append what was written there\n"
	"\n"
	"Examples:\n"
	"  proposal-review list\n"
	"  proposal-review list --kind bandit --status any | jq -c '{id, status}'\n"
	"  proposal-review approve 'n-2026-11-30:c123' --by alice --note 'checked the CAC'\n"
	"  budget-apply 'n-2026-11-30:c123'      # then apply it (shadow unless live is on)\n"
	"  proposal-review reject bp-77 --by bob --reason 'arm too new' --kind bandit\n"
	"  proposal-review approve 'n-2026-11-27:c9' --by alice --max-age 72h\n"
	"\n"
	"Here: 0 listed, or decided; 1 refused: already decided, or expired; 2 usage (no\n"
	"--by, a reject without --reason, a bad --max-age or --status); 65 no proposal has\n"
	"that id (nothing written); 70 a warehouse failure.\n",
};

enum command { C_LIST, C_APPROVE, C_REJECT };

struct args {
	enum command cmd;
	enum review_kind kind;
	const char *status, *by, *note, *reason;
	double max_age;
	int quiet;
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_KIND:
		if (review_kind_parse(arg, &a->kind) != 0 || a->kind == REVIEW_ANY)
			usage_error(&spec, "--kind '%s': give budget or bandit", arg);
		break;
	case O_STATUS:
		if (strcmp(arg, "any") != 0 && !review_status_valid(arg))
			usage_error(&spec, "--status '%s': give any or one of %s", arg, review_status_list);
		a->status = arg;
		break;
	case O_BY: a->by = arg; break;
	case O_NOTE: a->note = arg; break;
	case O_REASON: a->reason = arg; break;
	case O_MAXAGE:
		if (review_parse_age(arg, &a->max_age) != 0)
			usage_error(&spec, "--max-age '%s': give an age above zero such as 48h, 2d, "
				    "90m, 3600s or a number of hours", arg);
		break;
	case O_QUIET: a->quiet = 1; break;
	}
}

static int list(const struct args *a, const struct schema_set *set)
{
	struct wh_err err = { 0 };
	struct wh *w = wh_open_env(set, WH_OPEN_READ, &err);
	const char *status = a->status ? a->status : "proposed";
	long n;

	if (!w) {
		if (err.missing == WH_NO_WAREHOUSE) {
			step_report("proposal-review", 0, 0, NULL);
			return 0;            /* nothing proposed yet */
		}
		die(err.code, "%s", err.msg);
	}
	out_init();
	n = review_list(w, a->kind, strcmp(status, "any") == 0 ? NULL : status, a->max_age,
			stdout, &err);
	wh_close(w);
	if (n < 0)
		die(err.code, "%s", err.msg);
	out_finish();
	step_report("proposal-review", n, 0, NULL);
	return 0;
}

static int decide(const struct args *a, const struct schema_set *set, const char *id)
{
	struct review_decision d = { 0 };
	struct review_outcome o;
	struct wh_err err = { 0 };
	struct wh *w;
	const char *run_id = flow_run_id();

	d.kind = a->kind;
	d.id = id;
	d.approve = a->cmd == C_APPROVE;
	d.by = a->by;
	d.text = d.approve ? a->note : a->reason;
	d.source = "cli";
	d.run_id = run_id && *run_id ? run_id : NULL;
	d.max_age_seconds = a->max_age;

	/* No warehouse yet: no proposal either; do not create one to say so. */
	w = wh_open_env(set, WH_OPEN_READ, &err);
	if (!w && err.missing == WH_NO_WAREHOUSE)
		die(AELP_EXIT_DATAERR, "no %s proposal has id '%s': %s",
		    a->kind == REVIEW_ANY ? "budget or bandit" : review_kind_name(a->kind), id, err.msg);
	if (!w)
		die(err.code, "%s", err.msg);
	wh_close(w);
	w = wh_open_env(set, WH_OPEN_WRITE, &err);
	if (!w)
		die(err.code, "%s", err.msg);

	out_init();
	review_decide(w, &d, &o);
	wh_close(w);
	if (o.code == AELP_EXIT_GATE && o.rows_written)
		step_report("proposal-review", 1, o.rows_written, NULL);
	if (o.code != 0)
		die(o.code, "%s", o.msg);
	fputs("{\"kind\":", stdout);
	jw_str(stdout, review_kind_name(o.kind), strlen(review_kind_name(o.kind)));
	jw_kv_str(stdout, "id", id);
	jw_kv_str(stdout, "status", o.status);
	jw_kv_str(stdout, "approval_id", o.approval_id);
	jw_kv_str(stdout, "approver", a->by);
	jw_kv_str(stdout, "decided_at", o.decided_at);
	fputs("}\n", stdout);
	out_finish();
	if (!a->quiet) {
		if (d.approve)
			fprintf(stderr, "proposal-review: %s by %s; %s can act on it now\n", o.msg, a->by,
				o.kind == REVIEW_BUDGET ? "budget-apply" : "bandit-apply");
		else
			fprintf(stderr, "proposal-review: %s by %s: %s\n", o.msg, a->by, a->reason);
	}
	step_report("proposal-review", 1, o.rows_written, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct schema_set *set;
	const char *cmd;
	int first, nops, rc;

	aelp_progname = spec.name;
	a.kind = REVIEW_ANY;
	a.max_age = REVIEW_MAX_AGE_DEFAULT;
	if (argc < 2)
		usage_error(&spec, "give a command: list, approve or reject");
	cmd = argv[1];
	if (cmd[0] == '-') {
		/* --help, --version; anything else before the command is an error */
		opts_parse(&spec, argc, argv, on_opt, &a);
		usage_error(&spec, "give the command first: list, approve or reject");
	}
	if (strcmp(cmd, "list") == 0)
		a.cmd = C_LIST;
	else if (strcmp(cmd, "approve") == 0)
		a.cmd = C_APPROVE;
	else if (strcmp(cmd, "reject") == 0)
		a.cmd = C_REJECT;
	else
		usage_error(&spec, "unknown command '%s': give list, approve or reject", cmd);
	/* getopt sees argv[1..] with the command in the program name's place */
	first = opts_parse(&spec, argc - 1, argv + 1, on_opt, &a);
	nops = argc - 1 - first;

	if (a.cmd == C_LIST) {
		if (nops)
			usage_error(&spec, "list takes no ID (unexpected '%s')", argv[1 + first]);
		if (a.by || a.note || a.reason)
			usage_error(&spec, "--by, --note and --reason are for approve and reject");
	} else {
		if (nops != 1)
			usage_error(&spec, "%s takes one ID", cmd);
		if (!argv[1 + first][0])
			usage_error(&spec, "the ID is empty");
		if (a.status)
			usage_error(&spec, "--status is for list");
		if (!a.by || !*a.by)
			usage_error(&spec, "%s needs --by NAME: who decides", cmd);
		if (a.cmd == C_APPROVE && a.reason)
			usage_error(&spec, "approve takes --note, not --reason");
		if (a.cmd == C_REJECT && a.note)
			usage_error(&spec, "reject takes --reason, not --note");
		if (a.cmd == C_REJECT && (!a.reason || !*a.reason))
			usage_error(&spec, "reject needs --reason TEXT: why");
	}

	set = schema_load(NULL);
	rc = a.cmd == C_LIST ? list(&a, set) : decide(&a, set, argv[1 + first]);
	schema_free(set);
	return rc;
}
