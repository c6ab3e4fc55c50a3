/*
 * The review gate: approve or reject a proposed change (budget or bandit),
 * and list what waits for a person; and for the programs that apply what
 * was approved, the approved ids, the latest approval and the status
 * write.  Both kinds share every line: the difference between them is the
 * table descriptor below.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "ndjson.h"
#include "review.h"
#include "rowfill.h"

struct review_table {
	enum review_kind kind;
	const char *name;            /* "budget" */
	const char *proposals;       /* the proposals' table */
	const char *idcol;           /* its key, also the approvals' reference to it */
	const char *approvals;       /* the decisions' table */
	const char *const *listcols; /* the kind's own columns in `list`, in output order */
};

static const char *const budget_cols[] = {
	"channel", "current_daily_budget", "proposed_daily_budget", "change_pct", "direction",
	"reason", "notes", NULL
};
static const char *const bandit_cols[] = {
	"arm_id", "action", "direction", "current_share", "proposed_share", "p_best", "reason",
	"notes", NULL
};

static const struct review_table tables[2] = {
	{ REVIEW_BUDGET, "budget", "canary_changes", "change_id", "canary_change_approvals",
	  budget_cols },
	{ REVIEW_BANDIT, "bandit", "bandit_change_proposals", "proposal_id",
	  "bandit_change_approvals", bandit_cols },
};

static const char *const statuses[] = {
	"proposed", "approved", "rejected", "expired", "shadow_applied", "applied", "refused", NULL
};
const char review_status_list[] =
	"proposed, approved, rejected, expired, shadow_applied, applied, refused";

const char *review_kind_name(enum review_kind k)
{
	return k == REVIEW_BUDGET ? "budget" : k == REVIEW_BANDIT ? "bandit" : "any";
}

int review_kind_parse(const char *s, enum review_kind *k)
{
	if (strcmp(s, "budget") == 0)
		*k = REVIEW_BUDGET;
	else if (strcmp(s, "bandit") == 0)
		*k = REVIEW_BANDIT;
	else if (strcmp(s, "any") == 0)
		*k = REVIEW_ANY;
	else
		return -1;
	return 0;
}

int review_status_valid(const char *s)
{
	const char *const *p;
	for (p = statuses; *p; p++)
		if (strcmp(s, *p) == 0)
			return 1;
	return 0;
}

int review_parse_age(const char *s, double *seconds)
{
	char *end;
	double v, unit = 3600;

	if (!s || !*s || *s == ' ' || *s == '+' || *s == '-')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE)
		return -1;
	if (*end) {
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return -1;
		}
		if (end[1])
			return -1;
	}
	v *= unit;
	if (!isfinite(v) || !(v > 0))
		return -1;
	*seconds = v;
	return 0;
}

char *review_format_age(double seconds, char *out)
{
	if (fmod(seconds, 3600) == 0)
		snprintf(out, 32, "%.15gh", seconds / 3600);
	else if (fmod(seconds, 60) == 0)
		snprintf(out, 32, "%.15gm", seconds / 60);
	else
		snprintf(out, 32, "%.15gs", seconds);
	return out;
}

static int fail(struct review_outcome *o, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct review_outcome *o, int code, const char *fmt, ...)
{
	va_list ap;

	o->code = code;
	va_start(ap, fmt);
	vsnprintf(o->msg, sizeof o->msg, fmt, ap);
	va_end(ap);
	return code;
}

/* The latest decision on id, as "approved by alice at T", into buf ("" when none). */
static int last_decision(struct wh *w, const struct review_table *rt, const char *id, char *buf,
			 size_t sz, struct wh_err *err)
{
	char *sql = xasprintf("SELECT decision, approver, decided_at FROM %s WHERE %s = @id "
			      "ORDER BY decided_at DESC, approval_id DESC LIMIT 1",
			      rt->approvals, rt->idcol);
	struct wh_param p = { "id", T_STRING, id };
	struct wh_query *q = wh_query_open(w, sql, &p, 1, err);
	const struct value *v;
	int rc;

	free(sql);
	buf[0] = '\0';
	if (!q)
		return err->missing == WH_NO_TABLE ? 0 : -1;
	rc = wh_query_next(q, &v, err);
	if (rc == 1) {
		char *dec = value_str(&v[0]), *who = value_str(&v[1]), *at = value_str(&v[2]);
		snprintf(buf, sz, "%s by %s at %s", dec, who, at);
		free(dec);
		free(who);
		free(at);
	}
	wh_query_close(q);
	return rc < 0 ? -1 : 0;
}

