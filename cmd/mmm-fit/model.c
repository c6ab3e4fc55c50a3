/*
 * The media-mix model's log density and its analytic gradient (model.h).
 */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"

#define TWO_PI 6.283185307179586

struct mmm_work {
	double *mu;       /* T */
	double *e;        /* T: (y - mu) / sigma^2 */
	double *a;        /* C x T adstocked media */
	double *da;       /* C x T d a / d alpha */
	double *dth;      /* C x T d a / d theta (delayed only) */
	double *h;        /* C x T Hill */
	double *lr;       /* C x T S (log a - log K) */
	double *wl, *wa, *wt; /* L delayed weights and their derivatives */
};

static double logistic(double v)
{
	return v >= 0 ? 1.0 / (1.0 + exp(-v)) : exp(v) / (1.0 + exp(v));
}

/* "prefix[s]" */
static char *pname(const char *prefix, const char *s)
{
	size_t n = strlen(prefix) + strlen(s) + 3;
	char *p = xmalloc(n);

	snprintf(p, n, "%s[%s]", prefix, s);
	return p;
}

int mmm_model_init(struct mmm_model *m, const struct mmm_data *d, int adstock, int L,
		   char *err, size_t errsz)
{
	int c, t, k, j, live = 0, nk = 0, span, p;
	double s;

	memset(m, 0, sizeof *m);
	for (c = 0; c < d->C; c++)
		live += !d->dead[c];
	if (!live) {
		snprintf(err, errsz, "no channel spent anything in the window; nothing to model");
		return 65;
	}
	m->T = d->T;
	m->C = live;
	m->grain = d->grain;
	m->adstock = adstock;
	m->L = L > 0 ? L : (d->grain == MMM_GRAIN_WEEK ? 13 : 28);
	if (m->L > m->T)
		m->L = m->T;
	m->npc = adstock == MMM_DELAYED ? 5 : 4;
	s = 0;
	for (t = 0; t < d->T; t++)
		s += d->kpi[t];
	m->y_mean = s / d->T;
	if (!(m->y_mean > 0)) {
		snprintf(err, errsz, "the KPI's mean over the window is %g; the model needs a positive KPI",
			 m->y_mean);
		return 65;
	}
	m->y = xmalloc((size_t)m->T * sizeof *m->y);
	for (t = 0; t < m->T; t++)
		m->y[t] = d->kpi[t] / m->y_mean;
	m->x = xmalloc((size_t)m->T * m->C * sizeof *m->x);
	m->x_mean = xmalloc((size_t)m->C * sizeof *m->x_mean);
	m->chan_index = xmalloc((size_t)m->C * sizeof *m->chan_index);
	for (c = 0, j = 0; c < d->C; c++) {
		if (d->dead[c])
			continue;
		s = 0;
		for (t = 0; t < m->T; t++)
			s += d->spend[(size_t)t * d->C + c];
		m->x_mean[j] = s / m->T;
		m->chan_index[j] = c;
		for (t = 0; t < m->T; t++)
			m->x[(size_t)j * m->T + t] = d->spend[(size_t)t * d->C + c] / m->x_mean[j];
		j++;
	}
	m->u = xmalloc((size_t)m->T * sizeof *m->u);
	for (t = 0; t < m->T; t++)
		m->u[t] = m->T > 1 ? (double)t / (m->T - 1) - 0.5 : 0;
	/* Fourier terms, anchored to the calendar (days since 1970-01-01). */
	span = m->T * d->grain;
	m->weekly = d->grain == MMM_GRAIN_DAY ? 3 : 0;
	m->yearly = span >= 730 ? 2 : span >= 365 ? 1 : 0;
	m->F = 2 * (m->weekly + m->yearly);
	m->f = xmalloc((size_t)(m->F ? m->F : 1) * m->T * sizeof *m->f);
	for (t = 0; t < m->T; t++) {
		double day = (double)(d->day0 + (long long)t * d->grain);
		j = 0;
		for (k = 1; k <= m->weekly; k++, j += 2) {
			m->f[(size_t)j * m->T + t] = sin(TWO_PI * k * fmod(day, 7.0) / 7.0);
			m->f[(size_t)(j + 1) * m->T + t] = cos(TWO_PI * k * fmod(day, 7.0) / 7.0);
		}
		for (k = 1; k <= m->yearly; k++, j += 2) {
			m->f[(size_t)j * m->T + t] = sin(TWO_PI * k * day / 365.25);
			m->f[(size_t)(j + 1) * m->T + t] = cos(TWO_PI * k * day / 365.25);
		}
	}
	/* Controls: standardised; a constant one says nothing and is left out. */
	m->ctrl_index = xmalloc((size_t)(d->K ? d->K : 1) * sizeof *m->ctrl_index);
	m->z = xmalloc((size_t)(d->K ? d->K : 1) * m->T * sizeof *m->z);
	for (k = 0; k < d->K; k++) {
		double mean = 0, var = 0;
		for (t = 0; t < m->T; t++)
			mean += d->ctrl[(size_t)t * d->K + k];
		mean /= m->T;
		for (t = 0; t < m->T; t++) {
			double v = d->ctrl[(size_t)t * d->K + k] - mean;
			var += v * v;
		}
		var /= m->T;
		if (!(var > 1e-24 * (1 + mean * mean)))
			continue;
		for (t = 0; t < m->T; t++)
			m->z[(size_t)nk * m->T + t] = (d->ctrl[(size_t)t * d->K + k] - mean) / sqrt(var);
		m->ctrl_index[nk++] = k;
	}
	m->K = nk;
	m->dim = m->C * m->npc + 2 + m->F + m->K + 1;
	if (m->T < m->dim + 10) {
		snprintf(err, errsz, "%d periods for %d parameters; the model needs at least parameters + 10 "
			 "periods (use a longer window, daily data, or fewer channels)", m->T, m->dim);
		mmm_model_free(m);
		return 65;
	}
	m->prior.chan = xmalloc((size_t)m->C * sizeof *m->prior.chan);
	s = 0;
	for (c = 0; c < m->C; c++)
		s += m->x_mean[c];
	for (c = 0; c < m->C; c++)
		m->prior.chan[c] = (struct mmm_prior){ 2, 2, 0, 1, 2, 1, MMM_MEDIA_SHARE * m->x_mean[c] / s };
	m->prior.tau_mu = 0;
	m->prior.tau_sd = 2;
	m->prior.delta_sd = 1;
	m->prior.gamma_sd = 1;
	m->prior.zeta_sd = 1;
	m->prior.sigma_sd = 1;
	m->name = xmalloc((size_t)m->dim * sizeof *m->name);
	for (c = 0, p = 0; c < m->C; c++) {
		const char *ch = d->channel[m->chan_index[c]];
		m->name[p++] = pname("alpha", ch);
		m->name[p++] = pname("K", ch);
		m->name[p++] = pname("S", ch);
		m->name[p++] = pname("rho", ch);
		if (m->npc == 5)
			m->name[p++] = pname("theta", ch);
	}
	m->name[p++] = xstrdup("tau");
	m->name[p++] = xstrdup("delta");
	for (k = 1; k <= m->weekly + m->yearly; k++) {
		const char *per = k <= m->weekly ? "weekly" : "yearly";
		char b[48];
		int h = k <= m->weekly ? k : k - m->weekly;
		snprintf(b, sizeof b, "%s_sin%d", per, h);
		m->name[p++] = pname("gamma", b);
		snprintf(b, sizeof b, "%s_cos%d", per, h);
		m->name[p++] = pname("gamma", b);
	}
	for (k = 0; k < m->K; k++)
		m->name[p++] = pname("zeta", d->control[m->ctrl_index[k]]);
	m->name[p++] = xstrdup("sigma");
	return 0;
}

