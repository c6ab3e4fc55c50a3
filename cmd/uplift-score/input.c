/* uplift-score's input (input.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "input.h"
#include "jscan.h"
#include "ndjson.h"

int split_list(const char *s, char ***out, size_t *n)
{
	char **v = NULL;
	size_t k = 0;
	const char *p = s;

	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0) {
			free_list(v, k);
			return -1;
		}
		v = xrealloc(v, (k + 1) * sizeof *v);
		v[k++] = xstrndup(p, len);
		if (!e)
			break;
		p = e + 1;
	}
	*out = v;
	*n = k;
	return 0;
}

void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

const char *up_where(const struct up_data *d, size_t i, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s:%lu", d->file[d->unit_file[i]], d->unit_line[i]);
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* a JSON scalar as text for names: string itself, integer digits, true/false */
static char *scalar_text(const struct jv *v)
{
	char buf[40];
	switch (v->kind) {
	case JV_STRING: return xstrndup(v->s, v->n);
	case JV_INT: return xasprintf("%lld", v->i);
	case JV_REAL: fmt_real(buf, v->d); return xstrdup(buf);
	case JV_BOOL: return xstrdup(v->d ? "true" : "false");
	default: return NULL;
	}
}

struct rawcov {
	int kind;            /* 0 not yet seen, 1 number/boolean, 2 string */
	double *v;           /* by unit: the number, or the level index */
	struct intern lev;
};

void up_data_free(struct up_data *d)
{
	intern_free(&d->ids);
	free_list(d->file, d->nfile);
	free(d->unit_file);
	free(d->unit_line);
	free(d->id_int);
	free(d->control);
	free_list(d->arm, d->narm);
	free(d->unit_arm);
	for (size_t k = 0; k < d->nout; k++)
		free(d->y[k]);
	free(d->y);
	free_list(d->outcome, d->nout);
	free(d->binary);
	free_list(d->seg_level, d->nseg);
	free(d->unit_seg);
	free_list(d->feature, d->p);
	free(d->X);
	memset(d, 0, sizeof *d);
}

