#ifndef BUDGET_PROPOSE_H
#define BUDGET_PROPOSE_H

/*
 * budget-propose's decision for one campaign: pure arithmetic, no I/O, so
 * the same inputs always give the same proposal and the property tests can
 * drive it over thousands of random portfolios.
 */

#define BP_MAX_CHANGE_PCT 5.0      /* one proposal moves at most this share of the budget */
#define BP_BAND 0.90               /* CAC bands are central 90% intervals */
#define BP_FUNDING_TOL 0.005       /* the MMM's gap must exceed 0.5% of the channel's spend */

/* What the latest successful media-mix run says about one channel. */
struct bp_channel {
	const char *name;
	double current, proposed;       /* mmm_allocations daily spend */
	/* Average CAC over the fit's window (mmm_allocations cac_*); NaN when
	 * the fit gives none (a revenue KPI, or a dead channel). */
	double cac_mean, cac_low, cac_high;
	/* Marginal CAC at the channel's current spend (mmm_curves: value per
	 * conversion / marginal ROI); NaN when unknown.  high may be +inf. */
	double mcac_mean, mcac_low, mcac_high;
	/* The channel's lookback sums over the campaigns proposed on. */
	double spend, conv;
};

/* One campaign: its latest budget and its lookback performance. */
struct bp_campaign {
	const char *campaign_id;
	double budget;                  /* current daily budget, account currency (> 0) */
	double spend, conv;             /* lookback sums */
	double max_daily_spend;         /* highest daily spend in the lookback */
	int days;                       /* days in the lookback window */
};

struct bp_options {
	double cac_cap;                 /* NaN: no cap */
	double hist_mult;               /* --hist-cap-multiplier */
	double prior_conv;              /* Gamma prior's weight in conversions (> 0) */
	double portfolio_cac;           /* the prior's centre: all spend / all conversions */
};

/* Why a proposal is what it is (the cap_reason codes of canary_changes.notes). */
enum bp_cap {
	BP_CAP_NONE,
	BP_CAP_CAC_ABOVE,               /* even the optimistic CAC is above the cap: down */
	BP_CAP_CAC_STRADDLES,           /* the band straddles the cap: hold, not down */
	BP_CAP_MARGINAL_ABOVE,          /* up wanted, but the marginal CAC's upper bound is not below the cap */
	BP_CAP_HIST                     /* the historical daily cap bound the budget */
};
const char *bp_cap_name(enum bp_cap c);

enum bp_direction { BP_HOLD, BP_UP, BP_DOWN };
const char *bp_direction_name(enum bp_direction d);

struct bp_band {
	double mean, low, high;         /* NaN/inf when unknown (mean with no conversions, say) */
	const char *source;             /* "mmm" or "gamma_poisson" */
};

struct bp_proposal {
	enum bp_direction direction;
	double proposed;                /* daily budget, whole cents, moved toward current */
	double change_pct;              /* signed, of the current budget */
	enum bp_cap cap;                /* the cap that decided or bound, or NONE */
	int record;                     /* 1: a row is written (a move, or a hold a cap explains) */
	const char *bound;              /* what limited the move's size: "max_change_pct",
					 * "hist_daily_cap", "mmm_gap", or NULL for a hold */
	const char *cac_bound;          /* the end of a band the decision read:
					 * "cac_low", "cac_high", "marginal_cac_high", or NULL */
	const char *funding;            /* the MMM's verdict on the channel: "under_funded",
					 * "over_funded", "balanced", or NULL without an MMM */
	struct bp_band cac, mcac;       /* the campaign's CAC and marginal CAC */
	double hist_cap;                /* max daily spend x multiplier */
	double uncertainty;             /* (cac high - cac low) / (2 cac mean), NaN if unknown */
	double gain;                    /* expected net conversions per day, for --top-n */
	char reason[320];               /* in words, for canary_changes.reason */
};

/*
 * The CAC band of a campaign from its own history: conversions are Poisson
 * with rate lambda per unit of spend, lambda ~ Gamma(a0, a0 * portfolio
 * CAC) a priori (a0 = prior_conv conversions at the portfolio's CAC), so
 * lambda | data ~ Gamma(a0 + conv, a0 * portfolio CAC + spend) and CAC =
 * 1/lambda is inverse-gamma: mean b/(a-1), 5% and 95% quantiles b over the
 * gamma's 95% and 5% quantiles.
 */
struct bp_band bp_history_band(double spend, double conv, const struct bp_options *o);

/*
 * The campaign's share factor within its channel: (its spend share) / (its
 * conversion share), conversions smoothed by the prior's a0 spread over
 * the channel by spend.  A channel CAC times the factor is the campaign's.
 */
double bp_share_factor(const struct bp_campaign *c, const struct bp_channel *ch, double prior_conv);

/* Decide.  ch is NULL without a media-mix run (history only). */
void bp_decide(const struct bp_campaign *c, const struct bp_channel *ch, const struct bp_options *o,
	       struct bp_proposal *p);

#endif
