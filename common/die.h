#ifndef AELP_DIE_H
#define AELP_DIE_H

/*
 * Diagnostics and exit codes shared by every AELP2 program.
 *
 * Messages go to stderr as "prog: message" (git's wording habits: lowercase,
 * no final full stop, the subject quoted, file:line first when the input is
 * at fault).  The exit codes are the contract of DESIGN.md; every --help
 * repeats them.
 */

enum aelp_exit {
	AELP_EXIT_OK = 0,           /* done */
	AELP_EXIT_GATE = 1,         /* a gate or check said no (verdict, not an error) */
	AELP_EXIT_USAGE = 2,        /* bad options or configuration */
	AELP_EXIT_DATAERR = 65,     /* bad input data; nothing was written */
	AELP_EXIT_UNAVAILABLE = 69, /* a remote service unavailable after retries */
	AELP_EXIT_SOFTWARE = 70,    /* internal or I/O error (a failed write included) */
	AELP_EXIT_NOPERM = 77       /* not permitted: flag off, no approval */
};

/* The exit-code table as --help prints it (one line per code). */
extern const char aelp_exit_help[];

/* Program name used as the message prefix; set once by opts_parse() or directly. */
extern const char *aelp_progname;

/* Print "prog: message\n" to stderr. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* warn(), then exit(code).  Never returns. */
void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/*
 * End the process after an error: stdio is flushed, then _exit(code).  The
 * atexit handlers are skipped on purpose: a run abandoned halfway still
 * holds its allocations, and LeakSanitizer should judge only the runs that
 * finish (die() and usage errors end this way; a normal return from main
 * does not).
 */
void aelp_exit_now(int code) __attribute__((noreturn));

/* Allocation that cannot fail: on failure dies with AELP_EXIT_SOFTWARE. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/*
 * A new file $TMPDIR/PREFIX.XXXXXX (TMPDIR defaults to /tmp), open for
 * reading and writing: its descriptor, and its path in *path (caller
 * frees).  Failure dies with AELP_EXIT_SOFTWARE.
 */
int xmkstemp(const char *prefix, char **path);

/*
 * For functions that report an error to their caller rather than die:
 * format the message into buf (n bytes) and return code, so that
 * "return errorf(err, errsz, 65, ...)" fills and returns in one.
 */
int errorf(char *buf, size_t n, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Formatted string in new memory (caller frees). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
