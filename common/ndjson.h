#ifndef AELP_NDJSON_H
#define AELP_NDJSON_H

#include <stddef.h>
#include <stdio.h>

/*
 * Streaming NDJSON input and output.
 *
 * The reader hands out one line at a time, of any length, without parsing
 * it: turning the text into a typed row is row.h's job, so a faster JSON
 * scanner can replace that step without touching the programs.  It strips
 * "\n" and a "\r" before it, returns a final line that has no newline, and
 * skips lines that are empty or all blanks (their numbers still count).
 */

struct nd_reader;

struct nd_line {
	char *text;              /* NUL-terminated; may contain NUL bytes, len is exact */
	size_t len;
	unsigned long lineno;    /* 1-based physical line number in the file */
};

/*
 * Open path for reading; "-" or NULL means standard input.  A file that
 * cannot be opened is a usage error: message naming it, exit 2.
 */
struct nd_reader *nd_open(const char *path);

/*
 * Read the next non-blank line into *line.  The text stays valid until the
 * next call.  Returns 1 for a line, 0 at end of input; a read error dies
 * with exit 70 naming the file.
 */
int nd_next(struct nd_reader *r, struct nd_line *line);

/*
 * Copy every byte read from now on to copy as well (NULL stops): a gate
 * that passes its input on unchanged spills it this way while reading.  A
 * final line without its newline gets one in the copy, so the copies of
 * several files never join two rows.  A failed write dies with exit 70.
 */
void nd_tee(struct nd_reader *r, FILE *copy);

/* The name used in messages: the path, or "<stdin>". */
const char *nd_name(const struct nd_reader *r);

/* Close (standard input is left open) and free. NULL is fine. */
void nd_close(struct nd_reader *r);

/*
 * Output.  Programs write JSON text straight to a FILE (stdout); these
 * helpers escape and format.  Every write is checked once, at the end, by
 * out_finish(); long loops may call out_check() to stop early when the
 * reader went away.
 */

/* Ignore SIGPIPE (a closed pipe becomes an EPIPE write error we report) and
 * give stdout a large buffer.  Call once at start. */
void out_init(void);

/* If f has an error already, die with exit 70 and the reason. */
void out_check(FILE *f);

/* Flush and close stdout; any failure dies with exit 70 ("write error ..."). */
void out_finish(void);

/*
 * A JSON string: quotes, escapes.  Returns 0, or -1 when s is not valid
 * UTF-8 (the string is then written with U+FFFD for each bad byte, and the
 * caller decides whether that is an error).
 */
int jw_str(FILE *f, const char *s, size_t n);

/* Length of the valid UTF-8 sequence at p (whose first byte is >= 0x80), or 0. */
size_t utf8_len(const unsigned char *p, const unsigned char *end);
/* An object key followed by ':' (the caller writes the commas). */
void jw_key(FILE *f, const char *key);
void jw_int(FILE *f, long long v);
/* A finite double in a short text (the fewest decimals for values such as
 * 593.92, else 15 to 17 significant digits) that reads back to exactly the
 * same value, always with a '.' or an exponent so it stays a float;
 * NaN/Inf write null. */
void jw_real(FILE *f, double v);
void jw_raw(FILE *f, const char *s, size_t n);

/*
 * An object member after the first: ",\"KEY\":VALUE" (the caller writes the
 * first member and the braces).  A NULL string and a NaN or infinite double
 * are written as null.
 */
void jw_kv_str(FILE *f, const char *k, const char *v);
void jw_kv_real(FILE *f, const char *k, double v);
void jw_kv_int(FILE *f, const char *k, long long v);

/* Format a double as jw_real does into buf (at least 32 bytes); returns length. */
size_t fmt_real(char *buf, double v);

#endif
