/* google/fractribution's "shapley": a per-path leave-one-out counterfactual
 * (py/fractribution.py, _get_counterfactual_marginal_contributions). */
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "models.h"

static double prob(const struct pathset *ps, const int *ch, int len)
{
	long i = ps_find(ps, ch, len);
	const struct path *p;

	if (i < 0)
		return 0;
	p = &ps->p[i];
	return p->conv + p->nulls > 0 ? p->conv / (p->conv + p->nulls) : 0;
}

void fractribution(const struct pathset *ps, double *conv, double *val)
{
	int *cf = NULL, cap = 0;
	double *m = NULL;

	for (size_t k = 0; k < ps->n; k++) {
		const struct path *p = &ps->p[k];
		int L = p->len;
		double P, sum = 0;
		if (L == 0 || !(p->conv > 0))
			continue;
		if (L > cap) {
			cap = L;
			cf = xrealloc(cf, (size_t)cap * sizeof *cf);
			m = xrealloc(m, (size_t)cap * sizeof *m);
		}
		P = p->conv / (p->conv + p->nulls);
		if (L == 1) {
			m[0] = P;
		} else {
			for (int i = 0; i < L; i++) {
				double c;
				memcpy(cf, p->ch, (size_t)i * sizeof *cf);
				memcpy(cf + i, p->ch + i + 1, (size_t)(L - 1 - i) * sizeof *cf);
				c = P - prob(ps, cf, L - 1);
				m[i] = c > 0 ? c : 0;
			}
		}
		for (int i = 0; i < L; i++)
			sum += m[i];
		if (!(sum > 0)) {
			for (int i = 0; i < L; i++)
				m[i] = 0;
			m[L - 1] = sum = 1;
		}
		for (int i = 0; i < L; i++) {
			conv[p->ch[i]] += m[i] / sum * p->conv;
			val[p->ch[i]] += m[i] / sum * p->value;
		}
	}
	free(cf);
	free(m);
}
