#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"

const char *aelp_progname = "aelp";

const char aelp_exit_help[] =
	"Exit status:\n"
	"  0   success\n"
	"  1   a gate or check said no (e.g. the warehouse conflicts with its schema)\n"
	"  2   usage or configuration error\n"
	"  65  bad input data (file and line named; nothing written)\n"
	"  69  a remote service unavailable after retries\n"
	"  70  internal or I/O error (e.g. a write to stdout failed)\n"
	"  77  not permitted (flag off, no approval)\n";

static void vwarn(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", aelp_progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	aelp_exit_now(code);
}

void aelp_exit_now(int code)
{
	fflush(NULL);
	_exit(code);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die(AELP_EXIT_SOFTWARE, "out of memory allocating %zu bytes", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die(AELP_EXIT_SOFTWARE, "out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die(AELP_EXIT_SOFTWARE, "out of memory allocating %zu bytes", n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		die(AELP_EXIT_SOFTWARE, "out of memory formatting a message");
	return s;
}

int xmkstemp(const char *prefix, char **path)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	*path = xasprintf("%s/%s.XXXXXX", dir, prefix);
	fd = mkstemp(*path);
	if (fd < 0)
		die(AELP_EXIT_SOFTWARE, "cannot create a temporary file in '%s': %s", dir,
		    strerror(errno));
	return fd;
}

int errorf(char *buf, size_t n, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return code;
}
