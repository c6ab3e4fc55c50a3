/*
 * common/jscan.c, the line scanner of uplift-score and ltv-fit: the members
 * asked for (a key asked twice, a key given twice, escaped keys, the key
 * order changing between lines), strings (escapes, surrogate pairs, bad
 * UTF-8, control characters), nesting (skipped, checked, 64 levels),
 * malformed lines with their reasons (and every prefix of a good line
 * refused), the values' texts, and numbers: bit for bit what strtod
 * gives, on fixed cases and on 200,000 seeded random ones.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "jscan.h"
#include "xoshiro.h"

static int scan(struct jscan *js, const char *line, struct jv *v)
{
	return jscan_line(js, line, strlen(line), v);
}

static int same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

/* The value's text is t. */
static int text_is(const struct jv *v, const char *t)
{
	return v->n == strlen(t) && memcmp(v->s, t, v->n) == 0;
}

/* Members kept, escapes decoded, nesting skipped; uplift-score's first cases. */
static void test_members(void)
{
	const char *keys[5] = { "id", "name", "x", "flag", "id" };
	struct jscan js;
	struct jv v[5];

	jscan_init(&js, keys, 5);
	{
		const char *line = " { \"skip\" : {\"id\":[1,{\"x\":\"}\"}]}, \"id\": 42 ,"
				   "\"name\":\"caf\\u00e9 \\\"q\\\" \\ud83d\\ude00\",\"x\":-1.5e2,"
				   "\"fl\\u0061g\":true,\"zz\":null} ";
		CHECK_INT(scan(&js, line, v), 0);
		CHECK_INT(v[0].kind, JV_INT);
		CHECK_INT(v[0].i, 42);
		CHECK(text_is(&v[0], "42"));
		CHECK_INT(v[4].kind, JV_INT);   /* the same key asked twice */
		CHECK_INT(v[4].i, 42);
		CHECK_INT(v[1].kind, JV_STRING);
		CHECK_STR(v[1].s, "caf\xc3\xa9 \"q\" \xf0\x9f\x98\x80");
		CHECK_INT(v[1].n, strlen("caf\xc3\xa9 \"q\" \xf0\x9f\x98\x80"));
		CHECK_INT(v[2].kind, JV_REAL);
		CHECK(v[2].d == -150);
		CHECK(text_is(&v[2], "-1.5e2"));
		CHECK_INT(v[3].kind, JV_BOOL);  /* an escaped key is decoded before matching */
		CHECK(v[3].d == 1);
		CHECK(text_is(&v[3], "true"));
	}
	{
		const char *line = "{\"id\":\"a\",\"id\":\"b\",\"x\":null}";
		CHECK_INT(scan(&js, line, v), 0);
		CHECK_STR(v[0].s, "b");         /* the last of a repeated key, as jansson */
		CHECK_STR(v[4].s, "b");
		CHECK_INT(v[1].kind, JV_ABSENT);
		CHECK_INT(v[2].kind, JV_NULL);
		CHECK(text_is(&v[2], "null"));
		CHECK_INT(v[3].kind, JV_ABSENT);
	}
	{
		/* the key order changes from line to line: the hints only guide */
		const char *a = "{\"id\":1,\"name\":\"n\",\"x\":2.5,\"flag\":false}";
		const char *b = "{\"flag\":true,\"x\":3,\"name\":\"m\",\"id\":7,\"extra\":[]}";
		const char *c = "{\"x\":4,\"other\":1,\"id\":8}";
		CHECK_INT(scan(&js, a, v), 0);
		CHECK(v[0].i == 1 && v[2].d == 2.5 && v[3].kind == JV_BOOL && v[3].d == 0);
		CHECK(text_is(&v[3], "false"));
		CHECK_INT(scan(&js, b, v), 0);
		CHECK(v[0].i == 7 && v[4].i == 7 && v[2].d == 3 && v[3].d == 1);
		CHECK_STR(v[1].s, "m");
		CHECK_INT(scan(&js, c, v), 0);
		CHECK(v[0].i == 8 && v[2].d == 4);
		CHECK_INT(v[1].kind, JV_ABSENT);
		CHECK_INT(v[3].kind, JV_ABSENT);
		CHECK_INT(scan(&js, "{}", v), 0);
		CHECK_INT(v[0].kind, JV_ABSENT);
		CHECK_INT(scan(&js, " \t{ }\r\n", v), 0);
	}
	jscan_free(&js);
}

