#ifndef AELP_OPTS_H
#define AELP_OPTS_H

#include <stdio.h>

/*
 * One option table feeds both getopt_long() and --help, so the two cannot
 * drift apart.  --help (usage on stdout, exit 0) and --version are added to
 * every program's table by opts_parse().
 */

struct opt {
	int id;              /* passed to the handler; by habit the short letter or an enum */
	const char *name;    /* long name without "--" */
	int short_name;      /* a letter, or 0 for none */
	const char *arg;     /* the argument's name in --help, or NULL for a flag */
	const char *help;    /* one line */
};

struct opts_spec {
	const char *name;     /* the program's name, e.g. "bq-load"; becomes aelp_progname */
	const char *usage;    /* "[options] [TABLE] [FILE...]" */
	const char *summary;  /* what it does: printed after the usage line */
	const struct opt *opts; /* terminated by an entry whose name is NULL */
	const char *epilog;   /* environment, examples; printed before the exit codes */
};

/* Called once per option given, in order.  arg is NULL for a flag. */
typedef void (*opt_handler)(int id, const char *arg, void *ctx);

/*
 * Parse argv.  Handles --help and --version itself (exit 0); an unknown
 * option or a missing argument prints a short usage to stderr and exits 2.
 * Returns the index in argv of the first operand.
 */
int opts_parse(const struct opts_spec *spec, int argc, char **argv,
	       opt_handler handler, void *ctx);

/* Print the full help text to f. */
void opts_help(const struct opts_spec *spec, FILE *f);

/* Print "prog: message" and a one-line usage hint to stderr, exit 2. */
void usage_error(const struct opts_spec *spec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/*
 * Number parsing with range checks (no atoi): the whole string must be a
 * number within [lo, hi]; otherwise a usage error naming the option.
 */
long long opt_long(const char *optname, const char *arg, long long lo, long long hi);
double opt_double(const char *optname, const char *arg, double lo, double hi);

/*
 * The CAC cap a decision holds campaigns or arms to: `given` (an option's
 * value, NULL when the option was not given), else $AELP2_CAC_CAP; unset
 * or empty means no cap (NaN).  A value that is not a positive finite
 * number is a usage error naming where it came from (--cac-cap or
 * AELP2_CAC_CAP).
 */
double opt_cac_cap(const struct opts_spec *spec, const char *given);

#endif
