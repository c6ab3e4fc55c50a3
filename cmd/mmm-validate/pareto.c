/* Pareto fronts on two minimised objectives, and Robyn-style selection. */
#include <math.h>
#include <stdlib.h>

#include "die.h"
#include "robyn.h"

struct pt { double a, b; int i; };

static int cmp_pt(const void *x, const void *y)
{
	const struct pt *p = x, *q = y;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return p->i - q->i;
}

/*
 * Points in order of (f1, f2): a point is dominated by an earlier one of
 * front k exactly when that front's smallest f2 so far is <= its f2 (and the
 * two are not equal).  So its front is the first whose smallest f2 is above
 * its own, found by bisection (those minima rise with k).
 */
int pareto_fronts(int n, const double *f1, const double *f2, int *front)
{
	struct pt *p = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *p);
	double *minb = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *minb);
	int i, nf = 0;

	for (i = 0; i < n; i++) {
		p[i].a = f1[i];
		p[i].b = f2[i];
		p[i].i = i;
	}
	qsort(p, (size_t)n, sizeof *p, cmp_pt);
	for (i = 0; i < n; i++) {
		int lo = 0, hi = nf;
		if (i > 0 && p[i].a == p[i - 1].a && p[i].b == p[i - 1].b) {
			front[p[i].i] = front[p[i - 1].i];
			continue;
		}
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (minb[mid] > p[i].b)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (lo == nf)
			minb[nf++] = p[i].b;
		else if (p[i].b < minb[lo])
			minb[lo] = p[i].b;
		front[p[i].i] = lo + 1;
	}
	free(p);
	free(minb);
	return nf;
}

int pareto_fronts_kept(int n, const int *front, int min_candidates)
{
	int want = n < min_candidates ? n : min_candidates, k, i, have = 0;
	for (k = 1;; k++) {
		int any = 0;
		for (i = 0; i < n; i++)
			if (front[i] == k) {
				have++;
				any = 1;
			}
		if (have >= want || !any)
			return any ? k : k - 1;
	}
}

int pareto_choose(int n, const double *f1, const double *f2, const int *front, int kept)
{
	double lo1 = INFINITY, hi1 = -INFINITY, lo2 = INFINITY, hi2 = -INFINITY, best = INFINITY;
	int i, pick = -1;

	for (i = 0; i < n; i++) {
		if (front[i] < 1 || front[i] > kept)
			continue;
		if (f1[i] < lo1) lo1 = f1[i];
		if (f1[i] > hi1) hi1 = f1[i];
		if (f2[i] < lo2) lo2 = f2[i];
		if (f2[i] > hi2) hi2 = f2[i];
	}
	for (i = 0; i < n; i++) {
		double a, b, dist;
		if (front[i] != 1)
			continue;
		a = hi1 > lo1 ? (f1[i] - lo1) / (hi1 - lo1) : 0.0;
		b = hi2 > lo2 ? (f2[i] - lo2) / (hi2 - lo2) : 0.0;
		dist = sqrt(a * a + b * b);
		if (dist < best) {
			best = dist;
			pick = i;
		}
	}
	return pick;
}
