/*
 * gx-check's engine: Python's strptime, the dateutil approximation, the
 * line scanner and the spilling duplicate finder.
 */
#include <string.h>

#include "../../cmd/gx-check/gx.h"
#include "harness.h"

static int ptime(const char *s, const char *fmt)
{
	return gx_strptime(s, strlen(s), fmt, NULL);
}

/* Scan a copy of s (the scanner may rewrite strings in place) into f. */
static int scan(struct gx_frame *f, const char *s, char *err, size_t errsz)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ % 4];
	snprintf(b, sizeof buf[0], "%s", s);
	return gx_scan_line(f, b, strlen(b), err, errsz);
}

static int du(const char *s)
{
	return gx_dateutil_ok(s, strlen(s));
}

/* Collects what gx_uniq_finish reports. */
struct dups {
	unsigned long long rows[64];
	size_t n;
};

static void on_dup(void *ctx, unsigned long long row, const char *json, size_t n)
{
	struct dups *d = ctx;
	(void)json;
	(void)n;
	if (d->n < 64)
		d->rows[d->n] = row;
	d->n++;
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
	return x < y ? -1 : x > y;
}

static void uniq_case(size_t budget, struct dups *d)
{
	struct gx_uniq *u = gx_uniq_new(budget);
	char key[32];
	unsigned long long i;

	memset(d, 0, sizeof *d);
	for (i = 0; i < 5000; i++) {
		/* rows 10, 2500 and 4999 share a key; 77 and 78 another */
		unsigned long long k = i == 2500 || i == 4999 ? 10 : i == 78 ? 77 : i;
		int n = snprintf(key, sizeof key, "s%llu", k);
		gx_uniq_add(u, key, (size_t)n, i, key, (size_t)n);
	}
	gx_uniq_finish(u, on_dup, d);
	gx_uniq_free(u);
	qsort(d->rows, d->n < 64 ? d->n : 64, sizeof d->rows[0], cmp_ull);
}

