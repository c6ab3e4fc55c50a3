/* Zhao, Mahboobi, Bagheri (2018) Shapley values, simplified and ordered. */
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "models.h"

/* distinct channels of p into d (room for p->len); their count */
static int distinct(const struct path *p, int *d, int *cnt)
{
	int k = 0;
	for (int i = 0; i < p->len; i++) {
		int j;
		for (j = 0; j < k; j++)
			if (d[j] == p->ch[i])
				break;
		if (j == k) {
			d[k] = p->ch[i];
			cnt[k++] = 0;
		}
		cnt[j]++;
	}
	return k;
}

/* The distinct channels of a path into buffers grown as needed. */
struct distinct_buf { int *d, *cnt, cap; };

/* p's distinct channels into b (d[j], and cnt[j] occurrences); their count,
 * or 0 for a path that carries nothing to share (empty, or no conversions
 * and no value). */
static int path_distinct(const struct path *p, struct distinct_buf *b)
{
	if (p->len == 0 || (p->conv == 0 && p->value == 0))
		return 0;
	if (p->len > b->cap) {
		b->cap = p->len;
		b->d = xrealloc(b->d, (size_t)b->cap * sizeof *b->d);
		b->cnt = xrealloc(b->cnt, (size_t)b->cap * sizeof *b->cnt);
	}
	return distinct(p, b->d, b->cnt);
}

void shapley_simplified(const struct pathset *ps, double *conv, double *val)
{
	struct distinct_buf b = { NULL, NULL, 0 };

	for (size_t k = 0; k < ps->n; k++) {
		const struct path *p = &ps->p[k];
		int s = path_distinct(p, &b);
		int *d = b.d;
		if (s == 0)
			continue;
		for (int j = 0; j < s; j++) {
			conv[d[j]] += p->conv / s;
			val[d[j]] += p->value / s;
		}
	}
	free(b.d);
	free(b.cnt);
}

void shapley_ordered(const struct pathset *ps, double *conv, double *val, double *pos,
		     int maxpos)
{
	struct distinct_buf b = { NULL, NULL, 0 };

	for (size_t k = 0; k < ps->n; k++) {
		const struct path *p = &ps->p[k];
		int s = path_distinct(p, &b);
		int *d = b.d, *cnt = b.cnt;
		if (s == 0)
			continue;
		for (int i = 0; i < p->len; i++) {
			int c = p->ch[i], j = 0;
			double w;
			while (d[j] != c)
				j++;
			w = 1.0 / ((double)s * cnt[j]);
			conv[c] += w * p->conv;
			val[c] += w * p->value;
			if (pos && i < maxpos)
				pos[(size_t)c * (size_t)maxpos + (size_t)i] += w * p->conv;
		}
	}
	free(b.d);
	free(b.cnt);
}
