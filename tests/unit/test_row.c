#include <string.h>

#include "fixture_schema.h"
#include "harness.h"
#include "row.h"
#include "schema.h"

static struct row_parser *rp;
static struct row row;
static char err[1200];

/* Parse s; return 0 or -1 (the message lands in err). */
static int parse(const char *s)
{
	err[0] = '\0';
	return row_parse(rp, s, strlen(s), &row, err, sizeof err);
}

#define OK(s) do { int h_rc = parse(s); CHECK_INT(h_rc, 0); if (h_rc) fprintf(stderr, "  %s\n", err); } while (0)
#define BAD(s, why) do { CHECK_INT(parse(s), -1); CHECK_HAS(err, why); } while (0)

static struct schema_set *g_set;

static void load_bad_schema(const void *arg)
{
	fx_write("tables/events.json", (const char *)arg);
	schema_load(fx_dir);
}

int main(void)
{
	const char *dir = fx_make();
	struct schema_set *set = schema_load(dir);
	const struct table_schema *ev = schema_table(set, "events");
	char big[300], msg[2048];
	char *huge;
	size_t i;

	g_set = set;
	CHECK_INT(set->ntables, 2);
	CHECK_INT(set->nviews, 1);
	CHECK_STR(set->tables[1].qname, "users.sessions");
	CHECK_STR(set->tables[1].dataset, "users");
	CHECK(ev != NULL);
	CHECK_INT(ev->ncols, 7);
	CHECK_INT(ev->partition, 1);
	CHECK_INT(ev->nkey, 1);
	CHECK(schema_table(set, "sessions") == NULL);
	CHECK_STR(set->views[0].description, "Events per day.");
	CHECK(strchr(set->views[0].sql_sqlite, ';') == NULL);

	rp = row_parser_new(set, ev, 0);
	OK("{\"event_id\":\"e1\",\"day\":\"2025-01-02\",\"n\":-9223372036854775808,\"x\":2.5,"
	   "\"ok\":true,\"at\":\"2025-01-02T03:04:05+01:00\",\"notes\":{\"a\":[1,2]}}");
	CHECK_INT(row.v[2].kind, V_INT);
	CHECK(row.v[2].i == (-9223372036854775807LL - 1));
	CHECK_INT(row.v[3].kind, V_REAL);
	CHECK(row.v[3].d == 2.5);
	CHECK_INT(row.v[4].i, 1);
	CHECK_INT(row.v[5].n, 20);
	CHECK(memcmp(row.v[5].s, "2025-01-02T02:04:05Z", 20) == 0);
	CHECK(row.v[6].n == 11 && memcmp(row.v[6].s, "{\"a\":[1,2]}", 11) == 0);
	OK("{\"event_id\":\"e2\",\"day\":\"2025-01-02\",\"n\":null,\"x\":3}");
	CHECK_INT(row.v[2].kind, V_NULL);
	CHECK_INT(row.v[3].kind, V_REAL);
	CHECK(row.v[3].d == 3.0);
	CHECK_INT(row.v[4].kind, V_NULL);
	OK("{\"event_id\":\"e3\",\"day\":\"2025-01-02\",\"n\":7.0}");
	CHECK_INT(row.v[2].i, 7);
	OK("{\"event_id\":\"e4\",\"day\":\"2025-01-02\",\"notes\":\"text\"}");
	CHECK(row.v[6].n == 6 && memcmp(row.v[6].s, "\"text\"", 6) == 0);
	OK("{\"_table\":\"events\",\"event_id\":\"e5\",\"day\":\"2025-01-02\"}");
	OK("  {\"event_id\":\"e6\",\"day\":\"2025-01-02\"}  ");

	BAD("{\"event_id\":\"e\",\"day\":", "malformed JSON");
	BAD("[1,2]", "expected a JSON object, found an array");
	BAD("\"x\"", "expected a JSON object, found a string");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\"} {}", "malformed JSON");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"n\":\"12\"}", "column 'n' (INT64): expected an integer, found a string");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"n\":1.5}", "column 'n' (INT64): 1.5 is not a whole number");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"n\":9223372036854775808}", "integer out of INT64 range");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"n\":1e300}", "too large to be exact");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"x\":NaN}", "malformed JSON");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"x\":Infinity}", "malformed JSON");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"x\":1e400}", "malformed JSON");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"x\":\"1.5\"}", "expected a number, found a string");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"ok\":1}", "expected true or false");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-02-30\"}", "'2025-02-30' is not a valid YYYY-MM-DD date");
	BAD("{\"event_id\":\"e\",\"day\":20250102}", "expected a \"YYYY-MM-DD\" string");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"at\":\"yesterday\"}", "column 'at' (TIMESTAMP): 'yesterday'");
	BAD("{\"event_id\":\"e\"}", "REQUIRED column 'day' is missing");
	BAD("{\"event_id\":null,\"day\":\"2025-01-02\"}", "REQUIRED column 'event_id' is null");
	BAD("{\"event_id\":7,\"day\":\"2025-01-02\"}", "column 'event_id' (STRING): expected a string, found an integer");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"bogus\":1}", "unknown column 'bogus'");
	BAD("{\"event_id\":\"e\",\"event_id\":\"f\",\"day\":\"2025-01-02\"}", "duplicate");
	BAD("{\"event_id\":\"caf\xc3\",\"day\":\"2025-01-02\"}", "malformed JSON");
	BAD("{\"event_id\":\"a\\u0000b\",\"day\":\"2025-01-02\"}", "malformed JSON");
	BAD("{\"_table\":\"users.sessions\",\"event_id\":\"e\",\"day\":\"2025-01-02\"}", "tagged '_table': 'users.sessions'");
	CHECK_INT(row_parse(rp, "{\"event_id\":\"a\0b\"}", 18, &row, err, sizeof err), -1);
	CHECK_HAS(err, "NUL byte at column 15");
	/* A long bad value is quoted short. */
	memset(big, 'z', sizeof big);
	memcpy(big, "{\"event_id\":\"e\",\"day\":\"", 23);
	memcpy(big + sizeof big - 3, "\"}", 3);
	BAD(big, "...' is not a valid");
	CHECK(strlen(err) < 200);
	row_parser_free(rp);

	/* --ignore-unknown drops fields; a 1 MB string is fine. */
	rp = row_parser_new(set, ev, ROW_IGNORE_UNKNOWN);
	huge = malloc(1100000);
	i = (size_t)sprintf(huge, "{\"event_id\":\"");
	memset(huge + i, 'q', 1048576);
	i += 1048576;
	sprintf(huge + i, "\",\"day\":\"2025-01-02\",\"bogus\":[1]}");
	OK(huge);
	CHECK_INT(row.v[0].n, 1048576);
	free(huge);
	row_parser_free(rp);

	/* Routed by _table. */
	rp = row_parser_new(set, NULL, 0);
	OK("{\"_table\":\"users.sessions\",\"user_id\":\"u\",\"seq\":3}");
	CHECK_STR(row.table->qname, "users.sessions");
	OK("{\"_table\":\"events\",\"event_id\":\"e\",\"day\":\"2025-01-02\"}");
	CHECK(row.table == ev);
	BAD("{\"user_id\":\"u\",\"seq\":3}", "no '_table' field");
	BAD("{\"_table\":\"nope\",\"user_id\":\"u\"}", "'_table' names 'nope', which is not a table");
	BAD("{\"_table\":5}", "'_table' must be a string");
	row_parser_free(rp);
	schema_free(set);

	/* Malformed schema files die with 65 and name the file. */
	CHECK_INT(expect_exit(load_bad_schema, "{\"name\": \"events\",", msg, sizeof msg), 65);
	CHECK_HAS(msg, "tables/events.json:");
	CHECK_INT(expect_exit(load_bad_schema, "{\"name\":\"events\",\"description\":\"d\",\"columns\":"
			      "[{\"name\":\"a\",\"type\":\"TEXT\",\"mode\":\"REQUIRED\",\"description\":\"d\"}],"
			      "\"key\":[\"a\"]}", msg, sizeof msg), 65);
	CHECK_HAS(msg, "unknown type 'TEXT'");
	CHECK_INT(expect_exit(load_bad_schema, "{\"name\":\"events\",\"description\":\"d\",\"columns\":"
			      "[{\"name\":\"a\",\"type\":\"STRING\",\"mode\":\"NULLABLE\",\"description\":\"d\"}],"
			      "\"key\":[\"a\"]}", msg, sizeof msg), 65);
	CHECK_HAS(msg, "key column 'a' must be REQUIRED");
	CHECK_INT(expect_exit(load_bad_schema, "{\"name\":\"other\",\"description\":\"d\",\"columns\":"
			      "[{\"name\":\"a\",\"type\":\"STRING\",\"mode\":\"REQUIRED\",\"description\":\"d\"}],"
			      "\"key\":[\"a\"]}", msg, sizeof msg), 65);
	CHECK_HAS(msg, "belongs in a file named 'other.json'");
	CHECK_INT(expect_exit(load_bad_schema, "{\"name\":\"events\",\"description\":\"d\",\"columns\":"
			      "[{\"name\":\"a\",\"type\":\"STRING\",\"mode\":\"REQUIRED\",\"description\":\"d\"},"
			      "{\"name\":\"a\",\"type\":\"INT64\",\"mode\":\"NULLABLE\",\"description\":\"d\"}],"
			      "\"key\":[\"a\"]}", msg, sizeof msg), 65);
	CHECK_HAS(msg, "column 'a' is declared twice");
	CHECK_INT(expect_exit(load_bad_schema, "{\"name\":\"events\",\"description\":\"d\",\"columns\":"
			      "[{\"name\":\"a\",\"type\":\"STRING\",\"mode\":\"REQUIRED\",\"description\":\"d\"}],"
			      "\"key\":[\"a\"],\"partition\":\"a\"}", msg, sizeof msg), 65);
	CHECK_HAS(msg, "partition column 'a' must be DATE or TIMESTAMP");
	fx_remove();
	return h_done("row");
}
