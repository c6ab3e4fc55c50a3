/* budget-propose's decision for one campaign (propose.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>


#include "cacband.h"
#include "propose.h"

#define CENT 10000LL   /* micros: proposals move in whole cents */

const char *bp_cap_name(enum bp_cap c)
{
	switch (c) {
	case BP_CAP_CAC_ABOVE: return "cac_above_cap";
	case BP_CAP_CAC_STRADDLES: return "cac_band_straddles_cap";
	case BP_CAP_MARGINAL_ABOVE: return "marginal_cac_above_cap";
	case BP_CAP_HIST: return "hist_daily_cap";
	case BP_CAP_NONE: break;
	}
	return NULL;
}

const char *bp_direction_name(enum bp_direction d)
{
	return d == BP_UP ? "up" : d == BP_DOWN ? "down" : "hold";
}

struct bp_band bp_history_band(double spend, double conv, const struct bp_options *o)
{
	struct cac_band c = cac_band(spend, conv, o->prior_conv, o->portfolio_cac, BP_BAND);
	struct bp_band r;

	r.source = "gamma_poisson";
	r.mean = c.mean;
	r.low = c.low;
	r.high = c.high;
	return r;
}

double bp_share_factor(const struct bp_campaign *c, const struct bp_channel *ch, double prior_conv)
{
	double s, k;

	if (!(ch->spend > 0) || !(c->spend > 0))
		return 1;
	s = c->spend / ch->spend;
	k = (c->conv + prior_conv * s) / (ch->conv + prior_conv);
	return s / k;
}

static struct bp_band scaled(double mean, double low, double high, double f)
{
	struct bp_band r = { mean * f, low * f, high * f, "mmm" };
	return r;
}

/* Whole cents of x micros, toward zero. */
static long long cents_down(double micros)
{
	return micros > 0 ? (long long)floor(micros / CENT) * CENT : 0;
}

static double inv(double x)
{
	return x > 0 ? 1 / x : 0;   /* an infinite CAC buys nothing */
}

void bp_decide(const struct bp_campaign *c, const struct bp_channel *ch, const struct bp_options *o,
	       struct bp_proposal *p)
{
	int has_cap = isfinite(o->cac_cap);
	double cap = o->cac_cap, B = c->budget, f = 1, gap = 0, T, util;
	long long Bm = llround(B * 1e6), max_dm, dm = 0, Hm;
	enum bp_direction dir = BP_HOLD;
	char tail[160] = "";

	memset(p, 0, sizeof *p);
	p->uncertainty = NAN;
	p->hist_cap = c->max_daily_spend * o->hist_mult;
	/* the campaign's own band, unless the media-mix run gives the channel's */
	if (ch && isfinite(ch->cac_mean) && isfinite(ch->cac_low) && c->spend > 0 && B > 0) {
		f = bp_share_factor(c, ch, o->prior_conv);
		p->cac = scaled(ch->cac_mean, ch->cac_low, ch->cac_high, f);
	} else {
		p->cac = bp_history_band(c->spend, c->conv, o);
	}
	p->mcac = p->cac;
	if (!(c->spend > 0) || !(B > 0)) {
		p->proposed = B;
		snprintf(p->reason, sizeof p->reason, "%s", !(B > 0) ? "no budget to move" :
			 "no spend in the lookback: no evidence to move the budget on");
		return;
	}
	if (ch) {
		f = bp_share_factor(c, ch, o->prior_conv);
		if (isfinite(ch->mcac_mean))
			p->mcac = scaled(ch->mcac_mean, ch->mcac_low, ch->mcac_high, f);
		else
			p->mcac = p->cac;
		gap = ch->proposed - ch->current;
		p->funding = gap > BP_FUNDING_TOL * ch->current ? "under_funded" :
			     gap < -BP_FUNDING_TOL * ch->current ? "over_funded" : "balanced";
		/* the channel's gap, apportioned by the campaign's share of its spend */
		gap *= ch->spend > 0 ? c->spend / ch->spend : 0;
	}
	if (isfinite(p->cac.mean) && p->cac.mean > 0)
		p->uncertainty = (p->cac.high - p->cac.low) / (2 * p->cac.mean);

