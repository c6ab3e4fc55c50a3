#ifndef BANDIT_PROPOSE_INPUTS_H
#define BANDIT_PROPOSE_INPUTS_H

#include <stddef.h>

#include "propose.h"
#include "schema.h"
#include "warehouse.h"

/*
 * What bandit-propose reads: the rows of one bandit decision run
 * (bandit_decisions, from the warehouse or from NDJSON files/stdin), grouped
 * by campaign, and from the warehouse the statuses that a re-run must
 * respect (proposals a person decided, experiments proposed or running).
 */

/* What a proposal row needs of an arm besides the decision. */
struct bpr_arm_info {
	char *arm_id, *customer_id, *ad_group_id, *platform, *channel;
	unsigned long line;            /* stdin: its line (0 from the warehouse) */
};

struct bpr_camp {
	struct bpr_campaign c;         /* arms point into info's strings */
	struct bpr_arm_info *info;     /* per arm */
	char *campaign_id, *policy, *metric;
	char *window_end;              /* the latest of the rows', or NULL */
	char *decided_at;              /* the latest of the rows' */
	int experiment_done;           /* this run's experiment exists and is no longer proposed */
};

struct bpr_input {
	char *decision_run;            /* NULL: no decisions at all */
	char *decided_at;              /* the run's (latest) decided_at */
	char *source;                  /* "<stdin>", a file, or the warehouse's description */
	struct bpr_camp *camps;        /* in byte order of campaign_id */
	size_t n;
	size_t rows;                   /* rows of the run (and campaign) read */
	size_t runs;                   /* distinct runs seen (stdin) */
	size_t other_tables;           /* stdin rows tagged for another table, skipped */
	char **decided;                /* proposal ids of the run a person decided, sorted */
	size_t ndecided;
};

struct bpr_read_opts {
	const char *decision_run;      /* NULL: the latest by decided_at, then run_id */
	const char *campaign_id;       /* NULL: every campaign */
};

/*
 * Read the run from the warehouse.  Returns 0 (in->decision_run NULL when
 * there is no decision at all), or an exit code with err filled: 1 for
 * --decision-run naming no rows, 65 for rows that break the rules of a
 * decision (bpr_check), 70 for a warehouse failure.
 */
int bpr_read_warehouse(struct wh *w, const struct schema_set *set, const struct bpr_read_opts *o,
		       struct bpr_input *in, char *err, size_t errsz);

/*
 * Read the run from NDJSON files (nfiles 0: stdin).  A bad row dies with
 * 65 naming FILE:LINE and the reason (every bad row is reported first);
 * otherwise as bpr_read_warehouse.
 */
int bpr_read_files(const struct schema_set *set, char **files, int nfiles,
		   const struct bpr_read_opts *o, struct bpr_input *in, char *err, size_t errsz);

/*
 * The statuses a re-run respects (w may be NULL: none): the run's proposals
 * whose status is not proposed (in->decided), and per campaign whether
 * another run's experiment is proposed or running (c.experiment_blocked;
 * one whose seed_experiment proposal was rejected, expired or refused does
 * not count)
 * and whether this run's experiment is no longer proposed
 * (experiment_done).  Tables not created yet hold nothing.
 */
int bpr_read_statuses(struct wh *w, struct bpr_input *in, char *err, size_t errsz);

/* 1 when the id is among in->decided. */
int bpr_is_decided(const struct bpr_input *in, const char *id);

void bpr_input_free(struct bpr_input *in);

#endif