void mmm_model_free(struct mmm_model *m)
{
	int i;

	if (m->name)
		for (i = 0; i < m->dim; i++)
			free(m->name[i]);
	free(m->name);
	free(m->x);
	free(m->y);
	free(m->u);
	free(m->f);
	free(m->z);
	free(m->x_mean);
	free(m->chan_index);
	free(m->ctrl_index);
	free(m->prior.chan);
	memset(m, 0, sizeof *m);
}

struct mmm_work *mmm_work_new(const struct mmm_model *m)
{
	struct mmm_work *w = xcalloc(1, sizeof *w);
	size_t ct = (size_t)m->C * m->T;

	w->mu = xmalloc((size_t)m->T * sizeof *w->mu);
	w->e = xmalloc((size_t)m->T * sizeof *w->e);
	w->a = xmalloc(ct * sizeof *w->a);
	w->da = xmalloc(ct * sizeof *w->da);
	w->dth = m->adstock == MMM_DELAYED ? xmalloc(ct * sizeof *w->dth) : NULL;
	w->h = xmalloc(ct * sizeof *w->h);
	w->lr = xmalloc(ct * sizeof *w->lr);
	w->wl = xmalloc((size_t)m->L * sizeof *w->wl);
	w->wa = xmalloc((size_t)m->L * sizeof *w->wa);
	w->wt = xmalloc((size_t)m->L * sizeof *w->wt);
	return w;
}

