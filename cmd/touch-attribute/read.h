#ifndef TA_READ_H
#define TA_READ_H

#include <stddef.h>

#include "attrib.h"
#include "schema.h"

/*
 * touch-attribute's inputs: gaelp_users.persistent_touchpoints rows as NDJSON
 * (--stdin; rows tagged for another table are skipped and counted), or from
 * the warehouse with one query for the read window.
 */

struct ta_read {
	char **names;          /* file names the touches point at */
	size_t nnames;
	size_t other_tables;   /* --stdin rows of other tables, skipped */
	size_t rows;
};

/* Read NDJSON files (none: standard input).  0, or 65 with err naming
 * FILE:LINE of the first bad row (the first 20 are warned). */
int ta_read_files(const struct schema_set *set, char *const *files, size_t nfiles,
		  struct ta_input *in, struct ta_read *rd, char *err, size_t errsz);

/*
 * Read the warehouse: the touches of [from_day, to_day] (days since 1970,
 * inclusive), ordered by user and time.  *latest_day (when not NULL and
 * *latest_day < 0) first gets the day of the latest conversion in the
 * table, or stays -1 when there is none.  0, or an exit code with err.
 */
int ta_read_warehouse(const struct schema_set *set, long long *latest_day, long long back_days,
		      struct ta_input *in, struct ta_read *rd, char *err, size_t errsz);

void ta_read_free(struct ta_read *rd);

#endif
