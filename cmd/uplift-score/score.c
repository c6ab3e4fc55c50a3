/* One uplift-score run (score.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "metrics.h"
#include "ndjson.h"
#include "score.h"
#include "xoshiro.h"

const char *const up_estimator_name[E_COUNT] = {
	"diff_in_means", "t_learner", "x_learner", "ipw", "dr"
};

static void add_score(struct up_result *r, enum up_estimator est, size_t arm, size_t outcome,
		      const char *segment, const struct up_est *e)
{
	if (r->nscore == r->capscore) {
		r->capscore = r->capscore ? 2 * r->capscore : 64;
		r->score = xrealloc(r->score, r->capscore * sizeof *r->score);
	}
	r->score[r->nscore++] = (struct up_score_row){ est, arm, outcome, segment, *e };
}

static struct up_model_row *add_model(struct up_result *r, enum up_estimator est, size_t arm,
				      size_t outcome)
{
	struct up_model_row *m;
	if (r->nmodel == r->capmodel) {
		r->capmodel = r->capmodel ? 2 * r->capmodel : 16;
		r->model = xrealloc(r->model, r->capmodel * sizeof *r->model);
	}
	m = &r->model[r->nmodel++];
	memset(m, 0, sizeof *m);
	m->est = est;
	m->arm = arm;
	m->outcome = outcome;
	m->qini = m->auuc = NAN;
	return m;
}

void up_result_free(struct up_result *r)
{
	for (size_t i = 0; i < r->nmodel; i++) {
		free(r->model[i].coefficients);
		free(r->model[i].details);
	}
	free(r->model);
	free(r->score);
	free_list(r->qname, r->nq);
	memset(r, 0, sizeof *r);
}

/* ---- JSON text helpers ---- */

struct jbuf {
	char *s;
	size_t n;
	FILE *f;
};

static FILE *jb_open(struct jbuf *b)
{
	b->s = NULL;
	b->n = 0;
	b->f = open_memstream(&b->s, &b->n);
	if (!b->f)
		die(70, "open_memstream: out of memory");
	return b->f;
}

static char *jb_close(struct jbuf *b)
{
	if (fclose(b->f) != 0)
		die(70, "open_memstream: out of memory");
	return b->s;
}

static void j_array(FILE *f, const char *key, const double *v, size_t p, int first)
{
	if (!first)
		fputc(',', f);
	jw_key(f, key);
	fputc('[', f);
	for (size_t j = 0; j < p; j++) {
		if (j)
			fputc(',', f);
		jw_real(f, v[j]);
	}
	fputc(']', f);
}

/* ---- one arm against control, one outcome ---- */

struct pair {
	const struct up_data *d;
	const struct up_opts *o;
	size_t arm, out;
	const double *y;
	enum glm_family fam;
	unsigned char *t;          /* by unit */
	size_t *S, m;              /* the arm's and control's units */
	size_t **seg, *nseg_units; /* by segment (0 = all, then each level): units of S */
	size_t nsegs;
	const int *fold;
	double *ehat;              /* by unit, when propensity */
	size_t *Strim, mtrim;
	FILE *pred;
	struct glm_fit *ctl;       /* the outcome's control model, shared by the arms */
	const struct glm_rows *rows; /* the design's nonzeros */
};

/* units of S in each segment ("all" first) */
static void split_segments(const struct up_data *d, const size_t *S, size_t m, size_t ***seg,
			   size_t **cnt, size_t *nsegs)
{
	size_t ns = 1 + (d->has_segment ? d->nseg : 0);
	*seg = xcalloc(ns, sizeof **seg);
	*cnt = xcalloc(ns, sizeof **cnt);
	*nsegs = ns;
	for (size_t s = 0; s < ns; s++)
		(*seg)[s] = xmalloc((m ? m : 1) * sizeof ***seg);
	for (size_t k = 0; k < m; k++) {
		size_t i = S[k];
		(*seg)[0][(*cnt)[0]++] = i;
		if (d->has_segment) {
			size_t s = 1 + (size_t)d->unit_seg[i];
			(*seg)[s][(*cnt)[s]++] = i;
		}
	}
}

static void free_segments(size_t **seg, size_t *cnt, size_t ns)
{
	for (size_t s = 0; s < ns; s++)
		free(seg[s]);
	free(seg);
	free(cnt);
}

