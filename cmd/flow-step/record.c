/*
 * flow-step's rows: ops_flow_runs and ops_alerts, written through the
 * warehouse interface like any load (one transaction, upsert on the key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "record.h"
#include "rowfill.h"
#include "timefmt.h"

int record_step(const struct schema_set *set, const struct step_run *r,
		const struct step_alert *alert, struct wh_err *err)
{
	struct rowfill run = rowfill_new(set, "ops_flow_runs");
	struct rowfill al = { 0 };
	struct wh *w;
	int rc = -1;

	rowfill_text(&run, "run_id", r->run_id);
	rowfill_text(&run, "flow", r->flow);
	rowfill_text(&run, "step", r->step);
	rowfill_text(&run, "started_at", r->started_at);
	rowfill_text(&run, "finished_at", r->finished_at);
	if (r->finished_at[0])
		rowfill_real(&run, "duration_seconds", r->duration);
	rowfill_text(&run, "status", r->status);
	if (r->exit_code >= 0)
		rowfill_int(&run, "exit_code", r->exit_code);
	if (r->rows_in >= 0)
		rowfill_int(&run, "rows_in", r->rows_in);
	if (r->rows_out >= 0)
		rowfill_int(&run, "rows_out", r->rows_out);
	rowfill_text(&run, "message", r->message);
	rowfill_text(&run, "details", r->details);

	if (alert) {
		al = rowfill_new(set, "ops_alerts");
		rowfill_text(&al, "alert_id", alert->alert_id);
		rowfill_text(&al, "run_id", r->run_id);
		rowfill_text(&al, "flow", r->flow);
		rowfill_text(&al, "step", r->step);
		rowfill_text(&al, "severity", "error");
		rowfill_text(&al, "alert_type", alert->alert_type);
		rowfill_text(&al, "message", alert->message);
		rowfill_text(&al, "details", alert->details);
		rowfill_text(&al, "created_at", r->finished_at);
	}

	w = wh_open_env(set, WH_OPEN_WRITE, err);
	if (!w)
		goto out;
	if (wh_load_begin(w, WH_UPSERT, NULL, err) == 0) {
		int ok = rowfill_write(w, &run, err) == 0;
		if (ok && alert)
			ok = rowfill_write(w, &al, err) == 0;
		struct wh_err end_err = { 0 };
		if (wh_load_end(w, ok, NULL, ok ? err : &end_err) == 0 && ok)
			rc = 0;
	}
	wh_close(w);
out:
	rowfill_free(&run);
	if (alert)
		rowfill_free(&al);
	return rc;
}
