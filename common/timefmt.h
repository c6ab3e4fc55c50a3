#ifndef AELP_TIMEFMT_H
#define AELP_TIMEFMT_H

#include <stddef.h>

/*
 * Calendar dates and RFC 3339 timestamps, as the warehouse stores them.
 *
 * DATE is "YYYY-MM-DD" with a real calendar day (2025-02-30 is refused).
 * TIMESTAMP is stored in one canonical UTC text form,
 *   "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"
 * with the fraction's trailing zeros dropped (and no fraction when it is
 * zero), so equal instants compare equal.  Text order is time order except
 * within one second: "...:00Z" sorts after "...:00.5Z" ('Z' > '.'), so
 * compare instants with timestamp_epoch() (or SQLite's julianday()).
 */

/* 1 if s[0..n) is a valid DATE, else 0. */
int date_valid(const char *s, size_t n);

/* Days since 1970-01-01 of a proleptic Gregorian date (any year). */
long long days_from_civil(long long y, unsigned m, unsigned d);
/* The inverse: civil date of a day number. */
void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d);
/* The day number of a DATE s[0..n): 0, or -1 when s is not a valid DATE. */
int day_number(const char *s, size_t n, long long *days);
/* A day number as "YYYY-MM-DD" (out holds 11 bytes or more). */
void day_format(long long days, char *out);

/*
 * Parse an RFC 3339 timestamp s[0..n) and write its canonical UTC form to
 * out (at least TS_CANON_MAX bytes, NUL-terminated).  Accepted: a 'T', 't'
 * or ' ' between date and time; 0 to 9 fractional digits, of which those
 * past the sixth (finer than a microsecond) must be zeros; 'Z', 'z',
 * "+HH:MM" or "-HH:MM", or no zone at all (read as UTC, as BigQuery does).
 * Returns the canonical length, or 0 when s is not such a timestamp; then
 * *why (when not NULL) says what is wrong.
 */
#define TS_CANON_MAX 32
size_t timestamp_canon(const char *s, size_t n, char *out, const char **why);

/*
 * The current time in the canonical form, to the microsecond, in out (at
 * least TS_CANON_MAX bytes); *epoch_seconds (when not NULL) gets the same
 * instant as seconds since 1970.  Returns the length.
 */
size_t timestamp_now(char *out, double *epoch_seconds);

/*
 * Seconds since 1970 of a timestamp in any form timestamp_canon() accepts,
 * in *epoch (microseconds kept).  Returns 0, or -1 when s is not one.
 */
int timestamp_epoch(const char *s, double *epoch);

/* The canonical form of an instant given as seconds since 1970, rounded to
 * the microsecond, in out (at least TS_CANON_MAX bytes).  Returns the length. */
size_t timestamp_from_epoch(double epoch, char *out);

#endif
