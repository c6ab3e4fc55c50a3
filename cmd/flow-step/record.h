#ifndef FLOW_STEP_RECORD_H
#define FLOW_STEP_RECORD_H

#include "timefmt.h"
#include "warehouse.h"

/*
 * What flow-step writes: one ops_flow_runs row per step (written as
 * "running" when the step starts, replaced by its outcome when it ends) and
 * one ops_alerts row for a step that failed.
 */

struct step_run {
	const char *run_id, *flow, *step;
	char started_at[TS_CANON_MAX], finished_at[TS_CANON_MAX];   /* canonical UTC; finished_at "" while running */
	double duration;                        /* seconds */
	const char *status;                     /* running, ok or failed */
	int exit_code;                          /* -1 while running */
	long long rows_in, rows_out;            /* -1: unknown (null) */
	const char *message;                    /* NULL or UTF-8 text */
	const char *details;                    /* NULL or one JSON value */
};

struct step_alert {
	char alert_id[200];
	const char *alert_type;                 /* gate_failed or step_failed */
	const char *message;
	const char *details;                    /* NULL or one JSON value */
};

/*
 * Write the step's row (and the alert when alert is not NULL) in one load.
 * Returns 0, or -1 with err filled.
 */
int record_step(const struct schema_set *set, const struct step_run *r,
		const struct step_alert *alert, struct wh_err *err);

#endif
