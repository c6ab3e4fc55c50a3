/*
 * bandit-apply's warehouse reads and writes.  The verdict itself is
 * guard.c's; here are the figures it needs (the decision run's arms, the
 * campaign's newest run, the arms already paused, the proposal's weights or
 * experiment), the proposal's new status and the safety_events row.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apply.h"
#include "die.h"
#include "ndjson.h"
#include "review.h"
#include "rowfill.h"
#include "timefmt.h"

void attempt_free(struct attempt *a)
{
	free(a->proposal_id);
	free(a->campaign_id);
	free(a->action);
	free(a->arm_id);
	memset(a, 0, sizeof *a);
}

/* The figures of one attempt, owned here. */
struct figures {
	struct guard_arm *arms;
	size_t narms;
	struct guard_weight *weights;
	size_t nweights;
	char *latest_run;
	double decided_epoch;        /* the decision run's decided_at (the latest of its rows) */
	double budget;
};

static void arms_free(struct figures *g)
{
	size_t i;
	for (i = 0; i < g->narms; i++)
		free((char *)g->arms[i].arm_id);
	free(g->arms);
	g->arms = NULL;
	g->narms = 0;
}

static void figures_free(struct figures *g)
{
	size_t i;
	arms_free(g);
	for (i = 0; i < g->nweights; i++)
		free((char *)g->weights[i].arm_id);
	free(g->weights);
	free(g->latest_run);
	memset(g, 0, sizeof *g);
}

static int arm_cmp(const void *a, const void *b)
{
	return strcmp(((const struct guard_arm *)a)->arm_id, ((const struct guard_arm *)b)->arm_id);
}

/* The rows of decision run `run` for the campaign: arms (byte order),
 * budget (the smallest any row records), decided_at. */
static int read_decision(struct wh *w, const char *run, const char *campaign, struct figures *g,
			 struct wh_err *err)
{
	struct wh_param p[2] = { { "r", T_STRING, run }, { "c", T_STRING, campaign } };
	struct wh_query *q;
	const struct value *v;
	size_t cap = 0;
	int got;

	g->budget = NAN;
	g->decided_epoch = NAN;
	if (!run)
		return 0;
	q = wh_query_open(w, "SELECT arm_id, share, leader, cac_capped, exploration_budget, "
			  "decided_at FROM bandit_decisions WHERE run_id = @r AND campaign_id = @c",
			  p, 2, err);
	if (!q)
		return -1;
	while ((got = wh_query_next(q, &v, err)) == 1) {
		struct guard_arm *a;
		double b = value_num(&v[4]), e = review_epoch(&v[5]);
		if (g->narms == cap) {
			cap = cap ? 2 * cap : 16;
			g->arms = xrealloc(g->arms, cap * sizeof *g->arms);
		}
		a = &g->arms[g->narms++];
		memset(a, 0, sizeof *a);
		a->arm_id = value_str(&v[0]);
		a->share = value_num(&v[1]);
		a->leader = v[2].kind == V_INT && v[2].i != 0;
		a->cac_capped = v[3].kind == V_INT && v[3].i != 0;
		if (!isnan(b) && (isnan(g->budget) || b < g->budget))
			g->budget = b;
		if (!isnan(e) && (isnan(g->decided_epoch) || e > g->decided_epoch))
			g->decided_epoch = e;
	}
	wh_query_close(q);
	if (g->narms > 1)
		qsort(g->arms, g->narms, sizeof *g->arms, arm_cmp);
	return got < 0 ? -1 : 0;
}

/* The campaign's newest decision run (decided_at, then run_id), or NULL. */
static int read_latest_run(struct wh *w, const char *campaign, char **latest, struct wh_err *err)
{
	struct wh_param p = { "c", T_STRING, campaign };
	struct wh_query *q;
	const struct value *v;
	double best = NAN;
	int got;

	*latest = NULL;
	q = wh_query_open(w, "SELECT DISTINCT run_id, decided_at FROM bandit_decisions "
			  "WHERE campaign_id = @c", &p, 1, err);
	if (!q)
		return -1;
	while ((got = wh_query_next(q, &v, err)) == 1) {
		char *id = value_str(&v[0]);
		double e = review_epoch(&v[1]);
		if (!*latest || review_later(e, id, best, *latest)) {
			free(*latest);
			*latest = id;
			best = e;
		} else {
			free(id);
		}
	}
	wh_query_close(q);
	return got < 0 ? -1 : 0;
}

