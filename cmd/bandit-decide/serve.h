#ifndef BANDIT_SERVE_H
#define BANDIT_SERVE_H

#include <stddef.h>
#include <stdio.h>

#include "arms.h"
#include "out.h"

/*
 * bandit-decide's serving mode (--requests FILE): one sampled decision per
 * request line, as MABWiser's predict does, over the arms already read.
 *
 *   in:  {"request_id":"r1","campaign_id":"c1","available":["ad1","ad2"],"k":2,
 *         "context":{...}}
 *   out: {"request_id":"r1","campaign_id":"c1","arms":["ad2","ad1"]}
 *
 * available (optional) restricts the decision to those arms (default: every
 * available arm); k (optional, default --slate) is the slate size, best
 * first; context is required by the contextual policies.  CAC-capped arms
 * are never served.  Every line is read and checked before the first
 * answer, so a bad line writes nothing.  Each campaign serves from its own
 * stream, seeded seed ^ FNV-1a 64 of its id.
 */

struct bd_serve_stats {
	size_t n;              /* decisions */
	double seconds;        /* wall time of the loop that decides and writes */
	double decide_seconds; /* the decisions alone: chunks of 1024 decided back to back,
				  their answers written after the clock stops */
	size_t timed;          /* decisions timed alone: every 8th */
	double p50_us, p99_us, max_us;   /* their latencies (the pick only) */
};

/*
 * Serve every request of path ("-": standard input) to out.  Returns 0, or
 * 65 with err "FILE:LINE: reason" (an unknown campaign or arm, a bad line;
 * nothing written).  stats (may be NULL) gets the timing.
 */
int bd_serve(const char *path, const struct bd_input *in, const struct bd_run *r, FILE *out,
	     struct bd_serve_stats *stats, char *err, size_t errsz);

#endif
