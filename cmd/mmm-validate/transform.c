/* Robyn's media transforms: geometric adstock and Hill saturation. */
#include <math.h>

#include "robyn.h"

void adstock_geometric(const double *x, int T, double theta, double *out)
{
	double prev = 0.0;
	int t;
	for (t = 0; t < T; t++) {
		prev = x[t] + theta * prev;
		out[t] = prev;
	}
}

void saturation_hill(const double *x, int T, double alpha, double gamma, double *out)
{
	double lo, hi, inflexion, ia;
	int t;

	if (T <= 0)
		return;
	lo = hi = x[0];
	for (t = 1; t < T; t++) {
		if (x[t] < lo)
			lo = x[t];
		if (x[t] > hi)
			hi = x[t];
	}
	inflexion = lo * (1.0 - gamma) + hi * gamma;
	if (!(inflexion > 0.0)) {
		for (t = 0; t < T; t++)
			out[t] = 0.0;
		return;
	}
	ia = pow(inflexion, alpha);
	for (t = 0; t < T; t++) {
		double xa = x[t] > 0.0 ? pow(x[t], alpha) : 0.0;
		out[t] = xa / (xa + ia);
	}
}
