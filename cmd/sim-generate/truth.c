/*
 * sim-generate: the ground truth as pretty JSON.  Numbers are written in
 * their shortest round-trip form, so a reader gets the exact doubles the
 * generator used.
 */
#include <math.h>
#include <string.h>

#include "ndjson.h"
#include "sim.h"

static void num(FILE *f, double v)
{
	char buf[40];
	size_t n = fmt_real(buf, v);
	fwrite(buf, 1, n, f);
}

/* ", "name": v" inside an object written on one line. */
static void inum(FILE *f, const char *name, double v)
{
	fprintf(f, ", \"%s\": ", name);
	num(f, v);
}

static void str(FILE *f, const char *s)
{
	jw_str(f, s, strlen(s));
}

/* `"key": ` at an indentation of ind spaces. */
static void key(FILE *f, int ind, const char *k)
{
	fprintf(f, "%*s", ind, "");
	str(f, k);
	fputs(": ", f);
}

static void knum(FILE *f, int ind, const char *k, double v, int last)
{
	key(f, ind, k);
	num(f, v);
	fputs(last ? "\n" : ",\n", f);
}

static void kint(FILE *f, int ind, const char *k, long long v, int last)
{
	key(f, ind, k);
	fprintf(f, "%lld%s", v, last ? "\n" : ",\n");
}

static void kstr(FILE *f, int ind, const char *k, const char *v, int last)
{
	key(f, ind, k);
	str(f, v);
	fputs(last ? "\n" : ",\n", f);
}

static void numarr(FILE *f, const double *v, int n)
{
	int i;
	fputc('[', f);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		num(f, v[i]);
	}
	fputc(']', f);
}

static const char *const state_names[SIM_NJCH + 3] = {
	"(start)", "google_search", "google_pmax", "youtube", "meta", "tiktok", "linkedin",
	"organic", "direct", "email", "(conversion)", "(null)"
};

