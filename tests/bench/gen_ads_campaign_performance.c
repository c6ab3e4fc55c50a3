/*
 * Benchmark input: N rows of ads_campaign_performance as NDJSON on stdout,
 * every column of schemas/tables/ads_campaign_performance.json filled, some
 * NULLABLE ones null.  Deterministic: a fixed-seed splitmix64, no libc rand.
 *
 *   cc -O2 -Icommon -o gen tests/bench/gen_ads_campaign_performance.c common/timefmt.c
 *   ./gen 1000000 > rows.ndjson
 *
 * Rows go day by day (from 2023-01-01, at most 730 days), each day every one
 * of ceil(N / 730) campaigns once, so the key (date, campaign_id) is unique.
 * Campaign attributes are fixed per campaign; metrics vary per day.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "timefmt.h"

#define DAYS 730

static uint64_t rng_state = 0x5eed0fae1b2c3d4eULL;

static uint64_t next64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double unif(void) { return (double)(next64() >> 11) / 9007199254740992.0; }
static long below(long n) { return (long)(next64() % (uint64_t)n); }

/* Days since 1970-01-01 to a civil date (common/timefmt.c). */
static void civil(long z, int *y, int *m, int *d)
{
	long long yy;
	unsigned mm, dd;

	civil_from_days(z, &yy, &mm, &dd);
	*y = (int)yy;
	*m = (int)mm;
	*d = (int)dd;
}

struct channel { const char *channel, *platform, *type, *name; };
static const struct channel channels[] = {
	{ "google_search", "google_ads", "SEARCH", "Search" },
	{ "google_pmax", "google_ads", "PERFORMANCE_MAX", "PMax" },
	{ "youtube", "google_ads", "VIDEO", "YouTube" },
	{ "meta", "meta", "OUTCOME_SALES", "Meta" },
	{ "tiktok", "tiktok", "WEB_CONVERSIONS", "TikTok" },
	{ "linkedin", "linkedin", "SPONSORED_UPDATES", "LinkedIn" },
};
static const char *const themes[] = { "Brand", "Generic", "Competitor", "Retargeting",
	"Prospecting", "Lookalike", "Parental Controls", "Teen Safety", "Family Plan" };
static const char *const geos[] = { "US", "CA", "UK", "AU", "DE", "FR", "US-West", "US-East" };
static const char *const bids[] = { "MAXIMIZE_CONVERSIONS", "TARGET_CPA", "TARGET_ROAS",
	"MAXIMIZE_CONVERSION_VALUE", "MANUAL_CPC", "LOWEST_COST" };

struct campaign {
	char id[24], customer[24], budget[24], name[96];
	const struct channel *ch;
	const char *status, *bid, *currency;
	double scale, ctr, cvr, cpc, aov;
};

