/*
 * gx-check on rows: files or stdin against one suite, or "_table"-tagged
 * rows routed to the suite of each table; --pass spills the input and lets
 * it through only when every suite passed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "ndjson.h"
#include "report.h"
#include "run.h"

enum gx_dtype gx_contract_dtype(enum col_type t)
{
	switch (t) {
	case T_INT64: return DT_INT64;
	case T_FLOAT64: return DT_FLOAT64;
	case T_BOOL: return DT_BOOL;
	case T_TIMESTAMP: return DT_DATETIMETZ;
	default: return DT_OBJECT;
	}
}

void gx_declare_table(struct gx_frame *f, const struct table_schema *t)
{
	size_t i;
	for (i = 0; i < t->ncols; i++)
		gx_col_declare(f, t->cols[i].name, gx_contract_dtype(t->cols[i].type));
	f->fixed = 1;
}

/* --dtypes COL[=TYPE],...: declare columns first, in order. */
static void declare_dtypes(const struct opts_spec *spec, struct gx_frame *f, const char *specs)
{
	char *copy = xstrdup(specs), *p = copy, *item;

	while ((item = strsep(&p, ",")) != NULL) {
		char *eq = strchr(item, '=');
		int t = DT_AUTO;
		if (eq) {
			*eq = '\0';
			t = gx_dtype_parse(eq + 1);
			if (t < 0)
				usage_error(spec, "--dtypes: unknown dtype '%s' for column '%s'", eq + 1, item);
		}
		if (!*item)
			usage_error(spec, "--dtypes: an empty column name");
		gx_col_declare(f, item, (enum gx_dtype)t);
	}
	free(copy);
}

void gx_report_failures(const char *suite, const json_t *res)
{
	json_t *one;
	size_t i;
	json_array_foreach(json_object_get(res, "results"), i, one) {
		char *line;
		if (json_is_true(json_object_get(one, "success")))
			continue;
		line = gx_failure_line(one);
		warn("suite %s failed: %s", suite, line);
		free(line);
	}
}

/*
 * Where results go: --result FILE, else stdout unless --pass (then nowhere).
 * The file is opened before any input is read, so that a bad path is a
 * usage error at once (exit 2), not after a long input.  It is neither
 * truncated nor left behind until there is a result to write: bad input
 * (exit 65) leaves an old file as it was and removes a file we created.
 */
static int result_created;

