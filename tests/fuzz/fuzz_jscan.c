/*
 * Fuzz target for the shared line scanner (jscan_line), which reads
 * uplift-score's and ltv-fit's input.  Built as fuzz_row is (see there):
 * by `make` as build/tests/fuzz_jscan FILE..., which feeds every line of
 * each FILE, and every prefix of it, through the target; by `make fuzz`
 * for libFuzzer: build/fuzz/fuzz_jscan tests/fixtures/tables
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keys of both programs' inputs, one asked twice. */
static const char *const keys[] = { "customer_id", "x", "t_x", "T", "zbar", "first_value",
				     "id", "segment", "date", "value", "id" };
#define NKEY (sizeof keys / sizeof keys[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jscan js;
	static int ready;
	struct jv v[NKEY];
	/* a copy of exactly size bytes, so that ASan sees any read past the end */
	char *text = malloc(size ? size : 1);

	if (!ready) {
		jscan_init(&js, keys, NKEY);
		ready = 1;
	}
	memcpy(text, data, size);
	if (jscan_line(&js, text, size, v) == 0) {
		for (size_t k = 0; k < NKEY; k++)
			if (v[k].kind != JV_ABSENT && v[k].kind != JV_STRING &&
			    (v[k].s < text || v[k].s + v[k].n > text + size))
				abort();
		if (v[6].kind != v[10].kind)
			abort();
	} else if (!js.why) {
		abort();
	}
	free(text);
	return 0;
}

#ifndef AELP_LIBFUZZER
int main(int argc, char **argv)
{
	unsigned long lines = 0;

	for (int i = 1; i < argc; i++) {
		struct nd_reader *rd = nd_open(argv[i]);
		struct nd_line l;
		while (nd_next(rd, &l)) {
			LLVMFuzzerTestOneInput((const uint8_t *)l.text, l.len);
			/* every prefix too: the scanner must refuse cleanly wherever a line stops */
			for (size_t k = 0; k < l.len && k < 4096; k++)
				LLVMFuzzerTestOneInput((const uint8_t *)l.text, k);
			lines++;
		}
		nd_close(rd);
	}
	printf("unit fuzz_jscan: %lu passed, 0 failed\n", lines);
	return 0;
}
#endif
