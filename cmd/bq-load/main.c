/*
 * bq-load: validate NDJSON rows against the contract and write them all in
 * one transaction, or none of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "ndjson.h"
#include "opts.h"
#include "report.h"
#include "row.h"
#include "schema.h"
#include "warehouse.h"

enum { O_APPEND = 'a', O_REPLACE = 'r', O_UPSERT = 'u', O_TABLE = 't', O_IGNORE = 'i',
       O_SCHEMAS = 's', O_DRY = 'n', O_MAXERR = 'm', O_QUIET = 'q' };

static const struct opt options[] = {
	{ O_TABLE, "table", 't', "TABLE", "load into TABLE (same as giving it as the first operand)" },
	{ O_APPEND, "append", 0, NULL, "add the rows; a key already present is refused (default)" },
	{ O_REPLACE, "replace", 0, NULL, "replace each loaded table's contents with the rows, atomically" },
	{ O_UPSERT, "upsert", 0, NULL, "insert, or replace the row with the same key" },
	{ O_IGNORE, "ignore-unknown", 0, NULL, "drop fields that are not columns instead of refusing the row" },
	{ O_DRY, "dry-run", 'n', NULL, "check and write every row, then roll back" },
	{ O_MAXERR, "max-errors", 0, "N", "show at most N bad rows (default 20; all are counted)" },
	{ O_SCHEMAS, "schemas", 0, "DIR", "read the contract from DIR" },
	{ O_QUIET, "quiet", 'q', NULL, "no per-table report on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"bq-load",
	"[options] [TABLE] [FILE...]",
	"Load NDJSON rows (FILEs, or stdin) into the warehouse.  Every row is checked against\n"
	"the table's schema: types (INT64 a whole number, FLOAT64 finite, BOOL true/false,\n"
	"DATE a real YYYY-MM-DD day, TIMESTAMP RFC 3339, stored as UTC), REQUIRED columns\n"
	"present and not null, no unknown columns.  Without TABLE each row goes to the table\n"
	"its \"_table\" field names, all tables in one transaction.\n"
	"\n"
	"All or nothing: when any row is bad, nothing is written; each bad row is reported as\n"
	"FILE:LINE: reason, and the exit status is 65.  Rows loaded per table are reported\n"
	"on stderr.  --replace with a TABLE empties it even when the input has no rows.",
	options,
	WH_ENV_HELP
	"\n"
	"Examples:\n"
	"  bq-load ads_campaign_performance day.ndjson\n"
	"  cat tagged/*.ndjson | bq-load --upsert   # rows routed by their _table field\n",
};

struct args {
	const char *table, *schemas;
	enum wh_load_mode mode;
	int nmodes, ignore, dry, quiet;
	long long maxerr;
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_TABLE: a->table = arg; break;
	case O_APPEND: a->mode = WH_APPEND; a->nmodes++; break;
	case O_REPLACE: a->mode = WH_REPLACE; a->nmodes++; break;
	case O_UPSERT: a->mode = WH_UPSERT; a->nmodes++; break;
	case O_IGNORE: a->ignore = 1; break;
	case O_DRY: a->dry = 1; break;
	case O_MAXERR: a->maxerr = opt_long("max-errors", arg, 0, 1000000000); break;
	case O_SCHEMAS: a->schemas = arg; break;
	case O_QUIET: a->quiet = 1; break;
	}
}

/* 1 when s reads like a table name rather than a path. */
static int looks_like_table(const char *s)
{
	return strchr(s, '/') == NULL && strstr(s, ".json") == NULL && strcmp(s, "-") != 0 &&
	       access(s, F_OK) != 0;
}

/* Inside a flow step: rows read, rows written and rows per table. */
static void report_loaded(const struct schema_set *set, const size_t *counts,
			  const struct args *a, unsigned long long nread, size_t total)
{
	size_t cap = 64, len = 0, t;
	char *d = xmalloc(cap);

	len += (size_t)snprintf(d, cap, "{\"dry_run\":%s,\"tables\":{", a->dry ? "true" : "false");
	for (t = 0; t < set->ntables; t++) {
		if (!counts[t])
			continue;
		char *item = xasprintf("%s\"%s\":%zu", d[len - 1] == '{' ? "" : ",",
				       set->tables[t].qname, counts[t]);
		size_t n = strlen(item);
		if (len + n + 3 > cap) {
			cap = 2 * (len + n + 3);
			d = xrealloc(d, cap);
		}
		memcpy(d + len, item, n + 1);
		len += n;
		free(item);
	}
	memcpy(d + len, "}}", 3);
	step_report("bq-load", (long long)nread, a->dry ? 0 : (long long)total, d);
	free(d);
}

