#include <jansson.h>
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

/* xorshift64*: a fixed, portable sequence for the differential test. */
static unsigned long long rng = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(unsigned n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned)((rng * 2685821657736338717ULL) >> 33) % n;
}

/*
 * The scanner against jansson as an oracle: on mutated lines both must
 * agree on whether the text is well-formed JSON.  Returns disagreements.
 */
static int differential(const struct table_schema *t, int cases)
{
	static const char *const seeds[] = {
		"{\"event_id\":\"e\\u00e9\\n\",\"day\":\"2025-01-02\",\"n\":-12,\"x\":1.5e-3,\"ok\":true,"
		"\"notes\":{\"a\":[1,2.5,{\"b\":null}],\"c\":\"\\ud83d\\ude00\"},\"extra\":[false,\"x\"]}",
		"  {\"event_id\" : \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\", \"day\":\"2025-01-02\", \"at\":\"2025-01-02T00:00:00Z\"}  ",
		"{\"event_id\":\"\\\"q\\\"\\/\\b\\f\\r\\t\",\"day\":\"2025-01-02\",\"x\":0,\"n\":0,\"notes\":[]}",
	};
	static const char pool[] = "\"\\{}[],:u0-.eE +tfn\x80\xc3\xff\x01\x7f" "9";
	char buf[512], why[1200];
	int disagree = 0, i;
	struct row_parser *p = row_parser_new(g_set, t, ROW_IGNORE_UNKNOWN);

	for (i = 0; i < cases; i++) {
		const char *seed = seeds[rnd(3)];
		size_t n = strlen(seed), k, edits = 1 + rnd(3);
		json_error_t je;
		json_t *j;
		int ours, theirs;

		memcpy(buf, seed, n);
		for (k = 0; k < edits; k++) {
			unsigned op = rnd(4), at = rnd((unsigned)n);
			if (op == 0) {
				buf[at] = pool[rnd(sizeof pool - 1)];
			} else if (op == 1) {
				n = at;                          /* truncate */
			} else if (op == 2 && n + 1 < sizeof buf) {
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = pool[rnd(sizeof pool - 1)];
				n++;
			} else if (n > 1) {
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			}
			if (n == 0)
				break;
		}
		buf[n] = '\0';
		if (memchr(buf, '\0', n))
			continue;
		ours = row_parse(p, buf, n, &row, why, sizeof why) == 0 ||
		       strncmp(why, "malformed JSON", 14) != 0;
		j = json_loadb(buf, n, JSON_DECODE_ANY, &je);
		theirs = j != NULL || strstr(je.text, "too big integer") || strstr(je.text, "overflow");
		json_decref(j);
		if (ours != theirs) {
			if (disagree++ < 5)
				fprintf(stderr, "differ (ours %d, jansson %d): %s\n  %s | %s\n", ours, theirs,
					buf, ours ? "" : why, je.text);
		}
	}
	row_parser_free(p);
	return disagree;
}

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
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"n\":1e300}", "1e300 is not a whole number written without an exponent");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"n\":1.00000000000000000001}", "is not a whole number");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"n\":1e3}", "1e3 is not a whole number");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"n\":9223372036854775808.0}", "integer out of INT64 range");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"x\":1e-400}", "1e-400 is out of the range of a 64-bit float");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"x\":NaN}", "malformed JSON");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"x\":Infinity}", "malformed JSON");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"x\":1e400}", "column 'x' (FLOAT64): 1e400 is out of the range of a 64-bit float");
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

	/* Escapes decode to UTF-8; JSON columns are stored compact. */
	rp = row_parser_new(set, ev, 0);
	OK("{\"event_id\":\"a\\n\\u00e9\\ud83d\\ude00\\\"\\/\",\"day\":\"2025-01-02\",\"notes\": { \"k\" : [ 1 , \"\\u0041\" ] } }");
	CHECK(row.v[0].n == 10 && memcmp(row.v[0].s, "a\n\xc3\xa9\xf0\x9f\x98\x80\"/", 10) == 0);
	CHECK(row.v[6].n == 18 && memcmp(row.v[6].s, "{\"k\":[1,\"\\u0041\"]}", 18) == 0);
	OK("{\"event_id\":\"w\",\"day\":\"2025-01-02\",\"n\":9007199254740993.00,\"notes\":{\"a b\" : 0.1, \"n\": 99999999999999999999, \"d\":1,\"d\":2}}");
	CHECK(row.v[2].i == 9007199254740993LL);
	CHECK(row.v[6].n == 48 && memcmp(row.v[6].s, "{\"a b\":0.1,\"n\":99999999999999999999,\"d\":1,\"d\":2}", 48) == 0);
	BAD("{\"event_id\":\"\\u001b[31mred\",\"day\":\"2025-01-02\",\"at\":\"\\u001b[2J\"}", "'?[2J'");
	OK("{\"ev\\u0065nt_id\":\"k\",\"day\":\"2025-01-02\",\"notes\":\"tab\\there\"}");
	CHECK(row.v[0].n == 1 && row.v[0].s[0] == 'k');
	CHECK(row.v[6].n == 11 && memcmp(row.v[6].s, "\"tab\\there\"", 11) == 0);
	BAD("{\"event_id\":\"\\udc00\",\"day\":\"2025-01-02\"}", "lone low surrogate");
	BAD("{\"event_id\":\"\\ud800x\",\"day\":\"2025-01-02\"}", "unpaired surrogate");
	BAD("{\"event_id\":\"\\q\",\"day\":\"2025-01-02\"}", "invalid escape");
	BAD("{\"event_id\":\"a\tb\",\"day\":\"2025-01-02\"}", "control character");
	BAD("{\"event_id\":\"\xed\xa0\x80\",\"day\":\"2025-01-02\"}", "invalid UTF-8 (byte 0xed)");
	BAD("{\"event_id\":\"\xc0\xaf\",\"day\":\"2025-01-02\"}", "invalid UTF-8 (byte 0xc0)");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"n\":012}", "malformed JSON at column 41: expected ',' or '}'");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"n\":-}", "malformed JSON");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"x\":.5}", "malformed JSON");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",}", "malformed JSON");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"notes\":[1,]}", "malformed JSON");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"notes\":{\"a\" 1}}", "expected ':'");
	BAD("{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"n\":tru}", "invalid token");
	BAD("", "malformed JSON");
	BAD("{\"_table\":\"events\",\"_table\":\"events\",\"event_id\":\"e\",\"day\":\"2025-01-02\"}",
	    "duplicate key '_table'");
	{
		/* Nesting deeper than MAX_DEPTH is refused, not a stack overflow. */
		static char deep[2200];
		size_t d = 0;
		d += (size_t)sprintf(deep, "{\"event_id\":\"e\",\"day\":\"2025-01-02\",\"notes\":");
		for (i = 0; i < 1000; i++)
			deep[d++] = '[';
		deep[d] = '\0';
		BAD(deep, "nested too deeply");
	}
	/* Every prefix of a valid line is handled (and refused). */
	{
		const char *line = "{\"event_id\":\"e\\u00e9\",\"day\":\"2025-01-02\",\"notes\":{\"a\":[1,-2.5e3,true]}}";
		size_t n = strlen(line), k, refused = 0;
		for (k = 0; k < n; k++)
			refused += row_parse(rp, line, k, &row, err, sizeof err) != 0;
		CHECK_INT(refused, n);
		CHECK_INT(row_parse(rp, line, n, &row, err, sizeof err), 0);
	}
	CHECK_INT(differential(ev, 40000), 0);
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
	/* jw_value: a stored value as JSON by its column type */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		struct value vs[] = {
			{ V_NULL, 0, 0, NULL, 0 }, { V_INT, 1, 0, NULL, 0 }, { V_INT, 3, 0, NULL, 0 },
			{ V_INT, 7, 0, NULL, 0 }, { V_REAL, 0, 2.5, NULL, 0 }, { V_TEXT, 0, 0, "{\"a\":1}", 7 },
			{ V_TEXT, 0, 0, "{\"a\":", 5 }, { V_TEXT, 0, 0, "x\"y", 3 }
		};
		int types[] = { T_STRING, T_BOOL, T_FLOAT64, T_INT64, T_FLOAT64, T_JSON, T_JSON, T_STRING };
		size_t k;
		for (k = 0; k < sizeof vs / sizeof *vs; k++) {
			CHECK_INT(jw_value(m, &vs[k], types[k]), 0);
			fputc(' ', m);
		}
		CHECK_INT(jw_value(m, &(struct value){ V_TEXT, 0, 0, "\xff", 1 }, T_STRING), -1);
		fclose(m);
		CHECK_STR(buf, "null true 3.0 7 2.5 {\"a\":1} \"{\\\"a\\\":\" \"x\\\"y\" \"\xef\xbf\xbd\"");
		free(buf);
	}

	return h_done("row");
}
