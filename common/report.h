#ifndef AELP_REPORT_H
#define AELP_REPORT_H

/*
 * Step reports.  flow-step runs each step of a flow with AELP2_STEP_REPORT
 * naming a file; a program that reads or writes rows appends one JSON line
 * there saying what it did:
 *
 *   {"program":"bq-load","rows_in":1234,"rows_out":1234,"details":{...}}
 *
 * rows_in counts rows the program read or validated, rows_out rows it
 * wrote to the warehouse; details is any JSON the program wants a person to
 * see in ops_flow_runs (rows per table, failing suites).  Outside a flow
 * (the variable unset) nothing is written.
 */

#define STEP_REPORT_ENV "AELP2_STEP_REPORT"

/* The flow's run id: $AELP2_RUN_ID when set and not empty, else NULL (not
 * inside a flow).  Rows a program writes in a flow carry it. */
const char *flow_run_id(void);

/*
 * Append the line.  details_json is NULL or one JSON value (the caller
 * vouches for it).  rows_in/rows_out < 0 are written as null.  Returns 0,
 * or -1 after a warning when the file cannot be written: a report is a
 * courtesy to the flow and never fails the program's own work.
 */
int step_report(const char *program, long long rows_in, long long rows_out,
		const char *details_json);

#endif
