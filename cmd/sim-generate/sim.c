/*
 * sim-generate: the advertiser (campaigns, ads, spend), the platform
 * metrics, the true media-mix process behind the GA4 KPI, and the budget
 * snapshot.  The parameters are constants here so that the truth file and
 * --help can state them; the seed only moves the random draws.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "die.h"
#include "ndjson.h"
#include "sim.h"
#include "timefmt.h"

const char *const sim_table_names[T_COUNT] = {
	"ads_campaign_performance", "ads_ad_performance", "ga4_aggregates",
	"gaelp_users.journey_sessions", "gaelp_users.persistent_touchpoints",
	"customer_transactions", "canary_budgets_snapshot"
};

/*
 * The channels.  Columns: names; nominal spend D (USD/day); CPM, CTR, CVR
 * (channel means of the ads' true values); adstock decay; Hill K as a
 * multiple of D, Hill S; the platform over-claim target; the probability a
 * week is live for a flighted campaign; the weekday spend pattern (mean 1).
 * beta is derived so that at spend D the platform reports `overclaim` times
 * the true incremental conversions.
 */
const struct chan sim_chan[SIM_NJCH] = {
	{ "google_search", "google_ads", "Search", "SEARCH", "TARGET_CPA", "RESPONSIVE_SEARCH_AD",
	  "4815162342", "Paid Search", "google", "cpc",
	  3000, 60, 0.040, 0.050, 0.20, 0.8, 1.0, 1.5, 0.6,
	  { 1.08, 1.10, 1.08, 1.05, 0.98, 0.84, 0.87 } },
	{ "google_pmax", "google_ads", "Performance Max", "PERFORMANCE_MAX",
	  "MAXIMIZE_CONVERSION_VALUE", "RESPONSIVE_DISPLAY_AD",
	  "4815162342", "Cross-network", "google", "cpc",
	  2000, 12, 0.012, 0.030, 0.35, 1.0, 1.5, 2.0, 0.6,
	  { 1.02, 1.03, 1.02, 1.00, 0.98, 0.97, 0.98 } },
	{ "youtube", "google_ads", "YouTube", "VIDEO", "TARGET_CPM", "VIDEO_RESPONSIVE_AD",
	  "4815162342", "Paid Video", "youtube", "cpv",
	  1500, 9, 0.004, 0.020, 0.70, 1.5, 2.0, 1.6, 0.5,
	  { 0.95, 0.95, 0.97, 1.00, 1.03, 1.06, 1.04 } },
	{ "meta", "meta", "Meta", "OUTCOME_SALES", "LOWEST_COST_WITHOUT_CAP", "IMAGE",
	  "act_1029384756", "Paid Social", "facebook", "paid_social",
	  2500, 11, 0.011, 0.025, 0.50, 0.7, 1.2, 2.5, 0.6,
	  { 0.97, 0.97, 0.98, 1.00, 1.02, 1.04, 1.02 } },
	{ "tiktok", "tiktok", "TikTok", "CONVERSIONS", "LOWEST_COST", "VIDEO",
	  "7012345678901234", "Paid Social", "tiktok", "paid_social",
	  1200, 7, 0.009, 0.015, 0.45, 1.2, 1.8, 3.0, 0.5,
	  { 0.94, 0.95, 0.97, 1.00, 1.03, 1.07, 1.04 } },
	{ "linkedin", "linkedin", "LinkedIn", "WEBSITE_CONVERSIONS", "MAXIMUM_DELIVERY",
	  "SPONSORED_CONTENT", "508123456", "Paid Social", "linkedin", "paid_social",
	  800, 40, 0.005, 0.040, 0.60, 0.6, 1.0, 1.5, 0.5,
	  { 1.12, 1.14, 1.12, 1.08, 1.00, 0.76, 0.78 } },
	{ "organic", NULL, "Organic", NULL, NULL, NULL, NULL, "Organic Search", "google", "organic",
	  0, 0, 0, 0, 0, 0, 0, 0, 0, { 1, 1, 1, 1, 1, 1, 1 } },
	{ "direct", NULL, "Direct", NULL, NULL, NULL, NULL, "Direct", "(direct)", "(none)",
	  0, 0, 0, 0, 0, 0, 0, 0, 0, { 1, 1, 1, 1, 1, 1, 1 } },
	{ "email", NULL, "Email", NULL, NULL, NULL, NULL, "Email", "newsletter", "email",
	  0, 0, 0, 0, 0, 0, 0, 0, 0, { 1, 1, 1, 1, 1, 1, 1 } },
};

