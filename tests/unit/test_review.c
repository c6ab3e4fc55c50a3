/*
 * The review library as the dashboard calls it: ages, statuses, a decision
 * with source dashboard, refusals, and the listing, on a scratch warehouse.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "harness.h"
#include "review.h"
#include "rowfill.h"
#include "schema.h"
#include "timefmt.h"
#include "warehouse.h"

static const char *const tables[] = {
	"canary_changes", "canary_change_approvals", "bandit_change_proposals",
	"bandit_change_approvals", NULL
};

static void propose(struct wh *w, const char *id, double age_hours, const char *status)
{
	struct rowfill f = rowfill_new(w->set, "canary_changes");
	struct wh_err err = { 0 };
	char created[TS_CANON_MAX];
	double now;

	timestamp_now(created, &now);
	timestamp_from_epoch(now - age_hours * 3600, created);
	rowfill_text(&f, "change_id", id);
	rowfill_text(&f, "run_id", "r");
	rowfill_text(&f, "campaign_id", "c1");
	rowfill_real(&f, "current_daily_budget", 100);
	rowfill_real(&f, "proposed_daily_budget", 104);
	rowfill_real(&f, "change_pct", 4);
	rowfill_text(&f, "direction", "up");
	rowfill_text(&f, "status", status);
	rowfill_bool(&f, "shadow", 1);
	rowfill_text(&f, "notes", "{\"bound\":\"pct\"}");
	rowfill_text(&f, "created_at", created);
	CHECK_INT(wh_load_begin(w, WH_UPSERT, NULL, &err), 0);
	CHECK_INT(rowfill_write(w, &f, &err), 0);
	CHECK_INT(wh_load_end(w, 1, NULL, &err), 0);
	rowfill_free(&f);
}

static char *listing(struct wh *w, enum review_kind k, const char *status, long *n)
{
	static char buf[8192];
	struct wh_err err = { 0 };
	FILE *m = fmemopen(buf, sizeof buf, "w");
	*n = review_list(w, k, status, REVIEW_MAX_AGE_DEFAULT, m, &err);
	fclose(m);
	return buf;
}

int main(void)
{
	char dir[] = "/tmp/test_review.XXXXXX", *spec, fmt[32];
	struct schema_set *set;
	struct wh_err err = { 0 };
	struct wh *w;
	struct review_decision d = { 0 };
	struct review_outcome o;
	double s = 0;
	enum review_kind k;
	long n;
	size_t i;

	/* ages */
	CHECK(review_parse_age("48h", &s) == 0 && s == 172800);
	CHECK(review_parse_age("2d", &s) == 0 && s == 172800);
	CHECK(review_parse_age("90m", &s) == 0 && s == 5400);
	CHECK(review_parse_age("3600s", &s) == 0 && s == 3600);
	CHECK(review_parse_age("36", &s) == 0 && s == 129600);
	CHECK(review_parse_age("1.5", &s) == 0 && s == 5400);
	CHECK_INT(review_parse_age("0", &s), -1);
	CHECK_INT(review_parse_age("0h", &s), -1);
	CHECK_INT(review_parse_age("-1h", &s), -1);
	CHECK_INT(review_parse_age("", &s), -1);
	CHECK_INT(review_parse_age("h", &s), -1);
	CHECK_INT(review_parse_age("4hh", &s), -1);
	CHECK_INT(review_parse_age("4w", &s), -1);
	CHECK_INT(review_parse_age(" 4h", &s), -1);
	CHECK_INT(review_parse_age("inf", &s), -1);
	CHECK_INT(review_parse_age("nan", &s), -1);
	CHECK_STR(review_format_age(172800, fmt), "48h");
	CHECK_STR(review_format_age(5400, fmt), "90m");
	CHECK_STR(review_format_age(3601, fmt), "3601s");

	/* names */
	CHECK(review_status_valid("proposed") && review_status_valid("shadow_applied"));
	CHECK(!review_status_valid("any") && !review_status_valid("Proposed"));
	CHECK(review_kind_parse("bandit", &k) == 0 && k == REVIEW_BANDIT);
	CHECK(review_kind_parse("any", &k) == 0 && k == REVIEW_ANY);
	CHECK_INT(review_kind_parse("both", &k), -1);
	CHECK_STR(review_kind_name(REVIEW_BUDGET), "budget");

	/* a bad decision is refused before the warehouse is touched */
	d.kind = REVIEW_ANY;
	d.id = "x";
	d.approve = 1;
	d.max_age_seconds = REVIEW_MAX_AGE_DEFAULT;
	CHECK_INT(review_decide(NULL, &d, &o), AELP_EXIT_USAGE);
	CHECK_HAS(o.msg, "--by");
	d.by = "alice";
	d.approve = 0;
	CHECK_INT(review_decide(NULL, &d, &o), AELP_EXIT_USAGE);
	CHECK_HAS(o.msg, "reason");
	d.approve = 1;
	d.source = "email";
	CHECK_INT(review_decide(NULL, &d, &o), AELP_EXIT_USAGE);
	d.source = "dashboard";
	d.max_age_seconds = 0;
	CHECK_INT(review_decide(NULL, &d, &o), AELP_EXIT_USAGE);
	d.max_age_seconds = REVIEW_MAX_AGE_DEFAULT;

	/* a scratch warehouse with the four tables */
	if (!mkdtemp(dir))
		die(70, "mkdtemp failed");
	spec = xasprintf("sqlite:%s/wh.sqlite", dir);
	setenv("AELP_WAREHOUSE", spec, 1);
	set = schema_load(getenv("AELP_SCHEMAS") ? NULL : "schemas");
	w = wh_open_env(set, WH_OPEN_WRITE, &err);
	CHECK(w != NULL);
	if (!w)
		return h_done("review");
	/* before the tables exist: nothing listed, an unknown id */
	CHECK_STR(listing(w, REVIEW_ANY, NULL, &n), "");
	CHECK_INT(n, 0);
	CHECK_INT(review_decide(w, &d, &o), AELP_EXIT_DATAERR);
	CHECK_HAS(o.msg, "no budget or bandit proposal has id 'x'");
	CHECK_INT(wh_ensure_begin(w, &err), 0);
	for (i = 0; tables[i]; i++) {
		enum wh_action act;
		char detail[256];
		CHECK_INT(wh_ensure_table(w, schema_table(set, tables[i]), &act, detail, sizeof detail, &err), 0);
	}
	CHECK_INT(wh_ensure_end(w, 1, &err), 0);

	propose(w, "p-new", 1, "proposed");
	propose(w, "p-old", 50, "proposed");
	propose(w, "p-done", 2, "applied");

	CHECK_HAS(listing(w, REVIEW_ANY, "proposed", &n), "\"id\":\"p-old\"");
	CHECK_INT(n, 2);
	CHECK(strstr(listing(w, REVIEW_ANY, "proposed", &n), "p-old") <
	      strstr(listing(w, REVIEW_ANY, "proposed", &n), "p-new"));
	CHECK_HAS(listing(w, REVIEW_BUDGET, NULL, &n), "\"notes\":{\"bound\":\"pct\"}");
	CHECK_INT(n, 3);
	listing(w, REVIEW_BANDIT, NULL, &n);
	CHECK_INT(n, 0);

	/* the dashboard approves */
	d.id = "p-new";
	d.text = "looks right";
	d.run_id = "";
	CHECK_INT(review_decide(w, &d, &o), 0);
	CHECK_INT(o.kind, REVIEW_BUDGET);
	CHECK_STR(o.status, "approved");
	CHECK_INT(o.rows_written, 2);
	CHECK(strncmp(o.approval_id, "apr-", 4) == 0);
	CHECK(o.decided_at[0] != '\0');
	{
		struct rowfill a = rowfill_new(set, "canary_change_approvals");
		CHECK_INT(rowfill_fetch(&a, w, "change_id", "p-new", &err), 1);
		CHECK(value_is(rowfill_get(&a, "source"), "dashboard"));
		CHECK(value_is(rowfill_get(&a, "approver"), "alice"));
		CHECK(value_is(rowfill_get(&a, "reason"), "looks right"));
		CHECK(value_is(rowfill_get(&a, "decided_at"), o.decided_at));
		CHECK_INT(rowfill_get(&a, "run_id")->kind, V_NULL);
		rowfill_free(&a);
	}
	/* again: already approved, by whom */
	d.by = "bob";
	CHECK_INT(review_decide(w, &d, &o), AELP_EXIT_GATE);
	CHECK_HAS(o.msg, "already approved (approved by alice at ");
	CHECK_INT(o.rows_written, 0);
	/* applied without an approval row here: the status alone */
	d.id = "p-done";
	CHECK_INT(review_decide(w, &d, &o), AELP_EXIT_GATE);
	CHECK_HAS(o.msg, "is already applied");
	/* too old: marked expired */
	d.id = "p-old";
	CHECK_INT(review_decide(w, &d, &o), AELP_EXIT_GATE);
	CHECK_HAS(o.msg, "expired: created ");
	CHECK_STR(o.status, "expired");
	CHECK_INT(o.rows_written, 1);
	CHECK_HAS(listing(w, REVIEW_ANY, "expired", &n), "p-old");
	CHECK_INT(n, 1);
	/* --kind bandit does not look among budget proposals */
	d.id = "p-new";
	d.kind = REVIEW_BANDIT;
	CHECK_INT(review_decide(w, &d, &o), AELP_EXIT_DATAERR);
	CHECK_HAS(o.msg, "no bandit proposal has id 'p-new'");

	wh_close(w);
	schema_free(set);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);
		CHECK_INT(system(cmd), 0);
		free(cmd);
	}
	free(spec);
	return h_done("review");
}