	max_dm = cents_down(BP_MAX_CHANGE_PCT / 100 * (double)Bm);
	if (has_cap && p->cac.low > cap) {
		dir = BP_DOWN;
		dm = max_dm;
		p->cap = BP_CAP_CAC_ABOVE;
		p->cac_bound = "cac_low";
		p->bound = "max_change_pct";
		snprintf(p->reason, sizeof p->reason, "CAC %.2f (90%% %.2f to %.2f, %s) is above the cap "
			 "%.2f even at its low end", p->cac.mean, p->cac.low, p->cac.high, p->cac.source, cap);
	} else if (has_cap && !(p->cac.high <= cap)) {
		p->cap = BP_CAP_CAC_STRADDLES;
		p->cac_bound = "cac_low";
		snprintf(p->reason, sizeof p->reason, "CAC band %.2f to %.2f (%s) straddles the cap %.2f",
			 p->cac.low, p->cac.high, p->cac.source, cap);
	} else if (p->funding && strcmp(p->funding, "under_funded") == 0) {
		if (has_cap && !(p->mcac.high < cap)) {
			p->cap = BP_CAP_MARGINAL_ABOVE;
			p->cac_bound = "marginal_cac_high";
			snprintf(p->reason, sizeof p->reason, "the MMM says %s is under-funded (%.2f -> %.2f "
				 "a day), but the marginal CAC's upper bound %.2f is not below the cap %.2f",
				 ch->name, ch->current, ch->proposed, p->mcac.high, cap);
		} else {
			dir = BP_UP;
			dm = cents_down(gap * 1e6);
			p->bound = "mmm_gap";
			if (dm >= max_dm) {
				dm = max_dm;
				p->bound = "max_change_pct";
			}
			p->cac_bound = has_cap ? "marginal_cac_high" : NULL;
			snprintf(p->reason, sizeof p->reason, "the MMM says %s is under-funded (%.2f -> %.2f "
				 "a day); marginal CAC %.2f (90%% up to %.2f)%s", ch->name, ch->current,
				 ch->proposed, p->mcac.mean, p->mcac.high, has_cap ? ", below the cap" : "");
		}
	} else if (p->funding && strcmp(p->funding, "over_funded") == 0) {
		dir = BP_DOWN;
		dm = cents_down(-gap * 1e6);
		p->bound = "mmm_gap";
		if (dm >= max_dm) {
			dm = max_dm;
			p->bound = "max_change_pct";
		}
		snprintf(p->reason, sizeof p->reason, "the MMM says %s is over-funded (%.2f -> %.2f a day)",
			 ch->name, ch->current, ch->proposed);
	} else {
		snprintf(p->reason, sizeof p->reason, "%s", ch ? "the MMM says the channel is funded about "
			 "right and no cap applies" : "no cap applies and no media-mix run says the channel "
			 "is under- or over-funded");
	}

	/* The historical daily cap: a budget never goes above it, except that
	 * one proposal moves at most 5%, so a budget far above comes down in steps. */
	Hm = cents_down(p->hist_cap * 1e6);
	if (dir == BP_UP && Bm + dm > Hm) {
		p->cap = BP_CAP_HIST;
		dm = Hm > Bm ? Hm - Bm : 0;
		p->bound = "hist_daily_cap";
		if (dm == 0)
			dir = BP_HOLD;   /* already at or above the cap: below, it may come down */
		snprintf(tail, sizeof tail, "; held to the historical daily cap %.2f", p->hist_cap);
	}
	if (dir != BP_UP && (dir == BP_DOWN ? Bm - dm : Bm) > Hm) {
		dm = Bm - Hm;
		p->bound = "hist_daily_cap";
		if (dm >= max_dm) {
			dm = max_dm;
			p->bound = "max_change_pct";
		}
		if (p->cap == BP_CAP_NONE && dir == BP_HOLD)
			p->reason[0] = '\0';   /* the cap is the whole story */
		if (p->cap == BP_CAP_NONE || p->cap == BP_CAP_CAC_STRADDLES ||
		    p->cap == BP_CAP_MARGINAL_ABOVE)
			p->cap = BP_CAP_HIST;
		dir = BP_DOWN;
		snprintf(tail, sizeof tail, "%sthe budget %.2f is above the historical daily cap %.2f "
			 "(%.2f x highest daily spend %.2f)", p->reason[0] ? "; " : "", B, p->hist_cap,
			 o->hist_mult, c->max_daily_spend);
	}
	if (dm <= 0)
		dir = BP_HOLD;
	if (dir == BP_HOLD) {
		dm = 0;
		p->bound = NULL;
	}
	p->direction = dir;
	p->proposed = (double)(dir == BP_UP ? Bm + dm : Bm - dm) / 1e6;
	/* in micros, so that exactly 5% reads 5.0 */
	p->change_pct = (double)(100 * (dir == BP_UP ? dm : -dm)) / (double)Bm;
	p->record = dir != BP_HOLD || p->cap != BP_CAP_NONE;
	{
		size_t n = strlen(p->reason);
		if (dir == BP_HOLD)
			snprintf(p->reason + n, sizeof p->reason - n, "%s: hold", tail);
		else
			snprintf(p->reason + n, sizeof p->reason - n, "%s: %s %.2f%%", tail,
				 bp_direction_name(dir), fabs(p->change_pct));
	}

	/* Expected net conversions a day: the spend that moves, at the marginal
	 * CAC, against the same spend at the target CAC (the cap, else the
	 * portfolio's). */
	T = has_cap ? cap : o->portfolio_cac;
	util = c->days > 0 ? c->spend / c->days / B : 1;
	if (util > 1)
		util = 1;
	p->gain = (p->proposed - B) * util * (inv(p->mcac.mean) - (isfinite(T) ? inv(T) : 0));
}
