/*
 * External merge sort of sessions by user (xsort.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "xsort.h"

struct run {
	FILE *f;
	struct js_session cur;
	int live;
};

struct xsort {
	size_t budget, used;
	struct js_session *v;
	size_t n, cap;
	struct run *runs;
	size_t nruns;
};

struct xsort *xs_new(size_t budget)
{
	struct xsort *x = xcalloc(1, sizeof *x);
	x->budget = budget;
	return x;
}

static int full_cmp(const void *a, const void *b)
{
	const struct js_session *p = a, *q = b;
	int c = strcmp(p->user, q->user);
	return c ? c : js_session_cmp(p, q);
}

static void free_one(struct js_session *r)
{
	free(r->user);
	free(r->session_id);
	free(r->channel);
	r->user = r->session_id = r->channel = NULL;
}

static void put_str(FILE *f, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	fwrite(&n, sizeof n, 1, f);
	fwrite(s, 1, n, f);
}

static char *get_str(FILE *f)
{
	uint32_t n;
	char *s;
	if (fread(&n, sizeof n, 1, f) != 1)
		return NULL;
	s = xmalloc((size_t)n + 1);
	if (n && fread(s, 1, n, f) != n)
		die(AELP_EXIT_SOFTWARE, "temporary run file: short read");
	s[n] = 0;
	return s;
}

/* 1 and *r filled, or 0 at the end of the run. */
static int get_rec(FILE *f, struct js_session *r)
{
	double d[3];
	int32_t c;
	r->user = get_str(f);
	if (!r->user)
		return 0;
	r->session_id = get_str(f);
	r->channel = get_str(f);
	if (!r->session_id || !r->channel || fread(d, sizeof d, 1, f) != 1 ||
	    fread(&c, sizeof c, 1, f) != 1)
		die(AELP_EXIT_SOFTWARE, "temporary run file: short read");
	r->start = d[0];
	r->conv_at = d[1];
	r->value = d[2];
	r->converted = c;
	return 1;
}

static void spill(struct xsort *x)
{
	char *path;
	int fd = xmkstemp("journey-summarize", &path);
	FILE *f = fdopen(fd, "w+b");
	size_t i;

	if (!f)
		die(AELP_EXIT_SOFTWARE, "%s: cannot open the temporary run file", path);
	unlink(path);   /* gone when closed, whatever happens */
	free(path);
	qsort(x->v, x->n, sizeof *x->v, full_cmp);
	for (i = 0; i < x->n; i++) {
		const struct js_session *r = &x->v[i];
		double d[3] = { r->start, r->conv_at, r->value };
		int32_t c = r->converted;
		put_str(f, r->user);
		put_str(f, r->session_id);
		put_str(f, r->channel);
		fwrite(d, sizeof d, 1, f);
		fwrite(&c, sizeof c, 1, f);
		free_one(&x->v[i]);
	}
	if (fflush(f) != 0 || ferror(f) || fseek(f, 0, SEEK_SET) != 0)
		die(AELP_EXIT_SOFTWARE, "temporary run file: write error (disk full?)");
	x->runs = xrealloc(x->runs, (x->nruns + 1) * sizeof *x->runs);
	x->runs[x->nruns++] = (struct run){ f, { 0 }, 0 };
	x->n = 0;
	x->used = 0;
}

void xs_add(struct xsort *x, const struct js_session *r)
{
	struct js_session *c;
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 1024;
		x->v = xrealloc(x->v, x->cap * sizeof *x->v);
	}
	c = &x->v[x->n++];
	*c = *r;
	c->user = xstrdup(r->user);
	c->session_id = xstrdup(r->session_id);
	c->channel = xstrdup(r->channel);
	x->used += sizeof *c + strlen(c->user) + strlen(c->session_id) + strlen(c->channel) + 3 + 48;
	if (x->used >= x->budget)
		spill(x);
}

size_t xs_runs(const struct xsort *x)
{
	return x->nruns;
}

void xs_drain(struct xsort *x, struct js_summary *s)
{
	size_t i;

	if (!x->nruns) {
		qsort(x->v, x->n, sizeof *x->v, full_cmp);
		for (i = 0; i < x->n; i++) {
			js_push(s, &x->v[i]);
			free_one(&x->v[i]);
		}
		x->n = 0;
		js_flush(s);
		return;
	}
	if (x->n)
		spill(x);
	for (i = 0; i < x->nruns; i++)
		x->runs[i].live = get_rec(x->runs[i].f, &x->runs[i].cur);
	for (;;) {
		struct run *best = NULL;
		for (i = 0; i < x->nruns; i++)
			if (x->runs[i].live && (!best || full_cmp(&x->runs[i].cur, &best->cur) < 0))
				best = &x->runs[i];
		if (!best)
			break;
		js_push(s, &best->cur);
		free_one(&best->cur);
		best->live = get_rec(best->f, &best->cur);
	}
	js_flush(s);
}

void xs_free(struct xsort *x)
{
	size_t i;
	if (!x)
		return;
	for (i = 0; i < x->n; i++)
		free_one(&x->v[i]);
	for (i = 0; i < x->nruns; i++) {
		if (x->runs[i].live)
			free_one(&x->runs[i].cur);
		fclose(x->runs[i].f);
	}
	free(x->runs);
	free(x->v);
	free(x);
}
