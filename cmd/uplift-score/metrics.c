/* Qini and AUUC as scikit-uplift 0.5.1 computes them (metrics.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "metrics.h"

struct keyed {
	double s;
	size_t i;
};

/* s as an unsigned key whose ascending order is s's descending order (-0 as +0) */
static uint64_t desc_key(double s)
{
	uint64_t u;
	s += 0.0;
	memcpy(&u, &s, sizeof u);
	u = u >> 63 ? ~u : u | (UINT64_C(1) << 63);
	return ~u;
}

/*
 * The units in descending score order (caller frees): a stable LSD radix
 * sort, a byte a pass (passes where every key shares the byte skipped), so
 * ties keep the units' order.  The order inside a tie does not change the
 * curve anyway.
 */
static struct keyed *sort_desc(const double *score, size_t n)
{
	struct keyed *k = xmalloc((n ? n : 1) * sizeof *k), *tmp = xmalloc((n ? n : 1) * sizeof *tmp);
	size_t (*cnt)[256] = xcalloc(8, sizeof *cnt);

	for (size_t i = 0; i < n; i++) {
		uint64_t u = desc_key(score[i]);
		k[i].s = score[i];
		k[i].i = i;
		for (int b = 0; b < 8; b++)
			cnt[b][(u >> (8 * b)) & 0xff]++;
	}
	for (int b = 0; b < 8; b++) {
		size_t sum = 0, *c = cnt[b];
		struct keyed *t;
		if (n == 0 || c[(desc_key(k[0].s) >> (8 * b)) & 0xff] == n)
			continue;
		for (int v = 0; v < 256; v++) {
			size_t x = c[v];
			c[v] = sum;
			sum += x;
		}
		for (size_t i = 0; i < n; i++)
			tmp[c[(desc_key(k[i].s) >> (8 * b)) & 0xff]++] = k[i];
		t = k;
		k = tmp;
		tmp = t;
	}
	free(tmp);
	free(cnt);
	return k;
}

enum curve { QINI, UPLIFT };

/* The area under a curve over units in the order ord; *last gets its end value. */
static double area(enum curve c, const double *y, const unsigned char *t, const struct keyed *ord,
		   size_t n, double *last)
{
	double yt = 0, yc = 0, nt = 0, px = 0, pv = 0, sum = 0;

	for (size_t k = 0; k < n; k++) {
		size_t i = ord[k].i;
		if (t[i]) {
			nt += 1;
			yt += y[i];
		} else {
			yc += y[i];
		}
		if (k + 1 == n || ord[k + 1].s != ord[k].s) {
			double N = (double)(k + 1), nc = N - nt, v;
			if (c == QINI)
				v = yt - (nc > 0 ? yc * nt / nc : 0);
			else
				v = ((nt > 0 ? yt / nt : 0) - (nc > 0 ? yc / nc : 0)) * N;
			sum += (N - px) * (v + pv) / 2;
			px = N;
			pv = v;
		}
	}
	if (last)
		*last = pv;
	return sum;
}

static double curve_area(enum curve c, const double *y, const unsigned char *t,
			 const double *score, size_t n, double *last)
{
	struct keyed *ord = sort_desc(score, n);
	double a = area(c, y, t, ord, n, last);
	free(ord);
	return a;
}

double qini_area(const double *y, const unsigned char *t, const double *score, size_t n)
{
	return curve_area(QINI, y, t, score, n, NULL);
}

double uplift_area(const double *y, const unsigned char *t, const double *score, size_t n)
{
	return curve_area(UPLIFT, y, t, score, n, NULL);
}

/* The normalised score of a curve whose model order is ord. */
static double normalised(enum curve c, const double *y, const unsigned char *t,
			 const struct keyed *ord, size_t n)
{
	double *oracle = xmalloc((n ? n : 1) * sizeof *oracle), last, model, perfect, random;
	size_t cr = 0, tn = 0;

	if (c == QINI) {
		for (size_t i = 0; i < n; i++)
			oracle[i] = t[i] ? y[i] : -y[i];
	} else {
		for (size_t i = 0; i < n; i++) {
			cr += y[i] == 1 && !t[i];
			tn += y[i] == 0 && t[i];
		}
		for (size_t i = 0; i < n; i++)
			oracle[i] = 2.0 * (y[i] == (double)t[i]) + (cr > tn ? y[i] : (double)t[i]);
	}
	model = area(c, y, t, ord, n, NULL);
	perfect = curve_area(c, y, t, oracle, n, &last);
	random = (double)n * last / 2;
	free(oracle);
	if (perfect == random)
		return NAN;
	return (model - random) / (perfect - random);
}

double qini_auc_score(const double *y, const unsigned char *t, const double *score, size_t n)
{
	struct keyed *ord = sort_desc(score, n);
	double r = normalised(QINI, y, t, ord, n);
	free(ord);
	return r;
}

double uplift_auc_score(const double *y, const unsigned char *t, const double *score, size_t n)
{
	struct keyed *ord = sort_desc(score, n);
	double r = normalised(UPLIFT, y, t, ord, n);
	free(ord);
	return r;
}

void uplift_scores(const double *y, const unsigned char *t, const double *score, size_t n,
		   double *qini, double *auuc)
{
	struct keyed *ord = sort_desc(score, n);
	*qini = normalised(QINI, y, t, ord, n);
	*auuc = normalised(UPLIFT, y, t, ord, n);
	free(ord);
}
