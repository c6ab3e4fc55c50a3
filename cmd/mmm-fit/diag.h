#ifndef AELP_DIAG_H
#define AELP_DIAG_H

#include <stddef.h>

/*
 * MCMC convergence diagnostics as in Vehtari, Gelman, Simpson, Carpenter &
 * Bürkner (2021), "Rank-normalization, folding, and localization": the
 * numbers ArviZ and Stan's posterior package report.
 *
 * x holds one scalar's draws: chains x n, row-major (x[c*n + i]).
 */

/* max(split R-hat of rank-normalised draws, of rank-normalised folded draws). */
double diag_rhat(const double *x, int chains, int n);

/* Bulk ESS: ESS of the rank-normalised split chains. */
double diag_ess_bulk(const double *x, int chains, int n);

/* Tail ESS: min of the ESS of the 5% and 95% quantile indicators. */
double diag_ess_tail(const double *x, int chains, int n);

/* Plain ESS (no rank normalisation) of split chains, Geyer's initial monotone sequence. */
double diag_ess(const double *x, int chains, int n);

/* E-BFMI of one chain's energies: sum (E_i - E_{i-1})^2 / sum (E_i - mean)^2. */
double diag_ebfmi(const double *energy, int n);

/* Quantile with linear interpolation (type 7) of v[n]; v is sorted in place. */
double diag_quantile_sorted(const double *sorted, int n, double p);
void diag_sort(double *v, int n);

/* Mean and sample standard deviation of v[n]. */
void diag_mean_sd(const double *v, int n, double *mean, double *sd);

#endif