int main(void)
{
	struct gx_frame f;
	struct dups d;
	char err[256];
	const char *bad = NULL;

	/* strptime: CPython's patterns, whole string, real days */
	CHECK_INT(ptime("2019-04-01", "%Y-%m-%d"), 1);
	CHECK_INT(ptime("2019-4-1", "%Y-%m-%d"), 1);
	CHECK_INT(ptime("2019-02-29", "%Y-%m-%d"), 0);
	CHECK_INT(ptime("2020-02-29", "%Y-%m-%d"), 1);
	CHECK_INT(ptime("2019-04-01", "%Y%m%d"), 0);
	CHECK_INT(ptime("2019-04-01x", "%Y-%m-%d"), 0);
	CHECK_INT(ptime("2019-04-13", "%Y-%d-%m"), 0);
	CHECK_INT(ptime("1977-05-55T00:00:00", "%Y-%m-%dT%H:%M:%S"), 0);
	CHECK_INT(ptime("1980-05-21T13:47:59", "%Y-%m-%dT%H:%M:%S"), 1);
	CHECK_INT(ptime("20190401", "%Y%m%d"), 1);
	CHECK_INT(ptime("Mar 5 2020 07:08 PM", "%b %d %Y %I:%M %p"), 1);
	CHECK_INT(ptime("march  5, 2020", "%B %d, %Y"), 1);
	CHECK_INT(ptime("2020-01-01 10:00:00.123456+01:00", "%Y-%m-%d %H:%M:%S.%f%z"), 1);
	CHECK_INT(ptime("29/02", "%d/%m"), 0);   /* the year defaults to 1900 */
	CHECK_INT(gx_strptime("x", 1, "%D", &bad), -1);
	CHECK_STR(bad, "%D");
	CHECK(!gx_strftime_ok("%Y-%Q", NULL));
	CHECK(gx_strftime_ok("%Y-%m-%d %H:%M:%S.%f %% %j", NULL));

	/* dateutil, approximated */
	CHECK(du("2019-04-01"));
	CHECK(du("01/01/2010"));
	CHECK(du("Jan 01 1970 12:00:01"));
	CHECK(du("2016-01-01T12:34:56Z"));
	CHECK(du("Tuesday, 5 March 2019"));
	CHECK(du("20190401"));
	CHECK(!du("abc"));
	CHECK(!du("cat"));
	CHECK(!du("2025-02-30"));
	CHECK(!du("25:61"));
	CHECK(!du(""));
	/* year 0 is out of range for datetime(), however it is written */
	CHECK_INT(ptime("0000-01-01", "%Y-%m-%d"), 0);
	CHECK_INT(ptime("0001-01-01", "%Y-%m-%d"), 1);
	CHECK(!du("0000-01-01"));
	CHECK(!du("01/01/0000"));
	CHECK(!du("000-01-01"));
	CHECK(!du("00000101"));
	CHECK(du("0001-01-01"));
	CHECK(du("01/01/00"));   /* two digits: the year 2000 */
	/* clock fields longer than two digits stop before they overflow */
	CHECK(!du("1:99999999999999999999999"));
	CHECK(!du("1:00:99999999999999999999999"));
	CHECK(!du("1:000"));
	CHECK(du("2020-01-01 1:05:09"));

	/* the scanner: keys become columns in order, values keep their kinds */
	gx_frame_init(&f);
	CHECK_INT(scan(&f, "{\"a\": 1, \"b\": \"x\\\"y\", \"c\": [1, {\"d\": null}], \"e\": 2.50}", err, sizeof err), 0);
	CHECK_INT(f.nexist, 4);
	{
		struct gx_cell *b = (struct gx_cell *)gx_cell(&f, gx_col_id(&f, "b", 1));
		struct gx_cell *e = (struct gx_cell *)gx_cell(&f, gx_col_id(&f, "e", 1));
		gx_cell_str(&f, b);
		CHECK_INT(b->n, 3);
		CHECK(memcmp(b->s, "x\"y", 3) == 0);
		CHECK_INT(gx_cell(&f, gx_col_id(&f, "c", 1))->kind, C_ARRAY);
		CHECK(gx_cell_num(e) == 2.5);
		CHECK_INT(gx_cell(&f, gx_col_id(&f, "zz", 2))->kind, C_MISSING);
	}
	f.rowno++;
	f.nrows = f.rowno;
	CHECK_INT(gx_cell(&f, gx_col_id(&f, "a", 1))->kind, C_MISSING);   /* not set in this row */
	CHECK_INT(scan(&f, "{\"b\": \"q\"}", err, sizeof err), 0);
	f.rowno++;
	f.nrows = f.rowno;
	CHECK_INT(gx_col_dtype(&f, gx_col_id(&f, "a", 1)), DT_FLOAT64);   /* an int, then a missing value */
	CHECK_INT(gx_col_dtype(&f, gx_col_id(&f, "b", 1)), DT_OBJECT);
	CHECK_INT(gx_col_dtype(&f, gx_col_id(&f, "e", 1)), DT_FLOAT64);
	CHECK_INT(scan(&f, "{\"a\": 1, \"a\": 2}", err, sizeof err), -1);
	CHECK_HAS(err, "duplicate key");
	CHECK_INT(scan(&f, "{\"a\": 01}", err, sizeof err), -1);
	CHECK_INT(scan(&f, "{\"a\": \"\\x\"}", err, sizeof err), -1);
	CHECK_HAS(err, "escape");
	CHECK_INT(scan(&f, "[1]", err, sizeof err), -1);
	CHECK_INT(scan(&f, "{} x", err, sizeof err), -1);
	/* lone surrogates are not text (bq-load's words) */
	CHECK_INT(scan(&f, "{\"s\": \"\\ud800\"}", err, sizeof err), -1);
	CHECK_HAS(err, "invalid Unicode escape (an unpaired surrogate)");
	CHECK_INT(scan(&f, "{\"s\": \"y\\ud800z\"}", err, sizeof err), -1);
	CHECK_HAS(err, "an unpaired surrogate");
	CHECK_INT(scan(&f, "{\"s\": \"\\ud800\\u0041\"}", err, sizeof err), -1);
	CHECK_HAS(err, "an unpaired surrogate");
	CHECK_INT(scan(&f, "{\"s\": \"\\udc00\"}", err, sizeof err), -1);
	CHECK_HAS(err, "invalid Unicode escape (a lone low surrogate)");
	CHECK_INT(scan(&f, "{\"s\": [\"\\udfff\"]}", err, sizeof err), -1);
	CHECK_HAS(err, "a lone low surrogate");
	CHECK_INT(scan(&f, "{\"s\": \"\\ud83d\\ude00\"}", err, sizeof err), 0);
	{
		struct gx_cell *c = (struct gx_cell *)gx_cell(&f, gx_col_id(&f, "s", 1));
		gx_cell_str(&f, c);
		CHECK_INT(c->n, 4);
		CHECK(memcmp(c->s, "\xf0\x9f\x98\x80", 4) == 0);
	}
	gx_frame_release(&f);

	/* an escaped key is decoded even where the key cache has a raw match */
	gx_frame_init(&f);
	CHECK_INT(scan(&f, "{\"x\\\\u0062\": 1}", err, sizeof err), 0);   /* the key x\u0062 */
	f.rowno++;
	f.nrows = f.rowno;
	CHECK_INT(scan(&f, "{\"x\\u0062\": 2}", err, sizeof err), 0);       /* the key xb */
	CHECK_INT(gx_cell(&f, gx_col_id(&f, "x\\u0062", 7))->kind, C_MISSING);
	CHECK_INT(gx_cell(&f, gx_col_id(&f, "xb", 2))->kind, C_INT);
	gx_frame_release(&f);

	/* the routing tag: decoded, and only one */
	gx_frame_init(&f);
	f.fixed = 1;
	CHECK_INT(scan(&f, "{\"a\": 1, \"_table\": \"ads\\u005fx\"}", err, sizeof err), 0);
	CHECK_INT(f.routen, 5);
	CHECK(memcmp(f.route, "ads_x", 5) == 0);
	CHECK_INT(scan(&f, "{\"_table\": \"a\", \"_t\\u0061ble\": \"b\"}", err, sizeof err), -1);
	CHECK_HAS(err, "duplicate key '_table'");
	CHECK_INT(scan(&f, "{\"_table\": 1}", err, sizeof err), 0);
	CHECK(f.route == NULL);
	gx_frame_release(&f);

	/* duplicates: the same answer in memory and through spilled runs */
	uniq_case((size_t)32 << 20, &d);
	CHECK_INT(d.n, 5);
	CHECK_INT(d.rows[0], 10);
	CHECK_INT(d.rows[1], 77);
	CHECK_INT(d.rows[2], 78);
	CHECK_INT(d.rows[3], 2500);
	CHECK_INT(d.rows[4], 4999);
	uniq_case(256, &d);
	CHECK_INT(d.n, 5);
	CHECK_INT(d.rows[0], 10);
	CHECK_INT(d.rows[4], 4999);
	uniq_case(1, &d);   /* taken as the 4 KiB minimum: still the same answer */
	CHECK_INT(d.n, 5);
	CHECK_INT(d.rows[0], 10);
	CHECK_INT(d.rows[1], 77);
	CHECK_INT(d.rows[4], 4999);

	/* a tiny budget: runs of many records (not one each), merged in order */
	{
		struct gx_uniq *u = gx_uniq_new(64);
		char key[32];
		unsigned long long i;
		memset(&d, 0, sizeof d);
		for (i = 0; i < 20000; i++) {
			unsigned long long k = i % 5000 == 3 ? 7 : i;
			int n = snprintf(key, sizeof key, "key-%06llu", k);
			gx_uniq_add(u, key, (size_t)n, i, key, (size_t)n);
		}
		CHECK(gx_uniq_runs(u) > 1);
		CHECK(gx_uniq_runs(u) < 1000);
		gx_uniq_finish(u, on_dup, &d);
		gx_uniq_free(u);
		qsort(d.rows, d.n < 64 ? d.n : 64, sizeof d.rows[0], cmp_ull);
		CHECK_INT(d.n, 5);
		CHECK_INT(d.rows[0], 3);
		CHECK_INT(d.rows[1], 7);
		CHECK_INT(d.rows[2], 5003);
		CHECK_INT(d.rows[4], 15003);
	}
	/* nothing added, and nothing duplicated */
	{
		struct gx_uniq *u = gx_uniq_new((size_t)32 << 20);
		memset(&d, 0, sizeof d);
		gx_uniq_finish(u, on_dup, &d);
		gx_uniq_free(u);
		CHECK_INT(d.n, 0);
	}
	return h_done("gx-check");
}