/* The KPI's baseline (conversions/day): intercept + trend*t + weekly[dow]
 * + yearly_amp*cos(2*pi*(doy - peak)/365.25), plus N(0, noise_sd). */
const struct kpi_params sim_kpi = {
	150.0, 0.02, { 4, 5, 4, 2, -2, -7, -6 }, 20.0, 330.0, 8.0,
	85.0, 0.10, { 0.50, 0.30, 0.12, 0.08 }
};
const char *const sim_unpaid_ga4[4] = { "organic", "direct", "email", "referral" };
static const char *const unpaid_group[4] = { "Organic Search", "Direct", "Email", "Referral" };
static const double unpaid_cr[4] = { 0.04, 0.06, 0.05, 0.03 };

static const char *const themes[] = { "Prospecting", "Retargeting", "Brand", "Generic",
				      "Competitors", "Lookalike" };
static const char *const variants[] = { "Value prop", "Social proof", "Offer", "Demo",
					"Testimonial", "Urgency" };

#define BUDGET_PERIOD 28     /* days between possible budget changes */
#define ROT_PERIOD 91        /* days an ad's on/off rotation lasts */

double sim_hill(double x, double k, double s)
{
	if (x <= 0)
		return 0;
	return 1.0 / (1.0 + pow(k / x, s));
}

static double round2(double v)
{
	return round(v * 100.0) / 100.0;
}

/* Monday = 0 for day index t. */
static int dow_of(const struct sim *s, long long t)
{
	long long e = s->cfg.origin + t + 3;   /* 1970-01-01 was a Thursday */
	return (int)(((e % 7) + 7) % 7);
}

static int doy_of(const struct sim *s, long long t)
{
	long long y;
	unsigned m, d;
	civil_from_days(s->cfg.origin + t, &y, &m, &d);
	return (int)(s->cfg.origin + t - days_from_civil(y, 1, 1)) + 1;
}

/* ---- entities ---- */

