/*
 * mmm-validate: Robyn's media-mix method, run on the same input as mmm-fit,
 * as an independent check of the Bayesian fit; one robyn_comparison_weekly
 * row per channel.  The model is in robyn.h, the fit reader in fit.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "die.h"
#include "fit.h"
#include "mmmdata.h"
#include "ndjson.h"
#include "opts.h"
#include "report.h"
#include "robyn.h"
#include "timefmt.h"
#include "warehouse.h"

enum { O_FIT = 'f', O_MMMRUN = 'm', O_WEEK = 'w', O_RUNID = 'r', O_SEED = 's', O_ITER = 'n',
       O_TRIALS = 't', O_TOL = 'T', O_HYPER = 'H', O_THETA = 1000, O_ALPHA, O_GAMMA, O_LAMBDA,
       O_THREADS, O_GRAIN, O_QUIET };

static const struct opt options[] = {
	{ O_FIT, "fit", 0, "FILE", "mmm-fit's output NDJSON to compare with (default: the warehouse)" },
	{ O_MMMRUN, "mmm-run-id", 0, "ID", "the fit's mmm_runs.run_id (default: the latest with status ok)" },
	{ O_WEEK, "week", 0, "DATE", "label the rows with the week (Monday) holding DATE (default: the input's last date)" },
	{ O_RUNID, "run-id", 0, "ID", "run_id of the rows (default $AELP2_RUN_ID, else mmm-validate-WEEK)" },
	{ O_SEED, "seed", 0, "N", "random seed of the search (default 1)" },
	{ O_ITER, "iterations", 0, "N", "candidates evaluated per trial (default 2000)" },
	{ O_TRIALS, "trials", 0, "K", "independent trials, each its own seeded stream (default 5)" },
	{ O_TOL, "tolerance", 0, "X", "widen the Bayesian 90% ROI interval by this fraction for status ok (default 0.25)" },
	{ O_HYPER, "hyper", 0, "FILE", "hyperparameter ranges as JSON (see below)" },
	{ O_THETA, "theta", 0, "LO,HI", "adstock decay range, every channel (default 0,0.8)" },
	{ O_ALPHA, "alpha", 0, "LO,HI", "Hill shape range (default 0.5,3)" },
	{ O_GAMMA, "gamma", 0, "LO,HI", "Hill inflexion range (default 0.3,1)" },
	{ O_LAMBDA, "lambda", 0, "LO,HI", "ridge lambda_hp range within [0,1] (default 0,1)" },
	{ O_THREADS, "threads", 0, "N", "threads running trials (default 2; the output does not depend on it)" },
	{ O_GRAIN, "grain", 0, "day|week", "the model's period (default: detected from the KPI's dates)" },
	{ O_QUIET, "quiet", 'q', NULL, "no summary line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"mmm-validate",
	"[options] [FILE]",
	"Check the Bayesian media-mix fit (mmm-fit) with Robyn's method, an independent one:\n"
	"fit Robyn's model to the same media-mix input (FILE or stdin, the rows mmm-fit reads)\n"
	"and write one robyn_comparison_weekly row per channel comparing the two ROIs.\n"
	"\n"
	"Robyn's model (facebookexperimental/Robyn).  Each paid channel's spend goes through\n"
	"geometric adstock x*_t = x_t + theta x*_{t-1} (unnormalised) and Hill saturation\n"
	"x*^alpha / (x*^alpha + inflexion^alpha), inflexion = min x* + gamma (max x* - min x*).\n"
	"The KPI is regressed on the transformed media, a linear trend, Fourier seasonality in\n"
	"place of Prophet (daily: weekly period, 3 harmonics, and yearly with 2 harmonics when\n"
	"the data span 2 years, 1 when 1 year; weekly: yearly with 2 harmonics from 52 weeks)\n"
	"and the controls, by ridge regression as glmnet(alpha = 0) does it: standardised\n"
	"predictors, media coefficients >= 0, and a refit without intercept when the intercept\n"
	"comes out negative.  Ridge lambda = lambda_min + (lambda_max - lambda_min) lambda_hp,\n"
	"lambda_max = 0.1 x Robyn's lambda_seq maximum, lambda_min = 1e-4 lambda_max.\n"
	"\n"
	"Objectives of a candidate (both minimised):\n"
	"  NRMSE        sqrt(mean((y - y^)^2)) / (max y - min y)\n"
	"  DECOMP.RSSD  sqrt(sum over media (effect share - spend share)^2), times\n"
	"               1 + (share of media with a zero coefficient); effect share =\n"
	"               channel's sum of coef x transformed media / all media's\n"
	"Search: a seeded two-points differential evolution (as Nevergrad's TwoPointsDE, which\n"
	"Robyn uses) over theta, alpha, gamma per channel and lambda_hp: --iterations\n"
	"candidates per trial, --trials trials.  Every candidate is kept; Pareto fronts on\n"
	"(NRMSE, DECOMP.RSSD) are kept until they hold 100 candidates (Robyn's\n"
	"pareto_fronts = \"auto\").  Robyn leaves the final choice to a person; here the chosen\n"
	"model is the front-1 candidate nearest the origin once both objectives are min-max\n"
	"normalised over the kept fronts.  Same input and seed give the same rows (created_at\n"
	"aside), whatever --threads.\n"
	"\n"
	"The rows: robyn_roi = the channel's decomposition / its spend over the input window\n"
	"(KPI units per currency unit); bayes_roi_mean/p05/p95 from the fit's mmm_allocations;\n"
	"roi_diff = robyn_roi - bayes_roi_mean; robyn_share and bayes_share (contribution_mean)\n"
	"are shares among the compared channels; status is ok when robyn_roi lies in\n"
	"[p05 (1 - tolerance), p95 (1 + tolerance)], else warn (also when the fit has no\n"
	"interval).  A warning is advice for a person: the exit status stays 0.  Channels in\n"
	"only one of input and fit are named on stderr and left out of the rows; a channel\n"
	"that spent nothing in the window is left out of the model.\n"
	"\n"
	"Hyperparameter ranges (defaults from Robyn's demo; Robyn's hard limits theta [0,1),\n"
	"alpha (0,10), gamma (0,1]): theta 0-0.8, alpha 0.5-3, gamma 0.3-1, lambda_hp 0-1.\n"
	"--hyper FILE gives them as JSON, with optional per-channel ranges:\n"
	"  {\"theta\": [0, 0.8], \"alpha\": [0.5, 3], \"gamma\": [0.3, 1], \"lambda\": [0, 1],\n"
	"   \"channels\": {\"tv\": {\"theta\": [0.3, 0.8]}}}\n"
	"--theta/--alpha/--gamma/--lambda override the file for every channel.  A range LO = HI\n"
	"fixes the value.",
	options,
	"The fit: --fit FILE reads mmm-fit's NDJSON (the \"_table\":\"mmm_runs\" row and its\n"
	"\"mmm_allocations\" rows; other rows are ignored); without it the warehouse's mmm_runs\n"
	"and mmm_allocations are read.\n"
	"\n"
	WH_ENV_HELP
	"  AELP2_RUN_ID     run_id of the rows when --run-id is not given\n"
	"  AELP2_STEP_REPORT  inside flow-step: append what was compared there\n"
	"\n"
	"Examples:\n"
	"  mmm-fit input.ndjson > fit.ndjson\n"
	"  mmm-validate --fit fit.ndjson input.ndjson | bq-load --upsert\n"
	"  bq-extract --query \"$MMM_INPUT_SQL\" | mmm-validate --week 2026-11-23 --seed 7\n"
	"  mmm-validate --iterations 300 --trials 2 --theta 0,0.5 --fit fit.ndjson input.ndjson\n"
	"\n"
	"Here: 0 rows written (some may warn); 1 no usable fit to compare with (none, not\n"
	"status ok, or no channel in common); 2 usage (options, --hyper FILE); 65 bad input\n"
	"(FILE:LINE named, nothing on stdout) or a fit file that is not NDJSON objects; 70 a\n"
	"failed write.\n",
};

struct args {
	const char *fit, *mmm_run_id, *week, *run_id, *hyper;
	unsigned long seed;
	int iterations, trials, threads, grain, quiet;
	double tol;
	int have[4];
	struct hyper_range r[4];     /* theta, alpha, gamma, lambda */
};

