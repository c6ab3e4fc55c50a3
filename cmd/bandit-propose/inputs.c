/* bandit-propose's reads (inputs.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "inputs.h"
#include "ndjson.h"
#include "row.h"
#include "timefmt.h"

#define MAX_SHOWN 20               /* bad rows reported one by one */

/* One bandit_decisions row, as read. */
struct raw {
	char *run_id, *campaign_id, *arm_id, *policy, *metric, *decided_at, *window_end;
	char *customer_id, *ad_group_id, *platform, *channel;
	struct bpr_arm a;
	double budget, lookback, cap;
	const char *file;              /* stdin: the file it came from (NULL: the warehouse) */
	unsigned long line;
};

struct raws {
	struct raw *r;
	size_t n, cap;
};

/* The columns read, by name: their indexes in the schema's order. */
enum {
	C_RUN, C_CAMP, C_ARM, C_POLICY, C_MEAN, C_CILO, C_CIHI, C_PBEST, C_SHARE, C_EXPL, C_CAPPED,
	C_DECIDED, C_METRIC, C_TRIALS, C_SUCC, C_CACLO, C_CACHI, C_BUDGET, C_LEADER, C_LOOKBACK,
	C_WEND, C_CUST, C_ADG, C_PLAT, C_CHAN, C_CAP, C_N
};
static const char *const colnames[C_N] = {
	"run_id", "campaign_id", "arm_id", "policy", "posterior_mean", "ci_low", "ci_high", "p_best",
	"share", "exploration", "cac_capped", "decided_at", "metric", "trials", "successes", "cac_low",
	"cac_high", "exploration_budget", "leader", "lookback_days", "window_end", "customer_id",
	"ad_group_id", "platform", "channel", "cac_cap"
};

static void col_index(const struct table_schema *t, long *ix)
{
	int i;
	for (i = 0; i < C_N; i++) {
		ix[i] = schema_column(t, colnames[i]);
		if (ix[i] < 0)
			die(AELP_EXIT_SOFTWARE, "the contract's %s has no column '%s'", t->qname, colnames[i]);
	}
}

static char *opt_str(const struct value *v)
{
	return v->kind == V_TEXT ? value_str(v) : NULL;
}

static int opt_bool(const struct value *v)
{
	return v->kind == V_INT ? v->i != 0 : -1;
}

static void raw_add(struct raws *l, const struct value *v, const long *ix, const char *file,
		    unsigned long line)
{
	struct raw *r;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->r = xrealloc(l->r, l->cap * sizeof *l->r);
	}
	r = &l->r[l->n++];
	memset(r, 0, sizeof *r);
	r->run_id = value_str(&v[ix[C_RUN]]);
	r->campaign_id = value_str(&v[ix[C_CAMP]]);
	r->arm_id = value_str(&v[ix[C_ARM]]);
	r->policy = opt_str(&v[ix[C_POLICY]]);
	r->metric = opt_str(&v[ix[C_METRIC]]);
	r->decided_at = value_str(&v[ix[C_DECIDED]]);
	r->window_end = opt_str(&v[ix[C_WEND]]);
	r->customer_id = opt_str(&v[ix[C_CUST]]);
	r->ad_group_id = opt_str(&v[ix[C_ADG]]);
	r->platform = opt_str(&v[ix[C_PLAT]]);
	r->channel = opt_str(&v[ix[C_CHAN]]);
	r->a.trials = value_num(&v[ix[C_TRIALS]]);
	r->a.successes = value_num(&v[ix[C_SUCC]]);
	r->a.posterior_mean = value_num(&v[ix[C_MEAN]]);
	r->a.ci_low = value_num(&v[ix[C_CILO]]);
	r->a.ci_high = value_num(&v[ix[C_CIHI]]);
	r->a.p_best = value_num(&v[ix[C_PBEST]]);
	r->a.share = value_num(&v[ix[C_SHARE]]);
	r->a.cac_low = value_num(&v[ix[C_CACLO]]);
	r->a.cac_high = value_num(&v[ix[C_CACHI]]);
	r->a.exploration = opt_bool(&v[ix[C_EXPL]]) == 1;
	r->a.cac_capped = opt_bool(&v[ix[C_CAPPED]]) == 1;
	r->a.leader = opt_bool(&v[ix[C_LEADER]]);
	r->budget = value_num(&v[ix[C_BUDGET]]);
	r->lookback = value_num(&v[ix[C_LOOKBACK]]);
	r->cap = value_num(&v[ix[C_CAP]]);
	r->file = file;
	r->line = line;
}

