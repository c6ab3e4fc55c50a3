/*
 * common/markov.c: the exact removal effects against the vignette toy's
 * known answer and against an independent dense solve of the same chain
 * (built here from the paths with its own state bookkeeping and solved by
 * GSL's LU on the full matrix), for orders 1, 2 and 3 on
 * ChannelAttribution's Data.csv; transition probabilities; bad calls.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>

#include "harness.h"
#include "markov.h"

/* ---- the vignette toy ---- */

struct tr { char to[64][32]; double p[64]; int n; };

static void collect(const char *to, double p, void *ctx)
{
	struct tr *t = ctx;
	if (t->n < 64) {
		snprintf(t->to[t->n], sizeof t->to[0], "%s", to);
		t->p[t->n++] = p;
	}
}

static double tr_p(const struct tr *t, const char *to)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->to[i], to) == 0)
			return t->p[i];
	return -1;
}

static void test_toy(void)
{
	const char *p1[] = { "A", "B", "A", "B", "B", "A" }, *p2[] = { "A", "B", "B", "A", "A" },
		   *p3[] = { "A", "A" };
	struct mk_model *m = mk_new(1);
	struct mk_result r;
	struct tr t = { .n = 0 };
	char err[200];

	CHECK_INT(mk_add(m, p1, 6, 1, 10, 0), 0);
	CHECK_INT(mk_add(m, p2, 5, 1, 20, 0), 0);
	CHECK_INT(mk_add(m, p3, 2, 1, 30, 0), 0);
	CHECK_INT(mk_solve(m, &r, err, sizeof err), 0);
	CHECK_INT(r.nchannels, 2);
	CHECK_STR(r.channel[0], "A");
	CHECK_STR(r.channel[1], "B");
	/* removing A: 1 -> 0; removing B: 1 -> 0.5; A = 3 x 1/1.5, B = 3 x 0.5/1.5 */
	CHECK(fabs(r.p_conv - 1) < 1e-12);
	CHECK(fabs(r.removal_effect[0] - 1) < 1e-12);
	CHECK(fabs(r.removal_effect[1] - 0.5) < 1e-12);
	CHECK(fabs(r.conversions[0] - 2) < 1e-12);
	CHECK(fabs(r.conversions[1] - 1) < 1e-12);
	CHECK(fabs(r.total_conversions - 3) < 1e-15);
	CHECK(fabs(r.total_value - 60) < 1e-12);
	/* value: every path ends in A, so removing A loses all value (RE 1) and
	 * removing B halves it: value A = 60 x 2/3, B = 60 x 1/3 */
	CHECK(fabs(r.removal_effect_value[0] - 1) < 1e-12);
	CHECK(fabs(r.removal_effect_value[1] - 0.5) < 1e-12);
	CHECK(fabs(r.conversion_value[0] - 40) < 1e-10);
	CHECK(fabs(r.conversion_value[1] - 20) < 1e-10);
	CHECK_INT(r.nstates, 3);
	mk_result_free(&r);

	/* collapsed paths A>B>A>B>A, A>B>A, A: from A 3 to B and 3 to conversion */
	CHECK_INT(mk_transitions(m, "A", collect, &t), 2);
	CHECK(fabs(tr_p(&t, "B") - 0.5) < 1e-15);
	CHECK(fabs(tr_p(&t, "(conversion)") - 0.5) < 1e-15);
	t.n = 0;
	CHECK_INT(mk_transitions(m, "B", collect, &t), 1);
	CHECK(fabs(tr_p(&t, "A") - 1) < 1e-15);
	t.n = 0;
	CHECK_INT(mk_transitions(m, "(start)", collect, &t), 1);
	CHECK(fabs(tr_p(&t, "A") - 1) < 1e-15);
	CHECK_INT(mk_transitions(m, "C", collect, &t), -1);
	CHECK_INT(mk_transitions(m, "A,B", collect, &t), -1);
	mk_free(m);

	/* order 2: states are the windows of the last two channels */
	m = mk_new(2);
	CHECK_INT(mk_add(m, p1, 6, 1, 0, 1), 0);
	t.n = 0;
	CHECK_INT(mk_transitions(m, "(start)", collect, &t), 1);
	CHECK_STR(t.to[0], "A");
	t.n = 0;
	CHECK_INT(mk_transitions(m, "A", collect, &t), 1);
	CHECK_STR(t.to[0], "A,B");
	t.n = 0;
	/* A>B>A>B>A: A,B -> B,A twice; B,A -> A,B once, then conversion 1 and null 1 */
	CHECK_INT(mk_transitions(m, "B,A", collect, &t), 3);
	CHECK(fabs(tr_p(&t, "A,B") - 0.5) < 1e-15);
	CHECK(fabs(tr_p(&t, "(conversion)") - 0.25) < 1e-15);
	CHECK(fabs(tr_p(&t, "(null)") - 0.25) < 1e-15);
	mk_free(m);
}