static const char *seg_name(const struct up_data *d, size_t s)
{
	return s == 0 ? "all" : d->seg_level[s - 1];
}

static double share_treated(const unsigned char *t, const size_t *idx, size_t m)
{
	size_t k = 0;
	for (size_t j = 0; j < m; j++)
		k += t[idx[j]];
	return m ? (double)k / (double)m : NAN;
}

static double xl_g(const struct pair *P, size_t i, double share)
{
	return P->ehat ? P->ehat[i] : share;
}

/*
 * Out-of-fold predictions of a learner (est) over S into tau (by position
 * in S); in-sample from `full` when folds == 1.
 */
static int oof_predict(const struct pair *P, enum up_estimator est, const void *full,
		       double *tau, char *err, size_t errsz)
{
	const struct up_data *d = P->d;
	size_t p = d->p;
	int F = P->o->folds;

	if (F <= 1) {
		double share = share_treated(P->t, P->S, P->m);
		for (size_t k = 0; k < P->m; k++) {
			const double *x = d->X + P->S[k] * p;
			tau[k] = est == E_TL ? tl_predict(full, x)
					     : xl_predict(full, x, xl_g(P, P->S[k], share));
		}
		return 0;
	}
	for (int f = 0; f < F; f++) {
		size_t *train = xmalloc((P->m ? P->m : 1) * sizeof *train), nt = 0;
		char e2[300];
		int rc;
		for (size_t k = 0; k < P->m; k++)
			if (P->fold[P->S[k]] != f)
				train[nt++] = P->S[k];
		if (est == E_TL) {
			struct tl_model fit;
			rc = tl_fit(d->X, p, P->y, P->fam, P->t, train, nt, NULL, P->o->l2, full, 0, &fit,
				    e2, sizeof e2);
			if (rc == 0) {
				for (size_t k = 0; k < P->m; k++)
					if (P->fold[P->S[k]] == f)
						tau[k] = tl_predict(&fit, d->X + P->S[k] * p);
				tl_free(&fit);
			}
		} else {
			struct xl_model fit;
			double share = share_treated(P->t, train, nt);
			rc = xl_fit(d->X, p, P->y, P->fam, P->t, train, nt, NULL, P->o->l2, full, &fit, e2,
				    sizeof e2);
			if (rc == 0) {
				for (size_t k = 0; k < P->m; k++)
					if (P->fold[P->S[k]] == f)
						tau[k] = xl_predict(&fit, d->X + P->S[k] * p,
								    xl_g(P, P->S[k], share));
				xl_free(&fit);
			}
		}
		free(train);
		if (rc)
			return errorf(err, errsz, 65, "fold %d of %d: %s", f + 1, F, e2);
	}
	return 0;
}