const double *mmm_work_mu(const struct mmm_work *w)
{
	return w->mu;
}

void mmm_work_free(struct mmm_work *w)
{
	if (!w)
		return;
	free(w->mu);
	free(w->e);
	free(w->a);
	free(w->da);
	free(w->dth);
	free(w->h);
	free(w->lr);
	free(w->wl);
	free(w->wa);
	free(w->wt);
	free(w);
}

/*
 * Adstock of x[T] into a[T] with da/dalpha (and da/dtheta when delayed;
 * dth may be NULL to skip the derivatives).
 */
static void adstock(const struct mmm_model *m, struct mmm_work *w, const double *x,
		    double alpha, double theta, double *a, double *da, double *dth)
{
	int T = m->T, L = m->L, t, l;

	if (m->adstock == MMM_GEOMETRIC) {
		/* N_t = x_t + alpha N_{t-1} - alpha^L x_{t-L}: the L-window sum in O(T). */
		double aL = pow(alpha, L), daL = L * pow(alpha, L - 1), W = 0, dW = 0, pw = 1;
		double N = 0, dN = 0;
		for (l = 0; l < L; l++) {
			W += pw;
			if (l > 0)
				dW += l * pow(alpha, l - 1);
			pw *= alpha;
		}
		for (t = 0; t < T; t++) {
			double old = t >= L ? x[t - L] : 0;
			dN = N + alpha * dN - daL * old;
			N = x[t] + alpha * N - aL * old;
			if (N < 0)      /* rounding of the running sum; spend is never negative */
				N = 0;
			a[t] = N / W;
			if (da)
				da[t] = (dN - a[t] * dW) / W;
		}
		return;
	}
	/* Delayed: w_l = alpha^((l - theta)^2), a direct convolution. */
	{
		double la = log(alpha), W = 0, dWa = 0, dWt = 0;
		for (l = 0; l < L; l++) {
			double dl = l - theta;
			w->wl[l] = exp(dl * dl * la);
			w->wa[l] = dl * dl * w->wl[l] / alpha;
			w->wt[l] = -2.0 * dl * la * w->wl[l];
			W += w->wl[l];
			dWa += w->wa[l];
			dWt += w->wt[l];
		}
		for (t = 0; t < T; t++) {
			double N = 0, Na = 0, Nt = 0;
			int lmax = t < L - 1 ? t : L - 1;
			for (l = 0; l <= lmax; l++) {
				double v = x[t - l];
				N += w->wl[l] * v;
				Na += w->wa[l] * v;
				Nt += w->wt[l] * v;
			}
			a[t] = N / W;
			if (da) {
				da[t] = (Na - a[t] * dWa) / W;
				dth[t] = (Nt - a[t] * dWt) / W;
			}
		}
	}
}

