#ifndef AELP_CACBAND_H
#define AELP_CACBAND_H

/*
 * The cost per acquisition (CAC) of a campaign or an arm from its own
 * history, with honest uncertainty (budget-propose, bandit-decide).
 *
 * Conversions are Poisson with rate lambda per unit of spend; a priori
 * lambda ~ Gamma(a0, a0 * prior_cac), i.e. a0 pseudo-conversions at
 * prior_cac (no prior mass on the spend side when prior_cac is NaN or not
 * positive), so lambda | data ~ Gamma(a, b) with a = a0 + conv and
 * b = a0 * prior_cac + spend.  CAC = 1 / lambda is inverse-gamma: mean
 * b / (a - 1) (infinite when a <= 1), and its central `level` interval is
 * b over the gamma's upper and lower quantiles.
 */

struct cac_band {
	double mean, low, high;   /* +inf where unbounded; low is 0 only without spend or prior */
};

/* The p-quantile of Gamma(a, 1), a > 0, 0 < p < 1, to about 1e-13 relative. */
double gamma_quantile(double p, double a);

/* The band above; a0 > 0, spend >= 0, conv >= 0, 0 < level < 1 (0.90 by habit). */
struct cac_band cac_band(double spend, double conv, double a0, double prior_cac, double level);

#endif
