/*
 * The No-U-Turn Sampler as Stan implements it (base_nuts.hpp): multinomial
 * sampling within the trajectory, biased progressive sampling across the
 * doublings, the generalised U-turn criterion with the extra checks across
 * merged subtrees, and Stan's windowed warm-up (dual averaging of the step
 * size, a diagonal or dense metric from Welford estimates in doubling
 * windows).  See nuts.h.
 *
 * Differences from Stan, none of which changes the distribution of the draws:
 * the log density and gradient at the start of a transition are reused from
 * the previous draw (Stan evaluates them again); the step-size jitter is not
 * offered; with warmup == 0 the step size found by the heuristic is kept
 * (Stan would complete an empty dual averaging and use 1).
 *
 * Every buffer is allocated once per chain: the tree builder recurses on
 * preallocated per-depth state and never allocates.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "die.h"
#include "nuts.h"

/* A point in phase space: position, momentum, gradient of log p, log p. */
struct pt {
	double *q, *p, *g;
	double lp;
};

/* Scratch for one level of the tree recursion (depth >= 1). */
struct level {
	double *ps_init_end, *p_init_end, *rho_init;
	double *ps_final_beg, *p_final_beg, *rho_final;
	double *rho_sub, *rho_ext;
	struct pt zpf;  /* proposal of the final subtree */
};

struct sampler {
	nuts_logp_fn f;
	void *ctx;
	gsl_rng *r;
	int d, dense, max_depth;
	double eps, max_energy;
	double *minv;   /* d (diagonal) or d*d (dense) */
	double *chol;   /* dense: lower Cholesky factor of minv */
	double *sqrt_m; /* diagonal: 1/sqrt(minv) */
	double *tmp;
	struct pt z, z_init, z_fwd, z_bck, z_sample, z_propose;
	double *ps_ff, *ps_fb, *ps_bf, *ps_bb, *p_ff, *p_fb, *p_bf, *p_bb;
	double *rho, *rho_fwd, *rho_bck, *rho_ext;
	struct level *lev;
	long long ngrad;
	/* per transition */
	int divergent, n_leapfrog;
	double sum_metro, H0;
	/* Welford */
	double *w_mean, *w_m2, *w_delta;
	long w_n;
	double *block;
};

/* ---- small vector helpers ---- */

static double dot(const double *a, const double *b, int n)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static void vcopy(double *dst, const double *src, int n)
{
	memcpy(dst, src, (size_t)n * sizeof *dst);
}

static void vzero(double *v, int n)
{
	memset(v, 0, (size_t)n * sizeof *v);
}

static void vadd(double *dst, const double *a, const double *b, int n)
{
	for (int i = 0; i < n; i++)
		dst[i] = a[i] + b[i];
}

static void vacc(double *dst, const double *a, int n)
{
	for (int i = 0; i < n; i++)
		dst[i] += a[i];
}

static void pt_copy(struct pt *dst, const struct pt *src, int n)
{
	vcopy(dst->q, src->q, n);
	vcopy(dst->p, src->p, n);
	vcopy(dst->g, src->g, n);
	dst->lp = src->lp;
}