static int cmp_rank_desc(const void *a, const void *b, void *ctx)
{
	const double *tau = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	if (tau[i] != tau[j])
		return tau[i] > tau[j] ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* Qini, AUUC, quantile segments and prediction lines of a learner's tau over S. */
static void learner_outputs(const struct pair *P, enum up_estimator est, const double *tau,
			    struct up_model_row *mr, struct up_result *r)
{
	const struct up_data *d = P->d;
	size_t m = P->m;

	if (d->binary[P->out] && m > 0) {
		double *yy = xmalloc(m * sizeof *yy);
		unsigned char *tt = xmalloc(m);
		for (size_t k = 0; k < m; k++) {
			yy[k] = P->y[P->S[k]];
			tt[k] = P->t[P->S[k]];
		}
		uplift_scores(yy, tt, tau, m, &mr->qini, &mr->auuc);
		free(yy);
		free(tt);
	}
	if (P->o->quantiles > 0 && m > 0) {
		size_t K = (size_t)P->o->quantiles, *pos = xmalloc(m * sizeof *pos);
		size_t **q = xcalloc(K, sizeof *q), *qn = xcalloc(K, sizeof *qn);
		for (size_t k = 0; k < m; k++)
			pos[k] = k;
		qsort_r(pos, m, sizeof *pos, cmp_rank_desc, (void *)tau);
		for (size_t k = 0; k < K; k++)
			q[k] = xmalloc(m * sizeof **q);
		for (size_t rk = 0; rk < m; rk++) {
			size_t b = rk * K / m;
			q[b][qn[b]++] = P->S[pos[rk]];
		}
		for (size_t k = 0; k < K; k++) {
			struct up_est e;
			if (P->o->boot_interval)
				dim_bootstrap(P->y, P->t, q[k], qn[k], P->o->boot_dim, P->o->seed + k, &e);
			else
				dim_normal(P->y, P->t, q[k], qn[k], &e);
			add_score(r, est, P->arm, P->out, r->qname[k], &e);
			free(q[k]);
		}
		free(q);
		free(qn);
		free(pos);
	}
	if (P->pred)
		for (size_t k = 0; k < m; k++) {
			size_t i = P->S[k];
			fputs("{\"id\":", P->pred);
			if (d->id_int[i])
				fputs(intern_str(&d->ids, i), P->pred);
			else
				jw_str(P->pred, intern_str(&d->ids, i), intern_len(&d->ids, i));
			jw_kv_str(P->pred, "model", up_estimator_name[est]);
			jw_kv_str(P->pred, "arm", d->arm[P->arm]);
			jw_kv_int(P->pred, "treated", P->t[i]);
			jw_kv_str(P->pred, "outcome", d->outcome[P->out]);
			jw_kv_real(P->pred, "y", P->y[i]);
			jw_kv_real(P->pred, "uplift", tau[k]);
			fputs("}\n", P->pred);
		}
}

static char *learner_details(const struct pair *P, const char *interval, int B,
			     const struct glm_fit *c, const struct glm_fit *t,
			     const struct glm_fit *prop)
{
	struct jbuf b;
	FILE *f = jb_open(&b);
	fprintf(f, "{\"folds\":%d,\"seed\":%llu,\"l2\":", P->o->folds, (unsigned long long)P->o->seed);
	jw_real(f, P->o->l2);
	fprintf(f, ",\"interval\":\"%s\"", interval);
	if (B > 0)
		fprintf(f, ",\"bootstrap\":%d", B);
	if (c && t)
		fprintf(f, ",\"iterations\":{\"control\":%d,\"treated\":%d},\"converged\":%s",
			c->iterations, t->iterations, c->converged && t->converged ? "true" : "false");
	if (prop) {
		fprintf(f, ",\"propensity\":{\"trim\":");
		jw_real(f, P->o->trim);
		fprintf(f, ",\"trimmed\":%zu,\"iterations\":%d}", P->m - P->mtrim, prop->iterations);
	}
	fputc('}', f);
	return jb_close(&b);
}

static int run_pair(struct pair *P, struct up_result *r, char *err, size_t errsz)
{
	const struct up_data *d = P->d;
	const struct up_opts *o = P->o;
	size_t p = d->p, ns = P->nsegs;
	struct glm_fit prop = { 0 };
	struct tl_model tl = { 0 };
	int have_tl = 0, rc = 0;
	char e2[400];
	double *tau = xmalloc((P->m ? P->m : 1) * sizeof *tau);

	/* propensity */
	if (o->propensity) {
		double *tv = xcalloc(d->n, sizeof *tv);
		for (size_t k = 0; k < P->m; k++)
			tv[P->S[k]] = P->t[P->S[k]];
		rc = glm_fit(GLM_LOGISTIC, d->X, p, tv, P->S, P->m, NULL, o->l2, NULL, 1, &prop, e2,
			     sizeof e2);
		free(tv);
		if (rc) {
			rc = errorf(err, errsz, 65, "propensity model: %s", e2);
			goto out;
		}
		P->ehat = xcalloc(d->n, sizeof *P->ehat);
		P->Strim = xmalloc((P->m ? P->m : 1) * sizeof *P->Strim);
		P->mtrim = 0;
		for (size_t k = 0; k < P->m; k++) {
			size_t i = P->S[k];
			double e = glm_mean(GLM_LOGISTIC, glm_eta(d->X + i * p, prop.beta, p));
			P->ehat[i] = e;
			if (e >= o->trim && e <= 1 - o->trim)
				P->Strim[P->mtrim++] = i;
		}
		r->trimmed += P->m - P->mtrim;
	}

	if (o->want[E_DIM]) {
		struct up_model_row *mr;
		struct jbuf b;
		FILE *f;
		for (size_t s = 0; s < ns; s++) {
			struct up_est e;
			if (o->boot_interval)
				dim_bootstrap(P->y, P->t, P->seg[s], P->nseg_units[s], o->boot_dim,
					      o->seed + s, &e);
			else
				dim_normal(P->y, P->t, P->seg[s], P->nseg_units[s], &e);
			add_score(r, E_DIM, P->arm, P->out, seg_name(d, s), &e);
		}
		mr = add_model(r, E_DIM, P->arm, P->out);
		mr->training_rows = (long long)P->m;
		f = jb_open(&b);
		if (o->boot_interval)
			fprintf(f, "{\"interval\":\"bootstrap\",\"bootstrap\":%d,\"seed\":%llu}", o->boot_dim,
				(unsigned long long)o->seed);
		else
			fputs("{\"interval\":\"normal\"}", f);
		mr->details = jb_close(&b);
	}

	if (o->want[E_TL] || o->want[E_XL]) {
		rc = tl_fit_ctl(P->rows, P->y, P->fam, P->t, P->S, P->m, NULL, o->l2, NULL, 1, P->ctl,
				&tl, e2, sizeof e2);
		if (rc) {
			rc = errorf(err, errsz, 65, "t_learner: %s", e2);
			goto out;
		}
		have_tl = 1;
	}

	if (o->want[E_TL]) {
		struct up_model_row *mr;
		struct jbuf b;
		FILE *f;
		for (size_t s = 0; s < ns; s++) {
			struct up_est e;
			tl_segment(&tl, d->X, P->t, P->seg[s], P->nseg_units[s], &e);
			add_score(r, E_TL, P->arm, P->out, seg_name(d, s), &e);
		}
		mr = add_model(r, E_TL, P->arm, P->out);
		mr->training_rows = (long long)P->m;
		mr->with_features = 1;
		f = jb_open(&b);
		fputc('{', f);
		j_array(f, "control", tl.c.beta, p, 1);
		j_array(f, "treated", tl.t.beta, p, 0);
		if (o->propensity)
			j_array(f, "propensity", prop.beta, p, 0);
		fputc('}', f);
		mr->coefficients = jb_close(&b);
		mr->details = learner_details(P, "delta", 0, &tl.c, &tl.t, o->propensity ? &prop : NULL);
		rc = oof_predict(P, E_TL, &tl, tau, e2, sizeof e2);
		if (rc) {
			rc = errorf(err, errsz, 65, "t_learner: %s", e2);
			goto out;
		}
		learner_outputs(P, E_TL, tau, mr, r);
	}

	if (o->want[E_XL]) {
		struct xl_model xl;
		struct up_model_row *mr;
		struct jbuf b;
		FILE *f;
		double share = share_treated(P->t, P->S, P->m);
		int B = o->boot_xl;
		double **rep = xcalloc(ns, sizeof *rep);
		size_t *nrep = xcalloc(ns, sizeof *nrep), na[2] = { 0, 0 }, *arm[2];
		double *w = xcalloc(d->n, sizeof *w);
		uint64_t rs[4];

		rc = xl_fit(d->X, p, P->y, P->fam, P->t, P->S, P->m, NULL, o->l2, NULL, &xl, e2, sizeof e2);
		if (rc) {
			free(rep);
			free(nrep);
			free(w);
			rc = errorf(err, errsz, 65, "x_learner: %s", e2);
			goto out;
		}
		/* bootstrap over units, resampled within arms */
		arm[0] = xmalloc((P->m ? P->m : 1) * sizeof *arm[0]);
		arm[1] = xmalloc((P->m ? P->m : 1) * sizeof *arm[1]);
		for (size_t k = 0; k < P->m; k++)
			arm[P->t[P->S[k]]][na[P->t[P->S[k]]]++] = P->S[k];
		for (size_t s = 0; s < ns; s++)
			rep[s] = xmalloc((size_t)(B > 0 ? B : 1) * sizeof **rep);
		xoshiro_seed(rs, o->seed ^ (0x9e3779b97f4a7c15ULL * (P->arm * 131 + P->out + 1)));
		for (int bi = 0; bi < B; bi++) {
			struct xl_model bx;
			for (size_t k = 0; k < P->m; k++)
				w[P->S[k]] = 0;
			for (int a = 0; a < 2; a++)
				for (size_t k = 0; k < na[a]; k++)
					w[arm[a][up_below(rs, na[a])]] += 1;
			if (xl_fit(d->X, p, P->y, P->fam, P->t, P->S, P->m, w, o->l2, &xl, &bx, e2,
				   sizeof e2) != 0)
				continue;   /* a degenerate replicate: left out */
			for (size_t s = 0; s < ns; s++) {
				double sw = 0, st = 0;
				for (size_t k = 0; k < P->nseg_units[s]; k++) {
					size_t i = P->seg[s][k];
					if (w[i] == 0)
						continue;
					sw += w[i];
					st += w[i] * xl_predict(&bx, d->X + i * p, xl_g(P, i, share));
				}
				if (sw > 0)
					rep[s][nrep[s]++] = st / sw;
			}
			xl_free(&bx);
		}
		for (size_t s = 0; s < ns; s++) {
			struct up_est e = { 0 };
			double st = 0;
			for (size_t k = 0; k < P->nseg_units[s]; k++) {
				size_t i = P->seg[s][k];
				st += xl_predict(&xl, d->X + i * p, xl_g(P, i, share));
				e.nt += P->t[i];
				e.nc += !P->t[i];
			}
			e.uplift = P->nseg_units[s] ? st / (double)P->nseg_units[s] : NAN;
			e.low = nrep[s] ? quantile(rep[s], nrep[s], 0.05) : NAN;
			e.high = nrep[s] ? quantile(rep[s], nrep[s], 0.95) : NAN;
			add_score(r, E_XL, P->arm, P->out, seg_name(d, s), &e);
			free(rep[s]);
		}
		free(rep);
		free(nrep);
		free(w);
		free(arm[0]);
		free(arm[1]);
		mr = add_model(r, E_XL, P->arm, P->out);
		mr->training_rows = (long long)P->m;
		mr->with_features = 1;
		f = jb_open(&b);
		fputc('{', f);
		j_array(f, "control", xl.base.c.beta, p, 1);
		j_array(f, "treated", xl.base.t.beta, p, 0);
		j_array(f, "tau_control", xl.tc.beta, p, 0);
		j_array(f, "tau_treated", xl.tt.beta, p, 0);
		if (o->propensity)
			j_array(f, "propensity", prop.beta, p, 0);
		fputc('}', f);
		mr->coefficients = jb_close(&b);
		mr->details = learner_details(P, "bootstrap", B, &xl.base.c, &xl.base.t,
					      o->propensity ? &prop : NULL);
		rc = oof_predict(P, E_XL, &xl, tau, e2, sizeof e2);
		xl_free(&xl);
		if (rc) {
			rc = errorf(err, errsz, 65, "x_learner: %s", e2);
			goto out;
		}
		learner_outputs(P, E_XL, tau, mr, r);
	}

	if (o->propensity && (o->want[E_IPW] || o->want[E_DR])) {
		size_t **tseg, *tcnt, tns;
		split_segments(d, P->Strim, P->mtrim, &tseg, &tcnt, &tns);
		if (o->want[E_IPW]) {
			struct up_model_row *mr;
			struct jbuf b;
			FILE *f;
			for (size_t s = 0; s < tns; s++) {
				struct up_est e;
				ipw_estimate(P->y, P->t, P->ehat, tseg[s], tcnt[s], &e);
				add_score(r, E_IPW, P->arm, P->out, seg_name(d, s), &e);
			}
			mr = add_model(r, E_IPW, P->arm, P->out);
			mr->training_rows = (long long)P->mtrim;
			mr->with_features = 1;
			f = jb_open(&b);
			fputc('{', f);
			j_array(f, "propensity", prop.beta, p, 1);
			fputc('}', f);
			mr->coefficients = jb_close(&b);
			mr->details = learner_details(P, "influence", 0, NULL, NULL, &prop);
		}
		if (o->want[E_DR]) {
			struct tl_model dtl;
			struct up_model_row *mr;
			struct jbuf b;
			FILE *f;
			double *m1, *m0;
			rc = tl_fit(d->X, p, P->y, P->fam, P->t, P->Strim, P->mtrim, NULL, o->l2, NULL, 0,
				    &dtl, e2, sizeof e2);
			if (rc) {
				free_segments(tseg, tcnt, tns);
				rc = errorf(err, errsz, 65, "dr outcome models: %s", e2);
				goto out;
			}
			m1 = xcalloc(d->n, sizeof *m1);
			m0 = xcalloc(d->n, sizeof *m0);
			for (size_t k = 0; k < P->mtrim; k++) {
				size_t i = P->Strim[k];
				const double *x = d->X + i * p;
				m1[i] = glm_mean(P->fam, glm_eta(x, dtl.t.beta, p));
				m0[i] = glm_mean(P->fam, glm_eta(x, dtl.c.beta, p));
			}
			for (size_t s = 0; s < tns; s++) {
				struct up_est e;
				dr_estimate(P->y, P->t, P->ehat, m1, m0, tseg[s], tcnt[s], &e);
				add_score(r, E_DR, P->arm, P->out, seg_name(d, s), &e);
			}
			mr = add_model(r, E_DR, P->arm, P->out);
			mr->training_rows = (long long)P->mtrim;
			mr->with_features = 1;
			f = jb_open(&b);
			fputc('{', f);
			j_array(f, "control", dtl.c.beta, p, 1);
			j_array(f, "treated", dtl.t.beta, p, 0);
			j_array(f, "propensity", prop.beta, p, 0);
			fputc('}', f);
			mr->coefficients = jb_close(&b);
			mr->details = learner_details(P, "influence", 0, &dtl.c, &dtl.t, &prop);
			free(m1);
			free(m0);
			tl_free(&dtl);
		}
		free_segments(tseg, tcnt, tns);
	}
out:
	if (have_tl)
		tl_free(&tl);
	glm_free(&prop);
	free(P->ehat);
	free(P->Strim);
	P->ehat = NULL;
	P->Strim = NULL;
	free(tau);
	return rc;
}

int up_score(const struct up_data *d, const struct up_opts *o, struct up_result *r, FILE *pred,
	     char *err, size_t errsz)
{
	int *fold = xmalloc((d->n ? d->n : 1) * sizeof *fold), rc = 0;
	size_t *perm = xmalloc((d->n ? d->n : 1) * sizeof *perm);
	unsigned char *t = xcalloc(d->n ? d->n : 1, 1);
	size_t *S = xmalloc((d->n ? d->n : 1) * sizeof *S);
	struct glm_fit *ctl = xcalloc(d->nout ? d->nout : 1, sizeof *ctl);
	struct glm_rows rows;
	uint64_t s[4];

	memset(r, 0, sizeof *r);
	glm_rows_init(&rows, d->X, d->p, NULL, d->n);
	if (o->quantiles > 0) {
		r->nq = (size_t)o->quantiles;
		r->qname = xmalloc(r->nq * sizeof *r->qname);
		for (size_t k = 0; k < r->nq; k++)
			r->qname[k] = xasprintf("q%zu", k + 1);
	}
	/* folds: a seeded permutation dealt round-robin */
	xoshiro_seed(s, o->seed);
	for (size_t i = 0; i < d->n; i++)
		perm[i] = i;
	for (size_t i = d->n; i > 1; i--) {
		size_t j = up_below(s, i), tmp = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = tmp;
	}
	for (size_t k = 0; k < d->n; k++)
		fold[perm[k]] = (int)(k % (size_t)(o->folds > 0 ? o->folds : 1));

	for (size_t a = 0; a < d->narm && rc == 0; a++) {
		size_t m = 0;
		for (size_t i = 0; i < d->n; i++) {
			t[i] = d->unit_arm[i] == (int)a;
			if (d->unit_arm[i] == (int)a || d->unit_arm[i] == -1)
				S[m++] = i;
		}
		for (size_t k = 0; k < d->nout && rc == 0; k++) {
			struct pair P = { .d = d, .o = o, .arm = a, .out = k, .y = d->y[k],
					  .fam = d->binary[k] ? GLM_LOGISTIC : GLM_GAUSSIAN, .t = t,
					  .S = S, .m = m, .fold = fold, .pred = pred, .ctl = &ctl[k],
					  .rows = &rows };
			char e2[600];
			split_segments(d, S, m, &P.seg, &P.nseg_units, &P.nsegs);
			rc = run_pair(&P, r, e2, sizeof e2);
			if (rc)
				errorf(err, errsz, rc, "arm '%s', outcome '%s': %s", d->arm[a], d->outcome[k], e2);
			free_segments(P.seg, P.nseg_units, P.nsegs);
		}
	}
	for (size_t k = 0; k < d->nout; k++)
		glm_free(&ctl[k]);
	free(ctl);
	glm_rows_free(&rows);
	free(fold);
	free(perm);
	free(t);
	free(S);
	return rc;
}
