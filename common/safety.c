/*
 * The shared side of the apply programs: the status gate, the exit-code
 * ranking, the safety_events row and the run of one load transaction.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "report.h"
#include "rowfill.h"
#include "safety.h"
#include "schema.h"

void safety_refuse(struct safety_verdict *v, const char *guardrail, int code, int mark,
		   const char *fmt, ...)
{
	va_list ap;
	v->allowed = 0;
	v->guardrail = guardrail;
	v->code = code;
	v->mark_refused = mark;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof v->reason, fmt, ap);
	va_end(ap);
}

int safety_status_gate(const char *status, int have_approval, enum review_kind kind,
		       struct safety_verdict *v)
{
	const char *st = status ? status : "";
	const char *hint = kind == REVIEW_BANDIT ? " --kind bandit" : "";

	if (!strcmp(st, "proposed") || !strcmp(st, "rejected") || !strcmp(st, "expired")) {
		safety_refuse(v, "approval", AELP_EXIT_NOPERM, 0, "not approved: status %s%s%s", st,
			      !strcmp(st, "proposed") ? " — run proposal-review approve ID --by NAME"
						      : "",
			      !strcmp(st, "proposed") ? hint : "");
		return 0;
	}
	if (!strcmp(st, "shadow_applied") || !strcmp(st, "applied")) {
		safety_refuse(v, "already_applied", AELP_EXIT_GATE, 0,
			      "already applied: status %s; a proposal is applied once", st);
		return 0;
	}
	if (!strcmp(st, "refused")) {
		safety_refuse(v, "already_refused", AELP_EXIT_GATE, 0,
			      "already refused by a guardrail: status refused; propose the change "
			      "again");
		return 0;
	}
	if (strcmp(st, "approved")) {
		safety_refuse(v, "approval", AELP_EXIT_NOPERM, 0, "not approved: unknown status '%s'",
			      st);
		return 0;
	}
	if (!have_approval) {
		safety_refuse(v, "approval", AELP_EXIT_NOPERM, 0,
			      "status approved but no approval row in %s — run proposal-review "
			      "approve ID --by NAME%s", review_approvals_table(kind), hint);
		return 0;
	}
	return 1;
}

int safety_worse(int have, int code)
{
	static const int rank[] = { 0, 1, 65, 77 };
	int i, r1 = 0, r2 = 0;
	for (i = 0; i < 4; i++) {
		if (rank[i] == have)
			r1 = i;
		if (rank[i] == code)
			r2 = i;
	}
	return r2 > r1 ? code : have;
}

int safety_event_write(struct wh *w, const struct safety_event *e, struct wh_err *err)
{
	struct rowfill ev = rowfill_new(w->set, "safety_events");
	int rc;

	rowfill_text(&ev, "event_id", e->event_id);
	rowfill_text(&ev, "run_id", e->run_id);
	rowfill_text(&ev, "occurred_at", e->occurred_at);
	rowfill_text(&ev, "event_type", e->event_type);
	rowfill_text(&ev, "action", e->action);
	rowfill_text(&ev, "actor", e->actor);
	rowfill_bool(&ev, "allowed", e->allowed);
	rowfill_bool(&ev, "shadow", e->shadow);
	rowfill_text(&ev, "flag", e->flag);
	rowfill_text(&ev, "guardrail", e->guardrail);
	rowfill_text(&ev, "reason", e->reason);
	rowfill_int(&ev, "exit_code", e->exit_code);
	rowfill_text(&ev, "platform", e->platform);
	rowfill_text(&ev, "customer_id", e->customer_id);
	rowfill_text(&ev, "campaign_id", e->campaign_id);
	rowfill_text(&ev, "budget_id", e->budget_id);
	rowfill_text(&ev, "ad_group_id", e->ad_group_id);
	rowfill_text(&ev, "ad_id", e->ad_id);
	rowfill_text(&ev, "proposal_id", e->proposal_id);
	rowfill_text(&ev, "approval_id", e->approval_id);
	rowfill_text(&ev, "details", e->details);
	rc = rowfill_write(w, &ev, err);
	rowfill_free(&ev);
	return rc;
}

static void free_ids(char **ids, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int safety_run(const struct safety_run *run, char *const *ids, size_t nids)
{
	struct schema_set *set;
	struct wh *w;
	struct wh_err err = { 0 }, end_err = { 0 };
	char **approved = NULL, *obuf = NULL, *ebuf = NULL, details[96];
	size_t olen = 0, elen = 0, i;
	int rc = 0, applied = 0, refused = 0;
	long long rows = 0;
	FILE *out, *msg;

	set = schema_load(NULL);
	w = wh_open_env(set, WH_OPEN_WRITE, &err);
	if (!w)
		die(err.code ? err.code : AELP_EXIT_SOFTWARE, "%s", err.msg);
	if (wh_load_begin(w, WH_UPSERT, NULL, &err) != 0)
		goto fail;
	if (nids == 0) {
		if (review_approved_ids(w, run->kind, &approved, &nids, &err) != 0)
			goto fail;
		ids = approved;
	}

	out = open_memstream(&obuf, &olen);
	msg = open_memstream(&ebuf, &elen);
	if (!out || !msg)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	for (i = 0; i < nids; i++) {
		struct safety_attempt r = { 0 };
		if (run->attempt(w, ids[i], run->ctx, out, msg, &r, &err) != 0) {
			fclose(out);
			fclose(msg);
			free(obuf);
			free(ebuf);
			goto fail;
		}
		rc = safety_worse(rc, r.code);
		rows += r.rows;
		if (r.allowed)
			applied++;
		else
			refused++;
	}
	if (fclose(out) != 0 || fclose(msg) != 0)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	if (wh_load_end(w, 1, NULL, &err) != 0) {
		free(obuf);
		free(ebuf);
		wh_close(w);
		die(err.code ? err.code : AELP_EXIT_SOFTWARE, "%s (nothing was applied)", err.msg);
	}
	wh_close(w);

	/* only what was committed is reported */
	fwrite(obuf, 1, olen, stdout);
	fflush(stdout);
	fwrite(ebuf, 1, elen, stderr);
	free(obuf);
	free(ebuf);
	if (nids == 0)
		warn("nothing approved to apply");
	snprintf(details, sizeof details, "{\"applied\":%d,\"refused\":%d}", applied, refused);
	step_report(run->program, (long long)nids, rows, details);
	free_ids(approved, approved ? nids : 0);
	schema_free(set);
	return rc;

fail:
	wh_load_end(w, 0, NULL, &end_err);
	wh_close(w);
	die(err.code ? err.code : AELP_EXIT_SOFTWARE, "%s (nothing was applied)", err.msg);
}

void safety_customer_id(const char *cid, char *out, size_t outsz)
{
	size_t n = 0;
	for (; cid && *cid && n + 1 < outsz; cid++)
		if (*cid != '-')
			out[n++] = *cid;
	if (outsz)
		out[n] = '\0';
}