static const char *const hname[4] = { "theta", "alpha", "gamma", "lambda" };

/* Robyn's hard limits, and whether the ends may be reached. */
static int range_ok(int k, struct hyper_range r)
{
	if (!(r.lo <= r.hi) || !isfinite(r.lo) || !isfinite(r.hi))
		return 0;
	switch (k) {
	case 0: return r.lo >= 0 && r.hi < 1;
	case 1: return r.lo > 0 && r.hi < 10;
	case 2: return r.lo > 0 && r.hi <= 1;
	default: return r.lo >= 0 && r.hi <= 1;
	}
}

static const char *const hlimit[4] = { "[0,1)", "(0,10)", "(0,1]", "[0,1]" };

static struct hyper_range parse_range(int k, const char *arg)
{
	struct hyper_range r;
	char *end;
	r.lo = strtod(arg, &end);
	if (end == arg || *end != ',')
		usage_error(&spec, "--%s '%s': give LO,HI", hname[k], arg);
	arg = end + 1;
	r.hi = strtod(arg, &end);
	if (end == arg || *end)
		usage_error(&spec, "--%s '%s': give LO,HI", hname[k], arg);
	if (!range_ok(k, r))
		usage_error(&spec, "--%s %g,%g: need LO <= HI within %s", hname[k], r.lo, r.hi,
			    hlimit[k]);
	return r;
}

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_FIT: a->fit = arg; break;
	case O_MMMRUN: a->mmm_run_id = arg; break;
	case O_WEEK: a->week = arg; break;
	case O_RUNID: a->run_id = arg; break;
	case O_SEED: a->seed = (unsigned long)opt_long("seed", arg, 0, 4294967295LL); break;
	case O_ITER: a->iterations = (int)opt_long("iterations", arg, 1, 10000000); break;
	case O_TRIALS: a->trials = (int)opt_long("trials", arg, 1, 1000); break;
	case O_TOL: a->tol = opt_double("tolerance", arg, 0, 100); break;
	case O_HYPER: a->hyper = arg; break;
	case O_THETA: case O_ALPHA: case O_GAMMA: case O_LAMBDA:
		a->r[id - O_THETA] = parse_range(id - O_THETA, arg);
		a->have[id - O_THETA] = 1;
		break;
	case O_THREADS: a->threads = (int)opt_long("threads", arg, 1, 64); break;
	case O_GRAIN:
		if (strcmp(arg, "day") == 0)
			a->grain = MMM_GRAIN_DAY;
		else if (strcmp(arg, "week") == 0)
			a->grain = MMM_GRAIN_WEEK;
		else
			usage_error(&spec, "--grain '%s': give day or week", arg);
		break;
	case O_QUIET: a->quiet = 1; break;
	}
}

