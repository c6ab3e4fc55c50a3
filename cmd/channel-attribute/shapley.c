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

void shapley_simplified(const struct pathset *ps, double *conv, double *val)
{
	int *d = NULL, *cnt = NULL, cap = 0;

	for (size_t k = 0; k < ps->n; k++) {
		const struct path *p = &ps->p[k];
		int s;
		if (p->len == 0 || (p->conv == 0 && p->value == 0))
			continue;
		if (p->len > cap) {
			cap = p->len;
			d = xrealloc(d, (size_t)cap * sizeof *d);
			cnt = xrealloc(cnt, (size_t)cap * sizeof *cnt);
		}
		s = distinct(p, d, cnt);
		for (int j = 0; j < s; j++) {
			conv[d[j]] += p->conv / s;
			val[d[j]] += p->value / s;
		}
	}
	free(d);
	free(cnt);
}

void shapley_ordered(const struct pathset *ps, double *conv, double *val, double *pos,
		     int maxpos)
{
	int *d = NULL, *cnt = NULL, cap = 0;

	for (size_t k = 0; k < ps->n; k++) {
		const struct path *p = &ps->p[k];
		int s;
		if (p->len == 0 || (p->conv == 0 && p->value == 0))
			continue;
		if (p->len > cap) {
			cap = p->len;
			d = xrealloc(d, (size_t)cap * sizeof *d);
			cnt = xrealloc(cnt, (size_t)cap * sizeof *cnt);
		}
		s = distinct(p, d, cnt);
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
	free(d);
	free(cnt);
}
