/*
 * String interning: open addressing on FNV-1a, linear probing, grown at
 * half load (intern.h).
 */
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "intern.h"

uint64_t fnv1a64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The first slot to probe: FNV-1a's high bits folded into its low ones. */
static size_t home(const void *s, size_t len, size_t mask)
{
	uint64_t h = fnv1a64(s, len);

	return (size_t)(h ^ (h >> 32)) & mask;
}

long intern_find(const struct intern *t, const void *s, size_t len)
{
	size_t mask = t->nslot - 1;

	if (!t->nslot)
		return -1;
	for (size_t i = home(s, len, mask);; i = (i + 1) & mask) {
		uint32_t v = t->slot[i];
		if (!v)
			return -1;
		if (t->len[v - 1] == len && memcmp(t->str[v - 1], s, len) == 0)
			return (long)(v - 1);
	}
}

static void place(uint32_t *slot, size_t mask, const void *s, size_t len, size_t id)
{
	size_t i = home(s, len, mask);

	while (slot[i])
		i = (i + 1) & mask;
	slot[i] = (uint32_t)id + 1;
}

size_t intern_add(struct intern *t, const void *s, size_t len)
{
	long f = intern_find(t, s, len);
	char *c;

	if (f >= 0)
		return (size_t)f;
	if (t->n >= UINT32_MAX - 1)
		die(AELP_EXIT_SOFTWARE, "intern: more than %u strings", (unsigned)(UINT32_MAX - 1));
	if (2 * (t->n + 1) > t->nslot) {
		size_t nslot = t->nslot ? 2 * t->nslot : 64;
		uint32_t *slot = xcalloc(nslot, sizeof *slot);
		for (size_t i = 0; i < t->n; i++)
			place(slot, nslot - 1, t->str[i], t->len[i], i);
		free(t->slot);
		t->slot = slot;
		t->nslot = nslot;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->str = xrealloc(t->str, t->cap * sizeof *t->str);
		t->len = xrealloc(t->len, t->cap * sizeof *t->len);
	}
	c = xmalloc(len + 1);
	if (len)
		memcpy(c, s, len);
	c[len] = '\0';
	t->str[t->n] = c;
	t->len[t->n] = len;
	place(t->slot, t->nslot - 1, s, len, t->n);
	return t->n++;
}

void intern_free(struct intern *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->str[i]);
	free(t->str);
	free(t->len);
	free(t->slot);
	memset(t, 0, sizeof *t);
}
