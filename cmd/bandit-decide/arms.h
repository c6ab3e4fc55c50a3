#ifndef BANDIT_ARMS_H
#define BANDIT_ARMS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mab.h"

/*
 * What bandit-decide decides on: campaigns and their arms, read from the
 * warehouse (ads_ad_performance over a lookback window) or from NDJSON arm
 * rows (FILEs or stdin), and for the contextual policies each campaign's
 * segment contexts and their feature vectors.
 *
 * Everything here is owned by the struct bd_input it hangs from and is
 * released once by bd_input_free().  Campaigns come in byte order of
 * campaign_id, arms in byte order of arm_id, contexts in byte order of
 * context_id.  Arms that are not available (a latest ad_status PAUSED or
 * REMOVED; "available": false on a row) are left out at reading: they are
 * only counted.
 */

enum bd_metric { BD_CVR, BD_CTR };
const char *bd_metric_name(enum bd_metric m);

struct bd_arm {
	char *arm_id;
	struct mab_arm m;          /* trials, successes, spend, conversions (summed over contexts) */
	char *customer_id, *ad_group_id, *platform, *channel;   /* NULL when unknown */
};

/* How a context object becomes a feature vector (one campaign's). */
struct bd_feat {
	char *key;
	char *value;               /* one-hot for key == value; NULL: the key's number (bools 0/1) */
};

enum bd_ctx_kind { BD_NO_CONTEXT, BD_CONTEXT_OBJECT, BD_CONTEXT_FEATURES };

struct bd_ctx {
	char id[24];               /* "ctx-" + 16 hex digits of SHA-256(json) */
	char *json;                /* the canonical compact JSON (sorted keys) */
	double *x;                 /* d features */
};

/* One contextual row: an arm's trials and successes in a context. */
struct bd_cell {
	size_t arm, ctx;
	double trials, successes;
};

struct bd_campaign {
	char *campaign_id;
	struct bd_arm *arms;       /* available arms, arm_id order */
	size_t narms;
	/* contextual policies only */
	enum bd_ctx_kind kind;
	struct bd_feat *feats;     /* BD_CONTEXT_OBJECT: (key, value) sorted; x = [1, feats...] */
	size_t nfeats;
	size_t d;                  /* length of x */
	struct bd_ctx *ctxs;       /* context_id order */
	size_t nctx;
	struct bd_cell *cells;     /* sorted by arm, then context */
	size_t ncells;
};

struct bd_input {
	struct bd_campaign *c;
	size_t n;
	int from_warehouse;
	int lookback;              /* warehouse: the window, else 0 */
	char start[11], end[11];   /* warehouse: the window's first and last day */
	size_t rows;               /* rows read (arm rows; warehouse: ad groups) */
	size_t arms;               /* available arms over all campaigns */
	size_t unavailable;        /* arms left out: paused, removed, "available": false */
	size_t clamped;            /* arms whose successes were clamped to their trials */
	char empty[512];           /* when n == 0: why there is nothing to decide on */
};

struct bd_read_opts {
	enum bd_metric metric;
	const char *campaign_id;   /* NULL: every campaign */
	const char *date;          /* warehouse: the window's last day, NULL: the latest */
	int lookback;              /* warehouse: days in the window */
	int contextual;            /* rows: each carries "context" or "features" */
};

/*
 * Read the arms of ads_ad_performance over the window.  Returns 0 (with
 * in->n == 0 and in->empty saying why when there is nothing: no warehouse,
 * no table, no rows), or an exit code with err filled: 65 for a query the
 * warehouse refuses, 70 for a warehouse failure.
 */
int bd_read_warehouse(const struct bd_read_opts *o, struct bd_input *in, char *err, size_t errsz);

/*
 * Read NDJSON arm rows from files (nfiles == 0: standard input).  Returns 0
 * (in->n may be 0, in->empty says why), or 65 with err "FILE:LINE: reason"
 * for the first bad row; nothing is kept then.
 */
int bd_read_rows(char *const *files, size_t nfiles, const struct bd_read_opts *o,
		 struct bd_input *in, char *err, size_t errsz);

void bd_input_free(struct bd_input *in);

/* The campaign with this id, or NULL (bsearch: campaigns are sorted). */
struct bd_campaign *bd_find_campaign(const struct bd_input *in, const char *id);
/* The index of the arm with this id in c->arms, or -1. */
long bd_find_arm(const struct bd_campaign *c, const char *id);

/*
 * A context (an object, or a features array) as the campaign's feature
 * vector x (c->d doubles): for an object, 1, then per feature the one-hot
 * (1 when the key has that string value) or the key's number (a boolean
 * 0/1, missing 0); keys or values the campaign's rows never had count 0.
 * Returns 0, or -1 with why filled (a features array of another length, a
 * string where the campaign's rows have numbers, a nested value).
 */
int bd_context_x(const struct bd_campaign *c, json_t *context, double *x, char *why,
		 size_t whysz);

/* ctx- + the first 16 hex digits of SHA-256 of text, in out (24 bytes). */
void bd_context_id(const char *text, size_t len, char out[24]);

/* FNV-1a 64 over the string's bytes (the per-campaign seed: seed ^ this). */
uint64_t bd_fnv1a64(const char *s);

#endif
