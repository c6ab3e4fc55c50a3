/* touch-attribute's inputs (read.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "ndjson.h"
#include "read.h"
#include "row.h"
#include "timefmt.h"
#include "warehouse.h"

#define TOUCH_TABLE "gaelp_users.persistent_touchpoints"
#define MAX_SHOWN 20

int ta_read_files(const struct schema_set *set, char *const *files, size_t nfiles,
		  struct ta_input *in, struct ta_read *rd, char *err, size_t errsz)
{
	const struct table_schema *t = schema_table(set, TOUCH_TABLE);
	struct row_parser *fixed, *any;
	long ix[F_N];
	size_t f, bad = 0, k;
	int c;

	memset(rd, 0, sizeof *rd);
	if (!t)
		die(AELP_EXIT_SOFTWARE, "the contract has no table " TOUCH_TABLE);
	for (k = 0; k < F_N; k++) {
		ix[k] = -1;
		for (c = 0; c < (int)t->ncols; c++)
			if (strcmp(t->cols[c].name, ta_field_names[k]) == 0)
				ix[k] = c;
		if (ix[k] < 0)
			die(AELP_EXIT_SOFTWARE, TOUCH_TABLE " has no column %s", ta_field_names[k]);
	}
	fixed = row_parser_new(set, t, 0);
	any = row_parser_new(set, NULL, 0);
	rd->names = xcalloc(nfiles + 1, sizeof *rd->names);
	for (f = 0; f < (nfiles ? nfiles : 1); f++) {
		struct nd_reader *r = nd_open(nfiles ? files[f] : NULL);
		struct nd_line ln;
		struct row row;
		char why[512], why2[512];
		rd->names[rd->nnames++] = xstrdup(nd_name(r));
		while (nd_next(r, &ln)) {
			if (row_parse(fixed, ln.text, ln.len, &row, why, sizeof why) == 0) {
				rd->rows++;
				if (ta_input_add(in, row.v, ix, rd->names[f], ln.lineno, why, sizeof why) == 0)
					continue;
			} else if (row_parse(any, ln.text, ln.len, &row, why2, sizeof why2) == 0 &&
				   row.table != t) {
				rd->other_tables++;
				continue;
			}
			if (++bad == 1)
				errorf(err, errsz, AELP_EXIT_DATAERR, "%s:%lu: %s", rd->names[f], ln.lineno, why);
			if (bad <= MAX_SHOWN)
				warn("%s:%lu: %s", rd->names[f], ln.lineno, why);
		}
		nd_close(r);
	}
	row_parser_free(fixed);
	row_parser_free(any);
	if (bad) {
		if (bad > MAX_SHOWN)
			warn("... and %zu more bad rows", bad - MAX_SHOWN);
		return AELP_EXIT_DATAERR;
	}
	return 0;
}

static void day_text(long long day, char *out, size_t n)
{
	long long y;
	unsigned m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(out, n, "%04lld-%02u-%02u", y, m, d);
}

int ta_read_warehouse(const struct schema_set *set, long long *latest_day, long long back_days,
		      struct ta_input *in, struct ta_read *rd, char *err, size_t errsz)
{
	static const long ix[F_N] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct wh_err we = { 0 };
	struct wh *w;
	struct wh_query *q;
	const struct value *v;
	char from[16], to[16], why[512];
	int got, rc = 0;

	memset(rd, 0, sizeof *rd);
	rd->names = xcalloc(2, sizeof *rd->names);
	rd->names[rd->nnames++] = xstrdup(TOUCH_TABLE);
	w = wh_open_env(set, WH_OPEN_READ, &we);
	if (!w)
		return errorf(err, errsz, we.missing == WH_NO_WAREHOUSE ? AELP_EXIT_GATE : we.code,
			      "%s: nothing to attribute", we.msg);
	if (*latest_day < 0) {
		q = wh_query_open(w, "SELECT MAX(touched_at) AS latest FROM " TOUCH_TABLE
				  " WHERE touch_type = 'conversion'", NULL, 0, &we);
		if (!q) {
			rc = errorf(err, errsz, we.missing == WH_NO_TABLE ? AELP_EXIT_USAGE : we.code,
				    "reading " TOUCH_TABLE ": %s%s", we.msg,
				    we.missing == WH_NO_TABLE ? " (run bq-ensure: the contract has it)" : "");
			goto out;
		}
		if ((got = wh_query_next(q, &v, &we)) == 1 && v[0].kind == V_TEXT) {
			char *s = value_str(&v[0]);
			*latest_day = ta_day(s);
			free(s);
		}
		wh_query_close(q);
		if (got < 0) {
			rc = errorf(err, errsz, we.code, "reading " TOUCH_TABLE ": %s", we.msg);
			goto out;
		}
		if (*latest_day < 0)
			goto out;
	}
	/* Timestamps are canonical UTC text: a day's text sorts before every
	 * instant of that day, so [from, to) is a text range. */
	day_text(*latest_day - back_days, from, sizeof from);
	day_text(*latest_day + 1, to, sizeof to);
	{
		const struct wh_param p[2] = { { "from", T_DATE, from }, { "to", T_DATE, to } };
		q = wh_query_open(w, "SELECT touchpoint_id, user_id, touched_at, touch_type, channel, "
				  "campaign_id, cost, conversion_id, conversion_type, conversion_value FROM "
				  TOUCH_TABLE " WHERE touched_at >= @from AND touched_at < @to "
				  "ORDER BY user_id, touched_at, touchpoint_id", p, 2, &we);
	}
	if (!q) {
		rc = errorf(err, errsz, we.missing == WH_NO_TABLE ? AELP_EXIT_USAGE : we.code,
			    "reading " TOUCH_TABLE ": %s%s", we.msg,
			    we.missing == WH_NO_TABLE ? " (run bq-ensure: the contract has it)" : "");
		goto out;
	}
	while ((got = wh_query_next(q, &v, &we)) == 1) {
		rd->rows++;
		if (ta_input_add(in, v, ix, rd->names[0], rd->rows, why, sizeof why) != 0) {
			rc = errorf(err, errsz, AELP_EXIT_DATAERR, TOUCH_TABLE " row %zu: %s", rd->rows, why);
			break;
		}
	}
	wh_query_close(q);
	if (got < 0 && !rc)
		rc = errorf(err, errsz, we.code, "reading " TOUCH_TABLE ": %s", we.msg);
out:
	wh_close(w);
	return rc;
}

void ta_read_free(struct ta_read *rd)
{
	size_t i;
	for (i = 0; i < rd->nnames; i++)
		free(rd->names[i]);
	free(rd->names);
	memset(rd, 0, sizeof *rd);
}
