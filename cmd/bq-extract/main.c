/*
 * bq-extract: rows of a table, or of a query, as NDJSON with the contract's
 * types preserved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "ndjson.h"
#include "opts.h"
#include "row.h"
#include "schema.h"
#include "warehouse.h"

enum { O_QUERY = 'Q', O_PARAM = 'p', O_SCHEMAS = 's' };

static const struct opt options[] = {
	{ O_QUERY, "query", 0, "SQL", "run SQL (one SELECT) instead of reading a table" },
	{ O_PARAM, "param", 'p', "NAME[:TYPE]=VALUE", "bind @NAME in the query; TYPE is STRING (default), INT64, FLOAT64, BOOL, DATE or TIMESTAMP" },
	{ O_SCHEMAS, "schemas", 0, "DIR", "read the contract from DIR" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"bq-extract",
	"[options] TABLE | --query SQL [--param NAME[:TYPE]=VALUE ...]",
	"Write the rows of TABLE (columns in schema order, in load order), or of a query, to\n"
	"stdout as NDJSON.  Types are preserved: INT64 is a JSON integer, FLOAT64 a number\n"
	"with a fraction or exponent, BOOL true/false, DATE \"YYYY-MM-DD\", TIMESTAMP\n"
	"\"YYYY-MM-DDTHH:MM:SS[.ffffff]Z\", JSON the stored value itself, NULL null.  A query\n"
	"column that is an expression (COUNT(*), a sum) takes the type of its value.\n"
	"Only statements that read may run (SELECT, WITH); the warehouse changes through\n"
	"bq-load and bq-ensure.",
	options,
	WH_ENV_HELP
	"\n"
	"Examples:\n"
	"  bq-extract gaelp_users.journey_sessions\n"
	"  bq-extract --query 'SELECT * FROM ads_campaign_daily WHERE date >= @start' \\\n"
	"             --param start:DATE=2025-01-01\n",
};

struct args {
	const char *query, *schemas;
	struct wh_param *params;
	size_t nparams;
};

/* BigQuery's parameter names: a letter or '_', then letters, digits, '_'. */
static int param_name_valid(const char *s)
{
	size_t i;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i <= 128;
}

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	struct wh_param *p;
	const char *eq, *colon;
	char *name, *type;

	switch (id) {
	case O_QUERY: a->query = arg; break;
	case O_SCHEMAS: a->schemas = arg; break;
	case O_PARAM:
		eq = strchr(arg, '=');
		if (!eq || eq == arg)
			usage_error(&spec, "--param '%s': expected NAME=VALUE or NAME:TYPE=VALUE", arg);
		a->params = xrealloc(a->params, (a->nparams + 1) * sizeof *a->params);
		p = &a->params[a->nparams++];
		colon = memchr(arg, ':', (size_t)(eq - arg));
		name = xstrndup(arg, (size_t)((colon ? colon : eq) - arg));
		if (!param_name_valid(name))
			usage_error(&spec, "--param '%s': '%s' is not a parameter name "
				    "(letters, digits, '_')", arg, name);
		p->name = name;
		p->type = T_STRING;
		p->value = eq + 1;
		if (colon) {
			type = xstrndup(colon + 1, (size_t)(eq - colon - 1));
			if (col_type_parse(type, &p->type) != 0 || p->type == T_JSON)
				usage_error(&spec, "--param '%s': unknown type '%s'", arg, type);
			free(type);
		}
		break;
	}
}

/*
 * One row as a JSON object; keys are pre-encoded ("\"name\":").  A JSON
 * column is written as its value; text that is not one JSON value (a query
 * can mix such text into a JSON column) is written as a string instead.
 * Text that is not UTF-8 (only a query's own expressions can make it) is
 * bad data: exit 65 naming the column and row.
 */
static void write_row(struct wh_query *q, char **keys, const struct value *v, unsigned long rowno)
{
	size_t i, n = wh_query_ncols(q);

	putc_unlocked('{', stdout);
	for (i = 0; i < n; i++) {
		int type = wh_query_type(q, i);
		if (i)
			putc_unlocked(',', stdout);
		fputs_unlocked(keys[i], stdout);
		if (jw_value(stdout, &v[i], type) != 0)
			die(AELP_EXIT_DATAERR, "row %lu: column '%s' holds text that is not UTF-8 "
			    "(cast it, e.g. hex(...))", rowno, wh_query_name(q, i));
	}
	fputs_unlocked("}\n", stdout);
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct schema_set *set;
	struct wh_err err = { 0 };
	struct wh_query *q;
	struct wh *w;
	const struct value *vals;
	char **keys;
	size_t i, j, n;
	unsigned long rows = 0;
	int first, rc;

	first = opts_parse(&spec, argc, argv, on_opt, &a);
	if (a.query && first != argc)
		usage_error(&spec, "give a TABLE or --query, not both");
	if (!a.query && argc - first != 1)
		usage_error(&spec, "give one TABLE, or --query SQL");
	if (!a.query && a.nparams)
		usage_error(&spec, "--param goes with --query");
	out_init();
	set = schema_load(a.schemas);

	w = wh_open_env(set, WH_OPEN_READ, &err);
	if (!w)
		die(err.code, "%s", err.msg);
	if (a.query) {
		q = wh_query_open(w, a.query, a.params, a.nparams, &err);
	} else {
		const struct table_schema *t = schema_table(set, argv[first]);
		if (!t)
			usage_error(&spec, "'%s' is not a table of the contract (for a view, use "
				    "--query 'SELECT * FROM %s')", argv[first], argv[first]);
		q = wh_query_table(w, t, &err);
	}
	if (!q)
		die(err.code, "%s", err.msg);

	n = wh_query_ncols(q);
	keys = xcalloc(n + 1, sizeof *keys);
	for (i = 0; i < n; i++) {
		const char *name = wh_query_name(q, i);
		char *k = NULL;
		size_t klen = 0;
		FILE *mem = open_memstream(&k, &klen);
		for (j = 0; j < i; j++)
			if (strcmp(wh_query_name(q, j), name) == 0)
				die(AELP_EXIT_USAGE, "the query returns two columns named '%s'; give one "
				    "an alias (AS other_name)", name);
		if (!mem)
			die(AELP_EXIT_SOFTWARE, "out of memory");
		jw_key(mem, name);
		fclose(mem);
		keys[i] = k;
	}
	while ((rc = wh_query_next(q, &vals, &err)) == 1) {
		write_row(q, keys, vals, ++rows);
		if ((rows & 1023) == 0)
			out_check(stdout);
	}
	if (rc < 0)
		die(err.code, "%s", err.msg);
	out_finish();
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	for (i = 0; i < a.nparams; i++)
		free((char *)a.params[i].name);
	free(a.params);
	wh_query_close(q);
	wh_close(w);
	schema_free(set);
	return 0;
}
