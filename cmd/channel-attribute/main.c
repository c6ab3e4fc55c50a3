/*
 * channel-attribute: credit conversions and value to channels from
 * aggregated paths, with ChannelAttribution's heuristics, an exact Markov
 * model (common/markov.h), Zhao et al.'s Shapley values and fractribution's
 * leave-one-out.  Input and transforms in paths.h, the models in models.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "models.h"
#include "ndjson.h"
#include "opts.h"
#include "paths.h"
#include "report.h"
#include "timefmt.h"

enum { O_QUIET = 'q', O_MODEL = 'm', O_FORMAT = 1000, O_SEP, O_ORDER, O_TRANSFORM, O_WEEK,
       O_RUNID };

static const struct opt options[] = {
	{ O_MODEL, "model", 'm', "LIST", "models, comma-separated or repeated (default first,last,linear,markov)" },
	{ O_FORMAT, "format", 0, "F", "ndjson (default) or channelattribution (path;conv;value;null CSV)" },
	{ O_SEP, "sep", 0, "C", "the one-character channel separator in paths (default '>')" },
	{ O_ORDER, "order", 0, "K", "Markov order, 1..8 (default 1)" },
	{ O_TRANSFORM, "transform", 0, "LIST", "path transforms before every model (default: see below)" },
	{ O_WEEK, "week", 0, "DAY", "the week's Monday: rows become channel_attribution_weekly rows" },
	{ O_RUNID, "run-id", 0, "ID", "run_id of rows (default $AELP2_RUN_ID, else channel-attribute-DAY)" },
	{ O_QUIET, "quiet", 'q', NULL, "no summary line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"channel-attribute",
	"[options] [FILE...]",
	"Credit conversions and conversion value to channels from aggregated paths, under\n"
	"one or more attribution models: one row per model and channel on stdout.\n"
	"\n"
	"Input (FILEs, or stdin), one aggregated path a line, identical paths added up:\n"
	"  ndjson:  {\"path\":\"a > b > c\",\"conversions\":3,\"conversion_value\":41.5,\"nulls\":9}\n"
	"           conversions required; conversion_value and nulls default to 0 (nulls may\n"
	"           be called non_conversions, as in journey_paths_daily); other fields ignored\n"
	"  channelattribution: ChannelAttribution's CSV, a header line first, then\n"
	"           path;total_conversions;total_conversion_value;total_null\n"
	"  Channels are split at --sep with spaces and tabs around names trimmed, as\n"
	"  ChannelAttribution does.  An empty path or channel name, a count that is not a\n"
	"  number >= 0, a wrong number of fields or a missing header is bad input: exit 65,\n"
	"  FILE:LINE named, nothing written.\n"
	"\n"
	"Models (--model; the model column in brackets):\n"
	"  first, last      all of a path's conversions and value to its first / last touch\n"
	"  linear           each occurrence gets 1/L (a channel seen k times of L gets k/L)\n"
	"                   -- these three are ChannelAttribution's heuristic_models exactly\n"
	"  position         40/20/40 as fractribution: L = 1: all; L = 2: 1/2 each; L >= 3:\n"
	"                   0.4 first, 0.4 last, 0.2/(L-2) each middle touch; repeats add up\n"
	"  markov           ChannelAttribution's markov_model chain of order --order\n"
	"                   (consecutive repeats collapsed; (start), channel k-tuples,\n"
	"                   (conversion), (null); each path's transitions weigh conv + null),\n"
	"                   removal effects solved exactly on the absorbing chain, without\n"
	"                   simulation or step cap: RE_c = 1 - P(conv | c removed) / P(conv),\n"
	"                   conversions_c = RE_c / sum RE x total conversions; value the same\n"
	"                   with value removal effects (the conversion column weighted by each\n"
	"                   last state's value).  removal_effect column = RE_c.\n"
	"  shapley          Zhao et al. (2018) simplified: each conversion split equally over\n"
	"                   the distinct channels of its path (the Shapley value of\n"
	"                   v(S) = conversions of paths whose channel set lies within S)\n"
	"  shapley-ordered  [shapley_ordered] Zhao et al.'s ordered value: touch i of path J\n"
	"                   with distinct set S gets 1/(|S| x occurrences of its channel in J);\n"
	"                   summed per channel it equals shapley (only the split over positions\n"
	"                   differs, which this table does not hold)\n"
	"  fractribution    google/fractribution's \"shapley\": per converting path p, P(p) =\n"
	"                   conv / (conv + null) of that exact (transformed) path; touch i gets\n"
	"                   max(P(p) - P(p without touch i), 0) (one touch: P(p)), normalised;\n"
	"                   all to the last touch when every margin is 0\n"
	"  time-decay       not built here: aggregated paths carry no touch times, and a decay\n"
	"                   by position would be a different model under the same name.  It is\n"
	"                   refused (exit 2); touch-attribute has time decay in days.\n"
	"\n"
	"Transforms (--transform, comma list applied in order; fractribution's names):\n"
	"  unique (none), exposure (collapse consecutive repeats), first (first occurrence of\n"
	"  each channel), frequency (as first: fractribution strips the counts before it\n"
	"  aggregates), trimLongPath(N) (the last N touches), removeIfNotAll(CH),\n"
	"  removeIfLastAndNotAll(CH).  Given, they apply to every model; not given, the\n"
	"  fractribution model uses exposure (fractribution's default) and the others the\n"
	"  paths as read (ChannelAttribution's semantics).  Paths equal after the transforms\n"
	"  are added up before the models run.\n"
	"\n"
	"Output, per model (in the order asked) and channel (in order of first appearance):\n"
	"  week, channel, model, conversions, conversion_value, share (of the model's credited\n"
	"  conversions), removal_effect (markov; else null), run_id, created_at.\n"
	"  With --week DAY (a Monday) the rows carry \"_table\":\"channel_attribution_weekly\"\n"
	"  for bq-load.  Without it, week is null and the rows carry no _table: they can be\n"
	"  read but not loaded (the table keys on week), so a weekly flow must pass --week.\n"
	"\n"
	"No conversions in the input is not an error: a message, nothing written, exit 0.\n"
	"\n"
	"Examples:\n"
	"  channel-attribute --format channelattribution --model first,last,linear Data.csv\n"
	"  channel-attribute --model markov --order 3 paths.ndjson\n"
	"  channel-attribute --model fractribution,last --transform exposure paths.ndjson\n"
	"  channel-attribute --week 2025-03-03 -m markov,shapley paths.ndjson | bq-load\n",
	options,
	"  AELP2_RUN_ID     run_id of the rows when --run-id is not given\n"
};

struct args {
	int model[M_COUNT], nmodel;
	enum ca_format fmt;
	char sep;
	int order, quiet;
	const char *transform, *week, *run_id;
};

static void add_models(struct args *a, const char *arg)
{
	const char *p = arg;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int m = ca_model_parse(p, n), dup = 0;
		if (m < 0)
			usage_error(&spec, "--model: '%.*s' is not first, last, linear, position, "
				    "time-decay, markov, shapley, shapley-ordered or fractribution",
				    (int)n, p);
		if (m == M_TIME_DECAY)
			usage_error(&spec, "--model time-decay: aggregated paths carry no touch times, "
				    "so there is nothing to decay by; use touch-attribute, which decays "
				    "by days before the conversion");
		for (int i = 0; i < a->nmodel; i++)
			dup |= a->model[i] == m;
		if (!dup)
			a->model[a->nmodel++] = m;
		if (!e)
			break;
		p = e + 1;
	}
}

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;

	switch (id) {
	case O_MODEL: add_models(a, arg); break;
	case O_FORMAT:
		if (strcmp(arg, "ndjson") == 0)
			a->fmt = CA_NDJSON;
		else if (strcmp(arg, "channelattribution") == 0)
			a->fmt = CA_CHANNELATTRIBUTION;
		else
			usage_error(&spec, "--format: '%s' is not ndjson or channelattribution", arg);
		break;
	case O_SEP:
		if (strlen(arg) != 1 || arg[0] == ' ' || arg[0] == '\t')
			usage_error(&spec, "--sep: '%s' is not one character (other than a blank)", arg);
		a->sep = arg[0];
		break;
	case O_ORDER: a->order = (int)opt_long("order", arg, 1, 8); break;
	case O_TRANSFORM: a->transform = arg; break;
	case O_WEEK: {
		long long y = 0;
		unsigned mo = 0, d = 0;
		if (!date_valid(arg, strlen(arg)) || sscanf(arg, "%lld-%u-%u", &y, &mo, &d) != 3)
			usage_error(&spec, "--week: '%s' is not a day (YYYY-MM-DD)", arg);
		if ((days_from_civil(y, mo, d) % 7 + 7) % 7 != 4)
			usage_error(&spec, "--week: '%s' is not a Monday (weeks start on Monday)", arg);
		a->week = arg;
		break;
	}
	case O_RUNID: a->run_id = arg; break;
	case O_QUIET: a->quiet = 1; break;
	}
}

static int parse_transforms(const char *list, struct intern *ch, struct ptrans **t)
{
	int n = 0;
	const char *p = list;

	*t = NULL;
	for (;;) {
		const char *e = p;
		int depth = 0;
		char *one;
		while (*e && !(*e == ',' && depth == 0)) {
			depth += *e == '(';
			depth -= *e == ')';
			e++;
		}
		one = xstrndup(p, (size_t)(e - p));
		*t = xrealloc(*t, (size_t)(n + 1) * sizeof **t);
		if (ptrans_parse(one, ch, &(*t)[n]) != 0)
			usage_error(&spec, "--transform: '%s' is not unique, exposure, first, frequency, "
				    "trimLongPath(N), removeIfNotAll(CH) or removeIfLastAndNotAll(CH)",
				    one);
		free(one);
		n++;
		if (!*e)
			break;
		p = e + 1;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct args a = { .fmt = CA_NDJSON, .sep = '>', .order = 1 };
	struct ca_input in = { 0 };
	struct pathset tps = { 0 }, fps = { 0 };
	struct ptrans *tr = NULL, expo = { .kind = PT_EXPOSURE, .ch = -1 };
	int ntr = 0, first;
	size_t nch;
	char err[1024], created[40], details[512], *run_id;
	double *conv, *val, *re;
	long long rows_out = 0;

	out_init();
	first = opts_parse(&spec, argc, argv, on_opt, &a);
	if (a.nmodel == 0)
		add_models(&a, "first,last,linear,markov");
	if (first >= argc) {
		if (ca_read("-", a.fmt, a.sep, &in, err, sizeof err) != 0)
			die(65, "%s", err);
	}
	for (int i = first; i < argc; i++)
		if (ca_read(argv[i], a.fmt, a.sep, &in, err, sizeof err) != 0)
			die(65, "%s", err);
	nch = intern_count(&in.ch);  /* channels of the input; transforms may name others */
	if (a.transform)
		ntr = parse_transforms(a.transform, &in.ch, &tr);
	if (!(in.conv > 0)) {
		warn("no conversions in %lld path rows: nothing to attribute", in.rows);
		step_report("channel-attribute", in.rows, 0, NULL);
		ca_input_free(&in);
		free(tr);
		out_finish();
		return 0;
	}
	if (ntr)
		ps_transform(&in.raw, tr, ntr, &tps);
	for (int i = 0; i < a.nmodel; i++)
		if (a.model[i] == M_FRACTRIBUTION && !ntr)
			ps_transform(&in.raw, &expo, 1, &fps);

	timestamp_now(created, NULL);
	if (a.run_id)
		run_id = xstrdup(a.run_id);
	else if (flow_run_id())
		run_id = xstrdup(flow_run_id());
	else
		run_id = xasprintf("channel-attribute-%.10s", a.week ? a.week : created);

	conv = xcalloc(intern_count(&in.ch) + 1, sizeof *conv);
	val = xcalloc(intern_count(&in.ch) + 1, sizeof *val);
	re = xcalloc(intern_count(&in.ch) + 1, sizeof *re);
	for (int i = 0; i < a.nmodel; i++) {
		enum ca_model m = (enum ca_model)a.model[i];
		const struct pathset *ps = ntr ? &tps : m == M_FRACTRIBUTION ? &fps : &in.raw;
		double total = 0;
		memset(conv, 0, intern_count(&in.ch) * sizeof *conv);
		memset(val, 0, intern_count(&in.ch) * sizeof *val);
		memset(re, 0, intern_count(&in.ch) * sizeof *re);
		if (ca_run(m, &in.ch, ps, a.order, conv, val, re, err, sizeof err) != 0)
			die(70, "%s: %s", ca_model_name[m], err);
		for (size_t c = 0; c < nch; c++)
			total += conv[c];
		for (size_t c = 0; c < nch; c++) {
			FILE *f = stdout;
			fputc('{', f);
			if (a.week) {
				jw_key(f, "_table");
				jw_str(f, "channel_attribution_weekly", 26);
				jw_kv_str(f, "week", a.week);
			} else {
				jw_key(f, "week");
				fputs("null", f);
			}
			fputc(',', f);
			jw_key(f, "channel");
			if (jw_str(f, intern_str(&in.ch, c), intern_len(&in.ch, c)) != 0)
				die(65, "channel '%s' is not UTF-8", intern_str(&in.ch, c));
			jw_kv_str(f, "model", ca_model_name[m]);
			jw_kv_real(f, "conversions", conv[c]);
			jw_kv_real(f, "conversion_value", val[c]);
			jw_kv_real(f, "share", total > 0 ? conv[c] / total : 0.0 / 0.0);
			jw_kv_real(f, "removal_effect", m == M_MARKOV ? re[c] : 0.0 / 0.0);
			jw_kv_str(f, "run_id", run_id);
			jw_kv_str(f, "created_at", created);
			fputs("}\n", f);
			rows_out++;
		}
		out_check(stdout);
	}
	if (!a.quiet)
		warn("%lld path rows, %zu distinct paths, %zu channels, %d models: %lld rows",
		     in.rows, in.raw.n, nch, a.nmodel, rows_out);
	snprintf(details, sizeof details,
		 "{\"paths\":%zu,\"channels\":%zu,\"models\":%d,\"order\":%d,\"week\":%s%s%s}",
		 in.raw.n, nch, a.nmodel, a.order, a.week ? "\"" : "", a.week ? a.week : "null",
		 a.week ? "\"" : "");
	step_report("channel-attribute", in.rows, -1, details);
	free(conv);
	free(val);
	free(re);
	free(run_id);
	free(tr);
	ps_free(&tps);
	ps_free(&fps);
	ca_input_free(&in);
	out_finish();
	return 0;
}
