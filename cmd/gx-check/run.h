#ifndef GX_RUN_H
#define GX_RUN_H

/*
 * gx-check's three ways to run, behind main.c's options:
 *   gx_run_files   rows (files or stdin) against one suite              (rows.c)
 *   gx_run_routed  "_table"-tagged rows, each against its table's suite  (rows.c)
 *   gx_run_all     every suite against its warehouse table               (all.c)
 * Each returns the exit code: 0 every suite passed, 1 one failed; other
 * failures die with their code.
 */

#include <dirent.h>
#include <stdio.h>
#include <jansson.h>

#include "gx.h"
#include "opts.h"
#include "schema.h"

struct gx_args {
	const struct opts_spec *spec;   /* for usage errors */
	const char *suite, *suites, *result, *table, *dtypes, *runid, *schemas;
	int rf, partial, pass, all, dry, pretty;
};

int gx_run_files(const struct gx_args *a, char **files, int nfiles);
int gx_run_routed(const struct gx_args *a, char **files, int nfiles);
int gx_run_all(const struct gx_args *a);

/* ---- shared by the modes (rows.c) ---- */

/* The pandas dtype a contract type reads as. */
enum gx_dtype gx_contract_dtype(enum col_type t);
/* Declare the contract's columns of t in f (fixed: other keys are ignored). */
void gx_declare_table(struct gx_frame *f, const struct table_schema *t);
/* One stderr line per failed expectation of a result. */
void gx_report_failures(const char *suite, const json_t *res);
/* A step report (report.h): rows validated, rows written, per-suite verdicts (stolen). */
void gx_report_step(unsigned long long rows, long long written, json_t *suites);
/* {"suite", "success", "rows"} for the step report. */
json_t *gx_suite_verdict(const json_t *res, unsigned long long rows);
/* scandir() filter: a *.json file. */
int gx_is_suite_file(const struct dirent *d);

#endif