int up_read(char **files, size_t nfiles, const struct up_config *c, struct up_data *d,
	    char *err, size_t errsz)
{
	struct intern tv = { 0 }, seg = { 0 };
	int *unit_tv = NULL, *unit_segraw = NULL, any_name = 0, rc = 0;
	unsigned long *first_line = NULL;  /* by id: for duplicate messages */
	struct rawcov *rc_cov = xcalloc(c->ncov ? c->ncov : 1, sizeof *rc_cov);
	size_t cap = 0, ntv;
	long ctl;
	char *stdin_name[1] = { NULL };
	/* the members read: id, treatment, segment, outcomes, covariates */
	size_t K_OUT = 2 + (c->segment != NULL), K_COV = K_OUT + c->nout, nkey = K_COV + c->ncov;
	const char **keys = xmalloc(nkey * sizeof *keys);
	struct jv *jv = xmalloc(nkey * sizeof *jv);
	struct jscan js;

	keys[0] = c->id;
	keys[1] = c->treatment;
	if (c->segment)
		keys[2] = c->segment;
	for (size_t k = 0; k < c->nout; k++)
		keys[K_OUT + k] = c->outcomes[k];
	for (size_t k = 0; k < c->ncov; k++)
		keys[K_COV + k] = c->covariates[k];
	jscan_init(&js, keys, nkey);
	memset(d, 0, sizeof *d);
	d->nout = c->nout;
	d->outcome = xcalloc(c->nout, sizeof *d->outcome);
	d->y = xcalloc(c->nout, sizeof *d->y);
	d->binary = xcalloc(c->nout, sizeof *d->binary);
	for (size_t k = 0; k < c->nout; k++) {
		d->outcome[k] = xstrdup(c->outcomes[k]);
		d->binary[k] = 1;
	}
	d->has_segment = c->segment != NULL;
	if (nfiles == 0) {
		files = stdin_name;
		nfiles = 1;
	}
	d->file = xcalloc(nfiles, sizeof *d->file);

	for (size_t f = 0; f < nfiles; f++) {
		struct nd_reader *r = nd_open(files[f]);
		struct nd_line l;
		d->file[d->nfile++] = xstrdup(nd_name(r));
		while (nd_next(r, &l)) {
			const struct jv *v;
			size_t i = d->n;
			const char *why = NULL;
			char *s = NULL;
			long before;

			if (i == cap) {
				cap = cap ? 2 * cap : 1024;
				unit_tv = xrealloc(unit_tv, cap * sizeof *unit_tv);
				unit_segraw = xrealloc(unit_segraw, cap * sizeof *unit_segraw);
				first_line = xrealloc(first_line, cap * sizeof *first_line);
				d->unit_file = xrealloc(d->unit_file, cap * sizeof *d->unit_file);
				d->unit_line = xrealloc(d->unit_line, cap * sizeof *d->unit_line);
				d->id_int = xrealloc(d->id_int, cap);
				for (size_t k = 0; k < c->nout; k++)
					d->y[k] = xrealloc(d->y[k], cap * sizeof **d->y);
				for (size_t k = 0; k < c->ncov; k++)
					rc_cov[k].v = xrealloc(rc_cov[k].v, cap * sizeof *rc_cov[k].v);
			}
			if (jscan_line(&js, l.text, l.len, jv) != 0) {
				rc = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), l.lineno, js.why);
				nd_close(r);
				goto out;
			}
			/* id */
			v = &jv[0];
			if (v->kind == JV_ABSENT || v->kind == JV_NULL) {
				why = "no id";
				goto bad_why;
			}
			if (v->kind != JV_STRING && v->kind != JV_INT) {
				why = "the id is not a string or an integer";
				goto bad_why;
			}
			{
				/* the id's text in place (a string) or in idbuf (an integer) */
				char idbuf[32];
				const char *is = idbuf;
				size_t il;
				if (v->kind == JV_INT) {
					il = (size_t)snprintf(idbuf, sizeof idbuf, "%lld", v->i);
				} else {
					is = v->s;
					il = strlen(v->s);   /* as far as a NUL, as before */
				}
				d->id_int[i] = v->kind == JV_INT;
				/* one lookup: an id already there leaves the count unchanged */
				before = (long)intern_add(&d->ids, is, il);
				if (intern_count(&d->ids) == i) {
					rc = errorf(err, errsz, 65, "%s:%lu: duplicate id '%s' (first on %s:%lu)",
						    nd_name(r), l.lineno, intern_str(&d->ids, (size_t)before),
						    d->file[d->unit_file[before]], d->unit_line[before]);
					nd_close(r);
					goto out;
				}
			}
			d->unit_file[i] = (unsigned)f;
			d->unit_line[i] = l.lineno;
			first_line[i] = l.lineno;
			d->n++;
			/* treatment */
			v = &jv[1];
			if (v->kind == JV_ABSENT || v->kind == JV_NULL) {
				why = "no treatment value";
				goto bad_why;
			}
			if (v->kind == JV_STRING) {
				unit_tv[i] = (int)intern_add(&tv, v->s, strlen(v->s));
				any_name = 1;
			} else if (v->kind == JV_BOOL || (jv_is_number(v) && (v->d == 0 || v->d == 1))) {
				unit_tv[i] = (int)intern_add(&tv, v->d == 1 ? "1" : "0", 1);
			} else {
				why = "the treatment is not a name or 0/1/true/false";
				goto bad_why;
			}
			/* outcomes */
			for (size_t k = 0; k < c->nout; k++) {
				double y;
				v = &jv[K_OUT + k];
				if (v->kind == JV_BOOL || jv_is_number(v))
					y = v->d;
				else {
					rc = errorf(err, errsz, 65, "%s:%lu: outcome '%s' %s", nd_name(r),
						    l.lineno, c->outcomes[k],
						    v->kind == JV_ABSENT || v->kind == JV_NULL ? "missing" :
						    "is not a number");
					nd_close(r);
					goto out;
				}
				if (!isfinite(y)) {
					rc = errorf(err, errsz, 65, "%s:%lu: outcome '%s' is not finite",
						    nd_name(r), l.lineno, c->outcomes[k]);
					nd_close(r);
					goto out;
				}
				d->y[k][i] = y;
				if (y != 0 && y != 1)
					d->binary[k] = 0;
			}
			/* segment */
			if (c->segment) {
				s = scalar_text(&jv[2]);
				if (!s) {
					rc = errorf(err, errsz, 65, "%s:%lu: segment '%s' missing or not a "
						    "string, number or boolean", nd_name(r), l.lineno, c->segment);
					nd_close(r);
					goto out;
				}
				unit_segraw[i] = (int)intern_add(&seg, s, strlen(s));
				free(s);
				s = NULL;
			}
			/* covariates */
			for (size_t k = 0; k < c->ncov; k++) {
				struct rawcov *cv = &rc_cov[k];
				int kind;
				v = &jv[K_COV + k];
				if (v->kind == JV_ABSENT || v->kind == JV_NULL) {
					rc = errorf(err, errsz, 65, "%s:%lu: covariate '%s' missing", nd_name(r),
						    l.lineno, c->covariates[k]);
					nd_close(r);
					goto out;
				}
				kind = v->kind == JV_STRING ? 2 : jv_is_number(v) || v->kind == JV_BOOL ? 1 : 0;
				if (kind == 0 || (cv->kind && kind != cv->kind)) {
					rc = errorf(err, errsz, 65, "%s:%lu: covariate '%s' is %s", nd_name(r),
						    l.lineno, c->covariates[k],
						    kind == 0 ? "not a number, boolean or string" :
						    kind == 2 ? "a string where earlier rows have numbers" :
						    "a number where earlier rows have strings");
					nd_close(r);
					goto out;
				}
				cv->kind = kind;
				if (kind == 2)
					cv->v[i] = (double)intern_add(&cv->lev, v->s, v->n);
				else
					cv->v[i] = v->d;
				if (!isfinite(cv->v[i])) {
					rc = errorf(err, errsz, 65, "%s:%lu: covariate '%s' is not finite",
						    nd_name(r), l.lineno, c->covariates[k]);
					nd_close(r);
					goto out;
				}
			}
			continue;
bad_why:
			rc = errorf(err, errsz, 65, "%s:%lu: %s", nd_name(r), l.lineno, why);
			nd_close(r);
			goto out;
		}
		nd_close(r);
	}
	if (d->n == 0) {
		rc = errorf(err, errsz, 65, "no rows in the input");
		goto out;
	}

	/* arms */
	d->indicator = !any_name;
	if (c->control) {
		const char *cn = c->control;
		if (d->indicator)
			cn = strcmp(cn, "true") == 0 ? "1" : strcmp(cn, "false") == 0 ? "0" : cn;
		d->control = xstrdup(cn);
	} else if (d->indicator) {
		d->control = xstrdup("0");
	} else {
		rc = errorf(err, errsz, 2, "--control: the treatment column '%s' holds arm names; "
			    "name the control arm", c->treatment);
		goto out;
	}
	ntv = intern_count(&tv);
	ctl = intern_find(&tv, d->control, strlen(d->control));
	if (ctl < 0) {
		rc = errorf(err, errsz, 65, "no unit in the control arm '%s'", d->control);
		goto out;
	}
	{
		int *map = xmalloc(ntv * sizeof *map);
		if (c->arms) {
			d->narm = c->narms;
			d->arm = xcalloc(c->narms, sizeof *d->arm);
			for (size_t a = 0; a < c->narms; a++) {
				const char *an = c->arms[a];
				if (d->indicator)
					an = strcmp(an, "true") == 0 ? "1" : strcmp(an, "false") == 0 ? "0" : an;
				d->arm[a] = xstrdup(an);
			}
		} else {
			for (size_t k = 0; k < ntv; k++)
				if ((long)k != ctl) {
					d->arm = xrealloc(d->arm, (d->narm + 1) * sizeof *d->arm);
					d->arm[d->narm++] = xstrdup(intern_str(&tv, k));
				}
			qsort(d->arm, d->narm, sizeof *d->arm, cmp_str);
		}
		for (size_t k = 0; k < ntv; k++) {
			map[k] = (long)k == ctl ? -1 : -2;
			for (size_t a = 0; a < d->narm; a++)
				if (strcmp(intern_str(&tv, k), d->arm[a]) == 0)
					map[k] = (int)a;
		}
		d->unit_arm = xmalloc(d->n * sizeof *d->unit_arm);
		for (size_t i = 0; i < d->n; i++) {
			d->unit_arm[i] = map[unit_tv[i]];
			if (d->unit_arm[i] == -2) {
				char w[1024];
				rc = errorf(err, errsz, 65, "%s: treatment '%s' is neither the control '%s' "
					    "nor an arm of --arms", up_where(d, i, w, sizeof w),
					    intern_str(&tv, (size_t)unit_tv[i]), d->control);
				free(map);
				goto out;
			}
		}
		free(map);
		if (d->narm == 0) {
			rc = errorf(err, errsz, 65, "no treated unit: every row is in the control arm '%s'",
				    d->control);
			goto out;
		}
		for (size_t a = 0; a < d->narm; a++) {
			size_t cnt = 0;
			for (size_t i = 0; i < d->n; i++)
				cnt += d->unit_arm[i] == (int)a;
			if (cnt == 0) {
				rc = errorf(err, errsz, 65, "no unit in the arm '%s'", d->arm[a]);
				goto out;
			}
		}
	}

	/* segments, in byte order */
	if (c->segment) {
		size_t ns = intern_count(&seg);
		int *rank = xmalloc(ns * sizeof *rank);
		d->nseg = ns;
		d->seg_level = xmalloc(ns * sizeof *d->seg_level);
		for (size_t k = 0; k < ns; k++)
			d->seg_level[k] = xstrdup(intern_str(&seg, k));
		qsort(d->seg_level, ns, sizeof *d->seg_level, cmp_str);
		for (size_t k = 0; k < ns; k++)
			for (size_t j = 0; j < ns; j++)
				if (strcmp(intern_str(&seg, k), d->seg_level[j]) == 0)
					rank[k] = (int)j;
		d->unit_seg = xmalloc(d->n * sizeof *d->unit_seg);
		for (size_t i = 0; i < d->n; i++)
			d->unit_seg[i] = rank[unit_segraw[i]];
		free(rank);
	}

	/* the design */
	{
		size_t p = 1;
		size_t **lev_col = xcalloc(c->ncov ? c->ncov : 1, sizeof *lev_col);
		size_t *col0 = xcalloc(c->ncov ? c->ncov : 1, sizeof *col0);
		d->feature = xmalloc(sizeof *d->feature);
		d->feature[0] = xstrdup("(intercept)");
		for (size_t k = 0; k < c->ncov; k++) {
			struct rawcov *cv = &rc_cov[k];
			col0[k] = p;
			if (cv->kind != 2) {
				d->feature = xrealloc(d->feature, (p + 1) * sizeof *d->feature);
				d->feature[p++] = xstrdup(c->covariates[k]);
			} else {
				size_t nl = intern_count(&cv->lev);
				char **names = xmalloc(nl * sizeof *names);
				lev_col[k] = xmalloc(nl * sizeof **lev_col);
				for (size_t j = 0; j < nl; j++)
					names[j] = (char *)intern_str(&cv->lev, j);
				qsort(names, nl, sizeof *names, cmp_str);
				for (size_t j = 0; j < nl; j++) {
					/* level j's rank in byte order: 0 is dropped */
					size_t rk = 0;
					for (size_t q = 0; q < nl; q++)
						if (strcmp(names[q], intern_str(&cv->lev, j)) == 0)
							rk = q;
					lev_col[k][j] = rk == 0 ? 0 : p + rk - 1;
				}
				d->feature = xrealloc(d->feature, (p + nl) * sizeof *d->feature);
				for (size_t q = 1; q < nl; q++)
					d->feature[p + q - 1] = xasprintf("%s=%s", c->covariates[k], names[q]);
				p += nl ? nl - 1 : 0;
				free(names);
			}
		}
		d->p = p;
		d->X = xcalloc(d->n * p, sizeof *d->X);
		for (size_t i = 0; i < d->n; i++) {
			double *x = d->X + i * p;
			x[0] = 1;
			for (size_t k = 0; k < c->ncov; k++) {
				if (rc_cov[k].kind != 2) {
					x[col0[k]] = rc_cov[k].v[i];
				} else {
					size_t col = lev_col[k][(size_t)rc_cov[k].v[i]];
					if (col)
						x[col] = 1;
				}
			}
		}
		for (size_t k = 0; k < c->ncov; k++)
			free(lev_col[k]);
		free(lev_col);
		free(col0);
	}
out:
	for (size_t k = 0; k < c->ncov; k++) {
		free(rc_cov[k].v);
		intern_free(&rc_cov[k].lev);
	}
	free(rc_cov);
	intern_free(&tv);
	intern_free(&seg);
	free(unit_tv);
	free(unit_segraw);
	free(first_line);
	jscan_free(&js);
	free(keys);
	free(jv);
	return rc;
}
