#ifndef LTV_MODEL_H
#define LTV_MODEL_H

/*
 * ltv-fit's models: BG/NBD (Fader, Hardie & Lee 2005) for the purchase
 * process and Gamma-Gamma (Fader, Hardie & Lee 2005, Hardie note 025) for
 * the value of a purchase.  Maximum likelihood on log-parameters with
 * analytic gradients (a damped quasi-Newton method; GSL's vector_bfgs2 and
 * nmsimplex2 when it does not converge), standard errors from the inverse
 * Hessian of -LL (central differences of the analytic gradient), and the
 * conditional expectations the scores need.
 *
 * Parameters are natural-scale arrays in the orders below; times (t_x, T,
 * alpha) are in the caller's period.
 */
#include <stddef.h>

enum { BG_R, BG_ALPHA, BG_A, BG_B, BG_NP };
enum { GG_P, GG_Q, GG_GAMMA, GG_NP };
#define FIT_MAXP 4

/* Customers for the BG/NBD likelihood: identical (x, t_x, T) collapsed into
 * one row with a weight, rows sorted by x (runs of equal x share the gamma
 * function terms). */
struct bg_data {
	size_t n;               /* distinct rows */
	int *x;
	double *tx, *T, *w;
	double nobs;            /* customers (sum of w) */
	double nrepeat;         /* customers with x > 0 */
	/* the distinct values of t_x and T, and each row's index into them:
	 * log(alpha + t) once per time, not per row */
	size_t nt;
	double *tv;
	unsigned *itx, *iT;
};

/* Build d from n customers (arrays borrowed, copied).  bg_data_free releases. */
void bg_data_build(struct bg_data *d, const int *x, const double *tx, const double *T, size_t n);
void bg_data_free(struct bg_data *d);

/* Sum over customers of the log-likelihood at th; when grad is not NULL it
 * gets the gradient with respect to log th. */
double bg_ll(const double th[BG_NP], const struct bg_data *d, double *grad);

/* Repeat customers for the Gamma-Gamma likelihood (x > 0, zbar > 0), sorted by x. */
struct gg_data {
	size_t n;
	int *x;
	double *z, *lz;         /* zbar and its log */
};

/* Build from n customers, keeping those with x > 0 and zbar > 0. */
void gg_data_build(struct gg_data *d, const int *x, const double *zbar, size_t n);
void gg_data_free(struct gg_data *d);
/* The full log density of the zbar's (x^{px} zbar^{px-1} terms included). */
double gg_ll(const double th[GG_NP], const struct gg_data *d, double *grad);

struct fit {
	int np;
	double th[FIT_MAXP];            /* estimates */
	double se[FIT_MAXP];            /* th * se(log th); NaN when the Hessian is not PD */
	double cov[FIT_MAXP * FIT_MAXP];/* covariance of log th (row-major) */
	int cov_ok;                     /* the Hessian was positive definite */
	double ll;                      /* sum log-likelihood at th */
	int iterations, converged;
};

/*
 * Maximum-likelihood fits.  Return 0, or 65 with err saying why the data
 * cannot identify the model (fewer than 2 customers, no repeat customer),
 * or 70 when the minimiser produced no finite optimum.
 */
int bg_fit(const struct bg_data *d, struct fit *out, char *err, size_t errsz);
int gg_fit(const struct gg_data *d, struct fit *out, char *err, size_t errsz);

/*
 * 2F1(a, b; c; z) for 0 <= z < 1 by its power series, summed until the
 * terms are below 1e-16 of the sum while decreasing; GSL's gsl_sf_hyperg_2F1
 * when the series has not converged after 200000 terms.  NaN on failure.
 */
double hyp2f1(double a, double b, double c, double z);

/*
 * G(x, T, t) = ((a+T)/(a+T+t))^{r+x} 2F1(r+x, b+x; a+b+x-1; z), z = t/(alpha+T+t),
 * evaluated through Euler's transform as (1-z)^{a-1} 2F1(a+b-1-r, a-1;
 * a+b+x-1; z), whose parameters stay small for any x.  G = 1 at t = 0.
 */
double bg_G(const double th[BG_NP], int x, double T, double t);
/* 1 when bg_G sums 2F1(r+x, b+x; c; z) rather than its Euler form (large a). */
int bg_G_direct(const double th[BG_NP], int x);
/* The denominator of eq. 10 and 1/P(alive):
 * 1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^{r+x}. */
double bg_D(const double th[BG_NP], int x, double tx, double T);
/* P(alive | x, t_x, T) (Hardie note 021). */
double bg_p_alive(const double th[BG_NP], int x, double tx, double T);
/* E[Y(t) | x, t_x, T] (eq. 10). */
double bg_cond_exp(const double th[BG_NP], int x, double tx, double T, double t);
/* E[X(t)] for a new customer (eq. 9). */
double bg_uncond_exp(const double th[BG_NP], double t);

/* Gamma-Gamma: population mean p gamma/(q-1) (NaN when q <= 1) and the
 * conditional mean of note 025 eq. 5 (the population mean when x = 0). */
double gg_pop_mean(const double th[GG_NP]);
double gg_cond_mean(const double th[GG_NP], int x, double zbar);

#endif
