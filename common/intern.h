#ifndef AELP_INTERN_H
#define AELP_INTERN_H

/*
 * A string interning table: byte strings (pointer + length, any bytes,
 * NUL included) mapped to dense indexes 0..n-1 in order of first addition.
 * Open addressing on FNV-1a with linear probing, grown at half load.  A
 * zeroed struct is an empty table; intern_free returns it to that state.
 * Each string is a separate copy with a NUL after its bytes, so
 * intern_str's pointers stay valid (and malloc-aligned, for keys that are
 * arrays of ints) until intern_free.
 */
#include <stddef.h>
#include <stdint.h>

struct intern {
	char **str;        /* by index: the copies */
	size_t *len;       /* by index: their lengths */
	size_t n, cap;
	uint32_t *slot;    /* index + 1, 0 empty */
	size_t nslot;      /* 0 or a power of two */
};

/* FNV-1a 64 over n bytes. */
uint64_t fnv1a64(const void *p, size_t n);

/* The index of s[0..len), or -1 when absent. */
long intern_find(const struct intern *t, const void *s, size_t len);
/* The index of s[0..len), added (copied) when absent. */
size_t intern_add(struct intern *t, const void *s, size_t len);
/* String i (i < intern_count), NUL-terminated after its intern_len bytes. */
static inline const char *intern_str(const struct intern *t, size_t i) { return t->str[i]; }
static inline size_t intern_len(const struct intern *t, size_t i) { return t->len[i]; }
static inline size_t intern_count(const struct intern *t) { return t->n; }
void intern_free(struct intern *t);

#endif
