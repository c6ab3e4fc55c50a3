/*
 * gx-check: validate NDJSON rows, or warehouse tables, against Great
 * Expectations suites.  The options and the choice of mode live here; the
 * modes are in run.h, the engine in gx.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "gx.h"
#include "ndjson.h"
#include "opts.h"
#include "run.h"
#include "warehouse.h"

enum { O_SUITE = 's', O_RESULT = 'r', O_RF = 'f', O_PASS = 'p', O_TABLE = 't', O_DTYPES = 'd',
       O_ALL = 'a', O_DRY = 'n', O_RUNID = 'i', O_SCHEMAS = 'S', O_PRETTY = 'P', O_PARTIAL = 'c',
       O_SUITES = 'D' };

static const struct opt options[] = {
	{ O_SUITE, "suite", 0, "FILE", "the expectation suite (GX 1.x or 0.18 JSON)" },
	{ O_SUITES, "suites", 0, "DIR", "rows of several tables, routed by their \"_table\" field to the suite of each table in DIR" },
	{ O_RESULT, "result", 0, "FILE", "write the validation result to FILE instead of stdout" },
	{ O_RF, "result-format", 0, "FMT", "BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE for every expectation (default: each expectation's own, else BASIC)" },
	{ O_PARTIAL, "partial-count", 0, "N", "partial_unexpected_count for every expectation (default 20)" },
	{ O_PASS, "pass", 0, NULL, "a gate: copy the input rows to stdout only when the suite passes" },
	{ O_TABLE, "table", 0, "TABLE", "take the columns (order, types) from the contract's TABLE; other keys are ignored" },
	{ O_DTYPES, "dtypes", 0, "COL[=TYPE],...", "declare columns first, in order, with pandas dtypes (int64, float64, bool, object, datetime64[ns], timestamp)" },
	{ O_ALL, "all", 0, NULL, "validate every suite of $AELP_SCHEMAS/suites against its warehouse table" },
	{ O_DRY, "dry-run", 'n', NULL, "with --all: validate and report, write nothing to the warehouse" },
	{ O_RUNID, "run-id", 0, "ID", "with --all: the run id of the rows written (default $AELP2_RUN_ID, else generated)" },
	{ O_SCHEMAS, "schemas", 0, "DIR", "read the contract (and, with --all, DIR/suites) from DIR" },
	{ O_PRETTY, "pretty", 0, NULL, "indent the result JSON (default: one line)" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"gx-check",
	"--suite FILE [options] [INPUT...]  |  --suites DIR [options] [INPUT...]  |  --all [--dry-run] [--run-id ID]",
	"Validate NDJSON rows (INPUT files, or stdin) against a Great Expectations suite, with\n"
	"GX 1.2's semantics on the pandas engine, and write the validation result in GX's 1.x\n"
	"JSON (success, results[], suite_name, suite_parameters, statistics, meta).\n"
	"Columns are the keys in order of first appearance, typed as pandas would type them\n"
	"(all ints int64; ints with nulls, or floats, float64; all bools bool; else object).\n"
	"A missing key is a null.  Without --table, a column the rows never carry does not exist\n"
	"(as in a DataFrame): an expectation about it fails with \"does not exist\".  Rows of a\n"
	"warehouse table should be checked with --table TABLE, which takes the columns and their\n"
	"types from the contract (NULLABLE columns exist even when no row carries them);\n"
	"--dtypes declares columns by hand.\n"
	"\n"
	"A failing suite exits 1 and names each failing expectation on stderr, e.g.\n"
	"  gx-check: suite ads failed: expect_column_values_to_be_between(clicks): 1 of 1461 values unexpected (0.07%)\n"
	"An expectation that cannot be evaluated (bad kwargs, a missing column, values of the\n"
	"wrong type) fails with exception_info, as GX does; an unknown expectation type is a\n"
	"usage error (exit 2).\n"
	"\n"
	"--pass makes gx-check a gate in a pipe: the rows are spilled to an unlinked temporary\n"
	"file in $TMPDIR and copied to stdout byte for byte only when the whole suite passes\n"
	"(an input's last line without a newline gets one, so inputs never join two rows);\n"
	"on failure nothing reaches stdout.  The result goes to --result FILE, if given.\n"
	"\n"
	"--suites DIR validates rows tagged with \"_table\" (as sim-generate and bq-load route\n"
	"them): each table's rows against the suite in DIR whose meta.table (else file name)\n"
	"names it, with the contract's columns; one result line per suite that got rows.\n"
	"The tag is read as bq-load reads it (escapes decoded).  Rows of a table of the contract\n"
	"without a suite pass unchecked; a tag naming no table of the contract is a bad row (65).\n"
	"DIR must hold one suite per table: two suites of one table (by meta.table or file name)\n"
	"are a usage error (exit 2) naming both files.\n"
	"\n"
	"--all validates each suite $AELP_SCHEMAS/suites/*.json against its table (the suite's\n"
	"meta.table, else the file name without .json), read from the warehouse with the\n"
	"contract's column order and types, prints one line per suite, and (unless --dry-run)\n"
	"upserts one gx_validation_results row per suite and one gx_expectation_failures row\n"
	"per failed expectation, in one load.",
	options,
	"Supported expectations:\n"
	"  expect_column_to_exist, expect_table_columns_to_match_ordered_list,\n"
	"  expect_table_row_count_to_be_between, expect_column_values_to_not_be_null,\n"
	"  expect_column_values_to_be_null, expect_column_values_to_be_between,\n"
	"  expect_column_values_to_be_in_set, expect_column_values_to_not_be_in_set,\n"
	"  expect_column_values_to_match_regex (a search; POSIX ERE with \\d, (?:) translated),\n"
	"  expect_column_values_to_be_unique, expect_column_values_to_be_of_type,\n"
	"  expect_column_values_to_be_dateutil_parseable (approximated),\n"
	"  expect_column_values_to_match_strftime_format, expect_compound_columns_to_be_unique,\n"
	"  expect_column_pair_values_a_to_be_greater_than_b, expect_column_mean_to_be_between,\n"
	"  expect_column_min_to_be_between, expect_column_max_to_be_between,\n"
	"  expect_column_sum_to_be_between\n"
	"Common kwargs: mostly, result_format, row_condition (condition_parser \"pandas\",\n"
	"COLUMN OP LITERAL clauses joined by &), ignore_row_if, meta; catch_exceptions ignored.\n"
	"\n"
	WH_ENV_HELP
	"  AELP2_RUN_ID     the run id of --all (when --run-id is not given)\n"
	"  AELP2_STEP_REPORT  inside flow-step: append what was validated (rows, suites) there\n"
	"  TMPDIR           where --pass and the uniqueness sort spill (default /tmp)\n"
	"  GX_CHECK_SORT_BUFFER  bytes of RAM per uniqueness expectation before spilling (32 MiB; at least 4 KiB)\n"
	"\n"
	"Examples:\n"
	"  gx-check --suite schemas/suites/ads_campaign_performance.json --table ads_campaign_performance day.ndjson\n"
	"  sim-generate ... | gx-check --suite schemas/suites/ads_campaign_performance.json \\\n"
	"      --pass --table ads_campaign_performance | bq-load ads_campaign_performance\n"
	"  sim-generate ... | gx-check --suites schemas/suites --pass | bq-load --upsert\n"
	"  gx-check --all --dry-run\n"
	"\n"
	"Here: 0 the suite (every suite) passed; 1 one failed; 2 usage, an unreadable or\n"
	"unknown suite, an unknown expectation type, a --result FILE that cannot be opened\n"
	"(it is opened before any input is read); 65 input that is not NDJSON objects\n"
	"(FILE:LINE named, nothing written: a --result FILE is left as it was); 70 a failed\n"
	"write or close (stdout, --result FILE once opened, $TMPDIR).\n",
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct gx_args *a = ctx;
	json_t *v;

	switch (id) {
	case O_SUITE: a->suite = arg; break;
	case O_SUITES: a->suites = arg; break;
	case O_RESULT: a->result = arg; break;
	case O_RF:
		v = json_string(arg);
		if (gx_parse_rf(v, &a->rf, &a->partial) != 0)
			usage_error(&spec, "--result-format '%s': expected BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE", arg);
		json_decref(v);
		break;
	case O_PARTIAL: a->partial = (int)opt_long("partial-count", arg, 0, 1000000); break;
	case O_PASS: a->pass = 1; break;
	case O_TABLE: a->table = arg; break;
	case O_DTYPES: a->dtypes = arg; break;
	case O_ALL: a->all = 1; break;
	case O_DRY: a->dry = 1; break;
	case O_RUNID: a->runid = arg; break;
	case O_SCHEMAS: a->schemas = arg; break;
	case O_PRETTY: a->pretty = 1; break;
	}
}

/* ---- reporting ---- */

int main(int argc, char **argv)
{
	struct gx_args a = { .spec = &spec, .rf = RF_DEFAULT, .partial = -1 };
	int first, rc;

	first = opts_parse(&spec, argc, argv, on_opt, &a);
	out_init();
	if (a.all) {
		if (a.suite || a.suites || a.pass || a.table || a.dtypes || a.result || first < argc)
			usage_error(&spec, "--all takes no --suite, --suites, --pass, --table, --dtypes, --result or INPUT");
		rc = gx_run_all(&a);
	} else if (a.suites) {
		if (a.suite || a.table || a.dtypes)
			usage_error(&spec, "--suites takes no --suite, --table or --dtypes");
		if (a.dry || a.runid)
			usage_error(&spec, "--dry-run and --run-id go with --all");
		rc = gx_run_routed(&a, argv + first, argc - first);
	} else {
		if (!a.suite)
			usage_error(&spec, "--suite FILE (or --suites DIR, or --all) is required");
		if (a.dry || a.runid)
			usage_error(&spec, "--dry-run and --run-id go with --all");
		rc = gx_run_files(&a, argv + first, argc - first);
	}
	out_finish();
	return rc;
}