static FILE *result_open(const struct gx_args *a)
{
	FILE *out;
	int fd;

	if (!a->result)
		return a->pass ? NULL : stdout;
	fd = open(a->result, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	result_created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(a->result, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || !(out = fdopen(fd, "w")))
		die(AELP_EXIT_USAGE, "cannot write '%s': %s", a->result, strerror(errno));
	return out;
}

/* Bad rows: say so, drop a result file we created, exit 65. */
static void bad_rows(const struct gx_args *a, unsigned long long bad)
{
	if (bad > 20)
		warn("... and %llu more bad rows", bad - 20);
	if (a->result && result_created)
		unlink(a->result);
	die(AELP_EXIT_DATAERR, "%llu bad row%s; nothing was validated", bad, bad == 1 ? "" : "s");
}

/* Before the first result: empty the file (an old, longer result must not show through). */
static void result_begin(const struct gx_args *a, FILE *out)
{
	struct stat st;
	if (!out || out == stdout)
		return;
	if (fstat(fileno(out), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    ftruncate(fileno(out), 0) != 0)
		die(AELP_EXIT_SOFTWARE, "write error on '%s': %s", a->result, strerror(errno));
}

static void result_write(const struct gx_args *a, FILE *out, const json_t *res)
{
	if (!out)
		return;
	gx_json_write(out, res, a->pretty ? 2 : 0);
	fputc('\n', out);
	out_check(out);
}

static void result_close(const struct gx_args *a, FILE *out)
{
	if (out && out != stdout && (fflush(out) != 0 || ferror(out) || fclose(out) != 0))
		die(AELP_EXIT_SOFTWARE, "write error on '%s': %s", a->result, strerror(errno));
}

/* Copy the spilled rows to stdout (--pass, the suite passed). */
static void pass_rows(FILE *spill)
{
	char buf[65536];
	size_t got;

	if (fflush(spill) != 0 || fseek(spill, 0, SEEK_SET) != 0)
		die(AELP_EXIT_SOFTWARE, "cannot read back the rows: %s", strerror(errno));
	while ((got = fread(buf, 1, sizeof buf, spill)) > 0)
		if (fwrite(buf, 1, got, stdout) != got)
			break;
	if (ferror(spill))
		die(AELP_EXIT_SOFTWARE, "cannot read back the rows: %s", strerror(errno));
	out_check(stdout);
}

/* Inside a flow step: rows read and the verdict of each suite. */
void gx_report_step(unsigned long long rows, long long written, json_t *suites)
{
	char *d;
	json_t *details = json_pack("{s:o}", "suites", suites);
	d = gx_json_text(details);
	step_report("gx-check", (long long)rows, written, d);
	free(d);
	json_decref(details);
}

json_t *gx_suite_verdict(const json_t *res, unsigned long long rows)
{
	return json_pack("{s:O,s:I,s:O}", "success", json_object_get(res, "success"), "rows", (json_int_t)rows,
			 "statistics", json_object_get(res, "statistics"));
}

int gx_run_files(const struct gx_args *a, char **files, int nfiles)
{
	struct gx_frame f;
	struct gx_suite *s;
	struct schema_set *set = NULL;
	FILE *spill = NULL;
	char why[512];
	unsigned long long bad = 0;
	json_t *res, *batch;
	FILE *out;
	int i, ok;

	gx_frame_init(&f);
	if (a->table) {
		const struct table_schema *t;
		set = schema_load(a->schemas);
		t = schema_table(set, a->table);
		if (!t)
			usage_error(a->spec, "'%s' is not a table of the contract in '%s'", a->table, set->dir);
		gx_declare_table(&f, t);
	}
	if (a->dtypes)
		declare_dtypes(a->spec, &f, a->dtypes);
	s = gx_suite_load(a->suite, &f, a->rf, a->partial);
	out = result_open(a);
	if (a->pass)
		spill = gx_tmpfile();

	for (i = 0; i < (nfiles ? nfiles : 1); i++) {
		struct nd_reader *r = nd_open(nfiles ? files[i] : "-");
		struct nd_line line;

		nd_tee(r, spill);
		while (nd_next(r, &line)) {
			if (gx_scan_line(&f, line.text, line.len, why, sizeof why) != 0) {
				if (bad < 20)
					warn("%s:%lu: %s", nd_name(r), line.lineno, why);
				bad++;
			} else if (!bad) {
				gx_feed(s, &f);
			}
			f.rowno++;
			f.nrows = f.rowno;
		}
		nd_close(r);
	}
	if (bad)
		bad_rows(a, bad);

	batch = json_object();
	json_object_set_new(batch, "row_count", json_integer((json_int_t)f.nrows));
	if (a->table)
		json_object_set_new(batch, "table", json_string(a->table));
	res = gx_finish(s, &f, batch);
	ok = json_is_true(json_object_get(res, "success"));
	result_begin(a, out);
	result_write(a, out, res);
	result_close(a, out);
	if (!ok)
		gx_report_failures(s->name, res);
	if (ok && spill)
		pass_rows(spill);
	gx_report_step(f.nrows, 0, json_pack("{s:o}", s->name, gx_suite_verdict(res, f.nrows)));
	if (spill)
		fclose(spill);
	json_decref(res);
	gx_suite_free(s);
	gx_frame_release(&f);
	schema_free(set);
	return ok ? 0 : AELP_EXIT_GATE;
}

int gx_is_suite_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* ---- --suites: rows of several tables, each against its table's suite ---- */

struct routed {
	struct gx_frame f;
	struct gx_suite *s;
	const struct table_schema *t;
};

int gx_run_routed(const struct gx_args *a, char **files, int nfiles)
{
	struct schema_set *set = schema_load(a->schemas);
	struct gx_frame router;
	struct routed *rt = NULL;
	struct dirent **ents;
	FILE *spill = NULL, *out;
	json_t *verdicts = json_object();
	char why[512];
	unsigned long long bad = 0, rows = 0, unchecked = 0;
	int n, i, k, failed = 0;

	n = scandir(a->suites, &ents, gx_is_suite_file, alphasort);
	if (n < 0)
		usage_error(a->spec, "cannot read the suites folder '%s': %s", a->suites, strerror(errno));
	if (n == 0)
		usage_error(a->spec, "no suites (*.json) in '%s'", a->suites);
	rt = xcalloc((size_t)n, sizeof *rt);
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", a->suites, ents[i]->d_name), *tname;
		gx_frame_init(&rt[i].f);
		rt[i].s = gx_suite_load(path, &rt[i].f, a->rf, a->partial);
		tname = rt[i].s->table ? xstrdup(rt[i].s->table)
				       : xstrndup(ents[i]->d_name, strlen(ents[i]->d_name) - 5);
		rt[i].t = schema_table(set, tname);
		if (!rt[i].t)
			usage_error(a->spec, "%s: table '%s' is not in the contract", path, tname);
		/* One suite per table: a row goes to one suite, so a second suite of
		 * the same table would silently judge nothing. */
		for (k = 0; k < i; k++)
			if (rt[k].t == rt[i].t)
				usage_error(a->spec, "%s and %s are both suites of table '%s' (one suite per table)",
					    rt[k].s->file, path, tname);
		gx_declare_table(&rt[i].f, rt[i].t);
		free(tname);
		free(path);
		free(ents[i]);
	}
	free(ents);
	/* The router keeps no column: it only finds each row's "_table". */
	gx_frame_init(&router);
	router.fixed = 1;
	out = result_open(a);
	if (a->pass)
		spill = gx_tmpfile();

	for (k = 0; k < (nfiles ? nfiles : 1); k++) {
		struct nd_reader *r = nd_open(nfiles ? files[k] : "-");
		struct nd_line line;

		nd_tee(r, spill);
		while (nd_next(r, &line)) {
			char *text = line.text;
			size_t len = line.len;
			struct routed *to = NULL;
			rows++;
			if (gx_scan_line(&router, text, len, why, sizeof why) != 0) {
				if (bad++ < 20)
					warn("%s:%lu: %s", nd_name(r), line.lineno, why);
				continue;
			}
			if (!router.route) {
				if (bad++ < 20)
					warn("%s:%lu: no \"_table\" field to route the row by", nd_name(r),
					     line.lineno);
				continue;
			}
			/* router.route is the decoded tag, the name bq-load will load into. */
			for (i = 0; i < n && !to; i++)
				if (strlen(rt[i].t->qname) == router.routen &&
				    memcmp(rt[i].t->qname, router.route, router.routen) == 0)
					to = &rt[i];
			if (!to) {
				char *name = xstrndup(router.route, router.routen);
				if (strlen(name) != router.routen || !schema_table(set, name)) {
					/* bq-load would refuse it: a bad row, never "no suite" */
					char *c;
					for (c = name; *c; c++)
						if ((unsigned char)*c < 0x20 || *c == 0x7f)
							*c = '?';   /* the name as text on one line */
					if (bad++ < 20)
						warn("%s:%lu: unknown table '%.80s%s'", nd_name(r), line.lineno, name,
						     strlen(name) > 80 ? "..." : "");
				} else {
					unchecked++;
				}
				free(name);
				continue;
			}
			if (gx_scan_line(&to->f, text, len, why, sizeof why) != 0) {
				if (bad++ < 20)
					warn("%s:%lu: %s", nd_name(r), line.lineno, why);
			} else if (!bad) {
				gx_feed(to->s, &to->f);
			}
			to->f.rowno++;
			to->f.nrows = to->f.rowno;
		}
		nd_close(r);
	}
	if (bad)
		bad_rows(a, bad);

	result_begin(a, out);
	for (i = 0; i < n; i++) {
		json_t *res, *batch;
		if (rt[i].f.nrows == 0)
			continue;   /* no rows of this table in the input: nothing to judge */
		batch = json_pack("{s:s,s:I}", "table", rt[i].t->qname, "row_count", (json_int_t)rt[i].f.nrows);
		res = gx_finish(rt[i].s, &rt[i].f, batch);
		result_write(a, out, res);
		if (!json_is_true(json_object_get(res, "success"))) {
			failed = 1;
			gx_report_failures(rt[i].s->name, res);
		}
		json_object_set_new(verdicts, rt[i].s->name, gx_suite_verdict(res, rt[i].f.nrows));
		json_decref(res);
	}
	result_close(a, out);
	if (!failed && spill)
		pass_rows(spill);
	if (unchecked)
		json_object_set_new(verdicts, "(no suite)", json_pack("{s:I}", "rows", (json_int_t)unchecked));
	gx_report_step(rows, 0, verdicts);
	if (spill)
		fclose(spill);
	for (i = 0; i < n; i++) {
		gx_suite_free(rt[i].s);
		gx_frame_release(&rt[i].f);
	}
	free(rt);
	gx_frame_release(&router);
	schema_free(set);
	return failed ? AELP_EXIT_GATE : 0;
}

