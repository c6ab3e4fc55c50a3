/* One model run over aggregated paths: the dispatch, and Markov through
 * common/markov.h. */
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "markov.h"
#include "models.h"

const char *const ca_model_name[M_COUNT] = {
	"first", "last", "linear", "position", "time_decay", "markov", "shapley",
	"shapley_ordered", "fractribution"
};

int ca_model_parse(const char *s, size_t n)
{
	for (int m = 0; m < M_COUNT; m++) {
		const char *a = ca_model_name[m];
		size_t i;
		if (strlen(a) != n)
			continue;
		for (i = 0; i < n; i++)
			if (!(s[i] == a[i] || (s[i] == '-' && a[i] == '_')))
				break;
		if (i == n)
			return m;
	}
	return -1;
}

static int run_markov(const struct intern *ch, const struct pathset *ps, int order,
		      double *conv, double *val, double *re, char *err, size_t errsz)
{
	struct mk_model *mk = mk_new(order);
	struct mk_result r;
	const char **names = NULL;
	int cap = 0;

	for (size_t k = 0; k < ps->n; k++) {
		const struct path *p = &ps->p[k];
		if (p->len == 0)
			continue;
		if (p->len > cap) {
			cap = p->len;
			names = xrealloc(names, (size_t)cap * sizeof *names);
		}
		for (int i = 0; i < p->len; i++)
			names[i] = intern_str(ch, (size_t)p->ch[i]);
		if (mk_add(mk, names, (size_t)p->len, p->conv, p->value, p->nulls) != 0) {
			free(names);
			mk_free(mk);
			return errorf(err, errsz, -1, "markov: a path with a bad count");
		}
	}
	free(names);
	if (mk_solve(mk, &r, err, errsz) != 0) {
		mk_free(mk);
		return -1;
	}
	for (size_t c = 0; c < r.nchannels; c++) {
		int id = (int)intern_find(ch, r.channel[c], strlen(r.channel[c]));
		if (id < 0)
			continue;
		conv[id] += r.conversions[c];
		val[id] += r.conversion_value[c];
		if (re)
			re[id] = r.removal_effect[c];
	}
	mk_result_free(&r);
	mk_free(mk);
	return 0;
}

int ca_run(enum ca_model m, const struct intern *ch, const struct pathset *ps, int order,
	   double *conv, double *val, double *re, char *err, size_t errsz)
{
	switch (m) {
	case M_FIRST:
	case M_LAST:
	case M_LINEAR:
	case M_POSITION:
		heuristic(m, ps, conv, val);
		return 0;
	case M_MARKOV:
		return run_markov(ch, ps, order, conv, val, re, err, errsz);
	case M_SHAPLEY:
		shapley_simplified(ps, conv, val);
		return 0;
	case M_SHAPLEY_ORDERED:
		shapley_ordered(ps, conv, val, NULL, 0);
		return 0;
	case M_FRACTRIBUTION:
		fractribution(ps, conv, val);
		return 0;
	default:
		return errorf(err, errsz, -1, "%s: not built for aggregated paths", ca_model_name[m]);
	}
}
