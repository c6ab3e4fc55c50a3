/*
 * common/intern.c: dense indexes in insertion order, growth through many
 * resizes, keys with embedded NUL bytes, lengths, absent keys, and
 * fnv1a64's published test vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "intern.h"

static void test_fnv(void)
{
	/* FNV-1a 64 reference values */
	CHECK(fnv1a64("", 0) == 0xcbf29ce484222325ULL);
	CHECK(fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
	CHECK(fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
	CHECK(fnv1a64("a\0b", 3) != fnv1a64("a", 1));
}

static void test_empty(void)
{
	struct intern t = { 0 };

	CHECK_INT(intern_count(&t), 0);
	CHECK_INT(intern_find(&t, "x", 1), -1);
	CHECK_INT(intern_find(&t, "", 0), -1);
	intern_free(&t);
	CHECK_INT(intern_count(&t), 0);
}

static void test_basic(void)
{
	struct intern t = { 0 };

	CHECK_INT(intern_add(&t, "b", 1), 0);
	CHECK_INT(intern_add(&t, "a", 1), 1);
	CHECK_INT(intern_add(&t, "", 0), 2);
	CHECK_INT(intern_add(&t, "b", 1), 0);
	CHECK_INT(intern_add(&t, "abc", 2), 3);   /* "ab": only len bytes count */
	CHECK_INT(intern_count(&t), 4);
	CHECK_STR(intern_str(&t, 0), "b");
	CHECK_STR(intern_str(&t, 1), "a");
	CHECK_STR(intern_str(&t, 2), "");
	CHECK_STR(intern_str(&t, 3), "ab");
	CHECK_INT(intern_len(&t, 2), 0);
	CHECK_INT(intern_len(&t, 3), 2);
	CHECK_INT(intern_find(&t, "ab", 2), 3);
	CHECK_INT(intern_find(&t, "abc", 3), -1);
	CHECK_INT(intern_find(&t, "a", 0), 2);
	CHECK_INT(intern_find(&t, "c", 1), -1);
	intern_free(&t);
	CHECK_INT(intern_count(&t), 0);
	CHECK(t.slot == NULL && t.nslot == 0);
	/* usable again after intern_free */
	CHECK_INT(intern_add(&t, "z", 1), 0);
	CHECK_STR(intern_str(&t, 0), "z");
	intern_free(&t);
}

static void test_nul(void)
{
	struct intern t = { 0 };
	const char k1[] = { 'a', '\0', 'b' }, k2[] = { 'a', '\0', 'c' }, k3[] = { '\0' },
		   k4[] = { '\0', '\0' };

	CHECK_INT(intern_add(&t, "a", 1), 0);
	CHECK_INT(intern_add(&t, k1, 3), 1);
	CHECK_INT(intern_add(&t, k2, 3), 2);
	CHECK_INT(intern_add(&t, k3, 1), 3);
	CHECK_INT(intern_add(&t, k4, 2), 4);
	CHECK_INT(intern_add(&t, "", 0), 5);
	CHECK_INT(intern_count(&t), 6);
	CHECK_INT(intern_find(&t, k1, 3), 1);
	CHECK_INT(intern_find(&t, k2, 3), 2);
	CHECK_INT(intern_find(&t, k1, 2), -1);   /* "a\0" */
	CHECK_INT(intern_find(&t, k4, 1), 3);
	CHECK_INT(intern_find(&t, k4, 2), 4);
	CHECK_INT(intern_len(&t, 1), 3);
	CHECK_INT(intern_len(&t, 3), 1);
	CHECK(memcmp(intern_str(&t, 2), k2, 3) == 0 && intern_str(&t, 2)[3] == '\0');
	CHECK(memcmp(intern_str(&t, 4), k4, 2) == 0 && intern_str(&t, 4)[2] == '\0');
	intern_free(&t);
}

/* Binary keys as markov uses them: int tuples, read back aligned. */
static void test_ints(void)
{
	struct intern t = { 0 };
	int a[3] = { 1, 2, 3 }, b[3] = { 1, 2, 4 };
	const int *r;

	CHECK_INT(intern_add(&t, a, 0), 0);
	CHECK_INT(intern_add(&t, a, sizeof a), 1);
	CHECK_INT(intern_add(&t, b, sizeof b), 2);
	CHECK_INT(intern_add(&t, a, 2 * sizeof *a), 3);
	CHECK_INT(intern_find(&t, b, sizeof b), 2);
	r = (const int *)(const void *)intern_str(&t, 2);
	CHECK(r[0] == 1 && r[1] == 2 && r[2] == 4);
	CHECK_INT(intern_len(&t, 3), 2 * sizeof(int));
	intern_free(&t);
}

#define NBIG 200000

static void test_growth(void)
{
	struct intern t = { 0 };
	char buf[32];
	int ok = 1, okstr = 1;
	const char *p0;

	CHECK_INT(intern_add(&t, "first", 5), 0);
	p0 = intern_str(&t, 0);
	for (long i = 1; i < NBIG; i++) {
		int n = snprintf(buf, sizeof buf, "k%ld", i * 7919);
		if (intern_add(&t, buf, (size_t)n) != (size_t)i)
			ok = 0;
	}
	CHECK(ok);
	CHECK_INT(intern_count(&t), NBIG);
	CHECK(t.nslot >= 2 * (size_t)NBIG);      /* at most half full */
	CHECK(t.nslot >= 64 << 12);              /* a dozen resizes at least */
	CHECK(intern_str(&t, 0) == p0);          /* strings do not move */
	CHECK_STR(intern_str(&t, 0), "first");
	ok = 1;
	for (long i = 1; i < NBIG; i++) {
		int n = snprintf(buf, sizeof buf, "k%ld", i * 7919);
		if (intern_find(&t, buf, (size_t)n) != i || intern_add(&t, buf, (size_t)n) != (size_t)i)
			ok = 0;
		if (intern_len(&t, (size_t)i) != (size_t)n || strcmp(intern_str(&t, (size_t)i), buf))
			okstr = 0;
	}
	CHECK(ok);
	CHECK(okstr);
	CHECK_INT(intern_count(&t), NBIG);
	ok = 1;
	for (long i = 1; i < 20000; i++) {
		int n = snprintf(buf, sizeof buf, "k%ld", i * 7919 + 1);
		if (intern_find(&t, buf, (size_t)n) != -1)
			ok = 0;
		n = snprintf(buf, sizeof buf, "x%ld", i);
		if (intern_find(&t, buf, (size_t)n) != -1)
			ok = 0;
	}
	CHECK(ok);
	CHECK_INT(intern_find(&t, "k7919", 4), -1);   /* a prefix */
	CHECK_INT(intern_find(&t, "k7919", 5), 1);
	intern_free(&t);
}

int main(void)
{
	test_fnv();
	test_empty();
	test_basic();
	test_nul();
	test_ints();
	test_growth();
	return h_done("intern");
}
