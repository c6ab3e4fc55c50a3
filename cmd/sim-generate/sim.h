#ifndef SIM_H
#define SIM_H

/*
 * sim-generate's model: a synthetic advertiser with known ground truth.
 *
 * Every random draw comes from a stream keyed by (seed, kind, entity, day),
 * never from one sequential stream, so the rows of a day do not depend on
 * the window that produced them.  State that carries across days (budget
 * random walk, adstock, journeys of users acquired earlier) is recomputed
 * from the origin (day index 0).
 */

#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

/* The tables, in the order rows of one day are written. */
enum sim_table {
	T_CAMPAIGN, T_AD, T_GA4, T_SESSIONS, T_TOUCHES, T_CUSTTX, T_CANARY, T_COUNT
};
extern const char *const sim_table_names[T_COUNT];

/* Channels: six paid, then the unpaid ones of GA4 and the journeys. */
#define SIM_NPAID 6
#define SIM_NJCH 9        /* journey channels: the six paid + organic, direct, email */

/* Model constants (documented in --help and in the truth file). */
#define SIM_ADSTOCK_LAG 28        /* max adstock lag in days, weights normalised */
#define SIM_J_MAX_SESSIONS 20     /* a journey ends in (null) after this many sessions */
#define SIM_J_HORIZON_DAYS 30     /* ... or when its next session would start after this */
#define SIM_J_LAG_CAP_DAYS 14     /* conversion lag cap after the session end */

struct sim_config {
	uint64_t seed;
	long long origin;          /* days since 1970-01-01 */
	long long start, days;     /* window: day indices relative to origin: [start, start+days) */
	long long users;           /* mean new users per day */
	int campaigns, ads;        /* per channel, per campaign */
	unsigned tables;           /* bitmask of 1u << enum sim_table */
};

struct sim;

/* A new simulator for cfg (copied); dies with 70 on allocation failure. */
struct sim *sim_new(const struct sim_config *cfg);

/* Write the window's rows to out, by day then table.  Write errors are the
 * caller's to check (out_check/out_finish); the loop calls out_check(out)
 * once a day so a closed pipe stops it early. */
void sim_run(struct sim *s, FILE *out);

/* The ground truth as pretty JSON (after sim_run, which fills the realised
 * figures).  Returns 0, or -1 when writing failed. */
int sim_write_truth(const struct sim *s, FILE *f);

void sim_free(struct sim *s);

/* "YYYY-MM-DD" of day index t (relative to origin) into buf (>= 16 bytes). */
void sim_date(long long origin, long long t, char *buf);

/* ---- internals shared by sim.c, journey.c, truth.c, rng.c ---- */

/* The GSL generator type behind every stream: xoshiro256** seeded from a
 * 64-bit key by splitmix64 (GSL's own generators take 32-bit seeds, which
 * would collide among the ~10^5 streams of a run). */
extern const gsl_rng_type *sim_rng_type;

/* Stream kinds. */
enum { K_CAMP = 1, K_AD, K_BUDGET, K_FLIGHT, K_SPEND, K_ROT, K_ADDAY, K_GA4,
       K_NUSERS, K_USER, K_CUST, K_CUSTTX };

/* Reseed r to the stream (seed, kind, a, b). */
void sim_stream(gsl_rng *r, uint64_t seed, int kind, long long a, long long b);

struct chan {
	const char *name, *platform, *label, *adv_type, *bidding, *ad_type, *customer_id;
	const char *ga4_group, *source, *medium;
	double daily_spend;       /* nominal channel spend, USD/day */
	double cpm, ctr, cvr;     /* channel means of the ads' true values */
	double decay;             /* geometric adstock decay */
	double k_rel, shape;      /* Hill K = k_rel * daily_spend; S */
	double overclaim;         /* target platform / true incremental conversions */
	double flight_on;         /* probability a week is live (flighted campaigns) */
	double dow[7];            /* spend multiplier, Monday first */
};
extern const struct chan sim_chan[SIM_NJCH];

struct campaign {
	int ch, k, first_ad, nads;
	long long id_num;
	char id[24], name[64], budget_id[24];
	double base_budget;       /* USD/day at period 0 */
	double flight_on;
	int phase_budget, phase_flight;
	double *budget;           /* USD/day per day index s0..end (at [t - s0]) */
};

struct ad {
	int camp, group, idx;
	char id[24], group_id[24], name[64], group_name[64], creative_id[24];
	double ctr, cvr, cpm, weight, value;
	int phase;
};

struct day_truth {
	double trend, weekly, yearly, baseline, contrib[SIM_NPAID], noise, expected;
	long long observed;
};

