#ifndef AELP_HARNESS_H
#define AELP_HARNESS_H

/*
 * A small unit-test harness: one line per failed check, a closing line
 * "unit NAME: N passed, M failed", exit status 1 when any check failed.
 * expect_exit() runs a function in a child to test code paths that die().
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int h_pass, h_fail;

#define CHECK(cond) do { \
	if (cond) h_pass++; \
	else { h_fail++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_INT(a, b) do { \
	long long h_a = (long long)(a), h_b = (long long)(b); \
	if (h_a == h_b) h_pass++; \
	else { h_fail++; fprintf(stderr, "FAIL %s:%d: %s == %lld, expected %lld\n", \
				 __FILE__, __LINE__, #a, h_a, h_b); } \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *h_a = (a), *h_b = (b); \
	if (h_a && h_b && strcmp(h_a, h_b) == 0) h_pass++; \
	else { h_fail++; fprintf(stderr, "FAIL %s:%d: %s == \"%s\", expected \"%s\"\n", \
				 __FILE__, __LINE__, #a, h_a ? h_a : "(null)", h_b ? h_b : "(null)"); } \
} while (0)

/* The text a contains b. */
#define CHECK_HAS(a, b) do { \
	const char *h_a = (a), *h_b = (b); \
	if (h_a && strstr(h_a, h_b)) h_pass++; \
	else { h_fail++; fprintf(stderr, "FAIL %s:%d: \"%s\" does not contain \"%s\"\n", \
				 __FILE__, __LINE__, h_a ? h_a : "(null)", h_b); } \
} while (0)

/*
 * Run fn(arg) in a child with stderr captured into buf (NUL-terminated);
 * return its exit status, or 128+signal.
 */
static inline int expect_exit(void (*fn)(const void *), const void *arg, char *buf, size_t sz)
{
	int fds[2], st;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	fflush(NULL);
	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		fn(arg);
		fflush(NULL);
		_exit(0);
	}
	close(fds[1]);
	while (len + 1 < sz && (n = read(fds[0], buf + len, sz - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline int h_done(const char *name)
{
	printf("unit %s: %d passed, %d failed\n", name, h_pass, h_fail);
	return h_fail ? 1 : 0;
}

#endif
