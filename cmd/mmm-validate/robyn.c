/* Robyn's model of one candidate, its objectives, and the search over trials. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "robyn.h"

int robyn_dim(const struct robyn_model *m)
{
	return 3 * m->C + 1;
}

void robyn_model_prepare(struct robyn_model *m)
{
	int p = m->C + m->F, c, t;
	double *X = xmalloc((size_t)(p > 0 ? p : 1) * m->T * sizeof *X);

	m->spend_total = xcalloc((size_t)(m->C + 1), sizeof *m->spend_total);
	for (c = 0; c < m->C; c++)
		for (t = 0; t < m->T; t++)
			m->spend_total[c] += m->spend[(size_t)c * m->T + t];
	memcpy(X, m->spend, (size_t)m->C * m->T * sizeof *X);
	memcpy(X + (size_t)m->C * m->T, m->fixed, (size_t)m->F * m->T * sizeof *X);
	m->lambda_max = 0.1 * ridge_lambda_max(m->T, p, X, m->y);
	free(X);
}

void robyn_model_free(struct robyn_model *m)
{
	free(m->spend_total);
	m->spend_total = NULL;
}

static double from_unit(struct hyper_range r, double u)
{
	return r.lo + (r.hi - r.lo) * u;
}

void robyn_decode(const struct robyn_model *m, const double *u, struct robyn_hyper *h)
{
	double lmax = m->lambda_max, lmin = lmax * 1e-4;
	int c;
	for (c = 0; c < m->C; c++) {
		h->theta[c] = from_unit(m->b.theta[c], u[3 * c]);
		h->alpha[c] = from_unit(m->b.alpha[c], u[3 * c + 1]);
		h->gamma[c] = from_unit(m->b.gamma[c], u[3 * c + 2]);
	}
	h->lambda_hp = from_unit(m->b.lambda, u[3 * m->C]);
	h->lambda = lmin + (lmax - lmin) * h->lambda_hp;
}

struct robyn_work {
	double *X;        /* (C + F) x T */
	double *lower;    /* C + F */
	double *coef;     /* C + F */
	double *yhat, *ad;
	double *theta, *alpha, *gamma;
	double *mcoef, *decomp;
};

struct robyn_work *robyn_work_new(const struct robyn_model *m)
{
	struct robyn_work *w = xcalloc(1, sizeof *w);
	int p = m->C + m->F, j;
	w->X = xmalloc((size_t)p * m->T * sizeof *w->X);
	w->lower = xmalloc((size_t)p * sizeof *w->lower);
	w->coef = xmalloc((size_t)p * sizeof *w->coef);
	w->yhat = xmalloc((size_t)m->T * sizeof *w->yhat);
	w->ad = xmalloc((size_t)m->T * sizeof *w->ad);
	w->theta = xmalloc((size_t)(m->C + 1) * sizeof *w->theta);
	w->alpha = xmalloc((size_t)(m->C + 1) * sizeof *w->alpha);
	w->gamma = xmalloc((size_t)(m->C + 1) * sizeof *w->gamma);
	w->mcoef = xmalloc((size_t)(m->C + 1) * sizeof *w->mcoef);
	w->decomp = xmalloc((size_t)(m->C + 1) * sizeof *w->decomp);
	for (j = 0; j < p; j++)
		w->lower[j] = j < m->C ? 0.0 : -INFINITY;
	memcpy(w->X + (size_t)m->C * m->T, m->fixed, (size_t)m->F * m->T * sizeof *w->X);
	return w;
}

void robyn_work_free(struct robyn_work *w)
{
	if (!w)
		return;
	free(w->X);
	free(w->lower);
	free(w->coef);
	free(w->yhat);
	free(w->ad);
	free(w->theta);
	free(w->alpha);
	free(w->gamma);
	free(w->mcoef);
	free(w->decomp);
	free(w);
}

double robyn_nrmse(int T, const double *y, const double *yhat)
{
	double ss = 0.0, lo = INFINITY, hi = -INFINITY, rmse;
	int t;
	for (t = 0; t < T; t++) {
		double e = y[t] - yhat[t];
		ss += e * e;
		if (y[t] < lo) lo = y[t];
		if (y[t] > hi) hi = y[t];
	}
	rmse = T > 0 ? sqrt(ss / T) : 0.0;
	return hi > lo ? rmse / (hi - lo) : rmse;
}

