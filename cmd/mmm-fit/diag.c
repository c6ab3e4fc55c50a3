/*
 * Convergence diagnostics after Vehtari et al. (2021), following the
 * formulas of the R package posterior (rhat, ess_bulk, ess_tail, ess_basic).
 * See diag.h.
 *
 * NAN results: R-hat and every ESS return NAN when the draws hold a
 * non-finite value, are constant (max - min < DBL_EPSILON, posterior's
 * is_constant), or are too few (fewer than 2 draws per split half for R-hat,
 * fewer than 3 for ESS).  Callers report such a scalar as "not available".
 * An indicator that is constant (tail ESS of a quantile every draw ties
 * with) makes the tail ESS NAN as well, as posterior returns NA.
 *
 * The autocovariances use direct sums (biased, divided by n as Geyer
 * recommends) computed lag by lag only as far as Geyer's initial positive
 * sequence needs: the cost is O(chains * n * lags).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "die.h"
#include "diag.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void diag_sort(double *v, int n)
{
	if (n > 1)
		qsort(v, (size_t)n, sizeof *v, cmp_double);
}

double diag_quantile_sorted(const double *sorted, int n, double p)
{
	double h, frac;
	int lo;
	if (n <= 0 || isnan(p))
		return NAN;
	if (p <= 0)
		return sorted[0];
	if (p >= 1)
		return sorted[n - 1];
	h = (n - 1) * p;
	lo = (int)floor(h);
	if (lo >= n - 1)
		return sorted[n - 1];
	frac = h - lo;
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

/* Mean; sample sd (n - 1).  n == 0: both NAN; n == 1: sd NAN. */
void diag_mean_sd(const double *v, int n, double *mean, double *sd)
{
	double m = 0, ss = 0;
	if (n <= 0) {
		if (mean)
			*mean = NAN;
		if (sd)
			*sd = NAN;
		return;
	}
	for (int i = 0; i < n; i++)
		m += v[i];
	m /= n;
	for (int i = 0; i < n; i++)
		ss += (v[i] - m) * (v[i] - m);
	if (mean)
		*mean = m;
	if (sd)
		*sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
}

double diag_ebfmi(const double *energy, int n)
{
	double m, num = 0, den = 0;
	if (n < 2)
		return NAN;
	diag_mean_sd(energy, n, &m, NULL);
	for (int i = 1; i < n; i++)
		num += (energy[i] - energy[i - 1]) * (energy[i] - energy[i - 1]);
	for (int i = 0; i < n; i++)
		den += (energy[i] - m) * (energy[i] - m);
	return den > 0 ? num / den : NAN;
}

/* ---- split chains ---- */

/*
 * Split each chain in halves (posterior's split_chains: with odd n the
 * middle draw is dropped).  Returns 2*chains chains of *half draws, new memory.
 */
static double *split_chains(const double *x, int chains, int n, int *half)
{
	int h = n / 2;
	double *y = xmalloc((size_t)(2 * chains) * (size_t)(h > 0 ? h : 1) * sizeof *y);
	for (int c = 0; c < chains; c++) {
		const double *xc = x + (size_t)c * (size_t)n;
		memcpy(y + (size_t)(2 * c) * (size_t)h, xc, (size_t)h * sizeof *y);
		memcpy(y + (size_t)(2 * c + 1) * (size_t)h, xc + (n - h), (size_t)h * sizeof *y);
	}
	*half = h;
	return y;
}

/* posterior's should_return_NA: a non-finite value, or all draws equal. */
static int bad_draws(const double *x, size_t S)
{
	double lo = INFINITY, hi = -INFINITY;
	if (S == 0)
		return 1;
	for (size_t i = 0; i < S; i++) {
		if (!isfinite(x[i]))
			return 1;
		if (x[i] < lo)
			lo = x[i];
		if (x[i] > hi)
			hi = x[i];
	}
	return fabs(hi - lo) < DBL_EPSILON;
}

struct idx {
	double v;
	size_t i;
};