int sim_write_truth(const struct sim *s, FILE *f)
{
	const struct sim_config *c = &s->cfg;
	const struct kpi_params *k = &sim_kpi;
	char d0[16], d1[16], od[16];
	int ch, i, j;
	long long t;

	sim_date(c->origin, c->start, d0);
	sim_date(c->origin, s->end, d1);
	sim_date(c->origin, 0, od);
	fputs("{\n", f);
	kstr(f, 2, "generator", "sim-generate " AELP_VERSION, 0);
	kint(f, 2, "seed", (long long)c->seed, 0);
	kstr(f, 2, "origin", od, 0);
	key(f, 2, "window");
	fprintf(f, "{\"start\": \"%s\", \"end\": \"%s\", \"days\": %lld, \"start_day_index\": %lld},\n",
		d0, d1, c->days, c->start);
	key(f, 2, "flags");
	fprintf(f, "{\"users\": %lld, \"campaigns_per_channel\": %d, \"ads_per_campaign\": %d},\n",
		c->users, c->campaigns, c->ads);

	key(f, 2, "model");
	fputs("{\n", f);
	kstr(f, 4, "kpi", "conversions(t) = baseline(t) + sum_c contribution_c(t) + noise(t); "
	     "GA4 conversions of paid channel c = round(contribution_c(t)); unpaid channels share "
	     "the rest multinomially; the sum over channels = round(baseline + contributions + noise)", 0);
	kstr(f, 4, "contribution", "contribution_c(t) = beta_c * hill(adstock_c(t); K_c, S_c)", 0);
	kstr(f, 4, "adstock", "geometric, normalised: adstock_c(t) = sum_{l=0}^{L-1} decay^l * spend_c(t-l) "
	     "/ sum_{l=0}^{L-1} decay^l; spend before the origin is 0", 0);
	kint(f, 4, "adstock_max_lag_days", SIM_ADSTOCK_LAG, 0);
	kstr(f, 4, "hill", "hill(x) = x^S / (x^S + K^S), x in USD/day of adstocked spend", 0);
	kstr(f, 4, "spend_scale", "USD per day: the sum of the channel's ad cost_micros / 1e6", 0);
	kstr(f, 4, "baseline", "intercept + trend_per_day*t + weekly[dow] + yearly_amplitude*"
	     "cos(2*pi*(day_of_year - yearly_peak_day_of_year)/365.25); t = days since origin, dow Monday=0", 0);
	knum(f, 4, "intercept", k->intercept, 0);
	knum(f, 4, "trend_per_day", k->trend_per_day, 0);
	key(f, 4, "weekly_monday_first");
	numarr(f, k->weekly, 7);
	fputs(",\n", f);
	knum(f, 4, "yearly_amplitude", k->yearly_amp, 0);
	knum(f, 4, "yearly_peak_day_of_year", k->yearly_peak_doy, 0);
	knum(f, 4, "noise_sd", k->noise_sd, 0);
	knum(f, 4, "value_per_conversion", k->value, 0);
	knum(f, 4, "revenue_noise_sd", k->revenue_sd, 0);
	kstr(f, 4, "revenue", "GA4 revenue = conversions * value_per_conversion * exp(sd*z - sd^2/2) "
	     "(mean one), rounded to cents", 0);
	key(f, 4, "unpaid_split");
	fprintf(f, "{");
	for (i = 0; i < 4; i++) {
		fprintf(f, "%s\"%s\": ", i ? ", " : "", sim_unpaid_ga4[i]);
		num(f, k->split[i]);
	}
	fputs("},\n", f);
	kstr(f, 4, "platform", "clicks ~ Binomial(impressions, ctr_ad); conversions ~ Binomial(clicks, "
	     "cvr_ad); impressions = cost / (cpm_ad * exp(0.08 z)) * 1000; beta_c is set so that at "
	     "expected_daily_spend the platform's expected conversions (from the ads' true cpm, ctr, cvr, "
	     "spend-weighted) are overclaim_target times the true incremental conversions", 1);
	fputs("  },\n", f);

	key(f, 2, "channels");
	fputs("{\n", f);
	for (ch = 0; ch < SIM_NPAID; ch++) {
		const struct chan *cc = &sim_chan[ch];
		double kk = cc->k_rel * cc->daily_spend, roi = s->w_spend[ch] > 0 ?
			s->w_incr[ch] / s->w_spend[ch] : 0;
		key(f, 4, cc->name);
		fputs("{\n", f);
		kstr(f, 6, "platform", cc->platform, 0);
		knum(f, 6, "nominal_daily_spend", cc->daily_spend, 0);
		knum(f, 6, "expected_daily_spend", s->e_spend[ch], 0);
		knum(f, 6, "expected_platform_conversions_per_day", s->e_platform[ch], 0);
		knum(f, 6, "adstock_decay", cc->decay, 0);
		kint(f, 6, "adstock_max_lag_days", SIM_ADSTOCK_LAG, 0);
		knum(f, 6, "hill_k", kk, 0);
		knum(f, 6, "hill_s", cc->shape, 0);
		knum(f, 6, "beta", s->beta[ch], 0);
		knum(f, 6, "cpm_mean", cc->cpm, 0);
		knum(f, 6, "ctr_mean", cc->ctr, 0);
		knum(f, 6, "cvr_mean", cc->cvr, 0);
		knum(f, 6, "overclaim_target", cc->overclaim, 0);
		knum(f, 6, "overclaim_realised", s->w_incr[ch] > 0 ? s->w_platform[ch] / s->w_incr[ch] : 0, 0);
		knum(f, 6, "window_spend", s->w_spend[ch], 0);
		knum(f, 6, "window_incremental_conversions", s->w_incr[ch], 0);
		knum(f, 6, "window_platform_conversions", s->w_platform[ch], 0);
		knum(f, 6, "window_platform_conversion_value", s->w_pvalue[ch], 0);
		knum(f, 6, "roi_conversions_per_usd", roi, 0);
		knum(f, 6, "roas_incremental_revenue_per_usd", roi * k->value, 0);
		key(f, 6, "response_curve");
		fputs("[\n", f);
		for (i = 0; i < 20; i++) {
			double x = 3.0 * cc->daily_spend * i / 19.0;
			fprintf(f, "        {\"spend\": ");
			num(f, x);
			inum(f, "conversions", s->beta[ch] * sim_hill(x, kk, cc->shape));
			fputs(i == 19 ? "}\n" : "},\n", f);
		}
		fputs("      ]\n", f);
		fputs(ch == SIM_NPAID - 1 ? "    }\n" : "    },\n", f);
	}
	fputs("  },\n", f);

	key(f, 2, "campaigns");
	fputs("[\n", f);
	for (i = 0; i < s->ncamps; i++) {
		const struct campaign *cp = &s->camps[i];
		fprintf(f, "    {\"campaign_id\": \"%s\", \"channel\": \"%s\", \"budget_id\": \"%s\", "
			"\"base_daily_budget\": ", cp->id, sim_chan[cp->ch].name, cp->budget_id);
		num(f, cp->base_budget);
		inum(f, "weekly_live_probability", cp->flight_on);
		fputs(i == s->ncamps - 1 ? "}\n" : "},\n", f);
	}
	fputs("  ],\n", f);
	kstr(f, 2, "flighting", "each 7-day block of a campaign is dark (spend 0, PAUSED) with "
	     "probability 1 - weekly_live_probability, else a burst (x1.5) with probability 0.12", 0);
	kstr(f, 2, "budgets", "log budget steps every 28 days (campaign phase) with probability 0.5: "
	     "lm = 0.8*lm + N(0, 0.15^2); budget = max(10, round(base*exp(lm))) USD; spend = budget * "
	     "flight * weekday[channel] * U(0.9, 1)", 0);

	key(f, 2, "ads");
	fputs("[\n", f);
	for (i = 0; i < s->nads; i++) {
		const struct ad *ad = &s->ads[i];
		const struct campaign *cp = &s->camps[ad->camp];
		fprintf(f, "    {\"ad_id\": \"%s\", \"ad_group_id\": \"%s\", \"campaign_id\": \"%s\", "
			"\"channel\": \"%s\", \"ctr\": ", ad->id, ad->group_id, cp->id, sim_chan[cp->ch].name);
		num(f, ad->ctr);
		inum(f, "cvr", ad->cvr);
		inum(f, "cpm", ad->cpm);
		inum(f, "spend_weight", ad->weight);
		fputs(i == s->nads - 1 ? "}\n" : "},\n", f);
	}
	fputs("  ],\n", f);

	key(f, 2, "journeys");
	fputs("{\n", f);
	kint(f, 4, "users_per_day_mean", c->users, 0);
	key(f, 4, "states");
	fputc('[', f);
	for (i = 0; i < SIM_NJCH + 3; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", state_names[i]);
	fputs("],\n", f);
	key(f, 4, "transition_matrix");
	fputs("[\n", f);
	for (i = 0; i < SIM_NJCH + 3; i++) {
		fputs("      ", f);
		numarr(f, s->jmatrix[i], SIM_NJCH + 3);
		fputs(i == SIM_NJCH + 2 ? "\n" : ",\n", f);
	}
	fputs("    ],\n", f);
	kint(f, 4, "max_sessions", SIM_J_MAX_SESSIONS, 0);
	kint(f, 4, "horizon_days", SIM_J_HORIZON_DAYS, 0);
	kstr(f, 4, "truncation", "a journey ends as (null) after max_sessions sessions or when a "
	     "session would start horizon_days or more after its acquisition day's midnight", 0);
	kstr(f, 4, "first_session", "uniform over the acquisition day", 0);
	kstr(f, 4, "session_gap", "next start = previous end + 60 s + Exponential(mean 1.5 days)", 0);
	kstr(f, 4, "session_duration", "10 s + min(Exponential(mean 240 s), 3600 s)", 0);
	kstr(f, 4, "conversion_lag", "converted_at: with probability 0.6 uniform within the session, "
	     "else session end + min(LogNormal(ln 21600, 1.2) s, 14 days)", 0);
	kint(f, 4, "conversion_lag_cap_days", SIM_J_LAG_CAP_DAYS, 0);
	kstr(f, 4, "conversion_types", "0.2 acquisition (first_open on mobile with probability 0.5, "
	     "else first_visit; value 0), 0.52 purchase (value LogNormal(ln 85 - 0.08, 0.4)), 0.28 lead "
	     "(value 25)", 0);
	kstr(f, 4, "touches", "paid session: an impression 5 s to 2 h before the click, the click 1-5 s "
	     "before the session; email session: the click; a conversion touch at converted_at; "
	     "cost on the click for google_search and linkedin (cpm/1000/ctr of the ad), on the "
	     "impression for the others (cpm/1000)", 0);
	kstr(f, 4, "devices", "mobile 0.6, desktop 0.35, tablet 0.05", 1);
	fputs("  },\n", f);

	key(f, 2, "customers");
	fputs("{\n", f);
	kstr(f, 4, "acquisition", "a journey conversion of type purchase is the customer's first "
	     "purchase (first_purchase true, transaction_id tx-USER-1, customer_id the user_id, "
	     "occurred_at converted_at, value conversion_value, channel the converting session's)", 0);
	kstr(f, 4, "repeat_purchases", "BG/NBD (Fader, Hardie & Lee 2005) per acquisition channel: "
	     "lambda ~ Gamma(shape r, rate alpha) and dropout p ~ Beta(a, b) per customer; while "
	     "active, gaps between purchases ~ Exponential(rate lambda); after each repeat purchase "
	     "the customer drops out with probability p (never right after the first purchase); "
	     "repeat k is tx-USER-(k+1), occurred_at rounded to the second", 0);
	kstr(f, 4, "repeat_values", "Gamma-Gamma: value ~ Gamma(shape p, rate nu), nu ~ Gamma(shape q, "
	     "rate gamma) per customer, rounded to cents; mean p*gamma/(q-1); the first purchase's "
	     "value is the journey's conversion_value, independent of nu", 0);
	kstr(f, 4, "time_unit", "week: lambda in purchases a week, alpha in weeks (alpha_days = 7 alpha); "
	     "ltv-fit --period week estimates these r, alpha, a, b", 0);
	kstr(f, 4, "expected_repeat_purchases", "E[X(t)] = (a+b-1)/(a-1) * (1 - (alpha/(alpha+t))^r * "
	     "2F1(r, b; a+b-1; t/(alpha+t))), t in weeks after the first purchase", 0);
	kstr(f, 4, "window", "window_* count the rows in the window by acquisition channel "
	     "(customers acquired since the origin)", 0);
	key(f, 4, "channels");
	fputs("{\n", f);
	for (ch = 0; ch < SIM_NJCH; ch++) {
		const struct ltv_params *m = &sim_ltv[ch];
		const double *w = s->w_cust[ch];
		key(f, 6, sim_chan[ch].name);
		fputs("{\"r\": ", f);
		num(f, m->r);
		inum(f, "alpha", m->alpha);
		inum(f, "alpha_days", round(7 * m->alpha * 1e9) / 1e9);
		inum(f, "a", m->a);
		inum(f, "b", m->b);
		inum(f, "p", m->p);
		inum(f, "q", m->q);
		inum(f, "gamma", m->gamma);
		inum(f, "mean_lambda_per_week", m->r / m->alpha);
		inum(f, "mean_dropout", m->a / (m->a + m->b));
		inum(f, "expected_repeat_purchases_52_weeks", sim_bgnbd_expected(m, 52));
		inum(f, "mean_repeat_value", m->p * m->gamma / (m->q - 1));
		inum(f, "window_first_purchases", w[0]);
		inum(f, "window_first_purchase_value", round(w[1] * 100) / 100);
		inum(f, "window_repeat_purchases", w[2]);
		inum(f, "window_repeat_purchase_value", round(w[3] * 100) / 100);
		fputs(ch == SIM_NJCH - 1 ? "}\n" : "},\n", f);
	}
	fputs("    }\n  },\n", f);

	key(f, 2, "daily");
	fputs("[\n", f);
	for (t = 0; t < c->days; t++) {
		const struct day_truth *d = &s->daily[t];
		char ds[16];
		sim_date(c->origin, c->start + t, ds);
		fprintf(f, "    {\"date\": \"%s\", \"baseline\": ", ds);
		num(f, d->baseline);
		inum(f, "trend", d->trend);
		inum(f, "weekly", d->weekly);
		inum(f, "yearly", d->yearly);
		for (j = 0; j < SIM_NPAID; j++) {
			fprintf(f, ", \"%s\": ", sim_chan[j].name);
			num(f, d->contrib[j]);
		}
		for (j = 0; j < SIM_NPAID; j++) {
			fprintf(f, ", \"spend_%s\": ", sim_chan[j].name);
			num(f, s->chspend[j][c->start + t - s->s0]);
		}
		inum(f, "noise", d->noise);
		inum(f, "expected", d->expected);
		fprintf(f, ", \"observed\": %lld}%s\n", d->observed, t == c->days - 1 ? "" : ",");
	}
	fputs("  ]\n}\n", f);
	return ferror(f) ? -1 : 0;
}