double robyn_rssd(int C, const double *decomp, const double *coef, const double *spend)
{
	double dsum = 0.0, ssum = 0.0, rs = 0.0;
	int c, zeros = 0;
	for (c = 0; c < C; c++) {
		dsum += decomp[c];
		ssum += spend[c];
		zeros += coef[c] == 0.0;
	}
	for (c = 0; c < C; c++) {
		double es = dsum != 0.0 ? decomp[c] / dsum : 0.0;
		double ss = ssum > 0.0 ? spend[c] / ssum : 0.0;
		rs += (es - ss) * (es - ss);
	}
	return C > 0 ? sqrt(rs) * (1.0 + (double)zeros / C) : 0.0;
}

void robyn_evaluate(const struct robyn_model *m, struct robyn_work *w, const double *u,
		    struct robyn_eval *ev)
{
	struct robyn_hyper h = { w->theta, w->alpha, w->gamma, 0, 0 };
	struct ridge_out ro = { 0, w->coef };
	int T = m->T, C = m->C, p = m->C + m->F, c, t, j;

	robyn_decode(m, u, &h);
	for (c = 0; c < C; c++) {
		adstock_geometric(m->spend + (size_t)c * T, T, h.theta[c], w->ad);
		saturation_hill(w->ad, T, h.alpha[c], h.gamma[c], w->X + (size_t)c * T);
	}
	ridge_glmnet(T, p, w->X, m->y, w->lower, h.lambda, 1, &ro);
	ev->intercept = 1;
	if (ro.b0 < 0.0) {       /* intercept_sign = "non_negative" */
		ridge_glmnet(T, p, w->X, m->y, w->lower, h.lambda, 0, &ro);
		ev->intercept = 0;
	}
	for (t = 0; t < T; t++)
		w->yhat[t] = ro.b0;
	for (j = 0; j < p; j++) {
		const double *x = w->X + (size_t)j * T;
		double b = w->coef[j];
		if (b != 0.0)
			for (t = 0; t < T; t++)
				w->yhat[t] += b * x[t];
	}
	for (c = 0; c < C; c++) {
		const double *x = w->X + (size_t)c * T;
		double s = 0.0;
		for (t = 0; t < T; t++)
			s += x[t];
		w->mcoef[c] = w->coef[c];
		w->decomp[c] = w->coef[c] * s;
	}
	ev->b0 = ro.b0;
	ev->nrmse = robyn_nrmse(T, m->y, w->yhat);
	ev->rssd = robyn_rssd(C, w->decomp, w->mcoef, m->spend_total);
	if (ev->coef)
		memcpy(ev->coef, w->mcoef, (size_t)C * sizeof *ev->coef);
	if (ev->decomp)
		memcpy(ev->decomp, w->decomp, (size_t)C * sizeof *ev->decomp);
}

int robyn_fixed_regressors(int T, int grain, long long day0, int K, const double *ctrl,
			   double **out)
{
	double span = (double)T * grain, *F;
	int wk = 0, yr = 0, n, k, t, j = 0;

	if (grain == 1) {
		wk = T >= 14 ? 3 : 0;
		yr = span >= 730 ? 2 : span >= 365 ? 1 : 0;
	} else {
		yr = span >= 364 ? 2 : 0;
	}
	n = 1 + 2 * wk + 2 * yr + K;
	F = xmalloc((size_t)n * T * sizeof *F);
	for (t = 0; t < T; t++)
		F[t] = t + 1;
	j = 1;
	for (k = 1; k <= wk; k++, j += 2)
		for (t = 0; t < T; t++) {
			double ph = 2.0 * M_PI * k * (double)((day0 + (long long)t * grain) % 7) / 7.0;
			F[(size_t)j * T + t] = sin(ph);
			F[(size_t)(j + 1) * T + t] = cos(ph);
		}
	for (k = 1; k <= yr; k++, j += 2)
		for (t = 0; t < T; t++) {
			double day = (double)(day0 + (long long)t * grain);
			double ph = 2.0 * M_PI * k * fmod(day, 365.25) / 365.25;
			F[(size_t)j * T + t] = sin(ph);
			F[(size_t)(j + 1) * T + t] = cos(ph);
		}
	for (k = 0; k < K; k++, j++)
		for (t = 0; t < T; t++)
			F[(size_t)j * T + t] = ctrl[(size_t)t * K + k];
	*out = F;
	return n;
}

