#ifndef BUDGET_PROPOSE_INPUTS_H
#define BUDGET_PROPOSE_INPUTS_H

#include <stddef.h>

#include "propose.h"
#include "warehouse.h"

/*
 * What budget-propose reads from the warehouse: each enabled campaign's
 * latest budget (view canary_budgets_latest) joined with its lookback
 * performance (view ads_campaign_daily), and the latest successful
 * media-mix run (mmm_runs, mmm_allocations, mmm_curves) unless told not to.
 */

struct bp_camp {
	struct bp_campaign c;
	char *campaign_id, *campaign_name, *customer_id, *budget_id, *platform, *channel;
	int chan;                      /* index in bp_input.chans, or -1 */
	int decided;                   /* this run already proposed it and a person decided */
};

struct bp_read_opts {
	const char *end;               /* window's last day, or NULL: the latest with data */
	int days;
	int use_mmm;
	const char *mmm_run_id;        /* NULL: the latest with status ok */
};

struct bp_input {
	char start[11], end[11];
	struct bp_camp *camps;
	size_t n;
	struct bp_channel *chans;      /* the MMM's channels (empty without a run) */
	size_t nchans;
	char *mmm_run_id;              /* NULL: history only */
	char *mmm_created_at;
	char *mmm_kpi;
	double value_per_conversion;
	double total_spend, total_conv; /* over the campaigns proposed on */
	size_t no_budget;              /* performance but no budget snapshot */
	size_t not_enabled;            /* a snapshot status other than ENABLED */
	size_t no_spend;               /* a budget but no row in the window */
};

/*
 * Read.  Returns 0, or an exit code with err filled: 1 when there is
 * nothing to propose from (no performance rows; --mmm-run-id naming a run
 * that is missing or not ok), 65 for a query the warehouse refuses, 70 for
 * a warehouse failure.
 */
int bp_read(struct wh *w, const struct bp_read_opts *o, struct bp_input *in, char *err, size_t errsz);
void bp_input_free(struct bp_input *in);

/*
 * Mark the campaigns whose proposal in run run_id a person already decided
 * (status other than proposed): a re-run of the run leaves them out rather
 * than overwrite the decision.  Returns 0 or an exit code with err filled.
 */
int bp_mark_decided(struct wh *w, const char *run_id, struct bp_input *in, char *err, size_t errsz);

#endif