static void build_entities(struct sim *s)
{
	const struct sim_config *c = &s->cfg;
	int ch, k, a, ngroups = c->ads >= 2 ? 2 : 1;

	s->ncamps = SIM_NPAID * c->campaigns;
	s->nads = s->ncamps * c->ads;
	s->camps = xcalloc((size_t)s->ncamps, sizeof *s->camps);
	s->ads = xcalloc((size_t)s->nads, sizeof *s->ads);
	for (ch = 0; ch < SIM_NPAID; ch++) {
		double w[1000], sum = 0;
		sim_stream(s->r, c->seed, K_CAMP, ch, -1);
		for (k = 0; k < c->campaigns; k++)
			sum += w[k] = gsl_ran_gamma(s->r, 2.0, 1.0);
		for (k = 0; k < c->campaigns; k++) {
			int gi = ch * c->campaigns + k;
			struct campaign *cp = &s->camps[gi];
			cp->ch = ch;
			cp->k = k;
			cp->first_ad = gi * c->ads;
			cp->nads = c->ads;
			cp->id_num = 10000000LL + 100000LL * (ch + 1) + k + 1;
			snprintf(cp->id, sizeof cp->id, "%lld", cp->id_num);
			snprintf(cp->budget_id, sizeof cp->budget_id, "%lld", 30000000000LL + cp->id_num);
			snprintf(cp->name, sizeof cp->name, "%s | %s | %02d", sim_chan[ch].label,
				 themes[k % 6], k + 1);
			/* Budgets sized so the channel's campaigns spend about D a day. */
			cp->base_budget = sim_chan[ch].daily_spend * w[k] / sum / 0.95;
			cp->flight_on = k % 3 == 2 ? sim_chan[ch].flight_on : 0.97;
			sim_stream(s->r, c->seed, K_CAMP, ch, k);
			cp->phase_budget = (int)gsl_rng_uniform_int(s->r, BUDGET_PERIOD);
			cp->phase_flight = (int)gsl_rng_uniform_int(s->r, 7);
			for (a = 0; a < c->ads; a++) {
				struct ad *ad = &s->ads[cp->first_ad + a];
				long long gnum = cp->id_num * 10 + a % ngroups + 1;
				ad->camp = gi;
				ad->group = a % ngroups;
				ad->idx = a;
				snprintf(ad->group_id, sizeof ad->group_id, "%lld", gnum);
				snprintf(ad->id, sizeof ad->id, "%lld", cp->id_num * 1000 + a + 1);
				snprintf(ad->creative_id, sizeof ad->creative_id, "%lld",
					 70000000000LL + cp->id_num * 1000 + a + 1);
				snprintf(ad->group_name, sizeof ad->group_name, "%s - Group %d",
					 themes[k % 6], a % ngroups + 1);
				snprintf(ad->name, sizeof ad->name, "Ad %02d - %s", a + 1, variants[a % 6]);
				sim_stream(s->r, c->seed, K_AD, gi, a);
				/* Mean-one log-normal spreads: E[ctr_ad] = channel CTR, etc. */
				ad->ctr = sim_chan[ch].ctr * exp(0.30 * gsl_ran_ugaussian(s->r) - 0.045);
				ad->cvr = sim_chan[ch].cvr * exp(0.25 * gsl_ran_ugaussian(s->r) - 0.03125);
				ad->cpm = sim_chan[ch].cpm * exp(0.15 * gsl_ran_ugaussian(s->r));
				ad->weight = gsl_ran_gamma(s->r, 2.0, 1.0);
				ad->phase = (int)gsl_rng_uniform_int(s->r, ROT_PERIOD);
				ad->value = sim_kpi.value;
			}
		}
	}
}

/* Budgets: a step-wise mean-reverting random walk on the log budget, one
 * possible step every BUDGET_PERIOD days, walked from the origin. */
static void build_budgets(struct sim *s)
{
	int i;
	long long t;

	for (i = 0; i < s->ncamps; i++) {
		struct campaign *cp = &s->camps[i];
		long long p, cur = 0;
		double lm = 0;
		cp->budget = xcalloc((size_t)(s->end - s->s0 + 1), sizeof *cp->budget);
		for (t = 0; t <= s->end; t++) {
			p = (t + cp->phase_budget) / BUDGET_PERIOD;
			while (cur < p) {
				cur++;
				sim_stream(s->r, s->cfg.seed, K_BUDGET, i, cur);
				if (gsl_rng_uniform(s->r) < 0.5)
					lm = 0.8 * lm + 0.15 * gsl_ran_ugaussian(s->r);
			}
			if (t >= s->s0)
				cp->budget[t - s->s0] = fmax(10.0, round(cp->base_budget * exp(lm)));
		}
	}
}

/* The live multiplier of a campaign's week: 0 dark, 1 live, 1.5 burst. */
static double flight(struct sim *s, int ci, long long t)
{
	const struct campaign *cp = &s->camps[ci];
	long long w = (t + cp->phase_flight) / 7;

	sim_stream(s->r, s->cfg.seed, K_FLIGHT, ci, w);
	if (gsl_rng_uniform(s->r) >= cp->flight_on)
		return 0;
	return gsl_rng_uniform(s->r) < 0.12 ? 1.5 : 1.0;
}

static int ad_active(struct sim *s, const struct ad *ad, long long t)
{
	if (ad->idx == 0)
		return 1;
	sim_stream(s->r, s->cfg.seed, K_ROT, ad->camp * 1000 + ad->idx,
		   (t + ad->phase) / ROT_PERIOD);
	return gsl_rng_uniform(s->r) < 0.8;
}

/* Cost of each of the campaign's ads on day t into s->ad_cost (micros);
 * returns the campaign total; *live gets the flight multiplier. */