/* Mark the arms a pause_arm proposal of the campaign has been applied or
 * shadow-applied to: a shadow apply counts as applied. */
static int read_paused(struct wh *w, const char *campaign, struct figures *g, struct wh_err *err)
{
	struct wh_param p = { "c", T_STRING, campaign };
	struct wh_query *q;
	const struct value *v;
	size_t i;
	int got;

	q = wh_query_open(w, "SELECT arm_id FROM bandit_change_proposals WHERE campaign_id = @c "
			  "AND action = 'pause_arm' AND status IN ('applied', 'shadow_applied') "
			  "AND arm_id IS NOT NULL", &p, 1, err);
	if (!q)
		return -1;
	while ((got = wh_query_next(q, &v, err)) == 1)
		for (i = 0; i < g->narms; i++)
			if (value_is(&v[0], g->arms[i].arm_id))
				g->arms[i].paused = 1;
	wh_query_close(q);
	return got < 0 ? -1 : 0;
}

static void add_weight(struct figures *g, size_t *cap, const char *arm, double share)
{
	if (g->nweights == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		g->weights = xrealloc(g->weights, *cap * sizeof *g->weights);
	}
	g->weights[g->nweights].arm_id = xstrdup(arm);
	g->weights[g->nweights].share = share;
	g->nweights++;
}

/*
 * The weights of an array of objects: key_id names the arm, key_share its
 * share (notes.weights: arm_id, proposed_share; ab_experiments.arms:
 * arm_id, traffic_split).  0, or -1 with why in bad.
 */
