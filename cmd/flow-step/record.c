/*
 * flow-step's rows: ops_flow_runs and ops_alerts, written through the
 * warehouse interface like any load (one transaction, upsert on the key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "record.h"
#include "timefmt.h"

/* A row being filled by column name; every column starts null. */
struct filler {
	const struct table_schema *t;
	struct value *v;
};

static struct filler filler_new(const struct schema_set *set, const char *table)
{
	struct filler f;
	f.t = schema_table(set, table);
	if (!f.t)
		die(AELP_EXIT_SOFTWARE, "the contract has no table '%s'", table);
	f.v = xcalloc(f.t->ncols, sizeof *f.v);
	return f;
}

static struct value *slot(struct filler *f, const char *col)
{
	long i = schema_column(f->t, col);
	if (i < 0)
		die(AELP_EXIT_SOFTWARE, "table '%s' has no column '%s'", f->t->qname, col);
	return &f->v[i];
}

static void put_text(struct filler *f, const char *col, const char *s)
{
	struct value *v = slot(f, col);
	if (!s || !*s)
		return;
	v->kind = V_TEXT;
	v->s = s;
	v->n = strlen(s);
}

static void put_int(struct filler *f, const char *col, long long i)
{
	struct value *v = slot(f, col);
	v->kind = V_INT;
	v->i = i;
}

static void put_real(struct filler *f, const char *col, double d)
{
	struct value *v = slot(f, col);
	v->kind = V_REAL;
	v->d = d;
}

int record_step(const struct schema_set *set, const struct step_run *r,
		const struct step_alert *alert, struct wh_err *err)
{
	struct filler run = filler_new(set, "ops_flow_runs");
	struct filler al = { NULL, NULL };
	struct wh *w;
	int rc = -1;

	put_text(&run, "run_id", r->run_id);
	put_text(&run, "flow", r->flow);
	put_text(&run, "step", r->step);
	put_text(&run, "started_at", r->started_at);
	put_text(&run, "finished_at", r->finished_at);
	if (r->finished_at[0])
		put_real(&run, "duration_seconds", r->duration);
	put_text(&run, "status", r->status);
	if (r->exit_code >= 0)
		put_int(&run, "exit_code", r->exit_code);
	if (r->rows_in >= 0)
		put_int(&run, "rows_in", r->rows_in);
	if (r->rows_out >= 0)
		put_int(&run, "rows_out", r->rows_out);
	put_text(&run, "message", r->message);
	put_text(&run, "details", r->details);

	if (alert) {
		al = filler_new(set, "ops_alerts");
		put_text(&al, "alert_id", alert->alert_id);
		put_text(&al, "run_id", r->run_id);
		put_text(&al, "flow", r->flow);
		put_text(&al, "step", r->step);
		put_text(&al, "severity", "error");
		put_text(&al, "alert_type", alert->alert_type);
		put_text(&al, "message", alert->message);
		put_text(&al, "details", alert->details);
		put_text(&al, "created_at", r->finished_at);
	}

	w = wh_open_env(set, WH_OPEN_WRITE, err);
	if (!w)
		goto out;
	if (wh_load_begin(w, WH_UPSERT, NULL, err) == 0) {
		struct row row = { run.t, run.v };
		int ok = wh_load_row(w, &row, err) == 0;
		if (ok && alert) {
			struct row arow = { al.t, al.v };
			ok = wh_load_row(w, &arow, err) == 0;
		}
		struct wh_err end_err = { 0 };
		if (wh_load_end(w, ok, NULL, ok ? err : &end_err) == 0 && ok)
			rc = 0;
	}
	wh_close(w);
out:
	free(run.v);
	free(al.v);
	return rc;
}