/* The work of review_decide inside the open load; returns o->code. */
static int decide(struct wh *w, const struct review_decision *d, struct review_outcome *o,
		  int *commit)
{
	const struct review_table *rt = NULL;
	struct rowfill prop = { 0 }, apr = { 0 };
	struct wh_err err = { 0 };
	char now[TS_CANON_MAX], agebuf[32], *status = NULL, *created = NULL;
	double tnow, tcreated;
	int k, rc = 0;

	*commit = 0;
	for (k = 0; k < 2 && !rt; k++) {
		if (d->kind != REVIEW_ANY && d->kind != tables[k].kind)
			continue;
		prop = rowfill_new(w->set, tables[k].proposals);
		rc = rowfill_fetch(&prop, w, tables[k].idcol, d->id, &err);
		if (rc < 0 && err.missing == WH_NO_TABLE)
			rc = 0;
		if (rc < 0) {
			rowfill_free(&prop);
			return fail(o, err.code, "%s", err.msg);
		}
		if (rc == 1)
			rt = &tables[k];
		else
			rowfill_free(&prop);
	}
	if (!rt)
		return fail(o, AELP_EXIT_DATAERR, "no %s proposal has id '%s' in %s",
			    d->kind == REVIEW_ANY ? "budget or bandit" : review_kind_name(d->kind),
			    d->id, wh_describe(w));
	o->kind = rt->kind;
	status = value_str(rowfill_get(&prop, "status"));
	created = value_str(rowfill_get(&prop, "created_at"));
	snprintf(o->status, sizeof o->status, "%s", status);
	snprintf(o->created_at, sizeof o->created_at, "%s", created);

	if (strcmp(status, "proposed") != 0) {
		char who[512];
		if (last_decision(w, rt, d->id, who, sizeof who, &err) != 0)
			fail(o, err.code, "%s", err.msg);
		else if (who[0])
			fail(o, AELP_EXIT_GATE, "%s proposal '%s' is already %s (%s)", rt->name, d->id,
			     status, who);
		else
			fail(o, AELP_EXIT_GATE, "%s proposal '%s' is already %s", rt->name, d->id, status);
		goto out;
	}

	timestamp_now(now, &tnow);
	if (timestamp_epoch(created, &tcreated) != 0) {
		fail(o, AELP_EXIT_SOFTWARE, "%s proposal '%s': created_at '%s' is not a timestamp",
		     rt->name, d->id, created);
		goto out;
	}
	if (tnow - tcreated > d->max_age_seconds) {
		rowfill_text(&prop, "status", "expired");
		rowfill_text(&prop, "updated_at", now);
		if (rowfill_write(w, &prop, &err) != 0) {
			fail(o, err.code, "%s", err.msg);
			goto out;
		}
		*commit = 1;
		o->rows_written = 1;
		snprintf(o->status, sizeof o->status, "expired");
		fail(o, AELP_EXIT_GATE, "%s proposal '%s' expired: created %s, older than %s "
		     "(--max-age); it is marked expired and cannot be decided", rt->name, d->id,
		     created, review_format_age(d->max_age_seconds, agebuf));
		goto out;
	}

	id_event(o->approval_id, "apr");
	apr = rowfill_new(w->set, rt->approvals);
	rowfill_text(&apr, "approval_id", o->approval_id);
	rowfill_text(&apr, rt->idcol, d->id);
	rowfill_text(&apr, "decision", d->approve ? "approved" : "rejected");
	rowfill_text(&apr, "approver", d->by);
	rowfill_text(&apr, "reason", d->text);
	rowfill_text(&apr, "decided_at", now);
	rowfill_text(&apr, "source", d->source && *d->source ? d->source : "cli");
	rowfill_text(&apr, "run_id", d->run_id);
	rowfill_text(&prop, "status", d->approve ? "approved" : "rejected");
	rowfill_text(&prop, "updated_at", now);
	if (rowfill_write(w, &apr, &err) != 0 || rowfill_write(w, &prop, &err) != 0) {
		fail(o, err.code, "%s", err.msg);
		goto out;
	}
	*commit = 1;
	o->rows_written = 2;
	snprintf(o->status, sizeof o->status, "%s", d->approve ? "approved" : "rejected");
	snprintf(o->decided_at, sizeof o->decided_at, "%s", now);
	fail(o, AELP_EXIT_OK, "%s %s proposal '%s' (approval %s)", d->approve ? "approved" : "rejected",
	     rt->name, d->id, o->approval_id);
out:
	free(status);
	free(created);
	rowfill_free(&prop);
	if (apr.t)
		rowfill_free(&apr);
	return o->code;
}

