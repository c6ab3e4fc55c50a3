/*
 * uplift-score: the effect of each treatment arm against control on each
 * outcome, overall, per segment and per quantile of predicted uplift, by
 * difference in means, T- and X-learners, IPW and AIPW.  Input in input.h
 * (each line scanned by common/jscan.h), the base models in glm.h, the
 * estimators in learners.h, the run in score.h, Qini/AUUC in metrics.h, the
 * rows in out.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "die.h"
#include "input.h"
#include "ndjson.h"
#include "opts.h"
#include "out.h"
#include "report.h"
#include "score.h"
#include "timefmt.h"

enum { O_QUIET = 'q', O_MODEL = 'm', O_ID = 1000, O_TREATMENT, O_OUTCOME, O_CONTROL, O_ARMS,
       O_SEGMENT, O_COVARIATES, O_PROPENSITY, O_TRIM, O_QUANTILES, O_FOLDS, O_INTERVAL,
       O_BOOTSTRAP, O_SEED, O_L2, O_DATE, O_RUNID, O_AUDIENCE, O_PREDICTIONS };

static const struct opt options[] = {
	{ O_ID, "id", 0, "COL", "the unit id column (string or integer; required)" },
	{ O_TREATMENT, "treatment", 0, "COL", "the arm column: names, or 0/1/true/false (required)" },
	{ O_OUTCOME, "outcome", 0, "LIST", "outcome columns, comma-separated (required)" },
	{ O_CONTROL, "control", 0, "VALUE", "the control arm (default 0/false for an indicator)" },
	{ O_ARMS, "arms", 0, "LIST", "the treatment arms (default: every value but control)" },
	{ O_SEGMENT, "segment", 0, "COL", "segments: a row per level besides 'all'" },
	{ O_COVARIATES, "covariates", 0, "LIST", "covariate columns of the learners and the propensity" },
	{ O_MODEL, "model", 'm', "LIST", "diff_in_means (default), t_learner, x_learner, ipw, dr" },
	{ O_PROPENSITY, "propensity", 0, NULL, "observational data: fit e(x), add ipw and dr" },
	{ O_TRIM, "trim", 0, "T", "drop units with e(x) outside [T, 1-T], 0..0.5 (default 0.05)" },
	{ O_QUANTILES, "quantiles", 0, "K", "segments q1..qK by predicted uplift, q1 highest" },
	{ O_FOLDS, "folds", 0, "F", "folds of the out-of-fold predictions, 1..100 (default 2; 1 in-sample)" },
	{ O_INTERVAL, "interval", 0, "KIND", "diff_in_means interval: normal (default) or bootstrap" },
	{ O_BOOTSTRAP, "bootstrap", 0, "B", "replicates (default 1000 diff_in_means, 200 x_learner)" },
	{ O_SEED, "seed", 0, "N", "random seed of folds and bootstraps (default 1)" },
	{ O_L2, "l2", 0, "LAMBDA", "ridge penalty of the base models, >= 0 (default 0)" },
	{ O_DATE, "date", 0, "DAY", "date of the rows (default today, UTC)" },
	{ O_RUNID, "run-id", 0, "ID", "run_id (default $AELP2_RUN_ID, else uplift-score-DAY)" },
	{ O_AUDIENCE, "audience-map", 0, "FILE", "segment to audience mappings to check and emit" },
	{ O_PREDICTIONS, "predictions", 0, "FILE", "write each unit's predicted uplift per learner to FILE" },
	{ O_QUIET, "quiet", 'q', NULL, "no summary line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"uplift-score",
	"--id COL --treatment COL --outcome LIST [options] [FILE...]",
	"Estimate the uplift of each treatment arm against control on each outcome, for the\n"
	"whole population ('all'), each level of --segment and each quantile of predicted\n"
	"uplift: segment_scores_daily rows (one per estimator, arm, segment and outcome) and\n"
	"uplift_models rows (one per estimator, arm and outcome) on stdout.\n"
	"\n"
	"Input (FILEs, or stdin): NDJSON, one unit a line, e.g.\n"
	"  {\"id\":17,\"segment\":\"Mens E-Mail\",\"visit\":1,\"spend\":0,\"recency\":6,\"zip\":\"Rural\"}\n"
	"  Treatment: names (then --control names the control arm; every other value is an\n"
	"  arm, or --arms lists them and any other value is bad input) or an indicator\n"
	"  0/1/true/false (control 0, arm \"1\").  Outcomes: numbers or booleans; binary when\n"
	"  every value is 0 or 1 (logistic base models), else continuous (linear).\n"
	"  Covariates: numbers as they are, booleans 0/1, strings one-hot with the first\n"
	"  level in byte order dropped (columns COLUMN=VALUE), plus an intercept.\n"
	"  Bad input -- a row without id, a duplicate id (both lines named), a treatment\n"
	"  that is neither control nor an arm, a missing or non-numeric outcome, a missing\n"
	"  covariate -- exits 65 with FILE:LINE, writing nothing.\n"
	"\n"
	"Estimators (--model; 90% intervals):\n"
	"  diff_in_means  mean_T - mean_C; normal interval with Welch's standard error\n"
	"                 sqrt(s_T^2/n_T + s_C^2/n_C), or with --interval bootstrap the 5th\n"
	"                 and 95th percentiles of --bootstrap replicates resampled within arms\n"
	"  t_learner      mu_T and mu_C fitted separately (logistic by IRLS / OLS, intercept,\n"
	"                 optional --l2 ridge on all but the intercept; with l2 = 0 the\n"
	"                 optimum of scikit-learn's LogisticRegression(penalty=None));\n"
	"                 tau(x) = mu_T(x) - mu_C(x); a segment's uplift is the mean tau over\n"
	"                 its units; interval by the delta method: Var = a_T'V_T a_T +\n"
	"                 a_C'V_C a_C + s_tau^2/m with a_A the mean gradient of mu_A in its\n"
	"                 coefficients, V_A their covariance (logistic: inverse information;\n"
	"                 OLS: HC1 sandwich) and s_tau^2/m the sampling variance of the mean\n"
	"  x_learner      Kunzel et al.: D_T = Y_T - mu_C(X_T), D_C = mu_T(X_C) - Y_C, linear\n"
	"                 fits tau_T, tau_C, tau = g tau_C + (1-g) tau_T with g the arm's share\n"
	"                 (or e(x) with --propensity); interval: percentiles of --bootstrap\n"
	"                 (default 200) refits on units resampled within arms\n"
	"  ipw, dr        with --propensity: e(x) by logistic regression of the arm on the\n"
	"                 covariates, units outside [trim, 1-trim] dropped (counted in\n"
	"                 details); ipw: Hajek weighting; dr: AIPW with T-learner outcome\n"
	"                 models fitted on the kept units; normal intervals from the\n"
	"                 influence function\n"
	"\n"
	"Learner rows also carry, for binary outcomes, the Qini coefficient and AUUC of the\n"
	"learner's predictions (out of fold with --folds F > 1: folds dealt at random by\n"
	"--seed; in-sample with --folds 1), normalised as scikit-uplift 0.5.1's\n"
	"qini_auc_score(negative_effect=True) and uplift_auc_score:\n"
	"(area(model) - area(random)) / (area(perfect) - area(random)), ties entering the\n"
	"curves together.  Continuous outcomes get null (scikit-uplift defines neither).\n"
	"--quantiles K adds segments q1..qK per learner: units ranked by out-of-fold\n"
	"predicted uplift (q1 highest), each quantile's uplift the difference in means there.\n"
	"\n"
	"--audience-map FILE (NDJSON, or CSV with a header): segment, platform, audience_id\n"
	"[, audience_name, audience_type, customer_id, channel, active] checked (platform\n"
	"google_ads, meta, tiktok or linkedin; the segment one this run scored) and written as\n"
	"segment_audience_map rows (source FILE).\n"
	"\n"
	"Examples:\n"
	"  uplift-score --id id --treatment segment --control 'No E-Mail' \\\n"
	"      --outcome visit,conversion,spend hillstrom.ndjson\n"
	"  uplift-score --id id --treatment segment --control 'No E-Mail' --outcome visit \\\n"
	"      -m t_learner,x_learner --covariates recency,history,mens,womens,newbie \\\n"
	"      --quantiles 10 --predictions pred.ndjson hillstrom.ndjson | bq-load --upsert\n",
	options,
	"  AELP2_RUN_ID     run_id of the rows when --run-id is not given\n"
};

struct args {
	struct up_config c;
	struct up_opts o;
	int model_given, interval_boot, boot;
	const char *date, *run_id, *audience, *predictions;
	int quiet;
};

static void list_opt(const char *name, const char *arg, char ***v, size_t *n)
{
	if (*v)
		free_list(*v, *n);
	if (split_list(arg, v, n) != 0)
		usage_error(&spec, "--%s: '%s' has an empty item", name, arg);
}

static void add_models(struct args *a, const char *arg)
{
	char **v;
	size_t n;
	if (split_list(arg, &v, &n) != 0)
		usage_error(&spec, "--model: '%s' has an empty item", arg);
	for (size_t i = 0; i < n; i++) {
		int k;
		for (k = 0; k < E_COUNT; k++)
			if (strcmp(v[i], up_estimator_name[k]) == 0)
				break;
		if (k == E_COUNT)
			usage_error(&spec, "--model: '%s' is not diff_in_means, t_learner, x_learner, "
				    "ipw or dr", v[i]);
		a->o.want[k] = 1;
	}
	free_list(v, n);
	a->model_given = 1;
}

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;

	switch (id) {
	case O_ID: a->c.id = arg; break;
	case O_TREATMENT: a->c.treatment = arg; break;
	case O_OUTCOME: list_opt("outcome", arg, &a->c.outcomes, &a->c.nout); break;
	case O_CONTROL: a->c.control = arg; break;
	case O_ARMS: list_opt("arms", arg, &a->c.arms, &a->c.narms); break;
	case O_SEGMENT: a->c.segment = arg; break;
	case O_COVARIATES: list_opt("covariates", arg, &a->c.covariates, &a->c.ncov); break;
	case O_MODEL: add_models(a, arg); break;
	case O_PROPENSITY: a->o.propensity = 1; break;
	case O_TRIM: a->o.trim = opt_double("trim", arg, 0, 0.5); break;
	case O_QUANTILES: a->o.quantiles = (int)opt_long("quantiles", arg, 1, 1000); break;
	case O_FOLDS: a->o.folds = (int)opt_long("folds", arg, 1, 100); break;
	case O_INTERVAL:
		if (strcmp(arg, "normal") == 0)
			a->interval_boot = 0;
		else if (strcmp(arg, "bootstrap") == 0)
			a->interval_boot = 1;
		else
			usage_error(&spec, "--interval: '%s' is not normal or bootstrap", arg);
		break;
	case O_BOOTSTRAP: a->boot = (int)opt_long("bootstrap", arg, 10, 1000000); break;
	case O_SEED: a->o.seed = (uint64_t)opt_long("seed", arg, 0, 0x7fffffffffffffffLL); break;
	case O_L2: a->o.l2 = opt_double("l2", arg, 0, 1e12); break;
	case O_DATE:
		if (!date_valid(arg, strlen(arg)))
			usage_error(&spec, "--date: '%s' is not a day (YYYY-MM-DD)", arg);
		a->date = arg;
		break;
	case O_RUNID: a->run_id = arg; break;
	case O_AUDIENCE: a->audience = arg; break;
	case O_PREDICTIONS: a->predictions = arg; break;
	case O_QUIET: a->quiet = 1; break;
	}
}

int main(int argc, char **argv)
{
	struct args a = { .o = { .trim = 0.05, .folds = 2, .seed = 1 } };
	struct up_data d;
	struct up_result r;
	struct up_meta meta;
	char err[2048], created[TS_CANON_MAX], date[11], *run_id, *buf = NULL, *pbuf = NULL;
	size_t blen = 0, plen = 0;
	FILE *mem, *pmem = NULL;
	int first, rc;
	long amap = 0;

	out_init();
	gsl_set_error_handler_off();
	first = opts_parse(&spec, argc, argv, on_opt, &a);
	if (!a.c.id || !a.c.treatment || !a.c.outcomes)
		usage_error(&spec, "--id, --treatment and --outcome are required");
	if (!a.model_given)
		a.o.want[E_DIM] = 1;
	if (a.o.want[E_IPW] || a.o.want[E_DR])
		a.o.propensity = 1;
	if (a.o.propensity)
		a.o.want[E_IPW] = a.o.want[E_DR] = 1;
	if (a.o.propensity && a.c.ncov == 0)
		usage_error(&spec, "--propensity (ipw, dr): give the --covariates the arms depend on");
	if (a.o.quantiles && !a.o.want[E_TL] && !a.o.want[E_XL])
		usage_error(&spec, "--quantiles: rank by a learner's predictions: add -m t_learner "
			    "or x_learner");
	a.o.boot_interval = a.interval_boot;
	a.o.boot_dim = a.boot ? a.boot : 1000;
	a.o.boot_xl = a.boot ? a.boot : 200;

	rc = up_read(argv + first, (size_t)(argc - first), &a.c, &d, err, sizeof err);
	if (rc == 2)
		usage_error(&spec, "%s", err);
	if (rc)
		die(rc, "%s", err);
	for (size_t s = 0; s < d.nseg; s++) {
		int clash = strcmp(d.seg_level[s], "all") == 0;
		for (int k = 1; k <= a.o.quantiles && !clash; k++) {
			char q[24];
			snprintf(q, sizeof q, "q%d", k);
			clash = strcmp(d.seg_level[s], q) == 0;
		}
		if (clash)
			die(65, "segment '%s' of column '%s' clashes with a segment uplift-score names",
			    d.seg_level[s], a.c.segment);
	}

	timestamp_now(created, NULL);
	snprintf(date, sizeof date, "%.10s", a.date ? a.date : created);
	if (a.run_id)
		run_id = xstrdup(a.run_id);
	else if (flow_run_id())
		run_id = xstrdup(flow_run_id());
	else
		run_id = xasprintf("uplift-score-%s", date);
	meta = (struct up_meta){ date, run_id, created, AELP_VERSION };

	if (a.predictions && !(pmem = open_memstream(&pbuf, &plen)))
		die(70, "open_memstream: out of memory");
	rc = up_score(&d, &a.o, &r, pmem, err, sizeof err);
	if (rc)
		die(rc, "%s", err);
	if (!(mem = open_memstream(&buf, &blen)))
		die(70, "open_memstream: out of memory");
	up_write_scores(mem, &d, &r, &meta);
	up_write_models(mem, &d, &r, &meta);
	if (a.audience && (amap = up_audience_map(mem, a.audience, &r, &meta, err, sizeof err)) < 0)
		die(65, "%s", err);
	if (fclose(mem) != 0)
		die(70, "open_memstream: out of memory");
	if (pmem) {
		FILE *pf;
		if (fclose(pmem) != 0)
			die(70, "open_memstream: out of memory");
		if (!(pf = fopen(a.predictions, "w")))
			die(70, "--predictions: cannot write '%s'", a.predictions);
		if (fwrite(pbuf, 1, plen, pf) != plen || fclose(pf) != 0)
			die(70, "--predictions: write error on '%s'", a.predictions);
		free(pbuf);
	}
	fwrite(buf, 1, blen, stdout);
	out_check(stdout);
	free(buf);

	if (!a.quiet)
		warn("%zu units, %zu arms, %zu outcomes: %zu segment_scores_daily, %zu uplift_models, "
		     "%ld segment_audience_map rows%s", d.n, d.narm, d.nout, r.nscore, r.nmodel, amap,
		     a.o.propensity ? "" : "");
	if (a.o.propensity && !a.quiet)
		warn("overlap trimming dropped %zu unit comparisons (e outside [%g, %g])", r.trimmed,
		     a.o.trim, 1 - a.o.trim);
	{
		char details[256];
		snprintf(details, sizeof details,
			 "{\"units\":%zu,\"arms\":%zu,\"outcomes\":%zu,\"segment_scores_daily\":%zu,"
			 "\"uplift_models\":%zu,\"segment_audience_map\":%ld}",
			 d.n, d.narm, d.nout, r.nscore, r.nmodel, amap);
		step_report("uplift-score", (long long)d.n, -1, details);
	}
	up_result_free(&r);
	up_data_free(&d);
	free(run_id);
	free_list(a.c.outcomes, a.c.nout);
	free_list(a.c.covariates, a.c.ncov);
	free_list(a.c.arms, a.c.narms);
	out_finish();
	return 0;
}