static void raw_free(struct raw *r)
{
	free(r->run_id);
	free(r->campaign_id);
	free(r->arm_id);
	free(r->policy);
	free(r->metric);
	free(r->decided_at);
	free(r->window_end);
	free(r->customer_id);
	free(r->ad_group_id);
	free(r->platform);
	free(r->channel);
}

static void raws_free(struct raws *l)
{
	size_t i;
	for (i = 0; i < l->n; i++)
		raw_free(&l->r[i]);
	free(l->r);
	memset(l, 0, sizeof *l);
}

static int by_key(const void *x, const void *y)
{
	const struct raw *a = x, *b = y;
	int c = strcmp(a->campaign_id, b->campaign_id);
	if (c)
		return c;
	c = strcmp(a->arm_id, b->arm_id);
	if (c)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

/* "FILE:LINE" or "bandit_decisions" for messages. */
static void where(char *buf, size_t n, const struct raw *r)
{
	if (r->file)
		snprintf(buf, n, "%s:%lu", r->file, r->line);
	else
		snprintf(buf, n, "bandit_decisions");
}

static double epoch_of(const char *ts)
{
	double e;
	return ts && timestamp_epoch(ts, &e) == 0 ? e : -INFINITY;
}

/* Later timestamp (by instant), NULL-safe; returns the one to keep. */
static int later(const char *a, const char *b)
{
	return epoch_of(a) > epoch_of(b);
}

/*
 * From rows (any runs, any campaigns): keep the chosen run's (and
 * campaign's), group by campaign, check each.  Takes the strings it keeps.
 */
static int assemble(struct raws *l, const struct bpr_read_opts *o, struct bpr_input *in, char *err,
		    size_t errsz)
{
	const char *run = o->decision_run;
	double best_e = -INFINITY;
	size_t i, j, k, keep = 0;
	char wbuf[1200], cerr[600];
	int rc = 0;

	if (!run) {
		for (i = 0; i < l->n; i++) {
			const struct raw *r = &l->r[i];
			double e = epoch_of(r->decided_at);
			if (o->campaign_id && strcmp(r->campaign_id, o->campaign_id) != 0)
				continue;
			if (!run || e > best_e || (e == best_e && strcmp(r->run_id, run) > 0)) {
				run = r->run_id;
				best_e = e;
			}
		}
		if (!run)
			return 0;              /* no decisions at all */
	}
	in->decision_run = xstrdup(run);
	/* the run's (and campaign's) rows to the front, the rest freed */
	for (i = 0; i < l->n; i++) {
		struct raw *r = &l->r[i];
		if (strcmp(r->run_id, in->decision_run) == 0 &&
		    (!o->campaign_id || strcmp(r->campaign_id, o->campaign_id) == 0))
			l->r[keep++] = *r;
		else
			raw_free(r);
	}
	l->n = keep;
	if (!keep) {
		if (o->campaign_id)
			return errorf(err, errsz, AELP_EXIT_GATE, "no bandit_decisions rows of run '%s' for "
				      "campaign '%s' in %s", in->decision_run, o->campaign_id, in->source);
		return errorf(err, errsz, AELP_EXIT_GATE, "no bandit_decisions rows with run_id '%s' in %s "
			      "(--decision-run)", in->decision_run, in->source);
	}
	in->rows = keep;
	qsort(l->r, l->n, sizeof *l->r, by_key);

	for (i = 0; i < l->n; i = j) {
		struct bpr_camp *c;
		for (j = i + 1; j < l->n && strcmp(l->r[j].campaign_id, l->r[i].campaign_id) == 0; j++)
			if (strcmp(l->r[j].arm_id, l->r[j - 1].arm_id) == 0) {
				where(wbuf, sizeof wbuf, &l->r[j]);
				rc = errorf(err, errsz, AELP_EXIT_DATAERR, "%s: arm '%s' of campaign '%s' "
					    "appears twice in decision run '%s'%s", wbuf, l->r[j].arm_id,
					    l->r[j].campaign_id, in->decision_run,
					    l->r[j].file ? "" : " (the table's key should forbid it)");
				goto out;
			}
		in->camps = xrealloc(in->camps, (in->n + 1) * sizeof *in->camps);
		c = &in->camps[in->n++];
		memset(c, 0, sizeof *c);
		c->campaign_id = l->r[i].campaign_id;
		l->r[i].campaign_id = NULL;
		c->info = xcalloc(j - i, sizeof *c->info);
		c->c.arms = xcalloc(j - i, sizeof *c->c.arms);
		c->c.n = j - i;
		c->c.decision_run = in->decision_run;
		c->c.campaign_id = c->campaign_id;
		c->c.exploration_budget = NAN;
		c->c.lookback_days = NAN;
		c->c.cac_cap = NAN;
		for (k = i; k < j; k++) {
			struct raw *r = &l->r[k];
			struct bpr_arm_info *f = &c->info[k - i];
			f->arm_id = r->arm_id, r->arm_id = NULL;
			f->customer_id = r->customer_id, r->customer_id = NULL;
			f->ad_group_id = r->ad_group_id, r->ad_group_id = NULL;
			f->platform = r->platform, r->platform = NULL;
			f->channel = r->channel, r->channel = NULL;
			f->line = r->line;
			c->c.arms[k - i] = r->a;
			c->c.arms[k - i].arm_id = f->arm_id;
			if (isnan(c->c.exploration_budget))
				c->c.exploration_budget = r->budget;
			if (isnan(c->c.lookback_days))
				c->c.lookback_days = r->lookback;
			if (isnan(c->c.cac_cap))
				c->c.cac_cap = r->cap;
			if (!c->policy && r->policy)
				c->policy = r->policy, r->policy = NULL;
			if (!c->metric && r->metric)
				c->metric = r->metric, r->metric = NULL;
			if (r->window_end && (!c->window_end || strcmp(r->window_end, c->window_end) > 0)) {
				free(c->window_end);
				c->window_end = r->window_end, r->window_end = NULL;
			}
			if (!c->decided_at || later(r->decided_at, c->decided_at)) {
				free(c->decided_at);
				c->decided_at = r->decided_at, r->decided_at = NULL;
			}
		}
		c->c.policy = c->policy;
		c->c.metric = c->metric;
		if (!in->decided_at || later(c->decided_at, in->decided_at)) {
			free(in->decided_at);
			in->decided_at = xstrdup(c->decided_at);
		}
		if (bpr_check(&c->c, cerr, sizeof cerr) != 0) {
			where(wbuf, sizeof wbuf, &l->r[i]);
			rc = errorf(err, errsz, AELP_EXIT_DATAERR, "%s: decision run '%s', campaign '%s': %s",
				    wbuf, in->decision_run, c->campaign_id, cerr);
			goto out;
		}
	}
out:
	raws_free(l);
	return rc;
}

/* ---- the warehouse ---- */

typedef void (*row_fn)(const struct value *v, void *ctx);

static int each_row(struct wh *w, const char *what, const char *sql, const struct wh_param *p,
		    size_t np, int *absent, row_fn fn, void *ctx, char *err, size_t errsz)
{
	struct wh_err we = { 0 };
	struct wh_query *q = wh_query_open(w, sql, p, np, &we);
	const struct value *v;
	int got;

	if (!q) {
		if (we.missing == WH_NO_TABLE) {
			if (absent)
				*absent = 1;
			return 0;
		}
		return errorf(err, errsz, we.code, "reading %s: %s", what, we.msg);
	}
	while ((got = wh_query_next(q, &v, &we)) == 1)
		fn(v, ctx);
	wh_query_close(q);
	if (got < 0)
		return errorf(err, errsz, we.code, "reading %s: %s", what, we.msg);
	return 0;
}

struct latest {
	char *run;
	double e;
};

static void got_run(const struct value *v, void *ctx)
{
	struct latest *L = ctx;
	char *run = value_str(&v[0]), *ts = opt_str(&v[1]);
	double e = epoch_of(ts);
	if (!L->run || e > L->e || (e == L->e && strcmp(run, L->run) > 0)) {
		free(L->run);
		L->run = run;
		L->e = e;
	} else
		free(run);
	free(ts);
}

struct wh_rows {
	struct raws *l;
	const long *ix;
};

static void got_row(const struct value *v, void *ctx)
{
	struct wh_rows *g = ctx;
	raw_add(g->l, v, g->ix, NULL, 0);
}

int bpr_read_warehouse(struct wh *w, const struct schema_set *set, const struct bpr_read_opts *o,
		       struct bpr_input *in, char *err, size_t errsz)
{
	const struct table_schema *t = schema_table(set, "bandit_decisions");
	struct latest L = { NULL, -INFINITY };
	struct raws l = { 0 };
	struct wh_rows g;
	struct wh_param p[2];
	struct bpr_read_opts ro = *o;
	long ix[C_N];
	size_t i, np = 0, len = 128;
	char *sql, *s;
	int absent = 0, rc;

	memset(in, 0, sizeof *in);
	in->source = xstrdup(wh_describe(w));
	if (!t)
		die(AELP_EXIT_SOFTWARE, "the contract has no table bandit_decisions");
	col_index(t, ix);
	if (o->campaign_id)
		p[np++] = (struct wh_param){ "c", T_STRING, o->campaign_id };
	if (!o->decision_run) {
		rc = each_row(w, "bandit_decisions", o->campaign_id ?
			      "SELECT run_id, MAX(decided_at) AS d FROM bandit_decisions "
			      "WHERE campaign_id = @c GROUP BY run_id" :
			      "SELECT run_id, MAX(decided_at) AS d FROM bandit_decisions GROUP BY run_id",
			      p, np, &absent, got_run, &L, err, errsz);
		if (rc || !L.run) {
			free(L.run);
			return rc;             /* no decisions at all */
		}
		ro.decision_run = L.run;
	}
	p[np++] = (struct wh_param){ "r", T_STRING, ro.decision_run };
	for (i = 0; i < t->ncols; i++)
		len += strlen(t->cols[i].name) + 2;
	sql = s = xmalloc(len + 64);
	s += sprintf(s, "SELECT ");
	for (i = 0; i < t->ncols; i++)
		s += sprintf(s, "%s%s", i ? ", " : "", t->cols[i].name);
	sprintf(s, " FROM bandit_decisions WHERE run_id = @r%s ORDER BY campaign_id, arm_id",
		o->campaign_id ? " AND campaign_id = @c" : "");
	g.l = &l;
	g.ix = ix;
	rc = each_row(w, "bandit_decisions", sql, p, np, &absent, got_row, &g, err, errsz);
	free(sql);
	if (!rc)
		rc = assemble(&l, &ro, in, err, errsz);
	else
		raws_free(&l);
	free(L.run);
	return rc;
}

/* ---- NDJSON files ---- */

int bpr_read_files(const struct schema_set *set, char **files, int nfiles,
		   const struct bpr_read_opts *o, struct bpr_input *in, char *err, size_t errsz)
{
	const struct table_schema *t = schema_table(set, "bandit_decisions");
	struct row_parser *fixed, *any;
	struct raws l = { 0 };
	struct nd_line line;
	struct row row;
	char perr[512], perr2[512];
	char **names;
	long ix[C_N];
	size_t bad = 0, runs = 0, i;
	int f, rc;

	memset(in, 0, sizeof *in);
	if (!t)
		die(AELP_EXIT_SOFTWARE, "the contract has no table bandit_decisions");
	col_index(t, ix);
	fixed = row_parser_new(set, t, 0);
	any = row_parser_new(set, NULL, 0);
	names = xcalloc((size_t)(nfiles > 0 ? nfiles : 1), sizeof *names);
	for (f = 0; f < (nfiles > 0 ? nfiles : 1); f++) {
		struct nd_reader *r = nd_open(nfiles > 0 ? files[f] : NULL);
		names[f] = xstrdup(nd_name(r));
		while (nd_next(r, &line)) {
			if (row_parse(fixed, line.text, line.len, &row, perr, sizeof perr) == 0) {
				raw_add(&l, row.v, ix, names[f], line.lineno);
				continue;
			}
			if (row_parse(any, line.text, line.len, &row, perr2, sizeof perr2) == 0 &&
			    row.table != t) {
				in->other_tables++;    /* bandit_context_decisions, say */
				continue;
			}
			if (++bad <= MAX_SHOWN)
				warn("%s:%lu: %s", names[f], line.lineno, perr);
		}
		nd_close(r);
	}
	row_parser_free(fixed);
	row_parser_free(any);
	if (bad) {
		if (bad > MAX_SHOWN)
			warn("... and %zu more bad rows", bad - MAX_SHOWN);
		rc = errorf(err, errsz, AELP_EXIT_DATAERR, "%zu bad bandit_decisions row%s: nothing "
			    "written", bad, bad == 1 ? "" : "s");
		raws_free(&l);
		goto out;
	}
	/* distinct runs, for the summary */
	{
		char **seen = xmalloc((l.n + 1) * sizeof *seen);
		for (i = 0; i < l.n; i++) {
			size_t k;
			for (k = 0; k < runs && strcmp(seen[k], l.r[i].run_id) != 0; k++)
				;
			if (k == runs)
				seen[runs++] = l.r[i].run_id;
		}
		free(seen);
	}
	in->source = xstrdup(nfiles == 1 ? names[0] : nfiles > 1 ? "the input files" : "<stdin>");
	rc = assemble(&l, o, in, err, errsz);
	in->runs = runs;
out:
	for (f = 0; f < (nfiles > 0 ? nfiles : 1); f++)
		free(names[f]);
	free(names);
	return rc;
}

/* ---- statuses ---- */

static void got_decided(const struct value *v, void *ctx)
{
	struct bpr_input *in = ctx;
	in->decided = xrealloc(in->decided, (in->ndecided + 1) * sizeof *in->decided);
	in->decided[in->ndecided++] = value_str(&v[0]);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int camp_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct bpr_camp *)elem)->campaign_id);
}

