// The media-mix model of cmd/mmm-fit/model.h, written in Stan for the
// benchmark tests/bench/mmm.sh (the peer of mmm-fit's own NUTS sampler).
//
// The data are what `mmm-fit --stan-data FILE` writes, already scaled as
// model.h says (y = kpi / mean, x = spend / mean per channel, z standardised,
// u the trend, f the Fourier features); tests/bench/mmm_stan.R reads the JSON.
//
// Same priors and the same parameterisation: the bounds below make Stan use
// logit(alpha), log K, log S, log rho, logit(theta / (L - 1)), log sigma and
// add their Jacobians, as model.h's log density does, so the two targets agree
// up to a constant.  Like model.h, the sampled intercept is the mean level
// tau_c = tau + sum_c beta_c mean_t(h[t,c]) (a shift: Jacobian 1); tau itself,
// which the prior is on, is computed, and reported in generated quantities.
//
// Adstock over an L-period window, normalised by the sum of the weights
// (x before the first period is 0):
//   a[t] = sum_{l=0}^{L-1} w_l x[t-l] / sum_l w_l,
//   geometric w_l = alpha^l, delayed w_l = alpha^((l - theta)^2).
// Written as one product per channel, a = X_lag * w / sum(w), with the lag
// matrix X_lag[t, l+1] = x[t-l] built once in transformed data: one
// matrix-vector product and L weights on the autodiff tape instead of T
// scalar steps (faster in Stan than the recursion the C code uses, and
// exact for both adstock forms).
// Effect: beta = rho (1 + K^S), so rho = beta h(1) is the contribution at the
// mean spend (model.h samples rho, not beta, to take out the beta-K ridge).
// Hill: a^S / (a^S + K^S) = inv_logit(S (log a - log K)), vectorised, on the
// periods where a > 0 (a window with no spend gives a = 0 and Hill 0; log(0)
// would make the gradient NaN).
//
// Stan 2.21 syntax (rstan 2.21 from Debian): arrays are declared `type name[N]`.
functions {
  // Channel c's Hill series h[t] = a^S / (a^S + K^S), 0 where the window holds
  // no spend; xl holds the lag rows of those n periods pos[1:n] (all T when n = T).
  vector hill(matrix xl, int[] pos, int n, int T, vector lag, int delayed,
              real alpha, real theta, real lK, real S) {
    vector[rows(lag)] w;
    if (delayed)
      w = exp(log(alpha) * square(lag - theta));
    else
      w = exp(log(alpha) * lag);
    if (n == T)
      return inv_logit(S * (log(xl * (w / sum(w))) - lK));
    {
      vector[T] h = rep_vector(0, T);
      if (n > 0)
        h[pos[1:n]] = inv_logit(S * (log(xl[1:n] * (w / sum(w))) - lK));
      return h;
    }
  }
}
data {
  int<lower=1> T;
  int<lower=1> C;
  int<lower=0> F;
  int<lower=0> K;
  int<lower=1> L;
  int<lower=0, upper=1> delayed;
  vector[T] x[C];
  vector[T] y;
  vector[T] u;
  matrix[T, F] f;        // the R script passes the JSON's F x T arrays transposed
  matrix[T, K] z;
  vector<lower=0>[C] alpha_a;
  vector<lower=0>[C] alpha_b;
  vector[C] k_mu;
  vector<lower=0>[C] k_sd;
  vector<lower=0>[C] s_shape;
  vector<lower=0>[C] s_rate;
  vector<lower=0>[C] rho_sd;
  real tau_mu;
  real<lower=0> tau_sd;
  real<lower=0> delta_sd;
  real<lower=0> gamma_sd;
  real<lower=0> zeta_sd;
  real<lower=0> sigma_sd;
}
transformed data {
  matrix[T, L] xlag[C];
  vector[L] lag;
  int npos[C];           // periods whose window holds some spend (a > 0) ...
  int pos[C, T];         // ... and which they are (a = 0 elsewhere, so Hill = 0)
  for (l in 1:L) lag[l] = l - 1;
  for (c in 1:C) {
    xlag[c] = rep_matrix(0, T, L);
    for (l in 1:L)
      for (t in l:T)
        xlag[c][t, l] = x[c][t - l + 1];
    npos[c] = 0;
    for (t in 1:T) {
      pos[c, t] = 1;
      if (max(xlag[c][t]) > 0) {
        npos[c] = npos[c] + 1;
        pos[c, npos[c]] = t;
      }
    }
    if (npos[c] < T)   // keep only the rows with some spend: log(a) is finite there
      xlag[c][1:npos[c]] = xlag[c][pos[c, 1:npos[c]]];
  }
}
parameters {
  vector<lower=0, upper=1>[C] alpha;
  vector<lower=0>[C] Khalf;     // K of model.h (K is the number of controls here)
  vector<lower=0>[C] S;
  vector<lower=0>[C] rho;
  vector<lower=0, upper=L - 1>[delayed ? C : 0] theta;
  real tau_c;            // the mean level (model.h's coordinate), not the intercept
  real delta;
  vector[F] gamma;
  vector[K] zeta;
  real<lower=0> sigma;
}
model {
  vector[T] mu = tau_c + delta * u;
  real bh = 0;           // sum_c beta_c mean_t(h[t,c]): tau = tau_c - bh
  if (F > 0) mu = mu + f * gamma;
  if (K > 0) mu = mu + z * zeta;
  for (c in 1:C) {
    real lK = log(Khalf[c]);
    real b = rho[c] * (1 + exp(S[c] * lK));     // beta_c
    vector[T] h = hill(xlag[c], pos[c], npos[c], T, lag, delayed, alpha[c],
                       delayed ? theta[c] : 0, lK, S[c]);
    mu = mu + b * h;
    bh = bh + b * mean(h);
  }

  alpha ~ beta(alpha_a, alpha_b);
  Khalf ~ lognormal(k_mu, k_sd);
  S ~ gamma(s_shape, s_rate);
  rho ~ normal(0, rho_sd);                  // half-normal: rho > 0
  // theta ~ uniform(0, L - 1): the bounds' implicit flat prior
  target += normal_lpdf(tau_c - bh | tau_mu, tau_sd);   // the prior on tau
  delta ~ normal(0, delta_sd);
  gamma ~ normal(0, gamma_sd);
  zeta ~ normal(0, zeta_sd);
  sigma ~ normal(0, sigma_sd);              // half-normal: sigma > 0

  // mu - bh = tau + delta u + ... + sum_c beta_c h_c
  y ~ normal(mu - bh, sigma);
}
generated quantities {
  real tau;              // the intercept, as mmm-fit reports it
  {
    real bh = 0;
    for (c in 1:C) {
      real lK = log(Khalf[c]);
      bh = bh + rho[c] * (1 + exp(S[c] * lK))
                * mean(hill(xlag[c], pos[c], npos[c], T, lag, delayed, alpha[c],
                            delayed ? theta[c] : 0, lK, S[c]));
    }
    tau = tau_c - bh;
  }
}
