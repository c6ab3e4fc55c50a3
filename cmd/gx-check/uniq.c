/*
 * Duplicate detection in bounded memory.  Values go into a buffer of
 * (hash, row, key, JSON text) records; when the buffer reaches its budget
 * it is sorted by (hash, key) and written as a run to an unlinked
 * temporary file.  At the end the runs (or the buffer alone) are merged
 * and every group of two or more equal keys is reported.  Keys are
 * compared byte for byte whenever the hashes are equal, so the result is
 * exact whatever the hash does.
 *
 * The budget is at least UNIQ_MIN_BUDGET, so that a run holds many records;
 * the merge reads each run through a buffer of its share of the budget and
 * takes the smallest head from a binary heap: O(N log runs).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "gx.h"

struct rec {
	uint64_t hash;
	uint64_t row;
	size_t off;              /* into the arena: key bytes, then JSON bytes */
	uint32_t keyn, jsonn;
};

struct run {
	long start, end;         /* byte range in the spill file */
	long pos;
	/* the current record */
	uint64_t hash, row;
	uint32_t keyn, jsonn;
	char *buf;
	size_t cap;
	int live;
	char *rb;                /* read buffer: pread() keeps runs independent */
	size_t rbpos, rblen;
};

#define UNIQ_MIN_BUDGET 4096
#define RUNBUF_MIN 512
#define RUNBUF_MAX 65536

struct gx_uniq {
	size_t budget;
	size_t rbsize;           /* read buffer of each run while merging */
	struct rec *recs;
	size_t nrec, caprec;
	char *arena;
	size_t used, caparena;
	FILE *spill;
	struct run *runs;
	size_t nruns;
};

size_t gx_uniq_budget(void)
{
	const char *s = getenv("GX_CHECK_SORT_BUFFER");
	if (s && *s) {
		char *end;
		unsigned long long v;
		errno = 0;
		v = strtoull(s, &end, 10);
		if (!errno && !*end && end != s)
			return v < UNIQ_MIN_BUDGET ? UNIQ_MIN_BUDGET : (size_t)v;
	}
	return (size_t)32 << 20;
}

struct gx_uniq *gx_uniq_new(size_t budget)
{
	struct gx_uniq *u = xcalloc(1, sizeof *u);
	u->budget = budget < UNIQ_MIN_BUDGET ? UNIQ_MIN_BUDGET : budget;
	return u;
}

size_t gx_uniq_runs(const struct gx_uniq *u)
{
	return u->nruns;
}