static double log_sum_exp(double a, double b)
{
	if (a == -INFINITY)
		return b;
	if (b == -INFINITY)
		return a;
	if (a > b)
		return a + log1p(exp(b - a));
	return b + log1p(exp(a - b));
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the Hamiltonian ---- */

/* out = M^-1 p */
static void mul_minv(const struct sampler *s, const double *p, double *out)
{
	int d = s->d;
	if (!s->dense) {
		for (int i = 0; i < d; i++)
			out[i] = s->minv[i] * p[i];
		return;
	}
	for (int i = 0; i < d; i++)
		out[i] = dot(s->minv + (size_t)i * (size_t)d, p, d);
}

/* p ~ N(0, M).  Dense: p = L^-T u with M^-1 = L L^T, as Stan does. */
static void sample_p(struct sampler *s, double *p)
{
	int d = s->d;
	if (!s->dense) {
		for (int i = 0; i < d; i++)
			p[i] = gsl_ran_gaussian_ziggurat(s->r, 1.0) * s->sqrt_m[i];
		return;
	}
	for (int i = 0; i < d; i++)
		p[i] = gsl_ran_gaussian_ziggurat(s->r, 1.0);
	for (int i = d - 1; i >= 0; i--) {
		double v = p[i];
		for (int k = i + 1; k < d; k++)
			v -= s->chol[(size_t)k * (size_t)d + (size_t)i] * p[k];
		p[i] = v / s->chol[(size_t)i * (size_t)d + (size_t)i];
	}
}

static double eval_logp(struct sampler *s, struct pt *z)
{
	double lp = s->f(z->q, z->g, s->ctx);
	s->ngrad++;
	if (!isfinite(lp))
		lp = -INFINITY;
	z->lp = lp;
	return lp;
}

/* H from log p and p . M^-1 p; non-finite values count as +inf. */
static double hamiltonian(double lp, const double *p, const double *ps, int d)
{
	double h;
	if (!isfinite(lp))
		return INFINITY;
	h = -lp + 0.5 * dot(p, ps, d);
	return isnan(h) ? INFINITY : h;
}

static void leapfrog(struct sampler *s, struct pt *z, double eps)
{
	int d = s->d;
	double he = 0.5 * eps;
	for (int i = 0; i < d; i++)
		z->p[i] += he * z->g[i];
	mul_minv(s, z->p, s->tmp);
	for (int i = 0; i < d; i++)
		z->q[i] += eps * s->tmp[i];
	eval_logp(s, z);
	for (int i = 0; i < d; i++)
		z->p[i] += he * z->g[i];
}

/* ---- the tree ---- */

static int criterion(const double *ps_minus, const double *ps_plus, const double *rho, int d)
{
	return dot(ps_plus, rho, d) > 0 && dot(ps_minus, rho, d) > 0;
}

static int build_tree(struct sampler *s, int depth, struct pt *zprop,
		      double *ps_beg, double *ps_end, double *rho,
		      double *p_beg, double *p_end, double sign, double *lsw)
{
	int d = s->d;
	struct level *L;
	double lsw_init = -INFINITY, lsw_final = -INFINITY, lsw_sub;
	int persist;

	if (depth == 0) {
		double h;
		leapfrog(s, &s->z, sign * s->eps);
		s->n_leapfrog++;
		mul_minv(s, s->z.p, ps_beg);
		h = hamiltonian(s->z.lp, s->z.p, ps_beg, d);
		if (h - s->H0 > s->max_energy)
			s->divergent = 1;
		*lsw = log_sum_exp(*lsw, s->H0 - h);
		if (s->H0 - h > 0)
			s->sum_metro += 1;
		else
			s->sum_metro += exp(s->H0 - h);
		pt_copy(zprop, &s->z, d);
		vcopy(ps_end, ps_beg, d);
		vacc(rho, s->z.p, d);
		vcopy(p_beg, s->z.p, d);
		vcopy(p_end, s->z.p, d);
		return !s->divergent;
	}

	L = &s->lev[depth];
	vzero(L->rho_init, d);
	if (!build_tree(s, depth - 1, zprop, ps_beg, L->ps_init_end, L->rho_init,
			p_beg, L->p_init_end, sign, &lsw_init))
		return 0;
	vzero(L->rho_final, d);
	if (!build_tree(s, depth - 1, &L->zpf, L->ps_final_beg, ps_end, L->rho_final,
			L->p_final_beg, p_end, sign, &lsw_final))
		return 0;

	lsw_sub = log_sum_exp(lsw_init, lsw_final);
	*lsw = log_sum_exp(*lsw, lsw_sub);
	if (lsw_final > lsw_sub || gsl_rng_uniform(s->r) < exp(lsw_final - lsw_sub))
		pt_copy(zprop, &L->zpf, d);

	vadd(L->rho_sub, L->rho_init, L->rho_final, d);
	vacc(rho, L->rho_sub, d);
	persist = criterion(ps_beg, ps_end, L->rho_sub, d);
	vadd(L->rho_ext, L->rho_init, L->p_final_beg, d);
	persist &= criterion(ps_beg, L->ps_final_beg, L->rho_ext, d);
	vadd(L->rho_ext, L->rho_final, L->p_init_end, d);
	persist &= criterion(L->ps_init_end, ps_end, L->rho_ext, d);
	return persist;
}

struct draw_info {
	double accept, energy;
	int depth, n_leapfrog, divergent;
};

/* One NUTS transition from s->z (whose lp and g are current) to s->z. */
static void transition(struct sampler *s, struct draw_info *di)
{
	int d = s->d, depth = 0;
	double lsw = 0;

	sample_p(s, s->z.p);
	pt_copy(&s->z_fwd, &s->z, d);
	pt_copy(&s->z_bck, &s->z, d);
	pt_copy(&s->z_sample, &s->z, d);

	mul_minv(s, s->z.p, s->ps_ff);
	vcopy(s->ps_fb, s->ps_ff, d);
	vcopy(s->ps_bf, s->ps_ff, d);
	vcopy(s->ps_bb, s->ps_ff, d);
	vcopy(s->p_ff, s->z.p, d);
	vcopy(s->p_fb, s->z.p, d);
	vcopy(s->p_bf, s->z.p, d);
	vcopy(s->p_bb, s->z.p, d);
	vcopy(s->rho, s->z.p, d);

	s->H0 = hamiltonian(s->z.lp, s->z.p, s->ps_ff, d);
	s->n_leapfrog = 0;
	s->sum_metro = 0;
	s->divergent = 0;

	while (depth < s->max_depth) {
		double lsw_sub = -INFINITY;
		int valid, persist;

		vzero(s->rho_fwd, d);
		vzero(s->rho_bck, d);
		if (gsl_rng_uniform(s->r) > 0.5) {
			pt_copy(&s->z, &s->z_fwd, d);
			vcopy(s->rho_bck, s->rho, d);
			vcopy(s->p_bf, s->p_ff, d);
			vcopy(s->ps_bf, s->ps_ff, d);
			valid = build_tree(s, depth, &s->z_propose, s->ps_fb, s->ps_ff, s->rho_fwd,
					   s->p_fb, s->p_ff, 1.0, &lsw_sub);
			pt_copy(&s->z_fwd, &s->z, d);
		} else {
			pt_copy(&s->z, &s->z_bck, d);
			vcopy(s->rho_fwd, s->rho, d);
			vcopy(s->p_fb, s->p_bb, d);
			vcopy(s->ps_fb, s->ps_bb, d);
			valid = build_tree(s, depth, &s->z_propose, s->ps_bf, s->ps_bb, s->rho_bck,
					   s->p_bf, s->p_bb, -1.0, &lsw_sub);
			pt_copy(&s->z_bck, &s->z, d);
		}
		if (!valid)
			break;
		depth++;
		if (lsw_sub > lsw || gsl_rng_uniform(s->r) < exp(lsw_sub - lsw))
			pt_copy(&s->z_sample, &s->z_propose, d);
		lsw = log_sum_exp(lsw, lsw_sub);

		vadd(s->rho, s->rho_bck, s->rho_fwd, d);
		persist = criterion(s->ps_bb, s->ps_ff, s->rho, d);
		vadd(s->rho_ext, s->rho_bck, s->p_fb, d);
		persist &= criterion(s->ps_bb, s->ps_fb, s->rho_ext, d);
		vadd(s->rho_ext, s->rho_fwd, s->p_bf, d);
		persist &= criterion(s->ps_bf, s->ps_ff, s->rho_ext, d);
		if (!persist)
			break;
	}

	pt_copy(&s->z, &s->z_sample, d);
	mul_minv(s, s->z.p, s->tmp);
	di->energy = hamiltonian(s->z.lp, s->z.p, s->tmp, d);
	di->accept = s->n_leapfrog ? s->sum_metro / s->n_leapfrog : 0;
	di->depth = depth;
	di->n_leapfrog = s->n_leapfrog;
	di->divergent = s->divergent;
}

/*
 * One trial of init_stepsize: from the saved point s->z_init, fresh momenta
 * and one leapfrog step of s->eps; the energy change H0 - H.
 */
static double stepsize_trial(struct sampler *s)
{
	int d = s->d;
	double H0;

	pt_copy(&s->z, &s->z_init, d);
	sample_p(s, s->z.p);
	mul_minv(s, s->z.p, s->tmp);
	H0 = hamiltonian(s->z.lp, s->z.p, s->tmp, d);
	leapfrog(s, &s->z, s->eps);
	mul_minv(s, s->z.p, s->tmp);
	return H0 - hamiltonian(s->z.lp, s->z.p, s->tmp, d);
}

/*
 * Stan's init_stepsize: double or halve eps until the acceptance of one
 * leapfrog step from s->z crosses 0.8.  Returns 0, or -1 with msg set.
 */
static int init_stepsize(struct sampler *s, char *msg, size_t msgsz)
{
	int d = s->d, direction;
	double dH;
	const double log08 = log(0.8);

	if (s->eps == 0 || s->eps > 1e7 || isnan(s->eps))
		return 0;
	pt_copy(&s->z_init, &s->z, d);
	dH = stepsize_trial(s);
	direction = dH > log08 ? 1 : -1;
	for (;;) {
		dH = stepsize_trial(s);
		if (direction == 1 && !(dH > log08))
			break;
		if (direction == -1 && !(dH < log08))
			break;
		s->eps = direction == 1 ? 2 * s->eps : 0.5 * s->eps;
		if (s->eps > 1e7) {
			pt_copy(&s->z, &s->z_init, d);
			snprintf(msg, msgsz, "posterior is improper: the step size grew past 1e7");
			return -1;
		}
		if (s->eps == 0) {
			pt_copy(&s->z, &s->z_init, d);
			snprintf(msg, msgsz, "no acceptably small step size: is the posterior continuous?");
			return -1;
		}
	}
	pt_copy(&s->z, &s->z_init, d);
	return 0;
}

/* Lower Cholesky factor of the symmetric a (d x d) into l; -1 if not positive definite. */
static int cholesky(const double *a, double *l, int d)
{
	for (int i = 0; i < d; i++) {
		for (int j = 0; j <= i; j++) {
			double v = a[(size_t)i * (size_t)d + (size_t)j];
			for (int k = 0; k < j; k++)
				v -= l[(size_t)i * (size_t)d + (size_t)k] * l[(size_t)j * (size_t)d + (size_t)k];
			if (i == j) {
				if (!(v > 0))
					return -1;
				l[(size_t)i * (size_t)d + (size_t)i] = sqrt(v);
			} else {
				l[(size_t)i * (size_t)d + (size_t)j] = v / l[(size_t)j * (size_t)d + (size_t)j];
			}
		}
		for (int j = i + 1; j < d; j++)
			l[(size_t)i * (size_t)d + (size_t)j] = 0;
	}
	return 0;
}

/* Recompute the factors the momentum draw needs after minv changed. */
static int metric_changed(struct sampler *s)
{
	if (!s->dense) {
		for (int i = 0; i < s->d; i++) {
			if (!(s->minv[i] > 0) || !isfinite(s->minv[i]))
				return -1;
			s->sqrt_m[i] = 1.0 / sqrt(s->minv[i]);
		}
		return 0;
	}
	return cholesky(s->minv, s->chol, s->d);
}

/* ---- Welford ---- */

static void welford_restart(struct sampler *s)
{
	int d = s->d;
	s->w_n = 0;
	vzero(s->w_mean, d);
	vzero(s->w_m2, s->dense ? d * d : d);
}

static void welford_add(struct sampler *s, const double *q)
{
	int d = s->d;
	s->w_n++;
	for (int i = 0; i < d; i++) {
		s->w_delta[i] = q[i] - s->w_mean[i];
		s->w_mean[i] += s->w_delta[i] / (double)s->w_n;
	}
	if (!s->dense) {
		for (int i = 0; i < d; i++)
			s->w_m2[i] += (q[i] - s->w_mean[i]) * s->w_delta[i];
		return;
	}
	for (int i = 0; i < d; i++) {
		double a = q[i] - s->w_mean[i];
		for (int j = 0; j < d; j++)
			s->w_m2[(size_t)i * (size_t)d + (size_t)j] += a * s->w_delta[j];
	}
}

/* Regularised estimate into minv, as Stan's var/covar adaptation. */
static int welford_metric(struct sampler *s)
{
	int d = s->d;
	double n = (double)s->w_n;
	double a = n / (n + 5.0), b = 1e-3 * (5.0 / (n + 5.0));
	if (!s->dense) {
		for (int i = 0; i < d; i++) {
			s->minv[i] = a * s->w_m2[i] / (n - 1.0) + b;
			if (!isfinite(s->minv[i]))
				return -1;
		}
		return 0;
	}
	for (int i = 0; i < d; i++)
		for (int j = 0; j < d; j++) {
			/* symmetrise: the Welford cross products are symmetric only up to rounding */
			double c = 0.5 * (s->w_m2[(size_t)i * (size_t)d + (size_t)j] +
					  s->w_m2[(size_t)j * (size_t)d + (size_t)i]) / (n - 1.0);
			double v = a * c + (i == j ? b : 0.0);
			if (!isfinite(v))
				return -1;
			s->minv[(size_t)i * (size_t)d + (size_t)j] = v;
		}
	return 0;
}

/* ---- windowed adaptation (stan::mcmc::windowed_adaptation) ---- */

struct windows {
	int num_warmup, init_buffer, term_buffer, base_window;
	int counter, window_size, next_window;
};

static void windows_init(struct windows *w, int num_warmup)
{
	memset(w, 0, sizeof *w);
	if (num_warmup >= 20) {
		if (75 + 25 + 50 > num_warmup) {
			w->num_warmup = num_warmup;
			w->init_buffer = (int)(0.15 * num_warmup);
			w->term_buffer = (int)(0.1 * num_warmup);
			w->base_window = num_warmup - (w->init_buffer + w->term_buffer);
		} else {
			w->num_warmup = num_warmup;
			w->init_buffer = 75;
			w->term_buffer = 50;
			w->base_window = 25;
		}
	}
	/* else: no metric adaptation (Stan: "no estimation for num_warmup < 20") */
	w->counter = 0;
	w->window_size = w->base_window;
	w->next_window = w->init_buffer + w->window_size - 1;
}

static int in_window(const struct windows *w)
{
	return w->counter >= w->init_buffer && w->counter < w->num_warmup - w->term_buffer &&
	       w->counter != w->num_warmup;
}

static int end_window(const struct windows *w)
{
	return w->counter == w->next_window && w->counter != w->num_warmup;
}

static void next_window(struct windows *w)
{
	int last = w->num_warmup - w->term_buffer - 1;
	if (w->next_window == last)
		return;
	w->window_size *= 2;
	w->next_window = w->counter + w->window_size;
	if (w->next_window != last) {
		int boundary = w->next_window + 2 * w->window_size;
		if (boundary >= w->num_warmup - w->term_buffer)
			w->next_window = last;
	}
}

/* ---- dual averaging (stan::mcmc::stepsize_adaptation) ---- */

struct dualavg {
	double mu, s_bar, x_bar, delta;
	double counter;
};

static void da_restart(struct dualavg *a)
{
	a->counter = 0;
	a->s_bar = 0;
	a->x_bar = 0;
}

static double da_learn(struct dualavg *a, double accept)
{
	const double gamma = 0.05, t0 = 10, kappa = 0.75;
	double eta, x, x_eta;
	a->counter += 1;
	if (accept > 1)
		accept = 1;
	eta = 1.0 / (a->counter + t0);
	a->s_bar = (1.0 - eta) * a->s_bar + eta * (a->delta - accept);
	x = a->mu - a->s_bar * sqrt(a->counter) / gamma;
	x_eta = pow(a->counter, -kappa);
	a->x_bar = (1.0 - x_eta) * a->x_bar + x_eta * x;
	return exp(x);
}

/* ---- one chain ---- */

static void sampler_alloc(struct sampler *s, int d, int dense, int max_depth)
{
	size_t dd = (size_t)d, nm = dense ? dd * dd : dd;
	size_t nvec = 6 * 3 + 8 + 4 + 3 + 2 + (size_t)(max_depth + 1) * (8 + 3);
	size_t total = nvec * dd + 2 * nm + nm + dd;
	double *b;

	memset(s, 0, sizeof *s);
	s->d = d;
	s->dense = dense;
	s->max_depth = max_depth;
	s->block = b = xcalloc(total, sizeof *b);
#define TAKE(n) (b += (n), b - (n))
	s->minv = TAKE(nm);
	s->chol = TAKE(nm);
	s->w_m2 = TAKE(nm);
	s->sqrt_m = TAKE(dd);
	s->tmp = TAKE(dd);
	{
		struct pt *pts[6] = { &s->z, &s->z_init, &s->z_fwd, &s->z_bck, &s->z_sample, &s->z_propose };
		for (int i = 0; i < 6; i++) {
			pts[i]->q = TAKE(dd);
			pts[i]->p = TAKE(dd);
			pts[i]->g = TAKE(dd);
		}
	}
	s->ps_ff = TAKE(dd);
	s->ps_fb = TAKE(dd);
	s->ps_bf = TAKE(dd);
	s->ps_bb = TAKE(dd);
	s->p_ff = TAKE(dd);
	s->p_fb = TAKE(dd);
	s->p_bf = TAKE(dd);
	s->p_bb = TAKE(dd);
	s->rho = TAKE(dd);
	s->rho_fwd = TAKE(dd);
	s->rho_bck = TAKE(dd);
	s->rho_ext = TAKE(dd);
	s->w_mean = TAKE(dd);
	s->w_delta = TAKE(dd);
	s->lev = xcalloc((size_t)max_depth + 1, sizeof *s->lev);
	for (int k = 0; k <= max_depth; k++) {
		struct level *L = &s->lev[k];
		L->ps_init_end = TAKE(dd);
		L->p_init_end = TAKE(dd);
		L->rho_init = TAKE(dd);
		L->ps_final_beg = TAKE(dd);
		L->p_final_beg = TAKE(dd);
		L->rho_final = TAKE(dd);
		L->rho_sub = TAKE(dd);
		L->rho_ext = TAKE(dd);
		L->zpf.q = TAKE(dd);
		L->zpf.p = TAKE(dd);
		L->zpf.g = TAKE(dd);
	}
#undef TAKE
	/* unit metric */
	for (int i = 0; i < d; i++) {
		if (dense)
			s->minv[(size_t)i * dd + (size_t)i] = 1;
		else
			s->minv[i] = 1;
	}
	metric_changed(s);
}

static void sampler_free(struct sampler *s)
{
	free(s->block);
	free(s->lev);
	if (s->r)
		gsl_rng_free(s->r);
}

static void chain_alloc(struct nuts_chain *ch, int d, int draws, int dense)
{
	size_t n = draws > 0 ? (size_t)draws : 1;
	memset(ch, 0, sizeof *ch);
	ch->theta = xcalloc(n * (size_t)d, sizeof *ch->theta);
	ch->logp = xcalloc(n, sizeof *ch->logp);
	ch->energy = xcalloc(n, sizeof *ch->energy);
	ch->accept_stat = xcalloc(n, sizeof *ch->accept_stat);
	ch->depth = xcalloc(n, sizeof *ch->depth);
	ch->n_leapfrog = xcalloc(n, sizeof *ch->n_leapfrog);
	ch->divergent = xcalloc(n, sizeof *ch->divergent);
	ch->inv_metric = xcalloc(dense ? (size_t)d * (size_t)d : (size_t)d, sizeof *ch->inv_metric);
}

static int find_init(struct sampler *s, const struct nuts_config *cfg)
{
	int d = s->d;
	for (int attempt = 0; attempt < 100; attempt++) {
		int ok = 1;
		for (int i = 0; i < d; i++) {
			double c = cfg->init ? cfg->init[i] : 0.0;
			s->z.q[i] = c + cfg->init_radius * (2.0 * gsl_rng_uniform(s->r) - 1.0);
		}
		eval_logp(s, &s->z);
		if (!isfinite(s->z.lp))
			continue;
		for (int i = 0; i < d; i++)
			if (!isfinite(s->z.g[i]))
				ok = 0;
		if (ok)
			return 0;
	}
	return -1;
}

static void run_chain(const struct nuts_config *cfg, nuts_logp_fn f, void *ctx, int c,
		      struct nuts_chain *out)
{
	struct sampler s;
	struct windows w;
	struct dualavg da;
	struct draw_info di;
	int d = cfg->dim, total = cfg->warmup + cfg->draws;
	int pstep = total / 100 > 0 ? total / 100 : 1;
	double t0 = now_seconds();

	chain_alloc(out, d, cfg->draws, cfg->dense);
	sampler_alloc(&s, d, cfg->dense, cfg->max_depth > 0 ? cfg->max_depth : 1);
	s.f = f;
	s.ctx = ctx;
	s.max_energy = cfg->max_energy;
	s.r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(s.r, cfg->seed * 1000003UL + (unsigned long)c + 1UL);

	if (find_init(&s, cfg) != 0) {
		out->failed = 1;
		snprintf(out->message, sizeof out->message,
			 "chain %d: no finite log density and gradient in 100 random starting points "
			 "(init radius %g)", c, cfg->init_radius);
		goto done;
	}

	s.eps = 1.0;
	da.delta = cfg->target_accept;
	da.mu = log(10.0 * s.eps);
	da_restart(&da);
	windows_init(&w, cfg->warmup);
	welford_restart(&s);
	if (init_stepsize(&s, out->message, sizeof out->message) != 0) {
		out->failed = 1;
		goto done;
	}

	for (int it = 0; it < total; it++) {
		transition(&s, &di);
		if (it < cfg->warmup) {
			s.eps = da_learn(&da, di.accept);
			if (in_window(&w))
				welford_add(&s, s.z.q);
			if (end_window(&w)) {
				next_window(&w);
				if (welford_metric(&s) != 0 || metric_changed(&s) != 0) {
					out->failed = 1;
					snprintf(out->message, sizeof out->message,
						 "chain %d: numerical overflow in metric adaptation "
						 "(the posterior may be improper)", c);
					goto done;
				}
				welford_restart(&s);
				w.counter++;
				if (init_stepsize(&s, out->message, sizeof out->message) != 0) {
					out->failed = 1;
					goto done;
				}
				da.mu = log(10.0 * s.eps);
				da_restart(&da);
			} else {
				w.counter++;
			}
			if (it == cfg->warmup - 1)
				s.eps = exp(da.x_bar);
		} else {
			int k = it - cfg->warmup;
			vcopy(out->theta + (size_t)k * (size_t)d, s.z.q, d);
			out->logp[k] = s.z.lp;
			out->energy[k] = di.energy;
			out->accept_stat[k] = di.accept;
			out->depth[k] = di.depth;
			out->n_leapfrog[k] = di.n_leapfrog;
			out->divergent[k] = (unsigned char)di.divergent;
		}
		if (cfg->progress && ((it + 1) % pstep == 0 || it + 1 == total))
			cfg->progress(c, it + 1, total, cfg->progress_arg);
	}

done:
	out->step_size = s.eps;
	vcopy(out->inv_metric, s.minv, cfg->dense ? d * d : d);
	out->grad_evals = s.ngrad;
	sampler_free(&s);
	out->seconds = now_seconds() - t0;
}

/* ---- threads ---- */

struct pool {
	const struct nuts_config *cfg;
	nuts_logp_fn f;
	void **ctx;
	struct nuts_chain *out;
	int chains, next;
	pthread_mutex_t mu;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		int c;
		pthread_mutex_lock(&p->mu);
		c = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (c >= p->chains)
			break;
		run_chain(p->cfg, p->f, p->ctx ? p->ctx[c] : NULL, c, &p->out[c]);
	}
	return NULL;
}

