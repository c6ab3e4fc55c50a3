#ifndef AELP_MMM_MODEL_H
#define AELP_MMM_MODEL_H

#include "mmmdata.h"

/*
 * The media-mix model mmm-fit samples (README "mmm-fit: the model").
 *
 * Scaling (LightweightMMM's advice: divide by the mean, do not centre):
 *   y[t]    = kpi[t] / mean(kpi)
 *   x[t,c]  = spend[t,c] / mean_t(spend[., c])          (live channels only)
 *   z[t,k]  = (control[t,k] - mean) / sd                 (controls with sd > 0)
 *
 * Per channel c:
 *   adstock  a[t,c] = sum_{l=0}^{L-1} w_l x[t-l,c] / sum_l w_l   (x before the window = 0)
 *            geometric: w_l = alpha_c^l;  delayed (Jin et al. 2017): w_l = alpha_c^((l-theta_c)^2)
 *   Hill     h[t,c] = a^S_c / (a^S_c + K_c^S_c)
 *   effect   beta_c = rho_c (1 + K_c^S_c), so rho_c = beta_c h(1) is the channel's
 *            contribution at its mean spend (a = 1), the quantity the data pin down
 *            best; sampling rho instead of beta takes the beta-K ridge out of the
 *            posterior's geometry (Meridian samples ROI for the same reason).
 * Mean and likelihood:
 *   mu[t] = tau + delta*u[t] + sum_j gamma_j f_j(t) + sum_k zeta_k z[t,k] + sum_c beta_c h[t,c]
 *   y[t] ~ Normal(mu[t], sigma)
 *   u[t] = t/(T-1) - 1/2; f_j: sin and cos of 2*pi*h*day/P, day = days since 1970-01-01,
 *   P = 7 (h = 1..3, daily data) and P = 365.25 (h = 1..2 from two years of data,
 *   h = 1 from one year, none below).
 * Priors (defaults; numbers overridable by --priors FILE, per channel too):
 *   alpha_c ~ Beta(2, 2)            theta_c ~ Uniform(0, L-1)
 *   K_c ~ LogNormal(0, 1)           S_c ~ Gamma(2, 1)
 *   rho_c ~ HalfNormal(m * spend share of c), m = MMM_MEDIA_SHARE: a priori the
 *   channels' effects at mean spend total about 0.8 m of the KPI, split as the
 *   spend is, which gives every channel the same prior on its ROI (as Meridian's
 *   one ROI prior for all channels; LightweightMMM scales its prior by cost)
 *   tau ~ Normal(0, 2)   delta ~ Normal(0, 1)   gamma_j ~ Normal(0, 1)   zeta_k ~ Normal(0, 1)
 *   sigma ~ HalfNormal(1)
 * Unconstrained coordinates, in this order: per live channel
 *   logit(alpha), log K, log S, log rho [, logit(theta/(L-1)) when delayed],
 * then tau_c, delta, gamma_1..F, zeta_1..K, log sigma, where tau_c = tau +
 * sum_c beta_c mean_t(h[t,c]) is the mean level: spend that barely varies makes
 * the intercept and the media's average effect nearly collinear, and sampling
 * the level instead takes that ridge out (the map has Jacobian 1, so the
 * posterior is the same; mmm_constrain() reports tau).  The log density
 * includes the Jacobians of the transforms (Stan's target on the same model).
 */

enum mmm_adstock { MMM_GEOMETRIC, MMM_DELAYED };

#define MMM_MEDIA_SHARE 0.5

struct mmm_prior {
	double alpha_a, alpha_b;      /* Beta */
	double k_mu, k_sd;            /* LogNormal */
	double s_shape, s_rate;       /* Gamma */
	double rho_sd;                /* HalfNormal */
};

struct mmm_priors {
	struct mmm_prior *chan;       /* per live channel */
	double tau_mu, tau_sd, delta_sd, gamma_sd, zeta_sd, sigma_sd;
};

struct mmm_model {
	int T, C, F, K;               /* periods, live channels, Fourier terms, controls */
	int L;                        /* adstock window */
	int adstock;                  /* enum mmm_adstock */
	int npc;                      /* coordinates per channel: 4 or 5 */
	int dim;
	int grain;
	double *x;                    /* T x C scaled media, column-major x[c*T + t] */
	double *y;                    /* T scaled KPI */
	double *u;                    /* T trend */
	double *f;                    /* F x T Fourier features */
	double *z;                    /* K x T standardised controls */
	double y_mean;
	double *x_mean;               /* C: mean spend per period, account currency */
	int *chan_index;              /* C: index of the live channel in the input */
	int *ctrl_index;              /* K: index of the control in the input */
	int yearly, weekly;           /* harmonics of each */
	struct mmm_priors prior;
	char **name;                  /* dim parameter names (constrained), e.g. "beta[meta]" */
};

/*
 * Build the model from the data (dead channels and constant controls left
 * out).  L <= 0 means the default (28 days or 13 weeks).  Returns 0, or 65
 * with err when the data cannot be fitted (no live channel, KPI mean <= 0,
 * fewer periods than parameters + 10).
 */
int mmm_model_init(struct mmm_model *m, const struct mmm_data *d, int adstock, int L,
		   char *err, size_t errsz);
void mmm_model_free(struct mmm_model *m);

/* Per-chain work buffers for the log density. */
struct mmm_work;
struct mmm_work *mmm_work_new(const struct mmm_model *m);
void mmm_work_free(struct mmm_work *w);

/*
 * The log density (up to a constant) at the unconstrained point th, with
 * its gradient in grad (analytic).  ctx is a struct mmm_ctx.
 */
struct mmm_ctx {
	const struct mmm_model *m;
	struct mmm_work *w;
};
double mmm_logp(const double *th, double *grad, void *ctx);

/* The mean mu[T] (scaled units) of the last mmm_logp() call on w. */
const double *mmm_work_mu(const struct mmm_work *w);

/* Constrained values of th into out[dim] (alpha, K, S, rho, theta, tau, ..., sigma). */
void mmm_constrain(const struct mmm_model *m, const double *th, double *out);

/* A sensible centre for the initial points: the priors' medians, unconstrained. */
void mmm_init_point(const struct mmm_model *m, double *th);

/*
 * Channel c's per-period contribution series beta*h[t] in scaled units, for
 * the constrained parameters p (from mmm_constrain), into out[T].
 */
void mmm_contribution(const struct mmm_model *m, const double *p, int c, double *out);

/*
 * Steady-state response of channel c to a constant spend per period s
 * (account currency), in KPI units per period, and its derivative ds.
 */
double mmm_response(const struct mmm_model *m, const double *p, int c, double s, double *ds);

#endif