int review_decide(struct wh *w, const struct review_decision *d, struct review_outcome *o)
{
	struct wh_err err = { 0 };
	int commit;

	memset(o, 0, sizeof *o);
	o->kind = REVIEW_ANY;
	if (!d->id || !*d->id)
		return fail(o, AELP_EXIT_USAGE, "give the id of the proposal to decide");
	if (!d->by || !*d->by)
		return fail(o, AELP_EXIT_USAGE, "say who decides (--by NAME)");
	if (!d->approve && (!d->text || !*d->text))
		return fail(o, AELP_EXIT_USAGE, "a rejection needs a reason (--reason TEXT)");
	if (d->source && *d->source && strcmp(d->source, "cli") != 0 &&
	    strcmp(d->source, "dashboard") != 0)
		return fail(o, AELP_EXIT_USAGE, "source '%s': expected cli or dashboard", d->source);
	if (!(d->max_age_seconds > 0) || !isfinite(d->max_age_seconds))
		return fail(o, AELP_EXIT_USAGE, "the maximum age must be above zero");

	if (wh_load_begin(w, WH_UPSERT, NULL, &err) != 0) {
		wh_load_end(w, 0, NULL, &(struct wh_err){ 0 });
		return fail(o, err.code, "%s", err.msg);
	}
	decide(w, d, o, &commit);
	if (wh_load_end(w, commit, NULL, &err) != 0 && commit) {
		o->rows_written = 0;
		o->approval_id[0] = o->decided_at[0] = '\0';
		return fail(o, err.code, "%s", err.msg);
	}
	return o->code;
}

/* ---- list ---- */

struct listed {
	double created;
	char *id;
	char *line;
};

static int listed_cmp(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Append the proposals of one table to *items; -1 with err on failure. */
static int list_table(struct wh *w, const struct review_table *rt, const char *status,
		      double max_age, struct listed **items, size_t *n, size_t *cap,
		      struct wh_err *err)
{
	const struct table_schema *t = schema_table(w->set, rt->proposals);
	const char *const *c;
	struct wh_param p = { "status", T_STRING, status };
	struct wh_query *q;
	const struct value *v;
	char *sql, *cols, *next;
	double tnow;
	char now[TS_CANON_MAX];
	int rc;

	if (!t)
		die(AELP_EXIT_SOFTWARE, "the contract has no table '%s'", rt->proposals);
	cols = xasprintf("%s, status, created_at, campaign_id", rt->idcol);
	for (c = rt->listcols; *c; c++) {
		if (schema_column(t, *c) < 0)
			die(AELP_EXIT_SOFTWARE, "table '%s' has no column '%s'", t->qname, *c);
		next = xasprintf("%s, %s", cols, *c);
		free(cols);
		cols = next;
	}
	sql = xasprintf("SELECT %s FROM %s%s ORDER BY created_at, %s", cols, t->qname,
			status ? " WHERE status = @status" : "", rt->idcol);
	free(cols);
	q = wh_query_open(w, sql, &p, status ? 1 : 0, err);
	free(sql);
	if (!q)
		return err->missing == WH_NO_TABLE ? 0 : -1;
	timestamp_now(now, &tnow);
	while ((rc = wh_query_next(q, &v, err)) == 1) {
		struct listed it = { 0 };
		char *id = value_str(&v[0]), *st = value_str(&v[1]), *created = value_str(&v[2]);
		char expires[TS_CANON_MAX] = "";
		size_t len = 0, i;
		FILE *m;

		if (timestamp_epoch(created, &it.created) != 0)
			it.created = NAN;
		if (isfinite(it.created))
			timestamp_from_epoch(it.created + max_age, expires);
		m = open_memstream(&it.line, &len);
		if (!m)
			die(AELP_EXIT_SOFTWARE, "out of memory");
		fputs("{\"kind\":", m);
		jw_str(m, rt->name, strlen(rt->name));
		jw_kv_str(m, "id", id);
		jw_kv_str(m, "status", st);
		jw_kv_str(m, "created_at", created[0] ? created : NULL);
		jw_kv_str(m, "expires_at", expires[0] ? expires : NULL);
		fprintf(m, ",\"expired\":%s", strcmp(st, "proposed") == 0 && isfinite(it.created) &&
			tnow - it.created > max_age ? "true" : "false");
		fputs(",\"campaign_id\":", m);
		jw_value(m, &v[3], T_STRING);
		for (c = rt->listcols, i = 4; *c; c++, i++) {
			fputc(',', m);
			jw_key(m, *c);
			jw_value(m, &v[i], (int)t->cols[schema_column(t, *c)].type);
		}
		fputs("}\n", m);
		if (fclose(m) != 0)
			die(AELP_EXIT_SOFTWARE, "out of memory");
		if (!isfinite(it.created))
			it.created = HUGE_VAL;
		it.id = id;
		free(st);
		free(created);
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			*items = xrealloc(*items, *cap * sizeof **items);
		}
		(*items)[(*n)++] = it;
	}
	wh_query_close(q);
	return rc < 0 ? -1 : 0;
}

