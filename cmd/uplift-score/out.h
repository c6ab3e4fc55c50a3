#ifndef UPLIFT_OUT_H
#define UPLIFT_OUT_H

#include <stdio.h>

#include "input.h"
#include "score.h"

/* uplift-score's rows: segment_scores_daily, uplift_models, segment_audience_map. */

struct up_meta {
	const char *date;        /* YYYY-MM-DD */
	const char *run_id;
	const char *created;     /* canonical UTC timestamp */
	const char *version;
};

/* One `_table`-tagged row per score row, then per model row. */
void up_write_scores(FILE *f, const struct up_data *d, const struct up_result *r,
		     const struct up_meta *m);
void up_write_models(FILE *f, const struct up_data *d, const struct up_result *r,
		     const struct up_meta *m);

/*
 * Read and check an audience map (NDJSON objects, or CSV with a header line
 * when the first line does not start with '{'): segment, platform and
 * audience_id required; audience_name, audience_type, customer_id, channel,
 * active optional.  Platform google_ads, meta, tiktok or linkedin;
 * audience_type customer_match, remarketing, lookalike or custom; channel an
 * AELP channel; the segment one of r's rows; no key twice.  The rows go to
 * f as segment_audience_map rows (source = path).  Returns the number of
 * rows, or -1 with "FILE:LINE: reason" in err (nothing useful in f then).
 */
long up_audience_map(FILE *f, const char *path, const struct up_result *r,
		     const struct up_meta *m, char *err, size_t errsz);

#endif