static long long campaign_costs(struct sim *s, int ci, long long t, double *live)
{
	const struct campaign *cp = &s->camps[ci];
	double spend, wsum = 0, fl = flight(s, ci, t);
	long long total = 0;
	int a;

	*live = fl;
	sim_stream(s->r, s->cfg.seed, K_SPEND, ci, t);
	spend = cp->budget[t - s->s0] * fl * sim_chan[cp->ch].dow[dow_of(s, t)] *
		gsl_ran_flat(s->r, 0.9, 1.0);
	for (a = 0; a < cp->nads; a++) {
		const struct ad *ad = &s->ads[cp->first_ad + a];
		s->ad_cost[a] = ad_active(s, ad, t) ? 1 : 0;
		if (s->ad_cost[a])
			wsum += ad->weight;
	}
	for (a = 0; a < cp->nads; a++) {
		const struct ad *ad = &s->ads[cp->first_ad + a];
		s->ad_cost[a] = s->ad_cost[a] ? llround(spend * 1e6 * ad->weight / wsum) : 0;
		total += s->ad_cost[a];
	}
	return total;
}

double sim_adstock(const struct sim *s, int c, long long t)
{
	double lam = sim_chan[c].decay, num = 0, den = 0, w = 1;
	int l;

	for (l = 0; l < SIM_ADSTOCK_LAG; l++, w *= lam) {
		long long u = t - l;
		den += w;
		if (u >= s->s0)
			num += w * s->chspend[c][u - s->s0];
	}
	return num / den;
}

struct sim *sim_new(const struct sim_config *cfg)
{
	struct sim *s = xcalloc(1, sizeof *s);
	long long t;
	int c, i;

	s->cfg = *cfg;
	s->end = cfg->start + cfg->days - 1;
	s->r = gsl_rng_alloc(sim_rng_type);
	if (!s->r)
		die(AELP_EXIT_SOFTWARE, "cannot allocate a random number generator");
	/* Spend is needed from the first day the window's adstock can see. */
	s->s0 = cfg->start - (SIM_ADSTOCK_LAG - 1);
	if (s->s0 < 0)
		s->s0 = 0;
	build_entities(s);
	build_budgets(s);
	s->ad_cost = xcalloc((size_t)cfg->ads, sizeof *s->ad_cost);

	/* beta from the drawn ads (window-independent): the platform's expected
	 * conversions per USD, spend-weighted over the ads, at the channel's
	 * expected daily spend, divided by the over-claim target. */
	for (i = 0; i < s->ncamps; i++) {
		const struct campaign *cp = &s->camps[i];
		double wsum = 0, per_usd = 0, e_spend;
		int a;
		for (a = 0; a < cp->nads; a++)
			wsum += s->ads[cp->first_ad + a].weight;
		for (a = 0; a < cp->nads; a++) {
			const struct ad *ad = &s->ads[cp->first_ad + a];
			/* E[1/(cpm exp(0.08 z))] = exp(0.0032)/cpm */
			per_usd += ad->weight / wsum * 1000.0 * exp(0.0032) / ad->cpm * ad->ctr * ad->cvr;
		}
		/* E[spend] = budget * E[flight] * 1 (weekday mean) * 0.95 */
		e_spend = cp->base_budget * cp->flight_on * (0.88 + 0.12 * 1.5) * 0.95;
		s->e_spend[cp->ch] += e_spend;
		s->e_platform[cp->ch] += e_spend * per_usd;
	}
	for (c = 0; c < SIM_NPAID; c++) {
		const struct chan *ch = &sim_chan[c];
		double d = s->e_spend[c];
		s->beta[c] = s->e_platform[c] /
			(ch->overclaim * sim_hill(d, ch->k_rel * ch->daily_spend, ch->shape));
	}
	for (c = 0; c < SIM_NPAID; c++)
		s->chspend[c] = xcalloc((size_t)(s->end - s->s0 + 1), sizeof(double));
	for (t = s->s0; t <= s->end; t++)
		for (i = 0; i < s->ncamps; i++) {
			double live;
			long long m = campaign_costs(s, i, t, &live);
			s->chspend[s->camps[i].ch][t - s->s0] += (double)m / 1e6;
		}
	s->daily = xcalloc((size_t)cfg->days, sizeof *s->daily);
	journey_matrix(s->jmatrix);
	if (cfg->tables & 1u << T_CUSTTX)
		s->cust = customers_new(s);
	if (cfg->tables & (1u << T_SESSIONS | 1u << T_TOUCHES | 1u << T_CUSTTX))
		s->j = journey_new(s);
	return s;
}

