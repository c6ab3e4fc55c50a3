/* Heuristic models, ChannelAttribution's and fractribution's definitions. */
#include "models.h"

double position_weight(int i, int L)
{
	if (L == 1)
		return 1.0;
	if (L == 2)
		return 0.5;
	if (i == 0 || i == L - 1)
		return 0.4;
	return 0.2 / (L - 2);
}

void heuristic(enum ca_model m, const struct pathset *ps, double *conv, double *val)
{
	for (size_t k = 0; k < ps->n; k++) {
		const struct path *p = &ps->p[k];
		int L = p->len;
		if (L == 0 || (p->conv == 0 && p->value == 0))
			continue;
		switch (m) {
		case M_FIRST:
			conv[p->ch[0]] += p->conv;
			val[p->ch[0]] += p->value;
			break;
		case M_LAST:
			conv[p->ch[L - 1]] += p->conv;
			val[p->ch[L - 1]] += p->value;
			break;
		case M_LINEAR:
			for (int i = 0; i < L; i++) {
				conv[p->ch[i]] += p->conv / L;
				val[p->ch[i]] += p->value / L;
			}
			break;
		case M_POSITION:
			for (int i = 0; i < L; i++) {
				double w = position_weight(i, L);
				conv[p->ch[i]] += w * p->conv;
				val[p->ch[i]] += w * p->value;
			}
			break;
		default:
			break;
		}
	}
}