static int cmp_idx(const void *a, const void *b)
{
	const struct idx *x = a, *y = b;
	if (x->v != y->v)
		return (x->v > y->v) - (x->v < y->v);
	return (x->i > y->i) - (x->i < y->i);
}

/* In place: z = Phi^-1((r - 3/8) / (S + 1/4)), r the average-tie ranks. */
static void rank_normalise(double *x, size_t S)
{
	struct idx *t = xmalloc(S * sizeof *t);
	for (size_t i = 0; i < S; i++) {
		t[i].v = x[i];
		t[i].i = i;
	}
	qsort(t, S, sizeof *t, cmp_idx);
	for (size_t a = 0; a < S;) {
		size_t b = a + 1;
		double r, z;
		while (b < S && t[b].v == t[a].v)
			b++;
		r = 0.5 * ((double)(a + 1) + (double)b);  /* average of ranks a+1..b */
		z = gsl_cdf_ugaussian_Pinv((r - 0.375) / ((double)S + 0.25));
		for (size_t k = a; k < b; k++)
			x[t[k].i] = z;
		a = b;
	}
	free(t);
}

/* posterior's rhat_basic on chains that are already split. */
static double rhat_basic(const double *x, int m, int n)
{
	double mean_of_means = 0, B = 0, W = 0;
	double *means;
	if (n < 2 || m < 1)
		return NAN;
	means = xmalloc((size_t)m * sizeof *means);
	for (int c = 0; c < m; c++) {
		double mu, sd;
		diag_mean_sd(x + (size_t)c * (size_t)n, n, &mu, &sd);
		means[c] = mu;
		mean_of_means += mu;
		W += sd * sd;
	}
	mean_of_means /= m;
	W /= m;
	if (m > 1) {
		for (int c = 0; c < m; c++)
			B += (means[c] - mean_of_means) * (means[c] - mean_of_means);
		B = n * B / (m - 1);
	}
	free(means);
	if (!(W > 0))
		return NAN;
	return sqrt(((n - 1.0) / n * W + B / n) / W);
}

/*
 * The split chains of x when there are at least minn draws per chain and all
 * are finite and not all equal, with *S their count and *h each half's
 * length; else NULL (the caller returns NAN).
 */
static double *split_checked(const double *x, int chains, int n, int minn, size_t *S, int *h)
{
	double *y;

	if (chains < 1 || n < minn)
		return NULL;
	y = split_chains(x, chains, n, h);
	*S = (size_t)(2 * chains) * (size_t)*h;
	if (bad_draws(y, *S)) {
		free(y);
		return NULL;
	}
	return y;
}

double diag_rhat(const double *x, int chains, int n)
{
	int h;
	size_t S;
	double *y, *fold, med, rb, rt;
	if (!(y = split_checked(x, chains, n, 4, &S, &h)))
		return NAN;
	fold = xmalloc(S * sizeof *fold);
	memcpy(fold, y, S * sizeof *fold);
	diag_sort(fold, (int)S);
	med = diag_quantile_sorted(fold, (int)S, 0.5);
	for (size_t i = 0; i < S; i++)
		fold[i] = fabs(y[i] - med);
	rank_normalise(y, S);
	rb = rhat_basic(y, 2 * chains, h);
	rank_normalise(fold, S);
	rt = rhat_basic(fold, 2 * chains, h);
	free(y);
	free(fold);
	if (isnan(rb) || isnan(rt))
		return NAN;
	return rb > rt ? rb : rt;
}

/* Biased autocovariance at lag t of chain xc (centred by mean). */
static double acov_lag(const double *xc, int n, double mean, int t)
{
	double s = 0;
	for (int i = 0; i + t < n; i++)
		s += (xc[i] - mean) * (xc[i + t] - mean);
	return s / n;
}

/* Mean over the m chains of the lag-t autocovariances. */
static double mean_acov(const double *x, int m, int n, const double *means, int t)
{
	double a = 0;
	for (int c = 0; c < m; c++)
		a += acov_lag(x + (size_t)c * (size_t)n, n, means[c], t);
	return a / m;
}

