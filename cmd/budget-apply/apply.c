/*
 * budget-apply's warehouse reads and writes.  The verdict itself is
 * guard.c's; here are the figures it needs (the latest budget, the day's
 * changes), the proposal's new status and the safety_events row.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "die.h"
#include "ndjson.h"
#include "review.h"
#include "rowfill.h"
#include "timefmt.h"

void attempt_free(struct attempt *a)
{
	free(a->change_id);
	free(a->campaign_id);
	memset(a, 0, sizeof *a);
}

/*
 * The campaign's latest budget, as the view canary_budgets_latest defines it
 * (the newest snapshot, or a change applied or shadow-applied after it was
 * captured); inside the load's transaction the view sees this run's own
 * applies.  *latest is -1 when the campaign has no snapshot.
 */
static int latest_budget(struct wh *w, const char *campaign_id, long long *latest,
			 struct wh_err *err)
{
	struct wh_param p = { "c", T_STRING, campaign_id };
	struct wh_query *q;
	const struct value *v;
	int got;

	*latest = -1;
	q = wh_query_open(w, "SELECT daily_budget_micros FROM canary_budgets_latest "
			  "WHERE campaign_id = @c", &p, 1, err);
	if (!q)
		return -1;
	got = wh_query_next(q, &v, err);
	if (got == 1 && v[0].kind == V_INT)
		*latest = v[0].i;
	wh_query_close(q);
	return got < 0 ? -1 : 0;
}

struct day_row {
	double at;
	char *id;
	long long cur, prop;
};

static int day_row_cmp(const void *a, const void *b)
{
	const struct day_row *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Fold the changes of the campaign applied on UTC day `day` into d, in the
 * order they were applied. */
static int day_changes(struct wh *w, const char *campaign_id, const char *day, struct guard_day *d,
		       struct wh_err *err)
{
	struct wh_param p = { "c", T_STRING, campaign_id };
	struct wh_query *q;
	const struct value *v;
	struct day_row *rows = NULL;
	size_t n = 0, cap = 0, i;
	int got;

	guard_day_init(d);
	q = wh_query_open(w, "SELECT current_daily_budget, proposed_daily_budget, applied_at, change_id "
			  "FROM canary_changes WHERE campaign_id = @c "
			  "AND status IN ('applied', 'shadow_applied') AND applied_at IS NOT NULL",
			  &p, 1, err);
	if (!q)
		return -1;
	while ((got = wh_query_next(q, &v, err)) == 1) {
		char *at = value_str(&v[2]), key[11];
		struct day_row r;
		if (guard_day_key(at, key) == 0 && strcmp(key, day) == 0 &&
		    guard_micros(value_num(&v[0]), &r.cur) == 0 &&
		    guard_micros(value_num(&v[1]), &r.prop) == 0 &&
		    timestamp_epoch(at, &r.at) == 0) {
			r.id = value_str(&v[3]);
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				rows = xrealloc(rows, cap * sizeof *rows);
			}
			rows[n++] = r;
		}
		free(at);
	}
	wh_query_close(q);
	if (n > 1)
		qsort(rows, n, sizeof *rows, day_row_cmp);
	for (i = 0; i < n; i++) {
		guard_day_add(d, rows[i].cur, rows[i].prop);
		free(rows[i].id);
	}
	free(rows);
	return got < 0 ? -1 : 0;
}

static void kv_money(FILE *f, const char *k, long long micros, int known)
{
	jw_kv_real(f, k, known ? (double)micros / 1e6 : NAN);
}

char *apply_details(const char *customer_id, const char *budget_id, const struct guard_in *in,
		    int have_figures, const char *approver)
{
	char *buf = NULL, cid[64], amount[32];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	long long d;

	if (!f)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	fputs("{", f);
	jw_key(f, "request");
	if (customer_id && *customer_id && budget_id && *budget_id && have_figures) {
		char *url, *res;
		safety_customer_id(customer_id, cid, sizeof cid);
		url = xasprintf(SAFETY_GOOGLE_ADS_BASE "/customers/%s/campaignBudgets:mutate", cid);
		res = xasprintf("customers/%s/campaignBudgets/%s", cid, budget_id);
		snprintf(amount, sizeof amount, "%lld", in->proposed_micros);
		fputs("{\"method\":\"POST\"", f);
		jw_kv_str(f, "url", url);
		fputs(",\"body\":{\"operations\":[{\"updateMask\":\"amountMicros\",\"update\":{", f);
		jw_key(f, "resourceName");
		jw_str(f, res, strlen(res));
		jw_kv_str(f, "amountMicros", amount);
		fputs("}}],\"partialFailure\":false,\"validateOnly\":false}}", f);
		free(url);
		free(res);
	} else {
		fputs("null", f);
	}
	fputs(",\"checks\":", f);
	if (have_figures) {
		d = in->proposed_micros - in->current_micros;
		fputs("{", f);
		jw_key(f, "current_daily_budget");
		jw_real(f, (double)in->current_micros / 1e6);
		kv_money(f, "latest_daily_budget", in->latest_micros, in->latest_micros >= 0);
		kv_money(f, "proposed_daily_budget", in->proposed_micros, 1);
		jw_kv_real(f, "change_pct", in->current_micros
				   ? round(1e6 * (double)d / (double)in->current_micros) / 1e4 : NAN);
		jw_kv_int(f, "max_change_pct", GUARD_MAX_CHANGE_PCT);
		kv_money(f, "applied_today", in->applied_today_micros, 1);
		kv_money(f, "day_start_budget", in->day_start_micros, 1);
		jw_kv_int(f, "daily_cap_pct", GUARD_DAILY_CAP_PCT);
		kv_money(f, "min_daily_budget", in->floor_micros, 1);
		fputs("}", f);
	} else {
		fputs("null", f);
	}
	jw_kv_str(f, "approver", approver);
	fputs("}", f);
	if (fclose(f) != 0)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	return buf;
}

