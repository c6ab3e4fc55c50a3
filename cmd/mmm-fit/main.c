/*
 * mmm-fit: a Bayesian media-mix model fitted by NUTS; writes mmm_runs,
 * mmm_allocations and mmm_curves rows.  The work is in fit.c; the model in
 * model.c; the sampler in nuts.c; diagnostics in diag.c; the allocator in
 * alloc.c.
 */
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "fit.h"
#include "ltvprior.h"
#include "mmmdata.h"
#include "model.h"
#include "ndjson.h"
#include "opts.h"
#include "schema.h"
#include "warehouse.h"

enum {
	O_GRAIN = 1000, O_PERIODS, O_ADSTOCK, O_LAG, O_PRIORS, O_SEED, O_CHAINS, O_WARMUP, O_DRAWS,
	O_THREADS, O_DENSE, O_DEPTH, O_ACCEPT, O_RUNID, O_KPI, O_VALUE, O_BUDGET, O_BOUND, O_CURDAYS,
	O_POINTS, O_GRID, O_STAN, O_RHAT, O_DIV, O_PROGRESS, O_QUIET
};

static const struct opt options[] = {
	{ O_GRAIN, "grain", 0, "day|week", "the data's grain (default: detected from the KPI's dates); week on daily rows sums them into 7-day periods" },
	{ O_PERIODS, "periods", 0, "N", "fit the last N periods only (default: all)" },
	{ O_ADSTOCK, "adstock", 0, "KIND", "geometric (default) or delayed (Jin et al. 2017: weights alpha^((l-theta)^2))" },
	{ O_LAG, "max-lag", 0, "L", "adstock window in periods (default 28 days or 13 weeks)" },
	{ O_PRIORS, "priors", 0, "FILE", "JSON file overriding the priors' numbers (see below)" },
	{ O_SEED, "seed", 0, "N", "random seed (default 1); same seed and input, same draws" },
	{ O_CHAINS, "chains", 0, "N", "chains (default 4), run in parallel threads" },
	{ O_WARMUP, "warmup", 0, "N", "warm-up iterations per chain (default 1000)" },
	{ O_DRAWS, "draws", 0, "N", "kept draws per chain (default 1000)" },
	{ O_THREADS, "threads", 0, "N", "chains at once (default: one per core, at most one per chain)" },
	{ O_DENSE, "dense", 0, NULL, "adapt a dense mass matrix (default: diagonal)" },
	{ O_DEPTH, "max-depth", 0, "N", "NUTS maximum tree depth (default 10)" },
	{ O_ACCEPT, "target-accept", 0, "P", "step-size adaptation target (default 0.9; Stan and PyMC use 0.8, LightweightMMM 0.85)" },
	{ O_RUNID, "run-id", 0, "ID", "run id of the rows (default mmm-END-sSEED)" },
	{ O_KPI, "kpi", 0, "NAME", "what the KPI counts: conversions (default) or revenue (then no CAC)" },
	{ O_VALUE, "value-per-conversion", 0, "V|ltv", "turn conversion ROI into value ROI: ROI columns are V x conversions per currency; ltv: V = the newest ltv_priors row for all (ltv-fit)" },
	{ O_BUDGET, "budget", 0, "B", "total daily budget to allocate (default: the current total)" },
	{ O_BOUND, "bound-pct", 0, "P", "each channel may move P% around its current daily spend (default 30)" },
	{ O_CURDAYS, "current-days", 0, "N", "current daily spend = mean over the last N days (default 28)" },
	{ O_POINTS, "curve-points", 0, "N", "points of each response curve, 0 to 2x current spend (default 21)" },
	{ O_GRID, "grid", 0, "N", "allocator grid units (default 2000)" },
	{ O_STAN, "stan-data", 0, "FILE", "also write the model's scaled data and priors as JSON for Stan (tests/bench/mmm.stan)" },
	{ O_RHAT, "max-rhat", 0, "R", "diagnostics fail above this split R-hat (default 1.05)" },
	{ O_DIV, "max-divergences", 0, "F", "diagnostics fail above this fraction of divergent draws (default 0.01)" },
	{ O_PROGRESS, "progress", 0, NULL, "show progress on stderr even when it is not a terminal" },
	{ O_QUIET, "quiet", 'q', NULL, "no progress, even on a terminal" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"mmm-fit",
	"[options] [FILE]",
	"Fit a Bayesian media-mix model to daily or weekly spend by channel and a KPI, and\n"
	"write what each channel is worth and what budget split follows, as NDJSON rows for\n"
	"bq-load: one mmm_runs row, then (when the diagnostics pass) one mmm_allocations row\n"
	"per channel and curve-points mmm_curves rows per channel.\n"
	"\n"
	"Input (FILE or stdin), one row per line, in any order:\n"
	"  {\"date\":\"2025-01-06\",\"channel\":\"meta\",\"spend\":123.4}     (\"impressions\" optional)\n"
	"  {\"date\":\"2025-01-06\",\"kpi\":456.0}\n"
	"  {\"date\":\"2025-01-06\",\"control\":\"promo\",\"value\":1}\n"
	"Spend rows of one date and channel are summed; a channel or control without a row on\n"
	"a date is 0 there.  Every period between the first and last KPI needs a KPI (a gap is\n"
	"an error naming it); negative spend, a second KPI for a date, or a row outside the\n"
	"KPI's dates is an error (exit 65, FILE:LINE).  A channel that spent nothing in the\n"
	"window is left out of the model, gets no budget and is listed in the diagnostics;\n"
	"a constant control is left out.  Impressions are read and checked but not modelled.\n"
	"\n"
	"The model (data divided by their means, as LightweightMMM advises):\n"
	"  y[t] ~ Normal(tau + delta*trend + seasonality + controls + sum_c beta_c*Hill(adstock_c), sigma)\n"
	"  adstock: normalised weights over L periods, alpha^l (geometric) or alpha^((l-theta)^2)\n"
	"  Hill(a) = a^S / (a^S + K^S); beta = rho (1 + K^S), so rho is the channel's effect\n"
	"  at its mean spend, which the data pin down (the sampler works on rho, K, S, and on\n"
	"  the KPI's mean level rather than tau: the same posterior, far better geometry);\n"
	"  seasonality: Fourier, weekly (3 harmonics, daily data) and yearly (2 harmonics\n"
	"  from two years of data, 1 from one year).\n"
	"Priors (scaled units; a channel's mean spend is 1):\n"
	"  alpha ~ Beta(2,2)  K ~ LogNormal(0,1)  S ~ Gamma(2,1)  theta ~ Uniform(0,L-1)\n"
	"  rho ~ HalfNormal(0.5 x the channel's share of spend): a priori the channels drive\n"
	"    about 40% of the KPI, split as the spend is (the same prior ROI for every channel)\n"
	"  tau ~ Normal(0,2)  delta, gamma, zeta ~ Normal(0,1)  sigma ~ HalfNormal(1)\n"
	"--priors FILE changes the numbers, globally or per channel, e.g.\n"
	"  {\"K\":{\"mu\":0,\"sd\":0.5}, \"sigma\":{\"sd\":0.5},\n"
	"   \"channels\":{\"tiktok\":{\"rho\":{\"sd\":0.3}, \"alpha\":{\"a\":3,\"b\":2}}}}\n"
	"Keys: alpha{a,b} K{mu,sd} S{shape,rate} rho{sd} tau{mu,sd} delta{sd} gamma{sd}\n"
	"zeta{sd} sigma{sd} channels{NAME:{alpha,K,S,rho}}; anything else is an error.  A\n"
	"global key changes only the numbers it names, for every channel (rho.sd then is\n"
	"the same absolute scale for all); a channel's own keys come last.\n"
	"\n"
	"Inference: NUTS (multinomial, Stan's warm-up) on analytic gradients, --chains chains\n"
	"in threads, each with its own stream of --seed: the same seed gives the same draws on\n"
	"any number of threads.  Diagnostics: split R-hat (rank-normalised), bulk and tail ESS,\n"
	"divergences, tree-depth hits, E-BFMI.  When R-hat exceeds --max-rhat or divergences\n"
	"exceed --max-divergences, the diagnosis (which parameters, what to try) goes to stderr\n"
	"and mmm_runs (status failed_diagnostics), no curves or allocations are written, and\n"
	"mmm-fit exits 1.\n"
	"\n"
	"Outputs: ROI = contribution over the window / spend over the window (KPI per currency;\n"
	"x --value-per-conversion); CAC = spend / contribution; uncertainty_pct =\n"
	"(roi_p95 - roi_p05) / (2 roi_mean).  Curves give the steady-state daily response to a\n"
	"constant daily spend and its derivative (marginal ROI; at zero spend, the slope over\n"
	"the first step).  The allocation maximises the posterior mean of the total daily\n"
	"response for the budget, each channel within --bound-pct of its current spend: a\n"
	"dynamic programme on a --grid grid (global, Hill curves need not be concave), then\n"
	"pairwise refinement; it sums to the budget and at_bound says where a bound binds.\n"
	"\n"
	"--value-per-conversion ltv reads the warehouse: the newest ltv-fit run's ltv_priors row\n"
	"for segment all (value_mean: a new customer's first purchase plus its discounted repeat\n"
	"value).  mmm_runs.options.value_source names the run and keeps the prior's 90% interval;\n"
	"the ROI bands carry the model's uncertainty, not the prior's.  No prior: exit 65.",
	options,
	"Environment:\n"
	"  AELP2_MMM_USE_UPLIFT=1   expect uplift covariates: controls named uplift:ARM/SEGMENT\n"
	"                           (pipelines/mmm_input.sh adds them from segment_scores_daily);\n"
	"                           the diagnostics get a covariates section either way\n"
	"  AELP2_STEP_REPORT        where flow-step collects the step's row counts\n"
	"\n"
	"Examples:\n"
	"  pipelines/mmm_input.sh --end 2025-06-30 | mmm-fit --seed 7 | bq-load\n"
	"  mmm-fit --grain week --chains 2 --draws 500 input.ndjson > fit.ndjson\n"
	"\n"
	"Exit status:\n"
	"  0   success\n"
	"  1   the sampler's diagnostics failed (the mmm_runs row says why)\n"
	"  2   usage error (an option, the priors file, a budget the bounds cannot meet)\n"
	"  65  bad input data (file and line named; nothing written)\n"
	"  70  internal or I/O error (e.g. a write to stdout failed)"
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct fit_opts *o = ctx;

	switch (id) {
	case O_GRAIN:
		if (strcmp(arg, "day") == 0)
			o->grain = MMM_GRAIN_DAY;
		else if (strcmp(arg, "week") == 0)
			o->grain = MMM_GRAIN_WEEK;
		else
			usage_error(&spec, "--grain is day or week, not '%s'", arg);
		break;
	case O_PERIODS: o->periods = (int)opt_long("periods", arg, 2, 100000); break;
	case O_ADSTOCK:
		if (strcmp(arg, "geometric") == 0)
			o->adstock = MMM_GEOMETRIC;
		else if (strcmp(arg, "delayed") == 0)
			o->adstock = MMM_DELAYED;
		else
			usage_error(&spec, "--adstock is geometric or delayed, not '%s'", arg);
		break;
	case O_LAG: o->max_lag = (int)opt_long("max-lag", arg, 2, 1000); break;
	case O_PRIORS: o->priors = arg; break;
	case O_SEED: o->seed = (unsigned long)opt_long("seed", arg, 0, 4294967295LL); break;
	case O_CHAINS: o->chains = (int)opt_long("chains", arg, 1, 64); break;
	case O_WARMUP: o->warmup = (int)opt_long("warmup", arg, 0, 1000000); break;
	case O_DRAWS: o->draws = (int)opt_long("draws", arg, 10, 1000000); break;
	case O_THREADS: o->threads = (int)opt_long("threads", arg, 1, 64); break;
	case O_DENSE: o->dense = 1; break;
	case O_DEPTH: o->max_depth = (int)opt_long("max-depth", arg, 1, 20); break;
	case O_ACCEPT: o->target_accept = opt_double("target-accept", arg, 0.05, 0.999); break;
	case O_RUNID:
		if (!*arg)
			usage_error(&spec, "--run-id must not be empty");
		o->run_id = arg;
		break;
	case O_KPI:
		if (strcmp(arg, "conversions") != 0 && strcmp(arg, "revenue") != 0)
			usage_error(&spec, "--kpi is conversions or revenue, not '%s'", arg);
		o->kpi = arg;
		break;
	case O_VALUE:
		if (strcmp(arg, "ltv") == 0)
			o->value_from_ltv = 1;
		else
			o->value = opt_double("value-per-conversion", arg, 1e-12, 1e12);
		break;
	case O_BUDGET: o->budget = opt_double("budget", arg, 1e-9, 1e15); break;
	case O_BOUND: o->bound_pct = opt_double("bound-pct", arg, 0, 1000); break;
	case O_CURDAYS: o->current_days = (int)opt_long("current-days", arg, 1, 10000); break;
	case O_POINTS: o->curve_points = (int)opt_long("curve-points", arg, 2, 10000); break;
	case O_GRID: o->grid = (int)opt_long("grid", arg, 10, 100000); break;
	case O_STAN: o->stan_data = arg; break;
	case O_RHAT: o->rhat_max = opt_double("max-rhat", arg, 1.0, 100); break;
	case O_DIV: o->div_max = opt_double("max-divergences", arg, 0, 1); break;
	case O_PROGRESS: o->progress = 1; break;
	case O_QUIET: o->progress = 0; break;
	}
}

/* --value-per-conversion ltv: the newest ltv_priors row for all. */
static void value_from_ltv(struct fit_opts *o)
{
	struct schema_set *set = schema_load(NULL);
	struct wh_err we = { 0 };
	struct wh *w = wh_open_env(set, WH_OPEN_READ, &we);
	struct ltv_priors pr;
	const struct ltv_prior *p;
	char err[600];
	int rc;

	if (!w)
		die(we.missing == WH_NO_WAREHOUSE ? AELP_EXIT_DATAERR : we.code,
		    "--value-per-conversion ltv: %s", we.msg);
	rc = ltv_priors_read(w, &pr, err, sizeof err);
	wh_close(w);
	schema_free(set);
	if (rc)
		die(rc, "--value-per-conversion ltv: %s", err);
	p = ltv_prior_for(&pr, "all");
	if (!pr.run_id || !p || !(p->mean > 0))
		die(AELP_EXIT_DATAERR, "--value-per-conversion ltv: ltv_priors has no %s (run ltv-fit "
		    "and load its rows first)", !pr.run_id ? "row" : "positive value_mean for segment all");
	o->value = p->mean;
	o->value_low = p->low;
	o->value_high = p->high;
	o->value_run_id = xstrdup(pr.run_id);
	ltv_priors_free(&pr);
}

int main(int argc, char **argv)
{
	struct fit_opts o;
	int first, rc;

	fit_defaults(&o);
	first = opts_parse(&spec, argc, argv, on_opt, &o);
	if (argc - first > 1)
		usage_error(&spec, "one input file at most");
	if (argc - first == 1)
		o.input = argv[first];
	if ((o.value > 0 || o.value_from_ltv) && strcmp(o.kpi, "revenue") == 0)
		usage_error(&spec, "--value-per-conversion needs a conversions KPI");
	if (o.value_from_ltv)
		value_from_ltv(&o);
	out_init();
	rc = fit_run(&o);
	if (rc == 0 || rc == 1)
		out_finish();
	aelp_exit_now(rc);
}