static void test_bad(void)
{
	const char *p[] = { "a" };
	struct mk_model *m = mk_new(1);
	struct mk_result r;
	char err[200] = "";

	CHECK(mk_new(0) == NULL);
	CHECK_INT(mk_add(m, p, 0, 1, 0, 0), -1);
	CHECK_INT(mk_add(m, p, 1, -1, 0, 0), -1);
	CHECK_INT(mk_add(m, p, 1, 1, NAN, 0), -1);
	CHECK_INT(mk_add(m, p, 1, 1, 0, INFINITY), -1);
	CHECK_INT(mk_add(m, p, 1, 0, 0, 5), 0);
	CHECK_INT(mk_solve(m, &r, err, sizeof err), -1);
	CHECK_HAS(err, "no conversions");
	mk_free(m);
}

/* ---- the independent dense solve ---- */

struct cpath { int ch[128]; int n; double conv, value, nulls; };

static const char *data_dir(void)
{
	const char *e = getenv("AELP2_SHARED_DATA");
	return e && *e ? e : "../shared/data";
}

static int read_csv(struct cpath **out, char names[32][32], int *nnames)
{
	char fn[512], line[4096];
	FILE *f;
	int n = 0, cap = 0;

	snprintf(fn, sizeof fn, "%s/attribution/channelattribution_paths.csv", data_dir());
	f = fopen(fn, "r");
	if (!f) {
		fprintf(stderr, "FAIL: %s: cannot open (set AELP2_SHARED_DATA)\n", fn);
		return -1;
	}
	*out = NULL;
	*nnames = 0;
	if (!fgets(line, sizeof line, f)) { fclose(f); return -1; }
	while (fgets(line, sizeof line, f)) {
		char *semi = strchr(line, ';'), *tok, *save;
		struct cpath *p;
		if (!semi)
			continue;
		*semi = '\0';
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			*out = realloc(*out, (size_t)cap * sizeof **out);
		}
		p = &(*out)[n++];
		p->n = 0;
		sscanf(semi + 1, "%lf;%lf;%lf", &p->conv, &p->value, &p->nulls);
		for (tok = strtok_r(line, ">", &save); tok; tok = strtok_r(NULL, ">", &save)) {
			char *b = tok, *e = tok + strlen(tok);
			int c;
			while (*b == ' ') b++;
			while (e > b && e[-1] == ' ') e--;
			*e = '\0';
			for (c = 0; c < *nnames; c++)
				if (strcmp(names[c], b) == 0)
					break;
			if (c == *nnames)
				snprintf(names[(*nnames)++], 32, "%s", b);
			if (p->n < 128)
				p->ch[p->n++] = c;
		}
	}
	fclose(f);
	return n;
}

/* states: a k-tuple encoded base 13 (channel + 1), 0 = start */
static long enc(const int *w, int n)
{
	long v = 0;
	for (int i = 0; i < n; i++)
		v = v * 13 + w[i] + 1;
	return v;
}

struct dense {
	int n;               /* transient states */
	long *code;          /* state codes */
	double *cnt;         /* n x n transition weights */
	double *conv, *val, *out;
	unsigned char *has[16];  /* has[c][s]: state s contains channel c */
};

static int find_state(struct dense *d, long code, int *w, int wn, int nch)
{
	for (int s = 0; s < d->n; s++)
		if (d->code[s] == code)
			return s;
	d->code[d->n] = code;
	for (int c = 0; c < nch; c++) {
		d->has[c][d->n] = 0;
		for (int i = 0; i < wn; i++)
			if (w[i] == c)
				d->has[c][d->n] = 1;
	}
	return d->n++;
}

/* P(conv) (col 0) and expected value (col 1) from start with channel rm
 * removed (-1: none): transitions into its states go to (null). */
static void dense_solve(const struct dense *d, int rm, double out[2])
{
	int n = d->n, sg;
	gsl_matrix *a = gsl_matrix_alloc((size_t)n, (size_t)n);
	gsl_permutation *pm = gsl_permutation_alloc((size_t)n);
	gsl_vector *b = gsl_vector_alloc((size_t)n), *x = gsl_vector_alloc((size_t)n);

	for (int col = 0; col < 2; col++) {
		for (int i = 0; i < n; i++) {
			for (int j = 0; j < n; j++) {
				double q = d->out[i] > 0 ? d->cnt[(size_t)i * (size_t)n + (size_t)j] / d->out[i] : 0;
				if (rm >= 0 && d->has[rm][j])
					q = 0;
				gsl_matrix_set(a, (size_t)i, (size_t)j, (i == j) - q);
			}
			gsl_vector_set(b, (size_t)i, d->out[i] > 0 ? (col ? d->val[i] : d->conv[i]) / d->out[i] : 0);
		}
		gsl_linalg_LU_decomp(a, pm, &sg);
		gsl_linalg_LU_solve(a, pm, b, x);
		out[col] = gsl_vector_get(x, 0);
	}
	gsl_vector_free(x);
	gsl_vector_free(b);
	gsl_permutation_free(pm);
	gsl_matrix_free(a);
}

