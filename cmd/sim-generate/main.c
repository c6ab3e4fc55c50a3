/*
 * sim-generate: a synthetic advertiser with known ground truth, as one
 * _table-tagged NDJSON stream that bq-load --upsert takes as is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "die.h"
#include "ndjson.h"
#include "opts.h"
#include "sim.h"
#include "timefmt.h"

enum { O_START = 's', O_DAYS = 'd', O_SEED = 'S', O_USERS = 'u', O_TRUTH = 'T',
       O_ORIGIN = 'o', O_TABLES = 't', O_CAMPAIGNS = 'c', O_ADS = 'a' };

static const struct opt options[] = {
	{ O_START, "start", 0, "DATE", "first day of the window (default: DAYS days ending yesterday, UTC)" },
	{ O_DAYS, "days", 0, "N", "days in the window, 1 to 36500 (default 730)" },
	{ O_SEED, "seed", 0, "S", "random seed, 0 to 2^63-1 (default 1)" },
	{ O_USERS, "users", 0, "N", "mean new journey users a day, Poisson, 0 to 1000000 (default 100)" },
	{ O_TRUTH, "truth", 0, "FILE", "write the ground truth to FILE as pretty JSON" },
	{ O_ORIGIN, "origin", 0, "DATE", "the day the business starts; state runs from it (default 2024-01-01)" },
	{ O_TABLES, "tables", 0, "LIST", "comma-separated tables to write (default all seven)" },
	{ O_CAMPAIGNS, "campaigns-per-channel", 0, "N", "campaigns per channel, 1 to 1000 (default 3)" },
	{ O_ADS, "ads-per-campaign", 0, "N", "ads per campaign in 1 or 2 ad groups, 1 to 100 (default 4)" },
	{ 0, NULL, 0, NULL, NULL }
};

static const struct opts_spec spec = {
	"sim-generate",
	"[options]",
	"Write a synthetic advertiser's data, with a known ground truth, as one NDJSON stream\n"
	"on stdout; every row carries \"_table\" so `bq-load --upsert` routes it.  Rows come\n"
	"by day, then table, in this order:\n"
	"  ads_campaign_performance   (date, campaign_id): the sum of the campaign's ad rows\n"
	"  ads_ad_performance         (date, ad_group_id, ad_id): platform-reported metrics\n"
	"  ga4_aggregates             (date, channel): the business KPI, true process below\n"
	"  gaelp_users.journey_sessions       by date of session_start\n"
	"  gaelp_users.persistent_touchpoints by date of touched_at\n"
	"  customer_transactions      by occurred_at: customers' first and repeat purchases\n"
	"  canary_budgets_snapshot    each campaign's budget on the window's last day\n"
	"\n"
	"Deterministic: the same seed, origin and flags give byte-identical rows for a day\n"
	"whichever window (--start, --days) produced them; every draw comes from a stream\n"
	"keyed by (seed, entity, day), and state that carries over (budgets, adstock, users\n"
	"acquired earlier, customers' purchases) is computed from --origin.",
	options,
	"Advertiser: six channels google_search, google_pmax, youtube (platform google_ads),\n"
	"meta, tiktok, linkedin; N campaigns each, M ads each.  Spend per campaign and day =\n"
	"budget * flight * weekday pattern * U(0.9,1); budgets step every 28 days (log\n"
	"random walk, mean-reverting); flight 0 for dark weeks (campaigns 3, 6, ... of a\n"
	"channel are flighted, live weeks 50-60%), 1.5 for bursts.  Each ad has a true CTR,\n"
	"CVR and CPM: impressions = cost/CPM*1000, clicks ~ Binomial(impressions, CTR),\n"
	"platform conversions ~ Binomial(clicks, CVR).\n"
	"\n"
	"True KPI (GA4 conversions a day, summed over channels):\n"
	"  y(t) = baseline(t) + sum_c beta_c * hill(adstock_c(t)) + N(0, 8^2)\n"
	"  adstock_c(t) = sum_{l<28} decay_c^l spend_c(t-l) / sum_{l<28} decay_c^l  (USD/day)\n"
	"  hill(x) = x^S / (x^S + K^S)\n"
	"  baseline(t) = 150 + 0.02 t + weekly[dow] + 20 cos(2 pi (doy - 330)/365.25)\n"
	"  channel      decay  K(USD/day) S    D(USD/day) over-claim target\n"
	"  google_search 0.20  2400      1.0   3000       1.5\n"
	"  google_pmax   0.35  2000      1.5   2000       2.0\n"
	"  youtube       0.70  2250      2.0   1500       1.6\n"
	"  meta          0.50  1750      1.2   2500       2.5\n"
	"  tiktok        0.45  1440      1.8   1200       3.0\n"
	"  linkedin      0.60   480      1.0    800       1.5\n"
	"beta_c makes the platform's expected conversions (from the ads' true CPM, CTR, CVR)\n"
	"the over-claim target times the true incremental conversions at the channel's\n"
	"expected spend (about D).  A paid channel's GA4 row carries round(its true\n"
	"contribution); organic/direct/email/referral share the rest (50/30/12/8%), so the\n"
	"day's sum is round(y(t)).  Revenue = conversions * 85 USD * mean-one noise.\n"
	"Journeys: --users new users a day walk a Markov chain (start) -> channels ->\n"
	"(conversion)/(null) (matrix in the truth file); sessions spread over days, a\n"
	"conversion lands in-session or up to 14 days later, typed first_visit/first_open\n"
	"(20%), purchase or lead.\n"
	"Customers: a purchase conversion is a customer's first purchase (customer_id = user_id,\n"
	"transaction_id tx-USER-1, value and time of the conversion, the converting session's\n"
	"channel).  Repeat purchases follow BG/NBD, time unit the week: per customer\n"
	"lambda ~ Gamma(r, rate alpha) purchases/week and p ~ Beta(a, b); gaps ~ Exponential(lambda);\n"
	"after each repeat purchase the customer drops out with probability p.  Values follow\n"
	"Gamma-Gamma: Gamma(p, rate nu), nu ~ Gamma(q, rate gamma) per customer, mean p*gamma/(q-1).\n"
	"  acquisition    r     alpha(weeks) a     b     p  q  gamma  E[X(52 weeks)]\n"
	"  google_search  0.50  1.6          0.80  2.6   6  4  45.0   4.83\n"
	"  google_pmax    0.40  1.5          0.85  2.4   6  4  42.5   3.85\n"
	"  youtube        0.30  1.8          0.75  2.0   6  4  40.0   2.84\n"
	"  meta           0.35  1.3          0.85  1.9   6  4  37.5   3.33\n"
	"  tiktok         0.25  1.1          0.90  1.6   6  4  32.5   2.41\n"
	"  linkedin       0.45  2.1          0.70  2.8   6  4  60.0   4.38\n"
	"  organic        0.55  1.6          0.75  2.8   6  4  42.5   5.66\n"
	"  direct         0.60  1.4          0.70  3.0   6  4  47.5   7.09\n"
	"  email          0.60  1.2          0.60  3.4   6  4  40.0   9.30\n"
	"\n"
	"Truth file keys: generator, seed, origin, window, flags, model (equations and\n"
	"baseline/noise/value parameters), channels (per channel: adstock_decay,\n"
	"adstock_max_lag_days, hill_k, hill_s, beta, overclaim_target, overclaim_realised,\n"
	"window_spend, window_incremental_conversions, roi_conversions_per_usd,\n"
	"roas_incremental_revenue_per_usd, response_curve), campaigns, flighting, budgets,\n"
	"ads (true ctr, cvr, cpm), journeys (states, transition_matrix, lags), customers (the\n"
	"model; per acquisition channel r, alpha, a, b, p, q, gamma,\n"
	"expected_repeat_purchases_52_weeks, mean_repeat_value, window_first_purchases,\n"
	"window_repeat_purchases and their values), daily (per day:\n"
	"baseline, its parts, each channel's contribution and spend_CHANNEL in USD, noise,\n"
	"expected = baseline + contributions, observed = the day's GA4 conversions).\n"
	"\n"
	"Examples:\n"
	"  sim-generate --start 2025-01-01 --days 730 --seed 7 --truth truth.json | bq-load --upsert\n"
	"  sim-generate --start 2024-03-01 --days 7 --tables ga4_aggregates\n",
};

struct args {
	const char *start, *origin, *truth, *tables;
	long long days, users, campaigns, ads;
	uint64_t seed;
};

static void on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;
	switch (id) {
	case O_START: a->start = arg; break;
	case O_DAYS: a->days = opt_long("days", arg, 1, 36500); break;
	case O_SEED: a->seed = (uint64_t)opt_long("seed", arg, 0, 0x7fffffffffffffffLL); break;
	case O_USERS: a->users = opt_long("users", arg, 0, 1000000); break;
	case O_TRUTH: a->truth = arg; break;
	case O_ORIGIN: a->origin = arg; break;
	case O_TABLES: a->tables = arg; break;
	case O_CAMPAIGNS: a->campaigns = opt_long("campaigns-per-channel", arg, 1, 1000); break;
	case O_ADS: a->ads = opt_long("ads-per-campaign", arg, 1, 100); break;
	}
}

/* Days since 1970-01-01 of a YYYY-MM-DD option value, or a usage error. */
static long long parse_date(const char *opt, const char *s)
{
	unsigned y, m, d;

	if (strlen(s) != 10 || !date_valid(s, 10) || sscanf(s, "%4u-%2u-%2u", &y, &m, &d) != 3)
		usage_error(&spec, "option '--%s': '%s' is not a date YYYY-MM-DD", opt, s);
	return days_from_civil(y, m, d);
}

