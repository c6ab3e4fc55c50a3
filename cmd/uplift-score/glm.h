#ifndef UPLIFT_GLM_H
#define UPLIFT_GLM_H

#include <stddef.h>

/*
 * The base models of uplift-score's learners: linear regression (OLS) and
 * logistic regression by iteratively reweighted least squares (Newton), each
 * with an intercept column supplied by the caller (column 0 of the design),
 * an optional ridge penalty and the coefficients' covariance.
 *
 * The design is row-major: X[i*p + j] is unit i's column j.  A subset of the
 * rows is named by idx (m row numbers); idx NULL means rows 0..m-1.  Optional
 * weights w (by row number, NULL = 1) multiply each unit's contribution, as
 * a bootstrap's repeat counts do.
 *
 * Objective (binary): the sum log-likelihood
 *     sum_i w_i [y_i eta_i - log(1 + exp(eta_i))]  -  l2/2 sum_{j>=1} beta_j^2
 * (the intercept is not penalised, as scikit-learn's LogisticRegression),
 * whose optimum with l2 = 0 is the one LogisticRegression(penalty=None)
 * reaches.  Continuous: sum_i w_i (y_i - x_i'beta)^2 + l2 sum_{j>=1} beta_j^2.
 *
 * Covariances:
 *   logistic  the inverse of the penalised information X'WX + l2 I'
 *             (W = p(1-p)) at the optimum
 *   OLS       White's heteroscedasticity-consistent HC1 sandwich,
 *             n/(n-p) (X'X + l2 I')^{-1} X' diag(e^2) X (X'X + l2 I')^{-1}
 *             (spend-like outcomes are far from homoscedastic)
 */

struct glm_fit {
	size_t p;
	double *beta;          /* p coefficients (caller frees via glm_free) */
	double *cov;           /* p x p row-major covariance */
	int iterations;        /* Newton steps (logistic), 1 (OLS) */
	int converged;         /* 1, or 0 when the iteration limit was hit (separation) */
	double loglik;         /* logistic: the unpenalised sum log-likelihood at the optimum
	                          (NaN without with_cov); OLS: -RSS/2 */
};

enum glm_family { GLM_GAUSSIAN, GLM_LOGISTIC };

/*
 * Fit.  start (p values or NULL = zeros) seeds the Newton iteration.
 * Returns 0, or -1 with a reason in err when the penalised information is
 * not positive definite (collinear columns, an empty subset) or the data
 * have fewer rows than columns.  with_cov 0 skips the covariance.
 */
int glm_fit(enum glm_family fam, const double *X, size_t p, const double *y,
	    const size_t *idx, size_t m, const double *w, double l2, const double *start,
	    int with_cov, struct glm_fit *out, char *err, size_t errsz);

void glm_free(struct glm_fit *f);

/*
 * A design's nonzeros by row (CSR): row i's at start[i]..start[i+1], columns
 * ascending.  The designs here are mostly one-hot (the intercept, a few
 * numeric columns, one level per categorical covariate), so a pass over the
 * rows costs their nonzeros (x'beta, X'Wz) and their pairs (the upper
 * triangle of X'WX) rather than p and p^2 a row; zeros add nothing, so the
 * sums are the dense ones.  Built once, the rows serve every fit.
 */
struct glm_rows {
	size_t n, p;
	size_t *start;       /* n + 1 offsets into col and val */
	unsigned *col;
	double *val;
};

/* Rows idx[0..m) of the dense design X (idx NULL: rows 0..m-1) as rows 0..m-1 of R. */
void glm_rows_init(struct glm_rows *R, const double *X, size_t p, const size_t *idx, size_t m);
void glm_rows_free(struct glm_rows *R);

/* glm_fit on rows R (y and w by R's row number, idx naming R's rows). */
int glm_fit_rows(enum glm_family fam, const struct glm_rows *R, const double *y,
		 const size_t *idx, size_t m, const double *w, double l2, const double *start,
		 int with_cov, struct glm_fit *out, char *err, size_t errsz);

/* x'beta, and the mean function: eta itself (gaussian) or 1/(1+exp(-eta)). */
double glm_eta(const double *x, const double *beta, size_t p);
double glm_mean(enum glm_family fam, double eta);
/* d mean / d eta: 1 or p(1-p). */
double glm_dmean(enum glm_family fam, double eta);

#endif