/* Keys that JSON escapes or that are not ASCII are matched by their decoded text. */
static void test_keys(void)
{
	const char *keys[4] = { "x\\", "q\"", "caf\xc3\xa9", "" };
	struct jscan js;
	struct jv v[4];

	jscan_init(&js, keys, 4);
	for (int round = 0; round < 2; round++) {   /* the second with the hints of the first */
		CHECK_INT(scan(&js, "{\"x\\\\\":1,\"q\\\"\":2,\"caf\xc3\xa9\":3,\"\":4}", v), 0);
		CHECK(v[0].i == 1 && v[1].i == 2 && v[2].i == 3 && v[3].i == 4);
	}
	/* at the hinted places, text that starts with the hint's bytes but is another key */
	CHECK_INT(scan(&js, "{\"x\\\",\":1,\"q\\\"x\":2,\"caf\\u00e9\":5,\"\":6}", v), 0);
	CHECK_INT(v[0].kind, JV_ABSENT);
	CHECK_INT(v[1].kind, JV_ABSENT);
	CHECK_INT(v[2].i, 5);
	CHECK_INT(v[3].i, 6);
	jscan_free(&js);
	/* a plain key at its hinted place, then a longer and a shorter key there */
	{
		const char *k2[2] = { "ab", "abc" };
		jscan_init(&js, k2, 2);
		CHECK_INT(scan(&js, "{\"ab\":1}", v), 0);
		CHECK(v[0].i == 1 && v[1].kind == JV_ABSENT);
		CHECK_INT(scan(&js, "{\"abc\":2}", v), 0);
		CHECK(v[0].kind == JV_ABSENT && v[1].i == 2);
		CHECK_INT(scan(&js, "{\"a\":3}", v), 0);
		CHECK(v[0].kind == JV_ABSENT && v[1].kind == JV_ABSENT);
		CHECK_INT(scan(&js, "{\"ab\":1}", v), 0);
		CHECK_INT(scan(&js, "{\"ab", v), -1);
		CHECK_STR(js.why, "unterminated string");
		CHECK_INT(scan(&js, "{\"ab\"", v), -1);
		CHECK_STR(js.why, "expected ':'");
		jscan_free(&js);
	}
}

/* ltv-fit's first cases: a summary row with a nested member. */
static void test_summary_row(void)
{
	const char *keys[7] = { "customer_id", "x", "t_x", "T", "zbar", "nested", "ok" };
	struct jscan js;
	struct jv v[7];
	const char *l1 = "{\"customer_id\":\"a\\\"b\\u00e9\\ud83d\\ude00\",\"x\":3,\"t_x\":30.43,"
			 "\"T\":3.8e1,\"zbar\":null,\"nested\":{\"k\":[1,{\"z\":\"}\"}]},\"ok\":true}";

	jscan_init(&js, keys, 7);
	CHECK_INT(scan(&js, l1, v), 0);
	CHECK(v[0].kind == JV_STRING && v[0].n == 9 &&
	      memcmp(v[0].s, "a\"b\xc3\xa9\xf0\x9f\x98\x80", 9) == 0);
	CHECK(v[1].kind == JV_INT && v[1].d == 3);
	CHECK(v[2].kind == JV_REAL && v[2].d == 30.43);
	CHECK(v[3].kind == JV_REAL && v[3].d == 38);
	CHECK(v[4].kind == JV_NULL);
	CHECK(v[5].kind == JV_OTHER);
	CHECK(text_is(&v[5], "{\"k\":[1,{\"z\":\"}\"}]}"));
	CHECK(v[6].kind == JV_BOOL && v[6].d == 1);
	jscan_free(&js);
}