static void test_dense(int order, const struct cpath *ps, int np, char names[32][32], int nch)
{
	struct dense d = { 0 };
	struct mk_model *m = mk_new(order);
	struct mk_result r;
	char err[200];
	int maxst = 4000;
	double base[2], worst = 0;
	int bad_add = 0;

	d.code = calloc((size_t)maxst, sizeof *d.code);
	d.cnt = calloc((size_t)maxst * (size_t)maxst, sizeof *d.cnt);
	d.conv = calloc((size_t)maxst, sizeof(double));
	d.val = calloc((size_t)maxst, sizeof(double));
	d.out = calloc((size_t)maxst, sizeof(double));
	for (int c = 0; c < nch; c++)
		d.has[c] = calloc((size_t)maxst, 1);
	find_state(&d, 0, NULL, 0, nch);
	for (int k = 0; k < np; k++) {
		const struct cpath *p = &ps[k];
		const char *nm[128];
		int col[128], nc = 0, prev = 0;
		double w = p->conv + p->nulls;
		for (int i = 0; i < p->n; i++) {
			nm[i] = names[p->ch[i]];
			if (nc == 0 || col[nc - 1] != p->ch[i])
				col[nc++] = p->ch[i];
		}
		bad_add += mk_add(m, nm, (size_t)p->n, p->conv, p->value, p->nulls) != 0;
		if (w <= 0)
			continue;
		for (int i = 0; i < nc; i++) {
			int lo = i - order + 1 < 0 ? 0 : i - order + 1;
			int s = find_state(&d, enc(col + lo, i - lo + 1), col + lo, i - lo + 1, nch);
			d.cnt[(size_t)prev * (size_t)maxst + (size_t)s] += w;
			d.out[prev] += w;
			prev = s;
		}
		d.conv[prev] += p->conv;
		d.val[prev] += p->value;
		d.out[prev] += w;
	}
	CHECK_INT(bad_add, 0);
	/* compact the count matrix to n x n */
	for (int i = 0; i < d.n; i++)
		memmove(d.cnt + (size_t)i * (size_t)d.n, d.cnt + (size_t)i * (size_t)maxst,
			(size_t)d.n * sizeof(double));
	dense_solve(&d, -1, base);
	CHECK_INT(mk_solve(m, &r, err, sizeof err), 0);
	CHECK_INT(r.nstates, d.n);
	CHECK(fabs(r.p_conv - base[0]) < 1e-12);
	for (int c = 0; c < nch; c++) {
		double o[2], re, rev;
		int j;
		dense_solve(&d, c, o);
		re = 1 - o[0] / base[0];
		rev = 1 - o[1] / base[1];
		for (j = 0; j < (int)r.nchannels; j++)
			if (strcmp(r.channel[j], names[c]) == 0)
				break;
		CHECK(j < (int)r.nchannels);
		if (j == (int)r.nchannels)
			continue;
		CHECK(fabs(r.removal_effect[j] - re) < 1e-9);
		CHECK(fabs(r.removal_effect_value[j] - rev) < 1e-9);
		if (fabs(r.removal_effect[j] - re) > worst)
			worst = fabs(r.removal_effect[j] - re);
		if (fabs(r.removal_effect_value[j] - rev) > worst)
			worst = fabs(r.removal_effect_value[j] - rev);
	}
	{
		double s = 0, sv = 0;
		for (size_t j = 0; j < r.nchannels; j++) {
			s += r.conversions[j];
			sv += r.conversion_value[j];
		}
		CHECK(fabs(s - 19785) < 1e-7);
		CHECK(fabs(sv - 74802.971587) < 1e-5);
	}
	printf("markov order %d: %d transient states, P(conv) %.12f, max |RE - dense| %.3g\n",
	       order, d.n, base[0], worst);
	mk_result_free(&r);
	mk_free(m);
	for (int c = 0; c < nch; c++)
		free(d.has[c]);
	free(d.code);
	free(d.cnt);
	free(d.conv);
	free(d.val);
	free(d.out);
}

int main(void)
{
	struct cpath *ps = NULL;
	char names[32][32];
	int nch = 0, np;

	test_toy();
	test_bad();
	np = read_csv(&ps, names, &nch);
	CHECK_INT(np, 10000);
	CHECK_INT(nch, 12);
	if (np > 0) {
		test_dense(1, ps, np, names, nch);
		test_dense(2, ps, np, names, nch);
		test_dense(3, ps, np, names, nch);
	}
	free(ps);
	return h_done("markov");
}