void sim_free(struct sim *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < s->ncamps; i++)
		free(s->camps[i].budget);
	for (i = 0; i < SIM_NPAID; i++)
		free(s->chspend[i]);
	journey_free(s->j);
	customers_free(s->cust);
	free(s->camps);
	free(s->ads);
	free(s->daily);
	free(s->ad_cost);
	gsl_rng_free(s->r);
	free(s);
}

/* ---- one day ---- */

struct admet {
	long long imps, clicks, cost, vtc, views;
	double conv, value;
};

static void write_metrics(FILE *f, const struct admet *m, int c)
{
	row_str(f, "currency_code", "USD");
	row_int(f, "impressions", m->imps);
	row_int(f, "clicks", m->clicks);
	row_int(f, "cost_micros", m->cost);
	row_real(f, "conversions", m->conv);
	row_real(f, "conversion_value", round2(m->value));
	row_real(f, "all_conversions", m->conv + (double)m->vtc);
	row_real(f, "all_conversions_value", round2(m->value + (double)m->vtc * sim_kpi.value));
	if (c == 2 || c == 3 || c == 4)
		row_int(f, "view_through_conversions", m->vtc);
	if (c == 2 || c == 4)
		row_int(f, "video_views", m->views);
}

static void ads_day(struct sim *s, long long t, const char *date, FILE *out,
		    long long clicks_by_ch[SIM_NPAID])
{
	const struct sim_config *c = &s->cfg;
	struct admet *cm = xcalloc((size_t)s->ncamps, sizeof *cm);
	double *live = xcalloc((size_t)s->ncamps, sizeof *live);
	struct admet *all = xcalloc((size_t)s->nads, sizeof *all);
	int i, a, w = t >= c->start;
	unsigned tables = c->tables;

	for (i = 0; i < s->ncamps; i++) {
		const struct campaign *cp = &s->camps[i];
		campaign_costs(s, i, t, &live[i]);
		for (a = 0; a < cp->nads; a++) {
			const struct ad *ad = &s->ads[cp->first_ad + a];
			struct admet *m = &all[cp->first_ad + a];
			m->cost = s->ad_cost[a];
			if (m->cost > 0) {
				double cpm;
				sim_stream(s->r, c->seed, K_ADDAY, cp->first_ad + a, t);
				cpm = ad->cpm * exp(0.08 * gsl_ran_ugaussian(s->r));
				m->imps = llround((double)m->cost / 1e6 / cpm * 1000.0);
				m->clicks = gsl_ran_binomial(s->r, ad->ctr, (unsigned)m->imps);
				m->conv = gsl_ran_binomial(s->r, ad->cvr, (unsigned)m->clicks);
				m->value = round2(m->conv * ad->value *
						  exp(0.15 * gsl_ran_ugaussian(s->r) - 0.01125));
				m->vtc = (cp->ch >= 2 && cp->ch <= 4) ?
					gsl_ran_poisson(s->r, (double)m->imps * 2e-5) : 0;
				m->views = (cp->ch == 2 || cp->ch == 4) ?
					gsl_ran_binomial(s->r, 0.25, (unsigned)m->imps) : 0;
			}
			cm[i].imps += m->imps;
			cm[i].clicks += m->clicks;
			cm[i].cost += m->cost;
			cm[i].conv += m->conv;
			cm[i].value += m->value;
			cm[i].vtc += m->vtc;
			cm[i].views += m->views;
		}
		clicks_by_ch[cp->ch] += cm[i].clicks;
		if (w) {
			s->w_platform[cp->ch] += cm[i].conv;
			s->w_pvalue[cp->ch] += cm[i].value;
		}
	}
	if (tables & 1u << T_CAMPAIGN)
		for (i = 0; i < s->ncamps; i++) {
			const struct campaign *cp = &s->camps[i];
			const struct chan *ch = &sim_chan[cp->ch];
			row_begin(out, sim_table_names[T_CAMPAIGN]);
			row_str(out, "date", date);
			row_str(out, "campaign_id", cp->id);
			row_str(out, "customer_id", ch->customer_id);
			row_str(out, "campaign_name", cp->name);
			row_str(out, "channel", ch->name);
			row_str(out, "platform", ch->platform);
			row_str(out, "advertising_channel_type", ch->adv_type);
			row_str(out, "campaign_status", live[i] > 0 ? "ENABLED" : "PAUSED");
			row_str(out, "bidding_strategy_type", ch->bidding);
			row_str(out, "budget_id", cp->budget_id);
			write_metrics(out, &cm[i], cp->ch);
			row_end(out);
		}
	if (tables & 1u << T_AD)
		for (i = 0; i < s->ncamps; i++) {
			const struct campaign *cp = &s->camps[i];
			const struct chan *ch = &sim_chan[cp->ch];
			char url[96];
			snprintf(url, sizeof url, "https://www.example.com/lp/%s/%02d", ch->name, cp->k + 1);
			for (a = 0; a < cp->nads; a++) {
				const struct ad *ad = &s->ads[cp->first_ad + a];
				char head[64];
				row_begin(out, sim_table_names[T_AD]);
				row_str(out, "date", date);
				row_str(out, "ad_group_id", ad->group_id);
				row_str(out, "ad_id", ad->id);
				row_str(out, "campaign_id", cp->id);
				row_str(out, "customer_id", ch->customer_id);
				row_str(out, "campaign_name", cp->name);
				row_str(out, "ad_group_name", ad->group_name);
				row_str(out, "ad_name", ad->name);
				row_str(out, "channel", ch->name);
				row_str(out, "platform", ch->platform);
				row_str(out, "ad_type", ch->ad_type);
				row_str(out, "ad_status", all[cp->first_ad + a].cost > 0 ||
					(live[i] == 0 && ad_active(s, ad, t)) ? "ENABLED" : "PAUSED");
				if (cp->ch >= 3)
					row_str(out, "creative_id", ad->creative_id);
				snprintf(head, sizeof head, "%s: %s", ch->label, variants[a % 6]);
				row_str(out, "headline", head);
				row_str(out, "final_url", url);
				write_metrics(out, &all[cp->first_ad + a], cp->ch);
				row_end(out);
			}
		}
	free(cm);
	free(live);
	free(all);
}

