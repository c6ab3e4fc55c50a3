#ifndef JOURNEY_SUMMARIZE_INPUT_H
#define JOURNEY_SUMMARIZE_INPUT_H

#include <stddef.h>

#include "journey.h"
#include "schema.h"
#include "warehouse.h"

/*
 * Where the sessions come from.  Both readers keep only the sessions that
 * started in [from, until) (seconds since 1970) and return 0, or an exit
 * code with err filled (65 for a bad row, FILE:LINE first; 70 for the
 * warehouse failing).
 */

/* gaelp_users.journey_sessions in the warehouse, one query ordered by
 * user_id: one user in memory at a time. */
int in_read_warehouse(struct wh *w, double from, double until, struct js_summary *s,
		      unsigned long long *rows, char *err, size_t errsz);

/* NDJSON rows of gaelp_users.journey_sessions from files (none: stdin), in
 * any order, through the external sort (budget bytes). */
int in_read_rows(const struct schema_set *set, char *const *files, size_t nfiles, double from,
		 double until, size_t budget, struct js_summary *s, unsigned long long *rows,
		 size_t *runs, char *err, size_t errsz);

#endif