void nuts_defaults(struct nuts_config *cfg, int dim, int warmup, int draws, unsigned long seed)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->dim = dim;
	cfg->warmup = warmup;
	cfg->draws = draws;
	cfg->seed = seed;
	cfg->target_accept = 0.8;
	cfg->max_depth = 10;
	cfg->dense = 0;
	cfg->max_energy = 1000;
	cfg->init = NULL;
	cfg->init_radius = 2;
	cfg->progress = NULL;
	cfg->progress_arg = NULL;
}

int nuts_run(const struct nuts_config *cfg, nuts_logp_fn f, void **ctx,
	     int chains, int threads, struct nuts_chain *out)
{
	struct pool p;
	pthread_t *tid;
	int nt, started = 0, rc = 0;

	if (chains <= 0)
		return 0;
	nt = threads <= 0 || threads > chains ? chains : threads;
	p.cfg = cfg;
	p.f = f;
	p.ctx = ctx;
	p.out = out;
	p.chains = chains;
	p.next = 0;
	pthread_mutex_init(&p.mu, NULL);
	if (nt == 1) {
		worker(&p);
	} else {
		tid = xcalloc((size_t)nt, sizeof *tid);
		for (int i = 0; i < nt; i++)
			if (pthread_create(&tid[i], NULL, worker, &p) == 0)
				started++;
			else
				break;
		if (started == 0)
			worker(&p);  /* no thread could start: run here */
		for (int i = 0; i < started; i++)
			pthread_join(tid[i], NULL);
		free(tid);
	}
	pthread_mutex_destroy(&p.mu);
	for (int c = 0; c < chains; c++)
		if (out[c].failed)
			rc = -1;
	return rc;
}

void nuts_chain_free(struct nuts_chain *ch)
{
	if (!ch)
		return;
	free(ch->theta);
	free(ch->logp);
	free(ch->energy);
	free(ch->accept_stat);
	free(ch->depth);
	free(ch->n_leapfrog);
	free(ch->divergent);
	free(ch->inv_metric);
	memset(ch, 0, sizeof *ch);
}