static void ga4_day(struct sim *s, long long t, const char *date, FILE *out,
		    const long long clicks_by_ch[SIM_NPAID])
{
	const struct kpi_params *k = &sim_kpi;
	struct day_truth *d = &s->daily[t - s->cfg.start];
	long long conv[SIM_NPAID], paid = 0, rest;
	unsigned split[4];
	double doy = doy_of(s, t);
	int c, i, sel = s->cfg.tables & 1u << T_GA4;

	sim_stream(s->r, s->cfg.seed, K_GA4, t, 0);
	d->trend = k->trend_per_day * (double)t;
	d->weekly = k->weekly[dow_of(s, t)];
	d->yearly = k->yearly_amp * cos(2 * M_PI * (doy - k->yearly_peak_doy) / 365.25);
	d->baseline = k->intercept + d->trend + d->weekly + d->yearly;
	d->expected = d->baseline;
	for (c = 0; c < SIM_NPAID; c++) {
		const struct chan *ch = &sim_chan[c];
		double x = sim_adstock(s, c, t);
		d->contrib[c] = s->beta[c] * sim_hill(x, ch->k_rel * ch->daily_spend, ch->shape);
		d->expected += d->contrib[c];
		conv[c] = llround(d->contrib[c]);
		paid += conv[c];
		s->w_incr[c] += d->contrib[c];
		s->w_spend[c] += s->chspend[c][t - s->s0];
	}
	d->noise = k->noise_sd * gsl_ran_ugaussian(s->r);
	d->observed = llround(d->expected + d->noise);
	/* The baseline (with the noise) is what the unpaid channels carry; it
	 * is far above 0 (150 +- 20 against sd 8), the clamp only guards. */
	if (d->observed < paid)
		d->observed = paid;
	rest = d->observed - paid;
	gsl_ran_multinomial(s->r, 4, (unsigned)rest, k->split, split);

	for (i = 0; i < SIM_NPAID + 4; i++) {
		long long cv = i < SIM_NPAID ? conv[i] : (long long)split[i - SIM_NPAID];
		long long sessions, users;
		double rev;
		if (i < SIM_NPAID)
			sessions = gsl_ran_binomial(s->r, 0.9, (unsigned)clicks_by_ch[i]) + cv;
		else
			sessions = gsl_ran_poisson(s->r, (double)cv / unpaid_cr[i - SIM_NPAID]) + cv;
		users = gsl_ran_binomial(s->r, 0.82, (unsigned)sessions);
		rev = round2((double)cv * k->value *
			     exp(k->revenue_sd * gsl_ran_ugaussian(s->r) - k->revenue_sd * k->revenue_sd / 2));
		if (!sel)
			continue;
		row_begin(out, sim_table_names[T_GA4]);
		row_str(out, "date", date);
		row_str(out, "channel", i < SIM_NPAID ? sim_chan[i].name : sim_unpaid_ga4[i - SIM_NPAID]);
		row_str(out, "property_id", "358912047");
		row_str(out, "default_channel_group",
			i < SIM_NPAID ? sim_chan[i].ga4_group : unpaid_group[i - SIM_NPAID]);
		row_int(out, "sessions", sessions);
		row_int(out, "engaged_sessions", gsl_ran_binomial(s->r, 0.62, (unsigned)sessions));
		row_int(out, "total_users", users);
		row_int(out, "new_users", gsl_ran_binomial(s->r, 0.45, (unsigned)users));
		row_real(out, "conversions", (double)cv);
		row_int(out, "transactions", gsl_ran_binomial(s->r, 0.7, (unsigned)cv));
		row_real(out, "revenue", rev);
		row_str(out, "currency_code", "USD");
		row_end(out);
	}
}