int apply_attempt(struct wh *w, const struct schema_set *set, const struct apply_opts *o,
		  const char *change_id, struct attempt *a, struct wh_err *err)
{
	struct rowfill row = rowfill_new(set, "canary_changes");
	struct guard_in in = { 0 };
	struct safety_verdict v = { 0 };
	struct safety_event e;
	struct guard_day day;
	char now[TS_CANON_MAX], dkey[11];
	char *customer = NULL, *budget = NULL, *platform = NULL, *status = NULL;
	char *approval_id = NULL, *approver = NULL, *details = NULL;
	int found, have_figures = 0, rc = -1;

	memset(a, 0, sizeof *a);
	a->change_id = xstrdup(change_id);
	id_event(a->event_id, "se");
	timestamp_now(now, NULL);

	found = rowfill_fetch(&row, w, "change_id", change_id, err);
	if (found < 0)
		goto out;
	if (!found) {
		v.guardrail = "proposal";
		v.code = AELP_EXIT_DATAERR;
		snprintf(v.reason, sizeof v.reason, "no proposal '%s' in canary_changes", change_id);
	} else {
		a->campaign_id = review_text(&row, "campaign_id");
		customer = review_text(&row, "customer_id");
		budget = review_text(&row, "budget_id");
		platform = review_text(&row, "platform");
		status = review_text(&row, "status");
		if (review_latest_approval(w, REVIEW_BUDGET, change_id, &approval_id, &approver,
					   err) < 0)
			goto out;
		if (guard_micros(value_num(rowfill_get(&row, "current_daily_budget")),
				 &in.current_micros) != 0 ||
		    guard_micros(value_num(rowfill_get(&row, "proposed_daily_budget")),
				 &in.proposed_micros) != 0) {
			v.guardrail = "proposal";
			v.code = AELP_EXIT_DATAERR;
			snprintf(v.reason, sizeof v.reason,
				 "the proposal's budgets are not amounts within %.0f", GUARD_MAX_BUDGET);
		} else {
			if (latest_budget(w, a->campaign_id, &in.latest_micros, err) < 0)
				goto out;
			if (guard_day_key(now, dkey) != 0) {
				wh_fail(err, AELP_EXIT_SOFTWARE, "the clock gave '%s'", now);
				goto out;
			}
			if (day_changes(w, a->campaign_id, dkey, &day, err) < 0)
				goto out;
			in.status = status;
			in.have_approval = approval_id != NULL;
			in.live = o->live;
			in.flag = o->flag;
			in.platform = platform;
			in.have_target = customer && *customer && budget && *budget;
			in.floor_micros = o->floor_micros;
			guard_day_fill(&day, &in);
			have_figures = 1;
			guard_check(&in, &v);
		}
	}
	a->allowed = v.allowed;
	a->guardrail = v.guardrail;
	a->code = v.code;
	snprintf(a->reason, sizeof a->reason, "%s", v.reason);
	if (have_figures) {
		guard_money(in.current_micros, a->from);
		guard_money(in.proposed_micros, a->to);
	}

	/* the proposal's row: shadow-applied, or refused by a guardrail */
	if (v.allowed || v.mark_refused) {
		if (review_set_status(w, &row, v.allowed ? "shadow_applied" : "refused", now,
				      v.allowed, err) != 0)
			goto out;
		a->rows++;
	}

	details = apply_details(customer, budget, &in, have_figures, approver);
	e = (struct safety_event){
		.event_id = a->event_id,
		.run_id = o->run_id,
		.occurred_at = now,
		.event_type = "budget_apply",
		.action = "update_budget",
		.actor = o->actor,
		.allowed = v.allowed,
		.shadow = !o->live,
		.flag = o->live ? GUARD_FLAG : NULL,
		.guardrail = v.guardrail,
		.reason = v.reason,
		.exit_code = v.code,
		.platform = platform,
		.customer_id = customer,
		.campaign_id = a->campaign_id,
		.budget_id = budget,
		.proposal_id = change_id,
		.approval_id = approval_id,
		.details = details,
	};
	if (safety_event_write(w, &e, err) != 0)
		goto out;
	a->rows++;
	rc = 0;
out:
	rowfill_free(&row);
	free(customer);
	free(budget);
	free(platform);
	free(status);
	free(approval_id);
	free(approver);
	free(details);
	return rc;
}
