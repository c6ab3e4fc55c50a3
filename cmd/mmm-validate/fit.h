#ifndef MMM_VALIDATE_FIT_H
#define MMM_VALIDATE_FIT_H

#include <stddef.h>

/*
 * The Bayesian fit to compare with: one mmm_runs row and its
 * mmm_allocations rows, from mmm-fit's NDJSON output or from the warehouse.
 */

struct bayes_channel {
	char *channel;
	double roi_mean, roi_p05, roi_p95, contribution_mean;   /* NaN when null */
};

struct bayes_fit {
	char *run_id;
	int n;
	struct bayes_channel *ch;
	/* The fit's window and grain ("" when the row lacks them), and the value per
	 * conversion its ROIs were multiplied by (0: none). */
	char start[11], end[11], grain[8];
	double value;
};

/*
 * Which run: want_id when given, else the latest (created_at, then the later
 * row) whose status is "ok".  Return 0 with *f filled; 1 when there is no
 * usable fit (none at all, or the one named is not ok), the reason in err;
 * 65 for a fit file that is not NDJSON objects (FILE:LINE in err); another
 * exit code from the warehouse.
 */
int fit_read_file(const char *path, const char *want_id, struct bayes_fit *f,
		  char *err, size_t errsz);
int fit_read_warehouse(const char *want_id, struct bayes_fit *f, char *err, size_t errsz);

/* The channel's entry, or NULL. */
const struct bayes_channel *fit_channel(const struct bayes_fit *f, const char *name);

void fit_free(struct bayes_fit *f);

#endif