double mmm_logp(const double *th, double *grad, void *ctx)
{
	const struct mmm_ctx *cx = ctx;
	const struct mmm_model *m = cx->m;
	struct mmm_work *w = cx->w;
	int T = m->T, C = m->C, F = m->F, K = m->K, npc = m->npc, t, c, j;
	int o = C * npc;
	double lp = 0, tau_c = th[o], tau, delta = th[o + 1], lsig = th[m->dim - 1];
	double sigma = exp(lsig), isig2, ss = 0, bh = 0, P;
	const double *gam = th + o + 2, *zeta = th + o + 2 + F;

	if (!isfinite(sigma) || sigma <= 0)
		return -INFINITY;
	for (t = 0; t < T; t++)
		w->mu[t] = tau_c + delta * m->u[t];
	for (j = 0; j < F; j++) {
		const double *f = m->f + (size_t)j * T;
		for (t = 0; t < T; t++)
			w->mu[t] += gam[j] * f[t];
	}
	for (j = 0; j < K; j++) {
		const double *z = m->z + (size_t)j * T;
		for (t = 0; t < T; t++)
			w->mu[t] += zeta[j] * z[t];
	}
	for (c = 0; c < C; c++) {
		const double *p = th + c * npc;
		double alpha = logistic(p[0]), lK = p[1], S = exp(p[2]), rho = exp(p[3]);
		double beta = rho * (1.0 + exp(S * lK));
		double theta = npc == 5 ? (m->L - 1) * logistic(p[4]) : 0;
		double *a = w->a + (size_t)c * T, *h = w->h + (size_t)c * T, *lr = w->lr + (size_t)c * T;

		if (!(alpha > 0 && alpha < 1) || !isfinite(S) || !isfinite(beta) || !(rho > 0))
			return -INFINITY;
		double hbar = 0;
		adstock(m, w, m->x + (size_t)c * T, alpha, theta, a, w->da + (size_t)c * T,
			w->dth ? w->dth + (size_t)c * T : NULL);
		for (t = 0; t < T; t++) {
			if (a[t] > 0) {
				lr[t] = S * (log(a[t]) - lK);
				/* no branch on the sign (it flips at random and costs a fifth
				 * of the gradient's time); exp overflow gives h = 0 */
				h[t] = 1.0 / (1.0 + exp(-lr[t]));
			} else {
				lr[t] = 0;
				h[t] = 0;
			}
			hbar += h[t];
		}
		hbar /= T;
		for (t = 0; t < T; t++)
			w->mu[t] += beta * (h[t] - hbar);
		bh += beta * hbar;
	}
	tau = tau_c - bh;   /* the intercept; tau_c is the mean level */
	P = -(tau - m->prior.tau_mu) / (m->prior.tau_sd * m->prior.tau_sd);
	isig2 = 1.0 / (sigma * sigma);
	for (t = 0; t < T; t++) {
		double r = m->y[t] - w->mu[t];
		ss += r * r;
		w->e[t] = r * isig2;
	}
	lp = -T * lsig - 0.5 * ss * isig2;
	if (!isfinite(lp))
		return -INFINITY;
	if (grad) {
		double g;
		g = 0;
		for (t = 0; t < T; t++)
			g += w->e[t];
		grad[o] = g + P;
		g = 0;
		for (t = 0; t < T; t++)
			g += w->e[t] * m->u[t];
		grad[o + 1] = g - delta / (m->prior.delta_sd * m->prior.delta_sd);
		for (j = 0; j < F; j++) {
			const double *f = m->f + (size_t)j * T;
			g = 0;
			for (t = 0; t < T; t++)
				g += w->e[t] * f[t];
			grad[o + 2 + j] = g - gam[j] / (m->prior.gamma_sd * m->prior.gamma_sd);
		}
		for (j = 0; j < K; j++) {
			const double *z = m->z + (size_t)j * T;
			g = 0;
			for (t = 0; t < T; t++)
				g += w->e[t] * z[t];
			grad[o + 2 + F + j] = g - zeta[j] / (m->prior.zeta_sd * m->prior.zeta_sd);
		}
		grad[m->dim - 1] = -T + ss * isig2 - sigma * sigma /
			(m->prior.sigma_sd * m->prior.sigma_sd) + 1.0;
		/*
		 * The channels reach mu through beta (h[t] - hbar) and the tau prior
		 * through tau = tau_c - sum beta hbar: both fold into one weight per
		 * period, e[t] - mean(e) - P/T, applied to d(beta h[t]).
		 */
		g = 0;
		for (t = 0; t < T; t++)
			g += w->e[t];
		g = g / T + P / T;
		for (t = 0; t < T; t++)
			w->e[t] -= g;
	}
	lp += -0.5 * (tau - m->prior.tau_mu) * (tau - m->prior.tau_mu) / (m->prior.tau_sd * m->prior.tau_sd)
	      - 0.5 * delta * delta / (m->prior.delta_sd * m->prior.delta_sd)
	      - 0.5 * sigma * sigma / (m->prior.sigma_sd * m->prior.sigma_sd) + lsig;
	for (j = 0; j < F; j++)
		lp -= 0.5 * gam[j] * gam[j] / (m->prior.gamma_sd * m->prior.gamma_sd);
	for (j = 0; j < K; j++)
		lp -= 0.5 * zeta[j] * zeta[j] / (m->prior.zeta_sd * m->prior.zeta_sd);
	for (c = 0; c < C; c++) {
		const double *p = th + c * npc;
		const struct mmm_prior *pr = &m->prior.chan[c];
		double alpha = logistic(p[0]), S = exp(p[2]), rho = exp(p[3]);
		double KS = exp(S * p[1]), beta = rho * (1.0 + KS);
		double la = p[0] >= 0 ? -log1p(exp(-p[0])) : p[0] - log1p(exp(p[0]));   /* log alpha */
		double l1a = la - p[0];                                                   /* log(1-alpha) */
		double kd = (p[1] - pr->k_mu) / pr->k_sd;

		lp += pr->alpha_a * la + pr->alpha_b * l1a;
		lp += -0.5 * kd * kd;
		lp += pr->s_shape * p[2] - pr->s_rate * S;
		lp += -0.5 * rho * rho / (pr->rho_sd * pr->rho_sd) + p[3];
		if (npc == 5) {
			double q = logistic(p[4]);
			lp += log(q) + log1p(-q);
		}
		if (grad) {
			const double *a = w->a + (size_t)c * T, *h = w->h + (size_t)c * T;
			const double *lr = w->lr + (size_t)c * T, *da = w->da + (size_t)c * T;
			const double *dth = w->dth ? w->dth + (size_t)c * T : NULL;
			double gb = 0, gk = 0, gs = 0, ga = 0, gt = 0, gh = 0;
			for (t = 0; t < T; t++) {
				double eh, q;
				if (!(a[t] > 0))
					continue;
				eh = w->e[t] * beta * h[t];
				gh += w->e[t] * h[t];
				q = eh * (1.0 - h[t]);          /* e * beta * dh/dlr */
				gb += eh;
				gk += q;
				gs += q * lr[t];
				q *= S / a[t];
				ga += q * da[t];
				if (dth)
					gt += q * dth[t];
			}
			grad[c * npc + 0] = ga * alpha * (1.0 - alpha) + pr->alpha_a * (1.0 - alpha)
					    - pr->alpha_b * alpha;
			/* beta = rho (1 + K^S): d beta/d log K = rho S K^S, d beta/d log S = rho K^S S log K */
			grad[c * npc + 1] = -S * gk + gh * rho * S * KS - kd / pr->k_sd;
			grad[c * npc + 2] = gs + gh * rho * KS * S * p[1] + pr->s_shape - pr->s_rate * S;
			grad[c * npc + 3] = gb - rho * rho / (pr->rho_sd * pr->rho_sd) + 1.0;
			if (npc == 5) {
				double q = logistic(p[4]);
				grad[c * npc + 4] = gt * (m->L - 1) * q * (1.0 - q) + 1.0 - 2.0 * q;
			}
		}
	}
	return isfinite(lp) ? lp : -INFINITY;
}