/* A [lo, hi] pair from JSON, checked. */
static int json_range(json_t *v, int k, struct hyper_range *r, const char *file, const char *where)
{
	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(json_array_get(v, 0)) ||
	    !json_is_number(json_array_get(v, 1)))
		usage_error(&spec, "%s: %s%s must be [LO, HI]", file, where, hname[k]);
	r->lo = json_number_value(json_array_get(v, 0));
	r->hi = json_number_value(json_array_get(v, 1));
	if (!range_ok(k, *r))
		usage_error(&spec, "%s: %s%s [%g, %g]: need LO <= HI within %s", file, where,
			    hname[k], r->lo, r->hi, hlimit[k]);
	return 1;
}

/* The ranges of every modelled channel: defaults, then the file, then the options. */
static void ranges(const struct args *a, int C, char **names, struct robyn_bounds *b)
{
	struct hyper_range def[4] = { { 0, 0.8 }, { 0.5, 3 }, { 0.3, 1 }, { 0, 1 } };
	json_t *root = NULL, *chans = NULL;
	int c, k;

	if (a->hyper) {
		json_error_t je;
		const char *key;
		json_t *val;
		root = json_load_file(a->hyper, JSON_REJECT_DUPLICATES, &je);
		if (!root)
			usage_error(&spec, "--hyper %s:%d: %s", a->hyper, je.line, je.text);
		if (!json_is_object(root))
			usage_error(&spec, "--hyper %s: not a JSON object", a->hyper);
		json_object_foreach(root, key, val) {
			for (k = 0; k < 4; k++)
				if (strcmp(key, hname[k]) == 0)
					break;
			if (k < 4)
				json_range(val, k, &def[k], a->hyper, "");
			else if (strcmp(key, "channels") == 0 && json_is_object(val)) {
				const char *cn;
				json_t *cv, *rv;
				chans = val;
				json_object_foreach(val, cn, cv) {
					const char *hk;
					char where[300];
					struct hyper_range tmp;
					snprintf(where, sizeof where, "channels.%s.", cn);
					if (!json_is_object(cv))
						usage_error(&spec, "--hyper %s: %s must be an object", a->hyper, where);
					json_object_foreach(cv, hk, rv) {
						int q;
						for (q = 0; q < 3; q++)
							if (strcmp(hk, hname[q]) == 0)
								break;
						if (q == 3)
							usage_error(&spec, "--hyper %s: unknown key '%s%s' (theta, "
								    "alpha, gamma)", a->hyper, where, hk);
						json_range(rv, q, &tmp, a->hyper, where);
					}
				}
			}
			else
				usage_error(&spec, "--hyper %s: unknown key '%s' (theta, alpha, gamma, "
					    "lambda, channels)", a->hyper, key);
		}
	}
	for (k = 0; k < 4; k++)
		if (a->have[k])
			def[k] = a->r[k];
	b->theta = xmalloc((size_t)(C + 1) * sizeof *b->theta);
	b->alpha = xmalloc((size_t)(C + 1) * sizeof *b->alpha);
	b->gamma = xmalloc((size_t)(C + 1) * sizeof *b->gamma);
	b->lambda = def[3];
	for (c = 0; c < C; c++) {
		struct hyper_range *dst[3] = { &b->theta[c], &b->alpha[c], &b->gamma[c] };
		json_t *cv = chans ? json_object_get(chans, names[c]) : NULL;
		for (k = 0; k < 3; k++) {
			*dst[k] = def[k];
			if (cv && !a->have[k]) {
				char where[300];
				snprintf(where, sizeof where, "channels.%s.", names[c]);
				json_range(json_object_get(cv, hname[k]), k, dst[k], a->hyper, where);
			}
		}
	}
	json_decref(root);
}