/* Strings: escapes, \u0000, surrogate pairs, UTF-8 kept as it is. */
static void test_strings(void)
{
	const char *keys[1] = { "s" };
	struct jscan js;
	struct jv v[1];
	static const struct { const char *json, *text; size_t n; } ok[] = {
		{ "\"\"", "", 0 },
		{ "\"\\b\\f\\n\\r\\t\\/\\\\\\\"\"", "\b\f\n\r\t/\\\"", 8 },
		{ "\"a\\u0000b\"", "a\0b", 3 },
		{ "\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"", "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 11 },
		{ "\"\\uD834\\uDD1E\"", "\xf0\x9d\x84\x9e", 4 },
		{ "\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", 4 },
		{ "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9 },
		{ "\"\x7f\"", "\x7f", 1 },
	};

	jscan_init(&js, keys, 1);
	for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
		char line[200];
		snprintf(line, sizeof line, "{\"s\":%s}", ok[k].json);
		CHECK_INT(scan(&js, line, v), 0);
		CHECK_INT(v[0].kind, JV_STRING);
		CHECK_INT(v[0].n, ok[k].n);
		CHECK(v[0].n == ok[k].n && memcmp(v[0].s, ok[k].text, ok[k].n) == 0 &&
		      v[0].s[v[0].n] == '\0');
	}
	/* several strings of one line share the buffer: each keeps its own text */
	{
		const char *k2[3] = { "a", "b", "c" };
		struct jscan j2;
		struct jv w[3];
		jscan_init(&j2, k2, 3);
		CHECK_INT(scan(&j2, "{\"a\":\"x\\u00e9\",\"\\u0062\":\"yy\",\"skip\":\"zzz\",\"c\":\"\\\\\"}", w), 0);
		CHECK_STR(w[0].s, "x\xc3\xa9");
		CHECK_STR(w[1].s, "yy");
		CHECK_STR(w[2].s, "\\");
		jscan_free(&j2);
	}
	jscan_free(&js);
}