static void canary_day(struct sim *s, long long t, const char *date, FILE *out)
{
	int i;

	for (i = 0; i < s->ncamps; i++) {
		const struct campaign *cp = &s->camps[i];
		const struct chan *ch = &sim_chan[cp->ch];
		char bname[96];
		snprintf(bname, sizeof bname, "%s budget", cp->name);
		row_begin(out, sim_table_names[T_CANARY]);
		row_str(out, "snapshot_date", date);
		row_str(out, "campaign_id", cp->id);
		row_str(out, "customer_id", ch->customer_id);
		row_str(out, "campaign_name", cp->name);
		row_str(out, "platform", ch->platform);
		row_str(out, "channel", ch->name);
		row_str(out, "campaign_status", flight(s, i, t) > 0 ? "ENABLED" : "PAUSED");
		row_str(out, "budget_id", cp->budget_id);
		row_str(out, "budget_name", bname);
		row_int(out, "daily_budget_micros", llround(cp->budget[t - s->s0] * 1e6));
		row_str(out, "currency_code", "USD");
		row_str(out, "delivery_method", "STANDARD");
		row_bool(out, "explicitly_shared", 0);
		row_ts(out, "captured_at", s->cfg.origin, t * 86400 + 23 * 3600);
		row_end(out);
	}
}

void sim_run(struct sim *s, FILE *out)
{
	long long t;

	for (t = s->cfg.start; t <= s->end; t++) {
		long long clicks[SIM_NPAID] = { 0 };
		char date[16];
		sim_date(s->cfg.origin, t, date);
		ads_day(s, t, date, out, clicks);
		ga4_day(s, t, date, out, clicks);
		if (s->j)
			journey_day(s->j, t, out);
		if (s->cust)
			customers_day(s->cust, t, out);
		if (t == s->end && (s->cfg.tables & 1u << T_CANARY))
			canary_day(s, t, date, out);
		out_check(out);
	}
}
