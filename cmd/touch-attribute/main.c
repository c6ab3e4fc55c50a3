/*
 * touch-attribute: credit each conversion to its touchpoints under one or
 * more models, within GA4's lookback windows, re-attributing a trailing
 * window of days on every run.  The rules are in credit.h, the journeys and
 * rows in attrib.h, the reads in read.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "credit.h"
#include "die.h"
#include "ndjson.h"
#include "opts.h"
#include "read.h"
#include "report.h"
#include "timefmt.h"
#include "warehouse.h"

enum { O_MODEL = 'm', O_DATE = 1000, O_TRAIL, O_HALF, O_TOUCHES, O_STDIN, O_RUNID, O_QUIET };

static const struct opt options[] = {
	{ O_MODEL, "model", 'm', "LIST", "comma-separated models, or all (default): last_click, first_click, linear, position, time_decay, data_driven" },
	{ O_DATE, "date", 0, "DAY", "attribute the conversions of DAY-N..DAY (default: the latest conversion's day; with --stdin, every conversion)" },
	{ O_TRAIL, "trailing-days", 0, "N", "N of the above: days re-attributed before DAY, for late conversions (default 3)" },
	{ O_HALF, "half-life", 0, "DAYS", "time_decay's half-life in days (default 7)" },
	{ O_TOUCHES, "touches", 0, "clicks|all", "touches every model credits (default: clicks for the click models, all for the others)" },
	{ O_STDIN, "stdin", 0, NULL, "read persistent_touchpoints rows as NDJSON from FILEs or stdin, not the warehouse" },
	{ O_RUNID, "run-id", 0, "ID", "run_id of the rows (default $AELP2_RUN_ID, else touch-attribute-DAY)" },
	{ O_QUIET, "quiet", 'q', NULL, "no summary line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"touch-attribute",
	"[options] | --stdin [options] [FILE...]",
	"Credit each conversion to its touchpoints (gaelp_users.persistent_touchpoints:\n"
	"impressions, clicks and conversions of a user) under one or more models, and write\n"
	"attribution_touchpoints rows on stdout for bq-load --upsert.\n"
	"\n"
	"Models (credit over the conversion's eligible touches, in time order; ties by id):\n"
	"  last_click   1 to the last touch           first_click  1 to the first touch\n"
	"  linear       1/n to each touch (a channel's repeats each count)\n"
	"  position     40% first, 40% last, 20% split over the middle; 2 touches 50/50; 1: 100%\n"
	"  time_decay   w = 2^(-d/H), d = days from the touch to the conversion (fractional),\n"
	"               H = --half-life (7); normalised over the touches: at 1, 8, 15 days\n"
	"               the weights are 1 : 0.5 : 0.25, credits 4/7, 2/7, 1/7\n"
	"  data_driven  the exact Markov removal effects (order 1, ChannelAttribution's chain,\n"
	"               common/markov.h) fitted on this run's paths: one converting path per\n"
	"               conversion (its eligible touches' channels, conversion value as value)\n"
	"               and, per user, one path that has not converted (the touches after the\n"
	"               user's last conversion within the other window before the period's\n"
	"               end).  A conversion's credit: each distinct channel c of its path gets\n"
	"               RE_c / (sum of RE over the path's distinct channels), split equally\n"
	"               over c's touches.  No converting path: exit 65, never another model.\n"
	"Eligible touches: clicks for last_click and first_click (as GA4 and Google Ads count\n"
	"clicks), impressions and clicks for the others; --touches clicks|all sets every model.\n"
	"\n"
	"Lookback (GA4): first_visit and first_open conversions take the acquisition window\n"
	"(AELP2_ATTRIBUTION_WINDOW_ACQUISITION_DAYS, 7 or 30, default 30), every other\n"
	"conversion the other window (AELP2_ATTRIBUTION_WINDOW_OTHER_DAYS, 30, 60 or 90,\n"
	"default 90).  A touch counts when converted_at - window <= touched_at <= converted_at;\n"
	"earlier or later touches get nothing and no row.\n"
	"\n"
	"Late conversions: GA4 rows keep arriving for up to 72 hours, so each run re-attributes\n"
	"the conversions of DAY-3..DAY (--trailing-days) from the warehouse's current rows\n"
	"(one query: the touches of DAY-3-window..DAY, by user and time).  Rows per conversion\n"
	"and model: one per touch in its window (credit 0 when the model does not credit it)\n"
	"and one touchpoint_id \"(direct)\", channel direct: credit 1 when the model had no\n"
	"eligible touch (as GA4 credits Direct), else 0.  A re-run therefore rewrites every\n"
	"key an earlier run wrote (the key is conversion_id, touchpoint_id, model), and\n"
	"bq-load --upsert leaves one row each: credits per conversion and model sum to 1.\n"
	"\n"
	"Money: value_credit = credit x conversion_value; cost = the touch's cost;\n"
	"net_reward (per conversion, on each of its rows) = conversion_value - attributed\n"
	"spend, where attributed spend = the sum of the costs of all the conversion's touches\n"
	"in its window (impressions and clicks, whatever the model credits; a null cost is 0;\n"
	"a touch in the windows of two conversions counts in both).  A null conversion_value\n"
	"counts as 0 in net_reward and leaves value_credit null.\n"
	"\n"
	"--stdin rows are gaelp_users.persistent_touchpoints rows (a _table tag is optional;\n"
	"rows of other tables are skipped, so sim-generate's stream can be piped in), in any\n"
	"order.  A bad row: FILE:LINE, exit 65, nothing written.\n"
	"\n"
	"Examples:\n"
	"  touch-attribute --date 2025-03-31 | bq-load --upsert\n"
	"  sim-generate --start 2025-01-01 --days 60 | touch-attribute --stdin -m last_click,linear\n",
	options,
	WH_ENV_HELP
	"  AELP2_ATTRIBUTION_WINDOW_ACQUISITION_DAYS  7 or 30 (default 30)\n"
	"  AELP2_ATTRIBUTION_WINDOW_OTHER_DAYS        30, 60 or 90 (default 90)\n"
	"  AELP2_RUN_ID     run_id of the rows when --run-id is not given\n"
};

struct args {
	struct ta_opts o;
	const char *date, *run_id;
	int trailing, use_stdin, quiet;
};

static void add_models(struct ta_opts *o, const char *arg)
{
	char *s = xstrdup(arg), *tok, *save = NULL;
	size_t k;

	o->nmodels = 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int m;
		if (strcmp(tok, "all") == 0) {
			for (m = 0; m < TA_NMODELS; m++)
				o->model[m] = (enum ta_model)m;
			o->nmodels = TA_NMODELS;
			continue;
		}
		m = ta_model_parse(tok);
		if (m < 0)
			usage_error(&spec, "--model: unknown model '%s' (last_click, first_click, linear, "
				    "position, time_decay, data_driven or all)", tok);
		for (k = 0; k < o->nmodels && o->model[k] != (enum ta_model)m; k++)
			;
		if (k == o->nmodels)
			o->model[o->nmodels++] = (enum ta_model)m;
	}
	if (o->nmodels == 0)
		usage_error(&spec, "--model: no model given");
	free(s);
}

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_MODEL: add_models(&a->o, arg); break;
	case O_DATE:
		if (!date_valid(arg, strlen(arg)))
			usage_error(&spec, "--date: '%s' is not a day (YYYY-MM-DD)", arg);
		a->date = arg;
		break;
	case O_TRAIL: a->trailing = (int)opt_long("trailing-days", arg, 0, 3660); break;
	case O_HALF: a->o.half_life = opt_double("half-life", arg, 1e-6, 1e6); break;
	case O_TOUCHES:
		if (strcmp(arg, "clicks") == 0)
			a->o.touches = TA_TOUCHES_CLICKS;
		else if (strcmp(arg, "all") == 0)
			a->o.touches = TA_TOUCHES_ALL;
		else
			usage_error(&spec, "--touches: '%s' is not clicks or all", arg);
		break;
	case O_STDIN: a->use_stdin = 1; break;
	case O_RUNID: a->run_id = arg; break;
	case O_QUIET: a->quiet = 1; break;
	}
}

/* A window variable: unset or empty is the default; else one of the allowed values. */
static int env_window(const char *name, int dflt, const int *allowed, size_t n, const char *list)
{
	const char *s = getenv(name);
	char *end;
	long v;
	size_t i;

	if (!s || !*s)
		return dflt;
	v = strtol(s, &end, 10);
	for (i = 0; *end == '\0' && i < n; i++)
		if (v == allowed[i])
			return (int)v;
	usage_error(&spec, "%s='%s': GA4 allows %s days", name, s, list);
}