void mmm_constrain(const struct mmm_model *m, const double *th, double *out)
{
	int c, j, o = m->C * m->npc;

	for (c = 0; c < m->C; c++) {
		const double *p = th + c * m->npc;
		double *q = out + c * m->npc;
		q[0] = logistic(p[0]);
		q[1] = exp(p[1]);
		q[2] = exp(p[2]);
		q[3] = exp(p[3]);
		if (m->npc == 5)
			q[4] = (m->L - 1) * logistic(p[4]);
	}
	for (j = o; j < m->dim - 1; j++)
		out[j] = th[j];
	out[m->dim - 1] = exp(th[m->dim - 1]);
	/* sampled is the mean level; the intercept is that less the media's mean */
	{
		double *buf = xmalloc((size_t)m->T * sizeof *buf), bh = 0;
		int t;
		for (c = 0; c < m->C; c++) {
			mmm_contribution(m, out, c, buf);
			for (t = 0; t < m->T; t++)
				bh += buf[t];
		}
		out[o] = th[o] - bh / m->T;
		free(buf);
	}
}

void mmm_init_point(const struct mmm_model *m, double *th)
{
	int c, j, o = m->C * m->npc;

	for (c = 0; c < m->C; c++) {
		const struct mmm_prior *pr = &m->prior.chan[c];
		double *p = th + c * m->npc;
		double am = pr->alpha_a / (pr->alpha_a + pr->alpha_b);
		p[0] = log(am / (1 - am));
		p[1] = pr->k_mu;
		p[2] = log(pr->s_shape / pr->s_rate);
		p[3] = log(0.5 * pr->rho_sd);
		if (m->npc == 5)
			p[4] = 0;
	}
	for (j = o; j < m->dim; j++)
		th[j] = 0;
	th[o] = 1.0;                 /* the scaled KPI's mean */
	th[m->dim - 1] = log(0.5 * m->prior.sigma_sd);
}

