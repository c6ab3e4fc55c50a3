/*
 * journey-summarize: per day, the channel paths users took before converting
 * or dropping, and the transitions between states, from
 * gaelp_users.journey_sessions.  The model is in journey.h, the readers in
 * input.h, the external sort in xsort.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "input.h"
#include "journey.h"
#include "ndjson.h"
#include "opts.h"
#include "report.h"
#include "timefmt.h"
#include "warehouse.h"

enum { O_DAYS = 'd', O_LOOKBACK = 'l', O_COLLAPSE = 'c', O_QUIET = 'q', O_DATE = 1000, O_MAXLEN,
       O_STDIN, O_MEMORY, O_RUNID, O_ASOF };

static const struct opt options[] = {
	{ O_DATE, "date", 0, "DAY", "the last day summarized (default: yesterday, UTC)" },
	{ O_ASOF, "as-of", 0, "DAY", "read sessions started up to the end of DAY >= --date (default --date): settled journeys" },
	{ O_DAYS, "days", 'd', "N", "summarize the N days ending at --date, 1 to 3660 (default 1)" },
	{ O_LOOKBACK, "lookback", 'l', "L", "path lookback in days before each journey's end, 0 to 365 (default 30)" },
	{ O_COLLAPSE, "collapse", 'c', NULL, "collapse consecutive repeats of a channel (fractribution's exposure)" },
	{ O_MAXLEN, "max-length", 0, "N", "keep only the last N channels of a path (trimLongPath; default 0: all)" },
	{ O_STDIN, "stdin", 0, NULL, "read session rows from FILEs or stdin instead of the warehouse" },
	{ O_MEMORY, "memory", 0, "MB", "with --stdin: sort in memory up to MB, then spill runs to $TMPDIR (default 256)" },
	{ O_RUNID, "run-id", 0, "ID", "run_id of the rows (default $AELP2_RUN_ID, else journey-summarize-DAY)" },
	{ O_QUIET, "quiet", 'q', NULL, "no summary line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"journey-summarize",
	"[options] [--stdin [FILE...]]",
	"Summarize users' journeys per day: the channel paths they took before converting or\n"
	"dropping (journey_paths_daily) and the transitions between states with their\n"
	"probabilities (journey_transitions_daily), as \"_table\"-tagged rows on stdout for\n"
	"bq-load --upsert.\n"
	"\n"
	"Journeys.  A user's sessions (gaelp_users.journey_sessions), ordered by session_start\n"
	"then session_id, are cut after every converted session: each conversion ends a\n"
	"journey, and the sessions after the last conversion form one non-converting journey.\n"
	"A journey ends at its conversion's converted_at (session_start when null), or, when\n"
	"it did not convert, at the start of its last session; its day (the row's date) is the\n"
	"UTC day of that end.  Only sessions that started by the end of --as-of (default\n"
	"--date) are read, so a non-converting journey is the user's journey as of that day:\n"
	"a user still in the middle of a journey counts as (null) at their last session, and\n"
	"ends another (longer) journey on a later day.  Re-summarizing a day with a later\n"
	"--as-of settles it: a user who came back is no longer a non-converting journey of\n"
	"that day.  Journeys ending outside the summarized days are not written (a conversion\n"
	"after --date belongs to its own day).\n"
	"\n"
	"Path.  The journey's sessions that started 0 to L whole days before its end\n"
	"(fractribution: TIMESTAMP_DIFF(end, session_start, DAY) BETWEEN 0 AND L), the\n"
	"journey's last session always kept; channels in time order joined by ' > '; then\n"
	"--collapse merges consecutive repeats; then --max-length N keeps the last N\n"
	"(trimLongPath).  path_length counts the channels written.  A channel that is empty,\n"
	"contains ' > ' or a control character, or is named (start), (conversion) or (null)\n"
	"is bad input (65).\n"
	"\n"
	"Rows.  journey_paths_daily: one per (date, path): journeys, conversions,\n"
	"non_conversions = journeys - conversions, conversion_value (sum over the converting\n"
	"journeys; null values count 0).  Summed over a day's paths, journeys = that day's\n"
	"journeys exactly: every journey ending that day is in exactly one path.\n"
	"journey_transitions_daily: one per (date, from_state, to_state): a path of J\n"
	"journeys, C conversions adds J to (start) -> first channel and to each step, C to last\n"
	"-> (conversion), J - C to last -> (null); probability = transitions / from_total (the\n"
	"from-state's count that day).  They are the transitions of the paths as written\n"
	"(after lookback, --collapse and --max-length): without the last two, they estimate\n"
	"the chain the users walked.  Rows come sorted by date, then path or states (bytes).\n"
	"Re-runs with the same options write the same keys: load with bq-load --upsert.\n"
	"\n"
	"Input and memory.  From the warehouse: one query for the sessions started in\n"
	"[first day - L - 1 days, --as-of], ORDER BY user_id: the warehouse sorts, and one user's\n"
	"sessions are in memory at a time.  With --stdin, rows of gaelp_users.journey_sessions\n"
	"(a \"_table\" naming it allowed) in any order: an external merge sort by user -- rows\n"
	"are held until they take --memory MB, then sorted and spilled as a run to a temporary\n"
	"file in $TMPDIR, and the runs are merged at the end (one open file per run).  Memory\n"
	"is then about --memory plus one row per run plus the largest user's sessions, and the\n"
	"sums: one entry per distinct (day, path) and (day, transition) -- never per user.\n"
	"\n"
	"Example:\n"
	"  journey-summarize --date 2025-03-03 --days 7 --lookback 30 | bq-load --upsert\n"
	"  sim-generate --days 90 --tables gaelp_users.journey_sessions | \\\n"
	"    journey-summarize --stdin --date 2025-03-03 --collapse --max-length 5\n",
	options,
	WH_ENV_HELP
	"  TMPDIR           where --stdin spills sorted runs (default /tmp)\n"
	"  AELP2_RUN_ID     run_id of the rows when --run-id is not given\n"
};

struct args {
	const char *date, *run_id, *as_of;
	int days, lookback, collapse, max_len, use_stdin, quiet;
	long long memory_mb;
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_DATE:
		if (!date_valid(arg, strlen(arg)))
			usage_error(&spec, "--date: '%s' is not a day (YYYY-MM-DD)", arg);
		a->date = arg;
		break;
	case O_DAYS: a->days = (int)opt_long("days", arg, 1, 3660); break;
	case O_LOOKBACK: a->lookback = (int)opt_long("lookback", arg, 0, 365); break;
	case O_COLLAPSE: a->collapse = 1; break;
	case O_MAXLEN: a->max_len = (int)opt_long("max-length", arg, 0, 100000); break;
	case O_STDIN: a->use_stdin = 1; break;
	case O_MEMORY: a->memory_mb = opt_long("memory", arg, 1, 1048576); break;
	case O_RUNID: a->run_id = arg; break;
	case O_ASOF:
		if (!date_valid(arg, strlen(arg)))
			usage_error(&spec, "--as-of: '%s' is not a day (YYYY-MM-DD)", arg);
		a->as_of = arg;
		break;
	case O_QUIET: a->quiet = 1; break;
	}
}

/* The day number of a DATE the options already checked. */
static long long day_of(const char *d)
{
	long long n = 0;
	day_number(d, strlen(d), &n);
	return n;
}