int main(int argc, char **argv)
{
	static const int acq[] = { 7, 30 }, other[] = { 30, 60, 90 };
	struct args a;
	struct schema_set *set;
	struct ta_input in = { 0 };
	struct ta_read rd;
	struct ta_result r;
	char err[1200], now[TS_CANON_MAX], day[16], details[512], *run_id;
	long long latest = -1;
	size_t rows, k;
	int rc, argi;

	memset(&a, 0, sizeof a);
	a.trailing = 3;
	a.o.half_life = 7;
	add_models(&a.o, "all");
	argi = opts_parse(&spec, argc, argv, on_opt, &a);
	if (argi < argc && !a.use_stdin)
		usage_error(&spec, "unexpected operand '%s' (FILEs go with --stdin)", argv[argi]);
	a.o.acq_days = env_window("AELP2_ATTRIBUTION_WINDOW_ACQUISITION_DAYS", 30, acq, 2, "7 or 30");
	a.o.other_days = env_window("AELP2_ATTRIBUTION_WINDOW_OTHER_DAYS", 90, other, 3, "30, 60 or 90");

	set = schema_load(NULL);
	if (a.date)
		latest = ta_day(a.date);
	if (a.use_stdin)
		rc = ta_read_files(set, argv + argi, (size_t)(argc - argi), &in, &rd, err, sizeof err);
	else
		rc = ta_read_warehouse(set, &latest, a.trailing + (a.o.acq_days > a.o.other_days ?
							     a.o.acq_days : a.o.other_days) + 1,
				       &in, &rd, err, sizeof err);
	if (rc)
		die(rc, "%s", err);
	if (latest >= 0) {
		a.o.have_period = 1;
		a.o.to_day = latest;
		a.o.from_day = latest - a.trailing;
	}
	rc = ta_attribute(&in, &a.o, &r, err, sizeof err);
	if (rc)
		die(rc, "%s", err);

	if (latest < 0)   /* --stdin without --date: the latest conversion's day names the run */
		for (k = 0; k < r.n; k++)
			if (ta_day(r.c[k].conv->ts) > latest)
				latest = ta_day(r.c[k].conv->ts);
	if (latest >= 0) {
		long long y;
		unsigned m, d;
		civil_from_days(latest, &y, &m, &d);
		snprintf(day, sizeof day, "%04lld-%02u-%02u", y, m, d);
	} else {
		snprintf(day, sizeof day, "none");
	}
	if (a.run_id)
		run_id = xstrdup(a.run_id);
	else if (flow_run_id())
		run_id = xstrdup(flow_run_id());
	else
		run_id = xasprintf("touch-attribute-%s", day);

	out_init();
	timestamp_now(now, NULL);
	rows = ta_write(stdout, &in, &r, &a.o, run_id, now);
	out_finish();

	snprintf(details, sizeof details, "{\"conversions\":%zu,\"models\":%zu,\"touches\":%zu,"
		 "\"acquisition_days\":%d,\"other_days\":%d}", r.n, a.o.nmodels, in.n,
		 a.o.acq_days, a.o.other_days);
	step_report("touch-attribute", (long long)rd.rows, -1, details);
	if (!a.quiet) {
		char period[64];
		if (a.o.have_period) {
			long long y;
			unsigned m, d;
			civil_from_days(a.o.from_day, &y, &m, &d);
			snprintf(period, sizeof period, "%04lld-%02u-%02u..%s", y, m, d, day);
		} else {
			snprintf(period, sizeof period, "every day of the input");
		}
		warn("%zu conversions of %s (windows %d/%d days) from %zu touch rows: %zu rows, %zu "
		     "model%s%s", r.n, period, a.o.acq_days, a.o.other_days, rd.rows, rows,
		     a.o.nmodels, a.o.nmodels == 1 ? "" : "s",
		     rd.other_tables ? " (rows of other tables skipped)" : "");
		{
			char list[512];
			size_t len = 0;
			list[0] = '\0';
			for (k = 0; k < a.o.nmodels; k++)
				if (r.direct[a.o.model[k]] && len < sizeof list)
					len += (size_t)snprintf(list + len, sizeof list - len, "%s%s %zu",
								len ? ", " : "", ta_model_name(a.o.model[k]),
								r.direct[a.o.model[k]]);
			if (len)
				warn("conversions without an eligible touch in their window, credited to "
				     "(direct): %s", list);
		}
		if (r.dd_nchannels)
			warn("data_driven: %zu converting and %zu non-converting paths, P(conversion) %.4f",
			     r.dd_conv_paths, r.dd_null_paths, r.dd_p_conv);
	}
	ta_result_free(&r);
	ta_input_free(&in);
	ta_read_free(&rd);
	free(run_id);
	schema_free(set);
	return 0;
}