/* Lines that are not one JSON object, and the reason given. */
static void test_malformed(void)
{
	static const struct { const char *line, *why; } bad[] = {
		/* uplift-score's cases */
		{ "", "not a JSON object" },
		{ "[1]", "not a JSON object" },
		{ "{", "expected a member name" },
		{ "{\"id\":}", "bad value" },
		{ "{\"id\":1,}", "expected a member name" },
		{ "{\"id\":01}", "expected ',' or '}'" },
		{ "{\"id\":1.}", "bad number" },
		{ "{\"id\":-}", "bad number" },
		{ "{\"id\":tru}", "bad value" },
		{ "{\"id\":\"a\\x\"}", "bad escape in a string" },
		{ "{\"id\":\"a\"} x", "text after the JSON object" },
		{ "{\"id\":1 \"x\":2}", "expected ',' or '}'" },
		{ "{\"a\":[1,2}", "expected ',' or ']'" },
		{ "{\"id\":\"\\ud800\"}", "unpaired surrogate in a \\u escape" },
		{ "{id:1}", "expected a member name" },
		{ "{\"id\":\"tab\there\"}", "control character in a string" },
		{ "{\"id\":\"\xff\"}", "string is not UTF-8" },
		{ "{\"i\xc3\":1}", "string is not UTF-8" },
		/* ltv-fit's */
		{ "{\"a\":01x}", "expected ',' or '}'" },
		{ "{\"a\":{\"b\":1}", "expected ',' or '}'" },
		{ "{\"a\":\"\x01\"}", "control character in a string" },
		{ "{\"a\" 1}", "expected ':'" },
		/* more */
		{ "not json", "not a JSON object" },
		{ "   ", "not a JSON object" },
		{ "{\"a\":1}}", "text after the JSON object" },
		{ "{\"a\":1} {\"b\":2}", "text after the JSON object" },
		{ "{\"a\"", "expected ':'" },
		{ "{\"a\":", "missing value" },
		{ "{\"a", "unterminated string" },
		{ "{\"a\":\"b", "unterminated string" },
		{ "{\"a\":\"b\\", "unterminated string" },
		{ "{\"a\":[1,]}", "bad value" },
		{ "{\"a\":[}", "bad value" },
		{ "{\"a\":{,}}", "expected a member name" },
		{ "{\"a\":{\"b\"}}", "expected ':'" },
		{ "{\"a\":{\"b\":1,}}", "expected a member name" },
		{ "{\"a\":[1 2]}", "expected ',' or ']'" },
		{ "{\"a\":nul}", "bad value" },
		{ "{\"a\":falsy}", "bad value" },
		{ "{\"a\":True}", "bad value" },
		{ "{\"a\":'x'}", "bad value" },
		{ "{\"a\":+1}", "bad value" },
		{ "{\"a\":.5}", "bad value" },
		{ "{\"a\":1e}", "bad number" },
		{ "{\"a\":1e+}", "bad number" },
		{ "{\"a\":-x}", "bad number" },
		{ "{\"a\":NaN}", "bad value" },
		{ "{\"a\":1e400}", "number out of range" },
		{ "{\"a\":-1e400}", "number out of range" },
		{ "{\"a\":[1e999]}", "number out of range" },
		{ "{\"a\":\"\\u12\"}", "bad \\u escape" },
		{ "{\"a\":\"\\u12G4\"}", "bad \\u escape" },
		{ "{\"a\":\"\\udc00\"}", "unpaired surrogate in a \\u escape" },
		{ "{\"a\":\"\\ud800\\u0041\"}", "unpaired surrogate in a \\u escape" },
		{ "{\"a\":\"\\ud800x\"}", "unpaired surrogate in a \\u escape" },
		{ "{\"a\":\"\xc0\xaf\"}", "string is not UTF-8" },          /* overlong */
		{ "{\"a\":\"\xed\xa0\x80\"}", "string is not UTF-8" },      /* a surrogate */
		{ "{\"a\":\"\xf4\x90\x80\x80\"}", "string is not UTF-8" },  /* beyond U+10FFFF */
		{ "{\"a\":\"\xe2\x82\"}", "string is not UTF-8" },          /* cut short */
		{ "{\"a\":\"\x80\"}", "string is not UTF-8" },              /* a lone continuation */
		{ "{\"a\":[\"\xff\"]}", "string is not UTF-8" },            /* nested, skipped: checked */
		{ "{\"a\":{\"\\q\":1}}", "bad escape in a string" },
		{ "{\"a\":1,\"a\"}", "expected ':'" },
	};
	const char *keys[2] = { "id", "a" };
	struct jscan js;
	struct jv v[2];

	jscan_init(&js, keys, 2);
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		int rc = scan(&js, bad[k].line, v);
		if (rc != -1)
			fprintf(stderr, "accepted: %s\n", bad[k].line);
		CHECK_INT(rc, -1);
		if (rc == -1 && (!js.why || strcmp(js.why, bad[k].why) != 0))
			fprintf(stderr, "for %s:\n", bad[k].line);
		CHECK_STR(js.why, bad[k].why);
	}
	/* a good line after a bad one */
	CHECK_INT(scan(&js, "{\"a\":1}", v), 0);
	CHECK(js.why == NULL);
	/* every proper prefix of a good line is refused (under ASan: without reading past it) */
	{
		const char *good = "{\"id\":\"caf\\u00e9\\ud83d\\ude00\xc3\xa9\",\"a\":[-1.25e-3,{\"k\":"
				   "[true,false,null]}],\"n\":12345678901234567890,\"z\":0}";
		size_t n = strlen(good);
		int refused = 1;
		CHECK_INT(scan(&js, good, v), 0);
		for (size_t k = 0; k < n; k++) {
			char *cut = malloc(k ? k : 1);
			memcpy(cut, good, k);
			if (jscan_line(&js, cut, k, v) != -1 || !js.why)
				refused = 0;
			free(cut);
		}
		CHECK(refused);
	}
	jscan_free(&js);
}