int main(int argc, char **argv)
{
	struct args a = { NULL, NULL, NULL, 1, 30, 0, 0, 0, 0, 256 };
	struct js_opts o;
	struct js_summary *s;
	struct schema_set *set;
	const struct js_stats *st;
	char err[1400], now[TS_CANON_MAX], date[16], first[16], *run_id, details[512];
	unsigned long long rows_in = 0;
	size_t runs = 0, rows_out;
	double from, until, nowe;
	int argi, rc;

	argi = opts_parse(&spec, argc, argv, on_opt, &a);
	if (argi < argc && !a.use_stdin)
		usage_error(&spec, "unexpected operand '%s' (files are read only with --stdin)", argv[argi]);
	if (a.memory_mb != 256 && !a.use_stdin)
		usage_error(&spec, "--memory applies only with --stdin");
	timestamp_now(now, &nowe);
	if (a.date) {
		snprintf(date, sizeof date, "%s", a.date);
		o.last_day = day_of(a.date);
	} else {
		o.last_day = (long long)floor(nowe / JS_DAY) - 1;
		day_format(o.last_day, date);
	}
	o.first_day = o.last_day - a.days + 1;
	o.lookback = a.lookback;
	o.collapse = a.collapse;
	o.max_len = a.max_len;
	day_format(o.first_day, first);
	/* Sessions that can be in a path of a journey ending in the days: the
	 * lookback keeps starts with floor((end - start) / day) <= L, so
	 * start > first day's midnight - (L + 1) days. */
	from = (double)(o.first_day - a.lookback - 1) * JS_DAY;
	until = (double)(o.last_day + 1) * JS_DAY;
	if (a.as_of) {
		if (day_of(a.as_of) < o.last_day)
			usage_error(&spec, "--as-of %s is before --date %s", a.as_of, date);
		until = (double)(day_of(a.as_of) + 1) * JS_DAY;
	}

	if (a.run_id)
		run_id = xstrdup(a.run_id);
	else if (flow_run_id())
		run_id = xstrdup(flow_run_id());
	else
		run_id = xasprintf("journey-summarize-%s", date);

	set = schema_load(NULL);
	if (!schema_table(set, "journey_paths_daily") || !schema_table(set, "journey_transitions_daily"))
		die(AELP_EXIT_USAGE, "the contract lacks journey_paths_daily or journey_transitions_daily");
	s = js_new(&o);
	if (a.use_stdin) {
		rc = in_read_rows(set, argv + argi, (size_t)(argc - argi), from, until,
				  (size_t)a.memory_mb << 20, s, &rows_in, &runs, err, sizeof err);
	} else {
		struct wh_err we = { 0 };
		struct wh *w = wh_open_env(set, WH_OPEN_READ, &we);
		if (!w)
			die(we.missing == WH_NO_WAREHOUSE ? AELP_EXIT_GATE : we.code,
			    "%s: nothing to summarize", we.msg);
		rc = in_read_warehouse(w, from, until, s, &rows_in, err, sizeof err);
		wh_close(w);
	}
	if (rc)
		die(rc, "%s", err);

	out_init();
	rows_out = js_write(s, stdout, run_id, now);
	out_finish();

	st = js_stats(s);
	snprintf(details, sizeof details, "{\"sessions\":%llu,\"users\":%llu,\"journeys\":%llu,"
		 "\"conversions\":%llu,\"journeys_other_days\":%llu,\"sort_runs\":%zu}",
		 st->sessions, st->users, st->journeys - st->out_of_window, st->conversions,
		 st->out_of_window, runs);
	step_report("journey-summarize", (long long)rows_in, -1, details);
	if (!a.quiet)
		warn("%s..%s: %llu sessions of %llu users, %llu journeys ending in the days "
		     "(%llu converted), %llu ending on other days; %zu rows%s", first, date,
		     st->sessions, st->users, st->journeys - st->out_of_window, st->conversions,
		     st->out_of_window, rows_out, runs ? " (external sort spilled to disk)" : "");
	js_free(s);
	schema_free(set);
	free(run_id);
	return 0;
}
