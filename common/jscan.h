#ifndef AELP_JSCAN_H
#define AELP_JSCAN_H

#include <stddef.h>

/*
 * A one-pass scanner of one JSON object a line that keeps only the members
 * asked for: several times faster than building a jansson tree for each
 * row, for the programs whose input is large and flat (uplift-score reads
 * Hillstrom's 64,000 rows with it, ltv-fit a million summary rows a
 * second).  The text must be one well-formed JSON object (white space
 * around allowed, strings valid UTF-8, numbers within a double's range);
 * nested objects and arrays are checked (64 levels at most) and skipped.
 * A key given twice keeps its last value, as jansson does; a key asked for
 * twice gets the value in both places.
 *
 * Numbers: an integer (no fraction, no exponent) that fits a long long is
 * JV_INT, every other number JV_REAL; d is always the value strtod gives,
 * bit for bit (the common short numbers are converted without it).
 */

enum jv_kind { JV_ABSENT, JV_NULL, JV_BOOL, JV_INT, JV_REAL, JV_STRING, JV_OTHER };

struct jv {
	enum jv_kind kind;
	double d;           /* JV_BOOL 0/1, JV_INT, JV_REAL */
	long long i;        /* JV_INT */
	/*
	 * JV_STRING: the decoded UTF-8 (a NUL after it; it may hold NULs from
	 * \u0000), in the scanner's buffer.  Every other kind present: the
	 * value's text as written on the line ("null", "true", "-1.5e2", a
	 * whole nested "[...]"), not NUL-terminated.
	 */
	const char *s;
	size_t n;
};

/* A scanner: one per input, set up by jscan_init, released by jscan_free. */
struct jscan {
	const char *const *key;   /* the members wanted (borrowed) */
	size_t *klen;
	size_t *same;             /* by key: the next index asking for the same key (nkey: none) */
	char *plain;              /* by key: 1 when ASCII without '"', '\\' or controls */
	size_t nkey;
	char *buf;                /* decoded strings of the last line */
	size_t cap;
	size_t *hint;             /* by member place: the key index found there last (nkey: none) */
	size_t nhint;
	const char *why;          /* after a failed jscan_line: the reason (a static string) */
};

/* Set up for the nkey keys (borrowed; they must outlive the scanner). */
void jscan_init(struct jscan *s, const char *const *key, size_t nkey);
void jscan_free(struct jscan *s);

/*
 * Scan text[0..len) into v[0..nkey) (the values of the keys, JV_ABSENT when
 * missing).  Returns 0, or -1 when the text is not one JSON object, with
 * s->why saying what is wrong ("expected ',' or '}'", "string is not
 * UTF-8", ...; the caller adds FILE:LINE).  The strings stay valid until
 * the next call; the texts of other values as long as text does.
 */
int jscan_line(struct jscan *s, const char *text, size_t len, struct jv *v);

static inline int jv_is_number(const struct jv *v) { return v->kind == JV_INT || v->kind == JV_REAL; }

#endif