/* Experiments whose seed_experiment proposal a person rejected (or that
 * expired or were refused): never to start, so they block nothing. */
struct dead {
	char **ids;
	size_t n;
};

static void got_dead(const struct value *v, void *ctx)
{
	struct dead *d = ctx;
	d->ids = xrealloc(d->ids, (d->n + 1) * sizeof *d->ids);
	d->ids[d->n++] = value_str(&v[0]);
}

struct exp_ctx {
	struct bpr_input *in;
	struct dead *dead;
};

static void got_experiment(const struct value *v, void *ctx)
{
	struct exp_ctx *x = ctx;
	struct bpr_input *in = x->in;
	char *id = value_str(&v[0]), *camp = opt_str(&v[1]), *ours;
	const char *key = id;

	if (x->dead->n && bsearch(&key, x->dead->ids, x->dead->n, sizeof *x->dead->ids, cmp_str)) {
		free(id);
		free(camp);
		return;
	}
	struct bpr_camp *c = camp && in->n ? bsearch(camp, in->camps, in->n, sizeof *in->camps,
						     camp_cmp) : NULL;
	if (c) {
		ours = bpr_experiment_id(in->decision_run, c->campaign_id);
		if (strcmp(id, ours) == 0) {
			if (!value_is(&v[2], "proposed"))
				c->experiment_done = 1;
		} else if (value_is(&v[2], "proposed") || value_is(&v[2], "running"))
			c->c.experiment_blocked = 1;
		free(ours);
	}
	free(id);
	free(camp);
}