/* posterior's .ess on m chains of n draws (already split). */
static double ess_chains(const double *x, int m, int n)
{
	double *means, *rho, mean_var = 0, var_plus, tau, S;
	int t, max_t;
	double rho_even, rho_odd;

	if (n < 3 || m < 1 || bad_draws(x, (size_t)m * (size_t)n))
		return NAN;
	means = xmalloc((size_t)m * sizeof *means);
	rho = xcalloc((size_t)n + 2, sizeof *rho);
	for (int c = 0; c < m; c++) {
		diag_mean_sd(x + (size_t)c * (size_t)n, n, &means[c], NULL);
		mean_var += acov_lag(x + (size_t)c * (size_t)n, n, means[c], 0);
	}
	mean_var = mean_var / m * n / (n - 1.0);
	var_plus = mean_var * (n - 1.0) / n;
	if (m > 1) {
		double mm, sdm;
		diag_mean_sd(means, m, &mm, &sdm);
		var_plus += sdm * sdm;
	}

#define MEAN_ACOV(lag) mean_acov(x, m, n, means, (lag))
	t = 0;
	rho_even = 1;
	rho[0] = rho_even;
	rho_odd = 1 - (mean_var - MEAN_ACOV(1)) / var_plus;
	rho[1] = rho_odd;
	while (t < n - 5 && !isnan(rho_even + rho_odd) && rho_even + rho_odd > 0) {
		t += 2;
		rho_even = 1 - (mean_var - MEAN_ACOV(t)) / var_plus;
		rho_odd = 1 - (mean_var - MEAN_ACOV(t + 1)) / var_plus;
		if (rho_even + rho_odd >= 0) {
			rho[t] = rho_even;
			rho[t + 1] = rho_odd;
		}
	}
#undef MEAN_ACOV
	max_t = t;
	if (rho_even > 0)
		rho[max_t] = rho_even;
	/* Geyer's initial monotone sequence */
	t = 0;
	while (t <= max_t - 4) {
		t += 2;
		if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
			rho[t] = (rho[t - 2] + rho[t - 1]) / 2;
			rho[t + 1] = rho[t];
		}
	}
	S = (double)m * n;
	tau = -1;
	for (int k = 0; k < max_t; k++)
		tau += 2 * rho[k];
	tau += rho[max_t];
	/* the antithetic improvement, capped as posterior does: ESS <= S log10 S */
	if (tau < 1 / log10(S))
		tau = 1 / log10(S);
	free(means);
	free(rho);
	return S / tau;
}

double diag_ess(const double *x, int chains, int n)
{
	int h;
	double *y, e;
	if (chains < 1 || n < 6)
		return NAN;
	y = split_chains(x, chains, n, &h);
	e = ess_chains(y, 2 * chains, h);
	free(y);
	return e;
}

double diag_ess_bulk(const double *x, int chains, int n)
{
	int h;
	size_t S;
	double *y, e;
	if (!(y = split_checked(x, chains, n, 6, &S, &h)))
		return NAN;
	rank_normalise(y, S);
	e = ess_chains(y, 2 * chains, h);
	free(y);
	return e;
}

double diag_ess_tail(const double *x, int chains, int n)
{
	int h;
	size_t S;
	double *y, *s, *ind, q[2], e[2];
	const double p[2] = { 0.05, 0.95 };
	if (!(y = split_checked(x, chains, n, 6, &S, &h)))
		return NAN;
	s = xmalloc(S * sizeof *s);
	ind = xmalloc(S * sizeof *ind);
	memcpy(s, y, S * sizeof *s);
	diag_sort(s, (int)S);
	for (int k = 0; k < 2; k++) {
		q[k] = diag_quantile_sorted(s, (int)S, p[k]);
		for (size_t i = 0; i < S; i++)
			ind[i] = y[i] <= q[k] ? 1.0 : 0.0;
		e[k] = ess_chains(ind, 2 * chains, h);
	}
	free(y);
	free(s);
	free(ind);
	if (isnan(e[0]) || isnan(e[1]))
		return NAN;
	return e[0] < e[1] ? e[0] : e[1];
}
