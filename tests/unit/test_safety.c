/*
 * What budget-apply and bandit-apply share (common/safety.c and the apply
 * side of common/review.c): the status gate of both kinds, the exit-code
 * ranking, the customer id, and on a scratch warehouse the approved ids in
 * time order, the latest approval, the status write, the safety_events
 * row, and the run: committed output, the step report, and a rollback that
 * leaves nothing.
 */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "harness.h"
#include "ndjson.h"
#include "report.h"
#include "review.h"
#include "rowfill.h"
#include "safety.h"
#include "schema.h"
#include "timefmt.h"
#include "warehouse.h"

static const char *gr(const struct safety_verdict *v)
{
	return v->guardrail ? v->guardrail : "(null)";
}

static void test_gate(void)
{
	static const char *const no[] = { "proposed", "rejected", "expired", "weird", "", NULL };
	struct safety_verdict v;
	int i;

	memset(&v, 0, sizeof v);
	CHECK_INT(safety_status_gate("approved", 1, REVIEW_BUDGET, &v), 1);
	CHECK_INT(safety_status_gate("approved", 1, REVIEW_BANDIT, &v), 1);
	CHECK(v.guardrail == NULL && v.code == 0 && v.reason[0] == '\0');

	for (i = 0; no[i]; i++) {
		memset(&v, 0, sizeof v);
		CHECK_INT(safety_status_gate(no[i], 1, REVIEW_BUDGET, &v), 0);
		CHECK_STR(gr(&v), "approval");
		CHECK_INT(v.code, 77);
		CHECK(!v.allowed && !v.mark_refused);
	}
	CHECK_INT(safety_status_gate(NULL, 1, REVIEW_BUDGET, &v), 0);
	CHECK_STR(v.reason, "not approved: unknown status ''");
	safety_status_gate("rejected", 1, REVIEW_BANDIT, &v);
	CHECK_STR(v.reason, "not approved: status rejected");
	safety_status_gate("weird", 1, REVIEW_BANDIT, &v);
	CHECK_STR(v.reason, "not approved: unknown status 'weird'");
	/* the hint names the kind where proposal-review needs it */
	safety_status_gate("proposed", 1, REVIEW_BUDGET, &v);
	CHECK_STR(v.reason, "not approved: status proposed — run proposal-review approve ID --by NAME");
	safety_status_gate("proposed", 1, REVIEW_BANDIT, &v);
	CHECK_STR(v.reason, "not approved: status proposed — run proposal-review approve ID --by "
		  "NAME --kind bandit");
	safety_status_gate("approved", 0, REVIEW_BUDGET, &v);
	CHECK_STR(gr(&v), "approval");
	CHECK_INT(v.code, 77);
	CHECK_STR(v.reason, "status approved but no approval row in canary_change_approvals — run "
		  "proposal-review approve ID --by NAME");
	safety_status_gate("approved", 0, REVIEW_BANDIT, &v);
	CHECK_STR(v.reason, "status approved but no approval row in bandit_change_approvals — run "
		  "proposal-review approve ID --by NAME --kind bandit");

	CHECK_INT(safety_status_gate("shadow_applied", 1, REVIEW_BUDGET, &v), 0);
	CHECK_STR(gr(&v), "already_applied");
	CHECK_INT(v.code, 1);
	CHECK(!v.mark_refused);
	CHECK_STR(v.reason, "already applied: status shadow_applied; a proposal is applied once");
	CHECK_INT(safety_status_gate("applied", 0, REVIEW_BANDIT, &v), 0);
	CHECK_STR(gr(&v), "already_applied");
	CHECK_INT(safety_status_gate("refused", 1, REVIEW_BANDIT, &v), 0);
	CHECK_STR(gr(&v), "already_refused");
	CHECK_INT(v.code, 1);
	CHECK_STR(v.reason, "already refused by a guardrail: status refused; propose the change "
		  "again");

	/* safety_refuse: every field, the reason cut to fit */
	{
		char big[700];
		memset(big, 'x', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		v.allowed = 1;
		safety_refuse(&v, "g", 1, 1, "%s", big);
		CHECK(!v.allowed);
		CHECK_STR(v.guardrail, "g");
		CHECK_INT(v.code, 1);
		CHECK_INT(v.mark_refused, 1);
		CHECK_INT(strlen(v.reason), sizeof v.reason - 1);
	}
}

static void test_worse(void)
{
	static const int codes[] = { 0, 1, 65, 77 };
	int i, j;
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			CHECK_INT(safety_worse(codes[i], codes[j]), codes[i > j ? i : j]);
	CHECK_INT(safety_worse(0, 70), 0);    /* outside the ranks: as 0 */
	CHECK_INT(safety_worse(1, 2), 1);
	/* a run's fold: the order does not matter */
	CHECK_INT(safety_worse(safety_worse(safety_worse(0, 1), 77), 65), 77);
	CHECK_INT(safety_worse(safety_worse(safety_worse(0, 65), 1), 0), 65);
}

static void test_customer_id(void)
{
	char c[64], small[5];
	safety_customer_id("123-456-7890", c, sizeof c);
	CHECK_STR(c, "1234567890");
	safety_customer_id("1234567890", c, sizeof c);
	CHECK_STR(c, "1234567890");
	safety_customer_id("123-456-7890", small, sizeof small);
	CHECK_STR(small, "1234");
	safety_customer_id(NULL, c, sizeof c);
	CHECK_STR(c, "");
}

static void test_order(void)
{
	struct value v = { 0 };
	double e;

	CHECK(isnan(review_epoch(&v)));               /* null */
	v.kind = V_TEXT;
	v.s = "2026-11-30T10:00:33.5Z";
	v.n = strlen(v.s);
	e = review_epoch(&v);
	CHECK(fabs(fmod(e, 60) - 33.5) < 1e-9);
	v.s = "not a time";
	v.n = strlen(v.s);
	CHECK(isnan(review_epoch(&v)));
	CHECK(review_later(2, "a", 1, "b"));
	CHECK(!review_later(1, "b", 2, "a"));
	CHECK(review_later(1, "b", 1, "a"));           /* ties: the id */
	CHECK(!review_later(1, "a", 1, "a"));
	CHECK(review_later(1, "a", NAN, "b"));         /* an unknown time is the earliest */
	CHECK(!review_later(NAN, "b", 1, "a"));
	CHECK(review_later(NAN, "b", NAN, "a"));
	CHECK_STR(review_approvals_table(REVIEW_BUDGET), "canary_change_approvals");
	CHECK_STR(review_approvals_table(REVIEW_BANDIT), "bandit_change_approvals");
}

/* ---- on a scratch warehouse ---- */

static const char *const tables[] = {
	"canary_changes", "canary_change_approvals", "bandit_change_proposals",
	"bandit_change_approvals", "safety_events", NULL
};

static void write_row(struct wh *w, struct rowfill *f)
{
	struct wh_err err = { 0 };
	CHECK_INT(wh_load_begin(w, WH_UPSERT, NULL, &err), 0);
	CHECK_INT(rowfill_write(w, f, &err), 0);
	CHECK_INT(wh_load_end(w, 1, NULL, &err), 0);
	rowfill_free(f);
}

static void budget(struct wh *w, const char *id, const char *status, const char *created)
{
	struct rowfill f = rowfill_new(w->set, "canary_changes");
	rowfill_text(&f, "change_id", id);
	rowfill_text(&f, "run_id", "r");
	rowfill_text(&f, "campaign_id", "c1");
	rowfill_text(&f, "customer_id", "123-456-7890");
	rowfill_real(&f, "current_daily_budget", 100);
	rowfill_real(&f, "proposed_daily_budget", 104);
	rowfill_real(&f, "change_pct", 4);
	rowfill_text(&f, "direction", "up");
	rowfill_text(&f, "status", status);
	rowfill_bool(&f, "shadow", 1);
	rowfill_text(&f, "created_at", created);
	write_row(w, &f);
}

static void bandit(struct wh *w, const char *id, const char *status, const char *created)
{
	struct rowfill f = rowfill_new(w->set, "bandit_change_proposals");
	rowfill_text(&f, "proposal_id", id);
	rowfill_text(&f, "run_id", "r");
	rowfill_text(&f, "campaign_id", "c1");
	rowfill_text(&f, "action", "pause_arm");
	rowfill_text(&f, "status", status);
	rowfill_bool(&f, "shadow", 1);
	rowfill_text(&f, "created_at", created);
	write_row(w, &f);
}

static void approval(struct wh *w, enum review_kind k, const char *aid, const char *id,
		     const char *decision, const char *by, const char *at)
{
	struct rowfill f = rowfill_new(w->set, review_approvals_table(k));
	rowfill_text(&f, "approval_id", aid);
	rowfill_text(&f, k == REVIEW_BUDGET ? "change_id" : "proposal_id", id);
	rowfill_text(&f, "decision", decision);
	rowfill_text(&f, "approver", by);
	rowfill_text(&f, "decided_at", at);
	write_row(w, &f);
}

static void free_ids(char **ids, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static void test_review_apply(struct wh *w)
{
	struct wh_err err = { 0 };
	char **ids = NULL, *aid = NULL, *who = NULL;
	size_t n = 0;

	/* as instants, 10:00:33 comes before 10:00:33.5, though not as text */
	budget(w, "b-late", "approved", "2026-11-30T10:00:33.5Z");
	budget(w, "b-early", "approved", "2026-11-30T10:00:33Z");
	budget(w, "b-tie", "approved", "2026-11-30T10:00:33Z");
	budget(w, "b-first", "approved", "2026-11-29T23:00:00Z");
	budget(w, "b-proposed", "proposed", "2026-11-28T00:00:00Z");
	bandit(w, "p2", "approved", "2026-11-30T09:00:00Z");
	bandit(w, "p1", "approved", "2026-11-30T09:00:00Z");
	bandit(w, "p0", "refused", "2026-11-30T08:00:00Z");

	CHECK_INT(review_approved_ids(w, REVIEW_BUDGET, &ids, &n, &err), 0);
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_STR(ids[0], "b-first");
		CHECK_STR(ids[1], "b-early");
		CHECK_STR(ids[2], "b-tie");
		CHECK_STR(ids[3], "b-late");
	}
	free_ids(ids, n);
	CHECK_INT(review_approved_ids(w, REVIEW_BANDIT, &ids, &n, &err), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(ids[0], "p1");
		CHECK_STR(ids[1], "p2");
	}
	free_ids(ids, n);

	/* the latest approving row: decided_at as an instant, then approval_id;
	 * a rejection does not count */
	CHECK_INT(review_latest_approval(w, REVIEW_BUDGET, "b-late", &aid, &who, &err), 0);
	CHECK(aid == NULL && who == NULL);
	approval(w, REVIEW_BUDGET, "apr-1", "b-late", "approved", "alice", "2026-11-30T11:00:00.5Z");
	approval(w, REVIEW_BUDGET, "apr-2", "b-late", "approved", "bob", "2026-11-30T11:00:00Z");
	approval(w, REVIEW_BUDGET, "apr-3", "b-late", "rejected", "carol", "2026-11-30T12:00:00Z");
	approval(w, REVIEW_BUDGET, "apr-0", "b-early", "approved", "dave", "2026-11-30T12:00:00Z");
	CHECK_INT(review_latest_approval(w, REVIEW_BUDGET, "b-late", &aid, &who, &err), 1);
	CHECK_STR(aid, "apr-1");
	CHECK_STR(who, "alice");
	free(aid);
	free(who);
	approval(w, REVIEW_BANDIT, "apr-a", "p1", "approved", "erin", "2026-11-30T11:00:00Z");
	approval(w, REVIEW_BANDIT, "apr-b", "p1", "approved", "frank", "2026-11-30T11:00:00Z");
	CHECK_INT(review_latest_approval(w, REVIEW_BANDIT, "p1", &aid, &who, &err), 1);
	CHECK_STR(aid, "apr-b");                      /* a tie: the later approval_id */
	CHECK_STR(who, "frank");
	free(aid);
	free(who);
	aid = who = NULL;
	CHECK_INT(review_latest_approval(w, REVIEW_BANDIT, "b-late", &aid, &who, &err), 0);

	/* the status write and the text of a fetched row */
	{
		struct rowfill row = rowfill_new(w->set, "canary_changes");
		char *s;
		CHECK_INT(rowfill_fetch(&row, w, "change_id", "b-first", &err), 1);
		s = review_text(&row, "customer_id");
		CHECK_STR(s, "123-456-7890");
		free(s);
		CHECK(review_text(&row, "budget_id") == NULL);
		CHECK_INT(wh_load_begin(w, WH_UPSERT, NULL, &err), 0);
		CHECK_INT(review_set_status(w, &row, "refused", "2026-11-30T13:00:00Z", 0, &err), 0);
		CHECK_INT(wh_load_end(w, 1, NULL, &err), 0);
		rowfill_free(&row);
		row = rowfill_new(w->set, "canary_changes");
		CHECK_INT(rowfill_fetch(&row, w, "change_id", "b-first", &err), 1);
		CHECK(value_is(rowfill_get(&row, "status"), "refused"));
		CHECK(value_is(rowfill_get(&row, "updated_at"), "2026-11-30T13:00:00Z"));
		CHECK_INT(rowfill_get(&row, "applied_at")->kind, V_NULL);
		CHECK(value_is(rowfill_get(&row, "customer_id"), "123-456-7890"));
		CHECK_INT(wh_load_begin(w, WH_UPSERT, NULL, &err), 0);
		CHECK_INT(review_set_status(w, &row, "shadow_applied", "2026-11-30T14:00:00Z", 1, &err),
			  0);
		CHECK_INT(wh_load_end(w, 1, NULL, &err), 0);
		rowfill_free(&row);
		row = rowfill_new(w->set, "canary_changes");
		CHECK_INT(rowfill_fetch(&row, w, "change_id", "b-first", &err), 1);
		CHECK(value_is(rowfill_get(&row, "status"), "shadow_applied"));
		CHECK(value_is(rowfill_get(&row, "applied_at"), "2026-11-30T14:00:00Z"));
		rowfill_free(&row);
	}
	/* a kind's listing now leaves the refused one out */
	CHECK_INT(review_approved_ids(w, REVIEW_BUDGET, &ids, &n, &err), 0);
	CHECK_INT(n, 3);
	free_ids(ids, n);
}

static void test_event(struct wh *w)
{
	struct wh_err err = { 0 };
	struct safety_event e = {
		.event_id = "se-1", .run_id = "nightly-1", .occurred_at = "2026-11-30T10:00:00Z",
		.event_type = "bandit_apply", .action = "pause_arm", .actor = "alice",
		.allowed = 0, .shadow = 1, .flag = "", .guardrail = "last_arm",
		.reason = "arm a1 is the leader", .exit_code = 1, .platform = "google_ads",
		.customer_id = "123", .campaign_id = "c1", .budget_id = NULL,
		.ad_group_id = "ag", .ad_id = "a1", .proposal_id = "p1", .approval_id = "apr-b",
		.details = "{\"request\":null}",
	};
	struct rowfill f = rowfill_new(w->set, "safety_events");
	const struct table_schema *t = f.t;
	size_t i, nnull = 0;

	CHECK_INT(wh_load_begin(w, WH_UPSERT, NULL, &err), 0);
	CHECK_INT(safety_event_write(w, &e, &err), 0);
	CHECK_INT(wh_load_end(w, 1, NULL, &err), 0);
	CHECK_INT(rowfill_fetch(&f, w, "event_id", "se-1", &err), 1);
	CHECK(value_is(rowfill_get(&f, "run_id"), "nightly-1"));
	CHECK(value_is(rowfill_get(&f, "event_type"), "bandit_apply"));
	CHECK(value_is(rowfill_get(&f, "action"), "pause_arm"));
	CHECK(value_is(rowfill_get(&f, "actor"), "alice"));
	CHECK_INT(rowfill_get(&f, "allowed")->i, 0);
	CHECK_INT(rowfill_get(&f, "shadow")->i, 1);
	CHECK_INT(rowfill_get(&f, "flag")->kind, V_NULL);        /* "" is null */
	CHECK(value_is(rowfill_get(&f, "guardrail"), "last_arm"));
	CHECK(value_is(rowfill_get(&f, "reason"), "arm a1 is the leader"));
	CHECK_INT(rowfill_get(&f, "exit_code")->i, 1);
	CHECK(value_is(rowfill_get(&f, "platform"), "google_ads"));
	CHECK(value_is(rowfill_get(&f, "customer_id"), "123"));
	CHECK(value_is(rowfill_get(&f, "campaign_id"), "c1"));
	CHECK_INT(rowfill_get(&f, "budget_id")->kind, V_NULL);
	CHECK(value_is(rowfill_get(&f, "ad_group_id"), "ag"));
	CHECK(value_is(rowfill_get(&f, "ad_id"), "a1"));
	CHECK(value_is(rowfill_get(&f, "proposal_id"), "p1"));
	CHECK(value_is(rowfill_get(&f, "approval_id"), "apr-b"));
	CHECK(value_is(rowfill_get(&f, "details"), "{\"request\":null}"));
	/* every column of the table is a field: only flag and budget_id are null */
	for (i = 0; i < t->ncols; i++)
		if (f.v[i].kind == V_NULL)
			nnull++;
	CHECK_INT(nnull, 2);
	rowfill_free(&f);
}

/* ---- the run ---- */

struct fake {
	int calls;
	int fail_at;                 /* the call that fails (a warehouse error), 0 none */
	char seen[256];
};

/* Refuse ids starting with 'r' (code from the second letter: 'n' 77,
 * 'd' 65, else 1), allow the others; each writes its safety event. */
static int fake_attempt(struct wh *w, const char *id, void *ctx, FILE *out, FILE *msg,
			struct safety_attempt *r, struct wh_err *err)
{
	struct fake *f = ctx;
	struct safety_event e = { 0 };
	char eid[64];

	f->calls++;
	snprintf(f->seen + strlen(f->seen), sizeof f->seen - strlen(f->seen), "%s;", id);
	snprintf(eid, sizeof eid, "se-run-%s", id);
	e.event_id = eid;
	e.occurred_at = "2026-11-30T10:00:00Z";
	e.event_type = "test";
	e.actor = "t";
	e.proposal_id = id;
	e.allowed = id[0] != 'r';
	if (safety_event_write(w, &e, err) != 0)
		return -1;
	if (f->calls == f->fail_at)
		return wh_fail(err, 70, "the warehouse went away"), -1;
	r->allowed = e.allowed;
	r->code = r->allowed ? 0 : id[1] == 'n' ? 77 : id[1] == 'd' ? 65 : 1;
	r->rows = 1;
	fprintf(out, "{\"id\":\"%s\"}\n", id);
	fprintf(msg, "t: %s\n", id);
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = xcalloc(1, 8192);
	if (f) {
		size_t n = fread(buf, 1, 8191, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

/* safety_run with stdout and stderr in files of dir; returns its code. */
static int run_captured(const struct safety_run *run, char **ids, size_t nids, const char *dir,
			char **out, char **msg)
{
	char *po = xasprintf("%s/out", dir), *pe = xasprintf("%s/err", dir);
	int so, se, fo, fe, rc;

	fflush(NULL);
	so = dup(1);
	se = dup(2);
	fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fo, 1);
	dup2(fe, 2);
	rc = safety_run(run, ids, nids);
	fflush(NULL);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(fo);
	close(fe);
	*out = slurp(po);
	*msg = slurp(pe);
	free(po);
	free(pe);
	return rc;
}

static const struct fake *fail_ctx;

static void run_failing(const void *arg)
{
	static char a1[] = "a1", a2[] = "a2", a3[] = "a3";
	char *ids[] = { a1, a2, a3 };
	struct safety_run run = { "test", REVIEW_BUDGET, fake_attempt, (void *)fail_ctx };
	(void)arg;
	safety_run(&run, ids, 3);
}

static long count_events(struct wh *w)
{
	struct wh_err err = { 0 };
	struct wh_query *q = wh_query_open(w, "SELECT COUNT(*) FROM safety_events "
					   "WHERE event_type = 'test'", NULL, 0, &err);
	const struct value *v;
	long n = -1;
	if (q && wh_query_next(q, &v, &err) == 1)
		n = (long)v[0].i;
	if (q)
		wh_query_close(q);
	return n;
}

static void test_run(struct wh *w, const char *dir)
{
	struct fake f = { 0 };
	struct safety_run run = { "test", REVIEW_BANDIT, fake_attempt, &f };
	char a1[] = "a1", rx[] = "rx", a2[] = "a2", rd[] = "rd", rn[] = "rn", ry[] = "ry";
	char *ids[] = { a1, rx, a2, rd }, *out, *msg, *rep;
	char *report = xasprintf("%s/report", dir), buf[2048];
	int rc;

	setenv(STEP_REPORT_ENV, report, 1);
	/* given ids: exactly those, in order; the gravest code */
	rc = run_captured(&run, ids, 4, dir, &out, &msg);
	CHECK_INT(rc, 65);
	CHECK_STR(f.seen, "a1;rx;a2;rd;");
	CHECK_STR(out, "{\"id\":\"a1\"}\n{\"id\":\"rx\"}\n{\"id\":\"a2\"}\n{\"id\":\"rd\"}\n");
	CHECK_STR(msg, "t: a1\nt: rx\nt: a2\nt: rd\n");
	free(out);
	free(msg);
	rep = slurp(report);
	CHECK_STR(rep, "{\"program\":\"test\",\"rows_in\":4,\"rows_out\":4,"
		  "\"details\":{\"applied\":2,\"refused\":2}}\n");
	free(rep);
	CHECK_INT(count_events(w), 4);

	/* no ids: the approved proposals of the kind (p1, p2), oldest first */
	memset(&f, 0, sizeof f);
	rc = run_captured(&run, NULL, 0, dir, &out, &msg);
	CHECK_INT(rc, 0);
	CHECK_STR(f.seen, "p1;p2;");
	free(out);
	free(msg);

	/* nothing approved: a warning, exit 0, a report of nothing */
	bandit(w, "p1", "shadow_applied", "2026-11-30T09:00:00Z");
	bandit(w, "p2", "applied", "2026-11-30T09:00:00Z");
	memset(&f, 0, sizeof f);
	rc = run_captured(&run, NULL, 0, dir, &out, &msg);
	CHECK_INT(rc, 0);
	CHECK_INT(f.calls, 0);
	CHECK_STR(out, "");
	CHECK_HAS(msg, ": nothing approved to apply\n");
	free(out);
	free(msg);
	rep = slurp(report);
	CHECK_HAS(rep, "{\"program\":\"test\",\"rows_in\":0,\"rows_out\":0,"
		  "\"details\":{\"applied\":0,\"refused\":0}}\n");
	free(rep);
	/* the gravest code whatever the order */
	{
		char *more[] = { rn, a1, rd, ry };
		memset(&f, 0, sizeof f);
		rc = run_captured(&run, more, 4, dir, &out, &msg);
		CHECK_INT(rc, 77);
		free(out);
		free(msg);
	}

	/* a warehouse error in the second attempt: everything rolls back */
	memset(&f, 0, sizeof f);
	f.fail_at = 2;
	fail_ctx = &f;
	rc = expect_exit(run_failing, NULL, buf, sizeof buf);
	CHECK_INT(rc, 70);
	CHECK_HAS(buf, "the warehouse went away (nothing was applied)");
	CHECK_INT(count_events(w), 8);    /* the runs above (an event id per proposal), none of this one */
	unsetenv(STEP_REPORT_ENV);
	free(report);
}

int main(void)
{
	char dir[] = "/tmp/test_safety.XXXXXX", *spec;
	struct schema_set *set;
	struct wh_err err = { 0 };
	struct wh *w;
	size_t i;

	test_gate();
	test_worse();
	test_customer_id();
	test_order();

	if (!mkdtemp(dir))
		die(70, "mkdtemp failed");
	spec = xasprintf("sqlite:%s/wh.sqlite", dir);
	setenv("AELP_WAREHOUSE", spec, 1);
	setenv("AELP_SCHEMAS", "schemas", 0);
	unsetenv("AELP2_RUN_ID");
	set = schema_load(NULL);
	w = wh_open_env(set, WH_OPEN_WRITE, &err);
	CHECK(w != NULL);
	if (!w)
		return h_done("safety");
	CHECK_INT(wh_ensure_begin(w, &err), 0);
	for (i = 0; tables[i]; i++) {
		enum wh_action act;
		char detail[256];
		CHECK_INT(wh_ensure_table(w, schema_table(set, tables[i]), &act, detail,
					  sizeof detail, &err), 0);
	}
	CHECK_INT(wh_ensure_end(w, 1, &err), 0);

	test_review_apply(w);
	test_event(w);
	test_run(w, dir);

	wh_close(w);
	schema_free(set);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);
		CHECK_INT(system(cmd), 0);
		free(cmd);
	}
	free(spec);
	return h_done("safety");
}
