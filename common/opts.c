#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "opts.h"

#ifndef AELP_VERSION
#define AELP_VERSION "unknown"
#endif

enum { OPT_HELP = -1000, OPT_VERSION = -1001 };

void opts_help(const struct opts_spec *spec, FILE *f)
{
	const struct opt *o;

	fprintf(f, "usage: %s %s\n\n%s\n", spec->name, spec->usage, spec->summary);
	fputs("\nOptions:\n", f);
	for (o = spec->opts; o && o->name; o++) {
		char left[64];
		if (o->short_name)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-28s %s\n", left, o->help);
	}
	fprintf(f, "  %-28s %s\n", "-h, --help", "show this help and exit");
	fprintf(f, "  %-28s %s\n", "    --version", "show the version and exit");
	if (spec->epilog && *spec->epilog)
		fprintf(f, "\n%s", spec->epilog);
	fprintf(f, "\n%s", aelp_exit_help);
}

void usage_error(const struct opts_spec *spec, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", spec->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s %s\nTry '%s --help' for more information.\n",
		spec->name, spec->usage, spec->name);
	aelp_exit_now(AELP_EXIT_USAGE);
}

int opts_parse(const struct opts_spec *spec, int argc, char **argv,
	       opt_handler handler, void *ctx)
{
	size_t n = 0, i;
	const struct opt *o;
	struct option *lo;
	char shorts[128];
	size_t sp = 0;
	int c, li;

	aelp_progname = spec->name;
	for (o = spec->opts; o && o->name; o++)
		n++;
	lo = xcalloc(n + 3, sizeof *lo);
	shorts[sp++] = ':';     /* report a missing argument as ':' */
	shorts[sp++] = 'h';
	for (i = 0; i < n; i++) {
		o = &spec->opts[i];
		lo[i].name = o->name;
		lo[i].has_arg = o->arg ? required_argument : no_argument;
		lo[i].flag = NULL;
		lo[i].val = (int)(1000 + i);
		if (o->short_name && sp + 3 < sizeof shorts) {
			shorts[sp++] = (char)o->short_name;
			if (o->arg)
				shorts[sp++] = ':';
		}
	}
	shorts[sp] = '\0';
	lo[n].name = "help";
	lo[n].val = OPT_HELP;
	lo[n + 1].name = "version";
	lo[n + 1].val = OPT_VERSION;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, lo, &li)) != -1) {
		if (c == 'h' || c == OPT_HELP) {
			free(lo);
			opts_help(spec, stdout);
			exit(fflush(stdout) == 0 && !ferror(stdout) ? 0 : AELP_EXIT_SOFTWARE);
		}
		if (c == OPT_VERSION) {
			free(lo);
			printf("%s (AELP2) %s\n", spec->name, AELP_VERSION);
			exit(fflush(stdout) == 0 && !ferror(stdout) ? 0 : AELP_EXIT_SOFTWARE);
		}
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			free(lo);
			if (c == ':')
				usage_error(spec, "option '%s' needs an argument", bad);
			if (optopt && optopt < 1000)
				usage_error(spec, "unknown option '-%c'", optopt);
			usage_error(spec, "unknown option '%s'", bad);
		}
		if (c >= 1000 && (size_t)(c - 1000) < n) {
			o = &spec->opts[c - 1000];
		} else {
			for (o = spec->opts; o->name; o++)
				if (o->short_name == c)
					break;
		}
		if (!o || !o->name) {
			free(lo);
			die(AELP_EXIT_SOFTWARE, "option table out of step with getopt (code %d)", c);
		}
		handler(o->id, o->arg ? optarg : NULL, ctx);
	}
	free(lo);
	return optind;
}

long long opt_long(const char *optname, const char *arg, long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (end == arg || *end != '\0' || errno == ERANGE) {
		warn("option '--%s': '%s' is not a whole number", optname, arg);
		aelp_exit_now(AELP_EXIT_USAGE);
	}
	if (v < lo || v > hi) {
		warn("option '--%s': %lld is out of range [%lld, %lld]", optname, v, lo, hi);
		aelp_exit_now(AELP_EXIT_USAGE);
	}
	return v;
}

double opt_double(const char *optname, const char *arg, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno == ERANGE || !isfinite(v)) {
		warn("option '--%s': '%s' is not a finite number", optname, arg);
		aelp_exit_now(AELP_EXIT_USAGE);
	}
	if (v < lo || v > hi) {
		warn("option '--%s': %g is out of range [%g, %g]", optname, v, lo, hi);
		aelp_exit_now(AELP_EXIT_USAGE);
	}
	return v;
}

double opt_cac_cap(const struct opts_spec *spec, const char *given)
{
	const char *s = given ? given : getenv("AELP2_CAC_CAP");
	char *end;
	double v;

	if (!given && (!s || !*s))
		return NAN;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || !(v > 0))
		usage_error(spec, "%s='%s' is not a positive number (a CAC in account currency; "
			    "unset it for no cap)", given ? "--cac-cap" : "AELP2_CAC_CAP", s);
	return v;
}