struct kpi_params {
	double intercept, trend_per_day, weekly[7], yearly_amp, yearly_peak_doy, noise_sd;
	double value, revenue_sd, split[4];
};
extern const struct kpi_params sim_kpi;
extern const char *const sim_unpaid_ga4[4];

struct journey;
struct customers;

/*
 * Repeat customers (customers.c).  A journey's purchase conversion acquires
 * a customer; after it, repeat purchases follow BG/NBD and their values
 * Gamma-Gamma with the acquisition channel's parameters.  Time unit: the
 * week (SIM_LTV_UNIT seconds); lambda is purchases per week, alpha in weeks.
 */
#define SIM_LTV_UNIT (7 * 86400.0)
struct ltv_params {
	double r, alpha;          /* lambda ~ Gamma(shape r, rate alpha) */
	double a, b;              /* dropout probability p ~ Beta(a, b) */
	double p, q, gamma;       /* value ~ Gamma(shape p, rate nu), nu ~ Gamma(shape q, rate gamma) */
};
extern const struct ltv_params sim_ltv[SIM_NJCH];

/* A customer's latent traits, from the stream (seed, K_CUST, day, user). */
struct cust_latent {
	double lambda, p, nu;
};
/* The j-th repeat purchase (j >= 1), from the stream (seed, K_CUSTTX, customer, j):
 * the time since the previous purchase in seconds (INFINITY when lambda is
 * 0), its value in USD (cents), and whether the customer drops out after it. */
struct cust_repeat {
	double gap, value;
	int drop;
};
void sim_cust_latent(gsl_rng *r, uint64_t seed, long long a, long long i, int ch,
		     struct cust_latent *l);
void sim_cust_repeat(gsl_rng *r, uint64_t seed, long long a, long long i, long long j, int ch,
		     const struct cust_latent *l, struct cust_repeat *x);
/* E[X(t)], the expected repeat purchases in t weeks after the first (FHL 2005 eq. 9). */
double sim_bgnbd_expected(const struct ltv_params *m, double t);

struct customers *customers_new(struct sim *s);
/* User i of day a made a purchase conversion at secs (since origin) worth
 * value, in a session of channel ch: the customer's first purchase. */
void customers_add(struct customers *cs, long long a, long long i, int ch, long long secs,
		   double value);
/* Write the transactions of day t (all customers of days <= t added). */
void customers_day(struct customers *cs, long long t, FILE *out);
void customers_free(struct customers *cs);

struct sim {
	struct sim_config cfg;
	long long end;                 /* last day index of the window */
	gsl_rng *r;
	struct campaign *camps;
	int ncamps;
	struct ad *ads;
	int nads;
	double beta[SIM_NPAID];
	double e_spend[SIM_NPAID], e_platform[SIM_NPAID];  /* expected USD/day, platform conv/day */
	/* spend per channel from day index s0 = max(0, start-LAG+1) to end */
	long long s0;
	double *chspend[SIM_NPAID];
	/* realised over the window */
	double w_spend[SIM_NPAID], w_incr[SIM_NPAID], w_platform[SIM_NPAID], w_pvalue[SIM_NPAID];
	struct day_truth *daily;
	double jmatrix[SIM_NJCH + 3][SIM_NJCH + 3];   /* (start), channels, (conversion), (null) */
	struct journey *j;
	struct customers *cust;
	/* realised over the window, per acquisition channel: first purchases,
	 * their value, repeat purchases, their value */
	double w_cust[SIM_NJCH][4];
	/* per-day scratch */
	long long *ad_cost;
};

/* Hill saturation x^S / (x^S + K^S); 0 for x <= 0. */
double sim_hill(double x, double k, double s);

/* The normalised adstock of channel c on day t (needs chspend). */
double sim_adstock(const struct sim *s, int c, long long t);

/* Journeys: generate users and write sessions/touchpoints of day t. */
struct journey *journey_new(struct sim *s);
void journey_day(struct journey *j, long long t, FILE *out);
void journey_free(struct journey *j);
void journey_matrix(double m[SIM_NJCH + 3][SIM_NJCH + 3]);

/* Row writers (util.c): row_begin writes {"_table":NAME, each field adds ,"key":value, row_end closes the line. */
void row_begin(FILE *f, const char *table);
void row_str(FILE *f, const char *key, const char *v);
void row_int(FILE *f, const char *key, long long v);
void row_real(FILE *f, const char *key, double v);
void row_bool(FILE *f, const char *key, int v);
void row_ts(FILE *f, const char *key, long long origin, long long secs);
void row_end(FILE *f);

#endif
