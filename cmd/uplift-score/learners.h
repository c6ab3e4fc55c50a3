#ifndef UPLIFT_LEARNERS_H
#define UPLIFT_LEARNERS_H

#include <stddef.h>
#include <stdint.h>

#include "glm.h"

/*
 * uplift-score's estimators of the effect of one treatment arm against
 * control on one outcome.  Units are row numbers of a design X (n x p,
 * row-major, column 0 the intercept); t[i] is 1 for a treated unit, 0 for
 * control; a set of units is idx[0..m).  Every interval is a 90% one.
 */

#define Z90 1.6448536269514722   /* the standard normal's 95th percentile */

struct up_est {
	double uplift, low, high;   /* NaN when undefined (an empty arm) */
	long long nt, nc;           /* treated and control units used */
};

/* Difference in means, normal interval with Welch's standard error
 * sqrt(s_T^2/n_T + s_C^2/n_C) (sample variances; NaN when an arm has < 2). */
void dim_normal(const double *y, const unsigned char *t, const size_t *idx, size_t m,
		struct up_est *e);
/* The same point, percentile interval of B bootstrap replicates resampled
 * within arms (a replicate keeps n_T and n_C). */
void dim_bootstrap(const double *y, const unsigned char *t, const size_t *idx, size_t m,
		   int B, uint64_t seed, struct up_est *e);

/* The linear-interpolated q-quantile of v[0..k) (sorted in place). */
double quantile(double *v, size_t k, double q);

/*
 * T-learner: mu_C fit on the control units of idx, mu_T on the treated
 * units (logistic for binary outcomes, linear otherwise), with weights w
 * (by unit, NULL = 1), ridge l2, warm start from `start` (NULL: zeros) and
 * covariances when with_cov.  tau(x) = mu_T(x) - mu_C(x).
 */
struct tl_model {
	enum glm_family fam;
	struct glm_fit c, t;
};
int tl_fit(const double *X, size_t p, const double *y, enum glm_family fam,
	   const unsigned char *t, const size_t *idx, size_t m, const double *w, double l2,
	   const struct tl_model *start, int with_cov, struct tl_model *out, char *err, size_t errsz);
/*
 * tl_fit on the design's rows R (glm_rows_init of X), with mu_C kept for
 * the next arm: every arm shares the control units, so the control model of
 * an outcome is one fit.  ctl (zeroed before the first arm, glm_free'd after
 * the last) is fitted on the first call and copied on the next ones, which
 * must give the same control units, w, l2, start and with_cov; ctl NULL
 * fits it each time.
 */
int tl_fit_ctl(const struct glm_rows *R, const double *y, enum glm_family fam,
	       const unsigned char *t, const size_t *idx, size_t m, const double *w, double l2,
	       const struct tl_model *start, int with_cov, struct glm_fit *ctl,
	       struct tl_model *out, char *err, size_t errsz);
double tl_predict(const struct tl_model *f, const double *x);
void tl_free(struct tl_model *f);

/*
 * The T-learner's mean effect over units idx[0..m) with its delta-method
 * interval: for tau_bar = mean_i [mu_T(x_i) - mu_C(x_i)],
 *   Var = a_T' V_T a_T + a_C' V_C a_C + s_tau^2 / m,
 * a_A = mean_i mu_A'(eta_i) x_i (the gradient of tau_bar in beta_A), V_A
 * the base model's coefficient covariance (the two arms' fits are
 * independent), and s_tau^2/m the sampling variance of a mean over the
 * units' covariates.  nt, nc: treated and control units of idx.
 */
void tl_segment(const struct tl_model *f, const double *X, const unsigned char *t,
		const size_t *idx, size_t m, struct up_est *e);

/*
 * X-learner (Kunzel et al. 2019) on a fitted T-learner: imputed effects
 * D_T = Y_T - mu_C(X_T) on the treated, D_C = mu_T(X_C) - Y_C on control,
 * linear regressions tau_T and tau_C of them on X, and
 * tau(x) = g tau_C(x) + (1 - g) tau_T(x), g the propensity.
 */
struct xl_model {
	struct tl_model base;
	struct glm_fit tc, tt;      /* tau_C (fit on control), tau_T (on treated) */
};
int xl_fit(const double *X, size_t p, const double *y, enum glm_family fam,
	   const unsigned char *t, const size_t *idx, size_t m, const double *w, double l2,
	   const struct xl_model *start, struct xl_model *out, char *err, size_t errsz);
double xl_predict(const struct xl_model *f, const double *x, double g);
void xl_free(struct xl_model *f);

/*
 * Inverse propensity weighting (Hajek) over units idx with propensities
 * e[i] (by unit): mu_A = sum w y / sum w with w = t/e or (1-t)/(1-e);
 * interval from the influence function
 *   phi_i = t_i (y_i - mu_T) / (e_i Wbar_T) - (1 - t_i)(y_i - mu_C) / ((1 - e_i) Wbar_C),
 *   Var = sum phi_i^2 / m^2   (Wbar_A: the mean weight of arm A over the m units).
 */
void ipw_estimate(const double *y, const unsigned char *t, const double *e, const size_t *idx,
		  size_t m, struct up_est *est);

/*
 * Augmented IPW (doubly robust) with outcome predictions m1[i], m0[i]:
 *   psi_i = m1 - m0 + t (y - m1) / e - (1 - t)(y - m0) / (1 - e),
 * estimate mean psi, Var = sample variance of psi / m.
 */
void dr_estimate(const double *y, const unsigned char *t, const double *e, const double *m1,
		 const double *m0, const size_t *idx, size_t m, struct up_est *est);

/* A uniform double in [0, 1) and an integer in [0, k) from xoshiro state s. */
double up_unif(uint64_t s[4]);
size_t up_below(uint64_t s[4], size_t k);

#endif
