/*
 * bq-ensure: create every table and view of the contract in the warehouse,
 * idempotently.  One NDJSON row per object on stdout says what was done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "ndjson.h"
#include "opts.h"
#include "schema.h"
#include "warehouse.h"

enum { O_SCHEMAS = 's', O_DRY = 'n', O_QUIET = 'q' };

static const struct opt options[] = {
	{ O_SCHEMAS, "schemas", 0, "DIR", "read the contract from DIR (default: $AELP_SCHEMAS, else the repo's schemas/)" },
	{ O_DRY, "dry-run", 'n', NULL, "say what would change, then roll back" },
	{ O_QUIET, "quiet", 'q', NULL, "no summary line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"bq-ensure",
	"[options] [TABLE|VIEW...]",
	"Create every table and view of the contract (schemas/) in the warehouse, or only\n"
	"those named.  Idempotent: a second run changes nothing and says so.  A table whose\n"
	"schema gained a NULLABLE column gets it added; an existing table that conflicts with\n"
	"its schema (a type or mode changed, a column removed, a new REQUIRED column) is\n"
	"refused, and then nothing at all is changed.\n"
	"\n"
	"Writes one NDJSON row per object to stdout:\n"
	"  {\"object\":\"table\",\"name\":\"ads_campaign_performance\",\"action\":\"created\",\"detail\":\"...\"}\n"
	"with action created, altered, replaced (a view whose query changed) or unchanged.",
	options,
	WH_ENV_HELP
	"\n"
	"Example:\n"
	"  bq-ensure && bq-ensure | grep -v unchanged   # the second run prints nothing\n",
};

struct args {
	const char *schemas;
	int dry, quiet;
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_SCHEMAS: a->schemas = arg; break;
	case O_DRY: a->dry = 1; break;
	case O_QUIET: a->quiet = 1; break;
	}
}

/* Rows are held until the run commits: a refused run prints none. */
static void emit(FILE *f, const char *kind, const char *name, enum wh_action act, const char *detail)
{
	fputs("{\"object\":", f);
	jw_str(f, kind, strlen(kind));
	fputs(",\"name\":", f);
	jw_str(f, name, strlen(name));
	fputs(",\"action\":", f);
	jw_str(f, wh_action_name(act), strlen(wh_action_name(act)));
	if (*detail) {
		fputs(",\"detail\":", f);
		jw_str(f, detail, strlen(detail));
	}
	fputs("}\n", f);
}

static int wanted(char **names, int n, const char *name, int *used)
{
	int i;
	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0) {
			used[i] = 1;
			return 1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct schema_set *set;
	struct wh_err err = { 0 };
	struct wh *w;
	char detail[512], *report = NULL;
	size_t reportlen = 0;
	FILE *rf;
	int first, nnames, *used, i;
	size_t t, counts[4] = { 0 };
	enum wh_action act;

	first = opts_parse(&spec, argc, argv, on_opt, &a);
	out_init();
	set = schema_load(a.schemas);
	nnames = argc - first;
	used = xcalloc((size_t)nnames + 1, sizeof *used);

	w = wh_open_env(set, WH_OPEN_WRITE, &err);
	if (!w)
		die(err.code, "%s", err.msg);
	if (wh_ensure_begin(w, &err) != 0)
		die(err.code, "%s", err.msg);
	rf = open_memstream(&report, &reportlen);
	if (!rf)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	for (t = 0; t < set->ntables; t++) {
		const struct table_schema *ts = &set->tables[t];
		if (!wanted(argv + first, nnames, ts->qname, used))
			continue;
		if (wh_ensure_table(w, ts, &act, detail, sizeof detail, &err) != 0) {
			wh_ensure_end(w, 0, &(struct wh_err){ 0 });
			die(err.code, "%s; nothing was changed", err.msg);
		}
		counts[act]++;
		emit(rf, "table", ts->qname, act, detail);
	}
	for (t = 0; t < set->nviews; t++) {
		const struct view_def *v = &set->views[t];
		if (!wanted(argv + first, nnames, v->name, used))
			continue;
		if (wh_ensure_view(w, v, &act, detail, sizeof detail, &err) != 0) {
			wh_ensure_end(w, 0, &(struct wh_err){ 0 });
			die(err.code, "%s; nothing was changed", err.msg);
		}
		counts[act]++;
		emit(rf, "view", v->name, act, detail);
	}
	for (i = 0; i < nnames; i++)
		if (!used[i]) {
			wh_ensure_end(w, 0, &err);
			die(AELP_EXIT_USAGE, "'%s' is neither a table nor a view of the contract in '%s'",
			    argv[first + i], set->dir);
		}
	if (wh_ensure_end(w, !a.dry, &err) != 0)
		die(err.code, "%s", err.msg);
	if (fclose(rf) != 0)
		die(AELP_EXIT_SOFTWARE, "out of memory");
	fwrite(report, 1, reportlen, stdout);
	free(report);
	if (!a.quiet) {
		if (counts[WH_CREATED] + counts[WH_ALTERED] + counts[WH_REPLACED] == 0)
			warn("%s: nothing to do: %zu objects up to date", wh_describe(w), counts[WH_UNCHANGED]);
		else
			warn("%s: %s%zu created, %zu altered, %zu replaced, %zu unchanged", wh_describe(w),
			     a.dry ? "dry run, rolled back: " : "", counts[WH_CREATED], counts[WH_ALTERED],
			     counts[WH_REPLACED], counts[WH_UNCHANGED]);
	}
	free(used);
	wh_close(w);
	schema_free(set);
	out_finish();
	return 0;
}
