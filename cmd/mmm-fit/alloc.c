/*
 * The budget allocator (alloc.h).
 */
#include "alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "die.h"

static double total(const struct alloc_problem *p, const double *s)
{
	double v = 0;
	int c;

	for (c = 0; c < p->n; c++)
		v += p->f(c, s[c], p->arg);
	return v;
}

/* Best move t in [a, b] of budget from channel j to channel i (golden section). */
static double exchange(const struct alloc_problem *p, double *s, int i, int j, double a, double b)
{
	const double g = 0.6180339887498949;
	double x1, x2, f1, f2, base = p->f(i, s[i], p->arg) + p->f(j, s[j], p->arg), best;
	int it;

	if (!(b > a))
		return 0;
	x1 = b - g * (b - a);
	x2 = a + g * (b - a);
	f1 = p->f(i, s[i] + x1, p->arg) + p->f(j, s[j] - x1, p->arg);
	f2 = p->f(i, s[i] + x2, p->arg) + p->f(j, s[j] - x2, p->arg);
	for (it = 0; it < 60 && b - a > 1e-12 * (1 + fabs(s[i]) + fabs(s[j])); it++) {
		if (f1 >= f2) {
			b = x2;
			x2 = x1;
			f2 = f1;
			x1 = b - g * (b - a);
			f1 = p->f(i, s[i] + x1, p->arg) + p->f(j, s[j] - x1, p->arg);
		} else {
			a = x1;
			x1 = x2;
			f1 = f2;
			x2 = a + g * (b - a);
			f2 = p->f(i, s[i] + x2, p->arg) + p->f(j, s[j] - x2, p->arg);
		}
	}
	best = f1 >= f2 ? x1 : x2;
	if ((f1 >= f2 ? f1 : f2) > base + 1e-15 * (1 + fabs(base)))
		return best;
	return 0;
}

int alloc_solve(const struct alloc_problem *p, double *s, double *value, char *err, size_t errsz)
{
	int n = p->n, N = p->grid > 0 ? p->grid : 2000, c, j, k, round, free_c = -1;
	double slo = 0, shi = 0, R, d, sum;
	double *prev, *cur, *v;
	int *choice, *maxk;

	for (c = 0; c < n; c++) {
		slo += p->lo[c];
		shi += p->hi[c];
	}
	if (slo > p->budget * (1 + 1e-12) || shi < p->budget * (1 - 1e-12)) {
		snprintf(err, errsz, "the bounds cannot meet the budget %.2f: the lower bounds sum to %.2f "
			 "and the upper bounds to %.2f", p->budget, slo, shi);
		return 2;
	}
	R = p->budget - slo;
	if (R < 0)
		R = 0;
	d = R / N;
	prev = xmalloc((size_t)(N + 1) * sizeof *prev);
	cur = xmalloc((size_t)(N + 1) * sizeof *cur);
	v = xmalloc((size_t)(N + 1) * sizeof *v);
	choice = xmalloc((size_t)n * (N + 1) * sizeof *choice);
	maxk = xmalloc((size_t)n * sizeof *maxk);
	for (j = 0; j <= N; j++)
		prev[j] = j == 0 ? 0 : -INFINITY;
	for (c = 0; c < n; c++) {
		double room = p->hi[c] - p->lo[c];
		maxk[c] = d > 0 ? (int)fmin(N, floor(room / d + 1e-9)) : 0;
		for (k = 0; k <= maxk[c]; k++)
			v[k] = p->f(c, p->lo[c] + k * d, p->arg);
		for (j = 0; j <= N; j++) {
			double best = -INFINITY;
			int bk = 0, kk = j < maxk[c] ? j : maxk[c];
			for (k = 0; k <= kk; k++) {
				double x = prev[j - k] + v[k];
				if (x > best) {
					best = x;
					bk = k;
				}
			}
			cur[j] = best;
			choice[(size_t)c * (N + 1) + j] = bk;
		}
		for (j = 0; j <= N; j++)
			prev[j] = cur[j];
	}
	/* Back-track; if flooring lost a unit, the largest reachable total is used. */
	for (j = N; j > 0 && !isfinite(prev[j]); j--)
		;
	for (c = n - 1; c >= 0; c--) {
		k = choice[(size_t)c * (N + 1) + j];
		s[c] = p->lo[c] + k * d;
		j -= k;
	}
	/* Whatever is left (rounding, a lost unit) goes where there is room. */
	sum = 0;
	for (c = 0; c < n; c++)
		sum += s[c];
	for (c = 0; c < n && p->budget - sum > 0; c++) {
		double add = fmin(p->hi[c] - s[c], p->budget - sum);
		if (add > 0) {
			s[c] += add;
			sum += add;
		}
	}
	/* Pairwise exchanges around the grid optimum. */
	for (round = 0; round < 50; round++) {
		int moved = 0;
		for (int a = 0; a < n; a++)
			for (int b = 0; b < n; b++) {
				double lo, hi, t;
				if (a == b)
					continue;
				lo = -fmin(s[a] - p->lo[a], p->hi[b] - s[b]);
				hi = fmin(p->hi[a] - s[a], s[b] - p->lo[b]);
				lo = fmax(lo, -2 * d);
				hi = fmin(hi, 2 * d);
				t = exchange(p, s, a, b, lo, hi);
				if (t != 0) {
					s[a] += t;
					s[b] -= t;
					moved = 1;
				}
			}
		if (!moved)
			break;
	}
	/* Exact sum: the channel farthest from its bounds absorbs the rounding. */
	{
		double best = -1;
		for (c = 0; c < n; c++) {
			double m = fmin(s[c] - p->lo[c], p->hi[c] - s[c]);
			if (m > best) {
				best = m;
				free_c = c;
			}
		}
		if (free_c >= 0) {
			double rest = 0;
			for (c = 0; c < n; c++)
				if (c != free_c)
					rest += s[c];
			s[free_c] = fmin(fmax(p->budget - rest, p->lo[free_c]), p->hi[free_c]);
		}
	}
	for (c = 0; c < n; c++)
		s[c] = fmin(fmax(s[c], p->lo[c]), p->hi[c]);
	*value = total(p, s);
	free(prev);
	free(cur);
	free(v);
	free(choice);
	free(maxk);
	return 0;
}