int bpr_read_statuses(struct wh *w, struct bpr_input *in, char *err, size_t errsz)
{
	char *lo, *hi;
	struct wh_param p[2];
	struct dead dead = { 0 };
	struct exp_ctx x = { in, &dead };
	size_t i;
	int rc;

	if (!w || !in->decision_run)
		return 0;
	p[0] = (struct wh_param){ "d", T_STRING, in->decision_run };
	rc = each_row(w, "bandit_change_proposals", "SELECT proposal_id FROM bandit_change_proposals "
		      "WHERE decision_run_id = @d AND status <> 'proposed'", p, 1, NULL, got_decided, in,
		      err, errsz);
	if (rc)
		return rc;
	if (in->ndecided > 1)
		qsort(in->decided, in->ndecided, sizeof *in->decided, cmp_str);
	/* this run's experiments are the ids from "exp-RUN:" up to "exp-RUN;" (':' + 1) */
	rc = each_row(w, "bandit_change_proposals", "SELECT experiment_id FROM bandit_change_proposals "
		      "WHERE action = 'seed_experiment' AND experiment_id IS NOT NULL AND status IN "
		      "('rejected', 'expired', 'refused')", NULL, 0, NULL, got_dead, &dead, err, errsz);
	if (rc)
		goto out;
	if (dead.n > 1)
		qsort(dead.ids, dead.n, sizeof *dead.ids, cmp_str);
	lo = xasprintf("exp-%s:", in->decision_run);
	hi = xasprintf("exp-%s;", in->decision_run);
	p[0] = (struct wh_param){ "lo", T_STRING, lo };
	p[1] = (struct wh_param){ "hi", T_STRING, hi };
	rc = each_row(w, "ab_experiments", "SELECT experiment_id, campaign_id, status FROM ab_experiments "
		      "WHERE status IN ('proposed', 'running') OR (experiment_id >= @lo AND "
		      "experiment_id < @hi)", p, 2, NULL, got_experiment, &x, err, errsz);
	free(lo);
	free(hi);
out:
	for (i = 0; i < dead.n; i++)
		free(dead.ids[i]);
	free(dead.ids);
	return rc;
}

int bpr_is_decided(const struct bpr_input *in, const char *id)
{
	return in->ndecided && bsearch(&id, in->decided, in->ndecided, sizeof *in->decided, cmp_str);
}

void bpr_input_free(struct bpr_input *in)
{
	size_t i, k;
	for (i = 0; i < in->n; i++) {
		struct bpr_camp *c = &in->camps[i];
		for (k = 0; k < c->c.n; k++) {
			free(c->info[k].arm_id);
			free(c->info[k].customer_id);
			free(c->info[k].ad_group_id);
			free(c->info[k].platform);
			free(c->info[k].channel);
		}
		free(c->info);
		free(c->c.arms);
		free(c->campaign_id);
		free(c->policy);
		free(c->metric);
		free(c->window_end);
		free(c->decided_at);
	}
	free(in->camps);
	for (i = 0; i < in->ndecided; i++)
		free(in->decided[i]);
	free(in->decided);
	free(in->decision_run);
	free(in->decided_at);
	free(in->source);
	memset(in, 0, sizeof *in);
}
