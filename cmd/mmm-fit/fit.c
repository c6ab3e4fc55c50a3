/*
 * mmm-fit's run: read the input, build the model, sample, diagnose, and
 * write mmm_runs, mmm_allocations and mmm_curves rows (fit.h).
 */
#include "fit.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "diag.h"
#include "die.h"
#include "mmmdata.h"
#include "model.h"
#include "ndjson.h"
#include "nuts.h"
#include "report.h"
#include "timefmt.h"

#define ALLOC_DRAWS 1000   /* draws that price the allocator's objective */
#define FIT_DRAWS 400      /* draws for the in-sample fit statistics */

void fit_defaults(struct fit_opts *o)
{
	memset(o, 0, sizeof *o);
	o->input = "-";
	o->adstock = MMM_GEOMETRIC;
	o->seed = 1;
	o->chains = 4;
	o->warmup = 1000;
	o->draws = 1000;
	o->max_depth = 10;
	o->target_accept = 0.9;
	o->kpi = "conversions";
	o->bound_pct = 30;
	o->current_days = 28;
	o->curve_points = 21;
	o->grid = 2000;
	o->rhat_max = 1.05;
	o->div_max = 0.01;
	o->progress = -1;
}

/* ---- priors file -------------------------------------------------------- */

static int num_field(json_t *o, const char *k, double *v, int positive, const char *file,
		     const char *where)
{
	json_t *x = json_object_get(o, k);

	if (!x)
		return 0;
	if (!json_is_number(x) || !isfinite(json_number_value(x)) ||
	    (positive && !(json_number_value(x) > 0))) {
		warn("%s: %s.%s must be a %snumber", file, where, k, positive ? "positive " : "");
		return -1;
	}
	*v = json_number_value(x);
	return 1;
}

/* Only the listed keys; anything else is a typo worth stopping for. */
static int only_keys(json_t *o, const char *const *keys, const char *file, const char *where)
{
	const char *k;
	json_t *v;
	int i;

	if (!json_is_object(o)) {
		warn("%s: %s must be an object", file, where);
		return -1;
	}
	json_object_foreach(o, k, v) {
		(void)v;
		for (i = 0; keys[i] && strcmp(keys[i], k) != 0; i++)
			;
		if (!keys[i]) {
			warn("%s: unknown key \"%s\" in %s", file, k, where);
			return -1;
		}
	}
	return 0;
}

static int chan_priors(json_t *o, struct mmm_prior *p, const char *file, const char *where)
{
	static const char *const top[] = { "alpha", "K", "S", "rho", NULL };
	static const char *const ab[] = { "a", "b", NULL }, *const musd[] = { "mu", "sd", NULL };
	static const char *const sr[] = { "shape", "rate", NULL }, *const sd[] = { "sd", NULL };
	json_t *x;

	if (only_keys(o, top, file, where))
		return -1;
	if ((x = json_object_get(o, "alpha")) &&
	    (only_keys(x, ab, file, "alpha") || num_field(x, "a", &p->alpha_a, 1, file, "alpha") < 0 ||
	     num_field(x, "b", &p->alpha_b, 1, file, "alpha") < 0))
		return -1;
	if ((x = json_object_get(o, "K")) &&
	    (only_keys(x, musd, file, "K") || num_field(x, "mu", &p->k_mu, 0, file, "K") < 0 ||
	     num_field(x, "sd", &p->k_sd, 1, file, "K") < 0))
		return -1;
	if ((x = json_object_get(o, "S")) &&
	    (only_keys(x, sr, file, "S") || num_field(x, "shape", &p->s_shape, 1, file, "S") < 0 ||
	     num_field(x, "rate", &p->s_rate, 1, file, "S") < 0))
		return -1;
	if ((x = json_object_get(o, "rho")) &&
	    (only_keys(x, sd, file, "rho") || num_field(x, "sd", &p->rho_sd, 1, file, "rho") < 0))
		return -1;
	return 0;
}

static int load_priors(struct mmm_model *m, const struct mmm_data *d, const char *file)
{
	static const char *const top[] = { "alpha", "K", "S", "rho", "tau", "delta", "gamma",
					   "zeta", "sigma", "channels", NULL };
	static const char *const musd[] = { "mu", "sd", NULL }, *const sd[] = { "sd", NULL };
	json_error_t je;
	json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &je), *x, *chans;
	const char *k;
	json_t *v;
	int c, rc = -1;

	if (!root) {
		warn("%s:%d: %s", file, je.line, je.text);
		return -1;
	}
	if (only_keys(root, top, file, "the priors"))
		goto out;
	{
		json_t *sub = json_object();
		static const char *const ck[] = { "alpha", "K", "S", "rho", NULL };
		int i;
		for (i = 0; ck[i]; i++)
			if ((x = json_object_get(root, ck[i])))
				json_object_set(sub, ck[i], x);
		/* a global setting changes only the numbers it names, channel by channel */
		for (c = 0, i = 0; c < m->C && i == 0; c++)
			i = chan_priors(sub, &m->prior.chan[c], file, "the priors");
		json_decref(sub);
		if (i)
			goto out;
	}
	if ((x = json_object_get(root, "tau")) &&
	    (only_keys(x, musd, file, "tau") || num_field(x, "mu", &m->prior.tau_mu, 0, file, "tau") < 0 ||
	     num_field(x, "sd", &m->prior.tau_sd, 1, file, "tau") < 0))
		goto out;