long review_list(struct wh *w, enum review_kind kind, const char *status,
		 double max_age_seconds, FILE *out, struct wh_err *err)
{
	struct listed *items = NULL;
	size_t n = 0, cap = 0, i;
	int k, rc = 0;

	for (k = 0; k < 2 && rc == 0; k++)
		if (kind == REVIEW_ANY || kind == tables[k].kind)
			rc = list_table(w, &tables[k], status, max_age_seconds, &items, &n, &cap, err);
	if (rc == 0) {
		if (n)
			qsort(items, n, sizeof *items, listed_cmp);
		for (i = 0; i < n; i++)
			fputs(items[i].line, out);
	}
	for (i = 0; i < n; i++) {
		free(items[i].id);
		free(items[i].line);
	}
	free(items);
	return rc == 0 ? (long)n : -1;
}

/* ---- for the programs that apply an approved proposal ---- */

static const struct review_table *table_of(enum review_kind k)
{
	if (k != REVIEW_BUDGET && k != REVIEW_BANDIT)
		die(AELP_EXIT_SOFTWARE, "review: kind %d names no table", (int)k);
	return &tables[k];
}

const char *review_approvals_table(enum review_kind k)
{
	return table_of(k)->approvals;
}

double review_epoch(const struct value *v)
{
	char *s;
	double e;
	if (v->kind != V_TEXT)
		return NAN;
	s = value_str(v);
	if (timestamp_epoch(s, &e) != 0)
		e = NAN;
	free(s);
	return e;
}

int review_later(double e1, const char *id1, double e2, const char *id2)
{
	if (isnan(e1) != isnan(e2))
		return isnan(e2);
	if (!isnan(e1) && e1 != e2)
		return e1 > e2;
	return strcmp(id1, id2) > 0;
}

struct id_at {
	double at;
	char *id;
};

static int id_at_cmp(const void *a, const void *b)
{
	const struct id_at *x = a, *y = b;
	if (x->at != y->at && !isnan(x->at) && !isnan(y->at))
		return x->at < y->at ? -1 : 1;
	return strcmp(x->id, y->id);
}

int review_approved_ids(struct wh *w, enum review_kind kind, char ***ids, size_t *n,
			struct wh_err *err)
{
	const struct review_table *rt = table_of(kind);
	char *sql = xasprintf("SELECT %s, created_at FROM %s WHERE status = 'approved'", rt->idcol,
			      rt->proposals);
	struct wh_query *q;
	const struct value *v;
	struct id_at *r = NULL;
	size_t cap = 0, i;
	int got;

	*ids = NULL;
	*n = 0;
	q = wh_query_open(w, sql, NULL, 0, err);
	free(sql);
	if (!q)
		return -1;
	while ((got = wh_query_next(q, &v, err)) == 1) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			r = xrealloc(r, cap * sizeof *r);
		}
		r[*n].id = value_str(&v[0]);
		r[*n].at = review_epoch(&v[1]);
		(*n)++;
	}
	wh_query_close(q);
	if (*n > 1)
		qsort(r, *n, sizeof *r, id_at_cmp);
	if (*n)
		*ids = xmalloc(*n * sizeof **ids);
	for (i = 0; i < *n; i++)
		(*ids)[i] = r[i].id;
	free(r);
	return got < 0 ? -1 : 0;
}

int review_latest_approval(struct wh *w, enum review_kind kind, const char *id,
			   char **approval_id, char **approver, struct wh_err *err)
{
	const struct review_table *rt = table_of(kind);
	char *sql = xasprintf("SELECT approval_id, approver, decided_at FROM %s "
			      "WHERE %s = @id AND decision = 'approved'", rt->approvals, rt->idcol);
	struct wh_param p = { "id", T_STRING, id };
	struct wh_query *q;
	const struct value *v;
	double best = NAN;
	int got, found = 0;

	q = wh_query_open(w, sql, &p, 1, err);
	free(sql);
	if (!q)
		return -1;
	while ((got = wh_query_next(q, &v, err)) == 1) {
		char *aid = value_str(&v[0]);
		double e = review_epoch(&v[2]);
		if (!found || review_later(e, aid, best, *approval_id)) {
			if (found) {
				free(*approval_id);
				free(*approver);
			}
			*approval_id = aid;
			*approver = value_str(&v[1]);
			best = e;
			found = 1;
		} else {
			free(aid);
		}
	}
	wh_query_close(q);
	return got < 0 ? -1 : found;
}

char *review_text(const struct rowfill *row, const char *col)
{
	const struct value *v = rowfill_get(row, col);
	return v->kind == V_TEXT ? value_str(v) : NULL;
}

int review_set_status(struct wh *w, struct rowfill *row, const char *status, const char *now,
		      int applied, struct wh_err *err)
{
	rowfill_text(row, "status", status);
	rowfill_text(row, "updated_at", now);
	if (applied)
		rowfill_text(row, "applied_at", now);
	return rowfill_write(w, row, err);
}
