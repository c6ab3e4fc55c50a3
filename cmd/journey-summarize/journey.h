#ifndef JOURNEY_SUMMARIZE_JOURNEY_H
#define JOURNEY_SUMMARIZE_JOURNEY_H

#include <stddef.h>
#include <stdio.h>

/*
 * journey-summarize's model: a user's sessions -> journeys -> paths, and the
 * per-day sums of paths and of the transitions between states.
 *
 * Journeys.  A user's sessions, in order of session_start (then session_id),
 * are cut after every converted session: each conversion ends a journey, and
 * the sessions after the last conversion form one non-converting journey.
 * A journey's end E is its conversion's converted_at (the session's start
 * when converted_at is null) or, for a non-converting journey, the start of
 * its last session; its day is E's UTC day.
 *
 * Path.  The journey's sessions with 0 <= floor((E - start) / 1 day) <= L
 * (fractribution's TIMESTAMP_DIFF(conversion, visitStart, DAY) BETWEEN 0 AND
 * path_lookback_days), the journey's last session always included; then
 * consecutive repeats collapsed when asked (fractribution's `exposure`);
 * then trimLongPath(n): only the last n channels kept.
 *
 * Transitions.  Each path with J journeys, C conversions and N = J - C
 * non-conversions adds J to (start) -> c1 and to every c_i -> c_i+1, C to
 * c_last -> (conversion) and N to c_last -> (null): the counts are exactly
 * those of the paths written for the day, and a probability is a count over
 * its from-state's total for the day.
 */

#define JS_DAY 86400.0

struct js_session {
	char *user, *session_id, *channel;
	double start;          /* seconds since 1970 */
	double conv_at;        /* converted_at, NaN when null */
	double value;          /* conversion_value, 0 when null */
	int converted;
};

struct js_opts {
	long long first_day, last_day;   /* days since 1970 summarized, inclusive */
	int lookback;                    /* L, days */
	int collapse;                    /* collapse consecutive repeats */
	int max_len;                     /* trimLongPath(n); 0 = no limit */
};

struct js_stats {
	unsigned long long users, sessions, journeys, conversions;
	unsigned long long out_of_window;   /* journeys ending on another day */
	unsigned long long dropped_sessions; /* sessions outside their journey's lookback */
};

struct js_summary;

struct js_summary *js_new(const struct js_opts *o);
void js_free(struct js_summary *s);

/*
 * One user's sessions (all of them, any order; the array is sorted in
 * place).  Every session must have this user.
 */
void js_user(struct js_summary *s, struct js_session *v, size_t n);

/*
 * Sessions in user order (each user's sessions contiguous, any order
 * within a user): copies r, and hands the previous user to js_user() when
 * the user changes.  js_flush() ends the last user.
 */
void js_push(struct js_summary *s, const struct js_session *r);
void js_flush(struct js_summary *s);

const struct js_stats *js_stats(const struct js_summary *s);

/*
 * The journeys of one user's sorted sessions: calls f once per journey with
 * the first session and their count, its end and its day.  For tests.
 */
void js_journeys(const struct js_opts *o, const struct js_session *v, size_t n,
		 void (*f)(const struct js_session *j, size_t n, double end, long long day,
			   int converted, void *ctx), void *ctx);

/*
 * The path of one journey (sessions sorted, n >= 1, end as above): the
 * channel names into out (room for n), their count returned.
 */
size_t js_path(const struct js_opts *o, const struct js_session *v, size_t n, double end,
	       const char **out);

/* Order of sessions within a user: start, then session_id. */
int js_session_cmp(const struct js_session *a, const struct js_session *b);

/*
 * Why a channel name cannot be a path element (NULL when it can): empty,
 * containing " > " or a control character.
 */
const char *js_channel_problem(const char *ch);

/*
 * Write the rows: journey_paths_daily by date then path (byte order), then
 * journey_transitions_daily by date, from_state, to_state; every row tagged
 * with "_table".  Returns the rows written.
 */
size_t js_write(struct js_summary *s, FILE *out, const char *run_id, const char *now);

/* The transition count and probability of one day (days since 1970)
 * from -> to, for tests: 0 and NaN when never seen. */
double js_transition(const struct js_summary *s, long long day, const char *from,
		     const char *to, double *prob);

#endif
