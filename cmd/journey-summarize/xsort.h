#ifndef JOURNEY_SUMMARIZE_XSORT_H
#define JOURNEY_SUMMARIZE_XSORT_H

#include <stddef.h>

#include "journey.h"

/*
 * Sessions arriving in any order, handed out grouped by user, in bounded
 * memory: an external merge sort.  Sessions are held (copied) until they
 * take `budget` bytes; then they are sorted by (user, start, session_id)
 * and spilled as one run to a temporary file ($TMPDIR), and at the end the
 * runs are merged (one session of each run in memory at a time).  Input
 * that fits the budget never touches the disk.  Memory: the budget, plus
 * one session per run, plus the largest user's sessions (js_push).
 */
struct xsort;

struct xsort *xs_new(size_t budget);
void xs_add(struct xsort *x, const struct js_session *r);   /* copies */
/* Hand every session to js_push() in user order, then js_flush(). */
void xs_drain(struct xsort *x, struct js_summary *s);
size_t xs_runs(const struct xsort *x);   /* runs spilled so far */
void xs_free(struct xsort *x);

#endif