#define SDONLY(key, field) \
	if ((x = json_object_get(root, key)) && \
	    (only_keys(x, sd, file, key) || num_field(x, "sd", &m->prior.field, 1, file, key) < 0)) \
		goto out;
	SDONLY("delta", delta_sd)
	SDONLY("gamma", gamma_sd)
	SDONLY("zeta", zeta_sd)
	SDONLY("sigma", sigma_sd)
#undef SDONLY
	if ((chans = json_object_get(root, "channels"))) {
		if (!json_is_object(chans)) {
			warn("%s: channels must be an object keyed by channel", file);
			goto out;
		}
		json_object_foreach(chans, k, v) {
			int found = -1;
			for (c = 0; c < m->C; c++)
				if (strcmp(d->channel[m->chan_index[c]], k) == 0)
					found = c;
			if (found < 0) {
				warn("%s: channels.%s is not a channel the model fits", file, k);
				goto out;
			}
			if (chan_priors(v, &m->prior.chan[found], file, k))
				goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- Stan data ------------------------------------------------------------ */

static void jarr(FILE *f, const double *v, int n)
{
	int i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		jw_real(f, v[i]);
	}
	fputc(']', f);
}

static int write_stan_data(const struct mmm_model *m, const char *path)
{
	FILE *f = fopen(path, "w");
	double *col = xmalloc((size_t)(m->C ? m->C : 1) * sizeof *col);
	int c, j, rc = 0;

	if (!f) {
		warn("%s: %s", path, strerror(errno));
		free(col);
		return 2;
	}
	fprintf(f, "{\"T\":%d,\"C\":%d,\"F\":%d,\"K\":%d,\"L\":%d,\"delayed\":%d,\"x\":[", m->T, m->C,
		m->F, m->K, m->L, m->adstock == MMM_DELAYED);
	for (c = 0; c < m->C; c++) {
		if (c)
			fputc(',', f);
		jarr(f, m->x + (size_t)c * m->T, m->T);
	}
	fputs("],\"y\":", f);
	jarr(f, m->y, m->T);
	fputs(",\"u\":", f);
	jarr(f, m->u, m->T);
	fputs(",\"f\":[", f);
	for (j = 0; j < m->F; j++) {
		if (j)
			fputc(',', f);
		jarr(f, m->f + (size_t)j * m->T, m->T);
	}
	fputs("],\"z\":[", f);
	for (j = 0; j < m->K; j++) {
		if (j)
			fputc(',', f);
		jarr(f, m->z + (size_t)j * m->T, m->T);
	}
	fputc(']', f);
#define PCOL(name, field) \
	for (c = 0; c < m->C; c++) \
		col[c] = m->prior.chan[c].field; \
	fputs(",\"" name "\":", f); \
	jarr(f, col, m->C);
	PCOL("alpha_a", alpha_a)
	PCOL("alpha_b", alpha_b)
	PCOL("k_mu", k_mu)
	PCOL("k_sd", k_sd)
	PCOL("s_shape", s_shape)
	PCOL("s_rate", s_rate)
	PCOL("rho_sd", rho_sd)
#undef PCOL
	fputs(",\"tau_mu\":", f);
	jw_real(f, m->prior.tau_mu);
	fputs(",\"tau_sd\":", f);
	jw_real(f, m->prior.tau_sd);
	fputs(",\"delta_sd\":", f);
	jw_real(f, m->prior.delta_sd);
	fputs(",\"gamma_sd\":", f);
	jw_real(f, m->prior.gamma_sd);
	fputs(",\"zeta_sd\":", f);
	jw_real(f, m->prior.zeta_sd);
	fputs(",\"sigma_sd\":", f);
	jw_real(f, m->prior.sigma_sd);
	fputs(",\"names\":[", f);
	for (j = 0; j < m->dim; j++) {
		if (j)
			fputc(',', f);
		jw_str(f, m->name[j], strlen(m->name[j]));
	}
	fputs("]}\n", f);
	if (ferror(f) | (fclose(f) != 0)) {
		warn("%s: write error", path);
		rc = 70;
	}
	free(col);
	return rc;
}

/* ---- progress ------------------------------------------------------------- */

struct progress {
	pthread_mutex_t mu;
	int chains, *iter, total;
	double last;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void on_progress(int chain, int iter, int total, void *arg)
{
	struct progress *p = arg;
	double t;
	int c;

	pthread_mutex_lock(&p->mu);
	p->iter[chain] = iter;
	p->total = total;
	t = now_s();
	if (t - p->last > 0.2 || iter == total) {
		p->last = t;
		fprintf(stderr, "\rmmm-fit: sampling");
		for (c = 0; c < p->chains; c++)
			fprintf(stderr, "  chain %d %3d%%", c + 1, total ? 100 * p->iter[c] / total : 0);
		fflush(stderr);
	}
	pthread_mutex_unlock(&p->mu);
}

/* ---- posterior summaries -------------------------------------------------- */

struct summary {
	double mean, sd, p05, p95;
};

/* Summary of v[n] (v is sorted in place). */
static struct summary summarize(double *v, int n)
{
	struct summary s;

	diag_mean_sd(v, n, &s.mean, &s.sd);
	diag_sort(v, n);
	s.p05 = diag_quantile_sorted(v, n, 0.05);
	s.p95 = diag_quantile_sorted(v, n, 0.95);
	return s;
}

/* ---- the run -------------------------------------------------------------- */

struct run {
	const struct fit_opts *o;
	struct mmm_data d;
	struct mmm_model m;
	struct nuts_chain *ch;
	int n;                 /* draws per chain */
	int N;                 /* all draws */
	double *P;             /* N x dim constrained draws, chain-major */
	double sampling_seconds;
	char start[11], end[11], run_id[128], created[TS_CANON_MAX];
	double *current;       /* C_all: current daily spend per input channel */
	int *live;             /* C_all: index in the model, or -1 */
};

/* Response per day of model channel c at daily spend s, for constrained draw p. */
static double daily_response(const struct mmm_model *m, const double *p, int c, double s, double *ds)
{
	double r = mmm_response(m, p, c, s * m->grain, ds);

	return r / m->grain;
}

struct alloc_arg {
	const struct run *r;
	int *chan;             /* allocation channel -> model channel */
	int draws, stride;
};

static double alloc_objective(int c, double s, void *arg)
{
	const struct alloc_arg *a = arg;
	const struct run *r = a->r;
	double sum = 0;
	int i;

	for (i = 0; i < a->draws; i++)
		sum += daily_response(&r->m, r->P + (size_t)i * a->stride * r->m.dim, a->chan[c], s, NULL);
	return sum / a->draws;
}

static void current_spend(struct run *r)
{
	const struct mmm_data *d = &r->d;
	int days = r->o->current_days, per = d->grain == MMM_GRAIN_WEEK ? (days + 6) / 7 : days, c, t;

	if (per > d->T)
		per = d->T;
	if (per < 1)
		per = 1;
	r->current = xcalloc((size_t)d->C, sizeof *r->current);
	for (c = 0; c < d->C; c++) {
		double s = 0;
		for (t = d->T - per; t < d->T; t++)
			s += d->spend[(size_t)t * d->C + c];
		r->current[c] = s / (per * d->grain);
	}
}

/* Per parameter: diagnostics over the chains of constrained draws. */
struct pstat {
	struct summary s;
	double rhat, ess_bulk, ess_tail, ess_mean;
};

static void param_stats(const struct run *r, struct pstat *ps)
{
	int dim = r->m.dim, j, i, C = r->o->chains;
	double *x = xmalloc((size_t)r->N * sizeof *x);

	for (j = 0; j < dim; j++) {
		for (i = 0; i < r->N; i++)
			x[i] = r->P[(size_t)i * dim + j];
		ps[j].rhat = diag_rhat(x, C, r->n);
		ps[j].ess_bulk = diag_ess_bulk(x, C, r->n);
		ps[j].ess_tail = diag_ess_tail(x, C, r->n);
		ps[j].ess_mean = diag_ess(x, C, r->n);
		ps[j].s = summarize(x, r->N);
	}
	free(x);
}

static void write_summary_json(FILE *f, const struct run *r, const struct pstat *ps)
{
	int j;

	fputc('{', f);
	for (j = 0; j < r->m.dim; j++) {
		if (j)
			fputc(',', f);
		jw_key(f, r->m.name[j]);
		fputs("{\"mean\":", f);
		jw_real(f, ps[j].s.mean);
		fputs(",\"sd\":", f);
		jw_real(f, ps[j].s.sd);
		fputs(",\"p05\":", f);
		jw_real(f, ps[j].s.p05);
		fputs(",\"p95\":", f);
		jw_real(f, ps[j].s.p95);
		fputs(",\"ess_bulk\":", f);
		jw_real(f, ps[j].ess_bulk);
		fputs(",\"ess_tail\":", f);
		jw_real(f, ps[j].ess_tail);
		fputs(",\"ess_mean\":", f);
		jw_real(f, ps[j].ess_mean);
		fputs(",\"rhat\":", f);
		jw_real(f, ps[j].rhat);
		fputc('}', f);
	}
	fputc('}', f);
}

static void write_options_json(FILE *f, const struct run *r)
{
	const struct fit_opts *o = r->o;
	const struct mmm_model *m = &r->m;
	int c;

	fprintf(f, "{\"adstock\":\"%s\",\"max_lag\":%d,\"weekly_harmonics\":%d,\"yearly_harmonics\":%d,"
		"\"controls\":%d,\"target_accept\":", m->adstock == MMM_DELAYED ? "delayed" : "geometric",
		m->L, m->weekly, m->yearly, m->K);
	jw_real(f, o->target_accept);
	fprintf(f, ",\"max_depth\":%d,\"metric\":\"%s\",\"bound_pct\":", o->max_depth,
		o->dense ? "dense" : "diag");
	jw_real(f, o->bound_pct);
	fprintf(f, ",\"current_days\":%d,\"value_per_conversion\":", o->current_days);
	if (o->value > 0)
		jw_real(f, o->value);
	else
		fputs("null", f);
	if (o->value_run_id) {
		fputs(",\"value_source\":{\"table\":\"ltv_priors\",\"segment\":\"all\"", f);
		jw_kv_str(f, "run_id", o->value_run_id);
		jw_kv_real(f, "value_low", o->value_low);
		jw_kv_real(f, "value_high", o->value_high);
		fputc('}', f);
	}
	fputs(",\"scaling\":{\"kpi_mean\":", f);
	jw_real(f, m->y_mean);
	fputs(",\"spend_mean\":{", f);
	for (c = 0; c < m->C; c++) {
		if (c)
			fputc(',', f);
		jw_key(f, r->d.channel[m->chan_index[c]]);
		jw_real(f, m->x_mean[c]);
	}
	fputs("}},\"priors\":{\"channels\":{", f);
	for (c = 0; c < m->C; c++) {
		const struct mmm_prior *p = &m->prior.chan[c];
		if (c)
			fputc(',', f);
		jw_key(f, r->d.channel[m->chan_index[c]]);
		fprintf(f, "{\"alpha\":{\"beta\":[%.17g,%.17g]},\"K\":{\"lognormal\":[%.17g,%.17g]},"
			"\"S\":{\"gamma\":[%.17g,%.17g]},\"rho\":{\"halfnormal\":%.17g}}",
			p->alpha_a, p->alpha_b, p->k_mu, p->k_sd, p->s_shape, p->s_rate, p->rho_sd);
	}
	fprintf(f, "},\"tau\":{\"normal\":[%.17g,%.17g]},\"delta\":{\"normal\":[0,%.17g]},"
		"\"gamma\":{\"normal\":[0,%.17g]},\"zeta\":{\"normal\":[0,%.17g]},"
		"\"sigma\":{\"halfnormal\":%.17g}}}",
		m->prior.tau_mu, m->prior.tau_sd, m->prior.delta_sd, m->prior.gamma_sd,
		m->prior.zeta_sd, m->prior.sigma_sd);
}

static int fit_publish(struct run *r, FILE *out);

/* The bounds must be able to meet the budget; said before sampling, not after. */
static int check_budget(const struct run *r)
{
	const struct mmm_model *m = &r->m;
	double cur = 0, f = r->o->bound_pct / 100;
	int c;

	if (!(r->o->budget > 0))
		return 0;
	for (c = 0; c < m->C; c++)
		cur += r->current[m->chan_index[c]];
	if (r->o->budget < cur * (1 - f) * (1 - 1e-12) || r->o->budget > cur * (1 + f) * (1 + 1e-12)) {
		warn("--budget %.2f cannot be met within %g%% of the current daily spend %.2f "
		     "(%.2f to %.2f); widen --bound-pct", r->o->budget, r->o->bound_pct, cur,
		     cur * (1 - f > 0 ? 1 - f : 0), cur * (1 + f));
		return 2;
	}
	return 0;
}

static int fit_main(struct run *r)
{
	const struct fit_opts *o = r->o;
	struct mmm_model *m = &r->m;
	struct mmm_data *d = &r->d;
	struct nuts_config cfg;
	struct mmm_ctx *ctx;
	void **ctxp;
	struct progress prog;
	struct pstat *ps;
	double *init, t0, max_rhat = 0, min_ess = INFINITY, min_tail = INFINITY, min_ebfmi = INFINITY;
	long long divergences = 0, depth_hits = 0, grad_evals = 0;
	int c, i, j, rc, failed, threads, show;
	char err[512];
	FILE *out = stdout;
	json_t *dx;

	rc = mmm_read(o->input, o->grain, d, err, sizeof err);
	if (rc) {
		warn("%s", err);
		return rc;
	}
	if (d->dropped_days)
		warn("note: %d daily rows after the last whole week left out", d->dropped_days);
	if ((rc = mmm_window(d, o->periods, err, sizeof err))) {
		warn("%s", err);
		return rc;
	}
	for (c = 0; c < d->C; c++)
		if (d->dead[c])
			warn("note: channel %s spent nothing in the window; it is left out of the model "
			     "and gets no budget", d->channel[c]);
	if (o->periods > d->T)
		warn("note: --periods %d is more than the input's %d periods; all of them are used",
		     o->periods, d->T);
	if ((rc = mmm_model_init(m, d, o->adstock, o->max_lag, err, sizeof err))) {
		warn("%s: %s", strcmp(o->input, "-") ? o->input : "<stdin>", err);
		return rc;
	}
	for (j = 0, i = 0; j < d->K; j++) {
		if (i < m->K && m->ctrl_index[i] == j)
			i++;
		else
			warn("note: control %s is constant over the window; it is left out", d->control[j]);
	}
	if (o->priors && load_priors(m, d, o->priors))
		return 2;
	if (o->stan_data && (rc = write_stan_data(m, o->stan_data)))
		return rc;
	mmm_date(d, 0, r->start);
	mmm_end_date(d, r->end);
	if (o->run_id)
		snprintf(r->run_id, sizeof r->run_id, "%s", o->run_id);
	else
		snprintf(r->run_id, sizeof r->run_id, "mmm-%s-s%lu", r->end, o->seed);
	current_spend(r);
	if ((rc = check_budget(r)))
		return rc;

	/* sample */
	nuts_defaults(&cfg, m->dim, o->warmup, o->draws, o->seed);
	cfg.target_accept = o->target_accept;
	cfg.max_depth = o->max_depth;
	cfg.dense = o->dense;
	init = xmalloc((size_t)m->dim * sizeof *init);
	mmm_init_point(m, init);
	cfg.init = init;
	cfg.init_radius = 1.0;
	show = o->progress < 0 ? isatty(2) : o->progress;
	memset(&prog, 0, sizeof prog);
	if (show) {
		pthread_mutex_init(&prog.mu, NULL);
		prog.chains = o->chains;
		prog.iter = xcalloc((size_t)o->chains, sizeof *prog.iter);
		cfg.progress = on_progress;
		cfg.progress_arg = &prog;
	}
	ctx = xmalloc((size_t)o->chains * sizeof *ctx);
	ctxp = xmalloc((size_t)o->chains * sizeof *ctxp);
	for (c = 0; c < o->chains; c++) {
		ctx[c].m = m;
		ctx[c].w = mmm_work_new(m);
		ctxp[c] = &ctx[c];
	}
	threads = o->threads;
	if (threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 && n < o->chains ? (int)n : o->chains;
	}
	r->ch = xcalloc((size_t)o->chains, sizeof *r->ch);
	t0 = now_s();
	failed = nuts_run(&cfg, mmm_logp, ctxp, o->chains, threads, r->ch);
	r->sampling_seconds = now_s() - t0;
	if (show) {
		fputc('\n', stderr);
		pthread_mutex_destroy(&prog.mu);
		free(prog.iter);
	}
	free(init);
	if (failed) {
		for (c = 0; c < o->chains; c++)
			if (r->ch[c].failed)
				warn("%s", r->ch[c].message);
		rc = 70;
		goto done;
	}
	r->n = o->draws;
	r->N = o->chains * o->draws;
	r->P = xmalloc((size_t)r->N * m->dim * sizeof *r->P);
	for (c = 0; c < o->chains; c++) {
		for (i = 0; i < r->n; i++)
			mmm_constrain(m, r->ch[c].theta + (size_t)i * m->dim,
				      r->P + ((size_t)c * r->n + i) * m->dim);
		for (i = 0; i < r->n; i++) {
			divergences += r->ch[c].divergent[i];
			depth_hits += r->ch[c].depth[i] >= o->max_depth;
		}
		grad_evals += r->ch[c].grad_evals;
		{
			double e = diag_ebfmi(r->ch[c].energy, r->n);
			if (e < min_ebfmi)
				min_ebfmi = e;
		}
	}
	ps = xmalloc((size_t)m->dim * sizeof *ps);
	param_stats(r, ps);
	for (j = 0; j < m->dim; j++) {
		double rh = isfinite(ps[j].rhat) ? ps[j].rhat : INFINITY;
		if (rh > max_rhat)
			max_rhat = rh;
		if (isfinite(ps[j].ess_bulk) && ps[j].ess_bulk < min_ess)
			min_ess = ps[j].ess_bulk;
		if (isfinite(ps[j].ess_tail) && ps[j].ess_tail < min_tail)
			min_tail = ps[j].ess_tail;
	}

	/* the diagnosis */
	dx = json_object();
	{
		json_t *th = json_object(), *bad = json_array(), *advice = json_array(), *warns = json_array();
		json_t *dropped = json_array(), *dctl = json_array(), *ss = json_array(), *eb = json_array();
		json_t *cov = NULL;
		int div_fail = divergences > o->div_max * r->N, rhat_fail = !(max_rhat <= o->rhat_max);
		json_object_set_new(th, "max_rhat", json_real(o->rhat_max));
		json_object_set_new(th, "max_divergence_rate", json_real(o->div_max));
		json_object_set_new(dx, "thresholds", th);
		for (j = 0; j < m->dim; j++) {
			double rh = ps[j].rhat;
			if (!(rh <= o->rhat_max)) {
				json_t *b = json_object();
				json_object_set_new(b, "parameter", json_string(m->name[j]));
				json_object_set_new(b, "rhat", isfinite(rh) ? json_real(rh) : json_null());
				json_object_set_new(b, "ess_bulk", isfinite(ps[j].ess_bulk) ?
						    json_real(ps[j].ess_bulk) : json_null());
				json_array_append_new(bad, b);
			}
		}
		json_object_set_new(dx, "failing_parameters", bad);
		if (rhat_fail) {
			json_array_append_new(advice, json_string(
				"chains disagree: run longer (--warmup, --draws) or more chains; the parameters "
				"listed are the ones to look at"));
			json_array_append_new(advice, json_string(
				"K and beta of a channel trade off when its spend never reaches saturation: a "
				"tighter K prior for that channel (--priors) usually settles it"));
			json_array_append_new(advice, json_string(
				"a dense metric (--dense) helps when parameters are strongly correlated"));
		}
		if (div_fail) {
			json_array_append_new(advice, json_string(
				"divergences: raise --target-accept (0.9 to 0.99) so the sampler takes smaller "
				"steps; if they persist the posterior has a region the sampler cannot enter "
				"(tighten the priors on S and K, or use fewer channels)"));
		}
		if (depth_hits)
			json_array_append_new(warns, json_string(
				"transitions hit the maximum tree depth: sampling is slow but still valid; "
				"--max-depth raises the cap"));
		if (min_ebfmi < 0.3)
			json_array_append_new(warns, json_string(
				"E-BFMI below 0.3: the momentum resampling explores the energy poorly; "
				"consider tighter priors or a reparameterisation"));
		if (min_ess < 100 * o->chains / 4.0 && min_ess < 400)
			json_array_append_new(warns, json_string(
				"low bulk ESS: intervals are noisy; run more draws"));
		json_object_set_new(dx, "advice", advice);
		json_object_set_new(dx, "warnings", warns);
		for (c = 0; c < d->C; c++)
			if (d->dead[c])
				json_array_append_new(dropped, json_string(d->channel[c]));
		json_object_set_new(dx, "dropped_channels", dropped);
		for (j = 0, i = 0; j < d->K; j++) {
			if (i < m->K && m->ctrl_index[i] == j)
				i++;
			else
				json_array_append_new(dctl, json_string(d->control[j]));
		}
		json_object_set_new(dx, "dropped_controls", dctl);
		for (c = 0; c < o->chains; c++) {
			json_array_append_new(ss, json_real(r->ch[c].step_size));
			json_array_append_new(eb, json_real(diag_ebfmi(r->ch[c].energy, r->n)));
		}
		json_object_set_new(dx, "step_size", ss);
		json_object_set_new(dx, "ebfmi", eb);
		json_object_set_new(dx, "divergences", json_integer(divergences));
		json_object_set_new(dx, "treedepth_hits", json_integer(depth_hits));
		json_object_set_new(dx, "grad_evals", json_integer(grad_evals));
		/* the uplift covariates: controls named uplift:... */
		{
			const char *use = getenv("AELP2_MMM_USE_UPLIFT");
			int want = use && strcmp(use, "1") == 0, any = 0;
			json_t *list = json_array();
			for (j = 0; j < m->K; j++) {
				const char *nm = d->control[m->ctrl_index[j]];
				int p = m->C * m->npc + 2 + m->F + j;
				if (strncmp(nm, "uplift:", 7) != 0)
					continue;
				json_t *e = json_object();
				json_object_set_new(e, "control", json_string(nm));
				json_object_set_new(e, "kpi_per_sd_mean", json_real(ps[p].s.mean * m->y_mean));
				json_object_set_new(e, "kpi_per_sd_p05", json_real(ps[p].s.p05 * m->y_mean));
				json_object_set_new(e, "kpi_per_sd_p95", json_real(ps[p].s.p95 * m->y_mean));
				json_array_append_new(list, e);
				any = 1;
			}
			if (want || any) {
				cov = json_object();
				json_object_set_new(cov, "source", json_string("segment_scores_daily"));
				json_object_set_new(cov, "requested", json_boolean(want));
				json_object_set_new(cov, "uplift", list);
				if (want && !any)
					json_object_set_new(cov, "note", json_string(
						"AELP2_MMM_USE_UPLIFT=1 but the input has no uplift: controls "
						"(segment_scores_daily is empty for the window?)"));
				json_object_set_new(dx, "covariates", cov);
			} else {
				json_decref(list);
			}
		}
		/* in-sample fit: mean of mu over thinned draws */
		{
			int step = r->N > FIT_DRAWS ? r->N / FIT_DRAWS : 1, k = 0;
			double *mu = xcalloc((size_t)m->T, sizeof *mu), sse = 0, sst = 0, ape = 0, ym = 0;
			for (i = 0; i < r->N; i += step, k++) {
				int cc = i / r->n, ii = i % r->n;
				const double *tp = r->ch[cc].theta + (size_t)ii * m->dim;
				mmm_logp(tp, NULL, &ctx[0]);
				for (j = 0; j < m->T; j++)
					mu[j] += mmm_work_mu(ctx[0].w)[j];
			}
			for (j = 0; j < m->T; j++)
				ym += m->y[j] / m->T;
			for (j = 0; j < m->T; j++) {
				double e = m->y[j] - mu[j] / k;
				sse += e * e;
				sst += (m->y[j] - ym) * (m->y[j] - ym);
				if (m->y[j] != 0)
					ape += fabs(e / m->y[j]);
			}
			json_object_set_new(dx, "r2", json_real(sst > 0 ? 1 - sse / sst : 0));
			json_object_set_new(dx, "mape", json_real(ape / m->T));
			free(mu);
		}
		json_object_set_new(dx, "status", json_string(rhat_fail || div_fail ? "failed" : "ok"));
		failed = rhat_fail || div_fail;
		if (failed) {
			size_t nb = json_array_size(bad);
			warn("diagnostics failed: max R-hat %.4g (limit %.3g), %lld divergences in %d draws "
			     "(limit %.3g%%)", max_rhat, o->rhat_max, divergences, r->N, 100 * o->div_max);
			for (i = 0; i < (int)nb && i < 8; i++) {
				json_t *b = json_array_get(bad, (size_t)i);
				warn("  %s: R-hat %s", json_string_value(json_object_get(b, "parameter")),
				     json_is_null(json_object_get(b, "rhat")) ? "undefined (constant draws)" :
				     "above the limit");
			}
			if (nb > 8)
				warn("  ... and %zu more parameters", nb - 8);
			for (i = 0; i < (int)json_array_size(advice); i++)
				warn("  try: %s", json_string_value(json_array_get(advice, (size_t)i)));
			warn("no curves or allocations are published for this run");
		}
	}
	timestamp_now(r->created, NULL);

	/* mmm_runs */
	fputs("{\"_table\":\"mmm_runs\"", out);
	jw_kv_str(out, "run_id", r->run_id);
	jw_kv_str(out, "status", failed ? "failed_diagnostics" : "ok");
	jw_kv_str(out, "kpi", o->kpi);
	jw_kv_str(out, "grain", d->grain == MMM_GRAIN_WEEK ? "week" : "day");
	jw_kv_str(out, "start_date", r->start);
	jw_kv_str(out, "end_date", r->end);
	fputs(",\"channels\":[", out);
	for (c = 0; c < m->C; c++) {
		const char *nm = d->channel[m->chan_index[c]];
		if (c)
			fputc(',', out);
		jw_str(out, nm, strlen(nm));
	}
	fputs("],\"options\":", out);
	write_options_json(out, r);
	jw_kv_int(out, "chains", o->chains);
	jw_kv_int(out, "warmup", o->warmup);
	jw_kv_int(out, "draws", o->draws);
	jw_kv_int(out, "seed", (long long)o->seed);
	jw_kv_real(out, "max_rhat", max_rhat);
	jw_kv_real(out, "min_ess_bulk", min_ess);
	jw_kv_real(out, "min_ess_tail", min_tail);
	jw_kv_int(out, "divergences", divergences);
	jw_kv_int(out, "treedepth_hits", depth_hits);
	jw_kv_real(out, "min_ebfmi", min_ebfmi);
	jw_kv_real(out, "sampling_seconds", r->sampling_seconds);
	fputs(",\"diagnostics\":", out);
	{
		char *s = json_dumps(dx, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
		fputs(s, out);
		free(s);
	}
	fputs(",\"posterior_summary\":", out);
	write_summary_json(out, r, ps);
	jw_kv_str(out, "created_at", r->created);
	fputs("}\n", out);
	json_decref(dx);

	if (!failed)
		rc = 0;
	else
		rc = 1;
	if (!failed)
		rc = fit_publish(r, out);
	{
		json_t *dj = json_pack("{s:s, s:s, s:f, s:I, s:f}", "run_id", r->run_id, "status",
				       failed ? "failed_diagnostics" : "ok", "max_rhat",
				       isfinite(max_rhat) ? max_rhat : -1.0, "divergences",
				       (json_int_t)divergences, "sampling_seconds", r->sampling_seconds);
		char *det = json_dumps(dj, JSON_COMPACT);
		/* rows_out is the loader's to report: null here, so the step's sum is the rows loaded */
		step_report("mmm-fit", d->T, -1, det);
		free(det);
		json_decref(dj);
	}
	free(ps);
done:
	for (c = 0; c < o->chains; c++) {
		mmm_work_free(ctx[c].w);
		nuts_chain_free(&r->ch[c]);
	}
	free(ctx);
	free(ctxp);
	return rc;
}

/*
 * mmm_allocations and mmm_curves: contributions, ROI and CAC over the window,
 * the allocation for the current total budget, and the response curves.
 */
static int fit_publish(struct run *r, FILE *out)
{
	const struct fit_opts *o = r->o;
	const struct mmm_model *m = &r->m;
	const struct mmm_data *d = &r->d;
	int C = m->C, c, i, k, N = r->N, rc = 0;
	double *contrib = xmalloc((size_t)N * sizeof *contrib), *buf = xmalloc((size_t)m->T * sizeof *buf);
	double *roi = xmalloc((size_t)N * sizeof *roi), *cac = xmalloc((size_t)N * sizeof *cac);
	double *lo = xmalloc((size_t)C * sizeof *lo), *hi = xmalloc((size_t)C * sizeof *hi);
	double *prop = xmalloc((size_t)C * sizeof *prop), *cur = xmalloc((size_t)C * sizeof *cur);
	int *chan = xmalloc((size_t)C * sizeof *chan);
	double budget = 0, value, V = o->value > 0 ? o->value : 1;
	int is_rev = strcmp(o->kpi, "revenue") == 0;
	struct alloc_arg aa;
	struct alloc_problem ap;
	char err[512];

	for (c = 0; c < C; c++) {
		chan[c] = c;
		cur[c] = r->current[m->chan_index[c]];
		budget += cur[c];
		lo[c] = cur[c] * (1 - o->bound_pct / 100);
		hi[c] = cur[c] * (1 + o->bound_pct / 100);
		if (lo[c] < 0)
			lo[c] = 0;
	}
	if (o->budget > 0)
		budget = o->budget;
	aa.r = r;
	aa.chan = chan;
	aa.draws = N < ALLOC_DRAWS ? N : ALLOC_DRAWS;
	aa.stride = N / aa.draws;
	ap = (struct alloc_problem){ C, lo, hi, budget, o->grid, alloc_objective, &aa };
	if ((rc = alloc_solve(&ap, prop, &value, err, sizeof err)) != 0) {
		warn("allocation: %s (--budget, --bound-pct)", err);
		goto out;
	}
	/* mmm_allocations: one row per input channel (dead ones with zeros) */
	for (i = 0; i < d->C; i++) {
		int mc = -1;
		for (c = 0; c < C; c++)
			if (m->chan_index[c] == i)
				mc = c;
		fputs("{\"_table\":\"mmm_allocations\"", out);
		jw_kv_str(out, "run_id", r->run_id);
		jw_kv_str(out, "channel", d->channel[i]);
		if (mc < 0) {
			jw_kv_real(out, "current_daily_spend", 0.0);
			jw_kv_real(out, "proposed_daily_spend", 0.0);
			jw_kv_real(out, "lower_bound", 0.0);
			jw_kv_real(out, "upper_bound", 0.0);
			fputs(",\"at_bound\":null,\"contribution_mean\":0.0,\"contribution_p05\":0.0,"
			      "\"contribution_p95\":0.0,\"roi_mean\":null,\"roi_p05\":null,\"roi_p95\":null,"
			      "\"cac_mean\":null,\"cac_p05\":null,\"cac_p95\":null,\"uncertainty_pct\":null,"
			      "\"expected_kpi\":0.0", out);
		} else {
			double spend_total = m->x_mean[mc] * m->T, tol = 1e-9 * (budget > 0 ? budget : 1);
			struct summary sc, sr, sk;
			for (k = 0; k < N; k++) {
				const double *p = r->P + (size_t)k * m->dim;
				double s = 0;
				mmm_contribution(m, p, mc, buf);
				for (int t = 0; t < m->T; t++)
					s += buf[t];
				contrib[k] = s * m->y_mean;
				roi[k] = contrib[k] * V / spend_total;
				cac[k] = contrib[k] > 0 ? spend_total / contrib[k] : INFINITY;
			}
			sr = summarize(roi, N);
			sk = summarize(cac, N);
			sc = summarize(contrib, N);
			/*
			 * The mean of spend / contribution over draws is ruled by the
			 * draws with the least contribution (it can exceed the 95%
			 * quantile); CAC's "mean" is the spend over the mean contribution.
			 */
			sk.mean = sc.mean > 0 ? spend_total / sc.mean : INFINITY;
			jw_kv_real(out, "current_daily_spend", cur[mc]);
			jw_kv_real(out, "proposed_daily_spend", prop[mc]);
			jw_kv_real(out, "lower_bound", lo[mc]);
			jw_kv_real(out, "upper_bound", hi[mc]);
			jw_kv_str(out, "at_bound", hi[mc] - lo[mc] <= tol ? "both" : prop[mc] <= lo[mc] + tol ? "lower" :
			     prop[mc] >= hi[mc] - tol ? "upper" : NULL);
			jw_kv_real(out, "contribution_mean", sc.mean);
			jw_kv_real(out, "contribution_p05", sc.p05);
			jw_kv_real(out, "contribution_p95", sc.p95);
			jw_kv_real(out, "roi_mean", sr.mean);
			jw_kv_real(out, "roi_p05", sr.p05);
			jw_kv_real(out, "roi_p95", sr.p95);
			if (is_rev) {
				fputs(",\"cac_mean\":null,\"cac_p05\":null,\"cac_p95\":null", out);
			} else {
				jw_kv_real(out, "cac_mean", sk.mean);
				jw_kv_real(out, "cac_p05", sk.p05);
				jw_kv_real(out, "cac_p95", sk.p95);
			}
			jw_kv_real(out, "uncertainty_pct", sr.mean > 0 ? (sr.p95 - sr.p05) / (2 * sr.mean) : NAN);
			jw_kv_real(out, "expected_kpi", alloc_objective(mc, prop[mc], &aa));
		}
		jw_kv_str(out, "created_at", r->created);
		fputs("}\n", out);
	}
	/* mmm_curves */
	for (c = 0; c < C; c++) {
		int np = o->curve_points, pt;
		double top = 2 * cur[c], *resp = xmalloc((size_t)N * sizeof *resp);
		double *mr = xmalloc((size_t)N * sizeof *mr);
		if (!(top > 0))
			top = 2 * m->x_mean[c] / m->grain;   /* nothing spent lately: around the window's mean */
		for (pt = 0; pt < np; pt++) {
			double s = top * pt / (np - 1), s1 = top / (np - 1);
			struct summary sr, sm;
			for (k = 0; k < N; k++) {
				const double *p = r->P + (size_t)k * m->dim;
				double ds;
				resp[k] = daily_response(m, p, c, s, &ds);
				/* at zero spend the slope over the first step (Hill's own can be infinite) */
				mr[k] = (pt == 0 ? daily_response(m, p, c, s1, NULL) / s1 : ds) * V;
			}
			sr = summarize(resp, N);
			sm = summarize(mr, N);
			fputs("{\"_table\":\"mmm_curves\"", out);
			jw_kv_str(out, "run_id", r->run_id);
			jw_kv_str(out, "channel", d->channel[m->chan_index[c]]);
			jw_kv_int(out, "point", pt);
			jw_kv_real(out, "daily_spend", s);
			jw_kv_real(out, "spend_multiple", cur[c] > 0 ? s / cur[c] : NAN);
			jw_kv_real(out, "response_mean", sr.mean);
			jw_kv_real(out, "response_p05", sr.p05);
			jw_kv_real(out, "response_p95", sr.p95);
			jw_kv_real(out, "marginal_roi_mean", sm.mean);
			jw_kv_real(out, "marginal_roi_p05", sm.p05);
			jw_kv_real(out, "marginal_roi_p95", sm.p95);
			jw_kv_str(out, "created_at", r->created);
			fputs("}\n", out);
		}
		free(resp);
		free(mr);
	}
out:
	free(contrib);
	free(buf);
	free(roi);
	free(cac);
	free(lo);
	free(hi);
	free(prop);
	free(cur);
	free(chan);
	return rc;
}

int fit_run(const struct fit_opts *o)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof r);
	r.o = o;
	rc = fit_main(&r);
	free(r.P);
	free(r.ch);
	free(r.current);
	free(r.live);
	mmm_model_free(&r.m);
	mmm_free(&r.d);
	return rc;
}
