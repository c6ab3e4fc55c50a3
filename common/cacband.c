/* The Gamma-Poisson CAC band (cacband.h). */
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "cacband.h"

/*
 * Newton's method on u = log x over the CDF, started from Wilson and
 * Hilferty's approximation and kept inside a bracket that bisection narrows
 * whenever a step would leave it (GSL's own inverse can fail to converge for
 * small shapes and tails).  For very large shapes (about a million
 * conversions) GSL's asymptotic series can report an error: its handler is
 * off meanwhile (the default one aborts), and Wilson and Hilferty's value,
 * whose error is far below the band's own width there, is the answer.
 */
double gamma_quantile(double p, double a)
{
	double lo = -745, hi = log(a + 50) + 3, u, c = 1 / (9 * a);
	double z = gsl_cdf_ugaussian_Pinv(p), w = 1 - c + z * sqrt(c), r;
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	int i;

	u = w > 0.05 ? log(a) + 3 * log(w) : log(p * a * exp(lgamma(a))) / a;  /* small-x tail: P ~ x^a / (a Gamma(a)) */
	if (!(u > lo && u < hi))
		u = (lo + hi) / 2;
	for (i = 0; i < 200; i++) {
		double x = exp(u), d = gsl_ran_gamma_pdf(x, a, 1) * x, f, next;
		gsl_sf_result P;
		if (gsl_sf_gamma_inc_P_e(a, x, &P) != GSL_SUCCESS) {
			r = w > 0 ? a * w * w * w : exp(u);
			goto out;
		}
		f = P.val - p;
		if (f < 0)
			lo = u;
		else
			hi = u;
		next = d > 0 ? u - f / d : (lo + hi) / 2;
		if (!(next > lo && next < hi))
			next = (lo + hi) / 2;
		if (fabs(next - u) < 1e-13 || hi - lo < 1e-13) {
			r = exp(next);
			goto out;
		}
		u = next;
	}
	r = exp(u);
out:
	gsl_set_error_handler(old);
	return r;
}

struct cac_band cac_band(double spend, double conv, double a0, double prior_cac, double level)
{
	double a = a0 + conv;
	double b = (isfinite(prior_cac) && prior_cac > 0 ? a0 * prior_cac : 0) + spend;
	double tail = (1 - level) / 2;
	struct cac_band r;

	r.mean = a > 1 ? b / (a - 1) : INFINITY;
	r.low = b / gamma_quantile(1 - tail, a);
	r.high = b / gamma_quantile(tail, a);
	return r;
}
