/*
 * journey-summarize's readers (input.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "input.h"
#include "ndjson.h"
#include "row.h"
#include "timefmt.h"
#include "xsort.h"

#define SESSIONS "gaelp_users.journey_sessions"

/* The columns read, in this order, by both readers. */
static const char *const cols[] = { "user_id", "session_id", "session_start", "channel",
				    "converted", "converted_at", "conversion_value" };
enum { C_USER, C_SID, C_START, C_CHAN, C_CONV, C_CONVAT, C_VALUE, NC };

/* Fill r from the seven values (strings point into scratch, which the
 * caller frees).  0, 1 when outside [from, until), or -1 with why. */
static int to_session(const struct value *v[NC], double from, double until,
		      struct js_session *r, char *scratch[3], char *why, size_t whysz)
{
	char ts[TS_CANON_MAX + 1];
	const char *p;
	size_t n;

	for (n = 0; n < 3; n++)
		scratch[n] = NULL;
	if (v[C_START]->kind != V_TEXT || v[C_START]->n >= sizeof ts)
		return errorf(why, whysz, -1, "session_start is not a timestamp");
	memcpy(ts, v[C_START]->s, v[C_START]->n);
	ts[v[C_START]->n] = 0;
	if (timestamp_epoch(ts, &r->start) != 0)
		return errorf(why, whysz, -1, "session_start '%s' is not a timestamp", ts);
	scratch[0] = value_str(v[C_USER]);
	scratch[1] = value_str(v[C_SID]);
	scratch[2] = value_str(v[C_CHAN]);
	if (strlen(scratch[0]) != v[C_USER]->n || strlen(scratch[1]) != v[C_SID]->n ||
	    strlen(scratch[2]) != v[C_CHAN]->n)
		return errorf(why, whysz, -1, "user_id, session_id and channel may not contain NUL");
	if ((p = js_channel_problem(scratch[2])))
		return errorf(why, whysz, -1, "channel '%s': %s", scratch[2], p);
	if (r->start < from || r->start >= until)
		return 1;   /* checked, but outside the window */
	r->user = scratch[0];
	r->session_id = scratch[1];
	r->channel = scratch[2];
	r->converted = v[C_CONV]->kind == V_INT && v[C_CONV]->i != 0;
	r->conv_at = NAN;
	if (v[C_CONVAT]->kind == V_TEXT) {
		if (v[C_CONVAT]->n >= sizeof ts)
			return errorf(why, whysz, -1, "converted_at is not a timestamp");
		memcpy(ts, v[C_CONVAT]->s, v[C_CONVAT]->n);
		ts[v[C_CONVAT]->n] = 0;
		if (timestamp_epoch(ts, &r->conv_at) != 0)
			return errorf(why, whysz, -1, "converted_at '%s' is not a timestamp", ts);
	}
	r->value = value_num(v[C_VALUE]);
	if (isnan(r->value))
		r->value = 0;
	if (r->converted && r->value < 0)
		return errorf(why, whysz, -1, "conversion_value %g is negative", r->value);
	if (r->converted && !isnan(r->conv_at) && r->conv_at < r->start)
		return errorf(why, whysz, -1, "converted_at is before session_start");
	return 0;
}

int in_read_warehouse(struct wh *w, double from, double until, struct js_summary *s,
		      unsigned long long *rows, char *err, size_t errsz)
{
	char a[TS_CANON_MAX], b[TS_CANON_MAX], why[512];
	/* One day more than needed at the low end: TIMESTAMP is text in the
	 * embedded warehouse (and "...:00Z" sorts after "...:00.5Z"); the exact
	 * bound is applied here. */
	struct wh_param p[2] = { { "a", T_TIMESTAMP, a }, { "b", T_TIMESTAMP, b } };
	struct wh_err we = { 0 };
	struct wh_query *q;
	const struct value *vals;
	int rc;

	timestamp_from_epoch(from - JS_DAY, a);
	timestamp_from_epoch(until + JS_DAY, b);
	q = wh_query_open(w, "SELECT user_id, session_id, session_start, channel, converted, "
			  "converted_at, conversion_value FROM gaelp_users.journey_sessions "
			  "WHERE session_start >= @a AND session_start < @b ORDER BY user_id",
			  p, 2, &we);
	if (!q)
		return errorf(err, errsz, we.missing == WH_NO_TABLE ? AELP_EXIT_GATE : we.code,
			      "%s", we.msg);
	*rows = 0;
	while ((rc = wh_query_next(q, &vals, &we)) == 1) {
		const struct value *v[NC];
		struct js_session r;
		char *sc[3];
		size_t i;
		int k;
		for (i = 0; i < NC; i++)
			v[i] = &vals[i];
		(*rows)++;
		k = to_session(v, from, until, &r, sc, why, sizeof why);
		if (k < 0) {
			char *sid = value_str(v[C_SID]);
			errorf(err, errsz, AELP_EXIT_DATAERR, "%s: session '%s': %s", SESSIONS, sid, why);
			free(sid);
		} else if (k == 0) {
			js_push(s, &r);
		}
		for (i = 0; i < 3; i++)
			free(sc[i]);
		if (k < 0) {
			wh_query_close(q);
			return AELP_EXIT_DATAERR;
		}
	}
	wh_query_close(q);
	if (rc < 0)
		return errorf(err, errsz, we.code, "%s", we.msg);
	js_flush(s);
	return 0;
}

int in_read_rows(const struct schema_set *set, char *const *files, size_t nfiles, double from,
		 double until, size_t budget, struct js_summary *s, unsigned long long *rows,
		 size_t *runs, char *err, size_t errsz)
{
	const struct table_schema *t = schema_table(set, SESSIONS);
	struct row_parser *rp;
	struct xsort *x;
	long idx[NC];
	size_t f, i;
	int rc = 0;

	if (!t)
		return errorf(err, errsz, AELP_EXIT_USAGE, "the contract has no table %s", SESSIONS);
	for (i = 0; i < NC; i++)
		if ((idx[i] = schema_column(t, cols[i])) < 0)
			return errorf(err, errsz, AELP_EXIT_USAGE, "%s has no column %s", SESSIONS, cols[i]);
	rp = row_parser_new(set, t, 0);
	x = xs_new(budget);
	*rows = 0;
	for (f = 0; f < (nfiles ? nfiles : 1) && !rc; f++) {
		struct nd_reader *r = nd_open(nfiles ? files[f] : NULL);
		struct nd_line ln;
		char why[768];
		while (nd_next(r, &ln)) {
			struct row row;
			const struct value *v[NC];
			struct js_session ses;
			char *sc[3];
			int k;
			if (row_parse(rp, ln.text, ln.len, &row, why, sizeof why) != 0) {
				rc = errorf(err, errsz, AELP_EXIT_DATAERR, "%s:%lu: %s", nd_name(r),
					    ln.lineno, why);
				break;
			}
			(*rows)++;
			for (i = 0; i < NC; i++)
				v[i] = &row.v[idx[i]];
			k = to_session(v, from, until, &ses, sc, why, sizeof why);
			if (k < 0)
				rc = errorf(err, errsz, AELP_EXIT_DATAERR, "%s:%lu: %s", nd_name(r),
					    ln.lineno, why);
			else if (k == 0)
				xs_add(x, &ses);
			for (i = 0; i < 3; i++)
				free(sc[i]);
			if (rc)
				break;
		}
		nd_close(r);
	}
	row_parser_free(rp);
	if (!rc)
		xs_drain(x, s);
	*runs = xs_runs(x);
	xs_free(x);
	return rc;
}