void mmm_contribution(const struct mmm_model *m, const double *p, int c, double *out)
{
	const double *q = p + c * m->npc;
	double alpha = q[0], K = q[1], S = q[2], beta = q[3] * (1.0 + pow(K, S)), theta = m->npc == 5 ? q[4] : 0;
	struct mmm_work w;
	double wl[64], wa[64], wt[64];
	double *wlp = m->L <= 64 ? wl : xmalloc((size_t)m->L * 3 * sizeof *wlp);
	int t;

	memset(&w, 0, sizeof w);
	w.wl = wlp;
	w.wa = m->L <= 64 ? wa : wlp + m->L;
	w.wt = m->L <= 64 ? wt : wlp + 2 * m->L;
	adstock(m, &w, m->x + (size_t)c * m->T, alpha, theta, out, NULL, NULL);
	for (t = 0; t < m->T; t++)
		out[t] = out[t] > 0 ? beta / (1.0 + pow(K / out[t], S)) : 0;
	if (wlp != wl)
		free(wlp);
}

double mmm_response(const struct mmm_model *m, const double *p, int c, double s, double *ds)
{
	const double *q = p + c * m->npc;
	double K = q[1], S = q[2], beta = q[3] * (1.0 + pow(K, S)), a = s / m->x_mean[c], h;

	if (!(a > 0)) {
		/* Hill's slope at 0 is infinite for S < 1, finite (beta/K) for S = 1, 0 above. */
		if (ds)
			*ds = S > 1 ? 0 : S == 1 ? beta / K * m->y_mean / m->x_mean[c] : INFINITY;
		return 0;
	}
	h = 1.0 / (1.0 + pow(K / a, S));
	if (ds)
		*ds = beta * h * (1.0 - h) * S / a / m->x_mean[c] * m->y_mean;
	return beta * h * m->y_mean;
}
