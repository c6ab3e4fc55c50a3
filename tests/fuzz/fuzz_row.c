/*
 * Fuzz target for the row path (row_parse), the one parser every input
 * line meets.  Built two ways:
 *   - by `make` as an ordinary program, build/tests/fuzz_row FILE..., that
 *     feeds each line of each FILE through the target (make check runs it
 *     over the fixtures, under ASan in check-asan), so the target cannot rot;
 *   - by `make fuzz` with clang's libFuzzer (apt-get install clang), for
 *     coverage-guided runs: build/fuzz/fuzz_row tests/fixtures/tables
 * Run from the repository root (the contract is read from ./schemas).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "row.h"
#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schema_set *set;
static struct row_parser *routed, *fixed, *lenient;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1200];
	struct row r;
	size_t i;

	if (!set) {
		set = schema_load(NULL);
		routed = row_parser_new(set, NULL, 0);
		fixed = row_parser_new(set, schema_table(set, "ads_campaign_performance"), 0);
		lenient = row_parser_new(set, schema_table(set, "canary_changes"), ROW_IGNORE_UNKNOWN);
	}
	if (row_parse(routed, (const char *)data, size, &r, err, sizeof err) == 0)
		for (i = 0; i < r.table->ncols; i++)
			if (r.v[i].kind == V_TEXT && r.v[i].n && !r.v[i].s)
				abort();
	row_parse(fixed, (const char *)data, size, &r, err, sizeof err);
	row_parse(lenient, (const char *)data, size, &r, err, sizeof err);
	return 0;
}

#ifndef AELP_LIBFUZZER
int main(int argc, char **argv)
{
	unsigned long lines = 0;
	int i;

	for (i = 1; i < argc; i++) {
		struct nd_reader *rd = nd_open(argv[i]);
		struct nd_line l;
		while (nd_next(rd, &l)) {
			size_t k;
			LLVMFuzzerTestOneInput((const uint8_t *)l.text, l.len);
			/* Every prefix too: the scanner must refuse cleanly wherever a line stops. */
			for (k = 0; k < l.len && k < 4096; k++)
				LLVMFuzzerTestOneInput((const uint8_t *)l.text, k);
			lines++;
		}
		nd_close(rd);
	}
	row_parser_free(routed);
	row_parser_free(fixed);
	row_parser_free(lenient);
	schema_free(set);
	printf("unit fuzz_row: %lu passed, 0 failed\n", lines);
	return 0;
}
#endif