static uint64_t hash64(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	while (n--)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static const char *sort_arena;   /* qsort has no context argument in C11 */

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	c = memcmp(sort_arena + x->off, sort_arena + y->off, x->keyn < y->keyn ? x->keyn : y->keyn);
	if (c)
		return c;
	if (x->keyn != y->keyn)
		return x->keyn < y->keyn ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

static void wr(struct gx_uniq *u, const void *p, size_t n)
{
	if (fwrite(p, 1, n, u->spill) != n)
		die(AELP_EXIT_SOFTWARE, "cannot write a temporary file: %s", strerror(errno));
}

FILE *gx_tmpfile(void)
{
	char *path;
	int fd = xmkstemp("gx-check", &path);
	FILE *fp;

	unlink(path);
	free(path);
	fp = fdopen(fd, "w+");
	if (!fp)
		die(AELP_EXIT_SOFTWARE, "cannot open a temporary file: %s", strerror(errno));
	return fp;
}

static void sort_buffer(struct gx_uniq *u)
{
	sort_arena = u->arena;
	if (u->nrec > 1)   /* recs is NULL when nothing was added */
		qsort(u->recs, u->nrec, sizeof *u->recs, rec_cmp);
}

static void spill(struct gx_uniq *u)
{
	size_t i;
	struct run *r;

	if (!u->spill)
		u->spill = gx_tmpfile();
	sort_buffer(u);
	u->runs = xrealloc(u->runs, (u->nruns + 1) * sizeof *u->runs);
	r = &u->runs[u->nruns++];
	memset(r, 0, sizeof *r);
	r->start = ftell(u->spill);
	for (i = 0; i < u->nrec; i++) {
		const struct rec *x = &u->recs[i];
		wr(u, &x->hash, 8);
		wr(u, &x->row, 8);
		wr(u, &x->keyn, 4);
		wr(u, &x->jsonn, 4);
		wr(u, u->arena + x->off, (size_t)x->keyn + x->jsonn);
	}
	r->end = ftell(u->spill);
	u->nrec = 0;
	u->used = 0;
}

void gx_uniq_add(struct gx_uniq *u, const char *key, size_t keyn, unsigned long long row,
		 const char *json, size_t jsonn)
{
	size_t need = keyn + jsonn;
	struct rec *x;

	if (u->nrec && (u->used + need + (u->nrec + 1) * sizeof *u->recs > u->budget))
		spill(u);
	if (u->nrec == u->caprec) {
		u->caprec = u->caprec ? u->caprec * 2 : 64;
		u->recs = xrealloc(u->recs, u->caprec * sizeof *u->recs);
	}
	if (u->used + need > u->caparena) {
		size_t cap = u->caparena ? u->caparena : 4096;
		while (cap < u->used + need)
			cap *= 2;
		u->arena = xrealloc(u->arena, cap);
		u->caparena = cap;
	}
	x = &u->recs[u->nrec++];
	x->hash = hash64(key, keyn);
	x->row = row;
	x->off = u->used;
	x->keyn = (uint32_t)keyn;
	x->jsonn = (uint32_t)jsonn;
	memcpy(u->arena + u->used, key, keyn);
	memcpy(u->arena + u->used + keyn, json, jsonn);
	u->used += need;
}

/* ---- merging ---- */

static void run_read(struct gx_uniq *u, struct run *r, void *dst, size_t n)
{
	char *d = dst;
	while (n) {
		size_t k;
		if (r->rbpos == r->rblen) {
			ssize_t got;
			size_t want = u->rbsize;
			if ((long)want > r->end - r->pos)
				want = (size_t)(r->end - r->pos);
			if (!r->rb)
				r->rb = xmalloc(u->rbsize);
			got = want ? pread(fileno(u->spill), r->rb, want, r->pos) : 0;
			if (got <= 0)
				die(AELP_EXIT_SOFTWARE, "cannot read a temporary file: %s",
				    got < 0 ? strerror(errno) : "unexpected end");
			r->pos += got;
			r->rbpos = 0;
			r->rblen = (size_t)got;
		}
		k = r->rblen - r->rbpos < n ? r->rblen - r->rbpos : n;
		memcpy(d, r->rb + r->rbpos, k);
		r->rbpos += k;
		d += k;
		n -= k;
	}
}

static int run_next(struct gx_uniq *u, struct run *r)
{
	size_t n;
	if (r->pos >= r->end && r->rbpos == r->rblen) {
		r->live = 0;
		return 0;
	}
	run_read(u, r, &r->hash, 8);
	run_read(u, r, &r->row, 8);
	run_read(u, r, &r->keyn, 4);
	run_read(u, r, &r->jsonn, 4);
	n = (size_t)r->keyn + r->jsonn;
	if (n > r->cap) {
		r->cap = n * 2 + 64;
		r->buf = xrealloc(r->buf, r->cap);
	}
	run_read(u, r, r->buf, n);
	r->live = 1;
	return 1;
}

/* The order of the merge: (hash, key, row), as rec_cmp sorts a run. */
static int run_less(const struct run *a, const struct run *b)
{
	int c;
	if (a->hash != b->hash)
		return a->hash < b->hash;
	c = memcmp(a->buf, b->buf, a->keyn < b->keyn ? a->keyn : b->keyn);
	if (c)
		return c < 0;
	if (a->keyn != b->keyn)
		return a->keyn < b->keyn;
	return a->row < b->row;
}

/* Restore the heap below i (a min-heap of the runs' heads). */
static void sift_down(struct run **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct run *t;
		if (l < n && run_less(h[l], h[m]))
			m = l;
		if (l + 1 < n && run_less(h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/*
 * Groups in sorted order: `first` holds the first member of the current
 * group until a second one shows it is a duplicate.
 */
struct grouper {
	uint64_t hash;
	char *key, *json;
	size_t keyn, jsonn, cap;
	uint64_t row;
	int have, dup;
	gx_uniq_fn fn;
	void *ctx;
};

static void group_feed(struct grouper *g, uint64_t hash, const char *key, size_t keyn, uint64_t row,
		       const char *json, size_t jsonn)
{
	if (g->have && g->hash == hash && g->keyn == keyn && memcmp(g->key, key, keyn) == 0) {
		if (!g->dup) {
			g->fn(g->ctx, g->row, g->json, g->jsonn);
			g->dup = 1;
		}
		g->fn(g->ctx, row, json, jsonn);
		return;
	}
	if (keyn + jsonn > g->cap) {
		g->cap = (keyn + jsonn) * 2 + 64;
		free(g->key);
		g->key = xmalloc(g->cap);
	}
	g->json = g->key + keyn;
	memcpy(g->key, key, keyn);
	memcpy(g->json, json, jsonn);
	g->keyn = keyn;
	g->jsonn = jsonn;
	g->hash = hash;
	g->row = row;
	g->have = 1;
	g->dup = 0;
}

void gx_uniq_finish(struct gx_uniq *u, gx_uniq_fn fn, void *ctx)
{
	struct grouper g = { 0 };
	size_t i;

	g.fn = fn;
	g.ctx = ctx;
	if (!u->spill) {
		sort_buffer(u);
		for (i = 0; i < u->nrec; i++) {
			const struct rec *x = &u->recs[i];
			group_feed(&g, x->hash, u->arena + x->off, x->keyn, x->row,
				   u->arena + x->off + x->keyn, x->jsonn);
		}
	} else {
		struct run **heap;
		size_t n = 0;

		if (u->nrec)
			spill(u);
		free(u->recs);
		free(u->arena);
		u->recs = NULL;
		u->arena = NULL;
		u->caprec = u->caparena = 0;
		if (fflush(u->spill) != 0)
			die(AELP_EXIT_SOFTWARE, "cannot write a temporary file: %s", strerror(errno));
		/* Every run reads through its share of the budget (within bounds). */
		u->rbsize = u->budget / u->nruns;
		if (u->rbsize < RUNBUF_MIN)
			u->rbsize = RUNBUF_MIN;
		if (u->rbsize > RUNBUF_MAX)
			u->rbsize = RUNBUF_MAX;
		heap = xcalloc(u->nruns, sizeof *heap);
		for (i = 0; i < u->nruns; i++) {
			u->runs[i].pos = u->runs[i].start;
			if (run_next(u, &u->runs[i]))
				heap[n++] = &u->runs[i];
		}
		for (i = n / 2; i-- > 0;)
			sift_down(heap, n, i);
		while (n) {
			struct run *best = heap[0];
			group_feed(&g, best->hash, best->buf, best->keyn, best->row, best->buf + best->keyn,
				   best->jsonn);
			if (!run_next(u, best)) {
				free(best->rb);   /* done with this run */
				best->rb = NULL;
				heap[0] = heap[--n];
			}
			sift_down(heap, n, 0);
		}
		free(heap);
	}
	free(g.key);
}

void gx_uniq_free(struct gx_uniq *u)
{
	size_t i;
	if (!u)
		return;
	free(u->recs);
	free(u->arena);
	for (i = 0; i < u->nruns; i++) {
		free(u->runs[i].buf);
		free(u->runs[i].rb);
	}
	free(u->runs);
	if (u->spill)
		fclose(u->spill);
	free(u);
}