static unsigned parse_tables(const char *list)
{
	unsigned mask = 0;
	char *copy = xstrdup(list), *p = copy, *tok;
	int i;

	while ((tok = strsep(&p, ",")) != NULL) {
		for (i = 0; i < T_COUNT; i++)
			if (strcmp(tok, sim_table_names[i]) == 0)
				break;
		if (i == T_COUNT)
			usage_error(&spec, "option '--tables': '%s' is not a table sim-generate writes", tok);
		mask |= 1u << i;
	}
	free(copy);
	return mask;
}

int main(int argc, char **argv)
{
	struct args a = { .days = 730, .users = 100, .campaigns = 3, .ads = 4, .seed = 1 };
	struct sim_config cfg = { 0 };
	struct sim *s;
	FILE *truth = NULL;
	long long origin, start;

	if (opts_parse(&spec, argc, argv, on_opt, &a) != argc)
		usage_error(&spec, "sim-generate takes no operands");
	gsl_set_error_handler_off();
	origin = a.origin ? parse_date("origin", a.origin) : days_from_civil(2024, 1, 1);
	if (a.start) {
		start = parse_date("start", a.start);
	} else {
		long long today = (long long)(time(NULL) / 86400);
		start = today - a.days;
	}
	if (start < origin)
		usage_error(&spec, "the window starts before the origin %s: give a later --start, "
			    "fewer --days or an earlier --origin", a.origin ? a.origin : "2024-01-01");
	if (start + a.days - 1 > days_from_civil(9999, 12, 31))
		usage_error(&spec, "the window ends after 9999-12-31, the last day a DATE can hold");
	cfg.seed = a.seed;
	cfg.origin = origin;
	cfg.start = start - origin;
	cfg.days = a.days;
	cfg.users = a.users;
	cfg.campaigns = (int)a.campaigns;
	cfg.ads = (int)a.ads;
	cfg.tables = a.tables ? parse_tables(a.tables) : (1u << T_COUNT) - 1;
	if (a.truth) {
		truth = fopen(a.truth, "w");
		if (!truth)
			usage_error(&spec, "cannot write '%s': %s", a.truth, strerror(errno));
	}

	out_init();
	s = sim_new(&cfg);
	sim_run(s, stdout);
	out_finish();
	if (truth) {
		int bad = sim_write_truth(s, truth) != 0;
		if (fclose(truth) != 0)
			bad = 1;
		if (bad) {
			int e = errno;
			sim_free(s);
			die(AELP_EXIT_SOFTWARE, "write error on '%s': %s", a.truth, strerror(e));
		}
	}
	sim_free(s);
	return 0;
}