static int parse_weights(const struct value *v, const char *path, const char *member,
			 const char *key_share, struct figures *g, char *bad, size_t badsz)
{
	json_t *root = NULL, *arr;
	json_error_t je;
	size_t i, cap = 0;
	int rc = -1;

	if (v->kind != V_TEXT) {
		snprintf(bad, badsz, "%s is null: no weights to check", path);
		return -1;
	}
	root = json_loadb(v->s, v->n, 0, &je);
	arr = !root ? NULL : member ? json_object_get(root, member) : root;
	if (!json_is_array(arr)) {
		snprintf(bad, badsz, "%s%s%s is not an array of weights", path, member ? "." : "",
			 member ? member : "");
		goto out;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		json_t *id = json_object_get(o, "arm_id"), *sh = json_object_get(o, key_share);
		if (!json_is_string(id) || !json_is_number(sh)) {
			snprintf(bad, badsz, "%s%s%s[%zu] needs a string arm_id and a number %s",
				 path, member ? "." : "", member ? member : "", i, key_share);
			goto out;
		}
		add_weight(g, &cap, json_string_value(id), json_number_value(sh));
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* The design columns of an ab_experiments row, as JSON (new memory). */
static char *experiment_json(const struct rowfill *e)
{
	static const char *const cols[] = {
		"experiment_id", "name", "hypothesis", "platform", "channel", "campaign_id", "arms",
		"control_arm", "primary_metric", "baseline_rate", "mde", "alpha", "power",
		"min_sample_size", "status", "start_date", "end_date", "notes", NULL
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	if (!f)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	fputs("{", f);
	for (i = 0; cols[i]; i++) {
		long c = schema_column(e->t, cols[i]);
		if (c < 0)
			continue;
		if (i)
			fputs(",", f);
		jw_key(f, cols[i]);
		jw_value(f, &e->v[c], (int)e->t->cols[c].type);
	}
	fputs("}", f);
	if (fclose(f) != 0)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	return buf;
}

char *apply_request(const char *action, const char *platform, const char *customer_id,
		    const char *ad_group_id, const char *ad_id, char *note, size_t notesz)
{
	char *buf = NULL, *url, *res, cid[64];
	size_t len = 0;
	int pause = action && !strcmp(action, "pause_arm");
	FILE *f;

	if (notesz)
		note[0] = '\0';
	if (!pause && !(action && !strcmp(action, "promote_arm"))) {
		if (action && !strcmp(action, "shift_weights"))
			snprintf(note, notesz, "ad platforms take no per-ad traffic weights: the rotation "
				 "is what AELP2 publishes to its serving layer");
		else if (action && !strcmp(action, "seed_experiment"))
			snprintf(note, notesz, "the experiment is AELP2's (ab_experiments): nothing is "
				 "sent to an ad platform");
		else
			snprintf(note, notesz, "no request for action %s", action ? action : "(none)");
		return NULL;
	}
	if (!platform || strcmp(platform, "google_ads")) {
		snprintf(note, notesz, "no %s client yet", platform ? platform : "(unnamed platform)");
		return NULL;
	}
	if (!customer_id || !*customer_id || !ad_group_id || !*ad_group_id || !ad_id || !*ad_id) {
		snprintf(note, notesz, "no customer_id, ad_group_id or arm_id: the request cannot "
			 "name the ad");
		return NULL;
	}
	f = open_memstream(&buf, &len);
	if (!f)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	safety_customer_id(customer_id, cid, sizeof cid);
	url = xasprintf(SAFETY_GOOGLE_ADS_BASE "/customers/%s/adGroupAds:mutate", cid);
	res = xasprintf("customers/%s/adGroupAds/%s~%s", cid, ad_group_id, ad_id);
	fputs("{\"method\":\"POST\"", f);
	jw_kv_str(f, "url", url);
	fputs(",\"body\":{\"operations\":[{\"updateMask\":\"status\",\"update\":{", f);
	jw_key(f, "resourceName");
	jw_str(f, res, strlen(res));
	jw_kv_str(f, "status", pause ? "PAUSED" : "ENABLED");
	fputs("}}],\"partialFailure\":false,\"validateOnly\":false}}", f);
	free(url);
	free(res);
	if (fclose(f) != 0)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	return buf;
}

static void kv_bool(FILE *f, const char *k, int b)
{
	fputs(",", f);
	jw_key(f, k);
	fputs(b ? "true" : "false", f);
}

char *apply_details(const struct details_in *d)
{
	const struct guard_in *in = d->in;
	char *buf = NULL, *req = NULL, note[256] = "";
	size_t len = 0, i;
	struct guard_figures fig;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	fputs("{", f);
	jw_key(f, "request");
	if (d->found)
		req = apply_request(d->action, d->platform, d->customer_id, d->ad_group_id, d->arm_id,
				    note, sizeof note);
	if (req)
		fputs(req, f);
	else
		fputs("null", f);
	if (!req && note[0])
		jw_kv_str(f, "request_note", note);
	free(req);

	fputs(",\"rotation\":", f);
	if (d->found && d->action && !strcmp(d->action, "shift_weights") && !in->bad) {
		fputs("{", f);
		jw_key(f, "campaign_id");
		jw_str(f, d->campaign_id, strlen(d->campaign_id));
		fputs(",\"weights\":{", f);
		for (i = 0; i < in->nweights; i++) {
			if (i)
				fputs(",", f);
			jw_key(f, in->weights[i].arm_id);
			jw_real(f, in->weights[i].share);
		}
		fputs("}}", f);
	} else if (d->found && d->action && !strcmp(d->action, "promote_arm") && in->narms) {
		fputs("{", f);
		jw_key(f, "campaign_id");
		jw_str(f, d->campaign_id, strlen(d->campaign_id));
		fputs(",\"weights\":{", f);
		for (i = 0; i < in->narms; i++) {
			if (i)
				fputs(",", f);
			jw_key(f, in->arms[i].arm_id);
			jw_real(f, in->arms[i].share);
		}
		fputs("}}", f);
	} else {
		fputs("null", f);
	}

	fputs(",\"experiment\":", f);
	fputs(d->experiment ? d->experiment : "null", f);

	fputs(",\"checks\":", f);
	if (d->found) {
		guard_figures(in, &fig);
		fputs("{", f);
		jw_key(f, "decision_run_id");
		if (in->decision_run_id)
			jw_str(f, in->decision_run_id, strlen(in->decision_run_id));
		else
			fputs("null", f);
		jw_kv_str(f, "latest_decision_run_id", in->latest_run_id);
		jw_kv_real(f, "decision_age_hours",
			   isnan(in->decision_age) ? NAN : round(in->decision_age / 36.0) / 100);
		jw_kv_real(f, "max_age_hours", in->max_age / 3600);
		jw_kv_str(f, "leader", fig.leader);
		jw_kv_real(f, "exploration_budget", in->exploration_budget);
		jw_kv_real(f, "weights_sum", fig.weights_sum);
		jw_kv_real(f, "exploration_share", fig.exploration_share);
		jw_kv_int(f, "available_arms", (long long)fig.available);
		fputs(",\"arms\":[", f);
		for (i = 0; i < in->narms; i++) {
			const struct guard_arm *a = &in->arms[i];
			if (i)
				fputs(",", f);
			fputs("{", f);
			jw_key(f, "arm_id");
			jw_str(f, a->arm_id, strlen(a->arm_id));
			jw_kv_real(f, "share", a->share);
			kv_bool(f, "leader", fig.leader && !strcmp(fig.leader, a->arm_id));
			kv_bool(f, "cac_capped", a->cac_capped);
			kv_bool(f, "paused", a->paused);
			fputs("}", f);
		}
		fputs("]}", f);
	} else {
		fputs("null", f);
	}
	jw_kv_str(f, "approver", d->approver);
	fputs("}", f);
	if (fclose(f) != 0)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	return buf;
}

int apply_attempt(struct wh *w, const struct schema_set *set, const struct apply_opts *o,
		  const char *proposal_id, struct attempt *a, struct wh_err *err)
{
	struct rowfill row = rowfill_new(set, "bandit_change_proposals");
	struct rowfill exp = rowfill_new(set, "ab_experiments");
	struct guard_in in = { 0 };
	struct safety_verdict v = { 0 };
	struct safety_event e;
	struct figures g = { 0 };
	struct details_in d = { 0 };
	char now[TS_CANON_MAX], bad[300];
	char *customer = NULL, *ad_group = NULL, *platform = NULL, *status = NULL;
	char *decision_run = NULL, *experiment_id = NULL, *experiment = NULL;
	char *approval_id = NULL, *approver = NULL, *details = NULL;
	double now_epoch;
	int found, rc = -1;

	memset(a, 0, sizeof *a);
	a->proposal_id = xstrdup(proposal_id);
	id_event(a->event_id, "se");
	timestamp_now(now, &now_epoch);

	in.proposal_id = proposal_id;
	in.live = o->live;
	in.flag = o->flag;
	in.max_age = o->max_age;
	in.decision_age = NAN;
	in.exploration_budget = NAN;

	found = rowfill_fetch(&row, w, "proposal_id", proposal_id, err);
	if (found < 0)
		goto out;
	in.found = found;
	if (found) {
		a->campaign_id = review_text(&row, "campaign_id");
		a->action = review_text(&row, "action");
		a->arm_id = review_text(&row, "arm_id");
		customer = review_text(&row, "customer_id");
		ad_group = review_text(&row, "ad_group_id");
		platform = review_text(&row, "platform");
		status = review_text(&row, "status");
		decision_run = review_text(&row, "decision_run_id");
		experiment_id = review_text(&row, "experiment_id");
		in.action = a->action;
		in.arm_id = a->arm_id;
		in.status = status;
		in.decision_run_id = decision_run;

		/* The proposal's own decision run dates the evidence; the
		 * campaign's latest run (the same one, or a newer night's) is
		 * what the constraints are checked against now. */
		if (review_latest_approval(w, REVIEW_BANDIT, proposal_id, &approval_id, &approver,
					   err) < 0 ||
		    read_decision(w, decision_run, a->campaign_id, &g, err) < 0 ||
		    read_latest_run(w, a->campaign_id, &g.latest_run, err) < 0)
			goto out;
		if (!isnan(g.decided_epoch))
			in.decision_age = now_epoch - g.decided_epoch;
		if (g.narms && g.latest_run && strcmp(g.latest_run, decision_run)) {
			arms_free(&g);
			if (read_decision(w, g.latest_run, a->campaign_id, &g, err) < 0)
				goto out;
		}
		if (read_paused(w, a->campaign_id, &g, err) < 0)
			goto out;
		in.have_approval = approval_id != NULL;
		in.latest_run_id = g.latest_run;
		in.arms = g.arms;
		in.narms = g.narms;
		in.exploration_budget = g.budget;

		/* what the proposal asks: its weights, or its experiment's splits */
		if (in.action && !strcmp(in.action, "shift_weights")) {
			if (parse_weights(rowfill_get(&row, "notes"), "notes", "weights",
					  "proposed_share", &g, bad, sizeof bad) != 0)
				in.bad = bad;
			in.weights = g.weights;
			in.nweights = g.nweights;
		} else if (in.action && !strcmp(in.action, "seed_experiment")) {
			int got = 0;
			if (!experiment_id) {
				snprintf(bad, sizeof bad, "seed_experiment without an experiment_id");
				in.bad = bad;
			} else if ((got = rowfill_fetch(&exp, w, "experiment_id", experiment_id,
							err)) < 0) {
				goto out;
			} else if (!got) {
				snprintf(bad, sizeof bad, "experiment '%s' is not in ab_experiments",
					 experiment_id);
				in.bad = bad;
			} else {
				experiment = experiment_json(&exp);
				if (parse_weights(rowfill_get(&exp, "arms"), "ab_experiments.arms", NULL,
						  "traffic_split", &g, bad, sizeof bad) != 0)
					in.bad = bad;
			}
			in.weights = g.weights;
			in.nweights = g.nweights;
		}
	}
	guard_check(&in, &v);

	a->allowed = v.allowed;
	a->guardrail = v.guardrail;
	a->code = v.code;
	snprintf(a->reason, sizeof a->reason, "%s", v.reason);

	/* the proposal's row: shadow-applied, or refused by a guardrail */
	if (v.allowed || v.mark_refused) {
		if (review_set_status(w, &row, v.allowed ? "shadow_applied" : "refused", now,
				      v.allowed, err) != 0)
			goto out;
		a->rows++;
	}

	d.found = found;
	d.campaign_id = a->campaign_id;
	d.action = a->action;
	d.platform = platform;
	d.customer_id = customer;
	d.ad_group_id = ad_group;
	d.arm_id = a->arm_id;
	d.in = &in;
	d.experiment = experiment;
	d.approver = approver;
	details = apply_details(&d);

	e = (struct safety_event){
		.event_id = a->event_id,
		.run_id = o->run_id,
		.occurred_at = now,
		.event_type = "bandit_apply",
		.action = a->action,
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
		.ad_group_id = ad_group,
		/* an arm with an ad group is an ad */
		.ad_id = ad_group ? a->arm_id : NULL,
		.proposal_id = proposal_id,
		.approval_id = approval_id,
		.details = details,
	};
	if (safety_event_write(w, &e, err) != 0)
		goto out;
	a->rows++;
	rc = 0;
out:
	rowfill_free(&row);
	rowfill_free(&exp);
	figures_free(&g);
	free(customer);
	free(ad_group);
	free(platform);
	free(status);
	free(decision_run);
	free(experiment_id);
	free(experiment);
	free(approval_id);
	free(approver);
	free(details);
	return rc;
}
