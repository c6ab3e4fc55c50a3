/*
 * bandit-decide: which arms (ads, audiences, keywords) of each campaign get
 * the traffic, by Thompson sampling (or UCB1, epsilon-greedy, LinTS,
 * LinUCB) under an exploration budget and a CAC cap.  The math is in mab.h
 * and linear.h, the reads in arms.h, the rows in out.h, serving in serve.h.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "arms.h"
#include "die.h"
#include "ltvprior.h"
#include "ndjson.h"
#include "opts.h"
#include "out.h"
#include "report.h"
#include "schema.h"
#include "serve.h"
#include "timefmt.h"
#include "warehouse.h"

enum { O_QUIET = 'q', O_CAMPAIGN = 1000, O_LOOKBACK, O_DATE, O_METRIC, O_POLICY, O_PRIOR, O_ALPHA,
       O_EPSILON, O_LAMBDA, O_EXPLORATION, O_CACCAP, O_PRIORCONV, O_SLATE, O_DRAWS, O_SEED,
       O_STDIN, O_REQUESTS, O_STATS, O_RUNID, O_LTV };

static const struct opt options[] = {
	{ O_CAMPAIGN, "campaign-id", 0, "ID", "one campaign (default: every campaign with arms)" },
	{ O_LOOKBACK, "lookback", 0, "N", "days of ads_ad_performance ending at --date (default 30)" },
	{ O_DATE, "date", 0, "DAY", "the window's last day (default: the latest in ads_ad_performance)" },
	{ O_METRIC, "metric", 0, "cvr|ctr", "cvr: conversions per click (default); ctr: clicks per impression" },
	{ O_POLICY, "policy", 0, "P", "thompson (default), ucb1, epsilon_greedy, lin_ts, lin_ucb" },
	{ O_PRIOR, "prior", 0, "A,B", "Beta prior of every arm (default 1,1)" },
	{ O_ALPHA, "alpha", 0, "X", "UCB1's alpha, or LinTS/LinUCB's alpha (default 1)" },
	{ O_EPSILON, "epsilon", 0, "E", "epsilon-greedy's epsilon, 0..1 (default 0.1)" },
	{ O_LAMBDA, "l2-lambda", 0, "L", "LinTS/LinUCB ridge lambda, > 0 (default 1)" },
	{ O_EXPLORATION, "exploration", 0, "E", "exploration budget, 0..1 (default 0.10)" },
	{ O_CACCAP, "cac-cap", 0, "X", "CAC cap in account currency (default $AELP2_CAC_CAP, else none)" },
	{ O_LTV, "ltv-cac-ratio", 0, "R", "also cap each campaign at its channel's LTV (ltv_priors value_low) / R (default $AELP2_LTV_CAC_RATIO)" },
	{ O_PRIORCONV, "prior-conversions", 0, "A0", "the CAC band's prior pseudo-conversions (default 1)" },
	{ O_SLATE, "slate", 0, "K", "arms shown together: top-k slates (default 1)" },
	{ O_DRAWS, "draws", 0, "M", "Monte Carlo draws for p_best (default 10000)" },
	{ O_SEED, "seed", 0, "N", "random seed, 0..2^63-1 (default 123456, MABWiser's)" },
	{ O_STDIN, "stdin", 0, NULL, "read arm rows from FILEs or stdin instead of the warehouse" },
	{ O_REQUESTS, "requests", 0, "FILE", "serving mode: answer each request line of FILE ('-': stdin)" },
	{ O_STATS, "stats", 0, NULL, "with --requests: throughput and latency percentiles on stderr" },
	{ O_RUNID, "run-id", 0, "ID", "run_id of rows (default $AELP2_RUN_ID, else bandit-decide-DAY)" },
	{ O_QUIET, "quiet", 'q', NULL, "no summary line on stderr" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"bandit-decide",
	"[options] [FILE...]",
	"Decide which arms (ads, audiences, keywords) of each campaign get the traffic: a\n"
	"Beta-Bernoulli posterior per arm, the probability that each is best, and the share of\n"
	"traffic it should get under an exploration budget and a CAC cap.  One bandit_decisions\n"
	"row per arm (bandit_context_decisions per context and arm for lin_ts / lin_ucb),\n"
	"tagged with \"_table\" on stdout for bq-load.  Nothing changes anywhere: bandit-propose\n"
	"turns decisions into proposals, a person approves, bandit-apply applies.\n"
	"\n"
	"Arms, from the warehouse (the default), one per ad:\n"
	"  SELECT campaign_id, ad_id, SUM(impressions), SUM(clicks), SUM(conversions),\n"
	"         SUM(cost_micros) / 1e6 AS spend, customer_id, ad_group_id, platform, channel\n"
	"  FROM ads_ad_performance WHERE date > DAY - N AND date <= DAY [AND campaign_id = ID]\n"
	"  GROUP BY campaign_id, ad_id\n"
	"  DAY = --date (default: the latest date in the table), N = --lookback.  An ad whose\n"
	"  ad_status on its latest day in the window is PAUSED or REMOVED is not available: it\n"
	"  is left out (no row).  cvr: trials = clicks, successes = conversions (clamped to the\n"
	"  clicks, with one warning, where a platform reports more); ctr: trials = impressions,\n"
	"  successes = clicks.  conversions and spend feed the CAC band under both metrics.\n"
	"Arms from rows (--stdin, or FILE operands), one arm a line:\n"
	"  {\"campaign_id\":\"c1\",\"arm_id\":\"ad7\",\"trials\":1200,\"successes\":31,\"spend\":412.5}\n"
	"  required: campaign_id, arm_id, trials (a whole number >= 0), successes (0 to trials);\n"
	"  optional: spend (missing or null: unknown, no CAC band), conversions (default: the\n"
	"  successes under cvr, unknown under ctr), available (default true; false leaves the\n"
	"  arm out), customer_id, ad_group_id, platform, channel.  A missing field, negative\n"
	"  trials, successes above trials, a duplicate campaign_id + arm_id or a line that is\n"
	"  not a JSON object is bad input: exit 65, FILE:LINE named, nothing written.\n"
	"\n"
	"Policies, with MABWiser's definitions (arm i: n_i trials, s_i successes, N = sum n_i):\n"
	"  thompson        posterior Beta(a + s_i, b + n_i - s_i), prior Beta(a, b) = --prior;\n"
	"                  raw share = P(arm i is best), probability matching over --draws\n"
	"                  joint Monte Carlo draws (with --slate k: P(i in the top k) / k)\n"
	"  ucb1            score = s_i / n_i + alpha * sqrt(2 ln N / n_i) (0 without trials);\n"
	"                  raw share 1 to the argmax score (the first on ties)\n"
	"  epsilon_greedy  raw share 1 - eps to the argmax of the empirical mean s_i / n_i,\n"
	"                  plus eps / m to each of the m eligible arms\n"
	"  lin_ts, lin_ucb contextual, below\n"
	"  Every context-free row carries the Beta posterior: alpha, beta, posterior_mean,\n"
	"  the central 90% interval ci_low..ci_high, p_best and p_in_slate.\n"
	"\n"
	"Exploration rule (--exploration e): the leader L is the eligible arm with the highest\n"
	"posterior mean (lin_*: the highest expected reward in the context).  E = the sum of\n"
	"the raw shares of the eligible arms other than L.  When E > e, every such share is\n"
	"multiplied by e / E and L gets 1 - e; otherwise the raw shares stand.  So the arms\n"
	"other than the leader never get more than e of the traffic together.  exploration is\n"
	"true for an arm that is not the leader and gets traffic; leader marks L.\n"
	"\n"
	"CAC rule (--cac-cap, else AELP2_CAC_CAP; unset or empty: no cap): each arm's CAC has a\n"
	"90% band, Gamma-Poisson: conversions ~ Poisson(lambda x spend), lambda ~ Gamma(a0,\n"
	"a0 x the campaign's CAC) with a0 = --prior-conversions and the campaign's CAC = its\n"
	"spend / its conversions; CAC = 1 / lambda | data, band cac_low..cac_high.  An arm\n"
	"whose cac_low (even the optimistic CAC) is above the cap gets share 0 and cac_capped\n"
	"true; it is not eligible (never the leader, p_best 0).  With no eligible arm every\n"
	"share of the campaign is 0 and no arm leads.\n"
	"LTV caps (--ltv-cac-ratio R, else AELP2_LTV_CAC_RATIO): a campaign's cap becomes the\n"
	"lower of the cap above and its channel's new-customer value at the 5% end (the newest\n"
	"ltv-fit run's ltv_priors value_low; the all row when the channel has none) / R; the\n"
	"rows' cac_cap is the campaign's.  Read from the warehouse; no ltv_priors row: exit 65.\n"
	"Serving (--requests) applies --cac-cap alone.\n"
	"\n"
	"Contextual (--policy lin_ts or lin_ucb; rows only): each row is an arm in a context,\n"
	"  {\"campaign_id\":\"c1\",\"arm_id\":\"aud3\",\"context\":{\"device\":\"mobile\",\"hour\":13},\n"
	"   \"trials\":500,\"successes\":12,\"spend\":40}\n"
	"  or with \"features\":[0.1,0.2,...] instead of \"context\".  The feature vector x: 1, then\n"
	"  one 0/1 feature per (key, string value) seen in the campaign's rows and one per\n"
	"  numeric key (its value, missing 0, booleans 0/1), sorted by key then value; a\n"
	"  features array is x as given (every row of a campaign the same length, else 65).\n"
	"  Per arm: A = lambda I + sum n x x', b = sum s x, beta = A^-1 b (--l2-lambda), and\n"
	"    lin_ucb  score = x.beta + alpha * sqrt(x A^-1 x); raw share 1 to the argmax\n"
	"    lin_ts   beta~ ~ N(beta, alpha^2 A^-1), drawn through the Cholesky factor of\n"
	"             A^-1 (the same on every machine); raw share = P(best) over --draws\n"
	"  then the exploration rule.  For every distinct context of the campaign, one row per\n"
	"  arm, the context stored, context_id = ctx- + the first 16 hex digits of SHA-256 of\n"
	"  the context's compact sorted-key JSON.  The CAC band is per arm over all its rows.\n"
	"\n"
	"Output, bandit_decisions: run_id, campaign_id, arm_id, policy, alpha, beta,\n"
	"  posterior_mean, ci_low, ci_high, p_best, share, exploration, cac_capped, seed,\n"
	"  decided_at, metric, trials, successes, spend, conversions, cac_low, cac_high,\n"
	"  exploration_budget, leader, slate_size, p_in_slate, lookback_days, window_end\n"
	"  (null for rows), customer_id, ad_group_id, platform, channel, cac_cap.\n"
	"bandit_context_decisions: run_id, campaign_id, context_id, arm_id, context, policy,\n"
	"  expected, uncertainty, score (lin_ucb; null for lin_ts), p_best, share, exploration,\n"
	"  cac_capped, leader, trials and successes (in the context), spend, cac_low, alpha,\n"
	"  l2_lambda, n_features, exploration_budget, seed, decided_at, cac_cap.\n"
	"Campaigns come in byte order of campaign_id, arms of arm_id (contexts of context_id);\n"
	"each campaign draws from its own stream seeded --seed XOR FNV-1a 64 of its id, so the\n"
	"same seed gives byte-identical rows (decided_at and run_id aside) and one campaign's\n"
	"numbers do not depend on the others.\n"
	"\n"
	"Serving (--requests FILE): after reading the arms, each line\n"
	"  {\"request_id\":\"r1\",\"campaign_id\":\"c1\",\"available\":[\"ad1\",\"ad2\"],\"k\":2,\"context\":{...}}\n"
	"  is answered on stdout by {\"request_id\":\"r1\",\"campaign_id\":\"c1\",\"arms\":[\"ad2\",\"ad1\"]}:\n"
	"  one draw as MABWiser's predict (thompson: theta ~ Beta per arm; ucb1: the scores;\n"
	"  epsilon_greedy: with probability eps every score replaced by a uniform draw; lin_*:\n"
	"  a LinTS draw or the LinUCB score in the context), the k best available arms, best\n"
	"  first.  available defaults to every available arm, k to --slate; context is required\n"
	"  by lin_*.  CAC-capped arms are never served.  An unknown campaign or arm is bad input\n"
	"  (65, the line named, nothing written).  No decision rows are written in this mode.\n"
	"  --stats on stderr: \"N decisions in S s (W answered/s, answers written); deciding\n"
	"  alone: R decisions/s; latency p50 A us, p99 B us, max C us (T timed alone)\": S is\n"
	"  the loop that decides and writes; R = N / the time spent deciding (chunks of 1024\n"
	"  requests decided back to back, their answers written after the clock stops); every\n"
	"  8th decision is also timed alone (CLOCK_MONOTONIC) for the percentiles.\n"
	"\n"
	"Nothing to decide on (no warehouse, no ads_ad_performance rows in the window, no arm\n"
	"rows, every arm paused) is not an error for a nightly flow: a message on stderr,\n"
	"nothing written, exit 0.\n"
	"\n"
	"Examples:\n"
	"  bandit-decide --lookback 30 --campaign-id CID | bq-load\n"
	"  AELP2_CAC_CAP=80 bandit-decide --exploration 0.05 | bq-load\n"
	"  bandit-decide --stdin --policy ucb1 --exploration 1 arms.ndjson\n"
	"  bandit-decide --stdin --policy lin_ucb --alpha 0.5 contexts.ndjson | bq-load\n"
	"  bandit-decide --requests requests.ndjson --stats > answers.ndjson\n",
	options,
	WH_ENV_HELP
	"  AELP2_CAC_CAP    the CAC cap, account currency (unset or empty: no cap)\n"
	"  AELP2_LTV_CAC_RATIO  --ltv-cac-ratio when not given (unset or empty: no LTV cap)\n"
	"  AELP2_RUN_ID     run_id of the rows when --run-id is not given\n"
};

struct args {
	const char *campaign_id, *date, *requests, *run_id, *cac_cap, *ltv_ratio;
	int lookback, stdin_rows, stats, quiet;
	enum bd_metric metric;
	struct mab_params p;
	double lin_alpha, l2_lambda;
	uint64_t seed;
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	char *end;

	switch (id) {
	case O_CAMPAIGN: a->campaign_id = arg; break;
	case O_LOOKBACK: a->lookback = (int)opt_long("lookback", arg, 1, 3660); break;
	case O_DATE:
		if (!date_valid(arg, strlen(arg)))
			usage_error(&spec, "--date: '%s' is not a day (YYYY-MM-DD)", arg);
		a->date = arg;
		break;
	case O_METRIC:
		if (strcmp(arg, "cvr") == 0)
			a->metric = BD_CVR;
		else if (strcmp(arg, "ctr") == 0)
			a->metric = BD_CTR;
		else
			usage_error(&spec, "--metric: '%s' is not cvr or ctr", arg);
		break;
	case O_POLICY:
		if (mab_policy_parse(arg, &a->p.policy))
			usage_error(&spec, "--policy: '%s' is not thompson, ucb1, epsilon_greedy, lin_ts "
				    "or lin_ucb", arg);
		break;
	case O_PRIOR:
		errno = 0;
		a->p.prior_a = strtod(arg, &end);
		if (*end == ',') {
			const char *b = end + 1;
			a->p.prior_b = strtod(b, &end);
			if (end == b)
				end = (char *)"x";
		} else {
			end = (char *)"x";     /* both numbers, always */
		}
		if (errno || *end || !isfinite(a->p.prior_a) || !isfinite(a->p.prior_b) ||
		    !(a->p.prior_a > 0) || !(a->p.prior_b > 0))
			usage_error(&spec, "--prior: '%s' is not A,B with A > 0 and B > 0", arg);
		break;
	case O_ALPHA: a->p.ucb_alpha = a->lin_alpha = opt_double("alpha", arg, 0, 1e6); break;
	case O_EPSILON: a->p.epsilon = opt_double("epsilon", arg, 0, 1); break;
	case O_LAMBDA: a->l2_lambda = opt_double("l2-lambda", arg, 1e-12, 1e12); break;
	case O_EXPLORATION: a->p.exploration = opt_double("exploration", arg, 0, 1); break;
	case O_CACCAP: a->cac_cap = arg; break;
	case O_LTV: a->ltv_ratio = arg; break;
	case O_PRIORCONV: a->p.cac_prior_conv = opt_double("prior-conversions", arg, 1e-9, 1e9); break;
	case O_SLATE: a->p.slate = (int)opt_long("slate", arg, 1, 1000000); break;
	case O_DRAWS: a->p.draws = (long)opt_long("draws", arg, 1, 100000000); break;
	case O_SEED: a->seed = (uint64_t)opt_long("seed", arg, 0, INT64_MAX); break;
	case O_STDIN: a->stdin_rows = 1; break;
	case O_REQUESTS: a->requests = arg; break;
	case O_STATS: a->stats = 1; break;
	case O_RUNID:
		if (!*arg)
			usage_error(&spec, "--run-id: empty");
		a->run_id = arg;
		break;
	case O_QUIET: a->quiet = 1; break;
	}
}

