#ifndef AELP_MARKOV_H
#define AELP_MARKOV_H

#include <stddef.h>

/*
 * Markov attribution, exactly (channel-attribute, and touch-attribute's
 * data-driven model).  Paths of channels are pooled into an absorbing chain
 * with ChannelAttribution's state semantics:
 *   - states (start), the channels (for order k, the k-tuples of channels
 *     seen in the paths, after collapsing), (conversion), (null);
 *   - consecutive identical channels of a path are collapsed first;
 *   - each path's transitions weigh conv + null; its last state goes to
 *     (conversion) with weight conv and to (null) with weight null;
 *   - for order k, a path's state sequence is the sliding window of its
 *     last k channels (the first states hold fewer than k).
 * Removal effects are solved, not simulated: with Q the transient block and
 * r the conversion column, P(conv) = h[start] where (I - Q) h = r; removing
 * channel c redirects every transition into a state that contains c to
 * (null); RE_c = 1 - P_{-c}(conv) / P(conv).  Value removal effects weigh
 * the conversion column by each last state's conversion value instead
 * (so they answer "what share of the value is lost").  Sparse: one solve
 * per channel by iterating on the sparse rows (Gauss-Seidel to 1e-13
 * relative), with a dense LU (GSL) when the chain is small.
 */

struct mk_model;

/* A model of order k >= 1 over channel names (owned by the model). */
struct mk_model *mk_new(int order);
void mk_free(struct mk_model *m);

/*
 * Add a path: n channel names (n >= 1; names are copied), its conversions,
 * conversion value and nulls (all >= 0).  Returns 0, or -1 when n == 0 or a
 * count is negative or not finite.
 */
int mk_add(struct mk_model *m, const char *const *channels, size_t n, double conv,
	   double value, double nulls);

struct mk_result {
	size_t nchannels;
	const char **channel;      /* names in order of first appearance in the paths */
	double *removal_effect;    /* RE_c for conversions */
	double *removal_effect_value; /* RE_c for value */
	double *conversions;       /* RE_c / sum RE x total conversions */
	double *conversion_value;  /* the same for value */
	double p_conv;             /* P(conversion) from (start) */
	double total_conversions, total_value;
	size_t nstates;            /* transient states (start and the channel tuples) */
};

/* Solve.  0 with r filled (mk_result_free releases it), or -1 with err
 * (no conversions at all: nothing to attribute). */
int mk_solve(struct mk_model *m, struct mk_result *r, char *err, size_t errsz);
void mk_result_free(struct mk_result *r);

/* The transition probabilities from state `from` (a state name as
 * "(start)", "a", or "a,b" for order 2) to every successor, for tests and
 * journey-summarize: calls f(to, probability, ctx) per successor.  Returns
 * the number of successors, or -1 for an unknown state.  Valid after mk_add
 * (no solve needed). */
long mk_transitions(const struct mk_model *m, const char *from,
		    void (*f)(const char *to, double p, void *ctx), void *ctx);

#endif