/* A JSON number or null; NULLABLE columns are null with probability p. */
static void num_or_null(const char *key, double v, const char *fmt, double p)
{
	if (unif() < p) {
		printf(",\"%s\":null", key);
		return;
	}
	printf(",\"%s\":", key);
	printf(fmt, v);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, ncamp, i, c;
	long epoch = 19358;   /* 2023-01-01 */
	struct campaign *cs;

	if (n < 1) {
		fprintf(stderr, "usage: %s ROWS\n", argv[0]);
		return 2;
	}
	ncamp = (n + DAYS - 1) / DAYS;
	cs = calloc((size_t)ncamp, sizeof *cs);
	if (!cs)
		return 1;
	for (c = 0; c < ncamp; c++) {
		struct campaign *k = &cs[c];
		k->ch = &channels[below(6)];
		snprintf(k->id, sizeof k->id, "%ld", 17000000000L + c * 7919L + below(7919));
		snprintf(k->customer, sizeof k->customer, "%ld", 1000000000L + (c % 12) * 731234567L % 8999999999L);
		snprintf(k->budget, sizeof k->budget, "%ld", 900000000L + c * 31L + below(31));
		snprintf(k->name, sizeof k->name, "%s - %s - %s - %04ld",
			 themes[below(9)], k->ch->name, geos[below(8)], c);
		k->status = unif() < 0.85 ? "ENABLED" : "PAUSED";
		k->bid = bids[below(6)];
		k->currency = unif() < 0.8 ? "USD" : (unif() < 0.5 ? "EUR" : "GBP");
		k->scale = 200.0 + 60000.0 * unif() * unif();
		k->ctr = 0.004 + 0.06 * unif();
		k->cvr = 0.01 + 0.08 * unif();
		k->cpc = 0.3 + 4.0 * unif();
		k->aov = 20.0 + 180.0 * unif();
	}
	for (i = 0; i < n; i++) {
		long day = i / ncamp;
		struct campaign *k = &cs[i % ncamp];
		int y, m, d, iy, im, id;
		long imp, clk, vtc;
		double conv, val, allc, search = k->ch->type[0] == 'S' && k->ch->type[1] == 'E';
		double is, top, abs_top, lost_b, lost_r;

		civil(epoch + day, &y, &m, &d);
		civil(epoch + day + 1, &iy, &im, &id);
		imp = (long)(k->scale * (0.6 + 0.8 * unif()));
		if (k->status[0] == 'P' && unif() < 0.7)
			imp = 0;
		clk = (long)(imp * k->ctr * (0.7 + 0.6 * unif()));
		conv = clk * k->cvr * (0.5 + unif());
		if (unif() < 0.5)
			conv = (double)(long)conv;         /* half the days whole */
		val = conv * k->aov * (0.8 + 0.4 * unif());
		allc = conv * (1.0 + 0.3 * unif());
		vtc = (long)(imp * 0.0004 * unif());
		is = 0.1 + 0.85 * unif();
		top = is * (0.4 + 0.5 * unif());
		abs_top = top * (0.3 + 0.6 * unif());
		lost_b = (1.0 - is) * unif();
		lost_r = 1.0 - is - lost_b;

		printf("{\"date\":\"%04d-%02d-%02d\",\"campaign_id\":\"%s\"", y, m, d, k->id);
		if (unif() < 0.02)
			printf(",\"customer_id\":null");
		else
			printf(",\"customer_id\":\"%s\"", k->customer);
		printf(",\"campaign_name\":\"%s\",\"channel\":\"%s\",\"platform\":\"%s\"",
		       k->name, k->ch->channel, k->ch->platform);
		printf(",\"advertising_channel_type\":\"%s\",\"campaign_status\":\"%s\"",
		       k->ch->type, k->status);
		if (unif() < 0.05)
			printf(",\"bidding_strategy_type\":null");
		else
			printf(",\"bidding_strategy_type\":\"%s\"", k->bid);
		printf(",\"budget_id\":\"%s\",\"currency_code\":\"%s\"", k->budget, k->currency);
		printf(",\"impressions\":%ld,\"clicks\":%ld,\"cost_micros\":%ld", imp, clk,
		       (long)(clk * k->cpc * (0.8 + 0.4 * unif()) * 1e6));
		printf(",\"conversions\":%.6g,\"conversion_value\":%.2f", conv, val);
		num_or_null("all_conversions", allc, "%.6g", 0.1);
		num_or_null("all_conversions_value", allc * k->aov, "%.2f", 0.1);
		num_or_null("view_through_conversions", (double)vtc, "%.0f", 0.3);
		if (k->ch->type[0] == 'V')
			printf(",\"video_views\":%ld", (long)(imp * (0.1 + 0.3 * unif())));
		else
			printf(",\"video_views\":null");
		if (search) {
			printf(",\"search_impression_share\":%.4f,\"search_top_impression_share\":%.4f"
			       ",\"search_absolute_top_impression_share\":%.4f", is, top, abs_top);
			num_or_null("search_budget_lost_impression_share", lost_b, "%.4f", 0.05);
			num_or_null("search_rank_lost_impression_share", lost_r, "%.4f", 0.05);
		} else {
			printf(",\"search_impression_share\":null,\"search_top_impression_share\":null"
			       ",\"search_absolute_top_impression_share\":null"
			       ",\"search_budget_lost_impression_share\":null"
			       ",\"search_rank_lost_impression_share\":null");
		}
		printf(",\"run_id\":\"ads-ingest-%04d%02d%02d-%08lx\"", iy, im, id,
		       (unsigned long)((day * 2654435761UL) & 0xffffffffUL));
		printf(",\"ingested_at\":\"%04d-%02d-%02dT02:%02ld:%02ldZ\"}\n", iy, im, id,
		       (i % ncamp) / 60 % 60, (i % ncamp) % 60);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("write");
		return 1;
	}
	return 0;
}