/* The newest ltv-fit run's priors, for --ltv-cac-ratio. */
static void read_ltv(struct ltv_priors *pr)
{
	struct schema_set *set = schema_load(NULL);
	struct wh_err we = { 0 };
	struct wh *w = wh_open_env(set, WH_OPEN_READ, &we);
	char err[600];
	int rc;

	if (!w)
		die(we.missing == WH_NO_WAREHOUSE ? AELP_EXIT_DATAERR : we.code, "--ltv-cac-ratio: %s",
		    we.msg);
	rc = ltv_priors_read(w, pr, err, sizeof err);
	wh_close(w);
	schema_free(set);
	if (rc)
		die(rc, "--ltv-cac-ratio: %s", err);
	if (!pr->run_id)
		die(AELP_EXIT_DATAERR, "--ltv-cac-ratio: ltv_priors has no row (run ltv-fit and load "
		    "its rows first)");
}

int main(int argc, char **argv)
{
	struct args a;
	struct bd_read_opts ro;
	struct bd_input in;
	struct bd_run r;
	struct bd_tally t = { 0 };
	struct bd_serve_stats st = { 0 };
	struct ltv_priors ltv = { 0 };
	char err[1200], details[512], capbuf[96], *run_id = NULL;
	int rc, argi, contextual;
	double ltv_ratio;

	memset(&a, 0, sizeof a);
	mab_params_default(&a.p);
	a.lookback = 30;
	a.metric = BD_CVR;
	a.lin_alpha = 1;
	a.l2_lambda = 1;
	a.seed = 123456;
	/* GSL's default handler aborts; its callers here check the values instead */
	gsl_set_error_handler_off();
	argi = opts_parse(&spec, argc, argv, on_opt, &a);
	if (argi < argc)
		a.stdin_rows = 1;      /* FILE operands are arm rows */
	contextual = a.p.policy == MAB_LIN_TS || a.p.policy == MAB_LIN_UCB;
	if (contextual && !a.stdin_rows)
		usage_error(&spec, "--policy %s decides on context rows: give them with --stdin or as "
			    "FILEs", mab_policy_name(a.p.policy));
	if (a.stats && !a.requests)
		usage_error(&spec, "--stats times serving: it needs --requests");
	if (a.requests && strcmp(a.requests, "-") == 0 && a.stdin_rows && argi == argc)
		usage_error(&spec, "--requests -: standard input already holds the arm rows");
	a.p.cac_cap = opt_cac_cap(&spec, a.cac_cap);
	ltv_ratio = a.requests ? NAN : ltv_cac_ratio("ltv-cac-ratio", a.ltv_ratio);

	ro = (struct bd_read_opts){ a.metric, a.campaign_id, a.date, a.lookback, contextual };
	if (a.stdin_rows)
		rc = bd_read_rows(argv + argi, (size_t)(argc - argi), &ro, &in, err, sizeof err);
	else
		rc = bd_read_warehouse(&ro, &in, err, sizeof err);
	if (rc)
		die(rc, "%s", err);
	if (in.clamped)
		warn("%zu arm%s more %s in the window: successes clamped to trials (the Beta "
		     "posterior needs s <= n)", in.clamped, in.clamped == 1 ? " has" : "s have",
		     a.metric == BD_CTR ? "clicks than impressions" : "conversions than clicks");

	memset(&r, 0, sizeof r);
	r.p = a.p;
	r.metric = a.metric;
	r.lin_alpha = a.lin_alpha;
	r.l2_lambda = a.l2_lambda;
	r.seed = a.seed;
	if (isfinite(ltv_ratio) && in.n > 0) {
		read_ltv(&ltv);
		r.ltv = &ltv;
		r.ltv_ratio = ltv_ratio;
	}
	timestamp_now(r.decided_at, NULL);
	if (a.run_id)
		run_id = xstrdup(a.run_id);
	else if (flow_run_id())
		run_id = xstrdup(flow_run_id());
	else if (in.from_warehouse && in.end[0])
		run_id = xasprintf("bandit-decide-%s", in.end);
	else
		run_id = xasprintf("bandit-decide-%.10s", r.decided_at);
	r.run_id = run_id;

	if (in.n == 0) {
		warn("%s", in.empty);
		snprintf(details, sizeof details, "{\"campaigns\":0,\"arms\":0,\"unavailable\":%zu,"
			 "\"policy\":\"%s\"}", in.unavailable, mab_policy_name(a.p.policy));
		step_report("bandit-decide", (long long)in.rows, -1, details);
		bd_input_free(&in);
		free(run_id);
		return 0;
	}

	out_init();
	if (a.requests) {
		rc = bd_serve(a.requests, &in, &r, stdout, &st, err, sizeof err);
		if (rc)
			die(rc, "%s", err);
	} else {
		bd_decide_all(stdout, &in, &r, &t);
	}
	out_finish();

	if (a.requests) {
		if (a.stats)
			warn("%zu decisions in %.3f s (%.0f answered/s, answers written); deciding alone: "
			     "%.0f decisions/s; latency p50 %.2f us, p99 %.2f us, max %.2f us (%zu timed "
			     "alone)", st.n, st.seconds, st.seconds > 0 ? (double)st.n / st.seconds : 0.0,
			     st.decide_seconds > 0 ? (double)st.n / st.decide_seconds : 0.0,
			     st.p50_us, st.p99_us, st.max_us, st.timed);
		snprintf(details, sizeof details, "{\"requests\":%zu,\"policy\":\"%s\"}", st.n,
			 mab_policy_name(a.p.policy));
		step_report("bandit-decide", (long long)in.rows, -1, details);
	} else {
		snprintf(details, sizeof details, "{\"campaigns\":%zu,\"arms\":%zu,\"contexts\":%zu,"
			 "\"cac_capped\":%zu,\"unavailable\":%zu,\"rows\":%zu,\"policy\":\"%s\"}",
			 t.campaigns, t.arms, t.contexts, t.capped, in.unavailable, t.rows,
			 mab_policy_name(a.p.policy));
		step_report("bandit-decide", (long long)in.rows, -1, details);
		if (!a.quiet) {
			char window[64];
			if (isfinite(a.p.cac_cap))
				snprintf(capbuf, sizeof capbuf, "CAC cap %.2f", a.p.cac_cap);
			else
				snprintf(capbuf, sizeof capbuf, "no CAC cap");
			if (r.ltv)
				snprintf(capbuf + strlen(capbuf), sizeof capbuf - strlen(capbuf),
					 ", LTV caps (value_low / %g)", r.ltv_ratio);
			if (in.from_warehouse)
				snprintf(window, sizeof window, "over %s..%s", in.start, in.end);
			else
				snprintf(window, sizeof window, "from rows");
			warn("%zu campaigns, %zu arms %s (%zu CAC-capped, %zu not available, left out), "
			     "%s, %s, exploration %.2f: %zu rows", t.campaigns, t.arms, window, t.capped,
			     in.unavailable, mab_policy_name(a.p.policy), capbuf, a.p.exploration, t.rows);
		}
	}
	bd_input_free(&in);
	ltv_priors_free(&ltv);
	free(run_id);
	return 0;
}