/* ---- the search ---- */

unsigned long robyn_trial_seed(unsigned long seed, int trial)
{
	uint64_t z = (uint64_t)seed * 0x9E3779B97F4A7C15ull + (uint64_t)(trial + 1) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	z &= 0xffffffffull;
	return (unsigned long)(z ? z : 1);
}

struct job {
	const struct robyn_model *m;
	struct robyn_search *s;
	int first, step;
};

struct cb { const struct robyn_model *m; struct robyn_work *w; };

static void objective(const double *u, double *f, void *ctx)
{
	struct cb *cb = ctx;
	struct robyn_eval ev = { 0 };
	robyn_evaluate(cb->m, cb->w, u, &ev);
	f[0] = ev.nrmse;
	f[1] = ev.rssd;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct robyn_search *s = j->s;
	struct cb cb = { j->m, robyn_work_new(j->m) };
	double *f = xmalloc((size_t)s->iterations * 2 * sizeof *f);
	int k, i;

	for (k = j->first; k < s->trials; k += j->step) {
		struct de_opts o = { s->d, 2, s->iterations, s->popsize, robyn_trial_seed(s->seed, k) };
		size_t base = (size_t)k * s->iterations;
		de_run(&o, objective, &cb, s->u + base * s->d, f);
		for (i = 0; i < s->iterations; i++) {
			s->nrmse[base + i] = f[2 * i];
			s->rssd[base + i] = f[2 * i + 1];
		}
		if (s->progress)
			fprintf(stderr, "mmm-validate: trial %d of %d done\n", k + 1, s->trials);
	}
	free(f);
	robyn_work_free(cb.w);
	return NULL;
}

void robyn_search_run(const struct robyn_model *m, struct robyn_search *s)
{
	int nt = s->threads < 1 ? 1 : s->threads, t;
	pthread_t *th;
	struct job *jobs;

	if (nt > s->trials)
		nt = s->trials;
	s->d = robyn_dim(m);
	s->n = s->iterations * s->trials;
	s->u = xmalloc((size_t)s->n * s->d * sizeof *s->u);
	s->nrmse = xmalloc((size_t)s->n * sizeof *s->nrmse);
	s->rssd = xmalloc((size_t)s->n * sizeof *s->rssd);
	s->front = xmalloc((size_t)s->n * sizeof *s->front);
	th = xcalloc((size_t)nt, sizeof *th);
	jobs = xcalloc((size_t)nt, sizeof *jobs);
	for (t = 0; t < nt; t++) {
		jobs[t].m = m;
		jobs[t].s = s;
		jobs[t].first = t;
		jobs[t].step = nt;
	}
	if (nt == 1) {
		worker(&jobs[0]);
	} else {
		for (t = 0; t < nt; t++)
			if (pthread_create(&th[t], NULL, worker, &jobs[t]) != 0)
				die(AELP_EXIT_SOFTWARE, "cannot start a thread");
		for (t = 0; t < nt; t++)
			pthread_join(th[t], NULL);
	}
	free(th);
	free(jobs);
	s->fronts = pareto_fronts(s->n, s->nrmse, s->rssd, s->front);
	s->kept = pareto_fronts_kept(s->n, s->front, 100);
	s->chosen = pareto_choose(s->n, s->nrmse, s->rssd, s->front, s->kept);
}

void robyn_search_free(struct robyn_search *s)
{
	free(s->u);
	free(s->nrmse);
	free(s->rssd);
	free(s->front);
	s->u = NULL;
	s->nrmse = s->rssd = NULL;
	s->front = NULL;
}