/* Nested values are checked and skipped, to 64 levels. */
static void test_nesting(void)
{
	const char *keys[2] = { "a", "b" };
	struct jscan js;
	struct jv v[2];
	char line[400];
	int depth;

	jscan_init(&js, keys, 2);
	for (depth = 63; depth <= 66; depth++) {
		int k, n = snprintf(line, sizeof line, "{\"a\":");
		for (k = 0; k < depth; k++)
			line[n++] = '[';
		for (k = 0; k < depth; k++)
			line[n++] = ']';
		n += snprintf(line + n, sizeof line - (size_t)n, ",\"b\":1}");
		if (depth <= 64) {
			CHECK_INT(scan(&js, line, v), 0);
			CHECK_INT(v[0].kind, JV_OTHER);
			CHECK_INT(v[0].n, 2 * depth);
			CHECK_INT(v[1].i, 1);
		} else {
			CHECK_INT(scan(&js, line, v), -1);
			CHECK_STR(js.why, "nested more than 64 deep");
		}
	}
	CHECK_INT(scan(&js, "{\"x\":{\"a\":{\"b\":2}},\"b\":[{\"a\":1}],\"a\":{}}", v), 0);
	CHECK(v[0].kind == JV_OTHER && text_is(&v[0], "{}"));
	CHECK(v[1].kind == JV_OTHER && text_is(&v[1], "[{\"a\":1}]"));
	CHECK_INT(scan(&js, "{\"a\":[ ],\"b\":{ \"k\" : [ 1 , \"x\" ] }}", v), 0);
	CHECK(text_is(&v[0], "[ ]"));
	/* many members (ltv-fit's old scanner stopped at 256) */
	{
		size_t cap = 20000, n = 0;
		char *big = malloc(cap);
		n += (size_t)snprintf(big + n, cap - n, "{");
		for (int k = 0; k < 1000; k++)
			n += (size_t)snprintf(big + n, cap - n, "\"m%d\":%d,", k, k);
		n += (size_t)snprintf(big + n, cap - n, "\"b\":-7}");
		CHECK_INT(jscan_line(&js, big, n, v), 0);
		CHECK_INT(v[1].i, -7);
		CHECK_INT(v[0].kind, JV_ABSENT);
		free(big);
	}
	jscan_free(&js);
}

/* Check one number's text: the kind, and d bit for bit strtod's. */
static int number_ok(struct jscan *js, const char *num)
{
	char line[600];
	struct jv v[1];
	double want;
	int integer = strpbrk(num, ".eE") == NULL;
	long long iw = 0;
	int ifits = 0;

	snprintf(line, sizeof line, "{\"v\":%s}", num);
	if (scan(js, line, v) != 0)
		return 0;
	errno = 0;
	want = strtod(num, NULL);
	if (integer) {
		errno = 0;
		iw = strtoll(num, NULL, 10);
		ifits = errno == 0;
	}
	if (!same_bits(v[0].d, want) || !text_is(&v[0], num))
		return 0;
	if (ifits)
		return v[0].kind == JV_INT && v[0].i == iw;
	return v[0].kind == JV_REAL;
}

