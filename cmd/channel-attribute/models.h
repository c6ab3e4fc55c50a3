#ifndef CA_MODELS_H
#define CA_MODELS_H

/*
 * The attribution models on aggregated paths.  Each adds, per channel id,
 * the conversions and value it credits to conv[] and val[] (zeroed by the
 * caller, one entry per channel of the table the paths were read with).
 */
#include "paths.h"

enum ca_model { M_FIRST, M_LAST, M_LINEAR, M_POSITION, M_TIME_DECAY, M_MARKOV, M_SHAPLEY,
		M_SHAPLEY_ORDERED, M_FRACTRIBUTION, M_COUNT };

/* first, last, linear (each occurrence 1/L), position (40/20/40 as fractribution) */
void heuristic(enum ca_model m, const struct pathset *ps, double *conv, double *val);

/* The weight of each touch i of an L-touch path under the position rule
 * (L = 1: 1; L = 2: 1/2 each; else 0.4, 0.2/(L-2) ..., 0.4). */
double position_weight(int i, int L);

/* Zhao et al.'s simplified Shapley: each conversion split equally over the
 * distinct channels of its path. */
void shapley_simplified(const struct pathset *ps, double *conv, double *val);

/* Zhao et al.'s ordered Shapley: touch i of journey J with distinct set S
 * gets 1/(|S| N_J(J_i)) of each conversion; per channel the sum over
 * positions.  pos (may be NULL): nch x maxpos array (row-major, maxpos
 * columns) that receives the per-position credit of conversions. */
void shapley_ordered(const struct pathset *ps, double *conv, double *val, double *pos,
		     int maxpos);

/* fractribution's leave-one-out on (already transformed) paths. */
void fractribution(const struct pathset *ps, double *conv, double *val);

#endif

#ifndef CA_MODELS_RUN
#define CA_MODELS_RUN
extern const char *const ca_model_name[M_COUNT];   /* the model column: "first", ..., "time_decay" */

/* The model by its --model name (time-decay and time_decay both), or -1. */
int ca_model_parse(const char *s, size_t n);

/*
 * Run model m on ps (channels ch) into conv[], val[] and, for markov, re[]
 * (the conversion removal effect; NULL allowed).  order: Markov's.
 * 0, or -1 with err (markov: no conversions, or no convergence).
 */
int ca_run(enum ca_model m, const struct intern *ch, const struct pathset *ps, int order,
	   double *conv, double *val, double *re, char *err, size_t errsz);
#endif