int main(int argc, char **argv)
{
	static const char *const mode_names[] = { "append", "replace", "upsert" };
	struct args a = { .mode = WH_APPEND, .maxerr = 20 };
	const struct table_schema *fixed = NULL;
	struct schema_set *set;
	struct row_parser *rp;
	struct wh_err err = { 0 };
	struct wh *w;
	char why[1100];
	size_t *counts, t, total = 0;
	unsigned long long bad = 0, seen = 0, nread = 0;
	int progress, shown = 0;   /* a "\r" progress line is on the terminal */
	int first, f, nfiles;

	first = opts_parse(&spec, argc, argv, on_opt, &a);
	if (a.nmodes > 1)
		usage_error(&spec, "--append, --replace and --upsert exclude each other");
	set = schema_load(a.schemas);

	if (!a.table && first < argc && schema_table(set, argv[first]))
		a.table = argv[first++];
	else if (!a.table && first < argc && looks_like_table(argv[first]))
		usage_error(&spec, "'%s' is neither a table of the contract nor a file", argv[first]);
	if (a.table) {
		fixed = schema_table(set, a.table);
		if (!fixed)
			usage_error(&spec, "'%s' is not a table of the contract in '%s'", a.table, set->dir);
	}

	w = wh_open_env(set, WH_OPEN_WRITE, &err);
	if (!w)
		die(err.code, "%s", err.msg);
	rp = row_parser_new(set, fixed, a.ignore ? ROW_IGNORE_UNKNOWN : 0);
	if (wh_load_begin(w, a.mode, fixed, &err) != 0)
		die(err.code, "%s", err.msg);

	progress = isatty(2);
	nfiles = argc - first;
	for (f = 0; f < (nfiles ? nfiles : 1); f++) {
		struct nd_reader *r = nd_open(nfiles ? argv[first + f] : "-");
		struct nd_line line;
		struct row row;

		while (nd_next(r, &line)) {
			nread++;
			int rc = row_parse(rp, line.text, line.len, &row, why, sizeof why);
			if (rc == 0 && bad == 0) {
				rc = wh_load_row(w, &row, &err);
				if (rc != 0 && err.code != AELP_EXIT_DATAERR)
					die(err.code, "%s:%lu: %s", nd_name(r), line.lineno, err.msg);
				if (rc != 0)
					snprintf(why, sizeof why, "%s", err.msg);
			}
			if (progress && ++seen % 100000 == 0) {
				fprintf(stderr, "\rbq-load: %llu rows read", seen);
				shown = 1;
			}
			if (rc != 0) {
				if (shown) {
					fputc('\n', stderr);
					shown = 0;
				}
				if (bad < (unsigned long long)a.maxerr)
					warn("%s:%lu: %s", nd_name(r), line.lineno, why);
				bad++;
			}
		}
		nd_close(r);
	}
	if (shown)
		fputc('\n', stderr);
	row_parser_free(rp);

	counts = xcalloc(set->ntables, sizeof *counts);
	if (wh_load_end(w, bad == 0 && !a.dry, counts, &err) != 0)
		die(err.code, "%s", err.msg);
	if (bad) {
		if (bad > (unsigned long long)a.maxerr)
			warn("... and %llu more bad rows", bad - (unsigned long long)a.maxerr);
		die(AELP_EXIT_DATAERR, "%llu bad row%s; nothing was loaded", bad, bad == 1 ? "" : "s");
	}
	for (t = 0; t < set->ntables; t++) {
		int touched = counts[t] || (fixed == &set->tables[t]);
		total += counts[t];
		if (touched && !a.quiet)
			warn("%s %zu row%s into %s (%s)", a.dry ? "dry run, would load" : "loaded",
			     counts[t], counts[t] == 1 ? "" : "s", set->tables[t].qname, mode_names[a.mode]);
	}
	if (total == 0 && !fixed && !a.quiet)
		warn("no rows in the input; nothing loaded");
	report_loaded(set, counts, &a, nread, total);
	free(counts);
	wh_close(w);
	schema_free(set);
	return 0;
}