static void test_numbers(void)
{
	/* ltv-fit's: fast path and slow */
	static const char *nums[] = {
		"0.1", "30.43", "-2.5e-3", "123456789012345678", "0.30000000000000004", "1e308", "4.35",
		"9007199254740993",
		/* integers: 18 digits fast, 19 through strtoll, beyond as reals */
		"0", "-0", "7", "-42", "999999999999999999", "-999999999999999999",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"-9223372036854775809", "123456789012345678901234567890",
		/* reals by Clinger's fast path and just beyond it */
		"-0.0", "0e0", "1E5", "1e+5", "1e-5", "2.5E-22", "1e22", "1e23", "9007199254740991.5",
		"9007199254740992e1", "0.000000000000000000001", "0.0000000000000000000001",
		"0.00000000000000000000001", "1.7976931348623157e308", "2.2250738585072014e-308",
		"4.9e-324", "1e-400", "-1e-400", "3.141592653589793238462643383279", "1.00000000000000000000",
		"123456789.123456789", "0.1e1", "100e-2", "18014398509481985",
		/* long: read whole, not cut at 63 characters */
		"1000000000000000000000000000000000000000000000000000000000000000000000000000",
		"0.00000000000000000000000000000000000000000000000000000000000000000000000001",
		"1.000000000000000000000000000000000000000000000000000000000000000000000000001",
	};
	const char *keys[1] = { "v" };
	struct jscan js;

	jscan_init(&js, keys, 1);
	for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
		int ok = number_ok(&js, nums[k]);
		if (!ok)
			fprintf(stderr, "number %s\n", nums[k]);
		CHECK(ok);
	}
	/* seeded random numbers of JSON's every shape: integer digits, a fraction, an exponent */
	{
		uint64_t s[4];
		long bad = 0, fast = 0;
		xoshiro_seed(s, 2385);
		for (long t = 0; t < 200000; t++) {
			char num[128];
			int n = 0, nint = 1 + (int)(xoshiro_next(s) % 20), nfrac, nexp;
			uint64_t r = xoshiro_next(s);
			if (r & 1)
				num[n++] = '-';
			if (r & 2 || nint == 1) {
				num[n++] = (char)('0' + xoshiro_next(s) % 10);
			} else {
				num[n++] = (char)('1' + xoshiro_next(s) % 9);
				for (int k = 1; k < nint; k++)
					num[n++] = (char)('0' + xoshiro_next(s) % 10);
			}
			nfrac = r & 4 ? 0 : (int)(xoshiro_next(s) % 22);
			if (nfrac) {
				num[n++] = '.';
				for (int k = 0; k < nfrac; k++)
					num[n++] = (char)('0' + xoshiro_next(s) % (r & 8 ? 2 : 10));
			}
			nexp = r & 16 ? 0 : 1;
			if (nexp) {
				num[n++] = r & 32 ? 'e' : 'E';
				if (r & 64)
					num[n++] = r & 128 ? '-' : '+';
				n += snprintf(num + n, sizeof num - (size_t)n, "%d",
					      (int)(xoshiro_next(s) % (r & 256 ? 30 : 320)));
			}
			num[n] = '\0';
			errno = 0;
			if (strtod(num, NULL) > 1e308 || strtod(num, NULL) < -1e308)
				continue;   /* out of range: refused, tested above */
			fast += n < 17;
			if (!number_ok(&js, num)) {
				if (bad++ < 5)
					fprintf(stderr, "number %s\n", num);
			}
		}
		CHECK_INT(bad, 0);
		CHECK(fast > 10000);
	}
	/* a number as a skipped member, nested, or last: the same checks */
	CHECK_INT(scan(&js, "{\"w\":1.5e3,\"x\":[-0.25,1e2],\"v\":2}", (struct jv[1]){ { 0 } }), 0);
	jscan_free(&js);
}

/* No keys asked for: the line is only checked. */
static void test_no_keys(void)
{
	struct jscan js;
	struct jv v[1];

	jscan_init(&js, NULL, 0);
	CHECK_INT(scan(&js, "{\"a\":1,\"b\":\"x\"}", v), 0);
	CHECK_INT(scan(&js, "{\"a\":1,}", v), -1);
	jscan_free(&js);
}

int main(void)
{
	test_members();
	test_keys();
	test_summary_row();
	test_strings();
	test_malformed();
	test_nesting();
	test_numbers();
	test_no_keys();
	return h_done("jscan");
}