/* Monday of the ISO week holding day z (days since 1970-01-01, a Thursday). */
static long long monday(long long z)
{
	return z - (((z + 3) % 7) + 7) % 7;
}

static void fmt_day(long long z, char out[11])
{
	long long y;
	unsigned m, d;
	civil_from_days(z, &y, &m, &d);
	snprintf(out, 11, "%04lld-%02u-%02u", y, m, d);
}


int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct mmm_data d;
	struct bayes_fit fit;
	struct robyn_model m = { 0 };
	struct robyn_search s = { 0 };
	struct robyn_eval ev = { 0 };
	struct robyn_work *w;
	struct robyn_hyper h;
	char err[2048], week[11], now[TS_CANON_MAX], *run_id, **names;
	const char *in;
	double *spend, *fixed, *coef, *decomp, rsum = 0, bsum = 0;
	int first, rc, c, t, C = 0, K, *cmp, ncmp = 0, nok = 0, nwarn = 0, *live;
	long long wday;

	a.seed = 1;
	a.iterations = 2000;
	a.trials = 5;
	a.threads = 2;
	a.tol = 0.25;
	first = opts_parse(&spec, argc, argv, on_opt, &a);
	if (argc - first > 1)
		usage_error(&spec, "give at most one input FILE");
	in = argc - first == 1 ? argv[first] : NULL;
	if (a.week && !date_valid(a.week, strlen(a.week)))
		usage_error(&spec, "--week '%s' is not a date (YYYY-MM-DD)", a.week);
	if (a.fit && a.fit[0] == '-' && a.fit[1] == 0 && !in)
		usage_error(&spec, "--fit - and the input cannot both be stdin");
	out_init();
	{
		struct robyn_bounds chk = { 0 };
		ranges(&a, 0, NULL, &chk);       /* a bad --hyper FILE stops here, before any work */
		free(chk.theta);
		free(chk.alpha);
		free(chk.gamma);
	}

	if ((rc = mmm_read(in, a.grain, &d, err, sizeof err)) != 0)
		die(rc, "%s", err);
	rc = a.fit ? fit_read_file(a.fit, a.mmm_run_id, &fit, err, sizeof err)
		   : fit_read_warehouse(a.mmm_run_id, &fit, err, sizeof err);
	if (rc)
		die(rc, "%s", err);
	/* Like with like: the fit must cover the input's window at the input's grain. */
	{
		char s0[11], s1[11];
		const char *g = d.grain == MMM_GRAIN_WEEK ? "week" : "day";
		mmm_date(&d, 0, s0);
		mmm_end_date(&d, s1);
		if ((fit.start[0] && strcmp(fit.start, s0) != 0) || (fit.end[0] && strcmp(fit.end, s1) != 0) ||
		    (fit.grain[0] && strcmp(fit.grain, g) != 0))
			die(1, "fit '%s' covers %s to %s by %s, the input %s to %s by %s: compare the fit with "
			    "the rows it was fitted to (the same input and --grain)", fit.run_id,
			    fit.start[0] ? fit.start : "?", fit.end[0] ? fit.end : "?",
			    fit.grain[0] ? fit.grain : "?", s0, s1, g);
		/* value ROI back to KPI per currency, the unit Robyn's ROI is in */
		if (fit.value > 0)
			for (c = 0; c < fit.n; c++) {
				fit.ch[c].roi_mean /= fit.value;
				fit.ch[c].roi_p05 /= fit.value;
				fit.ch[c].roi_p95 /= fit.value;
			}
	}

	/* the modelled channels: every live one; the compared: those also in the fit */
	live = xcalloc((size_t)d.C + 1, sizeof *live);
	cmp = xcalloc((size_t)d.C + 1, sizeof *cmp);
	names = xcalloc((size_t)d.C + 1, sizeof *names);
	for (c = 0; c < d.C; c++) {
		if (d.dead[c]) {
			warn("channel '%s' spent nothing in the window: left out of the model", d.channel[c]);
			continue;
		}
		names[C] = d.channel[c];
		live[C++] = c;
	}
	for (c = 0; c < C; c++) {
		if (fit_channel(&fit, names[c]))
			cmp[ncmp++] = c;
		else
			warn("channel '%s' is in the input but not in fit '%s': not compared", names[c],
			     fit.run_id);
	}
	for (c = 0; c < fit.n; c++) {
		int j, found = 0;
		for (j = 0; j < C; j++)
			found |= strcmp(names[j], fit.ch[c].channel) == 0;
		if (!found)
			warn("channel '%s' is in fit '%s' but not among the input's live channels: not "
			     "compared", fit.ch[c].channel, fit.run_id);
	}
	if (ncmp == 0)
		die(AELP_EXIT_GATE, "no channel in common between the input and fit '%s': nothing to "
		    "compare", fit.run_id);

	/* the model */
	spend = xmalloc((size_t)C * d.T * sizeof *spend + 1);
	for (c = 0; c < C; c++)
		for (t = 0; t < d.T; t++)
			spend[(size_t)c * d.T + t] = d.spend[(size_t)t * d.C + live[c]];
	K = d.K;
	m.T = d.T;
	m.C = C;
	m.F = robyn_fixed_regressors(d.T, d.grain, d.day0, K, d.ctrl, &fixed);
	m.spend = spend;
	m.fixed = fixed;
	m.y = d.kpi;
	ranges(&a, C, names, &m.b);
	robyn_model_prepare(&m);

	s.iterations = a.iterations;
	s.trials = a.trials;
	s.threads = a.threads;
	s.seed = a.seed;
	s.progress = isatty(2) && !a.quiet;
	robyn_search_run(&m, &s);
	if (s.chosen < 0)
		die(AELP_EXIT_SOFTWARE, "no candidate on the first Pareto front");

	coef = xcalloc((size_t)C + 1, sizeof *coef);
	decomp = xcalloc((size_t)C + 1, sizeof *decomp);
	ev.coef = coef;
	ev.decomp = decomp;
	w = robyn_work_new(&m);
	robyn_evaluate(&m, w, s.u + (size_t)s.chosen * s.d, &ev);
	robyn_work_free(w);
	h.theta = xcalloc((size_t)C + 1, sizeof *h.theta);
	h.alpha = xcalloc((size_t)C + 1, sizeof *h.alpha);
	h.gamma = xcalloc((size_t)C + 1, sizeof *h.gamma);
	robyn_decode(&m, s.u + (size_t)s.chosen * s.d, &h);

	/* the rows */
	if (a.week)
		wday = days_from_civil(atoi(a.week), (unsigned)atoi(a.week + 5), (unsigned)atoi(a.week + 8));
	else
		wday = d.day0 + (long long)(d.T - 1) * d.grain;
	fmt_day(monday(wday), week);
	if (a.run_id)
		run_id = xstrdup(a.run_id);
	else if (flow_run_id())
		run_id = xstrdup(flow_run_id());
	else
		run_id = xasprintf("mmm-validate-%s", week);
	timestamp_now(now, NULL);
	for (c = 0; c < ncmp; c++) {
		const struct bayes_channel *b = fit_channel(&fit, names[cmp[c]]);
		rsum += decomp[cmp[c]];
		bsum += isfinite(b->contribution_mean) ? b->contribution_mean : 0.0;
	}
	for (c = 0; c < ncmp; c++) {
		int j = cmp[c];
		const struct bayes_channel *b = fit_channel(&fit, names[j]);
		double roi = m.spend_total[j] > 0 ? decomp[j] / m.spend_total[j] : NAN;
		double rs = rsum != 0 ? decomp[j] / rsum : NAN;
		double bs = bsum != 0 && isfinite(b->contribution_mean) ? b->contribution_mean / bsum : NAN;
		int ok = isfinite(roi) && isfinite(b->roi_p05) && isfinite(b->roi_p95) &&
			 roi >= b->roi_p05 * (1 - a.tol) && roi <= b->roi_p95 * (1 + a.tol);
		FILE *o = stdout;

		ok ? nok++ : nwarn++;
		fputs("{\"_table\":\"robyn_comparison_weekly\"", o);
		jw_kv_str(o, "week", week);
		jw_kv_str(o, "channel", names[j]);
		jw_kv_str(o, "run_id", run_id);
		jw_kv_str(o, "mmm_run_id", fit.run_id);
		jw_kv_real(o, "robyn_roi", roi);
		jw_kv_real(o, "bayes_roi_mean", b->roi_mean);
		jw_kv_real(o, "bayes_roi_p05", b->roi_p05);
		jw_kv_real(o, "bayes_roi_p95", b->roi_p95);
		jw_kv_real(o, "roi_diff", roi - b->roi_mean);
		jw_kv_real(o, "robyn_share", rs);
		jw_kv_real(o, "bayes_share", bs);
		jw_kv_real(o, "share_diff", rs - bs);
		jw_kv_real(o, "nrmse", ev.nrmse);
		jw_kv_real(o, "decomp_rssd", ev.rssd);
		jw_kv_real(o, "tolerance", a.tol);
		jw_kv_str(o, "status", ok ? "ok" : "warn");
		fputs(",\"hyperparameters\":{\"theta\":", o);
		jw_real(o, h.theta[j]);
		fputs(",\"alpha\":", o);
		jw_real(o, h.alpha[j]);
		fputs(",\"gamma\":", o);
		jw_real(o, h.gamma[j]);
		fputs(",\"lambda\":", o);
		jw_real(o, h.lambda);
		fputc('}', o);
		jw_kv_str(o, "created_at", now);
		fputs("}\n", o);
	}
	out_finish();

	if (!a.quiet) {
		char *warned = NULL;
		size_t wl = 0;
		FILE *mem = open_memstream(&warned, &wl);
		int nw = 0;
		for (c = 0; c < ncmp && mem; c++) {
			const struct bayes_channel *b = fit_channel(&fit, names[cmp[c]]);
			double roi = decomp[cmp[c]] / m.spend_total[cmp[c]];
			if (!(isfinite(roi) && isfinite(b->roi_p05) && isfinite(b->roi_p95) &&
			      roi >= b->roi_p05 * (1 - a.tol) && roi <= b->roi_p95 * (1 + a.tol)))
				fprintf(mem, "%s%s", nw++ ? ", " : "", names[cmp[c]]);
		}
		if (mem)
			fclose(mem);
		fprintf(stderr, "mmm-validate: chosen model NRMSE %.4f, DECOMP.RSSD %.4f (%d candidates, "
			"%d kept fronts); against fit '%s': %d channels ok, %d warn%s%s%s\n",
			ev.nrmse, ev.rssd, s.n, s.kept, fit.run_id, nok, nwarn,
			nwarn ? " (" : "", nwarn && warned ? warned : "", nwarn ? ")" : "");
		free(warned);
	}
	{
		json_t *j = json_object();
		char *txt;
		json_object_set_new(j, "mmm_run_id", json_string(fit.run_id));
		json_object_set_new(j, "channels_ok", json_integer(nok));
		json_object_set_new(j, "channels_warn", json_integer(nwarn));
		json_object_set_new(j, "candidates", json_integer(s.n));
		json_object_set_new(j, "nrmse", json_real(ev.nrmse));
		json_object_set_new(j, "decomp_rssd", json_real(ev.rssd));
		txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		step_report("mmm-validate", d.T, -1, txt);
		free(txt);
		json_decref(j);
	}

	free(run_id);
	free(h.theta);
	free(h.alpha);
	free(h.gamma);
	free(coef);
	free(decomp);
	robyn_search_free(&s);
	robyn_model_free(&m);
	free(m.b.theta);
	free(m.b.alpha);
	free(m.b.gamma);
	free(spend);
	free(fixed);
	free(live);
	free(cmp);
	free(names);
	fit_free(&fit);
	mmm_free(&d);
	return 0;
}
